#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""CPython's side of make bench: the two GC shapes of the pyperformance
suite (gc_traversal, gc_collect), timed with gc.collect(), and issue 21's
node pattern (create a node of two slots, link it into a list, drop the
list). Prints one line per case, "name nanoseconds", the median of several
rounds; gc_bench.c reads them and prints them beside mheap's.

The interpreter's own objects are frozen first (gc.freeze()), so that
CPython's collections walk only the benchmark's objects, as mheap's do:
this makes CPython faster, not slower.
"""
import gc
import statistics
import sys
import time

ROUNDS = 5


class Node:
    # As in pyperformance's bm_gc_collect: a plain class, no __slots__.
    def __init__(self):
        self.next = None
        self.prev = None


def cycle(length):
    first = node = Node()
    for _ in range(length - 1):
        new = Node()
        node.next = new
        new.prev = node
        node = new
    node.next = first
    first.prev = node
    return first


class SlotNode:
    # Issue 21's node: two slots, as mheap's node has two reference slots.
    __slots__ = ('next', 'prev')


def nodes(n):
    """Create n nodes, each linked from the one before; drop the list."""
    start = time.perf_counter_ns()
    head = prev = SlotNode()
    for _ in range(n - 1):
        node = SlotNode()
        prev.next = node
        prev = node
    del head, prev, node
    return time.perf_counter_ns() - start


def traversal(levels):
    current = []
    for n in range(levels):
        new = [None] * n
        for i in range(n):
            new[i] = current
        current = new
    return current


def timed(fn):
    times = []
    for _ in range(ROUNDS):
        times.append(fn())
    return statistics.median(times)


def collect_ns():
    start = time.perf_counter_ns()
    gc.collect()
    return time.perf_counter_ns() - start


def bench_traversal():
    keep = traversal(1000)
    result = timed(collect_ns)
    del keep
    return result


def bench_dropped(ncycles):
    def once():
        cycles = [cycle(21) for _ in range(ncycles)]
        del cycles
        return collect_ns()
    return timed(once)


def bench_live(ncycles):
    cycles = [cycle(21) for _ in range(ncycles)]
    result = timed(collect_ns)
    del cycles
    gc.collect()
    return result


def main():
    gc.collect()
    gc.freeze()
    gc.disable()
    print('traversal', bench_traversal())
    for n in (100, 100000):
        print('dropped%d' % n, bench_dropped(n))
        print('live%d' % n, bench_live(n))
    for n in (100000,):
        print('nodes%d' % n, timed(lambda: nodes(n)))
    print('python', sys.version.split()[0])


if __name__ == '__main__':
    main()

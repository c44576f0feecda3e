#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write core_fuzz's seed corpus: one file per scenario below.

An input is a list of 4-byte operations (code, three argument bytes), as
core_fuzz.c decodes them. Handles are chosen by their index in the
fuzzer's handle list, which this script follows: new handles are
appended, and closing one moves the last into its place.

    seeds.py DIR
"""
import os
import sys

(ALLOC, DUP, DUP_WEAK, CLOSE, SET_SLOT, GET_SLOT, COLLECT, AUTO, FREEZE,
 UNFREEZE, SAVE_ALL, RELEASE, ENABLE, THRESHOLD, FAIL, TEARDOWN,
 LEAF) = range(17)


class Seed:
    def __init__(self):
        self.ops, self.handles = [], []

    def op(self, code, a=0, b=0, c=0):
        self.ops += [code, a, b, c]

    def idx(self, name):
        return self.handles.index(name)

    def alloc(self, name, nrefs, size=8):
        self.op(ALLOC, size, nrefs)
        self.handles.append(name)

    def dup(self, name, new, weak=False):
        self.op(DUP_WEAK if weak else DUP, self.idx(name))
        self.handles.append(new)

    def close(self, name):
        i = self.idx(name)
        self.op(CLOSE, i, 0)
        self.handles[i] = self.handles[-1]
        self.handles.pop()

    def set_slot(self, name, slot, target=None):
        self.op(SET_SLOT, self.idx(name), slot,
                0x80 if target is None else self.idx(target))

    def get_slot(self, name, slot, new):
        self.op(GET_SLOT, self.idx(name), slot)
        self.handles.append(new)

    def collect(self, gen=2):
        self.op(COLLECT, gen)

    def bytes(self):
        return bytes(self.ops)


def cycle_with_repeated_slots():
    s = Seed()
    s.alloc('a', 2)
    s.alloc('b', 1)
    s.set_slot('a', 0, 'b')
    s.set_slot('a', 1, 'b')
    s.set_slot('b', 0, 'a')
    s.close('a')
    s.close('b')
    s.collect(0)
    s.collect(2)
    return s


def chain_freed_by_refcount():
    s = Seed()
    for n in 'abcd':
        s.alloc(n, 1)
    for x, y in zip('abc', 'bcd'):
        s.set_slot(x, 0, y)
    for n in 'dcb':
        s.close(n)
    s.get_slot('a', 0, 'b2')
    s.close('a')
    s.set_slot('b2', 0)
    s.close('b2')
    return s


def weak_handles_and_a_cycle():
    s = Seed()
    s.alloc('a', 1)
    s.alloc('b', 1)
    s.set_slot('a', 0, 'b')
    s.set_slot('b', 0, 'a')
    s.dup('a', 'wa', weak=True)
    s.dup('wa', 'wa2', weak=True)
    s.close('a')
    s.close('b')
    s.collect(1)
    s.collect(2)
    s.op(DUP, s.idx('wa'))          # ESTALE
    s.set_slot('wa2', 0)            # ESTALE
    s.close('wa')
    return s


def save_all_then_release():
    s = Seed()
    s.op(SAVE_ALL, 1)
    s.alloc('a', 2)
    s.alloc('b', 1)
    s.alloc('leaf', 0)
    s.set_slot('a', 0, 'b')
    s.set_slot('a', 1, 'leaf')
    s.set_slot('b', 0, 'a')
    for n in ('a', 'b', 'leaf'):
        s.close(n)
    s.collect(2)
    s.op(SAVE_ALL, 0)
    s.op(RELEASE)
    s.collect(2)
    return s


def frozen_cycle():
    s = Seed()
    s.alloc('a', 1)
    s.alloc('b', 1)
    s.set_slot('a', 0, 'b')
    s.set_slot('b', 0, 'a')
    s.alloc('c', 1)
    s.set_slot('c', 0, 'a')
    s.op(FREEZE)
    s.close('a')
    s.close('b')
    s.collect(2)
    s.close('c')
    s.collect(2)
    s.op(UNFREEZE)
    s.collect(2)
    return s


def injected_failures():
    s = Seed()
    s.op(FAIL, 0)
    s.op(ALLOC, 16, 2)              # fails
    s.alloc('a', 2)
    for nth in range(3):
        s.op(FAIL, nth)
        s.op(DUP, s.idx('a'))
    s.op(FAIL, 0)
    s.op(GET_SLOT, s.idx('a'), 0)
    s.set_slot('a', 0, 'a')
    s.op(FAIL, 0)
    s.op(GET_SLOT, s.idx('a'), 0)
    s.op(FAIL, 1)
    s.op(TEARDOWN)
    s.op(FAIL, 0)
    s.op(TEARDOWN)
    return s


def automatic_collections():
    s = Seed()
    s.op(ENABLE, 1)
    s.op(THRESHOLD, 2, 1, 1)
    for i in range(6):
        s.alloc('x%d' % i, 1)
        s.set_slot('x%d' % i, 0, 'x%d' % i)
        s.close('x%d' % i)
        s.op(AUTO)
    return s


def incremental_with_mutations():
    """An incremental collection of generation 1, one unit of work per
    increment, with the graph changing between increments."""
    s = Seed()
    s.op(ENABLE, 1)
    s.op(THRESHOLD, 1 | 1 << 3, 0, 3)   # increments of 1 unit
    s.alloc('a', 2)
    s.alloc('b', 1)
    s.alloc('c', 1)
    s.alloc('leaf', 0)
    s.set_slot('a', 0, 'b')
    s.set_slot('a', 1, 'leaf')
    s.set_slot('b', 0, 'a')
    s.set_slot('c', 0, 'a')
    s.dup('a', 'wa', weak=True)
    s.dup('c', 'wc', weak=True)
    s.op(AUTO)                        # generation 0: all to generation 1
    s.alloc('d', 1)
    s.op(AUTO)                        # generation 1 begins
    s.close('a')
    s.close('b')
    s.op(AUTO)
    s.close('c')                      # c: count 0 inside the collection
    s.op(AUTO)
    s.op(DUP, s.idx('wc'))            # ESTALE: dead for the collection
    s.set_slot('d', 0, 'leaf')
    for _ in range(4):
        s.op(AUTO)
    s.get_slot('d', 0, 'leaf2')
    s.op(DUP, s.idx('wa'))
    s.handles.append('a2')
    for _ in range(12):
        s.op(AUTO)
    s.collect(2)
    return s


def incremental_save_all():
    s = Seed()
    s.op(ENABLE, 1)
    s.op(SAVE_ALL, 1)
    s.op(THRESHOLD, 1 | 2 << 3, 0, 3)   # increments of 2 units
    s.alloc('a', 1)
    s.alloc('b', 1)
    s.alloc('x', 1)
    s.set_slot('a', 0, 'b')
    s.set_slot('b', 0, 'a')
    s.op(AUTO)
    s.alloc('y', 1)
    s.set_slot('b', 0, 'y')
    s.set_slot('b', 0, 'a')
    s.op(AUTO)
    s.close('a')
    s.close('b')
    s.close('x')
    for _ in range(12):
        s.op(AUTO)
    s.op(RELEASE)
    s.collect(2)
    return s


def old_cycle_dropped(s, k):
    """A two-object cycle watched by weak handle 'wa', moved to generation
    1, dropped, then k steps of the automatic collector."""
    s.alloc('a', 1)
    s.alloc('b', 1)
    s.set_slot('a', 0, 'b')
    s.set_slot('b', 0, 'a')
    s.dup('a', 'wa', weak=True)
    s.op(AUTO)                    # generation 0: to generation 1
    s.close('a')
    s.close('b')
    for _ in range(k):
        s.op(AUTO)


def incremental_resurrection():
    """A dropped cycle, taken back from a weak handle after k increments of
    the collection that examines it, k = 1..12 (the barrier)."""
    s = Seed()
    s.op(ENABLE, 1)
    s.op(THRESHOLD, 1 | 1 << 3, 0, 3)   # increments of 1 unit
    for k in range(1, 13):
        old_cycle_dropped(s, k)
        s.dup('wa', 'a2')
        for _ in range(16):
            s.op(AUTO)
        s.close('a2')
        s.close('wa')
        s.collect(2)
    return s


def incremental_undone_dups():
    """The same, but each strong DUP from the weak handle is undone at once
    (arg 1's top bit), as an ioctl whose result cannot be written is: the
    barrier's change goes back too (in SUBTRACT or MARK, by k), and the
    cycle must go with the collection."""
    s = Seed()
    s.op(ENABLE, 1)
    s.op(THRESHOLD, 1 | 1 << 3, 0, 3)   # increments of 1 unit
    for k in range(1, 13):
        old_cycle_dropped(s, k)
        s.op(DUP, s.idx('wa'), 0x80)  # undone: no new handle
        for _ in range(16):
            s.op(AUTO)
        s.close('wa')
        s.collect(2)
    return s


def incremental_zombie_chains():
    """A chain and a chain holding a cycle, of generation 1, let go after k
    increments of the collection that examines them, k = 0..10, in
    save-all mode: the chain dies at once by reference counting (zombies,
    never garbage), the cycle is garbage or survives."""
    s = Seed()
    s.op(ENABLE, 1)
    s.op(SAVE_ALL, 1)
    s.op(THRESHOLD, 1 | 1 << 3, 0, 3)   # increments of 1 unit
    for k in range(11):
        s.alloc('h', 1)
        s.alloc('m', 2)
        s.alloc('t', 0)
        s.alloc('c', 1)
        s.alloc('d', 1)
        s.set_slot('h', 0, 'm')
        s.set_slot('m', 0, 't')
        s.set_slot('m', 1, 'c')
        s.set_slot('c', 0, 'd')
        s.set_slot('d', 0, 'c')
        s.dup('m', 'wm', weak=True)
        for name in ('m', 't', 'c', 'd'):
            s.close(name)
        s.op(AUTO)                    # generation 0: to generation 1
        s.op(AUTO)                    # generation 1 begins
        for _ in range(k):
            s.op(AUTO)
        s.close('h')
        s.op(DUP, s.idx('wm'))        # ESTALE at once
        for _ in range(16):
            s.op(AUTO)
        s.close('wm')
        s.op(RELEASE)
        s.collect(2)
    return s


def leaves_reused():
    """Leaves through the free lists, between objects the model sees."""
    s = Seed()
    s.alloc('a', 1, size=40)
    s.op(LEAF, 39, 3)               # four of 40 bytes, one block reused
    s.op(LEAF, 47, 0)               # the same class, 48 bytes
    s.op(LEAF, 0, 1)                # 1 byte: another class
    s.op(LEAF, 255, 3)
    s.alloc('b', 0, size=48)        # a leaf with a cookie, from the list
    s.op(LEAF, 39, 2)
    s.close('b')
    s.collect(2)
    s.op(TEARDOWN)
    return s


SEEDS = [cycle_with_repeated_slots, chain_freed_by_refcount,
         weak_handles_and_a_cycle, save_all_then_release, frozen_cycle,
         injected_failures, automatic_collections,
         incremental_with_mutations, incremental_save_all,
         incremental_resurrection, incremental_undone_dups,
         incremental_zombie_chains, leaves_reused]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for f in SEEDS:
        with open(os.path.join(out, f.__name__), 'wb') as fp:
            fp.write(f().bytes())


if __name__ == '__main__':
    main()

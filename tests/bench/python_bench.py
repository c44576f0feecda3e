# SPDX-License-Identifier: GPL-2.0
"""Python-level operations per second (make bench, in the stock-kernel VM).

Allocate N nodes of two slots, link each to the next, close them head
first, through the mheap package: one call per operation, and in batches
of 64 (Heap.batch()). Beside it, in the same run: the C library doing the
same (ops_bench, one ioctl per operation and batches of 64), and CPython
creating, linking and dropping the same nodes in-process (a class with two
__slots__). Figures are medians of RUNS runs; the last column is what the
Python layer costs over the C library, per call.

The node table also has the heap's core doing the same nodes with no
ioctl at all (core_nodes, found beside ops_bench): no call does less
work than that, so one-op / core is the most any batch can gain here.

A second table answers why the package is a C extension: the same
operation, obj[0] = other, through the extension, and through cffi and
ctypes calling libmheap.so (each behind the same kind of proxy class,
and bare), beside libmheap from C.

    python_bench.py OPS_BENCH LIBMHEAP_SO [N [RUNS]]   (4096 nodes, 7 runs)
"""
import os
import statistics
import subprocess
import sys
import time

import mheap

BATCH = 64
OPS = ('alloc', 'link', 'close')


def mheap_one(h, n):
    t = {}
    t0 = time.perf_counter()
    nodes = [h.alloc(0, 2) for _ in range(n)]
    t1 = time.perf_counter()
    for i in range(n - 1):
        nodes[i][0] = nodes[i + 1]
    t2 = time.perf_counter()
    for o in nodes:
        o.close()
    t3 = time.perf_counter()
    t['alloc'], t['link'], t['close'] = t1 - t0, t2 - t1, t3 - t2
    return t


def mheap_batch(h, n):
    t = {}
    t0 = time.perf_counter()
    nodes = []
    for i in range(0, n, BATCH):
        with h.batch() as b:
            ps = [b.alloc(0, 2) for _ in range(min(BATCH, n - i))]
        nodes += [p.value for p in ps]
    t1 = time.perf_counter()
    for i in range(0, n - 1, BATCH):
        with h.batch() as b:
            for j in range(i, min(i + BATCH, n - 1)):
                b.set_slot(nodes[j], 0, nodes[j + 1])
    t2 = time.perf_counter()
    for i in range(0, n, BATCH):
        with h.batch() as b:
            for o in nodes[i:i + BATCH]:
                b.close(o)
    t3 = time.perf_counter()
    t['alloc'], t['link'], t['close'] = t1 - t0, t2 - t1, t3 - t2
    return t


class Node:
    __slots__ = ('next', 'prev')


def cpython(n):
    t = {}
    t0 = time.perf_counter()
    nodes = [Node() for _ in range(n)]
    t1 = time.perf_counter()
    for i in range(n - 1):
        nodes[i].next = nodes[i + 1]
    t2 = time.perf_counter()
    for i in range(n):
        nodes[i] = None
    t3 = time.perf_counter()
    t['alloc'], t['link'], t['close'] = t1 - t0, t2 - t1, t3 - t2
    return t


def nodes_one(h, n):
    """Issue 21's node pattern, one call per operation: a node of two
    slots is created and linked from the one before, whose handle is
    closed; the head's handle last, and the list goes with it."""
    head = prev = h.alloc(0, 2)
    for _ in range(n - 1):
        x = h.alloc(0, 2)
        prev[0] = x
        if prev is not head:
            prev.close()
        prev = x
    if prev is not head:
        prev.close()
    head.close()


def nodes_refs(h, n):
    """The same in batches of 64 nodes, one call each: each operation
    names the node an earlier one created by its Pending."""
    head = prev = h.alloc(0, 2)
    i = 1
    while i < n:
        k = min(BATCH, n - i)
        with h.batch() as b:
            p = prev
            for _ in range(k):
                a = b.alloc(0, 2)
                b.set_slot(p, 0, a)
                if p is not head:
                    b.close(p)
                p = a
        prev = p.value
        i += k
    if prev is not head:
        prev.close()
    head.close()


def nodes_cpython(n):
    head = prev = Node()
    for _ in range(n - 1):
        x = Node()
        prev.next = x
        prev = x
    del head, prev, x


def nodes(h, n, runs):
    """ns per node, median of runs, the ways taking turns."""
    ways = {'Python one-op': lambda: nodes_one(h, n),
            'Python batch 64, references': lambda: nodes_refs(h, n),
            'CPython in-process': lambda: nodes_cpython(n)}
    samples = {name: [] for name in ways}
    for r in range(runs + 1):
        for name, way in ways.items():
            t0 = time.perf_counter()
            way()
            if r:
                samples[name].append((time.perf_counter() - t0) * 1e9 / n)
    return {name: statistics.median(v) for name, v in samples.items()}


class FfiProxy:
    """obj[i] = other through a foreign-function binding of libmheap."""

    __slots__ = ('mh', 'handle', 'set_slot')

    def __init__(self, mh, handle, set_slot):
        self.mh, self.handle, self.set_slot = mh, handle, set_slot

    def __setitem__(self, index, value):
        err = self.set_slot(self.mh, self.handle, index, value.handle)
        if err:
            raise OSError(-err, 'set_slot')


def bindings(libmheap, n, runs):
    """set_slot per second through each binding, on one heap's nodes."""
    import ctypes
    try:
        import cffi
    except ImportError:
        cffi = None
    with mheap.Heap() as h:
        h.gc.disable()
        nodes = [h.alloc(0, 2) for _ in range(n)]
        # the descriptor is the extension's; the bindings only borrow it
        fd = h.fileno()

        def ext():
            for i in range(n - 1):
                nodes[i][0] = nodes[i + 1]
        ways = {'extension (obj[0] = x)': ext}

        handles = [o.handle for o in nodes]
        lib = ctypes.CDLL(libmheap)
        mh = ctypes.c_void_p()
        lib.mheap_from_fd.argtypes = [ctypes.c_int,
                                      ctypes.POINTER(ctypes.c_void_p)]
        lib.mheap_set_slot.argtypes = [ctypes.c_void_p, ctypes.c_uint32,
                                       ctypes.c_uint64, ctypes.c_uint32]
        if lib.mheap_from_fd(fd, ctypes.byref(mh)):
            raise OSError('mheap_from_fd')
        fn = lib.mheap_set_slot
        prox = [FfiProxy(mh, hd, fn) for hd in handles]

        def ct_proxy():
            for i in range(n - 1):
                prox[i][0] = prox[i + 1]

        def ct_bare():
            for i in range(n - 1):
                fn(mh, handles[i], 0, handles[i + 1])
        ways['ctypes, proxy'] = ct_proxy
        ways['ctypes, bare call'] = ct_bare
        if cffi:
            ffi = cffi.FFI()
            ffi.cdef('struct mheap; int mheap_from_fd(int, struct mheap **);'
                     'int mheap_set_slot(struct mheap *, uint32_t, uint64_t,'
                     ' uint32_t);')
            cl = ffi.dlopen(libmheap)
            pmh = ffi.new('struct mheap **')
            if cl.mheap_from_fd(fd, pmh):
                raise OSError('mheap_from_fd')
            cfn, cmh = cl.mheap_set_slot, pmh[0]
            cprox = [FfiProxy(cmh, hd, cfn) for hd in handles]

            def cf_proxy():
                for i in range(n - 1):
                    cprox[i][0] = cprox[i + 1]

            def cf_bare():
                for i in range(n - 1):
                    cfn(cmh, handles[i], 0, handles[i + 1])
            ways['cffi (ABI mode), proxy'] = cf_proxy
            ways['cffi (ABI mode), bare call'] = cf_bare
        # the ways take turns, one warm-up round first, so that the
        # machine's drift falls on all of them alike
        samples = {name: [] for name in ways}
        for r in range(runs + 1):
            for name, way in ways.items():
                t0 = time.perf_counter()
                way()
                if r:
                    samples[name].append((n - 1) /
                                         (time.perf_counter() - t0))
        out = {name: statistics.median(v) for name, v in samples.items()}
        for o in nodes:
            o.close()
    return out


def rates(fns, n, runs):
    """Each of fns timed runs times, taking turns after a warm-up round;
    the median rate of each operation, per fn."""
    samples = [[] for _ in fns]
    for r in range(runs + 1):
        for k, fn in enumerate(fns):
            t = fn(n)
            if r:
                samples[k].append(t)
    return [{op: statistics.median((n - 1 if op == 'link' else n) / s[op]
                                   for s in ss) for op in OPS}
            for ss in samples]


def main():
    ops_bench, libmheap = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 4096
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 7
    c = {}
    out = subprocess.run([ops_bench, str(n), str(runs)], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        mode, op, rate = line.split()
        c[mode, op] = float(rate)
    core = os.path.join(os.path.dirname(ops_bench), 'core_nodes')
    out = subprocess.run([core, str(n), str(runs)], check=True,
                         capture_output=True, text=True).stdout
    mode, op, ns = out.split()
    c[mode, op] = float(ns)
    c_nodes = {op: c['nodes', op] for op in ('one-op', 'batch64',
                                             'batch64-refs', 'core')}
    with mheap.Heap() as h:
        h.gc.disable()
        one, bat, py = rates([lambda k: mheap_one(h, k),
                              lambda k: mheap_batch(h, k), cpython], n, runs)
    print(f'operations per second: {n} nodes of 2 slots, allocated, linked '
          f'in a list, closed head first; median of {runs} runs')
    print(f'{"":8}{"Python":>12}{"C":>12}{"Python":>12}{"C":>12}'
          f'{"CPython":>12}{"Python/C":>10}{"Python/C":>10}')
    print(f'{"":8}{"one-op":>12}{"one-op":>12}{"batch 64":>12}'
          f'{"batch 64":>12}{"in-process":>12}{"one-op":>10}{"batch":>10}')
    for op in OPS:
        print(f'{op:8}{one[op]:12.0f}{c["one-op", op]:12.0f}'
              f'{bat[op]:12.0f}{c["batch64", op]:12.0f}{py[op]:12.0f}'
              f'{one[op] / c["one-op", op]:10.2f}'
              f'{bat[op] / c["batch64", op]:10.2f}')
    per_call = [1e9 / one[op] - 1e9 / c['one-op', op] for op in OPS]
    print(f'the Python layer adds {min(per_call):.0f} to {max(per_call):.0f} '
          f'ns per call over libmheap; CPython in-process is '
          f'{min(py[op] / one[op] for op in OPS):.0f}x to '
          f'{max(py[op] / one[op] for op in OPS):.0f}x the one-op rate')
    print()
    print(f'link (set_slot) per second by binding, {n} nodes, median of '
          f'{runs} runs')
    c_rate = c['one-op', 'link']
    print(f'{"binding":30}{"ops/s":>10}{"ns/call over C":>16}')
    print(f'{"libmheap from C":30}{c_rate:10.0f}{0:16.0f}')
    for name, rate in bindings(libmheap, n, runs).items():
        print(f'{name:30}{rate:10.0f}{1e9 / rate - 1e9 / c_rate:16.0f}')
    print()
    print(f'ns per node: create a node of 2 slots, link it into a list, '
          f'drop the list ({n} nodes), median of {runs} runs')
    with mheap.Heap() as h:
        h.gc.disable()
        py_nodes = nodes(h, n, runs)
    one = c_nodes['one-op']
    rows = [('C one-op', one), ('C batch 64 (2 calls each)',
                                c_nodes['batch64']),
            ('C batch 64, references (1 call)', c_nodes['batch64-refs'])]
    rows += list(py_nodes.items())
    rows.append(('core alone, no ioctl (core_nodes)', c_nodes['core']))
    print(f'{"way":34}{"ns/node":>10}{"vs C one-op":>14}')
    for name, ns in rows:
        print(f'{name:34}{ns:10.0f}{one / ns:13.1f}x')
    ratio = one / c_nodes['batch64-refs']
    ceiling = one / c_nodes['core']
    print(f'target (issue 21): C batches of 64 with references at least 20x '
          f'the one-op rate: {"met" if ratio >= 20 else "not met"} '
          f'({ratio:.1f}x)')
    print(f'ceiling in this VM: no batch does less than the core alone, so '
          f'none can beat {ceiling:.1f}x the one-op rate'
          f'{" (below the target)" if ceiling < 20 else ""}')


if __name__ == '__main__':
    main()

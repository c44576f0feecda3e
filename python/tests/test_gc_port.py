# SPDX-License-Identifier: LGPL-2.1-or-later
"""CPython 3.11's Lib/test/test_gc.py, ported onto mheap, case by case.

Each test is named after the CPython case it ports and asserts CPython's
values. Documentation/python-test_gc.rst lists every CPython case, and for
those that are not here, why they do not map.

How CPython's objects become mheap objects (the helpers below):

- a container (list, tuple, dict, set, a frame's locals) is an object with
  one slot per reference it holds; an empty list still has a slot, since
  CPython tracks an empty list and mheap tracks objects that have slots;
- an atomic object (int, str, bytes, None, a static built-in type such as
  object or list) is an object with a payload and no slots: untracked, as
  gc.is_tracked() says of it in CPython;
- a class statement makes a heap type: slots for tp_mro, tp_dict and
  tp_bases, with tp_mro holding the class itself, as CPython's does, so
  every class is a cycle;
- an instance of a class holds its type in slot 0 (subtype_traverse()
  visits the type of a heap-type instance) and its attributes in the
  following slots (3.11 keeps them inline, with no separate __dict__);
  an instance of a static type has no type slot;
- ``del x`` is closing the proxy; ``weakref.ref`` is ``mheap.ref``;
  identity (``id()``) is the object's cookie, since proxies have none.

CPython's setUpModule() disables automatic collection; so does the h
fixture. The tests that enable it (the GCTogglingTests) say so.
"""
import itertools
import threading
import time
import types

import pytest

import mheap


@pytest.fixture
def h():
    with mheap.Heap() as heap:
        heap.gc.disable()           # setUpModule: gc.disable()
        yield heap


_cookies = itertools.count(1000)


def cookie(o):
    """id(o): the object's cookie (two proxies of one object differ)."""
    return o.info()['cookie']


def atom(h, value=None):
    """An atomic object (int, str, bytes, None, a static type): no slots,
    untracked. Its cookie is value when that is an int."""
    return h.alloc(8, 0, cookie=value if isinstance(value, int)
                   else next(_cookies))


def builtins(h):
    """The static built-in types and singletons the tests refer to: atoms,
    never freed during the test (the namespace holds them)."""
    return types.SimpleNamespace(object=atom(h), list=atom(h), int=atom(h),
                                 float=atom(h), type=atom(h), none=atom(h))


def new_type(h, *bases, dict_slots=4):
    """class X(*bases): a heap type; tp_mro is (X,) + bases, so X is a
    cycle (X -> tp_mro -> X); tp_dict has dict_slots slots."""
    cls = h.alloc(0, 3, cookie=next(_cookies))   # tp_mro, tp_dict, tp_bases
    with h.alloc(0, 1 + len(bases)) as mro:
        mro[0] = cls
        for i, b in enumerate(bases, 1):
            mro[i] = b
        cls[0] = mro
    with h.alloc(0, dict_slots) as d:
        cls[1] = d
    with h.alloc(0, max(len(bases), 1)) as bt:
        for i, b in enumerate(bases):
            bt[i] = b
        cls[2] = bt
    return cls


def set_class_attr(cls, i, value):
    """X.<attr i> = value: slot i of the class's tp_dict."""
    with cls[1] as d:
        d[i] = value


def new_instance(h, cls, nattrs=0):
    """cls(): slot 0 holds the type, slots 1..nattrs the attributes."""
    o = h.alloc(0, 1 + nattrs, cookie=next(_cookies))
    o[0] = cls
    return o


def alive(r):
    """True while the mheap.ref's object lives (the proxy is dropped at
    once, so the check holds no reference)."""
    o = r()
    if o is None:
        return False
    o.close()
    return True


# --- GCTests ---------------------------------------------------------------

def test_list(h):
    """test_list: l = []; l.append(l) is an object whose slot holds itself;
    collect() == 1."""
    l = h.alloc(0, 1)
    l[0] = l
    h.gc.collect()
    l.close()
    assert h.gc.collect() == 1


def test_dict(h):
    """test_dict: d = {}; d[1] = d is an object with a key slot (the int 1,
    an untracked atom) and a value slot holding d; collect() == 1."""
    d = h.alloc(0, 2)
    with atom(h, 1) as one:
        d[0] = one
        d[1] = d
        wone = mheap.ref(one)
    h.gc.collect()
    d.close()
    assert h.gc.collect() == 1
    assert not alive(wone)      # freed with d, but not counted (untracked)


def test_tuple(h):
    """test_tuple: l = []; t = (l,); l.append(t) is a 2-cycle of two
    one-slot objects; collect() == 2."""
    l = h.alloc(0, 1)
    t = h.alloc(0, 1)
    t[0] = l
    l[0] = t
    h.gc.collect()
    t.close()
    l.close()
    assert h.gc.collect() == 2


def test_class(h):
    """test_class: class A: pass; A.a = A is a heap type (new_type) whose
    tp_dict holds it; collect() != 0."""
    b = builtins(h)
    A = new_type(h, b.object)
    set_class_attr(A, 0, A)
    h.gc.collect()
    A.close()
    assert h.gc.collect() != 0


def test_newstyleclass(h):
    """test_newstyleclass: class A(object): pass is already a cycle, as
    tp_mro holds A; collect() != 0."""
    b = builtins(h)
    A = new_type(h, b.object)
    h.gc.collect()
    A.close()
    assert h.gc.collect() != 0


def test_instance(h):
    """test_instance: a = A(); a.a = a is an instance (type slot, one
    attribute slot) whose attribute holds itself; collect() != 0, and the
    class, still bound, survives."""
    b = builtins(h)
    A = new_type(h, b.object)
    a = new_instance(h, A, 1)
    a[1] = a
    h.gc.collect()
    a.close()
    assert h.gc.collect() != 0
    assert A.info()['refcnt'] == 2          # the handle and tp_mro


def test_newinstance(h):
    """test_newinstance: the same with class A(object), then an instance of
    class C(B, A) with B(list), then the classes B and C, then A.a = A()
    (A -> tp_dict -> instance -> A); every collect() != 0, the last == 0."""
    b = builtins(h)
    A = new_type(h, b.object)
    a = new_instance(h, A, 1)
    a[1] = a
    h.gc.collect()
    a.close()
    assert h.gc.collect() != 0
    B = new_type(h, b.list)
    C = new_type(h, B, A)
    a = new_instance(h, C, 1)
    a[1] = a
    h.gc.collect()
    a.close()
    assert h.gc.collect() != 0
    B.close()
    C.close()
    assert h.gc.collect() != 0
    with new_instance(h, A) as inst:
        set_class_attr(A, 0, inst)
    A.close()
    assert h.gc.collect() != 0
    assert h.gc.collect() == 0


def test_method(h):
    """test_method: self.init = self.__init__ is an instance holding a bound
    method (slots: the function, from the class's tp_dict, and self);
    collect() != 0."""
    b = builtins(h)
    A = new_type(h, b.object)
    with h.alloc(0, 1) as init:             # A.__init__: a function
        init[0] = b.none                    # (its __globals__, say)
        set_class_attr(A, 0, init)
        a = new_instance(h, A, 1)
        with h.alloc(0, 2) as method:       # a.__init__
            method[0] = init
            method[1] = a
            a[1] = method
    h.gc.collect()
    a.close()
    assert h.gc.collect() != 0


def test_function(h):
    """test_function: exec("def f(): pass", d) makes f -> d (__globals__)
    -> f (d['f']); d also holds __builtins__ (a live module) and f its code
    (untracked); collect() == 2."""
    with h.alloc(0, 1) as bmod, h.alloc(0, 1) as bdict:
        bmod[0] = bdict                     # the builtins module, alive
        bdict[0] = bmod
        keep = bmod.dup()
    d = h.alloc(0, 2)
    d[0] = keep                             # d['__builtins__']
    with h.alloc(0, 3) as f, atom(h) as code:
        f[0] = code                         # f.__code__
        f[1] = d                            # f.__globals__
        f[2] = keep                         # f.__builtins__
        d[1] = f                            # d['f']
    h.gc.collect()
    d.close()
    assert h.gc.collect() == 2
    assert keep.info()['refcnt'] == 2       # the handle and bdict


def test_frame(h):
    """test_frame: frame = sys._getframe() inside f() leaves a frame whose
    local 'frame' holds itself (plus its code, untracked, and globals, a
    live module); collect() == 1."""
    b = builtins(h)
    with h.alloc(0, 1) as module:
        module[0] = b.none
        h.gc.collect()
        with h.alloc(0, 3) as frame, atom(h) as code:   # f()
            frame[0] = code
            frame[1] = module
            frame[2] = frame
        assert h.gc.collect() == 1
        assert module.info()['refcnt'] == 1


def test_saveall(h):
    """test_saveall: with DEBUG_SAVEALL a self-referencing list goes to
    h.gc.garbage (empty before); len(garbage) == 1 and its one object is
    the list (cookie for id). obj = gc.garbage.pop() becomes
    obj = garbage[0], then del garbage[:], after which obj is usable as
    in CPython."""
    h.gc.collect()
    assert list(h.gc.garbage) == []
    L = h.alloc(0, 1, cookie=next(_cookies))
    L[0] = L
    id_L = cookie(L)
    debug = h.gc.get_debug()
    h.gc.set_debug(debug | mheap.DEBUG_SAVEALL)
    L.close()
    h.gc.collect()
    h.gc.set_debug(debug)
    garbage = h.gc.garbage
    assert len(garbage) == 1
    obj = garbage[0]
    del garbage[:]
    assert cookie(obj) == id_L
    assert len(h.gc.garbage) == 0


def _del(h):
    b = builtins(h)
    thresholds = h.gc.get_threshold()
    h.gc.enable()
    h.gc.set_threshold(1)
    A = new_type(h, b.object)
    a = new_instance(h, A)
    a.close()
    h.gc.disable()
    h.gc.set_threshold(*thresholds)
    assert h.gc.get_threshold() == thresholds


def test_del(h):
    """test_del (partial): set_threshold(1) with collection enabled, an
    instance made and dropped, thresholds restored; __del__ (which ran
    dir(self) during collection) has no counterpart. CPython asserts
    nothing; here the thresholds are checked restored."""
    _del(h)


def test_del_newclass(h):
    """test_del_newclass (partial): as test_del, class A(object)."""
    _del(h)


def test_get_count(h):
    """test_get_count: after collect(), get_count() is (a, 0, 0) with a < 5;
    one more tracked object (x = []) makes count[0] grow."""
    h.gc.collect()
    a, b, c = h.gc.get_count()
    x = h.alloc(0, 1)
    d, e, f = h.gc.get_count()
    assert (b, c) == (0, 0)
    assert (e, f) == (0, 0)
    assert a < 5
    assert d > a
    x.close()


def test_collect_generations(h):
    """test_collect_generations: a tracked object through collect(0),
    collect(1), collect(2); the counts (b, c) == (1, 0), (e, f) == (0, 1),
    (h, i) == (0, 0). Also: x's generation is 1, 2, then 2 again."""
    h.gc.collect()
    x = h.alloc(0, 1)
    h.gc.collect(0)
    a, b, c = h.gc.get_count()
    assert x.info()['generation'] == 1
    h.gc.collect(1)
    d, e, f = h.gc.get_count()
    assert x.info()['generation'] == 2
    h.gc.collect(2)
    g, hh, i = h.gc.get_count()
    assert x.info()['generation'] == 2
    assert (b, c) == (1, 0)
    assert (e, f) == (0, 1)
    assert (hh, i) == (0, 0)


def test_trashcan(h):
    """test_trashcan (shape): with collection enabled, twice, chains of
    N = 150 nested lists t = [t, Ouch()], u likewise and dicts
    v = {1: v, 2: Ouch()}, each dropped whole when rebound. Ouch.__del__
    (a gc.collect() every 17th deallocation) has no counterpart. CPython
    asserts only that it does not crash; here every object made is freed
    (objects_live is back where it was)."""
    b = builtins(h)
    Ouch = new_type(h, b.object)
    one, two = atom(h, 1), atom(h, 2)
    base = h.stats()['objects_live']

    def ouch():
        return new_instance(h, Ouch)

    h.gc.enable()
    N = 150
    t = u = v = None
    for count in range(2):
        for name in ('t', 'u'):
            x = h.alloc(0, 1)               # [] (replaces the last chain)
            for i in range(N):
                y = h.alloc(0, 2)
                y[0] = x
                with ouch() as o:
                    y[1] = o
                x.close()
                x = y
            if name == 't':
                t, old = x, t
            else:
                u, old = x, u
            if old is not None:
                old.close()
        x = h.alloc(0, 1)                   # {}
        for i in range(N):
            y = h.alloc(0, 4)
            y[0], y[1], y[2] = one, x, two
            with ouch() as o:
                y[3] = o
            x.close()
            x = y
        v, old = x, v
        if old is not None:
            old.close()
    h.gc.disable()
    for x in (t, u, v):
        x.close()
    h.gc.collect()
    assert h.stats()['objects_live'] == base


def test_trashcan_threads(h):
    """test_trashcan_threads (shape): 2 threads build and drop
    x = [C([x])] nested 60 deep, C(list), for one second; then
    len(C.inits) == len(C.dels) becomes: every object allocated was freed
    (the C.__del__ that yields the GIL has no counterpart)."""
    NESTING = 60
    N_THREADS = 2
    b = builtins(h)
    C = new_type(h, b.list)
    inits = []
    start = h.stats()

    def make_nested():
        x = new_instance(h, C)              # C([])
        inits.append(None)
        for i in range(NESTING):
            c = new_instance(h, C, 1)       # C([x])
            inits.append(None)
            c[1] = x
            x.close()
            x = h.alloc(0, 1)               # [C([x])]
            x[0] = c
            c.close()
        x.close()

    exit = []
    errors = []

    def run_thread():
        try:
            while not exit:
                make_nested()
        except Exception as e:              # reported below
            errors.append(e)

    threads = [threading.Thread(target=run_thread) for _ in range(N_THREADS)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
    finally:
        exit.append(1)
        for t in threads:
            t.join()
    assert errors == []
    h.gc.collect()
    end = h.stats()
    made = end['objects_allocated'] - start['objects_allocated']
    assert len(inits) > 0 and made >= len(inits)
    assert end['objects_freed'] - start['objects_freed'] == made
    assert end['objects_live'] == start['objects_live']


def _boom(h, with_x):
    b = builtins(h)
    Boom = new_type(h, b.object)
    n = 2 if with_x else 1                  # Boom2: self.x = 0, then attr
    a = new_instance(h, Boom, n)
    bb = new_instance(h, Boom, n)
    if with_x:
        with atom(h, 0) as zero:
            a[1] = bb[1] = zero
    a[n] = bb
    bb[n] = a
    h.gc.collect()
    garbagelen = len(h.gc.garbage)
    a.close()
    bb.close()
    assert h.gc.collect() == 2
    assert len(h.gc.garbage) == garbagelen


def test_boom(h):
    """test_boom (shape): a.attr = b; b.attr = a, two instances in a
    2-cycle; collect() == 2 and gc.garbage unchanged. The __getattr__ that
    mutates the graph during collection has no counterpart: nothing runs
    during an mheap collection."""
    _boom(h, False)


def test_boom2(h):
    """test_boom2 (shape): as test_boom, each instance also holding x = 0
    (an untracked int); collect() == 2, gc.garbage unchanged."""
    _boom(h, True)


def test_boom_new(h):
    """test_boom_new (shape): test_boom with class Boom_New(object)."""
    _boom(h, False)


def test_boom2_new(h):
    """test_boom2_new (shape): test_boom2 with class Boom2_New(object)."""
    _boom(h, True)


def test_get_referents(h):
    """test_get_referents: a list, tuple and dict of ints (atoms, cookie =
    value); get_referents() of each, and of three at once, sorted, as
    CPython's; get_referents() of atoms is []."""
    ints = {i: atom(h, i) for i in range(8)}

    def container(*values):
        c = h.alloc(0, len(values))
        for i, v in enumerate(values):
            c[i] = ints[v]
        return c

    def got(*objs):
        return sorted(cookie(o) for o in h.gc.get_referents(*objs))

    alist = container(1, 3, 5)
    assert got(alist) == [1, 3, 5]
    atuple = container(1, 3, 5)
    assert got(atuple) == [1, 3, 5]
    adict = container(1, 3, 5, 7)           # keys and values
    assert got(adict) == [1, 3, 5, 7]
    assert got(container(1, 2), container(3, 4), container(0, 0, 0)) == \
        [0, 0] + list(range(5))
    assert h.gc.get_referents(ints[1], atom(h), atom(h)) == []


def test_is_tracked(h):
    """test_is_tracked: atoms (None, numbers, bool, bytes, str, bytearray,
    static types, object()) have no slots and are not tracked; the gc
    module, a user class, instances of heap types (even with
    __slots__ = ()), [] and set() have slots and are tracked."""
    b = builtins(h)
    for name in ('None', '1', '1.0', '1+5j', 'True', 'False', 'b"a"', '"a"',
                 'bytearray(b"a")'):
        assert not h.gc.is_tracked(atom(h)), name
    for static in (b.type, b.int, b.object):
        assert not h.gc.is_tracked(static)
    assert not h.gc.is_tracked(atom(h))         # object(): no type slot
    UserClass = new_type(h, b.object)
    UserInt = new_type(h, b.int)
    UserClassSlots = new_type(h, b.object)
    UserFloatSlots = new_type(h, b.float)
    UserIntSlots = new_type(h, b.int)
    with h.alloc(0, 1) as gcmod, h.alloc(0, 4) as gcdict:
        gcmod[0] = gcdict                       # the gc module: md_dict
        assert h.gc.is_tracked(gcmod)
    assert h.gc.is_tracked(UserClass)
    assert h.gc.is_tracked(new_instance(h, UserClass))
    assert h.gc.is_tracked(new_instance(h, UserInt))
    assert h.gc.is_tracked(h.alloc(0, 1))       # []
    assert h.gc.is_tracked(h.alloc(0, 8))       # set()
    assert h.gc.is_tracked(new_instance(h, UserClassSlots))
    assert h.gc.is_tracked(new_instance(h, UserFloatSlots))
    assert h.gc.is_tracked(new_instance(h, UserIntSlots))


def make_c1055820(h, cls, i, extra=0):
    """C1055820(i): self.i = i (an untracked int); self.loop = self. Slots:
    type, i, loop, then extra attributes."""
    c = new_instance(h, cls, 2 + extra)
    with atom(h, i) as n:
        c[1] = n
    c[2] = c
    return c


def test_bug1055820b(h):
    """test_bug1055820b (partial): two self-looped C1055820 instances with
    weak references; after the first collect() nothing is collected (ouch
    empty), after they are dropped and collected every weak reference
    returns None (CPython: ouch == [None, None], read by the weakref
    callback, which has no counterpart)."""
    b = builtins(h)
    C = new_type(h, b.object)
    Cs = [make_c1055820(h, C, i) for i in range(2)]
    WRs = [mheap.ref(c) for c in Cs]
    h.gc.collect()
    assert all(alive(wr) for wr in WRs)
    for c in Cs:
        c.close()
    Cs = None
    h.gc.collect()
    ouch = [wr() for wr in WRs]
    assert len(ouch) == 2
    for x in ouch:
        assert x is None


def test_bug21435(h):
    """test_bug21435 (shape): a = A(); b = B(A()); a.attr = b; b.attr = a,
    dropped; collect() must not crash. B.__del__ has no counterpart.
    CPython asserts nothing; here the three instances are found and freed:
    collect() == 3, what CPython 3.11 returns for the shape without
    B.__del__ (with it, 0: the finalizer breaks the cycle and refcounting
    frees the three before they are counted)."""
    b = builtins(h)
    A = new_type(h, b.object)
    B = new_type(h, b.object)
    h.gc.collect()
    a = new_instance(h, A, 1)
    bb = new_instance(h, B, 2)
    with new_instance(h, A) as x:
        bb[1] = x
        wx = mheap.ref(x)
    a[1] = bb
    bb[2] = a
    a.close()
    bb.close()
    assert h.gc.collect() == 3
    assert not alive(wx)


def test_get_stats(h):
    """test_get_stats: three dicts with exactly collected, collections and
    uncollectable, all >= 0; with collection disabled, collect(0) adds one
    to generation 0's collections only, collect(2) one to generation 2's
    only."""
    stats = h.gc.get_stats()
    assert len(stats) == 3
    for st in stats:
        assert isinstance(st, dict)
        assert set(st) == {"collected", "collections", "uncollectable"}
        assert st["collected"] >= 0
        assert st["collections"] >= 0
        assert st["uncollectable"] >= 0
    assert not h.gc.isenabled()
    old = h.gc.get_stats()
    h.gc.collect(0)
    new = h.gc.get_stats()
    assert new[0]["collections"] == old[0]["collections"] + 1
    assert new[1]["collections"] == old[1]["collections"]
    assert new[2]["collections"] == old[2]["collections"]
    h.gc.collect(2)
    new = h.gc.get_stats()
    assert new[0]["collections"] == old[0]["collections"] + 1
    assert new[1]["collections"] == old[1]["collections"]
    assert new[2]["collections"] == old[2]["collections"] + 1


def test_freeze(h):
    """test_freeze: freeze() makes get_freeze_count() > 0 (a tracked object
    is allocated first: a new heap is empty, CPython's never is);
    unfreeze() makes it 0."""
    x = h.alloc(0, 1)
    h.gc.freeze()
    assert h.gc.get_freeze_count() > 0
    h.gc.unfreeze()
    assert h.gc.get_freeze_count() == 0
    x.close()


def test_get_objects(h):
    """test_get_objects (partial): "l is in gc.get_objects(generation=n)"
    becomes l.info()['generation'] == n: a self-referencing list is in
    generation 0, then 1 after collect(0), 2 after collect(1), and still 2
    after collect(2). get_objects() itself has no counterpart."""
    h.gc.collect()
    l = h.alloc(0, 1)
    l[0] = l
    assert l.info()['generation'] == 0
    h.gc.collect(generation=0)
    assert l.info()['generation'] == 1
    h.gc.collect(generation=1)
    assert l.info()['generation'] == 2
    h.gc.collect(generation=2)
    assert l.info()['generation'] == 2
    l.close()
    h.gc.collect()


def test_resurrection_does_not_block_cleanup_of_other_objects(h):
    """test_resurrection_does_not_block_cleanup_of_other_objects (partial):
    its first step, N = 100 self-looped A() instances: collect() == N, and
    generation 2's collected grows by N, uncollectable by 0. The steps with
    Z (a resurrecting __del__) have no counterpart."""
    N = 100
    b = builtins(h)
    A = new_type(h, b.object)

    def getstats():
        d = h.gc.get_stats()[-1]
        return d['collected'], d['uncollectable']

    h.gc.collect()
    oldc, oldnc = getstats()
    for i in range(N):
        with new_instance(h, A, 1) as a:    # A(): self.me = self
            a[1] = a
    t = h.gc.collect()
    c, nc = getstats()
    assert t == N
    assert c - oldc == N
    assert nc - oldnc == 0


# --- GCTogglingTests (collection enabled) ----------------------------------

def _bug1055820cd(h, with_del):
    b = builtins(h)
    h.gc.enable()                           # GCTogglingTests.setUp
    # The weakref callback (c) or __del__ (d) on c0, and GC_Detector's
    # callback, become reclamation events: they say when an object died
    # without holding it, where probing a mheap.ref would (a collection
    # running meanwhile would find the probed object reachable).
    events = h.events()
    C1055820 = new_type(h, b.object)
    cls = new_type(h, C1055820) if with_del else C1055820
    c0 = make_c1055820(h, cls, 0)
    h.gc.collect()                          # move c0 into generation 2
    assert c0.info()['generation'] == 2

    c1 = make_c1055820(h, C1055820, 1, extra=1)
    c1[3] = c0                              # c1.keep_c0_alive = c0
    c0[2] = None                            # del c0.loop
    c2 = make_c1055820(h, C1055820, 2)
    c2wr = mheap.ref(c2)                    # no callback!
    id_c0 = cookie(c0)                      # CPython: c0wr, with the callback
    assert (c1.info()['generation'], c2.info()['generation']) == (0, 0)
    c0.close()
    c1.close()
    c2.close()

    # GC_Detector: a piece of cyclic trash whose death tells gc happened.
    detector = make_c1055820(h, C1055820, 666)
    id_detector = cookie(detector)
    detector.close()
    died = set()
    junk = []
    i = 0
    try:
        while True:
            while True:
                got = events.read(64, timeout=0)
                if not got:
                    break
                died.update(e.cookie for e in got)
            if id_detector in died:         # detector.gc_happened
                break
            assert id_c0 not in died        # len(ouch) == 0
            i += 1
            assert i <= 10000, "gc didn't happen after 10000 iterations"
            junk.append(h.alloc(0, 1))      # this will eventually trigger gc
        # c0 died (the callback / __del__ ran) and c2 was not resurrected.
        assert id_c0 in died
        ouch = [c2wr()]
        assert len(ouch) == 1
        for x in ouch:
            assert x is None
    finally:
        h.gc.disable()                      # GCTogglingTests.tearDown
        events.close()
        for j in junk:
            j.close()


def test_bug1055820c(h):
    """test_bug1055820c (partial): c0 in generation 2 held only by c1, c1
    and c2 self-loops in generation 0, c2 weakly referenced; junk
    allocations until automatic collection frees the detector, c0 alive
    until then; then c0 is dead (freed by c1's release) and c2wr() is None
    (CPython's ouch == [None]). Deaths are seen as reclamation events; the
    callback on c0's weakref that reads c2wr() has no counterpart: c2wr()
    is read after."""
    _bug1055820cd(h, False)


def test_bug1055820d(h):
    """test_bug1055820d (partial): as test_bug1055820c, with d0 an instance
    of a subclass D (CPython's D.__del__, no counterpart, reads c2wr())."""
    _bug1055820cd(h, True)

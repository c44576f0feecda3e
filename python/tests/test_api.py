# SPDX-License-Identifier: LGPL-2.1-or-later
"""The package's API, case by case (Documentation/python.rst), in the VM."""
import asyncio
import errno
import gc as pygc
import os
import select
import threading
import time

import pytest

import mheap


@pytest.fixture
def h():
    with mheap.Heap() as heap:
        yield heap


def test_alloc_slots_len(h):
    a = h.alloc(16, 3, cookie=7)
    b = h.alloc(0)
    assert len(a) == 3 and len(b) == 0
    assert a[0] is None
    a[1] = b
    c = a[1]
    assert isinstance(c, mheap.Object) and c.handle not in (0, b.handle)
    assert c.info()['cookie'] == 0 and a.info()['cookie'] == 7
    assert a[-2].info() == b.info()
    a[1] = None
    assert a[1] is None
    a[2] = b
    del a[2]
    assert a[2] is None


def test_refcount_frees_on_last_close(h):
    a = h.alloc(8, 1)
    assert h.stats()['objects_live'] == 1
    a.close()
    a.close()                                   # idempotent
    assert a.closed and a.handle == 0
    assert h.stats()['objects_live'] == 0


def test_proxy_death_closes_handle(h):
    a = h.alloc(8)
    del a
    pygc.collect()
    assert h.stats()['objects_live'] == 0
    assert h.stats()['handles'] == 0


def test_with_object_closes(h):
    with h.alloc(8) as a:
        assert not a.closed
    assert a.closed


def test_read_write_payload(h):
    a = h.alloc(16)
    a.write(b'hello', 3)
    assert a.read() == b'\0\0\0hello' + bytes(8)
    assert a.read(5, offset=3) == b'hello'
    m = a.payload
    assert m.nbytes == 16 and not m.readonly
    assert bytes(m[3:8]) == b'hello'
    m[0:2] = b'ok'                              # in place, zero-copy
    assert a.read(2) == b'ok'
    with pytest.raises(BufferError):
        a.close()                               # the view pins it
    m.release()
    a.close()


def test_empty_payload_view(h):
    a = h.alloc(0, 1)
    with a.payload as m:
        assert m.nbytes == 0


def test_gc_names(h):
    g = h.gc
    assert g.isenabled()
    g.disable()
    assert not g.isenabled()
    g.enable()
    g.set_threshold(100, 5)
    assert g.get_threshold() == (100, 5, 10)
    g.set_threshold(700, 10, 10)
    a = h.alloc(0, 1)
    assert g.get_count()[0] >= 1
    assert g.is_tracked(a) and not g.is_tracked(h.alloc(4))
    stats = g.get_stats()
    assert len(stats) == 3
    assert set(stats[0]) == {'collections', 'collected', 'uncollectable'}


def test_cycle_collected(h):
    h.gc.disable()
    a, b = h.alloc(0, 1), h.alloc(0, 1)
    a[0], b[0] = b, a
    wa = mheap.ref(a)
    a.close()
    b.close()
    assert wa() is not None                     # a cycle keeps it alive
    assert h.gc.collect() == 2
    assert wa() is None
    assert h.gc.get_stats()[2]['collected'] == 2


def test_collect_bad_generation(h):
    with pytest.raises(ValueError):
        h.gc.collect(3)
    with pytest.raises(TypeError):
        h.gc.collect('2')


def test_freeze(h):
    a = h.alloc(0, 1)
    h.gc.freeze()
    assert h.gc.get_freeze_count() == 1
    assert a.info()['generation'] == 3
    h.gc.unfreeze()
    assert h.gc.get_freeze_count() == 0


def test_referents_referrers(h):
    a, b, c = h.alloc(0, 2), h.alloc(0, 1), h.alloc(4)
    a[0], a[1], b[0] = b, c, c
    assert [o.info()['size'] for o in h.gc.get_referents(a)] == [0, 4]
    assert len(h.gc.get_referrers(c)) == 2
    assert len(h.gc.get_referents(a, b)) == 3


def test_debug_saveall_garbage(h):
    h.gc.set_debug(mheap.DEBUG_SAVEALL)
    assert h.gc.get_debug() == mheap.DEBUG_SAVEALL
    a = h.alloc(0, 1)
    a[0] = a
    a.close()
    assert h.gc.collect() == 1
    garbage = h.gc.garbage
    assert len(garbage) == 1 and garbage[0][0] is not None
    kept = garbage[0]
    del garbage[:]
    assert len(h.gc.garbage) == 0
    assert kept.info()['refcnt'] == 2           # as gc.garbage's: usable
    kept.close()
    h.gc.set_debug(0)
    assert h.gc.collect() == 1                  # the cycle, back in gen 2
    with pytest.raises(ValueError):
        h.gc.set_debug(1)                       # DEBUG_STATS: no output


def test_weak_ref(h):
    a = h.alloc(4)
    r = mheap.ref(a)
    b = r()
    assert b is not None and b.info()['size'] == 4
    a.close()
    assert r() is not None                      # b holds it
    b.close()
    assert r() is None
    with pytest.raises(TypeError):
        mheap.ref(42)  # type: ignore[arg-type]


def test_batch(h):
    x = h.alloc(0, 2)
    with h.batch() as b:
        p = b.alloc(8, 1, cookie=5)
        q = b.get_slot(x, 0)
        b.write(x, b'')
    assert p.ok and p.value.info()['cookie'] == 5
    assert q.ok and q.value is None
    with h.batch() as b:
        b.set_slot(x, 0, p.value)
        r = b.get_slot(x, 0)
        b.close(p.value)
    assert r.value.info()['cookie'] == 5 and p.value.closed
    buf = bytearray(3)
    y = h.alloc(8)
    y.write(b'abc')
    with h.batch() as b:
        b.read(y, buf)
    assert buf == b'abc'


def test_batch_stops_at_failure(h):
    x = h.alloc(0, 1)
    b = h.batch()
    p = b.alloc(8)
    bad = b.get_slot(x, 5)
    never = b.alloc(8)
    with pytest.raises(OSError) as e:
        b.run()
    assert e.value.errno == errno.EINVAL
    assert p.ok and bad.error is e.value and not never.ran
    k = h.batch(keep_going=True)
    bad, good = k.get_slot(x, 5), k.alloc(1)
    k.run()
    assert bad.error.errno == errno.EINVAL and good.ok


def test_batch_bad_input(h):
    x = h.alloc(0, 1)
    b = h.batch()
    with pytest.raises(TypeError):
        b.set_slot(x, 0, 'not an object')
    with pytest.raises(TypeError):
        b.close(42)
    with pytest.raises(OverflowError):
        b.get_slot(x, -1)
    with pytest.raises(TypeError):
        b.read(x, b'immutable')             # as readinto() of bytes
    assert len(b) == 0                          # nothing was queued
    b.run()                                     # an empty batch: nothing
    x.close()
    with pytest.raises(ValueError):
        b.dup(x)                                # a closed proxy
    with pytest.raises(TypeError):
        mheap.Batch('not a heap')  # type: ignore[arg-type]


def test_batch_grows_to_the_limit(h):
    x = h.alloc(0, 1)
    b = h.batch(keep_going=True)
    ps = [b.get_slot(x, 0) for _ in range(1000)]
    b.run()
    assert all(p.ok and p.value is None for p in ps)


def test_batch_closed_proxy_after_queueing(h):
    x = h.alloc(0, 1)
    b = h.batch()
    p = b.get_slot(x, 0)
    x.close()
    with pytest.raises(FileNotFoundError):
        b.run()
    assert isinstance(p.error, FileNotFoundError)


def test_batch_local_references(h):
    """Pendings of the same batch as operands: a list built, walked and
    its temporaries closed in one call (MHEAP_BATCH_REF)."""
    with h.batch() as b:
        nodes = [b.alloc(0, 2, cookie=i) for i in range(10)]
        for x, y in zip(nodes, nodes[1:]):
            b.set_slot(x, 0, y)
        w = b.get_slot(nodes[0], 0)
        w2 = b.get_slot(w, 0)
        for p in nodes[1:]:
            b.close(p)
        b.close(w)
    assert all(p.value.closed for p in nodes[1:]) and w.value.closed
    assert w2.value.info()['cookie'] == 2
    s = h.stats()
    assert s['objects_live'] == 10 and s['handles'] == 2
    nodes[0].value.close()
    w2.value.close()
    assert h.stats()['objects_live'] == 0


def test_batch_local_reference_errors(h):
    b = h.batch(keep_going=True)
    bad = b.alloc(1 << 40)                      # fails: EINVAL
    dup = b.dup(bad)
    b.run()
    assert bad.error.errno == errno.EINVAL
    assert isinstance(dup.error, FileNotFoundError)   # ENOENT
    with pytest.raises(ValueError):
        b.dup(bad)                              # a Pending that ran
    other = h.batch()
    with pytest.raises(ValueError):
        b.close(other.alloc(1))                 # another batch's
    assert len(b) == 0


def test_batch_exception_in_block_runs_nothing(h):
    with pytest.raises(ZeroDivisionError):
        with h.batch() as b:
            p = b.alloc(1)
            1 / 0
    assert not p.ran and h.stats()['objects_live'] == 0


def test_names(h):
    a = h.alloc(4)
    h.names['config'] = a
    assert 'config' in h.names and list(h.names) == ['config']
    assert h.names['config'].info()['size'] == 4
    with pytest.raises(FileExistsError):
        h.names.bind('config', a)
    del h.names['config']
    with pytest.raises(KeyError):
        h.names['config']
    with pytest.raises(KeyError):
        del h.names['config']
    with pytest.raises(ValueError):
        h.names['bad name!'] = a
    with pytest.raises(TypeError):
        h.names[3] = a  # type: ignore[index]
    assert 3 not in h.names and 'bad name!' not in h.names


def test_scope(h):
    with h.scope() as s:
        a = h.alloc(4)
        b = s.escape(h.alloc(4))
    assert a.closed and not b.closed
    with pytest.raises(ValueError):
        a.read()
    assert h.stats()['handles'] == 1


def test_scope_pinned_by_view(h):
    s = h.scope()
    with pytest.raises(BufferError):
        with s:
            a = h.alloc(4)
            m = a.payload
    assert not a.closed                         # the scope is still open
    m.release()
    s.__exit__(None, None, None)                # its end, tried again
    assert a.closed and h.stats()['handles'] == 0
    with h.scope():                             # and scopes work on
        pass


def test_scope_entered_twice(h):
    s = h.scope()
    with s:
        with pytest.raises(RuntimeError):
            s.__enter__()
    assert h.stats()['handles'] == 0


def test_scopes_end_in_order(h):
    outer, inner = h.scope(), h.scope()
    outer.__enter__()
    inner.__enter__()
    with pytest.raises(OSError) as e:
        outer.__exit__(None, None, None)
    assert e.value.errno == errno.EBUSY
    inner.__exit__(None, None, None)
    outer.__exit__(None, None, None)


def test_events(h):
    with h.events(16) as ev:
        assert ev.capacity == 16
        h.alloc(1, cookie=11).close()
        e = next(ev)
        assert e == (11, 'refcount', None) and e.cookie == 11
        assert ev.read(timeout=0) == []
        a = h.alloc(0, 1, cookie=12)
        a[0] = a
        a.close()
        h.gc.collect()
        # found in generation 0 by a full collection
        assert ev.read(timeout=5) == [(12, 'collector', 0)]
    with pytest.raises(ValueError):
        ev.read()


def test_events_bad_arguments(h):
    with h.events() as ev:
        for bad in (-1, -0.0001, float('nan')):
            with pytest.raises(ValueError):
                ev.read(timeout=bad)
        for bad in (0, 65, -1):
            with pytest.raises((ValueError, OverflowError)):
                ev.read(bad, timeout=0)
        h.alloc(1, cookie=1).close()
        assert ev.read(1, timeout=0.0001) == [(1, 'refcount', None)]


def test_events_closed_during_a_wait(h):
    ev = h.events()
    got = []

    def wait():
        try:
            ev.read(1, timeout=5)
        except Exception as e:
            got.append(e)

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.3)
    ev.close()
    t.join()
    assert len(got) == 1 and isinstance(got[0], ValueError)


def test_events_poll_and_asyncio(h):
    ev = h.events()
    p = select.poll()
    p.register(ev.fileno(), select.POLLIN)
    assert p.poll(0) == []
    h.alloc(1, cookie=3).close()
    assert p.poll(1000)

    async def main():
        loop = asyncio.get_running_loop()
        got = asyncio.Event()
        loop.add_reader(ev.fileno(), got.set)
        await asyncio.wait_for(got.wait(), 5)
        loop.remove_reader(ev.fileno())
        return ev.read(timeout=0)

    assert asyncio.run(main()) == [(3, 'refcount', None)]
    ev.close()


def test_export_import(h):
    a = h.alloc(4, cookie=9)
    t = a.export()
    b = h.import_token(t)
    assert b.info()['cookie'] == 9
    with pytest.raises(FileNotFoundError):
        h.import_token(t)


def test_new_client_shares_heap(h):
    a = h.alloc(4)
    a.write(b'data')
    h.names['shared'] = a
    with h.new_client() as c, c.open() as h2:
        b = h2.names['shared']
        assert b.read() == b'data'
        assert h2.stats()['clients'] == 2


def test_readonly_client(h):
    a = h.alloc(4)
    h.names['x'] = a
    with h.new_client(readonly=True) as c, c.open() as ro:
        assert ro.readonly
        b = ro.names['x']
        assert b.read() == bytes(4)
        with pytest.raises(OSError) as e:
            b.write(b'1')
        assert e.value.errno == errno.EBADF
        with pytest.raises(OSError) as e:
            ro.alloc(1)
        assert e.value.errno == errno.EBADF
        assert b.payload.readonly
        with pytest.raises(TypeError):
            memoryview(b)[0:1] = b'x'       # cannot modify read-only memory


def test_errors_name_the_call(h):
    a = h.alloc(4, 1)
    with pytest.raises(OSError) as e:
        h.alloc(1 << 40)
    assert e.value.errno == errno.EINVAL and 'alloc(size=' in str(e.value)
    assert 'EINVAL' in str(e.value)
    with pytest.raises(OSError) as e:
        a.write(b'12345')
    assert e.value.errno == errno.EINVAL and 'write(' in str(e.value)


def test_bad_input(h):
    a = h.alloc(4, 2)
    with pytest.raises(IndexError):
        a[2]
    with pytest.raises(IndexError):
        a[2] = None
    with pytest.raises(IndexError):
        a[-3]
    with pytest.raises(TypeError):
        a['x']
    with pytest.raises(TypeError):
        a[0] = 5
    with pytest.raises(TypeError):
        h.alloc('big')
    with pytest.raises(OverflowError):
        h.alloc(-1)
    with pytest.raises(OverflowError):
        h.alloc(1, cookie=-1)
    with pytest.raises(TypeError):
        a.write('str')
    with pytest.raises(OverflowError):
        h.alloc(1, 1 << 32)
    with pytest.raises(TypeError):
        h.alloc(1.5)
    with pytest.raises(OverflowError):
        a.read(offset=-1)
    with pytest.raises(TypeError):
        mheap.Object()
    with mheap.Heap() as other:
        with pytest.raises(ValueError):
            a[0] = other.alloc(1)


def test_closed_object(h):
    a = h.alloc(4, 1)
    b = h.alloc(4, 1)
    a.close()
    for call in (lambda: a[0], lambda: a.read(), lambda: a.write(b'x'),
                 lambda: len(a), lambda: a.dup(), lambda: a.info(),
                 lambda: a.export(), lambda: mheap.ref(a),
                 lambda: a.payload):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(ValueError):
        b[0] = a
    assert repr(a) == '<mheap.Object closed>'


def test_heap_closed_under_live_proxies():
    h = mheap.Heap()
    a = h.alloc(4, 1)
    r = mheap.ref(a)
    m = a.payload
    with pytest.raises(BufferError):
        h.close()
    m.release()
    h.close()
    h.close()
    assert a.closed and h.closed
    for call in (lambda: a[0], lambda: a.read(), lambda: h.alloc(1),
                 lambda: h.gc.collect(), lambda: r(), lambda: h.fileno(),
                 lambda: h.names['x'], lambda: h.stats()):
        with pytest.raises(ValueError):
            call()
    del a, r                                    # no crash on the way out


def test_missing_device():
    with pytest.raises(FileNotFoundError):
        mheap.Heap('/dev/no-such-mheap')


def test_descriptors_that_are_not_clients(h):
    r, w = os.pipe()
    try:
        for fd in (r, w):
            with pytest.raises(OSError) as e:
                mheap.Heap(fd=fd)
            assert e.value.errno == errno.ENOTTY
    finally:
        os.close(r)
        os.close(w)
    with pytest.raises(ValueError):
        mheap.Heap(fd=-2)
    with pytest.raises(ValueError):
        mheap.Heap(fd=h.fileno(), readonly=True)
    with pytest.raises(TypeError):
        mheap.Client('x')  # type: ignore[arg-type]


def test_threads_share_a_heap(h):
    root = h.alloc(0, 64)
    errors = []

    def worker(k):
        try:
            for i in range(200):
                o = h.alloc(8, 1)
                root[k] = o
                o[0] = root
                if i % 50 == 0:
                    h.gc.collect(0)
        except Exception as e:                  # reported below
            errors.append(e)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []
    root.close()
    h.gc.collect()
    assert h.stats()['objects_live'] == 0


def test_fork_child_inherits_client(h):
    a = h.alloc(4)
    h.names['p'] = a
    with h.new_client() as c:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                with c.open() as h2:
                    h2.names['p'].write(b'kid!')
                    code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert a.read() == b'kid!'

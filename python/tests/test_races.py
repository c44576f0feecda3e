# SPDX-License-Identifier: LGPL-2.1-or-later
"""Two threads of one process on one heap: what a breaker found.

Each case races a close (of the heap, or of a proxy) against a call that
releases the GIL, many times; before the fix, the first two crashed the
interpreter and the third left a view on another object's bytes.
"""
import threading

import pytest

import mheap

ROUNDS = 200


def race(target, closer, rounds=ROUNDS, warm=3):
    """Run target in a thread until closer() returns True.

    closer() is first called once the thread has made warm calls, so that
    the close meets a thread that is running, not one not yet started.
    """
    stop = threading.Event()
    running = threading.Event()
    errors = []
    calls = [0]

    def loop():
        while not stop.is_set():
            try:
                target()
            except ValueError:
                pass                    # closed: the documented answer
            except Exception as e:      # anything else is the failure
                errors.append(e)
                return
            calls[0] += 1
            if calls[0] >= warm:
                running.set()

    t = threading.Thread(target=loop)
    t.start()
    try:
        if running.wait(30):
            for _ in range(rounds):
                if closer():
                    break
    finally:
        stop.set()
        t.join()
    assert errors == []
    assert calls[0] >= warm, 'the racing thread never got going'


@pytest.mark.parametrize('round', range(5))
def test_payload_view_while_the_heap_closes(round):
    h = mheap.Heap()
    a = h.alloc(16)

    def close():
        try:
            h.close()
            return True
        except BufferError:
            return False

    race(lambda: a.payload.release(), close)


@pytest.mark.parametrize('round', range(5))
def test_referents_while_the_heap_closes(round):
    h = mheap.Heap()
    a = h.alloc(0, 8)
    for i in range(8):
        a[i] = h.alloc(1)

    def close():
        h.close()
        return True

    race(lambda: h.gc.get_referents(a), lambda: False, rounds=20)
    race(lambda: h.gc.get_referents(a), close)


def test_no_view_outlives_a_close():
    with mheap.Heap() as h:
        for _ in range(20):
            a = h.alloc(4096)
            views = []
            stop = threading.Event()

            def take():
                while not stop.is_set():
                    try:
                        views.append(a.payload)
                    except ValueError:
                        return          # closed

            t = threading.Thread(target=take)
            t.start()
            while True:
                for v in list(views):
                    v.release()
                try:
                    a.close()
                    break
                except BufferError:
                    continue
            stop.set()
            t.join()
            # every view taken was released before the close succeeded
            live = []
            for v in views:
                try:
                    v.tobytes()
                    live.append(v)
                except ValueError:
                    pass                # released
            assert live == []


def test_proxy_closed_during_a_call():
    with mheap.Heap() as h:
        x = h.alloc(8, 1)
        for _ in range(50):
            a = h.alloc(8, 1)

            def use():
                a[0] = x
                a.info()
                a[0]

            race(use, lambda: a.close() or True, rounds=1)


def test_scopes_of_two_threads():
    with mheap.Heap() as h:
        outer = h.scope()
        outer.__enter__()
        other = []

        def inner():
            try:
                with h.scope():
                    pass
            except Exception as e:
                other.append(e)

        t = threading.Thread(target=inner)
        t.start()
        t.join()
        outer.__exit__(None, None, None)
        # the other thread's scope nested in ours: it began and ended
        assert other == [] and h.stats()['handles'] == 0

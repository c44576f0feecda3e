# SPDX-License-Identifier: LGPL-2.1-or-later
"""Clients handed to other processes with multiprocessing, and killed."""
import multiprocessing
import os
import signal

import pytest

import mheap

CHILD_OBJECTS = 100


def child(conn):
    """Take a client from the pipe, make objects only it holds (a cycle
    among them), link one into the parent's root, then wait to be
    killed."""
    client = conn.recv()
    h = client.open()
    client.close()
    root = h.names['root']
    mine = [h.alloc(16, 1, cookie=1000 + i) for i in range(CHILD_OBJECTS)]
    mine[0][0], mine[1][0] = mine[1], mine[0]
    kept = h.alloc(8, 0, cookie=7)
    root[0] = kept                      # held by the heap, not the child
    dups = [root.dup() for _ in range(10)]
    conn.send(('ready', len(mine), len(dups)))
    signal.pause()


@pytest.mark.parametrize('method', ['spawn', 'fork'])
def test_killed_child_loses_its_references(method):
    ctx = multiprocessing.get_context(method)
    with mheap.Heap() as h:
        h.gc.disable()
        root = h.alloc(8, 4)
        root.write(b'parent!!')
        h.names['root'] = root
        parent_end, child_end = ctx.Pipe()
        p = ctx.Process(target=child, args=(child_end,))
        p.start()
        try:
            with h.new_client() as client:
                parent_end.send(client)  # the descriptor, passed by pickle
            assert parent_end.poll(120), 'the child did not get ready'
            assert parent_end.recv() == ('ready', CHILD_OBJECTS, 10)
            s = h.stats()
            assert s['clients'] == 2
            assert s['objects_live'] == 1 + CHILD_OBJECTS + 1
            # ours, the name's, the child's lookup and its ten dups
            assert root.info()['refcnt'] == 3 + 10
        finally:
            os.kill(p.pid, signal.SIGKILL)
            p.join(60)
        assert p.exitcode == -signal.SIGKILL
        # the child's file is gone with it: its handles with it
        assert h.stats()['clients'] == 1
        assert root.info()['refcnt'] == 2       # our handle and the name
        # refcounting freed all but the cycle, which the collector takes
        assert h.stats()['objects_live'] == 2 + 2
        assert h.gc.collect() == 2
        assert h.stats()['objects_live'] == 2
        assert root.read() == b'parent!!'
        kept = root[0]
        assert kept is not None and kept.info()['cookie'] == 7


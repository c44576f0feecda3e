# SPDX-License-Identifier: LGPL-2.1-or-later
"""mheap from Python: heaps, objects with reference slots, and the cycle
collector, with the gc module's names (Documentation/python.rst).

    import mheap

    with mheap.Heap() as h:          # opens /dev/mheap: a new, private heap
        a = h.alloc(16, 1)           # 16 payload bytes, 1 reference slot
        b = h.alloc(16, 1)
        a[0], b[0] = b, a            # a cycle
        a.close(); b.close()         # unreachable now, but not freed
        assert h.gc.collect() == 2   # the collector finds both

Every operation is one ioctl (one system call) through libmheap; a batch
(Heap.batch()) runs many in one. Errors are OSError subclasses chosen by
errno (FileNotFoundError for ENOENT, ...), whose message names the call;
misuse of the Python API (a closed object, a wrong type, a slot out of
range) raises ValueError, TypeError or IndexError as built-in types do.
"""
import collections.abc
import math
import operator
import os

from . import _mheap
from ._mheap import Batch, Object, Pending

__all__ = ['Heap', 'Object', 'Client', 'ref', 'Event', 'Batch', 'Pending',
           'Scope', 'Events', 'DEBUG_SAVEALL', 'DEFAULT_DEVICE']

#: gc.DEBUG_SAVEALL's value: unreachable objects go to gc.garbage.
DEBUG_SAVEALL = 32
#: The device a Heap opens by default.
DEFAULT_DEVICE = '/dev/mheap'


class Heap(_mheap._Heap):
    """One client of a heap: an open file of /dev/mheap and its handles.

    Heap() or Heap(path) opens the device: a new, private heap with this
    client as its first. Heap(fd=n) becomes a client given as a file
    descriptor (Client.fileno(), or one received from another process);
    the descriptor is duplicated, so the caller still owns n.
    Heap(readonly=True) opens the device O_RDONLY (a read-only client);
    with fd= it is refused (ValueError): a descriptor's access mode is
    its own, and Heap.new_client(readonly=True) makes a read-only one.
    The heap lives until its last client is closed; closing this one
    (close(), or leaving a with block) closes every handle it holds, and
    its proxies raise ValueError from then on.

    Errors: PermissionError (EACCES) outside the device's group,
    FileNotFoundError without the module, OSError EMFILE past the
    per-user heap limit, OSError ENOTTY for a path or descriptor that is
    not a client of a heap, OSError EBADF for a closed descriptor.
    """

    def __init__(self, path=DEFAULT_DEVICE, *, fd=None, readonly=False):
        super().__init__(path, fd=fd, readonly=readonly)
        self.gc = GC(self)
        self.names = Names(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        state = 'closed' if self.closed else f'fd {self.fileno()}'
        return f'<mheap.Heap {state}{" read-only" if self.readonly else ""}>'

    def batch(self, keep_going=False):
        """A Batch: operations queued in a with block, run in one call at
        its end:

            with h.batch() as b:
                p = b.alloc(16, 2)
                b.set_slot(x, 0, y)
            obj = p.value

        Each Batch method queues one operation and returns its Pending.
        Without keep_going the batch stops at the first failed operation
        and raises its OSError, once every earlier result is set (objects
        created before the failure are in their Pending); with keep_going
        every operation runs and failures stay in their Pending. Where an
        operation takes an object, the Pending of an earlier operation of
        the same batch names the object that operation gives (a
        batch-local reference, MHEAP_BATCH_REF), so a structure can be
        built, walked and its temporaries closed in one call:

            with h.batch() as b:
                a, c = b.alloc(0, 1), b.alloc(0, 1)
                b.set_slot(a, 0, c)
                b.close(c)              # c lives on in a's slot

        A Pending of another batch, or of one that ran, is ValueError:
        use its value."""
        return Batch(self, keep_going)

    def scope(self):
        """A Scope: a with block whose new handles close at its end, as a
        function's locals go when it returns (see Scope)."""
        return Scope(self)

    def events(self, capacity=0):
        """Subscribe to reclamation events: an Events iterator (see
        Events). capacity: records queued, 1 to 65536, 0 for the default
        1024. Errors: OSError EBUSY when subscribed already."""
        return Events(self, capacity)

    def new_client(self, readonly=False):
        """Another client of this heap, as a Client to hand to another
        process (multiprocessing pickles it by passing its descriptor).
        readonly: the new client may look but not change anything; a
        read-only heap can only make read-only clients (else OSError
        EBADF)."""
        return Client(self._new_client(readonly))


class Client:
    """A client of a heap not yet in use: an owned file descriptor.

    Heap(fd=client.fileno()) uses it in this process (the Heap takes a
    duplicate); pickling it for multiprocessing passes the descriptor to
    the receiving process (multiprocessing.reduction.DupFd), where
    client.open() makes its Heap. close() closes the descriptor.
    """

    def __init__(self, fd):
        self._fd = -1
        self._fd = operator.index(fd)

    def fileno(self):
        """The descriptor (int); ValueError once closed."""
        if self._fd < 0:
            raise ValueError('the client is closed')
        return self._fd

    def open(self):
        """The Heap of this client (a duplicate of the descriptor)."""
        return Heap(fd=self.fileno())

    def close(self):
        """Close the descriptor (idempotent)."""
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def __reduce__(self):
        from multiprocessing import reduction
        return _rebuild_client, (reduction.DupFd(self.fileno()),)


def _rebuild_client(dupfd):
    return Client(dupfd.detach())


class GC:
    """The heap's cycle collector, with the gc module's names and meaning
    (CPython's Python/gc.c algorithm: three generations, gc_refs,
    subtract_refs). Reached as Heap.gc."""

    DEBUG_SAVEALL = DEBUG_SAVEALL

    def __init__(self, heap):
        self._heap = heap

    def enable(self):
        """Turn automatic collection on (allocations past threshold[0])."""
        self._heap._gc_op(_mheap.GC_ENABLE)

    def disable(self):
        """Turn automatic collection off; collect() still works."""
        self._heap._gc_op(_mheap.GC_DISABLE)

    def isenabled(self):
        """True while automatic collection is on."""
        return self._heap._gc_stats()['enabled']

    def collect(self, generation=2):
        """Collect generations 0 to generation (0-2) now, even when
        disabled; returns the unreachable objects found (int), as
        gc.collect(). ValueError for another generation."""
        if not isinstance(generation, int):
            raise TypeError('generation must be an int')
        if generation not in (0, 1, 2):
            raise ValueError('invalid generation')
        return self._heap._collect(generation)

    def get_count(self):
        """(count0, count1, count2), as gc.get_count()."""
        return self._heap._gc_stats()['count']

    def get_threshold(self):
        """(threshold0, threshold1, threshold2), as gc.get_threshold()."""
        return self._heap._gc_stats()['threshold']

    def set_threshold(self, threshold0, threshold1=None, threshold2=None):
        """As gc.set_threshold(): thresholds not given keep their values.
        Each is 0 to 2**32 - 1 (0 for threshold0 turns automatic
        collection off, as in CPython)."""
        t = list(self.get_threshold())
        for i, v in enumerate((threshold0, threshold1, threshold2)):
            if v is not None:
                t[i] = v
        self._heap._set_threshold(*t)

    def get_stats(self):
        """One dict per generation with 'collections', 'collected' and
        'uncollectable' (always 0: no legacy finalizers), as
        gc.get_stats(); Heap.gc.stats() has the rest."""
        return [{k: g[k] for k in ('collections', 'collected',
                                   'uncollectable')}
                for g in self._heap._gc_stats()['generations']]

    def stats(self):
        """Everything the collector reports (struct mheap_gc_stats): the
        state, counts, thresholds, freeze count, garbage list length and
        per generation its collections, objects collected and examined,
        and pause times in nanoseconds."""
        return self._heap._gc_stats()

    def freeze(self):
        """Move every tracked object to the permanent generation, never
        collected (gc.freeze())."""
        self._heap._gc_op(_mheap.GC_FREEZE)

    def unfreeze(self):
        """Move the permanent generation back to the oldest
        (gc.unfreeze())."""
        self._heap._gc_op(_mheap.GC_UNFREEZE)

    def get_freeze_count(self):
        """Objects in the permanent generation (gc.get_freeze_count())."""
        return self._heap._gc_stats()['freeze_count']

    def set_debug(self, flags):
        """DEBUG_SAVEALL or 0: with it, collections keep unreachable
        objects in garbage instead of freeing them. The gc module's other
        flags print diagnostics, which mheap does not: ValueError."""
        if flags & ~DEBUG_SAVEALL:
            raise ValueError('only DEBUG_SAVEALL is supported')
        self._heap._gc_op(_mheap.GC_SAVE_ALL if flags
                          else _mheap.GC_NO_SAVE_ALL)

    def get_debug(self):
        """DEBUG_SAVEALL while set, else 0."""
        return DEBUG_SAVEALL if self._heap._gc_stats()['save_all'] else 0

    @property
    def garbage(self):
        """The garbage list (DEBUG_SAVEALL's objects), oldest first: a
        Garbage sequence of new proxies; garbage.clear() (or
        del garbage[:]) releases the list, as gc.garbage.clear()."""
        return Garbage(self._heap)

    def is_tracked(self, obj):
        """True when the collector sees obj: it has reference slots."""
        return obj.info()['tracked']

    def get_referents(self, *objs):
        """The objects the slots of objs hold, in slot order (new
        proxies), as gc.get_referents()."""
        out = []
        for o in objs:
            out += self._heap._refs(_mheap.MHEAP_REFS_REFERENTS, o)
        return out

    def get_referrers(self, *objs):
        """The tracked objects whose slots hold any of objs (new
        proxies), as gc.get_referrers()."""
        out = []
        for o in objs:
            out += self._heap._refs(_mheap.MHEAP_REFS_REFERRERS, o)
        return out


class Garbage(collections.abc.Sequence):
    """gc.garbage for a heap: the objects the collector kept under
    DEBUG_SAVEALL, read when made."""

    def __init__(self, heap):
        self._heap = heap
        self._items = heap._refs(_mheap.MHEAP_REFS_GARBAGE, None)

    def __len__(self):
        return len(self._items)

    def __getitem__(self, i):
        return self._items[i]

    def __delitem__(self, i):
        if i != slice(None):
            raise TypeError('only the whole garbage list can be deleted')
        self.clear()

    def clear(self):
        """Release the garbage list; returns how many objects left it.
        As with gc.garbage, a proxy the caller took from the list stays
        usable: its object lives on while the proxy holds it."""
        self._items = []            # our proxies go, with their handles
        return self._heap._gc_op(_mheap.GC_RELEASE)

    def __repr__(self):
        return f'<mheap garbage: {len(self._items)} objects>'


class Names(collections.abc.MutableMapping):
    """The heap's named roots, shared by all its clients: names[k] = obj
    binds (replacing), names[k] is a new proxy, del names[k] unbinds.
    A name is 1 to 63 bytes of [A-Za-z0-9._:/-] (else ValueError); a
    binding holds a reference. KeyError for an unbound name."""

    def __init__(self, heap):
        self._heap = heap

    def __getitem__(self, name):
        return self._heap._name_lookup(name)

    def __setitem__(self, name, obj):
        self._heap._name_bind(name, obj, True)

    def __delitem__(self, name):
        self._heap._name_unbind(name)

    def __iter__(self):
        return iter(self._heap._name_list())

    def __len__(self):
        return len(self._heap._name_list())

    def __contains__(self, name):
        try:
            self._heap._name_lookup(name)
        except (KeyError, TypeError, ValueError):
            return False
        return True

    def bind(self, name, obj):
        """Bind name only if unbound: FileExistsError (EEXIST) if not."""
        self._heap._name_bind(name, obj, False)


class ref:
    """A weak reference to an Object, as weakref.ref: ref(obj)() is a new
    proxy on the object while it lives, None once it is freed. It holds
    a weak handle (MHEAP_DUP_WEAK), closed with the ref."""

    __slots__ = ('_heap', '_weak', '__weakref__')

    def __init__(self, obj):
        if not isinstance(obj, Object):
            raise TypeError(f'cannot create an mheap.ref to {type(obj).__name__!r}')
        self._heap = obj.heap
        self._weak = obj._dup_weak()

    def __call__(self):
        return self._heap._upgrade(self._weak)

    def __del__(self):
        w, self._weak = getattr(self, '_weak', 0), 0
        if w:
            self._heap._close_handle(w)

    def __repr__(self):
        return f'<mheap.ref {"dead" if self() is None else "alive"}>'


class Event(tuple):
    """A reclamation record: (cookie, reason, generation). reason is
    'refcount', 'collector' or 'overflow' (cookie then counts the lost
    events); generation is None for untracked objects and overflows."""

    __slots__ = ()
    _REASONS = {_mheap.MHEAP_EVENT_REFCOUNT: 'refcount',
                _mheap.MHEAP_EVENT_COLLECTOR: 'collector',
                _mheap.MHEAP_EVENT_OVERFLOW: 'overflow'}

    def __new__(cls, cookie, reason, generation):
        gen = None if generation == _mheap.MHEAP_EVENT_NO_GEN else generation
        return super().__new__(cls, (cookie, cls._REASONS.get(reason, reason),
                                     gen))

    cookie = property(lambda self: self[0],
                      doc='The cookie given to alloc(); for an overflow, '
                          'the number of events lost.')
    reason = property(lambda self: self[1],
                      doc="'refcount', 'collector' or 'overflow'.")
    generation = property(lambda self: self[2],
                          doc='The generation the object was freed from '
                              '(0-2, 3: frozen), or None.')

    def __repr__(self):
        return (f'Event(cookie={self[0]}, reason={self[1]!r}, '
                f'generation={self[2]})')


class Events:
    """Reclamation events: each object this client allocates while
    subscribed is reported once, as an Event, when it is freed.

    Iterating blocks for the next event (KeyboardInterrupt ends the
    wait); read(max, timeout) returns what is there. fileno() is
    readable while events wait, for select, selectors or asyncio's
    loop.add_reader(). close() (or the with block's end) unsubscribes
    and drops what is queued.
    """

    def __init__(self, heap, capacity=0):
        self._heap = heap
        self.capacity = heap._events_subscribe(capacity)
        self._closed = False

    def fileno(self):
        """The heap client's descriptor: readable while events wait."""
        return self._heap.fileno()

    def read(self, max=64, timeout=None):
        """Up to max (1-64) events, as a list; waits up to timeout
        seconds (None or inf: until one comes; 0: not at all; rounded up
        to milliseconds), [] if none came. ValueError for a negative or
        NaN timeout, a max out of range, or once closed (also when
        another thread closes it during the wait)."""
        if self._closed:
            raise ValueError('the subscription is closed')
        if timeout is None:
            ms = -1
        else:
            t = float(timeout)
            if not t >= 0:
                raise ValueError('timeout must be non-negative or None')
            ms = -1 if math.isinf(t) else min(math.ceil(t * 1000),
                                              2**31 - 1)
        try:
            return [Event(*t) for t in self._heap._events_read(max, ms)]
        except OSError:
            if self._closed:
                raise ValueError('the subscription is closed') from None
            raise

    def __iter__(self):
        return self

    def __next__(self):
        ev = self.read(1)
        return ev[0]

    def close(self):
        """Unsubscribe (idempotent); queued events are dropped."""
        if not self._closed and not self._heap.closed:
            self._closed = True
            self._heap._events_unsubscribe()
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Scope:
    """A handle scope (MHEAP_IOC_SCOPE), like a function's frame: every
    handle made inside the with block (alloc, dup, slots read, names
    looked up) is closed at its end, and its proxies report closed.
    escape(obj) moves one proxy to the enclosing scope, as a return
    value. Scopes nest 64 deep (OSError ENOSPC beyond). They end in the
    order they began: ending one while a scope inside it is open gives
    OSError EBUSY, as the kernel says; one thread of a heap opens and
    ends them (RuntimeError when two threads' scopes interleave). A
    Scope is entered once at a time (RuntimeError). When its end fails
    (BufferError while a view of one of its objects exists), the scope
    stays open and its end may be tried again: __exit__ once the view
    is released."""

    def __init__(self, heap):
        self._heap = heap
        self._level = 0
        self.closed = 0

    def __enter__(self):
        if self._level:
            raise RuntimeError('this scope is open already')
        self._level = self._heap._scope_push()
        return self

    def __exit__(self, *exc):
        if self._level and not self._heap.closed:
            self.closed = self._heap._scope_pop(self._level)
        self._level = 0

    def escape(self, obj):
        """Keep obj past this scope's end (it moves to the enclosing
        scope, or to none). Returns obj."""
        self._heap._scope_escape(obj)
        return obj

/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mheap: a managed-object heap in the kernel, reached through /dev/mheap.
 *
 * This header is the whole contract between the module and userspace.
 *
 * Protocol
 * --------
 * Every open() of /dev/mheap creates a new, private heap and its first
 * client. A client is an open file on a heap with its own handle table:
 * handles are small positive integers naming objects, valid in that client
 * only. MHEAP_IOC_NEW_CLIENT makes another client of the same heap, as a
 * new file descriptor to hand to another process (fork, SCM_RIGHTS). A
 * heap lives until its last client is closed; closing a client closes its
 * handles. open() fails with EMFILE when the caller's effective uid already
 * holds max_heaps_per_user heaps (a module parameter, default 128), and
 * with ENOMEM when memory is short.
 *
 * Objects have a payload (bytes) and reference slots (each holds another
 * object, or nothing). An object lives while a strong handle or a slot
 * holds it; cycles of objects that nothing else holds are reclaimed by the
 * heap's generational cycle collector.
 *
 * Handles are __u32; 0 is never a handle and means "none" (an empty slot).
 * A closed handle's value is never reused by its client. A weak handle
 * (MHEAP_DUP_WEAK) names its object without keeping it alive.
 *
 * The payload mapping (MHEAP_FEATURE_MMAP): mmap() of a client, shared
 * (MAP_SHARED; MAP_PRIVATE gives EINVAL), maps the heap's payload bytes,
 * and nothing else, into the process: an object's payload is at its
 * MHEAP_IOC_INFO map_offset, and programs read and write it in place. The
 * layout is fixed: arena n of the payload space lies at n * MHEAP_MAP_STRIDE,
 * whatever is mapped, so a program maps once (any length; map_size in
 * MHEAP_IOC_HEAP_STATS is how far the arenas reach now, MHEAP_MAP_MAX the
 * most they ever can) and the mapping follows the heap: pages appear as
 * arenas are added, and an arena's pages disappear from every mapping
 * before it is released (touching them then gives SIGBUS, never another
 * heap's memory). Every client of a heap sees every payload of the heap:
 * handles name objects, they do not hide bytes. A client whose file is
 * read-only (open(O_RDONLY), MHEAP_CLIENT_RDONLY) can only map it
 * read-only; one opened O_WRONLY (a writable client, as O_RDWR) cannot map
 * it at all (EACCES, as for any file not open for reading). The pages
 * are the arenas' own, charged once, to the memory cgroup that allocated
 * them.
 *
 * Read-only clients
 * -----------------
 * A client opened read-only (open(O_RDONLY), or MHEAP_CLIENT_RDONLY) may
 * look at everything and hold references of its own (its handles, scopes,
 * tokens and event subscription), but may not change an object's payload
 * or slots, create objects, or change the heap's settings, names or
 * collector. Every call below that needs write access fails with EBADF
 * (as write(2) on a file not open for writing) and changes nothing: ALLOC,
 * SET_SLOT, WRITE and GC before looking at anything else; CONFIG, NAME
 * and NEW_CLIENT, whose argument says whether they write, once the
 * argument was read (so an argument that cannot be read gives EFAULT, a
 * short one EINVAL). A batch operation that needs write access gets EBADF
 * in its @result. The table, one row per entry point:
 *
 *   VERSION, INFO, GC_STATS, HEAP_STATS,
 *   MODULE_STATS, REFS, NAMES              allowed
 *   DUP (strong or weak), CLOSE, GET_SLOT,
 *   READ, EXPORT, IMPORT, SCOPE (all ops)  allowed: the client's own
 *                                          handles and references
 *   EVENTS (SUBSCRIBE, UNSUBSCRIBE)        allowed
 *   NAME                                   LOOKUP allowed; BIND, UNBIND:
 *                                          EBADF
 *   CONFIG                                 reading (@flags 0) allowed;
 *                                          SET_CAPACITY, SET_THRESHOLD:
 *                                          EBADF
 *   NEW_CLIENT                             with MHEAP_CLIENT_RDONLY
 *                                          allowed; without it EBADF
 *   ALLOC, SET_SLOT, WRITE, GC (every op)  EBADF
 *   BATCH                                  allowed; each operation as its
 *                                          ioctl: ALLOC, SET_SLOT and
 *                                          WRITE get EBADF
 *   read(), poll()                         allowed
 *   mmap()                                 PROT_READ only: a writable
 *                                          MAP_SHARED mapping, or
 *                                          mprotect() to writable, gets
 *                                          EACCES from the kernel
 *
 * Rights never grow: a client made from a read-only one is read-only,
 * whether by NEW_CLIENT (which must ask for MHEAP_CLIENT_RDONLY), by
 * dup(), fork() or SCM_RIGHTS (the same file), just as dup() of an
 * O_RDONLY file gives no write access. Handles and tokens carry no rights
 * of their own: what a client may do with an object is decided by the
 * client alone.
 *
 * Every ioctl takes a pointer to one argument structure. The structures
 * use fixed-width types only, are padded explicitly to a multiple of 8
 * bytes, and carry pointers and lengths as __u64, so 32-bit and 64-bit
 * callers share one layout.
 *
 * Structures grow only at their end. The size a caller was built with is
 * encoded in the ioctl number (_IOC_SIZE); the module accepts any size from
 * the first published one upwards:
 *   - a caller older than the module passes a shorter structure: the fields
 *     it does not know read as zero and are not written back;
 *   - a caller newer than the module passes a longer structure: accepted
 *     only if every byte the module does not know is zero (else -E2BIG).
 *
 * Errors common to every ioctl (negative errno from the ioctl, errno in
 * userspace); each structure below lists its own:
 *   ENOTTY  unknown ioctl number, magic or direction;
 *   EINVAL  structure shorter than its first version, nonzero reserved
 *           field, unknown flag or operation;
 *   E2BIG   a newer caller set a field this module does not know;
 *   EFAULT  the argument, or a buffer it points to, cannot be read or
 *           written;
 *   EBADF   the call needs write access and the client is read-only
 *           (see "Read-only clients");
 *   ENOENT  a handle that is not open in this client (never was, closed,
 *           or another client's);
 *   ESTALE  a weak handle whose object has been freed;
 *   ENOMEM  kernel memory (or the caller's memory cgroup) exhausted;
 *   EINTR   a signal arrived before the call changed anything (a fatal
 *           one, while the call waited for the heap, e.g. during a
 *           collection: every ioctl waits killably).
 * An ioctl that fails changes nothing (MHEAP_IOC_BATCH: see there), but
 * for the idle arenas a heap keeps as a cache (spares, counted in
 * arena_bytes): those freed to fit under the module parameter
 * total_capacity, for an arena whose allocation then failed, or because
 * the call allocated again after an arena took their room, are not
 * brought back; and spares over the module parameter max_spare_arenas go
 * once idle for spare_decay_ms, at the end of any call, failed or not
 * (Documentation/heap.rst).
 *
 * Input and output fields: a field a call only writes ("out", for that
 * call or that operation) is ignored on input, so that a structure may be
 * passed again as a call left it (an EXPORT's struct mheap_token to
 * IMPORT, for instance); a field the call does not use at all ("must be
 * zero", reserved fields, a batch operation's unused arguments) must be
 * zero, else EINVAL, so that a later version may give it a meaning.
 *
 * Nothing a call creates can be used before the call has written its
 * result: a new handle (ALLOC, DUP, GET_SLOT, REFS, IMPORT, NAME LOOKUP),
 * token, scope, subscription or client exists for other threads only once
 * its value is in the caller's memory. If the result cannot be written,
 * the call is undone before anyone could see it, the memory is faulted
 * in, and the call runs again; EFAULT when it cannot be faulted in (or
 * still cannot be written after a few tries). Handle values an undone
 * call took are never given out (values are never reused). A few calls
 * cannot be undone (GC, SCOPE POP, NAME BIND and UNBIND, EVENTS
 * UNSUBSCRIBE): they write their argument back before they run, so that
 * they take effect and still fail with EFAULT only if the argument stops
 * being writable while they run: another thread unmaps or write-protects
 * it, or it lies in the payload mapping, in the payload of an object the
 * call itself frees.
 *
 * Limits: payload up to MHEAP_MAX_SIZE bytes, up to MHEAP_MAX_REFS slots,
 * up to MHEAP_MAX_HANDLES handles open per client (EMFILE beyond), up to
 * MHEAP_BATCH_MAX operations per batch, heap capacity as configured
 * (ENOSPC when an allocation would exceed it, or would take the arenas of
 * all heaps together past the module parameter total_capacity).
 */
#ifndef _UAPI_LINUX_MHEAP_H
#define _UAPI_LINUX_MHEAP_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define MHEAP_DEVICE_NAME	"mheap"

/* Bumped on incompatible change only; growth is reported by features. */
#define MHEAP_UAPI_VERSION	1

#define MHEAP_IOC_MAGIC		0xB7

/* Limits */
#define MHEAP_MAX_SIZE		0x800000U	/* payload bytes: 8 MiB */
#define MHEAP_MAX_REFS		0x100000U	/* reference slots: 2^20 */
#define MHEAP_MAX_HANDLES	0xfffffU	/* per client: 2^20 - 1 */
#define MHEAP_BATCH_MAX		65536		/* operations per batch */
#define MHEAP_REFS_MAX		65536		/* handles per MHEAP_IOC_REFS */
#define MHEAP_GENERATIONS	3		/* collected generations */
#define MHEAP_SCOPE_MAX		64		/* scopes open at once, nested */
#define MHEAP_NAME_LEN		64		/* a name's field, NUL included */
#define MHEAP_NAME_MAX		(MHEAP_NAME_LEN - 1)	/* a name's bytes */
#define MHEAP_NAMES_MAX		4096		/* names bound per heap */
#define MHEAP_EVENTS_DEFAULT	1024		/* queued reclamation records */
#define MHEAP_EVENTS_MAX	65536		/* ... the most one may ask for */
#define MHEAP_MAP_STRIDE	_BITULL(24)	/* payload mapping, per arena */
#define MHEAP_MAP_MAX		_BITULL(42)	/* payload mapping, in all */

/**
 * struct mheap_version - MHEAP_IOC_VERSION: version and feature probe
 * @version:  out: MHEAP_UAPI_VERSION of the module.
 * @flags:    in: must be zero.
 * @features: out: mask of MHEAP_FEATURE_* bits the module supports; a
 *            caller tests each bit it wants before relying on it.
 */
struct mheap_version {
	__u32 version;
	__u32 flags;
	__u64 features;
};

#define MHEAP_FEATURE_BATCH	_BITULL(0)	/* MHEAP_IOC_BATCH */
#define MHEAP_FEATURE_CLIENTS	_BITULL(1)	/* NEW_CLIENT, EXPORT, IMPORT */
#define MHEAP_FEATURE_WEAK	_BITULL(2)	/* MHEAP_DUP_WEAK */
#define MHEAP_FEATURE_SCOPES	_BITULL(3)	/* MHEAP_IOC_SCOPE */
#define MHEAP_FEATURE_NAMES	_BITULL(4)	/* MHEAP_IOC_NAME, _NAMES */
#define MHEAP_FEATURE_EVENTS	_BITULL(5)	/* MHEAP_IOC_EVENTS, read() */
#define MHEAP_FEATURE_MMAP	_BITULL(6)	/* mmap(), map_offset, map_size */
#define MHEAP_FEATURE_BATCH_REFS _BITULL(7)	/* MHEAP_BATCH_REF(), @start */

/**
 * struct mheap_config - MHEAP_IOC_CONFIG: read and change heap settings
 * @flags:        in: MHEAP_CONFIG_* saying which fields to change; 0 only
 *                reads.
 * @reserved:     must be zero.
 * @capacity:     in/out: bytes of arenas the heap may hold.
 * @capacity_max: out: the most @capacity may be set to (module parameter
 *                heap_capacity_max).
 * @threshold:    in/out: the collector's thresholds per generation (as
 *                CPython's gc.set_threshold(); threshold[0] == 0 disables
 *                automatic collection).
 * @reserved2:    must be zero.
 *
 * Always reports the settings in force after the call.
 * Errors: EINVAL when @capacity is below 512 KiB or above @capacity_max.
 * A capacity below what the heap holds is allowed: it stops growth.
 */
struct mheap_config {
	__u32 flags;
	__u32 reserved;
	__u64 capacity;
	__u64 capacity_max;
	__u32 threshold[MHEAP_GENERATIONS];
	__u32 reserved2;
};

#define MHEAP_CONFIG_SET_CAPACITY	_BITUL(0)
#define MHEAP_CONFIG_SET_THRESHOLD	_BITUL(1)

/**
 * struct mheap_alloc - MHEAP_IOC_ALLOC: allocate an object
 * @size:   in: payload bytes, 0 to MHEAP_MAX_SIZE; zero-filled.
 * @nrefs:  in: reference slots, 0 to MHEAP_MAX_REFS; all empty.
 * @flags:  in: must be zero.
 * @cookie: in: any value, reported by MHEAP_IOC_INFO; 0 means none.
 * @handle: out: a new strong handle on the object.
 * @reserved: must be zero.
 *
 * Errors: EINVAL for @size or @nrefs out of range; ENOSPC when the heap's
 * capacity would be exceeded; EMFILE when the client has
 * MHEAP_MAX_HANDLES handles open.
 */
struct mheap_alloc {
	__u64 size;
	__u32 nrefs;
	__u32 flags;
	__u64 cookie;
	__u32 handle;
	__u32 reserved;
};

/**
 * struct mheap_dup - MHEAP_IOC_DUP: a second handle on an object
 * @handle: in: an open handle, strong or weak.
 * @flags:  in: MHEAP_DUP_WEAK for a weak handle, else a strong one.
 * @copy:   out: the new handle.
 * @reserved: must be zero.
 *
 * A weak handle does not keep its object alive; once the object is freed
 * every use of it but MHEAP_IOC_CLOSE gives ESTALE. A strong dup of a weak
 * handle whose object lives gives a strong handle (an "upgrade").
 * Errors: ESTALE; EMFILE; EOVERFLOW when the object has 2^32 - 1
 * references already.
 */
struct mheap_dup {
	__u32 handle;
	__u32 flags;
	__u32 copy;
	__u32 reserved;
};

#define MHEAP_DUP_WEAK		_BITUL(0)

/**
 * struct mheap_close - MHEAP_IOC_CLOSE: close a handle
 * @handle: in: an open handle (a dead weak handle too).
 * @flags:  in: must be zero.
 *
 * Drops the handle's reference: the object, and everything only it kept
 * alive, is freed when nothing else holds it.
 */
struct mheap_close {
	__u32 handle;
	__u32 flags;
};

/**
 * struct mheap_slot - MHEAP_IOC_SET_SLOT and MHEAP_IOC_GET_SLOT
 * @handle: in: the object whose slot is set or read.
 * @flags:  in: must be zero.
 * @index:  in: the slot, below the object's slot count.
 * @target: SET_SLOT in: a handle on the object the slot will hold, or 0 to
 *          empty it; GET_SLOT out: a new strong handle on the object the
 *          slot holds, or 0 when it is empty.
 * @reserved: must be zero.
 *
 * Errors: EINVAL when @index is not below the object's slot count; for
 * GET_SLOT, EMFILE and EOVERFLOW as for MHEAP_IOC_DUP.
 */
struct mheap_slot {
	__u32 handle;
	__u32 flags;
	__u64 index;
	__u32 target;
	__u32 reserved;
};

/**
 * struct mheap_rw - MHEAP_IOC_READ and MHEAP_IOC_WRITE: payload bytes
 * @handle: in: the object.
 * @flags:  in: must be zero.
 * @offset: in: first payload byte.
 * @len:    in: bytes to copy; 0 is allowed.
 * @buf:    in: the user buffer, @len bytes, as a __u64.
 *
 * A write is all or nothing. Errors: EINVAL when @offset + @len is beyond
 * the payload (or overflows); EFAULT for a bad @buf.
 */
struct mheap_rw {
	__u32 handle;
	__u32 flags;
	__u64 offset;
	__u64 len;
	__u64 buf;
};

/**
 * struct mheap_info - MHEAP_IOC_INFO: describe an object
 * @handle:     in: the object.
 * @flags:      in: must be zero.
 * @size:       out: payload bytes.
 * @nrefs:      out: reference slots.
 * @refcnt:     out: strong handles (all clients) plus slots holding it.
 * @generation: out: 0-2, or 3 when frozen (MHEAP_GC_FREEZE); 0 when not
 *              tracked.
 * @info_flags: out: MHEAP_INFO_*.
 * @cookie:     out: the cookie given at allocation.
 * @map_offset: out: where the payload is in the payload mapping (mmap()
 *              of a client, MHEAP_FEATURE_MMAP), or MHEAP_NO_MAP for an
 *              object without payload. Added after the first version:
 *              older callers do not see it.
 */
struct mheap_info {
	__u32 handle;
	__u32 flags;
	__u64 size;
	__u32 nrefs;
	__u32 refcnt;
	__u32 generation;
	__u32 info_flags;
	__u64 cookie;
	__u64 map_offset;
};

#define MHEAP_NO_MAP		(~0ULL)

#define MHEAP_INFO_TRACKED	_BITUL(0)	/* seen by the collector */
#define MHEAP_INFO_WEAK		_BITUL(1)	/* @handle is a weak handle */

/**
 * struct mheap_gc_ctl - MHEAP_IOC_GC: control the cycle collector
 * @op:     in: MHEAP_GC_*.
 * @flags:  in: must be zero.
 * @arg:    in: COLLECT: the oldest generation to collect, 0-2;
 *          SET_SAVE_ALL: 0 or 1; other operations: must be zero.
 * @result: out: COLLECT: unreachable objects found; RELEASE_GARBAGE:
 *          objects released from the garbage list; others: 0.
 *
 * MHEAP_GC_COLLECT runs a collection now (even when disabled).
 * MHEAP_GC_ENABLE and DISABLE switch automatic collection.
 * MHEAP_GC_FREEZE moves every tracked object to the permanent generation,
 * which is never collected; MHEAP_GC_UNFREEZE moves them back to the
 * oldest generation (as CPython's gc.freeze()).
 * MHEAP_GC_SET_SAVE_ALL: when 1, unreachable objects are kept on the
 * garbage list (MHEAP_REFS_GARBAGE) instead of freed (gc.DEBUG_SAVEALL):
 * weak handles to them die (ESTALE), as CPython clears weakrefs to
 * gc.garbage's objects, and they count as collected.
 * MHEAP_GC_RELEASE_GARBAGE empties the garbage list: objects nothing
 * else holds are freed; cycles among them go back to the generation
 * after the one that found them (2 after a collection of 2), where a
 * collection of that generation frees them.
 * Errors: EINVAL for an unknown @op or a bad @arg.
 */
struct mheap_gc_ctl {
	__u32 op;
	__u32 flags;
	__u64 arg;
	__u64 result;
};

enum mheap_gc_op {
	MHEAP_GC_COLLECT = 1,
	MHEAP_GC_ENABLE,
	MHEAP_GC_DISABLE,
	MHEAP_GC_FREEZE,
	MHEAP_GC_UNFREEZE,
	MHEAP_GC_SET_SAVE_ALL,
	MHEAP_GC_RELEASE_GARBAGE,
};

/**
 * struct mheap_gc_gen_stats - one generation's collector statistics
 * @collections:   collections of this generation (and the younger ones).
 * @collected:     unreachable objects found by them: freed, or in save-all
 *                 mode kept on the garbage list (as CPython counts with
 *                 gc.DEBUG_SAVEALL).
 * @uncollectable: always 0 (mheap has no legacy finalizers, CPython's only
 *                 uncollectable objects); kept for gc.get_stats()' shape.
 * @examined:      objects examined.
 * @pause_total_ns: total time spent with the heap lock held, nanoseconds.
 * @pause_last_ns: the longest the last collection held the heap lock at a
 *                 stretch, nanoseconds: its whole time, or, for an
 *                 automatic one in increments, its longest increment.
 */
struct mheap_gc_gen_stats {
	__u64 collections;
	__u64 collected;
	__u64 uncollectable;
	__u64 examined;
	__u64 pause_total_ns;
	__u64 pause_last_ns;
};

/**
 * struct mheap_gc_stats - MHEAP_IOC_GC_STATS: the collector's state
 * @flags:        in: must be zero.
 * @state:        out: MHEAP_GC_STATE_* bits.
 * @count:        out: per generation, as CPython's gc.get_count():
 *                [0] tracked objects allocated minus those freed since
 *                generation 0 was last collected (never below 0); [1]
 *                collections of generation 0 alone since generation 1 was
 *                last collected; [2] collections of generation 1 (with 0)
 *                since generation 2 was last collected. Automatic
 *                collection (when enabled) runs the oldest generation n
 *                whose count[n] exceeds threshold[n] (for generation 2,
 *                only once the objects moved into it since the last full
 *                collection exceed a quarter of those it held then); it
 *                is looked for after a call whose allocation found
 *                count[0] over threshold[0] (not after a failed call,
 *                whose allocations are undone), and, unlike CPython, also
 *                after every explicit collection.
 * @threshold:    out: per generation, as gc.get_threshold().
 * @reserved:     out: zero.
 * @freeze_count: out: objects in the permanent generation.
 * @garbage:      out: objects on the garbage list.
 * @gen:          out: per generation statistics.
 */
struct mheap_gc_stats {
	__u32 flags;
	__u32 state;
	__u32 count[MHEAP_GENERATIONS];
	__u32 threshold[MHEAP_GENERATIONS];
	__u32 reserved[2];
	__u64 freeze_count;
	__u64 garbage;
	struct mheap_gc_gen_stats gen[MHEAP_GENERATIONS];
};

#define MHEAP_GC_STATE_ENABLED	_BITUL(0)
#define MHEAP_GC_STATE_SAVE_ALL	_BITUL(1)

/**
 * struct mheap_heap_stats - MHEAP_IOC_HEAP_STATS: the heap's statistics
 * @flags:             in: must be zero.
 * @clients:           out: clients (open files) of the heap.
 * @handles:           out: handles open in the calling client.
 * @reserved:          out: zero.
 * @capacity:          out: bytes of arenas the heap may hold.
 * @arena_bytes:       out: bytes of arenas held.
 * @used_bytes:        out: bytes of blocks in use (headers, slots, payload).
 * @meta_bytes:        out: of @used_bytes, headers and slots.
 * @payload_bytes:     out: payload bytes of live objects, as requested.
 * @objects_live:      out: live objects.
 * @objects_allocated: out: objects ever allocated.
 * @objects_freed:     out: objects ever freed.
 * @arenas:            out: arenas in use.
 * @exported:          out: objects exported and not yet imported.
 * @map_size:          out: the payload mapping's extent: every object's
 *                     map_offset + size is below it (it follows the
 *                     arenas). Added after the first version.
 */
struct mheap_heap_stats {
	__u32 flags;
	__u32 clients;
	__u32 handles;
	__u32 reserved;
	__u64 capacity;
	__u64 arena_bytes;
	__u64 used_bytes;
	__u64 meta_bytes;
	__u64 payload_bytes;
	__u64 objects_live;
	__u64 objects_allocated;
	__u64 objects_freed;
	__u64 arenas;
	__u64 exported;
	__u64 map_size;
};

/**
 * struct mheap_module_stats - MHEAP_IOC_MODULE_STATS: the module's totals
 * @flags:       in: must be zero.
 * @reserved:    out: zero.
 * @heaps:       out: heaps that exist (the caller's included).
 * @arena_bytes: out: bytes of arenas held by all heaps.
 * @capacity:    out: the capacity a new heap gets (heap_capacity).
 * @capacity_max: out: the most a heap's capacity may be raised to.
 */
struct mheap_module_stats {
	__u32 flags;
	__u32 reserved;
	__u64 heaps;
	__u64 arena_bytes;
	__u64 capacity;
	__u64 capacity_max;
};

/**
 * struct mheap_refs - MHEAP_IOC_REFS: objects related to an object
 * @handle: in: the object (0 for MHEAP_REFS_GARBAGE).
 * @which:  in: MHEAP_REFS_REFERENTS (the objects its slots hold, in slot
 *          order), MHEAP_REFS_REFERRERS (tracked objects whose slots hold
 *          it) or MHEAP_REFS_GARBAGE (the garbage list, in the order
 *          its collections saved it: the oldest collection's first; within
 *          one, in the collection's own order, as in CPython).
 * @buf:    in: an array of @count __u32, as a __u64.
 * @count:  in: room in @buf, at most MHEAP_REFS_MAX; 0 only counts.
 * @flags:  in: must be zero.
 * @written: out: new strong handles written to @buf, min(@count, @total).
 * @total:  out: how many objects there are.
 *
 * Each handle written is new and must be closed by the caller.
 * MHEAP_REFS_REFERRERS and MHEAP_REFS_GARBAGE first complete an
 * automatic collection in progress, as gc.get_referrers() needs the
 * generations whole; a weak @handle whose object that collection frees
 * gives ESTALE. With @count nonzero, their @buf must be writable before
 * they run (else EFAULT, nothing done), even when fewer are written.
 * Errors: EINVAL for an unknown @which, @count above MHEAP_REFS_MAX or a
 * nonzero @handle with MHEAP_REFS_GARBAGE; ENOENT, ESTALE for @handle;
 * EMFILE.
 */
struct mheap_refs {
	__u32 handle;
	__u32 which;
	__u64 buf;
	__u32 count;
	__u32 flags;
	__u32 written;
	__u32 total;
};

enum mheap_refs_which {
	MHEAP_REFS_REFERENTS = 1,
	MHEAP_REFS_REFERRERS,
	MHEAP_REFS_GARBAGE,
};

/**
 * struct mheap_op - one operation of a batch (MHEAP_IOC_BATCH)
 * @op:     in: MHEAP_OP_*.
 * @flags:  in: as the flags of the matching ioctl.
 * @result: out: 0, or the negative errno the matching ioctl would give.
 * @handle: in: the object operated on (not for ALLOC).
 * @arg0:   in: ALLOC: size; SET_SLOT, GET_SLOT: index; READ, WRITE: offset.
 * @arg1:   in: ALLOC: nrefs; SET_SLOT: target handle; READ, WRITE: length.
 * @arg2:   in: ALLOC: cookie; READ, WRITE: buffer address.
 * @out:    out: ALLOC: handle; DUP: copy; GET_SLOT: target handle or 0.
 *
 * Unused arguments must be zero (else EINVAL in @result).
 *
 * Batch-local references (MHEAP_FEATURE_BATCH_REFS): where an operation
 * takes a handle (@handle, and SET_SLOT's target in @arg1), the value
 * MHEAP_BATCH_REF(k) names the handle that operation k of the array gave
 * (ALLOC, DUP, GET_SLOT: its @out), k counted from the array's first
 * operation (@ops of struct mheap_batch), k below this operation's index.
 * The operation then runs as if that handle had been given; the array
 * itself is not changed. So a structure of any shape can be allocated,
 * linked, walked and have its temporaries closed in one call. The
 * reference is resolved from operation k's @result and @out as the batch
 * wrote them, whatever the array holds by then (for k before @start: as
 * the array holds them). A read-only client's ALLOC, SET_SLOT and WRITE
 * get EBADF before their references are looked at. In the referring
 * operation's @result: EINVAL for a reference to itself, to a
 * later operation or beyond the array, or to an operation whose output is
 * not a handle (CLOSE, SET_SLOT, READ, WRITE); ENOENT for one to an
 * operation that failed or gave no object (GET_SLOT of an empty slot).
 * A handle value with bit 31 set is never a handle, so older callers
 * cannot pass one by accident.
 */
struct mheap_op {
	__u32 op;
	__u32 flags;
	__s32 result;
	__u32 handle;
	__u64 arg0;
	__u64 arg1;
	__u64 arg2;
	__u64 out;
};

#define MHEAP_BATCH_REF_BIT	0x80000000U
#define MHEAP_BATCH_REF(k)	(MHEAP_BATCH_REF_BIT | (__u32)(k))

enum mheap_op_code {
	MHEAP_OP_ALLOC = 1,
	MHEAP_OP_DUP,
	MHEAP_OP_CLOSE,
	MHEAP_OP_SET_SLOT,
	MHEAP_OP_GET_SLOT,
	MHEAP_OP_READ,
	MHEAP_OP_WRITE,
};

/**
 * struct mheap_batch - MHEAP_IOC_BATCH: many operations in one call
 * @ops:   in: an array of @count struct mheap_op, as a __u64; read and
 *         written back (each op's @result and @out).
 * @count: in: operations, 1 to MHEAP_BATCH_MAX.
 * @flags: in: MHEAP_BATCH_CONTINUE to go on after a failed operation;
 *         without it the batch stops after the first failure.
 * @done:  out: operations processed from @start, their results
 *         written: the failed one included when the batch stopped on it.
 * @start: in: the operation to begin with, below @count; those before it
 *         are not run, but batch-local references may name them
 *         (MHEAP_FEATURE_BATCH_REFS; without the feature, must be zero).
 *
 * Operations run in order, each as its single-operation ioctl would, each
 * with its own result; a failed operation changes nothing. The batch also
 * stops early, with @done < @count and no failed operation, when a signal
 * is pending after a group of 16 (never before 256 operations have run, so
 * that every call makes progress, however often signals come): resume it from
 * ops + @done, or, when its operations use batch-local references, with
 * @start advanced by @done. The ioctl itself fails (and processes
 * nothing) for a bad header: EINVAL for @count 0, @start not below @count,
 * or unknown @flags, E2BIG for @count above MHEAP_BATCH_MAX, EFAULT when
 * the first operation cannot be read, EINTR when a fatal signal comes
 * while it waits for the heap before the first operation.
 * Operations are read 16 at a time, and each operation's @result and @out
 * are written as it runs. Before a group of 16 runs, the results of its
 * operations that cannot be undone (all but ALLOC, DUP and GET_SLOT) are
 * written as zeros, so those of operations past @done may read 0. When
 * operations cannot be read, or their results cannot be written, the
 * batch stops before them and @done counts those whose results were
 * written. Each operation's result is
 * written as it runs: a handle it creates is seen by no one before its
 * result is written (if that cannot be done at once, the operation is
 * undone, the result faulted in, and the operation run again). Only if
 * the array stops being writable while the batch runs (another thread
 * unmaps or write-protects it, or it lies in the payload mapping, in a
 * payload an operation frees) can one CLOSE, SET_SLOT or WRITE take effect
 * without its result written; the batch stops there, with EFAULT when it
 * is the first.
 */
struct mheap_batch {
	__u64 ops;
	__u32 count;
	__u32 flags;
	__u32 done;
	__u32 start;
};

#define MHEAP_BATCH_CONTINUE	_BITUL(0)

/**
 * struct mheap_new_client - MHEAP_IOC_NEW_CLIENT: another client
 * @flags: in: MHEAP_CLIENT_CLOEXEC to set close-on-exec on the new file;
 *         MHEAP_CLIENT_RDONLY to open it read-only, so that its payload
 *         mapping can only be read (see "The payload mapping").
 * @fd:    out: the new file descriptor: the same heap, an empty handle
 *         table.
 *
 * Errors: EMFILE when the process has no free file descriptor.
 */
struct mheap_new_client {
	__u32 flags;
	__s32 fd;
};

#define MHEAP_CLIENT_CLOEXEC	_BITUL(0)
#define MHEAP_CLIENT_RDONLY	_BITUL(1)	/* file opened O_RDONLY */

/**
 * struct mheap_token - MHEAP_IOC_EXPORT and MHEAP_IOC_IMPORT
 * @handle: EXPORT in: the object to pass on; IMPORT out: a new strong
 *          handle on it.
 * @flags:  in: must be zero.
 * @token:  EXPORT out: a token naming the object in the heap; IMPORT in:
 *          that token.
 *
 * Passes an object from one client of a heap to another: a token holds a
 * reference until it is imported, once, by any client of the heap (the
 * exporter included), or until the heap is destroyed. Errors: EXPORT:
 * EMFILE when the heap has MHEAP_MAX_HANDLES tokens outstanding; IMPORT:
 * ENOENT for a token that is unknown or already imported; EMFILE.
 */
struct mheap_token {
	__u32 handle;
	__u32 flags;
	__u64 token;
};

/**
 * struct mheap_scope - MHEAP_IOC_SCOPE: handle scopes, a client's frames
 * @op:     in: MHEAP_SCOPE_PUSH, MHEAP_SCOPE_POP or MHEAP_SCOPE_ESCAPE.
 * @flags:  in: must be zero.
 * @level:  PUSH out: the new scope's level, 1 for the outermost; POP in:
 *          the level to pop, which must be the innermost; ESCAPE out: the
 *          handle's new level, 0 for none.
 * @handle: ESCAPE in: a handle of the innermost scope; PUSH, POP: must be
 *          zero.
 * @closed: POP out: the handles the pop closed; PUSH, ESCAPE: must be
 *          zero.
 * @reserved: must be zero.
 *
 * While scopes are open, every handle a call creates (ALLOC, DUP,
 * GET_SLOT, IMPORT, REFS, batches) belongs to the innermost one. Popping
 * a scope closes the handles that still belong to it, as a function's
 * locals go when it returns; closing them earlier is allowed. ESCAPE moves
 * a handle to the enclosing scope (from the outermost: to none, where only
 * MHEAP_IOC_CLOSE or closing the file closes it), as V8's
 * EscapableHandleScope does for a return value. Scopes nest up to
 * MHEAP_SCOPE_MAX deep; closing the file closes them all.
 *
 * Errors: PUSH: ENOSPC when MHEAP_SCOPE_MAX scopes are open. POP: ENOENT
 * when no scope of @level is open; EBUSY when scopes inside it are open.
 * ESCAPE: ENOENT for a handle not open; EINVAL for one not in the
 * innermost scope, or when no scope is open. While a scope is open,
 * creating a handle may also give ENOMEM.
 */
struct mheap_scope {
	__u32 op;
	__u32 flags;
	__u32 level;
	__u32 handle;
	__u32 closed;
	__u32 reserved;
};

#define MHEAP_SCOPE_PUSH	1
#define MHEAP_SCOPE_POP		2
#define MHEAP_SCOPE_ESCAPE	3

/**
 * struct mheap_name - MHEAP_IOC_NAME: bind, look up or unbind a name
 * @op:     in: MHEAP_NAME_BIND, MHEAP_NAME_LOOKUP or MHEAP_NAME_UNBIND.
 * @flags:  in: BIND: MHEAP_NAME_REPLACE or 0; else must be zero.
 * @handle: BIND in: the object to bind; LOOKUP out: a new strong handle
 *          on the bound object; UNBIND: must be zero.
 * @reserved: must be zero.
 * @name:   in: 1 to MHEAP_NAME_MAX bytes of [A-Za-z0-9._:/-], then NUL
 *          bytes to the end of the field.
 *
 * Names are heap-wide: every client of the heap sees the same bindings.
 * A binding holds a reference on its object (a root for the collector)
 * until it is unbound or replaced, or the heap is destroyed; so sharing a
 * structure between processes is a matter of agreeing on a name.
 *
 * Errors: EINVAL for a bad name, op or flag; BIND: ENOENT or ESTALE for a
 * bad handle, EEXIST when the name is bound (without MHEAP_NAME_REPLACE),
 * ENOSPC when the heap has MHEAP_NAMES_MAX names, EOVERFLOW; LOOKUP:
 * ENOENT when the name is not bound, EMFILE, EOVERFLOW; UNBIND: ENOENT.
 */
struct mheap_name {
	__u32 op;
	__u32 flags;
	__u32 handle;
	__u32 reserved;
	char name[MHEAP_NAME_LEN];
};

#define MHEAP_NAME_BIND		1
#define MHEAP_NAME_LOOKUP	2
#define MHEAP_NAME_UNBIND	3

#define MHEAP_NAME_REPLACE	_BITUL(0)

/**
 * struct mheap_names - MHEAP_IOC_NAMES: list the bound names
 * @buf:   in: an array of @count names of MHEAP_NAME_LEN bytes each, as
 *         a __u64; may be 0 when @count is 0.
 * @count: in: room in @buf, up to MHEAP_NAMES_MAX.
 * @start: in: how many names to skip, in order.
 * @total: out: the number of names bound; the first min(@count, @total -
 *         @start) entries of @buf are filled, each NUL-padded.
 * @flags: in: must be zero.
 *
 * Names come in strcmp() order. A listing in several calls may miss or
 * repeat names bound or unbound meanwhile. Errors: EINVAL when @count
 * exceeds MHEAP_NAMES_MAX or @flags is set; EFAULT.
 */
struct mheap_names {
	__u64 buf;
	__u32 count;
	__u32 start;
	__u32 total;
	__u32 flags;
};

/**
 * struct mheap_events - MHEAP_IOC_EVENTS: reclamation events
 * @op:       in: MHEAP_EVENTS_SUBSCRIBE or MHEAP_EVENTS_UNSUBSCRIBE.
 * @capacity: SUBSCRIBE in: records the queue holds, 1 to
 *            MHEAP_EVENTS_MAX, or 0 for MHEAP_EVENTS_DEFAULT; out: the
 *            capacity granted. UNSUBSCRIBE: must be zero.
 * @flags:    in: must be zero.
 * @reserved: must be zero.
 *
 * A subscribed client hears of the end of every object it allocates
 * while subscribed (MHEAP_IOC_ALLOC and batch ALLOC operations), in the
 * order the objects are freed: read() on its file returns struct
 * mheap_event records, as many whole ones as fit (EINVAL when not even
 * one fits; EINVAL when not subscribed), blocking while there are none
 * unless the file is O_NONBLOCK (then EAGAIN); poll() reports EPOLLIN
 * while records wait, and EPOLLERR on a client not subscribed. This is
 * how a program releases what it tied to an object (by its cookie)
 * without finalisers and their resurrection: the object is gone when the
 * record is written.
 *
 * The queue is bounded: when it is full, the events that do not fit are
 * counted in one MHEAP_EVENT_OVERFLOW record in their place, never
 * dropped silently. What read() guarantees: records come in the order the
 * events happened, each exactly once; a queue of capacity n holds at most
 * n event records and one overflow record; a read() that fails (EFAULT,
 * EINTR, EAGAIN, EINVAL) consumes nothing and changes nothing, and a
 * read() that succeeds consumes exactly the records it returned; an
 * overflow record counts each lost event once, and the losses that follow
 * a read that took it start a new one. Closing or unsubscribing the client discards what is
 * queued; objects freed after that are not reported. Objects still
 * alive when the heap is destroyed are not reported either.
 *
 * Errors: SUBSCRIBE: EBUSY when subscribed already, EINVAL for a
 * capacity above MHEAP_EVENTS_MAX, ENOMEM, EOVERFLOW once the heap has
 * had 2^32 - 2 subscriptions (each gets a number of its own, never
 * reused). UNSUBSCRIBE: ENOENT when not
 * subscribed.
 */
struct mheap_events {
	__u32 op;
	__u32 capacity;
	__u32 flags;
	__u32 reserved;
};

#define MHEAP_EVENTS_SUBSCRIBE		1
#define MHEAP_EVENTS_UNSUBSCRIBE	2

/**
 * struct mheap_event - one record read() returns
 * @cookie:     the object's cookie (MHEAP_IOC_ALLOC's @cookie); for
 *              MHEAP_EVENT_OVERFLOW, how many events were lost there.
 * @reason:     MHEAP_EVENT_REFCOUNT (its last reference went),
 *              MHEAP_EVENT_COLLECTOR (a collection freed it: one it found
 *              unreachable, or one whose last reference such an object
 *              held, freed as the collection releases its garbage) or
 *              MHEAP_EVENT_OVERFLOW.
 * @generation: the generation the object was in when it was freed (0
 *              to MHEAP_GENERATIONS, the last being the permanent one;
 *              a collection frees objects in the generation it found
 *              them in), or
 *              MHEAP_EVENT_NO_GEN for an object without slots (never
 *              tracked) and for MHEAP_EVENT_OVERFLOW.
 */
struct mheap_event {
	__u64 cookie;
	__u32 reason;
	__u32 generation;
};

#define MHEAP_EVENT_REFCOUNT	1
#define MHEAP_EVENT_COLLECTOR	2
#define MHEAP_EVENT_OVERFLOW	3
#define MHEAP_EVENT_NO_GEN	0xffffffffU

#define MHEAP_IOC_VERSION	_IOWR(MHEAP_IOC_MAGIC, 0x00, struct mheap_version)
#define MHEAP_IOC_CONFIG	_IOWR(MHEAP_IOC_MAGIC, 0x01, struct mheap_config)
#define MHEAP_IOC_ALLOC		_IOWR(MHEAP_IOC_MAGIC, 0x02, struct mheap_alloc)
#define MHEAP_IOC_DUP		_IOWR(MHEAP_IOC_MAGIC, 0x03, struct mheap_dup)
#define MHEAP_IOC_CLOSE		_IOW(MHEAP_IOC_MAGIC, 0x04, struct mheap_close)
#define MHEAP_IOC_SET_SLOT	_IOW(MHEAP_IOC_MAGIC, 0x05, struct mheap_slot)
#define MHEAP_IOC_GET_SLOT	_IOWR(MHEAP_IOC_MAGIC, 0x06, struct mheap_slot)
#define MHEAP_IOC_READ		_IOW(MHEAP_IOC_MAGIC, 0x07, struct mheap_rw)
#define MHEAP_IOC_WRITE		_IOW(MHEAP_IOC_MAGIC, 0x08, struct mheap_rw)
#define MHEAP_IOC_INFO		_IOWR(MHEAP_IOC_MAGIC, 0x09, struct mheap_info)
#define MHEAP_IOC_GC		_IOWR(MHEAP_IOC_MAGIC, 0x0a, struct mheap_gc_ctl)
#define MHEAP_IOC_GC_STATS	_IOWR(MHEAP_IOC_MAGIC, 0x0b, struct mheap_gc_stats)
#define MHEAP_IOC_HEAP_STATS	_IOWR(MHEAP_IOC_MAGIC, 0x0c, struct mheap_heap_stats)
#define MHEAP_IOC_MODULE_STATS	_IOWR(MHEAP_IOC_MAGIC, 0x0d, struct mheap_module_stats)
#define MHEAP_IOC_REFS		_IOWR(MHEAP_IOC_MAGIC, 0x0e, struct mheap_refs)
#define MHEAP_IOC_BATCH		_IOWR(MHEAP_IOC_MAGIC, 0x0f, struct mheap_batch)
#define MHEAP_IOC_NEW_CLIENT	_IOWR(MHEAP_IOC_MAGIC, 0x10, struct mheap_new_client)
#define MHEAP_IOC_EXPORT	_IOWR(MHEAP_IOC_MAGIC, 0x11, struct mheap_token)
#define MHEAP_IOC_IMPORT	_IOWR(MHEAP_IOC_MAGIC, 0x12, struct mheap_token)
#define MHEAP_IOC_SCOPE		_IOWR(MHEAP_IOC_MAGIC, 0x13, struct mheap_scope)
#define MHEAP_IOC_NAME		_IOWR(MHEAP_IOC_MAGIC, 0x14, struct mheap_name)
#define MHEAP_IOC_NAMES		_IOWR(MHEAP_IOC_MAGIC, 0x15, struct mheap_names)
#define MHEAP_IOC_EVENTS	_IOWR(MHEAP_IOC_MAGIC, 0x16, struct mheap_events)

/*
 * First published sizes: a caller may pass any size from these up (see
 * "Structures grow only at their end" above).
 */
#define MHEAP_VERSION_SIZE_VER0		16
#define MHEAP_CONFIG_SIZE_VER0		40
#define MHEAP_ALLOC_SIZE_VER0		32
#define MHEAP_DUP_SIZE_VER0		16
#define MHEAP_CLOSE_SIZE_VER0		8
#define MHEAP_SLOT_SIZE_VER0		24
#define MHEAP_RW_SIZE_VER0		32
#define MHEAP_INFO_SIZE_VER0		40	/* 48 with map_offset */
#define MHEAP_GC_CTL_SIZE_VER0		24
#define MHEAP_GC_STATS_SIZE_VER0	200
#define MHEAP_HEAP_STATS_SIZE_VER0	96	/* 104 with map_size */
#define MHEAP_MODULE_STATS_SIZE_VER0	40
#define MHEAP_REFS_SIZE_VER0		32
#define MHEAP_OP_SIZE_VER0		48
#define MHEAP_BATCH_SIZE_VER0		24
#define MHEAP_NEW_CLIENT_SIZE_VER0	8
#define MHEAP_TOKEN_SIZE_VER0		16
#define MHEAP_SCOPE_SIZE_VER0		24
#define MHEAP_NAME_SIZE_VER0		80
#define MHEAP_NAMES_SIZE_VER0		24
#define MHEAP_EVENTS_SIZE_VER0		16

#endif /* _UAPI_LINUX_MHEAP_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The managed heap: struct mheap, which holds the allocator's two spaces
 * (space.h), the collector's lists and state (gc.h), weak references
 * (weak.h) and named roots (names.h), with its lock, capacity and
 * statistics. See Documentation/heap.rst.
 *
 * Locking: every field of struct mheap but the lock itself is guarded by
 * heap->lock (tag "L: lock"); the global statistics are atomic.
 */
#ifndef MHEAP_HEAP_H
#define MHEAP_HEAP_H

#include "prim.h"
#include "gc.h"
#include "names.h"
#include "space.h"
#include "validate.h"
#include "weak.h"

/*
 * Leaf objects kept whole for reuse (struct mheap_freelist): those of a
 * small payload, up to MHEAP_FREELIST_SLOTS of each payload size class.
 */
#define MHEAP_FREELIST_SLOTS	8
#define MHEAP_FREELIST_CLASSES	(MHEAP_SMALL_MAX >> MHEAP_PAYLOAD_QSHIFT)

/**
 * struct mheap_freelist - freed leaf objects of one payload class, whole
 * @count: objects in @meta and @payload.
 * @meta: their headers' locations (their former ids), the last freed at
 *	@meta[@count - 1].
 * @payload: their payload blocks' locations, by the same index.
 *
 * CPython keeps freed objects of its common types on free lists, ready to
 * be handed out again without the allocator (pycore_freelist.h); this is
 * the same for a leaf object, one with no slots and no cookie: it frees
 * and allocates its header and its payload together, one pop or push
 * where the two blocks' caches (struct mheap_block_cache) took two, and
 * with nothing recounted, because both blocks stay counted as in use
 * (class_live, bytes_used) while they wait here. The object itself is
 * freed in every other way when it goes on the list: its count is zero,
 * the heap's statistics count it freed, and it is zeroed like any new
 * object when it is handed out again. The list lasts one hold of the heap
 * lock, as the block caches do: mheap_space_flush() frees its blocks.
 */
struct mheap_freelist {
	u32 count;
	u32 meta[MHEAP_FREELIST_SLOTS];
	u32 payload[MHEAP_FREELIST_SLOTS];
};

/* Capacity: the bytes of arenas a heap may reserve, both spaces together */
#define MHEAP_CAPACITY_MIN	(2 * MHEAP_ARENA_SIZE)
#define MHEAP_CAPACITY_LIMIT	(16ULL * SZ_1G)

/**
 * struct mheap - one managed heap, created by each open() of /dev/mheap
 * @lock: guards everything below; every lock and its order with this one
 *	are in the legend at the top of module/device.h.
 * @id: the heap's number, from 1 (it wraps after 2^32 heaps: unique among
 *	the heaps that exist at once in practice, not guaranteed): how
 *	tracepoints and debugfs name it. Constant.
 * @capacity: bytes of arenas the heap may reserve. L: lock
 * @capacity_max: the most @capacity may be set to. L: lock
 * @arena_bytes: bytes of arenas held, spares included. L: lock
 * @undo: MHEAP_UNDO while a failed call is being undone, with the
 *	number of spares the heap had when it started (see
 *	mheap_undo_begin()). L: lock
 * @meta: headers and reference slots. L: lock
 * @payload: payload bytes. L: lock
 * @freelist: freed leaf objects, whole, by payload class (struct
 *	mheap_freelist). L: lock
 * @nfreelisted: objects on @freelist, all classes together. L: lock
 * @gens: tracked objects, by generation. L: lock
 * @gc: the cycle collector. L: lock, but for @gc.work
 * @objects_allocated: objects ever allocated. L: lock
 * @objects_freed: objects ever freed. L: lock
 * @payload_bytes: payload bytes of live objects, as requested. L: lock
 * @weak: weak references (weak.h). L: lock
 * @names: named roots (names.h). L: lock
 * @clients: the clients (handle.h) whose handle tables have been
 *	allocated, by their @link: where the collector finds the handles,
 *	the heap's roots with @names (gc.c: mark_roots_alive()). L: lock
 * @reclaim: if set, called as each object with a subscriber is freed
 *	(mheap_object_alloc_subscribed()), with the heap lock held: its
 *	subscriber number, its cookie, MHEAP_EVENT_REFCOUNT or _COLLECTOR, its
 *	generation (MHEAP_EVENT_NO_GEN when untracked). Must not touch the
 *	heap. Set once, before the heap is used.
 * @reclaim_data: for @reclaim. Set with it.
 * @unmap: if set, called with the heap lock held as a payload arena is
 *	about to be freed, with the range of the payload mapping it covered
 *	(offset and length in bytes): mappings of it must go. Set once,
 *	before the heap is used.
 * @unmap_data: for @unmap. Set with it.
 * @guard_errors: overwritten guards found, in guard mode (object.h).
 *	L: lock
 * @guard_quiet: count overwritten guards without a WARNING (tests only).
 *	L: lock
 * @mapped: the payload space was mapped into userspace once (map.c): its
 *	payload guards may be overwritten by the heap's users, legitimately.
 *	L: lock
 * @retired: arenas taken out of the heap, their bytes already given back,
 *	to be freed by mheap_unlock() after it drops the lock. L: lock
 * @decay: frees the spares over mheap_max_spare_arenas once they have
 *	been idle for mheap_spare_decay_ms, queued by mheap_unlock() for
 *	that long after each call that leaves some (space.c). L: none (the
 *	work item takes the lock)
 * @validate_skipped: MHEAP_DEBUG: unlocks since the validators last ran
 *	(mheap_validate_amortized()). L: lock
 */
struct mheap {
	struct mheap_prim_mutex lock;
	u32 id;
	size_t capacity;
	size_t capacity_max;
	size_t arena_bytes;
	unsigned int undo;
	struct mheap_space meta;
	struct mheap_space payload;
	struct mheap_freelist freelist[MHEAP_FREELIST_CLASSES];
	u32 nfreelisted;
	struct mheap_gc_list gens[MHEAP_GEN_PERMANENT + 1];
	struct mheap_gc gc;
	u64 objects_allocated;
	u64 objects_freed;
	size_t payload_bytes;
	struct mheap_weak_table weak;
	struct mheap_name_table names;
	struct list_head clients;
	void (*reclaim)(struct mheap *heap, u32 subscriber, u64 cookie, u32 reason,
			u32 gen);
	void *reclaim_data;
	void (*unmap)(struct mheap *heap, u64 offset, u64 len);
	void *unmap_data;
	unsigned long guard_errors;
	bool guard_quiet;
	bool mapped;
	struct list_head retired;
	struct mheap_prim_dwork decay;
#ifdef MHEAP_DEBUG
	u64 validate_skipped;
#endif
};

/**
 * struct mheap_stats - a heap's statistics (see mheap_heap_stats())
 * @capacity: bytes of arenas the heap may reserve.
 * @arena_bytes: bytes of arenas held, spares included.
 * @used: bytes of blocks in use, both spaces.
 * @meta_used: of @used, bytes of headers and slots.
 * @payload_bytes: payload bytes of live objects, as requested.
 * @objects_live: live objects.
 * @objects_allocated: objects ever allocated.
 * @objects_freed: objects ever freed.
 * @arenas: arenas in use, both spaces, spares not counted.
 * @spare: empty arenas kept for reuse (at most mheap_max_spare_arenas per
 *	space).
 * @runs: payload page runs in use.
 * @jumbo: payload jumbo arenas in use.
 * @class_live: payload blocks in use per size class; class n holds blocks
 *	of (n + 1) * 16 bytes.
 */
struct mheap_stats {
	u64 capacity;
	u64 arena_bytes;
	u64 used;
	u64 meta_used;
	u64 payload_bytes;
	u64 objects_live;
	u64 objects_allocated;
	u64 objects_freed;
	u64 arenas;
	u64 spare;
	u64 runs;
	u64 jumbo;
	u64 class_live[MHEAP_SMALL_MAX / 16];
};

/**
 * struct mheap_global_stats - module-wide statistics
 * @heaps: heaps that exist.
 * @arena_bytes: bytes of arenas held by all heaps.
 * @collections: collections run, by all heaps, since the module was
 *	loaded.
 * @collected: objects they freed.
 */
struct mheap_global_stats {
	u64 heaps;
	u64 arena_bytes;
	u64 collections;
	u64 collected;
};

/* Default of mheap_total_capacity: arenas of all heaps together */
void *mheap_array_grow(void *old, size_t used, size_t size, size_t elem);
bool mheap_capacity_valid(size_t capacity, size_t capacity_max);
struct mheap *mheap_create(size_t capacity, size_t capacity_max);
void mheap_destroy(struct mheap *heap);
int mheap_set_capacity(struct mheap *heap, size_t capacity);
void mheap_heap_stats(struct mheap *heap, struct mheap_stats *stats);
void mheap_global_stats(struct mheap_global_stats *stats);
void mheap_global_count_collection(u64 collected);

/**
 * mheap_spares() - how many spare arenas the heap keeps now
 * @heap: the heap.
 *
 * Context: heap->lock held.
 * Return: the spares of both spaces, at most 2 * MHEAP_SPARE_ARENAS_MAX.
 */
static inline unsigned int mheap_spares(const struct mheap *heap)
{
	return heap->meta.nspares + heap->payload.nspares;
}

/**
 * mheap_undo_begin() - start undoing the allocations of a failed call
 * @heap: the heap.
 * @spares: mheap_spares() from when the call started.
 *
 * Until mheap_undo_end(), an arena that empties is kept as a spare only
 * while the heap has fewer spares than it had before, so that the heap's
 * reservation is what it was: an error changes nothing, the statistics
 * included. (An arena the call created under capacity pressure did not
 * free the spares whose room it took: they go when the call unlocks, if
 * the heap still holds more than its capacity, so a failed call that
 * freed the arena keeps them, a jumbo arena's included. The exceptions,
 * not brought back: spares freed to fit under the module-wide ceiling,
 * total_capacity, which went at once (another heap may have taken the
 * room), and those freed because the call allocated again while over
 * its capacity (mheap_space_alloc_slow()).)
 *
 * Context: heap->lock held.
 */
static inline void mheap_undo_begin(struct mheap *heap, unsigned int spares)
{
	heap->undo = MHEAP_UNDO | spares;
}

static inline void mheap_undo_end(struct mheap *heap)
{
	heap->undo = 0;
}

/* Objects allocated and not yet freed. Context: heap->lock held. */
static inline u64 mheap_objects_live(const struct mheap *heap)
{
	return heap->objects_allocated - heap->objects_freed;
}

static inline void mheap_lock(struct mheap *heap)
{
	mheap_prim_mutex_lock(&heap->lock);
}

/**
 * mheap_lock_killable() - take the heap lock unless the task is killed
 * @heap: the heap.
 *
 * For the ioctl paths (``botching-up-ioctls.rst``): a collection can hold
 * the lock for milliseconds, and a killed task should not wait for it.
 *
 * Context: process context; may sleep.
 * Return: 0 with the lock held, or -EINTR (not held) on a fatal signal.
 */
static inline int __must_check mheap_lock_killable(struct mheap *heap)
{
	return mheap_prim_mutex_lock_killable(&heap->lock);
}

/*
 * Whether the heap keeps more spares than it may: its capacity or
 * mheap_max_spare_arenas was lowered under them. Context: heap->lock held.
 */
static inline bool mheap_spares_over(const struct mheap *heap)
{
	unsigned int max = READ_ONCE(mheap_max_spare_arenas);

	return mheap_spares(heap) &&
	       (heap->arena_bytes > heap->capacity ||
		heap->meta.nspares > max || heap->payload.nspares > max);
}

/* Come back for the spares left over the bound once they may have decayed */
static inline void mheap_space_decay_queue(struct mheap *heap)
{
	mheap_prim_dwork_queue(&heap->decay,
			       READ_ONCE(mheap_spare_decay_ms) + 1);
}

/**
 * mheap_gc_barrier_mark() - where the operation about to run begins
 * @heap: the heap.
 *
 * Context: heap->lock held.
 * Return: the mark to give mheap_gc_barrier_undo() if it is undone.
 */
static inline struct mheap_gc_mark mheap_gc_barrier_mark(struct mheap *heap)
{
	return (struct mheap_gc_mark){ heap->gc.undo_epoch, heap->gc.undo_len };
}

/**
 * mheap_gc_barrier_commit() - an operation stands: its entries in the
 *	barrier's log will not be taken back
 * @heap: the heap.
 * @mark: mheap_gc_barrier_mark() from before the operation.
 *
 * For a batch, whose operations run under one hold: the log then holds
 * one operation's changes at a time.
 *
 * Context: heap->lock held.
 */
static inline void mheap_gc_barrier_commit(struct mheap *heap,
					   struct mheap_gc_mark mark)
{
	if (mark.epoch == heap->gc.undo_epoch && heap->gc.undo_len > mark.len)
		heap->gc.undo_len = mark.len;
}

/**
 * mheap_gc_queue_due() - queue the collection that this call made due
 * @heap: the heap.
 *
 * An allocation that found generation 0 over its threshold made a
 * collection due (mheap_gc_track()). It is queued here, at the end of the
 * call, unless that allocation was undone since: undos go last in, first
 * out, so heap->objects_allocated is below its number exactly when it
 * was. A failed call, whose allocations are undone, queues nothing: an
 * error changes nothing.
 *
 * Context: heap->lock held.
 */
static inline void mheap_gc_queue_due(struct mheap *heap)
{
	struct mheap_gc *gc = &heap->gc;

	if (likely(!gc->due_alloc))
		return;
	if (heap->objects_allocated >= gc->due_alloc)
		mheap_prim_work_queue(&gc->work);
	gc->due_alloc = 0;
}

/*
 * Give the cached blocks back to their pools (struct mheap_block_cache),
 * queue the collection the call made due (mheap_gc_queue_due()), drop
 * the heap lock, then free the arenas the holder retired: no vfree()
 * under the lock. Spares over the bounds go first (mheap_space_trim()):
 * here, when the call is over, so that a failed call, which has put the
 * heap back as it was, keeps them. Those over mheap_max_spare_arenas that
 * have not been idle for mheap_spare_decay_ms stay, and the heap's decay
 * work comes back for them that long after the heap's last call, so that
 * a heap that makes no more calls gives them back as well.
 * A debug build (MHEAP_DEBUG) first checks the heap's invariants
 * (validate.c), at a bounded cost per unlock.
 */
static inline void mheap_unlock_common(struct mheap *heap, bool handoff)
{
	LIST_HEAD(retired);

	mheap_space_flush(heap);
	if (unlikely(mheap_spares_over(heap))) {
		mheap_space_trim(heap, 0);
		/* what is left over the bound decays: until it expires */
		if (mheap_spares_over(heap))
			mheap_space_decay_queue(heap);
	}
	mheap_gc_queue_due(heap);
	/* the barrier's log serves one hold (mheap_gc_barrier_undo()) */
	if (unlikely(heap->gc.undo_len))
		mheap_gc_barrier_forget(heap);
	mheap_validate_amortized(heap);
	list_splice_init(&heap->retired, &retired);
	if (handoff)
		mheap_prim_mutex_unlock_handoff(&heap->lock);
	else
		mheap_prim_mutex_unlock(&heap->lock);
	if (!list_empty(&retired))
		mheap_arenas_free(&retired);
}

static inline void mheap_unlock(struct mheap *heap)
{
	mheap_unlock_common(heap, false);
}

/*
 * mheap_unlock(), then wait until every task that was waiting for the lock
 * has had it (or given up): for the collector between two increments and
 * after a collection, so that it never takes the lock back first.
 * Context: process context; returns with no lock held.
 */
static inline void mheap_unlock_handoff(struct mheap *heap)
{
	mheap_unlock_common(heap, true);
}

#endif /* MHEAP_HEAP_H */

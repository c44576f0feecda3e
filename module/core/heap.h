/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The heap: arenas, pools and size classes (see Documentation/heap.rst).
 *
 * A heap has two spaces with the same shape. The payload space holds the
 * bytes userspace reads and writes; the meta space holds object headers
 * and reference slots. The two never share an arena, so no page that may
 * one day be mapped into userspace holds kernel metadata.
 *
 * A space is a table of arenas (vmalloc, MHEAP_ARENA_SIZE each). An arena
 * is cut into pages; a page is either free, a pool of equal blocks of one
 * size class, or part of a run of pages for one larger block. Blocks above
 * MHEAP_RUN_MAX get a jumbo arena of their own. All bookkeeping (the
 * struct mheap_arena and its pool headers) is kmalloc'ed, outside the
 * arena: free blocks are tracked in bitmaps, never by pointers written
 * into the blocks.
 *
 * A block is named by a 32-bit location: the arena's index in its space's
 * table, then the block's offset in quanta (the space's class step).
 *
 * Locking: every field of struct mheap but the lock itself is guarded by
 * heap->lock (tag "L: lock"); the global statistics are atomic.
 */
#ifndef MHEAP_HEAP_H
#define MHEAP_HEAP_H

#include "prim.h"
#include "gc.h"
#include "names.h"
#include "validate.h"
#include "weak.h"

#define MHEAP_PAGE_SHIFT	12
#define MHEAP_PAGE_SIZE		BIT(MHEAP_PAGE_SHIFT)
#define MHEAP_ARENA_SHIFT	18
#define MHEAP_ARENA_SIZE	BIT(MHEAP_ARENA_SHIFT)
/* 64: an arena's page map is one u64 */
#define MHEAP_ARENA_PAGES	(MHEAP_ARENA_SIZE / MHEAP_PAGE_SIZE)
/* Blocks up to this size come from pools, by size class */
#define MHEAP_SMALL_MAX		512
/* Blocks up to this size take a run of pages; larger, a jumbo arena */
#define MHEAP_RUN_MAX		(MHEAP_ARENA_SIZE / 2)
/* A pool holds at most 256 blocks (the smallest block is 16 bytes) */
#define MHEAP_POOL_WORDS	4
#define MHEAP_BLOCK_MIN		16
#define MHEAP_CLASSES_MAX	(MHEAP_SMALL_MAX / 8)
/* Class steps (log2): 8 bytes in the meta space, 16 in the payload space */
#define MHEAP_META_QSHIFT	3
#define MHEAP_PAYLOAD_QSHIFT	4

/*
 * The payload mapping (mmap of a client): arena n of the payload space at
 * n << MHEAP_MAP_SHIFT, so that a jumbo arena (up to MHEAP_MAX_SIZE
 * plus guard bytes, rounded to pages) fits before the next one.
 */
#define MHEAP_MAP_SHIFT		24

/* Capacity: the bytes of arenas a heap may reserve, both spaces together */
#define MHEAP_CAPACITY_MIN	(2 * MHEAP_ARENA_SIZE)
#define MHEAP_CAPACITY_LIMIT	(16ULL * SZ_1G)

/**
 * struct mheap_pool - header of one page of an arena, kept outside it
 * @link: in the space's list of pools of @class with a free block.
 * @free: bit set for each free block; bit n is block n.
 * @loc: location of the page's first quantum.
 * @nused: blocks in use.
 * @nblocks: blocks in the pool; 0 if the page is not a pool.
 * @class: size class of a pool.
 * @npages: 1 for a pool, n for the first page of a run of n pages, 0 for a
 *	free page or a page inside a run.
 *
 * Invariant: nused + popcount(free) == nblocks.
 */
struct mheap_pool {
	struct list_head link;
	u64 free[MHEAP_POOL_WORDS];
	u32 loc;
	u16 nused;
	u16 nblocks;
	u8 class;
	u8 npages;
};

/**
 * struct mheap_arena - one vmalloc'ed arena
 * @base: the arena's memory, @size bytes.
 * @link: in its space's usable[@nfree] while some but not all pages are
 *	free; once released, in heap->retired until it is freed.
 * @used: bit n set when page n is in use.
 * @size: MHEAP_ARENA_SIZE, or more for a jumbo arena.
 * @index: in the space's table of arenas.
 * @nfree: free pages. Invariant: nfree + popcount(used) == MHEAP_ARENA_PAGES.
 * @nbusy: pages holding blocks in use: pools with nused > 0, and runs.
 *	An arena whose @nbusy drops to 0 becomes its space's spare or is
 *	freed; its empty pools go with it.
 * @jumbo: holds one block of @size bytes at offset 0 and has no @pools.
 * @pools: one header per page.
 */
struct mheap_arena {
	void *base;
	struct list_head link;
	u64 used;
	size_t size;
	u32 index;
	u8 nfree;
	u8 nbusy;
	bool jumbo;
	struct mheap_pool pools[];
};

/**
 * struct mheap_space - the arenas of one kind of memory in a heap
 * @arenas: table of arenas by index; entry 0 is never used, so that no
 *	location is 0.
 * @bases: each arena's base address, by index: what a location decodes
 *	through (one load instead of two). Same block as @arenas.
 * @narenas: length of @arenas and @bases.
 * @max_index: largest index a location can hold.
 * @qshift: log2 of the class step (the quantum): 3 for meta, 4 for payload.
 * @nclasses: size classes: MHEAP_SMALL_MAX >> @qshift.
 * @usable_mask: bit n set when usable[n] is not empty.
 * @usable: arenas with n free pages, 0 < n < MHEAP_ARENA_PAGES. New pools
 *	come from the arena with the fewest free pages, so that the least
 *	used arenas can empty and be released (obmalloc's usable_arenas).
 * @pools: pools with a free block, per size class. A pool that empties
 *	gives its page back unless it is the last one on its list.
 * @bytes_used: bytes in blocks handed out.
 * @arenas_used: arenas in the table, the spare included.
 * @spare: an arena with no block in use, kept rather than freed, or NULL.
 *	It stays in the table, and on the lists while it has empty pools or
 *	some free pages. One per space at most, so that a heap that
 *	allocates and frees one object does not create and free an arena
 *	each time (obmalloc keeps its last arena for the same reason).
 * @bit: MHEAP_UNDO_META or MHEAP_UNDO_PAYLOAD.
 * @class_live: blocks in use per size class.
 * @runs_live: page runs in use.
 * @jumbo_live: jumbo arenas in use.
 */
struct mheap_space {
	struct mheap_arena **arenas;
	char **bases;
	u32 narenas;
	u32 max_index;
	u8 qshift;
	u8 nclasses;
	u64 usable_mask;
	struct list_head usable[MHEAP_ARENA_PAGES];
	struct list_head pools[MHEAP_CLASSES_MAX];
	size_t bytes_used;
	u32 arenas_used;
	struct mheap_arena *spare;
	unsigned int bit;
	u64 class_live[MHEAP_CLASSES_MAX];
	u64 runs_live;
	u64 jumbo_live;
};

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
 *	MHEAP_UNDO_* bits of the spaces that had a spare when it started
 *	(see mheap_undo_begin()). L: lock
 * @meta: headers and reference slots. L: lock
 * @payload: payload bytes. L: lock
 * @gens: tracked objects, by generation. L: lock
 * @gc: the cycle collector. L: lock, but for @gc.work
 * @objects_allocated: objects ever allocated. L: lock
 * @objects_freed: objects ever freed. L: lock
 * @payload_bytes: payload bytes of live objects, as requested. L: lock
 * @weak: weak references (weak.h). L: lock
 * @names: named roots (names.h). L: lock
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
	struct mheap_gc_list gens[MHEAP_GEN_PERMANENT + 1];
	struct mheap_gc gc;
	u64 objects_allocated;
	u64 objects_freed;
	size_t payload_bytes;
	struct mheap_weak_table weak;
	struct mheap_name_table names;
	void (*reclaim)(struct mheap *heap, u32 subscriber, u64 cookie, u32 reason,
			u32 gen);
	void *reclaim_data;
	void (*unmap)(struct mheap *heap, u64 offset, u64 len);
	void *unmap_data;
	unsigned long guard_errors;
	bool guard_quiet;
	bool mapped;
	struct list_head retired;
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
 * @spare: empty arenas kept for reuse (one per space at most).
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
#define MHEAP_TOTAL_CAPACITY_DEFAULT	(4ULL * SZ_1G)
extern unsigned long mheap_total_capacity;

void *mheap_array_grow(void *old, size_t used, size_t size, size_t elem);
bool mheap_capacity_valid(size_t capacity, size_t capacity_max);
struct mheap *mheap_create(size_t capacity, size_t capacity_max);
void mheap_destroy(struct mheap *heap);
int mheap_set_capacity(struct mheap *heap, size_t capacity);
void mheap_heap_stats(struct mheap *heap, struct mheap_stats *stats);
void mheap_global_stats(struct mheap_global_stats *stats);
void mheap_global_count_collection(u64 collected);

int mheap_space_alloc(struct mheap *heap, struct mheap_space *space,
		      size_t size, u32 *loc, void **ptr);
void mheap_space_free(struct mheap *heap, struct mheap_space *space, u32 loc);
void *mheap_payload_page(struct mheap *heap, u64 offset);
u64 mheap_payload_map_offset(const struct mheap *heap, u32 loc);
u64 mheap_payload_map_size(const struct mheap *heap);
typedef unsigned long (*mheap_walk_fn)(struct mheap *heap, u32 loc,
				       void *data);
unsigned long mheap_space_walk(struct mheap *heap, struct mheap_space *space,
			       mheap_walk_fn fn, void *data);

#define MHEAP_UNDO		0x1
#define MHEAP_UNDO_META		0x2
#define MHEAP_UNDO_PAYLOAD	0x4

/**
 * mheap_spares() - which spaces have a spare arena now
 * @heap: the heap.
 *
 * Context: heap->lock held.
 * Return: MHEAP_UNDO_META and MHEAP_UNDO_PAYLOAD bits.
 */
static inline unsigned int mheap_spares(const struct mheap *heap)
{
	return (heap->meta.spare ? MHEAP_UNDO_META : 0) |
	       (heap->payload.spare ? MHEAP_UNDO_PAYLOAD : 0);
}

/**
 * mheap_undo_begin() - start undoing the allocations of a failed call
 * @heap: the heap.
 * @spares: mheap_spares() from when the call started.
 *
 * Until mheap_undo_end(), an arena that empties is kept as its
 * space's spare only if the space had one before, so that the heap's
 * reservation is what it was: an error changes nothing, the statistics
 * included.
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

void mheap_arenas_free(struct list_head *retired);

/*
 * Drop the heap lock, then free the arenas the holder retired: no vfree()
 * under the lock. A debug build (MHEAP_DEBUG) first checks the heap's
 * invariants (validate.c).
 */
static inline void mheap_unlock(struct mheap *heap)
{
	LIST_HEAD(retired);

	mheap_validate(heap);
	list_splice_init(&heap->retired, &retired);
	mheap_prim_mutex_unlock(&heap->lock);
	if (!list_empty(&retired))
		mheap_arenas_free(&retired);
}

/**
 * mheap_space_ptr() - the address of the block at a location
 * @space: the space the block was allocated from.
 * @loc: its location, as mheap_space_alloc() returned it.
 *
 * Context: heap->lock held; @loc names a block in use.
 * Return: the block's address.
 */
static inline void *mheap_space_ptr(const struct mheap_space *space, u32 loc)
{
	unsigned int shift = MHEAP_ARENA_SHIFT - space->qshift;
	u32 offset = (loc & ((1U << shift) - 1)) << space->qshift;

	return space->bases[loc >> shift] + offset;
}

#endif /* MHEAP_HEAP_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The allocator: arenas, pools and size classes (Documentation/heap.rst),
 * in the manner of CPython's obmalloc and of mimalloc. It knows blocks, not
 * objects: object.c lays headers and payloads out in the blocks it gives.
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
 * The spaces live in struct mheap (heap.h), which holds the byte counts
 * and the capacity they are charged against. Locking: heap->lock for
 * everything; the module-wide byte count is atomic.
 */
#ifndef MHEAP_SPACE_H
#define MHEAP_SPACE_H

#include "prim.h"

struct mheap;

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
/* Freed small blocks a space keeps per class for reuse (struct mheap_space) */
#define MHEAP_CACHE_SLOTS	8
/* Class steps (log2): 8 bytes in the meta space, 16 in the payload space */
#define MHEAP_META_QSHIFT	3
#define MHEAP_PAYLOAD_QSHIFT	4

/*
 * The payload mapping (mmap of a client): arena n of the payload space at
 * n << MHEAP_MAP_SHIFT, so that a jumbo arena (up to MHEAP_MAX_SIZE
 * plus guard bytes, rounded to pages) fits before the next one.
 */
#define MHEAP_MAP_SHIFT		24

/**
 * struct mheap_pool - header of one page of an arena, kept outside it
 * @link: in the space's list of pools of @class with a free block.
 * @free: bit set for each free block; bit n is block n.
 * @loc: location of the page's first quantum.
 * @nused: blocks in use.
 * @nblocks: blocks in the pool; 0 if the page is not a pool.
 * @class: size class of a pool.
 * @recip: MHEAP_RECIP(@class + 1), for mheap_pool_block().
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
	u32 recip;
};

/**
 * struct mheap_arena - one vmalloc'ed arena
 * @base: the arena's memory, @size bytes.
 * @link: in its space's usable[@nfree] while some but not all pages are
 *	free; once released, in heap->retired until it is freed.
 * @spare_link: in its space's @spares while it is a spare; else empty.
 * @used: bit n set when page n is in use.
 * @size: MHEAP_ARENA_SIZE, or more for a jumbo arena.
 * @index: in the space's table of arenas.
 * @nfree: free pages. Invariant: nfree + popcount(used) == MHEAP_ARENA_PAGES.
 * @nbusy: pages holding blocks in use: pools with nused > 0, and runs.
 *	An arena whose @nbusy drops to 0 becomes one of its space's spares
 *	or is freed; its empty pools go with it.
 * @jumbo: holds one block of @size bytes at offset 0 and has no @pools.
 * @idle_since: mheap_prim_now_ns() when it last became a spare, for the
 *	spares' decay (mheap_spare_decay_ms).
 * @pools: one header per page.
 */
struct mheap_arena {
	void *base;
	struct list_head link;
	struct list_head spare_link;
	u64 used;
	size_t size;
	u32 index;
	u8 nfree;
	u8 nbusy;
	bool jumbo;
	u64 idle_since;
	struct mheap_pool pools[];
};

/**
 * struct mheap_block_cache - freed blocks of one size class, kept for reuse
 * @count: blocks in @loc.
 * @loc: their locations, the last freed at @loc[@count - 1].
 *
 * A cached block is free to the heap (not in the class's live count or
 * the space's bytes used) but still in use to its pool (its bit clear,
 * counted in nused), so that freeing and allocating it again touch
 * neither the bitmap nor the pool and arena lists: the pair costs a push
 * and a pop, as with glibc's tcache and jemalloc's tcache bins. The cache
 * lasts one hold of the heap lock: mheap_unlock() gives every cached
 * block back to its pool (mheap_space_flush()), so that between calls
 * the heap is exactly as it would be without it.
 */
struct mheap_block_cache {
	u32 count;
	u32 loc[MHEAP_CACHE_SLOTS];
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
 * @bytes_used: bytes in blocks handed out, cached ones not included.
 * @arenas_used: arenas in the table, spares included.
 * @spares: arenas with no block in use, kept rather than freed, so that
 *	a heap that frees and allocates again does not free and create
 *	arenas each time (obmalloc keeps its last arena, mimalloc its freed
 *	segments, for the same reason). A spare stays in the table, and on
 *	the lists while it has empty pools or some free pages. At most
 *	mheap_max_spare_arenas per space, fewer under capacity pressure.
 * @nspares: arenas on @spares.
 * @class_live: blocks in use per size class, cached ones not included.
 * @cache: freed blocks kept for reuse, per size class (struct
 *	mheap_block_cache).
 * @ncached: blocks in @cache, all classes together.
 * @nflushes: times mheap_space_flush() emptied @cache (it wraps): how a
 *	caller tells a block popped from the cache from one a flush and a
 *	retry gave (object.c: meta_undo()).
 * @runs_live: page runs in use.
 * @jumbo_live: jumbo arenas in use.
 * @held: arenas that went idle or were freed (jumbo ones) while @hold was
 *	set, in that order, linked by their spare_link: still in the table,
 *	their memory still readable (mheap_space_hold()).
 * @hold: arenas that empty are held on @held rather than released
 *	(mheap_space_hold()).
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
	struct list_head spares;
	unsigned int nspares;
	u64 class_live[MHEAP_CLASSES_MAX];
	struct mheap_block_cache cache[MHEAP_CLASSES_MAX];
	u32 ncached;
	u32 nflushes;
	u64 runs_live;
	u64 jumbo_live;
	struct list_head held;
	bool hold;
};

#define MHEAP_TOTAL_CAPACITY_DEFAULT	(4ULL * SZ_1G)
extern unsigned long mheap_total_capacity;
#define MHEAP_SPARE_ARENAS_DEFAULT	16
#define MHEAP_SPARE_ARENAS_MAX		1024
extern unsigned int mheap_max_spare_arenas;
/*
 * With decay on, a space also keeps up to MHEAP_SPARE_BURST times
 * mheap_max_spare_arenas, for mheap_spare_decay_ms after each went idle.
 */
#define MHEAP_SPARE_BURST		4
#define MHEAP_SPARE_DECAY_MS_DEFAULT	1000
#define MHEAP_SPARE_DECAY_MS_MAX	60000
extern unsigned int mheap_spare_decay_ms;

int mheap_space_alloc_slow(struct mheap *heap, struct mheap_space *space,
			   size_t size, u32 *loc, void **ptr);
void mheap_space_free_slow(struct mheap *heap, struct mheap_space *space,
			   u32 loc);
void mheap_space_flush(struct mheap *heap);
void mheap_space_hold(struct mheap_space *space);
void mheap_space_unhold(struct mheap *heap, struct mheap_space *space);
#ifdef MHEAP_DEBUG
bool mheap_space_cache_check(struct mheap_space *space, u32 loc,
			     unsigned int class);
#else
static inline bool mheap_space_cache_check(struct mheap_space *space
					   __always_unused,
					   u32 loc __always_unused,
					   unsigned int class __always_unused)
{
	return true;
}
#endif
void *mheap_payload_page(struct mheap *heap, u64 offset);
u64 mheap_payload_map_offset(const struct mheap *heap, u32 loc);
u64 mheap_payload_map_size(const struct mheap *heap);
typedef unsigned long (*mheap_walk_fn)(struct mheap *heap, u32 loc,
				       void *data);
unsigned long mheap_space_walk(struct mheap *heap, struct mheap_space *space,
			       mheap_walk_fn fn, void *data);

/* heap->undo: undoing, and the heap's spares when the failed call began */
#define MHEAP_UNDO		BIT(31)
#define MHEAP_UNDO_SPARES	(MHEAP_UNDO - 1)

void mheap_space_init(struct mheap_space *space, unsigned int qshift);
void mheap_space_trim(struct mheap *heap, size_t room);
void mheap_space_decay_work(struct mheap_prim_dwork *work);
void mheap_space_destroy(struct mheap *heap, struct mheap_space *space);
u64 mheap_space_global_bytes(void);
void mheap_arenas_free(struct list_head *retired);

/**
 * mheap_bases_ptr() - mheap_block_ptr(), given the space's table of bases
 * @bases: the space's @bases, read once by a caller that decodes many
 *	locations while nothing allocates (the table moves only as it grows).
 * @loc: a block's location, as mheap_space_alloc() returned it.
 * @qshift: the space's @qshift, a constant.
 *
 * Context: heap->lock held; @loc names a block in use.
 * Return: the block's address.
 */
static __always_inline void *mheap_bases_ptr(char *const *bases, u32 loc,
					     unsigned int qshift)
{
	unsigned int shift = MHEAP_ARENA_SHIFT - qshift;
	u32 offset = (loc & ((1U << shift) - 1)) << qshift;

	return bases[loc >> shift] + offset;
}

/**
 * mheap_block_ptr() - the address of the block at a location, given the step
 * @space: the space the block was allocated from.
 * @loc: its location, as mheap_space_alloc() returned it.
 * @qshift: @space->qshift; a constant where the caller knows the space, so
 *	that the compiler folds the shifts (the fast paths, object ids).
 *
 * Context: heap->lock held; @loc names a block in use.
 * Return: the block's address.
 */
static __always_inline void *mheap_block_ptr(const struct mheap_space *space,
					     u32 loc, unsigned int qshift)
{
	return mheap_bases_ptr(space->bases, loc, qshift);
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
	return mheap_block_ptr(space, loc, space->qshift);
}

/*
 * Division by a class's block size in quanta (class + 1, at most 64) as a
 * multiply and a shift, as mimalloc and jemalloc divide by a size class:
 * with m = ceil(2^20 / d) = d' and m * d = 2^20 + e, e < d, the error of
 * (n * m) >> 20 against n / d is n * e / 2^20 < 1 / d for every n below
 * 2^20 / 64, so the quotient is exact; a block's offset in its page is
 * below 4096 / 8 = 512 quanta.
 */
#define MHEAP_RECIP_SHIFT	20
#define MHEAP_RECIP(d)		DIV_ROUND_UP(BIT(MHEAP_RECIP_SHIFT), (d))

/**
 * mheap_pool_block() - the number of a pool's block
 * @pool: a pool.
 * @loc: the location of one of its blocks.
 *
 * Context: heap->lock held.
 * Return: the block's index in @pool->free, (@loc - @pool->loc) / (class + 1).
 */
static inline unsigned int mheap_pool_block(const struct mheap_pool *pool,
					    u32 loc)
{
	return ((loc - pool->loc) * pool->recip) >> MHEAP_RECIP_SHIFT;
}

/**
 * mheap_pool_arena() - the arena a pool header belongs to
 * @pool: the header, in its arena's pools[].
 * @qshift: its space's qshift (a constant on the fast path).
 *
 * The headers sit in the arena's own pools[], indexed by page: the arena
 * is found by arithmetic, without the dependent load of a table lookup.
 *
 * Context: heap->lock held.
 * Return: the arena.
 */
static __always_inline struct mheap_arena *
mheap_pool_arena(struct mheap_pool *pool, unsigned int qshift)
{
	unsigned int page = (pool->loc >> (MHEAP_PAGE_SHIFT - qshift)) &
			    (MHEAP_ARENA_PAGES - 1);

	return container_of(pool - page, struct mheap_arena, pools[0]);
}

/**
 * mheap_arena_busy() - a block or run is about to be handed out from @arena
 * @space: its space.
 * @arena: the arena; a spare no longer once it has a block in use.
 *
 * Context: heap->lock held.
 */
static __always_inline void mheap_arena_busy(struct mheap_space *space,
					     struct mheap_arena *arena)
{
	if (!arena->nbusy++ && !list_empty(&arena->spare_link)) {
		list_del_init(&arena->spare_link);
		space->nspares--;
	}
}

/**
 * mheap_arena_spare() - keep an arena that went idle as a spare
 * @space: its space.
 * @arena: the arena, with no block in use; the caller decided to keep it.
 *
 * Context: heap->lock held.
 */
static __always_inline void mheap_arena_spare(struct mheap_space *space,
					      struct mheap_arena *arena)
{
	list_add(&arena->spare_link, &space->spares);
	space->nspares++;
	arena->idle_since = mheap_prim_now_ns();
}

#endif /* MHEAP_SPACE_H */

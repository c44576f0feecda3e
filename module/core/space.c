// SPDX-License-Identifier: GPL-2.0
/*
 * The allocator: arenas, pools and size classes. Part of the portable
 * core, built into mheap.ko and into the host tests. The layout is
 * described in space.h and in Documentation/heap.rst.
 *
 * Locking: heap->lock for everything; the module-wide byte count is
 * atomic.
 */
#include "heap.h"

static atomic_long_t global_arena_bytes;

/*
 * The most bytes of arenas all heaps together may hold (module parameter
 * total_capacity); read at each arena's reservation.
 */
unsigned long mheap_total_capacity = MHEAP_TOTAL_CAPACITY_DEFAULT;
EXPORT_SYMBOL_IF_KUNIT(mheap_total_capacity);

/*
 * The most idle arenas a space keeps as spares (module parameter
 * max_spare_arenas), read each time an arena goes idle.
 */
unsigned int mheap_max_spare_arenas = MHEAP_SPARE_ARENAS_DEFAULT;
EXPORT_SYMBOL_IF_KUNIT(mheap_max_spare_arenas);

/*
 * How long a spare over mheap_max_spare_arenas is kept (module parameter
 * spare_decay_ms), 0 for not at all; read at each use. jemalloc's
 * dirty_decay_ms makes the same trade: a program that frees a large
 * structure and builds it again finds its arenas still there, and a heap
 * that stops needing them gives them back.
 */
unsigned int mheap_spare_decay_ms = MHEAP_SPARE_DECAY_MS_DEFAULT;
EXPORT_SYMBOL_IF_KUNIT(mheap_spare_decay_ms);

/* A run of @n pages (n < 64) starting at page 0, as a page mask. */
static inline u64 run_mask(unsigned int n)
{
	return (1ULL << n) - 1;
}

static inline unsigned int loc_shift(const struct mheap_space *space)
{
	return MHEAP_ARENA_SHIFT - space->qshift;
}

static inline u32 make_loc(const struct mheap_space *space, u32 index,
			   u32 offset)
{
	return (index << loc_shift(space)) | (offset >> space->qshift);
}

/**
 * mheap_space_init() - set up an empty space
 * @space: &heap->meta or &heap->payload, zeroed.
 * @qshift: log2 of its class step: MHEAP_META_QSHIFT or
 *	MHEAP_PAYLOAD_QSHIFT.
 *
 * Context: any; the heap is not yet in use.
 */
void mheap_space_init(struct mheap_space *space, unsigned int qshift)
{
	unsigned int i;

	space->qshift = qshift;
	INIT_LIST_HEAD(&space->spares);
	INIT_LIST_HEAD(&space->held);
	space->nclasses = MHEAP_SMALL_MAX >> qshift;
	space->max_index = U32_MAX >> loc_shift(space);
	for (i = 0; i < ARRAY_SIZE(space->usable); i++)
		INIT_LIST_HEAD(&space->usable[i]);
	for (i = 0; i < ARRAY_SIZE(space->pools); i++)
		INIT_LIST_HEAD(&space->pools[i]);
}

/* Take @arena off its usable list, before its free page count changes. */
static void arena_unlist(struct mheap_space *space, struct mheap_arena *arena)
{
	if (list_empty(&arena->link))
		return;
	list_del_init(&arena->link);
	if (list_empty(&space->usable[arena->nfree]))
		space->usable_mask &= ~(1ULL << arena->nfree);
}

/*
 * Give @arena's bytes back to the heap and the module, and queue it on
 * heap->retired: mheap_unlock() frees it once the lock is dropped, as
 * net/unix/garbage.c frees what it gathered after unlocking, so that no
 * vfree() (a TLB flush, at times) runs under the heap lock.
 */
static void arena_free(struct mheap *heap, struct mheap_space *space,
		       struct mheap_arena *arena)
{
	heap->arena_bytes -= arena->size;
	trace_mheap_arena_release(heap->id, space == &heap->payload,
				  arena->index, arena->size, heap->arena_bytes);
	atomic_long_sub(arena->size, &global_arena_bytes);
	list_add(&arena->link, &heap->retired);
}

/**
 * mheap_arenas_free() - free arenas taken off a heap's retired list
 * @retired: the list (heap->retired, spliced off under the lock).
 *
 * Context: process context; may sleep; the heap lock need not be held.
 */
void mheap_arenas_free(struct list_head *retired)
{
	struct mheap_arena *arena;

	while ((arena = list_first_entry_or_null(retired, struct mheap_arena,
						 link))) {
		list_del_init(&arena->link);
		mheap_prim_vfree(arena->base);
		mheap_prim_free(arena);
	}
}
EXPORT_SYMBOL_IF_KUNIT(mheap_arenas_free);

/*
 * Remove an arena from its space and free it, with the empty pools it
 * kept for their classes.
 */
static void arena_release(struct mheap *heap, struct mheap_space *space,
			  struct mheap_arena *arena)
{
	unsigned int page;

	if (space == &heap->payload && heap->unmap)
		heap->unmap(heap, (u64)arena->index << MHEAP_MAP_SHIFT,
			    arena->size);

	if (!arena->jumbo) {
		for (page = 0; page < MHEAP_ARENA_PAGES; page++) {
			if (arena->pools[page].nblocks)
				list_del_init(&arena->pools[page].link);
		}
	}
	arena_unlist(space, arena);
	if (!list_empty(&arena->spare_link)) {
		list_del_init(&arena->spare_link);
		space->nspares--;
	}
	space->arenas[arena->index] = NULL;
	space->bases[arena->index] = NULL;
	space->arenas_used--;
	arena_free(heap, space, arena);
}

/*
 * Whether an arena that just went idle stays as a spare: its space has
 * fewer than mheap_max_spare_arenas (MHEAP_SPARE_BURST times as many
 * while spares decay: the ones over the bound go once idle for
 * mheap_spare_decay_ms, spare_expired()), and the heap holds no more than
 * its capacity (which may have been lowered under arenas in use). While a
 * failed call is undone, the rule is instead that the heap gets back as
 * many spares as it had when the call began (mheap_undo_begin()), so that
 * it holds the same arena bytes.
 */
static bool keep_as_spare(struct mheap *heap, struct mheap_space *space)
{
	unsigned int max = READ_ONCE(mheap_max_spare_arenas);

	if (heap->undo & MHEAP_UNDO)
		return mheap_spares(heap) < (heap->undo & MHEAP_UNDO_SPARES);
	if (READ_ONCE(mheap_spare_decay_ms))
		max *= MHEAP_SPARE_BURST;
	return space->nspares < max && heap->arena_bytes <= heap->capacity;
}

/* A pool of @arena emptied or a run went: keep it as a spare, or free it. */
static void arena_idle(struct mheap *heap, struct mheap_space *space,
		       struct mheap_arena *arena)
{
	if (--arena->nbusy)
		return;
	if (unlikely(space->hold)) {
		list_add_tail(&arena->spare_link, &space->held);
		return;
	}
	if (keep_as_spare(heap, space))
		mheap_arena_spare(space, arena);
	else
		arena_release(heap, space, arena);
}

/* The space with more spares: the one a trim for room takes from. */
static struct mheap_space *fuller_space(struct mheap *heap)
{
	return heap->meta.nspares > heap->payload.nspares ? &heap->meta :
							    &heap->payload;
}

/*
 * Whether @space's oldest spare goes now: the space has more than @max,
 * and more than MHEAP_SPARE_BURST times @max, or the oldest has been idle
 * for mheap_spare_decay_ms (always, when that is 0).
 */
static bool spare_expired(const struct mheap_space *space, unsigned int max)
{
	unsigned int decay_ms = READ_ONCE(mheap_spare_decay_ms);
	const struct mheap_arena *oldest;

	if (space->nspares <= max)
		return false;
	if (!decay_ms || space->nspares > max * MHEAP_SPARE_BURST)
		return true;
	oldest = list_last_entry(&space->spares, struct mheap_arena,
				 spare_link);
	return mheap_prim_now_ns() - oldest->idle_since >=
	       (u64)decay_ms * NSEC_PER_MSEC;
}

/*
 * The space a trim takes its next spare from: one whose oldest spare
 * expired, else, when @room does not fit under the capacity, the one with
 * more; NULL when nothing needs freeing.
 */
static struct mheap_space *trim_space(struct mheap *heap, size_t room)
{
	unsigned int max = READ_ONCE(mheap_max_spare_arenas);

	if (spare_expired(&heap->meta, max))
		return &heap->meta;
	if (spare_expired(&heap->payload, max))
		return &heap->payload;
	if (!mheap_spares(heap) || heap->arena_bytes + room <= heap->capacity)
		return NULL;
	return fuller_space(heap);
}

/* Free the spare that went idle first in @space, which has one. */
static void release_spare(struct mheap *heap, struct mheap_space *space)
{
	arena_release(heap, space, list_last_entry(&space->spares,
						   struct mheap_arena,
						   spare_link));
}

/**
 * mheap_space_trim() - free spare arenas down to the bounds
 * @heap: the heap.
 * @room: bytes that must fit under the heap's capacity besides its arenas.
 *
 * Frees spares until each space has at most mheap_max_spare_arenas (but
 * for those that have not been idle for mheap_spare_decay_ms) and
 * @heap->arena_bytes + @room <= @heap->capacity, or no spare is left:
 * spares are a cache, and yield to arenas in use, of either space.
 * mheap_unlock() calls it once the call is over, when the heap holds more
 * than its capacity or a space more spares than the bound: an arena the
 * call added took room the spares held, or the capacity or the bound was
 * lowered under them. A failed call frees what it added, and puts the
 * capacity back, before it unlocks: its spares stay.
 *
 * Context: heap->lock held.
 */
void mheap_space_trim(struct mheap *heap, size_t room)
{
	struct mheap_space *space;

	mheap_prim_assert_held(&heap->lock);
	while ((space = trim_space(heap, room)))
		release_spare(heap, space);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_space_trim);

/**
 * mheap_space_decay_work() - the heap's decay work item (heap->decay)
 * @work: &heap->decay.
 *
 * Takes the heap lock and drops it: mheap_unlock() frees the spares over
 * mheap_max_spare_arenas that have been idle for mheap_spare_decay_ms,
 * and queues the item again while younger ones are left.
 *
 * Context: the collector's workqueue; takes heap->lock.
 */
void mheap_space_decay_work(struct mheap_prim_dwork *work)
{
	struct mheap *heap = container_of(work, struct mheap, decay);

	mheap_lock(heap);
	mheap_unlock(heap);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_space_decay_work);

/* Put @arena on the usable list its free page count says, if any. */
static void arena_relist(struct mheap_space *space, struct mheap_arena *arena)
{
	if (arena->nfree && arena->nfree < MHEAP_ARENA_PAGES) {
		list_add(&arena->link, &space->usable[arena->nfree]);
		space->usable_mask |= 1ULL << arena->nfree;
	}
}

/* Make room for one more arena in the table; returns a free index. */
static int table_slot(struct mheap_space *space, u32 *index)
{
	struct mheap_arena **table;
	char **bases;
	u32 i, len;

	for (i = 1; i < space->narenas; i++) {
		if (!space->arenas[i]) {
			*index = i;
			return 0;
		}
	}
	if (space->narenas > space->max_index)
		return -ENOSPC;
	len = max(space->narenas * 2, 16U);
	len = min(len, space->max_index + 1);
	/* one block: the arenas, then their bases */
	table = mheap_prim_kvzalloc(len * (sizeof(*table) + sizeof(*bases)));
	if (!table)
		return -ENOMEM;
	bases = (char **)(table + len);
	if (space->narenas) {
		memcpy(table, space->arenas, space->narenas * sizeof(*table));
		memcpy(bases, space->bases, space->narenas * sizeof(*bases));
	}
	mheap_prim_kvfree(space->arenas);
	space->arenas = table;
	space->bases = bases;
	space->narenas = len;
	*index = i;
	return 0;
}

/*
 * Reserve @size bytes under the module-wide ceiling, mheap_total_capacity,
 * for an arena of @heap. The count only ever moves to a value within the
 * ceiling (a compare-and-exchange, not an add then a check), so neither a
 * reader of mheap_space_global_bytes() nor a racing heap ever sees a
 * reservation that fails. When only this heap's spares stand in the way,
 * they are freed first, one at a time, and their bytes leave the count
 * before the new arena's join it; other heaps' spares are under their own
 * locks. -ENOSPC when the spares cannot make room: then none is freed,
 * unless a racing heap took the room that freeing some had made.
 */
static int reserve_global(struct mheap *heap, size_t size)
{
	unsigned long total = READ_ONCE(mheap_total_capacity);
	long old = atomic_long_read(&global_arena_bytes);
	unsigned long spare_bytes, want;
	bool overflow;

	for (;;) {
		overflow = check_add_overflow((unsigned long)old, size, &want);
		if (!overflow && want <= total) {
			if (atomic_long_try_cmpxchg(&global_arena_bytes, &old,
						    want))
				return 0;
			continue;
		}
		spare_bytes = (unsigned long)mheap_spares(heap) *
			      MHEAP_ARENA_SIZE;
		if (overflow || want - total > spare_bytes) {
			trace_mheap_limit(heap->id, MHEAP_LIMIT_TOTAL_CAPACITY,
					  total);
			return -ENOSPC;
		}
		release_spare(heap, fuller_space(heap));
		old = atomic_long_read(&global_arena_bytes);
	}
}

/*
 * A new arena for @space, not on any list: a jumbo arena of @size bytes
 * for one block, or a standard one. Either must fit in the heap's
 * capacity and under the module-wide ceiling.
 */
static int arena_create(struct mheap *heap, struct mheap_space *space,
			bool jumbo, size_t size, struct mheap_arena **out)
{
	unsigned long spare_bytes;
	struct mheap_arena *arena;
	size_t want;
	u32 index;
	int err;

	/*
	 * Spares count, but yield: to the heap's capacity when the call is
	 * over (mheap_unlock()), so that a call that fails and frees this
	 * arena keeps them; to the module's ceiling at once (reserve_global()).
	 */
	spare_bytes = (unsigned long)mheap_spares(heap) * MHEAP_ARENA_SIZE;
	if (check_add_overflow(heap->arena_bytes, size, &want) ||
	    want - spare_bytes > heap->capacity) {
		trace_mheap_limit(heap->id, MHEAP_LIMIT_CAPACITY, heap->capacity);
		return -ENOSPC;
	}
	err = table_slot(space, &index);
	if (err)
		return err;
	err = reserve_global(heap, size);
	if (err)
		return err;
	err = -ENOMEM;
	arena = mheap_prim_zalloc(struct_size(arena, pools,
					      jumbo ? 0 : MHEAP_ARENA_PAGES));
	if (!arena)
		goto err_uncount;
	arena->base = mheap_prim_vzalloc(size);
	if (!arena->base) {
		mheap_prim_free(arena);
		goto err_uncount;
	}
	INIT_LIST_HEAD(&arena->link);
	INIT_LIST_HEAD(&arena->spare_link);
	arena->size = size;
	arena->jumbo = jumbo;
	arena->nfree = MHEAP_ARENA_PAGES;
	arena->index = index;
	space->arenas[index] = arena;
	space->bases[index] = arena->base;
	space->arenas_used++;
	heap->arena_bytes += size;
	trace_mheap_arena_add(heap->id, space == &heap->payload, index, size,
			      heap->arena_bytes);
	*out = arena;
	return 0;

err_uncount:
	atomic_long_sub(size, &global_arena_bytes);
	return err;
}

/* Find @npages free pages in a row in @arena; returns the first or -1. */
static int arena_find_run(const struct mheap_arena *arena, unsigned int npages)
{
	u64 mask = run_mask(npages);
	unsigned int page;

	for (page = 0; page + npages <= MHEAP_ARENA_PAGES; page++) {
		if (!(arena->used & (mask << page)))
			return page;
	}
	return -1;
}

/*
 * Take @npages pages in a row: from the most used arena that has them,
 * else from a spare that has no page in use, else from a new arena.
 */
static int take_pages(struct mheap *heap, struct mheap_space *space,
		      unsigned int npages, struct mheap_arena **out, int *first)
{
	u64 buckets = space->usable_mask & ~run_mask(npages);
	struct mheap_arena *arena;
	int page, err;

	while (buckets) {
		unsigned int nfree = __ffs64(buckets);

		buckets &= buckets - 1;
		list_for_each_entry(arena, &space->usable[nfree], link) {
			page = arena_find_run(arena, npages);
			if (page >= 0)
				goto found;
		}
	}
	list_for_each_entry(arena, &space->spares, spare_link) {
		if (arena->nfree == MHEAP_ARENA_PAGES) {
			page = 0;
			goto found;
		}
	}
	err = arena_create(heap, space, false, MHEAP_ARENA_SIZE, &arena);
	if (err)
		return err;
	page = 0;
found:
	arena_unlist(space, arena);
	arena->used |= run_mask(npages) << page;
	arena->nfree -= npages;
	arena_relist(space, arena);
	*out = arena;
	*first = page;
	return 0;
}

static void put_pages(struct mheap_space *space, struct mheap_arena *arena,
		      unsigned int page, unsigned int npages)
{
	arena_unlist(space, arena);
	arena->used &= ~(run_mask(npages) << page);
	arena->nfree += npages;
	arena_relist(space, arena);
}

static inline unsigned int class_size(const struct mheap_space *space,
				      unsigned int class)
{
	return (class + 1) << space->qshift;
}

static int pool_create(struct mheap *heap, struct mheap_space *space,
		       unsigned int class, struct mheap_pool **out)
{
	unsigned int nblocks = MHEAP_PAGE_SIZE / class_size(space, class);
	struct mheap_arena *arena;
	struct mheap_pool *pool;
	unsigned int w;
	int page, err;

	err = take_pages(heap, space, 1, &arena, &page);
	if (err)
		return err;
	pool = &arena->pools[page];
	for (w = 0; w < MHEAP_POOL_WORDS; w++) {
		unsigned int bits = min(nblocks - min(nblocks, w * 64), 64U);

		pool->free[w] = bits == 64 ? ~0ULL : run_mask(bits);
	}
	pool->loc = make_loc(space, arena->index, page * MHEAP_PAGE_SIZE);
	pool->nused = 0;
	pool->nblocks = nblocks;
	pool->class = class;
	pool->npages = 1;
	pool->recip = MHEAP_RECIP(class + 1);
	list_add(&pool->link, &space->pools[class]);
	*out = pool;
	return 0;
}

static int alloc_small(struct mheap *heap, struct mheap_space *space,
		       size_t size, u32 *loc)
{
	unsigned int class = (size - 1) >> space->qshift;
	struct mheap_pool *pool;
	unsigned int w, bit;
	int err;

	pool = list_first_entry_or_null(&space->pools[class], struct mheap_pool,
					link);
	if (unlikely(!pool)) {
		err = pool_create(heap, space, class, &pool);
		if (err)
			return err;
	}
	if (!pool->nused)
		mheap_arena_busy(space, mheap_pool_arena(pool, space->qshift));
	for (w = 0; !pool->free[w]; w++)
		;
	bit = __ffs64(pool->free[w]);
	pool->free[w] &= pool->free[w] - 1;
	if (unlikely(++pool->nused == pool->nblocks))
		list_del_init(&pool->link);
	*loc = pool->loc + (w * 64 + bit) * (class + 1);
	space->class_live[class]++;
	space->bytes_used += class_size(space, class);
	return 0;
}

static void free_small(struct mheap *heap, struct mheap_space *space,
		       struct mheap_arena *arena, struct mheap_pool *pool,
		       u32 loc)
{
	unsigned int block = mheap_pool_block(pool, loc);

	if (WARN_ON_ONCE(block >= pool->nblocks ||
			 (pool->free[block / 64] & (1ULL << (block % 64)))))
		return;
	if (pool->nused-- == pool->nblocks)
		list_add(&pool->link, &space->pools[pool->class]);
	pool->free[block / 64] |= 1ULL << (block % 64);
	space->class_live[pool->class]--;
	space->bytes_used -= class_size(space, pool->class);
	if (pool->nused)
		return;
	/* the last pool of its class with room stays, ready for the next */
	if (!list_is_singular(&space->pools[pool->class])) {
		list_del_init(&pool->link);
		pool->nblocks = 0;
		pool->npages = 0;
		put_pages(space, arena, pool - arena->pools, 1);
	}
	arena_idle(heap, space, arena);
}

static int alloc_run(struct mheap *heap, struct mheap_space *space,
		     size_t size, u32 *loc)
{
	unsigned int npages = DIV_ROUND_UP(size, MHEAP_PAGE_SIZE);
	struct mheap_arena *arena;
	struct mheap_pool *pool;
	int page, err;

	err = take_pages(heap, space, npages, &arena, &page);
	if (err)
		return err;
	mheap_arena_busy(space, arena);
	pool = &arena->pools[page];
	pool->npages = npages;
	pool->nblocks = 0;
	*loc = make_loc(space, arena->index, page * MHEAP_PAGE_SIZE);
	space->runs_live++;
	space->bytes_used += npages * MHEAP_PAGE_SIZE;
	return 0;
}

static int alloc_jumbo(struct mheap *heap, struct mheap_space *space,
		       size_t size, u32 *loc)
{
	struct mheap_arena *arena;
	int err;

	size = round_up(size, MHEAP_PAGE_SIZE);
	err = arena_create(heap, space, true, size, &arena);
	if (err)
		return err;
	*loc = make_loc(space, arena->index, 0);
	space->jumbo_live++;
	space->bytes_used += size;
	return 0;
}

/* mheap_space_alloc_slow(), without its retry */
static int alloc_block(struct mheap *heap, struct mheap_space *space,
		       size_t size, u32 *loc, void **ptr)
{
	size_t zero;
	int err;

	size = max_t(size_t, size, MHEAP_BLOCK_MIN);
	if (size <= MHEAP_SMALL_MAX) {
		err = alloc_small(heap, space, size, loc);
		zero = round_up(size, 1U << space->qshift);
	} else if (size <= MHEAP_RUN_MAX) {
		err = alloc_run(heap, space, size, loc);
		zero = round_up(size, MHEAP_PAGE_SIZE);
	} else {
		/* A new jumbo arena comes zeroed from vmalloc. */
		err = alloc_jumbo(heap, space, size, loc);
		zero = 0;
	}
	if (err)
		return err;
	*ptr = mheap_space_ptr(space, *loc);
	memset(*ptr, 0, zero);
	return 0;
}

/**
 * mheap_space_alloc_slow() - allocate a zeroed block, whatever its size
 * @heap: the heap.
 * @space: &heap->meta or &heap->payload.
 * @size: bytes, at least 1; the caller bounds it.
 * @loc: set to the block's location.
 * @ptr: set to the block's address.
 *
 * Small blocks come from the pools of their size class, mid-sized ones
 * take a run of pages, big ones a jumbo arena. The whole block is zeroed,
 * not only @size bytes of it. mheap_space_alloc() (space_fast.h) comes here
 * for all but its common case. When that fails while blocks are cached,
 * they go back to their pools (mheap_space_flush()), which may let an
 * arena go, and the allocation is tried once more: the cache never makes
 * an allocation fail that would succeed without it. A heap over its
 * capacity first frees the spares whose room an arena of this call took
 * (see arena_create()): a spare taken into use again would count twice.
 *
 * Context: heap->lock held; may sleep.
 * Return: 0, -ENOSPC when the heap's capacity would be exceeded or its
 * arena table is full, or -ENOMEM. On error nothing changed.
 */
int mheap_space_alloc_slow(struct mheap *heap, struct mheap_space *space,
			   size_t size, u32 *loc, void **ptr)
{
	int err;

	mheap_prim_assert_held(&heap->lock);
	/*
	 * Over the capacity, the spares' room went to an arena this call
	 * created (arena_create()): they go now, before any could be taken
	 * into use again, and not at the unlock.
	 */
	if (unlikely(heap->arena_bytes > heap->capacity))
		mheap_space_trim(heap, 0);
	err = alloc_block(heap, space, size, loc, ptr);
	if (err && (heap->meta.ncached || heap->payload.ncached ||
		    heap->nfreelisted)) {
		mheap_space_flush(heap);
		err = alloc_block(heap, space, size, loc, ptr);
	}
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_space_alloc_slow);

/**
 * mheap_space_free_slow() - free a block, whatever its size
 * @heap: the heap.
 * @space: the space it came from.
 * @loc: its location.
 *
 * An arena left with no block in use becomes a spare, or is freed.
 * mheap_space_free() (space_fast.h) comes here for all but its common case.
 *
 * Context: heap->lock held.
 */
void mheap_space_free_slow(struct mheap *heap, struct mheap_space *space,
			   u32 loc)
{
	unsigned int shift = loc_shift(space);
	u32 index = loc >> shift;
	u32 offset = (loc & ((1U << shift) - 1)) << space->qshift;
	struct mheap_arena *arena;
	struct mheap_pool *pool;
	unsigned int npages;

	mheap_prim_assert_held(&heap->lock);
	if (WARN_ON_ONCE(index >= space->narenas || !space->arenas[index]))
		return;
	arena = space->arenas[index];
	if (arena->jumbo) {
		space->jumbo_live--;
		space->bytes_used -= arena->size;
		if (unlikely(space->hold))
			list_add_tail(&arena->spare_link, &space->held);
		else
			arena_release(heap, space, arena);
		return;
	}
	pool = &arena->pools[offset >> MHEAP_PAGE_SHIFT];
	if (pool->nblocks) {
		free_small(heap, space, arena, pool, loc);
		return;
	}
	npages = pool->npages;
	if (WARN_ON_ONCE(!npages || offset % MHEAP_PAGE_SIZE))
		return;
	space->runs_live--;
	space->bytes_used -= npages * MHEAP_PAGE_SIZE;
	pool->npages = 0;
	put_pages(space, arena, pool - arena->pools, npages);
	arena_idle(heap, space, arena);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_space_free_slow);

/**
 * mheap_space_hold() - keep the arenas that empty from now on
 * @space: the space.
 *
 * Until mheap_space_unhold(), an arena left with no block in use, and a
 * jumbo arena whose block is freed, stay in the table, readable: none is
 * released (mheap_space_free()'s fast path may still make one a spare,
 * which stays in the table too). For a pass that frees blocks and still
 * reads some of them afterwards (object.c:
 * mheap_object_free_unreachable()). Freeing a small block writes nothing
 * into it: a pool's bitmap is outside its blocks. Nothing may be
 * allocated from @space meanwhile.
 *
 * Context: heap->lock held.
 */
void mheap_space_hold(struct mheap_space *space)
{
	WARN_ON_ONCE(space->hold || !list_empty(&space->held));
	space->hold = true;
}

/**
 * mheap_space_unhold() - let go of the arenas mheap_space_hold() kept
 * @heap: the heap.
 * @space: the space, held.
 *
 * Each arena held is kept as a spare or released, in the order they
 * emptied, by the rule that decides when an arena empties (arena_idle()):
 * as many spares stay as would have without the hold, though not always
 * the same ones.
 *
 * Context: heap->lock held.
 */
void mheap_space_unhold(struct mheap *heap, struct mheap_space *space)
{
	struct mheap_arena *arena;

	space->hold = false;
	while ((arena = list_first_entry_or_null(&space->held,
						 struct mheap_arena,
						 spare_link))) {
		list_del_init(&arena->spare_link);
		if (arena->jumbo) {
			arena_release(heap, space, arena);
		} else if (!WARN_ON_ONCE(arena->nbusy)) {
			arena->nbusy++;
			arena_idle(heap, space, arena);
		}
	}
}

/**
 * mheap_space_flush() - give every cached block back to its pool
 * @heap: the heap.
 *
 * Empties the heap's free lists of leaf objects (struct mheap_freelist)
 * and both spaces' caches (struct mheap_block_cache) through
 * mheap_space_free_slow(): pools and arenas end as if each block had been
 * freed there and then. For mheap_unlock(), before it drops the lock, and
 * for whatever needs the pools to say exactly which blocks are in use:
 * a walk, the statistics, an allocation that failed.
 *
 * Context: heap->lock held.
 */
void mheap_space_flush(struct mheap *heap)
{
	struct mheap_space *spaces[] = { &heap->meta, &heap->payload };
	struct mheap_block_cache *cache;
	unsigned int i, class;

	if (!heap->meta.ncached && !heap->payload.ncached &&
	    !heap->nfreelisted)
		return;
	mheap_prim_assert_held(&heap->lock);
	/* still counted as in use: mheap_space_free_slow() uncounts them */
	for (class = 0; heap->nfreelisted && class < MHEAP_FREELIST_CLASSES;
	     class++) {
		struct mheap_freelist *list = &heap->freelist[class];

		while (list->count) {
			list->count--;
			heap->nfreelisted--;
			mheap_space_free_slow(heap, &heap->meta,
					      list->meta[list->count]);
			mheap_space_free_slow(heap, &heap->payload,
					      list->payload[list->count]);
		}
	}
	for (i = 0; i < ARRAY_SIZE(spaces); i++) {
		struct mheap_space *space = spaces[i];

		if (space->ncached)
			space->nflushes++;
		for (class = 0; space->ncached && class < space->nclasses;
		     class++) {
			cache = &space->cache[class];
			while (cache->count) {
				space->ncached--;
				space->class_live[class]++;
				space->bytes_used += class_size(space, class);
				mheap_space_free_slow(heap, space,
						      cache->loc[--cache->count]);
			}
		}
	}
}
EXPORT_SYMBOL_IF_KUNIT(mheap_space_flush);

#ifdef MHEAP_DEBUG
/**
 * mheap_space_cache_check() - whether a block may go into a class's cache
 * @space: its space.
 * @loc: the block, about to be cached by mheap_space_free_small().
 * @class: the class its caller's size gives.
 *
 * Context: heap->lock held.
 * Return: true when @loc is a block of a pool of @class, in use, and not
 * cached already; false, with a WARNING, when not. The caller then frees
 * it through mheap_space_free(), which reports what it finds; a block
 * freed twice leaves the cache first, so that it is freed once.
 */
bool mheap_space_cache_check(struct mheap_space *space, u32 loc,
			     unsigned int class)
{
	unsigned int shift = loc_shift(space), block, i;
	u32 offset = (loc & ((1U << shift) - 1)) << space->qshift;
	struct mheap_block_cache *cache = &space->cache[class];
	struct mheap_arena *arena;
	struct mheap_pool *pool;

	if (WARN_ON_ONCE(loc >> shift >= space->narenas))
		return false;
	arena = space->arenas[loc >> shift];
	if (WARN_ON_ONCE(!arena || arena->jumbo))
		return false;
	pool = &arena->pools[offset >> MHEAP_PAGE_SHIFT];
	if (WARN_ON_ONCE(!pool->nblocks || pool->class != class))
		return false;
	block = mheap_pool_block(pool, loc);
	if (WARN_ON_ONCE(block >= pool->nblocks ||
			 (pool->free[block / 64] & BIT_ULL(block % 64))))
		return false;
	for (i = 0; i < cache->count; i++) {
		if (WARN_ON_ONCE(cache->loc[i] == loc)) {
			/* freed twice: out of the cache, to be freed once */
			cache->loc[i] = cache->loc[--cache->count];
			space->ncached--;
			space->class_live[class]++;
			space->bytes_used += class_size(space, class);
			return false;
		}
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_space_cache_check);
#endif

/* Visit the blocks in use in one page of @arena; see mheap_space_walk(). */
static unsigned long walk_page(struct mheap *heap, struct mheap_space *space,
			       struct mheap_arena *arena, unsigned int page,
			       mheap_walk_fn fn, void *data)
{
	struct mheap_pool *pool = &arena->pools[page];
	unsigned long sum = 0;
	unsigned int block;

	if (!(arena->used & BIT_ULL(page)))
		return 0;
	if (!pool->nblocks)	/* a run starts here, or is inside one */
		return pool->npages ?
		       fn(heap, make_loc(space, arena->index,
					 page * MHEAP_PAGE_SIZE), data) : 0;
	for (block = 0; block < pool->nblocks; block++) {
		if (!(pool->free[block / 64] & BIT_ULL(block % 64)))
			sum += fn(heap, pool->loc + block * (pool->class + 1),
				  data);
	}
	return sum;
}

/**
 * mheap_space_walk() - visit every block in use in a space
 * @heap: the heap.
 * @space: one of its spaces.
 * @fn: called with each block's location and @data; must not allocate or
 *	free blocks.
 * @data: for @fn.
 *
 * Cached blocks are given back to their pools first (mheap_space_flush()):
 * the walk sees only blocks in use.
 *
 * Context: heap->lock held.
 * Return: the sum of what @fn returned.
 */
unsigned long mheap_space_walk(struct mheap *heap, struct mheap_space *space,
			       mheap_walk_fn fn, void *data)
{
	unsigned long sum = 0;
	unsigned int page;
	u32 index;

	mheap_prim_assert_held(&heap->lock);
	mheap_space_flush(heap);
	for (index = 1; index < space->narenas; index++) {
		struct mheap_arena *arena = space->arenas[index];

		if (!arena)
			continue;
		/* a jumbo arena is freed with its block: this one is in use */
		if (arena->jumbo) {
			sum += fn(heap, make_loc(space, index, 0), data);
			continue;
		}
		for (page = 0; page < MHEAP_ARENA_PAGES; page++)
			sum += walk_page(heap, space, arena, page, fn, data);
		mheap_prim_cond_resched();
	}
	return sum;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_space_walk);

/**
 * mheap_payload_page() - a page of the payload space, by mapping offset
 * @heap: the heap.
 * @offset: a page-aligned offset in the payload mapping (MHEAP_MAP_SHIFT).
 *
 * Context: heap->lock held.
 * Return: the address of the page, or NULL when no arena covers @offset.
 */
void *mheap_payload_page(struct mheap *heap, u64 offset)
{
	struct mheap_space *space = &heap->payload;
	u64 index = offset >> MHEAP_MAP_SHIFT;
	u64 off = offset & (BIT_ULL(MHEAP_MAP_SHIFT) - 1);
	struct mheap_arena *arena;

	mheap_prim_assert_held(&heap->lock);
	if (index >= space->narenas)
		return NULL;
	arena = space->arenas[index];
	if (!arena || off >= arena->size)
		return NULL;
	return (char *)arena->base + off;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_payload_page);

/**
 * mheap_payload_map_offset() - where a payload block is in the mapping
 * @heap: the heap.
 * @loc: the block's location in the payload space.
 *
 * Context: any.
 * Return: its offset in the payload mapping, in bytes.
 */
u64 mheap_payload_map_offset(const struct mheap *heap, u32 loc)
{
	unsigned int shift = loc_shift(&heap->payload);
	u64 index = loc >> shift;

	return (index << MHEAP_MAP_SHIFT) +
	       ((u64)(loc & (BIT(shift) - 1)) << heap->payload.qshift);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_payload_map_offset);

/**
 * mheap_payload_map_size() - how much of the mapping the arenas span
 * @heap: the heap.
 *
 * Context: heap->lock held.
 * Return: the end of the last arena's part of the mapping, in bytes; 0
 * when the payload space has no arena.
 */
u64 mheap_payload_map_size(const struct mheap *heap)
{
	const struct mheap_space *space = &heap->payload;
	u32 i;

	for (i = space->narenas; i > 1; i--) {
		if (space->arenas[i - 1])
			return (u64)i << MHEAP_MAP_SHIFT;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_payload_map_size);

/**
 * mheap_space_destroy() - free every arena of a space, whatever it holds
 * @heap: the heap, being destroyed.
 * @space: &heap->meta or &heap->payload.
 *
 * The arenas go on heap->retired; the caller frees them
 * (mheap_arenas_free()).
 *
 * Context: process context; the caller holds the heap's only reference.
 */
void mheap_space_destroy(struct mheap *heap, struct mheap_space *space)
{
	u32 i;

	for (i = 1; i < space->narenas; i++) {
		if (space->arenas[i])
			arena_free(heap, space, space->arenas[i]);
	}
	mheap_prim_kvfree(space->arenas);
}

/**
 * mheap_space_global_bytes() - bytes of arenas all heaps hold
 *
 * Context: any.
 * Return: the module-wide count that mheap_total_capacity bounds.
 */
u64 mheap_space_global_bytes(void)
{
	return atomic_long_read(&global_arena_bytes);
}

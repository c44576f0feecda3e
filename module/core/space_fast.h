/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The allocator's fast paths, inline in their callers: a small block
 * taken from, or given back to, a pool that neither fills nor changes
 * list, in a few dozen instructions with no call (obmalloc's
 * pymalloc_alloc() and mimalloc's mi_malloc() fast paths make the same
 * cut). Everything else, and every doubt, goes to mheap_space_alloc_slow()
 * and mheap_space_free_slow() in space.c, which do the whole job and
 * report what is wrong: a fast path changes nothing before it decides.
 *
 * Free blocks stay in the pool's bitmap, kept outside the arena: a free
 * list threaded through the blocks would put kernel pointers in payload
 * pages that userspace maps (space.h).
 */
#ifndef MHEAP_SPACE_FAST_H
#define MHEAP_SPACE_FAST_H

#include "heap.h"

/*
 * log2 of a space's class step. A constant where the caller names the
 * space (&heap->meta, &heap->payload), so that the compiler folds it.
 */
static __always_inline unsigned int space_qshift(const struct mheap *heap,
						 const struct mheap_space *space)
{
	return space == &heap->meta ? MHEAP_META_QSHIFT : MHEAP_PAYLOAD_QSHIFT;
}

/*
 * Zero a small block, @bytes a multiple of 8: word stores, two at a time
 * (payload blocks are multiples of 16 bytes). For a memset() of unknown
 * size on aligned memory, gcc emits "rep stos", whose start-up costs more
 * than the whole block at these sizes: it took 40% of an object's
 * allocation in the host's profile. OPTIMIZER_HIDE_VAR() keeps gcc from
 * turning the loop back into that memset().
 */
static __always_inline void zero_small(void *ptr, unsigned int bytes)
{
	u64 *word = ptr, *end = word + bytes / 8;

	if (bytes & 8)
		*word++ = 0;
	while (word < end) {
		word[0] = 0;
		word[1] = 0;
		word += 2;
		OPTIMIZER_HIDE_VAR(word);
	}
}

/**
 * mheap_space_alloc() - allocate a zeroed block
 * @heap: the heap.
 * @space: &heap->meta or &heap->payload.
 * @size: bytes, at least 1; the caller bounds it.
 * @loc: set to the block's location.
 * @ptr: set to the block's address.
 *
 * The fast path serves a small block from its class's cache (struct
 * mheap_block_cache), else from the first pool of its class when that
 * pool does not fill; mheap_space_alloc_slow() does the rest.
 *
 * Context: heap->lock held; may sleep.
 * Return: 0, -ENOSPC when the heap's capacity would be exceeded or its
 * arena table is full, or -ENOMEM. On error nothing changed.
 */
static __always_inline int mheap_space_alloc(struct mheap *heap,
					     struct mheap_space *space,
					     size_t size, u32 *loc, void **ptr)
{
	unsigned int qshift = space_qshift(heap, space);
	struct mheap_block_cache *cache;
	struct mheap_pool *pool;
	unsigned int class, w;
	u32 block;

	mheap_prim_assert_held(&heap->lock);
	if (unlikely(size > MHEAP_SMALL_MAX))
		goto slow;
	class = (max_t(size_t, size, MHEAP_BLOCK_MIN) - 1) >> qshift;
	cache = &space->cache[class];
	if (likely(cache->count)) {
		*loc = cache->loc[--cache->count];
		space->ncached--;
		goto found;
	}
	pool = list_first_entry_or_null(&space->pools[class], struct mheap_pool,
					link);
	if (unlikely(!pool || pool->nused + 1 >= pool->nblocks))
		goto slow;
	if (!pool->nused) {
		/* its arena may be a spare whose room was taken: see slow */
		if (unlikely(heap->arena_bytes > heap->capacity))
			goto slow;
		mheap_arena_busy(space, mheap_pool_arena(pool, qshift));
	}
	for (w = 0; !pool->free[w]; w++)
		;
	block = w * 64 + __ffs64(pool->free[w]);
	pool->free[w] &= pool->free[w] - 1;
	pool->nused++;
	*loc = pool->loc + block * (class + 1);
found:
	space->class_live[class]++;
	space->bytes_used += (class + 1) << qshift;
	*ptr = mheap_block_ptr(space, *loc, qshift);
	zero_small(*ptr, (class + 1) << qshift);
	return 0;
slow:
	return mheap_space_alloc_slow(heap, space, size, loc, ptr);
}

/*
 * Give block @loc back to @pool's bitmap, @pool holding @n blocks in use
 * and staying on its list: false, changing nothing, when the block is not
 * one of @pool's in use (the caller's slow path warns): mheap_space_free()'s
 * fast path.
 */
static __always_inline bool pool_put_block(struct mheap_space *space,
					   struct mheap_pool *pool,
					   unsigned int n, u32 loc,
					   unsigned int qshift)
{
	unsigned int block = mheap_pool_block(pool, loc);
	u64 *word = &pool->free[block / 64];
	u64 bit = BIT_ULL(block % 64);

	if (unlikely(block >= pool->nblocks || (*word & bit)))
		return false;
	*word |= bit;
	pool->nused = n - 1;
	space->class_live[pool->class]--;
	space->bytes_used -= (pool->class + 1) << qshift;
	return true;
}

/**
 * mheap_space_free() - free a block
 * @heap: the heap.
 * @space: the space it came from.
 * @loc: its location.
 *
 * The fast path gives a small block back to a pool that was not full and
 * stays on its list: one that keeps blocks in use, or the last pool of
 * its class, whose arena then stays busy or becomes a spare.
 * mheap_space_free_slow() does the rest: an arena left with no block in
 * use becomes a spare, or is freed.
 *
 * Context: heap->lock held.
 */
static __always_inline void mheap_space_free(struct mheap *heap,
					     struct mheap_space *space,
					     u32 loc)
{
	unsigned int qshift = space_qshift(heap, space);
	unsigned int shift = MHEAP_ARENA_SHIFT - qshift;
	u32 index = loc >> shift;
	u32 offset = (loc & (BIT(shift) - 1)) << qshift;
	struct mheap_arena *arena;
	struct mheap_pool *pool;
	unsigned int n;

	mheap_prim_assert_held(&heap->lock);
	if (unlikely(index >= space->narenas))
		goto slow;
	arena = space->arenas[index];
	if (unlikely(!arena || arena->jumbo))
		goto slow;
	pool = &arena->pools[offset >> MHEAP_PAGE_SHIFT];
	n = pool->nused;
	if (unlikely(!pool->nblocks || n == pool->nblocks))
		goto slow;
	/*
	 * Emptying: only the last pool of its class stays; an arena left
	 * idle becomes a spare here only by the plain rule (keep_as_spare()).
	 */
	if (n == 1 && (!list_is_singular(&space->pools[pool->class]) ||
		       (arena->nbusy == 1 &&
			(heap->undo || heap->arena_bytes > heap->capacity ||
			 space->nspares >= READ_ONCE(mheap_max_spare_arenas)))))
		goto slow;
	if (unlikely(!pool_put_block(space, pool, n, loc, qshift)))
		goto slow;	/* which warns */
	/* arena_idle(), in the cases the test above let through */
	if (n == 1 && !--arena->nbusy)
		mheap_arena_spare(space, arena);
	return;
slow:
	mheap_space_free_slow(heap, space, loc);
}

/**
 * mheap_space_free_small() - free a block whose size the caller knows
 * @heap: the heap.
 * @space: the space it came from.
 * @loc: its location.
 * @size: the size it was allocated with, as passed to mheap_space_alloc().
 *
 * A small block goes to its class's cache (struct mheap_block_cache) when
 * there is room, and no failed call is being undone (an undo must leave
 * the pools and arenas as they were: mheap_undo_begin()); anything else
 * to mheap_space_free(). A debug build (MHEAP_DEBUG) checks that @size
 * matches the block's pool and that the block is in use.
 *
 * Context: heap->lock held.
 */
static __always_inline void mheap_space_free_small(struct mheap *heap,
						   struct mheap_space *space,
						   u32 loc, size_t size)
{
	unsigned int qshift = space_qshift(heap, space);
	struct mheap_block_cache *cache;
	unsigned int class;

	mheap_prim_assert_held(&heap->lock);
	if (unlikely(size > MHEAP_SMALL_MAX || heap->undo))
		goto free;
	class = (max_t(size_t, size, MHEAP_BLOCK_MIN) - 1) >> qshift;
	cache = &space->cache[class];
	if (unlikely(cache->count == MHEAP_CACHE_SLOTS ||
		     !mheap_space_cache_check(space, loc, class)))
		goto free;
	cache->loc[cache->count++] = loc;
	space->ncached++;
	space->class_live[class]--;
	space->bytes_used -= (class + 1) << qshift;
	return;
free:
	mheap_space_free(heap, space, loc);
}

/**
 * struct mheap_free_batch - consecutive blocks of one pool's bitmap word,
 *	freed and not yet given back
 * @next: the location of the block after the last one.
 * @end: the location past the last block the batch may take: the end of
 *	the word or of the pool, or the block that would empty the pool,
 *	whichever comes first. @next == @end when the batch is empty.
 * @first: the location of its first block.
 * @step: the pool's block size, in locations.
 * @pool: their pool, NULL when the batch is empty.
 *
 * For mheap_space_free_batch(): a block joins with a compare against
 * @next and @end, and @next moved on. Until mheap_space_batch_flush(), the
 * pool still counts the blocks in use. Other frees into the pool meanwhile
 * (mheap_space_free(), say from a cascade of releases) see them in use:
 * they never empty the pool, nor find it full, and the flush gives the
 * batch's last block back by mheap_space_free() when the batch would empty
 * the pool, so that an emptied pool is always handled as one.
 */
struct mheap_free_batch {
	u32 next;
	u32 end;
	u32 first;
	u32 step;
	struct mheap_pool *pool;
};

/**
 * mheap_space_batch_flush() - give a batch's blocks back to their pool
 * @heap: the heap.
 * @space: the space they came from.
 * @batch: the batch; empty on return.
 *
 * A block that is free already (a double free) is left to
 * mheap_space_free(), which warns.
 *
 * Context: heap->lock held.
 */
static __always_inline void mheap_space_batch_flush(struct mheap *heap,
						    struct mheap_space *space,
						    struct mheap_free_batch *batch)
{
	unsigned int qshift = space_qshift(heap, space);
	struct mheap_pool *pool = batch->pool;
	unsigned int block, n;
	u64 bits, *word;
	u32 loc;

	if (!pool)
		return;
	/* exact: a multiple of the block size, at most a page (mheap_pool_block()) */
	n = ((batch->next - batch->first) * pool->recip) >> MHEAP_RECIP_SHIFT;
	block = mheap_pool_block(pool, batch->first);
	batch->pool = NULL;
	batch->end = batch->next;	/* no block joins an empty batch */
	bits = (n == 64 ? ~0ULL : BIT_ULL(n) - 1) << (block % 64);
	word = &pool->free[block / 64];
	if (unlikely(*word & bits || n > pool->nused)) {
		for (loc = batch->first; loc != batch->next; loc += batch->step)
			mheap_space_free(heap, space, loc);
		return;
	}
	if (unlikely(n == pool->nused)) {
		/* the last block in use: the pool empties by the whole path */
		n--;
		bits &= ~BIT_ULL((block + n) % 64);
		loc = batch->next - batch->step;
	} else {
		loc = 0;
	}
	*word |= bits;
	pool->nused -= n;
	space->class_live[pool->class] -= n;
	space->bytes_used -= (size_t)n * ((pool->class + 1) << qshift);
	if (loc)
		mheap_space_free(heap, space, loc);
}

/**
 * mheap_space_batch_join() - add a block to a batch, if it follows it
 * @batch: the batch.
 * @loc: the block's location.
 *
 * mheap_space_free_batch()'s common case, with no call: for a caller
 * that keeps its loop free of them.
 *
 * Context: heap->lock held.
 * Return: whether @loc joined the batch (freed, to be given back);
 * otherwise nothing changed.
 */
static __always_inline bool mheap_space_batch_join(struct mheap_free_batch *batch,
						   u32 loc)
{
	if (loc != batch->next || loc == batch->end)
		return false;
	batch->next = loc + batch->step;
	return true;
}

/**
 * mheap_space_free_batch() - free one of many blocks, most of them
 *	consecutive
 * @heap: the heap.
 * @space: the space they came from.
 * @batch: the blocks freed before and not yet given back; starts zeroed.
 * @loc: the block's location.
 *
 * mheap_space_free() for a caller that frees many blocks in a row, as the
 * collector frees its garbage, which was allocated together and sits
 * together: a block that follows the batch's last one in its pool's
 * bitmap word joins the batch, which is given back at once when the next
 * block does not (mheap_space_batch_flush()). One update of the word and
 * of the counters per batch, and no lookup, where a free each found its
 * pool, computed its bit, and checked the pool's state (mimalloc frees a
 * page's blocks by a list kept in the page; here the page's bitmap stays
 * outside it). A block of the same pool that does not follow starts a
 * new batch without looking its pool up. Whatever starts no batch (a pool
 * that would fill, empty or change list, a jumbo or a run) goes to
 * mheap_space_free().
 *
 * Context: heap->lock held; the batch is flushed before anything
 * allocates from @space.
 */
static __always_inline void mheap_space_free_batch(struct mheap *heap,
						   struct mheap_space *space,
						   struct mheap_free_batch *batch,
						   u32 loc)
{
	unsigned int qshift = space_qshift(heap, space);
	unsigned int shift = MHEAP_ARENA_SHIFT - qshift;
	struct mheap_pool *pool = batch->pool;
	struct mheap_arena *arena;
	unsigned int block, n;
	u32 index;

	if (likely(mheap_space_batch_join(batch, loc)))
		return;
	mheap_space_batch_flush(heap, space, batch);
	if (!pool || loc - pool->loc >= MHEAP_PAGE_SIZE >> qshift) {
		index = loc >> shift;
		if (unlikely(index >= space->narenas))
			goto slow;
		arena = space->arenas[index];
		if (unlikely(!arena || arena->jumbo))
			goto slow;
		pool = &arena->pools[((loc & (BIT(shift) - 1)) << qshift) >>
				     MHEAP_PAGE_SHIFT];
	}
	n = pool->nused;
	if (unlikely(pool->npages != 1 || n <= 1 || n == pool->nblocks))
		goto slow;
	block = mheap_pool_block(pool, loc);
	if (unlikely(block >= pool->nblocks))
		goto slow;	/* which warns */
	batch->pool = pool;
	batch->first = loc;
	batch->step = pool->class + 1;
	batch->next = loc + batch->step;
	batch->end = loc + batch->step *
		     min3(64 - block % 64, pool->nblocks - block, n - 1);
	return;
slow:
	mheap_space_free(heap, space, loc);
}

#endif /* MHEAP_SPACE_FAST_H */

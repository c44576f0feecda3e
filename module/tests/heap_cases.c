// SPDX-License-Identifier: GPL-2.0
/*
 * Test cases of the heap (arenas, pools, size classes), built into
 * mheap_test.ko and into the host tests (see core_test.h).
 */
#include "core_util.h"

CORE_TEST(heap_create_destroy)
{
	struct mheap_global_stats g0, g1;
	struct mheap *heap;

	mheap_global_stats(&g0);
	heap = mheap_create(SZ_1M, SZ_1G);
	CORE_ASSERT_NOT_NULL(heap);
	mheap_global_stats(&g1);
	CORE_EXPECT_EQ(g1.heaps, g0.heaps + 1);
	CORE_EXPECT_EQ(heap->capacity, (size_t)SZ_1M);
	CORE_EXPECT_EQ(heap->arena_bytes, (size_t)0);
	mheap_destroy(heap);
	mheap_global_stats(&g1);
	CORE_EXPECT_EQ(g1.heaps, g0.heaps);
}

CORE_TEST(heap_destroy_null)
{
	mheap_destroy(NULL);
}

/* Two heaps share nothing. One heap lock at a time: they share a class. */
CORE_TEST(heaps_are_independent)
{
	struct mheap *a = mheap_create(SZ_1M, SZ_1G);
	struct mheap *b = mheap_create(2 * SZ_1M, SZ_1G);
	void *pa, *pb;
	u32 la, lb;

	CORE_ASSERT_NOT_NULL(a);
	CORE_ASSERT_NOT_NULL(b);
	CORE_EXPECT_PTR_NE(a, b);
	mheap_lock(a);
	CORE_ASSERT_EQ(mheap_space_alloc(a, &a->payload, 32, &la, &pa), 0);
	CORE_EXPECT_EQ(test_stats(a).used, (u64)32);
	mheap_unlock(a);
	mheap_lock(b);
	CORE_ASSERT_EQ(mheap_space_alloc(b, &b->payload, 32, &lb, &pb), 0);
	CORE_EXPECT_PTR_NE(pa, pb);
	CORE_EXPECT_EQ(b->capacity, (size_t)2 * SZ_1M);
	mheap_unlock(b);
	CORE_EXPECT_EQ(a->capacity, (size_t)SZ_1M);
	mheap_destroy(a);
	mheap_destroy(b);
}

CORE_TEST(heap_capacity_validated)
{
	struct mheap *heap;

	CORE_EXPECT_NULL(mheap_create(0, SZ_1G));
	CORE_EXPECT_NULL(mheap_create(MHEAP_CAPACITY_MIN - 1, SZ_1G));
	CORE_EXPECT_NULL(mheap_create(SZ_1G, SZ_1M));
	CORE_EXPECT_NULL(mheap_create(SZ_1M, MHEAP_CAPACITY_LIMIT + 1));
	heap = mheap_create(SZ_1M, 2 * SZ_1M);
	CORE_ASSERT_NOT_NULL(heap);
	mheap_lock(heap);
	CORE_EXPECT_EQ(mheap_set_capacity(heap, 2 * SZ_1M + 1), -EINVAL);
	CORE_EXPECT_EQ(mheap_set_capacity(heap, MHEAP_CAPACITY_MIN - 1),
		       -EINVAL);
	CORE_EXPECT_EQ(heap->capacity, (size_t)SZ_1M);
	CORE_EXPECT_EQ(mheap_set_capacity(heap, 2 * SZ_1M), 0);
	CORE_EXPECT_EQ(heap->capacity, (size_t)2 * SZ_1M);
	test_heap_done(heap);
}

/* Every small size gets a zeroed, aligned block of its class. */
CORE_TEST(space_small_classes)
{
	struct mheap *heap = test_heap(SZ_1M);
	static u32 locs[MHEAP_SMALL_MAX + 1];
	struct mheap_stats stats;
	unsigned int size, i;
	void *ptr;

	CORE_ASSERT_NOT_NULL(heap);
	for (size = 1; size <= MHEAP_SMALL_MAX; size++) {
		unsigned char *p;

		CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->payload, size,
						 &locs[size], &ptr), 0);
		p = ptr;
		CORE_EXPECT_EQ((unsigned long)ptr % 16, 0UL);
		CORE_EXPECT_TRUE(mheap_space_ptr(&heap->payload, locs[size]) == ptr);
		for (i = 0; i < round_up(size, 16U); i++)
			if (p[i])
				break;
		CORE_EXPECT_EQ(i, round_up(size, 16U));
		memset(p, 0xa5, size);
	}
	stats = test_stats(heap);
	for (i = 0; i < ARRAY_SIZE(stats.class_live); i++)
		CORE_EXPECT_EQ(stats.class_live[i], (u64)16);
	CORE_EXPECT_EQ(stats.runs + stats.jumbo, (u64)0);
	for (size = 1; size <= MHEAP_SMALL_MAX; size++)
		mheap_space_free(heap, &heap->payload, locs[size]);
	stats = test_stats(heap);
	CORE_EXPECT_EQ(stats.used, (u64)0);
	CORE_EXPECT_EQ(stats.arenas, (u64)0);
	CORE_EXPECT_EQ(stats.spare, (u64)1);
	CORE_EXPECT_EQ(stats.arena_bytes, (u64)MHEAP_ARENA_SIZE);
	test_heap_done(heap);
}

/*
 * mheap_pool_block() divides by a multiply and a shift: exact for every
 * class and every offset a page can hold (space.h says why).
 */
CORE_TEST(space_block_index_exact)
{
	struct mheap_pool pool = { .loc = 1000 };
	unsigned int class, quanta, wrong = 0;

	for (class = 0; class < MHEAP_CLASSES_MAX; class++) {
		pool.recip = MHEAP_RECIP(class + 1);
		for (quanta = 0; quanta < MHEAP_PAGE_SIZE >> MHEAP_META_QSHIFT;
		     quanta++)
			wrong += mheap_pool_block(&pool, pool.loc + quanta) !=
				 quanta / (class + 1);
	}
	CORE_EXPECT_EQ(wrong, 0U);
}

/* A freed block comes back zeroed, from its pool or from the spare. */
CORE_TEST(space_blocks_zeroed_on_reuse)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 loc, loc2;
	void *ptr;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->payload, 48, &loc, &ptr), 0);
	memset(ptr, 0xff, 48);
	CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->payload, 48, &loc2, &ptr), 0);
	mheap_space_free(heap, &heap->payload, loc);
	CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->payload, 40, &loc, &ptr), 0);
	CORE_EXPECT_EQ(((unsigned char *)ptr)[0], 0);
	CORE_EXPECT_EQ(((unsigned char *)ptr)[47], 0);
	memset(ptr, 0xff, 48);
	mheap_space_free(heap, &heap->payload, loc);
	mheap_space_free(heap, &heap->payload, loc2);
	/* the emptied arena is now the spare, and is used again */
	CORE_EXPECT_EQ(test_stats(heap).spare, (u64)1);
	CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->payload, 48, &loc, &ptr), 0);
	CORE_EXPECT_EQ(test_stats(heap).arena_bytes, (u64)MHEAP_ARENA_SIZE);
	CORE_EXPECT_EQ(test_stats(heap).spare, (u64)0);
	CORE_EXPECT_EQ(((unsigned char *)ptr)[0], 0);
	CORE_EXPECT_EQ(((unsigned char *)ptr)[47], 0);
	mheap_space_free(heap, &heap->payload, loc);
	test_heap_done(heap);
}

/* Mid-sized blocks take page runs; big ones an arena of their own. */
CORE_TEST(space_runs_and_jumbo)
{
	struct mheap *heap = test_heap(SZ_1M * 4);
	struct mheap_stats stats;
	u32 a, b, c;
	void *pa, *pb, *pc;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->payload, MHEAP_SMALL_MAX + 1,
					 &a, &pa), 0);
	CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->payload, MHEAP_RUN_MAX,
					 &b, &pb), 0);
	CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->payload, MHEAP_RUN_MAX + 1,
					 &c, &pc), 0);
	CORE_EXPECT_EQ((unsigned long)pa % MHEAP_PAGE_SIZE, 0UL);
	CORE_EXPECT_EQ((unsigned long)pb % MHEAP_PAGE_SIZE, 0UL);
	CORE_EXPECT_EQ((unsigned long)pc % MHEAP_PAGE_SIZE, 0UL);
	memset(pb, 1, MHEAP_RUN_MAX);
	memset(pc, 1, MHEAP_RUN_MAX + 1);
	stats = test_stats(heap);
	CORE_EXPECT_EQ(stats.runs, (u64)2);
	CORE_EXPECT_EQ(stats.jumbo, (u64)1);
	CORE_EXPECT_EQ(stats.used, (u64)(MHEAP_PAGE_SIZE + MHEAP_RUN_MAX +
					 MHEAP_RUN_MAX + MHEAP_PAGE_SIZE));
	CORE_EXPECT_EQ(stats.arena_bytes, (u64)(MHEAP_ARENA_SIZE + MHEAP_RUN_MAX +
					     MHEAP_PAGE_SIZE));
	mheap_space_free(heap, &heap->payload, c);
	mheap_space_free(heap, &heap->payload, b);
	mheap_space_free(heap, &heap->payload, a);
	stats = test_stats(heap);
	CORE_EXPECT_EQ(stats.used, (u64)0);
	CORE_EXPECT_EQ(stats.runs + stats.jumbo + stats.arenas, (u64)0);
	/* a jumbo arena is never kept as the spare */
	CORE_EXPECT_EQ(stats.arena_bytes, (u64)MHEAP_ARENA_SIZE);
	test_heap_done(heap);
}

/*
 * An arena released under the lock gives its bytes back at once but is
 * freed only by mheap_unlock(), after the lock is dropped.
 */
CORE_TEST(space_arena_freed_after_unlock)
{
	struct mheap *heap = test_heap(SZ_1M * 4);
	size_t before;
	u32 loc;
	void *ptr;

	CORE_ASSERT_NOT_NULL(heap);
	before = heap->arena_bytes;
	CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->payload, MHEAP_RUN_MAX + 1,
					 &loc, &ptr), 0);
	CORE_EXPECT_TRUE(heap->arena_bytes > before);
	mheap_space_free(heap, &heap->payload, loc);
	CORE_EXPECT_EQ(heap->arena_bytes, before);
	CORE_EXPECT_TRUE(list_is_singular(&heap->retired));
	mheap_unlock(heap);
	CORE_EXPECT_TRUE(list_empty(&heap->retired));
	mheap_lock(heap);
	test_heap_done(heap);
}

/* Growth stops at the capacity with -ENOSPC, and changes nothing. */
CORE_TEST(space_capacity_enospc)
{
	struct mheap *heap = test_heap(MHEAP_CAPACITY_MIN);
	struct mheap_stats before;
	static u32 locs[2 * MHEAP_ARENA_PAGES];
	u32 loc;
	unsigned int i;
	void *ptr;

	CORE_ASSERT_NOT_NULL(heap);
	for (i = 0; i < ARRAY_SIZE(locs); i++)
		CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->payload,
						 MHEAP_PAGE_SIZE, &locs[i], &ptr), 0);
	before = test_stats(heap);
	CORE_EXPECT_EQ(before.arena_bytes, (u64)MHEAP_CAPACITY_MIN);
	CORE_EXPECT_EQ(mheap_space_alloc(heap, &heap->payload, 16, &loc, &ptr),
		       -ENOSPC);
	CORE_EXPECT_EQ(mheap_space_alloc(heap, &heap->payload, MHEAP_RUN_MAX + 1,
					 &loc, &ptr), -ENOSPC);
	CORE_EXPECT_EQ(mheap_space_alloc(heap, &heap->meta, 24, &loc, &ptr),
		       -ENOSPC);
	CORE_EXPECT_TRUE(test_stats_equal(heap, &before));
	/* room again once a page is free */
	mheap_space_free(heap, &heap->payload, locs[7]);
	CORE_EXPECT_EQ(mheap_space_alloc(heap, &heap->payload, 16, &locs[7], &ptr),
		       0);
	for (i = 0; i < ARRAY_SIZE(locs); i++)
		mheap_space_free(heap, &heap->payload, locs[i]);
	test_heap_done(heap);
}

/*
 * Growth also stops at the module-wide ceiling (mheap_total_capacity),
 * whatever room the heap's own capacity leaves, and changes nothing.
 */
CORE_TEST(space_total_capacity_enospc)
{
	unsigned long saved = mheap_total_capacity;
	struct mheap *heap = test_heap(SZ_64M);
	static u32 locs[MHEAP_ARENA_PAGES + 1];
	struct mheap_global_stats g, g2;
	struct mheap_stats before;
	unsigned int i;
	void *ptr;

	CORE_ASSERT_NOT_NULL(heap);
	mheap_global_stats(&g);
	/* room for one more arena, all heaps together */
	mheap_total_capacity = g.arena_bytes + MHEAP_ARENA_SIZE;
	for (i = 0; i < MHEAP_ARENA_PAGES; i++)
		CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->payload,
						 MHEAP_PAGE_SIZE, &locs[i], &ptr), 0);
	before = test_stats(heap);
	CORE_EXPECT_EQ(mheap_space_alloc(heap, &heap->payload, MHEAP_PAGE_SIZE,
					 &locs[i], &ptr), -ENOSPC);
	CORE_EXPECT_EQ(mheap_space_alloc(heap, &heap->meta, 24, &locs[i], &ptr),
		       -ENOSPC);
	CORE_EXPECT_TRUE(test_stats_equal(heap, &before));
	mheap_global_stats(&g2);
	CORE_EXPECT_EQ(g2.arena_bytes, (u64)mheap_total_capacity);
	/* a higher ceiling makes room */
	mheap_total_capacity = saved;
	CORE_EXPECT_EQ(mheap_space_alloc(heap, &heap->payload, MHEAP_PAGE_SIZE,
					 &locs[i], &ptr), 0);
	for (i = 0; i < ARRAY_SIZE(locs); i++)
		mheap_space_free(heap, &heap->payload, locs[i]);
	test_heap_done(heap);
}

/*
 * New pools come from the most used arena (obmalloc's usable_arenas
 * order), so that the least used one can empty and go back.
 */
CORE_TEST(space_prefers_most_used_arena)
{
	struct mheap *heap = test_heap(SZ_1M * 2);
	struct mheap_space *s;
	static u32 locs[2 * MHEAP_ARENA_PAGES];
	u32 a, b, loc;
	unsigned int i;
	void *ptr;

	CORE_ASSERT_NOT_NULL(heap);
	s = &heap->payload;
	for (i = 0; i < ARRAY_SIZE(locs); i++)
		CORE_ASSERT_EQ(mheap_space_alloc(heap, s, MHEAP_PAGE_SIZE,
						 &locs[i], &ptr), 0);
	a = test_arena_of(s, locs[0]);
	b = test_arena_of(s, locs[MHEAP_ARENA_PAGES]);
	CORE_EXPECT_NE(a, b);
	/* a keeps 54 pages in use, b 14 */
	for (i = 0; i < 10; i++)
		mheap_space_free(heap, s, locs[i]);
	for (i = MHEAP_ARENA_PAGES; i < MHEAP_ARENA_PAGES + 50; i++)
		mheap_space_free(heap, s, locs[i]);
	for (i = 0; i < 10; i++) {
		CORE_ASSERT_EQ(mheap_space_alloc(heap, s, 16 * (i + 1), &locs[i],
						 &ptr), 0);
		CORE_EXPECT_EQ(test_arena_of(s, locs[i]), a);
	}
	CORE_ASSERT_EQ(mheap_space_alloc(heap, s, 200, &loc, &ptr), 0);
	CORE_EXPECT_EQ(test_arena_of(s, loc), b);
	mheap_space_free(heap, s, loc);
	for (i = MHEAP_ARENA_PAGES + 50; i < ARRAY_SIZE(locs); i++)
		mheap_space_free(heap, s, locs[i]);
	/* b is empty: it became a spare */
	CORE_EXPECT_EQ(test_stats(heap).arenas, (u64)1);
	CORE_EXPECT_EQ(test_stats(heap).spare, (u64)1);
	for (i = 0; i < MHEAP_ARENA_PAGES; i++)
		mheap_space_free(heap, s, locs[i]);
	CORE_EXPECT_EQ(test_stats(heap).arenas, (u64)0);
	CORE_EXPECT_EQ(test_stats(heap).spare, (u64)2);
	test_heap_done(heap);
}

/* Arenas in use, both spaces: stats.arenas without a struct on the stack. */
static u64 test_arenas(struct mheap *heap)
{
	return heap->meta.arenas_used + heap->payload.arenas_used -
	       mheap_spares(heap);
}

/* Take @n payload blocks of a page each into @locs; 0 or the error. */
static int test_fill_pages(struct mheap *heap, u32 *locs, unsigned int n)
{
	unsigned int i;
	void *ptr;
	int err;

	for (i = 0; i < n; i++) {
		err = mheap_space_alloc(heap, &heap->payload, MHEAP_PAGE_SIZE,
					&locs[i], &ptr);
		if (err)
			return err;
	}
	return 0;
}

static void test_free_pages(struct mheap *heap, const u32 *locs,
			    unsigned int n)
{
	while (n--)
		mheap_space_free(heap, &heap->payload, locs[n]);
}

/*
 * mheap_space_free_batch() (the collector's frees): a block that follows
 * the batch's last one joins it, up to the end of its bitmap word, of its
 * pool, and one block short of emptying the pool; any other starts a new
 * batch, or goes by mheap_space_free(). Three pools' worth of headers
 * (128 a pool), freed with gaps, runs across words and pools and a jump
 * back, leave the bitmaps and counts exact (the validators), and the
 * rest, which empties every pool, some flushed block by block, leaves the
 * heap empty.
 */
CORE_TEST(space_free_batch)
{
	struct mheap *heap = test_heap(4 * SZ_1M);
	struct mheap_free_batch batch = { 0 };
	static u32 locs[3 * 128 + 10];
	const u32 n = ARRAY_SIZE(locs);
	u32 i, freed = 0;
	void *ptr;

	CORE_ASSERT_NOT_NULL(heap);
	for (i = 0; i < n; i++)
		CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->meta, 32, &locs[i],
						 &ptr), 0);
	for (i = 0; i < 100; i += 2, freed++)
		mheap_space_free_batch(heap, &heap->meta, &batch, locs[i]);
	for (i = 100; i < 300; i++, freed++)
		mheap_space_free_batch(heap, &heap->meta, &batch, locs[i]);
	for (i = 350; i < n; i++, freed++)
		mheap_space_free_batch(heap, &heap->meta, &batch, locs[i]);
	for (i = 310; i < 350; i++, freed++)
		mheap_space_free_batch(heap, &heap->meta, &batch, locs[i]);
	mheap_space_batch_flush(heap, &heap->meta, &batch);
	CORE_EXPECT_TRUE(!batch.pool);
	CORE_EXPECT_EQ(mheap_validate(heap), 0);
	CORE_EXPECT_EQ(test_stats(heap).used, (u64)(n - freed) * 32);
	for (i = 1; i < 100; i += 2)
		mheap_space_free_batch(heap, &heap->meta, &batch, locs[i]);
	/* flushed between consecutive blocks, as before an object's end */
	for (i = 300; i < 310; i++) {
		mheap_space_free_batch(heap, &heap->meta, &batch, locs[i]);
		mheap_space_batch_flush(heap, &heap->meta, &batch);
	}
	CORE_EXPECT_EQ(mheap_validate(heap), 0);
	CORE_EXPECT_EQ(test_stats(heap).used, (u64)0);
	test_heap_done(heap);
}

/*
 * Idle arenas stay as spares, up to mheap_max_spare_arenas per space; beyond,
 * they are freed. A new pool or run takes a spare before a new arena.
 */
CORE_TEST(space_spares_bounded)
{
	unsigned int keep = mheap_max_spare_arenas;
	unsigned int decay = mheap_spare_decay_ms;
	struct mheap *heap = test_heap(4 * SZ_1M);
	static u32 locs[3 * MHEAP_ARENA_PAGES];
	void *ptr;

	CORE_ASSERT_NOT_NULL(heap);
	mheap_max_spare_arenas = 2;
	mheap_spare_decay_ms = 0;	/* the bound alone: space_spares_decay */
	CORE_ASSERT_EQ(test_fill_pages(heap, locs, ARRAY_SIZE(locs)), 0);
	CORE_EXPECT_EQ(test_arenas(heap), (u64)3);
	test_free_pages(heap, locs, ARRAY_SIZE(locs));
	/* two kept, the third freed */
	CORE_EXPECT_EQ(test_arenas(heap), (u64)0);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)2);
	CORE_EXPECT_EQ((u64)heap->arena_bytes, (u64)2 * MHEAP_ARENA_SIZE);
	/* the spares serve the next two arenas' worth */
	CORE_ASSERT_EQ(test_fill_pages(heap, locs, 2 * MHEAP_ARENA_PAGES), 0);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)0);
	CORE_EXPECT_EQ((u64)heap->arena_bytes, (u64)2 * MHEAP_ARENA_SIZE);
	test_free_pages(heap, locs, 2 * MHEAP_ARENA_PAGES);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)2);
	/* a lower bound frees the spares over it when the call unlocks */
	mheap_max_spare_arenas = 0;
	mheap_unlock(heap);
	mheap_lock(heap);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)0);
	CORE_EXPECT_EQ((u64)heap->arena_bytes, (u64)0);
	/* and none is kept: the next arena to go idle is freed */
	CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->meta, 24, &locs[0], &ptr),
		       0);
	mheap_space_free(heap, &heap->meta, locs[0]);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)0);
	CORE_EXPECT_EQ((u64)heap->arena_bytes, (u64)0);
	mheap_max_spare_arenas = keep;
	mheap_spare_decay_ms = decay;
	test_heap_done(heap);
}

/*
 * With decay on, a space keeps up to MHEAP_SPARE_BURST times
 * max_spare_arenas spares. Those over max_spare_arenas go once idle for
 * spare_decay_ms, and not before; the rest stay. A call that ends with
 * some left queues the heap's decay work, which frees them with no call.
 */
CORE_TEST(space_spares_decay)
{
	unsigned int keep = mheap_max_spare_arenas;
	unsigned int decay = mheap_spare_decay_ms;
	struct mheap *heap = test_heap(4 * SZ_1M);
	static u32 locs[10 * MHEAP_ARENA_PAGES];

	CORE_ASSERT_NOT_NULL(heap);
	mheap_max_spare_arenas = 2;
	mheap_spare_decay_ms = 60000;
	CORE_ASSERT_EQ(test_fill_pages(heap, locs, ARRAY_SIZE(locs)), 0);
	CORE_EXPECT_EQ(test_arenas(heap), (u64)10);
	test_free_pages(heap, locs, ARRAY_SIZE(locs));
	/* eight kept (the burst bound), two freed */
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)2 * MHEAP_SPARE_BURST);
	mheap_unlock(heap);
	mheap_lock(heap);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)2 * MHEAP_SPARE_BURST);
	/* they serve the next arenas' worth, as any spare */
	CORE_ASSERT_EQ(test_fill_pages(heap, locs, 8 * MHEAP_ARENA_PAGES), 0);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)0);
	CORE_EXPECT_EQ((u64)heap->arena_bytes, (u64)8 * MHEAP_ARENA_SIZE);
	test_free_pages(heap, locs, 8 * MHEAP_ARENA_PAGES);
	mheap_unlock(heap);
	CORE_EXPECT_TRUE(test_decay_queued(heap));
	/* once idle for the decay, those over the bound go, with no call */
	mheap_spare_decay_ms = 1;
#ifdef __KERNEL__
	msleep(20);
#else
	usleep(20000);
#endif
	test_decay_run(heap);
	mheap_lock(heap);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)2);
	CORE_EXPECT_EQ((u64)heap->arena_bytes, (u64)2 * MHEAP_ARENA_SIZE);
	CORE_EXPECT_FALSE(test_decay_queued(heap));
	mheap_max_spare_arenas = keep;
	mheap_spare_decay_ms = decay;
	test_heap_done(heap);
}

/*
 * Spares yield to arenas in use: a heap at its capacity whose payload
 * space keeps spares can still grow its meta space, and lowering the
 * capacity frees spares down to it. They go when the call unlocks, not
 * while it may still fail and free what took their room.
 */
CORE_TEST(space_spares_yield_to_capacity)
{
	struct mheap *heap = test_heap(4 * MHEAP_ARENA_SIZE);
	static u32 locs[4 * MHEAP_ARENA_PAGES];
	void *ptr;
	u32 loc;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(test_fill_pages(heap, locs, ARRAY_SIZE(locs)), 0);
	CORE_EXPECT_EQ(mheap_space_alloc(heap, &heap->meta, 24, &loc, &ptr),
		       -ENOSPC);
	test_free_pages(heap, locs, ARRAY_SIZE(locs));
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)4);
	/* the meta space's first arena takes a payload spare's place */
	CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->meta, 24, &loc, &ptr), 0);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)4);
	mheap_unlock(heap);
	mheap_lock(heap);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)3);
	CORE_EXPECT_EQ(test_arenas(heap), (u64)1);
	CORE_EXPECT_EQ((u64)heap->arena_bytes, (u64)4 * MHEAP_ARENA_SIZE);
	/* a jumbo block of three arenas' bytes takes the other three */
	CORE_ASSERT_EQ(mheap_space_alloc(heap, &heap->payload,
					 3 * MHEAP_ARENA_SIZE, &locs[0], &ptr),
		       0);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)3);
	mheap_unlock(heap);
	mheap_lock(heap);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)0);
	CORE_EXPECT_EQ((u64)heap->arena_bytes, (u64)4 * MHEAP_ARENA_SIZE);
	mheap_space_free(heap, &heap->payload, locs[0]);
	CORE_ASSERT_EQ(test_fill_pages(heap, locs, 2 * MHEAP_ARENA_PAGES), 0);
	test_free_pages(heap, locs, 2 * MHEAP_ARENA_PAGES);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)2);
	/* a lower capacity frees spares down to it when the call unlocks */
	CORE_ASSERT_EQ(mheap_set_capacity(heap, 2 * MHEAP_ARENA_SIZE), 0);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)2);
	mheap_unlock(heap);
	mheap_lock(heap);
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)1);
	CORE_EXPECT_EQ((u64)heap->arena_bytes, (u64)2 * MHEAP_ARENA_SIZE);
	mheap_space_free(heap, &heap->meta, loc);
	test_heap_done(heap);
}

/*
 * A capacity lowered under arenas in use: as they go idle, they are
 * freed, not kept, until the heap holds no more than its capacity.
 */
CORE_TEST(space_spares_under_lowered_capacity)
{
	struct mheap *heap = test_heap(4 * MHEAP_ARENA_SIZE);
	static u32 locs[4 * MHEAP_ARENA_PAGES];

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(test_fill_pages(heap, locs, ARRAY_SIZE(locs)), 0);
	CORE_ASSERT_EQ(mheap_set_capacity(heap, 2 * MHEAP_ARENA_SIZE), 0);
	mheap_unlock(heap);
	mheap_lock(heap);
	CORE_EXPECT_EQ((u64)heap->arena_bytes, (u64)4 * MHEAP_ARENA_SIZE);
	test_free_pages(heap, locs, ARRAY_SIZE(locs));
	CORE_EXPECT_EQ((u64)mheap_spares(heap), (u64)2);
	CORE_EXPECT_EQ((u64)heap->arena_bytes, (u64)2 * MHEAP_ARENA_SIZE);
	test_heap_done(heap);
}

/*
 * A failed call under capacity pressure changes nothing: the heap holds
 * as many arenas and spares as before. The meta arena it created took a
 * payload spare's room; the payload's allocation, over the capacity,
 * freed that spare before anything else (a spare taken into use would
 * count twice), and the meta arena, undone, takes its place. So also when
 * the allocation succeeded, a jumbo arena included, and what follows
 * fails (EFAULT writing the result, say): the object is discarded
 * (mheap_object_discard()). Kept, the jumbo's arena takes the spares'
 * room when the call is over; and a heap over its capacity in the same
 * call never takes a spare into use again (found by a black-box test: a
 * batch went 3 MiB over an 8 MiB capacity that way).
 */
CORE_TEST(space_spares_undo_under_pressure)
{
	struct mheap *heap = test_heap(4 * MHEAP_ARENA_SIZE);
	static u32 locs[4 * MHEAP_ARENA_PAGES];
	static struct mheap_stats before;
	unsigned int n;
	void *ptr;
	int err = 0;
	u32 id;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(test_fill_pages(heap, locs, ARRAY_SIZE(locs)), 0);
	test_free_pages(heap, locs, ARRAY_SIZE(locs));
	before = test_stats(heap);
	CORE_EXPECT_EQ(before.spare, (u64)4);
	/* the header's arena replaces a spare; the payload does not fit */
	CORE_EXPECT_EQ(mheap_object_alloc(heap, 4 * MHEAP_ARENA_SIZE, 0, 0, &id),
		       -ENOSPC);
	CORE_EXPECT_TRUE(test_stats_equal(heap, &before));
	CORE_EXPECT_EQ(heap->meta.nspares, 1U);
	/* a jumbo payload of two arenas and more: fits as the spares yield */
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 2 * MHEAP_ARENA_SIZE + 1, 0, 0,
					  &id), 0);
	mheap_object_discard(heap, id, before.spare);
	CORE_EXPECT_TRUE(test_stats_equal(heap, &before));
	/* kept: then pages, in the same call, until the capacity is full */
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 2 * MHEAP_ARENA_SIZE + 1, 0, 0,
					  &id), 0);
	for (n = 0; n < ARRAY_SIZE(locs); n++) {
		err = mheap_space_alloc(heap, &heap->payload, MHEAP_PAGE_SIZE,
					&locs[n], &ptr);
		if (err)
			break;
	}
	CORE_EXPECT_EQ(err, -ENOSPC);
	/* the header's arena and the jumbo's leave room for less than one */
	CORE_EXPECT_GT((unsigned int)MHEAP_ARENA_PAGES, n);
	CORE_EXPECT_LE((u64)(heap->arena_bytes -
			     mheap_spares(heap) * MHEAP_ARENA_SIZE),
		       (u64)4 * MHEAP_ARENA_SIZE);
	mheap_unlock(heap);
	mheap_lock(heap);
	CORE_EXPECT_LE((u64)heap->arena_bytes, (u64)4 * MHEAP_ARENA_SIZE);
	test_free_pages(heap, locs, n);
	mheap_object_put(heap, id);
	test_heap_done(heap);
}

/* Every allocation failure of a block is -ENOMEM and changes nothing. */
CORE_TEST(space_alloc_every_failure)
{
	static const size_t sizes[] = { 16, MHEAP_PAGE_SIZE, MHEAP_RUN_MAX + 1 };
	long points = 0, nth;
	unsigned int i;

	CORE_REQUIRE_FAULT_INJECTION();
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (nth = 1;; nth++) {
			struct mheap *heap = test_heap(SZ_1M);
			struct mheap_stats before;
			bool fired;
			void *ptr;
			u32 loc;
			int err;

			CORE_ASSERT_NOT_NULL(heap);
			before = test_stats(heap);
			core_fail_nth(nth);
			err = mheap_space_alloc(heap, &heap->payload, sizes[i],
						&loc, &ptr);
			fired = core_fail_fired();
			if (err) {
				points++;
				CORE_EXPECT_EQ(err, -ENOMEM);
				CORE_EXPECT_TRUE(test_stats_equal(heap, &before));
			} else {
				mheap_space_free(heap, &heap->payload, loc);
			}
			test_heap_done(heap);
			if (!fired)
				break;
		}
	}
	CORE_EXPECT_TRUE(points >= 3);
	CORE_LOG("%ld allocation failure point(s) exercised", points);
}

#ifdef __KERNEL__
/*
 * The KUnit suite: the cases above, in order (the host build registers
 * them itself; tests/lint.sh checks that the two agree).
 */
static struct kunit_case mheap_heap_cases[] = {
	KUNIT_CASE(heap_create_destroy),
	KUNIT_CASE(heap_destroy_null),
	KUNIT_CASE(heaps_are_independent),
	KUNIT_CASE(heap_capacity_validated),
	KUNIT_CASE(space_small_classes),
	KUNIT_CASE(space_block_index_exact),
	KUNIT_CASE(space_blocks_zeroed_on_reuse),
	KUNIT_CASE(space_runs_and_jumbo),
	KUNIT_CASE(space_arena_freed_after_unlock),
	KUNIT_CASE(space_capacity_enospc),
	KUNIT_CASE(space_total_capacity_enospc),
	KUNIT_CASE(space_prefers_most_used_arena),
	KUNIT_CASE(space_free_batch),
	KUNIT_CASE(space_spares_bounded),
	KUNIT_CASE(space_spares_decay),
	KUNIT_CASE(space_spares_yield_to_capacity),
	KUNIT_CASE(space_spares_under_lowered_capacity),
	KUNIT_CASE(space_spares_undo_under_pressure),
	KUNIT_CASE(space_alloc_every_failure),
	{}
};

static struct kunit_suite mheap_heap_suite = {
	.name = "mheap_heap",
	.test_cases = mheap_heap_cases,
};
#endif

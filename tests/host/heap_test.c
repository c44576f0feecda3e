// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the portable core's heap, under ASan and UBSan: the shared
 * cases of module/tests/heap_cases.c, plus those only the host can run.
 */
#include "heap_cases.c"
#include "space_fast.h"

/* Every allocation create makes can fail: NULL, and nothing leaked. */
TEST_F(core, heap_create_every_allocation_fails)
{
	struct mheap *heap;
	long nth, points = 0;

	for (nth = 1;; nth++) {
		mheap_prim_fail_nth(nth);
		heap = mheap_create(SZ_1M, SZ_1G);
		if (!mheap_prim_fail_fired())
			break;
		points++;
		EXPECT_EQ(NULL, heap);
		EXPECT_EQ(self->live_before, mheap_prim_live_allocs());
	}
	ASSERT_NE(NULL, heap);
	EXPECT_LT(0, points);
	TH_LOG("%ld allocation failure point(s) exercised", points);
	mheap_destroy(heap);
}

/* The seam's lock check: core entry points refuse an unlocked heap. */
TEST_F(core, core_requires_the_lock)
{
	struct mheap *heap = mheap_create(SZ_1M, SZ_1G);
	long warnings = mheap_prim_warnings();
	struct mheap_stats stats;

	ASSERT_NE(NULL, heap);
	mheap_heap_stats(heap, &stats);
	EXPECT_EQ(warnings + 1, mheap_prim_warnings());
	mheap_destroy(heap);
	self->warnings_before = mheap_prim_warnings();
}

/*
 * MHEAP_DEBUG: a block offered to the wrong class's cache, or offered
 * twice, is refused with a WARNING, and ends freed exactly once.
 */
TEST_F(core, cache_refuses_wrong_class_and_double_free)
{
	struct mheap *heap = test_heap(SZ_1M);
	struct mheap_space *space;
	long warnings;
	void *ptr;
	u32 loc;

	ASSERT_NE(NULL, heap);
	space = &heap->payload;
	ASSERT_EQ(0, mheap_space_alloc(heap, space, 64, &loc, &ptr));
	warnings = mheap_prim_warnings();
	mheap_space_free_small(heap, space, loc, 16);
	EXPECT_EQ(warnings + 1, mheap_prim_warnings());
	EXPECT_EQ(0U, space->ncached);
	EXPECT_EQ(0ULL, space->class_live[3]);
	EXPECT_EQ(0, mheap_validate(heap));

	ASSERT_EQ(0, mheap_space_alloc(heap, space, 64, &loc, &ptr));
	mheap_space_free_small(heap, space, loc, 64);
	EXPECT_EQ(1U, space->ncached);
	mheap_space_free_small(heap, space, loc, 64);
	EXPECT_EQ(warnings + 2, mheap_prim_warnings());
	EXPECT_EQ(0U, space->ncached);
	EXPECT_EQ(0ULL, space->class_live[3]);
	EXPECT_EQ((size_t)0, space->bytes_used);
	EXPECT_EQ(0, mheap_validate(heap));
	test_heap_done(heap);
	self->warnings_before = mheap_prim_warnings();
}

/*
 * The validators (MHEAP_DEBUG) see each kind of broken invariant: one
 * corrupted field at a time gives -EUCLEAN (and a WARNING), and putting it
 * back gives 0.
 */
TEST_F(core, validators_catch_broken_invariants)
{
	struct mheap *heap = test_heap(SZ_1M * 4);
	struct mheap_client *client;
	struct mheap_arena *arena;
	u32 a, b, id;

	ASSERT_NE(NULL, heap);
	client = mheap_client_create(heap);
	ASSERT_NE(NULL, client);
	ASSERT_EQ(0, mheap_handle_alloc(client, 16, 1, 0, &a));
	ASSERT_EQ(0, mheap_handle_alloc(client, 16, 1, 0, &b));
	ASSERT_EQ(0, mheap_handle_close(client, b));
	ASSERT_EQ(0, mheap_validate(heap));
	ASSERT_EQ(0, mheap_client_validate(client));
	ASSERT_EQ(0, mheap_handle_lookup(client, a, &id));
	arena = heap->meta.arenas[1];
	ASSERT_NE(NULL, arena);

#define BREAKS(fn, field, delta) do {						field += (delta);						EXPECT_EQ(-EUCLEAN, fn) TH_LOG("%s", #field);			field -= (delta);						EXPECT_EQ(0, fn);					} while (0)
	BREAKS(mheap_validate(heap), heap->meta.arenas_used, 1);
	BREAKS(mheap_validate(heap), arena->nfree, 1);
	BREAKS(mheap_validate(heap), arena->nbusy, 1);
	BREAKS(mheap_validate(heap), arena->pools[0].nused, 1);
	BREAKS(mheap_validate(heap), heap->meta.class_live[0], 1);
	BREAKS(mheap_validate(heap), heap->meta.ncached, 1);
	BREAKS(mheap_validate(heap), heap->payload.cache[0].count, 1);
	BREAKS(mheap_validate(heap), heap->payload.cache[1].count,
	       MHEAP_CACHE_SLOTS + 1);
	BREAKS(mheap_validate(heap), heap->meta.usable_mask, 1);
	BREAKS(mheap_validate(heap), heap->gens[0].count, 1);
	BREAKS(mheap_validate(heap), mheap_object_ptr(heap, id)->gc_prev, 1);
	BREAKS(mheap_client_validate(client), client->live, 1);
	BREAKS(mheap_client_validate(client), client->retired, 1);
	BREAKS(mheap_client_validate(client), client->free_tail, 1);
#undef BREAKS
	EXPECT_LT(self->warnings_before, mheap_prim_warnings());
	self->warnings_before = mheap_prim_warnings();
	mheap_client_destroy(client);
	test_heap_done(heap);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the portable core's heap, under ASan and UBSan: the shared
 * cases of module/tests/heap_cases.c, plus those only the host can run.
 */
#include "heap_cases.c"

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

TEST_HARNESS_MAIN

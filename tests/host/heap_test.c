// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the portable core's heap, under ASan and UBSan: the shared
 * cases of module/tests/heap_cases.h, plus those only the host can run.
 */
#include "heap_cases.h"

/*
 * Fail each allocation create makes, in turn, until one run succeeds with
 * no failure left to inject: every failure must return NULL and leak
 * nothing.
 */
TEST_F(core, heap_create_every_allocation_fails)
{
	struct mheap *heap;
	long nth, points = 0;

	for (nth = 1;; nth++) {
		sys_fail_nth(nth);
		heap = mheap_heap_create(64);
		if (!sys_fail_fired())
			break;
		points++;
		EXPECT_EQ(NULL, heap);
		EXPECT_EQ(self->live_before, sys_live_allocs());
	}
	ASSERT_NE(NULL, heap);
	EXPECT_LT(0, points);
	TH_LOG("%ld allocation failure point(s) exercised", points);
	mheap_heap_destroy(heap);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the portable core's heap, under ASan and UBSan, with the
 * kernel's kselftest harness.
 */
#include "heap.h"
#include "kselftest_harness.h"

FIXTURE(heap) {
	long live_before;
};

FIXTURE_SETUP(heap)
{
	self->live_before = sys_live_allocs();
}

FIXTURE_TEARDOWN(heap)
{
	sys_fail_nth(0);
	/* every test must give back all it took */
	EXPECT_EQ(self->live_before, sys_live_allocs());
}

TEST_F(heap, create_destroy)
{
	struct mheap *heap = mheap_heap_create(4096);

	ASSERT_NE(NULL, heap);
	EXPECT_EQ(4096UL, heap->capacity);
	EXPECT_EQ(self->live_before + 1, sys_live_allocs());
	mheap_heap_destroy(heap);
}

TEST_F(heap, destroy_null)
{
	mheap_heap_destroy(NULL);
}

TEST_F(heap, independent)
{
	struct mheap *a = mheap_heap_create(1);
	struct mheap *b = mheap_heap_create(2);

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	EXPECT_NE(a, b);
	EXPECT_EQ(1UL, a->capacity);
	EXPECT_EQ(2UL, b->capacity);
	mheap_heap_destroy(a);
	mheap_heap_destroy(b);
}

/*
 * Fail each allocation create makes, in turn, until one run succeeds with
 * no failure left to inject: every failure must return NULL and leak
 * nothing.
 */
TEST_F(heap, create_every_allocation_fails)
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

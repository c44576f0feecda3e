/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test cases of the heap, built into mheap_test.ko and into the host tests
 * (see core_test.h).
 */
#include "../heap.h"
#include "core_test.h"

CORE_TEST(heap_create_destroy)
{
	struct mheap *heap = mheap_heap_create(4096);

	CORE_ASSERT_NOT_NULL(heap);
	CORE_EXPECT_EQ(heap->capacity, (size_t)4096);
	mheap_heap_destroy(heap);
}

CORE_TEST(heap_destroy_null)
{
	mheap_heap_destroy(NULL);
}

CORE_TEST(heaps_are_independent)
{
	struct mheap *a = mheap_heap_create(1), *b = mheap_heap_create(2);

	CORE_ASSERT_NOT_NULL(a);
	CORE_ASSERT_NOT_NULL(b);
	CORE_EXPECT_PTR_NE(a, b);
	CORE_EXPECT_EQ(a->capacity, (size_t)1);
	CORE_EXPECT_EQ(b->capacity, (size_t)2);
	mheap_heap_destroy(a);
	mheap_heap_destroy(b);
}

// SPDX-License-Identifier: GPL-2.0
/* Host tests of the collector: the shared cases of module/tests/gc_cases.c. */
#include "gc_cases.c"

/*
 * The tracepoints fire where the work is done, with its figures: what
 * mheap_trace.h promises tracefs users (the VM checks the same through
 * tracefs, in mheap_selftest's trace tests).
 */
TEST_F(core, tracepoints_report_the_work)
{
	struct mheap_prim_trace_log before = mheap_prim_trace;
	struct mheap *heap = test_heap(MHEAP_CAPACITY_MIN);
	u32 id, a, b, big;

	ASSERT_NE(NULL, heap);
	id = heap->id;
	EXPECT_NE(0U, id);
	EXPECT_EQ(before.heap_create + 1, mheap_prim_trace.heap_create);
	EXPECT_EQ((u64)MHEAP_CAPACITY_MIN, mheap_prim_trace.capacity);
	EXPECT_EQ(MHEAP_CAPACITY_LIMIT, mheap_prim_trace.capacity_max);

	ASSERT_TRUE(gc_cycle2(heap, 1, &a, &b));
	EXPECT_EQ(before.arena_add + 2, mheap_prim_trace.arena_add);	/* both spaces */
	EXPECT_EQ((long long)heap->arena_bytes,
		  mheap_prim_trace.arena_delta - before.arena_delta);
	EXPECT_EQ(heap->arena_bytes, mheap_prim_trace.arena_bytes);
	EXPECT_EQ(id, mheap_prim_trace.heap);

	/* the capacity is full: the next arena is refused, and said so */
	EXPECT_EQ(-ENOSPC, mheap_object_alloc(heap, MHEAP_RUN_MAX + 1, 0, 0,
					      &big));
	EXPECT_EQ(before.limit + 1, mheap_prim_trace.limit);
	EXPECT_EQ(MHEAP_LIMIT_CAPACITY, mheap_prim_trace.limit_kind);
	EXPECT_EQ((u64)MHEAP_CAPACITY_MIN, mheap_prim_trace.limit_value);

	mheap_object_put(heap, a);
	mheap_object_put(heap, b);
	EXPECT_EQ(2L, mheap_gc_collect(heap, 1));
	EXPECT_EQ(before.gc_start + 1, mheap_prim_trace.gc_start);
	EXPECT_EQ(before.gc_end + 1, mheap_prim_trace.gc_end);
	EXPECT_EQ(1U, mheap_prim_trace.gen);
	EXPECT_FALSE(mheap_prim_trace.automatic);
	EXPECT_EQ(2U, mheap_prim_trace.examined);
	EXPECT_EQ(2U, mheap_prim_trace.collected);
	EXPECT_EQ(0U, mheap_prim_trace.uncollectable);
	EXPECT_EQ(heap->gc.stats[1].pause_last_ns, mheap_prim_trace.pause_ns);

	test_heap_done(heap);
	EXPECT_EQ(before.heap_destroy + 1, mheap_prim_trace.heap_destroy);
	EXPECT_EQ(id, mheap_prim_trace.heap);
	EXPECT_EQ(before.arena_delta, mheap_prim_trace.arena_delta);
	EXPECT_EQ(mheap_prim_trace.arena_add - before.arena_add,
		  mheap_prim_trace.arena_release - before.arena_release);
}

TEST_HARNESS_MAIN

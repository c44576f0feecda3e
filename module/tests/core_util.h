/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the core's test cases (both builds; see core_test.h).
 */
#ifndef MHEAP_CORE_UTIL_H
#define MHEAP_CORE_UTIL_H

#include "../core/handle.h"
#include "../core/space_fast.h"
#include "core_test.h"

/* A heap of @capacity bytes, locked, as the core's callers hold it. */
static inline struct mheap *test_heap(size_t capacity)
{
	struct mheap *heap = mheap_create(capacity, MHEAP_CAPACITY_LIMIT);

	if (heap)
		mheap_lock(heap);
	return heap;
}

static inline void test_heap_done(struct mheap *heap)
{
	mheap_unlock(heap);
	mheap_destroy(heap);
}

static inline struct mheap_stats test_stats(struct mheap *heap)
{
	struct mheap_stats stats;

	mheap_heap_stats(heap, &stats);
	return stats;
}

static inline bool test_stats_equal(struct mheap *heap,
				    const struct mheap_stats *before)
{
	struct mheap_stats now = test_stats(heap);

	return !memcmp(&now, before, sizeof(now));
}

static inline u32 test_refcnt(struct mheap *heap, u32 id)
{
	return mheap_object_ptr(heap, id)->refcnt;
}

static inline u32 test_gen(struct mheap *heap, u32 id)
{
	return mheap_object_ptr(heap, id)->gen;
}

/* The index, in its space's table, of the arena holding @loc. */
static inline u32 test_arena_of(const struct mheap_space *space, u32 loc)
{
	return loc >> (MHEAP_ARENA_SHIFT - space->qshift);
}

/* A heap with one client, locked. */
struct test_client {
	struct mheap *heap;
	struct mheap_client *client;
};

static inline bool test_client_open(struct test_client *t, size_t capacity)
{
	t->heap = test_heap(capacity);
	if (!t->heap)
		return false;
	t->client = mheap_client_create(t->heap);
	if (!t->client) {
		test_heap_done(t->heap);
		return false;
	}
	return true;
}

/* Whether the heap's decay work item is queued (space.c). */
static inline bool test_decay_queued(struct mheap *heap)
{
#ifdef __KERNEL__
	return delayed_work_pending(&heap->decay.dwork);
#else
	return heap->decay.queued;
#endif
}

/* Run the heap's queued decay work now, as its timer would; not locked. */
static inline void test_decay_run(struct mheap *heap)
{
#ifdef __KERNEL__
	mod_delayed_work(mheap_gc_wq, &heap->decay.dwork, 0);
	flush_delayed_work(&heap->decay.dwork);
#else
	mheap_prim_dwork_run(&heap->decay);
#endif
}

static inline void test_client_close(struct test_client *t)
{
	mheap_client_destroy(t->client);
	test_heap_done(t->heap);
}

#endif /* MHEAP_CORE_UTIL_H */

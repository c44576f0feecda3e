/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmarks of the heap's core (gc_bench, pause_core,
 * core_nodes) share:
 * the heap they build in, and its two building steps, which abort() on
 * any error (a benchmark has no use for a half-built heap).
 */
#ifndef MHEAP_BENCH_CORE_H
#define MHEAP_BENCH_CORE_H

#include <stdlib.h>

#include "object.h"

static struct mheap *heap;

/* A new object of @nrefs slots and no payload; the caller's reference */
static inline u32 obj(size_t nrefs)
{
	u32 id;

	if (mheap_object_alloc(heap, 0, nrefs, 0, &id))
		abort();
	return id;
}

/* Slot @slot of @id holds @target (0: empty) */
static inline void set(u32 id, size_t slot, u32 target)
{
	if (mheap_object_set_slot(heap, id, slot, target))
		abort();
}

/*
 * Issue 21's node pattern, once, on the core (ops_bench.c's
 * nodes_single(), with ids for handles and references for the handles'
 * counts): @n times, create a node of two slots, link it from the one
 * before and drop the reference to the one before; then drop the head,
 * and the list goes with it.
 */
static inline void nodes_round(size_t n)
{
	u32 head, prev, id;
	size_t i;

	head = obj(2);
	for (prev = head, i = 1; i < n; i++, prev = id) {
		id = obj(2);
		set(prev, 0, id);
		if (prev != head)
			mheap_object_put(heap, prev);
	}
	if (prev != head)
		mheap_object_put(heap, prev);
	mheap_object_put(heap, head);
}

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmarks of the heap's core (gc_bench, pause_core) share:
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

#endif

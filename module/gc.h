/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generational cycle collector (CPython's algorithm); see gc.c and
 * Documentation/gc.rst.
 *
 * Locking: heap->lock for everything; the work item takes it itself.
 */
#ifndef MHEAP_GC_H
#define MHEAP_GC_H

#include "object.h"

/* Defaults, as CPython's */
#define MHEAP_GC_THRESHOLD0	700
#define MHEAP_GC_THRESHOLD1	10
#define MHEAP_GC_THRESHOLD2	10

extern unsigned int mheap_gc_default_threshold[MHEAP_GC_GENS];

void mheap_gc_init(struct mheap *heap);
void mheap_gc_fini(struct mheap *heap);

long mheap_gc_collect(struct mheap *heap, unsigned int gen);
void mheap_gc_enable(struct mheap *heap, bool enable);
bool mheap_gc_is_enabled(struct mheap *heap);
void mheap_gc_get_threshold(struct mheap *heap, u32 threshold[MHEAP_GC_GENS]);
void mheap_gc_set_threshold(struct mheap *heap,
			    const u32 threshold[MHEAP_GC_GENS]);
void mheap_gc_get_count(struct mheap *heap, u32 count[MHEAP_GC_GENS]);
void mheap_gc_get_stats(struct mheap *heap,
			struct mheap_gen_stats stats[MHEAP_GC_GENS]);
void mheap_gc_freeze(struct mheap *heap);
void mheap_gc_unfreeze(struct mheap *heap);
u64 mheap_gc_freeze_count(struct mheap *heap);
bool mheap_gc_is_tracked(struct mheap *heap, u32 id);
size_t mheap_gc_referents(struct mheap *heap, u32 id, u32 *buf, size_t len);
size_t mheap_gc_referrers(struct mheap *heap, u32 id, u32 *buf, size_t len);
void mheap_gc_set_save_all(struct mheap *heap, bool save_all);
size_t mheap_gc_garbage(struct mheap *heap, u32 *buf, size_t len);
u64 mheap_gc_release_garbage(struct mheap *heap);

/* For object.c: a tracked object was allocated or is being freed. */
void mheap_gc_track(struct mheap *heap, u32 id, struct mheap_object *obj);
void mheap_gc_untrack(struct mheap *heap, struct mheap_object *obj);

#endif /* MHEAP_GC_H */

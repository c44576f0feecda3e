/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generational cycle collector (CPython's algorithm); see gc.c and
 * Documentation/gc.rst.
 *
 * Locking: heap->lock for everything; the work item takes it itself.
 */
#ifndef MHEAP_GC_H
#define MHEAP_GC_H

#include "prim.h"

struct mheap;
struct mheap_object;

/*
 * Generations of tracked objects: the uapi's MHEAP_GENERATIONS collected
 * ones (0, 1, 2), between which the collector moves objects, then the
 * permanent one (CPython's permanent_generation, where freeze puts them).
 */
#define MHEAP_GEN_PERMANENT	MHEAP_GENERATIONS

/**
 * struct mheap_gc_list - a list of tracked objects, linked by object id
 * @head: first object's id, 0 when empty.
 * @tail: last object's id, 0 when empty.
 * @count: objects on the list.
 */
struct mheap_gc_list {
	u32 head;
	u32 tail;
	u64 count;
};

/**
 * struct mheap_gen_stats - what the collector did to one generation
 * @collections: collections of this generation (and the younger ones).
 * @collected: unreachable objects found: freed, or kept on the garbage list
 *	in save-all mode (CPython's count with gc.DEBUG_SAVEALL).
 * @uncollectable: always 0 (CPython's legacy finalizers have no
 *	counterpart); kept for gc.get_stats()' shape.
 * @examined: objects looked at.
 * @pause_total_ns: time spent collecting, in total.
 * @pause_last_ns: time the last collection took.
 */
struct mheap_gen_stats {
	u64 collections;
	u64 collected;
	u64 uncollectable;
	u64 examined;
	u64 pause_total_ns;
	u64 pause_last_ns;
};

/**
 * struct mheap_gc - the cycle collector's state in a heap (see gc.c)
 * @work: runs a collection when generation 0 crosses its threshold.
 * @enabled: whether crossing a threshold queues a collection.
 * @save_all: unreachable objects go to @garbage instead of being freed.
 * @collecting: a collection is running.
 * @threshold: per generation: for 0, tracked allocations minus
 *	deallocations; for 1 and 2, collections of the next younger one.
 * @count: the same quantities, counted since the generation was last
 *	collected.
 * @long_lived_total: objects in generation 2 after the last full
 *	collection.
 * @long_lived_pending: objects moved into generation 2 since then; a full
 *	collection waits until they exceed 25% of @long_lived_total.
 * @garbage: unreachable objects kept by save-all mode, each holding one
 *	extra reference from the list.
 * @stats: per generation.
 */
struct mheap_gc {
	struct mheap_prim_work work;
	bool enabled;
	bool save_all;
	bool collecting;
	u32 threshold[MHEAP_GENERATIONS];
	u32 count[MHEAP_GENERATIONS];
	u64 long_lived_total;
	u64 long_lived_pending;
	struct mheap_gc_list garbage;
	struct mheap_gen_stats stats[MHEAP_GENERATIONS];
};

/* Defaults, as CPython's */
#define MHEAP_GC_THRESHOLD0	700
#define MHEAP_GC_THRESHOLD1	10
#define MHEAP_GC_THRESHOLD2	10

extern unsigned int mheap_gc_default_threshold[MHEAP_GENERATIONS];

void mheap_gc_init(struct mheap *heap);
void mheap_gc_fini(struct mheap *heap);

long mheap_gc_collect(struct mheap *heap, unsigned int gen);
void mheap_gc_enable(struct mheap *heap, bool enable);
bool mheap_gc_is_enabled(struct mheap *heap);
void mheap_gc_get_threshold(struct mheap *heap, u32 threshold[MHEAP_GENERATIONS]);
void mheap_gc_set_threshold(struct mheap *heap,
			    const u32 threshold[MHEAP_GENERATIONS]);
void mheap_gc_get_count(struct mheap *heap, u32 count[MHEAP_GENERATIONS]);
void mheap_gc_get_stats(struct mheap *heap,
			struct mheap_gen_stats stats[MHEAP_GENERATIONS]);
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

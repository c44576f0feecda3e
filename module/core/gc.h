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
 * @pause_total_ns: time spent collecting with the heap lock held, in
 *	total.
 * @pause_last_ns: the longest the last collection held the heap lock at a
 *	stretch: its whole time when atomic, its longest increment when
 *	incremental.
 */
struct mheap_gen_stats {
	u64 collections;
	u64 collected;
	u64 uncollectable;
	u64 examined;
	u64 pause_total_ns;
	u64 pause_last_ns;
};

/*
 * Phases of an incremental collection (gc.c), in order; IDLE when none is
 * in progress. Clients run between two increments, in any phase. The
 * tracepoint mheap_gc_increment reports them by number (gc.rst lists them).
 */
enum mheap_gc_phase {
	MHEAP_GC_IDLE,
	MHEAP_GC_SUBTRACT,	/* gc_refs := refcnt - references from inside */
	MHEAP_GC_MARK,		/* REACHABLE from the roots */
	MHEAP_GC_PARTITION,	/* survivors to the next generation */
	MHEAP_GC_CLEAR,		/* empty the unreachable objects' slots */
	MHEAP_GC_FREE,		/* free them, or keep them in save-all mode */
};

/**
 * struct mheap_gc_progress - an incremental collection in progress
 * @phase: MHEAP_GC_*, IDLE when there is none.
 * @gen: the generation collected (with the younger ones).
 * @save_all: save-all mode, as it was when the unreachable set was known.
 * @cursor: the next object of @young (or of @unreachable) the phase visits.
 * @top: the marking stack, threaded through gc_prev (MARK).
 * @young: the objects being collected; 0 never joins it.
 * @unreachable: what MARK left unreached, from PARTITION on.
 * @examined: objects in the collection.
 * @found: unreachable objects found so far.
 * @pause_max_ns: the longest increment so far.
 * @pause_sum_ns: the increments' time, in total.
 * @debt: work that young survivors joining the collection added since the
 *	last increment; the next one does it besides its budget.
 */
struct mheap_gc_progress {
	u8 phase;
	u8 gen;
	bool save_all;
	u32 cursor;
	u32 top;
	struct mheap_gc_list young;
	struct mheap_gc_list unreachable;
	u64 examined;
	u64 found;
	u64 pause_max_ns;
	u64 pause_sum_ns;
	u64 debt;
};

/**
 * struct mheap_gc_undo_rec - one change of the write barrier, logged
 * @id: the object.
 * @gc_prev: its gc_prev before the barrier changed it.
 */
struct mheap_gc_undo_rec {
	u32 id;
	u32 gc_prev;
};

/* Entries of the barrier's log kept allocated between two holds */
#define MHEAP_GC_UNDO_KEEP	256

/**
 * struct mheap_gc_mark - where an operation began, in the barrier's log
 * @epoch: mheap_gc.undo_epoch then.
 * @len: mheap_gc.undo_len then.
 */
struct mheap_gc_mark {
	u32 epoch;
	u32 len;
};

/**
 * struct mheap_gc - the cycle collector's state in a heap (see gc.c)
 * @work: runs a collection when generation 0 crosses its threshold, or the
 *	next increment of one in progress.
 * @enabled: whether crossing a threshold queues a collection.
 * @save_all: unreachable objects go to @garbage instead of being freed.
 * @releasing: the collector itself is freeing objects (their reclaim
 *	events say MHEAP_EVENT_COLLECTOR); only inside a collector's call.
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
 * @increments: increments run, in total (an atomic collection is none).
 * @progress: the automatic collection in progress, if any.
 * @due_alloc: the number (in heap->objects_allocated) of this hold's first
 *	allocation that found generation 0 over its threshold, or 0. The
 *	work item is queued when the call unlocks, unless that allocation
 *	was undone (mheap_gc_queue_due()): an error changes nothing.
 * @undo_log: the write barrier's changes during this hold of the lock,
 *	oldest first, for an operation that is undone to take its own back
 *	(mheap_gc_barrier_undo()); @undo_len of @undo_cap used.
 * @undo_len: entries in @undo_log.
 * @undo_cap: entries allocated.
 * @undo_epoch: changes whenever the log starts again: at each of the
 *	collector's steps, and when the lock is dropped.
 */
struct mheap_gc {
	struct mheap_prim_work work;
	bool enabled;
	bool save_all;
	bool releasing;
	u32 threshold[MHEAP_GENERATIONS];
	u32 count[MHEAP_GENERATIONS];
	u64 long_lived_total;
	u64 long_lived_pending;
	struct mheap_gc_list garbage;
	struct mheap_gen_stats stats[MHEAP_GENERATIONS];
	u64 increments;
	struct mheap_gc_progress progress;
	u64 due_alloc;
	struct mheap_gc_undo_rec *undo_log;
	u32 undo_len;
	u32 undo_cap;
	u32 undo_epoch;
};

/* Defaults, as CPython's */
#define MHEAP_GC_THRESHOLD0	700
#define MHEAP_GC_THRESHOLD1	10
#define MHEAP_GC_THRESHOLD2	10

extern unsigned int mheap_gc_default_threshold[MHEAP_GENERATIONS];
extern unsigned int mheap_gc_increment;

/* The default of mheap_gc_increment (module parameter gc_increment) */
#define MHEAP_GC_INCREMENT	20000

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

/* For object.c and handle.c, between two increments; see gc.c. */
void mheap_gc_barrier(struct mheap *heap, u32 id, struct mheap_object *obj);
bool mheap_gc_defers_free(const struct mheap *heap,
			  const struct mheap_object *obj);
bool mheap_gc_doomed(struct mheap *heap, u32 id);
void mheap_gc_finish(struct mheap *heap);

/* For the ioctls: an undone operation takes the barrier's changes back. */
void mheap_gc_barrier_undo(struct mheap *heap, struct mheap_gc_mark mark);
void mheap_gc_barrier_forget(struct mheap *heap);

#endif /* MHEAP_GC_H */

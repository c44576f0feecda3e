// SPDX-License-Identifier: GPL-2.0
/*
 * Test cases of the cycle collector, built into mheap_test.ko and into the
 * host tests (see core_test.h).
 */
#include "../core/gc.h"
#include "../core/validate.h"
#include "../core/weak.h"
#include "core_util.h"

/* Allocate a tracked object with @nrefs slots; the caller's reference. */
static inline u32 gc_obj(struct mheap *heap, size_t nrefs)
{
	u32 id = 0;

	if (mheap_object_alloc(heap, 8, nrefs, 0, &id))
		return 0;
	return id;
}

/*
 * Two tracked objects whose slot 0 holds the other; @a has @nrefs slots,
 * @b one. The caller holds a reference on each.
 */
static inline bool gc_cycle2(struct mheap *heap, size_t nrefs, u32 *a, u32 *b)
{
	*a = gc_obj(heap, nrefs);
	*b = gc_obj(heap, 1);
	return *a && *b && !mheap_object_set_slot(heap, *a, 0, *b) &&
	       !mheap_object_set_slot(heap, *b, 0, *a);
}

/* Whether the collector's work item is queued (or waiting for the lock). */
static inline bool gc_work_pending(struct mheap *heap)
{
#ifdef __KERNEL__
	return work_busy(&heap->gc.work.work);
#else
	return heap->gc.work.queued;
#endif
}

/*
 * The same, once the test's call ends: what the call's unlock queues
 * (mheap_gc_queue_due()) is queued here, under the same hold, so that no
 * kworker can run it before the test looks.
 */
static inline bool gc_work_queued(struct mheap *heap)
{
	mheap_gc_queue_due(heap);
	return gc_work_pending(heap);
}

#ifdef __KERNEL__
/* The work item of the heap in manual mode (gc_manual()), if any. */
static struct work_struct *gc_manual_work;
#endif

/*
 * Manual mode, for a test that steps a collection from phase to phase: in
 * the kernel, @heap's work item is disabled, so that no kworker ever runs
 * it, and gc_work_run() runs it itself. Otherwise a kworker could run an
 * increment between two of the test's steps (a collection in progress
 * queues its next increment), as it did on a loaded machine. The host's
 * work item only ever runs in gc_work_run(). Until the heap is destroyed;
 * each gc_work_run() must then follow a mheap_prim_work_queue(), and the
 * test end with gc_manual_end(). Heap locked; the lock is dropped while a
 * kworker already running the item finishes (it waits for the lock).
 */
static inline void gc_manual(struct mheap *heap __maybe_unused)
{
#ifdef __KERNEL__
	struct work_struct *work = &heap->gc.work.work;

	if (gc_manual_work == work)
		return;
	mheap_unlock(heap);
	disable_work_sync(work);
	mheap_lock(heap);
	gc_manual_work = work;
#endif
}

/*
 * Let the queued work item run once, as the workqueue would; heap locked.
 * In the kernel it runs here, synchronously, and the run it queues for
 * the next increment is cancelled: each call is exactly one run, as on
 * the host, but for what the workqueue may run meanwhile (gc_manual()).
 */
static inline void gc_work_run(struct mheap *heap)
{
	mheap_unlock(heap);
#ifdef __KERNEL__
	if (gc_manual_work == &heap->gc.work.work) {
		heap->gc.work.fn(&heap->gc.work);
	} else if (cancel_work_sync(&heap->gc.work.work)) {
		heap->gc.work.fn(&heap->gc.work);
		cancel_work_sync(&heap->gc.work.work);
	}
#else
	mheap_prim_work_run(&heap->gc.work);
#endif
	mheap_lock(heap);
}

/* The end of a test that used gc_manual(), before its heap goes. */
static inline void gc_manual_end(void)
{
#ifdef __KERNEL__
	gc_manual_work = NULL;
#endif
}

CORE_TEST(gc_two_cycle)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 a, b;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_TRUE(gc_cycle2(heap, 1, &a, &b));
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 0L);
	mheap_object_put(heap, a);
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)2);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 2L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	CORE_EXPECT_EQ(test_stats(heap).used, (u64)0);
	test_heap_done(heap);
}

CORE_TEST(gc_self_cycle)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 a;

	CORE_ASSERT_NOT_NULL(heap);
	a = gc_obj(heap, 2);
	CORE_ASSERT_TRUE(a);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 1, a), 0);
	mheap_object_put(heap, a);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)1);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 1L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	test_heap_done(heap);
}

/*
 * An unreachable list goes back by the bitmap word
 * (mheap_space_free_batch()): two rings allocated interleaved, so that
 * the garbage ring's headers share pools with the live ring's. Pools that
 * were full, pools that keep blocks, pools that empty and headers of two
 * sizes and a run, each in turn: the counts and the pools' bitmaps stay
 * exact (mheap_validate()), and once the live ring goes too, nothing is
 * left in use.
 */
CORE_TEST(gc_unreachable_freed_by_the_pool)
{
	static const size_t nrefs[] = { 2, 2, 2, 9, 2, 1200 };
	struct mheap *heap = test_heap(4 * SZ_1M);
	u32 first[2], prev[2], next, r, i;

	CORE_ASSERT_NOT_NULL(heap);
	for (i = 0; i < 600; i++) {
		for (r = 0; r < 2; r++) {
			/* the garbage ring ends with 80 of its own */
			if (r == 1 && i >= 520)
				continue;
			next = gc_obj(heap, nrefs[i % ARRAY_SIZE(nrefs)]);
			CORE_ASSERT_TRUE(next);
			if (!i) {
				first[r] = next;
			} else {
				CORE_ASSERT_EQ(mheap_object_set_slot(heap, prev[r],
								     0, next),
					       0);
				mheap_object_put(heap, next);
			}
			prev[r] = next;
		}
	}
	for (r = 0; r < 2; r++)
		CORE_ASSERT_EQ(mheap_object_set_slot(heap, prev[r], 0,
						     first[r]), 0);
	mheap_object_put(heap, first[0]);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 600L);
	CORE_EXPECT_EQ(mheap_validate(heap), 0);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)520);
	mheap_object_put(heap, first[1]);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 520L);
	CORE_EXPECT_EQ(mheap_validate(heap), 0);
	CORE_EXPECT_EQ(test_stats(heap).used, (u64)0);
	test_heap_done(heap);
}

/*
 * The garbage is released and freed in one pass
 * (mheap_object_free_unreachable()), which reads the flags of objects it
 * freed earlier in the pass: here a jumbo header, freed first, that every
 * later object holds, and a ring over several arenas whose last object
 * holds its first, after the first arenas emptied. The meta space must
 * hold those arenas until the pass is over: with no spares allowed, each
 * would otherwise be released, its base gone, as it emptied. Half the
 * objects have a payload, so that both ways of ending an object run. Then
 * the held arenas are kept as spares or released as they would have
 * been: with two spares allowed, two stay.
 */
CORE_TEST(gc_garbage_freed_in_one_pass)
{
	unsigned int keep = mheap_max_spare_arenas;
	unsigned int decay = mheap_spare_decay_ms;
	/* more than MHEAP_RUN_MAX bytes of slots: a jumbo header */
	const size_t jumbo_refs = MHEAP_RUN_MAX / sizeof(u32) + 1;
	/* 32-byte headers: three arenas' worth and more */
	const u32 n = 3 * (MHEAP_ARENA_SIZE / 32) + 100;
	struct mheap *heap = test_heap(64 * SZ_1M);
	u32 jumbo, first, prev, next, i, round;

	CORE_ASSERT_NOT_NULL(heap);
	mheap_spare_decay_ms = 0;
	for (round = 0; round < 2; round++) {
		mheap_max_spare_arenas = round ? 2 : 0;
		CORE_ASSERT_EQ(mheap_object_alloc(heap, 0, jumbo_refs, 0,
						  &jumbo), 0);
		prev = 0;
		first = 0;
		for (i = 0; i < n; i++) {
			CORE_ASSERT_EQ(mheap_object_alloc(heap, i % 2 ? 8 : 0, 2,
							  0, &next), 0);
			CORE_ASSERT_EQ(mheap_object_set_slot(heap, next, 1,
							     jumbo), 0);
			if (prev) {
				CORE_ASSERT_EQ(mheap_object_set_slot(heap, prev,
								     0, next),
					       0);
				mheap_object_put(heap, next);
			} else {
				first = next;
			}
			prev = next;
		}
		CORE_ASSERT_EQ(mheap_object_set_slot(heap, prev, 0, first), 0);
		CORE_ASSERT_EQ(mheap_object_set_slot(heap, jumbo, jumbo_refs - 1,
						     first), 0);
		mheap_object_put(heap, first);
		mheap_object_put(heap, jumbo);
		CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), (long)n + 1);
		CORE_EXPECT_EQ(mheap_validate(heap), 0);
		CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
		CORE_EXPECT_EQ(test_stats(heap).used, (u64)0);
		CORE_EXPECT_TRUE(list_empty(&heap->meta.held) &&
				 !heap->meta.hold);
		CORE_EXPECT_EQ((u64)heap->meta.nspares, (u64)(round ? 2 : 0));
		CORE_EXPECT_EQ((u64)heap->meta.arenas_used,
			       (u64)heap->meta.nspares);
	}
	mheap_max_spare_arenas = keep;
	mheap_spare_decay_ms = decay;
	test_heap_done(heap);
}

/*
 * Runs of slots that hold one object, of every length from 1 to 12 and at
 * every offset from 0 to 3 (gc.c's run_end() compares four slots at a
 * time): each copy counts once. x, held by the run and at first by the
 * caller, and c, held only by x, make a cycle. It survives while the
 * caller holds x, and goes with y once the caller lets go.
 */
CORE_TEST(gc_slot_runs_counted_exactly)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 off, len, i, c, x, y, target;

	CORE_ASSERT_NOT_NULL(heap);
	for (off = 0; off < 4; off++) {
		for (len = 1; len <= 12; len++) {
			c = gc_obj(heap, off + len + 1);
			x = gc_obj(heap, 1);
			y = gc_obj(heap, 1);
			CORE_ASSERT_TRUE(c && x && y);
			for (i = 0; i < off + len + 1; i++) {
				target = i >= off && i < off + len ? x : y;
				CORE_ASSERT_EQ(mheap_object_set_slot(heap, c, i,
								     target), 0);
			}
			CORE_ASSERT_EQ(mheap_object_set_slot(heap, x, 0, c), 0);
			mheap_object_put(heap, c);
			mheap_object_put(heap, y);
			CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 0L);
			CORE_EXPECT_EQ(test_refcnt(heap, x), len + 1);
			mheap_object_put(heap, x);
			CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 3L);
			CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
		}
	}
	test_heap_done(heap);
}

/* A cycle hanging from a live object survives, counts untouched. */
CORE_TEST(gc_cycle_reachable_survives)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 live, a, b;

	CORE_ASSERT_NOT_NULL(heap);
	live = gc_obj(heap, 1);
	CORE_ASSERT_TRUE(live);
	CORE_ASSERT_TRUE(gc_cycle2(heap, 1, &a, &b));
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, live, 0, a), 0);
	mheap_object_put(heap, a);
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 0L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)3);
	CORE_EXPECT_EQ(test_refcnt(heap, live), 1U);
	CORE_EXPECT_EQ(test_refcnt(heap, a), 2U);
	CORE_EXPECT_EQ(test_refcnt(heap, b), 1U);
	CORE_EXPECT_EQ(test_gen(heap, a), 2U);
	/* cutting the cycle loose makes it garbage */
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, live, 0, 0), 0);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 2L);
	mheap_object_put(heap, live);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	test_heap_done(heap);
}

/*
 * Objects that the marking walk passes before anything reaches them (their
 * gc_refs are 0: only objects of the young list hold them), reached from a
 * root further down the list: they survive into the next generation with
 * exact counts, and the dead cycle between them and the root goes. Then
 * the same with the root first, where nothing is passed over.
 */
CORE_TEST(gc_reached_after_the_walk_passed)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 a, b, p, q, root;
	bool root_last;

	CORE_ASSERT_NOT_NULL(heap);
	for (root_last = true; ; root_last = false) {
		root = root_last ? 0 : gc_obj(heap, 1);
		CORE_ASSERT_TRUE(gc_cycle2(heap, 1, &a, &b));
		CORE_ASSERT_TRUE(gc_cycle2(heap, 1, &p, &q));
		if (root_last)
			root = gc_obj(heap, 1);
		CORE_ASSERT_TRUE(root);
		CORE_EXPECT_EQ(mheap_object_set_slot(heap, root, 0, b), 0);
		mheap_object_put(heap, a);
		mheap_object_put(heap, b);
		mheap_object_put(heap, p);
		mheap_object_put(heap, q);
		CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 2L);
		CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)3);
		CORE_EXPECT_EQ(mheap_validate(heap), 0);
		CORE_EXPECT_EQ(heap->gens[0].count, (u64)0);
		CORE_EXPECT_EQ(heap->gens[1].count, (u64)3);
		CORE_EXPECT_EQ(test_gen(heap, a), 1U);
		CORE_EXPECT_EQ(test_gen(heap, b), 1U);
		CORE_EXPECT_EQ(test_gen(heap, root), 1U);
		CORE_EXPECT_EQ(test_refcnt(heap, a), 1U);
		CORE_EXPECT_EQ(test_refcnt(heap, b), 2U);
		CORE_EXPECT_EQ(test_refcnt(heap, root), 1U);
		/* nothing is left flagged: the next collection finds the rest */
		mheap_object_put(heap, root);
		CORE_EXPECT_EQ(mheap_gc_collect(heap, 1), 2L);
		CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
		if (!root_last)
			break;
	}
	test_heap_done(heap);
}

/*
 * The marking scans what is ahead of its walk when the walk gets there,
 * and pushes what the walk has passed (move_unreachable()). Here the one
 * root, c[2], holds c[0], which the walk has passed (pushed); c[0] holds
 * c[3], still ahead (flagged, scanned when the walk meets it); and c[3]
 * holds c[1], passed again (pushed from the walk's own scan, not the
 * stack's). All four survive with exact counts and nothing left flagged,
 * and a dead cycle allocated between them goes.
 */
CORE_TEST(gc_marked_ahead_and_behind_the_walk)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 c[4], d0, d1, target;
	unsigned int i;

	CORE_ASSERT_NOT_NULL(heap);
	for (i = 0; i < 3; i++)
		CORE_ASSERT_TRUE(c[i] = gc_obj(heap, 1));
	CORE_ASSERT_TRUE(gc_cycle2(heap, 1, &d0, &d1));
	CORE_ASSERT_TRUE(c[3] = gc_obj(heap, 1));
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, c[2], 0, c[0]), 0);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, c[0], 0, c[3]), 0);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, c[3], 0, c[1]), 0);
	mheap_object_put(heap, d0);
	mheap_object_put(heap, d1);
	for (i = 0; i < 4; i++) {
		if (i != 2)
			mheap_object_put(heap, c[i]);
	}
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 2L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)4);
	CORE_EXPECT_EQ(mheap_validate(heap), 0);
	CORE_EXPECT_EQ(heap->gens[1].count, (u64)4);
	for (i = 0; i < 4; i++) {
		CORE_EXPECT_EQ(test_gen(heap, c[i]), 1U);
		CORE_EXPECT_EQ(test_refcnt(heap, c[i]), 1U);
		CORE_EXPECT_EQ((u32)mheap_object_ptr(heap, c[i])->flags,
			       (u32)MHEAP_OBJ_TRACKED);
	}
	CORE_EXPECT_EQ(mheap_object_get_slot(heap, c[3], 0, &target), 0);
	CORE_EXPECT_EQ(target, c[1]);
	/* no cycle among them: the root's last reference frees them all */
	mheap_object_put(heap, c[2]);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	test_heap_done(heap);
}

/* A handle on a new object of @nrefs slots, and its id */
static inline bool gc_handle_obj(struct test_client *t, size_t nrefs, u32 *h,
				 u32 *id)
{
	return !mheap_handle_alloc(t->client, 8, nrefs, 0, h) &&
	       !mheap_handle_lookup(t->client, *h, id);
}

/*
 * Roots marked alive (gc.c: mark_alive()): what handles and names reach
 * survives a full collection uncounted, whether the flag spreads ahead of
 * the walk (a ring allocated from its root on) or behind it, from the
 * stack (a root allocated after what it holds), and a dead cycle holding
 * one of them goes, leaving that one's count exact. Then again with more
 * handles than young objects, where the pass is skipped, for the same
 * result.
 */
CORE_TEST(gc_roots_marked_alive)
{
	char name[MHEAP_NAME_LEN] = "root";
	u32 h[10], id[10], leaf, prev, x;
	struct test_client t;
	unsigned int round, i;

	for (round = 0; round < 2; round++) {
		CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
		/* round 1: 40 leaf handles, more than the 20 young objects */
		for (i = 0; round && i < 40; i++)
			CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 8, 0, 0,
							  &leaf), 0);
		/* 0-2: a ring from 0; 3-5: 5 holds 4 holds 3; 6, 7: dead */
		for (i = 0; i < 10; i++)
			CORE_ASSERT_TRUE(gc_handle_obj(&t, 2, &h[i], &id[i]));
		for (i = 0; i < 3; i++)
			CORE_ASSERT_EQ(mheap_handle_set_slot(t.client, h[i], 0,
							     h[(i + 1) % 3]), 0);
		CORE_ASSERT_EQ(mheap_handle_set_slot(t.client, h[5], 0, h[4]), 0);
		CORE_ASSERT_EQ(mheap_handle_set_slot(t.client, h[4], 0, h[3]), 0);
		CORE_ASSERT_EQ(mheap_handle_set_slot(t.client, h[6], 0, h[7]), 0);
		CORE_ASSERT_EQ(mheap_handle_set_slot(t.client, h[7], 0, h[6]), 0);
		CORE_ASSERT_EQ(mheap_handle_set_slot(t.client, h[6], 1, h[1]), 0);
		/* 8 holds 9, and the name holds 8 */
		CORE_ASSERT_EQ(mheap_handle_set_slot(t.client, h[8], 0, h[9]), 0);
		/* a chain of 10 behind 2, no handle: the roots are fewer */
		for (prev = id[2], i = 0; i < 10; i++, prev = x) {
			CORE_ASSERT_TRUE(x = gc_obj(t.heap, 1));
			CORE_ASSERT_EQ(mheap_object_set_slot(t.heap, prev,
							     prev == id[2], x), 0);
			if (prev != id[2])
				mheap_object_put(t.heap, prev);
		}
		mheap_object_put(t.heap, prev);
		CORE_ASSERT_EQ(mheap_name_bind(t.heap, name, id[8], false), 0);
		for (i = 0; i < 10; i++) {
			if (i != 0 && i != 5)
				CORE_ASSERT_EQ(mheap_handle_close(t.client, h[i]),
					       0);
		}
		CORE_EXPECT_EQ(mheap_gc_collect(t.heap, 2), 2L);
		CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)18 + 40 * round);
		CORE_EXPECT_EQ(mheap_validate(t.heap), 0);
		for (i = 0; i < 10; i++) {
			if (i == 6 || i == 7)
				continue;
			CORE_EXPECT_EQ((u32)mheap_object_ptr(t.heap, id[i])->flags,
				       (u32)MHEAP_OBJ_TRACKED);
			CORE_EXPECT_EQ(test_gen(t.heap, id[i]), 2U);
			/* the ring's root: its handle and the ring */
			CORE_EXPECT_EQ(test_refcnt(t.heap, id[i]), i ? 1U : 2U);
		}
		/* the ring's root went last: the ring is a cycle, 5's chain not */
		CORE_EXPECT_EQ(mheap_name_unbind(t.heap, name), 0);
		CORE_EXPECT_EQ(mheap_handle_close(t.client, h[5]), 0);
		CORE_EXPECT_EQ(mheap_handle_close(t.client, h[0]), 0);
		CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)13 + 40 * round);
		CORE_EXPECT_EQ(mheap_gc_collect(t.heap, 2), 13L);
		CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)40 * round);
		test_client_close(&t);
	}
}

/* A dead cycle holding a live object: the live one keeps its exact count. */
CORE_TEST(gc_cycle_holding_live_object)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 live, a, b;

	CORE_ASSERT_NOT_NULL(heap);
	live = gc_obj(heap, 1);
	CORE_ASSERT_TRUE(live);
	CORE_ASSERT_TRUE(gc_cycle2(heap, 2, &a, &b));
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 1, live), 0);
	CORE_EXPECT_EQ(test_refcnt(heap, live), 2U);
	mheap_object_put(heap, a);
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 2L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)1);
	CORE_EXPECT_EQ(test_refcnt(heap, live), 1U);
	mheap_object_put(heap, live);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	test_heap_done(heap);
}

/*
 * Cycles across generations: a young object holding an old cycle keeps it
 * through young collections; an old object in a cycle with a young one
 * keeps the young one alive until a collection sees both.
 */
CORE_TEST(gc_cycle_spanning_generations)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 o1, o2, y;

	CORE_ASSERT_NOT_NULL(heap);
	/* young -> old cycle */
	CORE_ASSERT_TRUE(gc_cycle2(heap, 1, &o1, &o2));
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 1), 0L);
	CORE_EXPECT_EQ(test_gen(heap, o1), 2U);
	y = gc_obj(heap, 1);
	CORE_ASSERT_TRUE(y);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, y, 0, o1), 0);
	mheap_object_put(heap, o1);
	mheap_object_put(heap, o2);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 0L);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 0L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)3);
	mheap_object_put(heap, y);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)2);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 0L);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 2L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);

	/* old <-> young cycle */
	o1 = gc_obj(heap, 1);
	CORE_ASSERT_TRUE(o1);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 1), 0L);
	y = gc_obj(heap, 1);
	CORE_ASSERT_TRUE(y);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, o1, 0, y), 0);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, y, 0, o1), 0);
	mheap_object_put(heap, o1);
	mheap_object_put(heap, y);
	/* generation 0 sees y held from outside it, by o1 */
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 0L);
	CORE_EXPECT_EQ(test_gen(heap, y), 1U);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 1), 0L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)2);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 2L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	test_heap_done(heap);
}

/* Freeing a cycle releases what it held: a cascade, during the collection. */
CORE_TEST(gc_cascade_during_collection)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 a, b, c, d, e;

	CORE_ASSERT_NOT_NULL(heap);
	c = gc_obj(heap, 1);
	d = gc_obj(heap, 1);
	CORE_ASSERT_TRUE(c && d);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 100, 0, 0, &e), 0);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, c, 0, d), 0);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, d, 0, e), 0);
	mheap_object_put(heap, d);
	mheap_object_put(heap, e);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 0L);
	CORE_ASSERT_TRUE(gc_cycle2(heap, 2, &a, &b));
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 1, c), 0);
	mheap_object_put(heap, c);
	mheap_object_put(heap, a);
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)5);
	/* a and b are found; c, d and e go with them by reference counting */
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 2L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	CORE_EXPECT_EQ(heap->gens[2].count, (u64)0);
	test_heap_done(heap);
}

CORE_TEST(gc_enable_disable_and_work)
{
	static const u32 th[MHEAP_GENERATIONS] = { 10, 10, 10 };
	struct mheap *heap = test_heap(SZ_1M);
	struct mheap_gen_stats st[MHEAP_GENERATIONS];
	u32 ids[11], count[MHEAP_GENERATIONS];
	unsigned int i;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_EXPECT_TRUE(mheap_gc_is_enabled(heap));
	mheap_gc_set_threshold(heap, th);
	for (i = 0; i < 10; i++)
		ids[i] = gc_obj(heap, 1);
	CORE_EXPECT_FALSE(gc_work_queued(heap));
	/* the 11th crosses the threshold: work is queued, nothing collected */
	ids[10] = gc_obj(heap, 1);
	CORE_EXPECT_TRUE(gc_work_queued(heap));
	mheap_gc_get_stats(heap, st);
	CORE_EXPECT_EQ(st[0].collections, (u64)0);
	gc_work_run(heap);
	mheap_gc_get_stats(heap, st);
	CORE_EXPECT_EQ(st[0].collections, (u64)1);
	CORE_EXPECT_EQ(st[0].examined, (u64)11);
	mheap_gc_get_count(heap, count);
	CORE_EXPECT_EQ(count[0], 0U);
	CORE_EXPECT_EQ(count[1], 1U);
	for (i = 0; i < 11; i++)
		mheap_object_put(heap, ids[i]);

	mheap_gc_enable(heap, false);
	CORE_EXPECT_FALSE(mheap_gc_is_enabled(heap));
	for (i = 0; i < 11; i++)
		ids[i] = gc_obj(heap, 1);
	CORE_EXPECT_FALSE(gc_work_queued(heap));
	/* an explicit collection still runs */
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 0L);
	mheap_gc_enable(heap, true);
	for (i = 0; i < 11; i++)
		mheap_object_put(heap, ids[i]);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 3), -EINVAL);
	test_heap_done(heap);
}

/*
 * A collection that an allocation made due is queued when the call ends,
 * unless the allocation was undone: a failed call queues nothing, even
 * with generation 0 over its threshold already (found by a breaker: an
 * ALLOC whose result could not be written queued the collection).
 */
CORE_TEST(gc_undone_allocation_queues_nothing)
{
	static const u32 th[MHEAP_GENERATIONS] = { 5, 10, 10 };
	struct mheap *heap = test_heap(SZ_1M);
	struct mheap_gen_stats st[MHEAP_GENERATIONS];
	unsigned int spares, i;
	u32 ids[8], x, y;

	CORE_ASSERT_NOT_NULL(heap);
	for (i = 0; i < 8; i++)
		ids[i] = gc_obj(heap, 1);
	CORE_EXPECT_FALSE(gc_work_queued(heap));
	/* lowered under the count: due at the next allocation, as CPython */
	mheap_gc_set_threshold(heap, th);
	CORE_EXPECT_FALSE(gc_work_queued(heap));

	/* an allocation that is undone */
	spares = mheap_spares(heap);
	x = gc_obj(heap, 1);
	CORE_ASSERT_TRUE(x);
	CORE_EXPECT_NE(heap->gc.due_alloc, (u64)0);
	mheap_object_discard(heap, x, spares);
	CORE_EXPECT_FALSE(gc_work_queued(heap));

	/* two, the second undone: the first still queues */
	x = gc_obj(heap, 1);
	spares = mheap_spares(heap);
	y = gc_obj(heap, 1);
	CORE_ASSERT_TRUE(x && y);
	mheap_object_discard(heap, y, spares);
	CORE_EXPECT_TRUE(gc_work_queued(heap));
	gc_work_run(heap);
	mheap_gc_get_stats(heap, st);
	CORE_EXPECT_EQ(st[0].collections, (u64)1);
	CORE_EXPECT_EQ(st[0].examined, (u64)9);
	CORE_EXPECT_FALSE(gc_work_queued(heap));

	/* and one that stands queues at the call's end, not before */
	for (i = 0; i < 6; i++)
		mheap_object_put(heap, ids[i]);
	for (i = 0; i < 6; i++)
		ids[i] = gc_obj(heap, 1);
	CORE_EXPECT_FALSE(gc_work_pending(heap));
	CORE_EXPECT_TRUE(gc_work_queued(heap));
	gc_work_run(heap);
	mheap_gc_get_stats(heap, st);
	CORE_EXPECT_EQ(st[0].collections, (u64)2);
	mheap_object_put(heap, x);
	for (i = 0; i < 8; i++)
		mheap_object_put(heap, ids[i]);
	test_heap_done(heap);
}

/* Destroying a heap with its collection queued cancels it first. */
CORE_TEST(gc_teardown_cancels_work)
{
	static const u32 th[MHEAP_GENERATIONS] = { 1, 10, 10 };
	struct mheap *heap = test_heap(SZ_1M);
#ifdef __KERNEL__
	int i;
#else
	unsigned long cancelled;
#endif
	u32 a, b;

	CORE_ASSERT_NOT_NULL(heap);
	mheap_gc_set_threshold(heap, th);
	CORE_ASSERT_TRUE(gc_cycle2(heap, 1, &a, &b));
	CORE_EXPECT_TRUE(gc_work_queued(heap));
#ifdef __KERNEL__
	/*
	 * Until a kworker runs the item and waits for the lock: then a
	 * destroy that did not wait for it would free the heap under it,
	 * which KASAN reports.
	 */
	for (i = 0; i < 2000 && !(work_busy(&heap->gc.work.work) &
				  WORK_BUSY_RUNNING); i++)
		usleep_range(1000, 2000);
	CORE_EXPECT_TRUE(work_busy(&heap->gc.work.work) & WORK_BUSY_RUNNING);
#else
	cancelled = mheap_prim_work_cancelled;
#endif
	test_heap_done(heap);
#ifndef __KERNEL__
	/* the host's items run only when told: the queued one was cancelled */
	CORE_EXPECT_EQ(mheap_prim_work_cancelled, cancelled + 1);
#endif
}

/*
 * The long-lived heuristic: generation 2 is collected only once what moved
 * into it since the last full collection exceeds 25% of what it held.
 */
CORE_TEST(gc_full_collection_heuristic)
{
	struct mheap *heap = test_heap(SZ_1M);
	struct mheap_gen_stats st[MHEAP_GENERATIONS];
	u32 ids[100];
	unsigned int i;

	CORE_ASSERT_NOT_NULL(heap);
	for (i = 0; i < 100; i++)
		ids[i] = gc_obj(heap, 1);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 0L);
	CORE_EXPECT_EQ(heap->gc.long_lived_total, (u64)100);
	heap->gc.count[2] = 11;
	heap->gc.count[1] = 11;
	heap->gc.long_lived_pending = 24;
	heap->gc.count[0] = 701;
	mheap_prim_work_queue(&heap->gc.work);
	gc_work_run(heap);
	mheap_gc_get_stats(heap, st);
	CORE_EXPECT_EQ(st[2].collections, (u64)1);
	CORE_EXPECT_EQ(st[1].collections, (u64)1);
	heap->gc.count[2] = 11;
	heap->gc.long_lived_pending = 26;
	mheap_prim_work_queue(&heap->gc.work);
	gc_work_run(heap);
	mheap_gc_get_stats(heap, st);
	CORE_EXPECT_EQ(st[2].collections, (u64)2);
	for (i = 0; i < 100; i++)
		mheap_object_put(heap, ids[i]);
	test_heap_done(heap);
}

CORE_TEST(gc_freeze_unfreeze)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 count[MHEAP_GENERATIONS];
	u32 a, b;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_TRUE(gc_cycle2(heap, 1, &a, &b));
	/* counts of all three generations, which freeze resets as CPython */
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 0L);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 1), 0L);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 0L);
	mheap_gc_get_count(heap, count);
	CORE_EXPECT_EQ(count[1] + count[2], 2U);
	mheap_object_put(heap, a);
	mheap_object_put(heap, b);
	mheap_gc_freeze(heap);
	mheap_gc_get_count(heap, count);
	CORE_EXPECT_EQ(count[0] + count[1] + count[2], 0U);
	CORE_EXPECT_EQ(mheap_gc_freeze_count(heap), (u64)2);
	CORE_EXPECT_EQ(test_gen(heap, a), (u32)MHEAP_GEN_PERMANENT);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 0L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)2);
	mheap_gc_unfreeze(heap);
	CORE_EXPECT_EQ(mheap_gc_freeze_count(heap), (u64)0);
	CORE_EXPECT_EQ(test_gen(heap, a), 2U);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 1), 0L);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 2L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	test_heap_done(heap);
}

/*
 * Save-all mode counts as CPython's DEBUG_SAVEALL does: what is found is
 * "collected" (and kept), never "uncollectable".
 */
CORE_TEST(gc_save_all)
{
	struct mheap *heap = test_heap(SZ_1M);
	struct mheap_gen_stats st[MHEAP_GENERATIONS];
	u32 a, b, got[4];

	CORE_ASSERT_NOT_NULL(heap);
	mheap_gc_set_save_all(heap, true);
	CORE_ASSERT_TRUE(gc_cycle2(heap, 1, &a, &b));
	mheap_object_put(heap, a);
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 2L);
	mheap_gc_get_stats(heap, st);
	CORE_EXPECT_EQ(st[0].collected, (u64)2);
	CORE_EXPECT_EQ(st[0].uncollectable, (u64)0);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)2);
	CORE_EXPECT_EQ(mheap_gc_garbage(heap, got, 4), (size_t)2);
	CORE_EXPECT_EQ(got[0], a);
	CORE_EXPECT_EQ(got[1], b);
	CORE_EXPECT_EQ(test_refcnt(heap, a), 2U);
	/* kept garbage is not examined again */
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 0L);
	mheap_gc_set_save_all(heap, false);
	CORE_EXPECT_EQ(mheap_gc_release_garbage(heap), (u64)2);
	CORE_EXPECT_EQ(mheap_gc_garbage(heap, NULL, 0), (size_t)0);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)2);
	/* found by a collection of generation 0: they went to generation 1 */
	CORE_EXPECT_EQ(test_gen(heap, a), 1U);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 0L);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 1), 2L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	test_heap_done(heap);
}

/*
 * issue 16, 4d: after a save-all collection of generation 2 and the
 * release of the garbage list, the objects are in generation 2, as in
 * CPython: collect(0), collect(1), collect(2) find 0, 0, 1.
 */
CORE_TEST(gc_released_garbage_is_old)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 x;

	CORE_ASSERT_NOT_NULL(heap);
	x = gc_obj(heap, 1);
	CORE_ASSERT_TRUE(x && !mheap_object_set_slot(heap, x, 0, x));
	mheap_object_put(heap, x);
	mheap_gc_set_save_all(heap, true);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 1L);
	mheap_gc_set_save_all(heap, false);
	CORE_EXPECT_EQ(mheap_gc_release_garbage(heap), (u64)1);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 0), 0L);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 1), 0L);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 1L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	test_heap_done(heap);
}

/*
 * issue 16, 4c: weak references to objects that save-all keeps are
 * cleared, as CPython clears weakrefs to what goes to gc.garbage.
 */
CORE_TEST(gc_save_all_clears_weak)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 x, ref;

	CORE_ASSERT_NOT_NULL(heap);
	x = gc_obj(heap, 1);
	CORE_ASSERT_TRUE(x && !mheap_object_set_slot(heap, x, 0, x));
	CORE_ASSERT_EQ(mheap_weak_get(heap, x, &ref), 0);
	mheap_object_put(heap, x);
	mheap_gc_set_save_all(heap, true);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 1L);
	CORE_EXPECT_EQ(mheap_weak_deref(&heap->weak, ref), 0U);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)1);
	mheap_weak_put(heap, ref);
	mheap_gc_set_save_all(heap, false);
	mheap_gc_release_garbage(heap);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 1L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	test_heap_done(heap);
}

/*
 * issue 16, 4a: get_referrers() does not look at the permanent generation,
 * as CPython's gc.get_referrers() does not.
 */
CORE_TEST(gc_referrers_skip_frozen)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 x, p;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 8, 0, 0, &x), 0);
	p = gc_obj(heap, 1);
	CORE_ASSERT_TRUE(p && !mheap_object_set_slot(heap, p, 0, x));
	CORE_EXPECT_EQ(mheap_gc_referrers(heap, x, NULL, 0), (size_t)1);
	mheap_gc_freeze(heap);
	CORE_EXPECT_EQ(mheap_gc_referrers(heap, x, NULL, 0), (size_t)0);
	mheap_gc_unfreeze(heap);
	CORE_EXPECT_EQ(mheap_gc_referrers(heap, x, NULL, 0), (size_t)1);
	mheap_object_put(heap, p);
	mheap_object_put(heap, x);
	test_heap_done(heap);
}

/*
 * issue 16, 4e: explicit collections of generation 0 alone count towards
 * generation 1's threshold; once it is crossed the work item collects
 * generation 1, so dead cycles that survived into it do not pile up (in
 * CPython they do: only an allocation crossing threshold 0 looks).
 */
CORE_TEST(gc_explicit_collections_keep_schedule)
{
	static const u32 th[MHEAP_GENERATIONS] = { 100, 3, 3 };
	struct mheap *heap = test_heap(SZ_1M);
	struct mheap_gen_stats st[MHEAP_GENERATIONS];
	u32 count[MHEAP_GENERATIONS], x;
	unsigned int i;

	CORE_ASSERT_NOT_NULL(heap);
	mheap_gc_set_threshold(heap, th);
	for (i = 0; i < 200; i++) {
		x = gc_obj(heap, 1);
		CORE_ASSERT_TRUE(x && !mheap_object_set_slot(heap, x, 0, x));
		CORE_ASSERT_EQ(mheap_gc_collect(heap, 0), 0L);
		mheap_object_put(heap, x);
		if (gc_work_queued(heap))
			gc_work_run(heap);
		mheap_gc_get_count(heap, count);
		CORE_ASSERT_TRUE(count[1] <= th[1]);
		/* at most the cycles since the last collection of generation 1 */
		CORE_ASSERT_TRUE(mheap_objects_live(heap) <= th[1] + 1);
	}
	/* explicit ones made generation 1, and in turn 2, due */
	mheap_gc_get_stats(heap, st);
	CORE_EXPECT_TRUE(st[1].collections >= 200 / (th[1] + 1) / 2);
	CORE_EXPECT_NE(st[2].collections, (u64)0);
	CORE_EXPECT_EQ(st[0].collections, (u64)200);
	mheap_gc_collect(heap, 2);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	test_heap_done(heap);
}

CORE_TEST(gc_introspection)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 a, b, leaf, buf[2], count[MHEAP_GENERATIONS], th[MHEAP_GENERATIONS];

	CORE_ASSERT_NOT_NULL(heap);
	mheap_gc_get_threshold(heap, th);
	CORE_EXPECT_EQ(th[0], 700U);
	CORE_EXPECT_EQ(th[1], 10U);
	CORE_EXPECT_EQ(th[2], 10U);
	a = gc_obj(heap, 3);
	b = gc_obj(heap, 1);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 4, 0, 0, &leaf), 0);
	CORE_ASSERT_TRUE(a && b);
	mheap_gc_get_count(heap, count);
	CORE_EXPECT_EQ(count[0], 2U);
	CORE_EXPECT_TRUE(mheap_gc_is_tracked(heap, a));
	CORE_EXPECT_FALSE(mheap_gc_is_tracked(heap, leaf));
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 0, leaf), 0);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 2, b), 0);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, b, 0, leaf), 0);
	CORE_EXPECT_EQ(mheap_gc_referents(heap, a, buf, 2), (size_t)2);
	CORE_EXPECT_EQ(buf[0], leaf);
	CORE_EXPECT_EQ(buf[1], b);
	CORE_EXPECT_EQ(mheap_gc_referents(heap, a, buf, 1), (size_t)2);
	CORE_EXPECT_EQ(mheap_gc_referents(heap, leaf, NULL, 0), (size_t)0);
	CORE_EXPECT_EQ(mheap_gc_referrers(heap, leaf, buf, 2), (size_t)2);
	CORE_EXPECT_EQ(buf[0], a);
	CORE_EXPECT_EQ(buf[1], b);
	CORE_EXPECT_EQ(mheap_gc_referrers(heap, a, buf, 2), (size_t)0);
	mheap_object_put(heap, a);
	mheap_object_put(heap, b);
	mheap_object_put(heap, leaf);
	mheap_gc_get_count(heap, count);
	CORE_EXPECT_EQ(count[0], 0U);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	test_heap_done(heap);
}

/* A ring of a million objects is found and freed without recursion. */
CORE_TEST(gc_million_object_cycle)
{
	/* 32 bytes of header each, 48 with guard bytes */
	struct mheap *heap = test_heap(SZ_1M * 128);
	u32 first, prev, next;
	long i;

	CORE_ASSERT_NOT_NULL(heap);
	mheap_gc_enable(heap, false);
	first = gc_obj(heap, 1);
	CORE_ASSERT_TRUE(first);
	prev = first;
	for (i = 1; i < 1000000; i++) {
		next = gc_obj(heap, 1);
		CORE_ASSERT_TRUE(next);
		CORE_ASSERT_EQ(mheap_object_set_slot(heap, prev, 0, next), 0);
		mheap_object_put(heap, next);
		prev = next;
	}
	CORE_ASSERT_EQ(mheap_object_set_slot(heap, prev, 0, first), 0);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 0L);
	mheap_object_put(heap, first);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)1000000);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 1000000L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	CORE_EXPECT_EQ(test_stats(heap).used, (u64)0);
	test_heap_done(heap);
}

/*
 * Incremental collection (gc.c): the work item collects generations 1 and
 * 2 in increments of mheap_gc_increment units of work, and clients change
 * the graph between increments.
 */

/* Make generation @gen due, and let the work item start collecting it. */
static inline void gc_inc_start(struct mheap *heap, unsigned int gen)
{
	gc_manual(heap);
	heap->gc.count[gen] = heap->gc.threshold[gen] + 1;
	if (gen == MHEAP_GENERATIONS - 1)
		heap->gc.long_lived_pending = heap->gc.long_lived_total;
	mheap_prim_work_queue(&heap->gc.work);
	gc_work_run(heap);
}

/*
 * Run increments until the collection in progress reaches @phase, or ends
 * (MHEAP_GC_IDLE); returns how many ran.
 */
static inline unsigned int gc_inc_run_to(struct mheap *heap,
					 unsigned int phase)
{
	unsigned int n = 0;

	while (heap->gc.progress.phase != MHEAP_GC_IDLE &&
	       (phase == MHEAP_GC_IDLE || heap->gc.progress.phase < phase) &&
	       n < 1000000) {
		mheap_prim_work_queue(&heap->gc.work);
		gc_work_run(heap);
		n++;
	}
	return n;
}

/*
 * Two objects of one slot each, a cycle, held through @t's handles *@ha
 * and *@hb, the first watched by the weak handle *@w.
 */
static inline bool gc_handle_cycle(struct test_client *t, u32 *ha, u32 *hb,
				   u32 *w)
{
	return !mheap_handle_alloc(t->client, 8, 1, 0, ha) &&
	       !mheap_handle_alloc(t->client, 8, 1, 0, hb) &&
	       !mheap_handle_set_slot(t->client, *ha, 0, *hb) &&
	       !mheap_handle_set_slot(t->client, *hb, 0, *ha) &&
	       !mheap_handle_dup_weak(t->client, *ha, w);
}

/*
 * @n two-object cycles, chained (a's second slot holds the next cycle's
 * a), moved to generation 1 with everything else in generation 0, then
 * let go: 2 * @n objects that nothing outside holds.
 */
static inline bool gc_old_cycles(struct mheap *heap, unsigned int n)
{
	u32 root = gc_obj(heap, 1), prev = root, a = 0, b = 0;
	unsigned int i;
	bool ok = root;

	for (i = 0; ok && i < n; i++) {
		ok = gc_cycle2(heap, 2, &a, &b) &&
		     !mheap_object_set_slot(heap, prev, prev == root ? 0 : 1, a);
		if (a)
			mheap_object_put(heap, a);
		if (b)
			mheap_object_put(heap, b);
		prev = a;
	}
	ok = ok && mheap_gc_collect(heap, 0) >= 0;
	if (root)
		mheap_object_put(heap, root);
	return ok;
}

/* Cycles dropped before a collection begins go, in many increments. */
CORE_TEST(gc_incremental_collects_cycles)
{
	struct mheap *heap = test_heap(SZ_1M);
	unsigned int saved = mheap_gc_increment, steps;
	struct mheap_gen_stats st[MHEAP_GENERATIONS];
	u64 increments;
	u32 keep;

	CORE_ASSERT_NOT_NULL(heap);
	mheap_gc_increment = 4;
	keep = gc_obj(heap, 1);
	CORE_ASSERT_TRUE(keep && gc_old_cycles(heap, 50));
	increments = heap->gc.increments;
	gc_inc_start(heap, 1);
	CORE_EXPECT_NE(heap->gc.progress.phase, MHEAP_GC_IDLE);
	/* nothing is freed before MARK has ended */
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)101);
	steps = gc_inc_run_to(heap, MHEAP_GC_IDLE);
	CORE_EXPECT_GT(steps, 50U);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)1);
	CORE_EXPECT_EQ(test_gen(heap, keep), 2U);
	mheap_gc_get_stats(heap, st);
	CORE_EXPECT_EQ(st[1].collections, (u64)1);
	CORE_EXPECT_EQ(st[1].collected, (u64)100);
	CORE_EXPECT_EQ(st[1].examined, (u64)101);
	CORE_EXPECT_LE(st[1].pause_last_ns, st[1].pause_total_ns);
	CORE_EXPECT_GE(heap->gc.increments - increments, (u64)steps);

	/* 0: the same collection at once */
	mheap_gc_increment = 0;
	CORE_ASSERT_TRUE(gc_old_cycles(heap, 10));
	increments = heap->gc.increments;
	gc_inc_start(heap, 1);
	CORE_EXPECT_EQ(heap->gc.progress.phase, MHEAP_GC_IDLE);
	CORE_EXPECT_EQ(heap->gc.increments, increments);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)1);
	mheap_object_put(heap, keep);
	mheap_gc_increment = saved;
	gc_manual_end();
	test_heap_done(heap);
}

/*
 * The barrier: in each phase before the unreachable set is known, the only
 * reference to a cycle moves from a handle to a slot (of an object outside
 * the collection, or of one inside it already visited). The cycle must
 * survive; the dropped cycles around it must not.
 */
CORE_TEST(gc_incremental_barrier)
{
	static const unsigned int phases[] = {
		MHEAP_GC_SUBTRACT, MHEAP_GC_MARK,
	};
	struct mheap *heap = test_heap(SZ_1M);
	unsigned int saved = mheap_gc_increment, i, inside;
	u32 a, b, holder, before;

	CORE_ASSERT_NOT_NULL(heap);
	mheap_gc_increment = 3;
	for (i = 0; i < ARRAY_SIZE(phases); i++) {
		for (inside = 0; inside < 2; inside++) {
			/* the holder first: visited before the cycle */
			holder = inside ? gc_obj(heap, 1) : 0;
			CORE_ASSERT_TRUE(gc_cycle2(heap, 1, &a, &b));
			mheap_object_put(heap, b);
			CORE_ASSERT_TRUE(gc_old_cycles(heap, 20));
			before = mheap_objects_live(heap);
			gc_inc_start(heap, 1);
			gc_inc_run_to(heap, phases[i]);
			gc_inc_run_to(heap, phases[i] + 1);
			CORE_EXPECT_EQ(heap->gc.progress.phase, phases[i] + 1);
			if (!inside)
				holder = gc_obj(heap, 1);
			CORE_ASSERT_TRUE(holder);
			CORE_EXPECT_EQ(mheap_object_set_slot(heap, holder, 0, a), 0);
			mheap_object_put(heap, a);
			gc_inc_run_to(heap, MHEAP_GC_IDLE);
			CORE_EXPECT_EQ(mheap_objects_live(heap),
				       (u64)before - 40 + !inside);
			CORE_EXPECT_EQ(test_refcnt(heap, a), 2U);
			mheap_object_put(heap, holder);
			CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 2L);
			CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
		}
	}
	mheap_gc_increment = saved;
	gc_manual_end();
	test_heap_done(heap);
}

/*
 * The barrier, where it is needed: a cycle T <-> Y that nothing else
 * holds, but a weak handle on T. Between two increments the client takes
 * a strong handle on T from the weak one. gc_refs were counted before, so
 * without the barrier the cycle would look unreachable and go, under the
 * new handle. In SUBTRACT, after one unit, T is visited and Y met through
 * T's slot, both with gc_refs 0, and Y's own slot not subtracted yet.
 */
CORE_TEST(gc_incremental_barrier_resurrection)
{
	struct test_client t;
	unsigned int saved = mheap_gc_increment, phase;
	u32 ht, hy, w, h, id, ty;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	mheap_gc_increment = 1;
	for (phase = MHEAP_GC_SUBTRACT; phase <= MHEAP_GC_MARK; phase++) {
		CORE_ASSERT_TRUE(gc_handle_cycle(&t, &ht, &hy, &w));
		CORE_ASSERT_EQ(mheap_handle_lookup(t.client, hy, &ty), 0);
		CORE_ASSERT_EQ(mheap_handle_close(t.client, hy), 0);
		/*
		 * T, then Y, head generation 1; cycles behind them. T is the
		 * root that generation 0's collection finds first, so Y, met
		 * through it, survives after it.
		 */
		CORE_ASSERT_TRUE(gc_old_cycles(t.heap, 10));
		CORE_ASSERT_EQ(mheap_handle_close(t.client, ht), 0);
		gc_inc_start(t.heap, 1);
		gc_inc_run_to(t.heap, phase);
		CORE_EXPECT_EQ(t.heap->gc.progress.phase, phase);
		if (phase == MHEAP_GC_SUBTRACT)
			CORE_EXPECT_EQ(t.heap->gc.progress.cursor, ty);
		CORE_ASSERT_EQ(mheap_handle_dup(t.client, w, &h), 0);
		gc_inc_run_to(t.heap, MHEAP_GC_IDLE);
		CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)2);
		CORE_ASSERT_EQ(mheap_handle_lookup(t.client, h, &id), 0);
		CORE_EXPECT_EQ(test_refcnt(t.heap, id), 2U);
		CORE_ASSERT_EQ(mheap_handle_close(t.client, h), 0);
		CORE_ASSERT_EQ(mheap_handle_close(t.client, w), 0);
		CORE_EXPECT_EQ(mheap_gc_collect(t.heap, 2), 2L);
		CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)0);
	}
	mheap_gc_increment = saved;
	gc_manual_end();
	test_client_close(&t);
}

/*
 * The same, but the strong handles are taken and then undone, as an ioctl
 * whose result cannot be written undoes them (mheap_gc_barrier_undo()):
 * the barrier's changes go with them, and the collection finds the cycle
 * unreachable, as if the call had never been made. Found by a breaker: a
 * failing DUP of the weak handle, repeated during the collection, kept
 * the cycle alive. Two handles each time: in MARK the second finds T
 * marked already, so one entry is logged for two references.
 */
CORE_TEST(gc_incremental_barrier_undone)
{
	struct test_client t;
	unsigned int saved = mheap_gc_increment, phase;
	struct mheap_gen_stats st[MHEAP_GENERATIONS];
	struct mheap_gc_mark mark;
	u32 ht, hy, w, h1, h2, id;
	u64 collected = 0;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	mheap_gc_increment = 1;
	for (phase = MHEAP_GC_SUBTRACT; phase <= MHEAP_GC_MARK; phase++) {
		CORE_ASSERT_TRUE(gc_handle_cycle(&t, &ht, &hy, &w));
		CORE_ASSERT_EQ(mheap_handle_close(t.client, hy), 0);
		CORE_ASSERT_TRUE(gc_old_cycles(t.heap, 10));
		CORE_ASSERT_EQ(mheap_handle_close(t.client, ht), 0);
		gc_inc_start(t.heap, 1);
		gc_inc_run_to(t.heap, phase);
		CORE_EXPECT_EQ(t.heap->gc.progress.phase, phase);
		mark = mheap_gc_barrier_mark(t.heap);
		CORE_ASSERT_EQ(mheap_handle_dup(t.client, w, &h1), 0);
		CORE_ASSERT_EQ(mheap_handle_dup(t.client, w, &h2), 0);
		CORE_EXPECT_NE(t.heap->gc.undo_len, mark.len);
		CORE_ASSERT_EQ(mheap_handle_close(t.client, h2), 0);
		CORE_ASSERT_EQ(mheap_handle_close(t.client, h1), 0);
		mheap_gc_barrier_undo(t.heap, mark);
		CORE_EXPECT_EQ(t.heap->gc.undo_len, mark.len);
		CORE_EXPECT_EQ(mheap_validate(t.heap), 0);
		gc_inc_run_to(t.heap, MHEAP_GC_IDLE);
		/* T and Y went with the ten cycles */
		mheap_gc_get_stats(t.heap, st);
		CORE_EXPECT_EQ(st[1].collected - collected, (u64)22);
		collected = st[1].collected;
		CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)0);
		CORE_EXPECT_NE(mheap_handle_lookup(t.client, w, &id), 0);
		CORE_ASSERT_EQ(mheap_handle_close(t.client, w), 0);
	}
	mheap_gc_increment = saved;
	gc_manual_end();
	test_client_close(&t);
}

/*
 * When the barrier's log has no memory for an entry, the change stays
 * applied after the undo (safe): the cycle survives this collection, as
 * if the reference had been taken and dropped, and goes with the next.
 * And a DUP that fails (no memory for the handle table) takes its own
 * change back, logged: nothing changed.
 */
CORE_TEST(gc_incremental_barrier_log_fails)
{
	struct test_client t;
	unsigned int saved = mheap_gc_increment, i;
	struct mheap_gen_stats st[MHEAP_GENERATIONS];
	struct mheap_gc_mark mark;
	u32 ht, hy, w, h, id;
	long nth;
	bool fired;
	int err = 0;

	CORE_REQUIRE_FAULT_INJECTION();
	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	mheap_gc_increment = 1;
	CORE_ASSERT_TRUE(gc_handle_cycle(&t, &ht, &hy, &w));
	CORE_ASSERT_EQ(mheap_handle_close(t.client, hy), 0);
	CORE_ASSERT_TRUE(gc_old_cycles(t.heap, 10));
	CORE_ASSERT_EQ(mheap_handle_close(t.client, ht), 0);
	/* room in the handle table, so that the log's is the first allocation */
	CORE_ASSERT_EQ(mheap_handle_dup(t.client, w, &h), 0);
	CORE_ASSERT_EQ(mheap_handle_close(t.client, h), 0);
	gc_inc_start(t.heap, 1);
	gc_inc_run_to(t.heap, MHEAP_GC_MARK);
	CORE_ASSERT_EQ(t.heap->gc.progress.phase, MHEAP_GC_MARK);
	CORE_ASSERT_EQ(t.heap->gc.undo_cap, 0U);
	mark = mheap_gc_barrier_mark(t.heap);
	core_fail_nth(1);
	CORE_ASSERT_EQ(mheap_handle_dup(t.client, w, &h), 0);
	fired = core_fail_fired();
	CORE_EXPECT_TRUE(fired);
	CORE_EXPECT_EQ(t.heap->gc.undo_len, 0U);
	CORE_ASSERT_EQ(mheap_handle_close(t.client, h), 0);
	mheap_gc_barrier_undo(t.heap, mark);
	CORE_EXPECT_EQ(mheap_validate(t.heap), 0);
	gc_inc_run_to(t.heap, MHEAP_GC_IDLE);
	mheap_gc_get_stats(t.heap, st);
	CORE_EXPECT_EQ(st[1].collected, (u64)20);
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)2);

	/*
	 * A DUP that fails, the handle table unable to grow, in MARK: with
	 * the log's memory there already (from a DUP undone in SUBTRACT),
	 * the n-th allocation of the DUP for n = 1, 2, ... fails until one
	 * fails it (in the kernel, kvmalloc() may fall back to vmalloc()).
	 */
	CORE_ASSERT_EQ(mheap_handle_lookup(t.client, w, &id), 0);
	gc_inc_start(t.heap, 2);
	for (i = 0; i < 100000; i++) {
		if (t.heap->gc.progress.phase != MHEAP_GC_SUBTRACT ||
		    mheap_object_ptr(t.heap, id)->flags & MHEAP_OBJ_COLLECTING)
			break;
		mheap_prim_work_queue(&t.heap->gc.work);
		gc_work_run(t.heap);
	}
	CORE_ASSERT_EQ(t.heap->gc.progress.phase, MHEAP_GC_SUBTRACT);
	mark = mheap_gc_barrier_mark(t.heap);
	CORE_ASSERT_EQ(mheap_handle_dup(t.client, w, &h), 0);
	CORE_ASSERT_EQ(mheap_handle_close(t.client, h), 0);
	mheap_gc_barrier_undo(t.heap, mark);
	CORE_ASSERT_TRUE(t.heap->gc.undo_cap != 0);
	gc_inc_run_to(t.heap, MHEAP_GC_MARK);
	CORE_ASSERT_EQ(t.heap->gc.progress.phase, MHEAP_GC_MARK);
	for (nth = 1; nth < 64; nth++) {
		for (i = 0; i < 100000 && !err; i++) {
			if (!t.client->free_head &&
			    t.client->used == t.client->size)
				break;
			err = mheap_handle_dup_weak(t.client, w, &h);
		}
		CORE_ASSERT_EQ(err, 0);
		mark = mheap_gc_barrier_mark(t.heap);
		core_fail_nth(nth);
		err = mheap_handle_dup(t.client, w, &h);
		core_fail_fired();
		if (err)
			break;
		CORE_ASSERT_EQ(mheap_handle_close(t.client, h), 0);
		mheap_gc_barrier_undo(t.heap, mark);
	}
	CORE_EXPECT_EQ(err, -ENOMEM);
	CORE_EXPECT_EQ(t.heap->gc.undo_len, mark.len);
	CORE_EXPECT_FALSE(mheap_object_ptr(t.heap, id)->flags &
			  MHEAP_OBJ_REACHABLE);
	gc_inc_run_to(t.heap, MHEAP_GC_IDLE);
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)0);
	CORE_EXPECT_NE(mheap_handle_lookup(t.client, w, &id), 0);
	mheap_gc_increment = saved;
	gc_manual_end();
	test_client_close(&t);
}

/*
 * Generation 0 is collected between two increments when it is due, so it
 * stays small however long the collection in progress takes. Before
 * PARTITION its survivors join the collection in progress; dropped
 * between two increments (a survivor during SUBTRACT is deferred as any
 * object of the collection), they go; held, they stay.
 */
CORE_TEST(gc_incremental_young_between)
{
	struct mheap *heap = test_heap(SZ_1M);
	struct mheap_gen_stats st[MHEAP_GENERATIONS];
	unsigned int saved = mheap_gc_increment, phase;
	u32 keep, drop, a, b;
	u64 young;

	CORE_ASSERT_NOT_NULL(heap);
	mheap_gc_increment = 2;
	for (phase = MHEAP_GC_SUBTRACT; phase <= MHEAP_GC_FREE; phase++) {
		CORE_ASSERT_TRUE(gc_old_cycles(heap, 10));
		gc_inc_start(heap, 1);
		gc_inc_run_to(heap, phase);
		CORE_EXPECT_EQ(heap->gc.progress.phase, phase);
		keep = gc_obj(heap, 1);
		drop = gc_obj(heap, 1);
		CORE_ASSERT_TRUE(keep && drop && gc_cycle2(heap, 1, &a, &b));
		CORE_EXPECT_EQ(mheap_object_set_slot(heap, keep, 0, drop), 0);
		mheap_object_put(heap, a);
		mheap_object_put(heap, b);
		mheap_object_put(heap, drop);
		mheap_gc_get_stats(heap, st);
		young = st[0].collections;
		heap->gc.count[0] = heap->gc.threshold[0] + 1;
		mheap_prim_work_queue(&heap->gc.work);
		gc_work_run(heap);
		mheap_gc_get_stats(heap, st);
		CORE_EXPECT_EQ(st[0].collections, young + 1);
		CORE_EXPECT_EQ(st[0].collected, (u64)2 * (phase - MHEAP_GC_SUBTRACT + 1));
		CORE_EXPECT_EQ(test_gen(heap, keep), 1U);
		/* keep lets go of drop between two increments */
		CORE_EXPECT_EQ(mheap_object_set_slot(heap, keep, 0, 0), 0);
		gc_inc_run_to(heap, MHEAP_GC_IDLE);
		CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)1);
		mheap_object_put(heap, keep);
		CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	}
	mheap_gc_increment = saved;
	gc_manual_end();
	test_heap_done(heap);
}

/* Reclaim events heard, by reason, for gc_incremental_zombies */
static unsigned int gc_reclaimed[MHEAP_EVENT_COLLECTOR + 1];

static void gc_count_reclaim(struct mheap *heap __always_unused,
			     u32 subscriber __always_unused,
			     u64 cookie __always_unused, u32 reason,
			     u32 gen __always_unused)
{
	gc_reclaimed[min_t(u32, reason, MHEAP_EVENT_COLLECTOR)]++;
}

/* An object with a payload, @nrefs slots and a subscriber, and its handle */
static inline bool gc_subscribed(struct test_client *t, size_t nrefs,
				 u32 *handle)
{
	u32 id;

	if (mheap_object_alloc_subscribed(t->heap, 64, nrefs, 0, 1, &id))
		return false;
	if (!mheap_handle_install(t->client, id, handle))
		return true;
	mheap_object_put(t->heap, id);
	return false;
}

/*
 * An object of the collection whose count drops to zero between two
 * increments dies then, as it would with no collection running: what only
 * it held goes with it, so do its payload and its weak references, and its
 * event says reference counting. Only its header stays on the
 * collection's list until PARTITION (a zombie). It is not counted as
 * found, nor kept on the garbage list in save-all mode, whatever the phase;
 * the dropped cycles around it are.
 */
CORE_TEST(gc_incremental_zombies)
{
	struct mheap_gen_stats st[MHEAP_GENERATIONS];
	unsigned int saved = mheap_gc_increment, phase, save_all;
	u64 live, collected;
	struct test_client t;
	u32 hx, hy, wx, wy, id;
	size_t bytes;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	t.heap->reclaim = gc_count_reclaim;
	mheap_gc_increment = 2;
	for (save_all = 0; save_all < 2; save_all++) {
		for (phase = MHEAP_GC_SUBTRACT; phase <= MHEAP_GC_PARTITION; phase++) {
			mheap_gc_set_save_all(t.heap, save_all);
			CORE_ASSERT_TRUE(gc_old_cycles(t.heap, 10));
			/* x holds y; the client holds x, and both weakly */
			CORE_ASSERT_TRUE(gc_subscribed(&t, 1, &hx));
			CORE_ASSERT_TRUE(gc_subscribed(&t, 1, &hy));
			CORE_ASSERT_EQ(mheap_handle_set_slot(t.client, hx, 0, hy), 0);
			CORE_ASSERT_EQ(mheap_handle_dup_weak(t.client, hx, &wx), 0);
			CORE_ASSERT_EQ(mheap_handle_dup_weak(t.client, hy, &wy), 0);
			CORE_ASSERT_EQ(mheap_handle_close(t.client, hy), 0);
			/* last in generation 1: SUBTRACT's first increment misses them */
			CORE_ASSERT_TRUE(mheap_gc_collect(t.heap, 0) >= 0);
			mheap_gc_get_stats(t.heap, st);
			collected = st[1].collected;
			gc_inc_start(t.heap, 1);
			gc_inc_run_to(t.heap, phase);
			CORE_EXPECT_EQ(t.heap->gc.progress.phase, phase);
			live = mheap_objects_live(t.heap);
			bytes = t.heap->payload_bytes;
			memset(gc_reclaimed, 0, sizeof(gc_reclaimed));

			CORE_ASSERT_EQ(mheap_handle_close(t.client, hx), 0);
			CORE_EXPECT_EQ(mheap_objects_live(t.heap), live - 2);
			CORE_EXPECT_EQ(t.heap->payload_bytes, bytes - 128);
			CORE_EXPECT_EQ(gc_reclaimed[MHEAP_EVENT_REFCOUNT], 2U);
			CORE_EXPECT_EQ(mheap_handle_lookup(t.client, wx, &id), -ESTALE);
			CORE_EXPECT_EQ(mheap_handle_lookup(t.client, wy, &id), -ESTALE);

			gc_inc_run_to(t.heap, MHEAP_GC_IDLE);
			mheap_gc_get_stats(t.heap, st);
			CORE_EXPECT_EQ(st[1].collected - collected, (u64)20);
			CORE_EXPECT_EQ(gc_reclaimed[MHEAP_EVENT_REFCOUNT], 2U);
			CORE_EXPECT_EQ(gc_reclaimed[MHEAP_EVENT_COLLECTOR], 0U);
			CORE_EXPECT_EQ(mheap_gc_garbage(t.heap, NULL, 0),
				       (size_t)(save_all ? 20 : 0));
			CORE_EXPECT_EQ(mheap_objects_live(t.heap),
				       (u64)(save_all ? 20 : 0));
			if (!save_all)
				CORE_EXPECT_EQ(t.heap->payload_bytes, (size_t)0);
			CORE_ASSERT_EQ(mheap_handle_close(t.client, wx), 0);
			CORE_ASSERT_EQ(mheap_handle_close(t.client, wy), 0);
			mheap_gc_set_save_all(t.heap, false);
			mheap_gc_release_garbage(t.heap);
			CORE_EXPECT_EQ(mheap_gc_collect(t.heap, 2),
				       (long)(save_all ? 20 : 0));
		}
	}
	mheap_gc_set_save_all(t.heap, false);
	t.heap->reclaim = NULL;
	mheap_gc_increment = saved;
	gc_manual_end();
	test_client_close(&t);
}

/*
 * Once MARK has ended, a weak reference to what it left unreached reads
 * as dead, before the increments that free it (CPython clears weak
 * references to garbage first); in save-all mode the objects then go to
 * the garbage list, whole.
 */
CORE_TEST(gc_incremental_doomed_reads_dead)
{
	struct test_client t;
	unsigned int saved = mheap_gc_increment, save_all;
	u32 ha, hb, wa, id;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	mheap_gc_increment = 1;
	for (save_all = 0; save_all < 2; save_all++) {
		mheap_gc_set_save_all(t.heap, save_all);
		CORE_ASSERT_TRUE(gc_handle_cycle(&t, &ha, &hb, &wa));
		CORE_ASSERT_EQ(mheap_handle_lookup(t.client, ha, &id), 0);
		CORE_ASSERT_TRUE(gc_old_cycles(t.heap, 10));
		CORE_ASSERT_EQ(mheap_handle_close(t.client, ha), 0);
		CORE_ASSERT_EQ(mheap_handle_close(t.client, hb), 0);
		gc_inc_start(t.heap, 1);
		gc_inc_run_to(t.heap, MHEAP_GC_MARK);
		CORE_EXPECT_EQ(mheap_handle_lookup(t.client, wa, &id), 0);
		gc_inc_run_to(t.heap, MHEAP_GC_PARTITION);
		CORE_EXPECT_EQ(t.heap->gc.progress.phase, MHEAP_GC_PARTITION);
		CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)22);
		CORE_EXPECT_EQ(mheap_handle_lookup(t.client, wa, &id), -ESTALE);
		CORE_EXPECT_EQ(mheap_handle_dup(t.client, wa, &id), -ESTALE);
		gc_inc_run_to(t.heap, MHEAP_GC_IDLE);
		CORE_EXPECT_EQ(mheap_handle_lookup(t.client, wa, &id), -ESTALE);
		CORE_EXPECT_EQ(mheap_objects_live(t.heap),
			       (u64)(save_all ? 22 : 0));
		CORE_EXPECT_EQ(mheap_gc_garbage(t.heap, NULL, 0),
			       (size_t)(save_all ? 22 : 0));
		CORE_ASSERT_EQ(mheap_handle_close(t.client, wa), 0);
		mheap_gc_set_save_all(t.heap, false);
		mheap_gc_release_garbage(t.heap);
		CORE_EXPECT_EQ(mheap_gc_collect(t.heap, 2), (long)(save_all ? 22 : 0));
	}
	mheap_gc_increment = saved;
	gc_manual_end();
	test_client_close(&t);
}

/*
 * The calls that need the generations whole end the collection in
 * progress first: an explicit collection then counts only what it finds
 * itself, and the statistics count both.
 */
CORE_TEST(gc_incremental_explicit_finishes_first)
{
	struct mheap *heap = test_heap(SZ_1M);
	struct mheap_gen_stats st[MHEAP_GENERATIONS];
	unsigned int saved = mheap_gc_increment;
	u32 a, b;

	CORE_ASSERT_NOT_NULL(heap);
	mheap_gc_increment = 5;
	CORE_ASSERT_TRUE(gc_old_cycles(heap, 20));
	gc_inc_start(heap, 1);
	CORE_EXPECT_NE(heap->gc.progress.phase, MHEAP_GC_IDLE);
	/* a cycle dropped during it: in generation 0, not in the collection */
	CORE_ASSERT_TRUE(gc_cycle2(heap, 1, &a, &b));
	mheap_object_put(heap, a);
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 2L);
	CORE_EXPECT_EQ(heap->gc.progress.phase, MHEAP_GC_IDLE);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	mheap_gc_get_stats(heap, st);
	CORE_EXPECT_EQ(st[1].collections, (u64)1);
	CORE_EXPECT_EQ(st[1].collected, (u64)40);
	CORE_EXPECT_EQ(st[2].collections, (u64)1);
	CORE_EXPECT_EQ(st[2].collected, (u64)2);

	/* freeze, too: nothing of the collection is left behind */
	CORE_ASSERT_TRUE(gc_cycle2(heap, 1, &a, &b));
	CORE_ASSERT_TRUE(gc_old_cycles(heap, 5));
	gc_inc_start(heap, 1);
	mheap_gc_freeze(heap);
	CORE_EXPECT_EQ(heap->gc.progress.phase, MHEAP_GC_IDLE);
	CORE_EXPECT_EQ(mheap_gc_freeze_count(heap), (u64)2);
	mheap_gc_unfreeze(heap);
	mheap_object_put(heap, a);
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 2L);
	mheap_gc_increment = saved;
	gc_manual_end();
	test_heap_done(heap);
}

/*
 * Random graphs against an oracle: random allocations, slot writes, handle
 * drops and dups, and collections of random generations. After every
 * collection the validators must pass, and a plain mark from the handles
 * (the oracle) must agree with the heap: every reachable object alive and
 * intact (its cookie names the model object), its slots as the model
 * says; after a full collection, nothing else alive and every refcount
 * exact.
 */
#define ORACLE_OBJS	400
#define ORACLE_STEPS	1200
#define ORACLE_SLOTS	3
#ifdef __KERNEL__
#define ORACLE_SEEDS	6
#else
#define ORACLE_SEEDS	60
#endif

struct oracle_obj {
	u32 id;
	int slots[ORACLE_SLOTS];
	int nrefs;
	int handles;
	bool maybe_live;	/* not yet known to be freed */
	bool reachable;
};

struct oracle {
	struct oracle_obj objs[ORACLE_OBJS];
	u32 handles[ORACLE_OBJS];
	int handle_obj[ORACLE_OBJS];
	int stack[ORACLE_OBJS];
	int nobjs, nhandles;
	bool chains;	/* oracle_chain() among the steps */
	u64 rooted;	/* collections that marked the handles' reach alive */
	u64 seed;	/* oracle_run()'s seed and step, for a failure's log */
	int step;
};

/* The oracle: mark from the handles. Returns how many are reachable. */
static inline int oracle_mark(struct oracle *s)
{
	int i, j, top = 0, n = 0;

	for (i = 0; i < s->nobjs; i++)
		s->objs[i].reachable = false;
	for (i = 0; i < s->nhandles; i++) {
		struct oracle_obj *o = &s->objs[s->handle_obj[i]];

		if (o->reachable)
			continue;
		o->reachable = true;
		s->stack[top++] = s->handle_obj[i];
		while (top) {
			struct oracle_obj *p = &s->objs[s->stack[--top]];

			n++;
			for (j = 0; j < p->nrefs; j++) {
				int t = p->slots[j];

				if (t >= 0 && !s->objs[t].reachable) {
					s->objs[t].reachable = true;
					s->stack[top++] = t;
				}
			}
		}
	}
	return n;
}

/* Check the heap against the oracle after a collection of @gen. */
static inline int oracle_check(struct oracle *s, struct mheap *heap,
			       unsigned int gen)
{
	int i, j, reachable = oracle_mark(s);
	struct mheap_object_info info;
	u32 expect, got;

	/* the heap's own invariants, the collector's flags among them */
	if (mheap_validate(heap))
		return -EUCLEAN;

	for (i = 0; i < s->nobjs; i++) {
		struct oracle_obj *o = &s->objs[i];

		if (!o->reachable) {
			/* unknown after a partial collection; gone after a full one */
			if (gen == MHEAP_GENERATIONS - 1)
				o->maybe_live = false;
			continue;
		}
		if (!o->maybe_live)
			return -ESTALE;
		mheap_object_info(heap, o->id, &info);
		if (info.cookie != (u64)i + 1 || info.nrefs != (u32)o->nrefs)
			return -EBADSLT;
		expect = o->handles;
		for (j = 0; j < s->nobjs; j++) {
			int k;

			for (k = 0; k < s->objs[j].nrefs; k++)
				if (s->objs[j].reachable && s->objs[j].slots[k] == i)
					expect++;
		}
		if (info.refcnt < expect ||
		    (gen == MHEAP_GENERATIONS - 1 && info.refcnt != expect))
			return -ERANGE;
		for (j = 0; j < o->nrefs; j++) {
			if (mheap_object_get_slot(heap, o->id, j, &got))
				return -EINVAL;
			if (got != (o->slots[j] >= 0 ? s->objs[o->slots[j]].id : 0))
				return -EBADSLT;
		}
	}
	if (gen == MHEAP_GENERATIONS - 1 && mheap_objects_live(heap) != (u64)reachable)
		return -EEXIST;
	return 0;
}

/* A new object of @nrefs slots with a handle, as the model's last both */
static inline int oracle_alloc(struct oracle *s, struct mheap_client *c,
			       int nrefs, u64 *rnd)
{
	struct oracle_obj *o = &s->objs[s->nobjs];
	u32 value;
	int err, i;

	o->nrefs = nrefs;
	err = mheap_handle_alloc(c, core_rand(rnd) % 64, o->nrefs,
				 s->nobjs + 1, &value);
	if (!err)
		err = mheap_handle_lookup(c, value, &o->id);
	if (err)
		return err;
	for (i = 0; i < ORACLE_SLOTS; i++)
		o->slots[i] = -1;
	o->handles = 1;
	o->maybe_live = true;
	s->handle_obj[s->nhandles] = s->nobjs++;
	s->handles[s->nhandles++] = value;
	return 0;
}

/*
 * 2 to 9 new objects, each holding the next in slot 0 (the last holding
 * the first, or nothing), of which only the first keeps its handle: many
 * young objects for few handles, so that collections mark the handles'
 * reach alive (gc.c: mark_roots_alive()).
 */
static inline int oracle_chain(struct oracle *s, struct mheap_client *c,
			       u64 *rnd)
{
	int k = 2 + core_rand(rnd) % 8, first = s->nobjs, h0 = s->nhandles;
	int j, t, err;

	if (s->nobjs + k > ORACLE_OBJS || s->nhandles + k > ORACLE_OBJS)
		return 0;
	for (j = 0; j < k; j++) {
		err = oracle_alloc(s, c, 1 + core_rand(rnd) % ORACLE_SLOTS,
				   rnd);
		if (err)
			return err;
	}
	for (j = 0; j < k; j++) {
		t = j + 1 < k ? j + 1 : core_rand(rnd) % 2 ? 0 : -1;
		if (t < 0)
			continue;
		err = mheap_handle_set_slot(c, s->handles[h0 + j], 0,
					    s->handles[h0 + t]);
		if (err)
			return err;
		s->objs[first + j].slots[0] = first + t;
	}
	while (s->nhandles > h0 + 1) {
		err = mheap_handle_close(c, s->handles[--s->nhandles]);
		if (err)
			return err;
		s->objs[s->handle_obj[s->nhandles]].handles--;
	}
	return 0;
}

static inline int oracle_step(struct oracle *s, struct mheap_client *c,
			      u64 *rnd)
{
	unsigned int op = core_rand(rnd) % 16;
	int h = s->nhandles ? (int)(core_rand(rnd) % s->nhandles) : -1;
	struct oracle_obj *o;
	u32 value;
	int err, i;

	if (op < 1) {
		unsigned int gen = core_rand(rnd) % MHEAP_GENERATIONS;
		u64 young = 0;
		long n;

		/* mark_roots_alive()'s bound: the roots, at most the young */
		for (i = 0; i <= (int)gen; i++)
			young += c->heap->gens[i].count;
		if (c->used && c->used <= young)
			s->rooted++;
		n = mheap_gc_collect(c->heap, gen);

		return n < 0 ? (int)n : oracle_check(s, c->heap, gen);
	}
	if (h < 0 || (op < 5 && s->nobjs < ORACLE_OBJS)) {
		if (s->nobjs == ORACLE_OBJS || s->nhandles == ORACLE_OBJS)
			return 0;
		return oracle_alloc(s, c, core_rand(rnd) % (ORACLE_SLOTS + 1),
				    rnd);
	}
	if (s->chains && op >= 13)
		return oracle_chain(s, c, rnd);
	o = &s->objs[s->handle_obj[h]];
	if (op < 7 && s->nhandles < ORACLE_OBJS) {
		err = mheap_handle_dup(c, s->handles[h], &value);
		if (err)
			return err;
		o->handles++;
		s->handle_obj[s->nhandles] = s->handle_obj[h];
		s->handles[s->nhandles++] = value;
	} else if (op < 12 && o->nrefs) {
		int th = core_rand(rnd) % (s->nhandles + 1);
		int slot = core_rand(rnd) % o->nrefs;
		int t = th < s->nhandles ? s->handle_obj[th] : -1;

		err = mheap_handle_set_slot(c, s->handles[h], slot,
					    t >= 0 ? s->handles[th] : 0);
		if (err)
			return err;
		o->slots[slot] = t;
	} else {
		err = mheap_handle_close(c, s->handles[h]);
		if (err)
			return err;
		o->handles--;
		s->nhandles--;
		s->handles[h] = s->handles[s->nhandles];
		s->handle_obj[h] = s->handle_obj[s->nhandles];
	}
	return 0;
}

/*
 * ORACLE_SEEDS random graphs of ORACLE_STEPS steps, with oracle_chain()
 * among them when @chains, a full collection at the end of each emptying
 * the heap; the collections made and those that marked roots alive are
 * added to *@collections and *@rooted. Returns the first error, with its
 * seed and step left in @s.
 */
static inline int oracle_run(struct oracle *s, bool chains, u64 *collections,
			     u64 *rooted)
{
	u64 seed;

	for (seed = 1; seed <= ORACLE_SEEDS; seed++) {
		u64 rnd = seed * 0x2545f4914f6cdd1dULL;
		struct test_client t;
		int step, err = 0;

		memset(s, 0, sizeof(*s));
		s->chains = chains;
		if (!test_client_open(&t, SZ_1M * 4))
			return -ENOMEM;
		mheap_gc_enable(t.heap, false);
		for (step = 0; step < ORACLE_STEPS && !err; step++)
			err = oracle_step(s, t.client, &rnd);
		if (!err) {
			/* drop every handle: a full collection empties the heap */
			while (s->nhandles && !err)
				err = mheap_handle_close(t.client,
							 s->handles[--s->nhandles]);
			if (!err)
				err = mheap_gc_collect(t.heap, 2) < 0 ? -EIO : 0;
			if (!err && mheap_objects_live(t.heap))
				err = -EEXIST;
		}
		*collections += t.heap->gc.stats[0].collections +
				t.heap->gc.stats[1].collections +
				t.heap->gc.stats[2].collections;
		*rooted += s->rooted;
		test_client_close(&t);
		if (err) {
			s->seed = seed;
			s->step = step;
			return err;
		}
	}
	return 0;
}

CORE_TEST(gc_random_graphs_against_oracle)
{
	struct oracle *s = core_calloc(1, sizeof(*s));
	u64 collections = 0, rooted = 0;
	int err;

	CORE_ASSERT_NOT_NULL(s);
	err = oracle_run(s, false, &collections, &rooted);
	if (err)
		CORE_LOG("seed %llu: step %d: error %d",
			 (unsigned long long)s->seed, s->step, err);
	CORE_EXPECT_EQ(err, 0);
	CORE_LOG("%llu collections checked, %llu with the roots marked alive",
		 (unsigned long long)collections, (unsigned long long)rooted);
	/* both ways of collecting are checked */
	CORE_EXPECT_GT(rooted, (u64)0);
	CORE_EXPECT_GT(collections, rooted);
	core_free(s);
}

/*
 * The same with chains of objects behind one handle among the steps
 * (oracle_chain()): young objects outnumber the handles more often, and
 * more collections mark the roots' reach alive first (on the host, 770
 * of 4,598, where the plain steps give 63 of 4,640).
 */
CORE_TEST(gc_random_graphs_rooted)
{
	struct oracle *s = core_calloc(1, sizeof(*s));
	u64 collections = 0, rooted = 0;
	int err;

	CORE_ASSERT_NOT_NULL(s);
	err = oracle_run(s, true, &collections, &rooted);
	if (err)
		CORE_LOG("seed %llu: step %d: error %d",
			 (unsigned long long)s->seed, s->step, err);
	CORE_EXPECT_EQ(err, 0);
	CORE_LOG("%llu collections checked, %llu with the roots marked alive",
		 (unsigned long long)collections, (unsigned long long)rooted);
	CORE_EXPECT_GT(8 * rooted, collections);
	core_free(s);
}

/*
 * The same random graphs, with automatic collections in increments of 7
 * units of work running between the steps: after each increment every
 * object the oracle reaches is alive and intact; at the end, a full
 * collection (which ends the one in progress first) empties the heap.
 */
CORE_TEST(gc_random_graphs_incremental)
{
	static const u32 th[MHEAP_GENERATIONS] = { 20, 2, 2 };
	struct oracle *s = core_calloc(1, sizeof(*s));
	unsigned int saved = mheap_gc_increment;
	u64 seed, increments = 0;

	CORE_ASSERT_NOT_NULL(s);
	mheap_gc_increment = 7;
	for (seed = 1; seed <= ORACLE_SEEDS; seed++) {
		u64 rnd = seed * 0x9e3779b97f4a7c15ULL;
		struct test_client t;
		int step, err = 0;

		memset(s, 0, sizeof(*s));
		CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M * 4));
		gc_manual(t.heap);
		mheap_gc_set_threshold(t.heap, th);
		for (step = 0; step < ORACLE_STEPS && !err; step++) {
			err = oracle_step(s, t.client, &rnd);
			if (err || core_rand(&rnd) % 2)
				continue;
			mheap_prim_work_queue(&t.heap->gc.work);
			gc_work_run(t.heap);
			err = oracle_check(s, t.heap, 0);
		}
		if (!err) {
			while (s->nhandles && !err)
				err = mheap_handle_close(t.client,
							 s->handles[--s->nhandles]);
			if (!err)
				err = mheap_gc_collect(t.heap, 2) < 0 ? -EIO : 0;
			if (!err && mheap_objects_live(t.heap))
				err = -EEXIST;
		}
		if (err)
			CORE_LOG("seed %llu: step %d: error %d",
				 (unsigned long long)seed, step, err);
		CORE_EXPECT_EQ(err, 0);
		increments += t.heap->gc.increments;
		gc_manual_end();
		test_client_close(&t);
	}
	CORE_LOG("%llu increments checked", (unsigned long long)increments);
	CORE_EXPECT_GT(increments, (u64)ORACLE_SEEDS * 10);
	mheap_gc_increment = saved;
	core_free(s);
}

#ifdef __KERNEL__
/*
 * The KUnit suite: the cases above, in order (the host build registers
 * them itself; tests/lint.sh checks that the two agree).
 */
static struct kunit_case mheap_gc_cases[] = {
	KUNIT_CASE(gc_two_cycle),
	KUNIT_CASE(gc_self_cycle),
	KUNIT_CASE(gc_unreachable_freed_by_the_pool),
	KUNIT_CASE(gc_garbage_freed_in_one_pass),
	KUNIT_CASE(gc_slot_runs_counted_exactly),
	KUNIT_CASE(gc_cycle_reachable_survives),
	KUNIT_CASE(gc_reached_after_the_walk_passed),
	KUNIT_CASE(gc_marked_ahead_and_behind_the_walk),
	KUNIT_CASE(gc_roots_marked_alive),
	KUNIT_CASE(gc_cycle_holding_live_object),
	KUNIT_CASE(gc_cycle_spanning_generations),
	KUNIT_CASE(gc_cascade_during_collection),
	KUNIT_CASE(gc_enable_disable_and_work),
	KUNIT_CASE(gc_undone_allocation_queues_nothing),
	KUNIT_CASE(gc_teardown_cancels_work),
	KUNIT_CASE(gc_full_collection_heuristic),
	KUNIT_CASE(gc_freeze_unfreeze),
	KUNIT_CASE(gc_save_all),
	KUNIT_CASE(gc_released_garbage_is_old),
	KUNIT_CASE(gc_save_all_clears_weak),
	KUNIT_CASE(gc_referrers_skip_frozen),
	KUNIT_CASE(gc_explicit_collections_keep_schedule),
	KUNIT_CASE(gc_introspection),
	KUNIT_CASE_SLOW(gc_million_object_cycle),
	KUNIT_CASE(gc_incremental_collects_cycles),
	KUNIT_CASE(gc_incremental_barrier),
	KUNIT_CASE(gc_incremental_barrier_resurrection),
	KUNIT_CASE(gc_incremental_barrier_undone),
	KUNIT_CASE(gc_incremental_barrier_log_fails),
	KUNIT_CASE(gc_incremental_young_between),
	KUNIT_CASE(gc_incremental_zombies),
	KUNIT_CASE(gc_incremental_doomed_reads_dead),
	KUNIT_CASE(gc_incremental_explicit_finishes_first),
	KUNIT_CASE_SLOW(gc_random_graphs_against_oracle),
	KUNIT_CASE_SLOW(gc_random_graphs_rooted),
	KUNIT_CASE_SLOW(gc_random_graphs_incremental),
	{}
};

static struct kunit_suite mheap_gc_suite = {
	.name = "mheap_gc",
	.test_cases = mheap_gc_cases,
};
#endif

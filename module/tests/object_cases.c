// SPDX-License-Identifier: GPL-2.0
/*
 * Test cases of objects and reference counting, built into mheap_test.ko
 * and into the host tests (see core_test.h).
 */
#include "core_util.h"
#include "../core/gc.h"

CORE_TEST(object_header_is_24_bytes)
{
	CORE_EXPECT_EQ(sizeof(struct mheap_object), (size_t)24);
	CORE_EXPECT_EQ(mheap_object_meta_size(0, false), (size_t)24);
	CORE_EXPECT_EQ(mheap_object_meta_size(2, false), (size_t)32);
	CORE_EXPECT_EQ(mheap_object_meta_size(1, true), (size_t)48);
}

CORE_TEST(object_alloc_and_free)
{
	struct mheap *heap = test_heap(SZ_1M);
	struct mheap_object_info info;
	struct mheap_stats stats;
	unsigned char *payload;
	unsigned int i;
	u32 id;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 100, 3, 0x1234, &id), 0);
	CORE_EXPECT_NE(id, 0U);
	mheap_object_info(heap, id, &info);
	CORE_EXPECT_EQ(info.size, 100U);
	CORE_EXPECT_EQ(info.nrefs, 3U);
	CORE_EXPECT_EQ(info.refcnt, 1U);
	CORE_EXPECT_EQ(info.gen, 0U);
	CORE_EXPECT_TRUE(info.tracked);
	CORE_EXPECT_EQ(info.cookie, (u64)0x1234);
	payload = mheap_object_payload(heap, mheap_object_ptr(heap, id));
	CORE_ASSERT_NOT_NULL(payload);
	for (i = 0; i < 100; i++)
		if (payload[i])
			break;
	CORE_EXPECT_EQ(i, 100U);
	for (i = 0; i < 3; i++) {
		u32 target = 1;

		CORE_EXPECT_EQ(mheap_object_get_slot(heap, id, i, &target), 0);
		CORE_EXPECT_EQ(target, 0U);
	}
	CORE_EXPECT_EQ(heap->gens[0].count, (u64)1);
	stats = test_stats(heap);
	CORE_EXPECT_EQ(stats.objects_live, (u64)1);
	CORE_EXPECT_EQ(stats.payload_bytes, (u64)100);
	/* 24 + 3 * 4, rounded to 8, then the tail (and the guard bytes) */
	CORE_EXPECT_EQ(stats.meta_used, (u64)56 + MHEAP_GUARD_BYTES);
	/* 100 bytes (and the guard bytes) in 16-byte classes */
	CORE_EXPECT_EQ(stats.class_live[(100 + MHEAP_GUARD_BYTES - 1) / 16],
		       (u64)1);
	mheap_object_put(heap, id);
	stats = test_stats(heap);
	CORE_EXPECT_EQ(stats.objects_live, (u64)0);
	CORE_EXPECT_EQ(stats.objects_allocated, (u64)1);
	CORE_EXPECT_EQ(stats.objects_freed, (u64)1);
	CORE_EXPECT_EQ(stats.used, (u64)0);
	CORE_EXPECT_EQ(stats.payload_bytes, (u64)0);
	CORE_EXPECT_EQ(heap->gens[0].count, (u64)0);
	test_heap_done(heap);
}

CORE_TEST(object_without_slots_untracked)
{
	struct mheap *heap = test_heap(SZ_1M);
	struct mheap_object_info info;
	u32 id, empty;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 16, 0, 0, &id), 0);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 0, 0, 0, &empty), 0);
	mheap_object_info(heap, id, &info);
	CORE_EXPECT_FALSE(info.tracked);
	CORE_EXPECT_EQ(info.cookie, (u64)0);
	CORE_EXPECT_EQ(heap->gens[0].count, (u64)0);
	CORE_EXPECT_NULL(mheap_object_payload(heap, mheap_object_ptr(heap, empty)));
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, id, 0, id), -EINVAL);
	mheap_object_put(heap, id);
	mheap_object_put(heap, empty);
	test_heap_done(heap);
}

CORE_TEST(object_limits)
{
	struct mheap *heap = test_heap(SZ_1M * 32);
	struct mheap_stats before;
	u32 id;

	CORE_ASSERT_NOT_NULL(heap);
	before = test_stats(heap);
	CORE_EXPECT_EQ(mheap_object_alloc(heap, MHEAP_MAX_SIZE + 1, 0, 0,
					  &id), -EINVAL);
	CORE_EXPECT_EQ(mheap_object_alloc(heap, 0, MHEAP_MAX_REFS + 1, 0,
					  &id), -EINVAL);
	CORE_EXPECT_EQ(mheap_object_alloc(heap, SIZE_MAX, SIZE_MAX, 0, &id),
		       -EINVAL);
	CORE_EXPECT_TRUE(test_stats_equal(heap, &before));
	CORE_ASSERT_EQ(mheap_object_alloc(heap, MHEAP_MAX_SIZE,
					  MHEAP_MAX_REFS, 1, &id), 0);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, id, MHEAP_MAX_REFS - 1,
					     id), 0);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, id, MHEAP_MAX_REFS, id),
		       -EINVAL);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, id, MHEAP_MAX_REFS - 1,
					     0), 0);
	mheap_object_put(heap, id);
	/* the heap is full: -ENOSPC, and nothing changed */
	CORE_ASSERT_EQ(mheap_set_capacity(heap, MHEAP_CAPACITY_MIN), 0);
	before = test_stats(heap);
	CORE_EXPECT_EQ(mheap_object_alloc(heap, MHEAP_MAX_SIZE, 0, 0, &id),
		       -ENOSPC);
	CORE_EXPECT_TRUE(test_stats_equal(heap, &before));
	test_heap_done(heap);
}

/* Slots move counts: self-references, same value, clearing. */
CORE_TEST(object_slot_counts)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 a, b, got;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 8, 2, 0, &a), 0);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 8, 1, 0, &b), 0);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 0, b), 0);
	CORE_EXPECT_EQ(test_refcnt(heap, b), 2U);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 0, b), 0);
	CORE_EXPECT_EQ(test_refcnt(heap, b), 2U);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 1, a), 0);
	CORE_EXPECT_EQ(test_refcnt(heap, a), 2U);
	CORE_EXPECT_EQ(mheap_object_get_slot(heap, a, 1, &got), 0);
	CORE_EXPECT_EQ(got, a);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 1, a), 0);
	CORE_EXPECT_EQ(test_refcnt(heap, a), 2U);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 2, b), -EINVAL);
	CORE_EXPECT_EQ(mheap_object_get_slot(heap, a, 2, &got), -EINVAL);
	CORE_EXPECT_EQ(test_refcnt(heap, b), 2U);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 1, 0), 0);
	CORE_EXPECT_EQ(test_refcnt(heap, a), 1U);
	/* dropping b's own reference: the slot keeps it alive */
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(test_refcnt(heap, b), 1U);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)2);
	/* replacing the slot's value frees b */
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 0, a), 0);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)1);
	CORE_EXPECT_EQ(test_refcnt(heap, a), 2U);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 0, 0), 0);
	mheap_object_put(heap, a);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	test_heap_done(heap);
}

CORE_TEST(object_refcount_overflow)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 a, b;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 0, 1, 0, &a), 0);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 0, 0, 0, &b), 0);
	mheap_object_ptr(heap, b)->refcnt = MHEAP_OBJECT_MAX_REFCNT;
	CORE_EXPECT_EQ(mheap_object_get(heap, b), -EOVERFLOW);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 0, b), -EOVERFLOW);
	CORE_EXPECT_EQ(test_refcnt(heap, b), MHEAP_OBJECT_MAX_REFCNT);
	mheap_object_ptr(heap, b)->refcnt = 1;
	mheap_object_put(heap, b);
	mheap_object_put(heap, a);
	test_heap_done(heap);
}

/* A chain of a million objects is released without recursion. */
CORE_TEST(object_release_long_chain)
{
	struct mheap *heap = test_heap(SZ_1M * 64);
	u32 head, next;
	long i;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 0, 1, 0, &head), 0);
	for (i = 1; i < 1000000; i++) {
		CORE_ASSERT_EQ(mheap_object_alloc(heap, 0, 1, 0, &next), 0);
		CORE_ASSERT_EQ(mheap_object_set_slot(heap, next, 0, head), 0);
		mheap_object_put(heap, head);
		head = next;
	}
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)1000000);
	mheap_object_put(heap, head);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	CORE_EXPECT_EQ(heap->gens[0].count, (u64)0);
	CORE_EXPECT_EQ(test_stats(heap).used, (u64)0);
	test_heap_done(heap);
}

/* One object holding 100,000 others releases them all. */
CORE_TEST(object_release_wide_fanout)
{
	struct mheap *heap = test_heap(SZ_1M * 16);
	u32 root, leaf;
	long i;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 0, 100000, 0, &root), 0);
	for (i = 0; i < 100000; i++) {
		CORE_ASSERT_EQ(mheap_object_alloc(heap, 16, i % 2, 0, &leaf), 0);
		CORE_ASSERT_EQ(mheap_object_set_slot(heap, root, i, leaf), 0);
		mheap_object_put(heap, leaf);
	}
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)100001);
	mheap_object_put(heap, root);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	CORE_EXPECT_EQ(test_stats(heap).used, (u64)0);
	test_heap_done(heap);
}

/* Every allocation failure of an object is -ENOMEM and changes nothing. */
CORE_TEST(object_alloc_every_failure)
{
	static const size_t sizes[] = { 0, 100, 5000, MHEAP_RUN_MAX + 1 };
	long points = 0, nth;
	unsigned int i;

	CORE_REQUIRE_FAULT_INJECTION();
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (nth = 1;; nth++) {
			struct mheap *heap = test_heap(SZ_1M);
			struct mheap_stats before;
			bool fired;
			u32 id;
			int err;

			CORE_ASSERT_NOT_NULL(heap);
			before = test_stats(heap);
			core_fail_nth(nth);
			err = mheap_object_alloc(heap, sizes[i], 600, 9, &id);
			fired = core_fail_fired();
			if (err) {
				points++;
				CORE_EXPECT_EQ(err, -ENOMEM);
				CORE_EXPECT_TRUE(test_stats_equal(heap, &before));
				CORE_EXPECT_EQ(heap->gens[0].count, (u64)0);
			} else {
				mheap_object_put(heap, id);
			}
			test_heap_done(heap);
			if (!fired)
				break;
		}
	}
	CORE_EXPECT_TRUE(points >= 4);
	CORE_LOG("%ld allocation failure point(s) exercised", points);
}

#ifdef MHEAP_GUARD
/* Overwrite the byte just past @len bytes at @p: an off-by-one write. */
static inline void overrun(void *p, size_t len)
{
	((u8 *)p)[len] ^= 0x5a;
}

/*
 * Guard mode: a write one byte past a header or a payload (a small block,
 * a run, a jumbo arena) is found by mheap_object_validate() while the
 * object lives and again when it is freed; writes inside stay unnoticed.
 */
CORE_TEST(object_guard_catches_overrun)
{
	static const size_t sizes[] = { 20, 5000, MHEAP_RUN_MAX + 1 };
	struct mheap *heap = test_heap(SZ_1M * 4);
	u32 ids[ARRAY_SIZE(sizes)], plain;
	struct mheap_object *obj;
	unsigned int i;

	CORE_ASSERT_NOT_NULL(heap);
	heap->guard_quiet = true;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		CORE_ASSERT_EQ(mheap_object_alloc(heap, sizes[i], 1, 0, &ids[i]),
			       0);
		obj = mheap_object_ptr(heap, ids[i]);
		/* the last byte of the payload and slots are the object's */
		((u8 *)mheap_object_payload(heap, obj))[sizes[i] - 1] = 0xff;
		obj->slots[0] = 0;
	}
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 0, 2, 7, &plain), 0);
	CORE_EXPECT_EQ(mheap_object_validate(heap), 0UL);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		obj = mheap_object_ptr(heap, ids[i]);
		overrun(mheap_object_payload(heap, obj), sizes[i]);
		CORE_EXPECT_EQ(mheap_object_validate(heap), (unsigned long)i + 1);
	}
	/*
	 * Once the payloads were mapped, their guards are the users' to
	 * overwrite: counted, but no WARNING (which would fail the run).
	 */
	heap->guard_quiet = false;
	heap->mapped = true;
	CORE_EXPECT_EQ(mheap_object_validate(heap), 3UL);
	heap->guard_quiet = true;
	heap->mapped = false;
	/* a header: past the slots and the cookie */
	overrun(mheap_object_ptr(heap, plain), mheap_object_meta_size(2, true));
	CORE_EXPECT_EQ(mheap_object_validate(heap), 4UL);
	CORE_EXPECT_EQ(heap->guard_errors, 1UL + 2 + 3 + 3 + 4);

	/* each object's overrun is found again as it is freed */
	heap->guard_errors = 0;
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		mheap_object_put(heap, ids[i]);
	CORE_EXPECT_EQ(heap->guard_errors, 3UL);
	mheap_object_put(heap, plain);
	CORE_EXPECT_EQ(heap->guard_errors, 4UL);
	CORE_EXPECT_EQ(mheap_object_validate(heap), 0UL);
	test_heap_done(heap);
}
#elif defined(__KERNEL__)
/* make check builds this module with MHEAP_GUARD=y: a skip here fails it */
static void object_guard_catches_overrun(struct kunit *test)
{
	kunit_skip(test, "built without MHEAP_GUARD=y");
}
#endif

/* What the reclaim hook heard, for object_reclaim_hook. */
static struct {
	struct mheap *heap;	/* the heap of every call, or NULL */
	unsigned int n;
	struct {
		u32 subscriber, reason, gen;
		u64 cookie;
	} ev[8];
} reclaimed;

static void record_reclaim(struct mheap *heap, u32 subscriber, u64 cookie,
			   u32 reason, u32 gen)
{
	if (!reclaimed.n)
		reclaimed.heap = heap;
	else if (reclaimed.heap != heap)
		reclaimed.heap = NULL;
	if (reclaimed.n < ARRAY_SIZE(reclaimed.ev)) {
		reclaimed.ev[reclaimed.n].subscriber = subscriber;
		reclaimed.ev[reclaimed.n].cookie = cookie;
		reclaimed.ev[reclaimed.n].reason = reason;
		reclaimed.ev[reclaimed.n].gen = gen;
	}
	reclaimed.n++;
}

/*
 * Objects with a subscriber are reported as they are freed, with the reason
 * and their generation; objects without one, and discarded ones, are not.
 * An object whose last reference garbage held goes with the collection's
 * release, and is reported as the collection's too.
 */
CORE_TEST(object_reclaim_hook)
{
	struct mheap *heap = test_heap(SZ_1M);
	u32 plain, leaf, a, b, gone, held, i, cookies = 0, subscribers = 0;
	u32 collector = 0, no_gen = 0;

	CORE_ASSERT_NOT_NULL(heap);
	memset(&reclaimed, 0, sizeof(reclaimed));
	heap->reclaim = record_reclaim;
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 8, 0, 5, &plain), 0);
	CORE_ASSERT_EQ(mheap_object_alloc_subscribed(heap, 8, 0, 0x11, 7, &leaf), 0);
	CORE_ASSERT_EQ(mheap_object_alloc_subscribed(heap, 0, 2, 0xa, 7, &a), 0);
	CORE_ASSERT_EQ(mheap_object_alloc_subscribed(heap, 8, 0, 0x100, 7, &held),
		       0);
	CORE_ASSERT_EQ(mheap_object_alloc_subscribed(heap, 0, 1, 0, 9, &b), 0);
	CORE_ASSERT_EQ(mheap_object_alloc_subscribed(heap, 0, 0, 0xdead, 7, &gone),
		       0);
	mheap_object_discard(heap, gone, mheap_spares(heap));
	mheap_object_put(heap, plain);
	CORE_EXPECT_EQ(reclaimed.n, 0U);

	/* the count drops to zero: an untracked object has no generation */
	mheap_object_put(heap, leaf);
	CORE_ASSERT_EQ(reclaimed.n, 1U);
	CORE_EXPECT_EQ(reclaimed.ev[0].subscriber, 7U);
	CORE_EXPECT_EQ(reclaimed.ev[0].cookie, (u64)0x11);
	CORE_EXPECT_EQ(reclaimed.ev[0].reason, (u32)MHEAP_EVENT_REFCOUNT);
	CORE_EXPECT_EQ(reclaimed.ev[0].gen, (u32)MHEAP_EVENT_NO_GEN);

	/*
	 * a cycle, freed by a full collection from the oldest generation,
	 * and the leaf only it holds, freed as the collection releases it
	 */
	CORE_ASSERT_EQ(mheap_object_set_slot(heap, a, 0, b), 0);
	CORE_ASSERT_EQ(mheap_object_set_slot(heap, b, 0, a), 0);
	CORE_ASSERT_EQ(mheap_object_set_slot(heap, a, 1, held), 0);
	mheap_object_put(heap, held);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 0L);
	mheap_object_put(heap, a);
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(reclaimed.n, 1U);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 2L);
	CORE_ASSERT_EQ(reclaimed.n, 4U);
	for (i = 1; i < 4; i++) {
		collector += reclaimed.ev[i].reason == MHEAP_EVENT_COLLECTOR;
		no_gen += reclaimed.ev[i].gen == MHEAP_EVENT_NO_GEN;
		CORE_EXPECT_TRUE(reclaimed.ev[i].gen == 2 ||
				 reclaimed.ev[i].gen == MHEAP_EVENT_NO_GEN);
		cookies += reclaimed.ev[i].cookie;
		subscribers += reclaimed.ev[i].subscriber;
	}
	CORE_EXPECT_EQ(collector, 3U);
	CORE_EXPECT_EQ(no_gen, 1U);
	CORE_EXPECT_EQ(cookies, 0x10aU);
	CORE_EXPECT_EQ(subscribers, 23U);
	CORE_EXPECT_TRUE(reclaimed.heap == heap);
	heap->reclaim = NULL;
	test_heap_done(heap);
}

/* The class of a block of @size bytes in @space (space_fast.h's rule) */
static unsigned int test_class(const struct mheap_space *space, size_t size)
{
	return (max_t(size_t, size, MHEAP_BLOCK_MIN) - 1) >> space->qshift;
}

/*
 * A freed object's blocks go to their classes' caches for the rest of
 * the lock's hold (struct mheap_block_cache): free to the statistics at
 * once, taken back first by the next object of the same sizes, zeroed
 * again; mheap_unlock() gives them back to their pools, so that between
 * two holds the heap is as it would be without the cache.
 */
CORE_TEST(object_blocks_cached_for_one_hold)
{
	struct mheap *heap = test_heap(SZ_1M);
	size_t meta = mheap_object_meta_size(2, false) + MHEAP_GUARD_BYTES;
	unsigned int mclass = test_class(&heap->meta, meta);
	unsigned int pclass = test_class(&heap->payload,
					 64 + MHEAP_GUARD_BYTES);
	struct mheap_stats stats;
	unsigned char *payload;
	u32 a, b, target = 1;
	unsigned int i;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 64, 2, 0, &a), 0);
	payload = mheap_object_payload(heap, mheap_object_ptr(heap, a));
	memset(payload, 0xa5, 64);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 1, a), 0);
	mheap_object_put(heap, a);	/* a cycle of one: still live */
	CORE_EXPECT_EQ(heap->meta.ncached, 0U);
	CORE_EXPECT_EQ(mheap_object_set_slot(heap, a, 1, 0), 0);
	CORE_EXPECT_EQ(heap->meta.ncached, 1U);
	CORE_EXPECT_EQ(heap->payload.ncached, 1U);
	CORE_EXPECT_EQ(heap->meta.cache[mclass].loc[0], a);
	CORE_EXPECT_EQ(heap->meta.class_live[mclass], (u64)0);
	CORE_EXPECT_EQ(heap->payload.class_live[pclass], (u64)0);
	CORE_EXPECT_EQ(heap->meta.bytes_used + heap->payload.bytes_used,
		       (size_t)0);

	CORE_ASSERT_EQ(mheap_object_alloc(heap, 64, 2, 0, &b), 0);
	CORE_EXPECT_EQ(b, a);
	CORE_EXPECT_TRUE(mheap_object_payload(heap, mheap_object_ptr(heap, b)) ==
			 (void *)payload);
	CORE_EXPECT_EQ(heap->meta.ncached + heap->payload.ncached, 0U);
	for (i = 0; i < 64 && !payload[i]; i++)
		;
	CORE_EXPECT_EQ(i, 64U);	/* zeroed again */
	CORE_EXPECT_EQ(mheap_object_get_slot(heap, b, 1, &target), 0);
	CORE_EXPECT_EQ(target, 0U);
	CORE_EXPECT_EQ(mheap_object_ptr(heap, b)->refcnt, 1U);
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(heap->meta.ncached + heap->payload.ncached, 2U);

	mheap_unlock(heap);
	mheap_lock(heap);
	CORE_EXPECT_EQ(heap->meta.ncached + heap->payload.ncached, 0U);
	CORE_EXPECT_EQ(heap->meta.cache[mclass].count, 0U);
	stats = test_stats(heap);
	CORE_EXPECT_EQ(stats.used, (u64)0);
	CORE_EXPECT_EQ(stats.arenas, (u64)0);
	CORE_EXPECT_EQ(stats.spare, (u64)2);
	test_heap_done(heap);
}

/*
 * The cache never makes an allocation fail that would succeed without
 * it: at capacity, an arena held only by cached blocks is let go when an
 * allocation needs its room. And a failed allocation whose header came
 * from the cache puts it back there: nothing changed.
 */
CORE_TEST(object_cache_yields_to_capacity)
{
	struct mheap *heap = test_heap(MHEAP_CAPACITY_MIN);
	size_t meta = mheap_object_meta_size(1, false) + MHEAP_GUARD_BYTES;
	unsigned int mclass = test_class(&heap->meta, meta);
	u32 a, b;

	/* one slot each: not leaves, which go to the free lists instead */
	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 16, 1, 0, &a), 0);
	CORE_EXPECT_EQ(heap->arena_bytes, (size_t)MHEAP_CAPACITY_MIN);
	mheap_object_put(heap, a);
	CORE_EXPECT_EQ(heap->meta.ncached + heap->payload.ncached, 2U);

	/* too big for any room: fails, and a's header is cached again */
	CORE_EXPECT_EQ(mheap_object_alloc(heap, MHEAP_CAPACITY_MIN, 1, 0, &b),
		       -ENOSPC);
	CORE_EXPECT_EQ(heap->meta.ncached, 1U);
	CORE_EXPECT_EQ(heap->meta.cache[mclass].loc[0], a);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	CORE_EXPECT_EQ(heap->meta.bytes_used, (size_t)0);

	/* a jumbo payload fits once the payload arena is let go */
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 200 * 1024, 1, 0, &b), 0);
	CORE_EXPECT_EQ(b, a);
	CORE_EXPECT_EQ(heap->payload.jumbo_live, (u64)1);
	/* the spare it took the room of goes when the call is over */
	mheap_unlock(heap);
	mheap_lock(heap);
	CORE_EXPECT_LE(heap->arena_bytes, (size_t)MHEAP_CAPACITY_MIN);
	mheap_object_put(heap, b);
	test_heap_done(heap);
}

/*
 * An undo frees past the cache (mheap_undo_begin()): the pools and
 * arenas end as they were, not with a block held by a cache.
 */
CORE_TEST(object_discard_skips_the_cache)
{
	struct mheap *heap = test_heap(SZ_1M);
	struct mheap_stats before, after;
	u32 a;

	CORE_ASSERT_NOT_NULL(heap);
	before = test_stats(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 32, 1, 0, &a), 0);
	mheap_object_discard(heap, a, mheap_spares(heap));
	CORE_EXPECT_EQ(heap->meta.ncached + heap->payload.ncached, 0U);
	after = test_stats(heap);
	CORE_EXPECT_EQ(after.used, before.used);
	CORE_EXPECT_EQ(after.objects_allocated, before.objects_allocated);
	test_heap_done(heap);
}

/*
 * A freed leaf object (no slots, no cookie, a small payload) goes whole
 * onto its payload class's free list for the rest of the lock's hold
 * (struct mheap_freelist): freed to the statistics at once, its two
 * blocks still in use to the pools; the next leaf of the same class takes
 * both back, zeroed again. A full list, an object with slots, a cookie or
 * weak references, and an undo go past it; mheap_unlock() and a failed
 * allocation empty it.
 */
CORE_TEST(object_freelist_keeps_leaves_whole)
{
	struct mheap *heap = test_heap(MHEAP_CAPACITY_MIN);
	unsigned int pclass = test_class(&heap->payload,
					 64 + MHEAP_GUARD_BYTES);
	u32 a, b, ids[MHEAP_FREELIST_SLOTS + 1], ref;
	struct mheap_stats before, stats;
	unsigned char *payload;
	unsigned int i;

	CORE_ASSERT_NOT_NULL(heap);
	before = test_stats(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 64, 0, 0, &a), 0);
	payload = mheap_object_payload(heap, mheap_object_ptr(heap, a));
	memset(payload, 0xa5, 64);
	mheap_object_put(heap, a);
	CORE_EXPECT_EQ(heap->nfreelisted, 1U);
	CORE_EXPECT_EQ(heap->freelist[pclass].count, 1U);
	CORE_EXPECT_EQ(heap->freelist[pclass].meta[0], a);
	CORE_EXPECT_EQ(heap->meta.ncached + heap->payload.ncached, 0U);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	CORE_EXPECT_EQ(heap->payload_bytes, (size_t)0);

	/* another class's leaf, an object with a slot: not from this list */
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 16, 0, 0, &b), 0);
	CORE_EXPECT_NE(b, a);
	mheap_object_put(heap, b);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 64, 1, 0, &b), 0);
	CORE_EXPECT_NE(b, a);
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(heap->nfreelisted, 2U);

	/* the same class, another size: a's blocks, zeroed, a new header */
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 50, 0, 0, &b), 0);
	CORE_EXPECT_EQ(b, a);
	CORE_EXPECT_TRUE(mheap_object_payload(heap, mheap_object_ptr(heap, b)) ==
			 (void *)payload);
	/* its 50 bytes, and the rest of the block but a guard mode's guard */
	for (i = 0; i < 64 && !payload[i]; i++)
		;
	CORE_EXPECT_EQ(i, MHEAP_GUARD_BYTES ? 50U : 64U);
	CORE_EXPECT_EQ(test_refcnt(heap, b), 1U);
	CORE_EXPECT_EQ((u32)mheap_object_ptr(heap, b)->size, 50U);
	CORE_EXPECT_EQ((u32)mheap_object_ptr(heap, b)->flags, 0U);
	CORE_EXPECT_EQ(heap->freelist[pclass].count, 0U);
	CORE_EXPECT_EQ(heap->payload_bytes, (size_t)50);
	CORE_EXPECT_EQ(mheap_object_validate(heap), 0UL);

	/* with a weak reference: freed past the list, the reference cleared */
	CORE_ASSERT_EQ(mheap_weak_get(heap, b, &ref), 0);
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(heap->freelist[pclass].count, 0U);
	CORE_EXPECT_EQ(mheap_weak_deref(&heap->weak, ref), 0U);
	mheap_weak_put(heap, ref);

	/* with a cookie: past the list */
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 64, 0, 7, &b), 0);
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(heap->freelist[pclass].count, 0U);

	/* an undone allocation: past the list (mheap_undo_begin()) */
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 64, 0, 0, &b), 0);
	mheap_object_discard(heap, b, mheap_spares(heap));
	CORE_EXPECT_EQ(heap->freelist[pclass].count, 0U);

	/* a full list: the last one to the blocks' caches */
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		CORE_ASSERT_EQ(mheap_object_alloc(heap, 64, 0, 0, &ids[i]), 0);
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		mheap_object_put(heap, ids[i]);
	CORE_EXPECT_EQ(heap->freelist[pclass].count,
		       (u32)MHEAP_FREELIST_SLOTS);
	CORE_EXPECT_EQ(heap->payload.cache[pclass].count, 1U);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	CORE_EXPECT_EQ(mheap_validate(heap), 0);

	/* a failed allocation empties the lists; nothing else changed */
	CORE_EXPECT_EQ(mheap_object_alloc(heap, MHEAP_CAPACITY_MIN, 0, 0, &b),
		       -ENOSPC);
	CORE_EXPECT_EQ(heap->nfreelisted, 0U);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);

	/* and an unlock: the heap is as it would be without them */
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 64, 0, 0, &a), 0);
	mheap_object_put(heap, a);
	CORE_EXPECT_EQ(heap->nfreelisted, 1U);
	mheap_unlock(heap);
	mheap_lock(heap);
	CORE_EXPECT_EQ(heap->nfreelisted, 0U);
	stats = test_stats(heap);
	CORE_EXPECT_EQ(stats.used, before.used);
	CORE_EXPECT_EQ(stats.objects_live, (u64)0);
	test_heap_done(heap);
}

#ifdef __KERNEL__
/*
 * The KUnit suite: the cases above, in order (the host build registers
 * them itself; tests/lint.sh checks that the two agree).
 */
static struct kunit_case mheap_object_cases[] = {
	KUNIT_CASE(object_header_is_24_bytes),
	KUNIT_CASE(object_alloc_and_free),
	KUNIT_CASE(object_without_slots_untracked),
	KUNIT_CASE(object_limits),
	KUNIT_CASE(object_slot_counts),
	KUNIT_CASE(object_refcount_overflow),
	KUNIT_CASE_SLOW(object_release_long_chain),
	KUNIT_CASE_SLOW(object_release_wide_fanout),
	KUNIT_CASE(object_alloc_every_failure),
	KUNIT_CASE(object_guard_catches_overrun),
	KUNIT_CASE(object_reclaim_hook),
	KUNIT_CASE(object_blocks_cached_for_one_hold),
	KUNIT_CASE(object_cache_yields_to_capacity),
	KUNIT_CASE(object_discard_skips_the_cache),
	KUNIT_CASE(object_freelist_keeps_leaves_whole),
	{}
};

static struct kunit_suite mheap_object_suite = {
	.name = "mheap_object",
	.test_cases = mheap_object_cases,
};
#endif

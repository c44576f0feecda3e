// SPDX-License-Identifier: GPL-2.0
/*
 * Test cases of weak handles and the weak table; built into mheap_test.ko
 * and into the host tests (see core_test.h).
 */
#include "core_util.h"
#include "../core/gc.h"
#include "../core/weak.h"

CORE_TEST(weak_handle_does_not_keep_alive)
{
	struct mheap_object_info info;
	struct test_client t;
	u32 a, w, out, id;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 8, 1, 7, &a), 0);
	CORE_ASSERT_EQ(mheap_handle_dup_weak(t.client, a, &w), 0);
	CORE_EXPECT_TRUE(mheap_handle_is_weak(t.client, w));
	CORE_EXPECT_FALSE(mheap_handle_is_weak(t.client, a));
	CORE_EXPECT_EQ(mheap_handle_info(t.client, w, &info), 0);
	CORE_EXPECT_EQ(info.refcnt, 1U);
	CORE_EXPECT_EQ(info.cookie, (u64)7);
	/* a weak handle can be stored in a slot: the slot holds a reference */
	CORE_EXPECT_EQ(mheap_handle_set_slot(t.client, a, 0, w), 0);
	CORE_EXPECT_EQ(mheap_handle_info(t.client, w, &info), 0);
	CORE_EXPECT_EQ(info.refcnt, 2U);
	CORE_EXPECT_EQ(mheap_handle_set_slot(t.client, a, 0, 0), 0);
	CORE_EXPECT_EQ(mheap_handle_info(t.client, w, &info), 0);
	CORE_EXPECT_EQ(info.refcnt, 1U);
	CORE_EXPECT_EQ(mheap_handle_close(t.client, a), 0);
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)0);
	CORE_EXPECT_EQ(mheap_handle_lookup(t.client, w, &id), -ESTALE);
	CORE_EXPECT_EQ(mheap_handle_info(t.client, w, &info), -ESTALE);
	CORE_EXPECT_EQ(mheap_handle_dup(t.client, w, &out), -ESTALE);
	CORE_EXPECT_EQ(mheap_handle_dup_weak(t.client, w, &out), -ESTALE);
	CORE_EXPECT_EQ(mheap_handle_get_slot(t.client, w, 0, &out), -ESTALE);
	CORE_EXPECT_EQ(t.heap->weak.live, 1U);
	CORE_EXPECT_EQ(mheap_handle_close(t.client, w), 0);
	CORE_EXPECT_EQ(mheap_handle_close(t.client, w), -ENOENT);
	CORE_EXPECT_EQ(t.heap->weak.live, 0U);
	CORE_EXPECT_EQ(t.client->live, 0U);
	test_client_close(&t);
}

/* Weak handles on one object share a record; a reused id is not revived. */
CORE_TEST(weak_shared_record_and_reuse)
{
	struct mheap_object_info info;
	struct test_client t;
	u32 a, b, w1, w2, s, id, id2;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 8, 0, 0, &a), 0);
	CORE_ASSERT_EQ(mheap_handle_lookup(t.client, a, &id), 0);
	CORE_ASSERT_EQ(mheap_handle_dup_weak(t.client, a, &w1), 0);
	CORE_ASSERT_EQ(mheap_handle_dup_weak(t.client, w1, &w2), 0);
	CORE_EXPECT_EQ(t.heap->weak.live, 1U);
	/* upgrade: a strong handle from a weak one */
	CORE_ASSERT_EQ(mheap_handle_dup(t.client, w2, &s), 0);
	CORE_EXPECT_FALSE(mheap_handle_is_weak(t.client, s));
	CORE_EXPECT_EQ(mheap_handle_info(t.client, a, &info), 0);
	CORE_EXPECT_EQ(info.refcnt, 2U);
	CORE_EXPECT_EQ(mheap_handle_close(t.client, a), 0);
	CORE_EXPECT_EQ(mheap_handle_lookup(t.client, w1, &id2), 0);
	CORE_EXPECT_EQ(id2, id);
	CORE_EXPECT_EQ(mheap_handle_close(t.client, s), 0);
	/* the same location is handed out again, to an unrelated object */
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 8, 0, 0, &b), 0);
	CORE_ASSERT_EQ(mheap_handle_lookup(t.client, b, &id2), 0);
	CORE_EXPECT_EQ(id2, id);
	CORE_EXPECT_EQ(mheap_handle_lookup(t.client, w1, &id2), -ESTALE);
	CORE_EXPECT_EQ(mheap_handle_lookup(t.client, w2, &id2), -ESTALE);
	/* a new weak handle on the new object gets a record of its own */
	CORE_ASSERT_EQ(mheap_handle_dup_weak(t.client, b, &w1), 0);
	CORE_EXPECT_EQ(t.heap->weak.live, 2U);
	test_client_close(&t);
}

CORE_TEST(weak_handle_on_collected_cycle)
{
	struct test_client t;
	u32 a, b, w, id;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 8, 1, 0, &a), 0);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 8, 1, 0, &b), 0);
	CORE_ASSERT_EQ(mheap_handle_set_slot(t.client, a, 0, b), 0);
	CORE_ASSERT_EQ(mheap_handle_set_slot(t.client, b, 0, a), 0);
	CORE_ASSERT_EQ(mheap_handle_dup_weak(t.client, b, &w), 0);
	CORE_EXPECT_EQ(mheap_handle_close(t.client, a), 0);
	CORE_EXPECT_EQ(mheap_handle_close(t.client, b), 0);
	CORE_EXPECT_EQ(mheap_handle_lookup(t.client, w, &id), 0);
	CORE_EXPECT_EQ(mheap_gc_collect(t.heap, 2), 2L);
	CORE_EXPECT_EQ(mheap_handle_lookup(t.client, w, &id), -ESTALE);
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)0);
	test_client_close(&t);
}

/* Many records: the table grows and every weak handle keeps its object. */
CORE_TEST(weak_table_growth)
{
	enum { N = 3000 };
	static u32 strong[N], weak[N], ids[N];
	struct test_client t;
	u32 id, i;

	CORE_ASSERT_TRUE(test_client_open(&t, 4 * SZ_1M));
	for (i = 0; i < N; i++) {
		CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 0, i, &strong[i]), 0);
		CORE_ASSERT_EQ(mheap_handle_lookup(t.client, strong[i], &ids[i]), 0);
		CORE_ASSERT_EQ(mheap_handle_dup_weak(t.client, strong[i], &weak[i]), 0);
	}
	CORE_EXPECT_EQ(t.heap->weak.live, (u32)N);
	for (i = 0; i < N; i += 2)
		CORE_EXPECT_EQ(mheap_handle_close(t.client, strong[i]), 0);
	for (i = 0; i < N; i++) {
		int err = mheap_handle_lookup(t.client, weak[i], &id);

		CORE_EXPECT_EQ(err, i % 2 ? 0 : -ESTALE);
		if (!err)
			CORE_EXPECT_EQ(id, ids[i]);
	}
	for (i = 0; i < N; i += 3)
		CORE_EXPECT_EQ(mheap_handle_close(t.client, weak[i]), 0);
	CORE_EXPECT_EQ(t.heap->weak.live, (u32)(N - (N + 2) / 3));
	test_client_close(&t);
}

/* Every allocation failure of dup_weak returns -ENOMEM and changes nothing. */
CORE_TEST(weak_dup_every_failure)
{
	long points = 0, nth;

	CORE_REQUIRE_FAULT_INJECTION();
	for (nth = 1;; nth++) {
		struct mheap_stats before;
		struct test_client t;
		u32 a, out, live, i, wlive;
		bool fired;
		int err = 0;

		CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
		CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 0, 0, &a), 0);
		/* fill the handle table so the next handle must grow it */
		for (i = t.client->used; i < t.client->size && !err; i++)
			err = mheap_handle_dup(t.client, a, &out);
		CORE_ASSERT_EQ(err, 0);
		before = test_stats(t.heap);
		live = t.client->live;
		wlive = t.heap->weak.live;
		core_fail_nth(nth);
		err = mheap_handle_dup_weak(t.client, a, &out);
		fired = core_fail_fired();
		if (err) {
			points++;
			CORE_EXPECT_EQ(err, -ENOMEM);
			CORE_EXPECT_TRUE(test_stats_equal(t.heap, &before));
			CORE_EXPECT_EQ(t.client->live, live);
			CORE_EXPECT_EQ(t.heap->weak.live, wlive);
			CORE_EXPECT_EQ(mheap_object_ptr(t.heap, t.client->table[0].obj)->flags &
				       MHEAP_OBJ_WEAKREF, 0U);
		}
		test_client_close(&t);
		if (!fired)
			break;
	}
	CORE_EXPECT_TRUE(points >= 2);
	CORE_LOG("%ld allocation failure point(s) exercised", points);
}

#ifdef __KERNEL__
/*
 * The KUnit suite: the cases above, in order (the host build registers
 * them itself; tests/lint.sh checks that the two agree).
 */
static struct kunit_case mheap_weak_cases[] = {
	KUNIT_CASE(weak_handle_does_not_keep_alive),
	KUNIT_CASE(weak_shared_record_and_reuse),
	KUNIT_CASE(weak_handle_on_collected_cycle),
	KUNIT_CASE(weak_table_growth),
	KUNIT_CASE(weak_dup_every_failure),
	{}
};

static struct kunit_suite mheap_weak_suite = {
	.name = "mheap_weak",
	.test_cases = mheap_weak_cases,
};
#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * Test cases of handle scopes (scope.c), built into mheap_test.ko and into
 * the host tests (see core_test.h).
 */
#include "core_util.h"
#include "../core/scope.h"

static inline bool handle_open(struct test_client *t, u32 handle)
{
	u32 id;

	return mheap_handle_lookup(t->client, handle, &id) == 0;
}

/* Popping a scope closes its handles, and only its own. */
CORE_TEST(scope_pop_closes_its_handles)
{
	u32 outside, one, a, b, a2, two, c, closed = 99;
	struct test_client t;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 8, 1, 0, &outside), 0);
	CORE_ASSERT_EQ(mheap_scope_push(t.client, &one), 0);
	CORE_EXPECT_EQ(one, 1U);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 8, 1, 0, &a), 0);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 8, 0, 0, &b), 0);
	CORE_ASSERT_EQ(mheap_handle_dup(t.client, a, &a2), 0);
	CORE_ASSERT_EQ(mheap_handle_set_slot(t.client, outside, 0, b), 0);
	CORE_ASSERT_EQ(mheap_scope_push(t.client, &two), 0);
	CORE_EXPECT_EQ(two, 2U);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 8, 0, 0, &c), 0);
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)4);

	/* only the innermost scope may be popped */
	CORE_EXPECT_EQ(mheap_scope_pop(t.client, one, &closed), -EBUSY);
	CORE_EXPECT_EQ(mheap_scope_pop(t.client, 3, &closed), -ENOENT);
	CORE_EXPECT_EQ(mheap_scope_pop(t.client, 0, &closed), -ENOENT);
	CORE_EXPECT_EQ(closed, 99U);
	CORE_EXPECT_TRUE(handle_open(&t, c));

	CORE_EXPECT_EQ(mheap_scope_pop(t.client, two, &closed), 0);
	CORE_EXPECT_EQ(closed, 1U);
	CORE_EXPECT_FALSE(handle_open(&t, c));
	CORE_EXPECT_TRUE(handle_open(&t, a));
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)3);
	/* a closed early is not closed twice */
	CORE_EXPECT_EQ(mheap_handle_close(t.client, a2), 0);
	CORE_EXPECT_EQ(mheap_scope_pop(t.client, one, &closed), 0);
	CORE_EXPECT_EQ(closed, 2U);
	CORE_EXPECT_EQ(t.client->depth, 0U);
	CORE_EXPECT_EQ(t.client->log_len, 0U);
	/* b lives on in outside's slot; a is gone */
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)2);
	CORE_EXPECT_TRUE(handle_open(&t, outside));
	CORE_EXPECT_EQ(mheap_scope_pop(t.client, one, &closed), -ENOENT);
	test_client_close(&t);
}

/* An escaped handle moves to the enclosing scope, then out of all. */
CORE_TEST(scope_escape)
{
	u32 one, two, inner, outer, level = 99, closed;
	struct test_client t;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	CORE_EXPECT_EQ(mheap_handle_alloc(t.client, 0, 0, 0, &outer), 0);
	/* no scope open: nothing to escape from */
	CORE_EXPECT_EQ(mheap_scope_escape(t.client, outer, &level), -EINVAL);
	CORE_ASSERT_EQ(mheap_scope_push(t.client, &one), 0);
	CORE_EXPECT_EQ(mheap_handle_close(t.client, outer), 0);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 0, 0, &outer), 0);
	CORE_ASSERT_EQ(mheap_scope_push(t.client, &two), 0);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 0, 0, &inner), 0);
	/* only a handle of the innermost scope escapes */
	CORE_EXPECT_EQ(mheap_scope_escape(t.client, outer, &level), -EINVAL);
	CORE_EXPECT_EQ(mheap_scope_escape(t.client, 0x7ffff, &level), -ENOENT);
	CORE_EXPECT_EQ(level, 99U);
	CORE_EXPECT_EQ(mheap_scope_escape(t.client, inner, &level), 0);
	CORE_EXPECT_EQ(level, 1U);
	/* once is enough: it is no longer in the innermost scope */
	CORE_EXPECT_EQ(mheap_scope_escape(t.client, inner, &level), -EINVAL);
	CORE_EXPECT_EQ(mheap_scope_pop(t.client, two, &closed), 0);
	CORE_EXPECT_EQ(closed, 0U);
	CORE_EXPECT_TRUE(handle_open(&t, inner));
	/* from the outermost scope to none: pop leaves it open */
	CORE_EXPECT_EQ(mheap_scope_escape(t.client, inner, &level), 0);
	CORE_EXPECT_EQ(level, 0U);
	CORE_EXPECT_EQ(mheap_scope_pop(t.client, one, &closed), 0);
	CORE_EXPECT_EQ(closed, 1U);
	CORE_EXPECT_TRUE(handle_open(&t, inner));
	CORE_EXPECT_FALSE(handle_open(&t, outer));
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)1);
	test_client_close(&t);
}

/*
 * A closed entry reused in a deeper scope is that scope's handle: the log
 * of the outer scope names the old handle, which must not close it.
 */
CORE_TEST(scope_reused_entries)
{
	u32 one, two, a, b, closed, level;
	struct test_client t;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	CORE_ASSERT_EQ(mheap_scope_push(t.client, &one), 0);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 0, 0, &a), 0);
	CORE_ASSERT_EQ(mheap_handle_close(t.client, a), 0);
	CORE_ASSERT_EQ(mheap_scope_push(t.client, &two), 0);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 0, 0, &b), 0);
	/* the same entry, a new tag */
	CORE_EXPECT_EQ(b & 0xfffff, a & 0xfffff);
	CORE_EXPECT_NE(b, a);
	CORE_EXPECT_EQ(mheap_scope_escape(t.client, b, &level), 0);
	CORE_EXPECT_EQ(mheap_scope_pop(t.client, two, &closed), 0);
	CORE_EXPECT_EQ(closed, 0U);
	CORE_EXPECT_EQ(mheap_scope_pop(t.client, one, &closed), 0);
	CORE_EXPECT_EQ(closed, 1U);
	CORE_EXPECT_FALSE(handle_open(&t, b));
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)0);
	test_client_close(&t);
}

/* Handles made and closed in a loop inside a scope do not grow the log. */
CORE_TEST(scope_log_stays_small)
{
	u32 one, two, h, keep[10], closed;
	struct test_client t;
	unsigned int i;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	CORE_ASSERT_EQ(mheap_scope_push(t.client, &one), 0);
	for (i = 0; i < ARRAY_SIZE(keep); i++)
		CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 0, 0, &keep[i]),
			       0);
	CORE_ASSERT_EQ(mheap_scope_push(t.client, &two), 0);
	for (i = 0; i < 100000; i++) {
		CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 0, 0, &h), 0);
		CORE_ASSERT_EQ(mheap_handle_close(t.client, h), 0);
	}
	CORE_EXPECT_EQ(t.client->log_size, 64U);
	/* compaction kept each scope's part apart */
	CORE_EXPECT_EQ(mheap_scope_pop(t.client, two, &closed), 0);
	CORE_EXPECT_EQ(closed, 0U);
	CORE_EXPECT_EQ(mheap_scope_pop(t.client, one, &closed), 0);
	CORE_EXPECT_EQ(closed, (u32)ARRAY_SIZE(keep));
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)0);
	test_client_close(&t);
}

/*
 * Scopes nest MHEAP_SCOPE_MAX deep; closing the client pops them, and
 * closes the handles they logged: each level's object holds the one
 * before, so that only the handles keep the chain alive.
 */
CORE_TEST(scope_depth_limit_and_teardown)
{
	struct test_client t;
	u32 level, h, prev = 0, i;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	for (i = 1; i <= MHEAP_SCOPE_MAX; i++) {
		CORE_ASSERT_EQ(mheap_scope_push(t.client, &level), 0);
		CORE_EXPECT_EQ(level, i);
		CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 1, 0, &h), 0);
		if (prev)
			CORE_ASSERT_EQ(mheap_handle_set_slot(t.client, h, 0,
							     prev), 0);
		prev = h;
	}
	CORE_EXPECT_EQ(mheap_scope_push(t.client, &level), -ENOSPC);
	CORE_EXPECT_EQ(t.client->depth, (u32)MHEAP_SCOPE_MAX);
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)MHEAP_SCOPE_MAX);
	mheap_client_destroy(t.client);
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)0);
	test_heap_done(t.heap);
}

/* A handle that cannot be logged is not created, and nothing changes. */
CORE_TEST(scope_every_failure)
{
	long points = 0, nth;

	CORE_REQUIRE_FAULT_INJECTION();
	for (nth = 1;; nth++) {
		struct mheap_stats before;
		struct test_client t;
		u32 level, h, live, len;
		bool fired;
		int err = 0;

		CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
		CORE_ASSERT_EQ(mheap_scope_push(t.client, &level), 0);
		/* fill the log so that the next handle must grow it */
		CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 0, 0, &h), 0);
		while (!err && t.client->log_len < t.client->log_size)
			err = mheap_handle_dup(t.client, h, &live);
		CORE_ASSERT_EQ(err, 0);
		before = test_stats(t.heap);
		live = t.client->live;
		len = t.client->log_len;
		core_fail_nth(nth);
		err = mheap_handle_dup(t.client, h, &h);
		fired = core_fail_fired();
		if (err) {
			points++;
			CORE_EXPECT_EQ(err, -ENOMEM);
			CORE_EXPECT_TRUE(test_stats_equal(t.heap, &before));
			CORE_EXPECT_EQ(t.client->live, live);
			CORE_EXPECT_EQ(t.client->log_len, len);
			CORE_EXPECT_EQ(test_refcnt(t.heap, t.client->table[0].obj),
				       live);
		}
		test_client_close(&t);
		if (!fired)
			break;
	}
	CORE_EXPECT_TRUE(points >= 1);
	CORE_LOG("%ld allocation failure point(s) exercised", points);
}

#ifdef __KERNEL__
/*
 * The KUnit suite: the cases above, in order (the host build registers
 * them itself; tests/lint.sh checks that the two agree).
 */
static struct kunit_case mheap_scope_cases[] = {
	KUNIT_CASE(scope_pop_closes_its_handles),
	KUNIT_CASE(scope_escape),
	KUNIT_CASE(scope_reused_entries),
	KUNIT_CASE_SLOW(scope_log_stays_small),
	KUNIT_CASE(scope_depth_limit_and_teardown),
	KUNIT_CASE(scope_every_failure),
	{}
};

static struct kunit_suite mheap_scope_suite = {
	.name = "mheap_scope",
	.test_cases = mheap_scope_cases,
};
#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * Test cases of named roots (names.c), built into mheap_test.ko and into
 * the host tests (see core_test.h).
 */
#include "core_util.h"
#include "../core/gc.h"
#include "../core/names.h"

/* A name in its NUL-padded field, as the ioctl passes it. */
struct test_name {
	char s[MHEAP_NAME_LEN];
};

static inline struct test_name tname(const char *s)
{
	struct test_name n;

	memset(&n, 0, sizeof(n));
	memcpy(n.s, s, min(strlen(s), sizeof(n.s)));
	return n;
}

CORE_TEST(names_valid)
{
	struct test_name n = tname("a");

	CORE_EXPECT_TRUE(mheap_name_valid(n.s, sizeof(n.s)));
	n = tname("config/main-1.2_x:y");
	CORE_EXPECT_TRUE(mheap_name_valid(n.s, sizeof(n.s)));
	memset(n.s, 'x', MHEAP_NAME_LEN - 1);
	CORE_EXPECT_TRUE(mheap_name_valid(n.s, sizeof(n.s)));
	/* too long: no NUL in the field */
	memset(n.s, 'x', sizeof(n.s));
	CORE_EXPECT_FALSE(mheap_name_valid(n.s, sizeof(n.s)));
	n = tname("");
	CORE_EXPECT_FALSE(mheap_name_valid(n.s, sizeof(n.s)));
	n = tname("a b");
	CORE_EXPECT_FALSE(mheap_name_valid(n.s, sizeof(n.s)));
	n = tname("caf\xc3\xa9");
	CORE_EXPECT_FALSE(mheap_name_valid(n.s, sizeof(n.s)));
	/* garbage after the NUL */
	n = tname("ab");
	n.s[10] = 'z';
	CORE_EXPECT_FALSE(mheap_name_valid(n.s, sizeof(n.s)));
}

/* Bind, look up, replace, unbind; a binding holds a reference. */
CORE_TEST(names_bind_lookup_unbind)
{
	struct test_name a = tname("a"), b = tname("b"), c = tname("c");
	struct mheap *heap = test_heap(SZ_1M);
	struct mheap_name_rec list[4];
	u32 x, y, id = 0;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 8, 0, 0, &x), 0);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 8, 0, 0, &y), 0);
	CORE_EXPECT_EQ(mheap_name_bind(heap, b.s, x, false), 0);
	CORE_EXPECT_EQ(mheap_name_bind(heap, a.s, x, false), 0);
	CORE_EXPECT_EQ(test_refcnt(heap, x), 3U);
	CORE_EXPECT_EQ(mheap_name_bind(heap, a.s, y, false), -EEXIST);
	CORE_EXPECT_EQ(test_refcnt(heap, y), 1U);
	CORE_EXPECT_EQ(mheap_name_lookup(heap, a.s, &id), 0);
	CORE_EXPECT_EQ(id, x);
	CORE_EXPECT_EQ(mheap_name_lookup(heap, c.s, &id), -ENOENT);
	/* sorted, whatever the order of binding */
	CORE_EXPECT_EQ(mheap_name_list(heap, 0, list, 4), 2U);
	CORE_EXPECT_EQ(strcmp(list[0].name, "a"), 0);
	CORE_EXPECT_EQ(strcmp(list[1].name, "b"), 0);
	CORE_EXPECT_EQ(mheap_name_list(heap, 1, list, 4), 2U);
	CORE_EXPECT_EQ(strcmp(list[0].name, "b"), 0);
	CORE_EXPECT_EQ(mheap_name_list(heap, ~0U, list, 4), 2U);
	/* replace moves the reference */
	CORE_EXPECT_EQ(mheap_name_bind(heap, a.s, y, true), 0);
	CORE_EXPECT_EQ(test_refcnt(heap, x), 2U);
	CORE_EXPECT_EQ(test_refcnt(heap, y), 2U);
	CORE_EXPECT_EQ(mheap_name_lookup(heap, a.s, &id), 0);
	CORE_EXPECT_EQ(id, y);
	/* names keep objects alive after every other reference is gone */
	mheap_object_put(heap, x);
	mheap_object_put(heap, y);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)2);
	CORE_EXPECT_EQ(mheap_name_unbind(heap, a.s), 0);
	CORE_EXPECT_EQ(mheap_name_unbind(heap, a.s), -ENOENT);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)1);
	CORE_EXPECT_EQ(mheap_name_unbind(heap, b.s), 0);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	CORE_EXPECT_EQ(mheap_name_list(heap, 0, list, 4), 0U);
	test_heap_done(heap);
}

/* A bound cycle is a root: the collector keeps it until it is unbound. */
CORE_TEST(names_are_roots)
{
	struct test_name n = tname("ring");
	struct mheap *heap = test_heap(SZ_1M);
	u32 a, b;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 0, 1, 0, &a), 0);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 0, 1, 0, &b), 0);
	CORE_ASSERT_EQ(mheap_object_set_slot(heap, a, 0, b), 0);
	CORE_ASSERT_EQ(mheap_object_set_slot(heap, b, 0, a), 0);
	CORE_ASSERT_EQ(mheap_name_bind(heap, n.s, a, false), 0);
	mheap_object_put(heap, a);
	mheap_object_put(heap, b);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 0L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)2);
	CORE_EXPECT_EQ(mheap_name_unbind(heap, n.s), 0);
	CORE_EXPECT_EQ(mheap_gc_collect(heap, 2), 2L);
	CORE_EXPECT_EQ(mheap_objects_live(heap), (u64)0);
	test_heap_done(heap);
}

/* MHEAP_NAMES_MAX names, then -ENOSPC; the heap frees them all at the end. */
CORE_TEST(names_limit_and_teardown)
{
	struct mheap *heap = test_heap(SZ_1M);
	struct test_name n;
	u32 id, i;

	CORE_ASSERT_NOT_NULL(heap);
	CORE_ASSERT_EQ(mheap_object_alloc(heap, 0, 0, 0, &id), 0);
	for (i = 0; i < MHEAP_NAMES_MAX; i++) {
		memset(&n, 0, sizeof(n));
		snprintf(n.s, sizeof(n.s), "n%u", i);
		CORE_ASSERT_EQ(mheap_name_bind(heap, n.s, id, false), 0);
	}
	n = tname("one-more");
	CORE_EXPECT_EQ(mheap_name_bind(heap, n.s, id, false), -ENOSPC);
	/* replacing is still allowed at the limit */
	n = tname("n7");
	CORE_EXPECT_EQ(mheap_name_bind(heap, n.s, id, true), 0);
	CORE_EXPECT_EQ(test_refcnt(heap, id), MHEAP_NAMES_MAX + 1U);
	mheap_object_put(heap, id);
	/*
	 * Destroying the heap frees the rest: the host fixture fails the
	 * case if an allocation is left, kmemleak the VM run.
	 */
	test_heap_done(heap);
}

/* A failed growth of the table binds nothing and takes no reference. */
CORE_TEST(names_every_failure)
{
	long points = 0, nth;

	CORE_REQUIRE_FAULT_INJECTION();
	for (nth = 1;; nth++) {
		struct mheap *heap = test_heap(SZ_1M);
		struct test_name n;
		bool fired;
		u32 id, i;
		int err;

		CORE_ASSERT_NOT_NULL(heap);
		CORE_ASSERT_EQ(mheap_object_alloc(heap, 0, 0, 0, &id), 0);
		for (i = 0; i < 16; i++) {	/* the first table is full */
			memset(&n, 0, sizeof(n));
			snprintf(n.s, sizeof(n.s), "n%u", i);
			CORE_ASSERT_EQ(mheap_name_bind(heap, n.s, id, false), 0);
		}
		n = tname("next");
		core_fail_nth(nth);
		err = mheap_name_bind(heap, n.s, id, false);
		fired = core_fail_fired();
		if (err) {
			points++;
			CORE_EXPECT_EQ(err, -ENOMEM);
			CORE_EXPECT_EQ(test_refcnt(heap, id), 17U);
			CORE_EXPECT_EQ(heap->names.len, 16U);
			CORE_EXPECT_EQ(mheap_name_lookup(heap, n.s, &i), -ENOENT);
		}
		mheap_object_put(heap, id);
		test_heap_done(heap);
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
static struct kunit_case mheap_names_cases[] = {
	KUNIT_CASE(names_valid),
	KUNIT_CASE(names_bind_lookup_unbind),
	KUNIT_CASE(names_are_roots),
	KUNIT_CASE(names_limit_and_teardown),
	KUNIT_CASE(names_every_failure),
	{}
};

static struct kunit_suite mheap_names_suite = {
	.name = "mheap_names",
	.test_cases = mheap_names_cases,
};
#endif

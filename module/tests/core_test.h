/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One source for the portable core's tests, two harnesses: KUnit inside the
 * kernel (mheap_test.ko), the kernel's kselftest_harness.h on the host
 * (tests/host/, under ASan and UBSan, and valgrind).
 *
 * A case is written as CORE_TEST(name) { ... } with the CORE_* checks
 * below. The KUnit module lists it with KUNIT_CASE(name); on the host it
 * registers itself, in a fixture that checks the case freed all it took
 * and fired no WARN_ON_ONCE().
 *
 * Allocation failures: core_fail_nth(n) makes the n-th allocation from now
 * fail (0 disarms), core_fail_fired() says whether it did and disarms. In
 * the kernel this is the kernel's own fault injection (the task's
 * fail-nth, with failslab and fail_page_alloc told not to ignore sleeping
 * allocations, which the VM's init does); on the host, the seam's hook.
 * Memory the tests themselves need comes from core_calloc()/core_free(),
 * outside the core's accounting.
 */
#ifndef MHEAP_CORE_TEST_H
#define MHEAP_CORE_TEST_H

#ifdef __KERNEL__

#include <kunit/test.h>
#include <linux/sched.h>
#include <linux/slab.h>

#define CORE_TEST(name)			static void name(struct kunit *test)
#define CORE_ASSERT_NOT_NULL(ptr)	KUNIT_ASSERT_NOT_NULL(test, ptr)
#define CORE_ASSERT_EQ(left, right)	KUNIT_ASSERT_EQ(test, left, right)
#define CORE_ASSERT_TRUE(cond)		KUNIT_ASSERT_TRUE(test, cond)
#define CORE_EXPECT_EQ(left, right)	KUNIT_EXPECT_EQ(test, left, right)
#define CORE_EXPECT_NE(left, right)	KUNIT_EXPECT_NE(test, left, right)
#define CORE_EXPECT_GT(left, right)	KUNIT_EXPECT_GT(test, left, right)
#define CORE_EXPECT_GE(left, right)	KUNIT_EXPECT_GE(test, left, right)
#define CORE_EXPECT_LE(left, right)	KUNIT_EXPECT_LE(test, left, right)
#define CORE_EXPECT_TRUE(cond)		KUNIT_EXPECT_TRUE(test, cond)
#define CORE_EXPECT_FALSE(cond)		KUNIT_EXPECT_FALSE(test, cond)
#define CORE_EXPECT_NULL(ptr)		KUNIT_EXPECT_NULL(test, ptr)
#define CORE_EXPECT_PTR_NE(left, right)	KUNIT_EXPECT_PTR_NE(test, left, right)
#define CORE_LOG(fmt, ...)		kunit_info(test, fmt, ##__VA_ARGS__)

#ifdef CONFIG_FAULT_INJECTION
#define CORE_REQUIRE_FAULT_INJECTION()	do { } while (0)

static inline void core_fail_nth(long nth)
{
	WRITE_ONCE(current->fail_nth, nth);
}

static inline bool core_fail_fired(void)
{
	bool fired = !READ_ONCE(current->fail_nth);

	WRITE_ONCE(current->fail_nth, 0);
	return fired;
}
#else
#define CORE_REQUIRE_FAULT_INJECTION() \
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION")

static inline void core_fail_nth(long nth)
{
}

static inline bool core_fail_fired(void)
{
	return false;
}
#endif

static inline void *core_calloc(size_t n, size_t size)
{
	return kvcalloc(n, size, GFP_KERNEL);
}

static inline void core_free(void *ptr)
{
	kvfree(ptr);
}

#else /* !__KERNEL__ */

#include <stdlib.h>

#include "kselftest_harness.h"
#include "prim.h"

FIXTURE(core) {
	long live_before;
	long warnings_before;
};

FIXTURE_SETUP(core)
{
	self->live_before = mheap_prim_live_allocs();
	self->warnings_before = mheap_prim_warnings();
}

FIXTURE_TEARDOWN(core)
{
	mheap_prim_fail_nth(0);
	EXPECT_EQ(self->live_before, mheap_prim_live_allocs());
	EXPECT_EQ(self->warnings_before, mheap_prim_warnings());
}

#define CORE_TEST(name)			TEST_F(core, name)
#define CORE_ASSERT_NOT_NULL(ptr)	ASSERT_NE(NULL, ptr)
#define CORE_ASSERT_EQ(left, right)	ASSERT_EQ(left, right)
#define CORE_ASSERT_TRUE(cond)		ASSERT_TRUE(cond)
#define CORE_EXPECT_EQ(left, right)	EXPECT_EQ(left, right)
#define CORE_EXPECT_NE(left, right)	EXPECT_NE(left, right)
/* kselftest_harness.h's EXPECT_GT(a, b) holds when a > b, as KUnit's */
#define CORE_EXPECT_GT(left, right)	EXPECT_GT(left, right)
#define CORE_EXPECT_GE(left, right)	EXPECT_GE(left, right)
#define CORE_EXPECT_LE(left, right)	EXPECT_LE(left, right)
#define CORE_EXPECT_TRUE(cond)		EXPECT_TRUE(cond)
#define CORE_EXPECT_FALSE(cond)		EXPECT_FALSE(cond)
#define CORE_EXPECT_NULL(ptr)		EXPECT_EQ(NULL, ptr)
#define CORE_EXPECT_PTR_NE(left, right)	EXPECT_NE(left, right)
#define CORE_LOG(fmt, ...)		TH_LOG(fmt, ##__VA_ARGS__)
#define CORE_REQUIRE_FAULT_INJECTION()	do { } while (0)

static inline void core_fail_nth(long nth)
{
	mheap_prim_fail_nth(nth);
}

static inline bool core_fail_fired(void)
{
	bool fired = mheap_prim_fail_fired();

	mheap_prim_fail_nth(0);
	return fired;
}

static inline void *core_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

static inline void core_free(void *ptr)
{
	free(ptr);
}

#endif /* __KERNEL__ */

/* A small deterministic generator, the same in both builds. */
static inline u64 core_rand(u64 *state)
{
	u64 x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

#endif /* MHEAP_CORE_TEST_H */

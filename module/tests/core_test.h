/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One source for the portable core's tests, two harnesses: KUnit inside the
 * kernel (mheap_test.ko), the kernel's kselftest_harness.h on the host
 * (tests/host/, under ASan and UBSan).
 *
 * A case is written as CORE_TEST(name) { ... } with the CORE_* checks
 * below. The KUnit module lists it with KUNIT_CASE(name); on the host it
 * registers itself, in a fixture that checks the case freed all it took.
 */
#ifndef MHEAP_CORE_TEST_H
#define MHEAP_CORE_TEST_H

#ifdef __KERNEL__

#include <kunit/test.h>

#define CORE_TEST(name)			static void name(struct kunit *test)
#define CORE_ASSERT_NOT_NULL(ptr)	KUNIT_ASSERT_NOT_NULL(test, ptr)
#define CORE_EXPECT_EQ(left, right)	KUNIT_EXPECT_EQ(test, left, right)
#define CORE_EXPECT_PTR_NE(left, right)	KUNIT_EXPECT_PTR_NE(test, left, right)

#else /* !__KERNEL__ */

#include "kselftest_harness.h"
#include "sys.h"

FIXTURE(core) {
	long live_before;
};

FIXTURE_SETUP(core)
{
	self->live_before = sys_live_allocs();
}

FIXTURE_TEARDOWN(core)
{
	sys_fail_nth(0);
	EXPECT_EQ(self->live_before, sys_live_allocs());
}

#define CORE_TEST(name)			TEST_F(core, name)
#define CORE_ASSERT_NOT_NULL(ptr)	ASSERT_NE(NULL, ptr)
#define CORE_EXPECT_EQ(left, right)	EXPECT_EQ(left, right)
#define CORE_EXPECT_PTR_NE(left, right)	EXPECT_NE(left, right)

#endif /* __KERNEL__ */

#endif /* MHEAP_CORE_TEST_H */

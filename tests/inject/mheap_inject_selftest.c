// SPDX-License-Identifier: GPL-2.0
/*
 * A selftest that fails on purpose: the VM harness must report it
 * (make check-harness). Never run in a normal check.
 */
#include "kselftest_harness.h"

TEST(injected_pass)
{
	EXPECT_EQ(1, 1);
}

TEST(injected_failure)
{
	EXPECT_EQ(0, 1) TH_LOG("injected failure");
}

TEST_HARNESS_MAIN

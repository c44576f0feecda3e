// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for mheap.ko, run when this module is loaded.
 */
#include <kunit/test.h>
#include <linux/mheap.h>

#include "../dev.h"
#include "heap_cases.h"

static struct kunit_case mheap_heap_cases[] = {
	KUNIT_CASE(heap_create_destroy),
	KUNIT_CASE(heap_destroy_null),
	KUNIT_CASE(heaps_are_independent),
	{}
};

static struct kunit_suite mheap_heap_suite = {
	.name = "mheap_heap",
	.test_cases = mheap_heap_cases,
};

static void version_reports_uapi_version(struct kunit *test)
{
	struct mheap_version v = { .version = 99, .features = ~0ULL };

	KUNIT_ASSERT_EQ(test, mheap_ioc_version(NULL, &v), 0);
	KUNIT_EXPECT_EQ(test, v.version, MHEAP_UAPI_VERSION);
	KUNIT_EXPECT_EQ(test, v.features, 0);
	KUNIT_EXPECT_EQ(test, v.flags, 0);
}

static void version_rejects_flags(struct kunit *test)
{
	struct mheap_version v = { .flags = 1, .version = 7, .features = 5 };

	KUNIT_EXPECT_EQ(test, mheap_ioc_version(NULL, &v), -EINVAL);
	/* an error changes nothing */
	KUNIT_EXPECT_EQ(test, v.version, 7);
	KUNIT_EXPECT_EQ(test, v.features, 5);
}

static struct kunit_case mheap_ioctl_cases[] = {
	KUNIT_CASE(version_reports_uapi_version),
	KUNIT_CASE(version_rejects_flags),
	{}
};

static struct kunit_suite mheap_ioctl_suite = {
	.name = "mheap_ioctl",
	.test_cases = mheap_ioctl_cases,
};

kunit_test_suites(&mheap_heap_suite, &mheap_ioctl_suite);

MODULE_DESCRIPTION("KUnit tests for mheap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

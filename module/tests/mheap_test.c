// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for mheap.ko, run when this module is loaded. The core's
 * cases are shared with the host tests (see core_test.h).
 */
#include <kunit/test.h>
#include <linux/mheap.h>

#include "../dev.h"
#include "heap_cases.h"
#include "object_cases.h"
#include "handle_cases.h"

static struct kunit_case mheap_heap_cases[] = {
	KUNIT_CASE(heap_create_destroy),
	KUNIT_CASE(heap_destroy_null),
	KUNIT_CASE(heaps_are_independent),
	KUNIT_CASE(heap_capacity_validated),
	KUNIT_CASE(space_small_classes),
	KUNIT_CASE(space_blocks_zeroed_on_reuse),
	KUNIT_CASE(space_runs_and_jumbo),
	KUNIT_CASE(space_capacity_enospc),
	KUNIT_CASE(space_prefers_most_used_arena),
	KUNIT_CASE(space_alloc_every_failure),
	{}
};

static struct kunit_suite mheap_heap_suite = {
	.name = "mheap_heap",
	.test_cases = mheap_heap_cases,
};

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
	{}
};

static struct kunit_suite mheap_object_suite = {
	.name = "mheap_object",
	.test_cases = mheap_object_cases,
};

static struct kunit_case mheap_handle_cases[] = {
	KUNIT_CASE(handle_alloc_close),
	KUNIT_CASE(handle_bad_values),
	KUNIT_CASE(handle_values_never_reused),
	KUNIT_CASE(handle_dup_and_slots),
	KUNIT_CASE(client_and_heap_teardown),
	KUNIT_CASE_SLOW(handle_table_limit),
	KUNIT_CASE(handle_ops_every_failure),
	KUNIT_CASE_SLOW(handle_stress_against_model),
	{}
};

static struct kunit_suite mheap_handle_suite = {
	.name = "mheap_handle",
	.test_cases = mheap_handle_cases,
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

kunit_test_suites(&mheap_heap_suite, &mheap_object_suite, &mheap_handle_suite,
		  &mheap_ioctl_suite);

MODULE_DESCRIPTION("KUnit tests for mheap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

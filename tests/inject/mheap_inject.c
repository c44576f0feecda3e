// SPDX-License-Identifier: GPL-2.0
/*
 * mheap_inject: deliberate faults for proving the VM harness fails when it
 * should. Test-only, never part of mheap.ko. Load with fault=NAME:
 *   kunit  a KUnit case that fails
 *   warn   a WARN_ON at load (panic_on_warn turns it into a panic)
 *   leak   an allocation whose pointer is dropped (kmemleak must see it)
 *   hang   module init blocks forever in uninterruptible sleep
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *fault = "";
module_param(fault, charp, 0444);
MODULE_PARM_DESC(fault, "Fault to inject: kunit, warn, leak or hang");

static void inject_kunit_case(struct kunit *test)
{
	KUNIT_EXPECT_STRNEQ_MSG(test, fault, "kunit", "injected failure");
}

static struct kunit_case inject_cases[] = {
	KUNIT_CASE(inject_kunit_case),
	{}
};

static struct kunit_suite inject_suite = {
	.name = "mheap_inject",
	.test_cases = inject_cases,
};

kunit_test_suite(inject_suite);

static DECLARE_COMPLETION(never);

/*
 * Leak several blocks: a stale copy of the last pointer can survive in a
 * kernel stack that kmemleak scans (and so hide that block), but not of
 * the earlier ones.
 */
static void inject_leak(void)
{
	int i, leaked = 0;

	for (i = 0; i < 8; i++)
		leaked += kmalloc(1024, GFP_KERNEL) ? 1 : 0;
	pr_info("leaked %d blocks of 1024 bytes\n", leaked);
}

static int __init inject_init(void)
{
	pr_info("fault=%s\n", fault);
	if (!strcmp(fault, "warn"))
		WARN_ON(1);
	else if (!strcmp(fault, "leak"))
		inject_leak();
	else if (!strcmp(fault, "hang"))
		wait_for_completion(&never);
	return 0;
}

static void __exit inject_exit(void)
{
}

module_init(inject_init);
module_exit(inject_exit);

MODULE_DESCRIPTION("Deliberate faults for the mheap test harness");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * mheap_inject: deliberate faults for proving the VM harness fails when it
 * should. Test-only, never part of mheap.ko. Load with fault=NAME:
 *   kunit  a KUnit case that fails
 *   warn   a WARN_ON at load (panic_on_warn turns it into a panic)
 *   leak   an allocation whose pointer is dropped (kmemleak must see it)
 *   hang   module init blocks forever in uninterruptible sleep
 *   abba   two threads, on two CPUs, take two mutexes in opposite orders
 *          (one after the other, so that nothing deadlocks): lockdep
 *          must report the inversion
 *   race   two threads, on two CPUs at once, write one plain variable:
 *          KCSAN (the kcsan kernel) must report the data race, which it
 *          can only see when the threads really run at the same time
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *fault = "";
module_param(fault, charp, 0444);
MODULE_PARM_DESC(fault, "Fault to inject: kunit, warn, leak, hang, abba or race");

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

/* Run @fn in a thread on CPU @cpu (any, if it is not online). */
static struct task_struct *run_on(int (*fn)(void *), int cpu, const char *name)
{
	struct task_struct *t = kthread_create(fn, NULL, "%s", name);

	if (IS_ERR(t))
		return t;
	if (cpu_online(cpu))
		kthread_bind(t, cpu);
	wake_up_process(t);
	return t;
}

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static DECLARE_COMPLETION(ab_done);
static DECLARE_COMPLETION(ba_done);

static int take_ab(void *unused)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);
	complete(&ab_done);
	return 0;
}

static int take_ba(void *unused)
{
	wait_for_completion(&ab_done);
	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
	complete(&ba_done);
	return 0;
}

static void inject_abba(void)
{
	if (IS_ERR(run_on(take_ab, 0, "inject_ab")) ||
	    IS_ERR(run_on(take_ba, 1, "inject_ba")))
		return;
	wait_for_completion(&ba_done);
}

/* Written by both racers, on purpose without READ_ONCE()/WRITE_ONCE(). */
static unsigned long racy;
static atomic_t racers;
static DECLARE_COMPLETION(race_done);

static int race(void *unused)
{
	unsigned long end;

	/* start together */
	atomic_inc(&racers);
	while (atomic_read(&racers) < 2)
		cpu_relax();
	end = jiffies + 2 * HZ;
	while (time_before(jiffies, end)) {
		racy++;
		cond_resched();
	}
	if (atomic_dec_and_test(&racers))
		complete(&race_done);
	return 0;
}

static void inject_race(void)
{
	if (IS_ERR(run_on(race, 0, "inject_race0")) ||
	    IS_ERR(run_on(race, 1, "inject_race1")))
		return;
	wait_for_completion(&race_done);
	pr_info("racy=%lu\n", racy);
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
	else if (!strcmp(fault, "abba"))
		inject_abba();
	else if (!strcmp(fault, "race"))
		inject_race();
	return 0;
}

static void __exit inject_exit(void)
{
}

module_init(inject_init);
module_exit(inject_exit);

MODULE_DESCRIPTION("Deliberate faults for the mheap test harness");
MODULE_LICENSE("GPL");

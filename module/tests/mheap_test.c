// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for mheap.ko, run when this module is loaded. The core's
 * cases are shared with the host tests (see core_test.h).
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/mheap.h>
#include <linux/uaccess.h>

#include "../ioctl.h"
#include "../events.h"
#include "../user.h"
#include "heap_cases.c"
#include "object_cases.c"
#include "handle_cases.c"
#include "gc_cases.c"
#include "weak_cases.c"
#include "scope_cases.c"
#include "names_cases.c"

/*
 * Collections racing with mutations: two threads, each with its own client
 * on one heap, allocate, link, dup and close at random while this thread
 * collects random generations and the workqueue collects on its own (low
 * thresholds). At the end, a full collection must leave exactly the
 * objects reachable from the two clients' handles.
 */
#define RACE_OPS	100000
#define RACE_HANDLES	128

struct race_thread {
	struct mheap_client *client;
	u64 rnd;
	int err;
	int ops;
	bool done;
	u32 handles[RACE_HANDLES];
	int n;
};

static int race_op(struct race_thread *r)
{
	unsigned int op = core_rand(&r->rnd) % 8;
	int h = r->n ? core_rand(&r->rnd) % r->n : -1;
	u32 value;
	int err;

	if (h < 0 || (op < 3 && r->n < RACE_HANDLES)) {
		if (r->n == RACE_HANDLES)
			return 0;
		err = mheap_handle_alloc(r->client, core_rand(&r->rnd) % 100,
					 core_rand(&r->rnd) % 4, 0, &value);
		if (!err)
			r->handles[r->n++] = value;
		return err;
	}
	if (op < 4 && r->n < RACE_HANDLES) {
		err = mheap_handle_dup(r->client, r->handles[h], &value);
		if (!err)
			r->handles[r->n++] = value;
		return err;
	}
	if (op < 7) {
		u32 t = r->handles[core_rand(&r->rnd) % r->n];

		err = mheap_handle_set_slot(r->client, r->handles[h],
					    core_rand(&r->rnd) % 4, t);
		return err == -EINVAL ? 0 : err;
	}
	err = mheap_handle_close(r->client, r->handles[h]);
	r->handles[h] = r->handles[--r->n];
	return err;
}

/*
 * Whether the mutators really ran at once: how often one wanted the heap
 * while the other was inside, and on which CPUs (issue 16: on one CPU
 * without preemption they never did, and nothing said so).
 */
static atomic_t race_inside = ATOMIC_INIT(0);
static atomic_t race_overlaps = ATOMIC_INIT(0);
static unsigned long race_cpus;

static int race_mutator(void *arg)
{
	struct race_thread *r = arg;
	int i;

	for (i = 0; i < RACE_OPS && !r->err; i++) {
		if (atomic_inc_return(&race_inside) > 1) {
			atomic_inc(&race_overlaps);
			set_bit(raw_smp_processor_id() % BITS_PER_LONG,
				&race_cpus);
		}
		mheap_lock(r->client->heap);
		r->err = race_op(r);
		mheap_unlock(r->client->heap);
		atomic_dec(&race_inside);
		cond_resched();
	}
	r->ops = i;
	WRITE_ONCE(r->done, true);
	while (!kthread_should_stop())
		usleep_range(1000, 2000);
	return 0;
}

/* Mark from every handle of @clients; returns how many objects. */
static u64 race_mark(struct mheap *heap, struct mheap_client **clients,
		     unsigned int nclients, u32 *stack)
{
	struct mheap_object *obj, *t;
	unsigned int c, i, j;
	u64 n = 0;
	u32 top;

	for (c = 0; c < nclients; c++) {
		for (i = 0; i < clients[c]->used; i++) {
			struct mheap_handle *h = &clients[c]->table[i];

			if (h->tag & MHEAP_HANDLE_FREE)
				continue;
			obj = mheap_object_ptr(heap, h->obj);
			if (obj->flags & MHEAP_OBJ_REACHABLE)
				continue;
			obj->flags |= MHEAP_OBJ_REACHABLE;
			top = 0;
			stack[top++] = h->obj;
			while (top) {
				obj = mheap_object_ptr(heap, stack[--top]);
				n++;
				for (j = 0; j < obj->nrefs; j++) {
					if (!obj->slots[j])
						continue;
					t = mheap_object_ptr(heap, obj->slots[j]);
					if (t->flags & MHEAP_OBJ_REACHABLE)
						continue;
					t->flags |= MHEAP_OBJ_REACHABLE;
					stack[top++] = obj->slots[j];
				}
			}
		}
	}
	return n;
}

/*
 * The race, with @explicit collections from this thread besides the
 * workqueue's, and automatic collections in increments of @increment.
 */
static void race_run(struct kunit *test, bool explicit, unsigned int increment)
{
	unsigned int saved = mheap_gc_increment;
	static const u32 th[MHEAP_GENERATIONS] = { 50, 5, 5 };
	struct mheap_client *clients[2];
	struct race_thread *r;
	struct task_struct *tasks[2];
	struct mheap *heap;
	u64 collections = 0, rnd = 42, reachable;
	unsigned int i;
	u32 *stack;

	mheap_gc_increment = increment;
	r = kunit_kcalloc(test, 2, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	atomic_set(&race_overlaps, 0);
	race_cpus = 0;
	heap = mheap_create(SZ_1M * 16, SZ_1G);
	KUNIT_ASSERT_NOT_NULL(test, heap);
	mheap_lock(heap);
	mheap_gc_set_threshold(heap, th);
	mheap_unlock(heap);
	for (i = 0; i < 2; i++) {
		clients[i] = mheap_client_create(heap);
		KUNIT_ASSERT_NOT_NULL(test, clients[i]);
		r[i].client = clients[i];
		r[i].rnd = i + 1;
		tasks[i] = kthread_run(race_mutator, &r[i], "mheap_race%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(tasks[i]));
	}
	while (!READ_ONCE(r[0].done) || !READ_ONCE(r[1].done)) {
		unsigned int gen = core_rand(&rnd) % MHEAP_GENERATIONS;

		if (explicit) {
			mheap_lock(heap);
			KUNIT_EXPECT_GE(test, mheap_gc_collect(heap, gen), 0L);
			mheap_unlock(heap);
			collections++;
		}
		usleep_range(1000, 2000);
	}
	for (i = 0; i < 2; i++) {
		kthread_stop(tasks[i]);
		KUNIT_EXPECT_EQ(test, r[i].err, 0);
		KUNIT_EXPECT_EQ(test, r[i].ops, RACE_OPS);
	}
	flush_work(&heap->gc.work.work);
	mheap_lock(heap);
	KUNIT_EXPECT_GE(test, mheap_gc_collect(heap, 2), 0L);
	stack = kvcalloc(mheap_objects_live(heap) + 1, sizeof(*stack), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, stack);
	reachable = race_mark(heap, clients, 2, stack);
	kvfree(stack);
	KUNIT_EXPECT_EQ(test, reachable, mheap_objects_live(heap));
	kunit_info(test, "%llu explicit and %llu total collections, %llu increments",
		   collections, heap->gc.stats[0].collections +
		   heap->gc.stats[1].collections + heap->gc.stats[2].collections,
		   heap->gc.increments);
	/* without explicit ones, old generations went in many increments */
	if (!explicit)
		KUNIT_EXPECT_GT(test, heap->gc.increments,
				2 * (heap->gc.stats[1].collections +
				     heap->gc.stats[2].collections));
	kunit_info(test, "mutators overlapped %d times, on %d CPU(s)",
		   atomic_read(&race_overlaps), (int)hweight_long(race_cpus));
	KUNIT_EXPECT_GT(test, atomic_read(&race_overlaps), 0);
	KUNIT_EXPECT_GE(test, (int)hweight_long(race_cpus),
			min_t(int, num_online_cpus(), 2));
	for (i = 0; i < 2; i++)
		mheap_client_destroy(clients[i]);
	/* whatever is left is cycles: a full collection takes it all */
	mheap_gc_collect(heap, 2);
	KUNIT_EXPECT_EQ(test, mheap_objects_live(heap), 0);
	mheap_unlock(heap);
	mheap_destroy(heap);
	mheap_gc_increment = saved;
}

static void gc_races_with_mutators(struct kunit *test)
{
	race_run(test, true, MHEAP_GC_INCREMENT);
}

/*
 * Increments race with the mutators: nothing but the workqueue collects,
 * in increments of 64 units of work, between which both mutators run.
 */
static void gc_increments_race_with_mutators(struct kunit *test)
{
	race_run(test, false, 64);
}

static struct kunit_case mheap_gc_race_cases[] = {
	KUNIT_CASE_SLOW(gc_races_with_mutators),
	KUNIT_CASE_SLOW(gc_increments_race_with_mutators),
	{}
};

static struct kunit_suite mheap_gc_race_suite = {
	.name = "mheap_gc_race",
	.test_cases = mheap_gc_race_cases,
};

static void version_reports_uapi_version(struct kunit *test)
{
	struct mheap_version v = { .version = 99, .features = ~0ULL };

	KUNIT_ASSERT_EQ(test, mheap_ioc_version(NULL, &v), 0);
	KUNIT_EXPECT_EQ(test, v.version, MHEAP_UAPI_VERSION);
	KUNIT_EXPECT_EQ(test, v.features, MHEAP_FEATURE_BATCH | MHEAP_FEATURE_CLIENTS |
			MHEAP_FEATURE_WEAK | MHEAP_FEATURE_SCOPES |
			MHEAP_FEATURE_NAMES | MHEAP_FEATURE_EVENTS |
			MHEAP_FEATURE_MMAP | MHEAP_FEATURE_BATCH_REFS);
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

/*
 * The growth of argument structs, on an ioctl of the tests' own: its first
 * published size holds @a; the kernel's struct has since grown @b and @c.
 */
struct grown_v0 {
	__u64 a;
};

struct grown {
	__u64 a;
	__u64 b;
	__u32 c;
	__u32 pad;
};

/* What the handler saw, and how often it ran. */
static struct grown grown_seen;
static int grown_calls;

static long grown_handler(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct grown *g = arg;

	grown_seen = *g;
	grown_calls++;
	if (g->a == 99)
		return -ENOENT;
	g->a++;
	g->b++;
	g->c = 7;
	return 0;
}

static const struct mheap_ioc_desc grown_desc = {
	.cmd = _IOWR(MHEAP_IOC_MAGIC, 0x7f, struct grown),
	.min_size = sizeof(struct grown_v0),
	.fn = grown_handler,
};

#define GROWN_USER_BYTES	64
#define GROWN_MARK		0xa5

/*
 * Call grown_desc with a caller's struct of @usize bytes, whose bytes come
 * from @in (the rest of the user page is GROWN_MARK); the page after the
 * call is in @out.
 */
static long grown_call(struct kunit *test, size_t usize, const void *in,
		       size_t in_len, u8 *out)
{
	struct mheap_ioc_ctx ctx = {};
	unsigned long addr;
	u8 page[GROWN_USER_BYTES];
	void __user *u;
	long ret;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "no user memory");
	u = (void __user *)addr;
	memset(page, GROWN_MARK, sizeof(page));
	memcpy(page, in, in_len);
	KUNIT_ASSERT_EQ(test, copy_to_user(u, page, sizeof(page)), 0);
	memset(&grown_seen, 0xff, sizeof(grown_seen));
	grown_calls = 0;
	ret = mheap_ioc_call(&grown_desc, &ctx,
			     _IOC(_IOC_READ | _IOC_WRITE, MHEAP_IOC_MAGIC, 0x7f,
				  usize), u);
	KUNIT_ASSERT_EQ(test, copy_from_user(out, u, GROWN_USER_BYTES), 0);
	return ret;
}

/* An older caller: missing fields read as zero, nothing past it written. */
static void ioc_older_caller(struct kunit *test)
{
	struct grown_v0 v0 = { .a = 5 };
	u8 out[GROWN_USER_BYTES];
	size_t i;

	KUNIT_ASSERT_EQ(test, grown_call(test, sizeof(v0), &v0, sizeof(v0), out), 0);
	KUNIT_EXPECT_EQ(test, grown_calls, 1);
	KUNIT_EXPECT_EQ(test, grown_seen.a, 5);
	KUNIT_EXPECT_EQ(test, grown_seen.b, 0);
	KUNIT_EXPECT_EQ(test, grown_seen.c, 0);
	memcpy(&v0, out, sizeof(v0));
	KUNIT_EXPECT_EQ(test, v0.a, 6);
	for (i = sizeof(v0); i < sizeof(out); i++)
		KUNIT_EXPECT_EQ_MSG(test, out[i], GROWN_MARK, "byte %zu", i);
}

/* The caller of this build: every field in and out. */
static void ioc_current_caller(struct kunit *test)
{
	struct grown g = { .a = 1, .b = 2, .c = 3 };
	u8 out[GROWN_USER_BYTES];

	KUNIT_ASSERT_EQ(test, grown_call(test, sizeof(g), &g, sizeof(g), out), 0);
	KUNIT_EXPECT_EQ(test, grown_seen.b, 2);
	KUNIT_EXPECT_EQ(test, grown_seen.c, 3);
	memcpy(&g, out, sizeof(g));
	KUNIT_EXPECT_EQ(test, g.a, 2);
	KUNIT_EXPECT_EQ(test, g.b, 3);
	KUNIT_EXPECT_EQ(test, g.c, 7);
	KUNIT_EXPECT_EQ(test, out[sizeof(g)], GROWN_MARK);
}

/* A newer caller: unknown fields must be zero, and are left alone. */
static void ioc_newer_caller(struct kunit *test)
{
	struct { struct grown g; __u64 future; } n = { { .a = 1 }, 0 };
	u8 out[GROWN_USER_BYTES];

	KUNIT_ASSERT_EQ(test, grown_call(test, sizeof(n), &n, sizeof(n), out), 0);
	memcpy(&n, out, sizeof(n));
	KUNIT_EXPECT_EQ(test, n.g.a, 2);
	KUNIT_EXPECT_EQ(test, n.future, 0);

	n.g.a = 1;
	n.future = 1;
	KUNIT_EXPECT_EQ(test, grown_call(test, sizeof(n), &n, sizeof(n), out),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, grown_calls, 0);
	KUNIT_EXPECT_EQ(test, memcmp(out, &n, sizeof(n)), 0);
}

/* Shorter than the first published size; a failing handler. */
static void ioc_short_caller_and_errors(struct kunit *test)
{
	struct grown g = { .a = 99, .b = 2 };
	u8 out[GROWN_USER_BYTES];

	KUNIT_EXPECT_EQ(test, grown_call(test, 4, &g, sizeof(g), out), -EINVAL);
	KUNIT_EXPECT_EQ(test, grown_calls, 0);
	/* a failed call copies nothing back */
	KUNIT_EXPECT_EQ(test, grown_call(test, sizeof(g), &g, sizeof(g), out),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, grown_calls, 1);
	KUNIT_EXPECT_EQ(test, memcmp(out, &g, sizeof(g)), 0);
}

/*
 * Subscriber numbers of event subscriptions are never reused: once they are
 * used up, SUBSCRIBE fails, rather than hand one client another's records
 * (found by a helper's review: 2^32 subscriptions wrapped the counter).
 */
static void events_subscriber_numbers_never_wrap(struct kunit *test)
{
	struct mheap_events ev = { .op = MHEAP_EVENTS_SUBSCRIBE, .capacity = 1 };
	struct mheap_events un = { .op = MHEAP_EVENTS_UNSUBSCRIBE };
	struct mheap_instance *inst;
	struct mheap_file *f;

	inst = kunit_kzalloc(test, sizeof(*inst), GFP_KERNEL);
	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, inst);
	KUNIT_ASSERT_NOT_NULL(test, f);
	inst->heap = mheap_create(SZ_1M, SZ_1G);
	KUNIT_ASSERT_NOT_NULL(test, inst->heap);
	mheap_events_init(inst);
	f->inst = inst;
	f->client = mheap_client_create(inst->heap);
	KUNIT_ASSERT_NOT_NULL(test, f->client);
	mheap_events_file_init(f);
	mheap_lock(inst->heap);
	inst->next_subscriber = U32_MAX - 1;
	KUNIT_EXPECT_EQ(test, mheap_events_ioctl(f, &ev), 0);
	KUNIT_EXPECT_EQ(test, f->client->subscriber, U32_MAX - 1);
	KUNIT_EXPECT_EQ(test, mheap_events_ioctl(f, &un), 0);
	KUNIT_EXPECT_EQ(test, mheap_events_ioctl(f, &ev), -EOVERFLOW);
	KUNIT_EXPECT_NULL(test, f->events);
	KUNIT_EXPECT_EQ(test, f->client->subscriber, 0);
	mheap_client_destroy(f->client);
	mheap_unlock(inst->heap);
	mheap_destroy(inst->heap);
}

static struct kunit_case mheap_ioctl_cases[] = {
	KUNIT_CASE(events_subscriber_numbers_never_wrap),
	KUNIT_CASE(version_reports_uapi_version),
	KUNIT_CASE(version_rejects_flags),
	KUNIT_CASE(ioc_older_caller),
	KUNIT_CASE(ioc_current_caller),
	KUNIT_CASE(ioc_newer_caller),
	KUNIT_CASE(ioc_short_caller_and_errors),
	{}
};

static struct kunit_suite mheap_ioctl_suite = {
	.name = "mheap_ioctl",
	.test_cases = mheap_ioctl_cases,
};

/* Two uids no process of the test VM runs as. */
#define TEST_UID_A	KUIDT_INIT(3000000001U)
#define TEST_UID_B	KUIDT_INIT(3000000002U)

/* Each user may hold max_heaps_per_user heaps; one more is -EMFILE. */
static void user_heap_limit(struct kunit *test)
{
	unsigned int saved = mheap_max_heaps_per_user;
	struct mheap_user *a[3], *b, *again;
	unsigned int i;

	mheap_max_heaps_per_user = ARRAY_SIZE(a);
	for (i = 0; i < ARRAY_SIZE(a); i++) {
		a[i] = mheap_user_charge(TEST_UID_A);
		KUNIT_ASSERT_FALSE(test, IS_ERR(a[i]));
	}
	KUNIT_EXPECT_PTR_EQ(test, a[1], a[0]);
	KUNIT_EXPECT_EQ(test, PTR_ERR(mheap_user_charge(TEST_UID_A)), -EMFILE);
	/* another user has a count of its own */
	b = mheap_user_charge(TEST_UID_B);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	KUNIT_EXPECT_PTR_NE(test, b, a[0]);
	/* a heap gone makes room for one */
	mheap_user_uncharge(a[2]);
	again = mheap_user_charge(TEST_UID_A);
	KUNIT_ASSERT_FALSE(test, IS_ERR(again));
	KUNIT_EXPECT_EQ(test, PTR_ERR(mheap_user_charge(TEST_UID_A)), -EMFILE);
	mheap_user_uncharge(again);
	mheap_user_uncharge(a[1]);
	mheap_user_uncharge(a[0]);
	mheap_user_uncharge(b);
	/* a limit of zero refuses a user without heaps too */
	mheap_max_heaps_per_user = 0;
	KUNIT_EXPECT_EQ(test, PTR_ERR(mheap_user_charge(TEST_UID_A)), -EMFILE);
	mheap_max_heaps_per_user = saved;
}

static struct kunit_case mheap_limits_cases[] = {
	KUNIT_CASE(user_heap_limit),
	{}
};

static struct kunit_suite mheap_limits_suite = {
	.name = "mheap_limits",
	.test_cases = mheap_limits_cases,
};

/* the core's suites are defined at the end of their *_cases.c */
kunit_test_suites(&mheap_heap_suite, &mheap_object_suite, &mheap_handle_suite,
		  &mheap_gc_suite, &mheap_gc_race_suite, &mheap_weak_suite,
		  &mheap_scope_suite, &mheap_names_suite, &mheap_ioctl_suite,
		  &mheap_limits_suite);

MODULE_DESCRIPTION("KUnit tests for mheap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

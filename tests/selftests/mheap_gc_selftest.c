// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of /dev/mheap: the cycle collector, its controls and its
 * statistics, against CPython's own values where the model maps.
 *
 * Run in the VM (debug and stock kernels, as root and as an unprivileged
 * user, 64-bit and 32-bit) with the kernel's kselftest harness; see
 * Documentation/testing.rst, "How to add a test".
 */
#define _GNU_SOURCE

#include "mheap_util.h"

TEST_F(heap, cycle_survives_refcounting_then_collected)
{
	struct mheap_gc_stats g;
	uint64_t n = 0;
	uint32_t a, b;

	ASSERT_EQ(0, mheap_gc_enable(self->mh, 0));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &a));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, a, 0, b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, b, 0, a));
	ASSERT_EQ(0, mheap_release(self->mh, a));
	ASSERT_EQ(0, mheap_release(self->mh, b));
	EXPECT_EQ(2ULL, live(self->mh));
	ASSERT_EQ(0, mheap_collect(self->mh, 0, &n));
	EXPECT_EQ(2ULL, n);
	EXPECT_EQ(0ULL, live(self->mh));
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &g));
	EXPECT_EQ(0U, g.state & MHEAP_GC_STATE_ENABLED);
	EXPECT_EQ(1ULL, g.gen[0].collections);
	EXPECT_EQ(2ULL, g.gen[0].collected);
}

TEST_F(heap, automatic_collection)
{
	uint32_t t[3] = { 10, 10, 10 }, a, b;
	struct mheap_gc_stats st;
	struct mheap_config c;
	int i, tries;

	ASSERT_EQ(0, mheap_set_threshold(self->mh, t));
	ASSERT_EQ(0, mheap_get_config(self->mh, &c));
	EXPECT_EQ(10U, c.threshold[0]);
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &a));
		ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &b));
		ASSERT_EQ(0, mheap_set_slot(self->mh, a, 0, b));
		ASSERT_EQ(0, mheap_set_slot(self->mh, b, 0, a));
		ASSERT_EQ(0, mheap_release(self->mh, a));
		ASSERT_EQ(0, mheap_release(self->mh, b));
	}
	/*
	 * The workqueue collector runs on its own (within 10 s, on a busy
	 * VM). Running beside the loop (on another CPU, or preempting it), a
	 * collection of generation 0 may find the pair being built alive and
	 * move it to generation 1, which these few collections never reach:
	 * at most 2 such objects per collection, and up to threshold 0 dead
	 * ones not yet collected.
	 */
	for (tries = 0; tries < 1000; tries++) {
		ASSERT_EQ(0, mheap_gc_stats(self->mh, &st));
		if (st.gen[0].collections &&
		    live(self->mh) <= t[0] + 2 * st.gen[0].collections)
			break;
		usleep(10000);
	}
	EXPECT_NE(0, st.gen[0].collections);
	EXPECT_GE(t[0] + 2 * st.gen[0].collections, live(self->mh));
	EXPECT_GT(100ULL, live(self->mh));
}

TEST_F(heap, gc_controls)
{
	uint32_t a, b, hs[4], total = 0;
	struct mheap_gc_stats g;
	uint64_t n = 0;

	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &a));
	ASSERT_EQ(0, mheap_gc_freeze(self->mh));
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &g));
	EXPECT_EQ(1ULL, g.freeze_count);
	ASSERT_EQ(0, mheap_gc_unfreeze(self->mh));
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &g));
	EXPECT_EQ(0ULL, g.freeze_count);
	ASSERT_EQ(0, mheap_release(self->mh, a));

	ASSERT_EQ(0, mheap_gc_set_save_all(self->mh, 1));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &a));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, a, 0, b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, b, 0, a));
	ASSERT_EQ(0, mheap_release(self->mh, a));
	ASSERT_EQ(0, mheap_release(self->mh, b));
	ASSERT_EQ(0, mheap_collect(self->mh, 2, &n));
	EXPECT_EQ(2ULL, n);
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &g));
	EXPECT_EQ(2ULL, g.garbage);
	EXPECT_EQ(MHEAP_GC_STATE_ENABLED | MHEAP_GC_STATE_SAVE_ALL, g.state);
	EXPECT_EQ(2ULL, live(self->mh));
	/* the garbage list, as handles; then release it */
	ASSERT_EQ(2, mheap_garbage(self->mh, hs, 4, &total));
	EXPECT_EQ(2U, total);
	ASSERT_EQ(0, mheap_release(self->mh, hs[0]));
	ASSERT_EQ(0, mheap_release(self->mh, hs[1]));
	ASSERT_EQ(0, mheap_gc_set_save_all(self->mh, 0));
	ASSERT_EQ(0, mheap_gc_release_garbage(self->mh, &n));
	EXPECT_EQ(2ULL, n);
	/* off the list, the cycle is ordinary garbage for the next collection */
	EXPECT_EQ(2ULL, live(self->mh));
	ASSERT_EQ(0, mheap_collect(self->mh, 2, &n));
	EXPECT_EQ(2ULL, n);
	EXPECT_EQ(0ULL, live(self->mh));
}

TEST_F(heap, referents_and_referrers)
{
	uint32_t a, b, c, hs[8], total = 0;
	struct mheap_info i;

	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 3, 0, &a));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 0, &b));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 0, 0, &c));
	ASSERT_EQ(0, mheap_set_slot(self->mh, a, 0, b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, a, 2, c));
	ASSERT_EQ(0, mheap_set_slot(self->mh, b, 0, c));
	ASSERT_EQ(2, mheap_referents(self->mh, a, hs, 8, &total));
	EXPECT_EQ(2U, total);
	ASSERT_EQ(0, mheap_info(self->mh, hs[1], &i));
	EXPECT_EQ(0U, i.nrefs);		/* c */
	ASSERT_EQ(2, mheap_referrers(self->mh, c, hs + 2, 8, &total));
	/* counting only */
	ASSERT_EQ(0, mheap_referrers(self->mh, c, NULL, 0, &total));
	EXPECT_EQ(2U, total);
	ASSERT_EQ(0, mheap_info(self->mh, c, &i));
	EXPECT_EQ(4U, i.refcnt);	/* handle, 2 slots, referents' handle */
}

/*
 * Concurrency: processes of threads on one heap, each thread keeping a
 * ring of objects (a cycle, reachable only through its head handle) that
 * it rebuilds piece by piece while making garbage cycles, with the
 * collector's work item running all along (thresholds of 1). Each ring
 * is walked and checked (every member's cookie, in order, back to the
 * head) as it changes: nothing reachable is ever freed. At the end,
 * with every client closed, a full collection leaves nothing: everything
 * that survived was reachable.
 */
#define RING		8
#define RING_PROCS	3
#define RING_THREADS	3

struct ring_arg {
	struct mheap *mh;
	uint64_t tag;
	int rounds;
	int errors;
};

/* The ring from @head: RING members whose cookies are tag * 16 + i. */
static int ring_check(struct mheap *mh, uint32_t head, uint64_t tag)
{
	struct mheap_info info;
	uint32_t cur = 0, nxt;
	int i, err = mheap_dup(mh, head, &cur);

	for (i = 0; !err; i++) {
		err = mheap_info(mh, cur, &info);
		if (!err && info.cookie != tag * 16 + i % RING)
			err = -EIO;
		if (err || i == RING)
			break;
		err = mheap_get_slot(mh, cur, 0, &nxt);
		if (!err && !nxt)
			err = -EIO;
		mheap_release(mh, cur);
		cur = err ? 0 : nxt;
	}
	if (cur)
		mheap_release(mh, cur);
	return err;
}

static void *ring_keeper(void *p)
{
	struct ring_arg *t = p;
	uint32_t m[RING], head, x, y;
	int r, i, k;

	for (i = 0; i < RING; i++)
		t->errors += !!mheap_alloc(t->mh, 8, 1, t->tag * 16 + i, &m[i]);
	if (t->errors)
		return NULL;
	for (i = 0; i < RING; i++)
		t->errors += !!mheap_set_slot(t->mh, m[i], 0, m[(i + 1) % RING]);
	head = m[0];
	for (i = 1; i < RING; i++)
		t->errors += !!mheap_release(t->mh, m[i]);
	for (r = 0; r < t->rounds && !t->errors; r++) {
		/* replace member k (1..RING-1) by a new object */
		k = 1 + r % (RING - 1);
		t->errors += !!mheap_dup(t->mh, head, &x);
		for (i = 1; i < k; i++) {
			t->errors += !!mheap_get_slot(t->mh, x, 0, &y);
			mheap_release(t->mh, x);
			x = y;
		}
		/* x is member k - 1; its successor is replaced */
		t->errors += !!mheap_get_slot(t->mh, x, 0, &y);
		t->errors += !!mheap_alloc(t->mh, 8, 1, t->tag * 16 + k, &m[0]);
		t->errors += !!mheap_get_slot(t->mh, y, 0, &m[1]);
		t->errors += !!mheap_set_slot(t->mh, m[0], 0, m[1]);
		t->errors += !!mheap_set_slot(t->mh, x, 0, m[0]);
		mheap_release(t->mh, m[1]);
		mheap_release(t->mh, m[0]);
		mheap_release(t->mh, x);
		/* the old member now dangles in a garbage cycle with itself */
		t->errors += !!mheap_set_slot(t->mh, y, 0, y);
		mheap_release(t->mh, y);
		if (ring_check(t->mh, head, t->tag))
			t->errors++;
	}
	mheap_release(t->mh, head);
	return NULL;
}

static int ring_process(int fd, int proc)
{
	struct ring_arg args[RING_THREADS];
	pthread_t threads[RING_THREADS];
	struct mheap *mh;
	int i, errors = 0;

	if (mheap_from_fd(fd, &mh))
		return 1;
	for (i = 0; i < RING_THREADS; i++) {
		args[i] = (struct ring_arg){ .mh = mh, .tag = proc * 10 + i,
					     .rounds = 200 };
		if (pthread_create(&threads[i], NULL, ring_keeper, &args[i]))
			return 1;
	}
	for (i = 0; i < RING_THREADS; i++) {
		pthread_join(threads[i], NULL);
		errors += args[i].errors;
	}
	mheap_close(mh);
	return errors ? 1 : 0;
}

TEST_F(heap, rings_survive_concurrent_collector)
{
	const uint32_t low[3] = { 1, 1, 1 };
	struct mheap_heap_stats s;
	struct mheap_gc_stats gs;
	pid_t pids[RING_PROCS];
	int i, status, fd;

	ASSERT_EQ(0, mheap_set_threshold(self->mh, low));
	for (i = 0; i < RING_PROCS; i++) {
		fd = mheap_new_client(self->mh, 0);
		ASSERT_LE(0, fd);
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			_exit(ring_process(fd, i));
		close(fd);
	}
	for (i = 0; i < RING_PROCS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("process %d: status %#x", i, status);
	}
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &gs));
	/* the work item collected while they ran */
	EXPECT_LT(0ULL, gs.gen[0].collections);
	ASSERT_EQ(0, mheap_collect(self->mh, 2, NULL));
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &s));
	EXPECT_EQ(1U, s.clients);
	EXPECT_EQ(0ULL, s.objects_live);
}

/* ------------------------------------------------------------------------
 * The collector against CPython's own test suite (issue 16, 4)
 */

/* A self-cycle whose only handle is closed: garbage for the collector. */
static int dead_self_cycle(struct mheap *mh, uint32_t *weak)
{
	uint32_t x;

	return mheap_alloc(mh, 0, 1, 0, &x) ?: mheap_set_slot(mh, x, 0, x) ?:
	       (weak ? mheap_dup_weak(mh, x, weak) : 0) ?: mheap_release(mh, x);
}

static uint64_t collect(struct mheap *mh, unsigned int gen)
{
	uint64_t n = ~0ULL;

	return mheap_collect(mh, gen, &n) ? ~0ULL : n;
}

/* a: get_referrers() does not see the permanent generation. */
TEST_F(heap, gc_referrers_skip_frozen)
{
	uint32_t x, p, total = 99;

	ASSERT_EQ(0, mheap_gc_enable(self->mh, 0));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 0, 0, &x));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 0, &p));
	ASSERT_EQ(0, mheap_set_slot(self->mh, p, 0, x));
	ASSERT_EQ(0, mheap_gc_freeze(self->mh));
	EXPECT_EQ(0, mheap_referrers(self->mh, x, NULL, 0, &total));
	EXPECT_EQ(0, total);
	ASSERT_EQ(0, mheap_gc_unfreeze(self->mh));
	EXPECT_EQ(0, mheap_referrers(self->mh, x, NULL, 0, &total));
	EXPECT_EQ(1, total);
}

/* b, c: save-all counts as collected, and clears weak handles. */
TEST_F(heap, gc_save_all_as_cpython)
{
	struct mheap_gc_stats before, after;
	struct mheap_info info;
	uint32_t w;

	ASSERT_EQ(0, mheap_gc_enable(self->mh, 0));
	ASSERT_EQ(0, dead_self_cycle(self->mh, &w));
	ASSERT_EQ(0, mheap_gc_set_save_all(self->mh, 1));
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &before));
	EXPECT_EQ(1, collect(self->mh, 2));
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &after));
	EXPECT_EQ(before.gen[2].collected + 1, after.gen[2].collected);
	EXPECT_EQ(before.gen[2].uncollectable, after.gen[2].uncollectable);
	EXPECT_EQ(1, after.garbage);
	EXPECT_EQ(-ESTALE, mheap_info(self->mh, w, &info));
	EXPECT_EQ(0, mheap_release(self->mh, w));
	EXPECT_EQ(1, live(self->mh));
}

/* d: released garbage is in the oldest generation: 0, 0, then 1. */
TEST_F(heap, gc_released_garbage_is_old)
{
	uint64_t released;

	ASSERT_EQ(0, mheap_gc_enable(self->mh, 0));
	ASSERT_EQ(0, dead_self_cycle(self->mh, NULL));
	ASSERT_EQ(0, mheap_gc_set_save_all(self->mh, 1));
	EXPECT_EQ(1, collect(self->mh, 2));
	ASSERT_EQ(0, mheap_gc_set_save_all(self->mh, 0));
	ASSERT_EQ(0, mheap_gc_release_garbage(self->mh, &released));
	EXPECT_EQ(1, released);
	EXPECT_EQ(0, collect(self->mh, 0));
	EXPECT_EQ(0, collect(self->mh, 1));
	EXPECT_EQ(1, collect(self->mh, 2));
	EXPECT_EQ(0, live(self->mh));
}

/*
 * e: explicit and automatic collections mixed: thresholds 100, 3, 3, and
 * 5,000 times a self-cycle, collect(0), close. The dead cycles that
 * survived into generation 1 are collected on the automatic schedule;
 * they do not pile up (in CPython they do).
 */
TEST_F(heap, gc_explicit_collections_keep_schedule)
{
	static const uint32_t th[3] = { 100, 3, 3 };
	struct mheap_gc_stats st;
	uint64_t most = 0, n;
	uint32_t x;
	int i;

	ASSERT_EQ(0, mheap_set_threshold(self->mh, th));
	ASSERT_EQ(0, mheap_gc_enable(self->mh, 1));
	for (i = 0; i < 5000; i++) {
		ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 0, &x));
		ASSERT_EQ(0, mheap_set_slot(self->mh, x, 0, x));
		ASSERT_NE(~0ULL, collect(self->mh, 0));
		ASSERT_EQ(0, mheap_release(self->mh, x));
		n = live(self->mh);
		most = n > most ? n : most;
	}
	/*
	 * The work item runs soon after it is queued; on a loaded machine
	 * "soon" can be long (it once lagged 1,000 objects behind the loop
	 * on the stock VM), so wait up to 5 s for it.
	 */
	for (i = 0; i < 500; i++) {
		ASSERT_EQ(0, mheap_gc_stats(self->mh, &st));
		if (st.count[1] <= th[1] && st.count[2] <= th[2])
			break;
		usleep(10000);
	}
	TH_LOG("at most %llu objects alive at once; %llu collections of 1, %llu of 2",
	       (unsigned long long)most,
	       (unsigned long long)st.gen[1].collections,
	       (unsigned long long)st.gen[2].collections);
	EXPECT_LE(st.count[1], th[1]);
	EXPECT_NE(0, st.gen[1].collections);
	EXPECT_NE(0, st.gen[2].collections);
	/*
	 * Left: the cycles since the last collection of generation 1, and
	 * those that one found alive (the work item runs beside the loop)
	 * and moved to generation 2, at most one per collection of 1 since
	 * the last of 2.
	 */
	EXPECT_LE(live(self->mh), (uint64_t)th[1] + 1 + th[2] + 1 + 1);
	/*
	 * How far the work item lagged behind the loop (most, logged above)
	 * depends on the scheduler alone: not asserted, as a bound there
	 * failed under load.
	 */
}

/*
 * A failed ALLOC queues no collection, even with generation 0 over its
 * threshold already (a breaker's case: the work item, queued by the
 * undone allocation, collected the garbage that was due); the next ALLOC
 * that stands does, as CPython's next allocation would.
 */
TEST_F(heap, gc_failed_alloc_queues_nothing)
{
	static const uint32_t th[3] = { 5, 10, 10 };
	struct mheap_gc_stats st;
	struct mheap_alloc *ro;
	uint32_t x;
	int i;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &x));
		ASSERT_EQ(0, mheap_set_slot(self->mh, x, 0, x));
		ASSERT_EQ(0, mheap_release(self->mh, x));
	}
	ASSERT_EQ(0, mheap_set_threshold(self->mh, th));
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memset(ro, 0, sizeof(*ro));
	ro->size = 8;
	ro->nrefs = 1;
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-1, ioctl(mheap_fd(self->mh), MHEAP_IOC_ALLOC, ro));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, 4096);
	/* the work item runs within milliseconds when it is queued */
	usleep(300000);
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &st));
	EXPECT_EQ(0ULL, st.gen[0].collections);
	EXPECT_EQ(20ULL, live(self->mh));
	EXPECT_EQ(20U, st.count[0]);

	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &x));
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, mheap_gc_stats(self->mh, &st));
		if (st.gen[0].collections)
			break;
		usleep(10000);
	}
	EXPECT_EQ(1ULL, st.gen[0].collections);
	EXPECT_EQ(20ULL, st.gen[0].collected);
	EXPECT_EQ(1ULL, live(self->mh));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of /dev/mheap: MHEAP_IOC_BATCH.
 *
 * Run in the VM (debug and stock kernels, as root and as an unprivileged
 * user, 64-bit and 32-bit) with the kernel's kselftest harness; see
 * Documentation/testing.rst, "How to add a test".
 */
#define _GNU_SOURCE

#include "mheap_util.h"

TEST_F(heap, batch_results_and_stop)
{
	struct mheap_batch_buf b;
	uint32_t h[3], out;
	char in[8] = "batched", got[8] = "";
	int i;

	ASSERT_EQ(0, mheap_batch_init(&b, 16));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(i, mheap_batch_alloc(&b, 8, 1, i));
	ASSERT_EQ(3, mheap_batch_run(self->mh, &b, 0));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mheap_batch_result(&b, i, &h[i]));
	mheap_batch_reset(&b);
	mheap_batch_set_slot(&b, h[0], 0, h[1]);
	mheap_batch_write(&b, h[0], 0, in, 8);
	mheap_batch_read(&b, h[0], 0, got, 8);
	mheap_batch_close(&b, 9999);			/* fails: ENOENT */
	mheap_batch_get_slot(&b, h[0], 0);
	/* stop at the first failure: 4 processed, the 4th failed */
	ASSERT_EQ(4, mheap_batch_run(self->mh, &b, 0));
	EXPECT_STREQ("batched", got);
	EXPECT_EQ(-ENOENT, mheap_batch_result(&b, 3, NULL));
	EXPECT_EQ(0U, b.ops[4].out);			/* not run */
	/* go on after failures */
	ASSERT_EQ(5, mheap_batch_run(self->mh, &b, MHEAP_BATCH_CONTINUE));
	EXPECT_EQ(-ENOENT, mheap_batch_result(&b, 3, NULL));
	ASSERT_EQ(0, mheap_batch_result(&b, 4, &out));
	EXPECT_NE(0U, out);
	/* a bad operation in a batch: its own errno, nothing else changes */
	mheap_batch_reset(&b);
	mheap_batch_alloc(&b, 8, 0, 0);
	b.ops[0].handle = 1;				/* unused field set */
	mheap_batch_dup(&b, h[2], MHEAP_DUP_WEAK);
	b.count++;					/* op 2: zeroed, unknown */
	memset(&b.ops[2], 0, sizeof(b.ops[2]));
	ASSERT_EQ(3, mheap_batch_run(self->mh, &b, MHEAP_BATCH_CONTINUE));
	EXPECT_EQ(-EINVAL, mheap_batch_result(&b, 0, NULL));
	EXPECT_EQ(0, mheap_batch_result(&b, 1, &out));
	EXPECT_EQ(-EINVAL, mheap_batch_result(&b, 2, NULL));
	EXPECT_EQ(3ULL, live(self->mh));
	mheap_batch_free(&b);
}

/* Operations whose array runs into an unmapped page: the batch stops there. */
TEST_F(heap, batch_stops_at_unreadable_op)
{
	char *page = edge_page(PROT_READ | PROT_WRITE);
	size_t fit = page_size() / sizeof(struct mheap_op);
	struct mheap_op *ops = (struct mheap_op *)page;
	struct mheap_batch b = { .ops = (uintptr_t)ops, .count = fit + 5 };
	size_t i;

	ASSERT_NE(NULL, page);
	for (i = 0; i < fit; i++)
		ops[i] = (struct mheap_op){ .op = MHEAP_OP_ALLOC, .arg0 = 8 };
	ASSERT_EQ(0, xioctl(self->fd, MHEAP_IOC_BATCH, &b));
	EXPECT_EQ(fit, b.done);
	EXPECT_EQ(fit, live(self->mh));
	munmap(page, page_size());
}

/*
 * Operations whose results run into a read-only page: the batch stops
 * before the first operation whose result or out field cannot be written,
 * and none after it ran.
 */
TEST_F(heap, batch_stops_at_unwritable_result)
{
	size_t fit = page_size() / sizeof(struct mheap_op), count = fit + 5, i;
	char *p = mmap(NULL, 2 * page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mheap_op *ops = (struct mheap_op *)p;
	struct mheap_batch b = { .ops = (uintptr_t)ops, .count = count };
	struct mheap_heap_stats s;

	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < count; i++)
		ops[i] = (struct mheap_op){ .op = MHEAP_OP_ALLOC, .arg0 = 8 };
	ASSERT_EQ(0, mprotect(p + page_size(), page_size(), PROT_READ));
	ASSERT_EQ(0, xioctl(self->fd, MHEAP_IOC_BATCH, &b));
	/* the op straddling the boundary has its @out on the read-only page */
	EXPECT_EQ(fit, b.done);
	EXPECT_EQ(fit, live(self->mh));
	/* and it left no trace: run, its result unwritable, undone at once */
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &s));
	EXPECT_EQ(fit, s.objects_allocated);
	for (i = 0; i < fit; i++) {
		EXPECT_EQ(0, ops[i].result);
		EXPECT_NE(0, ops[i].out);
	}
	munmap(p, 2 * page_size());
}

/*
 * A batch of MHEAP_BATCH_MAX operations that cannot fail: set_slot on one
 * object of 8 slots, holding another or nothing in turn. Returns 0, or the
 * error that stopped its set-up.
 */
static int full_batch(struct mheap *mh, struct mheap_batch_buf *b)
{
	uint32_t obj, target, i;
	int err;

	err = mheap_alloc(mh, 0, 8, 0, &obj);
	if (!err)
		err = mheap_alloc(mh, 0, 0, 0, &target);
	if (!err)
		err = mheap_batch_init(b, MHEAP_BATCH_MAX);
	for (i = 0; !err && i < MHEAP_BATCH_MAX; i++)
		mheap_batch_set_slot(b, obj, i % 8, i & 1 ? 0 : target);
	return err;
}

/* Signals interrupt long batches; the library resumes them. */
TEST_F(heap, batch_interrupted_and_resumed)
{
	struct itimerval it = { { 0, 500 }, { 0, 500 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct mheap_batch_buf b;
	int interrupted = 0, done = 0, rounds;

	ASSERT_EQ(0, full_batch(self->mh, &b));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));	/* no SA_RESTART */
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	for (rounds = 0; rounds < 20 && !interrupted; rounds++) {
		struct mheap_batch hdr = { .ops = (uintptr_t)b.ops, .count = b.count };
		int err = xioctl(self->fd, MHEAP_IOC_BATCH, &hdr);

		if (err == EINTR || (!err && hdr.done < hdr.count))
			interrupted++;
		else
			ASSERT_EQ(0, err);
	}
	done = mheap_batch_run(self->mh, &b, 0);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	EXPECT_LT(0, interrupted) TH_LOG("%d alarms, no batch interrupted", alarms);
	EXPECT_EQ(MHEAP_BATCH_MAX, done);
	mheap_batch_free(&b);
}

/*
 * A batch progresses however often signals come: with a timer firing
 * every 10 us, a signal is pending whenever a call has set up a batch of
 * MHEAP_BATCH_MAX operations (its outcome table alone is 256 KiB), yet each
 * call runs a group of operations, and the library's resumed calls end the
 * batch. When a pending signal failed the call before its first
 * operation, this never ended on the debug kernel.
 */
TEST_F(heap, batch_progresses_under_signal_storm)
{
	struct itimerval it = { { 0, 10 }, { 0, 10 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct mheap_batch_buf b;
	int done;

	ASSERT_EQ(0, full_batch(self->mh, &b));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));	/* no SA_RESTART */
	alarms = 0;
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	done = mheap_batch_run(self->mh, &b, 0);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	TH_LOG("%d signals handled", (int)alarms);
	EXPECT_EQ(MHEAP_BATCH_MAX, done);
	EXPECT_LT(0, alarms);
	mheap_batch_free(&b);
}

/*
 * Batch-local references: a list of 100 nodes allocated and linked, walked
 * five steps and its temporaries closed, in one call (uapi: struct
 * mheap_op, MHEAP_FEATURE_BATCH_REFS).
 */
TEST_F(heap, batch_refs_build_walk_close)
{
	struct mheap_heap_stats st;
	struct mheap_batch_buf b;
	uint32_t i, head, walk, n = 100;
	uint64_t features;
	uint32_t version;

	ASSERT_EQ(0, mheap_version(self->mh, &version, &features));
	ASSERT_TRUE(features & MHEAP_FEATURE_BATCH_REFS);
	ASSERT_EQ(0, mheap_batch_init(&b, 512));
	for (i = 0; i < n; i++)
		ASSERT_EQ(i, mheap_batch_alloc(&b, 8, 1, 1000 + i));
	for (i = 0; i + 1 < n; i++)
		mheap_batch_set_slot(&b, MHEAP_BATCH_REF(i), 0,
				     MHEAP_BATCH_REF(i + 1));
	walk = mheap_batch_get_slot(&b, MHEAP_BATCH_REF(0), 0);
	for (i = 0; i < 4; i++)
		walk = mheap_batch_get_slot(&b, MHEAP_BATCH_REF(walk), 0);
	head = mheap_batch_dup(&b, MHEAP_BATCH_REF(walk), 0);
	for (i = 0; i < 5; i++)				/* the walk's handles */
		mheap_batch_close(&b, MHEAP_BATCH_REF(walk - i));
	for (i = 1; i < n; i++)				/* all but node 0 */
		mheap_batch_close(&b, MHEAP_BATCH_REF(i));
	ASSERT_EQ((int)b.count, mheap_batch_run(self->mh, &b, 0));
	for (i = 0; i < b.count; i++)
		ASSERT_EQ(0, b.ops[i].result) TH_LOG("operation %u", i);
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &st));
	EXPECT_EQ(n, st.objects_live);
	EXPECT_EQ(2, st.handles);			/* node 0, node 5 */
	{
		struct mheap_info info;
		uint32_t h0, h5;

		ASSERT_EQ(0, mheap_batch_result(&b, 0, &h0));
		ASSERT_EQ(0, mheap_batch_result(&b, head, &h5));
		ASSERT_EQ(0, mheap_info(self->mh, h5, &info));
		EXPECT_EQ(1005, info.cookie);
		ASSERT_EQ(0, mheap_release(self->mh, h0));
		ASSERT_EQ(0, mheap_heap_stats(self->mh, &st));
		EXPECT_EQ(n - 5, st.objects_live);	/* 5 onwards */
		ASSERT_EQ(0, mheap_release(self->mh, h5));
	}
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &st));
	EXPECT_EQ(0, st.objects_live);
	mheap_batch_free(&b);
}

/*
 * A reference to an operation of an earlier chunk of 16 takes what the
 * batch wrote, not what the array holds by then: here a READ of the same
 * batch overwrites operation 0's @result and @out in the array with
 * another handle (found by a breaker: it once took the array's).
 */
TEST_F(heap, batch_refs_take_what_the_batch_wrote)
{
	struct mheap_op ops[17] = { 0 };
	struct mheap_batch hdr = { .ops = (uintptr_t)ops, .count = 17,
				   .flags = MHEAP_BATCH_CONTINUE };
	/* what READs copy over operation 0: its @result, then its @out */
	struct { int32_t result; uint32_t pad; uint64_t out; } forged;
	struct mheap_info info;
	uint32_t x, p, i, round;

	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 0, 555, &x));
	ASSERT_EQ(0, mheap_alloc(self->mh, sizeof(forged), 0, 0, &p));
	forged.result = 0;
	forged.pad = 0;
	forged.out = x;
	ASSERT_EQ(0, mheap_write(self->mh, p, 0, &forged, sizeof(forged)));
	for (round = 0; round < 2; round++) {
		/* round 0: an ALLOC; round 1: a DUP that fails */
		if (round)
			ops[0] = (struct mheap_op){ .op = MHEAP_OP_DUP,
						    .handle = 0x7777 };
		else
			ops[0] = (struct mheap_op){ .op = MHEAP_OP_ALLOC,
						    .arg0 = 8, .arg2 = 31 };
		ops[1] = (struct mheap_op){
			.op = MHEAP_OP_READ, .handle = p, .arg0 = 8, .arg1 = 8,
			.arg2 = (uintptr_t)&ops[0].out,
		};
		ops[2] = (struct mheap_op){
			.op = MHEAP_OP_READ, .handle = p, .arg1 = 4,
			.arg2 = (uintptr_t)&ops[0].result,
		};
		for (i = 3; i < 16; i++)
			ops[i] = (struct mheap_op){ .op = MHEAP_OP_READ,
						    .handle = p };
		ops[16] = (struct mheap_op){ .op = MHEAP_OP_DUP,
					     .handle = MHEAP_BATCH_REF(0) };
		ASSERT_EQ(0, xioctl(self->fd, MHEAP_IOC_BATCH, &hdr));
		ASSERT_EQ(17, hdr.done);
		/* the array was forged */
		EXPECT_EQ(x, (uint32_t)ops[0].out);
		EXPECT_EQ(0, ops[0].result);
		if (round) {
			EXPECT_EQ(-ENOENT, ops[16].result);
			continue;
		}
		ASSERT_EQ(0, ops[16].result);
		ASSERT_EQ(0, mheap_info(self->mh, (uint32_t)ops[16].out, &info));
		EXPECT_EQ(31, info.cookie);
		EXPECT_EQ(0, mheap_release(self->mh, (uint32_t)ops[16].out));
	}
}

/* @start: references to operations an earlier call ran */
TEST_F(heap, batch_refs_across_calls)
{
	struct mheap_op ops[2] = {
		{ .op = MHEAP_OP_ALLOC, .arg0 = 8, .arg2 = 77 },
		{ .op = MHEAP_OP_DUP, .handle = MHEAP_BATCH_REF(0) },
	};
	struct mheap_batch hdr = { .ops = (uintptr_t)ops, .count = 1 };
	struct mheap_info info;

	ASSERT_EQ(0, xioctl(self->fd, MHEAP_IOC_BATCH, &hdr));
	ASSERT_EQ(0, ops[0].result);
	hdr.count = 2;
	hdr.start = 1;
	ASSERT_EQ(0, xioctl(self->fd, MHEAP_IOC_BATCH, &hdr));
	EXPECT_EQ(1, hdr.done);
	ASSERT_EQ(0, ops[1].result);
	EXPECT_NE(ops[0].out, ops[1].out);
	ASSERT_EQ(0, mheap_info(self->mh, (uint32_t)ops[1].out, &info));
	EXPECT_EQ(77, info.cookie);
	EXPECT_EQ(2, info.refcnt);
	/* the array keeps the reference; only the kernel's copy resolved it */
	EXPECT_EQ(MHEAP_BATCH_REF(0), ops[1].handle);
}

/*
 * The library resumes a batch with references over the whole array: the
 * timer fires every 500 us, and the batch takes about as long or longer
 * (on the stock kernel in the VM, 4,096 operations took under 2 ms, and a
 * batch once saw no signal): two batches must see one.
 */
TEST_F(heap, batch_refs_interrupted_and_resumed)
{
	struct itimerval it = { { 0, 500 }, { 0, 500 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	const uint32_t n = 4096;
	struct mheap_batch_buf b;
	struct mheap_info info;
	int done, rounds, before, signalled = 0;
	uint32_t i, last;

	ASSERT_EQ(0, mheap_batch_init(&b, n));
	/* every 16th a DUP, which the SET_SLOTs after it name */
	mheap_batch_alloc(&b, 0, 8, 5);
	for (i = 1; i < n - 1; i++)
		if (i % 16)
			mheap_batch_set_slot(&b, MHEAP_BATCH_REF(i & ~15U), i % 8,
					     MHEAP_BATCH_REF(0));
		else
			mheap_batch_dup(&b, MHEAP_BATCH_REF(0), 0);
	last = mheap_batch_dup(&b, MHEAP_BATCH_REF(0), 0);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));	/* no SA_RESTART */
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	/* a fast kernel may finish one before the timer fires: until two did */
	for (rounds = 0; rounds < 50 && signalled < 2; rounds++) {
		before = alarms;
		done = mheap_batch_run(self->mh, &b, 0);
		signalled += alarms > before;
		ASSERT_EQ((int)n, done);
		for (i = 0; i < b.count; i++)
			ASSERT_EQ(0, b.ops[i].result) TH_LOG("operation %u", i);
		ASSERT_EQ(0, mheap_info(self->mh, (uint32_t)b.ops[last].out,
					&info));
		EXPECT_EQ(5, info.cookie);
		ASSERT_EQ(0, mheap_release(self->mh, (uint32_t)b.ops[0].out));
		ASSERT_EQ(0, mheap_release(self->mh, (uint32_t)b.ops[last].out));
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	EXPECT_LE(2, signalled) TH_LOG("%d of %d batches had a signal", signalled,
				       rounds);
	mheap_batch_free(&b);
}

TEST_HARNESS_MAIN

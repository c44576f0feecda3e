// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection selftests of /dev/mheap, run in the VM on the debug
 * kernel (CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC; init.sh turns
 * off their ignore-gfp-wait and ignore-gfp-highmem filters).
 *
 * One variant per operation that allocates. Each walks the task's fail-nth
 * (/proc/thread-self/fail-nth) over every allocation the call makes: on a
 * fresh heap with the operation's objects prepared, the n-th allocation of
 * the call fails, for n = 1, 2, ... until the call no longer reaches an
 * n-th allocation. Each injected failure must give ENOMEM and change
 * nothing (heap, collector and module statistics, the prepared objects'
 * counts), and the heap must still work (a full collection, then closing
 * it leaves no heap behind). Failures that the kernel absorbs (kvmalloc's
 * vmalloc fallback) leave the call successful; at least one failure point
 * per operation must be a real error. kmemleak, after the run, finds any
 * leak.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mheap.h"

#define PREPARED	4	/* objects each variant may prepare */

struct ctx {
	struct mheap *mh;
	struct mheap *other;		/* a second heap or client, if any */
	uint32_t obj[PREPARED];
	uint64_t token;
	char buf[8192];
};

struct snapshot {
	struct mheap_heap_stats heap;
	struct mheap_gc_stats gc;
	struct mheap_module_stats module;
	struct mheap_info info[PREPARED];
};

static int snap(struct ctx *c, struct snapshot *s)
{
	int i, err;

	memset(s, 0, sizeof(*s));
	err = mheap_heap_stats(c->mh, &s->heap);
	if (!err)
		err = mheap_gc_stats(c->mh, &s->gc);
	if (!err)
		err = mheap_module_stats(c->mh, &s->module);
	for (i = 0; !err && i < PREPARED; i++)
		if (c->obj[i])
			err = mheap_info(c->mh, c->obj[i], &s->info[i]);
	return err;
}

/* Preparations: run before the failures are armed. */
static int prep_none(struct ctx *c)
{
	(void)c;
	return 0;
}

static int prep_one(struct ctx *c)
{
	return mheap_alloc(c->mh, 64, 2, 0, &c->obj[0]);
}

/* Fill the handle table (64 entries): the next handle grows it. */
static int fill_table(struct ctx *c)
{
	struct mheap_heap_stats s;
	uint32_t h;
	int err = mheap_heap_stats(c->mh, &s);

	while (!err && s.handles < 64) {
		err = mheap_dup(c->mh, c->obj[0], &h);
		if (!err)
			err = mheap_heap_stats(c->mh, &s);
	}
	return err;
}

static int prep_full_table(struct ctx *c)
{
	int err = prep_one(c);

	return err ? err : fill_table(c);
}

/* A full weak table (16 records): the next record grows it. */
static int prep_full_weak(struct ctx *c)
{
	uint32_t h, w;
	int i, err = prep_one(c);

	for (i = 0; !err && i < 16; i++) {
		err = mheap_alloc(c->mh, 8, 0, 0, &h);
		if (!err)
			err = mheap_dup_weak(c->mh, h, &w);
	}
	return err;
}

static int prep_slot(struct ctx *c)
{
	int err = prep_one(c);

	if (!err)
		err = mheap_alloc(c->mh, 8, 0, 0, &c->obj[1]);
	if (!err)
		err = mheap_set_slot(c->mh, c->obj[0], 0, c->obj[1]);
	return err;
}

static int prep_slot_full_table(struct ctx *c)
{
	int err = prep_slot(c);

	return err ? err : fill_table(c);
}

static int prep_big(struct ctx *c)
{
	return mheap_alloc(c->mh, sizeof(c->buf), 0, 0, &c->obj[0]);
}

static int prep_export(struct ctx *c)
{
	int err = prep_one(c);

	if (!err)
		err = mheap_export(c->mh, c->obj[0], &c->token);
	return err ? err : fill_table(c);
}

/* A scope whose log is full (64 handles): the next handle grows it. */
static int prep_full_scope_log(struct ctx *c)
{
	uint32_t level, h;
	int i, err = prep_one(c);

	if (!err)
		err = mheap_scope_push(c->mh, &level);
	for (i = 0; !err && i < 64; i++)
		err = mheap_dup(c->mh, c->obj[0], &h);
	return err;
}

/* 16 names (the first table): the next binding grows it. */
static int prep_full_names(struct ctx *c)
{
	char name[16];
	int i, err = prep_one(c);

	for (i = 0; !err && i < 16; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		err = mheap_name_bind(c->mh, name, c->obj[0], 0);
	}
	return err;
}

/* The calls under test: 0 or a negative errno. */
static int call_open(struct ctx *c)
{
	return mheap_open("/dev/mheap", &c->other);
}

static int call_alloc(struct ctx *c)
{
	uint32_t h;

	return mheap_alloc(c->mh, 48, 3, 7, &h);
}

static int call_alloc_jumbo(struct ctx *c)
{
	uint32_t h;

	/* larger than an arena: a jumbo arena of its own */
	return mheap_alloc(c->mh, 1 << 20, 0, 0, &h);
}

static int call_dup(struct ctx *c)
{
	uint32_t h;

	return mheap_dup(c->mh, c->obj[0], &h);
}

static int call_dup_weak(struct ctx *c)
{
	uint32_t h;

	return mheap_dup_weak(c->mh, c->obj[0], &h);
}

static int call_get_slot(struct ctx *c)
{
	uint32_t h;

	return mheap_get_slot(c->mh, c->obj[0], 0, &h);
}

static int call_write(struct ctx *c)
{
	memset(c->buf, 0x5a, sizeof(c->buf));
	return mheap_write(c->mh, c->obj[0], 0, c->buf, sizeof(c->buf));
}

static int call_read(struct ctx *c)
{
	return mheap_read(c->mh, c->obj[0], 0, c->buf, sizeof(c->buf));
}

static int call_referrers(struct ctx *c)
{
	uint32_t h[4];
	int n = mheap_referrers(c->mh, c->obj[1], h, 4, NULL);

	return n < 0 ? n : 0;
}

static int call_batch(struct ctx *c)
{
	struct mheap_batch_buf b;
	uint32_t h;
	int err = mheap_batch_init(&b, 1);

	/* one operation: each is all or nothing, a batch is not */
	if (err)
		return err;
	mheap_batch_alloc(&b, 32, 1, 0);
	err = mheap_batch_run(c->mh, &b, 0);
	if (err == 1)
		err = mheap_batch_result(&b, 0, &h);
	else if (err >= 0)
		err = -EIO;
	mheap_batch_free(&b);
	return err;
}

/*
 * A batch of more than one chunk (16 operations) keeps its operations'
 * outcomes for batch-local references: an allocation of its own, before
 * any operation runs. Zero-byte READs allocate nothing else, so the batch
 * is all or nothing here.
 */
static int call_batch_chunks(struct ctx *c)
{
	struct mheap_batch_buf b;
	uint32_t i;
	int err = mheap_batch_init(&b, 17);

	if (err)
		return err;
	for (i = 0; i < 17; i++)
		mheap_batch_read(&b, c->obj[0], 0, c->buf, 0);
	err = mheap_batch_run(c->mh, &b, 0);
	for (i = 0; err == 17 && i < 17; i++)
		if (mheap_batch_result(&b, i, NULL))
			err = -EIO;
	if (err == 17)
		err = 0;
	else if (err >= 0)
		err = -EIO;
	mheap_batch_free(&b);
	return err;
}

static int call_new_client(struct ctx *c)
{
	int fd = mheap_new_client(c->mh, 0);

	if (fd < 0)
		return fd;
	return mheap_from_fd(fd, &c->other);
}

static int call_export(struct ctx *c)
{
	uint64_t token;

	return mheap_export(c->mh, c->obj[0], &token);
}

static int call_import(struct ctx *c)
{
	uint32_t h;

	return mheap_import(c->mh, c->token, &h);
}

static int call_name_bind(struct ctx *c)
{
	return mheap_name_bind(c->mh, "next", c->obj[0], 0);
}

/*
 * A subscription allocates its queue: a small one, which kvmalloc() cannot
 * take from vmalloc instead, so that its failure is an error.
 */
static int call_subscribe(struct ctx *c)
{
	return mheap_events_subscribe(c->mh, 8, NULL);
}

FIXTURE(sweep) {
	int nth_fd;
};

FIXTURE_VARIANT(sweep) {
	const char *name;
	int (*prepare)(struct ctx *c);
	int (*call)(struct ctx *c);
	/* every failure is absorbed (kvmalloc's vmalloc fallback) */
	bool absorbed;
};

#define SWEEP(id, prep, fn, ...)					\
	FIXTURE_VARIANT_ADD(sweep, id) {				\
		.name = #id, .prepare = prep, .call = fn, __VA_ARGS__	\
	}

/*
 * Each in a state where the call allocates: the first object of a heap
 * (its arenas), a handle table or weak table that must grow, a client.
 * Without that (room in every table) dup, get_slot and import allocate
 * nothing, so there is nothing to fail.
 */
SWEEP(open, prep_none, call_open);
SWEEP(alloc, prep_none, call_alloc);
SWEEP(alloc_jumbo, prep_none, call_alloc_jumbo);
SWEEP(alloc_growing_handles, prep_full_table, call_alloc);
SWEEP(dup_growing_handles, prep_full_table, call_dup);
SWEEP(dup_weak_first, prep_one, call_dup_weak);
SWEEP(dup_weak_growing, prep_full_weak, call_dup_weak);
SWEEP(get_slot_growing_handles, prep_slot_full_table, call_get_slot);
SWEEP(write, prep_big, call_write, .absorbed = true);
SWEEP(read, prep_big, call_read, .absorbed = true);
SWEEP(referrers, prep_slot, call_referrers);
SWEEP(batch, prep_none, call_batch);
SWEEP(batch_of_chunks, prep_one, call_batch_chunks);
SWEEP(new_client, prep_one, call_new_client);
SWEEP(export, prep_one, call_export);
SWEEP(import_growing_handles, prep_export, call_import);
SWEEP(dup_growing_scope_log, prep_full_scope_log, call_dup);
SWEEP(name_bind_growing, prep_full_names, call_name_bind);
SWEEP(events_subscribe, prep_one, call_subscribe);

FIXTURE_SETUP(sweep)
{
	self->nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (self->nth_fd < 0)
		SKIP(return, "no fault injection (/proc/thread-self/fail-nth)");
}

FIXTURE_TEARDOWN(sweep)
{
	if (self->nth_fd >= 0)
		close(self->nth_fd);
}

static int fail_nth_set(int fd, unsigned int nth)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%u", nth);

	return pwrite(fd, s, len, 0) == len ? 0 : -errno;
}

/* What is left of the countdown: 0 when the injected failure happened. */
static int fail_nth_left(int fd)
{
	char s[16] = "";

	if (pread(fd, s, sizeof(s) - 1, 0) <= 0)
		return -1;
	return atoi(s);
}

static void cleanup(struct ctx *c)
{
	if (c->other)
		mheap_close(c->other);
	mheap_close(c->mh);
}

/* No heap is left but the one of @probe. */
static uint64_t heaps_now(void)
{
	struct mheap_module_stats s;
	struct mheap *probe;
	uint64_t n = ~0ULL;

	if (mheap_open("/dev/mheap", &probe))
		return n;
	if (!mheap_module_stats(probe, &s))
		n = s.heaps;
	mheap_close(probe);
	return n;
}

/*
 * Every failure point of a call, each on a fresh heap: on the debug kernel
 * under TCG, sweep.open took over 30 s (the harness's default timeout)
 * once, with a second VM beside it (make check's two debug boots) on a
 * loaded machine. A hang is still caught: by this timeout, by the
 * hung-task detector and by the VM's own.
 */
TEST_F_TIMEOUT(sweep, every_allocation_fails_cleanly, 300)
{
	unsigned int nth, errors = 0, absorbed = 0;
	uint64_t heaps_before = heaps_now();

	for (nth = 1; nth < 1000; nth++) {
		struct snapshot before, after;
		struct ctx *c = calloc(1, sizeof(*c));
		int ret, left;

		ASSERT_NE(NULL, c);
		ASSERT_EQ(0, mheap_open("/dev/mheap", &c->mh));
		ASSERT_EQ(0, variant->prepare(c));
		ASSERT_EQ(0, snap(c, &before));
		ASSERT_EQ(0, fail_nth_set(self->nth_fd, nth));
		ret = variant->call(c);
		left = fail_nth_left(self->nth_fd);
		ASSERT_EQ(0, fail_nth_set(self->nth_fd, 0));
		ASSERT_LE(0, left);
		if (left > 0) {
			/* the call made fewer than nth allocations */
			EXPECT_EQ(0, ret);
			cleanup(c);
			free(c);
			break;
		}
		if (!ret) {
			absorbed++;
		} else {
			errors++;
			EXPECT_EQ(-ENOMEM, ret)
				TH_LOG("failure %u: %s", nth, strerror(-ret));
			/* nothing changed */
			ASSERT_EQ(0, snap(c, &after));
			EXPECT_EQ(0, memcmp(&before.heap, &after.heap,
					    sizeof(before.heap)))
				TH_LOG("failure %u changed the heap", nth);
			EXPECT_EQ(0, memcmp(&before.gc, &after.gc,
					    sizeof(before.gc)));
			EXPECT_EQ(0, memcmp(&before.info, &after.info,
					    sizeof(before.info)))
				TH_LOG("failure %u changed an object", nth);
			EXPECT_EQ(before.module.heaps, after.module.heaps);
			EXPECT_EQ(before.module.arena_bytes,
				  after.module.arena_bytes);
		}
		/* and the heap still works */
		EXPECT_EQ(0, mheap_collect(c->mh, 2, NULL));
		cleanup(c);
		free(c);
	}
	EXPECT_LT(nth, 1000);
	/* the call allocates, and (but where all is absorbed) can fail */
	EXPECT_LE(2, nth);
	if (!variant->absorbed)
		EXPECT_LE(1, errors);
	EXPECT_EQ(heaps_before, heaps_now());
	/* one line per variant, for the run's figures */
	ksft_print_msg("fail-nth %s: %u failure points, %u errors, %u absorbed\n",
		       variant->name, nth - 1, errors, absorbed);
}

TEST_HARNESS_MAIN

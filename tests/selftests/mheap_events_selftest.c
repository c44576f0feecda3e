// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of /dev/mheap: reclamation events, read() and poll().
 *
 * Run in the VM (debug and stock kernels, as root and as an unprivileged
 * user, 64-bit and 32-bit) with the kernel's kselftest harness; see
 * Documentation/testing.rst, "How to add a test".
 */
#define _GNU_SOURCE

#include "mheap_util.h"

/* Read every record there is now; returns how many. */
static int drain(struct mheap *mh, struct mheap_event *ev, int max)
{
	int n, got = 0;

	while (got < max && (n = mheap_events_read(mh, ev + got, max - got, 0)) > 0)
		got += n;
	return got;
}

/* A subscribed client hears of each of its objects' end, in order. */
TEST_F(heap, events_report_reclamation)
{
	uint32_t before, a, b, c, d, granted = 0, mine;
	struct mheap_batch_buf batch;
	struct mheap_event ev[8];
	struct mheap *other;
	char small[8];

	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 99, &before));
	ASSERT_EQ(0, mheap_events_subscribe(self->mh, 0, &granted));
	EXPECT_EQ(MHEAP_EVENTS_DEFAULT, granted);
	EXPECT_EQ(-EBUSY, mheap_events_subscribe(self->mh, 8, NULL));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 1, &a));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 2, &b));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 3, &c));
	ASSERT_EQ(0, mheap_set_slot(self->mh, b, 0, c));
	ASSERT_EQ(0, mheap_set_slot(self->mh, c, 0, b));
	ASSERT_EQ(0, mheap_batch_init(&batch, 1));
	ASSERT_EQ(0, mheap_batch_alloc(&batch, 16, 0, 4));
	ASSERT_EQ(1, mheap_batch_run(self->mh, &batch, 0));
	ASSERT_EQ(0, mheap_batch_result(&batch, 0, &d));
	mheap_batch_free(&batch);
	/* another client's objects are its own business */
	ASSERT_EQ(0, mheap_from_fd(mheap_new_client(self->mh, 0), &other));
	ASSERT_EQ(0, mheap_alloc(other, 8, 0, 50, &mine));
	ASSERT_EQ(0, mheap_close(other));
	/* objects from before the subscription are not reported */
	ASSERT_EQ(0, mheap_release(self->mh, before));
	EXPECT_EQ(0, drain(self->mh, ev, 8));

	ASSERT_EQ(0, mheap_release(self->mh, a));
	ASSERT_EQ(-EINVAL, read(self->fd, small, sizeof(small)) < 0 ? -errno : 0);
	ASSERT_EQ(1, drain(self->mh, ev, 8));
	EXPECT_EQ(1, ev[0].cookie);
	EXPECT_EQ(MHEAP_EVENT_REFCOUNT, ev[0].reason);
	EXPECT_EQ(MHEAP_EVENT_NO_GEN, ev[0].generation);

	ASSERT_EQ(0, mheap_release(self->mh, b));
	ASSERT_EQ(0, mheap_release(self->mh, c));
	EXPECT_EQ(0, drain(self->mh, ev, 8));
	ASSERT_EQ(0, mheap_collect(self->mh, 2, NULL));
	ASSERT_EQ(2, drain(self->mh, ev, 8));
	EXPECT_EQ(2 + 3, ev[0].cookie + ev[1].cookie);
	EXPECT_EQ(MHEAP_EVENT_COLLECTOR, ev[0].reason);
	EXPECT_EQ(MHEAP_EVENT_COLLECTOR, ev[1].reason);
	/* unreachable at their first collection: still in generation 0 */
	EXPECT_EQ(0, ev[0].generation);

	/* unsubscribed: nothing more, and read() has nothing to say */
	ASSERT_EQ(0, mheap_events_unsubscribe(self->mh));
	EXPECT_EQ(-ENOENT, mheap_events_unsubscribe(self->mh));
	ASSERT_EQ(0, mheap_release(self->mh, d));
	EXPECT_EQ(-EINVAL, mheap_events_read(self->mh, ev, 8, 0));
	EXPECT_EQ(0, live(self->mh));
}

/* A full queue reports what it lost in one record, where it lost it. */
TEST_F(heap, events_overflow_is_reported)
{
	uint32_t level, h, granted, i, closed;
	struct mheap_event ev[16];
	int flags;

	ASSERT_EQ(0, mheap_events_subscribe(self->mh, 4, &granted));
	EXPECT_EQ(4, granted);
	ASSERT_EQ(0, mheap_scope_push(self->mh, &level));
	for (i = 1; i <= 10; i++)
		ASSERT_EQ(0, mheap_alloc(self->mh, 0, 0, i, &h));
	ASSERT_EQ(0, mheap_scope_pop(self->mh, level, &closed));
	EXPECT_EQ(10, closed);
	/* O_NONBLOCK: EAGAIN once the queue is empty */
	flags = fcntl(self->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags | O_NONBLOCK));
	ASSERT_EQ(2 * sizeof(ev[0]), read(self->fd, ev, 2 * sizeof(ev[0])));
	EXPECT_EQ(1, ev[0].cookie);
	EXPECT_EQ(2, ev[1].cookie);
	/* two read, two more lost: they join the overflow record */
	ASSERT_EQ(0, mheap_scope_push(self->mh, &level));
	for (i = 11; i <= 14; i++)
		ASSERT_EQ(0, mheap_alloc(self->mh, 0, 0, i, &h));
	ASSERT_EQ(0, mheap_scope_pop(self->mh, level, &closed));
	ASSERT_EQ(5 * sizeof(ev[0]), read(self->fd, ev, sizeof(ev)));
	EXPECT_EQ(3, ev[0].cookie);
	EXPECT_EQ(4, ev[1].cookie);
	EXPECT_EQ(MHEAP_EVENT_OVERFLOW, ev[2].reason);
	EXPECT_EQ(6, ev[2].cookie);			/* 5 to 10 */
	EXPECT_EQ(11, ev[3].cookie);
	EXPECT_EQ(MHEAP_EVENT_OVERFLOW, ev[4].reason);
	EXPECT_EQ(3, ev[4].cookie);			/* 12 to 14 */
	EXPECT_EQ(-1, read(self->fd, ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags));
}

/* A reader waiting in read() (here a child sharing the file) wakes up. */
TEST_F(heap, events_blocking_read_wakes)
{
	struct mheap_event ev;
	int status, pfd[2];
	uint32_t h;
	pid_t pid;

	ASSERT_EQ(0, mheap_events_subscribe(self->mh, 0, NULL));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 1234, &h));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct pollfd p = { .fd = self->fd, .events = POLLIN };

		/* nothing queued yet: poll says so */
		if (poll(&p, 1, 0) != 0)
			_exit(3);
		if (write(pfd[1], "x", 1) != 1)
			_exit(4);
		if (read(self->fd, &ev, sizeof(ev)) != sizeof(ev))
			_exit(1);
		_exit(ev.cookie == 1234 ? 0 : 2);
	}
	ASSERT_EQ(1, read(pfd[0], &status, 1));
	usleep(100 * 1000);
	ASSERT_EQ(0, mheap_release(self->mh, h));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* exited, with 0: a child killed by a signal has WEXITSTATUS 0 */
	EXPECT_EQ(0, status);
	close(pfd[0]);
	close(pfd[1]);
}

/* ------------------------------------------------------------------------
 * read() of reclamation events: what the uapi promises, one test each
 */

/* Free a new object with @cookie, allocated by @mh (subscribed). */
static int free_one(struct mheap *mh, uint64_t cookie)
{
	uint32_t h;

	return mheap_alloc(mh, 0, 0, cookie, &h) ?: mheap_release(mh, h);
}

/*
 * issue 16, 3: a read() that fails (EFAULT on a PROT_NONE buffer) leaves
 * the queue as it was: capacity 2, cookies 1 2 3 freed (3 overflows), the
 * failed read, 4 freed: ev1 ev2 OVF(2).
 */
TEST_F(heap, events_failed_read_changes_nothing)
{
	struct mheap_event ev[8];
	char *none = mmap(NULL, page_size(), PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int flags, i;

	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(0, mheap_events_subscribe(self->mh, 2, NULL));
	for (i = 1; i <= 3; i++)
		ASSERT_EQ(0, free_one(self->mh, i));
	EXPECT_EQ(-1, read(self->fd, none, 4 * sizeof(ev[0])));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, free_one(self->mh, 4));
	flags = fcntl(self->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags | O_NONBLOCK));
	ASSERT_EQ(3 * sizeof(ev[0]), read(self->fd, ev, sizeof(ev)));
	EXPECT_EQ(1, ev[0].cookie);
	EXPECT_EQ(MHEAP_EVENT_REFCOUNT, ev[0].reason);
	EXPECT_EQ(2, ev[1].cookie);
	EXPECT_EQ(MHEAP_EVENT_OVERFLOW, ev[2].reason);
	EXPECT_EQ(2, ev[2].cookie);
	EXPECT_EQ(-1, read(self->fd, ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags));
	munmap(none, page_size());
}

/*
 * A buffer that ends in a hole: EFAULT, nothing consumed, even when the
 * records that fit before the hole could have been copied; then the same
 * records, whole, once.
 */
TEST_F(heap, events_read_into_a_hole_consumes_nothing)
{
	char *edge = edge_page(PROT_READ | PROT_WRITE);
	struct mheap_event *ev = (struct mheap_event *)(edge + page_size()) - 1;
	struct mheap_event all[4];
	int i;

	ASSERT_NE(NULL, edge);
	ASSERT_EQ(0, mheap_events_subscribe(self->mh, 8, NULL));
	for (i = 1; i <= 3; i++)
		ASSERT_EQ(0, free_one(self->mh, i));
	/* room for 3 records claimed, one fits before the hole */
	EXPECT_EQ(-1, read(self->fd, ev, 3 * sizeof(*ev)));
	EXPECT_EQ(EFAULT, errno);
	/* exactly one record asked for: it fits, it is the first */
	ASSERT_EQ(sizeof(*ev), read(self->fd, ev, sizeof(*ev)));
	EXPECT_EQ(1, ev->cookie);
	ASSERT_EQ(2, drain(self->mh, all, 4));
	EXPECT_EQ(2, all[0].cookie);
	EXPECT_EQ(3, all[1].cookie);
	munmap(edge, page_size());
}

/* A read() interrupted while it waits consumes nothing: EINTR. */
TEST_F(heap, events_interrupted_read_consumes_nothing)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval t = { .it_value = { .tv_usec = 100000 } };
	struct mheap_event ev;

	ASSERT_EQ(0, mheap_events_subscribe(self->mh, 2, NULL));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &t, NULL));
	EXPECT_EQ(-1, read(self->fd, &ev, sizeof(ev)));
	EXPECT_EQ(EINTR, errno);
	ASSERT_EQ(0, free_one(self->mh, 9));
	ASSERT_EQ(1, drain(self->mh, &ev, 1));
	EXPECT_EQ(9, ev.cookie);
	signal(SIGALRM, SIG_DFL);
}

TEST_HARNESS_MAIN

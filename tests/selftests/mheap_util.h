/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the /dev/mheap selftest programs share: the includes, ioctl helpers
 * for the bad-input rows, and the "heap" fixture (one client of a new heap
 * per test). Each program is one translation unit: include this first.
 */
#ifndef MHEAP_SELFTEST_UTIL_H
#define MHEAP_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mheap.h"

#define FEATURES (MHEAP_FEATURE_BATCH | MHEAP_FEATURE_CLIENTS | MHEAP_FEATURE_WEAK | \
		  MHEAP_FEATURE_SCOPES | MHEAP_FEATURE_NAMES | MHEAP_FEATURE_EVENTS | \
		  MHEAP_FEATURE_MMAP | MHEAP_FEATURE_BATCH_REFS)
#define RW (_IOC_READ | _IOC_WRITE)
/* An ioctl number with another size or direction */
#define CMD(cmd, dir, size) _IOC(dir, MHEAP_IOC_MAGIC, _IOC_NR(cmd), size)
/* A user pointer into the kernel's direct map */
#define KERNEL_PTR 0xffff888000000000ULL

static inline int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static inline long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* A page mapped with @prot, followed by an unmapped one. */
static inline void *edge_page(int prot)
{
	char *p = mmap(NULL, 2 * page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + page_size(), page_size());
	mprotect(p, page_size(), prot);
	return p;
}

FIXTURE(heap) {
	struct mheap *mh;
	int fd;
};

FIXTURE_SETUP(heap)
{
	int err = mheap_open(NULL, &self->mh);

	ASSERT_EQ(0, err) TH_LOG("open: %s", strerror(-err));
	self->fd = mheap_fd(self->mh);
}

FIXTURE_TEARDOWN(heap)
{
	EXPECT_EQ(0, mheap_close(self->mh));
}

/* Live objects in @mh's heap; ~0 when the statistics cannot be read. */
static inline uint64_t live(struct mheap *mh)
{
	struct mheap_heap_stats s;

	return mheap_heap_stats(mh, &s) ? ~0ULL : s.objects_live;
}

/* SIGALRM's handler for tests that interrupt calls: counts the signals. */
static volatile sig_atomic_t alarms __attribute__((unused));

static inline void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Pass @fd over the unix socket @sock (SCM_RIGHTS); 0 or -1. */
static inline int send_fd(int sock, int fd)
{
	char data = 'F', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static inline int recv_fd(int sock)
{
	char data, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * The child receives a client over a unix socket, builds objects (a cycle
 * among them), reports, then runs endless big batches until SIGKILL.
 */

#endif /* MHEAP_SELFTEST_UTIL_H */

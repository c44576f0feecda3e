// SPDX-License-Identifier: GPL-2.0
/*
 * Copy-out races of /dev/mheap, made deterministic with userfaultfd; run in
 * the VM on the debug and stock kernels, as root (a kernel-mode fault
 * reaches userfaultfd only for a privileged caller, or with
 * vm.unprivileged_userfaultfd=1).
 *
 * The memory an ioctl (or read()) writes its result to is write-protected
 * with UFFDIO_WRITEPROTECT: the module's write of the result stalls there.
 * While it stalls, a second thread of the same client looks at the heap:
 * nothing the call creates (handle, token, scope, subscription, client,
 * consumed event record) may be visible yet, and the handle values the call
 * could be installing are closed by guess, which must fail with ENOENT.
 * Then the write is either let through (the call succeeds, its result is
 * good) or made to fail (the page turns read-only and the stalled thread
 * is woken: the call fails with EFAULT and the heap is as it was).
 *
 * One variant of the "copyout" fixture per copy-out path: each ioctl that
 * creates something and writes a result, the batch results, NAMES and
 * events read(). Plus the report that started it: REFS into an unmapped
 * buffer while another thread closes the handle values it installs, which
 * gave a WARNING (issue 16).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mheap.h"

#define SLOTS		64
/* Handle values guessed while a call stalls: entries 1-80, tags 0-3 */
#define GUESS_ENTRIES	80
#define GUESS_TAGS	4
#define HANDLE(index, tag)	(((uint32_t)(tag) << 20) | ((index) + 1))

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* ------------------------------------------------------------------------
 * A write-protected page, and a thread that handles its faults
 */

struct stall {
	int uffd;
	char *page;
	bool fail;		/* make the stalled write fail */
	void (*during)(void *arg);
	void *arg;
	atomic_int faults;
	pthread_t thread;
};

static int wp(struct stall *s, bool on)
{
	struct uffdio_writeprotect w = {
		.range = { (unsigned long)s->page, page_size() },
		.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(s->uffd, UFFDIO_WRITEPROTECT, &w) ? -errno : 0;
}

/* A page of zeros, registered for write-protect faults; not yet protected. */
static int stall_init(struct stall *s)
{
	struct uffdio_api api = {
		.api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP,
	};
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };

	memset(s, 0, sizeof(*s));
	s->uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (s->uffd < 0)
		return -errno;
	if (ioctl(s->uffd, UFFDIO_API, &api))
		return -errno;
	s->page = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->page == MAP_FAILED)
		return -errno;
	memset(s->page, 0, page_size());
	reg.range.start = (unsigned long)s->page;
	reg.range.len = page_size();
	return ioctl(s->uffd, UFFDIO_REGISTER, &reg) ? -errno : 0;
}

static void stall_fini(struct stall *s)
{
	munmap(s->page, page_size());
	close(s->uffd);
}

/* Wait for one write fault on the page, act, then resolve it. */
static void *stall_main(void *p)
{
	struct stall *s = p;
	struct pollfd pfd = { .fd = s->uffd, .events = POLLIN };
	struct uffdio_range range = { (unsigned long)s->page, page_size() };
	struct uffd_msg msg;

	if (poll(&pfd, 1, 10000) != 1 || read(s->uffd, &msg, sizeof(msg)) !=
	    sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT ||
	    !(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP)) {
		/* no fault: unblock whoever waits, the test will fail */
		wp(s, false);
		return NULL;
	}
	atomic_fetch_add(&s->faults, 1);
	s->during(s->arg);
	if (s->fail) {
		mprotect(s->page, page_size(), PROT_READ);
		ioctl(s->uffd, UFFDIO_WAKE, &range);
	} else {
		wp(s, false);
	}
	return NULL;
}

/* Make the page writable again, for the next call's argument. */
static int stall_reset(struct stall *s)
{
	if (mprotect(s->page, page_size(), PROT_READ | PROT_WRITE))
		return -errno;
	/* a failed round left it write-protected: our own memset would stall */
	if (wp(s, false))
		return -errno;
	memset(s->page, 0, page_size());
	return 0;
}

/* Protect the page and start the thread that will see the fault. */
static int stall_arm(struct stall *s, bool fail, void (*during)(void *),
		     void *arg)
{
	int err;

	s->fail = fail;
	s->during = during;
	s->arg = arg;
	atomic_store(&s->faults, 0);
	err = wp(s, true);
	if (err)
		return err;
	return -pthread_create(&s->thread, NULL, stall_main, s);
}

static int stall_join(struct stall *s)
{
	pthread_join(s->thread, NULL);
	return atomic_load(&s->faults);
}

/* ------------------------------------------------------------------------
 * What must not change while a call stalls, or after it failed
 */

struct snapshot {
	struct mheap_heap_stats heap;
	struct mheap_gc_stats gc;
	struct mheap_config config;
	struct mheap_info t;
	char names[4][MHEAP_NAME_LEN];
	uint32_t nnames;
	int scope;		/* popping scope 1: -ENOENT, none is open */
	short events;		/* poll(): POLLERR when not subscribed */
	uint64_t fds;		/* descriptors 0-63 that are open */
};

FIXTURE(copyout) {
	struct mheap *mh;
	int fd;
	uint32_t t;		/* no slots, held by every slot of h */
	uint32_t h;		/* SLOTS slots, each holding t */
	uint32_t cyc;		/* a self-cycle, for the weak and scope rows */
	uint64_t token;		/* t, exported */
	uint32_t setup[8];	/* the handles open after setup */
	int nsetup;
	struct stall stall;
	struct snapshot before;
	int guessed_open;	/* guessed values that were open: must be 0 */
	int during_changed;	/* the snapshot differed during the stall */
	int (*during_extra)(FIXTURE_DATA(copyout) *self);
	int extra_failed;
};

typedef FIXTURE_DATA(copyout) copyout_t;

static uint64_t open_fds(void)
{
	uint64_t set = 0;
	int fd;

	for (fd = 0; fd < 64; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			set |= 1ULL << fd;
	return set;
}

static int snap(copyout_t *self, struct snapshot *s)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };

	memset(s, 0, sizeof(*s));
	s->scope = mheap_scope_pop(self->mh, 1, NULL);
	if (poll(&p, 1, 0) < 0)
		return -1;
	s->events = p.revents;
	s->fds = open_fds();
	if (mheap_name_list(self->mh, 0, s->names, 4, &s->nnames) < 0)
		return -1;
	if (mheap_heap_stats(self->mh, &s->heap) ||
	    mheap_gc_stats(self->mh, &s->gc) ||
	    mheap_get_config(self->mh, &s->config) ||
	    mheap_info(self->mh, self->t, &s->t))
		return -1;
	/* a client being created is counted before its result is written */
	s->heap.clients = 0;
	return 0;
}

static bool is_setup_handle(copyout_t *self, uint32_t h)
{
	int i;

	for (i = 0; i < self->nsetup; i++)
		if (self->setup[i] == h)
			return true;
	return false;
}

/*
 * The second thread's look at the heap while the call stalls: the same as
 * before the call, and no handle value it could be installing is open.
 */
static void during(void *p)
{
	copyout_t *self = p;
	struct snapshot now;
	uint32_t i, tag, h;

	if (snap(self, &now) || memcmp(&now, &self->before, sizeof(now)))
		self->during_changed++;
	for (tag = 0; tag < GUESS_TAGS; tag++) {
		for (i = 0; i < GUESS_ENTRIES; i++) {
			h = HANDLE(i, tag);
			if (is_setup_handle(self, h))
				continue;
			if (mheap_release(self->mh, h) != -ENOENT)
				self->guessed_open++;
		}
	}
	/* what the second thread does may change the heap: expect that after */
	if (self->during_extra) {
		if (self->during_extra(self) || snap(self, &self->before))
			self->extra_failed++;
	}
}

FIXTURE_VARIANT(copyout) {
	/* write the call's argument to @page, when it goes there */
	void (*fill)(copyout_t *self, void *page);
	/* run the call with its result (argument or buffer) on @page */
	int (*call)(copyout_t *self, void *page);
	/* after success: check the result on @page, undo it; 0 when good */
	int (*check)(copyout_t *self, void *page);
	/* optional setup of the row */
	int (*prepare)(copyout_t *self);
};

FIXTURE_SETUP(copyout)
{
	uint32_t i;
	int err;

	ASSERT_EQ(0, mheap_open(NULL, &self->mh));
	self->fd = mheap_fd(self->mh);
	ASSERT_EQ(0, mheap_gc_enable(self->mh, 0));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 7, &self->t));
	ASSERT_EQ(0, mheap_alloc(self->mh, 16, SLOTS, 8, &self->h));
	for (i = 0; i < SLOTS; i++)
		ASSERT_EQ(0, mheap_set_slot(self->mh, self->h, i, self->t));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 9, &self->cyc));
	ASSERT_EQ(0, mheap_set_slot(self->mh, self->cyc, 0, self->cyc));
	ASSERT_EQ(0, mheap_export(self->mh, self->t, &self->token));
	ASSERT_EQ(0, mheap_name_bind(self->mh, "t", self->t, 0));
	self->setup[self->nsetup++] = self->t;
	self->setup[self->nsetup++] = self->h;
	self->setup[self->nsetup++] = self->cyc;
	if (variant->prepare)
		ASSERT_EQ(0, variant->prepare(self));
	err = stall_init(&self->stall);
	if (err == -EPERM || err == -ENOSYS)
		SKIP(return, "userfaultfd: %s", strerror(-err));
	ASSERT_EQ(0, err) TH_LOG("userfaultfd: %s", strerror(-err));
}

FIXTURE_TEARDOWN(copyout)
{
	stall_fini(&self->stall);
	EXPECT_EQ(0, mheap_close(self->mh));
}

/*
 * Each row twice: the write made to fail (EFAULT, nothing changed, also
 * while it stalled), then let through (the result is good).
 */
TEST_F(copyout, stalled)
{
	struct snapshot after;
	int ret, round;

	for (round = 0; round < 2; round++) {
		bool fail = round == 0;

		ASSERT_EQ(0, snap(self, &self->before));
		ASSERT_EQ(0, stall_reset(&self->stall));
		if (variant->fill)
			variant->fill(self, self->stall.page);
		self->guessed_open = 0;
		self->during_changed = 0;
		self->extra_failed = 0;
		ASSERT_EQ(0, stall_arm(&self->stall, fail, during, self));
		ret = variant->call(self, self->stall.page);
		ASSERT_EQ(1, stall_join(&self->stall))
			TH_LOG("the write never stalled");
		EXPECT_EQ(0, self->guessed_open);
		EXPECT_EQ(0, self->during_changed)
			TH_LOG("what the call does was seen before its result");
		EXPECT_EQ(0, self->extra_failed);
		if (!fail) {
			ASSERT_EQ(0, ret);
			EXPECT_EQ(0, variant->check(self, self->stall.page));
			break;
		}
		EXPECT_EQ(EFAULT, ret);
		ASSERT_EQ(0, snap(self, &after));
		EXPECT_EQ(0, memcmp(&self->before, &after, sizeof(after)))
			TH_LOG("the failed call changed the heap");
	}
}

#define ROW(name, ...) \
	FIXTURE_VARIANT_ADD(copyout, name) { __VA_ARGS__ }

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

/* A new handle the call returned: open, naming @want's object; closed. */
static int new_handle_ok(copyout_t *self, uint32_t got, uint32_t want)
{
	struct mheap_info a, b;

	if (!got || is_setup_handle(self, got) ||
	    mheap_info(self->mh, got, &a) || mheap_info(self->mh, want, &b))
		return -1;
	if (a.cookie != b.cookie)
		return -1;
	return mheap_release(self->mh, got);
}

/* alloc */
static void fill_alloc(copyout_t *self __attribute__((unused)), void *page)
{
	struct mheap_alloc *a = page;

	*a = (struct mheap_alloc){ .size = 32, .nrefs = 2, .cookie = 77 };
}

static int call_alloc(copyout_t *self, void *page)
{
	return xioctl(self->fd, MHEAP_IOC_ALLOC, page);
}

static int check_alloc(copyout_t *self, void *page)
{
	struct mheap_alloc *a = page;
	struct mheap_info i;

	if (!a->handle || mheap_info(self->mh, a->handle, &i) || i.cookie != 77)
		return -1;
	return mheap_release(self->mh, a->handle);
}

ROW(alloc, .fill = fill_alloc, .call = call_alloc, .check = check_alloc);

/* dup, strong and weak */
static void fill_dup(copyout_t *self, void *page)
{
	struct mheap_dup *d = page;

	*d = (struct mheap_dup){ .handle = self->t };
}

static int call_dup(copyout_t *self, void *page)
{
	return xioctl(self->fd, MHEAP_IOC_DUP, page);
}

static int check_dup(copyout_t *self, void *page)
{
	return new_handle_ok(self, ((struct mheap_dup *)page)->copy, self->t);
}

ROW(dup, .fill = fill_dup, .call = call_dup, .check = check_dup);

static void fill_dup_weak(copyout_t *self, void *page)
{
	struct mheap_dup *d = page;

	*d = (struct mheap_dup){ .handle = self->cyc, .flags = MHEAP_DUP_WEAK };
}

static int call_dup_weak(copyout_t *self, void *page)
{
	return xioctl(self->fd, MHEAP_IOC_DUP, page);
}

static int check_dup_weak(copyout_t *self, void *page)
{
	return new_handle_ok(self, ((struct mheap_dup *)page)->copy, self->cyc);
}

ROW(dup_weak, .fill = fill_dup_weak, .call = call_dup_weak, .check = check_dup_weak);

/* get_slot */
static void fill_get_slot(copyout_t *self, void *page)
{
	struct mheap_slot *s = page;

	*s = (struct mheap_slot){ .handle = self->h, .index = 5 };
}

static int call_get_slot(copyout_t *self, void *page)
{
	return xioctl(self->fd, MHEAP_IOC_GET_SLOT, page);
}

static int check_get_slot(copyout_t *self, void *page)
{
	return new_handle_ok(self, ((struct mheap_slot *)page)->target, self->t);
}

ROW(get_slot, .fill = fill_get_slot, .call = call_get_slot, .check = check_get_slot);

/* refs: the handles go to a buffer of their own, the page */
static struct mheap_refs refs_arg;

static int call_refs(copyout_t *self, void *page)
{
	refs_arg = (struct mheap_refs){
		.handle = self->h, .which = MHEAP_REFS_REFERENTS,
		.buf = (uintptr_t)page, .count = SLOTS,
	};
	return xioctl(self->fd, MHEAP_IOC_REFS, &refs_arg);
}

static int check_refs(copyout_t *self, void *page)
{
	uint32_t *handles = page, i;

	if (refs_arg.written != SLOTS || refs_arg.total != SLOTS)
		return -1;
	for (i = 0; i < SLOTS; i++)
		if (new_handle_ok(self, handles[i], self->t))
			return -1;
	return 0;
}

ROW(refs, .call = call_refs, .check = check_refs);

/* export, import */
static void fill_export(copyout_t *self, void *page)
{
	struct mheap_token *t = page;

	*t = (struct mheap_token){ .handle = self->h };
}

static int call_export(copyout_t *self, void *page)
{
	return xioctl(self->fd, MHEAP_IOC_EXPORT, page);
}

static int check_export(copyout_t *self, void *page)
{
	struct mheap_token *t = page;
	uint32_t h;

	if (!t->token || mheap_import(self->mh, t->token, &h))
		return -1;
	return new_handle_ok(self, h, self->h);
}

ROW(export, .fill = fill_export, .call = call_export, .check = check_export);

static void fill_import(copyout_t *self, void *page)
{
	struct mheap_token *t = page;

	*t = (struct mheap_token){ .token = self->token };
}

static int call_import(copyout_t *self, void *page)
{
	return xioctl(self->fd, MHEAP_IOC_IMPORT, page);
}

static int check_import(copyout_t *self, void *page)
{
	uint32_t h;

	/* used up now */
	if (mheap_import(self->mh, self->token, &h) != -ENOENT)
		return -1;
	return new_handle_ok(self, ((struct mheap_token *)page)->handle, self->t);
}

ROW(import, .fill = fill_import, .call = call_import, .check = check_import);

/* name lookup */
static void fill_name_lookup(copyout_t *self __attribute__((unused)), void *page)
{
	struct mheap_name *n = page;

	*n = (struct mheap_name){ .op = MHEAP_NAME_LOOKUP, .name = "t" };
}

static int call_name_lookup(copyout_t *self, void *page)
{
	return xioctl(self->fd, MHEAP_IOC_NAME, page);
}

static int check_name_lookup(copyout_t *self, void *page)
{
	return new_handle_ok(self, ((struct mheap_name *)page)->handle, self->t);
}

ROW(name_lookup, .fill = fill_name_lookup, .call = call_name_lookup, .check = check_name_lookup);

/* scope push */
static void fill_scope_push(copyout_t *self __attribute__((unused)), void *page)
{
	struct mheap_scope *sc = page;

	*sc = (struct mheap_scope){ .op = MHEAP_SCOPE_PUSH };
}

static int call_scope_push(copyout_t *self, void *page)
{
	return xioctl(self->fd, MHEAP_IOC_SCOPE, page);
}

static int check_scope_push(copyout_t *self, void *page)
{
	struct mheap_scope *sc = page;

	return sc->level == 1 ? mheap_scope_pop(self->mh, 1, NULL) : -1;
}

ROW(scope_push, .fill = fill_scope_push, .call = call_scope_push, .check = check_scope_push);

/* events subscribe */
static void fill_subscribe(copyout_t *self __attribute__((unused)), void *page)
{
	struct mheap_events *ev = page;

	*ev = (struct mheap_events){ .op = MHEAP_EVENTS_SUBSCRIBE, .capacity = 4 };
}

static int call_subscribe(copyout_t *self, void *page)
{
	return xioctl(self->fd, MHEAP_IOC_EVENTS, page);
}

static int check_subscribe(copyout_t *self, void *page)
{
	struct mheap_events *ev = page;

	return ev->capacity == 4 ? mheap_events_unsubscribe(self->mh) : -1;
}

ROW(events_subscribe, .fill = fill_subscribe, .call = call_subscribe, .check = check_subscribe);

/* config: a new threshold, read back */
static void fill_config(copyout_t *self __attribute__((unused)), void *page)
{
	struct mheap_config *c = page;

	*c = (struct mheap_config){ .flags = MHEAP_CONFIG_SET_THRESHOLD,
				    .threshold = { 5, 6, 7 } };
}

static int call_config(copyout_t *self, void *page)
{
	return xioctl(self->fd, MHEAP_IOC_CONFIG, page);
}

static int check_config(copyout_t *self, void *page)
{
	struct mheap_config *c = page;

	if (c->threshold[0] != 5 || c->threshold[2] != 7)
		return -1;
	return mheap_set_threshold(self->mh, self->before.config.threshold);
}

ROW(config, .fill = fill_config, .call = call_config, .check = check_config);

/* new client: the descriptor appears only with the result */
static void fill_new_client(copyout_t *self __attribute__((unused)), void *page)
{
	struct mheap_new_client *nc = page;

	*nc = (struct mheap_new_client){ .flags = MHEAP_CLIENT_CLOEXEC };
}

static int call_new_client(copyout_t *self, void *page)
{
	return xioctl(self->fd, MHEAP_IOC_NEW_CLIENT, page);
}

static int check_new_client(copyout_t *self __attribute__((unused)), void *page)
{
	struct mheap_new_client *nc = page;
	struct mheap_heap_stats st;
	struct mheap *c;

	if (nc->fd < 0 || mheap_from_fd(nc->fd, &c))
		return -1;
	if (mheap_heap_stats(c, &st) || st.handles != 0)
		return -1;
	return mheap_close(c);
}

ROW(new_client, .fill = fill_new_client, .call = call_new_client, .check = check_new_client);

/* batch: an ALLOC and a GET_SLOT, their results on the page */
static void fill_batch(copyout_t *self, void *page)
{
	struct mheap_op *ops = page;

	ops[0] = (struct mheap_op){ .op = MHEAP_OP_ALLOC, .arg0 = 8, .arg2 = 66 };
	ops[1] = (struct mheap_op){ .op = MHEAP_OP_GET_SLOT, .handle = self->h,
				    .arg0 = 1 };
}

static int call_batch(copyout_t *self, void *page)
{
	struct mheap_batch b = { .ops = (uintptr_t)page, .count = 2 };

	return xioctl(self->fd, MHEAP_IOC_BATCH, &b);
}

static int check_batch(copyout_t *self, void *page)
{
	struct mheap_op *ops = page;
	struct mheap_info i;

	if (ops[0].result || ops[1].result || !ops[0].out ||
	    mheap_info(self->mh, ops[0].out, &i) || i.cookie != 66 ||
	    mheap_release(self->mh, ops[0].out))
		return -1;
	return new_handle_ok(self, ops[1].out, self->t);
}

ROW(batch, .fill = fill_batch, .call = call_batch, .check = check_batch);

/* names: a snapshot; binding another name meanwhile does not show */
static struct mheap_names names_arg;

static int bind_during(copyout_t *self)
{
	/* waits for the heap lock only: NAMES dropped it before copying */
	if (mheap_name_bind(self->mh, "u", self->t, 0))
		return -1;
	return mheap_name_unbind(self->mh, "u");
}

static int prepare_names(copyout_t *self)
{
	self->during_extra = bind_during;
	return 0;
}

static int call_names(copyout_t *self, void *page)
{
	names_arg = (struct mheap_names){ .buf = (uintptr_t)page, .count = 4 };
	return xioctl(self->fd, MHEAP_IOC_NAMES, &names_arg);
}

static int check_names(copyout_t *self __attribute__((unused)), void *page)
{
	return names_arg.total == 1 && !strcmp(page, "t") ? 0 : -1;
}

ROW(names, .call = call_names, .check = check_names, .prepare = prepare_names);

/* events read(): two records queued, a third arrives while it stalls */
static int events_during(copyout_t *self)
{
	uint32_t h;

	return mheap_alloc(self->mh, 0, 0, 3, &h) ?: mheap_release(self->mh, h);
}

static int prepare_events(copyout_t *self)
{
	uint32_t h, i;

	if (mheap_events_subscribe(self->mh, 8, NULL))
		return -1;
	for (i = 1; i <= 2; i++)
		if (mheap_alloc(self->mh, 0, 0, i, &h) ||
		    mheap_release(self->mh, h))
			return -1;
	self->during_extra = events_during;
	return 0;
}

static ssize_t read_bytes;

static int call_read_events(copyout_t *self, void *page)
{
	read_bytes = read(self->fd, page, 4 * sizeof(struct mheap_event));
	return read_bytes < 0 ? errno : 0;
}

/*
 * The failed read took nothing, and a 3 came meanwhile; the good read
 * stalled too, and another 3 came: 1, 2, 3, 3, each once, in order.
 */
static int check_read_events(copyout_t *self, void *page)
{
	struct mheap_event *ev = page, more[4];

	if (read_bytes != 4 * sizeof(*ev) || ev[0].cookie != 1 ||
	    ev[1].cookie != 2 || ev[2].cookie != 3 || ev[3].cookie != 3)
		return -1;
	return mheap_events_read(self->mh, more, 4, 0) == 0 ? 0 : -1;
}

ROW(events_read, .call = call_read_events, .check = check_read_events,
    .prepare = prepare_events);

/* ------------------------------------------------------------------------
 * The report itself: REFS into an unmapped buffer, another thread closing
 * the handle values it installs (issue 16: a WARNING, then a panic)
 */

struct closer {
	struct mheap *mh;
	atomic_bool stop;
	long closed;		/* guessed values that were open: must be 0 */
};

static void *close_guesses(void *p)
{
	struct closer *c = p;
	uint32_t i, tag;

	while (!atomic_load(&c->stop))
		for (tag = 0; tag < 2048; tag += 97)
			for (i = 2; i < SLOTS + 2; i++)
				if (!mheap_release(c->mh, HANDLE(i, tag)))
					c->closed++;
	return NULL;
}

TEST(refs_to_unmapped_while_closing)
{
	struct closer c = { 0 };
	struct mheap_refs r;
	struct mheap_heap_stats st;
	struct timespec start, now;
	uint32_t t, h, i;
	pthread_t thread;
	long calls = 0, efault = 0;

	ASSERT_EQ(0, mheap_open(NULL, &c.mh));
	ASSERT_EQ(0, mheap_alloc(c.mh, 0, 0, 0, &t));
	ASSERT_EQ(0, mheap_alloc(c.mh, 0, SLOTS, 0, &h));
	for (i = 0; i < SLOTS; i++)
		ASSERT_EQ(0, mheap_set_slot(c.mh, h, i, t));
	ASSERT_EQ(0, pthread_create(&thread, NULL, close_guesses, &c));
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		r = (struct mheap_refs){ .handle = h, .which = MHEAP_REFS_REFERENTS,
					 .buf = 8, .count = SLOTS };
		efault += xioctl(mheap_fd(c.mh), MHEAP_IOC_REFS, &r) == EFAULT;
		calls++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < 2);
	atomic_store(&c.stop, true);
	pthread_join(thread, NULL);
	TH_LOG("%ld REFS calls, %ld EFAULT", calls, efault);
	EXPECT_EQ(calls, efault);
	EXPECT_EQ(0, c.closed);
	ASSERT_EQ(0, mheap_heap_stats(c.mh, &st));
	EXPECT_EQ(2, st.handles);
	EXPECT_EQ(0, mheap_close(c.mh));
}

TEST_HARNESS_MAIN

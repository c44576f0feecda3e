// SPDX-License-Identifier: GPL-2.0
/*
 * Limits of /dev/mheap, run as root in the VM on both kernels. Each test
 * reaches one limit and checks the documented errno, that the failed call
 * changed nothing, and that room made below the limit is usable again:
 *
 *   total_capacity      module-wide ceiling on arenas (parameter, ENOSPC),
 *                       never read over while heaps race for it;
 *   max_heaps_per_user  heaps one uid holds (parameter, EMFILE at open);
 *   MHEAP_MAX_HANDLES   handles per client (EMFILE);
 *   memory.max          a cgroup v2 limit gives ENOMEM, not the OOM killer,
 *                       and closing the heap gives the charge back;
 *   the parameters      writable by root only.
 *
 * Per-heap capacity, MHEAP_BATCH_MAX and MHEAP_REFS_MAX are covered by
 * mheap_selftest, which runs unprivileged as well.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file_util.h"
#include "kselftest_harness.h"
#include "mheap.h"

#define PARAMS		"/sys/module/mheap/parameters/"
#define CGROOT		"/sys/fs/cgroup"
#define CGROUP		CGROOT "/mheap_limits"
#define MIB		(1024 * 1024)
#define CG_MAX		(32 * MIB)	/* the test group's memory.max */
#define NOBODY		65534

static unsigned long long param_get(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	if (read_file(path, buf, sizeof(buf)))
		return ~0ULL;
	return strtoull(buf, NULL, 0);
}

static int param_set(const char *name, unsigned long long value)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	snprintf(buf, sizeof(buf), "%llu", value);
	return write_file(path, buf);
}

/* One value of a flat-keyed cgroup file such as memory.stat. */
static long long cg_stat(const char *file, const char *key)
{
	char path[128], buf[8192], *p;
	size_t len = strlen(key);

	snprintf(path, sizeof(path), CGROUP "/%s", file);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, len) && p[len] == ' ')
			return strtoll(p + len + 1, NULL, 10);
	return -1;
}

/*
 * memory.stat's vmalloc, once it is at least @least (or, with @exact, equal
 * to it): the kernel folds per-CPU counts into memory.stat lazily (its rstat
 * flush waits for enough pending updates, or for the flusher that runs
 * every 2 s), so a read just after a change may still show the old value.
 * Gives the last value read after at most about 5 s.
 */
static long long cg_vmalloc_settled(long long least, bool exact)
{
	long long v = -1;
	int i;

	for (i = 0; i < 50; i++) {
		v = cg_stat("memory.stat", "vmalloc");
		if (v >= 0 && (exact ? v == least : v >= least))
			break;
		usleep(100 * 1000);
	}
	return v;
}

static uint64_t arena_bytes(struct mheap *mh)
{
	struct mheap_module_stats s;

	return mheap_module_stats(mh, &s) ? ~0ULL : s.arena_bytes;
}

FIXTURE(limits) {
	unsigned long long total_capacity;
	unsigned long long max_heaps_per_user;
	unsigned long long max_spare_arenas;
	unsigned long long spare_decay_ms;
};

FIXTURE_SETUP(limits)
{
	self->total_capacity = param_get("total_capacity");
	self->max_heaps_per_user = param_get("max_heaps_per_user");
	self->max_spare_arenas = param_get("max_spare_arenas");
	self->spare_decay_ms = param_get("spare_decay_ms");
	ASSERT_NE(~0ULL, self->max_spare_arenas);
	ASSERT_NE(~0ULL, self->spare_decay_ms);
	ASSERT_NE(~0ULL, self->total_capacity);
	ASSERT_NE(~0ULL, self->max_heaps_per_user);
	ASSERT_EQ(0, geteuid()) TH_LOG("the limits tests run as root");
}

FIXTURE_TEARDOWN(limits)
{
	param_set("total_capacity", self->total_capacity);
	param_set("max_heaps_per_user", self->max_heaps_per_user);
	param_set("max_spare_arenas", self->max_spare_arenas);
	param_set("spare_decay_ms", self->spare_decay_ms);
	rmdir(CGROUP);
}

/*
 * total_capacity bounds the arenas of all heaps together: with the ceiling
 * at what heap a already holds, neither heap may grow, though each is far
 * below its own capacity; what a's arena has left stays usable.
 */
TEST_F(limits, total_capacity_is_module_wide)
{
	struct mheap_heap_stats before, after;
	struct mheap *a, *b;
	uint32_t h, big;
	uint64_t held;

	EXPECT_EQ(4ULL << 30, self->total_capacity);
	ASSERT_EQ(0, mheap_open(NULL, &a));
	ASSERT_EQ(0, mheap_open(NULL, &b));
	ASSERT_EQ(0, mheap_alloc(a, 4096, 0, 0, &h));
	held = arena_bytes(a);
	ASSERT_NE(0, held);
	ASSERT_EQ(0, param_set("total_capacity", held));

	ASSERT_EQ(0, mheap_heap_stats(b, &before));
	EXPECT_EQ(-ENOSPC, mheap_alloc(b, 4096, 0, 0, &h));
	EXPECT_EQ(-ENOSPC, mheap_alloc(a, MIB, 0, 0, &big));
	ASSERT_EQ(0, mheap_heap_stats(b, &after));
	EXPECT_EQ(before.objects_live, after.objects_live);
	EXPECT_EQ(before.arena_bytes, after.arena_bytes);
	EXPECT_EQ(held, arena_bytes(a));
	EXPECT_LT(held, before.capacity);
	/* a's arena still has room */
	EXPECT_EQ(0, mheap_alloc(a, 4096, 0, 0, &h));

	/* a higher ceiling lets both grow again */
	ASSERT_EQ(0, param_set("total_capacity", self->total_capacity));
	EXPECT_EQ(0, mheap_alloc(b, 4096, 0, 0, &h));
	EXPECT_EQ(0, mheap_alloc(a, MIB, 0, 0, &big));
	mheap_close(b);
	mheap_close(a);
}

/*
 * 200 objects of a page of payload (at least four payload arenas, and a
 * meta arena), then released: their arenas go idle. Returns -errno of the
 * first call that failed, or 0.
 */
static int churn_pages(struct mheap *mh)
{
	uint32_t h[200];
	int i, err = 0;

	for (i = 0; !err && i < 200; i++)
		err = mheap_alloc(mh, 4096, 0, 0, &h[i]);
	if (err)
		i--;
	while (i-- > 0)
		if (mheap_release(mh, h[i]) && !err)
			err = -EIO;
	return err;
}

/*
 * max_spare_arenas: with the default, the arenas of freed objects stay for
 * the next ones (counted in arena_bytes, not in arenas); with 0 each arena
 * is freed as it empties. Bad values are refused and change nothing.
 */
TEST_F(limits, max_spare_arenas)
{
	struct mheap_heap_stats st;
	struct mheap *mh;
	int round;

	EXPECT_EQ(16ULL, self->max_spare_arenas);
	EXPECT_EQ(-EINVAL, write_file(PARAMS "max_spare_arenas", "1025"));
	EXPECT_EQ(-EINVAL, write_file(PARAMS "max_spare_arenas", "some"));
	EXPECT_EQ(-EINVAL, write_file(PARAMS "max_spare_arenas", "-1"));
	EXPECT_EQ(16ULL, param_get("max_spare_arenas"));
	ASSERT_EQ(0, mheap_open(NULL, &mh));
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, param_set("max_spare_arenas", round ? 0 : 16));
		/* 200 pages of payload: at least four arenas */
		ASSERT_EQ(0, churn_pages(mh));
		ASSERT_EQ(0, mheap_heap_stats(mh, &st));
		EXPECT_EQ(0ULL, st.arenas);
		if (round) {
			EXPECT_EQ(0ULL, st.arena_bytes);
		} else {
			EXPECT_LE(4ULL * 262144, st.arena_bytes);
		}
	}
	mheap_close(mh);
}

/*
 * spare_decay_ms: a space keeps up to four times max_spare_arenas spares,
 * and those over the bound go once they have been idle that long: at the
 * heap's first call after, or, when it makes none, from its decay work.
 */
TEST_F(limits, spare_decay_ms)
{
	unsigned long long before;
	struct mheap_heap_stats st;
	struct mheap *mh;

	EXPECT_EQ(1000ULL, self->spare_decay_ms);
	EXPECT_EQ(-EINVAL, write_file(PARAMS "spare_decay_ms", "60001"));
	EXPECT_EQ(-EINVAL, write_file(PARAMS "spare_decay_ms", "some"));
	EXPECT_EQ(-EINVAL, write_file(PARAMS "spare_decay_ms", "-1"));
	EXPECT_EQ(1000ULL, param_get("spare_decay_ms"));
	ASSERT_EQ(0, param_set("max_spare_arenas", 1));
	ASSERT_EQ(0, param_set("spare_decay_ms", 60000));
	ASSERT_EQ(0, mheap_open(NULL, &mh));
	/* 200 pages of payload: at least four arenas, all kept */
	ASSERT_EQ(0, churn_pages(mh));
	ASSERT_EQ(0, mheap_heap_stats(mh, &st));
	EXPECT_EQ(0ULL, st.arenas);
	/* the payload space's four, and the meta space's one */
	EXPECT_EQ(5ULL * 262144, st.arena_bytes);
	/* idle for the decay: the next call frees those over the bound */
	ASSERT_EQ(0, param_set("spare_decay_ms", 1));
	usleep(20 * 1000);
	ASSERT_EQ(0, mheap_heap_stats(mh, &st));
	ASSERT_EQ(0, mheap_heap_stats(mh, &st));
	EXPECT_EQ(2ULL * 262144, st.arena_bytes);
	/* with no call: the module's count, which takes no heap lock */
	ASSERT_EQ(0, param_set("spare_decay_ms", 200));
	ASSERT_EQ(0, churn_pages(mh));
	before = arena_bytes(mh);
	usleep(1000 * 1000);
	EXPECT_EQ(before - 3 * 262144, arena_bytes(mh));
	mheap_close(mh);
}

/* Fill @mh with @n objects of 64 KiB (runs), then free them: spares. */
static int make_spares(struct mheap *mh, int n)
{
	uint32_t h[128];
	int i, err = 0;

	for (i = 0; !err && i < n; i++)
		err = mheap_alloc(mh, 65536, 0, 0, &h[i]);
	while (i-- > 0)
		mheap_release(mh, h[i]);
	return err;
}

/*
 * Spares give way when the capacity is lowered, but only once the call
 * succeeded: a CONFIG whose result cannot be written back (EFAULT)
 * changes nothing, spares included. Arenas that go idle over a lowered
 * capacity are freed, not kept.
 */
TEST_F(limits, spares_and_capacity)
{
	struct mheap_heap_stats before, after;
	struct mheap_config *c;
	uint32_t h[24];
	struct mheap *mh;
	int i;

	ASSERT_EQ(0, mheap_open(NULL, &mh));
	ASSERT_EQ(0, mheap_set_capacity(mh, 8 * MIB));
	ASSERT_EQ(0, make_spares(mh, 80));
	ASSERT_EQ(0, mheap_heap_stats(mh, &before));
	ASSERT_LT(2ULL * MIB, before.arena_bytes);
	c = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c);
	memset(c, 0, sizeof(*c));
	c->flags = MHEAP_CONFIG_SET_CAPACITY;
	c->capacity = MIB;
	ASSERT_EQ(0, mprotect(c, 4096, PROT_READ));
	EXPECT_EQ(-1, ioctl(mheap_fd(mh), MHEAP_IOC_CONFIG, c));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, mheap_heap_stats(mh, &after));
	EXPECT_EQ(before.capacity, after.capacity);
	EXPECT_EQ(before.arena_bytes, after.arena_bytes);
	munmap(c, 4096);
	/* a capacity lowered for good frees spares down to it */
	ASSERT_EQ(0, mheap_set_capacity(mh, MIB));
	ASSERT_EQ(0, mheap_heap_stats(mh, &after));
	EXPECT_GE((unsigned long long)MIB, after.arena_bytes);

	/* lowered under arenas in use: they are freed as they go idle */
	ASSERT_EQ(0, mheap_set_capacity(mh, 8 * MIB));
	for (i = 0; i < 24; i++)
		ASSERT_EQ(0, mheap_alloc(mh, 65536, 0, 0, &h[i]));
	ASSERT_EQ(0, mheap_set_capacity(mh, MIB));
	ASSERT_EQ(0, mheap_heap_stats(mh, &after));
	EXPECT_LT((unsigned long long)MIB, after.arena_bytes);
	for (i = 0; i < 24; i++)
		ASSERT_EQ(0, mheap_release(mh, h[i]));
	ASSERT_EQ(0, mheap_heap_stats(mh, &after));
	EXPECT_GE((unsigned long long)MIB, after.arena_bytes);
	mheap_close(mh);
}

/*
 * A heap's spares give way to its own arenas under total_capacity too: a
 * block that fits only once they are freed is allocated.
 */
TEST_F(limits, spares_yield_to_total_capacity)
{
	struct mheap_heap_stats st;
	struct mheap *mh;
	uint32_t big;

	ASSERT_EQ(0, mheap_open(NULL, &mh));
	ASSERT_EQ(0, mheap_set_capacity(mh, 8 * MIB));
	ASSERT_EQ(0, make_spares(mh, 64));
	ASSERT_EQ(0, mheap_heap_stats(mh, &st));
	ASSERT_LE(3ULL * MIB, st.arena_bytes);
	/* room for 512 KiB more module-wide, and this heap's spares */
	ASSERT_EQ(0, param_set("total_capacity",
			       arena_bytes(mh) + MIB / 2));
	EXPECT_EQ(0, mheap_alloc(mh, 2 * MIB, 0, 0, &big));
	EXPECT_EQ(-ENOSPC, mheap_alloc(mh, 6 * MIB, 0, 0, &big));
	ASSERT_EQ(0, param_set("total_capacity", self->total_capacity));
	mheap_close(mh);
}

/*
 * A call that fails after its allocation needed the heap's spares to make
 * room under its capacity keeps them: an ALLOC of a 2 MiB jumbo whose
 * argument is read-only (EFAULT writing the handle back) is undone, and
 * the heap holds the same arena bytes and arenas as before. Found by a
 * black-box test: the spares used to go as soon as the jumbo took their
 * room, and the undo could not bring them back.
 */
TEST_F(limits, failed_call_keeps_spares)
{
	struct mheap_heap_stats before, after;
	struct mheap_alloc *ro;
	struct mheap *mh;
	uint32_t keep;

	ASSERT_EQ(0, mheap_open(NULL, &mh));
	ASSERT_EQ(0, mheap_set_capacity(mh, 4 * MIB));
	ASSERT_EQ(0, mheap_alloc(mh, 64, 0, 0, &keep));
	ASSERT_EQ(-ENOSPC, make_spares(mh, 64));
	ASSERT_EQ(0, mheap_heap_stats(mh, &before));
	/* no room for the jumbo but what the spares (256 KiB each) hold */
	ASSERT_LT(before.capacity - before.arena_bytes, 2ULL * MIB);
	ASSERT_LE(before.arenas * MIB / 4 + 2 * MIB, before.capacity);
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memset(ro, 0, sizeof(*ro));
	ro->size = 2 * MIB;
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-1, ioctl(mheap_fd(mh), MHEAP_IOC_ALLOC, ro));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, mheap_heap_stats(mh, &after));
	EXPECT_EQ(before.arena_bytes, after.arena_bytes);
	EXPECT_EQ(before.arenas, after.arenas);
	EXPECT_EQ(before.objects_live, after.objects_live);
	/* and the same jumbo, written back, fits as the spares yield */
	EXPECT_EQ(0, mheap_alloc(mh, 2 * MIB, 0, 0, &keep));
	munmap(ro, 4096);
	mheap_close(mh);
}

/* What the racing children of total_capacity_holds_under_races share. */
struct race {
	volatile int stop;
	volatile unsigned long ok, enospc;
};

/* One heap's loop: spares made, then a 2 MiB jumbo that they must yield to. */
static void race_child(struct race *r)
{
	struct mheap *mh;
	uint32_t big;
	int err;

	/* never outlive the test, whatever ends it */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() == 1)
		_exit(1);
	if (mheap_open(NULL, &mh))
		_exit(1);
	while (!r->stop) {
		make_spares(mh, 2);
		err = mheap_alloc(mh, 2 * MIB, 0, 0, &big);
		if (!err) {
			__atomic_add_fetch(&r->ok, 1, __ATOMIC_RELAXED);
			mheap_release(mh, big);
		} else if (err == -ENOSPC) {
			__atomic_add_fetch(&r->enospc, 1, __ATOMIC_RELAXED);
		} else {
			_exit(2);
		}
	}
	mheap_close(mh);
	_exit(0);
}

/*
 * The module-wide count never reads above total_capacity, even while
 * heaps race for the last room: a reservation that fails is never
 * counted, and spares that must yield leave the count before the new
 * arena joins it. Three processes, each with its own heap, allocate 2 MiB
 * jumbos over their spares where only one fits at a time, while this one
 * reads the count. Before the fix, 1 to 2% of the reads were over (the
 * debug kernel, 5 s).
 */
TEST_F(limits, total_capacity_holds_under_races)
{
	unsigned long long total, v, over = 0, samples = 0;
	time_t deadline;
	struct race *r;
	pid_t pid[3];
	struct mheap *mh;
	int i, status;

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	ASSERT_EQ(0, mheap_open(NULL, &mh));
	/*
	 * Each child's heap holds a meta and a payload arena (256 KiB each,
	 * spares when idle). A jumbo's header keeps the meta arena busy, so
	 * it fits only once its heap's payload spare yields (1 MiB of the
	 * others' arenas, 256 KiB of its own, 2 MiB), and never two at once.
	 */
	total = arena_bytes(mh) + 3 * MIB + MIB / 4;
	ASSERT_EQ(0, param_set("total_capacity", total));
	for (i = 0; i < 3; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			race_child(r);
	}
	/* 5 s at most: the debug kernel under TCG is slow */
	deadline = time(NULL) + 5;
	while (samples < 20000 || r->ok < 10 || r->enospc < 10) {
		v = arena_bytes(mh);
		if (v == ~0ULL)
			break;
		over += v > total;
		if (++samples % 256 == 0 && time(NULL) > deadline)
			break;
	}
	r->stop = 1;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_EQ(0, status);
	}
	EXPECT_NE(~0ULL, v);
	EXPECT_EQ(0, over) TH_LOG("%llu of %llu reads over %llu", over,
				  samples, total);
	/* the race was run: jumbos both fitted and did not */
	EXPECT_LE(1000, samples);
	EXPECT_LE(1, r->ok);
	EXPECT_LE(1, r->enospc);
	TH_LOG("%llu reads; %lu jumbos fitted, %lu got ENOSPC", samples,
	       r->ok, r->enospc);
	ASSERT_EQ(0, param_set("total_capacity", self->total_capacity));
	mheap_close(mh);
	munmap(r, sizeof(*r));
}

/* Open @n heaps into @mh[]; returns how many opened, or -errno of the next. */
static int open_heaps(struct mheap **mh, int n)
{
	int i, err;

	for (i = 0; i < n; i++) {
		err = mheap_open(NULL, &mh[i]);
		if (err)
			return err;
	}
	return i;
}

/*
 * As user @uid (with a limit of 3): the steps of heaps_per_user. Returns 0,
 * or the number of the step that went wrong.
 */
/*
 * As @uid: reach the limit of 3 heaps, and stay there until the other
 * user has too (*@ready counts the users there), so that both counts
 * are full at once; then see what a heap's end gives back.
 */
static int heaps_as(uid_t uid, volatile int *ready)
{
	struct mheap *mh[4], *extra;
	int fd, i;

	if (setresuid(uid, uid, uid))
		return 1;
	if (open_heaps(mh, 3) != 3)
		return 2;
	__atomic_add_fetch(ready, 1, __ATOMIC_SEQ_CST);
	for (i = 0; *ready < 2 && i < 10000; i++)
		usleep(1000);
	if (*ready < 2)
		return 7;
	if (open_heaps(&mh[3], 1) != -EMFILE)
		return 3;
	/* a new client shares its heap: not counted */
	fd = mheap_new_client(mh[0], 0);
	if (fd < 0 || mheap_from_fd(fd, &extra))
		return 4;
	/* a heap lives, and counts, until its last client is closed */
	mheap_close(mh[0]);
	if (open_heaps(mh, 1) != -EMFILE)
		return 5;
	mheap_close(extra);
	if (open_heaps(mh, 1) != 1 || open_heaps(&mh[3], 1) != -EMFILE)
		return 6;
	return 0;
}

/*
 * max_heaps_per_user counts heaps (opens of /dev/mheap) per effective uid;
 * more clients of a heap are not more heaps. Run as two other users, so
 * that heaps root may hold elsewhere do not count.
 */
TEST_F(limits, heaps_per_user)
{
	static const uid_t users[] = { 4243, 4244 };
	volatile int *ready;
	struct mheap *mine;
	int status[2], i;
	struct stat dev;
	pid_t pid[2];
	uint32_t h;

	EXPECT_EQ(128, self->max_heaps_per_user);
	ASSERT_EQ(0, mheap_open(NULL, &mine));
	ASSERT_EQ(0, param_set("max_heaps_per_user", 3));
	ASSERT_EQ(0, stat("/dev/mheap", &dev));
	ASSERT_EQ(0, chmod("/dev/mheap", 0666));
	/* both at once: each user has a count of its own */
	ready = mmap(NULL, sizeof(*ready), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ready);
	*ready = 0;
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0)
			_exit(heaps_as(users[i], ready));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status[i], 0));
		/* exited, with 0 (a signal would leave WEXITSTATUS 0) */
		EXPECT_EQ(0, status[i]) TH_LOG("uid %u: status %#x",
					       users[i], status[i]);
	}
	munmap((void *)ready, sizeof(*ready));
	chmod("/dev/mheap", dev.st_mode & 07777);
	/* a lower limit leaves open heaps alone */
	ASSERT_EQ(0, param_set("max_heaps_per_user", 0));
	EXPECT_EQ(-EMFILE, mheap_open(NULL, &(struct mheap *){ NULL }));
	EXPECT_EQ(0, mheap_alloc(mine, 16, 0, 0, &h));
	mheap_close(mine);
}

/* A client holds at most MHEAP_MAX_HANDLES handles; reached with batches. */
TEST_F(limits, handles_per_client)
{
	struct mheap_batch_buf b;
	struct mheap_heap_stats hs;
	struct mheap_info info;
	uint32_t h, copy, total, out;
	struct mheap *mh;
	int n, i;

	ASSERT_EQ(0, mheap_open(NULL, &mh));
	ASSERT_EQ(0, mheap_alloc(mh, 8, 0, 0, &h));
	ASSERT_EQ(0, mheap_batch_init(&b, MHEAP_BATCH_MAX));
	for (total = 1; total < MHEAP_MAX_HANDLES; total += n) {
		n = MHEAP_MAX_HANDLES - total;
		if (n > MHEAP_BATCH_MAX)
			n = MHEAP_BATCH_MAX;
		mheap_batch_reset(&b);
		for (i = 0; i < n; i++)
			ASSERT_EQ(i, mheap_batch_dup(&b, h, 0));
		ASSERT_EQ(n, mheap_batch_run(mh, &b, 0));
		ASSERT_EQ(0, mheap_batch_result(&b, n - 1, &out));
	}
	ASSERT_EQ(0, mheap_heap_stats(mh, &hs));
	EXPECT_EQ(MHEAP_MAX_HANDLES, hs.handles);

	EXPECT_EQ(-EMFILE, mheap_dup(mh, h, &copy));
	EXPECT_EQ(-EMFILE, mheap_alloc(mh, 8, 0, 0, &copy));
	/* in a batch: the failing operation carries the errno */
	mheap_batch_reset(&b);
	ASSERT_EQ(0, mheap_batch_dup(&b, h, 0));
	EXPECT_EQ(1, mheap_batch_run(mh, &b, 0));
	EXPECT_EQ(-EMFILE, mheap_batch_result(&b, 0, &copy));
	ASSERT_EQ(0, mheap_info(mh, h, &info));
	EXPECT_EQ(MHEAP_MAX_HANDLES, info.refcnt);
	ASSERT_EQ(0, mheap_heap_stats(mh, &hs));
	EXPECT_EQ(1, hs.objects_live);

	/* one closed makes room for one */
	ASSERT_EQ(0, mheap_release(mh, out));
	EXPECT_EQ(0, mheap_dup(mh, h, &copy));
	EXPECT_EQ(-EMFILE, mheap_dup(mh, h, &copy));
	mheap_batch_free(&b);
	mheap_close(mh);
}

/* The parameters that may change at run time are root's to change. */
TEST_F(limits, params_root_only)
{
	static const struct {
		const char *name;
		mode_t mode;
	} params[] = {
		{ "total_capacity", 0644 },
		{ "max_heaps_per_user", 0644 },
		{ "max_spare_arenas", 0644 },
		{ "spare_decay_ms", 0644 },
		{ "heap_capacity", 0444 },
		{ "heap_capacity_max", 0444 },
		{ "gc_threshold", 0644 },
		{ "gc_increment", 0644 },
		{ "debugfs_max_objects", 0644 },
	};
	unsigned int i, n = 0;
	struct dirent *de;
	char path[128];
	struct stat st;
	int status;
	DIR *dir;
	pid_t pid;

	/* every parameter is in the table (and so in admin-guide.rst) */
	dir = opendir(PARAMS);
	ASSERT_NE(NULL, dir);
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	EXPECT_EQ(sizeof(params) / sizeof(params[0]), n);

	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		snprintf(path, sizeof(path), PARAMS "%s", params[i].name);
		ASSERT_EQ(0, stat(path, &st));
		EXPECT_EQ(params[i].mode, st.st_mode & 07777) TH_LOG("%s", path);
	}
	EXPECT_EQ(-EINVAL, write_file(PARAMS "max_heaps_per_user", "lots"));
	EXPECT_EQ(self->max_heaps_per_user, param_get("max_heaps_per_user"));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setresuid(NOBODY, NOBODY, NOBODY))
			_exit(10);
		if (write_file(PARAMS "total_capacity", "1") != -EACCES)
			_exit(11);
		_exit(write_file(PARAMS "max_heaps_per_user", "1") == -EACCES ?
		      0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status) TH_LOG("child status %#x", status);
	EXPECT_EQ(self->total_capacity, param_get("total_capacity"));
}

/* What the child in a limited group saw, for the parent to judge. */
struct cg_result {
	int setup;		/* 0, or the step that failed */
	int err;		/* the allocation that stopped the loop */
	unsigned int objects;	/* 1 MiB objects allocated before it */
	long long vmalloc_base, vmalloc_full, vmalloc_after;
};

static void cg_child(int wfd)
{
	struct cg_result r = { .err = 0 };
	struct mheap *mh;
	uint32_t h;

	if (write_file(CGROUP "/cgroup.procs", "0"))
		r.setup = 1;
	else if ((r.vmalloc_base = cg_stat("memory.stat", "vmalloc")) < 0)
		r.setup = 2;
	else if (mheap_open(NULL, &mh))
		r.setup = 3;
	else if (mheap_set_capacity(mh, 4 * CG_MAX))
		r.setup = 4;
	if (!r.setup) {
		while (r.objects < 4 * CG_MAX / MIB) {
			r.err = mheap_alloc(mh, MIB, 0, 0, &h);
			if (r.err)
				break;
			r.objects++;
		}
		r.vmalloc_full = cg_vmalloc_settled(r.vmalloc_base +
						    (long long)r.objects * MIB,
						    false);
		mheap_close(mh);
		r.vmalloc_after = cg_vmalloc_settled(r.vmalloc_base, true);
	}
	if (write(wfd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	_exit(0);
}

/*
 * Heap memory is charged to the caller's memory cgroup: at the group's
 * memory.max an allocation fails with ENOMEM (no OOM kill), and closing
 * the heap returns the group's vmalloc charge to what it was before.
 */
TEST_F(limits, memcg_max_gives_enomem)
{
	char buf[256];
	struct cg_result r;
	int pipefd[2], status;
	pid_t pid;

	if (access(CGROOT "/cgroup.controllers", F_OK)) {
		mkdir(CGROOT, 0755);
		ASSERT_EQ(0, mount("cgroup2", CGROOT, "cgroup2", 0, NULL));
	}
	ASSERT_EQ(0, read_file(CGROOT "/cgroup.controllers", buf, sizeof(buf)));
	ASSERT_NE(NULL, strstr(buf, "memory"));
	ASSERT_EQ(0, write_file(CGROOT "/cgroup.subtree_control", "+memory"));
	rmdir(CGROUP);
	ASSERT_EQ(0, mkdir(CGROUP, 0755));
	snprintf(buf, sizeof(buf), "%d", CG_MAX);
	ASSERT_EQ(0, write_file(CGROUP "/memory.max", buf));

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(pipefd[0]);
		cg_child(pipefd[1]);
	}
	close(pipefd[1]);
	/* the result fits in the pipe: the child exits without waiting */
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("the child was killed by signal %d (the OOM killer?)",
					      WTERMSIG(status));
	ASSERT_EQ(sizeof(r), read(pipefd[0], &r, sizeof(r)));
	close(pipefd[0]);
	ASSERT_EQ(0, r.setup);
	TH_LOG("%u MiB objects before %s; vmalloc charge %lld, %lld, %lld",
	       r.objects, mheap_errname(r.err), r.vmalloc_base, r.vmalloc_full,
	       r.vmalloc_after);
	EXPECT_EQ(-ENOMEM, r.err);
	/* most of the group's room went to the heap before the limit */
	EXPECT_GE(r.objects, CG_MAX / MIB / 2);
	EXPECT_LT(r.objects, CG_MAX / MIB);
	EXPECT_GE(r.vmalloc_full - r.vmalloc_base, (long long)r.objects * MIB);
	EXPECT_EQ(r.vmalloc_base, r.vmalloc_after);
	EXPECT_GE(cg_stat("memory.events", "max"), 1);
	EXPECT_EQ(0, cg_stat("memory.events", "oom_kill"));
}

TEST_HARNESS_MAIN

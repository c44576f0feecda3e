// SPDX-License-Identifier: GPL-2.0
/*
 * Random ioctl stress of /dev/mheap, in the spirit of syzkaller, run in the
 * VM on the debug kernel (KASAN, lockdep, kmemleak, UBSAN, hung tasks).
 *
 * One heap; PROCS processes, each with its own client (MHEAP_IOC_NEW_CLIENT)
 * and THREADS threads sharing it, call every ioctl with random arguments:
 * handles from a pool of recent results, random and boundary values,
 * garbage in reserved fields, sizes and offsets at and past the limits,
 * user pointers that are NULL, unmapped, in the kernel's range, read-only
 * or running into an unmapped page, argument structs shorter and longer
 * than the kernel's, unknown numbers. The parent kills a random worker
 * with SIGKILL every so often and starts another. The collector's
 * thresholds are set low at times, so its work item runs concurrently.
 *
 * Threads also read events and touch the payload mapping at random, so
 * that page faults race with arenas being added and released.
 *
 * Pass: every call returns 0 or an errno its ioctl documents, and writes
 * no value in the kernel's half of the address space; afterwards
 * (every worker dead, the known tokens imported and dropped, every name
 * unbound, the collector emptied) no object is left unless unknown export
 * tokens hold some, and after the last close no heap is left. The
 * VM's verdict adds: no splat, kmemleak clean, rmmod succeeds.
 *
 * The seed (MHEAP_STRESS_SEED, else the time) is printed first and with
 * any failure; it replays the same operation streams and kill schedule
 * (thread interleavings differ). MHEAP_STRESS_SECONDS sets the duration.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mheap.h"
#include "overlap.h"

#define PROCS		3
#define THREADS		3
#define POOL		64
#define SCRATCH		65536
#define BATCH_OPS	64
#define KERNEL_PTR	0xffff888000000000ULL
#define KERNEL_RANGE	0xffff800000000000ULL	/* x86-64's kernel half */
#define NR_IOCTLS	(_IOC_NR(MHEAP_IOC_EVENTS) + 1)

/* errno bits, for the documented sets (every errno used is below 128) */
typedef unsigned __int128 errset;
#define E(x)		((errset)1 << (x))
#define BASE		(E(EINVAL) | E(EFAULT) | E(ENOMEM) | E(E2BIG))
#define HANDLE		(E(ENOENT) | E(ESTALE))
#define CREATE		(E(EMFILE) | E(EOVERFLOW))

/* What each ioctl may return besides 0 (uapi/linux/mheap.h). */
static const errset documented[NR_IOCTLS] = {
	[_IOC_NR(MHEAP_IOC_VERSION)] = BASE,
	[_IOC_NR(MHEAP_IOC_CONFIG)] = BASE,
	[_IOC_NR(MHEAP_IOC_ALLOC)] = BASE | E(ENOSPC) | E(EMFILE),
	[_IOC_NR(MHEAP_IOC_DUP)] = BASE | HANDLE | CREATE,
	[_IOC_NR(MHEAP_IOC_CLOSE)] = BASE | E(ENOENT),
	[_IOC_NR(MHEAP_IOC_SET_SLOT)] = BASE | HANDLE | E(EOVERFLOW),
	[_IOC_NR(MHEAP_IOC_GET_SLOT)] = BASE | HANDLE | CREATE,
	[_IOC_NR(MHEAP_IOC_READ)] = BASE | HANDLE,
	[_IOC_NR(MHEAP_IOC_WRITE)] = BASE | HANDLE,
	[_IOC_NR(MHEAP_IOC_INFO)] = BASE | HANDLE,
	[_IOC_NR(MHEAP_IOC_GC)] = BASE,
	[_IOC_NR(MHEAP_IOC_GC_STATS)] = BASE,
	[_IOC_NR(MHEAP_IOC_HEAP_STATS)] = BASE,
	[_IOC_NR(MHEAP_IOC_MODULE_STATS)] = BASE,
	[_IOC_NR(MHEAP_IOC_REFS)] = BASE | HANDLE | E(EMFILE),
	[_IOC_NR(MHEAP_IOC_BATCH)] = BASE | E(EINTR),
	[_IOC_NR(MHEAP_IOC_NEW_CLIENT)] = BASE | E(EMFILE) | E(ENFILE),
	[_IOC_NR(MHEAP_IOC_EXPORT)] = BASE | HANDLE | E(EMFILE),
	[_IOC_NR(MHEAP_IOC_IMPORT)] = BASE | E(ENOENT) | E(EMFILE),
	[_IOC_NR(MHEAP_IOC_SCOPE)] = BASE | E(ENOENT) | E(EBUSY) | E(ENOSPC),
	[_IOC_NR(MHEAP_IOC_NAME)] = BASE | HANDLE | CREATE | E(EEXIST) |
				    E(ENOSPC),
	[_IOC_NR(MHEAP_IOC_NAMES)] = BASE,
	[_IOC_NR(MHEAP_IOC_EVENTS)] = BASE | E(EBUSY) | E(ENOENT),
};

static const unsigned int cmds[NR_IOCTLS] = {
	MHEAP_IOC_VERSION, MHEAP_IOC_CONFIG, MHEAP_IOC_ALLOC, MHEAP_IOC_DUP,
	MHEAP_IOC_CLOSE, MHEAP_IOC_SET_SLOT, MHEAP_IOC_GET_SLOT,
	MHEAP_IOC_READ, MHEAP_IOC_WRITE, MHEAP_IOC_INFO, MHEAP_IOC_GC,
	MHEAP_IOC_GC_STATS, MHEAP_IOC_HEAP_STATS, MHEAP_IOC_MODULE_STATS,
	MHEAP_IOC_REFS, MHEAP_IOC_BATCH, MHEAP_IOC_NEW_CLIENT,
	MHEAP_IOC_EXPORT, MHEAP_IOC_IMPORT, MHEAP_IOC_SCOPE, MHEAP_IOC_NAME,
	MHEAP_IOC_NAMES, MHEAP_IOC_EVENTS,
};

/* State shared by the threads of one worker process. */
static struct {
	int fd;
	unsigned long long seed;
	int proc;
	uint32_t handles[POOL];
	char *ro;		/* a read-only page of zeros */
	char *edge;		/* a writable page followed by an unmapped one */
	char *unmapped;
	char *map;		/* the payload mapping, MAP_LEN bytes, or NULL */
	struct overlap overlap;	/* this worker's threads' calls at once */
} w;

#define MAP_LEN		(256ULL << 20)

/* Where a thread's touch of the payload mapping resumes after SIGBUS */
static __thread sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/*
 * Shared by all workers and the parent: the calls made, and every export
 * token, so that workers import each other's and the parent can import
 * whatever is left at the end.
 */
#define TOKENS		(1 << 18)
static unsigned long long run_seed;

static struct shared {
	struct overlap overlap;	/* each worker's, folded (overlap_fold()) */
	unsigned long long calls;
	unsigned int ntokens;
	uint64_t tokens[TOKENS];
} *sh;

static unsigned int tokens_known(void)
{
	unsigned int n = __atomic_load_n(&sh->ntokens, __ATOMIC_ACQUIRE);

	return n < TOKENS ? n : TOKENS;
}

struct thread {
	unsigned long long rng;
	int id;
	char *scratch;		/* SCRATCH bytes */
	struct mheap_op *ops;	/* BATCH_OPS */
	unsigned long calls;
};

static unsigned long long next(struct thread *t)
{
	/* splitmix64 */
	unsigned long long z = (t->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(struct thread *t, unsigned int n)
{
	return next(t) % n;
}

/* Mostly a valid-looking value, sometimes a boundary or garbage. */
static uint64_t pick(struct thread *t, const uint64_t *vals, unsigned int n)
{
	return below(t, 8) ? vals[below(t, n)] : next(t);
}

static uint32_t handle(struct thread *t)
{
	switch (below(t, 10)) {
	case 0:
		return 0;
	case 1:
		return next(t);
	default:
		return __atomic_load_n(&w.handles[below(t, POOL)],
				       __ATOMIC_RELAXED);
	}
}

static void keep(uint32_t *pool, uint32_t h, struct thread *t)
{
	if (h)
		__atomic_store_n(&pool[below(t, POOL)], h, __ATOMIC_RELAXED);
}

/* Flags and reserved fields: zero, mostly. */
static uint32_t zeroish(struct thread *t)
{
	return below(t, 16) ? 0 : below(t, 2) ? 1U << below(t, 32) : next(t);
}

/*
 * A user buffer for @len bytes the kernel may write: scratch only when it
 * fits, else pointers that fault at some point. Never anything else of
 * this process's memory.
 */
static uint64_t buffer(struct thread *t, uint64_t len, bool kernel_writes)
{
	switch (below(t, 12)) {
	case 0:
		return 0;
	case 1:
		return KERNEL_PTR + below(t, 4096);
	case 2:
		return (uintptr_t)w.unmapped;
	case 3:
		return (uintptr_t)w.ro;
	case 4:
	case 5:
		/* runs into the unmapped page */
		return (uintptr_t)w.edge + 4096 - (len < 4096 ? len / 2 : 64);
	default:
		if (len <= SCRATCH)
			return (uintptr_t)t->scratch;
		return kernel_writes ? (uintptr_t)w.edge : (uintptr_t)w.ro;
	}
}

static const uint64_t sizes[] = {
	0, 1, 8, 16, 100, 4096, 65536, 1 << 20, MHEAP_MAX_SIZE,
	MHEAP_MAX_SIZE + 1ULL, ~0ULL,
};
static const uint64_t nrefs[] = {
	0, 1, 2, 8, 1000, MHEAP_MAX_REFS, MHEAP_MAX_REFS + 1ULL,
};
static const uint64_t indexes[] = { 0, 1, 2, 7, 1000, 1ULL << 32, ~0ULL };
static const uint64_t lens[] = { 0, 1, 8, 64, 4096, SCRATCH, 1ULL << 40, ~0ULL };

static void random_op(struct thread *t, struct mheap_op *op)
{
	uint64_t len;

	memset(op, 0, sizeof(*op));
	op->op = below(t, 9);
	op->flags = zeroish(t);
	op->handle = handle(t);
	switch (op->op) {
	case MHEAP_OP_ALLOC:
		op->handle = below(t, 8) ? 0 : op->handle;
		op->arg0 = pick(t, sizes, 8);
		op->arg1 = pick(t, nrefs, 5);
		op->arg2 = next(t);
		break;
	case MHEAP_OP_SET_SLOT:
		op->arg0 = pick(t, indexes, 7);
		op->arg1 = handle(t);
		break;
	case MHEAP_OP_GET_SLOT:
		op->arg0 = pick(t, indexes, 7);
		break;
	case MHEAP_OP_READ:
	case MHEAP_OP_WRITE:
		op->arg0 = pick(t, lens, 5);
		op->arg1 = len = pick(t, lens, 8);
		op->arg2 = buffer(t, len, op->op == MHEAP_OP_READ);
		break;
	default:
		if (!below(t, 8))
			op->arg0 = next(t);
		break;
	}
}

static void fail(struct thread *t, const char *fmt, unsigned long long a,
		 unsigned long long b)
{
	fprintf(stderr, "# stress: MHEAP_STRESS_SEED=%llu replays this (worker %d of seed %llu, thread %d, call %lu): ",
		run_seed, w.proc, w.seed, t->id, t->calls);
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n");
	_exit(1);
}

/*
 * A read() of reclamation records (the file is O_NONBLOCK): 0 records,
 * EAGAIN, EINVAL (not subscribed, or too short) or EFAULT, else whole
 * records, whose cookies are the workers' own (below the kernel half).
 */
static void read_events(struct thread *t)
{
	struct mheap_event ev[8];
	size_t len = below(t, 2) ? sizeof(ev) : below(t, sizeof(ev));
	void *buf = below(t, 8) ? (void *)ev : (void *)(uintptr_t)buffer(t, len, true);
	ssize_t n, i;

	t->calls++;
	__atomic_fetch_add(&sh->calls, 1, __ATOMIC_RELAXED);
	n = read(w.fd, buf, len);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINVAL && errno != EFAULT)
			fail(t, "read of events gave errno %lld", errno, 0);
		return;
	}
	if (n % sizeof(ev[0]) || (size_t)n > len)
		fail(t, "read of events returned %lld of %llu bytes", n, len);
	if (buf != ev)
		return;
	for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++) {
		if (ev[i].cookie >= KERNEL_RANGE ||
		    ev[i].reason < MHEAP_EVENT_REFCOUNT ||
		    ev[i].reason > MHEAP_EVENT_OVERFLOW)
			fail(t, "read an event %#llx, reason %llu", ev[i].cookie,
			     ev[i].reason);
	}
}

/*
 * Read or write a byte of the payload mapping while other threads allocate
 * and free, so that faults race with arenas coming and going: SIGBUS (no
 * arena there) is fine, anything else the kernel checkers judge.
 */
static void touch_mapping(struct thread *t)
{
	volatile char *p;

	if (!w.map) {
		void *m = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			       w.fd, 0);

		if (m == MAP_FAILED)
			fail(t, "mmap of the payload gave errno %lld", errno, 0);
		if (!__atomic_compare_exchange_n(&w.map, &(char *){ NULL }, m,
						 false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			munmap(m, MAP_LEN);
	}
	p = w.map + below(t, MAP_LEN);
	if (!sigsetjmp(bus_jmp, 1)) {
		if (below(t, 2))
			*p = (char)next(t);
		else
			(void)*p;
	}
}

/* One random call; exits the process on an undocumented result. */
static void one_call(struct thread *t)
{
	union {
		struct mheap_config config;
		struct mheap_alloc alloc;
		struct mheap_dup dup;
		struct mheap_close close;
		struct mheap_slot slot;
		struct mheap_rw rw;
		struct mheap_info info;
		struct mheap_gc_ctl gc;
		struct mheap_refs refs;
		struct mheap_batch batch;
		struct mheap_new_client nc;
		struct mheap_token token;
		struct mheap_scope scope;
		struct mheap_name name;
		struct mheap_names names;
		struct mheap_events events;
		char bytes[256];
	} a;
	unsigned int nr = below(t, NR_IOCTLS + 1), cmd, size, i;
	char before[sizeof(a.bytes)];
	bool unknown = false;
	void *arg = &a;
	int ret, err;

	memset(&a, 0, sizeof(a));
	if (nr == NR_IOCTLS) {
		/* an unknown number, or a known one of another direction */
		unknown = true;
		if (below(t, 2)) {
			cmd = _IOC(below(t, 4), MHEAP_IOC_MAGIC,
				   NR_IOCTLS + below(t, 200), below(t, 64));
		} else {
			cmd = cmds[below(t, NR_IOCTLS)];
			cmd = _IOC((_IOC_DIR(cmd) + 1 + below(t, 3)) % 4,
				   MHEAP_IOC_MAGIC, _IOC_NR(cmd), _IOC_SIZE(cmd));
		}
		goto call;
	}
	if (!below(t, 32)) {
		read_events(t);
		return;
	}
	if (!below(t, 16)) {
		touch_mapping(t);
		return;
	}
	cmd = cmds[nr];
	switch (cmd) {
	case MHEAP_IOC_CONFIG:
		a.config.flags = below(t, 4) ? 0 : below(t, 8);
		a.config.capacity = pick(t, sizes, 11);
		for (i = 0; i < MHEAP_GENERATIONS; i++)
			a.config.threshold[i] = below(t, 4) ? below(t, 3) : next(t);
		break;
	case MHEAP_IOC_ALLOC:
		a.alloc.size = pick(t, sizes, 8);
		a.alloc.nrefs = pick(t, nrefs, 5);
		a.alloc.flags = zeroish(t);
		/* below the kernel half: see the address check in one_call() */
		a.alloc.cookie = next(t) >> 17;
		a.alloc.reserved = zeroish(t);
		break;
	case MHEAP_IOC_DUP:
		a.dup.handle = handle(t);
		a.dup.flags = below(t, 3) ? 0 : below(t, 8) ? 1 : next(t);
		a.dup.reserved = zeroish(t);
		break;
	case MHEAP_IOC_CLOSE:
		a.close.handle = handle(t);
		a.close.flags = zeroish(t);
		break;
	case MHEAP_IOC_SET_SLOT:
	case MHEAP_IOC_GET_SLOT:
		a.slot.handle = handle(t);
		a.slot.flags = zeroish(t);
		a.slot.index = pick(t, indexes, 7);
		a.slot.target = cmd == MHEAP_IOC_SET_SLOT ? handle(t) : zeroish(t);
		a.slot.reserved = zeroish(t);
		break;
	case MHEAP_IOC_READ:
	case MHEAP_IOC_WRITE:
		a.rw.handle = handle(t);
		a.rw.flags = zeroish(t);
		a.rw.offset = pick(t, lens, 5);
		a.rw.len = pick(t, lens, 8);
		a.rw.buf = buffer(t, a.rw.len, cmd == MHEAP_IOC_READ);
		break;
	case MHEAP_IOC_INFO:
		a.info.handle = handle(t);
		a.info.flags = zeroish(t);
		break;
	case MHEAP_IOC_GC:
		a.gc.op = below(t, 10);
		a.gc.arg = below(t, 4) ? below(t, 3) : next(t);
		a.gc.flags = zeroish(t);
		break;
	case MHEAP_IOC_REFS:
		a.refs.handle = below(t, 4) ? handle(t) : 0;
		a.refs.which = below(t, 5);
		a.refs.count = below(t, 4) ? below(t, 16) :
			pick(t, (const uint64_t[]){ MHEAP_REFS_MAX, MHEAP_REFS_MAX + 1 }, 2);
		a.refs.buf = buffer(t, a.refs.count * 4ULL, true);
		a.refs.flags = zeroish(t);
		break;
	case MHEAP_IOC_BATCH:
		a.batch.count = below(t, 8) ? 1 + below(t, BATCH_OPS) :
			pick(t, (const uint64_t[]){ 0, MHEAP_BATCH_MAX + 1 }, 2);
		for (i = 0; i < BATCH_OPS; i++)
			random_op(t, &t->ops[i]);
		a.batch.ops = (uintptr_t)t->ops;
		if (!below(t, 6)) {
			/* never memory this process uses: read-only zeros */
			static const uint64_t bad[] = { 0, KERNEL_PTR };

			a.batch.ops = below(t, 2) ? (uintptr_t)w.ro : bad[below(t, 2)];
			a.batch.count = 1 + below(t, 100);
		}
		a.batch.flags = below(t, 2) ? 0 : below(t, 8) ? 1 : next(t);
		a.batch.done = zeroish(t);
		a.batch.start = zeroish(t);
		break;
	case MHEAP_IOC_NEW_CLIENT:
		a.nc.flags = below(t, 4) ? below(t, 2) : next(t);
		break;
	case MHEAP_IOC_EXPORT:
		a.token.handle = handle(t);
		a.token.flags = zeroish(t);
		break;
	case MHEAP_IOC_IMPORT:
		i = tokens_known();
		a.token.token = i && below(t, 8) ?
			__atomic_load_n(&sh->tokens[below(t, i)], __ATOMIC_RELAXED) :
			next(t);
		a.token.flags = zeroish(t);
		break;
	case MHEAP_IOC_SCOPE:
		/* a pop succeeds only at the innermost level: scopes pile up */
		a.scope.op = below(t, 16) ? 1 + below(t, 3) : below(t, 8);
		if (a.scope.op == MHEAP_SCOPE_POP)
			a.scope.level = below(t, 2) ? 1 + below(t, 66) : next(t);
		if (a.scope.op == MHEAP_SCOPE_ESCAPE)
			a.scope.handle = handle(t);
		a.scope.flags = zeroish(t);
		a.scope.reserved = zeroish(t);
		break;
	case MHEAP_IOC_NAME:
		a.name.op = below(t, 16) ? 1 + below(t, 3) : below(t, 8);
		a.name.flags = below(t, 2) ? 0 : below(t, 2) ? 1 : zeroish(t);
		a.name.handle = a.name.op == MHEAP_NAME_BIND || !below(t, 8) ?
				handle(t) : 0;
		a.name.reserved = zeroish(t);
		/* a few names, so that they collide; sometimes garbage */
		if (below(t, 8)) {
			snprintf(a.name.name, sizeof(a.name.name), "n%u",
				 below(t, 8));
		} else {
			for (i = 0; i < sizeof(a.name.name); i++)
				a.name.name[i] = below(t, 2) ? next(t) : 'x';
		}
		break;
	case MHEAP_IOC_NAMES:
		a.names.count = below(t, 4) ? below(t, 16) :
			pick(t, (const uint64_t[]){ MHEAP_NAMES_MAX, MHEAP_NAMES_MAX + 1 }, 2);
		a.names.buf = buffer(t, a.names.count * (uint64_t)MHEAP_NAME_LEN, true);
		a.names.start = below(t, 4) ? below(t, 8) : next(t);
		a.names.total = zeroish(t);
		a.names.flags = zeroish(t);
		break;
	case MHEAP_IOC_EVENTS:
		a.events.op = below(t, 8) ? 1 + below(t, 2) : below(t, 4);
		a.events.capacity = below(t, 2) ? below(t, 8) :
			pick(t, (const uint64_t[]){ 0, MHEAP_EVENTS_MAX, MHEAP_EVENTS_MAX + 1 }, 3);
		a.events.flags = zeroish(t);
		a.events.reserved = zeroish(t);
		break;
	}
	/* the argument struct: the kernel's size, mostly */
	size = _IOC_SIZE(cmd);
	switch (below(t, 24)) {
	case 0:
		size = below(t, size);			/* too short */
		break;
	case 1:
		size += 8 * (1 + below(t, 4));		/* newer: zero tail */
		break;
	case 2:
		size += 8;				/* newer: garbage tail */
		memset(a.bytes + _IOC_SIZE(cmd), 0xff, 8);
		break;
	case 3:
		arg = below(t, 2) ? NULL : (void *)w.ro;
		break;
	case 4:
		arg = w.edge + 4096 - size / 2;		/* runs off the page */
		break;
	}
	cmd = _IOC(_IOC_DIR(cmd), MHEAP_IOC_MAGIC, _IOC_NR(cmd), size);
call:
	t->calls++;
	__atomic_fetch_add(&sh->calls, 1, __ATOMIC_RELAXED);
	memcpy(before, a.bytes, sizeof(before));
	overlap_enter(&w.overlap);
	ret = ioctl(w.fd, cmd, arg);
	err = ret ? errno : 0;
	overlap_exit(&w.overlap);
	overlap_fold(&sh->overlap, &w.overlap);
	if (ret && ret != -1)
		fail(t, "ioctl %#llx returned %lld", cmd, ret);
	if (unknown) {
		if (err != ENOTTY)
			fail(t, "unknown ioctl %#llx gave errno %lld", cmd, err);
		return;
	}
	if (err && (err >= 128 || !(documented[nr] & E(err))))
		fail(t, "ioctl %#llx gave undocumented errno %lld", cmd, err);
	if (err || arg != (void *)&a)
		return;
	/* no kernel address in what the call wrote (inputs may hold some) */
	for (i = 0; i + 8 <= sizeof(before); i += 8) {
		uint64_t now;

		memcpy(&now, a.bytes + i, 8);
		/* ~0 is MHEAP_NO_MAP, INFO's map_offset without payload */
		if (memcmp(before + i, &now, 8) && now >= KERNEL_RANGE &&
		    now != MHEAP_NO_MAP)
			fail(t, "ioctl %#llx wrote kernel-range value %#llx",
			     cmd, now);
	}
	/* keep what the call made */
	switch (cmds[nr]) {
	case MHEAP_IOC_ALLOC:
		keep(w.handles, a.alloc.handle, t);
		break;
	case MHEAP_IOC_DUP:
		keep(w.handles, a.dup.copy, t);
		break;
	case MHEAP_IOC_GET_SLOT:
		keep(w.handles, a.slot.target, t);
		break;
	case MHEAP_IOC_IMPORT:
		keep(w.handles, a.token.handle, t);
		break;
	case MHEAP_IOC_EXPORT:
		i = __atomic_fetch_add(&sh->ntokens, 1, __ATOMIC_RELAXED);
		if (i < TOKENS)
			__atomic_store_n(&sh->tokens[i], a.token.token,
					 __ATOMIC_RELEASE);
		break;
	case MHEAP_IOC_NEW_CLIENT:
		if (a.nc.fd >= 0)
			close(a.nc.fd);
		break;
	case MHEAP_IOC_BATCH:
		for (i = 0; i < a.batch.done; i++)
			if (!t->ops[i].result && t->ops[i].out)
				keep(w.handles, t->ops[i].out, t);
		break;
	}
}

static void *thread_main(void *arg)
{
	struct thread *t = arg;

	for (;;)
		one_call(t);
	return NULL;
}

static void *map(int prot)
{
	void *p = mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(2);
	return p;
}

/* A worker: its own client of @main_fd's heap, THREADS threads, forever. */
static void worker(int main_fd, int proc, unsigned long long seed)
{
	struct mheap_new_client nc = { 0 };
	struct thread t[THREADS];
	pthread_t tid;
	int i;

	if (ioctl(main_fd, MHEAP_IOC_NEW_CLIENT, &nc))
		_exit(2);
	close(main_fd);
	w.fd = nc.fd;
	/* read() of events must never block a worker */
	if (fcntl(w.fd, F_SETFL, O_NONBLOCK))
		_exit(2);
	if (sigaction(SIGBUS, &(struct sigaction){ .sa_handler = on_bus }, NULL))
		_exit(2);
	w.seed = seed;
	w.proc = proc;
	w.ro = map(PROT_READ);
	w.edge = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w.edge == MAP_FAILED)
		_exit(2);
	munmap(w.edge + 4096, 4096);
	w.unmapped = w.edge + 4096;
	for (i = 0; i < THREADS; i++) {
		t[i] = (struct thread){
			.rng = seed * 0x100 + proc * 16 + i, .id = i,
			.scratch = malloc(SCRATCH),
			.ops = calloc(BATCH_OPS, sizeof(struct mheap_op)),
		};
		if (!t[i].scratch || !t[i].ops)
			_exit(2);
		if (i && pthread_create(&tid, NULL, thread_main, &t[i]))
			_exit(2);
	}
	thread_main(&t[0]);
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static pid_t spawn(int main_fd, int proc, unsigned long long seed)
{
	pid_t pid = fork();

	if (!pid)
		worker(main_fd, proc, seed);
	return pid;
}

TEST(random_ioctls)
{
	unsigned long long seed = run_seed = env_u64("MHEAP_STRESS_SEED", time(NULL));
	double seconds = env_u64("MHEAP_STRESS_SECONDS", 20), end;
	unsigned long long kills = 0, spawned = 0, imported = 0;
	struct mheap_heap_stats hs;
	struct mheap_module_stats ms;
	struct thread parent = { .rng = seed };
	pid_t pids[PROCS];
	struct mheap *mh, *probe;
	int i, status, fd;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	ksft_print_msg("stress: seed %llu, %d processes of %d threads, %.0f s\n",
		       seed, PROCS, THREADS, seconds);
	ASSERT_EQ(0, mheap_open("/dev/mheap", &mh));
	fd = mheap_fd(mh);
	for (i = 0; i < PROCS; i++) {
		pids[i] = spawn(fd, i, seed + spawned++);
		ASSERT_LT(0, pids[i]);
	}
	end = now() + seconds;
	while (now() < end) {
		usleep(50000 + below(&parent, 400000));
		i = below(&parent, PROCS);
		/* a worker that exited by itself found an undocumented result */
		if (waitpid(pids[i], &status, WNOHANG) == pids[i]) {
			ASSERT_TRUE(WIFSIGNALED(status))
				TH_LOG("worker exited with %d; seed %llu",
				       WEXITSTATUS(status), seed);
			ASSERT_EQ(0, 1) TH_LOG("worker died of signal %d; seed %llu",
					       WTERMSIG(status), seed);
		}
		kill(pids[i], SIGKILL);
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("worker status %#x; seed %llu", status, seed);
		kills++;
		pids[i] = spawn(fd, i, seed + spawned++);
		ASSERT_LT(0, pids[i]);
	}
	/* as above: every worker must still be running, and die of our kill */
	for (i = 0; i < PROCS; i++) {
		ASSERT_EQ(0, waitpid(pids[i], &status, WNOHANG))
			TH_LOG("worker ended by itself, status %#x; seed %llu",
			       status, seed);
		kill(pids[i], SIGKILL);
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("worker status %#x; seed %llu", status, seed);
	}
	/*
	 * Every worker's client is gone. Import what tokens are left and drop
	 * them (a worker killed between an export and recording its token
	 * leaves one the parent cannot know), then empty the collector.
	 */
	for (i = 0; i < (int)tokens_known(); i++) {
		uint32_t h;

		if (!mheap_import(mh, sh->tokens[i], &h)) {
			ASSERT_EQ(0, mheap_release(mh, h));
			imported++;
		}
	}
	/* and unbind every name the workers bound */
	for (;;) {
		char names[16][MHEAP_NAME_LEN];
		int n = mheap_name_list(mh, 0, names, 16, NULL);

		ASSERT_LE(0, n);
		if (!n)
			break;
		while (n--)
			ASSERT_EQ(0, mheap_name_unbind(mh, names[n]));
	}
	ASSERT_EQ(0, mheap_gc_unfreeze(mh));
	ASSERT_EQ(0, mheap_gc_set_save_all(mh, 0));
	ASSERT_EQ(0, mheap_gc_release_garbage(mh, NULL));
	ASSERT_EQ(0, mheap_collect(mh, 2, NULL));
	ASSERT_EQ(0, mheap_heap_stats(mh, &hs));
	EXPECT_EQ(1, hs.clients);
	EXPECT_EQ(0, hs.handles);
	if (!hs.exported)
		EXPECT_EQ(0, hs.objects_live) TH_LOG("seed %llu", seed);
	ksft_print_msg("stress: %llu calls, %llu workers killed, %llu objects allocated, %u tokens (%llu left for the end), %llu live after (%llu tokens unknown), seed %llu\n",
		       sh->calls, kills,
		       (unsigned long long)hs.objects_allocated,
		       sh->ntokens, imported,
		       (unsigned long long)hs.objects_live,
		       (unsigned long long)hs.exported, seed);
	/* the workers' calls really ran at once, on every CPU there is */
	ksft_print_msg("stress: calls under way at once: at most %d, on %d CPU(s)\n",
		       sh->overlap.most, overlap_cpus(&sh->overlap));
	EXPECT_TRUE(overlap_seen(&sh->overlap));
	/* the last close frees the heap and what its tokens held */
	ASSERT_EQ(0, mheap_close(mh));
	ASSERT_EQ(0, mheap_open("/dev/mheap", &probe));
	ASSERT_EQ(0, mheap_module_stats(probe, &ms));
	EXPECT_EQ(1, ms.heaps) TH_LOG("seed %llu", seed);
	ASSERT_EQ(0, mheap_close(probe));
}

TEST_HARNESS_MAIN

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whether a concurrency test's threads really ran at the same time: each
 * calls overlap_enter() before a call into the module and overlap_exit()
 * after it. The record keeps how many were inside at once at most, and
 * the CPUs that entered while another thread was inside. A VM that brings
 * up one CPU, or a kernel that never preempts, shows there (issue 16: the
 * debug kernel ran every race test on one CPU, and nothing noticed).
 *
 * The record may live in memory shared between processes (MAP_SHARED):
 * only atomic builtins touch it.
 */
#ifndef MHEAP_OVERLAP_H
#define MHEAP_OVERLAP_H

#include <sched.h>
#include <stdbool.h>
#include <unistd.h>

struct overlap {
	int inside;
	int most;
	unsigned long long cpus;
};

static inline void overlap_enter(struct overlap *o)
{
	int n = __atomic_add_fetch(&o->inside, 1, __ATOMIC_SEQ_CST);
	int most = __atomic_load_n(&o->most, __ATOMIC_RELAXED);
	int cpu;

	while (n > most &&
	       !__atomic_compare_exchange_n(&o->most, &most, n, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	cpu = sched_getcpu();
	if (n > 1 && cpu >= 0)
		__atomic_fetch_or(&o->cpus, 1ULL << (cpu & 63), __ATOMIC_RELAXED);
}

static inline void overlap_exit(struct overlap *o)
{
	__atomic_sub_fetch(&o->inside, 1, __ATOMIC_SEQ_CST);
}

/*
 * Add what @local saw to @total (another process's record, in shared
 * memory): so a process killed in the middle of a call leaves no count
 * behind in @total.
 */
static inline void overlap_fold(struct overlap *total,
				const struct overlap *local)
{
	int most = __atomic_load_n(&total->most, __ATOMIC_RELAXED);
	int n = __atomic_load_n(&local->most, __ATOMIC_RELAXED);

	while (n > most &&
	       !__atomic_compare_exchange_n(&total->most, &most, n, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	__atomic_fetch_or(&total->cpus,
			  __atomic_load_n(&local->cpus, __ATOMIC_RELAXED),
			  __ATOMIC_RELAXED);
}

/* CPUs seen running a call while another thread's call was under way */
static inline int overlap_cpus(const struct overlap *o)
{
	return __builtin_popcountll(__atomic_load_n(&o->cpus, __ATOMIC_RELAXED));
}

/* What a test should have seen: two threads inside at once, on two CPUs. */
static inline bool overlap_seen(const struct overlap *o)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	return __atomic_load_n(&o->most, __ATOMIC_RELAXED) >= 2 &&
	       overlap_cpus(o) >= (online >= 2 ? 2 : 1);
}

#endif /* MHEAP_OVERLAP_H */

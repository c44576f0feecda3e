/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the host benchmarks (gc_bench, boehm_bench, pause_core) share: a
 * monotonic clock in nanoseconds and an order for qsort() of uint64_t.
 */
#ifndef MHEAP_BENCH_UTIL_H
#define MHEAP_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC, in ns */
static inline uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* qsort() order of uint64_t values, smallest first */
static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

#endif

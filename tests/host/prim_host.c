// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "prim_host.h"

static long live;
static long fail_countdown;
static bool fail_fired;
static long warnings;
unsigned long mheap_prim_work_cancelled;

/* Every allocator of the seam goes through here: one count, one failure. */
static bool fail_now(void)
{
	if (fail_countdown && --fail_countdown == 0) {
		fail_fired = true;
		return true;
	}
	return false;
}

static void *counted(void *ptr)
{
	if (ptr)
		live++;
	return ptr;
}

void *mheap_prim_zalloc(size_t size)
{
	return fail_now() ? NULL : counted(calloc(1, size));
}

void mheap_prim_free(void *ptr)
{
	if (ptr)
		live--;
	free(ptr);
}

void *mheap_prim_kvzalloc(size_t size)
{
	return mheap_prim_zalloc(size);
}

void mheap_prim_kvfree(void *ptr)
{
	mheap_prim_free(ptr);
}

void *mheap_prim_vzalloc(size_t size)
{
	void *ptr;

	if (fail_now())
		return NULL;
	ptr = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	if (ptr)
		memset(ptr, 0, size);
	return counted(ptr);
}

void mheap_prim_vfree(void *ptr)
{
	mheap_prim_free(ptr);
}

void mheap_prim_warn(const char *file, int line, const char *cond)
{
	warnings++;
	fprintf(stderr, "WARN_ON_ONCE(%s) at %s:%d\n", cond, file, line);
}

void mheap_prim_warnf(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	warnings++;
	fprintf(stderr, "WARNING at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

long mheap_prim_live_allocs(void)
{
	return live;
}

void mheap_prim_fail_nth(long nth)
{
	fail_countdown = nth;
	fail_fired = false;
}

bool mheap_prim_fail_fired(void)
{
	return fail_fired;
}

struct mheap_prim_trace_log mheap_prim_trace;

long mheap_prim_warnings(void)
{
	return warnings;
}

u64 mheap_prim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

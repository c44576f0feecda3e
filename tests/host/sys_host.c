// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sys_host.h"

static long live;
static long fail_countdown;
static bool fail_fired;
static long warnings;

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

void *sys_zalloc(size_t size)
{
	return fail_now() ? NULL : counted(calloc(1, size));
}

void sys_free(void *ptr)
{
	if (ptr)
		live--;
	free(ptr);
}

void *sys_kvzalloc(size_t size)
{
	return sys_zalloc(size);
}

void sys_kvfree(void *ptr)
{
	sys_free(ptr);
}

void *sys_vzalloc(size_t size)
{
	void *ptr;

	if (fail_now())
		return NULL;
	ptr = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	if (ptr)
		memset(ptr, 0, size);
	return counted(ptr);
}

void sys_vfree(void *ptr)
{
	sys_free(ptr);
}

void sys_warn(const char *file, int line, const char *cond)
{
	warnings++;
	fprintf(stderr, "WARN_ON_ONCE(%s) at %s:%d\n", cond, file, line);
}

long sys_live_allocs(void)
{
	return live;
}

void sys_fail_nth(long nth)
{
	fail_countdown = nth;
	fail_fired = false;
}

bool sys_fail_fired(void)
{
	return fail_fired;
}

struct sys_trace_log sys_trace;

long sys_warnings(void)
{
	return warnings;
}

u64 sys_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

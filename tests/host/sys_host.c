// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "sys_host.h"

static long live;
static long fail_countdown;
static bool fail_fired;

void *sys_zalloc(size_t size)
{
	void *ptr;

	if (fail_countdown && --fail_countdown == 0) {
		fail_fired = true;
		return NULL;
	}
	ptr = calloc(1, size);
	if (ptr)
		live++;
	return ptr;
}

void sys_free(void *ptr)
{
	if (ptr)
		live--;
	free(ptr);
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

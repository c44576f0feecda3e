/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host side of the core's seam (module/sys.h): libc allocation that
 * counts live blocks and fails on demand, so that tests see leaks and can
 * walk every allocation failure path.
 */
#ifndef MHEAP_SYS_HOST_H
#define MHEAP_SYS_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kernel macros the core uses, as no-ops. */
#define EXPORT_SYMBOL_IF_KUNIT(symbol)

void *sys_zalloc(size_t size);
void sys_free(void *ptr);

/* Test hooks. */
long sys_live_allocs(void);	/* blocks allocated and not yet freed */
void sys_fail_nth(long nth);	/* fail the nth allocation from now; 0: none */
bool sys_fail_fired(void);	/* did the armed failure happen? */

#endif /* MHEAP_SYS_HOST_H */

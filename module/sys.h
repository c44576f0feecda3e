/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seam of the portable core: the only header heap.c, object.c and gc.c
 * include. Inside the kernel it maps the core's few primitives to kernel
 * APIs; in the host build (tests/host/) the same names come from libc
 * shims that count live allocations and fail on demand.
 *
 * Contract:
 *   sys_zalloc(size)  zeroed memory charged to the caller's memory cgroup,
 *                     or NULL; may sleep.
 *   sys_free(ptr)     frees what sys_zalloc returned; NULL is a no-op.
 *
 * Kernel macros the core uses (EXPORT_SYMBOL_IF_KUNIT, for the KUnit
 * module) keep their kernel names; the host shim defines them.
 */
#ifndef MHEAP_SYS_H
#define MHEAP_SYS_H

#ifdef __KERNEL__

#include <kunit/visibility.h>
#include <linux/slab.h>
#include <linux/types.h>

static inline void *sys_zalloc(size_t size)
{
	return kzalloc(size, GFP_KERNEL_ACCOUNT);
}

static inline void sys_free(void *ptr)
{
	kfree(ptr);
}

#else /* !__KERNEL__ */

#include "sys_host.h"

#endif /* __KERNEL__ */

#endif /* MHEAP_SYS_H */

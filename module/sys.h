/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seam of the portable core: the only header heap.c, object.c and
 * handle.c include. Inside the kernel it maps the core's few primitives to
 * kernel APIs; in the host build (tests/host/) the same names come from
 * libc shims that count live allocations and fail on demand.
 *
 * Contract (all allocators return zeroed memory charged to the caller's
 * memory cgroup, or NULL, stay quiet on failure, and may sleep):
 *   sys_zalloc(size)    small kernel-only metadata; sys_free() frees it.
 *   sys_kvzalloc(size)  tables that may grow large; sys_kvfree() frees it.
 *   sys_vzalloc(size)   arenas, page aligned; sys_vfree() frees them.
 *   sys_cond_resched()  a point where a long loop may yield the CPU.
 *   struct sys_mutex    the heap lock: sys_mutex_init/lock/unlock/destroy,
 *                       sys_assert_held().
 *   struct sys_work     a work item on the collector's workqueue:
 *                       sys_work_init(work, fn), sys_work_queue(work),
 *                       sys_work_cancel_sync(work); fn runs in process
 *                       context, never in the caller of sys_work_queue().
 *   sys_now_ns()        a monotonic clock, for pause times.
 *   trace_mheap_*()     the tracepoints of mheap_trace.h; recorded by the
 *                       host shim for its tests.
 * Besides these, the core uses a few kernel names the host shim defines
 * too: u8..u64, struct list_head and its helpers, container_of,
 * check_add_overflow, size_add, array_size, __ffs64, min/max/min_t,
 * atomic_long_*, WARN_ON_ONCE, WARN_ONCE, __always_unused and
 * EXPORT_SYMBOL_IF_KUNIT.
 */
#ifndef MHEAP_SYS_H
#define MHEAP_SYS_H

/* Which limit a call ran into: the mheap_limit tracepoint's @limit */
enum mheap_limit {
	MHEAP_LIMIT_CAPACITY,		/* the heap's capacity */
	MHEAP_LIMIT_TOTAL_CAPACITY,	/* module parameter total_capacity */
	MHEAP_LIMIT_HEAPS_PER_USER,	/* module parameter max_heaps_per_user */
	MHEAP_LIMIT_HANDLES,		/* MHEAP_MAX_HANDLES in a client */
	MHEAP_LIMIT_NAMES,		/* MHEAP_NAMES_MAX in a heap */
	MHEAP_LIMIT_SCOPES,		/* MHEAP_SCOPE_MAX in a client */
};

/* The uapi's limits are the core's: no renamed copies to keep in step */
#include <linux/mheap.h>

#ifdef __KERNEL__

#include <kunit/visibility.h>
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

/*
 * Charged to the caller's memory cgroup; at the group's memory.max the
 * caller gets NULL (and its ioctl -ENOMEM) rather than the OOM killer.
 */
#define SYS_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

static inline void *sys_zalloc(size_t size)
{
	return kzalloc(size, SYS_GFP);
}

static inline void sys_free(void *ptr)
{
	kfree(ptr);
}

static inline void *sys_kvzalloc(size_t size)
{
	return kvzalloc(size, SYS_GFP);
}

static inline void sys_kvfree(void *ptr)
{
	kvfree(ptr);
}

static inline void *sys_vzalloc(size_t size)
{
	return __vmalloc(size, SYS_GFP | __GFP_ZERO);
}

static inline void sys_vfree(void *ptr)
{
	vfree(ptr);
}

static inline void sys_cond_resched(void)
{
	cond_resched();
}

struct sys_mutex {
	struct mutex mutex;	/* the heap lock; see heap.h */
};

#define sys_mutex_init(m)	mutex_init(&(m)->mutex)
#define sys_mutex_destroy(m)	mutex_destroy(&(m)->mutex)
#define sys_mutex_lock(m)	mutex_lock(&(m)->mutex)
#define sys_mutex_unlock(m)	mutex_unlock(&(m)->mutex)
#define sys_assert_held(m)	lockdep_assert_held(&(m)->mutex)

/* The collector's workqueue: unbound, created by module init (main.c). */
extern struct workqueue_struct *mheap_gc_wq;

struct sys_work;
typedef void (*sys_work_fn)(struct sys_work *work);

struct sys_work {
	struct work_struct work;
	sys_work_fn fn;
};

static inline void sys_work_call(struct work_struct *work)
{
	struct sys_work *w = container_of(work, struct sys_work, work);

	w->fn(w);
}

static inline void sys_work_init(struct sys_work *w, sys_work_fn fn)
{
	INIT_WORK(&w->work, sys_work_call);
	w->fn = fn;
}

static inline void sys_work_queue(struct sys_work *w)
{
	queue_work(mheap_gc_wq, &w->work);
}

static inline void sys_work_cancel_sync(struct sys_work *w)
{
	cancel_work_sync(&w->work);
}

static inline u64 sys_now_ns(void)
{
	return ktime_get_ns();
}

#include "mheap_trace.h"

#else /* !__KERNEL__ */

#include "sys_host.h"

#endif /* __KERNEL__ */

#endif /* MHEAP_SYS_H */

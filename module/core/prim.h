/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seam of the portable core: the only kernel-facing header the core's
 * files (module/core/) include, besides one another's headers and the
 * uapi header for its limits (tests/lint.sh checks it). Inside the kernel
 * it maps the core's few primitives to kernel APIs; in the host build
 * (tests/host/)
 * the same names come from libc shims that count live allocations and fail
 * on demand.
 *
 * Contract (all allocators return zeroed memory charged to the caller's
 * memory cgroup, or NULL, stay quiet on failure, and may sleep):
 *   mheap_prim_zalloc(size)	small kernel-only metadata;
 *				mheap_prim_free() frees it.
 *   mheap_prim_kvzalloc(size)	tables that may grow large;
 *				mheap_prim_kvfree() frees it.
 *   mheap_prim_vzalloc(size)	arenas, page aligned; mheap_prim_vfree()
 *				frees them.
 *   mheap_prim_cond_resched()	a point where a long loop may yield the CPU.
 *   struct mheap_prim_mutex	the heap lock: mheap_prim_mutex_init, _lock,
 *				_lock_killable (0 or -EINTR),
 *				_unlock, _unlock_handoff (unlock, then
 *				wait until the tasks waiting for it have
 *				had it), _destroy, mheap_prim_assert_held().
 *   struct mheap_prim_work	a work item on the collector's workqueue:
 *				mheap_prim_work_init(work, fn),
 *				mheap_prim_work_queue(work),
 *				mheap_prim_work_cancel_sync(work); fn runs in
 *				process context, never in the caller of
 *				mheap_prim_work_queue().
 *   struct mheap_prim_dwork	the same, run @ms milliseconds after the
 *				last mheap_prim_dwork_queue(work, ms) (a
 *				call while it is pending sets the time
 *				again): mheap_prim_dwork_init(),
 *				_cancel_sync().
 *   mheap_prim_now_ns()	a monotonic clock, for pause times.
 *   trace_mheap_*()		the tracepoints of mheap_trace.h; recorded by
 *				the host shim for its tests.
 * The names are mheap's own (not the kernel's sys_* namespace of system
 * calls), and so is MHEAP_PRIM_GFP, the flags of every allocation.
 * Besides these, the core uses a few kernel names the host shim defines
 * too: u8..u64, struct list_head and its helpers, container_of,
 * check_add_overflow, size_add, array_size, __ffs64, hweight64,
 * min/max/min_t, likely/unlikely, OPTIMIZER_HIDE_VAR, READ_ONCE, atomic_long_*, WARN_ON_ONCE,
 * WARN_ONCE, __always_unused, __always_inline, NSEC_PER_MSEC and
 * EXPORT_SYMBOL_IF_KUNIT.
 */
#ifndef MHEAP_PRIM_H
#define MHEAP_PRIM_H

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
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

/*
 * Charged to the caller's memory cgroup; at the group's memory.max the
 * caller gets NULL (and its ioctl -ENOMEM) rather than the OOM killer.
 */
#define MHEAP_PRIM_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

static inline void *mheap_prim_zalloc(size_t size)
{
	return kzalloc(size, MHEAP_PRIM_GFP);
}

static inline void mheap_prim_free(void *ptr)
{
	kfree(ptr);
}

static inline void *mheap_prim_kvzalloc(size_t size)
{
	return kvzalloc(size, MHEAP_PRIM_GFP);
}

static inline void mheap_prim_kvfree(void *ptr)
{
	kvfree(ptr);
}

static inline void *mheap_prim_vzalloc(size_t size)
{
	return __vmalloc(size, MHEAP_PRIM_GFP | __GFP_ZERO);
}

static inline void mheap_prim_vfree(void *ptr)
{
	vfree(ptr);
}

static inline void mheap_prim_cond_resched(void)
{
	cond_resched();
}

/*
 * The heap lock, with the bookkeeping of a handoff: every task that begins
 * to take it "arrives", and "settles" once it holds it or gives up.
 * mheap_prim_mutex_unlock_handoff() lets go and then waits until every task
 * that had arrived by then has settled, so that its caller (the collector,
 * between two increments) never takes the lock back before them. The
 * kernel's own mutex hands off to a waiter only once it has been starved
 * (MUTEX_FLAG_HANDOFF); this is that promise made from the first time.
 */
struct mheap_prim_mutex {
	struct mutex mutex;	/* the heap lock; see heap.h */
	spinlock_t handoff_lock;	/* protects the four counts below */
	u64 arrived;		/* tasks that began to take @mutex */
	u64 settled;		/* of those, ones that took it or gave up */
	u64 handoff_upto;	/* the last arrival the handoff waits for */
	u64 handoff_left;	/* arrivals up to @handoff_upto not settled */
	wait_queue_head_t handoff_wq;	/* the handoff's waiter */
};

static inline void mheap_prim_mutex_init(struct mheap_prim_mutex *m)
{
	mutex_init(&m->mutex);
	spin_lock_init(&m->handoff_lock);
	m->arrived = 0;
	m->settled = 0;
	m->handoff_upto = 0;
	m->handoff_left = 0;
	init_waitqueue_head(&m->handoff_wq);
}

#define mheap_prim_mutex_destroy(m)	mutex_destroy(&(m)->mutex)

static inline u64 mheap_prim_mutex_arrive(struct mheap_prim_mutex *m)
{
	u64 ticket;

	spin_lock(&m->handoff_lock);
	ticket = ++m->arrived;
	spin_unlock(&m->handoff_lock);
	return ticket;
}

static inline void mheap_prim_mutex_settle(struct mheap_prim_mutex *m,
					   u64 ticket)
{
	spin_lock(&m->handoff_lock);
	m->settled++;
	if (ticket <= m->handoff_upto && m->handoff_left &&
	    !--m->handoff_left)
		wake_up(&m->handoff_wq);
	spin_unlock(&m->handoff_lock);
}

static inline void mheap_prim_mutex_lock(struct mheap_prim_mutex *m)
{
	u64 ticket = mheap_prim_mutex_arrive(m);

	mutex_lock(&m->mutex);
	mheap_prim_mutex_settle(m, ticket);
}

static inline int __must_check
mheap_prim_mutex_lock_killable(struct mheap_prim_mutex *m)
{
	u64 ticket = mheap_prim_mutex_arrive(m);
	int err = mutex_lock_killable(&m->mutex);

	mheap_prim_mutex_settle(m, ticket);
	return err;
}

#define mheap_prim_mutex_unlock(m)	mutex_unlock(&(m)->mutex)

static inline bool mheap_prim_handoff_done(struct mheap_prim_mutex *m)
{
	bool done;

	spin_lock(&m->handoff_lock);
	done = !m->handoff_left;
	spin_unlock(&m->handoff_lock);
	return done;
}

/*
 * Unlock, then wait (TASK_IDLE: not a hung task) until each task that was
 * waiting for the lock has taken it or given up. Caller holds no lock.
 */
static inline void mheap_prim_mutex_unlock_handoff(struct mheap_prim_mutex *m)
{
	bool wait;

	spin_lock(&m->handoff_lock);
	m->handoff_upto = m->arrived;
	m->handoff_left = m->arrived - m->settled;
	wait = m->handoff_left;
	spin_unlock(&m->handoff_lock);
	mutex_unlock(&m->mutex);
	if (wait)
		wait_event_idle(m->handoff_wq, mheap_prim_handoff_done(m));
}

#define mheap_prim_assert_held(m)	lockdep_assert_held(&(m)->mutex)

/* The collector's workqueue: unbound, created by module init (main.c). */
extern struct workqueue_struct *mheap_gc_wq;

struct mheap_prim_work;
typedef void (*mheap_prim_work_fn)(struct mheap_prim_work *work);

struct mheap_prim_work {
	struct work_struct work;
	mheap_prim_work_fn fn;
};

static inline void mheap_prim_work_call(struct work_struct *work)
{
	struct mheap_prim_work *w = container_of(work, struct mheap_prim_work, work);

	w->fn(w);
}

static inline void mheap_prim_work_init(struct mheap_prim_work *w, mheap_prim_work_fn fn)
{
	INIT_WORK(&w->work, mheap_prim_work_call);
	w->fn = fn;
}

static inline void mheap_prim_work_queue(struct mheap_prim_work *w)
{
	queue_work(mheap_gc_wq, &w->work);
}

static inline void mheap_prim_work_cancel_sync(struct mheap_prim_work *w)
{
	cancel_work_sync(&w->work);
}

struct mheap_prim_dwork;
typedef void (*mheap_prim_dwork_fn)(struct mheap_prim_dwork *work);

struct mheap_prim_dwork {
	struct delayed_work dwork;
	mheap_prim_dwork_fn fn;
};

static inline void mheap_prim_dwork_call(struct work_struct *work)
{
	struct mheap_prim_dwork *w = container_of(to_delayed_work(work),
						  struct mheap_prim_dwork,
						  dwork);

	w->fn(w);
}

static inline void mheap_prim_dwork_init(struct mheap_prim_dwork *w,
					 mheap_prim_dwork_fn fn)
{
	INIT_DELAYED_WORK(&w->dwork, mheap_prim_dwork_call);
	w->fn = fn;
}

static inline void mheap_prim_dwork_queue(struct mheap_prim_dwork *w,
					  unsigned int ms)
{
	mod_delayed_work(mheap_gc_wq, &w->dwork, msecs_to_jiffies(ms));
}

static inline void mheap_prim_dwork_cancel_sync(struct mheap_prim_dwork *w)
{
	cancel_delayed_work_sync(&w->dwork);
}

static inline u64 mheap_prim_now_ns(void)
{
	return ktime_get_ns();
}

#include "../mheap_trace.h"

#else /* !__KERNEL__ */

#include "prim_host.h"

#endif /* __KERNEL__ */

#endif /* MHEAP_PRIM_H */

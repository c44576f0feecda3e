/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host side of the core's seam (module/prim.h): libc allocation that
 * counts live blocks and fails on demand, so that tests see leaks and can
 * walk every allocation failure path; and the few kernel names the core
 * uses, written for a single-threaded test program.
 */
#ifndef MHEAP_PRIM_HOST_H
#define MHEAP_PRIM_HOST_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define EXPORT_SYMBOL_IF_KUNIT(symbol)
#define __always_unused	__attribute__((unused))
#define __maybe_unused	__attribute__((unused))
#define noinline	__attribute__((__noinline__))
#ifndef __always_inline
#define __always_inline	inline __attribute__((always_inline))
#endif
#define __must_check	__attribute__((warn_unused_result))
#define hweight64(x)	((unsigned int)__builtin_popcountll(x))

void *mheap_prim_zalloc(size_t size);
void mheap_prim_free(void *ptr);
void *mheap_prim_kvzalloc(size_t size);
void mheap_prim_kvfree(void *ptr);
void *mheap_prim_vzalloc(size_t size);
void mheap_prim_vfree(void *ptr);

static inline void mheap_prim_cond_resched(void)
{
}

/* The heap lock: single-threaded here, but held-ness is still checked. */
struct mheap_prim_mutex {
	int held;
};

/* Work items: queued here, run by the test with mheap_prim_work_run(). */
struct mheap_prim_work;
typedef void (*mheap_prim_work_fn)(struct mheap_prim_work *work);

struct mheap_prim_work {
	mheap_prim_work_fn fn;
	bool queued;
};

static inline void mheap_prim_work_init(struct mheap_prim_work *w, mheap_prim_work_fn fn)
{
	w->fn = fn;
	w->queued = false;
}

static inline void mheap_prim_work_queue(struct mheap_prim_work *w)
{
	w->queued = true;
}

/* Queued work items cancelled, for tests that a teardown cancels its work */
extern unsigned long mheap_prim_work_cancelled;

static inline void mheap_prim_work_cancel_sync(struct mheap_prim_work *w)
{
	mheap_prim_work_cancelled += w->queued;
	w->queued = false;
}

/* Delayed work items: queued here (the last delay kept), run when told. */
struct mheap_prim_dwork;
typedef void (*mheap_prim_dwork_fn)(struct mheap_prim_dwork *work);

struct mheap_prim_dwork {
	mheap_prim_dwork_fn fn;
	bool queued;
	unsigned int ms;
};

static inline void mheap_prim_dwork_init(struct mheap_prim_dwork *w,
					 mheap_prim_dwork_fn fn)
{
	w->fn = fn;
	w->queued = false;
}

static inline void mheap_prim_dwork_queue(struct mheap_prim_dwork *w,
					  unsigned int ms)
{
	w->ms = ms;
	w->queued = true;
}

static inline void mheap_prim_dwork_cancel_sync(struct mheap_prim_dwork *w)
{
	w->queued = false;
}

/* Run @w if it is queued, whatever its delay; returns whether it ran. */
static inline bool mheap_prim_dwork_run(struct mheap_prim_dwork *w)
{
	if (!w->queued)
		return false;
	w->queued = false;
	w->fn(w);
	return true;
}

/* Run @w if it is queued; returns whether it ran. */
static inline bool mheap_prim_work_run(struct mheap_prim_work *w)
{
	if (!w->queued)
		return false;
	w->queued = false;
	w->fn(w);
	return true;
}

u64 mheap_prim_now_ns(void);

void mheap_prim_warn(const char *file, int line, const char *cond);
void mheap_prim_warnf(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define OPTIMIZER_HIDE_VAR(var)	__asm__ ("" : "=r" (var) : "0" (var))
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define WARN_ON_ONCE(cond) ({						\
	bool __c = (cond);						\
	if (unlikely(__c))							\
		mheap_prim_warn(__FILE__, __LINE__, #cond);			\
	__c;								\
})

#define WARN_ONCE(cond, fmt, ...) ({					\
	bool __c = (cond);						\
	if (__c)							\
		mheap_prim_warnf(__FILE__, __LINE__, fmt, ##__VA_ARGS__);	\
	__c;								\
})

#define mheap_prim_mutex_init(m)	((m)->held = 0)
#define mheap_prim_mutex_destroy(m)	WARN_ON_ONCE((m)->held)
#define mheap_prim_mutex_lock(m)	(WARN_ON_ONCE((m)->held), (m)->held = 1)
/* a host process is never killed while it waits: always 0 */
#define mheap_prim_mutex_lock_killable(m) (mheap_prim_mutex_lock(m), 0)
#define mheap_prim_mutex_unlock(m)	(WARN_ON_ONCE(!(m)->held), (m)->held = 0)
/* nobody else can be waiting for it here */
#define mheap_prim_mutex_unlock_handoff(m) mheap_prim_mutex_unlock(m)
/* The kernel's static_assert(), whose message is optional */
#define __static_assert(expr, msg, ...)	_Static_assert(expr, msg)
#define static_assert(expr, ...)	__static_assert(expr, ##__VA_ARGS__, #expr)

/*
 * lockdep_assert_held() costs nothing in a kernel built without lockdep:
 * the benchmarks (built with NDEBUG) leave the check out likewise.
 */
#ifdef NDEBUG
#define mheap_prim_assert_held(m)	((void)(m))
#else
#define mheap_prim_assert_held(m)	WARN_ON_ONCE(!(m)->held)
#endif

/*
 * The tracepoints (module/mheap_trace.h): counted and their last
 * arguments kept, for the tests.
 */
struct mheap_prim_trace_log {
	long heap_create, heap_destroy, gc_start, gc_end;
	long arena_add, arena_release, limit;
	u32 heap;			/* of the last event */
	u64 capacity, capacity_max;	/* of the last heap_create */
	u64 objects;			/* of the last gc_start, heap_destroy */
	u32 gen;			/* of the last gc_start or gc_end */
	bool automatic;			/* of the last gc_start */
	u64 examined, collected, uncollectable, pause_ns; /* last gc_end */
	long gc_increment;		/* increments traced */
	u32 from_phase, to_phase;	/* of the last increment */
	u64 work;			/* of the last increment */
	bool payload;			/* of the last arena event */
	u32 index;
	u64 arena_bytes;		/* of the last arena event */
	long long arena_delta;		/* added minus released */
	int limit_kind;			/* of the last limit event */
	u64 limit_value;
};

extern struct mheap_prim_trace_log mheap_prim_trace;

static inline void trace_mheap_heap_create(u32 heap, u64 capacity,
					   u64 capacity_max)
{
	mheap_prim_trace.heap_create++;
	mheap_prim_trace.heap = heap;
	mheap_prim_trace.capacity = capacity;
	mheap_prim_trace.capacity_max = capacity_max;
}

static inline void trace_mheap_heap_destroy(u32 heap, u64 objects,
					    u64 arena_bytes)
{
	mheap_prim_trace.heap_destroy++;
	mheap_prim_trace.heap = heap;
	mheap_prim_trace.objects = objects;
	mheap_prim_trace.arena_bytes = arena_bytes;
}

static inline void trace_mheap_gc_start(u32 heap, u32 gen, u64 objects,
					bool automatic)
{
	mheap_prim_trace.gc_start++;
	mheap_prim_trace.heap = heap;
	mheap_prim_trace.gen = gen;
	mheap_prim_trace.objects = objects;
	mheap_prim_trace.automatic = automatic;
}

static inline void trace_mheap_gc_end(u32 heap, u32 gen, u64 examined,
				      u64 collected, u64 uncollectable,
				      u64 pause_ns)
{
	mheap_prim_trace.gc_end++;
	mheap_prim_trace.heap = heap;
	mheap_prim_trace.gen = gen;
	mheap_prim_trace.examined = examined;
	mheap_prim_trace.collected = collected;
	mheap_prim_trace.uncollectable = uncollectable;
	mheap_prim_trace.pause_ns = pause_ns;
}

static inline void trace_mheap_gc_increment(u32 heap, u32 gen, u32 from,
					    u32 to, u64 work, u64 pause_ns)
{
	mheap_prim_trace.gc_increment++;
	mheap_prim_trace.heap = heap;
	mheap_prim_trace.gen = gen;
	mheap_prim_trace.from_phase = from;
	mheap_prim_trace.to_phase = to;
	mheap_prim_trace.work = work;
	mheap_prim_trace.pause_ns = pause_ns;
}

static inline void trace_arena(u32 heap, bool payload, u32 index,
			       u64 arena_bytes)
{
	mheap_prim_trace.heap = heap;
	mheap_prim_trace.payload = payload;
	mheap_prim_trace.index = index;
	mheap_prim_trace.arena_bytes = arena_bytes;
}

static inline void trace_mheap_arena_add(u32 heap, bool payload, u32 index,
					 u64 size, u64 arena_bytes)
{
	mheap_prim_trace.arena_add++;
	mheap_prim_trace.arena_delta += size;
	trace_arena(heap, payload, index, arena_bytes);
}

static inline void trace_mheap_arena_release(u32 heap, bool payload,
					     u32 index, u64 size, u64 arena_bytes)
{
	mheap_prim_trace.arena_release++;
	mheap_prim_trace.arena_delta -= size;
	trace_arena(heap, payload, index, arena_bytes);
}

static inline void trace_mheap_limit(u32 heap, int limit, u64 value)
{
	mheap_prim_trace.limit++;
	mheap_prim_trace.heap = heap;
	mheap_prim_trace.limit_kind = limit;
	mheap_prim_trace.limit_value = value;
}

/* Test hooks. */
long mheap_prim_live_allocs(void);	/* blocks allocated and not yet freed */
void mheap_prim_fail_nth(long nth);	/* fail the nth allocation from now; 0: none */
bool mheap_prim_fail_fired(void);	/* did the armed failure happen? */
long mheap_prim_warnings(void);	/* WARN_ON_ONCE()s that fired so far */

/* Kernel helpers. */
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define BIT(n)			(1UL << (n))
#define BIT_ULL(n)		(1ULL << (n))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define round_up(x, y)		((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define min(a, b) ({ __auto_type __a = (a); __auto_type __b = (b);	\
		     __a < __b ? __a : __b; })
#define max(a, b) ({ __auto_type __a = (a); __auto_type __b = (b);	\
		     __a > __b ? __a : __b; })
#define min3(a, b, c) min(min(a, b), c)
#define min_t(type, a, b) min((type)(a), (type)(b))
static inline size_t size_add(size_t a, size_t b)
{
	size_t sum;

	return __builtin_add_overflow(a, b, &sum) ? SIZE_MAX : sum;
}

static inline size_t array_size(size_t n, size_t size)
{
	size_t bytes;

	return __builtin_mul_overflow(n, size, &bytes) ? SIZE_MAX : bytes;
}

#define max_t(t, a, b)		max((t)(a), (t)(b))
#define struct_size(p, member, n) \
	(sizeof(*(p)) + sizeof((p)->member[0]) * (n))
#define U32_MAX			((u32)~0U)
#define U64_MAX			((u64)~0ULL)
#define SZ_1M			0x100000
#define SZ_64M			0x4000000
#define SZ_1G			0x40000000
#define NSEC_PER_MSEC		1000000L
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

static inline unsigned long __ffs64(u64 word)
{
	return __builtin_ctzll(word);
}

typedef struct {
	long counter;
} atomic_long_t;

static inline void atomic_long_add(long i, atomic_long_t *v)
{
	__atomic_add_fetch(&v->counter, i, __ATOMIC_RELAXED);
}

static inline long atomic_long_add_return(long i, atomic_long_t *v)
{
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_RELAXED);
}

/* true, and *@v = @new, when *@v was *@old; else *@old = *@v */
static inline bool atomic_long_try_cmpxchg(atomic_long_t *v, long *old,
					   long new)
{
	return __atomic_compare_exchange_n(&v->counter, old, new, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static inline void atomic_long_sub(long i, atomic_long_t *v)
{
	__atomic_sub_fetch(&v->counter, i, __ATOMIC_RELAXED);
}

static inline long atomic_long_read(const atomic_long_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

struct list_head {
	struct list_head *next, *prev;
};

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}

static inline void __list_add(struct list_head *new, struct list_head *prev,
			      struct list_head *next)
{
	next->prev = new;
	new->next = next;
	new->prev = prev;
	prev->next = new;
}

static inline void list_add(struct list_head *new, struct list_head *head)
{
	__list_add(new, head, head->next);
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	__list_add(new, head->prev, head);
}

static inline void list_del_init(struct list_head *entry)
{
	entry->next->prev = entry->prev;
	entry->prev->next = entry->next;
	INIT_LIST_HEAD(entry);
}

static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

/* Move @list's entries to the front of @head; @list is left empty. */
static inline void list_splice_init(struct list_head *list,
				    struct list_head *head)
{
	if (list_empty(list))
		return;
	list->next->prev = head;
	list->prev->next = head->next;
	head->next->prev = list->prev;
	head->next = list->next;
	INIT_LIST_HEAD(list);
}

static inline bool list_is_singular(const struct list_head *head)
{
	return !list_empty(head) && head->next == head->prev;
}

#define LIST_HEAD(name)	struct list_head name = { &(name), &(name) }
#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry_or_null(head, type, member) \
	(list_empty(head) ? NULL : list_entry((head)->next, type, member))
#define list_last_entry(head, type, member)	list_entry((head)->prev, type, member)
#define list_for_each(pos, head) \
	for (pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_entry(pos, head, member)				\
	for (pos = list_entry((head)->next, __typeof__(*pos), member);	\
	     &pos->member != (head);					\
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))

#endif /* MHEAP_PRIM_HOST_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mheap's tracepoints (events/mheap/ in tracefs); see
 * Documentation/admin-guide.rst. Included through prim.h, which defines
 * enum mheap_limit first; trace.c creates them. In the host build of the
 * portable core the same names come from tests/host/prim_host.h, which
 * records them for the tests.
 *
 * Heaps are named by their id (the directory name in debugfs), never by
 * address; every argument is a scalar.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mheap

#if !defined(MHEAP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define MHEAP_TRACE_H

#include <linux/tracepoint.h>

TRACE_DEFINE_ENUM(MHEAP_LIMIT_CAPACITY);
TRACE_DEFINE_ENUM(MHEAP_LIMIT_TOTAL_CAPACITY);
TRACE_DEFINE_ENUM(MHEAP_LIMIT_HEAPS_PER_USER);
TRACE_DEFINE_ENUM(MHEAP_LIMIT_HANDLES);
TRACE_DEFINE_ENUM(MHEAP_LIMIT_NAMES);
TRACE_DEFINE_ENUM(MHEAP_LIMIT_SCOPES);

TRACE_EVENT(mheap_heap_create,
	    TP_PROTO(u32 heap, u64 capacity, u64 capacity_max),
	    TP_ARGS(heap, capacity, capacity_max),
	    TP_STRUCT__entry(__field(u32, heap)
			     __field(u64, capacity)
			     __field(u64, capacity_max)),
	    TP_fast_assign(__entry->heap = heap;
			   __entry->capacity = capacity;
			   __entry->capacity_max = capacity_max;),
	    TP_printk("heap=%u capacity=%llu capacity_max=%llu",
		      __entry->heap, __entry->capacity,
		      __entry->capacity_max));

TRACE_EVENT(mheap_heap_destroy,
	    TP_PROTO(u32 heap, u64 objects, u64 arena_bytes),
	    TP_ARGS(heap, objects, arena_bytes),
	    TP_STRUCT__entry(__field(u32, heap)
			     __field(u64, objects)
			     __field(u64, arena_bytes)),
	    TP_fast_assign(__entry->heap = heap;
			   __entry->objects = objects;
			   __entry->arena_bytes = arena_bytes;),
	    TP_printk("heap=%u objects=%llu arena_bytes=%llu", __entry->heap,
		      __entry->objects, __entry->arena_bytes));

TRACE_EVENT(mheap_gc_start,
	    TP_PROTO(u32 heap, u32 gen, u64 objects, bool automatic),
	    TP_ARGS(heap, gen, objects, automatic),
	    TP_STRUCT__entry(__field(u32, heap)
			     __field(u32, gen)
			     __field(u64, objects)
			     __field(bool, automatic)),
	    TP_fast_assign(__entry->heap = heap;
			   __entry->gen = gen;
			   __entry->objects = objects;
			   __entry->automatic = automatic;),
	    TP_printk("heap=%u gen=%u objects=%llu automatic=%d",
		      __entry->heap, __entry->gen, __entry->objects,
		      __entry->automatic));

TRACE_EVENT(mheap_gc_end,
	    TP_PROTO(u32 heap, u32 gen, u64 examined, u64 collected,
		     u64 uncollectable, u64 pause_ns),
	    TP_ARGS(heap, gen, examined, collected, uncollectable, pause_ns),
	    TP_STRUCT__entry(__field(u32, heap)
			     __field(u32, gen)
			     __field(u64, examined)
			     __field(u64, collected)
			     __field(u64, uncollectable)
			     __field(u64, pause_ns)),
	    TP_fast_assign(__entry->heap = heap;
			   __entry->gen = gen;
			   __entry->examined = examined;
			   __entry->collected = collected;
			   __entry->uncollectable = uncollectable;
			   __entry->pause_ns = pause_ns;),
	    TP_printk("heap=%u gen=%u examined=%llu collected=%llu uncollectable=%llu pause_ns=%llu",
		      __entry->heap, __entry->gen, __entry->examined,
		      __entry->collected, __entry->uncollectable,
		      __entry->pause_ns));

TRACE_EVENT(mheap_gc_increment,
	    TP_PROTO(u32 heap, u32 gen, u32 from, u32 to, u64 work,
		     u64 pause_ns),
	    TP_ARGS(heap, gen, from, to, work, pause_ns),
	    TP_STRUCT__entry(__field(u32, heap)
			     __field(u32, gen)
			     __field(u32, from)
			     __field(u32, to)
			     __field(u64, work)
			     __field(u64, pause_ns)),
	    TP_fast_assign(__entry->heap = heap;
			   __entry->gen = gen;
			   __entry->from = from;
			   __entry->to = to;
			   __entry->work = work;
			   __entry->pause_ns = pause_ns;),
	    TP_printk("heap=%u gen=%u from=%u to=%u work=%llu pause_ns=%llu",
		      __entry->heap, __entry->gen, __entry->from, __entry->to,
		      __entry->work, __entry->pause_ns));

DECLARE_EVENT_CLASS(mheap_arena,
		    TP_PROTO(u32 heap, bool payload, u32 index, u64 size,
			     u64 arena_bytes),
		    TP_ARGS(heap, payload, index, size, arena_bytes),
		    TP_STRUCT__entry(__field(u32, heap)
				     __field(bool, payload)
				     __field(u32, index)
				     __field(u64, size)
				     __field(u64, arena_bytes)),
		    TP_fast_assign(__entry->heap = heap;
				   __entry->payload = payload;
				   __entry->index = index;
				   __entry->size = size;
				   __entry->arena_bytes = arena_bytes;),
		    TP_printk("heap=%u space=%s index=%u size=%llu arena_bytes=%llu",
			      __entry->heap,
			      __entry->payload ? "payload" : "meta",
			      __entry->index, __entry->size,
			      __entry->arena_bytes));

DEFINE_EVENT(mheap_arena, mheap_arena_add,
	     TP_PROTO(u32 heap, bool payload, u32 index, u64 size,
		      u64 arena_bytes),
	     TP_ARGS(heap, payload, index, size, arena_bytes));

DEFINE_EVENT(mheap_arena, mheap_arena_release,
	     TP_PROTO(u32 heap, bool payload, u32 index, u64 size,
		      u64 arena_bytes),
	     TP_ARGS(heap, payload, index, size, arena_bytes));

TRACE_EVENT(mheap_limit,
	    TP_PROTO(u32 heap, enum mheap_limit limit, u64 value),
	    TP_ARGS(heap, limit, value),
	    TP_STRUCT__entry(__field(u32, heap)
			     __field(u32, limit)
			     __field(u64, value)),
	    TP_fast_assign(__entry->heap = heap;
			   __entry->limit = limit;
			   __entry->value = value;),
	    TP_printk("heap=%u limit=%s value=%llu", __entry->heap,
		      __print_symbolic(__entry->limit,
				       { MHEAP_LIMIT_CAPACITY, "capacity" },
				       { MHEAP_LIMIT_TOTAL_CAPACITY,
					 "total_capacity" },
				       { MHEAP_LIMIT_HEAPS_PER_USER,
					 "heaps_per_user" },
				       { MHEAP_LIMIT_HANDLES, "handles" },
				       { MHEAP_LIMIT_NAMES, "names" },
				       { MHEAP_LIMIT_SCOPES, "scopes" }),
		      __entry->value));

#endif /* MHEAP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE mheap_trace
#include <trace/define_trace.h>

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mheap._mheap: the C half of the Python package (Documentation/python.rst).
 *
 * _Heap (heap.c, with collector.c and roots.c) is one client of a heap:
 * one open file and its handle table; its methods take and give Objects.
 * Object (object.c) is a proxy owning one strong handle, closed when the
 * proxy dies, by close() or when its scope is popped. Batch and Pending
 * (batch.c) queue operations and run them in one call. The Python half
 * (mheap/__init__.py) builds the gc module's names, the names mapping,
 * scopes, events and weak references on these.
 *
 * Every call goes through libmheap and releases the GIL around the
 * ioctl, so a collection in one thread does not stop the others. A heap
 * closed while calls are in flight closes its file when the last returns,
 * so a descriptor number is never reused under a running call. Errors
 * are OSError(errno, message): Python picks the subclass (ENOENT gives
 * FileNotFoundError), and the message names the call and its arguments.
 */
#ifndef MHEAP_PY_H
#define MHEAP_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "mheap.h"

typedef struct {
	PyObject_HEAD
	struct mheap *mh;
	int closing;		/* close() was called */
	int busy;		/* calls running without the GIL */
	int writable;		/* the file is open for writing */
	void *map;		/* the payload mapping, or NULL */
	Py_ssize_t exports;	/* buffers exported by its Objects */
	unsigned int nscopes;	/* scopes open */
	uint64_t scope_ids[MHEAP_SCOPE_MAX];	/* unique, innermost last */
	Py_ssize_t scope_exports[MHEAP_SCOPE_MAX];	/* buffers, per scope */
	uint64_t next_scope_id;
} HeapObject;

typedef struct {
	PyObject_HEAD
	HeapObject *heap;
	uint32_t handle;	/* 0 once closed */
	int32_t nrefs;		/* slot count, -1 until known */
	uint64_t scope;		/* the scope the handle belongs to, 0: none */
	Py_ssize_t exports;	/* buffers exported */
} ObjObject;

extern PyTypeObject Heap_Type;
extern PyTypeObject Object_Type;
extern PyTypeObject Batch_Type;
extern PyTypeObject Pending_Type;

/* Heap._gc_op()'s operations */
enum { GC_ENABLE, GC_DISABLE, GC_FREEZE, GC_UNFREEZE, GC_SAVE_ALL,
       GC_NO_SAVE_ALL, GC_RELEASE };

/* What CALL gives when the heap was closed before the call could run. */
#define HEAP_CLOSED	(-0x10000)

/*
 * Run EXPR (a libmheap call returning 0, a count or a negative errno)
 * without the GIL; the heap's file stays open meanwhile. Another thread
 * may close the heap or a proxy while the GIL is released: code after a
 * CALL checks again what it uses (a second CALL checks the heap itself,
 * giving HEAP_CLOSED, which set_error() turns into ValueError), and reads
 * handles into locals before it (a proxy closed meanwhile makes the
 * kernel answer ENOENT, which obj_fail() turns into ValueError).
 */
#define CALL(h, expr) ({						\
	int __r = HEAP_CLOSED;						\
	if ((h)->mh && !(h)->closing) {					\
		(h)->busy++;						\
		Py_BEGIN_ALLOW_THREADS					\
		__r = (expr);						\
		Py_END_ALLOW_THREADS					\
		(h)->busy--;						\
		heap_finish_close(h);					\
	}								\
	__r;								\
})

/* common.c */
PyObject *set_error(int err, const char *fmt, ...);
PyObject *obj_fail(ObjObject *o, int err, const char *fmt, ...);
void release_quiet(HeapObject *h, uint32_t handle);
void heap_finish_close(HeapObject *h);
int heap_check(HeapObject *h);
int scope_live(HeapObject *h, uint64_t id);
int scope_index(HeapObject *h, uint64_t id);
int obj_check(ObjObject *o);
uint32_t obj_handle(ObjObject *o);
PyObject *obj_new(HeapObject *h, uint32_t handle, int32_t nrefs);
PyObject *obj_or_none(HeapObject *h, uint32_t handle);
int arg_obj(HeapObject *h, PyObject *arg, const char *what,
	    ObjObject **out);
int u64_conv(PyObject *arg, void *out);
int u32_conv(PyObject *arg, void *out);

/* heap.c */
int heap_map(HeapObject *h);

/* collector.c */
PyObject *Heap_collect(HeapObject *self, PyObject *args);
PyObject *Heap_gc_op(HeapObject *self, PyObject *arg);
PyObject *Heap_gc_stats(HeapObject *self, PyObject *Py_UNUSED(unused));
PyObject *Heap_set_threshold(HeapObject *self, PyObject *args);
PyObject *Heap_refs(HeapObject *self, PyObject *args);

/* roots.c */
PyObject *Heap_name_bind(HeapObject *self, PyObject *args);
PyObject *Heap_name_lookup(HeapObject *self, PyObject *name);
PyObject *Heap_name_unbind(HeapObject *self, PyObject *name);
PyObject *Heap_name_list(HeapObject *self, PyObject *Py_UNUSED(unused));
PyObject *Heap_scope_push(HeapObject *self, PyObject *Py_UNUSED(unused));
PyObject *Heap_scope_pop(HeapObject *self, PyObject *arg);
PyObject *Heap_scope_escape(HeapObject *self, PyObject *arg);
PyObject *Heap_events_subscribe(HeapObject *self, PyObject *arg);
PyObject *Heap_events_unsubscribe(HeapObject *self, PyObject *Py_UNUSED(unused));
PyObject *Heap_events_read(HeapObject *self, PyObject *args);

#endif /* MHEAP_PY_H */

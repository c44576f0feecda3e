// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mheap._mheap: what every part uses: errors, argument checks, the proxies'
 * helpers (Documentation/python.rst).
 */
#include "mheap_py.h"

/* OSError(errno, "what: strerror (ENAME)"), the subclass Python picks. */
static PyObject *set_error_v(int err, const char *fmt, va_list ap)
{
	char what[160];
	PyObject *args;

	if (err == HEAP_CLOSED) {
		PyErr_SetString(PyExc_ValueError, "the heap is closed");
		return NULL;
	}
	if (err < 0)
		err = -err;
	vsnprintf(what, sizeof(what), fmt, ap);
	args = Py_BuildValue("(iN)", err, PyUnicode_FromFormat("%s: %s (%s)",
			     what, strerror(err), mheap_errname(err)));
	if (args) {
		PyErr_SetObject(PyExc_OSError, args);
		Py_DECREF(args);
	}
	return NULL;
}

PyObject *set_error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error_v(err, fmt, ap);
	va_end(ap);
	return NULL;
}

/*
 * set_error() for a call on proxy o's handle: ValueError when the kernel
 * said ENOENT because another thread closed the proxy (or its scope)
 * during the call.
 */
PyObject *obj_fail(ObjObject *o, int err, const char *fmt, ...)
{
	va_list ap;

	if (err == -ENOENT &&
	    (!o->handle || !scope_live(o->heap, o->scope))) {
		o->handle = 0;
		PyErr_SetString(PyExc_ValueError, "the object is closed");
		return NULL;
	}
	va_start(ap, fmt);
	set_error_v(err, fmt, ap);
	va_end(ap);
	return NULL;
}

/* Close a handle no proxy took, unless the heap went meanwhile. */
void release_quiet(HeapObject *h, uint32_t handle)
{
	if (h->mh && handle)
		mheap_release(h->mh, handle);
}

/* The file goes once close() was asked for and no call is running. */
void heap_finish_close(HeapObject *h)
{
	if (!h->mh || !h->closing || h->busy || h->exports)
		return;
	if (h->map)
		mheap_unmap(h->map, MHEAP_MAP_MAX);
	h->map = NULL;
	mheap_close(h->mh);
	h->mh = NULL;
}

int heap_check(HeapObject *h)
{
	if (!h->mh || h->closing) {
		PyErr_SetString(PyExc_ValueError, "the heap is closed");
		return -1;
	}
	return 0;
}

int scope_live(HeapObject *h, uint64_t id)
{
	unsigned int i;

	if (!id)
		return 1;
	for (i = 0; i < h->nscopes; i++)
		if (h->scope_ids[i] == id)
			return 1;
	return 0;
}

/* Where scope id is in the stack, or -1 (none, or popped). */
int scope_index(HeapObject *h, uint64_t id)
{
	unsigned int i;

	for (i = 0; id && i < h->nscopes; i++)
		if (h->scope_ids[i] == id)
			return (int)i;
	return -1;
}

/* The proxy's handle, or -1 with ValueError when it cannot be used. */
int obj_check(ObjObject *o)
{
	if (heap_check(o->heap))
		return -1;
	if (o->handle && !scope_live(o->heap, o->scope))
		o->handle = 0;
	if (!o->handle) {
		PyErr_SetString(PyExc_ValueError, "the object is closed");
		return -1;
	}
	return 0;
}

/* The proxy's handle, read under the GIL; 0 with ValueError when closed. */
uint32_t obj_handle(ObjObject *o)
{
	return obj_check(o) ? 0 : o->handle;
}

/* A proxy for a new handle (the caller's), in the innermost scope. */
PyObject *obj_new(HeapObject *h, uint32_t handle, int32_t nrefs)
{
	ObjObject *o = PyObject_New(ObjObject, &Object_Type);

	if (!o) {
		/* the handle must not outlive the failure */
		release_quiet(h, handle);
		return NULL;
	}
	Py_INCREF(h);
	o->heap = h;
	o->handle = handle;
	o->nrefs = nrefs;
	o->scope = h->nscopes ? h->scope_ids[h->nscopes - 1] : 0;
	o->exports = 0;
	return (PyObject *)o;
}

PyObject *obj_or_none(HeapObject *h, uint32_t handle)
{
	if (!handle)
		Py_RETURN_NONE;
	return obj_new(h, handle, -1);
}

/* An Object of this heap, open, as an argument. */
int arg_obj(HeapObject *h, PyObject *arg, const char *what,
	    ObjObject **out)
{
	ObjObject *o;

	if (!PyObject_TypeCheck(arg, &Object_Type)) {
		PyErr_Format(PyExc_TypeError, "%s must be an mheap.Object, not %.80s",
			     what, Py_TYPE(arg)->tp_name);
		return -1;
	}
	o = (ObjObject *)arg;
	if (o->heap != h) {
		PyErr_Format(PyExc_ValueError,
			     "%s belongs to another heap (or client)", what);
		return -1;
	}
	if (obj_check(o))
		return -1;
	*out = o;
	return 0;
}

/*
 * "O&" converters for unsigned arguments: OverflowError for negative or
 * too large values, TypeError for non-integers (PyArg's K and I wrap).
 */
int u64_conv(PyObject *arg, void *out)
{
	unsigned long long v;

	if (!PyIndex_Check(arg)) {
		PyErr_Format(PyExc_TypeError, "an integer is required, not %.80s",
			     Py_TYPE(arg)->tp_name);
		return 0;
	}
	arg = PyNumber_Index(arg);
	if (!arg)
		return 0;
	v = PyLong_AsUnsignedLongLong(arg);
	Py_DECREF(arg);
	if (v == (unsigned long long)-1 && PyErr_Occurred())
		return 0;
	*(unsigned long long *)out = v;
	return 1;
}

int u32_conv(PyObject *arg, void *out)
{
	unsigned long long v;

	if (!u64_conv(arg, &v))
		return 0;
	if (v > UINT32_MAX) {
		PyErr_SetString(PyExc_OverflowError, "value above 2**32 - 1");
		return 0;
	}
	*(unsigned int *)out = (unsigned int)v;
	return 1;
}

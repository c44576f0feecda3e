// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mheap._mheap: named roots, handle scopes and reclamation events
 * (Documentation/python.rst).
 */
#include "mheap_py.h"

static int name_arg(PyObject *arg, char *out)
{
	Py_ssize_t len;
	const char *s;

	if (!PyUnicode_Check(arg)) {
		PyErr_Format(PyExc_TypeError, "a name must be a str, not %.80s",
			     Py_TYPE(arg)->tp_name);
		return -1;
	}
	s = PyUnicode_AsUTF8AndSize(arg, &len);
	if (!s)
		return -1;
	if (len < 1 || len > MHEAP_NAME_MAX ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789._:/-") != (size_t)len) {
		PyErr_Format(PyExc_ValueError,
			     "a name has 1 to %d bytes of [A-Za-z0-9._:/-]",
			     MHEAP_NAME_MAX);
		return -1;
	}
	memset(out, 0, MHEAP_NAME_LEN);
	memcpy(out, s, len);
	return 0;
}

PyObject *Heap_name_bind(HeapObject *self, PyObject *args)
{
	PyObject *name, *arg;
	char n[MHEAP_NAME_LEN];
	int replace = 1, err;
	uint32_t handle;
	ObjObject *o;

	if (!PyArg_ParseTuple(args, "OO|p:_name_bind", &name, &arg, &replace))
		return NULL;
	if (name_arg(name, n) || heap_check(self) ||
	    arg_obj(self, arg, "the bound value", &o))
		return NULL;
	handle = o->handle;
	err = CALL(self, mheap_name_bind(self->mh, n, handle,
					 replace ? MHEAP_NAME_REPLACE : 0));
	if (err)
		return obj_fail(o, err, "names[%s] = object %u", n, handle);
	Py_RETURN_NONE;
}

PyObject *Heap_name_lookup(HeapObject *self, PyObject *name)
{
	char n[MHEAP_NAME_LEN];
	uint32_t handle;
	int err;

	if (name_arg(name, n) || heap_check(self))
		return NULL;
	err = CALL(self, mheap_name_lookup(self->mh, n, &handle));
	if (err == -ENOENT) {
		PyErr_SetObject(PyExc_KeyError, name);
		return NULL;
	}
	if (err)
		return set_error(err, "names[%s]", n);
	return obj_new(self, handle, -1);
}

PyObject *Heap_name_unbind(HeapObject *self, PyObject *name)
{
	char n[MHEAP_NAME_LEN];
	int err;

	if (name_arg(name, n) || heap_check(self))
		return NULL;
	err = CALL(self, mheap_name_unbind(self->mh, n));
	if (err == -ENOENT) {
		PyErr_SetObject(PyExc_KeyError, name);
		return NULL;
	}
	if (err)
		return set_error(err, "del names[%s]", n);
	Py_RETURN_NONE;
}

/* Every bound name, in strcmp() order, 64 at a time. */
PyObject *Heap_name_list(HeapObject *self, PyObject *Py_UNUSED(unused))
{
	char (*buf)[MHEAP_NAME_LEN];
	PyObject *list;
	uint32_t start = 0, total = 0;
	int n, i;

	if (heap_check(self))
		return NULL;
	buf = PyMem_Malloc(64 * MHEAP_NAME_LEN);
	list = buf ? PyList_New(0) : PyErr_NoMemory();
	while (list) {
		n = CALL(self, mheap_name_list(self->mh, start, buf, 64, &total));
		if (n < 0) {
			Py_CLEAR(list);
			set_error(n, "names listing");
			break;
		}
		for (i = 0; i < n; i++) {
			PyObject *s = PyUnicode_FromStringAndSize(buf[i],
					strnlen(buf[i], MHEAP_NAME_LEN));

			if (!s || PyList_Append(list, s)) {
				Py_XDECREF(s);
				Py_CLEAR(list);
				break;
			}
			Py_DECREF(s);
		}
		start += n;
		if (!n || start >= total)
			break;
	}
	PyMem_Free(buf);
	return list;
}

/* Scopes: the heap keeps a unique id per open scope, for its proxies. */

PyObject *Heap_scope_push(HeapObject *self, PyObject *Py_UNUSED(unused))
{
	uint32_t level;
	int err;

	if (heap_check(self))
		return NULL;
	err = CALL(self, mheap_scope_push(self->mh, &level));
	if (err)
		return set_error(err, "scope push");
	if (level != self->nscopes + 1 || level > MHEAP_SCOPE_MAX) {
		/* another thread's scopes are interleaved with this one's */
		if (self->mh)
			mheap_scope_pop(self->mh, level, NULL);
		PyErr_SetString(PyExc_RuntimeError,
				"scopes of one heap must be opened and closed in order (one thread at a time)");
		return NULL;
	}
	self->scope_ids[self->nscopes++] = ++self->next_scope_id;
	return PyLong_FromUnsignedLong(level);
}

PyObject *Heap_scope_pop(HeapObject *self, PyObject *arg)
{
	unsigned long level = PyLong_AsUnsignedLong(arg);
	uint32_t closed;
	int err;

	if (PyErr_Occurred())
		return NULL;
	if (heap_check(self))
		return NULL;
	if (level && level == self->nscopes &&
	    self->scope_exports[level - 1]) {
		PyErr_SetString(PyExc_BufferError,
				"cannot end the scope: payload buffers of its objects are exported");
		return NULL;
	}
	err = CALL(self, mheap_scope_pop(self->mh, (uint32_t)level, &closed));
	if (err)
		return set_error(err, "scope pop(level %lu)", level);
	if (level == self->nscopes)
		self->nscopes--;
	return PyLong_FromUnsignedLong(closed);
}

PyObject *Heap_scope_escape(HeapObject *self, PyObject *arg)
{
	uint32_t level, handle;
	ObjObject *o;
	int err;

	if (heap_check(self) || arg_obj(self, arg, "the object", &o))
		return NULL;
	handle = o->handle;
	err = CALL(self, mheap_scope_escape(self->mh, handle, &level));
	if (err)
		return obj_fail(o, err, "escape(object %u)", handle);
	if (o->exports) {
		int from = scope_index(self, o->scope);

		if (from >= 0)
			self->scope_exports[from] -= o->exports;
		if (level)
			self->scope_exports[level - 1] += o->exports;
	}
	o->scope = level ? self->scope_ids[level - 1] : 0;
	return PyLong_FromUnsignedLong(level);
}

/* Reclamation events */

PyObject *Heap_events_subscribe(HeapObject *self, PyObject *arg)
{
	unsigned int cap;
	uint32_t granted;
	int err;

	if (!u32_conv(arg, &cap))
		return NULL;
	if (heap_check(self))
		return NULL;
	err = CALL(self, mheap_events_subscribe(self->mh, cap, &granted));
	if (err)
		return set_error(err, "events(capacity=%u)", cap);
	return PyLong_FromUnsignedLong(granted);
}

PyObject *Heap_events_unsubscribe(HeapObject *self, PyObject *Py_UNUSED(unused))
{
	int err;

	if (heap_check(self))
		return NULL;
	err = CALL(self, mheap_events_unsubscribe(self->mh));
	if (err)
		return set_error(err, "events unsubscribe");
	Py_RETURN_NONE;
}

/*
 * _events_read(max, timeout_ms): up to max records as (cookie, reason,
 * generation) tuples, waiting up to timeout_ms (-1: for ever). Signals
 * reach Python while it waits (KeyboardInterrupt ends the wait).
 */
PyObject *Heap_events_read(HeapObject *self, PyObject *args)
{
	struct mheap_event ev[64];
	unsigned int max;
	int timeout, n, i;
	PyObject *list;

	if (!PyArg_ParseTuple(args, "O&i:_events_read", u32_conv, &max,
			      &timeout))
		return NULL;
	if (max < 1 || max > 64) {
		PyErr_SetString(PyExc_ValueError, "max is 1 to 64 events");
		return NULL;
	}
	for (;;) {
		struct pollfd p = { .events = POLLIN };
		int step = timeout < 0 || timeout > 100 ? 100 : timeout;

		if (heap_check(self))
			return NULL;
		p.fd = mheap_fd(self->mh);
		n = CALL(self, poll(&p, 1, step) < 0 ? -errno : 0);
		if (n && n != -EINTR)
			return set_error(n, "events read");
		if (PyErr_CheckSignals())
			return NULL;
		if (heap_check(self))
			return NULL;
		n = CALL(self, mheap_events_read(self->mh, ev, max, 0));
		if (n < 0)
			return set_error(n, "events read");
		if (n || !timeout)
			break;
		if (timeout > 0)
			timeout -= step;
	}
	list = PyList_New(n);
	for (i = 0; list && i < n; i++) {
		PyObject *t = Py_BuildValue("(KII)",
					    (unsigned long long)ev[i].cookie,
					    ev[i].reason, ev[i].generation);

		if (!t) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, i, t);
	}
	return list;
}

/*
 * Batches: a Batch queues operations into a struct mheap_batch_buf as its
 * methods are called, each returning a Pending; run() makes one
 * MHEAP_IOC_BATCH call (libmheap resumes it after signals) and fills the
 * Pendings. The handles are read when an operation is queued; a proxy
 * closed after that makes its operation fail with ENOENT (handle values
 * are never reused).
 */

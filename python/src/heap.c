// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mheap._mheap: the _Heap type: a client of a heap, its file, mapping and
 * settings (Documentation/python.rst).
 */
#include "mheap_py.h"

/*
 * Heap(path=DEFAULT_DEVICE, *, fd=None, readonly=False): open path (read
 * only with readonly), or take a duplicate of descriptor fd; either must
 * be a client of a heap, as a VERSION call tells (else OSError ENOTTY).
 */
static int Heap_init(HeapObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "path", "fd", "readonly", NULL };
	const char *path = MHEAP_DEFAULT_DEVICE;
	PyObject *fd_obj = Py_None;
	int fd = -1, ufd = -1, readonly = 0, err, fl;
	uint64_t features;
	uint32_t version;
	struct mheap *mh;

	if (self->mh || self->closing) {
		PyErr_SetString(PyExc_RuntimeError, "Heap.__init__ called twice");
		return -1;
	}
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|s$Op:Heap", kwlist,
					 &path, &fd_obj, &readonly))
		return -1;
	if (fd_obj != Py_None) {
		ufd = PyObject_AsFileDescriptor(fd_obj);
		if (ufd < 0)
			return -1;
		if (readonly) {
			PyErr_SetString(PyExc_ValueError,
					"readonly is for opening a path; a read-only client of a heap is new_client(readonly=True)");
			return -1;
		}
		fd = fcntl(ufd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			PyErr_SetFromErrno(PyExc_OSError);
			return -1;
		}
	} else {
		Py_BEGIN_ALLOW_THREADS
		fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		Py_END_ALLOW_THREADS
		if (fd < 0) {
			PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
			return -1;
		}
	}
	fl = fcntl(fd, F_GETFL);
	err = mheap_from_fd(fd, &mh);
	if (err) {
		close(fd);
		set_error(err, "Heap(%s)", path);
		return -1;
	}
	Py_BEGIN_ALLOW_THREADS
	err = mheap_version(mh, &version, &features);
	Py_END_ALLOW_THREADS
	if (err) {
		mheap_close(mh);
		if (fd_obj != Py_None)
			set_error(err, "Heap(fd=%d): not a client of a heap", ufd);
		else
			set_error(err, "Heap(%s): not a client of a heap", path);
		return -1;
	}
	self->mh = mh;
	self->writable = fl >= 0 && (fl & O_ACCMODE) != O_RDONLY;
	return 0;
}

static void Heap_dealloc(HeapObject *self)
{
	/* no Object is left (each holds its heap), so no call or buffer */
	if (self->map)
		mheap_unmap(self->map, MHEAP_MAP_MAX);
	if (self->mh)
		mheap_close(self->mh);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Heap_close(HeapObject *self, PyObject *Py_UNUSED(unused))
{
	if (self->exports) {
		PyErr_SetString(PyExc_BufferError,
				"cannot close the heap: payload buffers are exported");
		return NULL;
	}
	self->closing = 1;
	heap_finish_close(self);
	Py_RETURN_NONE;
}

static PyObject *Heap_fileno(HeapObject *self, PyObject *Py_UNUSED(unused))
{
	if (heap_check(self))
		return NULL;
	return PyLong_FromLong(mheap_fd(self->mh));
}

static PyObject *Heap_get_closed(HeapObject *self, void *Py_UNUSED(unused))
{
	return PyBool_FromLong(!self->mh || self->closing);
}

static PyObject *Heap_get_readonly(HeapObject *self, void *Py_UNUSED(unused))
{
	return PyBool_FromLong(!self->writable);
}

static PyObject *Heap_alloc(HeapObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "size", "slots", "cookie", NULL };
	unsigned long long size, cookie = 0;
	unsigned int slots = 0;
	PyObject *cookie_obj = Py_None;
	uint32_t handle;
	int err;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|O&O:alloc", kwlist,
					 u64_conv, &size, u32_conv, &slots,
					 &cookie_obj))
		return NULL;
	if (PyErr_Occurred())
		return NULL;
	if (cookie_obj != Py_None && !u64_conv(cookie_obj, &cookie))
		return NULL;
	if (heap_check(self))
		return NULL;
	err = CALL(self, mheap_alloc(self->mh, size, slots, cookie, &handle));
	if (err)
		return set_error(err, "alloc(size=%llu, slots=%u)", size, slots);
	return obj_new(self, handle, (int32_t)slots);
}

static PyObject *Heap_import_token(HeapObject *self, PyObject *arg)
{
	unsigned long long token;
	uint32_t handle;
	int err;

	if (!u64_conv(arg, &token))
		return NULL;
	if (heap_check(self))
		return NULL;
	err = CALL(self, mheap_import(self->mh, token, &handle));
	if (err)
		return set_error(err, "import_token(%#llx)", token);
	return obj_new(self, handle, -1);
}

static PyObject *Heap_version(HeapObject *self, PyObject *Py_UNUSED(unused))
{
	uint32_t version;
	uint64_t features;
	int err;

	if (heap_check(self))
		return NULL;
	err = CALL(self, mheap_version(self->mh, &version, &features));
	if (err)
		return set_error(err, "version()");
	return Py_BuildValue("(IK)", version, (unsigned long long)features);
}

static PyObject *Heap_new_client(HeapObject *self, PyObject *args)
{
	int readonly = 0, fd;

	if (!PyArg_ParseTuple(args, "|p:_new_client", &readonly))
		return NULL;
	if (heap_check(self))
		return NULL;
	fd = CALL(self, mheap_new_client(self->mh, MHEAP_CLIENT_CLOEXEC |
					 (readonly ? MHEAP_CLIENT_RDONLY : 0)));
	if (fd < 0)
		return set_error(fd, "new_client(readonly=%s)",
				 readonly ? "True" : "False");
	return PyLong_FromLong(fd);
}

static PyObject *Heap_set_capacity(HeapObject *self, PyObject *arg)
{
	unsigned long long cap;
	int err;

	if (!u64_conv(arg, &cap))
		return NULL;
	if (heap_check(self))
		return NULL;
	err = CALL(self, mheap_set_capacity(self->mh, cap));
	if (err)
		return set_error(err, "set_capacity(%llu)", cap);
	Py_RETURN_NONE;
}

static PyObject *Heap_config(HeapObject *self, PyObject *Py_UNUSED(unused))
{
	struct mheap_config c;
	int err;

	if (heap_check(self))
		return NULL;
	err = CALL(self, mheap_get_config(self->mh, &c));
	if (err)
		return set_error(err, "config()");
	return Py_BuildValue("{sKsKs(III)}",
			     "capacity", (unsigned long long)c.capacity,
			     "capacity_max", (unsigned long long)c.capacity_max,
			     "threshold", c.threshold[0], c.threshold[1],
			     c.threshold[2]);
}

static PyObject *Heap_stats(HeapObject *self, PyObject *Py_UNUSED(unused))
{
	struct mheap_heap_stats s;
	int err;

	if (heap_check(self))
		return NULL;
	err = CALL(self, mheap_heap_stats(self->mh, &s));
	if (err)
		return set_error(err, "stats()");
	return Py_BuildValue("{sIsIsKsKsKsKsKsKsKsKsKsKsK}",
		"clients", s.clients, "handles", s.handles,
		"capacity", (unsigned long long)s.capacity,
		"arena_bytes", (unsigned long long)s.arena_bytes,
		"used_bytes", (unsigned long long)s.used_bytes,
		"meta_bytes", (unsigned long long)s.meta_bytes,
		"payload_bytes", (unsigned long long)s.payload_bytes,
		"objects_live", (unsigned long long)s.objects_live,
		"objects_allocated", (unsigned long long)s.objects_allocated,
		"objects_freed", (unsigned long long)s.objects_freed,
		"arenas", (unsigned long long)s.arenas,
		"exported", (unsigned long long)s.exported,
		"map_size", (unsigned long long)s.map_size);
}

static PyObject *Heap_upgrade(HeapObject *self, PyObject *arg)
{
	unsigned long weak = PyLong_AsUnsignedLong(arg);
	uint32_t copy;
	int err;

	if (PyErr_Occurred() || heap_check(self))
		return NULL;
	err = CALL(self, mheap_dup(self->mh, (uint32_t)weak, &copy));
	if (err == -ESTALE)
		Py_RETURN_NONE;
	if (err)
		return set_error(err, "weak reference %lu", weak);
	return obj_new(self, copy, -1);
}

/* _close_handle(handle): close a bare handle (a weak one), quietly. */
static PyObject *Heap_close_handle(HeapObject *self, PyObject *arg)
{
	unsigned long handle = PyLong_AsUnsignedLong(arg);

	if (PyErr_Occurred())
		return NULL;
	if (self->mh && !self->closing)
		CALL(self, mheap_release(self->mh, (uint32_t)handle));
	Py_RETURN_NONE;
}


/*
 * _refs(which, obj or None): MHEAP_IOC_REFS as a list of new Objects.
 * The count may grow between the sizing call and the listing one; it is
 * asked again until everything fits.
 */
int heap_map(HeapObject *h)
{
	void *addr;
	int err;

	if (h->map)
		return 0;
	err = CALL(h, mheap_map(h->mh, MHEAP_MAP_MAX, h->writable, &addr));
	if (err) {
		set_error(err, "payload mapping");
		return -1;
	}
	h->map = addr;
	return 0;
}

static PyMethodDef Heap_methods[] = {
	{ "_upgrade", (PyCFunction)Heap_upgrade, METH_O, NULL },
	{ "_close_handle", (PyCFunction)Heap_close_handle, METH_O, NULL },
	{ "close", (PyCFunction)Heap_close, METH_NOARGS,
	  "close()\n--\n\nClose this client: every handle it holds goes, and "
	  "the heap with its last client. Proxies left raise ValueError. "
	  "BufferError while payload buffers are exported." },
	{ "fileno", (PyCFunction)Heap_fileno, METH_NOARGS,
	  "fileno()\n--\n\nThe client's file descriptor (for poll: reclamation "
	  "events)." },
	{ "alloc", (PyCFunction)(void (*)(void))Heap_alloc,
	  METH_VARARGS | METH_KEYWORDS,
	  "alloc(size, slots=0, cookie=None)\n--\n\n"
	  "A new object: size payload bytes (0 to 8 MiB, zero-filled) and "
	  "slots empty reference slots (0 to 2**20); cookie, an int below "
	  "2**64, is reported by info() and by reclamation events. Returns "
	  "its Object. Errors: OSError EINVAL (size or slots out of range), "
	  "ENOSPC (the heap's capacity), EMFILE (2**20 - 1 handles open), "
	  "EBADF (a read-only heap)." },
	{ "import_token", (PyCFunction)Heap_import_token, METH_O,
	  "import_token(token)\n--\n\nThe Object an export() token names, in "
	  "this client. A token is imported once. Errors: FileNotFoundError "
	  "(ENOENT) for an unknown or used token." },
	{ "version", (PyCFunction)Heap_version, METH_NOARGS,
	  "version()\n--\n\n(uapi version, feature bits MHEAP_FEATURE_*)." },
	{ "_new_client", (PyCFunction)Heap_new_client, METH_VARARGS, NULL },
	{ "_collect", (PyCFunction)Heap_collect, METH_VARARGS, NULL },
	{ "_gc_op", (PyCFunction)Heap_gc_op, METH_O, NULL },
	{ "_gc_stats", (PyCFunction)Heap_gc_stats, METH_NOARGS, NULL },
	{ "_set_threshold", (PyCFunction)Heap_set_threshold, METH_VARARGS, NULL },
	{ "set_capacity", (PyCFunction)Heap_set_capacity, METH_O,
	  "set_capacity(nbytes)\n--\n\nThe bytes of arenas the heap may hold. "
	  "Errors: OSError EINVAL (above capacity_max or below what is held), "
	  "EBADF (read-only)." },
	{ "config", (PyCFunction)Heap_config, METH_NOARGS,
	  "config()\n--\n\n{'capacity', 'capacity_max' (bytes), 'threshold' "
	  "(3 ints)}." },
	{ "stats", (PyCFunction)Heap_stats, METH_NOARGS,
	  "stats()\n--\n\nThe heap's statistics (struct mheap_heap_stats) as a "
	  "dict: bytes, object counts, clients, this client's handles." },
	{ "_refs", (PyCFunction)Heap_refs, METH_VARARGS, NULL },
	{ "_name_bind", (PyCFunction)Heap_name_bind, METH_VARARGS, NULL },
	{ "_name_lookup", (PyCFunction)Heap_name_lookup, METH_O, NULL },
	{ "_name_unbind", (PyCFunction)Heap_name_unbind, METH_O, NULL },
	{ "_name_list", (PyCFunction)Heap_name_list, METH_NOARGS, NULL },
	{ "_scope_push", (PyCFunction)Heap_scope_push, METH_NOARGS, NULL },
	{ "_scope_pop", (PyCFunction)Heap_scope_pop, METH_O, NULL },
	{ "_scope_escape", (PyCFunction)Heap_scope_escape, METH_O, NULL },
	{ "_events_subscribe", (PyCFunction)Heap_events_subscribe, METH_O, NULL },
	{ "_events_unsubscribe", (PyCFunction)Heap_events_unsubscribe,
	  METH_NOARGS, NULL },
	{ "_events_read", (PyCFunction)Heap_events_read, METH_VARARGS, NULL },
	{ NULL }
};

static PyGetSetDef Heap_getset[] = {
	{ "closed", (getter)Heap_get_closed, NULL,
	  "True once close() was called.", NULL },
	{ "readonly", (getter)Heap_get_readonly, NULL,
	  "True for a read-only client (opened O_RDONLY, or "
	  "new_client(readonly=True)).", NULL },
	{ NULL }
};

PyTypeObject Heap_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "mheap._mheap._Heap",
	.tp_basicsize = sizeof(HeapObject),
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_doc = "One client of a heap: the C half of mheap.Heap.",
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)Heap_init,
	.tp_dealloc = (destructor)Heap_dealloc,
	.tp_methods = Heap_methods,
	.tp_getset = Heap_getset,
};

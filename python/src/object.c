// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mheap._mheap: Object: the proxy of one handle; slots, payload, buffers
 * (Documentation/python.rst).
 */
#include "mheap_py.h"

static void Object_dealloc(ObjObject *self)
{
	HeapObject *h = self->heap;

	if (self->handle && h->mh && !h->closing &&
	    scope_live(h, self->scope))
		mheap_release(h->mh, self->handle);
	Py_DECREF(h);
	PyObject_Free(self);
}

static PyObject *Object_close(ObjObject *self, PyObject *Py_UNUSED(unused))
{
	HeapObject *h = self->heap;
	uint32_t handle = self->handle;
	int err;

	if (!handle || !h->mh || h->closing || !scope_live(h, self->scope)) {
		self->handle = 0;
		Py_RETURN_NONE;
	}
	if (self->exports) {
		PyErr_SetString(PyExc_BufferError,
				"cannot close an object whose payload is exported");
		return NULL;
	}
	self->handle = 0;
	err = CALL(h, mheap_release(h->mh, handle));
	if (err)
		return set_error(err, "close(object %u)", handle);
	Py_RETURN_NONE;
}

static PyObject *Object_enter(PyObject *self, PyObject *Py_UNUSED(unused))
{
	return Py_NewRef(self);
}

static PyObject *Object_exit(ObjObject *self, PyObject *Py_UNUSED(args))
{
	return Object_close(self, NULL);
}

static PyObject *Object_dup(ObjObject *self, PyObject *Py_UNUSED(unused))
{
	uint32_t handle = obj_handle(self), copy;
	int err;

	if (!handle)
		return NULL;
	err = CALL(self->heap, mheap_dup(self->heap->mh, handle, &copy));
	if (err)
		return obj_fail(self, err, "dup(object %u)", handle);
	return obj_new(self->heap, copy, self->nrefs);
}

static PyObject *Object_dup_weak(ObjObject *self, PyObject *Py_UNUSED(unused))
{
	uint32_t handle = obj_handle(self), weak;
	int err;

	if (!handle)
		return NULL;
	err = CALL(self->heap, mheap_dup_weak(self->heap->mh, handle, &weak));
	if (err)
		return obj_fail(self, err, "mheap.ref(object %u)", handle);
	return PyLong_FromUnsignedLong(weak);
}

static int obj_info(ObjObject *o, struct mheap_info *info)
{
	uint32_t handle = obj_handle(o);
	int err;

	if (!handle)
		return -1;
	err = CALL(o->heap, mheap_info(o->heap->mh, handle, info));
	if (err) {
		obj_fail(o, err, "info(object %u)", handle);
		return -1;
	}
	o->nrefs = (int32_t)info->nrefs;
	return 0;
}

static PyObject *Object_info(ObjObject *self, PyObject *Py_UNUSED(unused))
{
	struct mheap_info i;
	PyObject *map;

	if (obj_info(self, &i))
		return NULL;
	map = i.map_offset == MHEAP_NO_MAP ? Py_NewRef(Py_None) :
		PyLong_FromUnsignedLongLong(i.map_offset);
	return Py_BuildValue("{sKsIsIsIsOsKsN}",
			     "size", (unsigned long long)i.size,
			     "slots", i.nrefs, "refcnt", i.refcnt,
			     "generation", i.generation,
			     "tracked", i.info_flags & MHEAP_INFO_TRACKED ?
			     Py_True : Py_False,
			     "cookie", (unsigned long long)i.cookie,
			     "map_offset", map);
}

static PyObject *Object_export(ObjObject *self, PyObject *Py_UNUSED(unused))
{
	uint32_t handle = obj_handle(self);
	uint64_t token;
	int err;

	if (!handle)
		return NULL;
	err = CALL(self->heap, mheap_export(self->heap->mh, handle, &token));
	if (err)
		return obj_fail(self, err, "export(object %u)", handle);
	return PyLong_FromUnsignedLongLong(token);
}

static PyObject *Object_read(ObjObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "size", "offset", NULL };
	long long size = -1;
	unsigned long long offset = 0;
	struct mheap_info info;
	PyObject *bytes;
	uint32_t handle;
	int err;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|LO&:read", kwlist,
					 &size, u64_conv, &offset))
		return NULL;
	if (size < 0) {
		if (obj_info(self, &info))
			return NULL;
		size = info.size > offset ? (long long)(info.size - offset) : 0;
	}
	handle = obj_handle(self);
	if (!handle)
		return NULL;
	if (size > MHEAP_MAX_SIZE) {
		PyErr_Format(PyExc_ValueError,
			     "read(size=%lld): beyond any payload", size);
		return NULL;
	}
	bytes = PyBytes_FromStringAndSize(NULL, size);
	if (!bytes)
		return NULL;
	err = CALL(self->heap, mheap_read(self->heap->mh, handle, offset,
					  PyBytes_AS_STRING(bytes), size));
	if (err) {
		Py_DECREF(bytes);
		return obj_fail(self, err,
				"read(object %u, size=%lld, offset=%llu)",
				handle, size, offset);
	}
	return bytes;
}

static PyObject *Object_write(ObjObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "data", "offset", NULL };
	unsigned long long offset = 0;
	Py_buffer data;
	uint32_t handle;
	int err;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*|O&:write", kwlist,
					 &data, u64_conv, &offset))
		return NULL;
	handle = obj_handle(self);
	if (!handle) {
		PyBuffer_Release(&data);
		return NULL;
	}
	err = CALL(self->heap, mheap_write(self->heap->mh, handle, offset,
					   data.buf, data.len));
	PyBuffer_Release(&data);
	if (err)
		return obj_fail(self, err,
				"write(object %u, %zd bytes, offset=%llu)",
				handle, data.len, offset);
	Py_RETURN_NONE;
}

static Py_ssize_t Object_len(ObjObject *self)
{
	struct mheap_info info;

	if (self->nrefs >= 0 && !obj_check(self))
		return self->nrefs;
	if (obj_info(self, &info))
		return -1;
	return info.nrefs;
}

/* A slot index: Python's, negative from the end. */
static int slot_index(ObjObject *self, PyObject *key, uint64_t *index)
{
	Py_ssize_t i;

	if (!PyIndex_Check(key)) {
		PyErr_Format(PyExc_TypeError,
			     "slot indices must be integers, not %.80s",
			     Py_TYPE(key)->tp_name);
		return -1;
	}
	i = PyNumber_AsSsize_t(key, PyExc_IndexError);
	if (i == -1 && PyErr_Occurred())
		return -1;
	if (i < 0) {
		Py_ssize_t n = Object_len(self);

		if (n < 0)
			return -1;
		i += n;
		if (i < 0) {
			PyErr_SetString(PyExc_IndexError, "slot index out of range");
			return -1;
		}
	}
	*index = (uint64_t)i;
	return 0;
}

static PyObject *Object_getitem(ObjObject *self, PyObject *key)
{
	uint32_t handle, target;
	uint64_t index;
	int err;

	if (slot_index(self, key, &index))
		return NULL;
	handle = obj_handle(self);
	if (!handle)
		return NULL;
	err = CALL(self->heap, mheap_get_slot(self->heap->mh, handle, index,
					      &target));
	if (err == -EINVAL) {
		PyErr_SetString(PyExc_IndexError, "slot index out of range");
		return NULL;
	}
	if (err)
		return obj_fail(self, err, "object %u[%llu]", handle,
				(unsigned long long)index);
	return obj_or_none(self->heap, target);
}

static int Object_setitem(ObjObject *self, PyObject *key, PyObject *value)
{
	uint32_t handle, target = 0;
	ObjObject *v = NULL;
	uint64_t index;
	int err;

	if (slot_index(self, key, &index))
		return -1;
	handle = obj_handle(self);
	if (!handle)
		return -1;
	if (value && value != Py_None) {
		if (arg_obj(self->heap, value, "a slot's value", &v))
			return -1;
		target = v->handle;
	}
	err = CALL(self->heap, mheap_set_slot(self->heap->mh, handle, index,
					      target));
	if (err == -EINVAL) {
		PyErr_SetString(PyExc_IndexError,
				"slot assignment index out of range");
		return -1;
	}
	if (err == -ENOENT && v &&
	    (!v->handle || !scope_live(v->heap, v->scope))) {
		PyErr_SetString(PyExc_ValueError, "the slot's value is closed");
		return -1;
	}
	if (err) {
		obj_fail(self, err, "object %u[%llu] = %s", handle,
			 (unsigned long long)index, v ? "object" : "None");
		return -1;
	}
	return 0;
}

/*
 * The payload, in place. The mapping is made and the object described
 * first, each without the GIL; then, with the GIL held until the export
 * is counted, the object must still be open: a close() in another thread
 * meanwhile would otherwise leave a view on freed pages.
 */
static int Object_getbuffer(ObjObject *self, Py_buffer *view, int flags)
{
	static char empty[1];
	struct mheap_info info;
	HeapObject *h = self->heap;
	char *p = empty;

	if (obj_check(self) || heap_map(h) || obj_info(self, &info) ||
	    obj_check(self))
		return -1;
	if (info.size) {
		if (info.map_offset == MHEAP_NO_MAP) {
			PyErr_SetString(PyExc_BufferError,
					"the payload is not mapped");
			return -1;
		}
		p = (char *)h->map + info.map_offset;
	}
	if (PyBuffer_FillInfo(view, (PyObject *)self, p, (Py_ssize_t)info.size,
			      !h->writable, flags))
		return -1;
	self->exports++;
	h->exports++;
	if (scope_index(h, self->scope) >= 0)
		h->scope_exports[scope_index(h, self->scope)]++;
	return 0;
}

static void Object_releasebuffer(ObjObject *self, Py_buffer *Py_UNUSED(view))
{
	HeapObject *h = self->heap;

	self->exports--;
	h->exports--;
	if (scope_index(h, self->scope) >= 0)
		h->scope_exports[scope_index(h, self->scope)]--;
	heap_finish_close(self->heap);
}

static PyObject *Object_get_handle(ObjObject *self, void *Py_UNUSED(unused))
{
	if (self->handle && !scope_live(self->heap, self->scope))
		self->handle = 0;
	return PyLong_FromUnsignedLong(self->handle);
}

static PyObject *Object_get_closed(ObjObject *self, void *Py_UNUSED(unused))
{
	HeapObject *h = self->heap;

	return PyBool_FromLong(!self->handle || !h->mh || h->closing ||
			       !scope_live(h, self->scope));
}

static PyObject *Object_get_heap(ObjObject *self, void *Py_UNUSED(unused))
{
	return Py_NewRef((PyObject *)self->heap);
}

static PyObject *Object_get_payload(ObjObject *self, void *Py_UNUSED(unused))
{
	return PyMemoryView_FromObject((PyObject *)self);
}

static PyObject *Object_repr(ObjObject *self)
{
	if (!self->handle || !scope_live(self->heap, self->scope))
		return PyUnicode_FromString("<mheap.Object closed>");
	return PyUnicode_FromFormat("<mheap.Object handle %u>", self->handle);
}

static PyMethodDef Object_methods[] = {
	{ "close", (PyCFunction)Object_close, METH_NOARGS,
	  "close()\n--\n\nClose the proxy's handle (idempotent): the object "
	  "goes when nothing else holds it. BufferError while its payload is "
	  "exported." },
	{ "__enter__", Object_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)Object_exit, METH_VARARGS, NULL },
	{ "dup", (PyCFunction)Object_dup, METH_NOARGS,
	  "dup()\n--\n\nA second proxy (a second strong handle) on the same "
	  "object. Errors: OSError EMFILE, EOVERFLOW." },
	{ "_dup_weak", (PyCFunction)Object_dup_weak, METH_NOARGS, NULL },
	{ "info", (PyCFunction)Object_info, METH_NOARGS,
	  "info()\n--\n\n{'size' (payload bytes), 'slots', 'refcnt' (strong "
	  "handles of all clients plus slots holding it), 'generation' (0-2, 3 "
	  "frozen), 'tracked', 'cookie', 'map_offset' (None without payload)}." },
	{ "export", (PyCFunction)Object_export, METH_NOARGS,
	  "export()\n--\n\nA token (int) that any client of the heap imports "
	  "once with Heap.import_token(); it holds a reference until then." },
	{ "read", (PyCFunction)(void (*)(void))Object_read,
	  METH_VARARGS | METH_KEYWORDS,
	  "read(size=-1, offset=0)\n--\n\nsize payload bytes from offset "
	  "(all that follow when size is -1), as bytes. Errors: OSError "
	  "EINVAL beyond the payload." },
	{ "write", (PyCFunction)(void (*)(void))Object_write,
	  METH_VARARGS | METH_KEYWORDS,
	  "write(data, offset=0)\n--\n\nCopy a bytes-like object into the "
	  "payload at offset, all or nothing. Errors: OSError EINVAL beyond "
	  "the payload, EBADF on a read-only heap." },
	{ NULL }
};

static PyGetSetDef Object_getset[] = {
	{ "handle", (getter)Object_get_handle, NULL,
	  "The handle (int) this proxy owns; 0 once closed.", NULL },
	{ "closed", (getter)Object_get_closed, NULL,
	  "True once closed: by close(), its scope's end or its heap's.",
	  NULL },
	{ "heap", (getter)Object_get_heap, NULL, "The Heap of this proxy.",
	  NULL },
	{ "payload", (getter)Object_get_payload, NULL,
	  "A memoryview of the payload, in place in the payload mapping "
	  "(zero-copy; read-only on a read-only heap). It keeps the object "
	  "alive; close() raises BufferError while one exists.", NULL },
	{ NULL }
};

static PyMappingMethods Object_as_mapping = {
	.mp_length = (lenfunc)Object_len,
	.mp_subscript = (binaryfunc)Object_getitem,
	.mp_ass_subscript = (objobjargproc)Object_setitem,
};

static PySequenceMethods Object_as_sequence = {
	.sq_length = (lenfunc)Object_len,
};

static PyBufferProcs Object_as_buffer = {
	.bf_getbuffer = (getbufferproc)Object_getbuffer,
	.bf_releasebuffer = (releasebufferproc)Object_releasebuffer,
};

PyTypeObject Object_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "mheap.Object",
	.tp_basicsize = sizeof(ObjObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A proxy for one object of a heap, owning one strong "
		  "handle.\n\nobj[i] is slot i (an Object, or None when "
		  "empty); obj[i] = other or None sets it; len(obj) is the "
		  "slot count. Out-of-range slots raise IndexError. Made by "
		  "Heap.alloc(), never directly.",
	.tp_dealloc = (destructor)Object_dealloc,
	.tp_repr = (reprfunc)Object_repr,
	.tp_methods = Object_methods,
	.tp_getset = Object_getset,
	.tp_as_mapping = &Object_as_mapping,
	.tp_as_sequence = &Object_as_sequence,
	.tp_as_buffer = &Object_as_buffer,
};

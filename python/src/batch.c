// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mheap._mheap: Batch and Pending: operations queued, run in one call
 * (Documentation/python.rst).
 */
#include "mheap_py.h"

typedef struct {
	PyObject_HEAD
	PyObject *value;	/* the new Object, or None */
	PyObject *error;	/* the OSError, or None */
	int ran;
	uint64_t round;		/* the batch round it was queued in */
	uint32_t index;		/* its operation's index in that round */
} PendingObject;

struct queued {
	PendingObject *pending;
	ObjObject *target;	/* the operation's object, or NULL */
	PyObject *value;	/* SET_SLOT: the Object, kept alive */
	Py_buffer buf;		/* READ, WRITE */
	int has_buf;
	int64_t closes;		/* CLOSE of a reference: its operation */
};

/*
 * A round is what a batch queues between two runs (or clears); each has
 * a number of its own, so that a Pending names an operation of the round
 * it was queued in and no other.
 */
typedef struct {
	PyObject_HEAD
	HeapObject *heap;
	struct mheap_batch_buf b;
	struct queued *q;	/* one per operation queued */
	int keep_going;
	uint64_t round;
} BatchObject;

static uint64_t rounds;

static void batch_clear(BatchObject *self)
{
	uint32_t i;

	for (i = 0; i < self->b.count; i++) {
		struct queued *q = &self->q[i];

		Py_XDECREF(q->pending);
		Py_XDECREF(q->target);
		Py_XDECREF(q->value);
		if (q->has_buf)
			PyBuffer_Release(&q->buf);
	}
	if (self->b.count)
		memset(self->q, 0, self->b.count * sizeof(*self->q));
	mheap_batch_reset(&self->b);
	self->round = ++rounds;
}

static int Batch_init(BatchObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "heap", "keep_going", NULL };
	PyObject *heap;
	int keep_going = 0;

	if (self->heap) {
		PyErr_SetString(PyExc_RuntimeError, "Batch.__init__ called twice");
		return -1;
	}
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!|p:Batch", kwlist,
					 &Heap_Type, &heap, &keep_going))
		return -1;
	if (mheap_batch_init(&self->b, 64)) {
		PyErr_NoMemory();
		return -1;
	}
	self->q = PyMem_Calloc(64, sizeof(*self->q));
	if (!self->q) {
		mheap_batch_free(&self->b);
		PyErr_NoMemory();
		return -1;
	}
	self->heap = (HeapObject *)Py_NewRef(heap);
	self->keep_going = keep_going;
	self->round = ++rounds;
	return 0;
}

static void Batch_dealloc(BatchObject *self)
{
	batch_clear(self);
	mheap_batch_free(&self->b);
	PyMem_Free(self->q);
	Py_XDECREF(self->heap);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Room for one more operation: the buffer doubles, up to the limit. */
static int batch_room(BatchObject *self)
{
	struct mheap_batch_buf nb;
	struct queued *nq;
	uint32_t cap = self->b.capacity;

	if (!self->heap) {
		PyErr_SetString(PyExc_ValueError, "the batch is not initialised");
		return -1;
	}
	if (self->b.count < cap)
		return 0;
	if (cap >= MHEAP_BATCH_MAX) {
		PyErr_Format(PyExc_ValueError,
			     "a batch holds at most %d operations", MHEAP_BATCH_MAX);
		return -1;
	}
	cap = cap * 2 > MHEAP_BATCH_MAX ? MHEAP_BATCH_MAX : cap * 2;
	nq = PyMem_Realloc(self->q, cap * sizeof(*nq));
	if (!nq || mheap_batch_init(&nb, cap)) {
		if (nq)
			self->q = nq;
		PyErr_NoMemory();
		return -1;
	}
	memset(nq + self->b.count, 0, (cap - self->b.count) * sizeof(*nq));
	self->q = nq;
	memcpy(nb.ops, self->b.ops, self->b.count * sizeof(*nb.ops));
	nb.count = self->b.count;
	mheap_batch_free(&self->b);
	self->b = nb;
	return 0;
}

/*
 * Queue the operation libmheap's add function just added (err: its
 * return), for target (or NULL) keeping value (or NULL) alive.
 */
static PyObject *batch_queued(BatchObject *self, int err, ObjObject *target,
			      PyObject *value)
{
	struct queued *q;
	PendingObject *p;

	if (err < 0)
		return set_error(err, "batch");
	p = PyObject_GC_New(PendingObject, &Pending_Type);
	if (!p) {
		self->b.count--;
		return NULL;
	}
	p->value = Py_NewRef(Py_None);
	p->error = Py_NewRef(Py_None);
	p->ran = 0;
	p->round = self->round;
	p->index = self->b.count - 1;
	PyObject_GC_Track(p);
	q = &self->q[self->b.count - 1];
	q->closes = -1;
	q->pending = (PendingObject *)Py_NewRef(p);
	q->target = (ObjObject *)Py_XNewRef(target);
	q->value = Py_XNewRef(value);
	return (PyObject *)p;
}

/*
 * An operand: an Object of the batch's heap (*o, its handle), or a
 * Pending of an earlier operation of this round (*o NULL, a batch-local
 * reference to it: uapi MHEAP_BATCH_REF).
 */
static int batch_operand(BatchObject *self, PyObject *arg, const char *what,
			 ObjObject **o, uint32_t *handle)
{
	if (PyObject_TypeCheck(arg, &Pending_Type)) {
		PendingObject *p = (PendingObject *)arg;

		if (p->round != self->round || p->index >= self->b.count) {
			PyErr_Format(PyExc_ValueError,
				     "%s is the Pending of another batch, or of one that ran: use its value",
				     what);
			return -1;
		}
		*o = NULL;
		*handle = MHEAP_BATCH_REF(p->index);
		return 0;
	}
	if (arg_obj(self->heap, arg, what, o))
		return -1;
	*handle = (*o)->handle;
	return 0;
}

static int batch_target(BatchObject *self, PyObject *arg, ObjObject **o,
			uint32_t *handle)
{
	if (batch_room(self))
		return -1;
	return batch_operand(self, arg, "the operation's object", o, handle);
}

static PyObject *Batch_alloc(BatchObject *self, PyObject *args,
			     PyObject *kwds)
{
	static char *kwlist[] = { "size", "slots", "cookie", NULL };
	unsigned long long size, cookie = 0;
	unsigned int slots = 0;
	PyObject *cookie_obj = Py_None;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|O&O:alloc", kwlist,
					 u64_conv, &size, u32_conv, &slots,
					 &cookie_obj))
		return NULL;
	if (cookie_obj != Py_None && !u64_conv(cookie_obj, &cookie))
		return NULL;
	if (batch_room(self))
		return NULL;
	return batch_queued(self, mheap_batch_alloc(&self->b, size, slots,
						    cookie), NULL, NULL);
}

static PyObject *Batch_dup(BatchObject *self, PyObject *arg)
{
	uint32_t handle;
	ObjObject *o;

	if (batch_target(self, arg, &o, &handle))
		return NULL;
	return batch_queued(self, mheap_batch_dup(&self->b, handle, 0), o,
			    NULL);
}

static PyObject *Batch_close(BatchObject *self, PyObject *arg)
{
	uint32_t handle;
	PyObject *p;
	ObjObject *o;

	if (batch_target(self, arg, &o, &handle))
		return NULL;
	if (o && o->exports) {
		PyErr_SetString(PyExc_BufferError,
				"cannot close an object whose payload is exported");
		return NULL;
	}
	p = batch_queued(self, mheap_batch_close(&self->b, handle), o, NULL);
	if (p && !o)
		self->q[self->b.count - 1].closes =
			((PendingObject *)arg)->index;
	return p;
}

static PyObject *Batch_set_slot(BatchObject *self, PyObject *args)
{
	unsigned long long index;
	PyObject *target, *value;
	uint32_t handle, vh = 0;
	ObjObject *o, *v = NULL;

	if (!PyArg_ParseTuple(args, "OO&O:set_slot", &target, u64_conv, &index,
			      &value))
		return NULL;
	if (batch_target(self, target, &o, &handle))
		return NULL;
	if (value != Py_None &&
	    batch_operand(self, value, "a slot's value", &v, &vh))
		return NULL;
	return batch_queued(self, mheap_batch_set_slot(&self->b, handle, index,
						       vh), o, value);
}

static PyObject *Batch_get_slot(BatchObject *self, PyObject *args)
{
	unsigned long long index;
	PyObject *target;
	uint32_t handle;
	ObjObject *o;

	if (!PyArg_ParseTuple(args, "OO&:get_slot", &target, u64_conv, &index))
		return NULL;
	if (batch_target(self, target, &o, &handle))
		return NULL;
	return batch_queued(self, mheap_batch_get_slot(&self->b, handle,
						       index), o, NULL);
}

static PyObject *batch_rw(BatchObject *self, PyObject *args, PyObject *kwds,
			  int write)
{
	static char *kwlist[] = { "obj", "buf", "offset", NULL };
	unsigned long long offset = 0;
	PyObject *target, *data;
	uint32_t handle;
	ObjObject *o;
	Py_buffer buf;
	PyObject *p;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, write ? "OO|O&:write" :
					 "OO|O&:read", kwlist, &target, &data,
					 u64_conv, &offset))
		return NULL;
	if (batch_target(self, target, &o, &handle))
		return NULL;
	if (PyObject_GetBuffer(data, &buf, write ? PyBUF_SIMPLE :
			       PyBUF_WRITABLE)) {
		/* as readinto() says it */
		if (!write && PyErr_ExceptionMatches(PyExc_BufferError)) {
			PyErr_Clear();
			PyErr_SetString(PyExc_TypeError,
					"read() needs a writable bytes-like object");
		}
		return NULL;
	}
	p = batch_queued(self, write ?
			 mheap_batch_write(&self->b, handle, offset, buf.buf,
					   buf.len) :
			 mheap_batch_read(&self->b, handle, offset, buf.buf,
					  buf.len), o, NULL);
	if (!p) {
		PyBuffer_Release(&buf);
		return NULL;
	}
	self->q[self->b.count - 1].buf = buf;
	self->q[self->b.count - 1].has_buf = 1;
	return p;
}

static PyObject *Batch_read(BatchObject *self, PyObject *args, PyObject *kw)
{
	return batch_rw(self, args, kw, 0);
}

static PyObject *Batch_write(BatchObject *self, PyObject *args, PyObject *kw)
{
	return batch_rw(self, args, kw, 1);
}

static Py_ssize_t Batch_len(BatchObject *self)
{
	return self->b.count;
}

/*
 * A CLOSE ran: the proxy it closed, or the Object its reference's
 * operation gave (made before, as operations are taken in order), is
 * closed.
 */
static void batch_closed(BatchObject *self, struct queued *q)
{
	PyObject *v;

	if (q->target) {
		q->target->handle = 0;
		return;
	}
	v = q->closes >= 0 ? self->q[q->closes].pending->value : NULL;
	if (v && PyObject_TypeCheck(v, &Object_Type))
		((ObjObject *)v)->handle = 0;
}

/* Operation i's outcome: the new Object, None, or an OSError instance. */
static PyObject *batch_outcome(BatchObject *self, uint32_t i)
{
	struct mheap_op *op = &self->b.ops[i];
	uint32_t out;
	int res = mheap_batch_result(&self->b, i, &out);

	if (res) {
		PyObject *args = Py_BuildValue("(iN)", -res, PyUnicode_FromFormat(
				"batch operation %u: %s (%s)", i, strerror(-res),
				mheap_errname(res)));
		PyObject *e = args ? PyObject_CallObject(PyExc_OSError, args) :
			NULL;

		Py_XDECREF(args);
		return e;
	}
	switch (op->op) {
	case MHEAP_OP_ALLOC:
		return obj_new(self->heap, out, (int32_t)op->arg1);
	case MHEAP_OP_DUP:
	case MHEAP_OP_GET_SLOT:
		return obj_or_none(self->heap, out);
	default:
		Py_RETURN_NONE;
	}
}

static PyObject *Batch_run(BatchObject *self, PyObject *Py_UNUSED(unused))
{
	HeapObject *h = self->heap;
	PyObject *first = NULL;
	uint32_t i, n = self->b.count;
	int done;

	if (!h) {
		PyErr_SetString(PyExc_ValueError, "the batch is not initialised");
		return NULL;
	}
	if (!n)
		Py_RETURN_NONE;
	if (heap_check(h))
		return NULL;
	done = CALL(h, mheap_batch_run(h->mh, &self->b, self->keep_going ?
				       MHEAP_BATCH_CONTINUE : 0));
	if (done < 0) {
		batch_clear(self);
		return set_error(done, "batch of %u operations", n);
	}
	for (i = 0; i < (uint32_t)done; i++) {
		struct queued *q = &self->q[i];
		PyObject *r = batch_outcome(self, i);

		if (!r) {
			/* out of memory: the handles no proxy took go */
			for (; i < (uint32_t)done; i++) {
				uint32_t out;

				if (!mheap_batch_result(&self->b, i, &out) &&
				    self->b.ops[i].op != MHEAP_OP_CLOSE)
					release_quiet(h, out);
			}
			batch_clear(self);
			return NULL;
		}
		q->pending->ran = 1;
		if (PyObject_TypeCheck(r, (PyTypeObject *)PyExc_OSError)) {
			Py_SETREF(q->pending->error, r);
			if (!first)
				first = r;
		} else {
			Py_SETREF(q->pending->value, r);
			if (self->b.ops[i].op == MHEAP_OP_CLOSE)
				batch_closed(self, q);
		}
	}
	Py_XINCREF(first);
	batch_clear(self);
	if (first && !self->keep_going) {
		PyErr_SetObject((PyObject *)Py_TYPE(first), first);
		Py_DECREF(first);
		return NULL;
	}
	Py_XDECREF(first);
	Py_RETURN_NONE;
}

static PyObject *Batch_enter(PyObject *self, PyObject *Py_UNUSED(unused))
{
	return Py_NewRef(self);
}

static PyObject *Batch_exit(BatchObject *self, PyObject *args)
{
	PyObject *type = PyTuple_Size(args) > 0 ? PyTuple_GET_ITEM(args, 0) :
		Py_None;

	if (type != Py_None) {
		batch_clear(self);
		Py_RETURN_NONE;
	}
	return Batch_run(self, NULL);
}

static PyMethodDef Batch_methods[] = {
	{ "alloc", (PyCFunction)(void (*)(void))Batch_alloc,
	  METH_VARARGS | METH_KEYWORDS,
	  "alloc(size, slots=0, cookie=None)\n--\n\nQueue Heap.alloc(); the "
	  "Pending's value is the new Object." },
	{ "dup", (PyCFunction)Batch_dup, METH_O,
	  "dup(obj)\n--\n\nQueue obj.dup()." },
	{ "close", (PyCFunction)Batch_close, METH_O,
	  "close(obj)\n--\n\nQueue obj.close(); the proxy is closed once the "
	  "batch ran it." },
	{ "set_slot", (PyCFunction)Batch_set_slot, METH_VARARGS,
	  "set_slot(obj, index, value)\n--\n\nQueue obj[index] = value (an "
	  "Object, or None)." },
	{ "get_slot", (PyCFunction)Batch_get_slot, METH_VARARGS,
	  "get_slot(obj, index)\n--\n\nQueue obj[index]; the Pending's value "
	  "is the Object, or None for an empty slot." },
	{ "read", (PyCFunction)(void (*)(void))Batch_read,
	  METH_VARARGS | METH_KEYWORDS,
	  "read(obj, buf, offset=0)\n--\n\nQueue a read of len(buf) payload "
	  "bytes at offset into buf (writable bytes-like, e.g. a bytearray)." },
	{ "write", (PyCFunction)(void (*)(void))Batch_write,
	  METH_VARARGS | METH_KEYWORDS,
	  "write(obj, data, offset=0)\n--\n\nQueue a write of data "
	  "(bytes-like) to the payload at offset." },
	{ "run", (PyCFunction)Batch_run, METH_NOARGS,
	  "run()\n--\n\nRun what is queued in one call (nothing when empty) "
	  "and empty the queue. Without keep_going the batch stops at the "
	  "first failed operation and run() raises its OSError, once every "
	  "earlier Pending is set; later ones have ran False." },
	{ "__enter__", Batch_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)Batch_exit, METH_VARARGS, NULL },
	{ NULL }
};

static PySequenceMethods Batch_as_sequence = {
	.sq_length = (lenfunc)Batch_len,
};

PyTypeObject Batch_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "mheap.Batch",
	.tp_basicsize = sizeof(BatchObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Batch(heap, keep_going=False)\n--\n\n"
		  "Operations queued, then run in one MHEAP_IOC_BATCH call, at "
		  "the end of a with block or at run(). Each method queues one "
		  "operation and returns its Pending. With keep_going every "
		  "operation runs and failures stay in their Pending. Where an "
		  "operation takes an object, the Pending of an earlier "
		  "operation of the same batch names the object that operation "
		  "gives (a batch-local reference). Up to 65536 operations "
		  "(ValueError beyond).",
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)Batch_init,
	.tp_dealloc = (destructor)Batch_dealloc,
	.tp_methods = Batch_methods,
	.tp_as_sequence = &Batch_as_sequence,
};

static int Pending_traverse(PendingObject *self, visitproc visit, void *arg)
{
	Py_VISIT(self->value);
	Py_VISIT(self->error);
	return 0;
}

static int Pending_clear(PendingObject *self)
{
	Py_CLEAR(self->value);
	Py_CLEAR(self->error);
	return 0;
}

static void Pending_dealloc(PendingObject *self)
{
	PyObject_GC_UnTrack(self);
	Pending_clear(self);
	PyObject_GC_Del(self);
}

static PyObject *Pending_get_value(PendingObject *self, void *Py_UNUSED(u))
{
	return Py_NewRef(self->value ? self->value : Py_None);
}

static PyObject *Pending_get_error(PendingObject *self, void *Py_UNUSED(u))
{
	return Py_NewRef(self->error ? self->error : Py_None);
}

static PyObject *Pending_get_ran(PendingObject *self, void *Py_UNUSED(u))
{
	return PyBool_FromLong(self->ran);
}

static PyObject *Pending_get_ok(PendingObject *self, void *Py_UNUSED(u))
{
	return PyBool_FromLong(self->ran && self->error == Py_None);
}

static PyObject *Pending_repr(PendingObject *self)
{
	if (!self->ran)
		return PyUnicode_FromString("<Pending: not run>");
	return PyUnicode_FromFormat("<Pending: %R>", self->error != Py_None ?
				    self->error : self->value);
}

static PyGetSetDef Pending_getset[] = {
	{ "value", (getter)Pending_get_value, NULL,
	  "The new Object (alloc, dup, get_slot: None for an empty slot), "
	  "else None.", NULL },
	{ "error", (getter)Pending_get_error, NULL,
	  "The OSError the operation failed with, or None.", NULL },
	{ "ran", (getter)Pending_get_ran, NULL,
	  "True once the batch ran the operation.", NULL },
	{ "ok", (getter)Pending_get_ok, NULL,
	  "True when it ran and succeeded.", NULL },
	{ NULL }
};

PyTypeObject Pending_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "mheap.Pending",
	.tp_basicsize = sizeof(PendingObject),
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
	.tp_doc = "The result of a batched operation, set when its batch "
		  "runs.",
	.tp_dealloc = (destructor)Pending_dealloc,
	.tp_traverse = (traverseproc)Pending_traverse,
	.tp_clear = (inquiry)Pending_clear,
	.tp_repr = (reprfunc)Pending_repr,
	.tp_getset = Pending_getset,
};

/* The payload mapping, made on first use and kept until close(). */

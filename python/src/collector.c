// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mheap._mheap: the collector: collect, its controls, statistics, referents
 * (Documentation/python.rst).
 */
#include "mheap_py.h"

PyObject *Heap_collect(HeapObject *self, PyObject *args)
{
	unsigned int generation = MHEAP_GENERATIONS - 1;
	uint64_t collected;
	int err;

	if (!PyArg_ParseTuple(args, "|I:collect", &generation))
		return NULL;
	if (heap_check(self))
		return NULL;
	err = CALL(self, mheap_collect(self->mh, generation, &collected));
	if (err)
		return set_error(err, "collect(generation=%u)", generation);
	return PyLong_FromUnsignedLongLong(collected);
}

PyObject *Heap_gc_op(HeapObject *self, PyObject *arg)
{
	static const char *const names[] = {
		"enable()", "disable()", "freeze()", "unfreeze()",
		"set_debug(DEBUG_SAVEALL)", "set_debug(0)", "garbage.clear()",
	};
	long op = PyLong_AsLong(arg);
	uint64_t released = 0;
	int err;

	if (op == -1 && PyErr_Occurred())
		return NULL;
	if (op < GC_ENABLE || op > GC_RELEASE) {
		PyErr_SetString(PyExc_ValueError, "unknown collector operation");
		return NULL;
	}
	if (heap_check(self))
		return NULL;
	switch (op) {
	case GC_ENABLE:
	case GC_DISABLE:
		err = CALL(self, mheap_gc_enable(self->mh, op == GC_ENABLE));
		break;
	case GC_FREEZE:
		err = CALL(self, mheap_gc_freeze(self->mh));
		break;
	case GC_UNFREEZE:
		err = CALL(self, mheap_gc_unfreeze(self->mh));
		break;
	case GC_SAVE_ALL:
	case GC_NO_SAVE_ALL:
		err = CALL(self, mheap_gc_set_save_all(self->mh,
						       op == GC_SAVE_ALL));
		break;
	default:
		err = CALL(self, mheap_gc_release_garbage(self->mh, &released));
		break;
	}
	if (err)
		return set_error(err, "gc.%s", names[op]);
	return PyLong_FromUnsignedLongLong(released);
}

static PyObject *gen_stats(const struct mheap_gc_gen_stats *g)
{
	return Py_BuildValue("{sKsKsKsKsKsK}",
			     "collections", (unsigned long long)g->collections,
			     "collected", (unsigned long long)g->collected,
			     "uncollectable", (unsigned long long)g->uncollectable,
			     "examined", (unsigned long long)g->examined,
			     "pause_total_ns", (unsigned long long)g->pause_total_ns,
			     "pause_last_ns", (unsigned long long)g->pause_last_ns);
}

PyObject *Heap_gc_stats(HeapObject *self, PyObject *Py_UNUSED(unused))
{
	struct mheap_gc_stats s;
	PyObject *gens;
	int err, i;

	if (heap_check(self))
		return NULL;
	err = CALL(self, mheap_gc_stats(self->mh, &s));
	if (err)
		return set_error(err, "gc stats");
	gens = PyList_New(MHEAP_GENERATIONS);
	if (!gens)
		return NULL;
	for (i = 0; i < MHEAP_GENERATIONS; i++) {
		PyObject *g = gen_stats(&s.gen[i]);

		if (!g) {
			Py_DECREF(gens);
			return NULL;
		}
		PyList_SET_ITEM(gens, i, g);
	}
	return Py_BuildValue("{sOsOs(III)s(III)sKsKsN}",
			     "enabled", s.state & MHEAP_GC_STATE_ENABLED ?
			     Py_True : Py_False,
			     "save_all", s.state & MHEAP_GC_STATE_SAVE_ALL ?
			     Py_True : Py_False,
			     "count", s.count[0], s.count[1], s.count[2],
			     "threshold", s.threshold[0], s.threshold[1],
			     s.threshold[2],
			     "freeze_count", (unsigned long long)s.freeze_count,
			     "garbage", (unsigned long long)s.garbage,
			     "generations", gens);
}

PyObject *Heap_set_threshold(HeapObject *self, PyObject *args)
{
	uint32_t t[MHEAP_GENERATIONS];
	int err;

	if (!PyArg_ParseTuple(args, "O&O&O&:set_threshold", u32_conv, &t[0],
			      u32_conv, &t[1], u32_conv, &t[2]))
		return NULL;
	if (heap_check(self))
		return NULL;
	err = CALL(self, mheap_set_threshold(self->mh, t));
	if (err)
		return set_error(err, "set_threshold(%u, %u, %u)", t[0], t[1],
				 t[2]);
	Py_RETURN_NONE;
}

PyObject *Heap_refs(HeapObject *self, PyObject *args)
{
	unsigned int which;
	PyObject *arg, *list = NULL;
	uint32_t handle = 0, total = 0, count = 0, *buf = NULL;
	int err;

	if (!PyArg_ParseTuple(args, "IO:_refs", &which, &arg))
		return NULL;
	if (heap_check(self))
		return NULL;
	if (arg != Py_None) {
		ObjObject *o;

		if (arg_obj(self, arg, "the object", &o))
			return NULL;
		handle = o->handle;
	}
	for (;;) {
		uint32_t written;

		err = CALL(self, which == MHEAP_REFS_GARBAGE ?
			   mheap_garbage(self->mh, buf, count, &total) :
			   which == MHEAP_REFS_REFERENTS ?
			   mheap_referents(self->mh, handle, buf, count, &total) :
			   mheap_referrers(self->mh, handle, buf, count, &total));
		if (err < 0) {
			PyMem_Free(buf);
			return set_error(err, "%s(%u)", which == MHEAP_REFS_GARBAGE ?
					 "garbage" : which == MHEAP_REFS_REFERENTS ?
					 "get_referents" : "get_referrers", handle);
		}
		written = (uint32_t)err;	/* min(count, total) */
		if (total <= count || total > MHEAP_REFS_MAX) {
			Py_ssize_t i;

			list = PyList_New(written);
			for (i = 0; i < written; i++) {
				PyObject *o = list ? obj_new(self, buf[i], -1) : NULL;

				if (!o) {
					/* close those no proxy took */
					for (; i < written; i++)
						release_quiet(self, buf[i]);
					Py_CLEAR(list);
					break;
				}
				PyList_SET_ITEM(list, i, o);
			}
			PyMem_Free(buf);
			return list;
		}
		/* a sizing call, or the list grew: the handles go back */
		while (written)
			release_quiet(self, buf[--written]);
		PyMem_Free(buf);
		count = total;
		buf = PyMem_Malloc(count * sizeof(*buf));
		if (!buf)
			return PyErr_NoMemory();
	}
}

/* Named roots */

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mheap._mheap: the module: its types and constants
 * (Documentation/python.rst).
 */
#include "mheap_py.h"

static struct PyModuleDef mheap_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "mheap._mheap",
	.m_doc = "The C half of the mheap package; use mheap instead.",
	.m_size = -1,
};

#define CONST(m, name) PyModule_AddIntConstant(m, #name, name)

PyMODINIT_FUNC PyInit__mheap(void)
{
	PyObject *m;

	if (PyType_Ready(&Heap_Type) || PyType_Ready(&Object_Type) ||
	    PyType_Ready(&Batch_Type) || PyType_Ready(&Pending_Type))
		return NULL;
	m = PyModule_Create(&mheap_module);
	if (!m)
		return NULL;
	if (PyModule_AddObjectRef(m, "_Heap", (PyObject *)&Heap_Type) < 0 ||
	    PyModule_AddObjectRef(m, "Object", (PyObject *)&Object_Type) < 0 ||
	    PyModule_AddObjectRef(m, "Batch", (PyObject *)&Batch_Type) < 0 ||
	    PyModule_AddObjectRef(m, "Pending", (PyObject *)&Pending_Type) < 0 ||
	    CONST(m, MHEAP_OP_ALLOC) || CONST(m, MHEAP_OP_DUP) ||
	    CONST(m, MHEAP_OP_CLOSE) || CONST(m, MHEAP_OP_SET_SLOT) ||
	    CONST(m, MHEAP_OP_GET_SLOT) || CONST(m, MHEAP_OP_READ) ||
	    CONST(m, MHEAP_OP_WRITE) || CONST(m, MHEAP_REFS_REFERENTS) ||
	    CONST(m, MHEAP_REFS_REFERRERS) || CONST(m, MHEAP_REFS_GARBAGE) ||
	    CONST(m, MHEAP_EVENT_REFCOUNT) || CONST(m, MHEAP_EVENT_COLLECTOR) ||
	    CONST(m, MHEAP_EVENT_OVERFLOW) || CONST(m, MHEAP_GENERATIONS) ||
	    CONST(m, MHEAP_BATCH_MAX) || CONST(m, MHEAP_MAX_SIZE) ||
	    CONST(m, MHEAP_MAX_REFS) || CONST(m, MHEAP_EVENTS_MAX) ||
	    CONST(m, GC_ENABLE) || CONST(m, GC_DISABLE) ||
	    CONST(m, GC_FREEZE) || CONST(m, GC_UNFREEZE) ||
	    CONST(m, GC_SAVE_ALL) || CONST(m, GC_NO_SAVE_ALL) ||
	    CONST(m, GC_RELEASE) ||
	    PyModule_AddObject(m, "MHEAP_EVENT_NO_GEN",
			       PyLong_FromUnsignedLong(MHEAP_EVENT_NO_GEN)) ||
	    PyModule_AddObject(m, "FEATURES", Py_BuildValue(
			"{sKsKsKsKsKsKsKsK}",
			"batch", (unsigned long long)MHEAP_FEATURE_BATCH,
			"clients", (unsigned long long)MHEAP_FEATURE_CLIENTS,
			"weak", (unsigned long long)MHEAP_FEATURE_WEAK,
			"scopes", (unsigned long long)MHEAP_FEATURE_SCOPES,
			"names", (unsigned long long)MHEAP_FEATURE_NAMES,
			"events", (unsigned long long)MHEAP_FEATURE_EVENTS,
			"mmap", (unsigned long long)MHEAP_FEATURE_MMAP,
			"batch_refs",
			(unsigned long long)MHEAP_FEATURE_BATCH_REFS))) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Creates mheap's tracepoints, declared in mheap_trace.h.
 */
#include "core/prim.h"

#define CREATE_TRACE_POINTS
#include "mheap_trace.h"

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MHEAP_HEAP_H
#define MHEAP_HEAP_H

#include "sys.h"

/**
 * struct mheap - one managed heap, created by each open() of /dev/mheap
 * @capacity: bytes of payload the heap may hold at most; fixed at creation.
 *
 * The heap holds no objects yet: arenas, objects and handles arrive with
 * the heap issue. Lifetime: owned by the file that created it.
 */
struct mheap {
	size_t capacity;
};

struct mheap *mheap_heap_create(size_t capacity);
void mheap_heap_destroy(struct mheap *heap);

#endif /* MHEAP_HEAP_H */

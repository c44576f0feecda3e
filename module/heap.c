// SPDX-License-Identifier: GPL-2.0
/*
 * The heap: part of the portable core, built into mheap.ko and into the
 * host tests. Includes only the core's own headers (see sys.h).
 */
#include "heap.h"

/**
 * mheap_heap_create() - create an empty heap
 * @capacity: payload bytes the heap may hold at most.
 *
 * Context: process context; may sleep.
 * Return: the new heap, or NULL when memory could not be allocated.
 */
struct mheap *mheap_heap_create(size_t capacity)
{
	struct mheap *heap = sys_zalloc(sizeof(*heap));

	if (!heap)
		return NULL;
	heap->capacity = capacity;
	return heap;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_heap_create);

/**
 * mheap_heap_destroy() - destroy a heap and everything in it
 * @heap: the heap; NULL is allowed and does nothing.
 *
 * Context: process context; the caller holds the only reference.
 */
void mheap_heap_destroy(struct mheap *heap)
{
	sys_free(heap);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_heap_destroy);

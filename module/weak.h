/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Weak references: records that name an object without keeping it alive.
 *
 * A weak handle (handle.h) holds a record of its heap's weak table, not a
 * reference on the object. An object with records has MHEAP_OBJ_WEAKREF
 * set; when it is freed its record is cleared (its object becomes 0), so
 * every weak handle on it reads as dead from then on, even after the
 * object's id is reused. A record lives while weak handles use it.
 *
 * Locking: heap->lock for everything.
 */
#ifndef MHEAP_WEAK_H
#define MHEAP_WEAK_H

#include "heap.h"

/* The most weak records a heap may hold (distinct objects weakly named) */
#define MHEAP_WEAK_MAX		BIT(20)

int mheap_weak_get(struct mheap *heap, u32 id, u32 *ref);
void mheap_weak_put(struct mheap *heap, u32 ref);
void mheap_weak_clear(struct mheap *heap, u32 id);
void mheap_weak_destroy(struct mheap *heap);

/**
 * mheap_weak_deref() - the object a weak record names
 * @heap: the heap.
 * @ref: a record in use.
 *
 * Context: heap->lock held.
 * Return: the object's id, or 0 once it has been freed.
 */
static inline u32 mheap_weak_deref(struct mheap *heap, u32 ref)
{
	return heap->weak.refs[ref].obj;
}

#endif /* MHEAP_WEAK_H */

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

#include "prim.h"

struct mheap;

/**
 * struct mheap_weakref - a weak reference record (weak.c)
 * @obj: the object, 0 once it was freed; while the record is free, unused.
 * @users: weak handles using the record; 0 while it is free.
 * @next: next record, index plus one, on its hash chain or the free list.
 */
struct mheap_weakref {
	u32 obj;
	u32 users;
	u32 next;
};

/**
 * struct mheap_weak_table - a heap's weak reference records
 * @refs: @size records; those below @used have been handed out.
 * @buckets: @size hash chain heads (index plus one), by object id; a
 *	record whose object was freed is on no chain.
 * @size: records allocated (a power of two, or 0).
 * @used: records handed out at least once.
 * @live: records in use.
 * @free_head: first free record, index plus one; 0 when none.
 */
struct mheap_weak_table {
	struct mheap_weakref *refs;
	u32 *buckets;
	u32 size;
	u32 used;
	u32 live;
	u32 free_head;
};

/* The most weak records a heap may hold (distinct objects weakly named) */
#define MHEAP_WEAK_MAX		BIT(20)

int mheap_weak_get(struct mheap *heap, u32 id, u32 *ref);
void mheap_weak_put(struct mheap *heap, u32 ref);
void mheap_weak_clear(struct mheap *heap, u32 id);
void mheap_weak_destroy(struct mheap *heap);

/**
 * mheap_weak_deref() - the object a weak record names
 * @weak: the heap's weak table (&heap->weak).
 * @ref: a record in use.
 *
 * Context: heap->lock held.
 * Return: the object's id, or 0 once it has been freed.
 */
static inline u32 mheap_weak_deref(const struct mheap_weak_table *weak,
				   u32 ref)
{
	return weak->refs[ref].obj;
}

#endif /* MHEAP_WEAK_H */

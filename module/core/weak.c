// SPDX-License-Identifier: GPL-2.0
/*
 * Weak references. Part of the portable core (see prim.h); the model is in
 * weak.h.
 *
 * The records live in one array indexed by record number. Records in use
 * whose object is alive are also on a hash chain keyed by the object's id,
 * so that a second weak handle on the same object shares the first one's
 * record and the object's release finds its record in constant time.
 *
 * Locking: heap->lock for everything.
 */
#include "object.h"
#include "weak.h"

#define TABLE_MIN	16

static inline u32 bucket_of(const struct mheap_weak_table *t, u32 id)
{
	/* Fibonacci hashing; size is a power of two */
	return (u32)(id * 0x61C88647U) >> (32 - __builtin_ctz(t->size));
}

static u32 find(struct mheap_weak_table *t, u32 id)
{
	u32 r;

	if (!t->size)
		return 0;
	for (r = t->buckets[bucket_of(t, id)]; r; r = t->refs[r - 1].next)
		if (t->refs[r - 1].obj == id)
			return r;
	return 0;
}

static void hash_add(struct mheap_weak_table *t, u32 ref)
{
	u32 *head = &t->buckets[bucket_of(t, t->refs[ref].obj)];

	t->refs[ref].next = *head;
	*head = ref + 1;
}

static void hash_del(struct mheap_weak_table *t, u32 ref)
{
	u32 *link = &t->buckets[bucket_of(t, t->refs[ref].obj)];

	while (*link != ref + 1)
		link = &t->refs[*link - 1].next;
	*link = t->refs[ref].next;
	t->refs[ref].next = 0;
}

/* Double the table; chains are rebuilt, the free list is kept. */
static int grow(struct mheap_weak_table *t)
{
	u32 size = t->size ? t->size * 2 : TABLE_MIN, i;
	struct mheap_weakref *refs;
	u32 *buckets;

	if (t->size >= MHEAP_WEAK_MAX)
		return -ENOSPC;
	refs = mheap_prim_kvzalloc(array_size(size, sizeof(*refs)));
	buckets = mheap_prim_kvzalloc(array_size(size, sizeof(*buckets)));
	if (!refs || !buckets) {
		mheap_prim_kvfree(refs);
		mheap_prim_kvfree(buckets);
		return -ENOMEM;
	}
	if (t->used)
		memcpy(refs, t->refs, t->used * sizeof(*refs));
	mheap_prim_kvfree(t->refs);
	mheap_prim_kvfree(t->buckets);
	t->refs = refs;
	t->buckets = buckets;
	t->size = size;
	for (i = 0; i < t->used; i++)
		if (refs[i].users && refs[i].obj)
			hash_add(t, i);
	return 0;
}

/**
 * mheap_weak_get() - a weak reference to an object
 * @heap: the heap.
 * @id: a live object.
 * @ref: set to the record, shared with the object's other weak handles.
 *
 * Context: heap->lock held; may sleep.
 * Return: 0; -EOVERFLOW when the record has U32_MAX users; -ENOSPC when
 * the heap has MHEAP_WEAK_MAX records; -ENOMEM. On error nothing changed.
 */
int mheap_weak_get(struct mheap *heap, u32 id, u32 *ref)
{
	struct mheap_weak_table *t = &heap->weak;
	u32 r = find(t, id);
	int err;

	mheap_prim_assert_held(&heap->lock);
	if (r) {
		if (t->refs[r - 1].users == U32_MAX)
			return -EOVERFLOW;
		t->refs[r - 1].users++;
		*ref = r - 1;
		return 0;
	}
	if (t->free_head) {
		r = t->free_head - 1;
		t->free_head = t->refs[r].next;
	} else {
		if (t->used == t->size) {
			err = grow(t);
			if (err)
				return err;
		}
		r = t->used++;
	}
	t->refs[r].obj = id;
	t->refs[r].users = 1;
	hash_add(t, r);
	t->live++;
	mheap_object_ptr(heap, id)->flags |= MHEAP_OBJ_WEAKREF;
	*ref = r;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_weak_get);

/**
 * mheap_weak_put() - drop a weak reference
 * @heap: the heap.
 * @ref: a record in use; freed with its last user.
 *
 * Context: heap->lock held.
 */
void mheap_weak_put(struct mheap *heap, u32 ref)
{
	struct mheap_weak_table *t = &heap->weak;
	struct mheap_weakref *w = &t->refs[ref];

	mheap_prim_assert_held(&heap->lock);
	if (WARN_ON_ONCE(!w->users) || --w->users)
		return;
	if (w->obj) {
		hash_del(t, ref);
		mheap_object_ptr(heap, w->obj)->flags &= ~MHEAP_OBJ_WEAKREF;
		w->obj = 0;
	}
	w->next = t->free_head;
	t->free_head = ref + 1;
	t->live--;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_weak_put);

/**
 * mheap_weak_clear() - an object with weak references is being freed
 * @heap: the heap.
 * @id: the object (MHEAP_OBJ_WEAKREF set).
 *
 * Its record reads as dead from now on.
 *
 * Context: heap->lock held.
 */
void mheap_weak_clear(struct mheap *heap, u32 id)
{
	struct mheap_weak_table *t = &heap->weak;
	u32 r = find(t, id);

	if (WARN_ON_ONCE(!r))
		return;
	hash_del(t, r - 1);
	t->refs[r - 1].obj = 0;
}

/**
 * mheap_weak_destroy() - free a heap's weak table
 * @heap: the heap being destroyed.
 *
 * Context: process context; no other user of the heap.
 */
void mheap_weak_destroy(struct mheap *heap)
{
	mheap_prim_kvfree(heap->weak.refs);
	mheap_prim_kvfree(heap->weak.buckets);
	memset(&heap->weak, 0, sizeof(heap->weak));
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Objects: headers, reference slots, reference counting and release.
 *
 * An object is named inside the core by its id: the location of its header
 * in the heap's meta space (never 0). Its payload lives in the payload
 * space. Userspace never sees either; it sees handles (handle.h).
 *
 * Layout in the meta space, 24 bytes plus 4 per slot (plus 16 for a
 * cookie and a subscriber), rounded up to the meta space's 8-byte class step:
 *
 *	 0 gc_prev  4 gc_next  8 refcnt  12 payload
 *	16 size:24 gen:2 flags:6  20 nrefs  24 slots[nrefs]
 *	[struct mheap_object_tail, 8-byte aligned]
 *
 * Locking: all of it under heap->lock.
 */
#ifndef MHEAP_OBJECT_H
#define MHEAP_OBJECT_H

#include "heap.h"

/* The largest payload and the most slots: MHEAP_MAX_SIZE, MHEAP_MAX_REFS */
/* The most references (handles and slots) to one object */
#define MHEAP_OBJECT_MAX_REFCNT	U32_MAX

/* flags */
#define MHEAP_OBJ_TRACKED	0x1	/* has slots: on a generation list */
#define MHEAP_OBJ_COOKIE	0x2	/* a tail (cookie, subscriber) follows the slots */
#define MHEAP_OBJ_COLLECTING	0x4	/* in the set being collected (gc.c) */
#define MHEAP_OBJ_REACHABLE	0x8	/* reached from a root */
#define MHEAP_OBJ_GARBAGE	0x10	/* on the save-all garbage list */
#define MHEAP_OBJ_WEAKREF	0x20	/* weak references name it (weak.h) */
#define MHEAP_OBJ_TENTATIVE	0x40	/* passed over unreached (gc.c) */
#define MHEAP_OBJ_ALIVE		0x80	/* reached from a handle or name (gc.c) */

/**
 * struct mheap_object - an object's header, in the meta space
 * @gc_prev: previous object on its generation list, 0 at the head; during a
 *	collection, first its gc_refs, then the collector's stack link.
 * @gc_next: next object on its generation list, 0 at the tail; while the
 *	object is being released, the next object to release.
 * @refcnt: handles on the object plus slots holding it.
 * @payload: location of the payload in the payload space; 0 if @size is 0.
 * @size: payload bytes.
 * @gen: generation (MHEAP_GEN_PERMANENT: frozen); tracked objects only.
 * @flags: MHEAP_OBJ_*.
 * @nrefs: reference slots.
 * @slots: ids of the objects the slots hold, 0 when empty.
 *
 * Invariant: refcnt == (handles naming it) + (slots holding its id), and
 * refcnt > 0 for every object in the heap.
 *
 * @gen and @flags each fill the top byte of a word (@size and @nrefs need
 * 24 bits: MHEAP_MAX_SIZE is 2^23, MHEAP_MAX_REFS 2^20), so that the
 * collector reads and writes them as single bytes; as 2- and 6-bit fields
 * of one word, each test of an edge's target took shifts and masks
 * (Documentation/gc.rst, "The header's layout").
 */
struct mheap_object {
	u32 gc_prev;
	u32 gc_next;
	u32 refcnt;
	u32 payload;
	u32 size : 24;
	u32 gen : 8;
	u32 nrefs : 24;
	u32 flags : 8;
	u32 slots[];
};

static_assert(MHEAP_MAX_SIZE < BIT(24) && MHEAP_MAX_REFS < BIT(24));

/**
 * struct mheap_object_tail - what follows the slots of an object with
 *	MHEAP_OBJ_COOKIE
 * @cookie: the allocator's cookie.
 * @subscriber: who hears of the object's reclamation (struct mheap's
 *	@reclaim), 0 for nobody.
 * @reserved: zero.
 */
struct mheap_object_tail {
	u64 cookie;
	u32 subscriber;
	u32 reserved;
};

/*
 * Why an object was reclaimed, as struct mheap's @reclaim hears it: the
 * uapi's MHEAP_EVENT_REFCOUNT (its count dropped to zero) or
 * MHEAP_EVENT_COLLECTOR (freed by a collection), and its generation, or
 * MHEAP_EVENT_NO_GEN for an untracked object.
 */

/**
 * struct mheap_object_info - what mheap_object_info() reports
 * @size: payload bytes.
 * @nrefs: reference slots.
 * @refcnt: current reference count.
 * @gen: generation, for tracked objects.
 * @tracked: whether the collector looks at it (it has slots).
 * @cookie: the cookie given at allocation, 0 if none.
 * @payload: the payload's location in the payload space, 0 if @size is 0.
 */
struct mheap_object_info {
	u32 size;
	u32 nrefs;
	u32 refcnt;
	u32 gen;
	bool tracked;
	u64 cookie;
	u32 payload;
};

int mheap_object_alloc(struct mheap *heap, size_t size, size_t nrefs,
		       u64 cookie, u32 *id);
int mheap_object_alloc_subscribed(struct mheap *heap, size_t size,
				  size_t nrefs, u64 cookie, u32 subscriber,
				  u32 *id);
void mheap_object_discard(struct mheap *heap, u32 id, unsigned int spares);
int mheap_object_get(struct mheap *heap, u32 id);
void mheap_object_put(struct mheap *heap, u32 id);
void mheap_object_free(struct mheap *heap, u32 id);
u64 mheap_object_free_list(struct mheap *heap, u32 *head, u64 max);
u64 mheap_object_free_unreachable(struct mheap *heap, u32 head,
				  unsigned int gen);
void mheap_object_free_zombie(struct mheap *heap, u32 id);
int mheap_object_set_slot(struct mheap *heap, u32 id, size_t index, u32 target);
int mheap_object_get_slot(struct mheap *heap, u32 id, size_t index,
			  u32 *target);
void mheap_object_info(struct mheap *heap, u32 id,
		       struct mheap_object_info *info);
size_t mheap_object_meta_size(size_t nrefs, bool cookie);

/*
 * Guard mode, a build option (make MHEAP_GUARD=y; make check builds the
 * debug kernel's module and the host tests with it). KASAN sees a whole
 * arena as one allocation, so a write that runs off one object's header
 * or payload into the next block goes unnoticed. In guard mode every
 * header and every payload is followed, inside its block, by
 * MHEAP_GUARD_BYTES bytes of MHEAP_GUARD_POISON. They are checked when the
 * object is freed and by mheap_object_validate(), which runs after every
 * collection and when a heap is destroyed. An overrun is counted in
 * heap->guard_errors and reported with a WARNING, unless heap->guard_quiet
 * (set by tests that overrun on purpose), or, for a payload's guard, the
 * heap's payloads were ever mapped into userspace (heap->mapped), whose
 * writes there are the user's business, not a kernel bug.
 */
#ifdef MHEAP_GUARD
#define MHEAP_GUARD_BYTES	16
#else
#define MHEAP_GUARD_BYTES	0
#endif
#define MHEAP_GUARD_POISON	0xb7
unsigned long mheap_object_validate(struct mheap *heap);

/**
 * mheap_object_ptr() - an object's header
 * @heap: the heap.
 * @id: the object's id.
 *
 * Context: heap->lock held; @id names a live object.
 * Return: the header.
 */
static inline struct mheap_object *mheap_object_ptr(struct mheap *heap, u32 id)
{
	return mheap_block_ptr(&heap->meta, id, MHEAP_META_QSHIFT);
}

/**
 * mheap_object_at() - mheap_object_ptr(), given the meta space's bases
 * @bases: heap->meta.bases, read once for a pass that allocates nothing.
 * @id: the object's id.
 *
 * Context: heap->lock held; @id names a live object.
 * Return: the header.
 */
static inline struct mheap_object *mheap_object_at(char *const *bases, u32 id)
{
	return mheap_bases_ptr(bases, id, MHEAP_META_QSHIFT);
}

/**
 * struct mheap_object_walk - a cursor for walking a list of objects
 * @bases: heap->meta.bases, read once for a walk that allocates nothing.
 * @base: the arena base of the object met last.
 * @arena: that arena's index; U32_MAX at first.
 * @delta: the last step's next id minus its id, in quanta.
 * @stride: @delta in bytes.
 *
 * A list's next id comes from its object's header, and the next header's
 * address from that id: a load on the chain that no step can start before
 * the one before has ended, however well the memory is prefetched. Most
 * steps stay in the same arena (lists are mostly in allocation order),
 * so the cursor keeps the base it loaded last and compares indexes
 * instead; and most steps go as far as the one before (objects of one
 * size, allocated one after the other, sit one after the other), so the
 * cursor guesses that the next header is @stride bytes after this one.
 * The guess is checked against the link, but by a branch the CPU
 * predicts: it goes on with the guessed address before the link is
 * loaded, and the loads of many steps overlap. On a list in allocation
 * order, a pass that did little per object took twice as long on the
 * chain of links as on a plain array (Documentation/gc.rst: Performance).
 *
 * The walk may free objects, but not allocate: an arena that still holds
 * an object further down the list is not released, so a base kept stays
 * valid for every id that maps to it.
 */
struct mheap_object_walk {
	char *const *bases;
	char *base;
	u32 arena;
	u32 delta;
	long stride;
};

static inline void mheap_object_walk_init(struct mheap_object_walk *walk,
					  char *const *bases)
{
	walk->bases = bases;
	walk->base = NULL;
	walk->arena = U32_MAX;
	walk->delta = 0;
	walk->stride = 0;
}

/**
 * mheap_object_walk_at() - mheap_object_at() for a list's next object
 * @walk: the walk's cursor, set by mheap_object_walk_init().
 * @id: the object's id.
 *
 * Context: heap->lock held; @id names an object in use.
 * Return: the header.
 */
static __always_inline struct mheap_object *
mheap_object_walk_at(struct mheap_object_walk *walk, u32 id)
{
	const unsigned int shift = MHEAP_ARENA_SHIFT - MHEAP_META_QSHIFT;

	if (unlikely(id >> shift != walk->arena)) {
		walk->arena = id >> shift;
		walk->base = walk->bases[walk->arena];
	}
	return (struct mheap_object *)(walk->base +
				       ((id & (BIT(shift) - 1)) <<
					MHEAP_META_QSHIFT));
}

/**
 * mheap_object_walk_first() - start a walk of a list at its head
 * @walk: the walk's cursor, to set.
 * @bases: heap->meta.bases.
 * @head: the list's first id, 0 for an empty list.
 *
 * A walk goes on with mheap_object_walk_next(), each link read before the
 * loop's body may change it or free the object, as in::
 *
 *	for (id = head, obj = mheap_object_walk_first(&walk, bases, id); id;
 *	     obj = mheap_object_walk_next(&walk, obj, id, next), id = next) {
 *		next = obj->gc_next;
 *		...
 *	}
 *
 * Context: heap->lock held.
 * Return: @head's header, or NULL when @head is 0.
 */
static __always_inline struct mheap_object *
mheap_object_walk_first(struct mheap_object_walk *walk, char *const *bases,
			u32 head)
{
	mheap_object_walk_init(walk, bases);
	return head ? mheap_object_walk_at(walk, head) : NULL;
}

/**
 * mheap_object_walk_next() - the header of the object after @id on a list
 * @walk: the walk's cursor, which met @id last.
 * @obj: @id's header (it may have been freed since, its arena not).
 * @id: the object met last.
 * @next: the id its link named, read before it could change.
 *
 * Context: heap->lock held.
 * Return: @next's header, or NULL when @next is 0.
 */
static __always_inline struct mheap_object *
mheap_object_walk_next(struct mheap_object_walk *walk,
		       const struct mheap_object *obj, u32 id, u32 next)
{
	const unsigned int shift = MHEAP_ARENA_SHIFT - MHEAP_META_QSHIFT;

	if (likely(next - id == walk->delta && !((next ^ id) >> shift)))
		return (struct mheap_object *)((char *)obj + walk->stride);
	if (!next)
		return NULL;
	walk->delta = next - id;
	walk->stride = (long)(s32)walk->delta * BIT(MHEAP_META_QSHIFT);
	return mheap_object_walk_at(walk, next);
}

/**
 * mheap_object_payload() - an object's payload
 * @heap: the heap.
 * @obj: the object's header.
 *
 * Context: heap->lock held.
 * Return: the payload's address, or NULL when its size is 0.
 */
static inline void *mheap_object_payload(struct mheap *heap,
					 const struct mheap_object *obj)
{
	return obj->size ? mheap_space_ptr(&heap->payload, obj->payload) : NULL;
}

#endif /* MHEAP_OBJECT_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Objects: headers, reference slots, reference counting and release. Part
 * of the portable core (see prim.h); the layout is in object.h.
 *
 * Releasing an object whose count dropped to zero releases what its slots
 * held, and so on: that walk is shaped by userspace, so it never recurses.
 * The objects waiting to be freed form a stack threaded through their own
 * gc_next fields (free once they left their generation list), and those a
 * collection in progress keeps (zombies, which stay on its list) one
 * threaded through their counts (zero, and read by nobody), so the walk
 * needs no memory of its own and cannot fail.
 *
 * Locking: heap->lock for everything.
 */
#include "object.h"
#include "space_fast.h"
#include "gc.h"
#include "weak.h"

/* How many objects a release frees between two chances to reschedule */
#define RELEASE_BATCH	1024

/**
 * mheap_object_meta_size() - bytes of the meta space an object takes
 * @nrefs: its reference slots, at most MHEAP_MAX_REFS.
 * @cookie: whether it carries a tail (a cookie and an subscriber).
 *
 * Context: any.
 * Return: header, slots and tail, before rounding to a size class.
 */
size_t mheap_object_meta_size(size_t nrefs, bool cookie)
{
	size_t size = size_add(sizeof(struct mheap_object),
			       array_size(nrefs, sizeof(u32)));

	return cookie ? round_up(size, sizeof(u64)) +
			sizeof(struct mheap_object_tail) : size;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_object_meta_size);

/* (loops rather than memset(): MHEAP_GUARD_BYTES may be 0) */
static void guard_set(void *end)
{
	u8 *p = end;
	unsigned int i;

	for (i = 0; i != MHEAP_GUARD_BYTES; i++)
		p[i] = MHEAP_GUARD_POISON;
}

static bool guard_intact(const void *end)
{
	const u8 *p = end;
	unsigned int i;

	for (i = 0; i != MHEAP_GUARD_BYTES; i++) {
		if (p[i] != MHEAP_GUARD_POISON)
			return false;
	}
	return true;
}

/* Check @id's guards; returns how many were overwritten (0 to 2). */
static unsigned long guard_check(struct mheap *heap, u32 id,
				 void *data __always_unused)
{
	struct mheap_object *obj;
	unsigned long bad = 0;
	size_t meta;

	/* every free calls this: nothing else to do outside guard mode */
	if (!MHEAP_GUARD_BYTES)
		return 0;
	obj = mheap_object_ptr(heap, id);
	meta = mheap_object_meta_size(obj->nrefs, obj->flags & MHEAP_OBJ_COOKIE);
	if (!guard_intact((u8 *)obj + meta)) {
		bad++;
		WARN_ONCE(!heap->guard_quiet,
			  "mheap: header of object %#x overrun\n", id);
	}
	/* once mapped, userspace may write anywhere in the payload space */
	if (obj->size &&
	    !guard_intact((u8 *)mheap_object_payload(heap, obj) + obj->size)) {
		bad++;
		WARN_ONCE(!heap->guard_quiet && !heap->mapped,
			  "mheap: payload of object %#x overrun\n", id);
	}
	heap->guard_errors += bad;
	return bad;
}

/**
 * mheap_object_validate() - check every live object's guards
 * @heap: the heap.
 *
 * In guard mode (see object.h) walks the meta space, where every block in
 * use is an object's header; otherwise does nothing.
 *
 * Context: heap->lock held.
 * Return: the overwritten guards found.
 */
unsigned long mheap_object_validate(struct mheap *heap)
{
	if (!MHEAP_GUARD_BYTES)
		return 0;
	return mheap_space_walk(heap, &heap->meta, guard_check, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_object_validate);

static struct mheap_object_tail *tail_ptr(struct mheap_object *obj)
{
	size_t off = round_up(sizeof(*obj) + obj->nrefs * sizeof(u32),
			      sizeof(u64));

	return (struct mheap_object_tail *)((char *)obj + off);
}

/*
 * Give back the header block of an allocation whose payload failed: to
 * the cache it came from (@from_cache), where it was, or else as an undo
 * (mheap_undo_begin()), so that the failed call changes nothing.
 */
static noinline void meta_undo(struct mheap *heap, u32 loc, size_t meta_size,
			       bool from_cache, unsigned int spares)
{
	if (from_cache) {
		mheap_space_free_small(heap, &heap->meta, loc, meta_size);
		return;
	}
	mheap_undo_begin(heap, spares);
	mheap_space_free(heap, &heap->meta, loc);
	mheap_undo_end(heap);
}

/*
 * Leaf objects (struct mheap_freelist): payloads of 1 to
 * MHEAP_FREELIST_MAX bytes; headers of no slots and no tail, all of one
 * class, LEAF_META_BYTES with the guard.
 */
#define MHEAP_FREELIST_MAX	(MHEAP_SMALL_MAX - MHEAP_GUARD_BYTES)
#define LEAF_META_BYTES		round_up(sizeof(struct mheap_object) + \
					 MHEAP_GUARD_BYTES, 8)

/*
 * The payload class of a leaf object of @size bytes, 1 to
 * MHEAP_FREELIST_MAX: mheap_space_alloc()'s, whose max() with
 * MHEAP_BLOCK_MIN changes nothing here (one class step).
 */
static_assert(MHEAP_BLOCK_MIN == 1 << MHEAP_PAYLOAD_QSHIFT);
static __always_inline unsigned int leaf_class(size_t size)
{
	return (size + MHEAP_GUARD_BYTES - 1) >> MHEAP_PAYLOAD_QSHIFT;
}

/*
 * The allocation of a leaf object of @size bytes from its class's list,
 * not empty: both blocks are zeroed as new ones are (mheap_space_alloc()),
 * and the header is set as object_alloc() sets it.
 */
static __always_inline int leaf_pop(struct mheap *heap, unsigned int class,
				    size_t size, u32 *id)
{
	struct mheap_freelist *list = &heap->freelist[class];
	unsigned int n = --list->count;
	u32 loc = list->meta[n], ploc = list->payload[n];
	struct mheap_object *obj = mheap_object_ptr(heap, loc);
	u8 *payload = mheap_block_ptr(&heap->payload, ploc,
				      MHEAP_PAYLOAD_QSHIFT);

	heap->nfreelisted--;
	zero_small(payload, (class + 1) << MHEAP_PAYLOAD_QSHIFT);
	guard_set(payload + size);
	/* every field of the header: that is all of it but the guard */
	*obj = (struct mheap_object){ .refcnt = 1, .payload = ploc,
				      .size = size };
	guard_set((u8 *)obj + sizeof(*obj));
	heap->objects_allocated++;
	heap->payload_bytes += size;
	*id = loc;
	return 0;
}

/*
 * Allocate a leaf object from its free list, when the object is a leaf
 * (no slots, no cookie, no subscriber, a small payload) and the list has
 * one: 0, else -EAGAIN, nothing changed.
 */
static __always_inline int leaf_alloc(struct mheap *heap, size_t size,
				      size_t nrefs, u64 cookie,
				      u32 subscriber, u32 *id)
{
	/* size - 1: a payload of 0 bytes wraps, and is not a leaf's */
	if ((nrefs | cookie | subscriber) || size - 1 >= MHEAP_FREELIST_MAX ||
	    !heap->freelist[leaf_class(size)].count)
		return -EAGAIN;
	return leaf_pop(heap, leaf_class(size), size, id);
}

/*
 * mheap_object_alloc_subscribed() for all but a leaf object its free list
 * has (leaf_alloc()): out of line, so that the fast path saves no
 * registers.
 */
static noinline int object_alloc(struct mheap *heap, size_t size,
				 size_t nrefs, u64 cookie, u32 subscriber,
				 u32 *id)
{
	unsigned int spares = mheap_spares(heap);
	u32 cached = heap->meta.ncached, flushes = heap->meta.nflushes;
	u32 loc, ploc = 0;
	struct mheap_object *obj;
	bool from_cache;
	void *meta, *payload;
	size_t meta_size;
	int err;

	if (size > MHEAP_MAX_SIZE || nrefs > MHEAP_MAX_REFS)
		return -EINVAL;
	meta_size = mheap_object_meta_size(nrefs, cookie || subscriber) +
		    MHEAP_GUARD_BYTES;
	err = mheap_space_alloc(heap, &heap->meta, meta_size, &loc, &meta);
	if (err)
		return err;
	if (size) {
		/*
		 * Popped from the cache, not given by a flush and a retry;
		 * read before the payload's allocation, which may flush too.
		 */
		from_cache = heap->meta.ncached < cached &&
			     heap->meta.nflushes == flushes;
		err = mheap_space_alloc(heap, &heap->payload,
					size + MHEAP_GUARD_BYTES, &ploc,
					&payload);
		if (err) {
			meta_undo(heap, loc, meta_size, from_cache, spares);
			return err;
		}
		guard_set((u8 *)payload + size);
	}
	meta_size -= MHEAP_GUARD_BYTES;
	guard_set((u8 *)meta + meta_size);
	obj = meta;
	obj->refcnt = 1;
	obj->payload = ploc;
	obj->size = size;
	obj->nrefs = nrefs;
	if (cookie || subscriber) {
		obj->flags |= MHEAP_OBJ_COOKIE;
		tail_ptr(obj)->cookie = cookie;
		tail_ptr(obj)->subscriber = subscriber;
	}
	if (nrefs) {
		obj->flags |= MHEAP_OBJ_TRACKED;
		mheap_gc_track(heap, loc, obj);
	}
	heap->objects_allocated++;
	heap->payload_bytes += size;
	*id = loc;
	return 0;
}

/**
 * mheap_object_alloc() - allocate an object
 * @heap: the heap.
 * @size: payload bytes, 0 to MHEAP_MAX_SIZE; zeroed.
 * @nrefs: reference slots, 0 to MHEAP_MAX_REFS; all empty.
 * @cookie: a value for the client to recognise the object by; 0 for none.
 * @id: set to the new object's id.
 *
 * mheap_object_alloc_subscribed() without a subscriber.
 *
 * Context: heap->lock held; may sleep.
 * Return: as mheap_object_alloc_subscribed().
 */
int mheap_object_alloc(struct mheap *heap, size_t size, size_t nrefs,
		       u64 cookie, u32 *id)
{
	mheap_prim_assert_held(&heap->lock);
	if (!leaf_alloc(heap, size, nrefs, cookie, 0, id))
		return 0;
	return object_alloc(heap, size, nrefs, cookie, 0, id);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_object_alloc);

/**
 * mheap_object_alloc_subscribed() - allocate an object whose end is reported
 * @heap: the heap.
 * @size: payload bytes, 0 to MHEAP_MAX_SIZE; zeroed.
 * @nrefs: reference slots, 0 to MHEAP_MAX_REFS; all empty.
 * @cookie: a value for the client to recognise the object by; 0 for none.
 * @subscriber: passed to heap->reclaim when the object is freed; 0 for none.
 * @id: set to the new object's id.
 *
 * The object starts with one reference, the caller's. Objects with slots
 * are tracked: they join generation 0.
 *
 * Context: heap->lock held; may sleep.
 * Return: 0; -EINVAL when @size or @nrefs is too large; -ENOSPC when the
 * heap is full; -ENOMEM. On error nothing changed.
 */
int mheap_object_alloc_subscribed(struct mheap *heap, size_t size,
				  size_t nrefs, u64 cookie, u32 subscriber,
				  u32 *id)
{
	mheap_prim_assert_held(&heap->lock);
	if (!leaf_alloc(heap, size, nrefs, cookie, subscriber, id))
		return 0;
	return object_alloc(heap, size, nrefs, cookie, subscriber, id);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_object_alloc_subscribed);

/**
 * mheap_object_discard() - undo mheap_object_alloc()
 * @heap: the heap.
 * @id: an object just allocated, still with only the allocator's reference
 *	and empty slots.
 * @spares: mheap_spares() from before the allocation.
 *
 * For a caller whose next step failed: the object goes as if it had never
 * been allocated, statistics and reserved arenas included.
 *
 * Context: heap->lock held.
 */
void mheap_object_discard(struct mheap *heap, u32 id, unsigned int spares)
{
	struct mheap_object *obj = mheap_object_ptr(heap, id);

	mheap_prim_assert_held(&heap->lock);
	if (WARN_ON_ONCE(obj->refcnt != 1))
		return;
	/* nobody saw it: nobody hears of its end */
	if (obj->flags & MHEAP_OBJ_COOKIE)
		tail_ptr(obj)->subscriber = 0;
	mheap_undo_begin(heap, spares);
	mheap_object_put(heap, id);
	mheap_undo_end(heap);
	heap->objects_allocated--;
	heap->objects_freed--;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_object_discard);

/**
 * mheap_object_get() - take a reference
 * @heap: the heap.
 * @id: a live object.
 *
 * Context: heap->lock held.
 * Return: 0, or -EOVERFLOW when the object has MHEAP_OBJECT_MAX_REFCNT
 * references already (nothing changed).
 */
int mheap_object_get(struct mheap *heap, u32 id)
{
	struct mheap_object *obj = mheap_object_ptr(heap, id);

	mheap_prim_assert_held(&heap->lock);
	if (obj->refcnt == MHEAP_OBJECT_MAX_REFCNT)
		return -EOVERFLOW;
	obj->refcnt++;
	if (unlikely(obj->flags & MHEAP_OBJ_COLLECTING))
		mheap_gc_barrier(heap, id, obj);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_object_get);

/*
 * All of freeing @id but returning its header: the subscriber hears of it,
 * weak references to it die, its payload goes back. Its slots were
 * released already.
 */
static __always_inline void object_end(struct mheap *heap, u32 id,
				       struct mheap_object *obj)
{
	if (obj->flags & MHEAP_OBJ_COOKIE && tail_ptr(obj)->subscriber &&
	    heap->reclaim)
		heap->reclaim(heap, tail_ptr(obj)->subscriber, tail_ptr(obj)->cookie,
			      heap->gc.releasing ? MHEAP_EVENT_COLLECTOR :
						    MHEAP_EVENT_REFCOUNT,
			      obj->flags & MHEAP_OBJ_TRACKED ? obj->gen :
							       MHEAP_EVENT_NO_GEN);
	if (obj->flags & MHEAP_OBJ_WEAKREF)
		mheap_weak_clear(heap, id);
	heap->objects_freed++;
	heap->payload_bytes -= obj->size;
	if (obj->size)
		mheap_space_free_small(heap, &heap->payload, obj->payload,
				       obj->size + MHEAP_GUARD_BYTES);
}

/*
 * Free leaf object @id onto its class's free list, when it is one (no
 * slots, no cookie, no weak references to clear, a small payload), the
 * list has room, and no failed call is being undone (an undo must leave
 * the pools as they were: mheap_undo_begin()). Return: whether it did.
 */
static __always_inline bool leaf_push(struct mheap *heap, u32 id,
				      struct mheap_object *obj)
{
	struct mheap_freelist *list;

	if (obj->nrefs || obj->flags & (MHEAP_OBJ_TRACKED | MHEAP_OBJ_COOKIE |
					MHEAP_OBJ_WEAKREF) ||
	    (size_t)obj->size - 1 >= MHEAP_FREELIST_MAX || heap->undo)
		return false;
	list = &heap->freelist[leaf_class(obj->size)];
	if (list->count == MHEAP_FREELIST_SLOTS)
		return false;
	list->meta[list->count] = id;
	list->payload[list->count++] = obj->payload;
	heap->nfreelisted++;
	heap->objects_freed++;
	heap->payload_bytes -= obj->size;
	return true;
}

/* mheap_object_free(), inline in put() */
static __always_inline void object_free(struct mheap *heap, u32 id,
					struct mheap_object *obj)
{
	size_t meta_size;

	guard_check(heap, id, NULL);
	if (leaf_push(heap, id, obj))
		return;
	meta_size = mheap_object_meta_size(obj->nrefs,
					   obj->flags & MHEAP_OBJ_COOKIE);
	object_end(heap, id, obj);
	mheap_space_free_small(heap, &heap->meta, id,
			       meta_size + MHEAP_GUARD_BYTES);
}

/**
 * mheap_object_free() - free an object's memory
 * @heap: the heap.
 * @id: an object no longer on any list, whose slots were released.
 *
 * Context: heap->lock held.
 */
void mheap_object_free(struct mheap *heap, u32 id)
{
	object_free(heap, id, mheap_object_ptr(heap, id));
}
EXPORT_SYMBOL_IF_KUNIT(mheap_object_free);

/**
 * mheap_object_free_list() - free the first objects of a chain
 * @heap: the heap.
 * @head: the first object of a chain linked by gc_next (0 ends it), such
 *	as a collection's unreachable list: each off every other list, with
 *	a count of zero and its slots released. Set to the first object not
 *	freed, 0 when the chain is gone.
 * @max: the most objects to free.
 *
 * mheap_object_free() of each in turn, each link read before its object
 * goes, with the free inline: for the collector, which frees whole lists
 * (a call per object cost a sixth of a dropped collection's freeing).
 * Headers go back by the bitmap word (mheap_space_free_batch()), not
 * through the block cache; object_end() frees no header. Reschedules
 * every 1024 objects.
 *
 * Context: heap->lock held; may sleep.
 * Return: how many objects were freed.
 */
u64 mheap_object_free_list(struct mheap *heap, u32 *head, u64 max)
{
	struct mheap_free_batch batch = { 0 };
	struct mheap_object_walk walk;
	struct mheap_object *obj;
	u64 freed = 0;
	u32 id, next;

	mheap_object_walk_init(&walk, heap->meta.bases);
	for (id = *head; id && freed < max; id = next) {
		obj = mheap_object_walk_at(&walk, id);
		next = obj->gc_next;
		WARN_ON_ONCE(obj->refcnt);
		guard_check(heap, id, NULL);
		object_end(heap, id, obj);
		mheap_space_free_batch(heap, &heap->meta, &batch, id);
		if (++freed % 1024 == 0)
			mheap_prim_cond_resched();
	}
	mheap_space_batch_flush(heap, &heap->meta, &batch);
	*head = id;
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_object_free_list);

/* Whether @t is an object of mheap_object_free_unreachable()'s chain */
static __always_inline bool in_chain(const struct mheap_object *t,
				     unsigned int gen)
{
	return t->flags & MHEAP_OBJ_COLLECTING && t->gen <= gen;
}

/*
 * Put the targets of @obj's slots that are not in the chain: apart, so
 * that the loop over the slots, which seldom finds one, makes no call.
 */
static noinline void put_outside(struct mheap *heap, struct mheap_object *obj,
				 unsigned int gen)
{
	u32 i, target;

	for (i = 0; i < obj->nrefs; i++) {
		target = obj->slots[i];
		if (target && !in_chain(mheap_object_ptr(heap, target), gen))
			mheap_object_put(heap, target);
	}
}

/*
 * Whether freeing @obj takes no more than counting it and giving its
 * header back: no payload, weak reference or subscriber (object_end()'s
 * work), and no guards to check.
 */
static __always_inline bool plain(struct mheap_object *obj)
{
	return !MHEAP_GUARD_BYTES && !obj->size &&
	       !(obj->flags & MHEAP_OBJ_WEAKREF) &&
	       (!(obj->flags & MHEAP_OBJ_COOKIE) || !tail_ptr(obj)->subscriber);
}

/*
 * Free @obj (@id) of mheap_object_free_unreachable()'s chain, whose slots
 * were counted, when it holds an object @outside the chain, is not
 * plain(), or does not join @batch: apart, with the calls the common case
 * does without, so that the loop keeps its values in registers. Returns
 * whether it ended the object by object_end() (which frees no header).
 */
static noinline bool free_slowly(struct mheap *heap,
				 struct mheap_free_batch *batch, u32 id,
				 struct mheap_object *obj, unsigned int gen,
				 bool outside)
{
	bool ends = !plain(obj);

	/* its cascades may free headers into the batch's pool: see the batch */
	if (outside)
		put_outside(heap, obj, gen);
	if (ends) {
		guard_check(heap, id, NULL);
		object_end(heap, id, obj);
	}
	mheap_space_free_batch(heap, &heap->meta, batch, id);
	return ends;
}

/**
 * mheap_object_free_unreachable() - release and free a collection's garbage
 * @heap: the heap.
 * @head: the first object of a chain linked by gc_next (0 ends it): a
 *	collection's unreachable objects, off every other list, which only
 *	objects of the chain refer to.
 * @gen: the objects of the chain are the ones flagged COLLECTING of
 *	generation @gen or younger, and no other is (gc.c:
 *	release_unreachable()).
 *
 * One pass, in chain order: each object's slots are released, then the
 * object is freed. A slot naming an object of the chain is left as it is:
 * that object goes in this pass too, before or after, and its count with
 * it. Other targets are put (mheap_object_put()), which may free more,
 * never an object of the chain. Telling the two apart reads the target's
 * flags, possibly after the target was freed earlier in the pass: freeing
 * a small block writes nothing into it, and the meta space holds the
 * arenas that empty meanwhile (mheap_space_hold()) until the pass is over.
 * CPython's delete_garbage() clears each object in turn, and the counts
 * drop to zero along the way; here none is counted down, which spares a
 * write to each target, and a pass. The counts of the chain must add up
 * to the references between its objects (their difference, the debt,
 * must end at 0): a WARN otherwise.
 *
 * Each freed object's free count is added to the heap's at the end, for
 * the objects with nothing else to end (no dependent chain of increments
 * through memory); the others end as mheap_object_free() ends them.
 * Headers go back by the bitmap word (mheap_space_free_batch()), which
 * lets the cascades of putting an object outside the chain free headers
 * into a batch's pool meanwhile.
 *
 * Context: heap->lock held; may sleep (reschedules every 1024 objects).
 * Return: how many objects of the chain were freed.
 */
u64 mheap_object_free_unreachable(struct mheap *heap, u32 head,
				  unsigned int gen)
{
	char *const *bases = heap->meta.bases;
	struct mheap_free_batch batch = { 0 };
	u64 freed = 0, ended = 0;
	struct mheap_object_walk walk;
	s64 debt = 0;
	struct mheap_object *obj;
	const u32 *p, *end;
	bool outside;
	u32 id, next;

	mheap_space_hold(&heap->meta);
	for (id = head, obj = mheap_object_walk_first(&walk, bases, id); id;
	     obj = mheap_object_walk_next(&walk, obj, id, next), id = next) {
		next = obj->gc_next;
		outside = false;
		for (p = obj->slots, end = p + obj->nrefs; p < end; p++) {
			if (!*p)
				continue;
			if (in_chain(mheap_object_at(bases, *p), gen))
				debt--;
			else
				outside = true;
		}
		debt += obj->refcnt;
		if (unlikely(outside || !plain(obj) ||
			     !mheap_space_batch_join(&batch, id)))
			ended += free_slowly(heap, &batch, id, obj, gen, outside);
		if (++freed % 1024 == 0)
			mheap_prim_cond_resched();
	}
	mheap_space_batch_flush(heap, &heap->meta, &batch);
	heap->objects_freed += freed - ended;
	mheap_space_unhold(heap, &heap->meta);
	WARN_ON_ONCE(debt);
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_object_free_unreachable);

/*
 * A zombie: @id's count reached zero, but the collection in progress keeps
 * its header on its list (gc.c: deferral). Everything else ends now, as if
 * it were freed: its payload, its weak references, its subscriber's event,
 * the counts; its slots were released. It holds nothing, and nothing holds
 * it, until mheap_object_free_zombie() returns the header.
 */
static void zombify(struct mheap *heap, u32 id, struct mheap_object *obj)
{
	guard_check(heap, id, NULL);
	object_end(heap, id, obj);
	obj->size = 0;
	obj->payload = 0;
	obj->flags &= ~MHEAP_OBJ_WEAKREF;
	if (obj->flags & MHEAP_OBJ_COOKIE)
		tail_ptr(obj)->subscriber = 0;
	if (heap->gc.count[0])
		heap->gc.count[0]--;
	memset(obj->slots, 0, obj->nrefs * sizeof(u32));
}

/**
 * mheap_object_free_zombie() - return a zombie's header
 * @heap: the heap.
 * @id: an object that died while a collection kept it (count zero, slots
 *	empty, no payload), now off the collection's lists.
 *
 * Context: heap->lock held.
 */
void mheap_object_free_zombie(struct mheap *heap, u32 id)
{
	WARN_ON_ONCE(mheap_object_ptr(heap, id)->refcnt);
	guard_check(heap, id, NULL);
	mheap_space_free(heap, &heap->meta, id);
}

/*
 * Whether an object whose count reached zero must stay for the collection
 * in progress (gc.c: deferral); with none in progress, never.
 */
static inline bool defers_free(struct mheap *heap, struct mheap_object *obj)
{
	return unlikely(heap->gc.progress.phase != MHEAP_GC_IDLE) &&
	       mheap_gc_defers_free(heap, obj);
}

/*
 * @id's count just reached zero: onto the stack of objects to free, or,
 * when the collection in progress keeps it, onto the stack of zombies to be.
 * That stack is threaded through the count fields: nothing refers to its
 * objects, and each gets its zero back when it leaves the stack.
 */
static inline void release_push(struct mheap *heap, u32 id,
				struct mheap_object *obj, u32 *next,
				u32 *zombies)
{
	if (defers_free(heap, obj)) {
		obj->refcnt = *zombies;
		*zombies = id;
		return;
	}
	if (obj->flags & MHEAP_OBJ_TRACKED)
		mheap_gc_untrack(heap, obj);
	obj->gc_next = *next;
	*next = id;
}

/*
 * Free @id, whose count just reached zero, and every object that only it
 * kept alive. An object the collection in progress keeps becomes a zombie
 * instead (zombify()): it lets go of its slots all the same, so what only
 * it held goes at once, as without a collection.
 *
 * Invariant of the loop: every object on either stack has a count of zero
 * (its link aside), is off its generation list unless it is to be a
 * zombie, and still holds its slots' counts.
 */
static void release(struct mheap *heap, u32 id)
{
	struct mheap_object *obj = mheap_object_ptr(heap, id);
	unsigned long freed = 0;
	u32 next = 0, zombies = 0, i;
	bool zombie;

	release_push(heap, id, obj, &next, &zombies);
	while (next || zombies) {
		zombie = !next;
		id = zombie ? zombies : next;
		obj = mheap_object_ptr(heap, id);
		if (zombie) {
			zombies = obj->refcnt;
			obj->refcnt = 0;
		} else {
			next = obj->gc_next;
		}
		for (i = 0; i < obj->nrefs; i++) {
			u32 target = obj->slots[i];
			struct mheap_object *t;

			if (!target)
				continue;
			t = mheap_object_ptr(heap, target);
			if (WARN_ON_ONCE(!t->refcnt) || --t->refcnt)
				continue;
			release_push(heap, target, t, &next, &zombies);
		}
		if (zombie)
			zombify(heap, id, obj);
		else
			mheap_object_free(heap, id);
		if (++freed % RELEASE_BATCH == 0)
			mheap_prim_cond_resched();
	}
}

/*
 * The end of an object whose count just reached zero, but for a leaf's
 * that its free list takes (put()). An object with no slots holds nothing
 * and is on no generation list: with no collection in progress to keep
 * it (defers_free()), it is freed here, without release()'s stacks.
 */
static noinline void put_last(struct mheap *heap, u32 id,
			      struct mheap_object *obj)
{
	if (!obj->nrefs && !(obj->flags & MHEAP_OBJ_TRACKED) &&
	    likely(heap->gc.progress.phase == MHEAP_GC_IDLE))
		object_free(heap, id, obj);
	else
		release(heap, id);
}

/*
 * mheap_object_put(), inline for the hot paths of this file: the count's
 * decrement and a leaf's free list inline, the rest out of line, so that
 * the common case saves no registers.
 */
static inline void put(struct mheap *heap, u32 id)
{
	struct mheap_object *obj = mheap_object_ptr(heap, id);

	if (WARN_ON_ONCE(!obj->refcnt))
		return;
	if (--obj->refcnt)
		return;
	/* a leaf, onto its free list: the rest out of line (put_last()) */
	if (!MHEAP_GUARD_BYTES &&
	    likely(heap->gc.progress.phase == MHEAP_GC_IDLE) &&
	    leaf_push(heap, id, obj))
		return;
	put_last(heap, id, obj);
}

/**
 * mheap_object_put() - drop a reference
 * @heap: the heap.
 * @id: a live object.
 *
 * When the count reaches zero the object is freed at once, and with it
 * everything only it kept alive, iteratively.
 *
 * Context: heap->lock held; may sleep (long releases reschedule).
 */
void mheap_object_put(struct mheap *heap, u32 id)
{
	mheap_prim_assert_held(&heap->lock);
	put(heap, id);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_object_put);

/**
 * mheap_object_set_slot() - make a slot hold an object, or empty it
 * @heap: the heap.
 * @id: the object whose slot changes.
 * @index: the slot, below the object's nrefs.
 * @target: the object the slot will hold (it may be @id itself or what the
 *	slot holds already), or 0 to empty the slot.
 *
 * The slot takes a reference on @target before it drops the one on what it
 * held, so that setting a slot to its own value never frees anything.
 *
 * Context: heap->lock held; may sleep.
 * Return: 0; -EINVAL when @index is out of range; -EOVERFLOW when @target
 * has too many references. On error nothing changed.
 */
int mheap_object_set_slot(struct mheap *heap, u32 id, size_t index, u32 target)
{
	struct mheap_object *obj = mheap_object_ptr(heap, id);
	u32 old;
	int err;

	mheap_prim_assert_held(&heap->lock);
	if (index >= obj->nrefs)
		return -EINVAL;
	if (target) {
		err = mheap_object_get(heap, target);
		if (err)
			return err;
	}
	old = obj->slots[index];
	obj->slots[index] = target;
	if (old)
		put(heap, old);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_object_set_slot);

/**
 * mheap_object_get_slot() - what a slot holds
 * @heap: the heap.
 * @id: the object.
 * @index: the slot, below the object's nrefs.
 * @target: set to the id the slot holds, 0 when empty; no reference taken.
 *
 * Context: heap->lock held.
 * Return: 0, or -EINVAL when @index is out of range.
 */
int mheap_object_get_slot(struct mheap *heap, u32 id, size_t index,
			  u32 *target)
{
	struct mheap_object *obj = mheap_object_ptr(heap, id);

	mheap_prim_assert_held(&heap->lock);
	if (index >= obj->nrefs)
		return -EINVAL;
	*target = obj->slots[index];
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_object_get_slot);

/**
 * mheap_object_info() - describe an object
 * @heap: the heap.
 * @id: the object.
 * @info: filled in.
 *
 * Context: heap->lock held.
 */
void mheap_object_info(struct mheap *heap, u32 id,
		       struct mheap_object_info *info)
{
	struct mheap_object *obj = mheap_object_ptr(heap, id);

	mheap_prim_assert_held(&heap->lock);
	info->size = obj->size;
	info->nrefs = obj->nrefs;
	info->refcnt = obj->refcnt;
	info->gen = obj->gen;
	info->tracked = obj->flags & MHEAP_OBJ_TRACKED;
	info->cookie = obj->flags & MHEAP_OBJ_COOKIE ? tail_ptr(obj)->cookie : 0;
	info->payload = obj->payload;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_object_info);

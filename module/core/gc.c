// SPDX-License-Identifier: GPL-2.0
/*
 * The generational cycle collector: CPython's algorithm (Python/gc.c),
 * applied to a heap's tracked objects. Part of the portable core (see
 * prim.h). Documentation/gc.rst explains it at length; this file states
 * each phase's pre- and post-conditions.
 *
 * Reference counting frees everything but cycles. To find the cycles in a
 * set of objects (the "young" list: the generation being collected and
 * all younger ones), count for each object the references it gets from
 * inside the set. An object with more references than that is held from
 * outside, by a handle or by an object of an older generation: it is
 * reachable, and so is everything it reaches. The rest is garbage.
 *
 * Phases of collect(), over the young list:
 *   subtract_refs   gc_refs := refcnt when an object is first met, in
 *                   gc_prev; then -= 1 for each slot of a young object
 *                   holding it (CPython's update_refs and subtract_refs,
 *                   fused into one pass)
 *   move_unreachable  objects with gc_refs > 0 are roots; mark what they
 *                   reach and move survivors to the next generation, the
 *                   rest to the unreachable list, in the same walk: what
 *                   is ahead of the walk is scanned when the walk gets
 *                   there (as CPython's), what it passed from a stack
 *                   threaded through gc_prev
 *   release         empty the unreachable objects' slots (dropping what
 *                   they held outside the list), then free them
 * Nothing here recurses, and nothing allocates: a collection cannot fail.
 *
 * An automatic collection of generation 1 or 2 runs these phases in
 * increments, clients running between them (see "Incremental collection"
 * below, and in gc.rst).
 *
 * Locking: heap->lock held, by every function here but mheap_gc_fini()
 * (which must not hold it) and the work item (which takes it itself, and
 * lets it go between two increments).
 */
#include "object.h"
#include "gc.h"
#include "handle.h"
#include "weak.h"

/* gc_list_*: lists of tracked objects, linked through their ids. */

static void gc_list_init(struct mheap_gc_list *list)
{
	list->head = 0;
	list->tail = 0;
	list->count = 0;
}

static void gc_list_append(struct mheap *heap, struct mheap_gc_list *list,
			   u32 id, struct mheap_object *obj)
{
	obj->gc_prev = list->tail;
	obj->gc_next = 0;
	if (list->tail)
		mheap_object_ptr(heap, list->tail)->gc_next = id;
	else
		list->head = id;
	list->tail = id;
	list->count++;
}

static void gc_list_remove(struct mheap *heap, struct mheap_gc_list *list,
			   struct mheap_object *obj)
{
	if (obj->gc_prev)
		mheap_object_ptr(heap, obj->gc_prev)->gc_next = obj->gc_next;
	else
		list->head = obj->gc_next;
	if (obj->gc_next)
		mheap_object_ptr(heap, obj->gc_next)->gc_prev = obj->gc_prev;
	else
		list->tail = obj->gc_prev;
	list->count--;
	obj->gc_prev = 0;
	obj->gc_next = 0;
}

/* Move every object of @from to the end of @to; their gen is not changed. */
static void gc_list_splice(struct mheap *heap, struct mheap_gc_list *from,
			   struct mheap_gc_list *to)
{
	if (!from->head)
		return;
	if (to->tail) {
		mheap_object_ptr(heap, to->tail)->gc_next = from->head;
		mheap_object_ptr(heap, from->head)->gc_prev = to->tail;
	} else {
		to->head = from->head;
	}
	to->tail = from->tail;
	to->count += from->count;
	gc_list_init(from);
}

/* Move every object of @from to the end of @to, as generation @gen. */
static void gc_list_merge(struct mheap *heap, struct mheap_gc_list *from,
			  struct mheap_gc_list *to, unsigned int gen)
{
	u32 id;

	for (id = from->head; id; id = mheap_object_ptr(heap, id)->gc_next)
		mheap_object_ptr(heap, id)->gen = gen;
	gc_list_splice(heap, from, to);
}

static void gc_work(struct mheap_prim_work *work);

/* Every so many objects, a pass gives the CPU a chance (the lock is a mutex). */
static inline void gc_resched(u32 *visited)
{
	if (++*visited % 4096 == 0)
		mheap_prim_cond_resched();
}

/*
 * The thresholds a new heap starts with (module parameter gc_threshold);
 * read at each heap's creation.
 */
unsigned int mheap_gc_default_threshold[MHEAP_GENERATIONS] = {
	MHEAP_GC_THRESHOLD0, MHEAP_GC_THRESHOLD1, MHEAP_GC_THRESHOLD2,
};
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_default_threshold);

/*
 * Units of work (an object or a slot each) in one increment of an
 * automatic collection (module parameter gc_increment); 0 makes every
 * collection atomic. Read at each increment.
 */
unsigned int mheap_gc_increment = MHEAP_GC_INCREMENT;
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_increment);

/**
 * mheap_gc_init() - set up a new heap's collector
 * @heap: the heap, not yet in use.
 *
 * Context: heap creation.
 */
void mheap_gc_init(struct mheap *heap)
{
	struct mheap_gc *gc = &heap->gc;
	unsigned int i;

	mheap_prim_work_init(&gc->work, gc_work);
	gc->enabled = true;
	for (i = 0; i < MHEAP_GENERATIONS; i++)
		gc->threshold[i] = READ_ONCE(mheap_gc_default_threshold[i]);
}

/**
 * mheap_gc_fini() - stop a heap's collector before the heap goes
 * @heap: the heap; nothing can queue its work any more.
 *
 * Cancels the work item and waits for it if it is running.
 *
 * Context: process context; heap->lock not held.
 */
void mheap_gc_fini(struct mheap *heap)
{
	mheap_prim_work_cancel_sync(&heap->gc.work);
	mheap_prim_kvfree(heap->gc.undo_log);
	heap->gc.undo_log = NULL;
}

/**
 * mheap_gc_track() - a tracked object was just allocated
 * @heap: the heap.
 * @id: the object.
 * @obj: its header.
 *
 * The object joins generation 0. An allocation that finds generation 0
 * over its threshold makes the collection due, as in CPython; the work
 * item is queued when the call unlocks (mheap_gc_queue_due()), if the
 * allocation stood. The allocation never collects by itself.
 *
 * Context: heap->lock held; called before heap->objects_allocated counts
 * the object.
 */
void mheap_gc_track(struct mheap *heap, u32 id, struct mheap_object *obj)
{
	struct mheap_gc *gc = &heap->gc;

	obj->gen = 0;
	gc_list_append(heap, &heap->gens[0], id, obj);
	gc->count[0]++;
	if (gc->enabled && gc->threshold[0] &&
	    gc->count[0] > gc->threshold[0] && !gc->due_alloc)
		gc->due_alloc = heap->objects_allocated + 1;
}

/**
 * mheap_gc_untrack() - a tracked object is about to be freed
 * @heap: the heap.
 * @obj: its header, on the list of its generation.
 *
 * Context: heap->lock held.
 */
void mheap_gc_untrack(struct mheap *heap, struct mheap_object *obj)
{
	gc_list_remove(heap, &heap->gens[obj->gen], obj);
	if (heap->gc.count[0])
		heap->gc.count[0]--;
}

/*
 * CPython's update_refs for one young object, the first time the fused
 * pass meets it, as a list member or as a slot's target: gc_refs (in
 * gc_prev) := refcount, COLLECTING set, REACHABLE clear, and TENTATIVE,
 * which mark_alive() leaves on what it passed, clear. COLLECTING is clear
 * on every object outside a collection, so it says "met already".
 */
static inline void update_ref(struct mheap_object *obj)
{
	if (obj->flags & MHEAP_OBJ_COLLECTING)
		return;
	obj->gc_prev = obj->refcnt;
	obj->flags = (obj->flags & ~(MHEAP_OBJ_REACHABLE | MHEAP_OBJ_TENTATIVE)) |
		     MHEAP_OBJ_COLLECTING;
}

/*
 * The end of a run of slots equal to @target, from @q on (the slot before
 * @q holds @target too): the first slot from @q that differs, or @end.
 * Four slots at a time, as two 8-byte compares against the target
 * doubled, then one at a time: a slot array of n copies of one object
 * (common, and pyperformance's gc_traversal shape) is scanned at close to
 * the speed of a plain array pass, where comparing each slot with the one
 * before took a compare and a branch per slot. Slots are u32 in a block
 * aligned to 8 bytes; the 8-byte loads go through memcpy(), which
 * compiles to one load. Not inline: most slots start no run, and the
 * callers' loops keep their registers for the common case.
 */
static noinline const u32 *run_scan(const u32 *q, const u32 *end, u32 target)
{
	u64 twice = (u64)target << 32 | target, a, b;

	while (end - q >= 4) {
		memcpy(&a, q, sizeof(a));
		memcpy(&b, q + 2, sizeof(b));
		if ((a ^ twice) | (b ^ twice))
			break;
		q += 4;
	}
	while (q < end && *q == target)
		q++;
	return q;
}

/*
 * The end of the run of equal slots that starts at @i: the first index
 * after @i whose slot differs from slots[@i], or @n.
 */
static inline u32 run_end(const u32 *slots, u32 i, u32 n)
{
	u32 j = i + 1;

	if (likely(j == n || slots[j] != slots[i]))
		return j;	/* no run: the common case */
	return run_scan(&slots[j + 1], &slots[n], slots[i]) - slots;
}

/*
 * The run of equal slots that starts at *@p, for a loop over a slot array
 * by pointer, up to @end: returns the run's slot, sets *@len to the run's
 * length and moves *@p past it.
 */
static __always_inline u32 next_run(const u32 **p, const u32 *end, u32 *len)
{
	const u32 *q = *p + 1;
	u32 target = **p;

	if (unlikely(q < end && *q == target))
		q = run_scan(q + 1, end, target);
	*len = q - *p;
	*p = q;
	return target;
}

/*
 * Whether @t, met through a root or a slot, is one of the young objects
 * of a collection of generation @gen not yet flagged ALIVE: tracked, not
 * on the garbage list, of generation @gen or younger, and not one of an
 * incremental collection in progress (COLLECTING; they are older than
 * generation 0 anyway, the only one collected while one is).
 */
static inline bool alive_candidate(const struct mheap_object *t,
				   unsigned int gen)
{
	return (t->flags & (MHEAP_OBJ_TRACKED | MHEAP_OBJ_GARBAGE |
			    MHEAP_OBJ_ALIVE | MHEAP_OBJ_COLLECTING)) ==
	       MHEAP_OBJ_TRACKED && t->gen <= gen;
}

/*
 * The roots of the "mark alive" pass of CPython's free-threaded collector
 * (gc_mark_alive_from_roots(), _PyGC_BITS_ALIVE): what the heap's roots
 * reach is reachable, and needs no counting. Here the roots are the
 * clients' strong handles and the named roots, each holding a reference
 * of its own; their young objects are flagged ALIVE, and mark_alive()
 * spreads the flag to what they reach. Skipped when the roots outnumber
 * @young: a generation-0 collection must not cost a pass over a large
 * handle table. Returns how many objects it flagged.
 *
 * Sound because a handle or a name holds a reference: its object is
 * reachable whatever the counts say, and so is everything it holds. A
 * miss (a root not looked at, a flag not spread) only leaves an object to
 * the ordinary computation. Documentation/gc.rst ("Roots marked alive").
 */
static u64 mark_roots_alive(struct mheap *heap, struct mheap_gc_list *young,
			    unsigned int gen)
{
	const struct mheap_name_table *names = &heap->names;
	struct mheap_client *client;
	struct mheap_object *t;
	u64 roots = names->len, flagged = 0;
	u32 i, visited = 0;

	list_for_each_entry(client, &heap->clients, link)
		roots += client->used;
	if (!roots || roots > young->count)
		return 0;
	for (i = 0; i < names->len; i++) {
		t = mheap_object_ptr(heap, names->v[i].id);
		if (alive_candidate(t, gen)) {
			t->flags |= MHEAP_OBJ_ALIVE;
			flagged++;
		}
	}
	list_for_each_entry(client, &heap->clients, link) {
		for (i = 0; i < client->used; i++) {
			const struct mheap_handle *h = &client->table[i];

			gc_resched(&visited);
			if (h->tag & (MHEAP_HANDLE_FREE | MHEAP_HANDLE_WEAK))
				continue;
			t = mheap_object_ptr(heap, h->obj);
			if (alive_candidate(t, gen)) {
				t->flags |= MHEAP_OBJ_ALIVE;
				flagged++;
			}
		}
	}
	return flagged;
}

/*
 * Flag what ALIVE object @o holds ALIVE: young, not yet ALIVE. One the
 * walk of mark_alive() has passed (TENTATIVE) is pushed onto the stack
 * whose top is *@top, threaded through gc_prev (the list's prev links are
 * not needed past this point); one still ahead of it adds one to
 * *@ahead. Returns the header of the last pushed.
 */
static inline struct mheap_object *spread_alive(char *const *bases,
						const struct mheap_object *o,
						unsigned int gen, u32 *top,
						u64 *ahead)
{
	struct mheap_object *t, *pushed = NULL;
	u32 i, j, n = o->nrefs;
	u8 flags;

	for (i = 0; i < n; i = j) {
		j = run_end(o->slots, i, n);
		if (!o->slots[i])
			continue;
		t = mheap_object_at(bases, o->slots[i]);
		if (!alive_candidate(t, gen))
			continue;
		flags = t->flags;
		t->flags = (flags | MHEAP_OBJ_ALIVE) & ~MHEAP_OBJ_TENTATIVE;
		if (!(flags & MHEAP_OBJ_TENTATIVE)) {
			(*ahead)++;
			continue;
		}
		t->gc_prev = *top;
		*top = o->slots[i];
		pushed = t;
	}
	return pushed;
}

/*
 * Append @obj (@id) to @list, linked forward only, whose last header is
 * *@last (NULL while @list is empty); its own next link is left for the
 * caller to end the list with.
 */
static inline void link_forward(struct mheap_gc_list *list,
				struct mheap_object **last, u32 id,
				struct mheap_object *obj)
{
	if (*last)
		(*last)->gc_next = id;
	else
		list->head = id;
	*last = obj;
	list->tail = id;
	list->count++;
}

/*
 * The transitive closure of the roots' ALIVE flags over @young, in one
 * walk of the list, as move_unreachable() marks: what is ahead of the
 * walk is flagged, and spread when the walk meets it; what the walk has
 * passed (TENTATIVE) is pushed and spread from the stack before the walk
 * moves on. The walk sorts the list: what it meets ALIVE goes to @alive,
 * the rest stays on @young, both linked forward only (their users walk
 * them forward). An object of @young flagged from the stack stays there,
 * ALIVE. TENTATIVE is left on the rest: update_ref() clears it, as
 * subtract_refs() meets each of them. The walk stops once no flagged
 * object is left ahead of it (@ahead counts them): what is left of the
 * list stays on @young as it is, so that a few roots early in a large
 * young set cost a few steps, not a pass.
 */
static void mark_alive(struct mheap *heap, struct mheap_gc_list *young,
		       unsigned int gen, struct mheap_gc_list *alive)
{
	char *const *bases = heap->meta.bases;
	struct mheap_object *obj, *o, *rlast = NULL, *alast = NULL;
	struct mheap_gc_list rest = { 0 }, live = { 0 };
	struct mheap_object_walk walk;
	u32 id, next, top, visited = 0;
	u64 ahead, met = 0;

	ahead = mark_roots_alive(heap, young, gen);
	if (!ahead)
		return;
	mheap_object_walk_init(&walk, bases);
	for (id = young->head; id && ahead; id = next) {
		gc_resched(&visited);
		obj = mheap_object_walk_at(&walk, id);
		next = obj->gc_next;
		met++;
		if (!(obj->flags & MHEAP_OBJ_ALIVE)) {
			obj->flags |= MHEAP_OBJ_TENTATIVE;
			link_forward(&rest, &rlast, id, obj);
			continue;
		}
		ahead--;
		link_forward(&live, &alast, id, obj);
		top = 0;
		o = obj;
		for (;;) {
			o = spread_alive(bases, o, gen, &top, &ahead) ?:
			    top ? mheap_object_at(bases, top) : NULL;
			if (!o)
				break;
			top = o->gc_prev;	/* popped */
		}
	}
	/* the objects not walked stay on @young, after the rest */
	if (id) {
		if (rlast)
			rlast->gc_next = id;
		else
			rest.head = id;
		rest.tail = young->tail;
		rest.count += young->count - met;
	} else if (rlast) {
		rlast->gc_next = 0;
	}
	if (alast)
		alast->gc_next = 0;
	*young = rest;
	*alive = live;
}

/*
 * CPython's update_refs: each object of @young gets gc_refs (in gc_prev)
 * := its refcount, COLLECTING set, REACHABLE clear, and TENTATIVE, which
 * mark_alive() leaves on what it passed, clear. The first of two passes,
 * then subtract_refs(), for a list in allocation order; others are
 * counted in one pass (update_subtract_refs(); Documentation/gc.rst:
 * Two ways to count).
 *
 * Pre: @young holds the objects of a collection, with valid next links;
 * none has COLLECTING set.
 * Post: all but the ALIVE ones are COLLECTING. The prev links are gone.
 * Returns the sum of their refcounts, plus one for each ALIVE object.
 *
 * ALIVE objects (mark_alive()) are out of the collection, as older
 * generations are: one still on the list (flagged from mark_alive()'s
 * stack) is left as it is.
 */
static noinline u64 update_refs(struct mheap *heap,
				struct mheap_gc_list *young)
{
	struct mheap_object_walk walk;
	struct mheap_object *obj;
	u32 id, next, visited = 0;
	u64 sum = 0;
	u8 flags;

	for (id = young->head,
	     obj = mheap_object_walk_first(&walk, heap->meta.bases, id); id;
	     obj = mheap_object_walk_next(&walk, obj, id, next), id = next) {
		next = obj->gc_next;
		gc_resched(&visited);
		flags = obj->flags;
		if (flags & MHEAP_OBJ_ALIVE) {
			sum++;	/* move_unreachable() must see it out */
			continue;
		}
		obj->gc_prev = obj->refcnt;
		obj->flags = (flags & ~(MHEAP_OBJ_REACHABLE |
					MHEAP_OBJ_TENTATIVE)) |
			     MHEAP_OBJ_COLLECTING;
		sum += obj->refcnt;
	}
	return sum;
}

/*
 * CPython's subtract_refs: each reference from an object of @young to
 * another takes one from the other's gc_refs.
 *
 * Pre: update_refs() ran on @young, a collection of generation @gen, and
 * returned @sum.
 * Post: the gc_refs of each COLLECTING object of @young count only the
 * references it gets from outside the collection (handles, and slots of
 * objects not being collected).
 * Returns @sum less the decrements: the sum of those gc_refs, and of the
 * ALIVE objects still on @young; 0 when move_unreachable() would find no
 * object to keep, and all of @young is unreachable.
 *
 * The young objects are the COLLECTING ones of generation @gen or younger
 * (the younger ones were spliced in with their gen unchanged; an
 * incremental collection in progress has COLLECTING objects of its own,
 * older: see move_unreachable()). No object is subtracted from for a
 * reference to an ALIVE one, which is not COLLECTING: what it holds keeps
 * that reference in its gc_refs, as one from outside; it is ALIVE itself
 * anyway.
 *
 * Consecutive slots holding the same object are subtracted at once: one
 * look at the target per run (a list of n copies of one object is common).
 */
static noinline u64 subtract_refs(struct mheap *heap,
				  struct mheap_gc_list *young,
				  unsigned int gen, u64 sum)
{
	char *const *bases = heap->meta.bases;
	u32 id, next, k, target, visited = 0;
	struct mheap_object *obj, *t;
	struct mheap_object_walk walk;
	const u32 *p, *end;

	for (id = young->head, obj = mheap_object_walk_first(&walk, bases, id);
	     id; obj = mheap_object_walk_next(&walk, obj, id, next), id = next) {
		next = obj->gc_next;
		gc_resched(&visited);
		if (!(obj->flags & MHEAP_OBJ_COLLECTING))
			continue;	/* ALIVE */
		p = obj->slots;
		end = p + obj->nrefs;
		while (p < end) {
			target = next_run(&p, end, &k);
			if (!target)
				continue;
			t = mheap_object_at(bases, target);
			if (!(t->flags & MHEAP_OBJ_COLLECTING) || t->gen > gen)
				continue;
			if (WARN_ON_ONCE(t->gc_prev < k))
				continue;
			t->gc_prev -= k;
			sum -= k;
		}
	}
	return sum;
}

/*
 * CPython's update_refs and subtract_refs, fused into one pass over the
 * list: an object's gc_refs is set from its refcount when it is first met,
 * whether in the list or as a target, and only then decremented, so the
 * order of meetings does not matter (Documentation/gc.rst).
 *
 * Pre: @young holds the objects of a collection of generation @gen, with
 * valid next links; no object has COLLECTING set.
 * Post: each has COLLECTING set, REACHABLE and TENTATIVE clear, and
 * gc_refs (in gc_prev) counting only the references it gets from outside
 * @young (handles, and slots of objects not being collected). The prev
 * links are gone. Returns the sum of those gc_refs, plus one for each
 * ALIVE object still on @young (the refcounts, less the decrements): 0
 * when move_unreachable() would find no object to keep, and all of
 * @young is unreachable.
 *
 * A target met for the first time is young if it is tracked, not on the
 * garbage list, not ALIVE, and of generation @gen or younger (the younger
 * ones were spliced in with their gen unchanged; frozen objects are
 * MHEAP_GEN_PERMANENT, older than any). One met already is COLLECTING:
 * young, unless it is one of an incremental collection in progress
 * (nested), older. The two cases take a branch each, which the processor
 * predicts well on a list in allocation order (a target ahead of the walk
 * is met first as a target, one behind as a list member).
 *
 * ALIVE objects (mark_alive()) are out of the collection, as older
 * generations are: one still on the list (flagged from mark_alive()'s
 * stack) is skipped, and no object is subtracted from for a reference to
 * one. What an ALIVE object holds thus keeps that reference in its
 * gc_refs, as one from outside; it is ALIVE itself anyway.
 *
 * Consecutive slots holding the same object are subtracted at once: one
 * look at the target per run (a list of n copies of one object is common).
 */
static noinline u64 update_subtract_refs(struct mheap *heap,
					 struct mheap_gc_list *young,
					 unsigned int gen)
{
	bool nested = heap->gc.progress.phase != MHEAP_GC_IDLE;
	char *const *bases = heap->meta.bases;
	u32 id, next, k, refs, target, visited = 0;
	struct mheap_object *obj, *t;
	struct mheap_object_walk walk;
	const u32 *p, *end;
	u64 sum = 0;
	u8 flags;

	for (id = young->head, obj = mheap_object_walk_first(&walk, bases, id);
	     id; obj = mheap_object_walk_next(&walk, obj, id, next), id = next) {
		next = obj->gc_next;
		gc_resched(&visited);
		flags = obj->flags;
		if (flags & MHEAP_OBJ_ALIVE) {
			sum++;	/* move_unreachable() must see it out */
			continue;
		}
		update_ref(obj);
		sum += obj->refcnt;
		p = obj->slots;
		end = p + obj->nrefs;
		while (p < end) {
			target = next_run(&p, end, &k);
			if (!target)
				continue;
			t = mheap_object_at(bases, target);
			flags = t->flags;
			if (flags & MHEAP_OBJ_COLLECTING) {
				if (nested && t->gen > gen)
					continue;
				refs = t->gc_prev;
			} else {
				if ((flags & (MHEAP_OBJ_TRACKED | MHEAP_OBJ_GARBAGE |
					      MHEAP_OBJ_ALIVE)) != MHEAP_OBJ_TRACKED ||
				    t->gen > gen)
					continue;
				refs = t->refcnt;	/* update_ref() */
				t->flags = (flags & ~(MHEAP_OBJ_REACHABLE |
						      MHEAP_OBJ_TENTATIVE)) |
					   MHEAP_OBJ_COLLECTING;
			}
			if (!WARN_ON_ONCE(refs < k)) {
				refs -= k;
				sum -= k;
			}
			t->gc_prev = refs;
		}
	}
	return sum;
}

/*
 * Whether @young looks like a list in allocation order, for
 * collect_list() to choose how to count: whether, of its first steps (up
 * to 64), three in four go as far as the one before, as
 * mheap_object_walk_next() guesses they do.
 */
static bool in_allocation_order(struct mheap *heap, struct mheap_gc_list *young)
{
	u32 id, next, delta = 0, steps = 0, alike = 0;
	struct mheap_object_walk walk;
	struct mheap_object *obj;

	mheap_object_walk_init(&walk, heap->meta.bases);
	for (id = young->head; id && steps < 64; id = next, steps++) {
		obj = mheap_object_walk_at(&walk, id);
		next = obj->gc_next;
		alike += next - id == delta;
		delta = next - id;
	}
	return 4 * alike >= 3 * steps;
}

/*
 * Append @obj (@id) to @list, whose tail's header is *@tail (NULL when
 * @list is empty): gc_list_append() without decoding the tail's id, for a
 * list built in one walk.
 */
static inline void gc_list_append_at(struct mheap_gc_list *list,
				     struct mheap_object **tail, u32 id,
				     struct mheap_object *obj)
{
	obj->gc_prev = list->tail;
	obj->gc_next = 0;
	if (*tail)
		(*tail)->gc_next = id;
	else
		list->head = id;
	list->tail = id;
	list->count++;
	*tail = obj;
}

/*
 * Scan reachable object @o: each young object (COLLECTING, of generation
 * @gen or younger when @nested, see move_unreachable()) that its slots
 * hold and that is not yet REACHABLE is flagged REACHABLE. One still ahead
 * of the walk is left at that: the walk scans it when it gets there, in
 * list order. One the walk has passed already (TENTATIVE) is pushed onto
 * the marking stack whose top is *@top, threaded through gc_prev (its
 * gc_refs, 0, no longer needed), to be scanned before the walk goes on.
 * Returns the header of the last one pushed (the new top), NULL if none:
 * the next to scan, at hand.
 */
static inline struct mheap_object *scan_reachable(char *const *bases,
						  const struct mheap_object *o,
						  unsigned int gen,
						  bool nested, u32 *top)
{
	struct mheap_object *t, *pushed = NULL;
	u32 i, j, n = o->nrefs, target;
	u8 flags;

	for (i = 0; i < n; i = j) {
		target = o->slots[i];
		j = run_end(o->slots, i, n);
		if (!target)
			continue;
		t = mheap_object_at(bases, target);
		flags = t->flags;
		if ((flags & (MHEAP_OBJ_COLLECTING | MHEAP_OBJ_REACHABLE)) !=
		    MHEAP_OBJ_COLLECTING || (nested && t->gen > gen))
			continue;
		t->flags = flags | MHEAP_OBJ_REACHABLE;
		if (likely(!(flags & MHEAP_OBJ_TENTATIVE)))
			continue;
		t->gc_prev = *top;
		*top = target;
		pushed = t;
	}
	return pushed;
}

/* A reachable object leaves the collection, as generation @gen. */
static inline void survive(struct mheap_gc_list *survivors,
			   struct mheap_object **tail, u32 id,
			   struct mheap_object *obj, unsigned int gen)
{
	obj->flags &= ~(MHEAP_OBJ_COLLECTING | MHEAP_OBJ_REACHABLE |
			MHEAP_OBJ_TENTATIVE | MHEAP_OBJ_ALIVE);
	obj->gen = gen;
	gc_list_append_at(survivors, tail, id, obj);
}

/*
 * CPython's move_unreachable: mark what the roots reach and partition the
 * young list, in one walk of it and a second walk of what the first could
 * not decide, when it reached any of that.
 *
 * Pre: gc_refs as subtract_refs() left them; @survivors and @unreachable
 * empty. Young objects are those COLLECTING of generation @gen or
 * younger: an incremental collection in progress has COLLECTING objects
 * of its own, in generations 1 and 2, and a collection of generation 0
 * between two of its increments leaves them alone. No object is
 * TENTATIVE. An ALIVE object still on @young (mark_alive()) survives as
 * it is met, unscanned: it was not counted, and what it holds is ALIVE
 * too.
 * Post: @young is empty; the objects reachable from one with gc_refs > 0
 * are on @survivors, flags cleared, as generation @next_gen, doubly
 * linked; the others, still COLLECTING, and TENTATIVE, are on
 * @unreachable, linked forward only (its users, release_unreachable() and
 * save_garbage(), walk it forward and let it go whole).
 *
 * The walk meets each object in list order:
 *  - REACHABLE, or gc_refs > 0 (a root): it is scanned
 *    (scan_reachable()) and the marking stack drained, and it survives;
 *  - neither: it may still be reached from an object further down the
 *    list. It goes onto a tentative list, linked forward, flagged
 *    TENTATIVE.
 * A scan flags what it reaches REACHABLE. What is ahead of the walk will
 * be scanned when the walk meets it, as in CPython, where the young list
 * is the queue of objects to scan: in list order, which is mostly
 * allocation order, with no chain of dependent loads from one object to
 * the next. What the walk has passed (TENTATIVE) is pushed and scanned
 * from the stack, depth first, before the walk moves on. Each object is
 * scanned once: when the walk meets it or when it is popped, and it is
 * pushed only if the walk has passed it unreached. A survivor leaves with
 * COLLECTING clear, so no scan looks at it again.
 *
 * A tentative object that was reached stays on the tentative list,
 * REACHABLE, and the second walk sends it to the survivors, the rest to
 * @unreachable. When none was reached (nothing was pushed), the
 * tentative list is the unreachable list as it stands, and the second
 * walk, a pass over every unreachable object (all of a dropped heap), is
 * not needed. (CPython moves a tentative object to the unreachable list
 * and back when it is reached; here each moves once: Documentation/gc.rst.)
 */
static void move_unreachable(struct mheap *heap, struct mheap_gc_list *young,
			     struct mheap_gc_list *survivors,
			     struct mheap_gc_list *unreachable,
			     unsigned int gen, unsigned int next_gen)
{
	/* only then are there COLLECTING objects of older generations */
	bool nested = heap->gc.progress.phase != MHEAP_GC_IDLE;
	char *const *bases = heap->meta.bases;
	struct mheap_object *obj, *o, *stail = NULL, *utail = NULL, *last = NULL;
	u32 id, next, top, tentative = 0, last_id = 0, visited = 0;
	/* built here, not through the pointers, which stores could alias */
	struct mheap_gc_list surv = *survivors, unr = *unreachable;
	struct mheap_object_walk walk;
	bool rescued = false;
	u64 ntentative = 0;

	mheap_object_walk_init(&walk, bases);
	id = young->head;
	gc_list_init(young);
	for (; id; id = next) {
		gc_resched(&visited);
		obj = mheap_object_walk_at(&walk, id);
		next = obj->gc_next;
		if (obj->flags & MHEAP_OBJ_ALIVE) {
			/* not counted; what it holds is ALIVE too */
			survive(&surv, &stail, id, obj, next_gen);
			continue;
		}
		if (!(obj->flags & MHEAP_OBJ_REACHABLE) && !obj->gc_prev) {
			obj->flags |= MHEAP_OBJ_TENTATIVE;
			if (last)
				last->gc_next = id;
			else
				tentative = id;
			last = obj;
			last_id = id;
			ntentative++;
			continue;
		}
		top = 0;
		o = obj;
		for (;;) {
			o = scan_reachable(bases, o, gen, nested, &top) ?:
			    top ? mheap_object_at(bases, top) : NULL;
			if (!o)
				break;
			top = o->gc_prev;	/* popped */
			rescued = true;
		}
		survive(&surv, &stail, id, obj, next_gen);
	}
	if (last)
		last->gc_next = 0;
	if (!rescued) {
		/* none was reached: all tentative objects are unreachable */
		unr.head = tentative;
		unr.tail = last_id;
		unr.count = ntentative;
		tentative = 0;
	}
	for (id = tentative; id; id = next) {
		gc_resched(&visited);
		obj = mheap_object_walk_at(&walk, id);
		next = obj->gc_next;
		if (obj->flags & MHEAP_OBJ_REACHABLE)
			survive(&surv, &stail, id, obj, next_gen);
		else
			gc_list_append_at(&unr, &utail, id, obj);
	}
	*survivors = surv;
	*unreachable = unr;
}

/*
 * The objects mark_alive() sorted out ALIVE survive too, as generation
 * @gen, ahead of the other @survivors: each group keeps its list order.
 */
static void survive_alive(struct mheap *heap, struct mheap_gc_list *alive,
			  struct mheap_gc_list *survivors, unsigned int gen)
{
	struct mheap_gc_list all = { 0 };
	struct mheap_object *obj, *tail = NULL;
	struct mheap_object_walk walk;
	u32 id, next, visited = 0;

	if (!alive->head)
		return;
	mheap_object_walk_init(&walk, heap->meta.bases);
	for (id = alive->head; id; id = next) {
		gc_resched(&visited);
		obj = mheap_object_walk_at(&walk, id);
		next = obj->gc_next;
		survive(&all, &tail, id, obj, gen);
	}
	gc_list_splice(heap, survivors, &all);
	*survivors = all;
	gc_list_init(alive);
}

/*
 * Save-all mode: keep the unreachable objects, each with one more
 * reference (the garbage list's), for inspection. As CPython does with
 * gc.garbage: weak references to them are cleared first (handle_weakrefs()
 * runs before delete_garbage()), and they belong to generation @gen, the
 * one survivors go to, once the list lets them go.
 */
static void save_garbage(struct mheap *heap, struct mheap_gc_list *unreachable,
			 unsigned int gen)
{
	struct mheap_object *obj;
	u32 id, next;

	for (id = unreachable->head; id; id = next) {
		obj = mheap_object_ptr(heap, id);
		next = obj->gc_next;
		if (obj->flags & MHEAP_OBJ_WEAKREF) {
			mheap_weak_clear(heap, id);
			obj->flags &= ~MHEAP_OBJ_WEAKREF;
		}
		obj->flags &= ~(MHEAP_OBJ_COLLECTING | MHEAP_OBJ_TENTATIVE);
		obj->flags |= MHEAP_OBJ_GARBAGE;
		obj->gen = gen;
		obj->refcnt++;
		gc_list_append(heap, &heap->gc.garbage, id, obj);
	}
}

/*
 * Pre: the graph outside @unreachable is consistent (every other object is
 * on its generation's list); every reference to an unreachable object
 * comes from another unreachable object.
 * Post: the objects of @unreachable are freed, and what they held outside
 * it was released (possibly freeing more, by plain reference counting:
 * such cascades never reach an unreachable object, as nothing outside the
 * list refers to one). Returns how many were freed. The unreachable
 * objects are COLLECTING, of generation @gen or younger (see
 * move_unreachable()).
 */
static u64 release_unreachable(struct mheap *heap,
			       struct mheap_gc_list *unreachable,
			       unsigned int gen)
{
	u64 freed = mheap_object_free_unreachable(heap, unreachable->head,
						  gen);

	gc_list_init(unreachable);
	heap->gc.count[0] -= min_t(u64, heap->gc.count[0], freed);
	return freed;
}

static void inc_adopt(struct mheap *heap, struct mheap_gc_list *survivors);

/*
 * Collect the objects of @young (generation @gen and younger), with
 * nothing else running: survivors to generation @next_gen, unreachable
 * objects freed, or in save-all mode kept as generation @garbage_gen.
 * What the roots reach is sorted out first (mark_alive()) and survives
 * uncounted, ahead of the other survivors. Returns how many were
 * unreachable; *@survived, how many survived.
 */
static u64 collect_list(struct mheap *heap, struct mheap_gc_list *young,
			unsigned int gen, unsigned int next_gen,
			unsigned int garbage_gen, u64 *survived)
{
	struct mheap_gc *gc = &heap->gc;
	struct mheap_gc_list survivors, unreachable, alive;
	u64 found;

	gc_list_init(&survivors);
	gc_list_init(&unreachable);
	gc_list_init(&alive);
	mark_alive(heap, young, gen, &alive);
	/* the sum of the gc_refs: 0 when no object is a root */
	if (in_allocation_order(heap, young) ?
	    subtract_refs(heap, young, gen, update_refs(heap, young)) :
	    update_subtract_refs(heap, young, gen)) {
		move_unreachable(heap, young, &survivors, &unreachable, gen,
				 next_gen);
	} else {
		/* no root: nothing in @young can be reached (gc.rst) */
		unreachable = *young;
		gc_list_init(young);
	}
	survive_alive(heap, &alive, &survivors, next_gen);
	*survived = survivors.count;
	if (gc->progress.phase >= MHEAP_GC_SUBTRACT &&
	    gc->progress.phase <= MHEAP_GC_MARK)
		inc_adopt(heap, &survivors);
	else
		gc_list_splice(heap, &survivors, &heap->gens[next_gen]);
	found = unreachable.count;
	gc->releasing = true;
	if (gc->save_all)
		save_garbage(heap, &unreachable, garbage_gen);
	else
		release_unreachable(heap, &unreachable, gen);
	gc->releasing = false;
	return found;
}

/* A collection of @gen begins: CPython's count bookkeeping. */
static void count_collection(struct mheap_gc *gc, unsigned int gen)
{
	unsigned int i;

	if (gen + 1 < MHEAP_GENERATIONS)
		gc->count[gen + 1]++;
	for (i = 0; i <= gen; i++)
		gc->count[i] = 0;
}

/* A collection of @gen ended: statistics and the long-lived counts. */
static void account_collection(struct mheap *heap, unsigned int gen,
			       u64 examined, u64 found, u64 pause_max_ns,
			       u64 pause_sum_ns)
{
	struct mheap_gc *gc = &heap->gc;
	struct mheap_gen_stats *st = &gc->stats[gen];

	if (gen == MHEAP_GENERATIONS - 1) {
		gc->long_lived_total = heap->gens[gen].count;
		gc->long_lived_pending = 0;
	}
	/*
	 * CPython's count: what was found unreachable is "collected", freed
	 * or, in save-all mode, kept on the garbage list; "uncollectable"
	 * stays 0 (CPython's legacy finalizers have no counterpart here).
	 */
	st->examined += examined;
	st->collected += found;
	st->collections++;
	mheap_global_count_collection(found);
	st->pause_last_ns = pause_max_ns;
	st->pause_total_ns += pause_sum_ns;
	trace_mheap_gc_end(heap->id, gen, examined, found, 0, pause_max_ns);
	mheap_object_validate(heap);
}

/*
 * Collect generation @gen and all younger ones at once, by the work item
 * when @automatic; returns the objects found unreachable.
 */
static u64 collect(struct mheap *heap, unsigned int gen, bool automatic)
{
	struct mheap_gc *gc = &heap->gc;
	struct mheap_gc_list *young = &heap->gens[gen];
	unsigned int next_gen = gen + 1 < MHEAP_GENERATIONS ? gen + 1 : gen;
	u64 start = mheap_prim_now_ns(), examined, found, survived, pause;
	unsigned int i;

	count_collection(gc, gen);
	mheap_gc_barrier_forget(heap);
	/* move_unreachable() sets every object's gen: no need to walk them here */
	for (i = 0; i < gen; i++)
		gc_list_splice(heap, &heap->gens[i], young);
	examined = young->count;
	trace_mheap_gc_start(heap->id, gen, examined, automatic);
	found = collect_list(heap, young, gen, next_gen, next_gen, &survived);
	if (gen == 1)
		gc->long_lived_pending += survived;
	pause = mheap_prim_now_ns() - start;
	account_collection(heap, gen, examined, found, pause, pause);
	return found;
}

/*
 * Incremental collection (CPython 3.14's idea and PEP 848's: clients run
 * between increments of old-generation work; here, of any collection of
 * generation 1 or 2 that the work item runs). Documentation/gc.rst gives
 * the argument; in short:
 *
 * Generation 0 is collected at once first (it holds about threshold 0
 * objects), its survivors into generation 1. Then the objects of
 * generations 1 to @gen move to progress->young, and the phases of
 * collect() run over them in increments of mheap_gc_increment units of
 * work (an object, or a slot), CPython's update_refs and subtract_refs
 * fused into SUBTRACT as collect() fuses them. Objects allocated meanwhile
 * are generation 0 and never join. Between increments, clients change the
 * graph; two rules keep the result sound, so that only objects unreachable
 * when MARK ends are freed:
 *  - the barrier: a reference taken to an object of the collection
 *    (COLLECTING) counts as one from outside: before MARK, its gc_refs goes
 *    up by one; during MARK it is marked REACHABLE and pushed.
 *  - deferral: an object of the collection whose count reaches zero keeps
 *    its header on the collection's list (a "zombie"), so that the lists
 *    and the stack stay whole; all else of it is freed at once, its slots
 *    released (object.c: zombify()). PARTITION returns the zombies'
 *    headers, marked or not: they died by reference counting, and are
 *    not counted as found.
 * From PARTITION on the unreachable set is known; weak references to it
 * read as dead (mheap_gc_doomed()), as CPython clears them first.
 */

/* Budget of an increment that has none: the whole collection at once */
#define GC_UNBOUNDED	U64_MAX

static inline unsigned int next_gen_of(unsigned int gen)
{
	return gen + 1 < MHEAP_GENERATIONS ? gen + 1 : gen;
}

static void inc_start(struct mheap *heap, unsigned int gen)
{
	struct mheap_gc *gc = &heap->gc;
	struct mheap_gc_progress *p = &gc->progress;
	u64 young0 = heap->gens[0].count, survived;
	unsigned int i;

	count_collection(gc, gen);
	mheap_gc_barrier_forget(heap);
	p->gen = gen;
	p->pause_max_ns = 0;
	p->pause_sum_ns = 0;
	p->debt = 0;
	p->found = collect_list(heap, &heap->gens[0], 0, 1, next_gen_of(gen),
				&survived);
	gc_list_init(&p->young);
	gc_list_init(&p->unreachable);
	for (i = 1; i <= gen; i++)
		gc_list_splice(heap, &heap->gens[i], &p->young);
	p->examined = young0 + p->young.count;
	trace_mheap_gc_start(heap->id, gen, p->examined, true);
	p->cursor = p->young.head;
	p->top = 0;
	p->phase = MHEAP_GC_SUBTRACT;
}

/*
 * Whether @obj is an object of the collection in progress, of generation
 * @gen, that SUBTRACT has not met yet: not COLLECTING, but of generation 1
 * to @gen, in one compare (generation 0 wraps to U32_MAX). Generation 0 is
 * not in an incremental collection; its lists hold nothing else while
 * SUBTRACT runs, see inc_adopt().
 */
static inline bool unmet(unsigned int gen, const struct mheap_object *obj)
{
	return (obj->flags & (MHEAP_OBJ_TRACKED | MHEAP_OBJ_GARBAGE |
			      MHEAP_OBJ_COLLECTING)) == MHEAP_OBJ_TRACKED &&
	       (unsigned int)obj->gen - 1 < gen;
}

/*
 * subtract_refs(), resumable: CPython's update_refs and subtract_refs in
 * one pass, as the atomic collection fuses them. An object's gc_refs is
 * read from its count when the pass first meets it, in the list or as a
 * slot's target, and only then decremented. Until it is met, an object
 * has only its count, which every reference taken or dropped meanwhile
 * changes; once met, the barrier counts the references taken, and those
 * dropped are not subtracted (gc.rst). A gc_refs saturated by the barrier
 * (U32_MAX) stays so: the object is a root whatever else holds it.
 */
static u64 inc_subtract(struct mheap *heap, u64 budget)
{
	struct mheap_gc_progress *p = &heap->gc.progress;
	/* locals: the stores to headers could alias *p (see subtract_refs()) */
	char *const *bases = heap->meta.bases;
	unsigned int gen = p->gen;
	struct mheap_object *obj, *t;
	struct mheap_object_walk walk;
	u32 id, i, j, n, target;
	const u32 *slots;
	u64 done = 0;
	u8 flags;

	mheap_object_walk_init(&walk, bases);
	for (id = p->cursor; id && done < budget; id = obj->gc_next) {
		obj = mheap_object_walk_at(&walk, id);
		update_ref(obj);
		slots = obj->slots;
		n = obj->nrefs;
		done += 1 + n;
		for (i = 0; i < n; i = j) {
			target = slots[i];
			j = run_end(slots, i, n);
			if (!target)
				continue;
			t = mheap_object_at(bases, target);
			/* COLLECTING: met already; else update_ref() if unmet() */
			flags = t->flags;
			if (!(flags & MHEAP_OBJ_COLLECTING)) {
				if ((flags & (MHEAP_OBJ_TRACKED |
					      MHEAP_OBJ_GARBAGE)) !=
				    MHEAP_OBJ_TRACKED ||
				    (unsigned int)t->gen - 1 >= gen)
					continue;
				t->flags = (flags & ~MHEAP_OBJ_REACHABLE) |
					   MHEAP_OBJ_COLLECTING;
				t->gc_prev = t->refcnt;
			}
			if (t->gc_prev == U32_MAX)
				continue;
			if (!WARN_ON_ONCE(t->gc_prev < j - i))
				t->gc_prev -= j - i;
		}
	}
	p->cursor = id;
	if (!id) {
		p->phase = MHEAP_GC_MARK;
		p->cursor = p->young.head;
	}
	return done;
}

/* Push @id (COLLECTING, not yet REACHABLE) on the marking stack. */
static inline void inc_push(struct mheap_gc_progress *p, u32 id,
			    struct mheap_object *obj)
{
	obj->flags |= MHEAP_OBJ_REACHABLE;
	obj->gc_prev = p->top;
	p->top = id;
}

/*
 * A collection of generation 0 ran between two increments, before PARTITION:
 * its survivors, now generation 1, join the collection in progress rather
 * than generation 1's list, where SUBTRACT could not tell them from objects
 * of the collection it has not met yet (unmet()). They join as what they
 * are, objects referred to from outside: in SUBTRACT, at the end of the
 * list, to be met as any; in MARK, marked. The
 * work they add is owed (progress->debt): the next increment does it on
 * top of its budget, so that clients allocating fast cannot keep the
 * collection from ending.
 */
static void inc_adopt(struct mheap *heap, struct mheap_gc_list *survivors)
{
	struct mheap_gc_progress *p = &heap->gc.progress;
	struct mheap_object *obj;
	u32 id, next;

	for (id = survivors->head; id; id = next) {
		obj = mheap_object_ptr(heap, id);
		next = obj->gc_next;
		gc_list_append(heap, &p->young, id, obj);
		p->examined++;
		/* the most it adds: SUBTRACT to FREE, see gc.rst's bounds */
		p->debt += 6 + 3 * (u64)obj->nrefs;
		if (p->phase == MHEAP_GC_SUBTRACT)
			continue;
		obj->flags = (obj->flags & ~MHEAP_OBJ_REACHABLE) |
			     MHEAP_OBJ_COLLECTING;
		obj->gc_prev = U32_MAX;
		if (p->phase == MHEAP_GC_MARK)
			inc_push(p, id, obj);
	}
	gc_list_init(survivors);
}

/*
 * The marking of move_unreachable(), resumable: the stack and the list's
 * cursor persist between increments, and the barrier pushes onto the same
 * stack. Incrementally, marking and partitioning stay two phases: every
 * object stays on the collection's list until marking is over, the one
 * list that the barrier and deferral know.
 */
static u64 inc_mark(struct mheap *heap, u64 budget)
{
	struct mheap_gc_progress *p = &heap->gc.progress;
	/* the stack's top and the cursor in locals, as in inc_subtract() */
	char *const *bases = heap->meta.bases;
	u32 i, j, n, target, top = p->top, cursor = p->cursor;
	struct mheap_object_walk walk;
	struct mheap_object *obj, *t;
	const u32 *slots;
	u64 done = 0;

	mheap_object_walk_init(&walk, bases);
	while (done < budget) {
		if (top) {
			obj = mheap_object_at(bases, top);
			top = obj->gc_prev;
			slots = obj->slots;
			n = obj->nrefs;
			done += 1 + n;
			for (i = 0; i < n; i = j) {
				target = slots[i];
				j = run_end(slots, i, n);
				if (!target)
					continue;
				t = mheap_object_at(bases, target);
				if ((t->flags & (MHEAP_OBJ_COLLECTING |
						 MHEAP_OBJ_REACHABLE)) !=
				    MHEAP_OBJ_COLLECTING)
					continue;
				t->flags |= MHEAP_OBJ_REACHABLE;
				t->gc_prev = top;
				top = target;
			}
			continue;
		}
		if (!cursor) {
			p->phase = MHEAP_GC_PARTITION;
			cursor = p->young.head;
			break;
		}
		obj = mheap_object_walk_at(&walk, cursor);
		if (!(obj->flags & MHEAP_OBJ_REACHABLE) && obj->gc_prev) {
			obj->flags |= MHEAP_OBJ_REACHABLE;
			obj->gc_prev = 0;	/* top is 0 here */
			top = cursor;
		}
		cursor = obj->gc_next;
		done++;
	}
	p->top = top;
	p->cursor = cursor;
	return done;
}

/*
 * The partition of move_unreachable(), resumable; survivors go straight
 * onto their new generation's list, where clients may free them as any
 * other object. An object whose count reached zero meanwhile (a zombie,
 * marked or not) holds nothing and was counted freed when it died: only
 * its header is left to return.
 */
static u64 inc_partition(struct mheap *heap, u64 budget)
{
	struct mheap_gc *gc = &heap->gc;
	struct mheap_gc_progress *p = &gc->progress;
	unsigned int gen = p->gen, next_gen = next_gen_of(gen);
	/*
	 * Both lists built in locals, as in move_unreachable(); freeing a
	 * zombie's header touches no list.
	 */
	struct mheap_gc_list surv = heap->gens[next_gen], unr = p->unreachable;
	struct mheap_object *obj, *stail = NULL, *utail = NULL;
	struct mheap_object_walk walk;
	u64 done = 0, moved = 0;
	u32 id, next;

	if (surv.tail)
		stail = mheap_object_ptr(heap, surv.tail);
	if (unr.tail)
		utail = mheap_object_ptr(heap, unr.tail);
	/* freeing a zombie's header releases no arena the list still uses */
	mheap_object_walk_init(&walk, heap->meta.bases);
	for (id = p->cursor; id && done < budget; id = next, done++) {
		obj = mheap_object_walk_at(&walk, id);
		next = obj->gc_next;
		if (!obj->refcnt) {
			mheap_object_free_zombie(heap, id);
			continue;
		}
		if (!(obj->flags & MHEAP_OBJ_REACHABLE)) {
			gc_list_append_at(&unr, &utail, id, obj);
			continue;
		}
		obj->flags &= ~(MHEAP_OBJ_COLLECTING | MHEAP_OBJ_REACHABLE);
		obj->gen = next_gen;
		gc_list_append_at(&surv, &stail, id, obj);
		moved++;
	}
	heap->gens[next_gen] = surv;
	p->unreachable = unr;
	if (gen == 1)
		gc->long_lived_pending += moved;
	p->cursor = id;
	if (!id) {
		gc_list_init(&p->young);
		p->found += p->unreachable.count;
		p->save_all = gc->save_all;
		p->phase = p->save_all ? MHEAP_GC_FREE : MHEAP_GC_CLEAR;
		p->cursor = p->unreachable.head;
	}
	return done;
}

/* release_unreachable()'s first pass, resumable. */
static u64 inc_clear(struct mheap *heap, u64 budget)
{
	struct mheap_gc_progress *p = &heap->gc.progress;
	struct mheap_object *obj, *t;
	struct mheap_object_walk walk;
	u32 id, i, target;
	u64 done = 0;

	/* puts only free: the walk's arenas stay (struct mheap_object_walk) */
	mheap_object_walk_init(&walk, heap->meta.bases);
	for (id = p->cursor; id && done < budget; id = obj->gc_next) {
		obj = mheap_object_walk_at(&walk, id);
		done += 1 + obj->nrefs;
		for (i = 0; i < obj->nrefs; i++) {
			target = obj->slots[i];
			if (!target)
				continue;
			obj->slots[i] = 0;
			t = mheap_object_ptr(heap, target);
			if (t->flags & MHEAP_OBJ_COLLECTING)
				t->refcnt--;
			else
				mheap_object_put(heap, target);
		}
	}
	p->cursor = id;
	if (!id)
		p->phase = MHEAP_GC_FREE;
	return done;
}

/*
 * release_unreachable()'s second pass, or save_garbage(), resumable; ends
 * the collection.
 */
static u64 inc_free(struct mheap *heap, u64 budget)
{
	struct mheap_gc_progress *p = &heap->gc.progress;
	struct mheap_gc_list *list = &p->unreachable;
	struct mheap_gc_list one;
	struct mheap_object *obj;
	u64 done = 0;
	u32 id;

	if (!p->save_all) {
		/* the first @budget go as in release_unreachable() */
		id = list->head;
		done = mheap_object_free_list(heap, &id, budget);
		list->head = id;
		if (id)
			mheap_object_ptr(heap, id)->gc_prev = 0;
		else
			list->tail = 0;
		list->count -= done;
		heap->gc.count[0] -= min_t(u64, heap->gc.count[0], done);
	} else {
		while ((id = list->head) && done < budget) {
			obj = mheap_object_ptr(heap, id);
			gc_list_remove(heap, list, obj);
			done++;
			gc_list_init(&one);
			gc_list_append(heap, &one, id, obj);
			save_garbage(heap, &one, next_gen_of(p->gen));
		}
	}
	if (!list->head)
		p->phase = MHEAP_GC_IDLE;
	return done;
}

/* Run one phase's part of an increment; returns the work done. */
static u64 inc_phase(struct mheap *heap, u64 budget)
{
	switch (heap->gc.progress.phase) {
	case MHEAP_GC_SUBTRACT:
		return inc_subtract(heap, budget);
	case MHEAP_GC_MARK:
		return inc_mark(heap, budget);
	case MHEAP_GC_PARTITION:
		return inc_partition(heap, budget);
	case MHEAP_GC_CLEAR:
		return inc_clear(heap, budget);
	default:
		return inc_free(heap, budget);
	}
}

/*
 * One increment: run the collection in progress for @budget units of work
 * (an object, or a slot, each), or to its end for GC_UNBOUNDED. An
 * increment stops at the first object past its budget, so one object of
 * MHEAP_MAX_REFS slots can take it that far. Its time counts as one pause.
 */
static void inc_run(struct mheap *heap, u64 start, u64 budget)
{
	struct mheap_gc *gc = &heap->gc;
	struct mheap_gc_progress *p = &gc->progress;
	unsigned int from = p->phase;
	u64 done = 0, pause;

	mheap_gc_barrier_forget(heap);
	while (p->phase != MHEAP_GC_IDLE && done < budget) {
		gc->releasing = p->phase >= MHEAP_GC_CLEAR;
		done += inc_phase(heap, budget - done);
		gc->releasing = false;
		mheap_prim_cond_resched();
	}
	pause = mheap_prim_now_ns() - start;
	p->pause_max_ns = max(p->pause_max_ns, pause);
	p->pause_sum_ns += pause;
	gc->increments++;
	trace_mheap_gc_increment(heap->id, p->gen, from, p->phase, done, pause);
	if (p->phase == MHEAP_GC_IDLE)
		account_collection(heap, p->gen, p->examined, p->found,
				   p->pause_max_ns, p->pause_sum_ns);
}

/**
 * mheap_gc_finish() - end the collection in progress, at once
 * @heap: the heap.
 *
 * For the calls that need the generations whole (an explicit collection,
 * freeze, unfreeze, get_referrers, listing the garbage, releasing it):
 * runs the automatic collection in progress, if any, to its end as one
 * increment.
 *
 * Context: heap->lock held; may sleep.
 */
void mheap_gc_finish(struct mheap *heap)
{
	mheap_prim_assert_held(&heap->lock);
	if (heap->gc.progress.phase != MHEAP_GC_IDLE)
		inc_run(heap, mheap_prim_now_ns(), GC_UNBOUNDED);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_finish);

/*
 * Log the barrier's change to @id (whose gc_prev was @gc_prev) for
 * mheap_gc_barrier_undo(). Without memory for the entry, the change stays
 * unlogged: an undone operation then leaves it, and its object survives
 * this collection (as if the reference had been taken and dropped).
 */
static void barrier_log(struct mheap_gc *gc, u32 id, u32 gc_prev)
{
	struct mheap_gc_undo_rec *log;
	u32 cap;

	if (gc->undo_len == gc->undo_cap) {
		cap = gc->undo_cap ? 2 * gc->undo_cap : 16;
		log = mheap_prim_kvzalloc(array_size(cap, sizeof(*log)));
		if (!log)
			return;
		if (gc->undo_len)
			memcpy(log, gc->undo_log, gc->undo_len * sizeof(*log));
		mheap_prim_kvfree(gc->undo_log);
		gc->undo_log = log;
		gc->undo_cap = cap;
	}
	gc->undo_log[gc->undo_len++] = (struct mheap_gc_undo_rec){ id, gc_prev };
}

/**
 * mheap_gc_barrier() - a reference was taken to an object being collected
 * @heap: the heap.
 * @id: the object.
 * @obj: its header: MHEAP_OBJ_COLLECTING, refcnt already raised.
 *
 * The write barrier of incremental collection: the new reference counts
 * as one from outside the collection (before MARK), or the object is
 * marked reachable (during MARK). After MARK only reachable objects can
 * be referred to. Each change is logged until the lock is dropped, for
 * an operation that is undone to take it back (mheap_gc_barrier_undo()).
 *
 * Context: heap->lock held, between two increments; may sleep (the log
 * grows with GFP_KERNEL).
 */
void mheap_gc_barrier(struct mheap *heap, u32 id, struct mheap_object *obj)
{
	struct mheap_gc_progress *p = &heap->gc.progress;

	switch (p->phase) {
	case MHEAP_GC_IDLE:
		break;
	case MHEAP_GC_SUBTRACT:
		if (obj->gc_prev == U32_MAX)
			break;
		barrier_log(&heap->gc, id, obj->gc_prev);
		obj->gc_prev++;
		break;
	case MHEAP_GC_MARK:
		if (obj->flags & MHEAP_OBJ_REACHABLE)
			break;
		barrier_log(&heap->gc, id, obj->gc_prev);
		inc_push(p, id, obj);
		break;
	default:
		WARN_ON_ONCE(!(obj->flags & MHEAP_OBJ_REACHABLE));
		break;
	}
}

/**
 * mheap_gc_barrier_undo() - take back the barrier's changes of an operation
 *	that was undone
 * @heap: the heap.
 * @mark: mheap_gc_barrier_mark() from before the operation, under this
 *	same hold of the lock.
 *
 * The operation's references are dropped already; without this, each
 * object it referred to would count one more reference from outside the
 * collection, or be marked reachable, and survive the collection in
 * progress: a failed call would change what it collects. The changes go
 * back newest first: in SUBTRACT each object's gc_refs as it was; in MARK
 * each object pushed comes off the top of the stack, flags and gc_refs as
 * they were. A change that could not be logged, and any older than it
 * beneath it on the stack, stay (safe: those objects survive). If the
 * collector stepped since @mark (the log started again), every entry is
 * the operation's.
 *
 * Context: heap->lock held.
 */
void mheap_gc_barrier_undo(struct mheap *heap, struct mheap_gc_mark mark)
{
	struct mheap_gc *gc = &heap->gc;
	struct mheap_gc_progress *p = &gc->progress;
	u32 from = mark.epoch == gc->undo_epoch ? mark.len : 0;
	struct mheap_gc_undo_rec *rec;
	struct mheap_object *obj;

	mheap_prim_assert_held(&heap->lock);
	while (gc->undo_len > from) {
		rec = &gc->undo_log[gc->undo_len - 1];
		obj = mheap_object_ptr(heap, rec->id);
		if (p->phase == MHEAP_GC_MARK) {
			if (p->top != rec->id)
				break;
			p->top = obj->gc_prev;
			obj->flags &= ~MHEAP_OBJ_REACHABLE;
		}
		obj->gc_prev = rec->gc_prev;
		gc->undo_len--;
	}
	gc->undo_len = min(gc->undo_len, from);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_barrier_undo);

/**
 * mheap_gc_barrier_forget() - start the barrier's log again
 * @heap: the heap.
 *
 * When the lock is dropped and at each of the collector's steps: marks
 * taken before then no longer apply. A log longer than
 * MHEAP_GC_UNDO_KEEP entries is freed.
 *
 * Context: heap->lock held.
 */
void mheap_gc_barrier_forget(struct mheap *heap)
{
	struct mheap_gc *gc = &heap->gc;

	gc->undo_len = 0;
	gc->undo_epoch++;
	/* a long log served one large operation: not kept for the heap's life */
	if (gc->undo_cap > MHEAP_GC_UNDO_KEEP) {
		mheap_prim_kvfree(gc->undo_log);
		gc->undo_log = NULL;
		gc->undo_cap = 0;
	}
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_barrier_forget);

/**
 * mheap_gc_defers_free() - whether an object whose count reached zero
 *	must leave its header, for the collection in progress
 * @heap: the heap.
 * @obj: the object.
 *
 * Objects of the collection keep their headers on its list until PARTITION
 * (zombies, see above); until SUBTRACT has met them all, they are known
 * by their generation (unmet()).
 *
 * Context: heap->lock held, a collection in progress.
 * Return: true when the object's header must not be freed now.
 */
bool mheap_gc_defers_free(const struct mheap *heap,
			  const struct mheap_object *obj)
{
	const struct mheap_gc_progress *p = &heap->gc.progress;

	if (obj->flags & MHEAP_OBJ_COLLECTING)
		return true;
	return p->phase == MHEAP_GC_SUBTRACT && unmet(p->gen, obj);
}

/**
 * mheap_gc_doomed() - whether an object is dead for the collection in
 *	progress, though not freed yet
 * @heap: the heap.
 * @id: an object not yet freed.
 *
 * Either the collection found it unreachable (from PARTITION on), or its
 * count reached zero and the collection keeps its header (a zombie, whose
 * weak references died with it). A later increment frees it; a weak
 * reference to it reads as dead from now on, as CPython clears weak
 * references to garbage before it frees any.
 *
 * Context: heap->lock held.
 * Return: true when it is doomed.
 */
bool mheap_gc_doomed(struct mheap *heap, u32 id)
{
	const struct mheap_object *obj = mheap_object_ptr(heap, id);

	if (!obj->refcnt)
		return true;
	return heap->gc.progress.phase >= MHEAP_GC_PARTITION &&
	       (obj->flags & (MHEAP_OBJ_COLLECTING | MHEAP_OBJ_REACHABLE)) ==
	       MHEAP_OBJ_COLLECTING;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_doomed);

/*
 * The oldest generation whose count crossed its threshold, as CPython
 * chooses it: a full collection only once the objects moved into the old
 * generation since the last one exceed 25% of those it held then, so that
 * full collections stay linear overall. Returns -1 for none.
 */
static int generation_due(struct mheap_gc *gc)
{
	int gen;

	for (gen = MHEAP_GENERATIONS - 1; gen >= 0; gen--) {
		if (gc->count[gen] <= gc->threshold[gen])
			continue;
		if (gen == MHEAP_GENERATIONS - 1 &&
		    gc->long_lived_pending < gc->long_lived_total / 4)
			continue;
		return gen;
	}
	return -1;
}

/*
 * Whether generation 0 is due while a collection is in progress: then a
 * collection of generation 0 runs between two increments, as CPython 3.14
 * alternates young collections with increments of the old generation, so
 * that generation 0 stays about threshold 0 objects however long the
 * collection in progress takes.
 */
static bool young_due(const struct mheap_gc *gc)
{
	return gc->enabled && gc->threshold[0] &&
	       gc->count[0] > gc->threshold[0];
}

/*
 * The work item: the next increment of the collection in progress (or a
 * collection of generation 0, when due, between two increments), or the
 * collection due. Generation 0 alone, or any generation when
 * mheap_gc_increment is 0, is collected at once. The lock goes to whoever
 * waits for it before the next increment or collection takes it again.
 */
static void gc_work(struct mheap_prim_work *work)
{
	struct mheap *heap = container_of(work, struct mheap, gc.work);
	struct mheap_gc *gc = &heap->gc;
	u64 budget = READ_ONCE(mheap_gc_increment), start;
	bool young = false;
	int gen;

	mheap_lock(heap);
	start = mheap_prim_now_ns();
	if (gc->progress.phase == MHEAP_GC_IDLE) {
		gen = generation_due(gc);
		if (!gc->enabled || !gc->threshold[0])
			gen = -1;
		if (gen == 0 || (gen > 0 && !budget))
			collect(heap, gen, true);
		else if (gen > 0)
			inc_start(heap, gen);
	} else if (young_due(gc)) {
		collect(heap, 0, true);
		young = true;
	}
	if (gc->progress.phase != MHEAP_GC_IDLE && !young) {
		/* and the work that young survivors added: never overtaken */
		inc_run(heap, start, budget ? budget + gc->progress.debt :
					      GC_UNBOUNDED);
		gc->progress.debt = 0;
	}
	if (gc->progress.phase != MHEAP_GC_IDLE)
		mheap_prim_work_queue(&gc->work);
	mheap_unlock_handoff(heap);
}

/**
 * mheap_gc_collect() - collect a generation now (Python's gc.collect())
 * @heap: the heap.
 * @gen: 0, 1 or 2; the younger generations are collected with it.
 *
 * Runs whether or not automatic collection is enabled.
 *
 * Context: heap->lock held; may sleep.
 * Return: the number of unreachable objects found (freed, or kept on the
 * garbage list in save-all mode), or -EINVAL for a bad @gen.
 */
long mheap_gc_collect(struct mheap *heap, unsigned int gen)
{
	struct mheap_gc *gc = &heap->gc;
	long found;

	mheap_prim_assert_held(&heap->lock);
	if (gen >= MHEAP_GENERATIONS)
		return -EINVAL;
	mheap_gc_finish(heap);
	found = collect(heap, gen, false);
	/*
	 * Unlike CPython, which looks at its counts only when an allocation
	 * crosses threshold 0: an explicit collection counts towards the
	 * older generations' thresholds, so it may make one of them due, and
	 * then the work item runs it. Explicit collections of generation 0
	 * alone cannot keep the older ones from ever being collected.
	 */
	if (gc->enabled && gc->threshold[0] && generation_due(gc) >= 0)
		mheap_prim_work_queue(&gc->work);
	return found;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_collect);

/**
 * mheap_gc_enable() - turn automatic collection on or off
 * @heap: the heap.
 * @enable: whether crossing a threshold queues a collection.
 *
 * Context: heap->lock held.
 */
void mheap_gc_enable(struct mheap *heap, bool enable)
{
	mheap_prim_assert_held(&heap->lock);
	heap->gc.enabled = enable;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_enable);

/**
 * mheap_gc_is_enabled() - whether automatic collection is on
 * @heap: the heap.
 *
 * Context: heap->lock held.
 * Return: true when enabled.
 */
bool mheap_gc_is_enabled(struct mheap *heap)
{
	mheap_prim_assert_held(&heap->lock);
	return heap->gc.enabled;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_is_enabled);

/**
 * mheap_gc_get_threshold() - read the thresholds
 * @heap: the heap.
 * @threshold: filled in, one per generation.
 *
 * Context: heap->lock held.
 */
void mheap_gc_get_threshold(struct mheap *heap, u32 threshold[MHEAP_GENERATIONS])
{
	mheap_prim_assert_held(&heap->lock);
	memcpy(threshold, heap->gc.threshold, sizeof(heap->gc.threshold));
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_get_threshold);

/**
 * mheap_gc_set_threshold() - set the thresholds
 * @heap: the heap.
 * @threshold: one per generation; 0 for generation 0 turns automatic
 *	collection off, as in CPython.
 *
 * Context: heap->lock held.
 */
void mheap_gc_set_threshold(struct mheap *heap,
			    const u32 threshold[MHEAP_GENERATIONS])
{
	mheap_prim_assert_held(&heap->lock);
	memcpy(heap->gc.threshold, threshold, sizeof(heap->gc.threshold));
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_set_threshold);

/**
 * mheap_gc_get_count() - read the counts (Python's gc.get_count())
 * @heap: the heap.
 * @count: filled in, one per generation.
 *
 * Context: heap->lock held.
 */
void mheap_gc_get_count(struct mheap *heap, u32 count[MHEAP_GENERATIONS])
{
	mheap_prim_assert_held(&heap->lock);
	memcpy(count, heap->gc.count, sizeof(heap->gc.count));
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_get_count);

/**
 * mheap_gc_get_stats() - per-generation statistics (gc.get_stats())
 * @heap: the heap.
 * @stats: filled in, one per generation.
 *
 * Context: heap->lock held.
 */
void mheap_gc_get_stats(struct mheap *heap,
			struct mheap_gen_stats stats[MHEAP_GENERATIONS])
{
	mheap_prim_assert_held(&heap->lock);
	memcpy(stats, heap->gc.stats, sizeof(heap->gc.stats));
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_get_stats);

/**
 * mheap_gc_freeze() - move every tracked object to the permanent generation
 * @heap: the heap.
 *
 * Frozen objects are never collected, and references from them count as
 * references from outside. Every generation's count restarts, as in CPython
 * (gc_freeze_impl()).
 *
 * Context: heap->lock held.
 */
void mheap_gc_freeze(struct mheap *heap)
{
	unsigned int gen;

	mheap_prim_assert_held(&heap->lock);
	mheap_gc_finish(heap);
	for (gen = 0; gen < MHEAP_GENERATIONS; gen++) {
		gc_list_merge(heap, &heap->gens[gen],
			      &heap->gens[MHEAP_GEN_PERMANENT],
			      MHEAP_GEN_PERMANENT);
		heap->gc.count[gen] = 0;
	}
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_freeze);

/**
 * mheap_gc_unfreeze() - move the permanent generation back to generation 2
 * @heap: the heap.
 *
 * Context: heap->lock held.
 */
void mheap_gc_unfreeze(struct mheap *heap)
{
	mheap_prim_assert_held(&heap->lock);
	mheap_gc_finish(heap);
	gc_list_merge(heap, &heap->gens[MHEAP_GEN_PERMANENT],
		      &heap->gens[MHEAP_GENERATIONS - 1], MHEAP_GENERATIONS - 1);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_unfreeze);

/**
 * mheap_gc_freeze_count() - objects in the permanent generation
 * @heap: the heap.
 *
 * Context: heap->lock held.
 * Return: the count.
 */
u64 mheap_gc_freeze_count(struct mheap *heap)
{
	mheap_prim_assert_held(&heap->lock);
	return heap->gens[MHEAP_GEN_PERMANENT].count;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_freeze_count);

/**
 * mheap_gc_is_tracked() - whether the collector looks at an object
 * @heap: the heap.
 * @id: a live object.
 *
 * Context: heap->lock held.
 * Return: true for objects with reference slots.
 */
bool mheap_gc_is_tracked(struct mheap *heap, u32 id)
{
	mheap_prim_assert_held(&heap->lock);
	return mheap_object_ptr(heap, id)->flags & MHEAP_OBJ_TRACKED;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_is_tracked);

/**
 * mheap_gc_referents() - the objects an object's slots hold
 * @heap: the heap.
 * @id: a live object.
 * @buf: receives up to @len ids, in slot order, one per non-empty slot.
 * @len: room in @buf; 0 only counts.
 *
 * Context: heap->lock held.
 * Return: how many there are, which may exceed @len.
 */
size_t mheap_gc_referents(struct mheap *heap, u32 id, u32 *buf, size_t len)
{
	struct mheap_object *obj = mheap_object_ptr(heap, id);
	size_t n = 0;
	u32 i;

	mheap_prim_assert_held(&heap->lock);
	for (i = 0; i < obj->nrefs; i++) {
		if (!obj->slots[i])
			continue;
		if (n < len)
			buf[n] = obj->slots[i];
		n++;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_referents);

static bool holds(const struct mheap_object *obj, u32 id)
{
	u32 i;

	for (i = 0; i < obj->nrefs; i++) {
		if (obj->slots[i] == id)
			return true;
	}
	return false;
}

/**
 * mheap_gc_referrers() - the objects whose slots hold an object
 * @heap: the heap.
 * @id: a live object.
 * @buf: receives up to @len ids, each referrer once.
 * @len: room in @buf; 0 only counts.
 *
 * Walks the tracked objects of generations 0 to 2 and the garbage list,
 * but not the permanent generation, as Python's gc.get_referrers() does:
 * linear in the heap's slots.
 *
 * Context: heap->lock held; may sleep.
 * Return: how many there are, which may exceed @len.
 */
size_t mheap_gc_referrers(struct mheap *heap, u32 id, u32 *buf, size_t len)
{
	struct mheap_gc_list *lists[MHEAP_GENERATIONS + 1];
	struct mheap_object *obj;
	u32 o, visited = 0;
	unsigned int l;
	size_t n = 0;

	mheap_prim_assert_held(&heap->lock);
	mheap_gc_finish(heap);
	for (l = 0; l < MHEAP_GENERATIONS; l++)
		lists[l] = &heap->gens[l];
	lists[MHEAP_GENERATIONS] = &heap->gc.garbage;
	for (l = 0; l < ARRAY_SIZE(lists); l++) {
		for (o = lists[l]->head; o; o = obj->gc_next) {
			gc_resched(&visited);
			obj = mheap_object_ptr(heap, o);
			if (!holds(obj, id))
				continue;
			if (n < len)
				buf[n] = o;
			n++;
		}
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_referrers);

/**
 * mheap_gc_set_save_all() - keep unreachable objects instead of freeing them
 * @heap: the heap.
 * @save_all: on (Python's gc.DEBUG_SAVEALL) or off.
 *
 * Context: heap->lock held.
 */
void mheap_gc_set_save_all(struct mheap *heap, bool save_all)
{
	mheap_prim_assert_held(&heap->lock);
	heap->gc.save_all = save_all;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_set_save_all);

/**
 * mheap_gc_garbage() - list the objects save-all mode kept
 * @heap: the heap.
 * @buf: receives up to @len ids, oldest first.
 * @len: room in @buf; 0 only counts.
 *
 * Context: heap->lock held.
 * Return: how many there are, which may exceed @len.
 */
size_t mheap_gc_garbage(struct mheap *heap, u32 *buf, size_t len)
{
	size_t n = 0;
	u32 id;

	mheap_prim_assert_held(&heap->lock);
	if (!len)
		return heap->gc.garbage.count;
	mheap_gc_finish(heap);
	for (id = heap->gc.garbage.head; id;
	     id = mheap_object_ptr(heap, id)->gc_next) {
		if (n < len)
			buf[n] = id;
		n++;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_garbage);

/**
 * mheap_gc_release_garbage() - let go of the garbage list
 * @heap: the heap.
 *
 * Each object loses the list's reference and goes back to the generation
 * it was given when it was found (the one after the generation collected,
 * as CPython moves gc.garbage's objects to the next-older generation).
 * They are still cycles, so the next collection of that generation (with
 * save-all off) frees them, like ``del gc.garbage[:]`` then gc.collect().
 *
 * Context: heap->lock held; may sleep.
 * Return: how many objects left the list.
 */
u64 mheap_gc_release_garbage(struct mheap *heap)
{
	struct mheap_gc_list *garbage = &heap->gc.garbage;
	struct mheap_object *obj;
	u64 n = 0;
	u32 id;

	mheap_prim_assert_held(&heap->lock);
	mheap_gc_finish(heap);
	while ((id = garbage->head)) {
		obj = mheap_object_ptr(heap, id);
		gc_list_remove(heap, garbage, obj);
		obj->flags &= ~MHEAP_OBJ_GARBAGE;
		gc_list_append(heap, &heap->gens[obj->gen], id, obj);
		mheap_object_put(heap, id);
		n++;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_release_garbage);

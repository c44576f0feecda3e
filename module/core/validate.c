// SPDX-License-Identifier: GPL-2.0
/*
 * Debug-level validators (built with MHEAP_DEBUG): each checks, by walking
 * the structures, the invariants their headers write down, and reports
 * the first one broken with a WARNING. mimalloc's mi_heap_validate() and
 * the kernel's CONFIG_DEBUG_LIST checks are the model.
 *
 * Who runs them: mheap_unlock() runs mheap_validate_amortized() each time
 * it drops the lock (every ioctl in a debug build of the module, every
 * host test at its end); the fuzzer runs both after every operation.
 */
#include "handle.h"
#include "validate.h"

#ifdef MHEAP_DEBUG

/* Report a broken invariant, named by its expression: -EUCLEAN. */
static int invariant_broken(const char *what)
{
	WARN_ONCE(1, "mheap: invariant broken: %s\n", what);
	return -EUCLEAN;
}

static unsigned int pool_free_blocks(const struct mheap_pool *pool)
{
	unsigned int i, n = 0;

	for (i = 0; i < MHEAP_POOL_WORDS; i++)
		n += hweight64(pool->free[i]);
	return n;
}

/*
 * One arena of a space: its page bitmap, its pools and runs, and its
 * place on the usable lists; adds its pools' blocks in use, per class, to
 * @class_live and its runs to *@runs.
 */
/* Entries of a list (list_count_nodes() is not in 6.1) */
static unsigned int list_length(const struct list_head *head)
{
	const struct list_head *pos;
	unsigned int n = 0;

	list_for_each(pos, head)
		n++;
	return n;
}

static int arena_validate(const struct mheap_arena *arena, u64 *class_live,
			  u64 *runs)
{
	const struct mheap_pool *pool;
	unsigned int page, busy = 0;

	if (arena->nfree + hweight64(arena->used) != MHEAP_ARENA_PAGES)
		return invariant_broken("nfree + popcount(used) == MHEAP_ARENA_PAGES");
	/* on usable[nfree] while some but not all pages are free */
	if (list_empty(&arena->link) !=
	    (!arena->nfree || arena->nfree == MHEAP_ARENA_PAGES))
		return invariant_broken("arena on a usable list iff partly free");
	for (page = 0; page < MHEAP_ARENA_PAGES; page++) {
		pool = &arena->pools[page];
		if (pool->nblocks) {
			if (!(arena->used & BIT_ULL(page)))
				return invariant_broken("arena->used & BIT_ULL(page)");
			if (pool->nused + pool_free_blocks(pool) !=
			    pool->nblocks)
				return invariant_broken("nused + popcount(free) == nblocks");
			class_live[pool->class] += pool->nused;
			busy += pool->nused > 0;
		} else if (pool->npages) {
			if (page + pool->npages > MHEAP_ARENA_PAGES)
				return invariant_broken("a run ends inside its arena");
			if (!(arena->used & BIT_ULL(page)))
				return invariant_broken("arena->used & BIT_ULL(page)");
			busy++;
			(*runs)++;
		}
	}
	if (busy != arena->nbusy)
		return invariant_broken("busy == arena->nbusy");
	return 0;
}

/* The lists of a space: usable arenas by free pages, pools by class. */
static int space_lists_validate(const struct mheap_space *space)
{
	const struct mheap_arena *arena;
	const struct mheap_pool *pool;
	unsigned int n;
	bool listed;

	for (n = 0; n < MHEAP_ARENA_PAGES; n++) {
		listed = space->usable_mask & BIT_ULL(n);
		if (listed != !list_empty(&space->usable[n]))
			return invariant_broken("listed == !list_empty(&space->usable[n])");
		list_for_each_entry(arena, &space->usable[n], link)
			if (arena->nfree != n || arena->jumbo)
				return invariant_broken("usable[n] holds arenas with n free pages");
	}
	for (n = 0; n < space->nclasses; n++) {
		list_for_each_entry(pool, &space->pools[n], link)
			if (pool->class != n || pool->nused >= pool->nblocks)
				return invariant_broken("pools[n]: class n, room");
	}
	return 0;
}

static int space_validate(const struct mheap_space *space)
{
	u64 class_live[MHEAP_CLASSES_MAX] = { 0 };
	u64 runs = 0, jumbo = 0;
	const struct mheap_arena *arena;
	u32 i, arenas = 0, spares = 0, cached = 0;
	int err;

	for (i = 1; i < space->narenas; i++) {
		arena = space->arenas[i];
		if (space->bases[i] != (arena ? arena->base : NULL))
			return invariant_broken("bases[i] == arenas[i]->base");
		if (!arena)
			continue;
		arenas++;
		if (arena->index != i)
			return invariant_broken("arena->index == i");
		if (arena->jumbo) {
			jumbo++;
			if (!list_empty(&arena->link) ||
			    !list_empty(&arena->spare_link))
				return invariant_broken("jumbo: on no list, not spare");
			continue;
		}
		/* idle arenas are spares, and spares are idle */
		if (!arena->nbusy != !list_empty(&arena->spare_link))
			return invariant_broken("!nbusy == on space->spares");
		spares += !arena->nbusy;
		err = arena_validate(arena, class_live, &runs);
		if (err)
			return err;
	}
	if (arenas != space->arenas_used)
		return invariant_broken("arenas == space->arenas_used");
	if (jumbo != space->jumbo_live)
		return invariant_broken("jumbo == space->jumbo_live");
	if (runs != space->runs_live)
		return invariant_broken("runs == space->runs_live");
	if (spares != space->nspares || spares != list_length(&space->spares))
		return invariant_broken("nspares == length of space->spares");
	for (i = 0; i < space->nclasses; i++) {
		if (space->cache[i].count > MHEAP_CACHE_SLOTS)
			return invariant_broken("cache[i].count <= MHEAP_CACHE_SLOTS");
		/* a cached block is in use to its pool, free to the heap */
		if (class_live[i] != space->class_live[i] + space->cache[i].count)
			return invariant_broken("pools' live == class_live[i] + cache[i].count");
		cached += space->cache[i].count;
	}
	if (cached != space->ncached)
		return invariant_broken("ncached == sum of cache[i].count");
	return space_lists_validate(space);
}

/* One list of tracked objects: its links both ways, its count, and gen. */
/* Whether @id can be read: it names an arena of the meta space. */
static bool id_names_meta(struct mheap *heap, u32 id)
{
	u32 arena = id >> (MHEAP_ARENA_SHIFT - MHEAP_META_QSHIFT);

	return arena < heap->meta.narenas && heap->meta.bases[arena];
}

/*
 * The collection in progress (gc.c): until PARTITION has passed them, its
 * objects are on its own list, linked by gc_next alone (gc_prev holds
 * gc_refs or the marking stack), and a zombie there (count zero) holds
 * nothing: no slot, no payload (object.c: zombify()).
 */
static int progress_validate(struct mheap *heap)
{
	const struct mheap_gc_progress *p = &heap->gc.progress;
	struct mheap_object *obj;
	u32 id, i;
	u64 n = 0;

	if (p->phase == MHEAP_GC_IDLE) {
		if (p->young.count || p->unreachable.count)
			return invariant_broken("no collection, no collection's lists");
		return 0;
	}
	if (p->phase > MHEAP_GC_PARTITION)
		return 0;
	id = p->phase == MHEAP_GC_PARTITION ? p->cursor : p->young.head;
	for (; id; id = obj->gc_next) {
		if (!id_names_meta(heap, id))
			return invariant_broken("gc list ids name meta arenas");
		if (n++ >= p->young.count)
			return invariant_broken("a gc list is no longer than its count");
		obj = mheap_object_ptr(heap, id);
		if (obj->refcnt)
			continue;
		if (obj->size)
			return invariant_broken("a zombie has no payload");
		for (i = 0; i < obj->nrefs; i++)
			if (obj->slots[i])
				return invariant_broken("a zombie holds nothing");
	}
	if (p->phase < MHEAP_GC_PARTITION && n != p->young.count)
		return invariant_broken("n == young.count");
	return 0;
}

static int gc_list_validate(struct mheap *heap,
			    const struct mheap_gc_list *list, int gen)
{
	struct mheap_object *obj;
	u32 id, prev = 0;
	u64 n = 0;

	for (id = list->head; id; prev = id, id = obj->gc_next) {
		/* an id must name an arena of the meta space before use */
		if (!id_names_meta(heap, id))
			return invariant_broken("gc list ids name meta arenas");
		if (n++ >= list->count)
			return invariant_broken("a gc list is no longer than its count");
		obj = mheap_object_ptr(heap, id);
		if (obj->gc_prev != prev)
			return invariant_broken("obj->gc_prev == prev");
		if (gen >= 0 && obj->gen != gen)
			return invariant_broken("obj->gen == gen");
		if (obj->flags & MHEAP_OBJ_ALIVE)
			return invariant_broken("ALIVE only during a collection");
	}
	if (prev != list->tail)
		return invariant_broken("prev == list->tail");
	if (n != list->count)
		return invariant_broken("n == list->count");
	return 0;
}

/*
 * The free lists of leaf objects (struct mheap_freelist): within their
 * bounds, counted in nfreelisted, each entry a freed header (count zero)
 * whose payload is the one it names, of the list's class.
 */
static int freelist_validate(struct mheap *heap)
{
	const struct mheap_freelist *list;
	const struct mheap_object *obj;
	u32 class, i, n = 0, size;

	for (class = 0; class < MHEAP_FREELIST_CLASSES; class++) {
		list = &heap->freelist[class];
		if (list->count > MHEAP_FREELIST_SLOTS)
			return invariant_broken("freelist count <= MHEAP_FREELIST_SLOTS");
		for (i = 0; i < list->count; i++) {
			obj = mheap_object_ptr(heap, list->meta[i]);
			size = obj->size + MHEAP_GUARD_BYTES;
			if (obj->refcnt || obj->nrefs || !obj->size ||
			    obj->payload != list->payload[i] ||
			    (size - 1) >> MHEAP_PAYLOAD_QSHIFT != class)
				return invariant_broken("freelist: a freed leaf of its class");
		}
		n += list->count;
	}
	if (n != heap->nfreelisted)
		return invariant_broken("nfreelisted == sum of freelist[c].count");
	return 0;
}

/**
 * mheap_validate() - check a heap's written invariants
 * @heap: the heap.
 *
 * Walks both spaces (heap.h's pool and arena equations, the usable and
 * pool lists, the live counts), the free lists of leaf objects and the
 * collector's lists (gc.h): costs
 * time in the number of arenas and tracked objects.
 *
 * An incremental collection may be in progress (this runs between two of
 * its increments): its own list is walked by its next links only (the
 * others hold gc_refs and the marking stack), for its zombies, and its
 * lists are empty once it is over.
 *
 * Context: heap->lock held; not inside a collection's own work.
 * Return: 0, or -EUCLEAN after a WARNING that names the broken invariant.
 */
int mheap_validate(struct mheap *heap)
{
	int err, gen;

	mheap_prim_assert_held(&heap->lock);
	err = space_validate(&heap->meta);
	if (!err)
		err = space_validate(&heap->payload);
	for (gen = 0; !err && gen <= MHEAP_GEN_PERMANENT; gen++)
		err = gc_list_validate(heap, &heap->gens[gen], gen);
	if (!err)
		err = gc_list_validate(heap, &heap->gc.garbage, -1);
	if (!err)
		err = progress_validate(heap);
	if (!err)
		err = freelist_validate(heap);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_validate);

/**
 * mheap_validate_amortized() - mheap_validate(), at a bounded cost per call
 * @heap: the heap.
 *
 * Walks the heap when the calls since its last walk, times
 * MHEAP_VALIDATE_RATIO, reach the walk's size (the live objects, and the
 * pages of the arenas in use, whose bitmaps and pools it reads): about
 * MHEAP_VALIDATE_RATIO objects' or pages' worth of walking per call,
 * amortised, however large the heap. A walk at every unlock made the work quadratic in the
 * heap's size: the debug kernel took seven minutes to replay a real heap
 * of 40,000 objects (mheapctl replay), 93 s of it building.
 *
 * Context: heap->lock held; not inside a collection's own work.
 * Return: 0, or mheap_validate()'s -EUCLEAN.
 */
int mheap_validate_amortized(struct mheap *heap)
{
	mheap_prim_assert_held(&heap->lock);
	u64 size = mheap_objects_live(heap) + MHEAP_ARENA_PAGES *
		   ((u64)heap->meta.arenas_used + heap->payload.arenas_used);

	if (++heap->validate_skipped * MHEAP_VALIDATE_RATIO < size)
		return 0;
	heap->validate_skipped = 0;
	return mheap_validate(heap);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_validate_amortized);

/**
 * mheap_client_validate() - check a handle table's written invariants
 * @client: the client.
 *
 * handle.h: live + (entries on the free list) + retired == used, every
 * free-list entry free, the scope log within its bounds.
 *
 * Context: the client's heap->lock held.
 * Return: 0, or -EUCLEAN after a WARNING that names the broken invariant.
 */
int mheap_client_validate(const struct mheap_client *client)
{
	u32 i, live = 0, free = 0, listed = 0, next, last = 0;

	if (client->used > client->size)
		return invariant_broken("client->used <= client->size");
	for (i = 0; i < client->used; i++) {
		if (client->table[i].tag & MHEAP_HANDLE_FREE)
			free++;
		else
			live++;
	}
	if (live != client->live)
		return invariant_broken("live == client->live");
	for (next = client->free_head; next; next = client->table[last].obj) {
		if (next > client->used || listed++ >= client->used)
			return invariant_broken("the free list is within the table");
		last = next - 1;
		if (!(client->table[last].tag & MHEAP_HANDLE_FREE))
			return invariant_broken("free-list entries are free");
	}
	if (client->free_tail != (listed ? last + 1 : 0))
		return invariant_broken("free_tail is the free list's last entry");
	if (live + listed + client->retired != client->used)
		return invariant_broken("live + free + retired == used");
	if (free != listed + client->retired)
		return invariant_broken("free == listed + client->retired");
	if (client->depth > MHEAP_SCOPE_MAX)
		return invariant_broken("client->depth <= MHEAP_SCOPE_MAX");
	if (client->log_len > client->log_size)
		return invariant_broken("client->log_len <= client->log_size");
	for (i = 1; i <= client->depth; i++) {
		if (client->mark[i] > client->log_len ||
		    (i > 1 && client->mark[i - 1] > client->mark[i]))
			return invariant_broken("scope marks ordered, within the log");
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_client_validate);
#endif /* MHEAP_DEBUG */

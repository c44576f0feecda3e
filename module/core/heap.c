// SPDX-License-Identifier: GPL-2.0
/*
 * The managed heap: creation, destruction, capacity and statistics of
 * struct mheap, which holds the allocator's spaces (space.c), the
 * collector (gc.c), weak references (weak.c) and named roots (names.c).
 *
 * Locking: heap->lock for everything; see heap.h.
 */
#include "object.h"
#include "gc.h"
#include "names.h"
#include "weak.h"

static atomic_long_t global_heaps;
static atomic_long_t global_next_id;
static atomic_long_t global_collections;
static atomic_long_t global_collected;

/**
 * mheap_array_grow() - move an array of the core's tables into a larger one
 * @old: the array, or NULL; freed on success.
 * @used: entries of @old to keep.
 * @size: entries of the new array, at least @used.
 * @elem: bytes per entry.
 *
 * Context: process context; may sleep.
 * Return: the new array, its entries past @used zeroed; NULL when memory
 * is short (then @old is untouched).
 */
void *mheap_array_grow(void *old, size_t used, size_t size, size_t elem)
{
	void *new = mheap_prim_kvzalloc(array_size(size, elem));

	if (!new)
		return NULL;
	if (used)
		memcpy(new, old, used * elem);
	mheap_prim_kvfree(old);
	return new;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_array_grow);

/**
 * mheap_capacity_valid() - check a heap capacity and its ceiling
 * @capacity: bytes of arenas a heap may reserve.
 * @capacity_max: the most @capacity may be set to.
 *
 * Context: any.
 * Return: true when MHEAP_CAPACITY_MIN <= @capacity <= @capacity_max <=
 * MHEAP_CAPACITY_LIMIT.
 */
bool mheap_capacity_valid(size_t capacity, size_t capacity_max)
{
	return capacity >= MHEAP_CAPACITY_MIN && capacity <= capacity_max &&
	       capacity_max <= MHEAP_CAPACITY_LIMIT;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_capacity_valid);

/**
 * mheap_create() - create an empty heap
 * @capacity: bytes of arenas the heap may reserve.
 * @capacity_max: the most its capacity may later be set to.
 *
 * No arena is allocated until the first block is.
 *
 * Context: process context; may sleep.
 * Return: the new heap, or NULL when memory could not be allocated or the
 * capacities are not valid (see mheap_capacity_valid()).
 */
struct mheap *mheap_create(size_t capacity, size_t capacity_max)
{
	struct mheap *heap;

	if (!mheap_capacity_valid(capacity, capacity_max))
		return NULL;
	heap = mheap_prim_zalloc(sizeof(*heap));
	if (!heap)
		return NULL;
	mheap_prim_mutex_init(&heap->lock);
	heap->capacity = capacity;
	heap->capacity_max = capacity_max;
	mheap_space_init(&heap->meta, MHEAP_META_QSHIFT);
	mheap_space_init(&heap->payload, MHEAP_PAYLOAD_QSHIFT);
	INIT_LIST_HEAD(&heap->retired);
	INIT_LIST_HEAD(&heap->clients);
	mheap_prim_dwork_init(&heap->decay, mheap_space_decay_work);
	mheap_gc_init(heap);
	atomic_long_add(1, &global_heaps);
	heap->id = (u32)atomic_long_add_return(1, &global_next_id);
	trace_mheap_heap_create(heap->id, capacity, capacity_max);
	return heap;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_create);

/**
 * mheap_destroy() - destroy a heap and everything in it
 * @heap: the heap; NULL is allowed and does nothing.
 *
 * Cancels the collector's work and waits for it, then frees every arena
 * whatever objects they still hold: the object graph, cycles included, is
 * never walked.
 *
 * Context: process context; the caller holds the only reference and not
 * the lock.
 */
void mheap_destroy(struct mheap *heap)
{
	u64 objects, arena_bytes;

	if (!heap)
		return;
	objects = mheap_objects_live(heap);
	arena_bytes = heap->arena_bytes;
	mheap_gc_fini(heap);
	mheap_prim_dwork_cancel_sync(&heap->decay);
	if (MHEAP_GUARD_BYTES) {
		mheap_prim_mutex_lock(&heap->lock);
		mheap_object_validate(heap);
		mheap_prim_mutex_unlock(&heap->lock);
	}
	mheap_space_destroy(heap, &heap->meta);
	mheap_space_destroy(heap, &heap->payload);
	mheap_arenas_free(&heap->retired);
	mheap_weak_destroy(heap);
	mheap_names_destroy(heap);
	WARN_ON_ONCE(heap->arena_bytes);
	atomic_long_sub(1, &global_heaps);
	trace_mheap_heap_destroy(heap->id, objects, arena_bytes);
	mheap_prim_mutex_destroy(&heap->lock);
	mheap_prim_free(heap);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_destroy);

/**
 * mheap_set_capacity() - change how many bytes a heap may reserve
 * @heap: the heap.
 * @capacity: the new capacity, MHEAP_CAPACITY_MIN to heap->capacity_max.
 *
 * A capacity below what is reserved already is allowed: it stops growth
 * until enough arenas are released.
 *
 * Context: heap->lock held.
 * Return: 0, or -EINVAL when @capacity is out of range (nothing changed).
 */
int mheap_set_capacity(struct mheap *heap, size_t capacity)
{
	mheap_prim_assert_held(&heap->lock);
	if (!mheap_capacity_valid(capacity, heap->capacity_max))
		return -EINVAL;
	heap->capacity = capacity;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_set_capacity);

/**
 * mheap_heap_stats() - read a heap's statistics
 * @heap: the heap.
 * @stats: filled in.
 *
 * Cached blocks go back to their pools first (mheap_space_flush()), so
 * that the arena and spare counts are what they would be without the
 * cache.
 *
 * Context: heap->lock held.
 */
void mheap_heap_stats(struct mheap *heap, struct mheap_stats *stats)
{
	const struct mheap_space *p = &heap->payload;
	unsigned int i;

	mheap_prim_assert_held(&heap->lock);
	mheap_space_flush(heap);
	memset(stats, 0, sizeof(*stats));
	stats->capacity = heap->capacity;
	stats->arena_bytes = heap->arena_bytes;
	stats->meta_used = heap->meta.bytes_used;
	stats->used = heap->meta.bytes_used + p->bytes_used;
	stats->payload_bytes = heap->payload_bytes;
	stats->objects_live = mheap_objects_live(heap);
	stats->objects_allocated = heap->objects_allocated;
	stats->objects_freed = heap->objects_freed;
	stats->spare = mheap_spares(heap);
	stats->arenas = heap->meta.arenas_used + p->arenas_used - stats->spare;
	stats->runs = p->runs_live;
	stats->jumbo = p->jumbo_live;
	for (i = 0; i < ARRAY_SIZE(stats->class_live); i++)
		stats->class_live[i] = p->class_live[i];
}
EXPORT_SYMBOL_IF_KUNIT(mheap_heap_stats);

/**
 * mheap_global_stats() - read the module-wide statistics
 * @stats: filled in.
 *
 * Context: any; the figures are read without a common lock.
 */
void mheap_global_stats(struct mheap_global_stats *stats)
{
	stats->heaps = atomic_long_read(&global_heaps);
	stats->arena_bytes = mheap_space_global_bytes();
	stats->collections = atomic_long_read(&global_collections);
	stats->collected = atomic_long_read(&global_collected);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_global_stats);

/**
 * mheap_global_count_collection() - count a collection in the module's
 *	statistics
 * @collected: the objects it freed.
 *
 * Context: any.
 */
void mheap_global_count_collection(u64 collected)
{
	atomic_long_add(1, &global_collections);
	atomic_long_add(collected, &global_collected);
}

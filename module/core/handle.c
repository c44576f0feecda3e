// SPDX-License-Identifier: GPL-2.0
/*
 * Clients and their handle tables. Part of the portable core (see prim.h);
 * the handle encoding and its no-reuse guarantee are described in
 * handle.h.
 *
 * Locking: client->heap->lock for everything but create and destroy.
 */
#include "handle.h"
#include "scope.h"
#include "weak.h"

#define INDEX_MASK	((1U << MHEAP_HANDLE_INDEX_BITS) - 1)
#define TABLE_MIN	64

static inline u32 encode(u32 index, u32 tag)
{
	return (tag << MHEAP_HANDLE_INDEX_BITS) | (index + 1);
}

/**
 * mheap_client_create() - create a client with an empty handle table
 * @heap: the heap it will use.
 *
 * Context: process context; may sleep.
 * Return: the client, or NULL when memory could not be allocated.
 */
struct mheap_client *mheap_client_create(struct mheap *heap)
{
	struct mheap_client *client = mheap_prim_zalloc(sizeof(*client));

	if (client) {
		client->heap = heap;
		INIT_LIST_HEAD(&client->link);
	}
	return client;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_client_create);

/**
 * mheap_client_destroy() - close every handle of a client and free it
 * @client: the client; NULL is allowed and does nothing.
 *
 * Context: process context; heap->lock held; may sleep.
 */
void mheap_client_destroy(struct mheap_client *client)
{
	u32 i;

	if (!client)
		return;
	mheap_prim_assert_held(&client->heap->lock);
	for (i = 0; i < client->used; i++) {
		struct mheap_handle *h = &client->table[i];

		if (h->tag & MHEAP_HANDLE_FREE)
			continue;
		if (h->tag & MHEAP_HANDLE_WEAK)
			mheap_weak_put(client->heap, h->obj);
		else
			mheap_object_put(client->heap, h->obj);
		if (i % 1024 == 1023)
			mheap_prim_cond_resched();
	}
	list_del_init(&client->link);
	mheap_prim_kvfree(client->log);
	mheap_prim_kvfree(client->table);
	mheap_prim_free(client);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_client_destroy);

static struct mheap_handle *entry(struct mheap_client *client, u32 handle)
{
	u32 index = (handle & INDEX_MASK) - 1;
	struct mheap_handle *h;

	if (handle & MHEAP_HANDLE_FREE || index >= client->used)
		return NULL;
	h = &client->table[index];
	if ((h->tag & ~(MHEAP_HANDLE_WEAK | MHEAP_HANDLE_SCOPE)) !=
	    handle >> MHEAP_HANDLE_INDEX_BITS)
		return NULL;
	return h;
}

/**
 * mheap_handle_entry() - the table entry of an open handle
 * @client: the client.
 * @handle: a handle value.
 *
 * For scope.c, which keeps the entry's scope in its tag.
 *
 * Context: heap->lock held.
 * Return: the entry, or NULL when @handle is not open in @client.
 */
struct mheap_handle *mheap_handle_entry(struct mheap_client *client,
					u32 handle)
{
	return entry(client, handle);
}

/* mheap_handle_lookup(), inline for the hot paths of this file */
static inline int lookup(struct mheap_client *client, u32 handle, u32 *id)
{
	struct mheap_handle *h;

	mheap_prim_assert_held(&client->heap->lock);
	h = entry(client, handle);
	if (!h)
		return -ENOENT;
	if (!(h->tag & MHEAP_HANDLE_WEAK)) {
		*id = h->obj;
		return 0;
	}
	*id = mheap_weak_deref(&client->heap->weak, h->obj);
	/* dead already for the collection in progress (gc.c) */
	if (*id && unlikely(client->heap->gc.progress.phase != MHEAP_GC_IDLE) &&
	    mheap_gc_doomed(client->heap, *id))
		*id = 0;
	return *id ? 0 : -ESTALE;
}

/**
 * mheap_handle_lookup() - the object a handle names
 * @client: the client.
 * @handle: the handle.
 * @id: set to the object's id; no reference is taken.
 *
 * A weak handle names its object while the object lives.
 *
 * Context: heap->lock held.
 * Return: 0; -ENOENT when @handle is not open in @client; -ESTALE when it
 * is a weak handle whose object was freed.
 */
int mheap_handle_lookup(struct mheap_client *client, u32 handle, u32 *id)
{
	return lookup(client, handle, id);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_handle_lookup);

static int install_entry(struct mheap_client *client, u32 value, u32 weak,
			 u32 *handle);

static int grow(struct mheap_client *client)
{
	struct mheap_handle *table;
	u32 size;

	if (client->size == MHEAP_MAX_HANDLES) {
		trace_mheap_limit(client->heap->id, MHEAP_LIMIT_HANDLES,
				  MHEAP_MAX_HANDLES);
		return -EMFILE;
	}
	size = min(max(client->size * 2, (u32)TABLE_MIN), MHEAP_MAX_HANDLES);
	table = mheap_array_grow(client->table, client->used, size,
				 sizeof(*table));
	if (!table)
		return -ENOMEM;
	/* its handles are roots from now on (gc.c: mark_roots_alive()) */
	if (!client->table)
		list_add(&client->link, &client->heap->clients);
	client->table = table;
	client->size = size;
	return 0;
}

/**
 * mheap_handle_install() - give a reference a handle
 * @client: the client.
 * @id: an object; the caller's reference on it passes to the handle on
 *	success and stays the caller's on error.
 * @handle: set to the new handle.
 *
 * Context: heap->lock held; may sleep.
 * Return: 0; -EMFILE when the client has MHEAP_MAX_HANDLES entries in use
 * or retired; -ENOMEM. On error nothing changed.
 */
int mheap_handle_install(struct mheap_client *client, u32 id, u32 *handle)
{
	mheap_prim_assert_held(&client->heap->lock);
	return install_entry(client, id, 0, handle);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_handle_install);

/* An entry for @value (an object id, or a weak record with @weak set). */
static int install_entry(struct mheap_client *client, u32 value, u32 weak,
			 u32 *handle)
{
	struct mheap_handle *h;
	u32 index;
	int err;

	/* inside a scope, the log must have room for the new handle */
	if (client->depth) {
		err = mheap_scope_reserve(client);
		if (err)
			return err;
	}
	if (client->free_head) {
		index = client->free_head - 1;
		h = &client->table[index];
		client->free_head = h->obj;
		if (!client->free_head)
			client->free_tail = 0;
		h->tag &= ~MHEAP_HANDLE_FREE;
	} else {
		if (client->used == client->size) {
			err = grow(client);
			if (err)
				return err;
		}
		index = client->used++;
		h = &client->table[index];
		h->tag = 0;
	}
	h->obj = value;
	client->live++;
	*handle = encode(index, h->tag);
	h->tag |= weak | client->depth << MHEAP_HANDLE_SCOPE_SHIFT;
	if (client->depth)
		mheap_scope_record(client, *handle);
	return 0;
}

/**
 * mheap_handle_install_ref() - a new handle with a reference of its own
 * @client: the client.
 * @id: a live object of @client's heap.
 * @handle: set to the new handle.
 *
 * Context: heap->lock held; may sleep.
 * Return: 0; -EOVERFLOW; or an errno of mheap_handle_install(). On error
 * nothing changed.
 */
int mheap_handle_install_ref(struct mheap_client *client, u32 id, u32 *handle)
{
	struct mheap_gc_mark mark = mheap_gc_barrier_mark(client->heap);
	int err = mheap_object_get(client->heap, id);

	if (err)
		return err;
	err = mheap_handle_install(client, id, handle);
	if (err) {
		mheap_object_put(client->heap, id);
		/* nothing changed: the barrier's change included */
		mheap_gc_barrier_undo(client->heap, mark);
	}
	return err;
}

/**
 * mheap_handle_alloc() - allocate an object and a handle on it
 * @client: the client.
 * @size: payload bytes (see mheap_object_alloc()).
 * @nrefs: reference slots.
 * @cookie: the object's cookie, 0 for none.
 * @handle: set to the new handle.
 *
 * Context: heap->lock held; may sleep.
 * Return: 0, or an errno of mheap_object_alloc() or
 * mheap_handle_install(). On error nothing changed.
 */
int mheap_handle_alloc(struct mheap_client *client, size_t size, size_t nrefs,
		       u64 cookie, u32 *handle)
{
	struct mheap *heap = client->heap;
	unsigned int spares = mheap_spares(heap);
	u32 id;
	int err;

	err = mheap_object_alloc_subscribed(heap, size, nrefs, cookie,
					    client->subscriber, &id);
	if (err)
		return err;
	err = mheap_handle_install(client, id, handle);
	if (err)
		mheap_object_discard(heap, id, spares);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_handle_alloc);

/**
 * mheap_handle_dup() - a second handle on the same object
 * @client: the client.
 * @handle: an open handle.
 * @copy: set to the new handle.
 *
 * Context: heap->lock held; may sleep.
 * Return: 0; -ENOENT for a bad @handle; -EOVERFLOW; or an errno of
 * mheap_handle_install(). On error nothing changed.
 */
int mheap_handle_dup(struct mheap_client *client, u32 handle, u32 *copy)
{
	u32 id;
	int err;

	err = lookup(client, handle, &id);
	if (err)
		return err;
	return mheap_handle_install_ref(client, id, copy);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_handle_dup);

/**
 * mheap_handle_dup_weak() - a weak handle on the object a handle names
 * @client: the client.
 * @handle: an open handle, strong or weak (then its object must live).
 * @copy: set to the new, weak handle.
 *
 * Context: heap->lock held; may sleep.
 * Return: 0; -ENOENT or -ESTALE for a bad @handle; an errno of
 * mheap_weak_get() or mheap_handle_install(). On error nothing changed.
 */
int mheap_handle_dup_weak(struct mheap_client *client, u32 handle, u32 *copy)
{
	u32 id, ref;
	int err;

	err = lookup(client, handle, &id);
	if (!err)
		err = mheap_weak_get(client->heap, id, &ref);
	if (err)
		return err;
	err = install_entry(client, ref, MHEAP_HANDLE_WEAK, copy);
	if (err)
		mheap_weak_put(client->heap, ref);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_handle_dup_weak);

/**
 * mheap_handle_is_weak() - whether an open handle is weak
 * @client: the client.
 * @handle: an open handle.
 *
 * Context: heap->lock held.
 * Return: true for a weak handle, false for a strong or bad one.
 */
bool mheap_handle_is_weak(struct mheap_client *client, u32 handle)
{
	struct mheap_handle *h = entry(client, handle);

	return h && (h->tag & MHEAP_HANDLE_WEAK);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_handle_is_weak);

/* Free an open entry, its value never to be used again; not its reference. */
static void release_entry(struct mheap_client *client, struct mheap_handle *h)
{
	u32 index = h - client->table;

	h->tag &= ~(MHEAP_HANDLE_WEAK | MHEAP_HANDLE_SCOPE);
	client->live--;
	h->obj = 0;
	if (h->tag == MHEAP_HANDLE_TAG_MAX) {
		h->tag = MHEAP_HANDLE_FREE | MHEAP_HANDLE_TAG_MAX;
		client->retired++;
		return;
	}
	h->tag = MHEAP_HANDLE_FREE | (h->tag + 1);
	if (client->free_tail)
		client->table[client->free_tail - 1].obj = index + 1;
	else
		client->free_head = index + 1;
	client->free_tail = index + 1;
}

/**
 * mheap_handle_close() - close a handle, dropping its reference
 * @client: the client.
 * @handle: an open handle.
 *
 * A weak handle drops its weak reference; it may be closed after its
 * object died.
 *
 * Context: heap->lock held; may sleep (the object and what only it kept
 * alive may be freed).
 * Return: 0, or -ENOENT for a bad @handle (nothing changed).
 */
int mheap_handle_close(struct mheap_client *client, u32 handle)
{
	struct mheap_handle *h;
	u32 id, weak;

	mheap_prim_assert_held(&client->heap->lock);
	h = entry(client, handle);
	if (!h)
		return -ENOENT;
	id = h->obj;
	weak = h->tag & MHEAP_HANDLE_WEAK;
	release_entry(client, h);
	if (weak)
		mheap_weak_put(client->heap, id);
	else
		mheap_object_put(client->heap, id);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_handle_close);

/**
 * mheap_handle_unalloc() - undo mheap_handle_alloc()
 * @client: the client.
 * @handle: the handle mheap_handle_alloc() gave, under this same hold of
 *	the heap lock: nobody has seen it, and the object has no other
 *	reference.
 * @spares: mheap_spares() from before the allocation.
 *
 * The object goes as if it had never been allocated (see
 * mheap_object_discard()): no reclamation event, statistics as before.
 * The handle's value is not reused.
 *
 * Context: heap->lock held.
 */
void mheap_handle_unalloc(struct mheap_client *client, u32 handle,
			  unsigned int spares)
{
	struct mheap_handle *h;
	u32 id;

	mheap_prim_assert_held(&client->heap->lock);
	h = entry(client, handle);
	if (WARN_ON_ONCE(!h || h->tag & MHEAP_HANDLE_WEAK))
		return;
	id = h->obj;
	release_entry(client, h);
	mheap_object_discard(client->heap, id, spares);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_handle_unalloc);

/**
 * mheap_handle_set_slot() - make a slot hold an object, or empty it
 * @client: the client.
 * @handle: the object whose slot changes.
 * @index: the slot.
 * @target: a handle on the object to hold, or 0 to empty the slot.
 *
 * Context: heap->lock held; may sleep.
 * Return: 0; -ENOENT for a bad @handle or @target; or an errno of
 * mheap_object_set_slot(). On error nothing changed.
 */
int mheap_handle_set_slot(struct mheap_client *client, u32 handle,
			  size_t index, u32 target)
{
	u32 id, tid = 0;
	int err;

	err = lookup(client, handle, &id);
	if (!err && target)
		err = lookup(client, target, &tid);
	if (err)
		return err;
	return mheap_object_set_slot(client->heap, id, index, tid);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_handle_set_slot);

/**
 * mheap_handle_get_slot() - a new handle on what a slot holds
 * @client: the client.
 * @handle: the object.
 * @index: the slot.
 * @target: set to a new handle on the object the slot holds, or to 0 when
 *	the slot is empty.
 *
 * Context: heap->lock held; may sleep.
 * Return: 0; -ENOENT for a bad @handle; -EINVAL for a bad @index;
 * -EOVERFLOW; or an errno of mheap_handle_install(). On error nothing
 * changed.
 */
int mheap_handle_get_slot(struct mheap_client *client, u32 handle,
			  size_t index, u32 *target)
{
	u32 id, tid;
	int err;

	err = lookup(client, handle, &id);
	if (!err)
		err = mheap_object_get_slot(client->heap, id, index, &tid);
	if (err)
		return err;
	if (!tid) {
		*target = 0;
		return 0;
	}
	return mheap_handle_install_ref(client, tid, target);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_handle_get_slot);

/**
 * mheap_handle_info() - describe the object a handle names
 * @client: the client.
 * @handle: the handle.
 * @info: filled in.
 *
 * Context: heap->lock held.
 * Return: 0, or -ENOENT for a bad @handle.
 */
int mheap_handle_info(struct mheap_client *client, u32 handle,
		      struct mheap_object_info *info)
{
	u32 id;
	int err;

	err = lookup(client, handle, &id);
	if (err)
		return err;
	mheap_object_info(client->heap, id, info);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_handle_info);

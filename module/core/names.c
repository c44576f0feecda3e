// SPDX-License-Identifier: GPL-2.0
/*
 * Named roots. Part of the portable core (see prim.h); the model is in
 * names.h.
 *
 * Locking: heap->lock for everything.
 */
#include "names.h"
#include "object.h"

#define NAMES_MIN	16

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	       c == ':' || c == '/';
}

/**
 * mheap_name_valid() - check a name as userspace passed it
 * @name: @size bytes.
 * @size: MHEAP_NAME_LEN, the size of the field holding it.
 *
 * Context: any.
 * Return: true when @name is 1 to @size - 1 allowed characters, then a
 * NUL, then only NULs to the end of the field.
 */
bool mheap_name_valid(const char *name, size_t size)
{
	size_t len, i;

	for (len = 0; len < size && name[len]; len++) {
		if (!name_char(name[len]))
			return false;
	}
	if (!len || len == size)
		return false;
	for (i = len; i < size; i++) {
		if (name[i])
			return false;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_name_valid);

/*
 * Where @name is, or would go: sets *@pos and returns whether it is bound.
 * Names are NUL-padded, so comparing whole fields orders them as strings.
 */
static bool find(struct mheap_name_table *names, const char *name, u32 *pos)
{
	u32 lo = 0, hi = names->len;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		int c = memcmp(names->v[mid].name, name, MHEAP_NAME_LEN);

		if (!c) {
			*pos = mid;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return false;
}

static int grow(struct mheap_name_table *names)
{
	struct mheap_name_entry *v;
	u32 size;

	size = min_t(u32, max(names->size * 2, (u32)NAMES_MIN),
		     MHEAP_NAMES_MAX);
	v = mheap_array_grow(names->v, names->len, size, sizeof(*v));
	if (!v)
		return -ENOMEM;
	names->v = v;
	names->size = size;
	return 0;
}

/**
 * mheap_name_bind() - bind a name to an object
 * @heap: the heap.
 * @name: a valid name (mheap_name_valid()), in a field of MHEAP_NAME_LEN
 *	bytes.
 * @id: a live object; the binding takes a reference of its own.
 * @replace: whether a binding of @name may be replaced (its reference is
 *	dropped).
 *
 * Context: heap->lock held; may sleep.
 * Return: 0; -EEXIST when @name is bound and !@replace; -ENOSPC when the
 * heap has MHEAP_NAMES_MAX names; -EOVERFLOW; -ENOMEM. On error nothing
 * changed.
 */
int mheap_name_bind(struct mheap *heap, const char *name, u32 id,
		    bool replace)
{
	struct mheap_name_table *names = &heap->names;
	u32 pos, old;
	int err;

	mheap_prim_assert_held(&heap->lock);
	if (find(names, name, &pos)) {
		if (!replace)
			return -EEXIST;
		err = mheap_object_get(heap, id);
		if (err)
			return err;
		old = names->v[pos].id;
		names->v[pos].id = id;
		mheap_object_put(heap, old);
		return 0;
	}
	if (names->len == MHEAP_NAMES_MAX) {
		trace_mheap_limit(heap->id, MHEAP_LIMIT_NAMES, MHEAP_NAMES_MAX);
		return -ENOSPC;
	}
	if (names->len == names->size) {
		err = grow(names);
		if (err)
			return err;
	}
	err = mheap_object_get(heap, id);
	if (err)
		return err;
	memmove(&names->v[pos + 1], &names->v[pos],
		(names->len - pos) * sizeof(names->v[0]));
	names->v[pos].id = id;
	memcpy(names->v[pos].name, name, MHEAP_NAME_LEN);
	names->len++;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_name_bind);

/**
 * mheap_name_lookup() - the object a name is bound to
 * @heap: the heap.
 * @name: a valid name.
 * @id: set to the object; no reference is taken.
 *
 * Context: heap->lock held.
 * Return: 0, or -ENOENT when @name is not bound.
 */
int mheap_name_lookup(struct mheap *heap, const char *name, u32 *id)
{
	u32 pos;

	mheap_prim_assert_held(&heap->lock);
	if (!find(&heap->names, name, &pos))
		return -ENOENT;
	*id = heap->names.v[pos].id;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_name_lookup);

/**
 * mheap_name_unbind() - remove a binding, dropping its reference
 * @heap: the heap.
 * @name: a valid name.
 *
 * Context: heap->lock held; may sleep (the object may be freed).
 * Return: 0, or -ENOENT when @name is not bound (nothing changed).
 */
int mheap_name_unbind(struct mheap *heap, const char *name)
{
	struct mheap_name_table *names = &heap->names;
	u32 pos, id;

	mheap_prim_assert_held(&heap->lock);
	if (!find(names, name, &pos))
		return -ENOENT;
	id = names->v[pos].id;
	names->len--;
	memmove(&names->v[pos], &names->v[pos + 1],
		(names->len - pos) * sizeof(names->v[0]));
	memset(&names->v[names->len], 0, sizeof(names->v[0]));
	mheap_object_put(heap, id);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_name_unbind);

/**
 * mheap_name_list() - copy out bound names, in order
 * @heap: the heap.
 * @start: how many names to skip.
 * @names: receives up to @count names, NUL-padded.
 * @count: room in @names.
 *
 * Context: heap->lock held.
 * Return: the number of names bound (which may exceed @start + @count).
 */
u32 mheap_name_list(struct mheap *heap, u32 start,
		    struct mheap_name_rec *names, u32 count)
{
	struct mheap_name_table *n = &heap->names;
	u32 i;

	mheap_prim_assert_held(&heap->lock);
	for (i = 0; start < n->len && i < count && i < n->len - start; i++)
		memcpy(names[i].name, n->v[start + i].name, MHEAP_NAME_LEN);
	return n->len;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_name_list);

/**
 * mheap_names_destroy() - free a heap's names
 * @heap: the heap, being destroyed with every object in it: the bindings'
 *	references need not be dropped.
 *
 * Context: process context; heap->lock not held.
 */
void mheap_names_destroy(struct mheap *heap)
{
	mheap_prim_kvfree(heap->names.v);
	heap->names.v = NULL;
	heap->names.len = 0;
	heap->names.size = 0;
}

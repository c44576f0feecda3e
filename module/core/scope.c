// SPDX-License-Identifier: GPL-2.0
/*
 * Handle scopes: a client's stack frames. Part of the portable core (see
 * prim.h).
 *
 * While scopes are open, every new handle belongs to the innermost one;
 * popping a scope closes the handles that still belong to it, the way a
 * function's locals go when it returns. A handle may escape to the
 * enclosing scope (V8's EscapableHandleScope), and from the outermost
 * scope to none.
 *
 * An entry's scope is kept in its tag (MHEAP_HANDLE_SCOPE). Since closed
 * entries are reused oldest first, the handles of a scope are not a range
 * of the table: the client logs every handle created while a scope is open
 * (client->log, as full handle values, so that a reused entry is not taken
 * for the handle logged earlier) and remembers where each scope's part of
 * the log starts (client->mark). Popping scope n walks its part of the
 * log: a handle still open and still in scope n is closed; one that
 * escaped stays in the log, now in scope n - 1's part; the rest are
 * dropped. Before the log grows, it is compacted the same way, so it never
 * holds more entries than there are open handles in scopes.
 *
 * Locking: heap->lock for everything.
 */
#include "scope.h"

#define LOG_MIN		64

static inline u32 scope_of(const struct mheap_handle *h)
{
	return (h->tag & MHEAP_HANDLE_SCOPE) >> MHEAP_HANDLE_SCOPE_SHIFT;
}

static inline void set_scope(struct mheap_handle *h, u32 level)
{
	h->tag = (h->tag & ~MHEAP_HANDLE_SCOPE) |
		 level << MHEAP_HANDLE_SCOPE_SHIFT;
}

/* Drop the log entries of handles closed, or out of every scope. */
static void log_compact(struct mheap_client *client)
{
	u32 level, i, end, w = 0;

	for (level = 1; level <= client->depth; level++) {
		end = level < client->depth ? client->mark[level + 1] :
					      client->log_len;
		i = client->mark[level];
		client->mark[level] = w;
		for (; i < end; i++) {
			struct mheap_handle *h;

			h = mheap_handle_entry(client, client->log[i]);
			if (h && scope_of(h))
				client->log[w++] = client->log[i];
		}
	}
	client->log_len = w;
}

/**
 * mheap_scope_reserve() - make room in the log for one more handle
 * @client: the client.
 *
 * Called before a handle is created inside a scope, so that recording it
 * cannot fail.
 *
 * Context: heap->lock held; may sleep.
 * Return: 0, or -ENOMEM (nothing changed that anyone could see).
 */
int mheap_scope_reserve(struct mheap_client *client)
{
	u32 size, *log;

	if (client->log_len < client->log_size)
		return 0;
	log_compact(client);
	if (client->log_len < client->log_size / 2 + 1 && client->log_size)
		return 0;
	size = max(client->log_size * 2, (u32)LOG_MIN);
	log = mheap_array_grow(client->log, client->log_len, size, sizeof(*log));
	if (!log)
		return -ENOMEM;
	client->log = log;
	client->log_size = size;
	return 0;
}

/**
 * mheap_scope_record() - log a handle just created in the innermost scope
 * @client: the client, with a scope open.
 * @handle: the new handle.
 *
 * Context: heap->lock held; mheap_scope_reserve() succeeded since the last
 * record.
 */
void mheap_scope_record(struct mheap_client *client, u32 handle)
{
	if (WARN_ON_ONCE(client->log_len >= client->log_size))
		return;
	client->log[client->log_len++] = handle;
}

/**
 * mheap_scope_push() - open a scope inside the innermost one
 * @client: the client.
 * @level: set to the new scope's level: 1 for the outermost.
 *
 * Context: heap->lock held.
 * Return: 0, or -ENOSPC when MHEAP_SCOPE_MAX scopes are open
 * already.
 */
int mheap_scope_push(struct mheap_client *client, u32 *level)
{
	mheap_prim_assert_held(&client->heap->lock);
	if (client->depth == MHEAP_SCOPE_MAX) {
		trace_mheap_limit(client->heap->id, MHEAP_LIMIT_SCOPES,
				  MHEAP_SCOPE_MAX);
		return -ENOSPC;
	}
	client->depth++;
	client->mark[client->depth] = client->log_len;
	*level = client->depth;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_scope_push);

/**
 * mheap_scope_pop() - close the innermost scope and its handles
 * @client: the client.
 * @level: the innermost scope's level, as mheap_scope_push() gave it.
 * @closed: set to the number of handles closed.
 *
 * Handles that escaped from the scope stay open, in the enclosing one.
 *
 * Context: heap->lock held; may sleep (closing handles may free objects).
 * Return: 0; -ENOENT when no scope of that level is open; -EBUSY when
 * scopes inside it are still open. On error nothing changed.
 */
int mheap_scope_pop(struct mheap_client *client, u32 level, u32 *closed)
{
	u32 i, w, n = 0;

	mheap_prim_assert_held(&client->heap->lock);
	if (!level || level > client->depth)
		return -ENOENT;
	if (level < client->depth)
		return -EBUSY;
	w = client->mark[level];
	for (i = w; i < client->log_len; i++) {
		u32 handle = client->log[i];
		struct mheap_handle *h = mheap_handle_entry(client, handle);
		u32 in;

		if (!h)
			continue;
		in = scope_of(h);
		if (in == level) {
			mheap_handle_close(client, handle);
			n++;
			if (n % 1024 == 0)
				mheap_prim_cond_resched();
		} else if (in) {
			client->log[w++] = handle;
		}
	}
	client->log_len = w;
	client->depth--;
	*closed = n;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_scope_pop);

/**
 * mheap_scope_escape() - move a handle to the enclosing scope
 * @client: the client.
 * @handle: an open handle of the innermost scope.
 * @level: set to the handle's new scope, 0 for none.
 *
 * Context: heap->lock held.
 * Return: 0; -ENOENT when @handle is not open; -EINVAL when it does not
 * belong to the innermost scope (or no scope is open). On error nothing
 * changed.
 */
int mheap_scope_escape(struct mheap_client *client, u32 handle, u32 *level)
{
	struct mheap_handle *h;

	mheap_prim_assert_held(&client->heap->lock);
	h = mheap_handle_entry(client, handle);
	if (!h)
		return -ENOENT;
	if (!client->depth || scope_of(h) != client->depth)
		return -EINVAL;
	set_scope(h, client->depth - 1);
	*level = client->depth - 1;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_scope_escape);

/**
 * mheap_scope_unescape() - undo mheap_scope_escape()
 * @client: the client.
 * @handle: the handle mheap_scope_escape() moved, under this same hold of
 *	the heap lock.
 *
 * The handle belongs to the innermost scope again.
 *
 * Context: heap->lock held.
 */
void mheap_scope_unescape(struct mheap_client *client, u32 handle)
{
	struct mheap_handle *h;

	mheap_prim_assert_held(&client->heap->lock);
	h = mheap_handle_entry(client, handle);
	if (!WARN_ON_ONCE(!h))
		set_scope(h, client->depth);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_scope_unescape);

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Handle scopes: a client's stack frames (scope.c). The scope of each
 * handle is kept in its table entry's tag (handle.h).
 *
 * Locking: heap->lock for everything.
 */
#ifndef MHEAP_SCOPE_H
#define MHEAP_SCOPE_H

#include "handle.h"

int mheap_scope_push(struct mheap_client *client, u32 *level);
int mheap_scope_pop(struct mheap_client *client, u32 level, u32 *closed);
int mheap_scope_escape(struct mheap_client *client, u32 handle, u32 *level);
void mheap_scope_unescape(struct mheap_client *client, u32 handle);
int mheap_scope_reserve(struct mheap_client *client);
void mheap_scope_record(struct mheap_client *client, u32 handle);

#endif /* MHEAP_SCOPE_H */

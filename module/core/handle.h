/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Clients and their handle tables: how userspace names objects.
 *
 * A handle is a positive 31-bit integer: bits 0-19 are the entry's index
 * plus one, bits 20-30 the entry's reuse tag. Each handle holds one
 * reference on its object. A closed entry is reused oldest first (a FIFO),
 * and its tag grows by one at each reuse; an entry whose tag is used up is
 * retired for good. So a closed handle's value never names another object
 * for the client's whole life: using it gives -ENOENT.
 *
 * A weak handle holds no reference: it names its object while something
 * else keeps the object alive, and gives -ESTALE once the object was freed
 * (weak.h); closing it is still needed.
 *
 * Locking: heap->lock for everything; a client is used under its heap's
 * lock.
 */
#ifndef MHEAP_HANDLE_H
#define MHEAP_HANDLE_H

#include "object.h"

#define MHEAP_HANDLE_INDEX_BITS	20
#define MHEAP_HANDLE_TAG_BITS	11
/* The most handles a client may hold at once is what the index can hold */
static_assert(MHEAP_MAX_HANDLES == (1U << MHEAP_HANDLE_INDEX_BITS) - 1);
#define MHEAP_HANDLE_TAG_MAX	((1U << MHEAP_HANDLE_TAG_BITS) - 1)

/**
 * struct mheap_handle - one entry of a handle table
 * @obj: the object's id; for a weak handle, its weak record (weak.h); for
 *	a free entry, the next free entry's index plus one (0: none).
 * @tag: reuse tag (the low MHEAP_HANDLE_TAG_BITS), plus MHEAP_HANDLE_FREE
 *	while the entry is free, MHEAP_HANDLE_WEAK for a weak handle, and in
 *	MHEAP_HANDLE_SCOPE the scope the handle belongs to (scope.c).
 */
struct mheap_handle {
	u32 obj;
	u32 tag;
};

#define MHEAP_HANDLE_FREE	0x80000000U
#define MHEAP_HANDLE_WEAK	0x40000000U	/* @obj is a weak record */
/* The scope the handle belongs to (scope.c), 0 for none */
#define MHEAP_HANDLE_SCOPE_SHIFT	16
#define MHEAP_HANDLE_SCOPE	(0xffU << MHEAP_HANDLE_SCOPE_SHIFT)

/* The scope number must fit in the tag's scope bits */
static_assert((MHEAP_HANDLE_SCOPE >> MHEAP_HANDLE_SCOPE_SHIFT) >= MHEAP_SCOPE_MAX);

/**
 * struct mheap_client - a handle table on a heap
 * @heap: the heap; the client is used under its lock.
 * @link: in @heap->clients once @table has been allocated; else empty.
 * @table: @size entries; those below @used have been handed out.
 * @size: entries allocated.
 * @used: entries handed out at least once.
 * @live: handles open.
 * @free_head: oldest closed entry, index plus one; 0 when none.
 * @free_tail: newest closed entry, index plus one; 0 when none.
 * @retired: entries whose tag is used up.
 * @depth: scopes open (scope.c), 0 to MHEAP_SCOPE_MAX.
 * @log: handles created while a scope was open, oldest first; the part
 *	from mark[n] on was created in scope n or deeper.
 * @log_len: entries of @log in use.
 * @log_size: entries of @log allocated.
 * @mark: @log_len when scope n was opened, for n = 1 .. @depth.
 * @subscriber: the events subscriber number given to the objects this
 *	client allocates (heap.h, struct mheap's @reclaim), 0 for none.
 *
 * Invariant: live + (entries on the free list) + retired == used.
 */
struct mheap_client {
	struct mheap *heap;
	struct list_head link;
	struct mheap_handle *table;
	u32 size;
	u32 used;
	u32 live;
	u32 free_head;
	u32 free_tail;
	u32 retired;
	u32 depth;
	u32 *log;
	u32 log_len;
	u32 log_size;
	u32 mark[MHEAP_SCOPE_MAX + 1];
	u32 subscriber;
};

struct mheap_client *mheap_client_create(struct mheap *heap);
void mheap_client_destroy(struct mheap_client *client);

int mheap_handle_lookup(struct mheap_client *client, u32 handle, u32 *id);
int mheap_handle_install(struct mheap_client *client, u32 id, u32 *handle);
int mheap_handle_alloc(struct mheap_client *client, size_t size, size_t nrefs,
		       u64 cookie, u32 *handle);
int mheap_handle_install_ref(struct mheap_client *client, u32 id, u32 *handle);
int mheap_handle_dup(struct mheap_client *client, u32 handle, u32 *copy);
int mheap_handle_dup_weak(struct mheap_client *client, u32 handle, u32 *copy);
bool mheap_handle_is_weak(struct mheap_client *client, u32 handle);
int mheap_handle_close(struct mheap_client *client, u32 handle);
void mheap_handle_unalloc(struct mheap_client *client, u32 handle,
			  unsigned int spares);
int mheap_handle_set_slot(struct mheap_client *client, u32 handle,
			  size_t index, u32 target);
int mheap_handle_get_slot(struct mheap_client *client, u32 handle,
			  size_t index, u32 *target);
struct mheap_handle *mheap_handle_entry(struct mheap_client *client,
					u32 handle);

int mheap_handle_info(struct mheap_client *client, u32 handle,
		      struct mheap_object_info *info);

#endif /* MHEAP_HANDLE_H */

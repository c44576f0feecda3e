/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Named roots: a heap-wide namespace binding names to objects.
 *
 * A binding holds a reference on its object, so a bound object is a root
 * for the collector like one a handle holds. Any client of the heap may
 * look a name up (and gets a new handle) or unbind it. Names are 1 to
 * MHEAP_NAME_LEN - 1 bytes of [A-Za-z0-9._:/-]; a heap holds at most
 * MHEAP_NAMES_MAX of them, kept sorted, so that lookups are binary
 * searches and listings come out in order.
 *
 * Locking: heap->lock for everything.
 */
#ifndef MHEAP_NAMES_H
#define MHEAP_NAMES_H

#include "prim.h"

struct mheap;

/**
 * struct mheap_name_entry - one binding
 * @id: the object, on which the binding holds a reference.
 * @name: the name, NUL-terminated and NUL-padded.
 */
struct mheap_name_entry {
	u32 id;
	char name[MHEAP_NAME_LEN];
};

/**
 * struct mheap_name_table - a heap's named roots (names.h)
 * @v: @size entries, the first @len in use, sorted by name.
 * @len: names bound.
 * @size: entries allocated.
 */
struct mheap_name_table {
	struct mheap_name_entry *v;
	u32 len;
	u32 size;
};

/* A name as mheap_name_list() copies it out */
struct mheap_name_rec {
	char name[MHEAP_NAME_LEN];
};

bool mheap_name_valid(const char *name, size_t size);
int mheap_name_bind(struct mheap *heap, const char *name, u32 id,
		    bool replace);
int mheap_name_lookup(struct mheap *heap, const char *name, u32 *id);
int mheap_name_unbind(struct mheap *heap, const char *name);
u32 mheap_name_list(struct mheap *heap, u32 start,
		    struct mheap_name_rec *names, u32 count);
void mheap_names_destroy(struct mheap *heap);

#endif /* MHEAP_NAMES_H */

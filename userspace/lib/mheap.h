/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmheap: the C library over /dev/mheap's ioctls (see <linux/mheap.h>
 * for the model and the meaning of every errno).
 *
 * Every function returns 0 (or a non-negative count) on success and a
 * negative errno on failure. The library keeps no global state; a struct
 * mheap may be shared by threads (the kernel serialises the heap), while a
 * struct mheap_batch_buf belongs to one thread at a time.
 *
 * Handles are uint32_t; 0 is never a handle and means "none".
 */
#ifndef MHEAP_H
#define MHEAP_H

#include <stddef.h>
#include <stdint.h>

#include <linux/mheap.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MHEAP_DEFAULT_DEVICE "/dev/mheap"

/* An open client of a heap; opaque. */
struct mheap;

/* Heaps and clients */
int mheap_open(const char *path, struct mheap **mh);
int mheap_from_fd(int fd, struct mheap **mh);
int mheap_close(struct mheap *mh);
int mheap_fd(const struct mheap *mh);
int mheap_new_client(struct mheap *mh, unsigned int flags);
int mheap_version(struct mheap *mh, uint32_t *version, uint64_t *features);
int mheap_get_config(struct mheap *mh, struct mheap_config *config);
int mheap_set_capacity(struct mheap *mh, uint64_t capacity);
int mheap_set_threshold(struct mheap *mh, const uint32_t threshold[3]);

/* Objects and handles */
int mheap_alloc(struct mheap *mh, uint64_t size, uint32_t nrefs,
		uint64_t cookie, uint32_t *handle);
int mheap_dup(struct mheap *mh, uint32_t handle, uint32_t *copy);
int mheap_dup_weak(struct mheap *mh, uint32_t handle, uint32_t *weak);
int mheap_release(struct mheap *mh, uint32_t handle);
int mheap_set_slot(struct mheap *mh, uint32_t handle, uint64_t index,
		   uint32_t target);
int mheap_get_slot(struct mheap *mh, uint32_t handle, uint64_t index,
		   uint32_t *target);
int mheap_read(struct mheap *mh, uint32_t handle, uint64_t offset,
	       void *buf, size_t len);
int mheap_write(struct mheap *mh, uint32_t handle, uint64_t offset,
		const void *buf, size_t len);
int mheap_info(struct mheap *mh, uint32_t handle, struct mheap_info *info);
int mheap_export(struct mheap *mh, uint32_t handle, uint64_t *token);
int mheap_import(struct mheap *mh, uint64_t token, uint32_t *handle);

/*
 * Scopes (MHEAP_FEATURE_SCOPES): while scopes are open, new handles belong
 * to the innermost; popping it closes those still in it. level is what
 * push returned; closed and the escape's new level may be NULL.
 */
int mheap_scope_push(struct mheap *mh, uint32_t *level);
int mheap_scope_pop(struct mheap *mh, uint32_t level, uint32_t *closed);
int mheap_scope_escape(struct mheap *mh, uint32_t handle, uint32_t *level);

/*
 * Named roots (MHEAP_FEATURE_NAMES), shared by every client of the heap:
 * a binding holds a reference. flags: MHEAP_NAME_REPLACE or 0. list
 * copies up to count names from position start (strcmp() order) and
 * returns how many it copied; *total (may be NULL) is how many are bound.
 */
int mheap_name_bind(struct mheap *mh, const char *name, uint32_t handle,
		    unsigned int flags);
int mheap_name_lookup(struct mheap *mh, const char *name, uint32_t *handle);
int mheap_name_unbind(struct mheap *mh, const char *name);
int mheap_name_list(struct mheap *mh, uint32_t start,
		    char (*names)[MHEAP_NAME_LEN], uint32_t count,
		    uint32_t *total);

/*
 * The payload mapping (MHEAP_FEATURE_MMAP): map length bytes of the heap's
 * payload space, shared, read-only or read-write; an object's payload is
 * at its struct mheap_info map_offset from *addr. Any length will do:
 * pages beyond the arenas give SIGBUS until arenas reach them.
 */
int mheap_map(struct mheap *mh, size_t length, int writable, void **addr);
int mheap_unmap(void *addr, size_t length);

/*
 * Reclamation events (MHEAP_FEATURE_EVENTS): once subscribed (capacity 0
 * for the default; granted may be NULL), each object this client
 * allocates is reported as it is freed. read waits up to timeout_ms (-1:
 * for ever, 0: not at all) for records and returns how many it stored in
 * events (0 when none came).
 */
int mheap_events_subscribe(struct mheap *mh, uint32_t capacity,
			   uint32_t *granted);
int mheap_events_unsubscribe(struct mheap *mh);
int mheap_events_read(struct mheap *mh, struct mheap_event *events,
		      uint32_t max, int timeout_ms);

/* The collector */
int mheap_collect(struct mheap *mh, unsigned int generation,
		  uint64_t *collected);
int mheap_gc_enable(struct mheap *mh, int enable);
int mheap_gc_freeze(struct mheap *mh);
int mheap_gc_unfreeze(struct mheap *mh);
int mheap_gc_set_save_all(struct mheap *mh, int save_all);
int mheap_gc_release_garbage(struct mheap *mh, uint64_t *released);
int mheap_referents(struct mheap *mh, uint32_t handle, uint32_t *handles,
		    uint32_t count, uint32_t *total);
int mheap_referrers(struct mheap *mh, uint32_t handle, uint32_t *handles,
		    uint32_t count, uint32_t *total);
int mheap_garbage(struct mheap *mh, uint32_t *handles, uint32_t count,
		  uint32_t *total);

/* Statistics */
int mheap_gc_stats(struct mheap *mh, struct mheap_gc_stats *stats);
int mheap_heap_stats(struct mheap *mh, struct mheap_heap_stats *stats);
int mheap_module_stats(struct mheap *mh, struct mheap_module_stats *stats);

/*
 * Batches: build a list of operations, run it in one call (or a few, when
 * signals interrupt it), then read each operation's result. The add
 * functions return the operation's index, or -ENOSPC when the buffer is
 * full.
 */
struct mheap_batch_buf {
	struct mheap_op *ops;
	uint32_t count;
	uint32_t capacity;
};

int mheap_batch_init(struct mheap_batch_buf *b, uint32_t capacity);
void mheap_batch_free(struct mheap_batch_buf *b);
void mheap_batch_reset(struct mheap_batch_buf *b);
int mheap_batch_alloc(struct mheap_batch_buf *b, uint64_t size,
		      uint32_t nrefs, uint64_t cookie);
int mheap_batch_dup(struct mheap_batch_buf *b, uint32_t handle,
		    uint32_t flags);
int mheap_batch_close(struct mheap_batch_buf *b, uint32_t handle);
int mheap_batch_set_slot(struct mheap_batch_buf *b, uint32_t handle,
			 uint64_t index, uint32_t target);
int mheap_batch_get_slot(struct mheap_batch_buf *b, uint32_t handle,
			 uint64_t index);
int mheap_batch_read(struct mheap_batch_buf *b, uint32_t handle,
		     uint64_t offset, void *buf, size_t len);
int mheap_batch_write(struct mheap_batch_buf *b, uint32_t handle,
		      uint64_t offset, const void *buf, size_t len);
/*
 * Run every operation, resuming after signals. flags: MHEAP_BATCH_CONTINUE
 * or 0 (stop at the first failure). Returns the number of operations
 * processed: all of them, or up to and including the one that failed.
 * Where a handle is taken, MHEAP_BATCH_REF(k) names the handle operation
 * k (the add functions' return value) gives (MHEAP_FEATURE_BATCH_REFS).
 */
int mheap_batch_run(struct mheap *mh, struct mheap_batch_buf *b,
		    uint32_t flags);
/* An operation's result (0 or a negative errno) and its output handle. */
int mheap_batch_result(const struct mheap_batch_buf *b, uint32_t index,
		       uint32_t *out);

/* "ENOENT"-style name of an errno value (positive or negative). */
const char *mheap_errname(int err);

#ifdef __cplusplus
}
#endif

#endif /* MHEAP_H */

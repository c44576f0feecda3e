/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Heap snapshots (mheap-snapshot's files, Documentation/snapshot.rst): the
 * parser, shared by mheapctl replay, the host core's replay and its fuzz
 * target. Plain C, no heap: it checks a file and points into it.
 */
#ifndef MHEAP_SNAPSHOT_H
#define MHEAP_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_MAGIC		"MHEAPSNP"
#define SNAPSHOT_VERSION	1
#define SNAPSHOT_HEADER_SIZE	64
/* The largest snapshot the parser takes: 2^26 objects, 2^28 edges. */
#define SNAPSHOT_MAX_OBJECTS	(1U << 26)
#define SNAPSHOT_MAX_EDGES	(1U << 28)
/* The largest file those limits allow, garbage at most every object. */
#define SNAPSHOT_MAX_BYTES	(SNAPSHOT_HEADER_SIZE + 4ULL * \
				 (3ULL * SNAPSHOT_MAX_OBJECTS + SNAPSHOT_MAX_EDGES))
/* The most references one object may have: uapi MHEAP_MAX_REFS. */
#define SNAPSHOT_MAX_OBJECT_EDGES	(1U << 20)

/**
 * struct snapshot - a parsed snapshot; the arrays point into the buffer
 * @objects: objects, numbered 0 to @objects - 1 (the snapshot ids).
 * @edges: references from one object to another, in all.
 * @garbage: objects CPython's collector found unreachable.
 * @cpython_collected: what gc.collect() returned: @garbage, plus the weak
 *	references freed when their callbacks ran (Python 3.11 counts them).
 * @cpython_ns: how long that gc.collect() took, in ns (DEBUG_SAVEALL on).
 * @nedges: per object, its references (its slots in mheap: at least 1).
 * @ext: per object, its external references (refcount minus references
 *	from the graph): nonzero for roots.
 * @edge: the references' targets, object 0's first, then object 1's...
 * @start: per object, its first reference's index in @edge (allocated).
 * @garbage_ids: CPython's garbage, ascending object numbers.
 */
struct snapshot {
	uint64_t objects, edges, garbage;
	uint64_t cpython_collected, cpython_ns;
	const uint32_t *nedges, *ext, *edge, *garbage_ids;
	uint64_t *start;
};

/*
 * Check @len bytes at @buf (4-byte aligned; byte-swapped in place on a
 * big-endian host) and fill @s. Returns 0, or -1 with one line in @err
 * (@errlen bytes): the byte offset, what was expected, what was found.
 * -1 with "out of memory" when @s->start cannot be allocated.
 */
int snapshot_parse(void *buf, size_t len, struct snapshot *s, char *err,
		   size_t errlen);

/* Free what snapshot_parse() allocated (not the buffer). */
void snapshot_free(struct snapshot *s);

/*
 * Read file @path (whole, 4-byte aligned) into *@buf (free() it), *@len
 * bytes. Returns 0, or -1 with one line in @err.
 */
int snapshot_read_file(const char *path, void **buf, size_t *len, char *err,
		       size_t errlen);

/* The slots an object gets in mheap: its references, at least one. */
static inline uint32_t snapshot_slots(const struct snapshot *s, uint64_t i)
{
	return s->nedges[i] ? s->nedges[i] : 1;
}

#endif /* MHEAP_SNAPSHOT_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Heap snapshots: the parser (snapshot.h; the format is
 * Documentation/snapshot.rst). Every check names the byte offset, what
 * was expected and what was found, so that a bad file is one clear line.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

/* The header's fields: counts within limits, the file's exact size. */
static int parse_header(const unsigned char *b, size_t len,
			struct snapshot *s, char *err, size_t errlen)
{
	uint64_t want;

	if (len < SNAPSHOT_HEADER_SIZE)
		return fail(err, errlen, "byte 0: expected a %d-byte header, found a %zu-byte file",
			    SNAPSHOT_HEADER_SIZE, len);
	if (memcmp(b, SNAPSHOT_MAGIC, 8))
		return fail(err, errlen, "byte 0: expected magic \"%s\", found %02x %02x %02x %02x...",
			    SNAPSHOT_MAGIC, b[0], b[1], b[2], b[3]);
	if (get32(b + 8) != SNAPSHOT_VERSION)
		return fail(err, errlen, "byte 8: expected version %d, found %u",
			    SNAPSHOT_VERSION, get32(b + 8));
	if (get32(b + 12) != SNAPSHOT_HEADER_SIZE)
		return fail(err, errlen, "byte 12: expected header size %d, found %u",
			    SNAPSHOT_HEADER_SIZE, get32(b + 12));
	s->objects = get64(b + 16);
	s->edges = get64(b + 24);
	s->garbage = get64(b + 32);
	s->cpython_collected = get64(b + 40);
	s->cpython_ns = get64(b + 48);
	if (s->objects > SNAPSHOT_MAX_OBJECTS)
		return fail(err, errlen, "byte 16: expected at most %u objects, found %llu",
			    SNAPSHOT_MAX_OBJECTS, (unsigned long long)s->objects);
	if (s->edges > SNAPSHOT_MAX_EDGES)
		return fail(err, errlen, "byte 24: expected at most %u edges, found %llu",
			    SNAPSHOT_MAX_EDGES, (unsigned long long)s->edges);
	if (s->garbage > s->objects)
		return fail(err, errlen, "byte 32: expected at most %llu garbage objects (the objects), found %llu",
			    (unsigned long long)s->objects,
			    (unsigned long long)s->garbage);
	if (s->cpython_collected < s->garbage)
		return fail(err, errlen, "byte 40: expected gc.collect()'s count to be at least the garbage, %llu, found %llu",
			    (unsigned long long)s->garbage,
			    (unsigned long long)s->cpython_collected);
	if (get64(b + 56))
		return fail(err, errlen, "byte 56: expected 0 (reserved), found %llu",
			    (unsigned long long)get64(b + 56));
	want = SNAPSHOT_HEADER_SIZE + 4 * (2 * s->objects + s->edges + s->garbage);
	if (len != want)
		return fail(err, errlen, "byte %zu: expected the file to end at byte %llu (the header's counts), found %zu bytes",
			    len < want ? len : (size_t)want,
			    (unsigned long long)want, len);
	return 0;
}

/* Per-object edge counts: within limits, summing to the header's edges. */
static int parse_objects(struct snapshot *s, char *err, size_t errlen)
{
	uint64_t i, sum = 0;

	s->start = malloc((s->objects + 1) * sizeof(*s->start));
	if (!s->start)
		return fail(err, errlen, "out of memory for %llu objects",
			    (unsigned long long)s->objects);
	for (i = 0; i < s->objects; i++) {
		size_t off = SNAPSHOT_HEADER_SIZE + 4 * i;

		if (s->nedges[i] > SNAPSHOT_MAX_OBJECT_EDGES)
			return fail(err, errlen, "byte %zu: expected at most %u references for object %llu, found %u",
				    off, SNAPSHOT_MAX_OBJECT_EDGES,
				    (unsigned long long)i, s->nedges[i]);
		s->start[i] = sum;
		sum += s->nedges[i];
		if (sum > s->edges)
			return fail(err, errlen, "byte %zu: expected per-object reference counts summing to %llu (the header's edges), found more by object %llu",
				    off, (unsigned long long)s->edges,
				    (unsigned long long)i);
	}
	s->start[i] = sum;
	if (sum != s->edges)
		return fail(err, errlen, "byte %llu: expected per-object reference counts summing to %llu (the header's edges), found %llu",
			    (unsigned long long)(SNAPSHOT_HEADER_SIZE + 4 * s->objects),
			    (unsigned long long)s->edges,
			    (unsigned long long)sum);
	return 0;
}

/* Edge targets in range; garbage ascending, in range, with no roots. */
static int parse_refs(struct snapshot *s, char *err, size_t errlen)
{
	uint64_t base = SNAPSHOT_HEADER_SIZE + 8 * s->objects, i;
	uint32_t prev = 0;

	for (i = 0; i < s->edges; i++)
		if (s->edge[i] >= s->objects)
			return fail(err, errlen, "byte %llu: expected an object number below %llu, found %u",
				    (unsigned long long)(base + 4 * i),
				    (unsigned long long)s->objects, s->edge[i]);
	base += 4 * s->edges;
	for (i = 0; i < s->garbage; i++) {
		uint32_t g = s->garbage_ids[i];

		if (g >= s->objects || (i && g <= prev))
			return fail(err, errlen, "byte %llu: expected a garbage object number above %lld and below %llu, found %u",
				    (unsigned long long)(base + 4 * i),
				    i ? (long long)prev : -1LL,
				    (unsigned long long)s->objects, g);
		if (s->ext[g])
			return fail(err, errlen, "byte %llu: expected garbage object %u to have no external references, found %u",
				    (unsigned long long)(base + 4 * i), g,
				    s->ext[g]);
		prev = g;
	}
	return 0;
}

int snapshot_parse(void *buf, size_t len, struct snapshot *s, char *err,
		   size_t errlen)
{
	uint32_t *w = buf;
	size_t i, words;

	memset(s, 0, sizeof(*s));
	if (parse_header(buf, len, s, err, errlen))
		return -1;
	words = (len - SNAPSHOT_HEADER_SIZE) / 4;
	w += SNAPSHOT_HEADER_SIZE / 4;
	for (i = 0; i < words; i++)
		w[i] = le32toh(w[i]);
	s->nedges = w;
	s->ext = w + s->objects;
	s->edge = w + 2 * s->objects;
	s->garbage_ids = s->edge + s->edges;
	if (parse_objects(s, err, errlen) || parse_refs(s, err, errlen)) {
		snapshot_free(s);
		return -1;
	}
	return 0;
}

void snapshot_free(struct snapshot *s)
{
	free(s->start);
	s->start = NULL;
}

int snapshot_read_file(const char *path, void **buf, size_t *len, char *err,
		       size_t errlen)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	void *b;
	/* O_NONBLOCK: a FIFO without a writer must not hang the open */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return fail(err, errlen, "%s", strerror(errno));
	if (fstat(fd, &st)) {
		close(fd);
		return fail(err, errlen, "%s", strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, "expected a regular file (the size is read first), found another kind");
	}
	if ((uint64_t)st.st_size > SNAPSHOT_MAX_BYTES) {
		close(fd);
		return fail(err, errlen, "byte %llu: expected at most %llu bytes (the format's limits), found %lld",
			    (unsigned long long)SNAPSHOT_MAX_BYTES,
			    (unsigned long long)SNAPSHOT_MAX_BYTES,
			    (long long)st.st_size);
	}
	/* at least one byte, and a multiple of 4, for snapshot_parse() */
	b = aligned_alloc(4, ((size_t)st.st_size + 4) & ~(size_t)3);
	if (!b) {
		close(fd);
		return fail(err, errlen, "out of memory for %lld bytes",
			    (long long)st.st_size);
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, (char *)b + got, st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(b);
		return fail(err, errlen, "byte %zu: expected %lld bytes, could read only %zu",
			    got, (long long)st.st_size, got);
	}
	*buf = b;
	*len = got;
	return 0;
}

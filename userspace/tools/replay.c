// SPDX-License-Identifier: GPL-2.0
/*
 * mheapctl replay FILE: rebuild a real program's heap (an mheap-snapshot
 * file, Documentation/snapshot.rst) in a new heap through batches, run a
 * full collection, and require that mheap frees exactly the objects
 * CPython's collector found unreachable, object by object.
 *
 * The mapping: object k becomes an object with max(1, its references)
 * slots (so that mheap tracks it, as CPython tracks a container of
 * untracked things, and counts it when it collects it) and cookie k + 1.
 * Objects with external references keep their allocation's handle; the
 * others' handles are closed once the graph is linked. A weak handle on
 * every object tells, after the collection, which ones were freed: a
 * zero-byte READ of it gives ESTALE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mheap.h"
#include "replay.h"
#include "snapshot.h"

#define CHUNK	4096	/* operations per batch */

struct replay {
	struct mheap *mh;
	const struct snapshot *s;
	struct mheap_batch_buf b;
	uint32_t *strong, *weak;
	unsigned char *freed;
	char what[160];
};

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Run the queued batch; each operation's output handle goes to @out at
 * the object its operation was queued for (@obj), when @out is set. With
 * @stale, ESTALE marks the object freed instead of failing.
 */
static int flush(struct replay *r, const uint64_t *obj, uint32_t *out,
		 int stale)
{
	uint32_t i, n = r->b.count, h;
	int ret, err;

	if (!n)
		return 0;
	ret = mheap_batch_run(r->mh, &r->b, MHEAP_BATCH_CONTINUE);
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		err = mheap_batch_result(&r->b, i, &h);
		if (err == -ESTALE && stale) {
			r->freed[obj[i]] = 1;
		} else if (err) {
			char what[sizeof(r->what)];

			snprintf(what, sizeof(what), "%.100s for object %llu",
				 r->what, (unsigned long long)obj[i]);
			strcpy(r->what, what);
			mheap_batch_reset(&r->b);
			return err;
		} else if (out) {
			out[obj[i]] = h;
		}
	}
	mheap_batch_reset(&r->b);
	return 0;
}

/* Queue one operation (its index comes back), flushing when full. */
#define QUEUE(r, objs, k, out, stale, add) ({				\
	int err_ = 0;							\
	if ((r)->b.count == CHUNK)					\
		err_ = flush(r, objs, out, stale);			\
	if (!err_) {							\
		objs[(r)->b.count] = (k);				\
		err_ = (add) < 0 ? -ENOSPC : 0;				\
	}								\
	err_;								\
})

static int build(struct replay *r)
{
	const struct snapshot *s = r->s;
	uint64_t objs[CHUNK], k, e;
	int err = 0;

	snprintf(r->what, sizeof(r->what), "alloc");
	for (k = 0; !err && k < s->objects; k++)
		err = QUEUE(r, objs, k, r->strong, 0,
			    mheap_batch_alloc(&r->b, 0, snapshot_slots(s, k), k + 1));
	if (!err)
		err = flush(r, objs, r->strong, 0);
	snprintf(r->what, sizeof(r->what), "set_slot");
	for (k = 0; !err && k < s->objects; k++)
		for (e = s->start[k]; !err && e < s->start[k + 1]; e++)
			err = QUEUE(r, objs, k, NULL, 0,
				    mheap_batch_set_slot(&r->b, r->strong[k],
							 e - s->start[k],
							 r->strong[s->edge[e]]));
	if (!err)
		err = flush(r, objs, NULL, 0);
	snprintf(r->what, sizeof(r->what), "dup (weak)");
	for (k = 0; !err && k < s->objects; k++)
		err = QUEUE(r, objs, k, r->weak, 0,
			    mheap_batch_dup(&r->b, r->strong[k], MHEAP_DUP_WEAK));
	if (!err)
		err = flush(r, objs, r->weak, 0);
	snprintf(r->what, sizeof(r->what), "close");
	for (k = 0; !err && k < s->objects; k++)
		if (!s->ext[k])
			err = QUEUE(r, objs, k, NULL, 0,
				    mheap_batch_close(&r->b, r->strong[k]));
	if (!err)
		err = flush(r, objs, NULL, 0);
	return err;
}

/* Which objects are gone: a zero-byte READ of each weak handle. */
static int find_freed(struct replay *r)
{
	uint64_t objs[CHUNK], k;
	int err = 0;

	snprintf(r->what, sizeof(r->what), "read (weak)");
	for (k = 0; !err && k < r->s->objects; k++)
		err = QUEUE(r, objs, k, NULL, 1,
			    mheap_batch_read(&r->b, r->weak[k], 0, NULL, 0));
	if (!err)
		err = flush(r, objs, NULL, 1);
	return err;
}

/* mheap's freed set against CPython's garbage; prints the first misses. */
static int compare(struct replay *r, uint64_t collected)
{
	const struct snapshot *s = r->s;
	uint64_t k, g = 0, missing = 0, extra = 0;

	for (k = 0; k < s->objects; k++) {
		int cpython = g < s->garbage && s->garbage_ids[g] == k;

		g += cpython;
		if (cpython == r->freed[k])
			continue;
		if (cpython)
			missing++;
		else
			extra++;
		if (missing + extra <= 5)
			fprintf(stderr, "mheapctl replay: object %llu: %s\n",
				(unsigned long long)k, cpython ?
				"CPython's garbage, mheap kept it" :
				"mheap freed it, CPython kept it");
	}
	if (missing || extra || collected != s->garbage) {
		fprintf(stderr, "mheapctl replay: mismatch: collect() returned %llu, CPython %llu; %llu of CPython's garbage kept, %llu others freed\n",
			(unsigned long long)collected,
			(unsigned long long)s->garbage,
			(unsigned long long)missing, (unsigned long long)extra);
		return -1;
	}
	return 0;
}

static int setup(struct replay *r, const char *device)
{
	struct mheap_config cfg;
	int err;

	snprintf(r->what, sizeof(r->what), "cannot open %s", device);
	err = mheap_open(device, &r->mh);
	if (!err) {
		snprintf(r->what, sizeof(r->what), "config");
		err = mheap_get_config(r->mh, &cfg);
	}
	if (!err) {
		snprintf(r->what, sizeof(r->what), "set capacity");
		err = mheap_set_capacity(r->mh, cfg.capacity_max);
	}
	if (!err) {
		snprintf(r->what, sizeof(r->what), "gc disable");
		err = mheap_gc_enable(r->mh, 0);
	}
	if (!err) {
		snprintf(r->what, sizeof(r->what), "batch");
		err = mheap_batch_init(&r->b, CHUNK);
	}
	return err;
}

static int run(struct replay *r, const char *device, int *mismatch)
{
	const struct snapshot *s = r->s;
	struct mheap_heap_stats hs;
	double t0, t_build, t_collect;
	uint64_t collected;
	int err;

	err = setup(r, device);
	if (err)
		return err;
	t0 = seconds();
	err = build(r);
	if (err)
		return err;
	t_build = seconds() - t0;
	snprintf(r->what, sizeof(r->what), "heap stats");
	err = mheap_heap_stats(r->mh, &hs);
	if (err)
		return err;
	if (hs.objects_live != s->objects) {
		fprintf(stderr, "mheapctl replay: %llu of %llu objects live before collecting\n",
			(unsigned long long)hs.objects_live,
			(unsigned long long)s->objects);
		*mismatch = 1;
		return 0;
	}
	snprintf(r->what, sizeof(r->what), "collect");
	t0 = seconds();
	err = mheap_collect(r->mh, 2, &collected);
	t_collect = seconds() - t0;
	if (!err)
		err = find_freed(r);
	if (err)
		return err;
	*mismatch = compare(r, collected) != 0;
	printf("replayed %llu objects, %llu references: built in %.1f ms (%.0f objects/s, %.0f references/s)\n",
	       (unsigned long long)s->objects, (unsigned long long)s->edges,
	       t_build * 1e3, s->objects / t_build, s->edges / t_build);
	printf("full collection: %.2f ms, %llu objects freed; CPython's gc.collect(): %.2f ms, %llu garbage\n",
	       t_collect * 1e3, (unsigned long long)collected,
	       s->cpython_ns / 1e6, (unsigned long long)s->garbage);
	if (s->cpython_collected != s->garbage)
		printf("(CPython's gc.collect() returned %llu: it also counts the weak references freed when their callbacks ran)\n",
		       (unsigned long long)s->cpython_collected);
	printf("%s\n", *mismatch ? "MISMATCH: mheap's garbage is not CPython's" :
	       "exact: mheap freed CPython's garbage, object by object");
	return 0;
}

int replay_file(const char *path, const char *device)
{
	struct replay r = { 0 };
	struct snapshot s;
	char err[256];
	void *buf = NULL;
	size_t len;
	int ret = 1, mismatch = 0, e;

	if (snapshot_read_file(path, &buf, &len, err, sizeof(err)) ||
	    snapshot_parse(buf, len, &s, err, sizeof(err))) {
		fprintf(stderr, "mheapctl replay: %s: %s\n", path, err);
		free(buf);
		return 1;
	}
	r.s = &s;
	if (2 * s.objects > MHEAP_MAX_HANDLES) {
		fprintf(stderr, "mheapctl replay: %s: byte 16: expected at most %u objects through the ioctls (two handles each), found %llu\n",
			path, MHEAP_MAX_HANDLES / 2,
			(unsigned long long)s.objects);
		goto out;
	}
	r.strong = calloc(s.objects + 1, sizeof(*r.strong));
	r.weak = calloc(s.objects + 1, sizeof(*r.weak));
	r.freed = calloc(s.objects + 1, 1);
	if (!r.strong || !r.weak || !r.freed) {
		fprintf(stderr, "mheapctl replay: out of memory\n");
		goto out;
	}
	e = run(&r, device, &mismatch);
	if (e)
		fprintf(stderr, "mheapctl replay: %s: %s (%s)\n", r.what,
			mheap_errname(e), strerror(-e));
	else
		ret = mismatch;
out:
	/* closing the heap's only client destroys it: nothing is left */
	if (r.mh)
		mheap_close(r.mh);
	mheap_batch_free(&r.b);
	free(r.strong);
	free(r.weak);
	free(r.freed);
	snapshot_free(&s);
	free(buf);
	return ret;
}

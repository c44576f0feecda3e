// SPDX-License-Identifier: GPL-2.0
/*
 * Real heaps on the host core: replay mheap-snapshot files
 * (Documentation/snapshot.rst) into the portable core, built for the host.
 *
 *   replay_core FILE...          make check: each snapshot's exact
 *                                comparison with CPython, one KTAP line
 *   replay_core --bench FILE...  make bench: full collections beside
 *                                CPython's gc.collect() on the same heap
 *                                and beside one pass over the edges
 *
 * The mapping (as mheapctl replay's): object k becomes an object with
 * max(1, its references) slots and cookie k + 1; every object with
 * external references keeps the reference its allocation gave, the
 * others drop it once the graph is linked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "object.h"
#include "gc.h"
#include "snapshot.h"

#define ROUNDS	3

static __attribute__((unused)) u64 now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static __attribute__((unused)) int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return (x > y) - (x < y);
}

/* Build @s in @heap; @ids[k] is object k. Returns 0 or an errno. */
static int build(struct mheap *heap, const struct snapshot *s, u32 *ids)
{
	u64 k, e;
	int err;

	for (k = 0; k < s->objects; k++) {
		err = mheap_object_alloc(heap, 0, snapshot_slots(s, k), k + 1,
					 &ids[k]);
		if (err)
			return err;
	}
	for (k = 0; k < s->objects; k++)
		for (e = s->start[k]; e < s->start[k + 1]; e++) {
			err = mheap_object_set_slot(heap, ids[k],
						    e - s->start[k],
						    ids[s->edge[e]]);
			if (err)
				return err;
		}
	for (k = 0; k < s->objects; k++)
		if (!s->ext[k])
			mheap_object_put(heap, ids[k]);
	return 0;
}

/* Drop what build() kept: the roots' references. */
static void drop_roots(struct mheap *heap, const struct snapshot *s,
		       const u32 *ids)
{
	u64 k;

	for (k = 0; k < s->objects; k++)
		if (s->ext[k])
			mheap_object_put(heap, ids[k]);
}

/*
 * The exact comparison: what save-all mode keeps, by cookie, must be
 * CPython's garbage, object by object. Returns 0, or -1 with a reason.
 */
static int compare(struct mheap *heap, const struct snapshot *s, long found,
		   char *why, size_t len)
{
	size_t n = mheap_gc_garbage(heap, NULL, 0), i;
	struct mheap_object_info info;
	u32 *got = calloc(n + 1, sizeof(*got));
	int ret = 0;

	if (!got) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	mheap_gc_garbage(heap, got, n);
	for (i = 0; i < n; i++) {
		mheap_object_info(heap, got[i], &info);
		got[i] = info.cookie - 1;
	}
	qsort(got, n, sizeof(*got), cmp_u32);
	if ((u64)found != s->garbage || n != s->garbage) {
		snprintf(why, len, "collect() found %ld, kept %zu; CPython %llu",
			 found, n, (unsigned long long)s->garbage);
		ret = -1;
	}
	for (i = 0; !ret && i < n; i++)
		if (got[i] != s->garbage_ids[i]) {
			snprintf(why, len, "garbage #%zu is object %u; CPython's is %u",
				 i, got[i], s->garbage_ids[i]);
			ret = -1;
		}
	free(got);
	return ret;
}

static int load(const char *path, void **buf, struct snapshot *s)
{
	char err[256];
	size_t len;

	if (snapshot_read_file(path, buf, &len, err, sizeof(err)) ||
	    snapshot_parse(*buf, len, s, err, sizeof(err))) {
		fprintf(stderr, "replay_core: %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

/* make check: one KTAP line per file. */
static int check_one(const char *path, unsigned int n, FILE *out)
{
	struct mheap *heap = mheap_create(4ULL * SZ_1G, 4ULL * SZ_1G);
	char why[256] = "";
	struct snapshot s;
	void *buf = NULL;
	u32 *ids = NULL;
	long found = -1;
	int ok = 0;

	if (heap && !load(path, &buf, &s)) {
		ids = calloc(s.objects + 1, sizeof(*ids));
		mheap_lock(heap);
		mheap_gc_enable(heap, false);
		if (!ids || build(heap, &s, ids))
			snprintf(why, sizeof(why), "building failed");
		else if (mheap_objects_live(heap) != s.objects)
			snprintf(why, sizeof(why), "%llu of %llu objects live before collecting",
				 (unsigned long long)mheap_objects_live(heap),
				 (unsigned long long)s.objects);
		else {
			mheap_gc_set_save_all(heap, true);
			found = mheap_gc_collect(heap, 2);
			ok = !compare(heap, &s, found, why, sizeof(why));
			mheap_gc_release_garbage(heap);
			drop_roots(heap, &s, ids);
			mheap_gc_set_save_all(heap, false);
			mheap_gc_collect(heap, 2);
			if (ok && mheap_objects_live(heap)) {
				snprintf(why, sizeof(why), "%llu objects left",
					 (unsigned long long)mheap_objects_live(heap));
				ok = 0;
			}
		}
		mheap_unlock(heap);
		fprintf(out, "# %s: %llu objects, %llu edges, %llu garbage; mheap found %ld\n",
		       path, (unsigned long long)s.objects,
		       (unsigned long long)s.edges,
		       (unsigned long long)s.garbage, found);
		snapshot_free(&s);
	}
	fprintf(out, "%s %u replay %s%s%s\n", ok ? "ok" : "not ok", n, path,
	       why[0] ? " # " : "", why);
	free(ids);
	free(buf);
	if (heap)
		mheap_destroy(heap);
	return ok ? 0 : 1;
}

#ifndef REPLAY_CORE_NO_MAIN
/* One pass over an array of @n 32-bit ids, as the edges are: the floor. */
static u64 floor_ns(const struct snapshot *s)
{
	u64 t[ROUNDS], sum, i;
	volatile u64 sink;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		u64 start = now();

		sum = 0;
		for (i = 0; i < s->edges; i++)
			sum += s->edge[i];
		sink = sum;
		t[r] = now() - start;
	}
	(void)sink;
	qsort(t, ROUNDS, sizeof(*t), cmp_u64);
	return t[ROUNDS / 2];
}

/* make bench: median of ROUNDS builds and full collections (freeing). */
static int bench_one(const char *path)
{
	u64 build_t[ROUNDS], collect_t[ROUNDS], start, fl;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct snapshot s;
	void *buf;
	u32 *ids;
	int r;

	if (load(path, &buf, &s))
		return 1;
	ids = calloc(s.objects + 1, sizeof(*ids));
	if (!ids)
		return 1;
	for (r = 0; r < ROUNDS; r++) {
		struct mheap *heap = mheap_create(4ULL * SZ_1G, 4ULL * SZ_1G);

		if (!heap)
			return 1;
		mheap_lock(heap);
		mheap_gc_enable(heap, false);
		start = now();
		if (build(heap, &s, ids))
			return 1;
		build_t[r] = now() - start;
		start = now();
		if ((u64)mheap_gc_collect(heap, 2) != s.garbage)
			return 1;
		collect_t[r] = now() - start;
		drop_roots(heap, &s, ids);
		mheap_gc_collect(heap, 2);
		mheap_unlock(heap);
		mheap_destroy(heap);
	}
	qsort(build_t, ROUNDS, sizeof(u64), cmp_u64);
	qsort(collect_t, ROUNDS, sizeof(u64), cmp_u64);
	fl = floor_ns(&s);
	printf("%-12s %9llu %9llu %9llu %10.2f %9.2f %8.1f %8.1f %9.1f\n", name,
	       (unsigned long long)s.objects, (unsigned long long)s.edges,
	       (unsigned long long)s.garbage, s.cpython_ns / 1e6,
	       collect_t[ROUNDS / 2] / 1e6,
	       (double)s.cpython_ns / collect_t[ROUNDS / 2],
	       (double)collect_t[ROUNDS / 2] / fl, build_t[ROUNDS / 2] / 1e6);
	snapshot_free(&s);
	free(ids);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int i, bench = argc > 1 && !strcmp(argv[1], "--bench"), rc = 0;

	if (argc < 2 + bench) {
		fprintf(stderr, "usage: replay_core [--bench] FILE...\n");
		return 2;
	}
	if (bench) {
		printf("real heaps: full collections, median of %d rounds, one run\n"
		       "CPython: gc.collect() on the program's own heap, timed by mheap-snapshot (DEBUG_SAVEALL: it keeps its garbage; mheap frees it)\n"
		       "speedup = CPython / mheap; x floor = mheap / one pass over the edges\n\n",
		       ROUNDS);
		printf("%-12s %9s %9s %9s %10s %9s %8s %8s %9s\n", "workload",
		       "objects", "edges", "garbage", "CPython ms", "mheap ms",
		       "speedup", "x floor", "build ms");
		for (i = 2; i < argc; i++)
			rc |= bench_one(argv[i]);
		return rc;
	}
	printf("TAP version 13\n1..%d\n", argc - 1);
	for (i = 1; i < argc; i++)
		rc |= check_one(argv[i], i, stdout);
	return rc;
}
#endif /* REPLAY_CORE_NO_MAIN */

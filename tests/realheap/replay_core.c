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
 * external references keeps the reference its allocation gave, in a
 * handle of one client, as mheapctl replay's objects keep their
 * allocation's handle; the others drop it once the graph is linked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handle.h"
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

/*
 * Build @s in @client's heap; @ids[k] is object k, and @ids[s->objects +
 * k] its handle when it has external references. Returns 0 or an errno.
 */
static int build(struct mheap_client *client, const struct snapshot *s,
		 u32 *ids)
{
	struct mheap *heap = client->heap;
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
	for (k = 0; k < s->objects; k++) {
		if (!s->ext[k]) {
			mheap_object_put(heap, ids[k]);
			continue;
		}
		err = mheap_handle_install(client, ids[k], &ids[s->objects + k]);
		if (err)
			return err;
	}
	return 0;
}

/* Drop what build() kept: the roots' handles. */
static void drop_roots(struct mheap_client *client, const struct snapshot *s,
		       const u32 *ids)
{
	u64 k;

	for (k = 0; k < s->objects; k++)
		if (s->ext[k])
			mheap_handle_close(client, ids[s->objects + k]);
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
	struct mheap_client *client = NULL;
	char why[256] = "";
	struct snapshot s;
	void *buf = NULL;
	u32 *ids = NULL;
	long found = -1;
	int ok = 0;

	if (heap && !load(path, &buf, &s)) {
		ids = calloc(2 * s.objects + 1, sizeof(*ids));
		mheap_lock(heap);
		mheap_gc_enable(heap, false);
		client = mheap_client_create(heap);
		if (!ids || !client || build(client, &s, ids))
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
			drop_roots(client, &s, ids);
			mheap_gc_set_save_all(heap, false);
			mheap_gc_collect(heap, 2);
			if (ok && mheap_objects_live(heap)) {
				snprintf(why, sizeof(why), "%llu objects left",
					 (unsigned long long)mheap_objects_live(heap));
				ok = 0;
			}
		}
		mheap_client_destroy(client);
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

/*
 * One build and full collection of @s, timed: the build in @build_ns, the
 * collection in @collect_ns, in save-all mode (the garbage kept, as
 * CPython's DEBUG_SAVEALL keeps it) or not (freed). Returns 0 or -1.
 */
static int timed_collect(const struct snapshot *s, u32 *ids, bool save_all,
			 u64 *build_ns, u64 *collect_ns)
{
	struct mheap *heap = mheap_create(4ULL * SZ_1G, 4ULL * SZ_1G);
	struct mheap_client *client;
	u64 start;
	long found;

	if (!heap)
		return -1;
	mheap_lock(heap);
	mheap_gc_enable(heap, false);
	mheap_gc_set_save_all(heap, save_all);
	client = mheap_client_create(heap);
	start = now();
	if (!client || build(client, s, ids)) {
		mheap_client_destroy(client);
		mheap_unlock(heap);
		mheap_destroy(heap);
		return -1;
	}
	*build_ns = now() - start;
	start = now();
	found = mheap_gc_collect(heap, 2);
	*collect_ns = now() - start;
	mheap_gc_release_garbage(heap);
	drop_roots(client, s, ids);
	mheap_gc_set_save_all(heap, false);
	mheap_gc_collect(heap, 2);
	mheap_client_destroy(client);
	mheap_unlock(heap);
	mheap_destroy(heap);
	return (u64)found == s->garbage ? 0 : -1;
}

static u64 median(u64 *t)
{
	qsort(t, ROUNDS, sizeof(*t), cmp_u64);
	return t[ROUNDS / 2];
}

/*
 * make bench: medians of ROUNDS builds and full collections, freeing and
 * in save-all mode; the speedup compares like with like (save-all both),
 * against @cpython_ns.
 */
static int bench_one(const char *path, u64 cpython_ns)
{
	u64 build_t[ROUNDS], free_t[ROUNDS], keep_t[ROUNDS], b, keep, fl;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct snapshot s;
	void *buf;
	u32 *ids;
	int r, ret = 0;

	if (load(path, &buf, &s))
		return 1;
	ids = calloc(2 * s.objects + 1, sizeof(*ids));
	for (r = 0; ids && !ret && r < ROUNDS; r++)
		ret = timed_collect(&s, ids, false, &build_t[r], &free_t[r]) ||
		      timed_collect(&s, ids, true, &b, &keep_t[r]);
	if (!ids || ret) {
		fprintf(stderr, "replay_core: %s: replay failed\n", path);
		ret = 1;
		goto out;
	}
	keep = median(keep_t);
	fl = floor_ns(&s);
	printf("%-12s %8llu %8llu %8llu %9.2f %9.2f %9.2f %7.1f %7.1f %8.1f\n",
	       name, (unsigned long long)s.objects, (unsigned long long)s.edges,
	       (unsigned long long)s.garbage, cpython_ns / 1e6, keep / 1e6,
	       median(free_t) / 1e6, (double)cpython_ns / keep,
	       (double)keep / fl, median(build_t) / 1e6);
out:
	snapshot_free(&s);
	free(ids);
	free(buf);
	return ret;
}

static const char *base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * The files of one workload are those with argv[@first]'s name (one per
 * run of tests/realheap/workloads.sh): CPython's time is the median of
 * theirs, each one gc.collect(); the core replays the first. Later files
 * of a group already seen are skipped.
 */
static int bench_group(char **argv, int first, int argc)
{
	u64 t[64];
	struct snapshot s;
	void *buf;
	int i, n = 0;

	for (i = 2; i < first; i++)
		if (!strcmp(base(argv[i]), base(argv[first])))
			return 0;
	for (i = first; i < argc && n < 64; i++) {
		if (strcmp(base(argv[i]), base(argv[first])))
			continue;
		if (load(argv[i], &buf, &s))
			return 1;
		t[n++] = s.cpython_ns;
		snapshot_free(&s);
		free(buf);
	}
	qsort(t, n, sizeof(*t), cmp_u64);
	return bench_one(argv[first], t[n / 2]);
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
		       "CPython: gc.collect() on the program's own heap with DEBUG_SAVEALL, timed by\n"
		       "mheap-snapshot in this run, the median over the workload's runs\n"
		       "mheap save-all: the same mode on the core (the garbage kept, not freed);\n"
		       "mheap frees: a normal collection\n"
		       "speedup = CPython / mheap save-all; x floor = mheap save-all / one pass over the edges\n"
		       "target: speedup at least 5 on every workload\n\n",
		       ROUNDS);
		printf("%-12s %8s %8s %8s %9s %9s %9s %7s %7s %8s\n", "workload",
		       "objects", "edges", "garbage", "CPython", "save-all",
		       "frees", "speedup", "x floor", "build");
		printf("%-12s %8s %8s %8s %9s %9s %9s %7s %7s %8s\n", "", "", "",
		       "", "ms", "ms", "ms", "", "", "ms");
		for (i = 2; i < argc; i++)
			rc |= bench_group(argv, i, argc);
		return rc;
	}
	printf("TAP version 13\n1..%d\n", argc - 1);
	for (i = 1; i < argc; i++)
		rc |= check_one(argv[i], i, stdout);
	return rc;
}
#endif /* REPLAY_CORE_NO_MAIN */

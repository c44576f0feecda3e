// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, the collector: pyperformance's two GC shapes on the heap's
 * core (built for the host with optimisation), beside CPython's figures
 * for the same shapes (gc_bench.py, run just before by Debian's
 * /usr/bin/python3; its output file is the first argument), Boehm GC's
 * with one marker (boehm_bench.c, the second argument) and a plain array
 * walk over the same number of edges, the memory-bound floor; with issue
 * 20's throughput targets beside them. Not a test: it prints figures, it
 * passes or fails nothing.
 *
 *   traversal      1,000 levels, level n holding n references to level
 *                  n - 1; a full collection with everything alive
 *   dropped N      N cycles of 21 nodes, each holding its next and its
 *                  previous, dropped, then collected
 *   live N         the same cycles kept alive by a handle each, as a
 *                  client keeps objects (and CPython's list, Boehm's
 *                  roots), collected
 *   bare N         the same, each kept by a bare count instead, which no
 *                  client can hold: the collector knows no root and
 *                  counts every reference (the live case before the
 *                  roots were marked alive, gc.c: mark_roots_alive())
 *   gen0 pause     a generation-0 collection of 1,000 young objects with
 *                  10,000 and with 10,000,000 old objects in the heap
 *   nodes N        issue 21's node pattern: N times, create a node of two
 *                  slots, link it from the one before and drop the
 *                  reference to the one before; then drop the head, and
 *                  the list goes with it. CPython does the same with a
 *                  class of two __slots__. Collectors off on both sides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_core.h"
#include "bench_util.h"
#include "handle.h"
#include "object.h"
#include "gc.h"

#define ROUNDS		5
#define LEVELS		1000
#define CYCLE_LEN	21

static u64 median(u64 *t)
{
	qsort(t, ROUNDS, sizeof(*t), cmp_u64);
	return t[ROUNDS / 2];
}

static u64 collect_ns(unsigned int gen)
{
	u64 start = now();

	if (mheap_gc_collect(heap, gen) < 0)
		abort();
	return now() - start;
}

/* The floor: one pass over an array of @n 32-bit ids, as the edges are. */
static u64 floor_ns(size_t n)
{
	u32 *edges = calloc(n, sizeof(*edges));
	volatile u64 sink;
	u64 t[ROUNDS], sum;
	size_t i;
	int r;

	if (!edges)
		abort();
	for (i = 0; i < n; i++)
		edges[i] = i * 2654435761U;
	for (r = 0; r < ROUNDS; r++) {
		u64 start = now();

		sum = 0;
		for (i = 0; i < n; i++)
			sum += edges[i];
		sink = sum;
		t[r] = now() - start;
	}
	(void)sink;
	free(edges);
	return median(t);
}

/* The client whose handles hold what the benchmarks keep alive */
static struct mheap_client *client;

/* A handle on @id, taking over the caller's reference */
static u32 hold(u32 id)
{
	u32 handle;

	if (mheap_handle_install(client, id, &handle))
		abort();
	return handle;
}

static void drop(u32 handle)
{
	if (mheap_handle_close(client, handle))
		abort();
}

static u64 traversal(u64 *edges, u64 *objects)
{
	u64 t[ROUNDS];
	u32 cur, next;
	unsigned int n, i;
	int r;

	*edges = 0;
	cur = obj(0);
	for (n = 1; n < LEVELS; n++) {
		next = obj(n);
		for (i = 0; i < n; i++)
			set(next, i, cur);
		*edges += n;
		mheap_object_put(heap, cur);
		cur = next;
	}
	*objects = LEVELS;
	cur = hold(cur);
	for (r = 0; r < ROUNDS; r++)
		t[r] = collect_ns(2);
	drop(cur);
	return median(t);
}

/* @n cycles of CYCLE_LEN nodes; returns one node of each (a reference). */
static u32 *cycles(size_t n)
{
	u32 *heads = calloc(n, sizeof(*heads));
	size_t c, i;

	if (!heads)
		abort();
	for (c = 0; c < n; c++) {
		u32 first = obj(2), node = first, new;

		for (i = 1; i < CYCLE_LEN; i++) {
			new = obj(2);
			set(node, 0, new);
			set(new, 1, node);
			if (node != first)
				mheap_object_put(heap, node);
			node = new;
		}
		set(node, 0, first);
		set(first, 1, node);
		mheap_object_put(heap, node);
		heads[c] = first;
	}
	return heads;
}

static u64 dropped(size_t n)
{
	u64 t[ROUNDS];
	size_t c;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		u32 *heads = cycles(n);

		for (c = 0; c < n; c++)
			mheap_object_put(heap, heads[c]);
		free(heads);
		t[r] = collect_ns(2);
		if (mheap_objects_live(heap))
			abort();
	}
	return median(t);
}

/* The cycles kept by handles (@held), or by bare counts, and collected */
static u64 live(size_t n, bool held)
{
	u32 *heads = cycles(n);
	u64 t[ROUNDS];
	size_t c;
	int r;

	for (c = 0; held && c < n; c++)
		heads[c] = hold(heads[c]);
	for (r = 0; r < ROUNDS; r++)
		t[r] = collect_ns(2);
	for (c = 0; c < n; c++) {
		if (held)
			drop(heads[c]);
		else
			mheap_object_put(heap, heads[c]);
	}
	free(heads);
	collect_ns(2);
	return median(t);
}

/* A young collection's pause with @old objects in generation 2. */
static u64 gen0_pause(size_t old)
{
	u32 *ids = calloc(old, sizeof(*ids)), young[1000];
	u64 t[ROUNDS];
	size_t i;
	int r;

	if (!ids)
		abort();
	for (i = 0; i < old; i++)
		ids[i] = obj(1);
	collect_ns(2);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < 1000; i++)
			young[i] = obj(1);
		t[r] = collect_ns(0);
		for (i = 0; i < 1000; i++)
			mheap_object_put(heap, young[i]);
	}
	for (i = 0; i < old; i++)
		mheap_object_put(heap, ids[i]);
	free(ids);
	return median(t);
}

/*
 * The figure for @name in a reference's output (gc_bench.py's or
 * boehm_bench.c's "name nanoseconds" lines), 0 if missing.
 */
static u64 figure(const char *file, const char *name)
{
	char key[64];
	FILE *f = fopen(file, "r");
	unsigned long long v;
	u64 found = 0;

	if (!f)
		return 0;
	while (fscanf(f, "%63s %llu", key, &v) == 2) {
		if (!strcmp(key, name))
			found = v;
	}
	fclose(f);
	return found;
}

/* Issue 20's throughput target for a case, met or not; "" when none. */
static const char *target(const char *name, u64 ns, u64 py, u64 boehm,
			  u64 floor, bool *met)
{
	if (!strcmp(name, "traversal")) {
		*met = py >= 5 * ns && 10 * ns <= 24 * floor;
		return "5x CPython, <= 2.4x floor";
	}
	if (!strcmp(name, "dropped100000")) {
		*met = ns <= 15 * floor;
		return "<= 15x floor";
	}
	if (!strcmp(name, "live100000")) {
		*met = boehm && ns <= boehm;
		return "<= Boehm";
	}
	return "";
}

/* A row of the table: @name's figures, CPython's and Boehm's for @key */
static void row(const char *name, const char *key, u64 ns, u64 objects,
		u64 edges, const char *py_file, const char *boehm_file)
{
	u64 py = figure(py_file, key), boehm = figure(boehm_file, key);
	u64 floor = floor_ns(edges);
	const char *goal;
	bool met = false;

	goal = target(name, ns, py, boehm, floor, &met);
	printf("%-14s %9.3f %7.2f %9.3f %7.1f %9.3f %7.2f %8.3f %7.2f  %s%s\n",
	       name, ns / 1e6, (double)ns / objects, py / 1e6,
	       ns ? (double)py / ns : 0, boehm / 1e6,
	       boehm ? (double)ns / boehm : 0, floor / 1e6,
	       (double)ns / floor, goal,
	       *goal ? (met ? ": met" : ": NOT met") : "");
}

/* The node pattern (bench_core.h), ns for @n nodes: median of ROUNDS */
static u64 nodes(size_t n)
{
	u64 t[ROUNDS], t0;
	unsigned int r;

	for (r = 0; r < ROUNDS; r++) {
		t0 = now();
		nodes_round(n);
		t[r] = now() - t0;
	}
	return median(t);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 100, 100000 };
	const char *py = argc > 1 ? argv[1] : "";
	const char *boehm = argc > 2 ? argv[2] : "";
	u64 edges, objects, ns, py_ns;
	char name[32], key[32];
	unsigned int i;

	heap = mheap_create(4ULL * SZ_1G, 4ULL * SZ_1G);
	if (!heap)
		return 1;
	mheap_lock(heap);
	mheap_gc_enable(heap, false);
	client = mheap_client_create(heap);
	if (!client)
		return 1;
	printf("full collections, median of %d rounds, one run; CPython: "
	       "Debian's /usr/bin/python3, gc_bench.py; Boehm: Debian's libgc,\n"
	       "one marker, boehm_bench.c (its sweep is lazy: its dropped "
	       "figures free nothing yet)\n"
	       "speedup = CPython / mheap; x floor = mheap / one pass over "
	       "an array of as many edges\n\n", ROUNDS);
	printf("%-14s %9s %7s %9s %7s %9s %7s %8s %7s  %s\n", "case",
	       "mheap ms", "ns/obj", "CPython", "speedup", "Boehm ms",
	       "x Boehm", "floor ms", "x floor", "target (issue 20)");
	ns = traversal(&edges, &objects);
	row("traversal", "traversal", ns, objects, edges, py, boehm);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		objects = sizes[i] * CYCLE_LEN;
		edges = objects * 2;
		snprintf(name, sizeof(name), "dropped%zu", sizes[i]);
		row(name, name, dropped(sizes[i]), objects, edges, py, boehm);
		snprintf(key, sizeof(key), "live%zu", sizes[i]);
		row(key, key, live(sizes[i], true), objects, edges, py, boehm);
		snprintf(name, sizeof(name), "bare%zu", sizes[i]);
		row(name, key, live(sizes[i], false), objects, edges, py,
		    boehm);
	}
	printf("\ngeneration-0 pause, 1,000 young objects: %.3f ms with "
	       "10,000 old objects, ", gen0_pause(10000) / 1e6);
	printf("%.3f ms with 10,000,000\n", gen0_pause(10000000) / 1e6);
	ns = nodes(100000);
	py_ns = figure(py, "nodes100000");
	printf("\nnode pattern (issue 21), ns per node: create a 2-slot node, "
	       "link it, drop the list\n%-16s %10s %10s %8s %8s\n", "case",
	       "mheap", "CPython", "ratio", "target");
	printf("%-16s %10.1f %10.1f %8.2f %8s\n", "nodes100000", ns / 1e5,
	       py_ns / 1e5, py_ns ? (double)ns / py_ns : 0, "<= 1.00");
	mheap_client_destroy(client);
	mheap_unlock(heap);
	mheap_destroy(heap);
	return 0;
}

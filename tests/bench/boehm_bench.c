// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, the reference collector: Boehm GC 8.2 (Debian's libgc) on
 * the shapes of gc_bench.c, with one marker thread and its default
 * settings (interior pointers recognised), each collection a
 * GC_gcollect(). Prints one line per case, "name nanoseconds", the median
 * of ROUNDS; gc_bench.c reads them and prints them beside mheap's.
 *
 * Boehm sweeps lazily, during the allocations that follow: its "dropped"
 * figure is a mark of what is left and a sweep of nothing, not comparable
 * with a collector that frees what it found (gc_bench.c says so).
 */
/* for GC_set_markers_count() */
#define GC_THREADS
#include <gc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"

#define ROUNDS		5
#define LEVELS		1000
#define CYCLE_LEN	21

struct node {
	struct node *next, *prev;
};

/* in the data segment, which Boehm scans as a root */
static void **roots;

static uint64_t median(uint64_t *t)
{
	qsort(t, ROUNDS, sizeof(*t), cmp_u64);
	return t[ROUNDS / 2];
}

static uint64_t collect_ns(void)
{
	uint64_t t0 = now();

	GC_gcollect();
	return now() - t0;
}

static struct node *cycle(void)
{
	struct node *first = GC_MALLOC(sizeof(*first)), *node = first;
	int i;

	for (i = 1; i < CYCLE_LEN; i++) {
		struct node *new = GC_MALLOC(sizeof(*new));

		node->next = new;
		new->prev = node;
		node = new;
	}
	node->next = first;
	first->prev = node;
	return first;
}

static void build(size_t ncycles)
{
	size_t i;

	roots = GC_MALLOC(ncycles * sizeof(*roots));
	for (i = 0; i < ncycles; i++)
		roots[i] = cycle();
}

/* The cycles kept alive, collected. */
static uint64_t live(size_t ncycles)
{
	uint64_t t[ROUNDS];
	int r;

	build(ncycles);
	for (r = 0; r < ROUNDS; r++)
		t[r] = collect_ns();
	roots = NULL;
	GC_gcollect();
	return median(t);
}

/* The cycles dropped, then collected. */
static uint64_t dropped(size_t ncycles)
{
	uint64_t t[ROUNDS];
	int r;

	for (r = 0; r < ROUNDS; r++) {
		build(ncycles);
		roots = NULL;
		t[r] = collect_ns();
	}
	return median(t);
}

/* Level n holds n references to level n - 1; everything alive. */
static uint64_t traversal(void)
{
	void **current = NULL;
	uint64_t t[ROUNDS];
	int n, i, r;

	for (n = 1; n <= LEVELS; n++) {
		void **new = GC_MALLOC(n * sizeof(*new));

		for (i = 0; i < n; i++)
			new[i] = current;
		current = new;
	}
	roots = current;
	for (r = 0; r < ROUNDS; r++)
		t[r] = collect_ns();
	roots = NULL;
	return median(t);
}

int main(void)
{
	static const size_t sizes[] = { 100, 100000 };
	unsigned int i;

	GC_set_markers_count(1);
	GC_INIT();
	printf("traversal %llu\n", (unsigned long long)traversal());
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		printf("dropped%zu %llu\n", sizes[i],
		       (unsigned long long)dropped(sizes[i]));
		printf("live%zu %llu\n", sizes[i],
		       (unsigned long long)live(sizes[i]));
	}
	/* one marker: the initiating thread, no parallel markers */
	printf("markers %d\n", GC_get_parallel() + 1);
	printf("version %u\n", GC_get_version());
	return 0;
}

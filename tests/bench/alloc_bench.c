// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: allocation throughput of the heap's core (the very code in
 * mheap.ko, built for the host with optimisation) beside glibc malloc and
 * mimalloc, on the same patterns, measured in one run. Not a test: it
 * prints figures, it passes or fails nothing.
 *
 * An mheap "alloc" is mheap_object_alloc() of an object with no slots (a
 * 24-byte header in the meta space, the payload zeroed in the payload
 * space) and a "free" is mheap_object_put() dropping its last reference.
 * malloc and mi_malloc do not zero; every allocator gets one byte written
 * so that no call can be optimised away.
 *
 * A second table says what the targets ask of any allocator
 * bound by mheap's rules: zeroing a block alone (with the general-purpose
 * registers the kernel's code is limited to), beside glibc's whole pair;
 * and mimalloc doing mheap's job, two blocks per object (the header's in
 * the meta space, the payload's in the payload space: they never share a
 * page) both zeroed, beside mimalloc's one block.
 *
 * Debian's libmimalloc replaces malloc for the whole program when linked,
 * which would make the glibc column mimalloc too: it is loaded with
 * dlopen(RTLD_LOCAL) instead, and only mi_malloc and mi_free are used.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "object.h"

#define N	100000	/* objects per alloc-N-then-free-N round */
#define PAIRS	1000000	/* alloc-then-free pairs per round */
#define ROUNDS	9	/* the median of these is reported */

static struct mheap *heap;
static void *ptrs[N];
static u32 ids[N];

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void mheap_pairs(size_t size)
{
	u32 id;
	long i;

	for (i = 0; i < PAIRS; i++) {
		if (mheap_object_alloc(heap, size, 0, 0, &id))
			abort();
		*(volatile char *)mheap_object_payload(heap,
						mheap_object_ptr(heap, id)) = 1;
		mheap_object_put(heap, id);
	}
}

static void mheap_batch(size_t size)
{
	long i;

	for (i = 0; i < N; i++) {
		if (mheap_object_alloc(heap, size, 0, 0, &ids[i]))
			abort();
		*(volatile char *)mheap_object_payload(heap,
					mheap_object_ptr(heap, ids[i])) = 1;
	}
	for (i = 0; i < N; i++)
		mheap_object_put(heap, ids[i]);
}

#define LIBC_BENCH(name, alloc, release)				\
static void name##_pairs(size_t size)					\
{									\
	long i;								\
									\
	for (i = 0; i < PAIRS; i++) {					\
		char *p = alloc(size);					\
									\
		if (!p)							\
			abort();					\
		*(volatile char *)p = 1;				\
		release(p);						\
	}								\
}									\
									\
static void name##_batch(size_t size)					\
{									\
	long i;								\
									\
	for (i = 0; i < N; i++) {					\
		ptrs[i] = alloc(size);					\
		if (!ptrs[i])						\
			abort();					\
		*(volatile char *)ptrs[i] = 1;				\
	}								\
	for (i = 0; i < N; i++)						\
		release(ptrs[i]);					\
}

static void *(*mi_malloc)(size_t size);
static void (*mi_free)(void *ptr);

LIBC_BENCH(glibc, malloc, free)
LIBC_BENCH(mimalloc, mi_malloc, mi_free)

/*
 * Zero @bytes (a multiple of 8) at @ptr as space_fast.h's zero_small()
 * does, with no vector registers: as mheap.ko is built. Out of line, so
 * that the stores are not folded into the caller's.
 */
__attribute__((target("general-regs-only"), __noinline__))
static void zero_words(void *ptr, size_t bytes)
{
	u64 *word = ptr, *end = word + bytes / 8;

	if (bytes & 8)
		*word++ = 0;
	while (word < end) {
		word[0] = 0;
		word[1] = 0;
		word += 2;
		OPTIMIZER_HIDE_VAR(word);
	}
}

/* The payload block mheap takes for @size bytes: a multiple of 16 */
static size_t payload_block(size_t size)
{
	return size < 16 ? 16 : (size + 15) & ~(size_t)15;
}

/* Zeroing alone, once per "pair": the part of mheap's pair glibc skips */
static void zero_pairs(size_t size)
{
	static u64 block[MHEAP_SMALL_MAX / 8];
	long i;

	for (i = 0; i < PAIRS; i++) {
		zero_words(block, payload_block(size));
		*(volatile char *)block = 1;
	}
}

/* mimalloc with mheap's rules: a zeroed header block and payload block */
static void mimalloc2_pairs(size_t size)
{
	size_t bytes = payload_block(size);
	long i;

	for (i = 0; i < PAIRS; i++) {
		char *meta = mi_malloc(sizeof(struct mheap_object));
		char *p = mi_malloc(bytes);

		if (!meta || !p)
			abort();
		zero_words(meta, sizeof(struct mheap_object));
		zero_words(p, bytes);
		*(volatile char *)p = 1;
		mi_free(p);
		mi_free(meta);
	}
}

static void *metas[N];

static void mimalloc2_batch(size_t size)
{
	size_t bytes = payload_block(size);
	long i;

	for (i = 0; i < N; i++) {
		metas[i] = mi_malloc(sizeof(struct mheap_object));
		ptrs[i] = mi_malloc(bytes);
		if (!metas[i] || !ptrs[i])
			abort();
		zero_words(metas[i], sizeof(struct mheap_object));
		zero_words(ptrs[i], bytes);
		*(volatile char *)ptrs[i] = 1;
	}
	for (i = 0; i < N; i++) {
		mi_free(ptrs[i]);
		mi_free(metas[i]);
	}
}

static int load_mimalloc(void)
{
	void *lib = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		fprintf(stderr, "cannot load mimalloc: %s\n", dlerror());
		return -1;
	}
	mi_malloc = (void *(*)(size_t))dlsym(lib, "mi_malloc");
	mi_free = (void (*)(void *))dlsym(lib, "mi_free");
	return mi_malloc && mi_free ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median ns per alloc+free over ROUNDS rounds of @ops operations. */
static double median_ns(void (*fn)(size_t), size_t size, long ops)
{
	double t[ROUNDS];
	int r;

	fn(size);	/* warm up */
	for (r = 0; r < ROUNDS; r++) {
		double start = now_ns();

		fn(size);
		t[r] = (now_ns() - start) / ops;
	}
	qsort(t, ROUNDS, sizeof(t[0]), cmp_double);
	return t[ROUNDS / 2];
}

static void row(const char *pattern, size_t size, void (*m)(size_t),
		void (*g)(size_t), void (*mi)(size_t), long ops)
{
	/* interleaved, so that drift in the machine hits all three alike */
	double tm = median_ns(m, size, ops);
	double tg = median_ns(g, size, ops);
	double tmi = median_ns(mi, size, ops);

	printf("%-16s %5zu %9.1f %9.1f %9.1f %11.2f %11.2f\n", pattern, size,
	       tm, tg, tmi, tm / tg, tm / tmi);
}

/*
 * The second table: what mheap's rules cost any allocator, each figure
 * beside the one it is compared with, measured in turn (interleaved).
 */
static void floors(const size_t *sizes, unsigned int n)
{
	unsigned int i;

	printf("\nwhat mheap's rules cost by themselves, ns, same run: "
	       "zeroing the payload block (general-purpose registers), "
	       "and mimalloc\nwith two zeroed blocks per object (header and "
	       "payload, never in one page) against its one unzeroed block\n\n");
	printf("%-16s %5s %9s %9s %11s %9s %9s\n", "pattern", "bytes",
	       "zeroing", "glibc", "zero/glibc", "mi x2+0", "mi x2+0/mi");
	for (i = 0; i < n; i++) {
		double tz = median_ns(zero_pairs, sizes[i], PAIRS);
		double tg = median_ns(glibc_pairs, sizes[i], PAIRS);
		double t2 = median_ns(mimalloc2_pairs, sizes[i], PAIRS);
		double tmi = median_ns(mimalloc_pairs, sizes[i], PAIRS);

		printf("%-16s %5zu %9.1f %9.1f %11.2f %9.1f %11.2f\n",
		       "alloc-free pair", sizes[i], tz, tg, tz / tg, t2,
		       t2 / tmi);
	}
	for (i = 0; i < n; i++) {
		double t2 = median_ns(mimalloc2_batch, sizes[i], N);
		double tmi = median_ns(mimalloc_batch, sizes[i], N);

		printf("%-16s %5zu %9s %9s %11s %9.1f %11.2f\n",
		       "alloc N, free N", sizes[i], "", "", "", t2, t2 / tmi);
	}
}

static void metadata(void)
{
	struct mheap_stats st;
	long i;

	for (i = 0; i < N; i++)
		if (mheap_object_alloc(heap, 16, 0, 0, &ids[i]))
			abort();
	mheap_heap_stats(heap, &st);
	printf("\nmetadata per object: header %zu B + %zu B per slot + 8 B "
	       "with a cookie (CPython: 32 B for a tracked object)\n",
	       sizeof(struct mheap_object), sizeof(u32));
	printf("measured with %d 16-byte objects: meta space %.1f B/object, "
	       "arena and pool headers %.1f B/object\n", N,
	       (double)st.meta_used / N,
	       (double)st.arenas * sizeof(struct mheap_arena) / N +
	       (double)st.arenas * MHEAP_ARENA_PAGES *
	       sizeof(struct mheap_pool) / N);
	for (i = 0; i < N; i++)
		mheap_object_put(heap, ids[i]);
}

int main(void)
{
	static const size_t sizes[] = { 16, 64, 256 };
	unsigned int i;

	if (load_mimalloc())
		return 1;
	heap = mheap_create(256 * SZ_1M, 256 * SZ_1M);
	if (!heap)
		return 1;
	mheap_lock(heap);
	printf("ns per alloc+free, median of %d rounds, one run "
	       "(ratio < 1: mheap is faster)\n\n", ROUNDS);
	printf("%-16s %5s %9s %9s %9s %11s %11s\n", "pattern", "bytes",
	       "mheap", "glibc", "mimalloc", "mheap/glibc", "mheap/mi");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		row("alloc-free pair", sizes[i], mheap_pairs, glibc_pairs,
		    mimalloc_pairs, PAIRS);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		row("alloc N, free N", sizes[i], mheap_batch, glibc_batch,
		    mimalloc_batch, N);
	floors(sizes, sizeof(sizes) / sizeof(sizes[0]));
	metadata();
	mheap_unlock(heap);
	mheap_destroy(heap);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The C library's rates for the Python benchmark (tests/bench/
 * python_bench.py): allocate N nodes of two slots, link each to the next,
 * close them head first, one ioctl per operation and in batches of 64.
 * One line per figure, "MODE OPERATION OPS_PER_SECOND", the median of
 * RUNS runs; python_bench.py prints them beside its own. Then the node
 * pattern of issue 21, "nodes MODE NS_PER_NODE": create a node of two
 * slots, link it into a list, drop the list at the end, one ioctl per
 * operation, in batches of 64 nodes (two calls each: the links need the
 * new handles) and in batches of 64 nodes with batch-local references
 * (one call each: MHEAP_BATCH_REF).
 *
 *   ops_bench [N [RUNS]]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mheap.h"

#define BATCH 64

enum { OP_ALLOC, OP_LINK, OP_CLOSE, NR_OPS };
static const char *const op_names[NR_OPS] = { "alloc", "link", "close" };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One round, one op per ioctl: the seconds each operation kind took. */
static int round_single(struct mheap *mh, uint32_t *h, unsigned int n,
			double t[NR_OPS])
{
	unsigned int i;
	double t0;
	int err;

	t0 = now();
	for (i = 0; i < n; i++) {
		err = mheap_alloc(mh, 0, 2, 0, &h[i]);
		if (err)
			return err;
	}
	t[OP_ALLOC] = now() - t0;
	t0 = now();
	for (i = 0; i + 1 < n; i++) {
		err = mheap_set_slot(mh, h[i], 0, h[i + 1]);
		if (err)
			return err;
	}
	t[OP_LINK] = now() - t0;
	t0 = now();
	for (i = 0; i < n; i++) {
		err = mheap_release(mh, h[i]);
		if (err)
			return err;
	}
	t[OP_CLOSE] = now() - t0;
	return 0;
}

static int run_batch(struct mheap *mh, struct mheap_batch_buf *b)
{
	int done = mheap_batch_run(mh, b, 0);

	if (done < 0)
		return done;
	if ((uint32_t)done != b->count)
		return b->ops[done - 1].result ? b->ops[done - 1].result : -EIO;
	return 0;
}

/* The same round in batches of 64 operations. */
static int round_batch(struct mheap *mh, struct mheap_batch_buf *b,
		       uint32_t *h, unsigned int n, double t[NR_OPS])
{
	unsigned int i, j;
	double t0;
	int err;

	t0 = now();
	for (i = 0; i < n; i += BATCH) {
		mheap_batch_reset(b);
		for (j = i; j < n && j < i + BATCH; j++)
			mheap_batch_alloc(b, 0, 2, 0);
		err = run_batch(mh, b);
		if (err)
			return err;
		for (j = i; j < n && j < i + BATCH; j++)
			mheap_batch_result(b, j - i, &h[j]);
	}
	t[OP_ALLOC] = now() - t0;
	t0 = now();
	for (i = 0; i + 1 < n; i += BATCH) {
		mheap_batch_reset(b);
		for (j = i; j + 1 < n && j < i + BATCH; j++)
			mheap_batch_set_slot(b, h[j], 0, h[j + 1]);
		err = run_batch(mh, b);
		if (err)
			return err;
	}
	t[OP_LINK] = now() - t0;
	t0 = now();
	for (i = 0; i < n; i += BATCH) {
		mheap_batch_reset(b);
		for (j = i; j < n && j < i + BATCH; j++)
			mheap_batch_close(b, h[j]);
		err = run_batch(mh, b);
		if (err)
			return err;
	}
	t[OP_CLOSE] = now() - t0;
	return 0;
}

/*
 * The node pattern, one ioctl per operation: each new node is linked
 * from the one before, whose handle is then closed; the head's handle
 * is closed last, and the list goes with it.
 */
static int nodes_single(struct mheap *mh, unsigned int n)
{
	uint32_t head, prev, h;
	unsigned int i;
	int err;

	err = mheap_alloc(mh, 0, 2, 0, &head);
	for (prev = head, i = 1; !err && i < n; i++, prev = h) {
		err = mheap_alloc(mh, 0, 2, 0, &h);
		if (!err)
			err = mheap_set_slot(mh, prev, 0, h);
		if (!err && prev != head)
			err = mheap_release(mh, prev);
	}
	if (!err && prev != head)
		err = mheap_release(mh, prev);
	return err ? err : mheap_release(mh, head);
}

/*
 * The same in batches of 64 nodes: without references, one call for the
 * allocations and one for the links and closes; with them, one call.
 */
static int nodes_batch(struct mheap *mh, struct mheap_batch_buf *b,
		       unsigned int n, int refs)
{
	uint32_t head, prev, h[BATCH];
	unsigned int i, j, k;
	int err, a, last = 0;

	err = mheap_alloc(mh, 0, 2, 0, &head);
	for (prev = head, i = 1; !err && i < n; i += k) {
		k = n - i < BATCH ? n - i : BATCH;
		mheap_batch_reset(b);
		if (refs) {
			uint32_t p = prev;

			for (j = 0; j < k; j++) {
				a = mheap_batch_alloc(b, 0, 2, 0);
				mheap_batch_set_slot(b, p, 0, MHEAP_BATCH_REF(a));
				if (p != head)
					mheap_batch_close(b, p);
				p = MHEAP_BATCH_REF(a);
				last = a;
			}
			err = run_batch(mh, b);
			if (!err)
				mheap_batch_result(b, last, &prev);
			continue;
		}
		for (j = 0; j < k; j++)
			mheap_batch_alloc(b, 0, 2, 0);
		err = run_batch(mh, b);
		for (j = 0; !err && j < k; j++)
			mheap_batch_result(b, j, &h[j]);
		mheap_batch_reset(b);
		for (j = 0; !err && j < k; j++) {
			mheap_batch_set_slot(b, prev, 0, h[j]);
			if (prev != head)
				mheap_batch_close(b, prev);
			prev = h[j];
		}
		if (!err)
			err = run_batch(mh, b);
	}
	if (!err && prev != head)
		err = mheap_release(mh, prev);
	return err ? err : mheap_release(mh, head);
}

int main(int argc, char **argv)
{
	unsigned int n = argc > 1 ? (unsigned int)atoi(argv[1]) : 4096;
	unsigned int runs = argc > 2 ? (unsigned int)atoi(argv[2]) : 5;
	struct mheap_batch_buf b;
	struct mheap *mh;
	double *t[3][NR_OPS];
	unsigned int r, m, k;
	uint32_t *h;
	int err;

	if (n < 2 || runs < 1 || runs > 101) {
		fprintf(stderr, "usage: ops_bench [N >= 2 [RUNS 1-101]]\n");
		return 2;
	}
	h = calloc(n, sizeof(*h));
	for (m = 0; m < 3; m++)
		for (k = 0; k < NR_OPS; k++)
			t[m][k] = calloc(runs, sizeof(double));
	err = h ? mheap_open(NULL, &mh) : -ENOMEM;
	if (!err)
		err = mheap_batch_init(&b, 3 * BATCH);
	if (err) {
		fprintf(stderr, "ops_bench: %s\n", strerror(-err));
		return 1;
	}
	mheap_gc_enable(mh, 0);
	for (r = 0; r < runs; r++) {
		double one[NR_OPS], bat[NR_OPS];

		err = round_single(mh, h, n, one);
		if (!err)
			err = round_batch(mh, &b, h, n, bat);
		if (err) {
			fprintf(stderr, "ops_bench: %s\n", strerror(-err));
			return 1;
		}
		for (k = 0; k < NR_OPS; k++) {
			t[0][k][r] = one[k];
			t[1][k][r] = bat[k];
		}
	}
	for (m = 0; m < 2; m++)
		for (k = 0; k < NR_OPS; k++) {
			unsigned int ops = k == OP_LINK ? n - 1 : n;

			qsort(t[m][k], runs, sizeof(double), cmp_double);
			printf("%s %s %.0f\n", m ? "batch64" : "one-op",
			       op_names[k], ops / t[m][k][runs / 2]);
		}
	/* the node pattern: the three ways take turns, after a warm-up */
	for (r = 0; r <= runs; r++)
		for (m = 0; m < 3; m++) {
			double t0 = now();

			err = m ? nodes_batch(mh, &b, n, m == 2) :
				nodes_single(mh, n);
			if (err) {
				fprintf(stderr, "ops_bench: nodes: %s\n",
					strerror(-err));
				return 1;
			}
			if (r)
				t[m][0][r - 1] = (now() - t0) * 1e9 / n;
		}
	for (m = 0; m < 3; m++) {
		static const char *const modes[] = {
			"one-op", "batch64", "batch64-refs"
		};

		qsort(t[m][0], runs, sizeof(double), cmp_double);
		printf("nodes %s %.0f\n", modes[m], t[m][0][runs / 2]);
	}
	mheap_batch_free(&b);
	mheap_close(mh);
	return 0;
}

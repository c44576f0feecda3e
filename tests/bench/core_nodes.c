// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, in the stock-kernel VM: issue 21's node pattern on the
 * heap's core alone, as a userspace program, so that python_bench.py can
 * print, beside the ioctl figures of the same VM, what the core's own work
 * per node costs there. No ioctl does less than that work (it does the
 * handle table, the copies and the locking besides), so one-op / core is
 * the most a batch can gain over one ioctl per operation on that machine.
 * Under QEMU's TCG, which emulates every instruction, that bound is far
 * lower than with hardware virtualisation. Not a test: it prints figures.
 *
 *    core_nodes [N [RUNS]]   N >= 2 nodes (4096), RUNS 1-101 (7)
 *
 * Prints "nodes core NS", the median ns per node over RUNS runs after one
 * warm-up run, the line format of ops_bench.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_core.h"
#include "bench_util.h"
#include "gc.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 4096;
	int runs = argc > 2 ? atoi(argv[2]) : 7;
	uint64_t t[101], t0;
	int r;

	if (n < 2 || runs < 1 || runs > 101) {
		fprintf(stderr, "usage: core_nodes [N >= 2 [RUNS 1-101]]\n");
		return 2;
	}
	heap = mheap_create(SZ_1G, SZ_1G);
	if (!heap)
		return 1;
	mheap_lock(heap);
	mheap_gc_enable(heap, false);
	nodes_round(n);	/* warm up */
	for (r = 0; r < runs; r++) {
		t0 = now();
		nodes_round(n);
		t[r] = now() - t0;
	}
	mheap_unlock(heap);
	mheap_destroy(heap);
	qsort(t, runs, sizeof(t[0]), cmp_u64);
	printf("nodes core %.0f\n", (double)t[runs / 2] / n);
	return 0;
}

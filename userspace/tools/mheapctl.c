// SPDX-License-Identifier: GPL-2.0
/*
 * mheapctl: command-line front end to /dev/mheap.
 *
 * Exit status: 0 success; 1 an operation failed (one line on stderr names
 * it and its errno); 2 usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mheap.h"
#include "replay.h"
#include "view.h"

#define EXIT_FAIL	1
#define EXIT_USAGE	2

static const char *device(void)
{
	const char *path = getenv("MHEAP_DEVICE");

	return path && *path ? path : MHEAP_DEFAULT_DEVICE;
}

/* One readable line: what failed and its errno's name. */
static int fail(const char *what, int err)
{
	fprintf(stderr, "mheapctl: %s: %s (%s)\n", what, mheap_errname(err),
		strerror(err < 0 ? -err : err));
	return EXIT_FAIL;
}

/* Run @call; on failure report it and leave the current function. */
#define TRY(what, call) do {				\
	int err_ = (call);				\
	if (err_ < 0) {					\
		ret = fail(what, err_);			\
		goto out;				\
	}						\
} while (0)

static int open_heap(struct mheap **mh)
{
	int err = mheap_open(device(), mh);

	if (err) {
		char what[256];

		snprintf(what, sizeof(what), "cannot open %s", device());
		return fail(what, err);
	}
	return 0;
}

/* --- version ------------------------------------------------------------ */

/* MHEAP_FEATURE_*, by bit */
static const char *const feature_names[] = {
	"batch", "clients", "weak", "scopes", "names", "events", "mmap",
	"batch-refs",
};

static int cmd_version(int argc, char **argv)
{
	struct mheap *mh = NULL;
	uint64_t features;
	uint32_t version;
	unsigned int i;
	int ret = 0;

	(void)argc;
	(void)argv;
	if (open_heap(&mh))
		return EXIT_FAIL;
	TRY("version", mheap_version(mh, &version, &features));
	printf("mheap uapi version %u, features 0x%llx:", version,
	       (unsigned long long)features);
	for (i = 0; i < 64; i++) {
		if (!(features & (1ULL << i)))
			continue;
		if (i < sizeof(feature_names) / sizeof(feature_names[0]))
			printf(" %s", feature_names[i]);
		else
			printf(" bit%u", i);
	}
	printf("\n");
out:
	mheap_close(mh);
	return ret;
}

/* --- stats -------------------------------------------------------------- */

static int cmd_stats(int argc, char **argv)
{
	struct mheap_module_stats s;
	struct mheap *mh = NULL;
	int ret = 0;

	if (argc == 2 && !strcmp(argv[1], "--json"))
		return view_stats_json();
	if (argc != 1) {
		fprintf(stderr, "usage: mheapctl stats [--json]\n");
		return EXIT_USAGE;
	}
	if (open_heap(&mh))
		return EXIT_FAIL;
	TRY("module statistics", mheap_module_stats(mh, &s));
	/* the heap this command opened is one of them */
	printf("heaps           %llu (this command's own included)\n",
	       (unsigned long long)s.heaps);
	printf("arena_bytes     %llu\n", (unsigned long long)s.arena_bytes);
	printf("heap_capacity   %llu\n", (unsigned long long)s.capacity);
	printf("capacity_max    %llu\n", (unsigned long long)s.capacity_max);
out:
	mheap_close(mh);
	return ret;
}

/* --- demo --------------------------------------------------------------- */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int show_live(struct mheap *mh, const char *when)
{
	struct mheap_heap_stats s;
	int err = mheap_heap_stats(mh, &s);

	if (err)
		return fail("heap statistics", err);
	say("    -> %s: %llu object(s) live, %llu allocated, %llu freed",
	    when, (unsigned long long)s.objects_live,
	    (unsigned long long)s.objects_allocated,
	    (unsigned long long)s.objects_freed);
	return 0;
}

static int show_refcnt(struct mheap *mh, const char *name, uint32_t h)
{
	struct mheap_info i;
	int err = mheap_info(mh, h, &i);

	if (err)
		return fail("info", err);
	say("    %s: refcount %u, %u slot(s), %llu payload byte(s), generation %u",
	    name, i.refcnt, i.nrefs, (unsigned long long)i.size, i.generation);
	return 0;
}

static int show_generations(struct mheap *mh)
{
	struct mheap_gc_stats s;
	int err = mheap_gc_stats(mh, &s), g;

	if (err)
		return fail("collector statistics", err);
	say("    gen  count  threshold  collections  collected  examined");
	for (g = 0; g < MHEAP_GENERATIONS; g++)
		say("    %3d  %5u  %9u  %11llu  %9llu  %8llu", g, s.count[g],
		    s.threshold[g],
		    (unsigned long long)s.gen[g].collections,
		    (unsigned long long)s.gen[g].collected,
		    (unsigned long long)s.gen[g].examined);
	return 0;
}

static int cmd_demo(int argc, char **argv)
{
	uint32_t a, b, c, x, y, wx, version, h;
	uint32_t level, head, mid, tail, outer, closed, granted;
	struct mheap_event events[8];
	struct mheap_batch_buf batch = { 0 };
	struct mheap *mh = NULL;
	uint64_t features, n;
	char text[16] = "";
	int ret = 0, i;

	(void)argc;
	(void)argv;
	say("== mheap demo: a managed heap in the kernel ==");
	say("Opening %s creates a new, private heap.", device());
	if (open_heap(&mh))
		return EXIT_FAIL;
	TRY("version", mheap_version(mh, &version, &features));
	say("    uapi version %u, features 0x%llx", version,
	    (unsigned long long)features);
	TRY("collector", mheap_gc_enable(mh, 0));
	say("    (automatic collection is off, so that every step is ours)");

	say("\n1. Allocate three objects: a (payload \"hello\", 1 slot), b and c (1 slot each).");
	TRY("alloc a", mheap_alloc(mh, 16, 1, 0xa, &a));
	TRY("alloc b", mheap_alloc(mh, 16, 1, 0xb, &b));
	TRY("alloc c", mheap_alloc(mh, 16, 1, 0xc, &c));
	TRY("write a", mheap_write(mh, a, 0, "hello", 6));
	TRY("read a", mheap_read(mh, a, 0, text, 6));
	say("    handles a=%u b=%u c=%u; a's payload reads \"%s\"", a, b, c, text);
	if (show_live(mh, "after allocating"))
		goto fail;

	say("\n2. Link them: a.slot[0] -> b, b.slot[0] -> c.");
	TRY("set a.slot[0]", mheap_set_slot(mh, a, 0, b));
	TRY("set b.slot[0]", mheap_set_slot(mh, b, 0, c));
	if (show_refcnt(mh, "a", a) || show_refcnt(mh, "b", b) ||
	    show_refcnt(mh, "c", c))
		goto fail;

	say("\n3. Drop our handles on b and c: a still holds b, and b holds c.");
	TRY("close b", mheap_release(mh, b));
	TRY("close c", mheap_release(mh, c));
	if (show_live(mh, "after closing b and c"))
		goto fail;

	say("\n4. Drop a: its count reaches zero, and reference counting frees a,");
	say("   then b, then c, at once.");
	TRY("close a", mheap_release(mh, a));
	if (show_live(mh, "after closing a"))
		goto fail;

	say("\n5. Build a cycle: x.slot[0] -> y and y.slot[0] -> x; keep a weak handle on x.");
	TRY("alloc x", mheap_alloc(mh, 64, 1, 0, &x));
	TRY("alloc y", mheap_alloc(mh, 64, 1, 0, &y));
	TRY("set x.slot[0]", mheap_set_slot(mh, x, 0, y));
	TRY("set y.slot[0]", mheap_set_slot(mh, y, 0, x));
	TRY("weak handle on x", mheap_dup_weak(mh, x, &wx));
	if (show_refcnt(mh, "x", x) || show_refcnt(mh, "y", y))
		goto fail;

	say("\n6. Drop both handles. Each still holds the other: reference counting");
	say("   alone can never free them.");
	TRY("close x", mheap_release(mh, x));
	TRY("close y", mheap_release(mh, y));
	if (show_live(mh, "after closing x and y"))
		goto fail;
	TRY("info through the weak handle", mheap_info(mh, wx, &(struct mheap_info){ 0 }));
	say("    the weak handle on x still finds it: the cycle is alive, unreachable");
	if (show_generations(mh))
		goto fail;

	say("\n7. Run the cycle collector (a full collection, generation 2).");
	TRY("collect", mheap_collect(mh, 2, &n));
	say("    the collector found %llu unreachable object(s) and freed them",
	    (unsigned long long)n);
	if (show_live(mh, "after collecting"))
		goto fail;
	h = mheap_info(mh, wx, &(struct mheap_info){ 0 });
	say("    the weak handle on x now gives %s: its object is gone",
	    mheap_errname((int)h));
	TRY("close the weak handle", mheap_release(mh, wx));
	if (show_generations(mh))
		goto fail;

	say("\n8. One batch: allocate 64 objects in a single ioctl, then close them in another.");
	TRY("batch", mheap_batch_init(&batch, 64));
	for (i = 0; i < 64; i++)
		TRY("batch alloc", mheap_batch_alloc(&batch, 32, 0, 0));
	TRY("batch run", mheap_batch_run(mh, &batch, 0));
	if (show_live(mh, "after the allocating batch"))
		goto fail;
	for (i = 0; i < 64; i++) {
		uint32_t out;

		TRY("batch result", mheap_batch_result(&batch, i, &out));
		batch.ops[i].op = MHEAP_OP_CLOSE;
		batch.ops[i].handle = out;
		batch.ops[i].arg0 = batch.ops[i].arg1 = batch.ops[i].arg2 = 0;
	}
	TRY("batch run", mheap_batch_run(mh, &batch, 0));
	if (show_live(mh, "after the closing batch"))
		goto fail;

	say("\n9. A scope, like a function's stack frame: push it, make a list of");
	say("   three nodes, let the head escape, pop it.");
	TRY("push a scope", mheap_scope_push(mh, &level));
	TRY("alloc the head", mheap_alloc(mh, 8, 1, 0, &head));
	TRY("alloc the middle", mheap_alloc(mh, 8, 1, 0, &mid));
	TRY("alloc the tail", mheap_alloc(mh, 8, 0, 0, &tail));
	TRY("link head -> middle", mheap_set_slot(mh, head, 0, mid));
	TRY("link middle -> tail", mheap_set_slot(mh, mid, 0, tail));
	say("    scope %u holds three handles", level);
	TRY("escape the head", mheap_scope_escape(mh, head, &outer));
	TRY("pop the scope", mheap_scope_pop(mh, level, &closed));
	say("    the pop closed %u handle(s); the head escaped to level %u and", closed,
	    outer);
	say("    still holds the list through its slots");
	if (show_live(mh, "after the pop"))
		goto fail;
	TRY("close the head", mheap_release(mh, head));
	if (show_live(mh, "after closing the head"))
		goto fail;

	say("\n10. Reclamation events: subscribe, then allocate p (cookie 0x100) alone and");
	say("    q, r (cookies 0x101, 0x102) in a cycle; drop them all and collect.");
	TRY("subscribe", mheap_events_subscribe(mh, 0, &granted));
	TRY("alloc p", mheap_alloc(mh, 8, 0, 0x100, &head));
	TRY("alloc q", mheap_alloc(mh, 8, 1, 0x101, &mid));
	TRY("alloc r", mheap_alloc(mh, 8, 1, 0x102, &tail));
	TRY("link q -> r", mheap_set_slot(mh, mid, 0, tail));
	TRY("link r -> q", mheap_set_slot(mh, tail, 0, mid));
	TRY("close p", mheap_release(mh, head));
	TRY("close q", mheap_release(mh, mid));
	TRY("close r", mheap_release(mh, tail));
	TRY("collect", mheap_collect(mh, 2, &n));
	ret = mheap_events_read(mh, events, 8, 0);
	if (ret < 0) {
		fail("read events", ret);
		goto fail;
	}
	say("    read %d record(s), in the order the objects went (queue of %u):",
	    ret, granted);
	for (i = 0; i < ret; i++)
		say("      cookie 0x%llx: %s", (unsigned long long)events[i].cookie,
		    events[i].reason == MHEAP_EVENT_REFCOUNT ?
		    "its last reference went" : "the collector freed it");
	ret = 0;

	say("\nClosing the heap: everything left in it goes with it.");
out:
	mheap_batch_free(&batch);
	mheap_close(mh);
	return ret;
fail:
	ret = EXIT_FAIL;
	goto out;
}

/* --- bench -------------------------------------------------------------- */

#define BENCH_SLOTS	8
#define BENCH_REPS	5

static double now_s(void)
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

/*
 * Operations per second setting slots of one object, alternately to a
 * target and empty: one ioctl per operation (@batch 0) or batches of
 * @batch operations. The median of BENCH_REPS runs of @ops operations.
 */
static int bench_one(struct mheap *mh, uint32_t obj, uint32_t target,
		     unsigned int batch, unsigned int ops, double *rate)
{
	struct mheap_batch_buf b = { 0 };
	double rates[BENCH_REPS];
	unsigned int r, i;
	int err = 0;

	if (batch) {
		err = mheap_batch_init(&b, batch);
		for (i = 0; !err && i < batch; i++)
			err = mheap_batch_set_slot(&b, obj, i % BENCH_SLOTS,
						   i & 1 ? 0 : target) < 0;
		if (err)
			goto out;
	}
	for (r = 0; r < BENCH_REPS; r++) {
		double t0 = now_s();

		if (!batch) {
			for (i = 0; i < ops && !err; i++)
				err = mheap_set_slot(mh, obj, i % BENCH_SLOTS,
						     i & 1 ? 0 : target);
		} else {
			for (i = 0; i < ops && !err; i += batch) {
				int done = mheap_batch_run(mh, &b, 0);

				err = done < 0 ? done : done != (int)batch ? -EIO : 0;
			}
		}
		if (err)
			goto out;
		rates[r] = i / (now_s() - t0);
	}
	qsort(rates, BENCH_REPS, sizeof(rates[0]), cmp_double);
	*rate = rates[BENCH_REPS / 2];
out:
	mheap_batch_free(&b);
	return err;
}

#define PAYLOAD_BYTES	64
#define PAYLOAD_OBJECTS	64
#define PAYLOAD_MAP	(64ULL << 20)

/*
 * Payload accesses per second, each a write then a read of
 * PAYLOAD_BYTES bytes of one of PAYLOAD_OBJECTS objects: through the
 * READ and WRITE ioctls (@map NULL) or in place in the mapping. The
 * median of BENCH_REPS runs of @ops accesses.
 */
static int bench_payload(struct mheap *mh, const uint32_t *objs,
			 const uint64_t *offs, char *map, unsigned int ops,
			 double *rate)
{
	char in[PAYLOAD_BYTES], out[PAYLOAD_BYTES];
	double rates[BENCH_REPS];
	unsigned int r, i;
	int err = 0;

	memset(in, 'p', sizeof(in));
	for (r = 0; r < BENCH_REPS; r++) {
		double t0 = now_s();

		for (i = 0; i < ops && !err; i++) {
			unsigned int k = i % PAYLOAD_OBJECTS;

			in[0] = (char)i;
			if (map) {
				memcpy(map + offs[k], in, sizeof(in));
				/* keep the compiler from folding the copies */
				__asm__ volatile("" : : "r"(map) : "memory");
				memcpy(out, map + offs[k], sizeof(out));
			} else {
				err = mheap_write(mh, objs[k], 0, in, sizeof(in));
				if (!err)
					err = mheap_read(mh, objs[k], 0, out,
							 sizeof(out));
			}
			if (!err && out[0] != in[0])
				err = -EIO;
		}
		if (err)
			return err;
		rates[r] = ops / (now_s() - t0);
	}
	qsort(rates, BENCH_REPS, sizeof(rates[0]), cmp_double);
	*rate = rates[BENCH_REPS / 2];
	return 0;
}

/* The payload table of mheapctl bench: ioctls beside the mapping. */
static int bench_payloads(struct mheap *mh, unsigned int ops)
{
	uint32_t objs[PAYLOAD_OBJECTS];
	uint64_t offs[PAYLOAD_OBJECTS];
	double by_ioctl, by_map;
	struct mheap_info info;
	char *map = NULL;
	unsigned int i;
	int err;

	for (i = 0; i < PAYLOAD_OBJECTS; i++) {
		err = mheap_alloc(mh, PAYLOAD_BYTES, 0, 0, &objs[i]);
		if (!err)
			err = mheap_info(mh, objs[i], &info);
		if (err)
			return fail("alloc", err);
		offs[i] = info.map_offset;
		if (offs[i] + PAYLOAD_BYTES > PAYLOAD_MAP)
			return fail("map offset", -ERANGE);
	}
	err = mheap_map(mh, PAYLOAD_MAP, 1, (void **)&map);
	if (err)
		return fail("mmap", err);
	err = bench_payload(mh, objs, offs, NULL, ops, &by_ioctl);
	if (!err)
		err = bench_payload(mh, objs, offs, map, ops, &by_map);
	mheap_unmap(map, PAYLOAD_MAP);
	if (err)
		return fail("payload bench", err);
	printf("\npayload accesses per second (write then read %d bytes), median of %d runs of %u\n",
	       PAYLOAD_BYTES, BENCH_REPS, ops);
	printf("%-14s %14s %10s\n", "mode", "accesses/s", "vs ioctl");
	printf("%-14s %14.0f %9.1fx\n", "READ+WRITE", by_ioctl, 1.0);
	printf("%-14s %14.0f %9.1fx\n", "mmap in place", by_map,
	       by_map / by_ioctl);
	return 0;
}

static int cmd_bench(int argc, char **argv)
{
	static const unsigned int sizes[] = { 0, 1, 8, 64, 512 };
	double rates[sizeof(sizes) / sizeof(sizes[0])];
	unsigned int ops = 20480, i;
	struct mheap *mh = NULL;
	uint32_t obj, target;
	int ret = 0;

	if (argc == 3 && !strcmp(argv[1], "--ops") && atoi(argv[2]) > 0) {
		ops = atoi(argv[2]);
	} else if (argc != 1) {
		fprintf(stderr, "usage: mheapctl bench [--ops N]\n");
		return EXIT_USAGE;
	}
	if (open_heap(&mh))
		return EXIT_FAIL;
	TRY("alloc", mheap_alloc(mh, 0, BENCH_SLOTS, 0, &obj));
	TRY("alloc", mheap_alloc(mh, 0, 0, 0, &target));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		TRY("bench", bench_one(mh, obj, target, sizes[i], ops, &rates[i]));
	printf("set-slot operations per second, median of %d runs of %u operations\n",
	       BENCH_REPS, ops);
	printf("%-14s %14s %10s\n", "mode", "ops/s", "vs one-op");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char mode[32];

		if (sizes[i])
			snprintf(mode, sizeof(mode), "batch of %u", sizes[i]);
		else
			snprintf(mode, sizeof(mode), "one-op ioctl");
		printf("%-14s %14.0f %9.1fx\n", mode, rates[i],
		       rates[i] / rates[0]);
	}
	printf("target: batches of 64 at least 10x the one-op rate: %s (%.1fx)\n",
	       rates[3] >= 10 * rates[0] ? "met" : "NOT met", rates[3] / rates[0]);
	if (bench_payloads(mh, ops))
		ret = EXIT_FAIL;
out:
	mheap_close(mh);
	return ret;
}

/* --- replay ------------------------------------------------------------- */

static int cmd_replay(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: mheapctl replay FILE\n");
		return EXIT_USAGE;
	}
	return replay_file(argv[1], device());
}

/* --- main --------------------------------------------------------------- */

/* --- top ---------------------------------------------------------------- */

static int cmd_top(int argc, char **argv)
{
	long iterations = 0;
	double interval = 1;
	char *end;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-d") && i + 1 < argc) {
			interval = strtod(argv[++i], &end);
			if (*end || !(interval >= 0.1 && interval <= 3600))
				goto usage;
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			iterations = strtol(argv[++i], &end, 10);
			if (*end || iterations < 1)
				goto usage;
		} else {
			goto usage;
		}
	}
	return view_top(interval, iterations);
usage:
	fprintf(stderr, "usage: mheapctl top [-d SECONDS] [-n ITERATIONS]\n");
	return EXIT_USAGE;
}

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct command commands[] = {
	{ "demo", cmd_demo, "",
	  "a narrated tour: objects, reference counting, a cycle and the collector" },
	{ "stats", cmd_stats, "[--json]",
	  "the module's global statistics; --json: those and, for root,\n"
	  "                         every heap's (from sysfs), for scripts" },
	{ "top", cmd_top, "[-d S] [-n N]",
	  "a live view of every heap and its collector (root; sysfs),\n"
	  "                         refreshed every S seconds (1), N times (forever)" },
	{ "bench", cmd_bench, "[--ops N]",
	  "one-op ioctls versus batches of 1, 8, 64 and 512 operations; payload\n"
	  "                         access through READ/WRITE versus the mapping" },
	{ "replay", cmd_replay, "FILE",
	  "rebuild a program's heap from an mheap-snapshot file, collect it,\n"
	  "                         and compare the garbage with CPython's, object by object" },
	{ "version", cmd_version, "", "the module's uapi version and features" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: mheapctl COMMAND [ARGS]   (mheapctl COMMAND --help)\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-8s %-13s %s\n", commands[i].name,
			commands[i].args, commands[i].help);
	fprintf(out,
		"The device is $MHEAP_DEVICE, or %s.\n"
		"Exit status: 0 success, 1 an operation failed, 2 usage error.\n",
		MHEAP_DEFAULT_DEVICE);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (argc == 3 && (!strcmp(argv[2], "--help") ||
				  !strcmp(argv[2], "-h"))) {
			printf("usage: mheapctl %s %s\n  %s\n", commands[i].name,
			       commands[i].args, commands[i].help);
			return 0;
		}
		/* a command without arguments takes none */
		if (!commands[i].args[0] && argc != 2) {
			fprintf(stderr, "usage: mheapctl %s\n", commands[i].name);
			return EXIT_USAGE;
		}
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "mheapctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}

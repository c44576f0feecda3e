// SPDX-License-Identifier: GPL-2.0
/*
 * What an administrator sees of mheap, run as root in the VM on both
 * kernels (Documentation/admin-guide.rst):
 *
 *   tracepoints  events/mheap/ in tracefs: a heap's life, its arenas, a
 *                limit it hits and a collection, with the right figures;
 *   debugfs      /sys/kernel/debug/mheap/<id>/: stats, gc and objects agree
 *                with the ioctls, the dump is bounded and holds no kernel
 *                address, and the directory goes with its heap;
 *   sysfs        /sys/class/misc/mheap/stats/: one value per file, read-only,
 *                agreeing with MHEAP_IOC_MODULE_STATS; heaps/<id>/: each
 *                heap's figures, root's, agreeing with its ioctls, gone
 *                with the heap;
 *   parameters   gc_threshold reaches new heaps and refuses bad input;
 *   mheapctl     top and stats --json show the same, as root; for others,
 *                top explains why it cannot and stats --json leaves the
 *                heaps out.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file_util.h"
#include "kselftest_harness.h"
#include "mheap.h"

#define TRACEFS		"/sys/kernel/tracing"
#define DEBUGFS		"/sys/kernel/debug/mheap"
#define SYSFS		"/sys/class/misc/mheap/stats"
#define HEAPS		"/sys/class/misc/mheap/heaps"
#define PARAMS		"/sys/module/mheap/parameters"
#define BIG		(64 * 1024)

/* The value after "key " at the start of a line of @text, or -1. */
static long long keyed(const char *text, const char *key)
{
	size_t len = strlen(key);
	const char *p;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, len) && p[len] == ' ')
			return strtoll(p + len + 1, NULL, 10);
	return -1;
}

/* The heap directory in @root with the highest id: the newest heap. */
static long newest_in(const char *root)
{
	DIR *dir = opendir(root);
	struct dirent *de;
	long id = -1;

	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.' && atol(de->d_name) > id)
			id = atol(de->d_name);
	closedir(dir);
	return id;
}

static long newest_heap(void)
{
	return newest_in(DEBUGFS);
}

/* A two-object cycle, its handles released: garbage for the collector. */
static int make_cycle(struct mheap *mh)
{
	uint32_t a, b;

	if (mheap_alloc(mh, 32, 1, 0, &a) || mheap_alloc(mh, 32, 1, 0, &b) ||
	    mheap_set_slot(mh, a, 0, b) || mheap_set_slot(mh, b, 0, a) ||
	    mheap_release(mh, a) || mheap_release(mh, b))
		return -1;
	return 0;
}

/* The line of @trace for @event of heap @id with @field, or NULL. */
static const char *trace_find(const char *trace, const char *event, long id,
			      const char *field)
{
	char want[96];
	const char *p;

	snprintf(want, sizeof(want), "%s: heap=%ld ", event, id);
	for (p = strstr(trace, want); p; p = strstr(p + 1, want)) {
		const char *eol = strchrnul(p, '\n');
		const char *f = field ? strstr(p, field) : p;

		if (f && f < eol)
			return p;
	}
	return NULL;
}

FIXTURE(admin) {
	char *buf;
};

FIXTURE_SETUP(admin)
{
	ASSERT_EQ(0, geteuid()) TH_LOG("the admin tests run as root");
	self->buf = malloc(1 << 20);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(admin)
{
	free(self->buf);
	/* whatever a failed test left, for the tests after it */
	write_file(PARAMS "/gc_increment", "20000");
}

/*
 * With events/mheap enabled, a heap's life shows in the trace buffer in
 * order: created, arenas added, the capacity limit hit, a collection of
 * generation 2 that examined and freed the cycle, arenas released,
 * destroyed; each naming the heap by its debugfs id.
 */
TEST_F(admin, tracepoints_follow_a_heap)
{
	const char *create, *add, *limit, *start, *end, *release, *destroy;
	struct mheap *mh;
	uint64_t collected;
	uint32_t big;
	char *trace = self->buf;
	long id;

	if (access(TRACEFS "/events", F_OK))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	ASSERT_EQ(0, access(TRACEFS "/events/mheap/mheap_gc_end", F_OK));
	ASSERT_EQ(0, write_file(TRACEFS "/trace", ""));
	ASSERT_EQ(0, write_file(TRACEFS "/events/mheap/enable", "1"));

	ASSERT_EQ(0, mheap_open(NULL, &mh));
	id = newest_heap();
	ASSERT_LT(0, id);
	ASSERT_EQ(0, mheap_gc_enable(mh, 0));
	ASSERT_EQ(0, mheap_set_capacity(mh, 512 * 1024));
	ASSERT_EQ(0, make_cycle(mh));
	EXPECT_EQ(-ENOSPC, mheap_alloc(mh, 300 * 1024, 0, 0, &big));
	ASSERT_EQ(0, mheap_collect(mh, 2, &collected));
	EXPECT_EQ(2, collected);
	ASSERT_EQ(0, mheap_close(mh));

	ASSERT_EQ(0, write_file(TRACEFS "/events/mheap/enable", "0"));
	ASSERT_EQ(0, read_file(TRACEFS "/trace", trace, 1 << 20));
	create = trace_find(trace, "mheap_heap_create", id, "capacity=");
	add = trace_find(trace, "mheap_arena_add", id, "space=payload");
	limit = trace_find(trace, "mheap_limit", id,
			   "limit=capacity value=524288");
	start = trace_find(trace, "mheap_gc_start", id,
			   "gen=2 objects=2 automatic=0");
	end = trace_find(trace, "mheap_gc_end", id,
			 "gen=2 examined=2 collected=2 uncollectable=0");
	release = trace_find(trace, "mheap_arena_release", id, "space=meta");
	destroy = trace_find(trace, "mheap_heap_destroy", id, "objects=0");
	EXPECT_TRUE(create && add && limit && start && end && release &&
		    destroy) TH_LOG("events of heap %ld missing in:\n%s", id,
				    trace);
	if (!create || !add || !limit || !start || !end || !release ||
	    !destroy)
		return;
	EXPECT_TRUE(create < add && add < limit && limit < start &&
		    start < end && end < release && release < destroy);
}

/*
 * debugfs: the heap's directory agrees with what its own ioctls say, lists
 * its objects (bounded by debugfs_max_objects) with numbers only, and goes
 * with the heap; a file left open then reads as EIO, not freed memory.
 */
TEST_F(admin, debugfs_shows_each_heap)
{
	char dir[64], path[96], old_max[16], *text = self->buf;
	struct mheap_heap_stats hs;
	struct mheap_config cfg;
	struct mheap *mh;
	uint32_t h[3];
	struct stat st;
	int fd, i;
	long id;
	char *tok;

	ASSERT_EQ(0, mheap_open(NULL, &mh));
	id = newest_heap();
	ASSERT_LT(0, id);
	snprintf(dir, sizeof(dir), DEBUGFS "/%ld", id);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mheap_alloc(mh, 100, 1, 42 + i, &h[i]));
	ASSERT_EQ(0, make_cycle(mh));
	ASSERT_EQ(0, mheap_heap_stats(mh, &hs));
	ASSERT_EQ(0, mheap_get_config(mh, &cfg));

	snprintf(path, sizeof(path), "%s/stats", dir);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0100400, st.st_mode);
	ASSERT_EQ(0, read_file(path, text, 1 << 20));
	EXPECT_EQ(id, keyed(text, "id"));
	EXPECT_EQ(0, keyed(text, "uid"));
	EXPECT_EQ(1, keyed(text, "clients"));
	EXPECT_EQ((long long)hs.objects_live, keyed(text, "objects_live"));
	EXPECT_EQ(5, keyed(text, "objects_live"));
	EXPECT_EQ((long long)hs.arena_bytes, keyed(text, "arena_bytes"));
	EXPECT_EQ((long long)hs.capacity, keyed(text, "capacity"));
	EXPECT_EQ((long long)hs.used_bytes, keyed(text, "used"));

	snprintf(path, sizeof(path), "%s/gc", dir);
	ASSERT_EQ(0, read_file(path, text, 1 << 20));
	EXPECT_EQ(1, keyed(text, "enabled"));
	/* generation 0: its threshold, and the five tracked objects */
	EXPECT_EQ(cfg.threshold[0], keyed(text, "0"));
	tok = strstr(text, "\n0 ");
	ASSERT_NE(NULL, tok);
	EXPECT_EQ(0, strncmp(tok, "\n0 700 5 5 0 ", 13)) TH_LOG("%s", text);

	snprintf(path, sizeof(path), "%s/objects", dir);
	ASSERT_EQ(0, read_file(path, text, 1 << 20));
	EXPECT_NE(NULL, strstr(text, "# 5 objects, 5 listed"));
	EXPECT_NE(NULL, strstr(text, " 100 1 1 0 c 42\n")) TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, " 32 1 1 0 - 0\n")) TH_LOG("%s", text);
	/* numbers only: nothing that looks like a kernel address */
	for (tok = text; *tok; tok++)
		EXPECT_EQ(0, strncasecmp(tok, "ffff", 4) == 0);

	ASSERT_EQ(0, read_file(PARAMS "/debugfs_max_objects", old_max,
			       sizeof(old_max)));
	ASSERT_EQ(0, write_file(PARAMS "/debugfs_max_objects", "2"));
	ASSERT_EQ(0, read_file(path, text, 1 << 20));
	write_file(PARAMS "/debugfs_max_objects", old_max);
	EXPECT_NE(NULL, strstr(text, "# 5 objects, 2 listed"));

	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mheap_close(mh));
	EXPECT_EQ(-1, access(dir, F_OK));
	EXPECT_EQ(-1, read(fd, text, 64));
	EXPECT_EQ(EIO, errno);
	close(fd);
}

/* One value of heap directory @dir's file @name; -1 unreadable, -2 not one. */
static long long heap_value(const char *dir, const char *name)
{
	char path[160], buf[64], *end;
	long long v;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	v = strtoll(buf, &end, 10);
	return end != buf && !strcmp(end, "\n") ? v : -2;
}

/* Every file under @dir (one level of subdirectories) is 0400. */
static int all_root_only(const char *dir)
{
	char path[300];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	int bad = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st))
			bad++;
		else if (S_ISDIR(st.st_mode))
			bad += all_root_only(path);
		else if ((st.st_mode & 07777) != 0400)
			bad++;
	}
	closedir(d);
	return bad;
}

/*
 * sysfs, each heap: /sys/class/misc/mheap/heaps/<id>/ says what the heap's
 * own ioctls say, one number (or one per generation) per file, all mode
 * 0400; it goes with the heap, and a file left open then fails ENODEV.
 */
TEST_F(admin, sysfs_shows_each_heap)
{
	char dir[64], gc[80], path[96], *text = self->buf;
	struct mheap_heap_stats hs;
	uint64_t collected = 0;
	struct mheap *mh;
	uint32_t h[3];
	int fd, i;
	long id;

	ASSERT_EQ(0, mheap_open(NULL, &mh));
	id = newest_in(HEAPS);
	ASSERT_LT(0, id);
	EXPECT_EQ(id, newest_heap());	/* debugfs names it the same */
	snprintf(dir, sizeof(dir), HEAPS "/%ld", id);
	snprintf(gc, sizeof(gc), "%s/gc", dir);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mheap_alloc(mh, 100, 1, 42 + i, &h[i]));
	ASSERT_EQ(0, make_cycle(mh));
	ASSERT_EQ(0, mheap_heap_stats(mh, &hs));

	EXPECT_EQ(0, all_root_only(dir));
	EXPECT_EQ(0, heap_value(dir, "uid"));
	EXPECT_EQ(1, heap_value(dir, "clients"));
	EXPECT_EQ(5, heap_value(dir, "objects_live"));
	EXPECT_EQ((long long)hs.objects_live, heap_value(dir, "objects_live"));
	EXPECT_EQ((long long)hs.arena_bytes, heap_value(dir, "arena_bytes"));
	EXPECT_EQ((long long)hs.capacity, heap_value(dir, "capacity"));
	EXPECT_EQ((long long)hs.used_bytes, heap_value(dir, "used"));
	EXPECT_EQ(1, heap_value(gc, "enabled"));
	EXPECT_EQ(0, heap_value(gc, "save_all"));
	snprintf(path, sizeof(path), "%s/threshold", gc);
	ASSERT_EQ(0, read_file(path, text, 64));
	EXPECT_STREQ("700 10 10\n", text);
	snprintf(path, sizeof(path), "%s/objects", gc);
	ASSERT_EQ(0, read_file(path, text, 64));
	EXPECT_STREQ("5 0 0\n", text);

	ASSERT_EQ(0, mheap_collect(mh, 0, &collected));
	EXPECT_EQ(2, collected);
	snprintf(path, sizeof(path), "%s/collected", gc);
	ASSERT_EQ(0, read_file(path, text, 64));
	EXPECT_STREQ("2 0 0\n", text);
	EXPECT_EQ(3, heap_value(dir, "objects_live"));

	snprintf(path, sizeof(path), "%s/objects_live", dir);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mheap_close(mh));
	EXPECT_EQ(-1, access(dir, F_OK));
	EXPECT_EQ(-1, pread(fd, text, 64, 0));
	EXPECT_EQ(ENODEV, errno);
	close(fd);
}

static long long sysfs_stat(const char *name)
{
	char path[96], buf[32], *end;
	long long v;

	snprintf(path, sizeof(path), SYSFS "/%s", name);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	v = strtoll(buf, &end, 10);
	return end != buf && !strcmp(end, "\n") ? v : -2;
}

/*
 * sysfs: one value per file, world-readable and never writable, agreeing
 * with MHEAP_IOC_MODULE_STATS; a collection counts in collections and
 * collected.
 */
TEST_F(admin, sysfs_module_stats)
{
	static const char *const names[] = {
		"heaps", "users", "arena_bytes", "collections", "collected",
	};
	long long collections, collected;
	struct mheap_module_stats ms;
	char path[96];
	struct mheap *mh;
	struct stat st;
	uint64_t n;
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), SYSFS "/%s", names[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(0100444, st.st_mode) TH_LOG("%s", path);
		EXPECT_LE(0, sysfs_stat(names[i])) TH_LOG("%s", path);
	}
	ASSERT_EQ(0, mheap_open(NULL, &mh));
	ASSERT_EQ(0, mheap_gc_enable(mh, 0));
	ASSERT_EQ(0, make_cycle(mh));
	ASSERT_EQ(0, mheap_module_stats(mh, &ms));
	EXPECT_EQ((long long)ms.heaps, sysfs_stat("heaps"));
	EXPECT_EQ((long long)ms.arena_bytes, sysfs_stat("arena_bytes"));
	EXPECT_LE(1, sysfs_stat("users"));
	collections = sysfs_stat("collections");
	collected = sysfs_stat("collected");
	ASSERT_EQ(0, mheap_collect(mh, 0, &n));
	EXPECT_EQ(collections + 1, sysfs_stat("collections"));
	EXPECT_EQ(collected + 2, sysfs_stat("collected"));
	ASSERT_EQ(0, mheap_close(mh));
	EXPECT_EQ((long long)ms.heaps - 1, sysfs_stat("heaps"));
}

/* gc_threshold: new heaps start with it; a malformed value is refused. */
TEST_F(admin, gc_threshold_param)
{
	char old[64];
	struct mheap_config cfg;
	struct mheap *mh;

	ASSERT_EQ(0, read_file(PARAMS "/gc_threshold", old, sizeof(old)));
	EXPECT_STREQ("700,10,10\n", old);
	ASSERT_EQ(0, write_file(PARAMS "/gc_threshold", "100,5,3"));
	EXPECT_EQ(-EINVAL, write_file(PARAMS "/gc_threshold", "1,2,3,4"));
	EXPECT_EQ(-EINVAL, write_file(PARAMS "/gc_threshold", "lots"));
	ASSERT_EQ(0, mheap_open(NULL, &mh));
	ASSERT_EQ(0, mheap_get_config(mh, &cfg));
	ASSERT_EQ(0, write_file(PARAMS "/gc_threshold", "700,10,10"));
	EXPECT_EQ(100, cfg.threshold[0]);
	EXPECT_EQ(5, cfg.threshold[1]);
	EXPECT_EQ(3, cfg.threshold[2]);
	ASSERT_EQ(0, mheap_close(mh));
}

/*
 * gc_increment: 20000 by default, root's to change; with increments of 16
 * units, an automatic collection of generation 1 runs in many increments
 * (the mheap_gc_increment tracepoint counts them) and frees exactly the
 * dropped cycles; the statistics say its longest increment.
 */
TEST_F(admin, gc_increment_param)
{
	static const uint32_t th[3] = { 5, 1, 10 };
	struct mheap_gc_stats st;
	uint64_t collected;
	char old[64], *trace = self->buf;
	const char *p;
	uint32_t h[100], keep[12];
	struct mheap *mh;
	int i, increments = 0;
	long id;

	ASSERT_EQ(0, read_file(PARAMS "/gc_increment", old, sizeof(old)));
	EXPECT_STREQ("20000\n", old);
	EXPECT_EQ(-EINVAL, write_file(PARAMS "/gc_increment", "lots"));
	EXPECT_EQ(-EINVAL, write_file(PARAMS "/gc_increment", "-1"));
	ASSERT_EQ(0, write_file(PARAMS "/gc_increment", "16"));
	if (access(TRACEFS "/events", F_OK))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	ASSERT_EQ(0, write_file(TRACEFS "/trace", ""));
	ASSERT_EQ(0, write_file(TRACEFS "/events/mheap/mheap_gc_increment/enable",
				"1"));

	ASSERT_EQ(0, mheap_open(NULL, &mh));
	id = newest_heap();
	ASSERT_EQ(0, mheap_set_threshold(mh, th));
	ASSERT_EQ(0, mheap_gc_enable(mh, 0));
	/* 100 cycles, held, into generation 1; then dropped */
	for (i = 0; i < 100; i++) {
		uint32_t b;

		ASSERT_EQ(0, mheap_alloc(mh, 0, 1, 0, &h[i]));
		ASSERT_EQ(0, mheap_alloc(mh, 0, 1, 0, &b));
		ASSERT_EQ(0, mheap_set_slot(mh, h[i], 0, b));
		ASSERT_EQ(0, mheap_set_slot(mh, b, 0, h[i]));
		ASSERT_EQ(0, mheap_release(mh, b));
	}
	ASSERT_EQ(0, mheap_collect(mh, 0, &collected));
	EXPECT_EQ(0, collected);
	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, mheap_release(mh, h[i]));
	ASSERT_EQ(0, mheap_gc_enable(mh, 1));
	/* allocations past threshold 0, twice: generation 1 becomes due */
	for (i = 0; i < 12; i++) {
		ASSERT_EQ(0, mheap_alloc(mh, 0, 1, 0, &keep[i]));
		if (i == 5)
			usleep(100 * 1000);
	}
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, mheap_gc_stats(mh, &st));
		if (st.gen[1].collections)
			break;
		usleep(10 * 1000);
	}
	EXPECT_EQ(1, st.gen[1].collections);
	EXPECT_EQ(200, st.gen[1].collected);
	EXPECT_GE(st.gen[1].pause_total_ns, st.gen[1].pause_last_ns);
	EXPECT_LT(0, st.gen[1].pause_last_ns);

	ASSERT_EQ(0, write_file(TRACEFS "/events/mheap/mheap_gc_increment/enable",
				"0"));
	ASSERT_EQ(0, write_file(PARAMS "/gc_increment", "20000"));
	ASSERT_EQ(0, read_file(TRACEFS "/trace", trace, 1 << 20));
	for (p = trace_find(trace, "mheap_gc_increment", id, "gen=1"); p;
	     p = trace_find(p + 1, "mheap_gc_increment", id, "gen=1"))
		increments++;
	/* 200 objects and 200 slots: over 1,000 units, 16 at a time */
	EXPECT_LE(50, increments) TH_LOG("%d increments in:\n%s", increments,
					 trace);
	for (i = 0; i < 12; i++)
		ASSERT_EQ(0, mheap_release(mh, keep[i]));
	ASSERT_EQ(0, mheap_close(mh));
}

/*
 * Run /bin/mheapctl with @args as @uid (-1: as is), its stdout and stderr
 * into @out; returns its exit status, or -1.
 */
static int mheapctl(int uid, char *const args[], char *out, size_t size)
{
	int pipefd[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		if (uid >= 0 && setresuid(uid, uid, uid))
			_exit(99);
		execv("/bin/mheapctl", args);
		_exit(98);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], out + len, size - 1 - len)) > 0)
		len += n;
	out[len] = 0;
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Brackets balance, strings close, and no comma precedes a closer. */
static int json_plausible(const char *s)
{
	int depth = 0, in_string = 0;
	char last = 0;

	for (; *s; s++) {
		if (in_string) {
			in_string = *s != '"';
			continue;
		}
		if (*s == ' ' || *s == '\n')
			continue;
		if (*s == '"')
			in_string = 1;
		else if (*s == '{' || *s == '[')
			depth++;
		else if (*s == '}' || *s == ']')
			if (--depth < 0 || last == ',')
				return 0;
		last = *s;
	}
	return !depth && !in_string && last == '}';
}

/*
 * mheapctl top and stats --json, as root, show a heap as sysfs does;
 * as nobody, top fails with a reason and stats --json gives "heaps": null.
 */
TEST_F(admin, mheapctl_top_and_json)
{
	char *top[] = { "mheapctl", "top", "-n", "2", "-d", "0.1", NULL };
	char *json[] = { "mheapctl", "stats", "--json", NULL };
	char *bad[] = { "mheapctl", "top", "-n", "0", NULL };
	char want[128], *out = self->buf;
	struct mheap *mh;
	uint32_t h;
	int i;
	long id;

	ASSERT_EQ(0, mheap_open(NULL, &mh));
	id = newest_heap();
	ASSERT_LT(0, id);
	for (i = 0; i < 7; i++)
		ASSERT_EQ(0, mheap_alloc(mh, 64, 0, 0, &h));

	ASSERT_EQ(0, mheapctl(-1, top, out, 1 << 20)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "HEAP    UID CLI   OBJECTS")) TH_LOG("%s", out);
	/* the heap's row, in both frames: id, uid 0, 1 client, 7 objects */
	snprintf(want, sizeof(want), "\n%6ld %6d %3d %9d ", id, 0, 1, 7);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(strstr(out, want) + 1, want)) TH_LOG("%s", out);

	ASSERT_EQ(0, mheapctl(-1, json, out, 1 << 20)) TH_LOG("%s", out);
	EXPECT_TRUE(json_plausible(out)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "\"id\": %ld,", id);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"objects_live\": 7,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"generations\": [{\"gen\": 0, "))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"threshold\": 700, ")) TH_LOG("%s", out);

	EXPECT_EQ(1, mheapctl(65534, top, out, 1 << 20)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "run it as root")) TH_LOG("%s", out);
	EXPECT_EQ(0, mheapctl(65534, json, out, 1 << 20)) TH_LOG("%s", out);
	EXPECT_TRUE(json_plausible(out)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"heaps\": null")) TH_LOG("%s", out);
	EXPECT_EQ(2, mheapctl(-1, bad, out, 1 << 20)) TH_LOG("%s", out);
	ASSERT_EQ(0, mheap_close(mh));
}

/* What failing_dups() shares with the test that runs it */
struct failing {
	int fd;
	uint32_t weak;
	volatile int stop;
	volatile long efaults, others;
};

/*
 * Strong DUPs of a weak handle, alone and in a batch, whose results are
 * in a read-only page: each takes a reference, which the write barrier
 * of the collection in progress records, and is undone (EFAULT).
 */
static void *failing_dups(void *arg)
{
	struct failing *f = arg;
	struct mheap_dup *dup;
	struct mheap_op *op;
	struct mheap_batch b = { .count = 1 };
	char *page;
	long n;
	int err;

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return NULL;
	dup = (struct mheap_dup *)page;
	dup->handle = f->weak;
	op = (struct mheap_op *)(page + 1024);
	op->op = MHEAP_OP_DUP;
	op->handle = f->weak;
	b.ops = (uintptr_t)op;
	mprotect(page, 4096, PROT_READ);
	for (n = 0; !f->stop; n++) {
		err = n % 2 ? ioctl(f->fd, MHEAP_IOC_BATCH, &b) :
			      ioctl(f->fd, MHEAP_IOC_DUP, dup);
		if (err && errno == EFAULT)
			f->efaults++;
		else if (!err || errno != ESTALE)	/* ESTALE: A went */
			f->others++;
	}
	munmap(page, 4096);
	return NULL;
}

/*
 * The scene of the next tests: a live chain of @chain objects held by
 * *@root and, in generation 1, a dropped cycle A <-> B with a weak handle
 * *@weak on A, and thresholds such that increments_start() makes the
 * work item collect generation 1, in increments of @budget units
 * (gc_increment, which the teardown sets back).
 */
static int increments_scene(struct mheap *mh, uint32_t *root, uint32_t *weak,
			    struct mheap_gc_stats *before, const char *budget,
			    unsigned int chain)
{
	static const uint32_t th[3] = { 1, 0, 1000 };
	struct mheap_batch_buf bb;
	uint32_t prev, a, b, i, k;
	uint64_t collected;
	int last = 0, err;

	if (write_file(PARAMS "/gc_increment", budget) ||
	    mheap_gc_enable(mh, 0) || mheap_alloc(mh, 0, 1, 0, root) ||
	    mheap_batch_init(&bb, 3 * 128))
		return -1;
	/* the chain, 128 links a batch: each node linked, then let go */
	for (prev = *root, i = 0; i < chain; i += k) {
		uint32_t p = prev;

		mheap_batch_reset(&bb);
		for (k = 0; k < 128 && i + k < chain; k++) {
			last = mheap_batch_alloc(&bb, 0, 1, 0);
			mheap_batch_set_slot(&bb, p, 0, MHEAP_BATCH_REF(last));
			if (p != *root)
				mheap_batch_close(&bb, p);
			p = MHEAP_BATCH_REF(last);
		}
		err = mheap_batch_run(mh, &bb, 0);
		if (err != (int)bb.count || mheap_batch_result(&bb, last, &prev))
			break;
	}
	mheap_batch_free(&bb);
	if (i < chain || (prev != *root && mheap_release(mh, prev)) ||
	    mheap_alloc(mh, 0, 1, 0, &a) || mheap_alloc(mh, 0, 1, 0, &b) ||
	    mheap_set_slot(mh, a, 0, b) || mheap_set_slot(mh, b, 0, a) ||
	    mheap_dup_weak(mh, a, weak) || mheap_collect(mh, 0, &collected) ||
	    mheap_release(mh, a) || mheap_release(mh, b) ||
	    mheap_set_threshold(mh, th) || mheap_gc_enable(mh, 1) ||
	    mheap_gc_stats(mh, before))
		return -1;
	return 0;
}

/* Generation 0 over its threshold, then 1: the work item starts. */
static int increments_start(struct mheap *mh)
{
	uint32_t a, b;

	return mheap_alloc(mh, 0, 1, 0, &a) || mheap_alloc(mh, 0, 1, 0, &b) ||
	       mheap_release(mh, a) || mheap_release(mh, b);
}

/*
 * A call that fails changes nothing, also during an incremental
 * collection: another thread's DUPs that fail (their results cannot be
 * written) must not keep the dropped cycle alive through the collection
 * of generation 1, as the write barrier's marks, left behind by the undo,
 * once did (a breaker's case): the failing calls land between increments.
 */
TEST_F(admin, failed_calls_leave_increments_alone)
{
	struct failing f = { 0 };
	struct mheap_gc_stats st0, st;
	struct mheap_info info;
	struct mheap *mh;
	uint32_t root;
	long started;
	pthread_t t;
	int i;

	ASSERT_EQ(0, mheap_open(NULL, &mh));
	f.fd = mheap_fd(mh);
	ASSERT_EQ(0, increments_scene(mh, &root, &f.weak, &st0, "16", 1000));
	ASSERT_EQ(0, pthread_create(&t, NULL, failing_dups, &f));
	/*
	 * The failing calls run before the collection starts: the stock
	 * kernel once finished it before the thread's first call.
	 */
	for (i = 0; i < 5000 && !f.efaults; i++)
		usleep(1000);
	ASSERT_LT(0, f.efaults);
	started = f.efaults;
	ASSERT_EQ(0, increments_start(mh));
	for (i = 0; i < 3000; i++) {
		ASSERT_EQ(0, mheap_gc_stats(mh, &st));
		if (st.gen[1].collections != st0.gen[1].collections)
			break;
		usleep(10 * 1000);
	}
	f.stop = 1;
	pthread_join(t, NULL);
	ASSERT_EQ(0, write_file(PARAMS "/gc_increment", "20000"));
	TH_LOG("%ld failed DUPs (%ld during the collection), %ld other results",
	       f.efaults, f.efaults - started, f.others);
	EXPECT_LT(started, f.efaults);
	EXPECT_EQ(0, f.others);
	EXPECT_EQ(st0.gen[1].collections + 1, st.gen[1].collections);
	EXPECT_EQ(st0.gen[1].collected + 2, st.gen[1].collected);
	EXPECT_EQ(-ESTALE, mheap_info(mh, f.weak, &info));
	ASSERT_EQ(0, mheap_release(mh, root));
	ASSERT_EQ(0, mheap_close(mh));
}

/*
 * Start the scene's collection (increments_start()) with the increment
 * tracepoint on, and return once it shows generation 1's collection of
 * heap @id running: 0, or -1.
 */
static int increments_running(struct mheap *mh, long id, char *trace)
{
	int i;

	if (access(TRACEFS "/events", F_OK))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	if (write_file(TRACEFS "/events/mheap/mheap_gc_increment/enable", "1") ||
	    increments_start(mh))
		return -1;
	for (i = 0; i < 2000; i++) {
		if (read_file(TRACEFS "/trace", trace, 1 << 20))
			return -1;
		if (trace_find(trace, "mheap_gc_increment", id, "gen=1"))
			return 0;
		usleep(1000);
	}
	return -1;
}

/*
 * End that collection at once (gc_increment 0: the next increment has no
 * budget), wait for it, then turn the tracepoint off, once no increment
 * runs: patching it while a kworker ran one once oopsed the stock kernel
 * under TCG (int3). *@st: the statistics after it. Returns 0, or -1.
 */
static int increments_end(struct mheap *mh, const struct mheap_gc_stats *st0,
			  struct mheap_gc_stats *st)
{
	int i;

	if (write_file(PARAMS "/gc_increment", "0"))
		return -1;
	for (i = 0; i < 3000; i++) {
		if (mheap_gc_stats(mh, st))
			return -1;
		if (st->gen[1].collections != st0->gen[1].collections)
			break;
		usleep(10 * 1000);
	}
	usleep(100 * 1000);
	return write_file(TRACEFS "/events/mheap/mheap_gc_increment/enable",
			  "0");
}

/*
 * REFERRERS through a weak handle while that collection runs: the call
 * ends the collection first, and when it frees the object the answer is
 * ESTALE; it once said "no referrers" for the object it had just freed
 * (a breaker's case). The call is made once the tracepoint shows the
 * collection running (increments of 1 unit over a chain of 20,000).
 */
TEST_F(admin, referrers_through_weak_handle_during_increments)
{
	struct mheap_gc_stats st0, st;
	uint32_t root, weak, h[2], total;
	struct mheap *mh;
	long id;
	int n;

	ASSERT_EQ(0, write_file(TRACEFS "/trace", ""));
	ASSERT_EQ(0, mheap_open(NULL, &mh));
	id = newest_heap();
	ASSERT_EQ(0, increments_scene(mh, &root, &weak, &st0, "1", 20000));
	ASSERT_EQ(0, increments_running(mh, id, self->buf));
	n = mheap_referrers(mh, weak, h, 2, &total);
	EXPECT_EQ(-ESTALE, n) TH_LOG("%d written, %u in total", n, total);
	ASSERT_EQ(0, increments_end(mh, &st0, &st));
	if (n > 0)
		mheap_release(mh, h[0]);
	ASSERT_EQ(0, mheap_release(mh, root));
	ASSERT_EQ(0, mheap_close(mh));
}

/*
 * REFERRERS ends the collection in progress before it writes its buffer,
 * which no undo takes back: with a buffer that cannot be written, it
 * fails first (EFAULT) and the collection goes on in its increments.
 * Increments of 1 unit over a chain of 20,000: the call is made once the
 * tracepoint shows the collection of generation 1 running, seconds before
 * it can end; then gc_increment 0 lets the next increment end it.
 */
TEST_F(admin, referrers_unwritable_buffer_ends_nothing)
{
	struct mheap_gc_stats st0, st;
	uint32_t root, weak, *ro;
	struct mheap *mh;
	long id;
	int err;

	ASSERT_EQ(0, write_file(TRACEFS "/trace", ""));
	ASSERT_EQ(0, mheap_open(NULL, &mh));
	id = newest_heap();
	ASSERT_EQ(0, increments_scene(mh, &root, &weak, &st0, "1", 20000));
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, increments_running(mh, id, self->buf));
	err = mheap_referrers(mh, weak, ro, 4, NULL);
	ASSERT_EQ(0, mheap_gc_stats(mh, &st));
	EXPECT_EQ(-EFAULT, err);
	/* still in progress: not ended by the failed call */
	EXPECT_EQ(st0.gen[1].collections, st.gen[1].collections);
	ASSERT_EQ(0, increments_end(mh, &st0, &st));
	EXPECT_EQ(st0.gen[1].collected + 2, st.gen[1].collected);
	munmap(ro, 4096);
	ASSERT_EQ(0, mheap_release(mh, root));
	ASSERT_EQ(0, mheap_close(mh));
}

TEST_HARNESS_MAIN

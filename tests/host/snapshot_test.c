// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of heap snapshots (Documentation/snapshot.rst): the parser's
 * one-line errors for every kind of bad file, and the host core's replay
 * (tests/realheap/replay_core.c), which must agree with a snapshot's
 * garbage and must say so when it does not.
 */
#define REPLAY_CORE_NO_MAIN
#include "../realheap/replay_core.c"

#include <stdarg.h>
#include <unistd.h>

#include "kselftest_harness.h"

/* A snapshot in memory, 4-byte words after the 64-byte header. */
struct snap {
	uint32_t w[64];
	size_t len;
};

/*
 * Four objects: 0 a root holding 1; 2 and 3 a cycle nobody holds, so
 * CPython's garbage is {2, 3}.
 */
static void good(struct snap *s)
{
	static const uint32_t body[] = {
		1, 0, 1, 1,		/* references per object */
		1, 0, 0, 0,		/* external references */
		1, 3, 2,		/* 0 -> 1, 2 -> 3, 3 -> 2 */
		2, 3,			/* garbage */
	};
	uint64_t h[6] = { 4, 3, 2, 2, 1000, 0 };

	memset(s, 0, sizeof(*s));
	memcpy(s->w, SNAPSHOT_MAGIC, 8);
	s->w[2] = SNAPSHOT_VERSION;
	s->w[3] = SNAPSHOT_HEADER_SIZE;
	memcpy(&s->w[4], h, sizeof(h));
	memcpy(&s->w[16], body, sizeof(body));
	s->len = SNAPSHOT_HEADER_SIZE + sizeof(body);
}

static void set64(struct snap *s, size_t off, uint64_t v)
{
	memcpy((char *)s->w + off, &v, 8);
}

static int parse(struct snap *s, char *err)
{
	struct snapshot sn;
	int ret = snapshot_parse(s->w, s->len, &sn, err, 256);

	snapshot_free(&sn);
	return ret;
}

/* @s fails to parse, with an error line starting with @want. */
#define BAD(s, want) do {						\
	char err_[256] = "";						\
	ASSERT_EQ(-1, parse(s, err_));					\
	EXPECT_EQ(0, strncmp(err_, want, strlen(want)))			\
		TH_LOG("got: %s", err_);				\
} while (0)

TEST(parses_a_good_snapshot)
{
	struct snapshot sn;
	struct snap s;
	char err[256];

	good(&s);
	ASSERT_EQ(0, snapshot_parse(s.w, s.len, &sn, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(4, sn.objects);
	EXPECT_EQ(3, sn.edges);
	EXPECT_EQ(2, sn.garbage);
	EXPECT_EQ(1000, sn.cpython_ns);
	EXPECT_EQ(3, sn.edge[1]);
	EXPECT_EQ(1, sn.start[2]);
	EXPECT_EQ(1, snapshot_slots(&sn, 1));	/* no references: one slot */
	snapshot_free(&sn);
}

TEST(bad_headers)
{
	struct snap s;

	good(&s);
	s.len = 10;
	BAD(&s, "byte 0: expected a 64-byte header, found a 10-byte file");
	good(&s);
	s.w[0] ^= 1;
	BAD(&s, "byte 0: expected magic \"MHEAPSNP\"");
	good(&s);
	s.w[2] = 2;
	BAD(&s, "byte 8: expected version 1, found 2");
	good(&s);
	s.w[3] = 72;
	BAD(&s, "byte 12: expected header size 64, found 72");
	good(&s);
	set64(&s, 16, (1ULL << 26) + 1);
	BAD(&s, "byte 16: expected at most 67108864 objects");
	good(&s);
	set64(&s, 24, 1ULL << 40);
	BAD(&s, "byte 24: expected at most 268435456 edges");
	good(&s);
	set64(&s, 32, 5);
	BAD(&s, "byte 32: expected at most 4 garbage objects");
	good(&s);
	set64(&s, 40, 1);
	BAD(&s, "byte 40: expected gc.collect()'s count to be at least the garbage, 2, found 1");
	good(&s);
	set64(&s, 56, 1);
	BAD(&s, "byte 56: expected 0 (reserved), found 1");
}

TEST(bad_sizes)
{
	struct snap s;

	good(&s);
	s.len -= 4;
	BAD(&s, "byte 112: expected the file to end at byte 116");
	good(&s);
	s.len += 4;
	BAD(&s, "byte 116: expected the file to end at byte 116 (the header's counts), found 120 bytes");
}

TEST(self_inconsistent)
{
	struct snap s;

	good(&s);
	s.w[16 + 2] = 2;	/* object 2: 2 references, 4 in all */
	BAD(&s, "byte 76: expected per-object reference counts summing to 3 (the header's edges), found more by object 3");
	good(&s);
	s.w[16 + 3] = 0;	/* 2 references in all */
	BAD(&s, "byte 80: expected per-object reference counts summing to 3 (the header's edges), found 2");
	good(&s);
	s.w[16] = (1U << 20) + 1;
	BAD(&s, "byte 64: expected at most 1048576 references for object 0");
	good(&s);
	s.w[24 + 1] = 4;	/* edge 1 -> object 4 of 4 */
	BAD(&s, "byte 100: expected an object number below 4, found 4");
	good(&s);
	s.w[27] = 3;
	s.w[28] = 2;		/* garbage 3, 2: not ascending */
	BAD(&s, "byte 112: expected a garbage object number above 3 and below 4, found 2");
	good(&s);
	s.w[28] = 9;
	BAD(&s, "byte 112: expected a garbage object number above 2 and below 4, found 9");
	good(&s);
	s.w[20 + 2] = 1;	/* garbage object 2 has an external reference */
	BAD(&s, "byte 108: expected garbage object 2 to have no external references, found 1");
}

static int write_snap(const char *path, const struct snap *s)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(s->w, 1, s->len, f) == s->len;

	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

/* Replay @s with the host core; its report goes to @report. */
static int replay(const struct snap *s, char *report, size_t len)
{
	char path[] = "/tmp/mheap-snapshot-test-XXXXXX";
	char *text = NULL;
	size_t size = 0;
	FILE *out;
	int fd = mkstemp(path), ret = -1;

	if (fd < 0)
		return -1;
	close(fd);
	out = open_memstream(&text, &size);
	if (out && !write_snap(path, s)) {
		ret = check_one(path, 1, out);
		fclose(out);
		snprintf(report, len, "%s", text);
	}
	free(text);
	unlink(path);
	return ret;
}

/* The replay agrees with a true snapshot, and says why when it cannot. */
TEST(replay_compares_with_cpython)
{
	char report[1024];
	struct snap s;

	good(&s);
	ASSERT_EQ(0, replay(&s, report, sizeof(report)));
	EXPECT_NE(NULL, strstr(report, "ok 1 replay")) TH_LOG("%s", report);
	/* CPython's garbage said to be {3} only: mheap finds 2 and 3 */
	good(&s);
	set64(&s, 32, 1);
	set64(&s, 40, 1);
	s.w[27] = 3;
	s.len -= 4;
	ASSERT_EQ(1, replay(&s, report, sizeof(report)));
	EXPECT_NE(NULL, strstr(report, "collect() found 2, kept 2; CPython 1"))
		TH_LOG("%s", report);
	/* the same count, another set: {1, 3} said, {2, 3} found */
	good(&s);
	s.w[20 + 1] = 0;	/* object 1: no external references */
	s.w[27] = 1;
	ASSERT_EQ(1, replay(&s, report, sizeof(report)));
	EXPECT_NE(NULL, strstr(report, "garbage #0 is object 2; CPython's is 1"))
		TH_LOG("%s", report);
	/* object 0 said to have no holder: it and 1 go before collecting */
	good(&s);
	s.w[20] = 0;
	ASSERT_EQ(1, replay(&s, report, sizeof(report)));
	EXPECT_NE(NULL, strstr(report, "2 of 4 objects live before collecting"))
		TH_LOG("%s", report);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of /dev/mheap: objects, handles, clients and the module.
 *
 * Run in the VM (debug and stock kernels, as root and as an unprivileged
 * user, 64-bit and 32-bit) with the kernel's kselftest harness; see
 * Documentation/testing.rst, "How to add a test".
 */
#define _GNU_SOURCE

#include "mheap_util.h"
#include "overlap.h"

/* The layout is the same for 32-bit and 64-bit callers. */
#define SIZE_IS(s, n) _Static_assert(sizeof(struct s) == (n), #s)
SIZE_IS(mheap_version, MHEAP_VERSION_SIZE_VER0);
SIZE_IS(mheap_config, MHEAP_CONFIG_SIZE_VER0);
SIZE_IS(mheap_alloc, MHEAP_ALLOC_SIZE_VER0);
SIZE_IS(mheap_dup, MHEAP_DUP_SIZE_VER0);
SIZE_IS(mheap_close, MHEAP_CLOSE_SIZE_VER0);
SIZE_IS(mheap_slot, MHEAP_SLOT_SIZE_VER0);
SIZE_IS(mheap_rw, MHEAP_RW_SIZE_VER0);
SIZE_IS(mheap_info, MHEAP_INFO_SIZE_VER0 + 8);
SIZE_IS(mheap_gc_ctl, MHEAP_GC_CTL_SIZE_VER0);
SIZE_IS(mheap_gc_stats, MHEAP_GC_STATS_SIZE_VER0);
SIZE_IS(mheap_heap_stats, MHEAP_HEAP_STATS_SIZE_VER0 + 8);
SIZE_IS(mheap_module_stats, MHEAP_MODULE_STATS_SIZE_VER0);
SIZE_IS(mheap_refs, MHEAP_REFS_SIZE_VER0);
SIZE_IS(mheap_op, MHEAP_OP_SIZE_VER0);
SIZE_IS(mheap_batch, MHEAP_BATCH_SIZE_VER0);
SIZE_IS(mheap_new_client, MHEAP_NEW_CLIENT_SIZE_VER0);
SIZE_IS(mheap_token, MHEAP_TOKEN_SIZE_VER0);
SIZE_IS(mheap_scope, MHEAP_SCOPE_SIZE_VER0);
SIZE_IS(mheap_name, MHEAP_NAME_SIZE_VER0);
SIZE_IS(mheap_names, MHEAP_NAMES_SIZE_VER0);
SIZE_IS(mheap_events, MHEAP_EVENTS_SIZE_VER0);
SIZE_IS(mheap_event, 16);

/* INFO and HEAP_STATS grew: a caller built before still gets its fields. */
TEST_F(heap, older_callers_of_grown_structs)
{
	struct mheap_info info = { 0 };
	struct mheap_heap_stats hs = { 0 };
	unsigned int cmd;
	uint32_t a;

	ASSERT_EQ(0, mheap_alloc(self->mh, 32, 0, 7, &a));
	info.handle = a;
	info.map_offset = 0x5a5a5a5a;		/* not the old caller's */
	cmd = _IOC(RW, MHEAP_IOC_MAGIC, _IOC_NR(MHEAP_IOC_INFO),
		   MHEAP_INFO_SIZE_VER0);
	ASSERT_EQ(0, xioctl(self->fd, cmd, &info));
	EXPECT_EQ(32, info.size);
	EXPECT_EQ(7, info.cookie);
	EXPECT_EQ(0x5a5a5a5a, info.map_offset);
	hs.map_size = 0x5a5a5a5a;
	cmd = _IOC(RW, MHEAP_IOC_MAGIC, _IOC_NR(MHEAP_IOC_HEAP_STATS),
		   MHEAP_HEAP_STATS_SIZE_VER0);
	ASSERT_EQ(0, xioctl(self->fd, cmd, &hs));
	EXPECT_EQ(1, hs.objects_live);
	EXPECT_EQ(0x5a5a5a5a, hs.map_size);
	/* the current callers get the new fields */
	ASSERT_EQ(0, xioctl(self->fd, MHEAP_IOC_HEAP_STATS, &hs));
	EXPECT_NE(0x5a5a5a5a, hs.map_size);
	EXPECT_NE(0, hs.map_size);
}

TEST_F(heap, version_and_features)
{
	struct mheap_version v = { .version = 99, .features = 0 };
	struct { struct mheap_version v; __u64 future; } n = { { 0 }, 0 };
	uint32_t version = 0;
	uint64_t features = 0;

	ASSERT_EQ(0, xioctl(self->fd, MHEAP_IOC_VERSION, &v));
	EXPECT_EQ(MHEAP_UAPI_VERSION, v.version);
	EXPECT_EQ(FEATURES, v.features);
	ASSERT_EQ(0, mheap_version(self->mh, &version, &features));
	EXPECT_EQ(MHEAP_UAPI_VERSION, version);
	EXPECT_EQ(FEATURES, features);
	/* a newer caller whose extra field is zero */
	ASSERT_EQ(0, xioctl(self->fd, CMD(MHEAP_IOC_VERSION, RW, sizeof(n)), &n));
	EXPECT_EQ(MHEAP_UAPI_VERSION, n.v.version);
}

TEST_F(heap, alloc_write_read_info)
{
	struct mheap_info i;
	char buf[32] = "";
	uint32_t h;

	ASSERT_EQ(0, mheap_alloc(self->mh, 32, 2, 0xc0ffee, &h));
	EXPECT_NE(0U, h);
	ASSERT_EQ(0, mheap_read(self->mh, h, 0, buf, 32));
	EXPECT_EQ(0, memcmp(buf, (char[32]){ 0 }, 32));	/* zero-filled */
	ASSERT_EQ(0, mheap_write(self->mh, h, 4, "payload", 8));
	ASSERT_EQ(0, mheap_read(self->mh, h, 4, buf, 8));
	EXPECT_STREQ("payload", buf);
	ASSERT_EQ(0, mheap_read(self->mh, h, 32, buf, 0));
	ASSERT_EQ(0, mheap_info(self->mh, h, &i));
	EXPECT_EQ(32ULL, i.size);
	EXPECT_EQ(2U, i.nrefs);
	EXPECT_EQ(1U, i.refcnt);
	EXPECT_EQ(0xc0ffeeULL, i.cookie);
	EXPECT_EQ(MHEAP_INFO_TRACKED, i.info_flags);
	EXPECT_EQ(0U, i.generation);
	EXPECT_EQ(1ULL, live(self->mh));
	ASSERT_EQ(0, mheap_release(self->mh, h));
	EXPECT_EQ(0ULL, live(self->mh));
}

TEST_F(heap, large_payload)
{
	size_t n = MHEAP_MAX_SIZE;
	char *in = malloc(n), *out = malloc(n);
	uint32_t h;
	size_t i;

	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	for (i = 0; i < n; i++)
		in[i] = i * 7;
	ASSERT_EQ(0, mheap_alloc(self->mh, n, 0, 0, &h));
	ASSERT_EQ(0, mheap_write(self->mh, h, 0, in, n));
	ASSERT_EQ(0, mheap_read(self->mh, h, 0, out, n));
	EXPECT_EQ(0, memcmp(in, out, n));
	free(in);
	free(out);
}

TEST_F(heap, refcounting_frees_a_chain)
{
	uint32_t a, b, c, got;
	struct mheap_info i;

	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &a));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &b));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &c));
	ASSERT_EQ(0, mheap_set_slot(self->mh, a, 0, b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, b, 0, c));
	ASSERT_EQ(0, mheap_info(self->mh, b, &i));
	EXPECT_EQ(2U, i.refcnt);
	ASSERT_EQ(0, mheap_get_slot(self->mh, a, 0, &got));
	ASSERT_EQ(0, mheap_info(self->mh, got, &i));
	EXPECT_EQ(3U, i.refcnt);
	ASSERT_EQ(0, mheap_release(self->mh, got));
	ASSERT_EQ(0, mheap_get_slot(self->mh, c, 0, &got));
	EXPECT_EQ(0U, got);	/* an empty slot */
	ASSERT_EQ(0, mheap_release(self->mh, b));
	ASSERT_EQ(0, mheap_release(self->mh, c));
	EXPECT_EQ(3ULL, live(self->mh));
	ASSERT_EQ(0, mheap_release(self->mh, a));
	EXPECT_EQ(0ULL, live(self->mh));
}

TEST_F(heap, weak_handles)
{
	uint32_t a, w, s;
	struct mheap_info i;

	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 7, &a));
	ASSERT_EQ(0, mheap_dup_weak(self->mh, a, &w));
	ASSERT_EQ(0, mheap_info(self->mh, w, &i));
	EXPECT_EQ(MHEAP_INFO_WEAK, i.info_flags);
	EXPECT_EQ(1U, i.refcnt);
	EXPECT_EQ(7ULL, i.cookie);
	ASSERT_EQ(0, mheap_dup(self->mh, w, &s));	/* upgrade */
	ASSERT_EQ(0, mheap_release(self->mh, a));
	EXPECT_EQ(0, mheap_info(self->mh, w, &i));
	ASSERT_EQ(0, mheap_release(self->mh, s));
	EXPECT_EQ(0ULL, live(self->mh));
	EXPECT_EQ(-ESTALE, mheap_info(self->mh, w, &i));
	EXPECT_EQ(-ESTALE, mheap_dup(self->mh, w, &s));
	EXPECT_EQ(0, mheap_release(self->mh, w));
	EXPECT_EQ(-ENOENT, mheap_release(self->mh, w));
}

TEST_F(heap, capacity_limit)
{
	struct mheap_config c;
	uint32_t h;

	ASSERT_EQ(0, mheap_set_capacity(self->mh, 512 * 1024));
	ASSERT_EQ(0, mheap_get_config(self->mh, &c));
	EXPECT_EQ(512ULL * 1024, c.capacity);
	EXPECT_LE(c.capacity, c.capacity_max);
	EXPECT_EQ(-ENOSPC, mheap_alloc(self->mh, 1 << 20, 0, 0, &h));
	EXPECT_EQ(0ULL, live(self->mh));
	ASSERT_EQ(0, mheap_set_capacity(self->mh, 4 << 20));
	EXPECT_EQ(0, mheap_alloc(self->mh, 1 << 20, 0, 0, &h));
}

TEST_F(heap, new_client_export_import)
{
	struct mheap_heap_stats s;
	struct mheap *other;
	uint32_t a, got;
	uint64_t token;
	char buf[4];
	int fd;

	fd = mheap_new_client(self->mh, MHEAP_CLIENT_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, mheap_from_fd(fd, &other));
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &s));
	EXPECT_EQ(2U, s.clients);
	ASSERT_EQ(0, mheap_alloc(self->mh, 4, 0, 0, &a));
	ASSERT_EQ(0, mheap_write(self->mh, a, 0, "abc", 4));
	/* the new client's handle table is empty */
	EXPECT_EQ(-ENOENT, mheap_info(other, a, &(struct mheap_info){ 0 }));
	ASSERT_EQ(0, mheap_export(self->mh, a, &token));
	ASSERT_EQ(0, mheap_release(self->mh, a));
	EXPECT_EQ(1ULL, live(self->mh));	/* the token holds it */
	ASSERT_EQ(0, mheap_import(other, token, &got));
	EXPECT_EQ(-ENOENT, mheap_import(other, token, &got));	/* once */
	ASSERT_EQ(0, mheap_read(other, got, 0, buf, 4));
	EXPECT_STREQ("abc", buf);
	/* the heap lives until its last client is closed */
	ASSERT_EQ(0, mheap_close(self->mh));
	ASSERT_EQ(0, mheap_read(other, got, 0, buf, 4));
	ASSERT_EQ(0, mheap_heap_stats(other, &s));
	EXPECT_EQ(1U, s.clients);
	EXPECT_EQ(1ULL, s.objects_live);
	self->mh = other;
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

TEST_F(heap, unimported_tokens_released_with_heap)
{
	uint64_t token;
	uint32_t a;

	ASSERT_EQ(0, mheap_alloc(self->mh, 4, 1, 0, &a));
	ASSERT_EQ(0, mheap_set_slot(self->mh, a, 0, a));
	ASSERT_EQ(0, mheap_export(self->mh, a, &token));
	/* teardown closes the heap with the token outstanding: kmemleak and
	 * the module statistics check that nothing stays behind */
}

struct thread_arg {
	struct mheap *mh;
	int iterations;
	int errors;
	struct overlap *overlap;
};

static void *mutator(void *p)
{
	struct thread_arg *t = p;
	uint32_t a, b, c;
	int i;

	for (i = 0; i < t->iterations; i++) {
		overlap_enter(t->overlap);
		if (mheap_alloc(t->mh, 16, 2, i, &a) ||
		    mheap_alloc(t->mh, 16, 2, i, &b)) {
			overlap_exit(t->overlap);
			t->errors++;
			continue;
		}
		overlap_exit(t->overlap);
		t->errors += !!mheap_set_slot(t->mh, a, 0, b);
		t->errors += !!mheap_set_slot(t->mh, b, 1, a);
		t->errors += !!mheap_get_slot(t->mh, a, 0, &c);
		t->errors += !!mheap_write(t->mh, c, 0, &i, sizeof(i));
		t->errors += !!mheap_release(t->mh, c);
		t->errors += !!mheap_release(t->mh, a);
		t->errors += !!mheap_release(t->mh, b);
		if (i % 64 == 0)
			t->errors += !!mheap_collect(t->mh, i % 3, NULL);
	}
	return NULL;
}

TEST_F(heap, threads_share_a_heap)
{
	struct thread_arg args[4];
	pthread_t threads[4];
	struct mheap_heap_stats s;
	int i;

	struct overlap ov = { 0 };
	int rounds;

	/*
	 * Rounds until the threads were seen inside at once on two CPUs (at
	 * most 5): on a loaded host a VM's vCPUs may take turns for a whole
	 * round, and a round that ran one thread at a time proves nothing.
	 */
	for (rounds = 1; rounds <= 5; rounds++) {
		for (i = 0; i < 4; i++) {
			args[i] = (struct thread_arg){ .mh = self->mh,
						       .iterations = 1500,
						       .overlap = &ov };
			ASSERT_EQ(0, pthread_create(&threads[i], NULL, mutator,
						    &args[i]));
		}
		for (i = 0; i < 4; i++) {
			pthread_join(threads[i], NULL);
			EXPECT_EQ(0, args[i].errors);
		}
		if (overlap_seen(&ov))
			break;
	}
	rounds = rounds > 5 ? 5 : rounds;
	ASSERT_EQ(0, mheap_collect(self->mh, 2, NULL));
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &s));
	EXPECT_EQ(0ULL, s.objects_live);
	EXPECT_EQ(0U, s.handles);
	EXPECT_EQ(rounds * 4ULL * 1500 * 2, s.objects_allocated);
	/* the threads really ran at once, on every CPU there is */
	TH_LOG("threads inside at once: at most %d, on %d CPU(s), in %d round(s)",
	       ov.most, overlap_cpus(&ov), rounds);
	EXPECT_TRUE(overlap_seen(&ov));
}

static void child_main(int sock, int ready)
{
	struct mheap_batch_buf b;
	struct mheap *mh;
	uint32_t a, c, obj;
	int fd = recv_fd(sock), i;

	if (fd < 0 || mheap_from_fd(fd, &mh) ||
	    mheap_alloc(mh, 100, 1, 0, &a) || mheap_alloc(mh, 100, 1, 0, &c) ||
	    mheap_set_slot(mh, a, 0, c) || mheap_set_slot(mh, c, 0, a) ||
	    mheap_alloc(mh, 0, 8, 0, &obj) || mheap_batch_init(&b, MHEAP_BATCH_MAX))
		_exit(1);
	for (i = 0; i < 100; i++)
		if (mheap_alloc(mh, 64, 0, 0, &a))
			_exit(1);
	for (i = 0; i < MHEAP_BATCH_MAX; i++)
		mheap_batch_set_slot(&b, obj, i % 8, i & 1 ? 0 : a);
	if (write(ready, "R", 1) != 1)
		_exit(1);
	for (;;)
		mheap_batch_run(mh, &b, 0);
}

TEST_F(heap, client_passed_to_process_killed_mid_batch)
{
	int sv[2], pipefd[2], fd, status;
	struct mheap_heap_stats s;
	char c;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		mheap_close(self->mh);	/* the child holds only what it is sent */
		close(sv[0]);
		close(pipefd[0]);
		child_main(sv[1], pipefd[1]);
	}
	close(sv[1]);
	close(pipefd[1]);
	fd = mheap_new_client(self->mh, MHEAP_CLIENT_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_fd(sv[0], fd));
	close(fd);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &s));
	EXPECT_EQ(2U, s.clients);
	EXPECT_EQ(103ULL, s.objects_live);
	usleep(20000);			/* well inside a batch by now */
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	/* its client was closed with it: handles released, the cycle is left */
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &s));
	EXPECT_EQ(1U, s.clients);
	EXPECT_EQ(2ULL, s.objects_live);
	ASSERT_EQ(0, mheap_collect(self->mh, 2, NULL));
	EXPECT_EQ(0ULL, live(self->mh));
	close(sv[0]);
	close(pipefd[0]);
}

/* Open files hold the module: rmmod is refused while any is open. */
static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/mheap/refcnt", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

TEST(files_hold_the_module)
{
	struct mheap *mh;
	long base = module_refcnt();
	int fd;

	if (base < 0)
		SKIP(return, "no /sys/module/mheap/refcnt");
	ASSERT_EQ(0, mheap_open(NULL, &mh));
	EXPECT_EQ(base + 1, module_refcnt());
	fd = mheap_new_client(mh, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(base + 2, module_refcnt());
	ASSERT_EQ(0, mheap_close(mh));
	EXPECT_EQ(base + 1, module_refcnt());
	close(fd);
	EXPECT_EQ(base, module_refcnt());
}

TEST(opens_are_independent_heaps)
{
	struct mheap *a, *b;
	uint32_t h;

	ASSERT_EQ(0, mheap_open(NULL, &a));
	ASSERT_EQ(0, mheap_open(NULL, &b));
	ASSERT_EQ(0, mheap_alloc(a, 8, 0, 0, &h));
	EXPECT_EQ(1ULL, live(a));
	EXPECT_EQ(0ULL, live(b));
	EXPECT_EQ(-ENOENT, mheap_release(b, h));
	EXPECT_EQ(0, mheap_close(a));
	EXPECT_EQ(0ULL, live(b));
	EXPECT_EQ(0, mheap_close(b));
}

TEST(many_heaps)
{
	struct mheap *mh[64];
	int i;

	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, mheap_open(NULL, &mh[i]));
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, mheap_close(mh[i]));
}

/* Runs last (the harness keeps file order): everything earlier is gone. */
TEST(module_statistics_back_to_zero)
{
	struct mheap_module_stats s;
	struct mheap *mh;

	ASSERT_EQ(0, mheap_open(NULL, &mh));
	ASSERT_EQ(0, mheap_module_stats(mh, &s));
	EXPECT_EQ(1ULL, s.heaps);	/* this test's own, empty */
	EXPECT_EQ(0ULL, s.arena_bytes);
	EXPECT_LE(s.capacity, s.capacity_max);
	EXPECT_EQ(0, mheap_close(mh));
}

TEST_HARNESS_MAIN

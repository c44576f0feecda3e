// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of /dev/mheap: scopes and named roots.
 *
 * Run in the VM (debug and stock kernels, as root and as an unprivileged
 * user, 64-bit and 32-bit) with the kernel's kselftest harness; see
 * Documentation/testing.rst, "How to add a test".
 */
#define _GNU_SOURCE

#include "mheap_util.h"

/* A scope's handles close when it is popped; escaped ones move out. */
TEST_F(heap, scopes_close_their_handles)
{
	uint32_t keep, one, two, a, b, c, d, level, closed;
	struct mheap_heap_stats hs;

	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 2, 0, &keep));
	ASSERT_EQ(0, mheap_scope_push(self->mh, &one));
	EXPECT_EQ(1, one);
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 0, &a));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 0, &b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, keep, 0, b));
	ASSERT_EQ(0, mheap_scope_push(self->mh, &two));
	EXPECT_EQ(2, two);
	ASSERT_EQ(0, mheap_get_slot(self->mh, keep, 0, &c));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 0, &d));
	EXPECT_EQ(-EBUSY, mheap_scope_pop(self->mh, one, &closed));
	EXPECT_EQ(-EINVAL, mheap_scope_escape(self->mh, a, &level));
	ASSERT_EQ(0, mheap_scope_escape(self->mh, d, &level));
	EXPECT_EQ(1, level);
	ASSERT_EQ(0, mheap_scope_pop(self->mh, two, &closed));
	EXPECT_EQ(1, closed);				/* c */
	EXPECT_EQ(-ENOENT, mheap_release(self->mh, c));
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &hs));
	EXPECT_EQ(4, hs.objects_live);
	EXPECT_EQ(4, hs.handles);
	ASSERT_EQ(0, mheap_scope_pop(self->mh, one, &closed));
	EXPECT_EQ(3, closed);				/* a, b, d */
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &hs));
	EXPECT_EQ(2, hs.objects_live);			/* keep and b */
	EXPECT_EQ(1, hs.handles);
	EXPECT_EQ(-ENOENT, mheap_scope_pop(self->mh, one, &closed));
}

/* Every call that makes handles makes them in the innermost scope. */
TEST_F(heap, scopes_hold_batch_refs_and_import_handles)
{
	uint32_t obj, level, closed, refs[4], total, out;
	struct mheap_batch_buf b;
	struct mheap_heap_stats hs;
	uint64_t token;
	int i;

	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 4, 0, &obj));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, mheap_set_slot(self->mh, obj, i, obj));
	ASSERT_EQ(0, mheap_export(self->mh, obj, &token));
	ASSERT_EQ(0, mheap_scope_push(self->mh, &level));
	ASSERT_EQ(0, mheap_batch_init(&b, 8));
	for (i = 0; i < 8; i++)
		ASSERT_LE(0, mheap_batch_dup(&b, obj, i % 2 ? MHEAP_DUP_WEAK : 0));
	ASSERT_EQ(8, mheap_batch_run(self->mh, &b, 0));
	ASSERT_EQ(0, mheap_batch_result(&b, 7, &out));
	ASSERT_EQ(4, mheap_referents(self->mh, obj, refs, 4, &total));
	EXPECT_EQ(4, total);
	ASSERT_EQ(0, mheap_import(self->mh, token, &out));
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &hs));
	EXPECT_EQ(1 + 8 + 4 + 1, hs.handles);
	ASSERT_EQ(0, mheap_scope_pop(self->mh, level, &closed));
	EXPECT_EQ(8 + 4 + 1, closed);
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &hs));
	EXPECT_EQ(1, hs.handles);
	mheap_batch_free(&b);
}

/* Scopes are per client; closing a client with scopes open loses nothing. */
TEST_F(heap, scopes_per_client_and_on_close)
{
	struct mheap *other;
	uint32_t level, h, i, closed;
	struct mheap_heap_stats hs;

	ASSERT_EQ(0, mheap_from_fd(mheap_new_client(self->mh, 0), &other));
	ASSERT_EQ(0, mheap_scope_push(other, &level));
	EXPECT_EQ(-ENOENT, mheap_scope_pop(self->mh, level, &closed));
	for (i = 1; i < MHEAP_SCOPE_MAX; i++) {
		ASSERT_EQ(0, mheap_scope_push(other, &level));
		ASSERT_EQ(0, mheap_alloc(other, 8, 1, 0, &h));
		ASSERT_EQ(0, mheap_set_slot(other, h, 0, h));	/* a cycle */
	}
	EXPECT_EQ(MHEAP_SCOPE_MAX, level);
	EXPECT_EQ(-ENOSPC, mheap_scope_push(other, &level));
	/* this client's own first scope is level 1 */
	ASSERT_EQ(0, mheap_scope_push(self->mh, &level));
	EXPECT_EQ(1, level);
	ASSERT_EQ(0, mheap_close(other));
	ASSERT_EQ(0, mheap_collect(self->mh, 2, NULL));
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &hs));
	EXPECT_EQ(0, hs.objects_live);
	EXPECT_EQ(0, hs.handles);
	ASSERT_EQ(0, mheap_scope_pop(self->mh, 1, &closed));
	EXPECT_EQ(0, closed);
}

/* A name bound by one client is seen, used and unbound by another. */
TEST_F(heap, names_shared_between_clients)
{
	uint32_t a, mine, theirs;
	struct mheap_info info;
	struct mheap *other;
	char buf[8] = "";

	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 77, &a));
	ASSERT_EQ(0, mheap_write(self->mh, a, 0, "shared", 7));
	ASSERT_EQ(0, mheap_name_bind(self->mh, "config/main", a, 0));
	ASSERT_EQ(0, mheap_release(self->mh, a));
	ASSERT_EQ(0, mheap_from_fd(mheap_new_client(self->mh, 0), &other));
	ASSERT_EQ(0, mheap_name_lookup(other, "config/main", &theirs));
	ASSERT_EQ(0, mheap_info(other, theirs, &info));
	EXPECT_EQ(77, info.cookie);
	EXPECT_EQ(2, info.refcnt);	/* the binding and the handle */
	ASSERT_EQ(0, mheap_read(other, theirs, 0, buf, 7));
	EXPECT_STREQ("shared", buf);
	ASSERT_EQ(0, mheap_name_unbind(other, "config/main"));
	EXPECT_EQ(-ENOENT, mheap_name_lookup(self->mh, "config/main", &mine));
	EXPECT_EQ(-ENOENT, mheap_name_unbind(self->mh, "config/main"));
	EXPECT_EQ(1, live(self->mh));
	ASSERT_EQ(0, mheap_close(other));
	EXPECT_EQ(0, live(self->mh));
}

/* Two processes agree on a name: the child finds what the parent bound. */
TEST_F(heap, names_across_processes)
{
	struct mheap *child;
	uint32_t a, h;
	int fd, status;
	pid_t pid;

	ASSERT_EQ(0, mheap_alloc(self->mh, 16, 0, 0, &a));
	ASSERT_EQ(0, mheap_write(self->mh, a, 0, "from the parent", 16));
	ASSERT_EQ(0, mheap_name_bind(self->mh, "greeting", a, 0));
	fd = mheap_new_client(self->mh, 0);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[16] = "";

		if (mheap_from_fd(fd, &child) ||
		    mheap_name_lookup(child, "greeting", &h) ||
		    mheap_read(child, h, 0, buf, 16) ||
		    strcmp(buf, "from the parent") ||
		    mheap_write(child, h, 0, "from the child", 15))
			_exit(1);
		_exit(0);
	}
	close(fd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status) TH_LOG("child status %#x", status);
	{
		char buf[16] = "";

		ASSERT_EQ(0, mheap_read(self->mh, a, 0, buf, 15));
		EXPECT_STREQ("from the child", buf);
	}
}

/* Replace, list in order and in pages, reach the limit; cycles stay. */
TEST_F(heap, names_replace_list_and_limit)
{
	char names[3][MHEAP_NAME_LEN], name[MHEAP_NAME_LEN];
	uint32_t a, b, h, total, i;
	struct mheap_info info;

	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 1, &a));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 2, &b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, a, 0, b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, b, 0, a));
	ASSERT_EQ(0, mheap_name_bind(self->mh, "z", a, 0));
	ASSERT_EQ(0, mheap_name_bind(self->mh, "m", a, 0));
	ASSERT_EQ(-EEXIST, mheap_name_bind(self->mh, "m", b, 0));
	ASSERT_EQ(0, mheap_name_bind(self->mh, "m", b, MHEAP_NAME_REPLACE));
	ASSERT_EQ(0, mheap_name_lookup(self->mh, "m", &h));
	ASSERT_EQ(0, mheap_info(self->mh, h, &info));
	EXPECT_EQ(2, info.cookie);
	ASSERT_EQ(0, mheap_release(self->mh, h));
	ASSERT_EQ(0, mheap_release(self->mh, a));
	ASSERT_EQ(0, mheap_release(self->mh, b));
	/* the bound cycle is a root */
	ASSERT_EQ(0, mheap_collect(self->mh, 2, NULL));
	EXPECT_EQ(2, live(self->mh));
	ASSERT_EQ(0, mheap_name_lookup(self->mh, "z", &a));
	for (i = 0; i < MHEAP_NAMES_MAX - 2; i++) {
		snprintf(name, sizeof(name), "n%05u", i);
		ASSERT_EQ(0, mheap_name_bind(self->mh, name, a, 0));
	}
	EXPECT_EQ(-ENOSPC, mheap_name_bind(self->mh, "one-more", a, 0));
	EXPECT_EQ(3, mheap_name_list(self->mh, 0, names, 3, &total));
	EXPECT_EQ(MHEAP_NAMES_MAX, total);
	EXPECT_STREQ("m", names[0]);
	EXPECT_STREQ("n00000", names[1]);
	EXPECT_EQ(2, mheap_name_list(self->mh, MHEAP_NAMES_MAX - 2, names, 3,
				     &total));
	EXPECT_STREQ("n04093", names[0]);
	EXPECT_STREQ("z", names[1]);
	EXPECT_EQ(0, mheap_name_list(self->mh, ~0U, names, 3, &total));
	EXPECT_EQ(0, mheap_name_list(self->mh, 0, NULL, 0, &total));
	EXPECT_EQ(MHEAP_NAMES_MAX, total);
	ASSERT_EQ(0, mheap_release(self->mh, a));
	/* unbinding every name lets the collector take the cycle */
	ASSERT_EQ(0, mheap_name_unbind(self->mh, "m"));
	ASSERT_EQ(0, mheap_name_unbind(self->mh, "z"));
	for (i = 0; i < MHEAP_NAMES_MAX - 2; i++) {
		snprintf(name, sizeof(name), "n%05u", i);
		ASSERT_EQ(0, mheap_name_unbind(self->mh, name));
	}
	ASSERT_EQ(0, mheap_collect(self->mh, 2, NULL));
	EXPECT_EQ(0, live(self->mh));
}

TEST_HARNESS_MAIN

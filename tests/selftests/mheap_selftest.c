// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of /dev/mheap, run in the VM (debug and stock kernels, as root
 * and as an unprivileged user, 64-bit and 32-bit) with the kernel's
 * kselftest harness.
 *
 * The "bad" fixture is the bad-input table: one variant per row, each an
 * ioctl with one thing wrong, its documented errno, and a check that the
 * heap did not change (statistics, the objects' counts and payload).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mheap.h"
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

#define FEATURES (MHEAP_FEATURE_BATCH | MHEAP_FEATURE_CLIENTS | MHEAP_FEATURE_WEAK | \
		  MHEAP_FEATURE_SCOPES | MHEAP_FEATURE_NAMES | MHEAP_FEATURE_EVENTS | \
		  MHEAP_FEATURE_MMAP)
#define RW (_IOC_READ | _IOC_WRITE)
/* An ioctl number with another size or direction */
#define CMD(cmd, dir, size) _IOC(dir, MHEAP_IOC_MAGIC, _IOC_NR(cmd), size)
/* A user pointer into the kernel's direct map */
#define KERNEL_PTR 0xffff888000000000ULL

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* A page mapped with @prot, followed by an unmapped one. */
static void *edge_page(int prot)
{
	char *p = mmap(NULL, 2 * page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + page_size(), page_size());
	mprotect(p, page_size(), prot);
	return p;
}

/* ------------------------------------------------------------------------
 * The bad-input table
 */

FIXTURE(bad) {
	struct mheap *mh;
	int fd;
	uint32_t obj;		/* 64 payload bytes, 4 slots, slot 0 -> leaf */
	uint32_t leaf;		/* no payload, no slots */
	uint32_t closed;	/* closed */
	uint32_t stale;		/* weak, its object freed */
	uint32_t foreign;	/* open in another client only */
	struct mheap *other;
	uint64_t token;		/* an exported object */
	char *ro, *edge;	/* read-only page; page before a hole */
};

typedef FIXTURE_DATA(bad) bad_t;

FIXTURE_VARIANT(bad) {
	int (*call)(bad_t *self);
	int err;
};

FIXTURE_SETUP(bad)
{
	uint32_t h, i;

	ASSERT_EQ(0, mheap_open(NULL, &self->mh));
	self->fd = mheap_fd(self->mh);
	ASSERT_EQ(0, mheap_alloc(self->mh, 64, 4, 42, &self->obj));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 0, 0, &self->leaf));
	ASSERT_EQ(0, mheap_set_slot(self->mh, self->obj, 0, self->leaf));
	ASSERT_EQ(0, mheap_write(self->mh, self->obj, 0, "0123456789", 10));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 0, &self->closed));
	ASSERT_EQ(0, mheap_release(self->mh, self->closed));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 0, &h));
	ASSERT_EQ(0, mheap_dup_weak(self->mh, h, &self->stale));
	ASSERT_EQ(0, mheap_release(self->mh, h));
	ASSERT_EQ(0, mheap_export(self->mh, self->leaf, &self->token));
	ASSERT_EQ(0, mheap_name_bind(self->mh, "fixture", self->leaf, 0));
	/* another client's handle, beyond every handle value of ours */
	ASSERT_EQ(0, mheap_from_fd(mheap_new_client(self->mh, MHEAP_CLIENT_CLOEXEC),
				   &self->other));
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, mheap_alloc(self->other, 8, 1, 0, &self->foreign));
	self->ro = edge_page(PROT_READ);
	self->edge = edge_page(PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->ro);
	ASSERT_NE(NULL, self->edge);
}

FIXTURE_TEARDOWN(bad)
{
	munmap(self->ro, page_size());
	munmap(self->edge, page_size());
	EXPECT_EQ(0, mheap_close(self->other));
	EXPECT_EQ(0, mheap_close(self->mh));
}

/* Everything a failed call must leave as it was */
struct snapshot {
	struct mheap_heap_stats heap;
	struct mheap_gc_stats gc;
	struct mheap_config config;
	struct mheap_info obj, leaf;
	char payload[64];
	int scope;		/* no scope may be left open: -ENOENT */
	char names[4][MHEAP_NAME_LEN];
	uint32_t nnames;
};

static int snap(bad_t *self, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->scope = mheap_scope_pop(self->mh, 1, NULL);
	if (mheap_name_list(self->mh, 0, s->names, 4, &s->nnames) < 0)
		return -1;
	return mheap_heap_stats(self->mh, &s->heap) ||
	       mheap_gc_stats(self->mh, &s->gc) ||
	       mheap_get_config(self->mh, &s->config) ||
	       mheap_info(self->mh, self->obj, &s->obj) ||
	       mheap_info(self->mh, self->leaf, &s->leaf) ||
	       mheap_read(self->mh, self->obj, 0, s->payload, 64);
}

TEST_F(bad, input)
{
	struct snapshot before, after;

	ASSERT_EQ(0, snap(self, &before));
	EXPECT_EQ(variant->err, variant->call(self));
	ASSERT_EQ(0, snap(self, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)))
		TH_LOG("the failed call changed the heap");
}

#define ROW(name, errno_, ...)						\
	static int call_##name(bad_t *self) { __VA_ARGS__ }		\
	FIXTURE_VARIANT_ADD(bad, name) { .call = call_##name, .err = errno_ }

/* @len bytes of @data on the fixture's read-only page */
static void *read_only(bad_t *self, const void *data, size_t len)
{
	mprotect(self->ro, page_size(), PROT_READ | PROT_WRITE);
	memcpy(self->ro, data, len);
	mprotect(self->ro, page_size(), PROT_READ);
	return self->ro;
}

/* version */
ROW(version_flags, EINVAL,
	struct mheap_version v = { .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_VERSION, &v););
ROW(version_null, EFAULT,
	return xioctl(self->fd, MHEAP_IOC_VERSION, NULL););

/* encodings */
ROW(unknown_number, ENOTTY,
	struct mheap_version v = { 0 };
	return xioctl(self->fd, _IOWR(MHEAP_IOC_MAGIC, 0x7f, struct mheap_version), &v););
ROW(unknown_number_ff, ENOTTY,
	struct mheap_version v = { 0 };
	return xioctl(self->fd, _IOWR(MHEAP_IOC_MAGIC, 0xff, struct mheap_version), &v););
ROW(wrong_magic, ENOTTY,
	struct mheap_alloc a = { .size = 8 };
	return xioctl(self->fd, _IOWR(MHEAP_IOC_MAGIC + 1, 0x02, struct mheap_alloc), &a););
ROW(wrong_direction, ENOTTY,
	struct mheap_alloc a = { .size = 8 };
	return xioctl(self->fd, CMD(MHEAP_IOC_ALLOC, _IOC_WRITE, sizeof(a)), &a););
ROW(no_direction, ENOTTY,
	return xioctl(self->fd, CMD(MHEAP_IOC_CLOSE, _IOC_NONE, 0), NULL););
ROW(struct_too_short, EINVAL,
	struct mheap_alloc a = { .size = 8 };
	return xioctl(self->fd, CMD(MHEAP_IOC_ALLOC, RW, 16), &a););
ROW(struct_empty, EINVAL,
	struct mheap_alloc a = { .size = 8 };
	return xioctl(self->fd, CMD(MHEAP_IOC_ALLOC, RW, 0), &a););
ROW(newer_struct_unknown_field, E2BIG,
	struct { struct mheap_alloc a; __u64 future; } n = { { .size = 8 }, 1 };
	return xioctl(self->fd, CMD(MHEAP_IOC_ALLOC, RW, sizeof(n)), &n););

/* alloc */
ROW(alloc_flags, EINVAL,
	struct mheap_alloc a = { .size = 8, .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_ALLOC, &a););
ROW(alloc_reserved, EINVAL,
	struct mheap_alloc a = { .size = 8, .reserved = 1 };
	return xioctl(self->fd, MHEAP_IOC_ALLOC, &a););
ROW(alloc_huge_size, EINVAL,
	struct mheap_alloc a = { .size = MHEAP_MAX_SIZE + 1 };
	return xioctl(self->fd, MHEAP_IOC_ALLOC, &a););
ROW(alloc_overflowing_size, EINVAL,
	struct mheap_alloc a = { .size = ~0ULL };
	return xioctl(self->fd, MHEAP_IOC_ALLOC, &a););
ROW(alloc_too_many_slots, EINVAL,
	struct mheap_alloc a = { .nrefs = MHEAP_MAX_REFS + 1 };
	return xioctl(self->fd, MHEAP_IOC_ALLOC, &a););
ROW(alloc_null, EFAULT,
	return xioctl(self->fd, MHEAP_IOC_ALLOC, NULL););
ROW(alloc_kernel_pointer, EFAULT,
	return xioctl(self->fd, MHEAP_IOC_ALLOC, (void *)(uintptr_t)KERNEL_PTR););
ROW(alloc_unmapped, EFAULT,
	return xioctl(self->fd, MHEAP_IOC_ALLOC, self->edge + page_size()););
ROW(alloc_struct_across_hole, EFAULT,
	return xioctl(self->fd, MHEAP_IOC_ALLOC, self->edge + page_size() - 16););
ROW(alloc_read_only_arg, EFAULT,
	return xioctl(self->fd, MHEAP_IOC_ALLOC, self->ro););

/* dup */
ROW(dup_unknown_handle, ENOENT,
	struct mheap_dup d = { .handle = 12345 };
	return xioctl(self->fd, MHEAP_IOC_DUP, &d););
ROW(dup_handle_zero, ENOENT,
	struct mheap_dup d = { .handle = 0 };
	return xioctl(self->fd, MHEAP_IOC_DUP, &d););
ROW(dup_handle_all_ones, ENOENT,
	struct mheap_dup d = { .handle = ~0U };
	return xioctl(self->fd, MHEAP_IOC_DUP, &d););
ROW(dup_closed_handle, ENOENT,
	struct mheap_dup d = { .handle = self->closed };
	return xioctl(self->fd, MHEAP_IOC_DUP, &d););
ROW(dup_other_clients_handle, ENOENT,
	struct mheap_dup d = { .handle = self->foreign };
	return xioctl(self->fd, MHEAP_IOC_DUP, &d););
ROW(dup_stale_weak, ESTALE,
	struct mheap_dup d = { .handle = self->stale };
	return xioctl(self->fd, MHEAP_IOC_DUP, &d););
ROW(dup_weak_of_stale_weak, ESTALE,
	struct mheap_dup d = { .handle = self->stale, .flags = MHEAP_DUP_WEAK };
	return xioctl(self->fd, MHEAP_IOC_DUP, &d););
ROW(dup_unknown_flag, EINVAL,
	struct mheap_dup d = { .handle = self->obj, .flags = 2 };
	return xioctl(self->fd, MHEAP_IOC_DUP, &d););
ROW(dup_reserved, EINVAL,
	struct mheap_dup d = { .handle = self->obj, .reserved = 1 };
	return xioctl(self->fd, MHEAP_IOC_DUP, &d););

/* close */
ROW(close_unknown_handle, ENOENT,
	struct mheap_close c = { .handle = 999 };
	return xioctl(self->fd, MHEAP_IOC_CLOSE, &c););
ROW(close_closed_handle, ENOENT,
	struct mheap_close c = { .handle = self->closed };
	return xioctl(self->fd, MHEAP_IOC_CLOSE, &c););
ROW(close_other_clients_handle, ENOENT,
	struct mheap_close c = { .handle = self->foreign };
	return xioctl(self->fd, MHEAP_IOC_CLOSE, &c););
ROW(close_flags, EINVAL,
	struct mheap_close c = { .handle = self->obj, .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_CLOSE, &c););

/* set and get slot */
ROW(set_slot_out_of_range, EINVAL,
	struct mheap_slot s = { .handle = self->obj, .index = 4, .target = self->leaf };
	return xioctl(self->fd, MHEAP_IOC_SET_SLOT, &s););
ROW(set_slot_huge_index, EINVAL,
	struct mheap_slot s = { .handle = self->obj, .index = 1ULL << 40 };
	return xioctl(self->fd, MHEAP_IOC_SET_SLOT, &s););
ROW(set_slot_no_slots, EINVAL,
	struct mheap_slot s = { .handle = self->leaf, .index = 0, .target = self->obj };
	return xioctl(self->fd, MHEAP_IOC_SET_SLOT, &s););
ROW(set_slot_closed_target, ENOENT,
	struct mheap_slot s = { .handle = self->obj, .index = 1, .target = self->closed };
	return xioctl(self->fd, MHEAP_IOC_SET_SLOT, &s););
ROW(set_slot_stale_target, ESTALE,
	struct mheap_slot s = { .handle = self->obj, .index = 1, .target = self->stale };
	return xioctl(self->fd, MHEAP_IOC_SET_SLOT, &s););
ROW(set_slot_closed_handle, ENOENT,
	struct mheap_slot s = { .handle = self->closed, .index = 0 };
	return xioctl(self->fd, MHEAP_IOC_SET_SLOT, &s););
ROW(set_slot_flags, EINVAL,
	struct mheap_slot s = { .handle = self->obj, .index = 1, .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_SET_SLOT, &s););
ROW(set_slot_reserved, EINVAL,
	struct mheap_slot s = { .handle = self->obj, .index = 1, .reserved = 1 };
	return xioctl(self->fd, MHEAP_IOC_SET_SLOT, &s););
ROW(get_slot_out_of_range, EINVAL,
	struct mheap_slot s = { .handle = self->obj, .index = 4 };
	return xioctl(self->fd, MHEAP_IOC_GET_SLOT, &s););
ROW(get_slot_target_set_on_input, EINVAL,
	struct mheap_slot s = { .handle = self->obj, .index = 0, .target = 1 };
	return xioctl(self->fd, MHEAP_IOC_GET_SLOT, &s););
ROW(get_slot_result_unwritable, EFAULT,
	struct mheap_slot s = { .handle = self->obj, .index = 0 };
	return xioctl(self->fd, MHEAP_IOC_GET_SLOT, read_only(self, &s, sizeof(s))););
ROW(alloc_result_unwritable, EFAULT,
	struct mheap_alloc a = { .size = 8, .nrefs = 1 };
	return xioctl(self->fd, MHEAP_IOC_ALLOC, read_only(self, &a, sizeof(a))););
ROW(dup_result_unwritable, EFAULT,
	struct mheap_dup d = { .handle = self->obj };
	return xioctl(self->fd, MHEAP_IOC_DUP, read_only(self, &d, sizeof(d))););
ROW(export_result_unwritable, EFAULT,
	struct mheap_token t = { .handle = self->obj };
	return xioctl(self->fd, MHEAP_IOC_EXPORT, read_only(self, &t, sizeof(t))););
ROW(import_result_unwritable, EFAULT,
	struct mheap_token t = { .token = self->token };
	return xioctl(self->fd, MHEAP_IOC_IMPORT, read_only(self, &t, sizeof(t))););
ROW(refs_result_unwritable, EFAULT,
	uint32_t buf[4];
	struct mheap_refs r = { .handle = self->obj, .which = MHEAP_REFS_REFERENTS,
				.buf = (uintptr_t)buf, .count = 4 };
	return xioctl(self->fd, MHEAP_IOC_REFS, read_only(self, &r, sizeof(r))););

/* read and write */
ROW(read_beyond_payload, EINVAL,
	char buf[16];
	struct mheap_rw r = { .handle = self->obj, .offset = 60, .len = 8,
			      .buf = (uintptr_t)buf };
	return xioctl(self->fd, MHEAP_IOC_READ, &r););
ROW(read_offset_overflow, EINVAL,
	char buf[16];
	struct mheap_rw r = { .handle = self->obj, .offset = ~0ULL, .len = 2,
			      .buf = (uintptr_t)buf };
	return xioctl(self->fd, MHEAP_IOC_READ, &r););
ROW(read_length_overflow, EINVAL,
	char buf[16];
	struct mheap_rw r = { .handle = self->obj, .offset = 8, .len = ~0ULL - 4,
			      .buf = (uintptr_t)buf };
	return xioctl(self->fd, MHEAP_IOC_READ, &r););
ROW(read_null_buffer, EFAULT,
	struct mheap_rw r = { .handle = self->obj, .len = 8 };
	return xioctl(self->fd, MHEAP_IOC_READ, &r););
ROW(read_kernel_buffer, EFAULT,
	struct mheap_rw r = { .handle = self->obj, .len = 8, .buf = KERNEL_PTR };
	return xioctl(self->fd, MHEAP_IOC_READ, &r););
ROW(read_read_only_buffer, EFAULT,
	struct mheap_rw r = { .handle = self->obj, .len = 8, .buf = (uintptr_t)self->ro };
	return xioctl(self->fd, MHEAP_IOC_READ, &r););
ROW(read_buffer_shorter_than_claimed, EFAULT,
	struct mheap_rw r = { .handle = self->obj, .len = 64,
			      .buf = (uintptr_t)(self->edge + page_size() - 32) };
	return xioctl(self->fd, MHEAP_IOC_READ, &r););
ROW(read_flags, EINVAL,
	char buf[8];
	struct mheap_rw r = { .handle = self->obj, .len = 8, .buf = (uintptr_t)buf,
			      .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_READ, &r););
ROW(read_closed_handle, ENOENT,
	char buf[8];
	struct mheap_rw r = { .handle = self->closed, .len = 8, .buf = (uintptr_t)buf };
	return xioctl(self->fd, MHEAP_IOC_READ, &r););
ROW(write_beyond_payload, EINVAL,
	struct mheap_rw r = { .handle = self->obj, .offset = 1, .len = 64,
			      .buf = (uintptr_t)self->edge };
	return xioctl(self->fd, MHEAP_IOC_WRITE, &r););
ROW(write_to_empty_payload, EINVAL,
	struct mheap_rw r = { .handle = self->leaf, .len = 1, .buf = (uintptr_t)self->edge };
	return xioctl(self->fd, MHEAP_IOC_WRITE, &r););
ROW(write_null_buffer, EFAULT,
	struct mheap_rw r = { .handle = self->obj, .len = 8 };
	return xioctl(self->fd, MHEAP_IOC_WRITE, &r););
ROW(write_unmapped_buffer, EFAULT,
	struct mheap_rw r = { .handle = self->obj, .len = 8,
			      .buf = (uintptr_t)(self->edge + page_size()) };
	return xioctl(self->fd, MHEAP_IOC_WRITE, &r););
ROW(write_kernel_buffer, EFAULT,
	struct mheap_rw r = { .handle = self->obj, .len = 8, .buf = KERNEL_PTR };
	return xioctl(self->fd, MHEAP_IOC_WRITE, &r););
ROW(write_buffer_shorter_than_claimed, EFAULT,
	struct mheap_rw r = { .handle = self->obj, .len = 64,
			      .buf = (uintptr_t)(self->edge + page_size() - 32) };
	memset(self->edge + page_size() - 32, 'x', 32);
	return xioctl(self->fd, MHEAP_IOC_WRITE, &r););
ROW(write_stale_weak, ESTALE,
	struct mheap_rw r = { .handle = self->stale, .len = 0, .buf = (uintptr_t)self->edge };
	return xioctl(self->fd, MHEAP_IOC_WRITE, &r););

/* info */
ROW(info_flags, EINVAL,
	struct mheap_info i = { .handle = self->obj, .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_INFO, &i););
ROW(info_closed_handle, ENOENT,
	struct mheap_info i = { .handle = self->closed };
	return xioctl(self->fd, MHEAP_IOC_INFO, &i););
ROW(info_stale_weak, ESTALE,
	struct mheap_info i = { .handle = self->stale };
	return xioctl(self->fd, MHEAP_IOC_INFO, &i););

/* collector */
ROW(gc_unknown_op, EINVAL,
	struct mheap_gc_ctl g = { .op = 99 };
	return xioctl(self->fd, MHEAP_IOC_GC, &g););
ROW(gc_op_zero, EINVAL,
	struct mheap_gc_ctl g = { .op = 0 };
	return xioctl(self->fd, MHEAP_IOC_GC, &g););
ROW(gc_collect_generation_3, EINVAL,
	struct mheap_gc_ctl g = { .op = MHEAP_GC_COLLECT, .arg = 3 };
	return xioctl(self->fd, MHEAP_IOC_GC, &g););
ROW(gc_flags, EINVAL,
	struct mheap_gc_ctl g = { .op = MHEAP_GC_COLLECT, .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_GC, &g););
ROW(gc_save_all_2, EINVAL,
	struct mheap_gc_ctl g = { .op = MHEAP_GC_SET_SAVE_ALL, .arg = 2 };
	return xioctl(self->fd, MHEAP_IOC_GC, &g););
ROW(gc_disable_with_arg, EINVAL,
	struct mheap_gc_ctl g = { .op = MHEAP_GC_DISABLE, .arg = 1 };
	return xioctl(self->fd, MHEAP_IOC_GC, &g););
ROW(gc_stats_flags, EINVAL,
	struct mheap_gc_stats s = { .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_GC_STATS, &s););
ROW(heap_stats_flags, EINVAL,
	struct mheap_heap_stats s = { .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_HEAP_STATS, &s););
ROW(module_stats_flags, EINVAL,
	struct mheap_module_stats s = { .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_MODULE_STATS, &s););

/* config */
ROW(config_unknown_flag, EINVAL,
	struct mheap_config c = { .flags = 4 };
	return xioctl(self->fd, MHEAP_IOC_CONFIG, &c););
ROW(config_capacity_too_small, EINVAL,
	struct mheap_config c = { .flags = MHEAP_CONFIG_SET_CAPACITY, .capacity = 4096 };
	return xioctl(self->fd, MHEAP_IOC_CONFIG, &c););
ROW(config_capacity_too_large, EINVAL,
	struct mheap_config c = { .flags = MHEAP_CONFIG_SET_CAPACITY |
					   MHEAP_CONFIG_SET_THRESHOLD,
				  .capacity = 1ULL << 50, .threshold = { 1, 1, 1 } };
	return xioctl(self->fd, MHEAP_IOC_CONFIG, &c););
ROW(config_reserved, EINVAL,
	struct mheap_config c = { .reserved2 = 1 };
	return xioctl(self->fd, MHEAP_IOC_CONFIG, &c););

/* referents, referrers, garbage */
ROW(refs_unknown_which, EINVAL,
	uint32_t buf[4];
	struct mheap_refs r = { .handle = self->obj, .which = 9, .buf = (uintptr_t)buf,
				.count = 4 };
	return xioctl(self->fd, MHEAP_IOC_REFS, &r););
ROW(refs_count_too_large, EINVAL,
	struct mheap_refs r = { .handle = self->obj, .which = MHEAP_REFS_REFERENTS,
				.buf = (uintptr_t)self->edge, .count = MHEAP_REFS_MAX + 1 };
	return xioctl(self->fd, MHEAP_IOC_REFS, &r););
ROW(refs_garbage_with_handle, EINVAL,
	struct mheap_refs r = { .handle = self->obj, .which = MHEAP_REFS_GARBAGE };
	return xioctl(self->fd, MHEAP_IOC_REFS, &r););
ROW(refs_null_buffer, EFAULT,
	struct mheap_refs r = { .handle = self->obj, .which = MHEAP_REFS_REFERENTS,
				.count = 4 };
	return xioctl(self->fd, MHEAP_IOC_REFS, &r););
ROW(refs_read_only_buffer, EFAULT,
	struct mheap_refs r = { .handle = self->leaf, .which = MHEAP_REFS_REFERRERS,
				.buf = (uintptr_t)self->ro, .count = 4 };
	return xioctl(self->fd, MHEAP_IOC_REFS, &r););
ROW(refs_closed_handle, ENOENT,
	uint32_t buf[4];
	struct mheap_refs r = { .handle = self->closed, .which = MHEAP_REFS_REFERENTS,
				.buf = (uintptr_t)buf, .count = 4 };
	return xioctl(self->fd, MHEAP_IOC_REFS, &r););

/* batch */
ROW(batch_zero_count, EINVAL,
	struct mheap_op op = { .op = MHEAP_OP_ALLOC };
	struct mheap_batch b = { .ops = (uintptr_t)&op, .count = 0 };
	return xioctl(self->fd, MHEAP_IOC_BATCH, &b););
ROW(batch_too_many, E2BIG,
	struct mheap_op op = { .op = MHEAP_OP_ALLOC };
	struct mheap_batch b = { .ops = (uintptr_t)&op, .count = MHEAP_BATCH_MAX + 1 };
	return xioctl(self->fd, MHEAP_IOC_BATCH, &b););
ROW(batch_unknown_flag, EINVAL,
	struct mheap_op op = { .op = MHEAP_OP_ALLOC };
	struct mheap_batch b = { .ops = (uintptr_t)&op, .count = 1, .flags = 2 };
	return xioctl(self->fd, MHEAP_IOC_BATCH, &b););
ROW(batch_reserved, EINVAL,
	struct mheap_op op = { .op = MHEAP_OP_ALLOC };
	struct mheap_batch b = { .ops = (uintptr_t)&op, .count = 1, .reserved = 1 };
	return xioctl(self->fd, MHEAP_IOC_BATCH, &b););
ROW(batch_null_ops, EFAULT,
	struct mheap_batch b = { .count = 1 };
	return xioctl(self->fd, MHEAP_IOC_BATCH, &b););
ROW(batch_kernel_ops, EFAULT,
	struct mheap_batch b = { .ops = KERNEL_PTR, .count = 1 };
	return xioctl(self->fd, MHEAP_IOC_BATCH, &b););
ROW(batch_read_only_ops, EFAULT,
	struct mheap_op *op = (struct mheap_op *)self->ro;
	struct mheap_batch b = { .ops = (uintptr_t)op, .count = 1 };
	/* a zeroed op is an unknown operation: its result cannot be written */
	return xioctl(self->fd, MHEAP_IOC_BATCH, &b););

/* clients, export and import */
ROW(new_client_flags, EINVAL,
	struct mheap_new_client nc = { .flags = 4 };
	return xioctl(self->fd, MHEAP_IOC_NEW_CLIENT, &nc););
ROW(new_client_fd_set_on_input, EINVAL,
	struct mheap_new_client nc = { .fd = 3 };
	return xioctl(self->fd, MHEAP_IOC_NEW_CLIENT, &nc););
ROW(new_client_result_unwritable, EFAULT,
	return xioctl(self->fd, MHEAP_IOC_NEW_CLIENT, self->ro););
ROW(export_closed_handle, ENOENT,
	struct mheap_token t = { .handle = self->closed };
	return xioctl(self->fd, MHEAP_IOC_EXPORT, &t););
ROW(export_flags, EINVAL,
	struct mheap_token t = { .handle = self->obj, .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_EXPORT, &t););
ROW(export_token_set_on_input, EINVAL,
	struct mheap_token t = { .handle = self->obj, .token = 1 };
	return xioctl(self->fd, MHEAP_IOC_EXPORT, &t););
ROW(import_unknown_token, ENOENT,
	struct mheap_token t = { .token = self->token + 7 };
	return xioctl(self->fd, MHEAP_IOC_IMPORT, &t););
ROW(import_huge_token, ENOENT,
	struct mheap_token t = { .token = (1ULL << 32) | self->token };
	return xioctl(self->fd, MHEAP_IOC_IMPORT, &t););
ROW(import_token_zero, ENOENT,
	struct mheap_token t = { .token = 0 };
	return xioctl(self->fd, MHEAP_IOC_IMPORT, &t););
ROW(import_handle_set_on_input, EINVAL,
	struct mheap_token t = { .token = self->token, .handle = 1 };
	return xioctl(self->fd, MHEAP_IOC_IMPORT, &t););

/* scopes */
ROW(scope_unknown_op, EINVAL,
	struct mheap_scope sc = { .op = 9 };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_op_zero, EINVAL,
	struct mheap_scope sc = { .op = 0 };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_flags, EINVAL,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_PUSH, .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_reserved, EINVAL,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_PUSH, .reserved = 1 };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_closed_set_on_input, EINVAL,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_POP, .level = 1, .closed = 1 };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_push_with_level, EINVAL,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_PUSH, .level = 1 };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_push_with_handle, EINVAL,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_PUSH, .handle = self->obj };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_pop_with_handle, EINVAL,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_POP, .level = 1,
				  .handle = self->obj };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_pop_none_open, ENOENT,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_POP, .level = 1 };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_pop_level_zero, ENOENT,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_POP, .level = 0 };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_escape_none_open, EINVAL,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_ESCAPE, .handle = self->obj };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_escape_closed_handle, ENOENT,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_ESCAPE, .handle = self->closed };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_escape_with_level, EINVAL,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_ESCAPE, .handle = self->obj,
				  .level = 1 };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_null, EFAULT,
	return xioctl(self->fd, MHEAP_IOC_SCOPE, NULL););
ROW(scope_push_read_only_arg, EFAULT,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_PUSH };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, read_only(self, &sc, sizeof(sc))););

/* named roots */
#define NAME_ROW(row, errno_, ...)					\
	ROW(row, errno_,						\
		struct mheap_name n = { .op = MHEAP_NAME_LOOKUP };	\
		memcpy(n.name, "fixture", 7);				\
		__VA_ARGS__;						\
		return xioctl(self->fd, MHEAP_IOC_NAME, &n);)
NAME_ROW(name_unknown_op, EINVAL, n.op = 7);
NAME_ROW(name_op_zero, EINVAL, n.op = 0);
NAME_ROW(name_reserved, EINVAL, n.reserved = 1);
NAME_ROW(name_empty, EINVAL, memset(n.name, 0, sizeof(n.name)));
NAME_ROW(name_bad_char, EINVAL, n.name[3] = ' ');
NAME_ROW(name_not_ascii, EINVAL, n.name[3] = (char)0xc3);
NAME_ROW(name_no_nul, EINVAL, memset(n.name, 'x', sizeof(n.name)));
NAME_ROW(name_garbage_after_nul, EINVAL, n.name[40] = 'x');
NAME_ROW(name_lookup_with_flags, EINVAL, n.flags = MHEAP_NAME_REPLACE);
NAME_ROW(name_lookup_with_handle, EINVAL, n.handle = self->obj);
NAME_ROW(name_unbind_with_handle, EINVAL,
	 n.op = MHEAP_NAME_UNBIND; n.handle = self->obj);
NAME_ROW(name_bind_unknown_flag, EINVAL,
	 n.op = MHEAP_NAME_BIND; n.handle = self->obj; n.flags = 2);
NAME_ROW(name_bind_existing, EEXIST, n.op = MHEAP_NAME_BIND; n.handle = self->obj);
NAME_ROW(name_bind_closed_handle, ENOENT,
	 n.op = MHEAP_NAME_BIND; n.handle = self->closed; strncpy(n.name, "other", sizeof(n.name)));
NAME_ROW(name_bind_stale_handle, ESTALE,
	 n.op = MHEAP_NAME_BIND; n.handle = self->stale; strncpy(n.name, "other", sizeof(n.name)));
NAME_ROW(name_bind_other_clients_handle, ENOENT,
	 n.op = MHEAP_NAME_BIND; n.handle = self->foreign; strncpy(n.name, "other", sizeof(n.name)));
NAME_ROW(name_lookup_unbound, ENOENT, strncpy(n.name, "other", sizeof(n.name)));
NAME_ROW(name_unbind_unbound, ENOENT, n.op = MHEAP_NAME_UNBIND; strncpy(n.name, "other", sizeof(n.name)));
ROW(name_null, EFAULT,
	return xioctl(self->fd, MHEAP_IOC_NAME, NULL););
ROW(name_lookup_read_only_arg, EFAULT,
	struct mheap_name n = { .op = MHEAP_NAME_LOOKUP, .name = "fixture" };
	return xioctl(self->fd, MHEAP_IOC_NAME, read_only(self, &n, sizeof(n))););
ROW(names_count_too_large, EINVAL,
	struct mheap_names n = { .buf = (uintptr_t)self->edge,
				 .count = MHEAP_NAMES_MAX + 1 };
	return xioctl(self->fd, MHEAP_IOC_NAMES, &n););
ROW(names_flags, EINVAL,
	char buf[MHEAP_NAME_LEN];
	struct mheap_names n = { .buf = (uintptr_t)buf, .count = 1, .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_NAMES, &n););
ROW(names_total_set_on_input, EINVAL,
	char buf[MHEAP_NAME_LEN];
	struct mheap_names n = { .buf = (uintptr_t)buf, .count = 1, .total = 1 };
	return xioctl(self->fd, MHEAP_IOC_NAMES, &n););
ROW(names_null_buffer, EFAULT,
	struct mheap_names n = { .count = 1 };
	return xioctl(self->fd, MHEAP_IOC_NAMES, &n););
ROW(names_read_only_buffer, EFAULT,
	struct mheap_names n = { .buf = (uintptr_t)self->ro, .count = 1 };
	return xioctl(self->fd, MHEAP_IOC_NAMES, &n););

/* reclamation events */
ROW(events_unknown_op, EINVAL,
	struct mheap_events ev = { .op = 3 };
	return xioctl(self->fd, MHEAP_IOC_EVENTS, &ev););
ROW(events_flags, EINVAL,
	struct mheap_events ev = { .op = MHEAP_EVENTS_SUBSCRIBE, .flags = 1 };
	return xioctl(self->fd, MHEAP_IOC_EVENTS, &ev););
ROW(events_reserved, EINVAL,
	struct mheap_events ev = { .op = MHEAP_EVENTS_SUBSCRIBE, .reserved = 1 };
	return xioctl(self->fd, MHEAP_IOC_EVENTS, &ev););
ROW(events_capacity_too_large, EINVAL,
	struct mheap_events ev = { .op = MHEAP_EVENTS_SUBSCRIBE,
				   .capacity = MHEAP_EVENTS_MAX + 1 };
	return xioctl(self->fd, MHEAP_IOC_EVENTS, &ev););
ROW(events_unsubscribe_not_subscribed, ENOENT,
	struct mheap_events ev = { .op = MHEAP_EVENTS_UNSUBSCRIBE };
	return xioctl(self->fd, MHEAP_IOC_EVENTS, &ev););
ROW(events_unsubscribe_with_capacity, EINVAL,
	struct mheap_events ev = { .op = MHEAP_EVENTS_UNSUBSCRIBE, .capacity = 1 };
	return xioctl(self->fd, MHEAP_IOC_EVENTS, &ev););
ROW(events_null, EFAULT,
	return xioctl(self->fd, MHEAP_IOC_EVENTS, NULL););
ROW(events_read_not_subscribed, EINVAL,
	struct mheap_event e;
	return read(self->fd, &e, sizeof(e)) < 0 ? errno : 0;);

/* ------------------------------------------------------------------------
 * Good paths
 */

FIXTURE(heap) {
	struct mheap *mh;
	int fd;
};

FIXTURE_SETUP(heap)
{
	int err = mheap_open(NULL, &self->mh);

	ASSERT_EQ(0, err) TH_LOG("open: %s", strerror(-err));
	self->fd = mheap_fd(self->mh);
}

FIXTURE_TEARDOWN(heap)
{
	EXPECT_EQ(0, mheap_close(self->mh));
}

static uint64_t live(struct mheap *mh)
{
	struct mheap_heap_stats s;

	return mheap_heap_stats(mh, &s) ? ~0ULL : s.objects_live;
}

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
	ASSERT_EQ(0, WEXITSTATUS(status));
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

/* Read every record there is now; returns how many. */
static int drain(struct mheap *mh, struct mheap_event *ev, int max)
{
	int n, got = 0;

	while (got < max && (n = mheap_events_read(mh, ev + got, max - got, 0)) > 0)
		got += n;
	return got;
}

/* A subscribed client hears of each of its objects' end, in order. */
TEST_F(heap, events_report_reclamation)
{
	uint32_t before, a, b, c, d, granted = 0, mine;
	struct mheap_batch_buf batch;
	struct mheap_event ev[8];
	struct mheap *other;
	char small[8];

	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 99, &before));
	ASSERT_EQ(0, mheap_events_subscribe(self->mh, 0, &granted));
	EXPECT_EQ(MHEAP_EVENTS_DEFAULT, granted);
	EXPECT_EQ(-EBUSY, mheap_events_subscribe(self->mh, 8, NULL));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 1, &a));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 2, &b));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 3, &c));
	ASSERT_EQ(0, mheap_set_slot(self->mh, b, 0, c));
	ASSERT_EQ(0, mheap_set_slot(self->mh, c, 0, b));
	ASSERT_EQ(0, mheap_batch_init(&batch, 1));
	ASSERT_EQ(0, mheap_batch_alloc(&batch, 16, 0, 4));
	ASSERT_EQ(1, mheap_batch_run(self->mh, &batch, 0));
	ASSERT_EQ(0, mheap_batch_result(&batch, 0, &d));
	mheap_batch_free(&batch);
	/* another client's objects are its own business */
	ASSERT_EQ(0, mheap_from_fd(mheap_new_client(self->mh, 0), &other));
	ASSERT_EQ(0, mheap_alloc(other, 8, 0, 50, &mine));
	ASSERT_EQ(0, mheap_close(other));
	/* objects from before the subscription are not reported */
	ASSERT_EQ(0, mheap_release(self->mh, before));
	EXPECT_EQ(0, drain(self->mh, ev, 8));

	ASSERT_EQ(0, mheap_release(self->mh, a));
	ASSERT_EQ(-EINVAL, read(self->fd, small, sizeof(small)) < 0 ? -errno : 0);
	ASSERT_EQ(1, drain(self->mh, ev, 8));
	EXPECT_EQ(1, ev[0].cookie);
	EXPECT_EQ(MHEAP_EVENT_REFCOUNT, ev[0].reason);
	EXPECT_EQ(MHEAP_EVENT_NO_GEN, ev[0].generation);

	ASSERT_EQ(0, mheap_release(self->mh, b));
	ASSERT_EQ(0, mheap_release(self->mh, c));
	EXPECT_EQ(0, drain(self->mh, ev, 8));
	ASSERT_EQ(0, mheap_collect(self->mh, 2, NULL));
	ASSERT_EQ(2, drain(self->mh, ev, 8));
	EXPECT_EQ(2 + 3, ev[0].cookie + ev[1].cookie);
	EXPECT_EQ(MHEAP_EVENT_COLLECTOR, ev[0].reason);
	EXPECT_EQ(MHEAP_EVENT_COLLECTOR, ev[1].reason);
	/* unreachable at their first collection: still in generation 0 */
	EXPECT_EQ(0, ev[0].generation);

	/* unsubscribed: nothing more, and read() has nothing to say */
	ASSERT_EQ(0, mheap_events_unsubscribe(self->mh));
	EXPECT_EQ(-ENOENT, mheap_events_unsubscribe(self->mh));
	ASSERT_EQ(0, mheap_release(self->mh, d));
	EXPECT_EQ(-EINVAL, mheap_events_read(self->mh, ev, 8, 0));
	EXPECT_EQ(0, live(self->mh));
}

/* A full queue reports what it lost in one record, where it lost it. */
TEST_F(heap, events_overflow_is_reported)
{
	uint32_t level, h, granted, i, closed;
	struct mheap_event ev[16];
	int flags;

	ASSERT_EQ(0, mheap_events_subscribe(self->mh, 4, &granted));
	EXPECT_EQ(4, granted);
	ASSERT_EQ(0, mheap_scope_push(self->mh, &level));
	for (i = 1; i <= 10; i++)
		ASSERT_EQ(0, mheap_alloc(self->mh, 0, 0, i, &h));
	ASSERT_EQ(0, mheap_scope_pop(self->mh, level, &closed));
	EXPECT_EQ(10, closed);
	/* O_NONBLOCK: EAGAIN once the queue is empty */
	flags = fcntl(self->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags | O_NONBLOCK));
	ASSERT_EQ(2 * sizeof(ev[0]), read(self->fd, ev, 2 * sizeof(ev[0])));
	EXPECT_EQ(1, ev[0].cookie);
	EXPECT_EQ(2, ev[1].cookie);
	/* two read, two more lost: they join the overflow record */
	ASSERT_EQ(0, mheap_scope_push(self->mh, &level));
	for (i = 11; i <= 14; i++)
		ASSERT_EQ(0, mheap_alloc(self->mh, 0, 0, i, &h));
	ASSERT_EQ(0, mheap_scope_pop(self->mh, level, &closed));
	ASSERT_EQ(5 * sizeof(ev[0]), read(self->fd, ev, sizeof(ev)));
	EXPECT_EQ(3, ev[0].cookie);
	EXPECT_EQ(4, ev[1].cookie);
	EXPECT_EQ(MHEAP_EVENT_OVERFLOW, ev[2].reason);
	EXPECT_EQ(6, ev[2].cookie);			/* 5 to 10 */
	EXPECT_EQ(11, ev[3].cookie);
	EXPECT_EQ(MHEAP_EVENT_OVERFLOW, ev[4].reason);
	EXPECT_EQ(3, ev[4].cookie);			/* 12 to 14 */
	EXPECT_EQ(-1, read(self->fd, ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags));
}

/* A reader waiting in read() (here a child sharing the file) wakes up. */
TEST_F(heap, events_blocking_read_wakes)
{
	struct mheap_event ev;
	int status, pfd[2];
	uint32_t h;
	pid_t pid;

	ASSERT_EQ(0, mheap_events_subscribe(self->mh, 0, NULL));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 1234, &h));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct pollfd p = { .fd = self->fd, .events = POLLIN };

		/* nothing queued yet: poll says so */
		if (poll(&p, 1, 0) != 0)
			_exit(3);
		if (write(pfd[1], "x", 1) != 1)
			_exit(4);
		if (read(self->fd, &ev, sizeof(ev)) != sizeof(ev))
			_exit(1);
		_exit(ev.cookie == 1234 ? 0 : 2);
	}
	ASSERT_EQ(1, read(pfd[0], &status, 1));
	usleep(100 * 1000);
	ASSERT_EQ(0, mheap_release(self->mh, h));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(pfd[0]);
	close(pfd[1]);
}

/* Touch *@p (read, or write when @write); true when that gave SIGBUS. */
static sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

static bool faults(volatile char *p, bool write)
{
	struct sigaction sa = { .sa_handler = on_bus }, old;
	bool bus = true;

	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(bus_jmp, 1)) {
		if (write)
			*p = 1;
		else
			(void)*p;
		bus = false;
	}
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

#define MAP_LEN	(256ULL << 20)	/* 16 arenas' worth of the mapping */

/* Payloads read and written in place, both ways, big and small. */
TEST_F(heap, mmap_payload_in_place)
{
	struct mheap_info small, big, empty;
	struct mheap_heap_stats hs;
	uint32_t a, b, c;
	char buf[16] = "";
	char *map;

	ASSERT_EQ(0, mheap_alloc(self->mh, 100, 0, 0, &a));
	ASSERT_EQ(0, mheap_alloc(self->mh, 1 << 20, 0, 0, &b));	/* jumbo */
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 0, &c));
	ASSERT_EQ(0, mheap_write(self->mh, a, 90, "in the heap", 10));
	ASSERT_EQ(0, mheap_info(self->mh, a, &small));
	ASSERT_EQ(0, mheap_info(self->mh, b, &big));
	ASSERT_EQ(0, mheap_info(self->mh, c, &empty));
	EXPECT_EQ(MHEAP_NO_MAP, empty.map_offset);
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &hs));
	EXPECT_LE(small.map_offset + 100, hs.map_size);
	EXPECT_LE(big.map_offset + (1 << 20), hs.map_size);
	EXPECT_EQ(0, big.map_offset % MHEAP_MAP_STRIDE);
	ASSERT_LE(hs.map_size, MAP_LEN);

	ASSERT_EQ(0, mheap_map(self->mh, MAP_LEN, 1, (void **)&map));
	EXPECT_EQ(0, memcmp(map + small.map_offset + 90, "in the heap", 10));
	memcpy(map + small.map_offset, "in place", 8);
	ASSERT_EQ(0, mheap_read(self->mh, a, 0, buf, 8));
	EXPECT_EQ(0, memcmp(buf, "in place", 8));
	/* the whole jumbo payload, last byte included */
	map[big.map_offset + (1 << 20) - 1] = 'z';
	ASSERT_EQ(0, mheap_read(self->mh, b, (1 << 20) - 1, buf, 1));
	EXPECT_EQ('z', buf[0]);
	/* a buffer inside the mapping is a fine ioctl buffer too */
	ASSERT_EQ(0, mheap_read(self->mh, a, 0, map + big.map_offset, 8));
	EXPECT_EQ(0, memcmp(map + big.map_offset, "in place", 8));
	/* past every arena: SIGBUS */
	EXPECT_TRUE(faults(map + MAP_LEN - 4096, false));
	ASSERT_EQ(0, mheap_unmap(map, MAP_LEN));
}

/* An arena's pages leave every mapping before it is released. */
TEST_F(heap, mmap_released_arena_disappears)
{
	struct mheap_info info;
	struct mheap *other;
	char *map, *theirs;
	uint32_t big, again;

	ASSERT_EQ(0, mheap_alloc(self->mh, 1 << 20, 0, 0, &big));
	ASSERT_EQ(0, mheap_info(self->mh, big, &info));
	ASSERT_EQ(0, mheap_from_fd(mheap_new_client(self->mh, 0), &other));
	ASSERT_EQ(0, mheap_map(self->mh, MAP_LEN, 1, (void **)&map));
	ASSERT_EQ(0, mheap_map(other, MAP_LEN, 0, (void **)&theirs));
	map[info.map_offset + 4096] = 'x';
	EXPECT_EQ('x', theirs[info.map_offset + 4096]);
	EXPECT_FALSE(faults(map + info.map_offset, true));
	/* a jumbo arena goes with its object */
	ASSERT_EQ(0, mheap_release(self->mh, big));
	EXPECT_TRUE(faults(map + info.map_offset + 4096, false));
	EXPECT_TRUE(faults(theirs + info.map_offset, false));
	/* another heap's memory never shows up there */
	{
		struct mheap *h2;
		uint32_t x;

		ASSERT_EQ(0, mheap_open(NULL, &h2));
		ASSERT_EQ(0, mheap_alloc(h2, 1 << 20, 0, 0, &x));
		EXPECT_TRUE(faults(map + info.map_offset, false));
		ASSERT_EQ(0, mheap_close(h2));
	}
	/* a new arena at the same place is mapped afresh, zeroed */
	ASSERT_EQ(0, mheap_alloc(self->mh, 1 << 20, 0, 0, &again));
	ASSERT_EQ(0, mheap_info(self->mh, again, &info));
	EXPECT_EQ(0, map[info.map_offset + 4096]);
	ASSERT_EQ(0, mheap_unmap(theirs, MAP_LEN));
	ASSERT_EQ(0, mheap_unmap(map, MAP_LEN));
	ASSERT_EQ(0, mheap_close(other));
}

/* Private mappings are refused; a read-only client maps read-only. */
TEST_F(heap, mmap_private_and_read_only)
{
	struct mheap_info info;
	struct mheap *ro;
	uint32_t a;
	void *p;
	int fd;

	ASSERT_EQ(0, mheap_alloc(self->mh, 64, 0, 0, &a));
	ASSERT_EQ(0, mheap_info(self->mh, a, &info));
	p = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (sizeof(off_t) >= 8) {	/* beyond MHEAP_MAP_MAX */
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->fd,
			 (off_t)MHEAP_MAP_MAX);
		EXPECT_EQ(MAP_FAILED, p);
	}
	fd = mheap_new_client(self->mh, MHEAP_CLIENT_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(0, mheap_from_fd(fd, &ro));
	EXPECT_EQ(-EACCES, mheap_map(ro, MAP_LEN, 1, &p));
	ASSERT_EQ(0, mheap_map(ro, MAP_LEN, 0, &p));
	EXPECT_EQ(-1, mprotect(p, MAP_LEN, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(0, mheap_write(self->mh, a, 0, "seen", 4));
	EXPECT_EQ(0, memcmp((char *)p + info.map_offset, "seen", 4));
	ASSERT_EQ(0, mheap_unmap(p, MAP_LEN));
	ASSERT_EQ(0, mheap_close(ro));
}

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

TEST_F(heap, cycle_survives_refcounting_then_collected)
{
	struct mheap_gc_stats g;
	uint64_t n = 0;
	uint32_t a, b;

	ASSERT_EQ(0, mheap_gc_enable(self->mh, 0));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &a));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, a, 0, b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, b, 0, a));
	ASSERT_EQ(0, mheap_release(self->mh, a));
	ASSERT_EQ(0, mheap_release(self->mh, b));
	EXPECT_EQ(2ULL, live(self->mh));
	ASSERT_EQ(0, mheap_collect(self->mh, 0, &n));
	EXPECT_EQ(2ULL, n);
	EXPECT_EQ(0ULL, live(self->mh));
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &g));
	EXPECT_EQ(0U, g.state & MHEAP_GC_STATE_ENABLED);
	EXPECT_EQ(1ULL, g.gen[0].collections);
	EXPECT_EQ(2ULL, g.gen[0].collected);
}

TEST_F(heap, automatic_collection)
{
	uint32_t t[3] = { 10, 10, 10 }, a, b;
	struct mheap_gc_stats st;
	struct mheap_config c;
	int i, tries;

	ASSERT_EQ(0, mheap_set_threshold(self->mh, t));
	ASSERT_EQ(0, mheap_get_config(self->mh, &c));
	EXPECT_EQ(10U, c.threshold[0]);
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &a));
		ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &b));
		ASSERT_EQ(0, mheap_set_slot(self->mh, a, 0, b));
		ASSERT_EQ(0, mheap_set_slot(self->mh, b, 0, a));
		ASSERT_EQ(0, mheap_release(self->mh, a));
		ASSERT_EQ(0, mheap_release(self->mh, b));
	}
	/*
	 * The workqueue collector runs on its own (within 10 s, on a busy
	 * VM). Running beside the loop (on another CPU, or preempting it), a
	 * collection of generation 0 may find the pair being built alive and
	 * move it to generation 1, which these few collections never reach:
	 * at most 2 such objects per collection, and up to threshold 0 dead
	 * ones not yet collected.
	 */
	for (tries = 0; tries < 1000; tries++) {
		ASSERT_EQ(0, mheap_gc_stats(self->mh, &st));
		if (st.gen[0].collections &&
		    live(self->mh) <= t[0] + 2 * st.gen[0].collections)
			break;
		usleep(10000);
	}
	EXPECT_NE(0, st.gen[0].collections);
	EXPECT_GE(t[0] + 2 * st.gen[0].collections, live(self->mh));
	EXPECT_GT(100ULL, live(self->mh));
}

TEST_F(heap, gc_controls)
{
	uint32_t a, b, hs[4], total = 0;
	struct mheap_gc_stats g;
	uint64_t n = 0;

	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &a));
	ASSERT_EQ(0, mheap_gc_freeze(self->mh));
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &g));
	EXPECT_EQ(1ULL, g.freeze_count);
	ASSERT_EQ(0, mheap_gc_unfreeze(self->mh));
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &g));
	EXPECT_EQ(0ULL, g.freeze_count);
	ASSERT_EQ(0, mheap_release(self->mh, a));

	ASSERT_EQ(0, mheap_gc_set_save_all(self->mh, 1));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &a));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, a, 0, b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, b, 0, a));
	ASSERT_EQ(0, mheap_release(self->mh, a));
	ASSERT_EQ(0, mheap_release(self->mh, b));
	ASSERT_EQ(0, mheap_collect(self->mh, 2, &n));
	EXPECT_EQ(2ULL, n);
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &g));
	EXPECT_EQ(2ULL, g.garbage);
	EXPECT_EQ(MHEAP_GC_STATE_ENABLED | MHEAP_GC_STATE_SAVE_ALL, g.state);
	EXPECT_EQ(2ULL, live(self->mh));
	/* the garbage list, as handles; then release it */
	ASSERT_EQ(2, mheap_garbage(self->mh, hs, 4, &total));
	EXPECT_EQ(2U, total);
	ASSERT_EQ(0, mheap_release(self->mh, hs[0]));
	ASSERT_EQ(0, mheap_release(self->mh, hs[1]));
	ASSERT_EQ(0, mheap_gc_set_save_all(self->mh, 0));
	ASSERT_EQ(0, mheap_gc_release_garbage(self->mh, &n));
	EXPECT_EQ(2ULL, n);
	/* off the list, the cycle is ordinary garbage for the next collection */
	EXPECT_EQ(2ULL, live(self->mh));
	ASSERT_EQ(0, mheap_collect(self->mh, 2, &n));
	EXPECT_EQ(2ULL, n);
	EXPECT_EQ(0ULL, live(self->mh));
}

TEST_F(heap, referents_and_referrers)
{
	uint32_t a, b, c, hs[8], total = 0;
	struct mheap_info i;

	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 3, 0, &a));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 0, &b));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 0, 0, &c));
	ASSERT_EQ(0, mheap_set_slot(self->mh, a, 0, b));
	ASSERT_EQ(0, mheap_set_slot(self->mh, a, 2, c));
	ASSERT_EQ(0, mheap_set_slot(self->mh, b, 0, c));
	ASSERT_EQ(2, mheap_referents(self->mh, a, hs, 8, &total));
	EXPECT_EQ(2U, total);
	ASSERT_EQ(0, mheap_info(self->mh, hs[1], &i));
	EXPECT_EQ(0U, i.nrefs);		/* c */
	ASSERT_EQ(2, mheap_referrers(self->mh, c, hs + 2, 8, &total));
	/* counting only */
	ASSERT_EQ(0, mheap_referrers(self->mh, c, NULL, 0, &total));
	EXPECT_EQ(2U, total);
	ASSERT_EQ(0, mheap_info(self->mh, c, &i));
	EXPECT_EQ(4U, i.refcnt);	/* handle, 2 slots, referents' handle */
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

TEST_F(heap, batch_results_and_stop)
{
	struct mheap_batch_buf b;
	uint32_t h[3], out;
	char in[8] = "batched", got[8] = "";
	int i;

	ASSERT_EQ(0, mheap_batch_init(&b, 16));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(i, mheap_batch_alloc(&b, 8, 1, i));
	ASSERT_EQ(3, mheap_batch_run(self->mh, &b, 0));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mheap_batch_result(&b, i, &h[i]));
	mheap_batch_reset(&b);
	mheap_batch_set_slot(&b, h[0], 0, h[1]);
	mheap_batch_write(&b, h[0], 0, in, 8);
	mheap_batch_read(&b, h[0], 0, got, 8);
	mheap_batch_close(&b, 9999);			/* fails: ENOENT */
	mheap_batch_get_slot(&b, h[0], 0);
	/* stop at the first failure: 4 processed, the 4th failed */
	ASSERT_EQ(4, mheap_batch_run(self->mh, &b, 0));
	EXPECT_STREQ("batched", got);
	EXPECT_EQ(-ENOENT, mheap_batch_result(&b, 3, NULL));
	EXPECT_EQ(0U, b.ops[4].out);			/* not run */
	/* go on after failures */
	ASSERT_EQ(5, mheap_batch_run(self->mh, &b, MHEAP_BATCH_CONTINUE));
	EXPECT_EQ(-ENOENT, mheap_batch_result(&b, 3, NULL));
	ASSERT_EQ(0, mheap_batch_result(&b, 4, &out));
	EXPECT_NE(0U, out);
	/* a bad operation in a batch: its own errno, nothing else changes */
	mheap_batch_reset(&b);
	mheap_batch_alloc(&b, 8, 0, 0);
	b.ops[0].handle = 1;				/* unused field set */
	mheap_batch_dup(&b, h[2], MHEAP_DUP_WEAK);
	b.count++;					/* op 2: zeroed, unknown */
	memset(&b.ops[2], 0, sizeof(b.ops[2]));
	ASSERT_EQ(3, mheap_batch_run(self->mh, &b, MHEAP_BATCH_CONTINUE));
	EXPECT_EQ(-EINVAL, mheap_batch_result(&b, 0, NULL));
	EXPECT_EQ(0, mheap_batch_result(&b, 1, &out));
	EXPECT_EQ(-EINVAL, mheap_batch_result(&b, 2, NULL));
	EXPECT_EQ(3ULL, live(self->mh));
	mheap_batch_free(&b);
}

/* Operations whose array runs into an unmapped page: the batch stops there. */
TEST_F(heap, batch_stops_at_unreadable_op)
{
	char *page = edge_page(PROT_READ | PROT_WRITE);
	size_t fit = page_size() / sizeof(struct mheap_op);
	struct mheap_op *ops = (struct mheap_op *)page;
	struct mheap_batch b = { .ops = (uintptr_t)ops, .count = fit + 5 };
	size_t i;

	ASSERT_NE(NULL, page);
	for (i = 0; i < fit; i++)
		ops[i] = (struct mheap_op){ .op = MHEAP_OP_ALLOC, .arg0 = 8 };
	ASSERT_EQ(0, xioctl(self->fd, MHEAP_IOC_BATCH, &b));
	EXPECT_EQ(fit, b.done);
	EXPECT_EQ(fit, live(self->mh));
	munmap(page, page_size());
}

/*
 * Operations whose results run into a read-only page: the batch stops
 * before the first operation whose result or out field cannot be written,
 * and none after it ran.
 */
TEST_F(heap, batch_stops_at_unwritable_result)
{
	size_t fit = page_size() / sizeof(struct mheap_op), count = fit + 5, i;
	char *p = mmap(NULL, 2 * page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mheap_op *ops = (struct mheap_op *)p;
	struct mheap_batch b = { .ops = (uintptr_t)ops, .count = count };
	struct mheap_heap_stats s;

	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < count; i++)
		ops[i] = (struct mheap_op){ .op = MHEAP_OP_ALLOC, .arg0 = 8 };
	ASSERT_EQ(0, mprotect(p + page_size(), page_size(), PROT_READ));
	ASSERT_EQ(0, xioctl(self->fd, MHEAP_IOC_BATCH, &b));
	/* the op straddling the boundary has its @out on the read-only page */
	EXPECT_EQ(fit, b.done);
	EXPECT_EQ(fit, live(self->mh));
	/* and it left no trace: run, its result unwritable, undone at once */
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &s));
	EXPECT_EQ(fit, s.objects_allocated);
	for (i = 0; i < fit; i++) {
		EXPECT_EQ(0, ops[i].result);
		EXPECT_NE(0, ops[i].out);
	}
	munmap(p, 2 * page_size());
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Signals interrupt long batches; the library resumes them. */
TEST_F(heap, batch_interrupted_and_resumed)
{
	struct itimerval it = { { 0, 500 }, { 0, 500 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct mheap_batch_buf b;
	uint32_t obj, target, i;
	int interrupted = 0, done = 0, rounds;

	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 8, 0, &obj));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 0, 0, &target));
	ASSERT_EQ(0, mheap_batch_init(&b, MHEAP_BATCH_MAX));
	for (i = 0; i < MHEAP_BATCH_MAX; i++)
		mheap_batch_set_slot(&b, obj, i % 8, i & 1 ? 0 : target);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));	/* no SA_RESTART */
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	for (rounds = 0; rounds < 20 && !interrupted; rounds++) {
		struct mheap_batch hdr = { .ops = (uintptr_t)b.ops, .count = b.count };
		int err = xioctl(self->fd, MHEAP_IOC_BATCH, &hdr);

		if (err == EINTR || (!err && hdr.done < hdr.count))
			interrupted++;
		else
			ASSERT_EQ(0, err);
	}
	done = mheap_batch_run(self->mh, &b, 0);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	EXPECT_LT(0, interrupted) TH_LOG("%d alarms, no batch interrupted", alarms);
	EXPECT_EQ(MHEAP_BATCH_MAX, done);
	mheap_batch_free(&b);
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

	for (i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ .mh = self->mh, .iterations = 1500,
					       .overlap = &ov };
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, mutator, &args[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		EXPECT_EQ(0, args[i].errors);
	}
	ASSERT_EQ(0, mheap_collect(self->mh, 2, NULL));
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &s));
	EXPECT_EQ(0ULL, s.objects_live);
	EXPECT_EQ(0U, s.handles);
	EXPECT_EQ(4ULL * 1500 * 2, s.objects_allocated);
	/* the threads really ran at once, on every CPU there is */
	TH_LOG("threads inside at once: at most %d, on %d CPU(s)", ov.most,
	       overlap_cpus(&ov));
	EXPECT_TRUE(overlap_seen(&ov));
}

/*
 * Concurrency: processes of threads on one heap, each thread keeping a
 * ring of objects (a cycle, reachable only through its head handle) that
 * it rebuilds piece by piece while making garbage cycles, with the
 * collector's work item running all along (thresholds of 1). Each ring
 * is walked and checked (every member's cookie, in order, back to the
 * head) as it changes: nothing reachable is ever freed. At the end,
 * with every client closed, a full collection leaves nothing: everything
 * that survived was reachable.
 */
#define RING		8
#define RING_PROCS	3
#define RING_THREADS	3

struct ring_arg {
	struct mheap *mh;
	uint64_t tag;
	int rounds;
	int errors;
};

/* The ring from @head: RING members whose cookies are tag * 16 + i. */
static int ring_check(struct mheap *mh, uint32_t head, uint64_t tag)
{
	struct mheap_info info;
	uint32_t cur = 0, nxt;
	int i, err = mheap_dup(mh, head, &cur);

	for (i = 0; !err; i++) {
		err = mheap_info(mh, cur, &info);
		if (!err && info.cookie != tag * 16 + i % RING)
			err = -EIO;
		if (err || i == RING)
			break;
		err = mheap_get_slot(mh, cur, 0, &nxt);
		if (!err && !nxt)
			err = -EIO;
		mheap_release(mh, cur);
		cur = err ? 0 : nxt;
	}
	if (cur)
		mheap_release(mh, cur);
	return err;
}

static void *ring_keeper(void *p)
{
	struct ring_arg *t = p;
	uint32_t m[RING], head, x, y;
	int r, i, k;

	for (i = 0; i < RING; i++)
		t->errors += !!mheap_alloc(t->mh, 8, 1, t->tag * 16 + i, &m[i]);
	if (t->errors)
		return NULL;
	for (i = 0; i < RING; i++)
		t->errors += !!mheap_set_slot(t->mh, m[i], 0, m[(i + 1) % RING]);
	head = m[0];
	for (i = 1; i < RING; i++)
		t->errors += !!mheap_release(t->mh, m[i]);
	for (r = 0; r < t->rounds && !t->errors; r++) {
		/* replace member k (1..RING-1) by a new object */
		k = 1 + r % (RING - 1);
		t->errors += !!mheap_dup(t->mh, head, &x);
		for (i = 1; i < k; i++) {
			t->errors += !!mheap_get_slot(t->mh, x, 0, &y);
			mheap_release(t->mh, x);
			x = y;
		}
		/* x is member k - 1; its successor is replaced */
		t->errors += !!mheap_get_slot(t->mh, x, 0, &y);
		t->errors += !!mheap_alloc(t->mh, 8, 1, t->tag * 16 + k, &m[0]);
		t->errors += !!mheap_get_slot(t->mh, y, 0, &m[1]);
		t->errors += !!mheap_set_slot(t->mh, m[0], 0, m[1]);
		t->errors += !!mheap_set_slot(t->mh, x, 0, m[0]);
		mheap_release(t->mh, m[1]);
		mheap_release(t->mh, m[0]);
		mheap_release(t->mh, x);
		/* the old member now dangles in a garbage cycle with itself */
		t->errors += !!mheap_set_slot(t->mh, y, 0, y);
		mheap_release(t->mh, y);
		if (ring_check(t->mh, head, t->tag))
			t->errors++;
	}
	mheap_release(t->mh, head);
	return NULL;
}

static int ring_process(int fd, int proc)
{
	struct ring_arg args[RING_THREADS];
	pthread_t threads[RING_THREADS];
	struct mheap *mh;
	int i, errors = 0;

	if (mheap_from_fd(fd, &mh))
		return 1;
	for (i = 0; i < RING_THREADS; i++) {
		args[i] = (struct ring_arg){ .mh = mh, .tag = proc * 10 + i,
					     .rounds = 200 };
		if (pthread_create(&threads[i], NULL, ring_keeper, &args[i]))
			return 1;
	}
	for (i = 0; i < RING_THREADS; i++) {
		pthread_join(threads[i], NULL);
		errors += args[i].errors;
	}
	mheap_close(mh);
	return errors ? 1 : 0;
}

TEST_F(heap, rings_survive_concurrent_collector)
{
	const uint32_t low[3] = { 1, 1, 1 };
	struct mheap_heap_stats s;
	struct mheap_gc_stats gs;
	pid_t pids[RING_PROCS];
	int i, status, fd;

	ASSERT_EQ(0, mheap_set_threshold(self->mh, low));
	for (i = 0; i < RING_PROCS; i++) {
		fd = mheap_new_client(self->mh, 0);
		ASSERT_LE(0, fd);
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			_exit(ring_process(fd, i));
		close(fd);
	}
	for (i = 0; i < RING_PROCS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("process %d: status %#x", i, status);
	}
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &gs));
	/* the work item collected while they ran */
	EXPECT_LT(0ULL, gs.gen[0].collections);
	ASSERT_EQ(0, mheap_collect(self->mh, 2, NULL));
	ASSERT_EQ(0, mheap_heap_stats(self->mh, &s));
	EXPECT_EQ(1U, s.clients);
	EXPECT_EQ(0ULL, s.objects_live);
}

static int send_fd(int sock, int fd)
{
	char data = 'F', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char data, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * The child receives a client over a unix socket, builds objects (a cycle
 * among them), reports, then runs endless big batches until SIGKILL.
 */
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

/* ------------------------------------------------------------------------
 * What a read-only client may do (uapi: "Read-only clients"), row by row
 */

/* A read-only client of @mh, and one object of each kind it can see. */
struct ro {
	struct mheap *rw, *ro;
	int fd;				/* the read-only client's */
	uint32_t obj;			/* 16 bytes, 2 slots, slot 0 -> obj */
	uint32_t mine;			/* the read-only client's handle on obj */
	uint64_t token;			/* obj, exported by the rw client */
};

static int ro_open(struct ro *r, struct mheap *rw)
{
	int fd;

	memset(r, 0, sizeof(*r));
	r->rw = rw;
	if (mheap_alloc(rw, 16, 2, 5, &r->obj) ||
	    mheap_set_slot(rw, r->obj, 0, r->obj) ||
	    mheap_name_bind(rw, "ro", r->obj, 0) ||
	    mheap_export(rw, r->obj, &r->token))
		return -1;
	fd = mheap_new_client(rw, MHEAP_CLIENT_RDONLY | MHEAP_CLIENT_CLOEXEC);
	if (fd < 0 || mheap_from_fd(fd, &r->ro))
		return -1;
	r->fd = fd;
	return mheap_name_lookup(r->ro, "ro", &r->mine);
}

/* Every call that needs write access: EBADF, and nothing changed. */
static void ro_denied(struct __test_metadata *_metadata, struct ro *r)
{
	struct mheap_heap_stats before, after;
	struct mheap_gc_stats gb, ga;
	uint32_t th[3] = { 1, 1, 1 }, h;
	char buf[4] = "abc";
	struct mheap_gc_ctl g;
	static const uint32_t gc_ops[] = {
		MHEAP_GC_COLLECT, MHEAP_GC_ENABLE, MHEAP_GC_DISABLE,
		MHEAP_GC_FREEZE, MHEAP_GC_UNFREEZE, MHEAP_GC_SET_SAVE_ALL,
		MHEAP_GC_RELEASE_GARBAGE,
	};
	unsigned int i;

	ASSERT_EQ(0, mheap_heap_stats(r->rw, &before));
	ASSERT_EQ(0, mheap_gc_stats(r->rw, &gb));
	EXPECT_EQ(-EBADF, mheap_alloc(r->ro, 8, 0, 0, &h));
	EXPECT_EQ(-EBADF, mheap_set_slot(r->ro, r->mine, 1, r->mine));
	EXPECT_EQ(-EBADF, mheap_set_slot(r->ro, r->mine, 0, 0));
	EXPECT_EQ(-EBADF, mheap_write(r->ro, r->mine, 0, buf, 4));
	EXPECT_EQ(-EBADF, mheap_set_capacity(r->ro, 1 << 20));
	EXPECT_EQ(-EBADF, mheap_set_threshold(r->ro, th));
	EXPECT_EQ(-EBADF, mheap_name_bind(r->ro, "other", r->mine, 0));
	EXPECT_EQ(-EBADF, mheap_name_unbind(r->ro, "ro"));
	for (i = 0; i < sizeof(gc_ops) / sizeof(gc_ops[0]); i++) {
		g = (struct mheap_gc_ctl){ .op = gc_ops[i] };
		EXPECT_EQ(EBADF, xioctl(r->fd, MHEAP_IOC_GC, &g))
			TH_LOG("gc op %u", gc_ops[i]);
	}
	/* write access is refused before anything else is looked at */
	g = (struct mheap_gc_ctl){ .op = 99, .flags = 1 };
	EXPECT_EQ(EBADF, xioctl(r->fd, MHEAP_IOC_GC, &g));
	EXPECT_EQ(-EBADF, mheap_new_client(r->ro, 0));
	EXPECT_EQ(-EBADF, mheap_new_client(r->ro, MHEAP_CLIENT_CLOEXEC));
	ASSERT_EQ(0, mheap_heap_stats(r->rw, &after));
	ASSERT_EQ(0, mheap_gc_stats(r->rw, &ga));
	after.clients = before.clients;
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(after)));
	EXPECT_EQ(0, memcmp(&gb, &ga, sizeof(ga)));
	ASSERT_EQ(0, mheap_read(r->rw, r->obj, 0, buf, 4));
	EXPECT_EQ(0, buf[0]);
}

/* Every call a read-only client may make succeeds. */
static void ro_allowed(struct __test_metadata *_metadata, struct ro *r)
{
	struct mheap_config config;
	struct mheap_info info;
	struct mheap_heap_stats hs;
	struct mheap_gc_stats gs;
	struct mheap_module_stats ms;
	struct mheap_event ev;
	char names[2][MHEAP_NAME_LEN], buf[16];
	uint32_t h, w, level, total, got[2];
	uint64_t features, token;
	struct mheap *sub;
	int fd;

	EXPECT_EQ(0, mheap_version(r->ro, NULL, &features));
	EXPECT_EQ(0, mheap_get_config(r->ro, &config));
	EXPECT_EQ(0, mheap_info(r->ro, r->mine, &info));
	EXPECT_EQ(5, info.cookie);
	EXPECT_EQ(0, mheap_gc_stats(r->ro, &gs));
	EXPECT_EQ(0, mheap_heap_stats(r->ro, &hs));
	EXPECT_EQ(0, mheap_module_stats(r->ro, &ms));
	EXPECT_EQ(1, mheap_referents(r->ro, r->mine, got, 2, &total));
	EXPECT_EQ(0, mheap_release(r->ro, got[0]));
	EXPECT_EQ(1, mheap_referrers(r->ro, r->mine, got, 2, &total));
	EXPECT_EQ(0, mheap_release(r->ro, got[0]));
	EXPECT_EQ(0, mheap_garbage(r->ro, got, 2, &total));
	EXPECT_EQ(1, mheap_name_list(r->ro, 0, names, 2, &total));
	EXPECT_EQ(0, mheap_dup(r->ro, r->mine, &h));
	EXPECT_EQ(0, mheap_dup_weak(r->ro, r->mine, &w));
	EXPECT_EQ(0, mheap_release(r->ro, w));
	EXPECT_EQ(0, mheap_get_slot(r->ro, h, 0, &w));
	EXPECT_EQ(0, mheap_release(r->ro, w));
	EXPECT_EQ(0, mheap_read(r->ro, h, 0, buf, 16));
	EXPECT_EQ(0, mheap_export(r->ro, h, &token));
	EXPECT_EQ(0, mheap_import(r->ro, token, &w));
	EXPECT_EQ(0, mheap_import(r->ro, r->token, &w));
	EXPECT_EQ(0, mheap_scope_push(r->ro, &level));
	EXPECT_EQ(0, mheap_dup(r->ro, h, &w));
	EXPECT_EQ(0, mheap_scope_escape(r->ro, w, &level));
	EXPECT_EQ(0, mheap_scope_pop(r->ro, 1, NULL));
	EXPECT_EQ(0, mheap_release(r->ro, w));
	EXPECT_EQ(0, mheap_release(r->ro, h));
	EXPECT_EQ(0, mheap_events_subscribe(r->ro, 4, NULL));
	EXPECT_EQ(0, mheap_events_read(r->ro, &ev, 1, 0));
	EXPECT_EQ(0, mheap_events_unsubscribe(r->ro));
	EXPECT_EQ(0, mheap_get_config(r->ro, &config));
	/* a read-only client of a read-only client: still read-only */
	fd = mheap_new_client(r->ro, MHEAP_CLIENT_RDONLY | MHEAP_CLIENT_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mheap_from_fd(fd, &sub));
	EXPECT_EQ(-EBADF, mheap_alloc(sub, 8, 0, 0, &h));
	EXPECT_EQ(-EBADF, mheap_new_client(sub, 0));
	EXPECT_EQ(0, mheap_close(sub));
}

/* Batches: each operation as its ioctl. */
static void ro_batch(struct __test_metadata *_metadata, struct ro *r)
{
	struct mheap_batch_buf b;
	char in[4] = "xyz", out[4];
	uint32_t copy;

	ASSERT_EQ(0, mheap_batch_init(&b, 8));
	mheap_batch_alloc(&b, 8, 0, 0);
	mheap_batch_set_slot(&b, r->mine, 1, r->mine);
	mheap_batch_write(&b, r->mine, 0, in, 4);
	mheap_batch_read(&b, r->mine, 0, out, 4);
	mheap_batch_dup(&b, r->mine, 0);
	ASSERT_EQ(5, mheap_batch_run(r->ro, &b, MHEAP_BATCH_CONTINUE));
	EXPECT_EQ(-EBADF, mheap_batch_result(&b, 0, NULL));
	EXPECT_EQ(-EBADF, mheap_batch_result(&b, 1, NULL));
	EXPECT_EQ(-EBADF, mheap_batch_result(&b, 2, NULL));
	EXPECT_EQ(0, mheap_batch_result(&b, 3, NULL));
	EXPECT_EQ(0, out[0]);
	ASSERT_EQ(0, mheap_batch_result(&b, 4, &copy));
	EXPECT_EQ(0, mheap_release(r->ro, copy));
	mheap_batch_free(&b);
}

/* mmap(): read-only, whatever is asked. */
static void ro_map(struct __test_metadata *_metadata, struct ro *r)
{
	void *addr;
	char *p;

	EXPECT_EQ(-EACCES, mheap_map(r->ro, page_size(), 1, &addr));
	ASSERT_EQ(0, mheap_map(r->ro, page_size(), 0, &addr));
	EXPECT_EQ(-1, mprotect(addr, page_size(), PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, mheap_unmap(addr, page_size()));
	p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
}

/* The whole table, on a read-only client made by NEW_CLIENT. */
TEST_F(heap, read_only_table)
{
	struct ro r;

	ASSERT_EQ(0, ro_open(&r, self->mh));
	ro_denied(_metadata, &r);
	ro_allowed(_metadata, &r);
	ro_batch(_metadata, &r);
	ro_map(_metadata, &r);
	EXPECT_EQ(0, mheap_close(r.ro));
}

/*
 * issue 16, 2: a read-write client made from a read-only one, then mapped
 * writable, changed a payload. Every way of deriving a client keeps it
 * read-only: NEW_CLIENT, dup(), fork(), SCM_RIGHTS.
 */
TEST_F(heap, read_only_rights_never_grow)
{
	struct mheap *d;
	struct ro r;
	uint32_t h;
	int sv[2], status;
	pid_t pid;

	ASSERT_EQ(0, ro_open(&r, self->mh));
	EXPECT_EQ(-EBADF, mheap_new_client(r.ro, 0));
	/* dup() */
	ASSERT_EQ(0, mheap_from_fd(fcntl(r.fd, F_DUPFD_CLOEXEC, 0), &d));
	EXPECT_EQ(-EBADF, mheap_alloc(d, 8, 0, 0, &h));
	EXPECT_EQ(0, mheap_close(d));
	/* fork() */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(mheap_alloc(r.ro, 8, 0, 0, &h) == -EBADF &&
		      mheap_new_client(r.ro, 0) == -EBADF ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* SCM_RIGHTS */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, send_fd(sv[0], r.fd));
	ASSERT_EQ(0, mheap_from_fd(recv_fd(sv[1]), &d));
	EXPECT_EQ(-EBADF, mheap_alloc(d, 8, 0, 0, &h));
	EXPECT_EQ(-EBADF, mheap_new_client(d, 0));
	EXPECT_EQ(0, mheap_close(d));
	close(sv[0]);
	close(sv[1]);
	/* open(O_RDONLY): a heap of its own, read-only from the start */
	d = NULL;
	{
		int fd = open("/dev/mheap", O_RDONLY | O_CLOEXEC);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, mheap_from_fd(fd, &d));
		EXPECT_EQ(-EBADF, mheap_alloc(d, 8, 0, 0, &h));
		EXPECT_EQ(-EBADF, mheap_new_client(d, 0));
		EXPECT_LE(0, mheap_new_client(d, MHEAP_CLIENT_RDONLY |
					      MHEAP_CLIENT_CLOEXEC));
		EXPECT_EQ(0, mheap_close(d));
	}
	EXPECT_EQ(0, mheap_close(r.ro));
}

/* ------------------------------------------------------------------------
 * read() of reclamation events: what the uapi promises, one test each
 */

/* Free a new object with @cookie, allocated by @mh (subscribed). */
static int free_one(struct mheap *mh, uint64_t cookie)
{
	uint32_t h;

	return mheap_alloc(mh, 0, 0, cookie, &h) ?: mheap_release(mh, h);
}

/*
 * issue 16, 3: a read() that fails (EFAULT on a PROT_NONE buffer) leaves
 * the queue as it was: capacity 2, cookies 1 2 3 freed (3 overflows), the
 * failed read, 4 freed: ev1 ev2 OVF(2).
 */
TEST_F(heap, events_failed_read_changes_nothing)
{
	struct mheap_event ev[8];
	char *none = mmap(NULL, page_size(), PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int flags, i;

	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(0, mheap_events_subscribe(self->mh, 2, NULL));
	for (i = 1; i <= 3; i++)
		ASSERT_EQ(0, free_one(self->mh, i));
	EXPECT_EQ(-1, read(self->fd, none, 4 * sizeof(ev[0])));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, free_one(self->mh, 4));
	flags = fcntl(self->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags | O_NONBLOCK));
	ASSERT_EQ(3 * sizeof(ev[0]), read(self->fd, ev, sizeof(ev)));
	EXPECT_EQ(1, ev[0].cookie);
	EXPECT_EQ(MHEAP_EVENT_REFCOUNT, ev[0].reason);
	EXPECT_EQ(2, ev[1].cookie);
	EXPECT_EQ(MHEAP_EVENT_OVERFLOW, ev[2].reason);
	EXPECT_EQ(2, ev[2].cookie);
	EXPECT_EQ(-1, read(self->fd, ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags));
	munmap(none, page_size());
}

/*
 * A buffer that ends in a hole: EFAULT, nothing consumed, even when the
 * records that fit before the hole could have been copied; then the same
 * records, whole, once.
 */
TEST_F(heap, events_read_into_a_hole_consumes_nothing)
{
	char *edge = edge_page(PROT_READ | PROT_WRITE);
	struct mheap_event *ev = (struct mheap_event *)(edge + page_size()) - 1;
	struct mheap_event all[4];
	int i;

	ASSERT_NE(NULL, edge);
	ASSERT_EQ(0, mheap_events_subscribe(self->mh, 8, NULL));
	for (i = 1; i <= 3; i++)
		ASSERT_EQ(0, free_one(self->mh, i));
	/* room for 3 records claimed, one fits before the hole */
	EXPECT_EQ(-1, read(self->fd, ev, 3 * sizeof(*ev)));
	EXPECT_EQ(EFAULT, errno);
	/* exactly one record asked for: it fits, it is the first */
	ASSERT_EQ(sizeof(*ev), read(self->fd, ev, sizeof(*ev)));
	EXPECT_EQ(1, ev->cookie);
	ASSERT_EQ(2, drain(self->mh, all, 4));
	EXPECT_EQ(2, all[0].cookie);
	EXPECT_EQ(3, all[1].cookie);
	munmap(edge, page_size());
}

/* A read() interrupted while it waits consumes nothing: EINTR. */
TEST_F(heap, events_interrupted_read_consumes_nothing)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval t = { .it_value = { .tv_usec = 100000 } };
	struct mheap_event ev;

	ASSERT_EQ(0, mheap_events_subscribe(self->mh, 2, NULL));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &t, NULL));
	EXPECT_EQ(-1, read(self->fd, &ev, sizeof(ev)));
	EXPECT_EQ(EINTR, errno);
	ASSERT_EQ(0, free_one(self->mh, 9));
	ASSERT_EQ(1, drain(self->mh, &ev, 1));
	EXPECT_EQ(9, ev.cookie);
	signal(SIGALRM, SIG_DFL);
}

/* ------------------------------------------------------------------------
 * The collector against CPython's own test suite (issue 16, 4)
 */

/* A self-cycle whose only handle is closed: garbage for the collector. */
static int dead_self_cycle(struct mheap *mh, uint32_t *weak)
{
	uint32_t x;

	return mheap_alloc(mh, 0, 1, 0, &x) ?: mheap_set_slot(mh, x, 0, x) ?:
	       (weak ? mheap_dup_weak(mh, x, weak) : 0) ?: mheap_release(mh, x);
}

static uint64_t collect(struct mheap *mh, unsigned int gen)
{
	uint64_t n = ~0ULL;

	return mheap_collect(mh, gen, &n) ? ~0ULL : n;
}

/* a: get_referrers() does not see the permanent generation. */
TEST_F(heap, gc_referrers_skip_frozen)
{
	uint32_t x, p, total = 99;

	ASSERT_EQ(0, mheap_gc_enable(self->mh, 0));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 0, 0, &x));
	ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 0, &p));
	ASSERT_EQ(0, mheap_set_slot(self->mh, p, 0, x));
	ASSERT_EQ(0, mheap_gc_freeze(self->mh));
	EXPECT_EQ(0, mheap_referrers(self->mh, x, NULL, 0, &total));
	EXPECT_EQ(0, total);
	ASSERT_EQ(0, mheap_gc_unfreeze(self->mh));
	EXPECT_EQ(0, mheap_referrers(self->mh, x, NULL, 0, &total));
	EXPECT_EQ(1, total);
}

/* b, c: save-all counts as collected, and clears weak handles. */
TEST_F(heap, gc_save_all_as_cpython)
{
	struct mheap_gc_stats before, after;
	struct mheap_info info;
	uint32_t w;

	ASSERT_EQ(0, mheap_gc_enable(self->mh, 0));
	ASSERT_EQ(0, dead_self_cycle(self->mh, &w));
	ASSERT_EQ(0, mheap_gc_set_save_all(self->mh, 1));
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &before));
	EXPECT_EQ(1, collect(self->mh, 2));
	ASSERT_EQ(0, mheap_gc_stats(self->mh, &after));
	EXPECT_EQ(before.gen[2].collected + 1, after.gen[2].collected);
	EXPECT_EQ(before.gen[2].uncollectable, after.gen[2].uncollectable);
	EXPECT_EQ(1, after.garbage);
	EXPECT_EQ(-ESTALE, mheap_info(self->mh, w, &info));
	EXPECT_EQ(0, mheap_release(self->mh, w));
	EXPECT_EQ(1, live(self->mh));
}

/* d: released garbage is in the oldest generation: 0, 0, then 1. */
TEST_F(heap, gc_released_garbage_is_old)
{
	uint64_t released;

	ASSERT_EQ(0, mheap_gc_enable(self->mh, 0));
	ASSERT_EQ(0, dead_self_cycle(self->mh, NULL));
	ASSERT_EQ(0, mheap_gc_set_save_all(self->mh, 1));
	EXPECT_EQ(1, collect(self->mh, 2));
	ASSERT_EQ(0, mheap_gc_set_save_all(self->mh, 0));
	ASSERT_EQ(0, mheap_gc_release_garbage(self->mh, &released));
	EXPECT_EQ(1, released);
	EXPECT_EQ(0, collect(self->mh, 0));
	EXPECT_EQ(0, collect(self->mh, 1));
	EXPECT_EQ(1, collect(self->mh, 2));
	EXPECT_EQ(0, live(self->mh));
}

/*
 * e: explicit and automatic collections mixed: thresholds 100, 3, 3, and
 * 5,000 times a self-cycle, collect(0), close. The dead cycles that
 * survived into generation 1 are collected on the automatic schedule;
 * they do not pile up (in CPython they do).
 */
TEST_F(heap, gc_explicit_collections_keep_schedule)
{
	static const uint32_t th[3] = { 100, 3, 3 };
	struct mheap_gc_stats st;
	uint64_t most = 0, n;
	uint32_t x;
	int i;

	ASSERT_EQ(0, mheap_set_threshold(self->mh, th));
	ASSERT_EQ(0, mheap_gc_enable(self->mh, 1));
	for (i = 0; i < 5000; i++) {
		ASSERT_EQ(0, mheap_alloc(self->mh, 0, 1, 0, &x));
		ASSERT_EQ(0, mheap_set_slot(self->mh, x, 0, x));
		ASSERT_NE(~0ULL, collect(self->mh, 0));
		ASSERT_EQ(0, mheap_release(self->mh, x));
		n = live(self->mh);
		most = n > most ? n : most;
	}
	/* the work item runs soon after it is queued */
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, mheap_gc_stats(self->mh, &st));
		if (st.count[1] <= th[1] && st.count[2] <= th[2])
			break;
		usleep(10000);
	}
	TH_LOG("at most %llu objects alive at once; %llu collections of 1, %llu of 2",
	       (unsigned long long)most,
	       (unsigned long long)st.gen[1].collections,
	       (unsigned long long)st.gen[2].collections);
	EXPECT_LE(st.count[1], th[1]);
	EXPECT_NE(0, st.gen[1].collections);
	EXPECT_NE(0, st.gen[2].collections);
	/*
	 * Left: the cycles since the last collection of generation 1, and
	 * those that one found alive (the work item runs beside the loop)
	 * and moved to generation 2, at most one per collection of 1 since
	 * the last of 2.
	 */
	EXPECT_LE(live(self->mh), (uint64_t)th[1] + 1 + th[2] + 1 + 1);
	/* the work item may lag behind: bounded all the same */
	EXPECT_LT(most, 500);
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

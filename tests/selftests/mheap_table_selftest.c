// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of /dev/mheap: the tables.
 *
 * The "bad" fixture is the bad-input table: one variant per row, each an
 * ioctl with one thing wrong, its documented errno, and a check that the
 * heap did not change (statistics, the objects' counts and payload). Then
 * what a read-only client may do, row by row.
 *
 * Run in the VM (debug and stock kernels, as root and as an unprivileged
 * user, 64-bit and 32-bit) with the kernel's kselftest harness; see
 * Documentation/testing.rst, "How to add a test".
 */
#define _GNU_SOURCE

#include "mheap_util.h"

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
ROW(batch_start_at_count, EINVAL,
	struct mheap_op op = { .op = MHEAP_OP_ALLOC };
	struct mheap_batch b = { .ops = (uintptr_t)&op, .count = 1, .start = 1 };
	return xioctl(self->fd, MHEAP_IOC_BATCH, &b););
ROW(batch_start_beyond, EINVAL,
	struct mheap_op op = { .op = MHEAP_OP_ALLOC };
	struct mheap_batch b = { .ops = (uintptr_t)&op, .count = 1, .start = ~0U };
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

/*
 * Batch-local references (MHEAP_FEATURE_BATCH_REFS): the operations run
 * with MHEAP_BATCH_CONTINUE, the others than the row's change nothing,
 * and the row's errno is the result of the one with a bad reference: the
 * last, or the first (REF_ROW_FIRST) for a reference forward.
 */
static int op_result(bad_t *self, struct mheap_op *ops, uint32_t n,
		     uint32_t which)
{
	struct mheap_batch b = { .ops = (uintptr_t)ops, .count = n,
				 .flags = MHEAP_BATCH_CONTINUE };
	int err = xioctl(self->fd, MHEAP_IOC_BATCH, &b);

	if (err)
		return err;
	return b.done == n ? -ops[which].result : -1;
}
#define N_OPS(ops) (sizeof(ops) / sizeof((ops)[0]))
#define REF_ROW(name, errno_, ...)					\
	ROW(name, errno_,						\
		struct mheap_op ops[] = { __VA_ARGS__ };		\
		return op_result(self, ops, N_OPS(ops), N_OPS(ops) - 1);)
#define REF_ROW_FIRST(name, errno_, ...)				\
	ROW(name, errno_,						\
		struct mheap_op ops[] = { __VA_ARGS__ };		\
		return op_result(self, ops, N_OPS(ops), 0);)
REF_ROW(ref_to_itself, EINVAL,
	{ .op = MHEAP_OP_DUP, .handle = MHEAP_BATCH_REF(0) });
REF_ROW_FIRST(ref_forward, EINVAL,
	{ .op = MHEAP_OP_DUP, .handle = MHEAP_BATCH_REF(1) },
	{ .op = MHEAP_OP_READ, .handle = self->obj });
REF_ROW(ref_beyond_the_array, EINVAL,
	{ .op = MHEAP_OP_READ, .handle = self->obj },
	{ .op = MHEAP_OP_DUP, .handle = MHEAP_BATCH_REF(0x7fffffff) });
REF_ROW(ref_to_a_failed_op, ENOENT,
	{ .op = MHEAP_OP_GET_SLOT, .handle = self->closed },
	{ .op = MHEAP_OP_DUP, .handle = MHEAP_BATCH_REF(0) });
REF_ROW(ref_to_an_empty_slot, ENOENT,
	{ .op = MHEAP_OP_GET_SLOT, .handle = self->obj, .arg0 = 1 },
	{ .op = MHEAP_OP_CLOSE, .handle = MHEAP_BATCH_REF(0) });
REF_ROW(ref_to_a_read, EINVAL,
	{ .op = MHEAP_OP_READ, .handle = self->obj },
	{ .op = MHEAP_OP_DUP, .handle = MHEAP_BATCH_REF(0) });
REF_ROW(ref_to_a_failed_op_as_target, ENOENT,
	{ .op = MHEAP_OP_DUP, .handle = self->stale },
	{ .op = MHEAP_OP_SET_SLOT, .handle = self->obj, .arg0 = 1,
	  .arg1 = MHEAP_BATCH_REF(0) });
REF_ROW_FIRST(ref_target_forward, EINVAL,
	{ .op = MHEAP_OP_SET_SLOT, .handle = self->obj, .arg0 = 1,
	  .arg1 = MHEAP_BATCH_REF(1) },
	{ .op = MHEAP_OP_READ, .handle = self->obj });
REF_ROW(ref_in_alloc_handle, EINVAL,
	{ .op = MHEAP_OP_READ, .handle = self->obj },
	{ .op = MHEAP_OP_ALLOC, .handle = MHEAP_BATCH_REF(0) });
REF_ROW(ref_to_a_set_slot, EINVAL,
	{ .op = MHEAP_OP_SET_SLOT, .handle = self->closed },
	{ .op = MHEAP_OP_DUP, .handle = MHEAP_BATCH_REF(0) });
/* before @start, as the array holds it: an ALLOC that failed */
ROW(ref_before_start_failed, ENOENT,
	struct mheap_op ops[] = {
		{ .op = MHEAP_OP_ALLOC, .result = -ENOMEM, .out = 0 },
		{ .op = MHEAP_OP_DUP, .handle = MHEAP_BATCH_REF(0) },
	};
	struct mheap_batch b = { .ops = (uintptr_t)ops, .count = 2, .start = 1 };
	int err = xioctl(self->fd, MHEAP_IOC_BATCH, &b);
	return err ? err : b.done == 1 ? -ops[1].result : -1;);

/* clients, export and import */
ROW(new_client_flags, EINVAL,
	struct mheap_new_client nc = { .flags = 4 };
	return xioctl(self->fd, MHEAP_IOC_NEW_CLIENT, &nc););
ROW(new_client_result_unwritable, EFAULT,
	return xioctl(self->fd, MHEAP_IOC_NEW_CLIENT, self->ro););
ROW(export_closed_handle, ENOENT,
	struct mheap_token t = { .handle = self->closed };
	return xioctl(self->fd, MHEAP_IOC_EXPORT, &t););
ROW(export_flags, EINVAL,
	struct mheap_token t = { .handle = self->obj, .flags = 1 };
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
ROW(scope_push_with_closed, EINVAL,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_PUSH, .closed = 1 };
	return xioctl(self->fd, MHEAP_IOC_SCOPE, &sc););
ROW(scope_escape_with_closed, EINVAL,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_ESCAPE, .handle = self->obj,
				  .closed = 1 };
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

/* @cmd with its size field set to @size */
static unsigned long ioc_resize(unsigned long cmd, unsigned int size)
{
	return (cmd & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
	       (unsigned long)size << _IOC_SIZESHIFT;
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
	static const unsigned long writers[] = {
		MHEAP_IOC_ALLOC, MHEAP_IOC_SET_SLOT, MHEAP_IOC_WRITE, MHEAP_IOC_GC,
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
	/* the four that always write: EBADF even for an unreadable or short argument */
	for (i = 0; i < sizeof(writers) / sizeof(writers[0]); i++) {
		EXPECT_EQ(EBADF, xioctl(r->fd, writers[i], (void *)8))
			TH_LOG("ioctl %lx", writers[i]);
		EXPECT_EQ(EBADF, xioctl(r->fd, ioc_resize(writers[i], 4), buf))
			TH_LOG("ioctl %lx", writers[i]);
	}
	/* CONFIG says in its argument whether it writes: read first */
	EXPECT_EQ(EFAULT, xioctl(r->fd, MHEAP_IOC_CONFIG, (void *)8));
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
	/* rights come before references, good or bad, as for the ioctls */
	mheap_batch_reset(&b);
	mheap_batch_dup(&b, r->mine, 0);			/* 0: fine */
	mheap_batch_set_slot(&b, MHEAP_BATCH_REF(1), 0, 0);	/* itself */
	mheap_batch_set_slot(&b, r->mine, 0, MHEAP_BATCH_REF(7));	/* later */
	mheap_batch_write(&b, MHEAP_BATCH_REF(1), 0, in, 1);	/* no handle */
	mheap_batch_set_slot(&b, MHEAP_BATCH_REF(0), 0, MHEAP_BATCH_REF(0));
	mheap_batch_close(&b, MHEAP_BATCH_REF(0));
	ASSERT_EQ(6, mheap_batch_run(r->ro, &b, MHEAP_BATCH_CONTINUE));
	EXPECT_EQ(0, mheap_batch_result(&b, 0, NULL));
	EXPECT_EQ(-EBADF, mheap_batch_result(&b, 1, NULL));
	EXPECT_EQ(-EBADF, mheap_batch_result(&b, 2, NULL));
	EXPECT_EQ(-EBADF, mheap_batch_result(&b, 3, NULL));
	EXPECT_EQ(-EBADF, mheap_batch_result(&b, 4, NULL));
	EXPECT_EQ(0, mheap_batch_result(&b, 5, NULL));
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
	EXPECT_EQ(0, status) TH_LOG("child status %#x", status);
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

/*
 * A file opened O_WRONLY is a writable client (uapi: the payload mapping):
 * it allocates and writes; like any file not open for reading, it cannot
 * be mapped.
 */
TEST(write_only_open)
{
	struct mheap *mh;
	uint32_t h;
	void *addr;
	char buf[4];
	int fd = open("/dev/mheap", O_WRONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mheap_from_fd(fd, &mh));
	ASSERT_EQ(0, mheap_alloc(mh, 8, 1, 0, &h));
	EXPECT_EQ(0, mheap_write(mh, h, 0, "abc", 4));
	EXPECT_EQ(0, mheap_read(mh, h, 0, buf, 4));
	EXPECT_STREQ("abc", buf);
	EXPECT_EQ(-EACCES, mheap_map(mh, page_size(), 0, &addr));
	EXPECT_EQ(0, mheap_close(mh));
}

/*
 * Rights never grow from a write-only file either: a client made from one
 * by NEW_CLIENT cannot be mapped or read(2) for events (read-write: it
 * writes and reads through ioctls; read-only: it has only the ioctls that
 * do not write). Before, both came back open for reading.
 */
TEST(write_only_rights_never_grow)
{
	static const uint32_t flags[] = { 0, MHEAP_CLIENT_RDONLY };
	struct mheap *mh, *nc;
	uint32_t h, h2;
	void *addr;
	char buf[64];
	unsigned int i;
	int fd = open("/dev/mheap", O_WRONLY | O_CLOEXEC), c;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mheap_from_fd(fd, &mh));
	ASSERT_EQ(0, mheap_alloc(mh, 8, 1, 0, &h));
	for (i = 0; i < 2; i++) {
		c = mheap_new_client(mh, flags[i] | MHEAP_CLIENT_CLOEXEC);
		ASSERT_LE(0, c);
		ASSERT_EQ(0, mheap_from_fd(c, &nc));
		EXPECT_EQ(-EACCES, mheap_map(nc, page_size(), 0, &addr));
		/* non-blocking: a readable file would wait for an event */
		ASSERT_EQ(0, fcntl(c, F_SETFL, O_NONBLOCK));
		EXPECT_EQ(-1, read(c, buf, sizeof(buf)));
		EXPECT_EQ(EBADF, errno);
		EXPECT_EQ(flags[i] ? -EBADF : 0,
			  mheap_alloc(nc, 8, 0, 0, &h2));
		EXPECT_EQ(0, mheap_close(nc));
	}
	EXPECT_EQ(0, mheap_close(mh));
}

/* ------------------------------------------------------------------------
 * What a call only writes is ignored on input (uapi: "Input and output
 * fields"): one variant per out field, each passing garbage (or a
 * structure as an earlier call left it) and checking the field is written
 */

FIXTURE(out) {
	struct mheap *mh;
	int fd;
	uint32_t obj;		/* 8 bytes, 1 slot -> leaf, bound as "out" */
	uint32_t leaf;
};

typedef FIXTURE_DATA(out) out_t;

FIXTURE_VARIANT(out) {
	/* 0 when the call worked and wrote its out field; else why not */
	int (*call)(out_t *self);
};

FIXTURE_SETUP(out)
{
	ASSERT_EQ(0, mheap_open(NULL, &self->mh));
	self->fd = mheap_fd(self->mh);
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 1, 0, &self->obj));
	ASSERT_EQ(0, mheap_alloc(self->mh, 8, 0, 0, &self->leaf));
	ASSERT_EQ(0, mheap_set_slot(self->mh, self->obj, 0, self->leaf));
	ASSERT_EQ(0, mheap_name_bind(self->mh, "out", self->obj, 0));
}

FIXTURE_TEARDOWN(out)
{
	EXPECT_EQ(0, mheap_close(self->mh));
}

TEST_F(out, ignored_on_input)
{
	EXPECT_EQ(0, variant->call(self));
}

/* -1: the call worked but left the out field as the caller set it */
#define OUT_ROW(name, ...)						\
	static int out_##name(out_t *self) { __VA_ARGS__ }		\
	FIXTURE_VARIANT_ADD(out, name) { .call = out_##name }

#define TRY_IOCTL(cmd, arg) do {					\
	int err_ = xioctl(self->fd, cmd, arg);				\
	if (err_)							\
		return err_;						\
} while (0)

OUT_ROW(get_slot_target,
	struct mheap_slot s = { .handle = self->obj, .target = 999 };
	TRY_IOCTL(MHEAP_IOC_GET_SLOT, &s);
	return s.target && s.target != 999 ? 0 : -1;);
OUT_ROW(export_token,
	struct mheap_token t = { .handle = self->leaf, .token = 12345 };
	TRY_IOCTL(MHEAP_IOC_EXPORT, &t);
	return t.token != 12345 ? 0 : -1;);
/* an EXPORT's structure, as it was left, passed to IMPORT */
OUT_ROW(import_handle,
	struct mheap_token t = { .handle = self->leaf };
	TRY_IOCTL(MHEAP_IOC_EXPORT, &t);
	TRY_IOCTL(MHEAP_IOC_IMPORT, &t);
	return t.handle != self->leaf ? 0 : -1;);
OUT_ROW(new_client_fd,
	struct mheap_new_client nc = { .flags = MHEAP_CLIENT_CLOEXEC, .fd = 1000 };
	TRY_IOCTL(MHEAP_IOC_NEW_CLIENT, &nc);
	close(nc.fd);
	return nc.fd != 1000 ? 0 : -1;);
OUT_ROW(scope_push_level,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_PUSH, .level = 77 };
	TRY_IOCTL(MHEAP_IOC_SCOPE, &sc);
	return sc.level == 1 ? 0 : -1;);
OUT_ROW(scope_escape_level,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_PUSH };
	uint32_t h;
	TRY_IOCTL(MHEAP_IOC_SCOPE, &sc);
	if (mheap_dup(self->mh, self->obj, &h))
		return -2;
	sc = (struct mheap_scope){ .op = MHEAP_SCOPE_ESCAPE, .handle = h,
				   .level = 77 };
	TRY_IOCTL(MHEAP_IOC_SCOPE, &sc);
	return sc.level == 0 ? 0 : -1;);
OUT_ROW(scope_pop_closed,
	struct mheap_scope sc = { .op = MHEAP_SCOPE_PUSH };
	uint32_t h;
	TRY_IOCTL(MHEAP_IOC_SCOPE, &sc);
	if (mheap_dup(self->mh, self->obj, &h))
		return -2;
	sc = (struct mheap_scope){ .op = MHEAP_SCOPE_POP, .level = 1,
				   .closed = 77 };
	TRY_IOCTL(MHEAP_IOC_SCOPE, &sc);
	return sc.closed == 1 ? 0 : -1;);
OUT_ROW(name_lookup_handle,
	struct mheap_name n = { .op = MHEAP_NAME_LOOKUP, .handle = 12345 };
	strncpy(n.name, "out", sizeof(n.name));
	TRY_IOCTL(MHEAP_IOC_NAME, &n);
	return n.handle && n.handle != 12345 ? 0 : -1;);
OUT_ROW(names_total,
	char names[MHEAP_NAME_LEN];
	struct mheap_names n = { .buf = (uintptr_t)names, .count = 1,
				 .total = 9 };
	TRY_IOCTL(MHEAP_IOC_NAMES, &n);
	return n.total == 1 ? 0 : -1;);
OUT_ROW(refs_written_total,
	uint32_t ids[2];
	struct mheap_refs r = { .handle = self->obj,
				.which = MHEAP_REFS_REFERENTS,
				.buf = (uintptr_t)ids, .count = 2,
				.written = 7, .total = 7 };
	TRY_IOCTL(MHEAP_IOC_REFS, &r);
	return r.written == 1 && r.total == 1 ? 0 : -1;);
/* a batch's done, and an operation's result and output */
OUT_ROW(batch_done_result_out,
	struct mheap_op op = { .op = MHEAP_OP_DUP, .handle = self->obj,
			       .result = -1, .out = ~0ULL };
	struct mheap_batch b = { .ops = (uintptr_t)&op, .count = 1, .done = 5 };
	TRY_IOCTL(MHEAP_IOC_BATCH, &b);
	return b.done == 1 && !op.result && op.out != ~0ULL ? 0 : -1;);

TEST_HARNESS_MAIN

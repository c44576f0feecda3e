// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of /dev/mheap: the payload mapping.
 *
 * Run in the VM (debug and stock kernels, as root and as an unprivileged
 * user, 64-bit and 32-bit) with the kernel's kselftest harness; see
 * Documentation/testing.rst, "How to add a test".
 */
#define _GNU_SOURCE

#include "mheap_util.h"

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

TEST_HARNESS_MAIN

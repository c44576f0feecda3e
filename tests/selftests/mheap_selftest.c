// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of /dev/mheap, run in the VM (debug and stock kernels) with the
 * kernel's kselftest harness. One test per validation error.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/mheap.h>

#include "kselftest_harness.h"
#include "libmheap.h"

/* The version ioctl with an arbitrary size and direction. */
#define VERSION_CMD(dir, size) _IOC(dir, MHEAP_IOC_MAGIC, 0x00, size)
#define RW (_IOC_READ | _IOC_WRITE)

/* A newer caller's struct mheap_version, with one field this module lacks. */
struct version_v2 {
	struct mheap_version v1;
	__u64 future;
};

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = mheap_open(NULL);
	ASSERT_LE(0, self->fd) TH_LOG("open: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(dev)
{
	EXPECT_EQ(0, mheap_close(self->fd));
}

TEST_F(dev, version)
{
	struct mheap_version v = { .version = 99, .features = ~0ULL };

	ASSERT_EQ(0, ioctl(self->fd, MHEAP_IOC_VERSION, &v));
	EXPECT_EQ(MHEAP_UAPI_VERSION, v.version);
	EXPECT_EQ(0ULL, v.features);
	EXPECT_EQ(0U, v.flags);
}

TEST_F(dev, version_through_libmheap)
{
	uint32_t version = 0;
	uint64_t features = ~0ULL;

	ASSERT_EQ(0, mheap_get_version(self->fd, &version, &features));
	EXPECT_EQ(MHEAP_UAPI_VERSION, version);
	EXPECT_EQ(0ULL, features);
}

TEST_F(dev, version_flags_einval)
{
	struct mheap_version v = { .flags = 1, .version = 7, .features = 5 };

	EXPECT_EQ(-1, ioctl(self->fd, MHEAP_IOC_VERSION, &v));
	EXPECT_EQ(EINVAL, errno);
	/* an error writes nothing back */
	EXPECT_EQ(7U, v.version);
	EXPECT_EQ(5ULL, v.features);
}

TEST_F(dev, version_null_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, MHEAP_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* The version ioctl on a page mapped with @prot: it must fail with EFAULT. */
static int version_on_page(int fd, int prot)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int err;

	if (p == MAP_FAILED)
		return -1;
	err = ioctl(fd, MHEAP_IOC_VERSION, p) ? errno : 0;
	munmap(p, page);
	return err;
}

TEST_F(dev, version_unmapped_efault)
{
	EXPECT_EQ(EFAULT, version_on_page(self->fd, PROT_NONE));
}

TEST_F(dev, version_read_only_memory_efault)
{
	EXPECT_EQ(EFAULT, version_on_page(self->fd, PROT_READ));
}

TEST_F(dev, unknown_number_enotty)
{
	struct mheap_version v = { 0 };

	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(MHEAP_IOC_MAGIC, 0x7f,
					    struct mheap_version), &v));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(MHEAP_IOC_MAGIC, 0xff,
					    struct mheap_version), &v));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, wrong_magic_enotty)
{
	struct mheap_version v = { 0 };

	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(MHEAP_IOC_MAGIC + 1, 0x00,
					    struct mheap_version), &v));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(0U, v.version);
}

TEST_F(dev, wrong_direction_enotty)
{
	struct mheap_version v = { 0 };

	EXPECT_EQ(-1, ioctl(self->fd, VERSION_CMD(_IOC_READ, sizeof(v)), &v));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, VERSION_CMD(_IOC_WRITE, sizeof(v)), &v));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, VERSION_CMD(_IOC_NONE, 0), &v));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(0U, v.version);
}

TEST_F(dev, short_struct_einval)
{
	struct mheap_version v = { 0 };

	EXPECT_EQ(-1, ioctl(self->fd, VERSION_CMD(RW, 8), &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, VERSION_CMD(RW, 0), &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0U, v.version);
}

TEST_F(dev, newer_caller_zero_tail)
{
	struct version_v2 v = { .future = 0 };

	ASSERT_EQ(0, ioctl(self->fd, VERSION_CMD(RW, sizeof(v)), &v));
	EXPECT_EQ(MHEAP_UAPI_VERSION, v.v1.version);
	EXPECT_EQ(0ULL, v.future);
}

TEST_F(dev, newer_caller_unknown_field_e2big)
{
	struct version_v2 v = { .future = 1 };

	EXPECT_EQ(-1, ioctl(self->fd, VERSION_CMD(RW, sizeof(v)), &v));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0U, v.v1.version);
}

TEST(opens_are_independent_heaps)
{
	int a = mheap_open(NULL), b = mheap_open(NULL);
	uint32_t version = 0;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_NE(a, b);
	EXPECT_EQ(0, mheap_close(a));
	/* closing one heap leaves the other working */
	EXPECT_EQ(0, mheap_get_version(b, &version, NULL));
	EXPECT_EQ(MHEAP_UAPI_VERSION, version);
	EXPECT_EQ(0, mheap_close(b));
}

TEST(not_seekable)
{
	int fd = mheap_open(NULL);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(0, mheap_close(fd));
}

TEST(many_heaps)
{
	int fds[64], i;

	for (i = 0; i < 64; i++) {
		fds[i] = mheap_open(NULL);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, mheap_close(fds[i]));
}

TEST_HARNESS_MAIN

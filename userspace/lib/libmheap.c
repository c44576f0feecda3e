// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/mheap.h>

#include "libmheap.h"

int mheap_open(const char *path)
{
	int fd = open(path ? path : MHEAP_DEFAULT_DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int mheap_close(int fd)
{
	return close(fd) ? -errno : 0;
}

int mheap_get_version(int fd, uint32_t *version, uint64_t *features)
{
	struct mheap_version v = { 0 };

	if (ioctl(fd, MHEAP_IOC_VERSION, &v))
		return -errno;
	if (version)
		*version = v.version;
	if (features)
		*features = v.features;
	return 0;
}

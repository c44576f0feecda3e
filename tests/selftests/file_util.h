/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small file helpers for the root-only selftests, which read and write
 * sysfs, debugfs, tracefs and cgroup files. Each returns 0 or a negative
 * errno.
 */
#ifndef MHEAP_FILE_UTIL_H
#define MHEAP_FILE_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* The whole of @path, NUL-terminated, in @buf of @size bytes. */
static inline int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, len = 0;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	if (n < 0)
		return -errno;
	buf[len] = 0;
	return 0;
}

/* @s written to @path in one write(), as echo does. */
static inline int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	if (n < 0)
		return -errno;
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

#endif /* MHEAP_FILE_UTIL_H */

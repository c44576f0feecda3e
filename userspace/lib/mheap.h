/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmheap: the C library over /dev/mheap's ioctls.
 *
 * Functions return 0 (or a non-negative value) on success and a negative
 * errno on failure; errno is left as the failing call set it.
 */
#ifndef LIBMHEAP_H
#define LIBMHEAP_H

#include <stdint.h>

#define MHEAP_DEFAULT_DEVICE "/dev/mheap"

/* Open a new, private heap. @path NULL means MHEAP_DEFAULT_DEVICE.
 * Returns the heap's file descriptor or a negative errno. */
int mheap_open(const char *path);

/* Close a heap: everything in it is released. */
int mheap_close(int fd);

/* Query the module's uapi version and feature mask; either output may be
 * NULL. */
int mheap_get_version(int fd, uint32_t *version, uint64_t *features);

#endif /* LIBMHEAP_H */

/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mheap: a managed-object heap in the kernel, reached through /dev/mheap.
 *
 * This header is the whole contract between the module and userspace.
 *
 * Protocol
 * --------
 * Every open() of /dev/mheap creates a new, private heap; closing the file
 * destroys it and everything in it.
 *
 * Every ioctl takes a pointer to one argument structure. The structures
 * use fixed-width types only, are padded explicitly to a multiple of 8
 * bytes, and carry pointers and lengths as __u64, so 32-bit and 64-bit
 * callers share one layout.
 *
 * Structures grow only at their end. The size a caller was built with is
 * encoded in the ioctl number (_IOC_SIZE); the module accepts any size from
 * the first published one upwards:
 *   - a caller older than the module passes a shorter structure: the fields
 *     it does not know read as zero and are not written back;
 *   - a caller newer than the module passes a longer structure: accepted
 *     only if every byte the module does not know is zero (else -E2BIG).
 *
 * Errors (negative errno from the ioctl, errno in userspace):
 *   ENOTTY  unknown ioctl number, magic or direction;
 *   EINVAL  structure shorter than its first version, nonzero reserved
 *           field, unknown flag;
 *   E2BIG   a newer caller set a field this module does not know;
 *   EFAULT  the argument pointer cannot be read or written.
 * An ioctl that fails changes nothing.
 */
#ifndef _UAPI_LINUX_MHEAP_H
#define _UAPI_LINUX_MHEAP_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MHEAP_DEVICE_NAME	"mheap"

/* Bumped on incompatible change only; growth is reported by features. */
#define MHEAP_UAPI_VERSION	1

#define MHEAP_IOC_MAGIC		0xB7

/**
 * struct mheap_version - version and feature probe
 * @version:  out: MHEAP_UAPI_VERSION of the module.
 * @flags:    in: must be zero.
 * @features: out: mask of MHEAP_FEATURE_* bits the module supports. No
 *            optional feature exists yet, so a version 1 module reports 0;
 *            a caller tests each bit it wants before relying on it.
 */
struct mheap_version {
	__u32 version;
	__u32 flags;
	__u64 features;
};

#define MHEAP_VERSION_SIZE_VER0	16	/* first published size */

#define MHEAP_IOC_VERSION	_IOWR(MHEAP_IOC_MAGIC, 0x00, struct mheap_version)

#endif /* _UAPI_LINUX_MHEAP_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctls (ioctl.c): their table, and the call as a handler sees it.
 */
#ifndef MHEAP_IOCTL_H
#define MHEAP_IOCTL_H

#include <linux/compiler.h>
#include <linux/kconfig.h>
#include <linux/bits.h>
#include <linux/types.h>
#include <linux/mheap.h>

struct file;
struct mheap_file;

/**
 * struct mheap_ioc_ctx - one ioctl call, as its handler sees it
 * @file: the caller's client; NULL in some KUnit tests.
 * @install: a file to install at @fd once the result was copied out.
 * @fd: the descriptor reserved for @install.
 * @fault_addr: set, with @fault_len, by a handler that could not write a
 *	buffer of its own (REFS) while holding the heap lock, after undoing
 *	what it did: the dispatcher faults the range in and calls again.
 * @fault_len: bytes at @fault_addr; 0 when no retry is asked for.
 * @spares: mheap_spares() before an allocation, for its undo.
 * @ids: the handles a call created (REFS), for its undo; freed by the
 *	dispatcher.
 * @nids: entries of @ids that hold a handle.
 * @saved: CONFIG: the settings before the call, for its undo.
 */
struct mheap_ioc_ctx {
	struct mheap_file *file;
	struct file *install;
	int fd;
	void __user *fault_addr;
	size_t fault_len;
	unsigned int spares;
	u32 *ids;
	u32 nids;
	struct {
		size_t capacity;
		u32 threshold[MHEAP_GENERATIONS];
	} saved;
};

/* struct mheap_ioc_desc flags */
#define MHEAP_IOC_LOCKED	BIT(0)	/* fn runs under the heap lock */
#define MHEAP_IOC_WRITES	BIT(1)	/* every call needs write access */

/**
 * struct mheap_ioc_desc - one ioctl of the table
 * @cmd: the ioctl number; _IOC_SIZE(cmd) is the size of the structure
 *	this module knows: callers may pass any size from @min_size (the
 *	first published one) up.
 * @min_size: the size of the structure's first version.
 * @flags: MHEAP_IOC_LOCKED: the dispatcher holds the heap lock across
 *	@fn, the copy of the result to userspace and @undo or @commit, so that
 *	nothing @fn did is seen before its result was written.
 *	MHEAP_IOC_WRITES: every call needs write access; a client opened
 *	read-only gets EBADF before its argument is read.
 * @writes: for an ioctl whose argument says whether it writes (CONFIG,
 *	NEW_CLIENT, NAME): whether a call with this argument needs write
 *	access (a client opened read-only gets EBADF); NULL for never, or
 *	for MHEAP_IOC_WRITES. With the flags, the uapi's table of what a
 *	read-only client may do.
 * @fn: the handler, on a kernel copy of the argument.
 * @undo: reverts @fn exactly, under the same hold of the heap lock, when
 *	the result could not be written: returns false when it cannot (then
 *	the dispatcher made sure beforehand that the result could be written).
 * @undoable: whether @undo can revert a call with this argument; NULL for
 *	always.
 * @commit: the part of @fn that cannot be undone, run once the result was
 *	written, under the same hold of the heap lock.
 * @prefault: for a call whose @fn does what @undo cannot take back before
 *	it writes to a buffer of the caller's (REFS ending the collection in
 *	progress): faults that buffer in before @fn runs, the heap lock not
 *	held; returns -EFAULT when it cannot be written, so that such a call
 *	fails before it changes anything. NULL for none.
 */
struct mheap_ioc_desc {
	unsigned int cmd;
	size_t min_size;
	unsigned int flags;
	bool (*writes)(const void *arg);
	long (*fn)(struct mheap_ioc_ctx *ctx, void *arg);
	bool (*undo)(struct mheap_ioc_ctx *ctx, void *arg);
	bool (*undoable)(const void *arg);
	void (*commit)(struct mheap_ioc_ctx *ctx, void *arg);
	int (*prefault)(const void *arg);
};

long mheap_ioctl_dispatch(struct mheap_file *f, unsigned int cmd,
			  void __user *uarg);

#if IS_ENABLED(CONFIG_KUNIT)
/* Handlers, exported to the KUnit module (EXPORT_SYMBOL_IF_KUNIT). */
long mheap_ioc_version(struct mheap_ioc_ctx *ctx, void *arg);
long mheap_ioc_call(const struct mheap_ioc_desc *desc,
		    struct mheap_ioc_ctx *ctx, unsigned int cmd,
		    void __user *uarg);
#endif

#endif /* MHEAP_IOCTL_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MHEAP_DEV_H
#define MHEAP_DEV_H

#include <linux/compiler.h>
#include <linux/kconfig.h>
#include <linux/types.h>

struct attribute_group;
struct file;
struct mheap_file;

/**
 * struct mheap_ioc_ctx - one ioctl call, as its handler sees it
 * @file: the caller's client; NULL in some KUnit tests.
 * @install: a file to install at @fd once the result was copied out.
 * @fd: the descriptor reserved for @install.
 */
struct mheap_ioc_ctx {
	struct mheap_file *file;
	struct file *install;
	int fd;
};

/*
 * One ioctl. _IOC_SIZE(cmd) is the size of the structure this module knows;
 * callers may pass any size from min_size (the first published one) up.
 */
struct mheap_ioc_desc {
	unsigned int cmd;
	size_t min_size;
	long (*fn)(struct mheap_ioc_ctx *ctx, void *arg);
	void (*undo)(struct mheap_ioc_ctx *ctx, void *arg);
};

extern const struct attribute_group *mheap_dev_groups[];

int mheap_dev_register(size_t heap_capacity, size_t heap_capacity_max);
void mheap_dev_unregister(void);

#if IS_ENABLED(CONFIG_KUNIT)
/* Handlers, exported to the KUnit module (EXPORT_SYMBOL_IF_KUNIT). */
long mheap_ioc_version(struct mheap_ioc_ctx *ctx, void *arg);
long mheap_ioc_call(const struct mheap_ioc_desc *desc,
		    struct mheap_ioc_ctx *ctx, unsigned int cmd,
		    void __user *uarg);
#endif

#endif /* MHEAP_DEV_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * mheap: a managed-object heap for userspace. Module init and exit only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>

#include "dev.h"

static unsigned long heap_capacity = SZ_64M;
module_param(heap_capacity, ulong, 0444);
MODULE_PARM_DESC(heap_capacity,
		 "Payload bytes each heap may hold (default 64 MiB, at least 1)");

static int __init mheap_init(void)
{
	int err;

	if (!heap_capacity) {
		pr_err("heap_capacity must be at least 1\n");
		return -EINVAL;
	}
	err = mheap_dev_register(heap_capacity);
	if (err)
		goto err_dev;
	return 0;

err_dev:
	pr_err("cannot register /dev/mheap: %d\n", err);
	return err;
}

static void __exit mheap_exit(void)
{
	mheap_dev_unregister();
}

module_init(mheap_init);
module_exit(mheap_exit);

MODULE_DESCRIPTION("Managed-object heap with reference counting and cycle collection");
MODULE_AUTHOR("The mheap developers");
MODULE_LICENSE("GPL");

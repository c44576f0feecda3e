// SPDX-License-Identifier: GPL-2.0
/*
 * mheap: a managed-object heap for userspace. Module init and exit only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/workqueue.h>

#include "dev.h"
#include "heap.h"
#include "user.h"

static unsigned long heap_capacity = SZ_64M;
module_param(heap_capacity, ulong, 0444);
MODULE_PARM_DESC(heap_capacity,
		 "Bytes of arenas each new heap may reserve (default 64 MiB, at least 512 KiB)");

static unsigned long heap_capacity_max = SZ_1G;
module_param(heap_capacity_max, ulong, 0444);
MODULE_PARM_DESC(heap_capacity_max,
		 "The most a heap's capacity may be set to (default 1 GiB, at most 16 GiB)");

module_param_named(total_capacity, mheap_total_capacity, ulong, 0644);
MODULE_PARM_DESC(total_capacity,
		 "Bytes of arenas all heaps together may reserve (default 4 GiB); root may change it at run time");

module_param_named(max_heaps_per_user, mheap_max_heaps_per_user, uint, 0644);
MODULE_PARM_DESC(max_heaps_per_user,
		 "Heaps one user may hold at a time, root included (default 128); beyond, open() fails with EMFILE");

/* The collectors' workqueue (see sys.h): unbound, one work item per heap. */
struct workqueue_struct *mheap_gc_wq;
EXPORT_SYMBOL_IF_KUNIT(mheap_gc_wq);

static int __init mheap_init(void)
{
	int err;

	if (!mheap_capacity_valid(heap_capacity, heap_capacity_max)) {
		pr_err("need %lu <= heap_capacity <= heap_capacity_max <= %llu\n",
		       MHEAP_CAPACITY_MIN, MHEAP_CAPACITY_LIMIT);
		return -EINVAL;
	}
	mheap_gc_wq = alloc_workqueue("mheap_gc", WQ_UNBOUND, 0);
	if (!mheap_gc_wq)
		return -ENOMEM;
	err = mheap_dev_register(heap_capacity, heap_capacity_max);
	if (err)
		goto err_dev;
	return 0;

err_dev:
	pr_err("cannot register /dev/mheap: %d\n", err);
	destroy_workqueue(mheap_gc_wq);
	return err;
}

static void __exit mheap_exit(void)
{
	mheap_dev_unregister();
	destroy_workqueue(mheap_gc_wq);
}

module_init(mheap_init);
module_exit(mheap_exit);

MODULE_DESCRIPTION("Managed-object heap with reference counting and cycle collection");
MODULE_AUTHOR("The mheap developers");
MODULE_LICENSE("GPL");

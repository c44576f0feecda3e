// SPDX-License-Identifier: GPL-2.0
/*
 * mheap: a managed-object heap for userspace. Module init and exit only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/sizes.h>
#include <linux/workqueue.h>

#include "debugfs.h"
#include "device.h"
#include "core/object.h"
#include "core/gc.h"
#include "core/heap.h"
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

/*
 * max_spare_arenas and spare_decay_ms: read at each use, so a value in
 * range takes effect at once (heaps free the spares over the bound at
 * their next call, or from their decay work); any other is refused and
 * changes nothing (the kernel's param_set_uint_minmax()).
 */
static int max_spare_arenas_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, MHEAP_SPARE_ARENAS_MAX);
}

static const struct kernel_param_ops max_spare_arenas_ops = {
	.set = max_spare_arenas_set,
	.get = param_get_uint,
};
module_param_cb(max_spare_arenas, &max_spare_arenas_ops, &mheap_max_spare_arenas, 0644);
MODULE_PARM_DESC(max_spare_arenas,
		 "Idle arenas each space of a heap keeps for reuse (default 16, at most 1024); root may change it at run time");

static int spare_decay_ms_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, MHEAP_SPARE_DECAY_MS_MAX);
}

static const struct kernel_param_ops spare_decay_ms_ops = {
	.set = spare_decay_ms_set,
	.get = param_get_uint,
};
module_param_cb(spare_decay_ms, &spare_decay_ms_ops, &mheap_spare_decay_ms, 0644);
MODULE_PARM_DESC(spare_decay_ms,
		 "How long a space keeps idle arenas beyond max_spare_arenas, up to 4 times as many (ms, default 1000, at most 60000; 0: not at all)");

module_param_named(max_heaps_per_user, mheap_max_heaps_per_user, uint, 0644);
MODULE_PARM_DESC(max_heaps_per_user,
		 "Heaps one user may hold at a time, root included (default 128); beyond, open() fails with EMFILE");

/*
 * gc_threshold is three numbers; not module_param_array(), which stores
 * each number as it parses it and so leaves a half-written array behind
 * when a later one is bad. Parsed whole first here: an error changes
 * nothing.
 */
static int gc_threshold_set(const char *val, const struct kernel_param *kp)
{
	unsigned int t[MHEAP_GENERATIONS], i;
	char *buf, *s, *word;
	int err = 0;

	buf = kstrdup(val, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	s = strim(buf);
	for (i = 0; i < MHEAP_GENERATIONS && !err; i++) {
		word = strsep(&s, ",");
		err = word ? kstrtouint(word, 0, &t[i]) : -EINVAL;
	}
	if (!err && s)
		err = -EINVAL;
	kfree(buf);
	if (err)
		return -EINVAL;
	for (i = 0; i < MHEAP_GENERATIONS; i++)
		WRITE_ONCE(mheap_gc_default_threshold[i], t[i]);
	return 0;
}

static int gc_threshold_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u,%u,%u\n", mheap_gc_default_threshold[0],
			  mheap_gc_default_threshold[1],
			  mheap_gc_default_threshold[2]);
}

static const struct kernel_param_ops gc_threshold_ops = {
	.set = gc_threshold_set,
	.get = gc_threshold_get,
};

module_param_cb(gc_threshold, &gc_threshold_ops, NULL, 0644);
MODULE_PARM_DESC(gc_threshold,
		 "Collector thresholds of new heaps, generations 0,1,2 (default 700,10,10; 0 turns automatic collection off)");

module_param_named(gc_increment, mheap_gc_increment, uint, 0644);
MODULE_PARM_DESC(gc_increment,
		 "Work (objects plus slots) in one increment of an automatic collection of generation 1 or 2, between which clients run (default 20000; 0: collections are not incremental)");

module_param_named(debugfs_max_objects, mheap_debugfs_max_objects, uint, 0644);
MODULE_PARM_DESC(debugfs_max_objects,
		 "Objects listed by each heap's debugfs objects file (default 1000)");

/* The collectors' workqueue (see prim.h): unbound, one work item per heap. */
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
	mheap_debugfs_init();
	err = mheap_dev_register(heap_capacity, heap_capacity_max);
	if (err)
		goto err_dev;
	return 0;

err_dev:
	pr_err("cannot register /dev/mheap: %d\n", err);
	mheap_debugfs_exit();
	destroy_workqueue(mheap_gc_wq);
	return err;
}

static void __exit mheap_exit(void)
{
	mheap_dev_unregister();
	mheap_debugfs_exit();
	destroy_workqueue(mheap_gc_wq);
}

module_init(mheap_init);
module_exit(mheap_exit);

MODULE_DESCRIPTION("Managed-object heap with reference counting and cycle collection");
MODULE_AUTHOR("The mheap developers");
MODULE_LICENSE("GPL");

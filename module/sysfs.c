// SPDX-License-Identifier: GPL-2.0
/*
 * The module's statistics in sysfs: /sys/class/misc/mheap/stats/, one
 * read-only value per file (Documentation/ABI/testing/sysfs-class-misc-mheap).
 * The same figures, and those of each heap, are in debugfs (debugfs.c) and
 * MHEAP_IOC_MODULE_STATS.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "device.h"
#include "core/heap.h"
#include "user.h"

#define MHEAP_STAT_ATTR(_name, _value)					\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct mheap_global_stats st;					\
									\
	mheap_global_stats(&st);					\
	return sysfs_emit(buf, "%llu\n", (u64)(_value));		\
}									\
static DEVICE_ATTR_RO(_name)

MHEAP_STAT_ATTR(heaps, st.heaps);
MHEAP_STAT_ATTR(users, mheap_user_count());
MHEAP_STAT_ATTR(arena_bytes, st.arena_bytes);
MHEAP_STAT_ATTR(collections, st.collections);
MHEAP_STAT_ATTR(collected, st.collected);

static struct attribute *mheap_stats_attrs[] = {
	&dev_attr_heaps.attr,
	&dev_attr_users.attr,
	&dev_attr_arena_bytes.attr,
	&dev_attr_collections.attr,
	&dev_attr_collected.attr,
	NULL,
};

static const struct attribute_group mheap_stats_group = {
	.name = "stats",
	.attrs = mheap_stats_attrs,
};

/* The misc device's attribute groups (struct miscdevice's .groups). */
const struct attribute_group *mheap_dev_groups[] = {
	&mheap_stats_group,
	NULL,
};

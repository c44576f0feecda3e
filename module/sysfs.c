// SPDX-License-Identifier: GPL-2.0
/*
 * mheap in sysfs (Documentation/ABI/testing/sysfs-class-misc-mheap), one
 * read-only value (or one value per generation) per file:
 *
 *   /sys/class/misc/mheap/stats/	the module's totals, world-readable, as
 *					MHEAP_IOC_MODULE_STATS gives them;
 *   /sys/class/misc/mheap/heaps/<id>/	each heap (root only), named by its
 *					id, as its ioctls and the tracepoints
 *					name it; its collector in gc/.
 *
 * This, not debugfs, is what mheapctl top and stats --json read. Each
 * heap's directory is its struct mheap_instance's kobject: it goes before
 * the heap does (kobject_del() waits for reads in progress), and the
 * instance is freed by the kobject's release.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uidgid.h>

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

/* --- /sys/class/misc/mheap/heaps/<id>/ ----------------------------------- */

static struct kobject *mheap_heaps_kobj;

/**
 * mheap_instance_stats() - take a heap's figures, all in one lock hold
 * @inst: the heap.
 *
 * What a read of a sysfs or debugfs file of the heap prints from, so that
 * the two show the same figures gathered the same way.
 *
 * Context: process context; takes heap->lock killably.
 * Return: the figures, to be kfree()d; ERR_PTR(-ENOMEM), or
 * ERR_PTR(-EINTR) (a fatal signal while waiting for the lock).
 */
struct mheap_instance_stats *mheap_instance_stats(struct mheap_instance *inst)
{
	struct mheap *heap = inst->heap;
	struct mheap_gc *gc = &heap->gc;
	struct mheap_instance_stats *s;
	unsigned int i;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	if (mheap_lock_killable(heap)) {
		kfree(s);
		return ERR_PTR(-EINTR);
	}
	mheap_heap_stats(heap, &s->st);
	s->capacity_max = heap->capacity_max;
	s->clients = inst->clients;
	s->names = heap->names.len;
	s->weak = heap->weak.live;
	s->mapped = heap->mapped;
	s->enabled = gc->enabled;
	s->save_all = gc->save_all;
	s->frozen = heap->gens[MHEAP_GEN_PERMANENT].count;
	s->garbage = gc->garbage.count;
	s->long_lived_total = gc->long_lived_total;
	s->long_lived_pending = gc->long_lived_pending;
	for (i = 0; i < MHEAP_GENERATIONS; i++) {
		s->threshold[i] = gc->threshold[i];
		s->count[i] = gc->count[i];
		s->objects[i] = heap->gens[i].count;
		s->gen[i] = gc->stats[i];
	}
	mheap_unlock(heap);
	s->uid = from_kuid(&init_user_ns, mheap_user_uid(inst->user));
	return s;
}

/* A heap's attribute: the figure it shows, from a snapshot. */
struct heap_attribute {
	struct attribute attr;
	ssize_t (*show)(const struct mheap_instance_stats *s, char *buf);
};

static ssize_t heap_attr_show(struct kobject *kobj, struct attribute *attr,
			      char *buf)
{
	struct mheap_instance *inst = container_of(kobj, struct mheap_instance,
						   kobj);
	struct heap_attribute *ha = container_of(attr, struct heap_attribute,
						 attr);
	struct mheap_instance_stats *s;
	ssize_t ret;

	s = mheap_instance_stats(inst);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = ha->show(s, buf);
	kfree(s);
	return ret;
}

/* heap_<name>: one number */
#define HEAP_ATTR(_name, _expr)						\
static ssize_t heap_##_name##_show(const struct mheap_instance_stats *s,	\
				   char *buf)				\
{									\
	return sysfs_emit(buf, "%llu\n", (u64)(_expr));			\
}									\
static struct heap_attribute heap_attr_##_name = {			\
	.attr = { .name = #_name, .mode = 0400 },			\
	.show = heap_##_name##_show,					\
}

/* gc_<name>: one number per generation, 0 to MHEAP_GENERATIONS - 1 */
#define GEN_ATTR(_name, _expr)						\
static ssize_t gen_##_name##_show(const struct mheap_instance_stats *s,	\
				  char *buf)				\
{									\
	unsigned int i;							\
	int n = 0;							\
									\
	for (i = 0; i < MHEAP_GENERATIONS; i++)				\
		n += sysfs_emit_at(buf, n, "%llu%c", (u64)(_expr),	\
				   i + 1 < MHEAP_GENERATIONS ? ' ' : '\n'); \
	return n;							\
}									\
static struct heap_attribute gen_attr_##_name = {			\
	.attr = { .name = #_name, .mode = 0400 },			\
	.show = gen_##_name##_show,					\
}

HEAP_ATTR(uid, s->uid);
HEAP_ATTR(clients, s->clients);
HEAP_ATTR(capacity, s->st.capacity);
HEAP_ATTR(capacity_max, s->capacity_max);
HEAP_ATTR(arena_bytes, s->st.arena_bytes);
HEAP_ATTR(used, s->st.used);
HEAP_ATTR(meta_used, s->st.meta_used);
HEAP_ATTR(payload_bytes, s->st.payload_bytes);
HEAP_ATTR(objects_live, s->st.objects_live);
HEAP_ATTR(objects_allocated, s->st.objects_allocated);
HEAP_ATTR(objects_freed, s->st.objects_freed);
HEAP_ATTR(arenas, s->st.arenas);
HEAP_ATTR(spare_arenas, s->st.spare);
HEAP_ATTR(runs, s->st.runs);
HEAP_ATTR(jumbo, s->st.jumbo);
HEAP_ATTR(names, s->names);
HEAP_ATTR(weak_refs, s->weak);
HEAP_ATTR(mapped, s->mapped);

static struct attribute *heap_attrs[] = {
	&heap_attr_uid.attr,
	&heap_attr_clients.attr,
	&heap_attr_capacity.attr,
	&heap_attr_capacity_max.attr,
	&heap_attr_arena_bytes.attr,
	&heap_attr_used.attr,
	&heap_attr_meta_used.attr,
	&heap_attr_payload_bytes.attr,
	&heap_attr_objects_live.attr,
	&heap_attr_objects_allocated.attr,
	&heap_attr_objects_freed.attr,
	&heap_attr_arenas.attr,
	&heap_attr_spare_arenas.attr,
	&heap_attr_runs.attr,
	&heap_attr_jumbo.attr,
	&heap_attr_names.attr,
	&heap_attr_weak_refs.attr,
	&heap_attr_mapped.attr,
	NULL,
};

static const struct attribute_group heap_group = {
	.attrs = heap_attrs,
};

HEAP_ATTR(enabled, s->enabled);
HEAP_ATTR(save_all, s->save_all);
HEAP_ATTR(frozen, s->frozen);
HEAP_ATTR(garbage, s->garbage);
HEAP_ATTR(long_lived_total, s->long_lived_total);
HEAP_ATTR(long_lived_pending, s->long_lived_pending);
GEN_ATTR(threshold, s->threshold[i]);
GEN_ATTR(count, s->count[i]);
GEN_ATTR(objects, s->objects[i]);
GEN_ATTR(collections, s->gen[i].collections);
GEN_ATTR(collected, s->gen[i].collected);
GEN_ATTR(uncollectable, s->gen[i].uncollectable);
GEN_ATTR(examined, s->gen[i].examined);
GEN_ATTR(pause_total_ns, s->gen[i].pause_total_ns);
GEN_ATTR(pause_last_ns, s->gen[i].pause_last_ns);

static struct attribute *gc_attrs[] = {
	&heap_attr_enabled.attr,
	&heap_attr_save_all.attr,
	&heap_attr_frozen.attr,
	&heap_attr_garbage.attr,
	&heap_attr_long_lived_total.attr,
	&heap_attr_long_lived_pending.attr,
	&gen_attr_threshold.attr,
	&gen_attr_count.attr,
	&gen_attr_objects.attr,
	&gen_attr_collections.attr,
	&gen_attr_collected.attr,
	&gen_attr_uncollectable.attr,
	&gen_attr_examined.attr,
	&gen_attr_pause_total_ns.attr,
	&gen_attr_pause_last_ns.attr,
	NULL,
};

static const struct attribute_group gc_group = {
	.name = "gc",
	.attrs = gc_attrs,
};

static const struct attribute_group *heap_groups[] = {
	&heap_group,
	&gc_group,
	NULL,
};

static const struct sysfs_ops heap_sysfs_ops = {
	.show = heap_attr_show,
};

/* The instance's last reference: its heap is gone, the memory goes. */
static void heap_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct mheap_instance, kobj));
}

static const struct kobj_type heap_ktype = {
	.release = heap_release,
	.sysfs_ops = &heap_sysfs_ops,
	.default_groups = heap_groups,
};

/**
 * mheap_sysfs_heap_init() - make a new instance's kobject its owner
 * @inst: the instance, just allocated.
 *
 * From here on, kobject_put(&@inst->kobj) frees @inst.
 *
 * Context: process context.
 */
void mheap_sysfs_heap_init(struct mheap_instance *inst)
{
	kobject_init(&inst->kobj, &heap_ktype);
}

/**
 * mheap_sysfs_heap_add() - publish a heap's directory
 * @inst: the instance, its heap created.
 *
 * Context: process context; heap->lock not held.
 * Return: 0, or the negative errno of kobject_add() (-ENOMEM; -EEXIST if
 * the heap's id is taken, after 2^32 heaps); -ENODEV while the module is
 * still being loaded.
 */
int mheap_sysfs_heap_add(struct mheap_instance *inst)
{
	/* an open() racing with module init, before mheap_sysfs_init() */
	if (!READ_ONCE(mheap_heaps_kobj))
		return -ENODEV;
	return kobject_add(&inst->kobj, mheap_heaps_kobj, "%u",
			   inst->heap->id);
}

/**
 * mheap_sysfs_heap_remove() - remove a heap's directory, if it has one
 * @inst: the instance, about to be torn down.
 *
 * Returns once no read of its files is in progress; later reads of a file
 * left open fail (-ENODEV).
 *
 * Context: process context; heap->lock not held.
 */
void mheap_sysfs_heap_remove(struct mheap_instance *inst)
{
	if (inst->kobj.state_in_sysfs)
		kobject_del(&inst->kobj);
}

/**
 * mheap_sysfs_init() - create /sys/class/misc/mheap/heaps
 * @dev: the misc device.
 *
 * Context: module init, after the device is registered.
 * Return: 0 or -ENOMEM.
 */
int mheap_sysfs_init(struct device *dev)
{
	mheap_heaps_kobj = kobject_create_and_add("heaps", &dev->kobj);
	return mheap_heaps_kobj ? 0 : -ENOMEM;
}

/**
 * mheap_sysfs_exit() - remove /sys/class/misc/mheap/heaps
 *
 * Context: module exit, no heap left, before the device goes.
 */
void mheap_sysfs_exit(void)
{
	kobject_put(mheap_heaps_kobj);
}

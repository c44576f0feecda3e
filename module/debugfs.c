// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs: a directory /sys/kernel/debug/mheap/<id>/ for each heap, named
 * by the heap's id (the heap= of the tracepoints), readable by root only:
 *
 *   stats    the heap's statistics, one "name value" pair per line;
 *   gc       its collector: settings, then one line per generation with its
 *            threshold, count, objects and what its collections did;
 *   objects  its objects, one per line, at most debugfs_max_objects of them
 *            (module parameter), then a count of all.
 *
 * Everything is a number: objects are named by their id (a location in the
 * heap), never by an address. Each read takes the heap's lock and prints a
 * consistent snapshot. See Documentation/admin-guide.rst. This is for
 * people: no tool may parse it (debugfs is no ABI); mheapctl reads the
 * same figures from sysfs (sysfs.c).
 *
 * Lifetime: a heap's directory goes before the heap does; debugfs waits
 * for reads in progress, and later reads of a file left open get -EIO.
 */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "debugfs.h"
#include "device.h"
#include "core/object.h"
#include "core/gc.h"

/* The most objects an objects file lists (module parameter). */
unsigned int mheap_debugfs_max_objects = MHEAP_DEBUGFS_MAX_OBJECTS_DEFAULT;

static struct dentry *mheap_debugfs_root;

static int stats_show(struct seq_file *m, void *unused)
{
	struct mheap_instance *inst = m->private;
	struct mheap_instance_stats *s;

	s = mheap_instance_stats(inst);
	if (IS_ERR(s))
		return PTR_ERR(s);
	seq_printf(m, "id %u\n", inst->heap->id);
	seq_printf(m, "uid %u\n", s->uid);
	seq_printf(m, "clients %u\n", s->clients);
	seq_printf(m, "capacity %llu\n", s->st.capacity);
	seq_printf(m, "capacity_max %llu\n", s->capacity_max);
	seq_printf(m, "arena_bytes %llu\n", s->st.arena_bytes);
	seq_printf(m, "used %llu\n", s->st.used);
	seq_printf(m, "meta_used %llu\n", s->st.meta_used);
	seq_printf(m, "payload_bytes %llu\n", s->st.payload_bytes);
	seq_printf(m, "objects_live %llu\n", s->st.objects_live);
	seq_printf(m, "objects_allocated %llu\n", s->st.objects_allocated);
	seq_printf(m, "objects_freed %llu\n", s->st.objects_freed);
	seq_printf(m, "arenas %llu\n", s->st.arenas);
	seq_printf(m, "spare_arenas %llu\n", s->st.spare);
	seq_printf(m, "runs %llu\n", s->st.runs);
	seq_printf(m, "jumbo %llu\n", s->st.jumbo);
	seq_printf(m, "names %u\n", s->names);
	seq_printf(m, "weak_refs %u\n", s->weak);
	seq_printf(m, "mapped %d\n", s->mapped);
	kfree(s);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static int gc_show(struct seq_file *m, void *unused)
{
	struct mheap_instance *inst = m->private;
	struct mheap_instance_stats *s;
	unsigned int i;

	s = mheap_instance_stats(inst);
	if (IS_ERR(s))
		return PTR_ERR(s);
	seq_printf(m, "enabled %d\n", s->enabled);
	seq_printf(m, "save_all %d\n", s->save_all);
	seq_printf(m, "frozen %llu\n", s->frozen);
	seq_printf(m, "garbage %llu\n", s->garbage);
	seq_printf(m, "long_lived_total %llu\n", s->long_lived_total);
	seq_printf(m, "long_lived_pending %llu\n", s->long_lived_pending);
	seq_puts(m, "gen threshold count objects collections collected uncollectable examined pause_total_ns pause_last_ns\n");
	for (i = 0; i < MHEAP_GENERATIONS; i++) {
		const struct mheap_gen_stats *st = &s->gen[i];

		seq_printf(m, "%u %u %u %llu %llu %llu %llu %llu %llu %llu\n",
			   i, s->threshold[i], s->count[i], s->objects[i],
			   st->collections, st->collected, st->uncollectable,
			   st->examined, st->pause_total_ns, st->pause_last_ns);
	}
	kfree(s);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gc);

/*
 * Flags an objects line shows: c (it has a cookie), g (on the save-all
 * garbage list), w (weak handles name it); - for none.
 */
#define DUMP_FLAGS	(MHEAP_OBJ_COOKIE | MHEAP_OBJ_GARBAGE | MHEAP_OBJ_WEAKREF)

struct dump {
	struct seq_file *m;
	unsigned int max;
	unsigned long shown;
};

static unsigned long dump_object(struct mheap *heap, u32 id, void *data)
{
	struct mheap_object *obj = mheap_object_ptr(heap, id);
	struct mheap_object_info info;
	struct dump *d = data;

	if (d->shown >= d->max)
		return 1;
	mheap_object_info(heap, id, &info);
	seq_printf(d->m, "%u %u %u %u ", id, info.size, info.nrefs,
		   info.refcnt);
	if (!info.tracked)
		seq_puts(d->m, "-");
	else if (info.gen == MHEAP_GEN_PERMANENT)
		seq_puts(d->m, "p");
	else
		seq_printf(d->m, "%u", info.gen);
	seq_putc(d->m, ' ');
	if (!(obj->flags & DUMP_FLAGS))
		seq_putc(d->m, '-');
	if (obj->flags & MHEAP_OBJ_COOKIE)
		seq_putc(d->m, 'c');
	if (obj->flags & MHEAP_OBJ_GARBAGE)
		seq_putc(d->m, 'g');
	if (obj->flags & MHEAP_OBJ_WEAKREF)
		seq_putc(d->m, 'w');
	seq_printf(d->m, " %llu\n", info.cookie);
	d->shown++;
	return 1;
}

static int objects_show(struct seq_file *m, void *unused)
{
	struct mheap_instance *inst = m->private;
	struct mheap *heap = inst->heap;
	struct dump d = { .m = m, .max = READ_ONCE(mheap_debugfs_max_objects) };
	unsigned long total;

	seq_puts(m, "# id size nrefs refcnt gen flags cookie\n");
	mheap_lock(heap);
	total = mheap_space_walk(heap, &heap->meta, dump_object, &d);
	mheap_unlock(heap);
	seq_printf(m, "# %lu objects, %lu listed\n", total, d.shown);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(objects);

/**
 * mheap_debugfs_heap_add() - give a heap its debugfs directory
 * @inst: the heap and its clients, ready for use.
 *
 * As with debugfs everywhere, a failure is not an error: the heap works
 * without its directory.
 *
 * Context: process context.
 */
void mheap_debugfs_heap_add(struct mheap_instance *inst)
{
	char name[16];
	struct dentry *dir;

	snprintf(name, sizeof(name), "%u", inst->heap->id);
	dir = debugfs_create_dir(name, mheap_debugfs_root);
	debugfs_create_file("stats", 0400, dir, inst, &stats_fops);
	debugfs_create_file("gc", 0400, dir, inst, &gc_fops);
	debugfs_create_file("objects", 0400, dir, inst, &objects_fops);
	inst->debugfs = dir;
}

/**
 * mheap_debugfs_heap_remove() - remove a heap's debugfs directory
 * @inst: the heap, about to be destroyed.
 *
 * Returns once no read of its files is in progress.
 *
 * Context: process context; heap->lock not held.
 */
void mheap_debugfs_heap_remove(struct mheap_instance *inst)
{
	debugfs_remove_recursive(inst->debugfs);
	inst->debugfs = NULL;
}

/**
 * mheap_debugfs_init() - create /sys/kernel/debug/mheap
 *
 * Context: module init.
 */
void mheap_debugfs_init(void)
{
	mheap_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
}

/**
 * mheap_debugfs_exit() - remove /sys/kernel/debug/mheap
 *
 * Context: module exit, once every heap is gone.
 */
void mheap_debugfs_exit(void)
{
	debugfs_remove_recursive(mheap_debugfs_root);
}

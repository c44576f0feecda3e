/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The misc device and its open files: what every part of the kernel side
 * shares about a heap (struct mheap_instance) and about one client of it
 * (struct mheap_file).
 *
 * The locks, and what each protects:
 *   heap->lock (struct mheap, core/heap.h), a mutex, one per heap: the
 *	heap, its objects, the collector's state, the handle tables of its
 *	clients, and struct mheap_instance and struct mheap_file fields
 *	tagged "L: heap->lock". Taken killably on ioctl paths.
 *   mheap_users_lock (user.c), a mutex: the per-uid heap counts; taken
 *	at open() and at a heap's last close, never with another lock.
 *   the mmap lock of a process that maps the heap: taken by the page
 *	fault on the payload mapping (map.c) before heap->lock.
 *   the payload address space's i_mmap lock: taken by the zap of an
 *	arena's pages (map.c) inside heap->lock.
 *   a client's f->wait queue lock: taken by the wake-ups of events.c
 *	inside heap->lock.
 *   heap->lock's handoff_lock (core/prim.h), a spinlock: the counts of
 *	tasks waiting for heap->lock; taken as one starts waiting (no lock
 *	held), and inside heap->lock as it gets it or as the collector lets
 *	it go (mheap_unlock_handoff()). Only its wait queue's lock is
 *	taken inside it, by the wake-up of the collector that waits.
 *
 * The orders that exist (outermost first; lockdep checks each under
 * PROVE_LOCKING):
 *   1. mmap lock -> heap->lock (the payload mapping's fault);
 *   2. heap->lock -> i_mmap lock (an arena's zap);
 *   3. heap->lock -> f->wait's lock (a reclamation event, an unsubscribe);
 *   4. heap->lock -> the allocators' own locks (every allocation of the
 *	core; arenas are vfree()d after unlocking, mheap_unlock());
 *   5. heap->lock -> heap->lock's handoff_lock.
 * Nothing takes heap->lock inside the i_mmap or wait queue locks, and
 * nothing takes a page fault with heap->lock held: results are written
 * under it with page faults disabled (copy_to_user_nofault()), and
 * faulted in after unlocking.
 */
#ifndef MHEAP_DEVICE_H
#define MHEAP_DEVICE_H

#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "core/heap.h"

struct attribute_group;
struct device;
struct file;

/*
 * How many times a call whose result could not be written with page faults
 * disabled faults the memory in and tries again before giving up with
 * EFAULT. One retry is the rule; a page that keeps going away (or a pointer
 * whose fault-in succeeds while the copy cannot, as with a wrong memory
 * tag) must not loop for ever.
 */
#define MHEAP_FAULT_RETRIES	16

struct dentry;
struct mheap;
struct mheap_client;
struct mheap_user;
struct mheap_event_queue;

/**
 * struct mheap_instance - one heap as the kernel side holds it: the core's
 * heap and what its clients (open files) share
 * @heap: the heap.
 * @exports: the tokens of MHEAP_IOC_EXPORT: a handle table of its own,
 *	whose handle values are the tokens. L: heap->lock
 * @clients: clients (open files) of the heap. L: heap->lock
 * @user: the user the heap is charged to (the opener's euid).
 * @subscribers: clients subscribed to reclamation events, by their
 *	queues' @link. L: heap->lock
 * @next_subscriber: the subscriber number the next subscription gets (never 0, never
 *	reused: SUBSCRIBE fails once it reaches U32_MAX). L: heap->lock
 * @map_inode: an inode of the heap's own, for the payload mapping (map.c).
 * @mapping: @map_inode's address space: every client file's f_mapping, so
 *	that an arena's pages can be zapped from every mapping of the heap.
 * @debugfs: the heap's debugfs directory (debugfs.c), or an error or NULL.
 * @kobj: the heap's sysfs directory, /sys/class/misc/mheap/heaps/<id>
 *	(sysfs.c); its release frees the instance.
 */
struct mheap_instance {
	struct mheap *heap;
	struct mheap_client *exports;
	unsigned int clients;
	struct mheap_user *user;
	struct list_head subscribers;
	u32 next_subscriber;
	struct inode *map_inode;
	struct address_space *mapping;
	struct dentry *debugfs;
	struct kobject kobj;
};

/**
 * struct mheap_file - an open file: one client of a heap
 * @inst: the heap instance this file is a client of.
 * @client: this file's handle table.
 * @writable: opened for writing; else read-only (uapi: "What a read-only
 *	client may do"). Set at creation, never changed.
 * @readable: opened for reading (FMODE_READ: it may be mapped, and read(2)
 *	gives events); not for a file opened O_WRONLY, nor for a client made
 *	from one. Set at creation, never changed.
 * @events: the reclamation event queue while subscribed, else NULL.
 *	L: heap->lock
 * @wait: where readers and pollers wait for events.
 * @seq: bumped at each event and at unsubscribe, to wake @wait.
 */
struct mheap_file {
	struct mheap_instance *inst;
	struct mheap_client *client;
	bool writable;
	bool readable;
	struct mheap_event_queue *events;
	wait_queue_head_t wait;
	unsigned int seq;
};

/**
 * struct mheap_instance_stats - a heap's figures, as its sysfs and debugfs
 *	files print them, taken in one hold of its lock
 * @st: the core's statistics (struct mheap_stats).
 * @capacity_max: the most the heap's capacity may grow to, in bytes.
 * @uid: the uid the heap is charged to, in the initial user namespace.
 * @clients: its clients (open files).
 * @names: its named roots.
 * @weak: its live weak handles.
 * @mapped: its payload has been mapped.
 * @enabled: automatic collection is on.
 * @save_all: DEBUG_SAVEALL is set.
 * @frozen: objects in the permanent generation.
 * @garbage: objects on the save-all garbage list.
 * @long_lived_total: objects that survived the last full collection.
 * @long_lived_pending: objects that survived a generation-1 collection
 *	since then.
 * @threshold: each generation's threshold.
 * @count: each generation's count.
 * @objects: objects in each generation.
 * @gen: what each generation's collections did.
 */
struct mheap_instance_stats {
	struct mheap_stats st;
	u64 capacity_max;
	u32 uid;
	u32 clients;
	u32 names;
	u32 weak;
	bool mapped;
	bool enabled;
	bool save_all;
	u64 frozen;
	u64 garbage;
	u64 long_lived_total;
	u64 long_lived_pending;
	u32 threshold[MHEAP_GENERATIONS];
	u32 count[MHEAP_GENERATIONS];
	u64 objects[MHEAP_GENERATIONS];
	struct mheap_gen_stats gen[MHEAP_GENERATIONS];
};

extern const struct attribute_group *mheap_dev_groups[];

struct mheap_instance_stats *mheap_instance_stats(struct mheap_instance *inst);

void mheap_sysfs_heap_init(struct mheap_instance *inst);
int mheap_sysfs_heap_add(struct mheap_instance *inst);
void mheap_sysfs_heap_remove(struct mheap_instance *inst);
int mheap_sysfs_init(struct device *dev);
void mheap_sysfs_exit(void);

int mheap_dev_register(size_t heap_capacity, size_t heap_capacity_max);
void mheap_dev_unregister(void);
int mheap_device_new_file(struct mheap_instance *inst, bool writable,
			  bool readable, struct file **filep);
void mheap_device_capacity(size_t *capacity, size_t *capacity_max);

#endif /* MHEAP_DEVICE_H */

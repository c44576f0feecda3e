/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What dev.c, events.c and map.c share: the clients of a heap (open
 * files), their reclamation events (uapi: struct mheap_events) and the
 * payload mapping.
 */
#ifndef MHEAP_EVENTS_H
#define MHEAP_EVENTS_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/wait.h>

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
 * struct mheap_shared - what the clients of one heap share
 * @heap: the heap.
 * @exports: the tokens of MHEAP_IOC_EXPORT: a handle table of its own,
 *	whose handle values are the tokens. L: heap->lock
 * @clients: clients (open files) of the heap. L: heap->lock
 * @user: the user the heap is charged to (the opener's euid).
 * @subscribers: clients subscribed to reclamation events, by their
 *	queues' @link. L: heap->lock
 * @next_owner: the owner number the next subscription gets (never 0, never
 *	reused: SUBSCRIBE fails once it reaches U32_MAX). L: heap->lock
 * @map_inode: an inode of the heap's own, for the payload mapping (map.c).
 * @mapping: @map_inode's address space: every client file's f_mapping, so
 *	that an arena's pages can be zapped from every mapping of the heap.
 * @debugfs: the heap's debugfs directory (debugfs.c), or an error or NULL.
 */
struct mheap_shared {
	struct mheap *heap;
	struct mheap_client *exports;
	unsigned int clients;
	struct mheap_user *user;
	struct list_head subscribers;
	u32 next_owner;
	struct inode *map_inode;
	struct address_space *mapping;
	struct dentry *debugfs;
};

/**
 * struct mheap_file - an open file: one client of a heap
 * @shared: the heap and what its clients share.
 * @client: this file's handle table.
 * @writable: opened for writing; else read-only (uapi: "What a read-only
 *	client may do"). Set at creation, never changed.
 * @events: the reclamation event queue while subscribed, else NULL.
 *	L: heap->lock
 * @wait: where readers and pollers wait for events.
 * @seq: bumped at each event and at unsubscribe, to wake @wait.
 */
struct mheap_file {
	struct mheap_shared *shared;
	struct mheap_client *client;
	bool writable;
	struct mheap_event_queue *events;
	wait_queue_head_t wait;
	unsigned int seq;
};

/* map.c: the payload mapping */
int mheap_map_init(struct mheap_shared *shared);
void mheap_map_fini(struct mheap_shared *shared);
int mheap_map_mmap(struct mheap_file *f, struct vm_area_struct *vma);

void mheap_events_init(struct mheap_shared *shared);
void mheap_events_file_init(struct mheap_file *f);
long mheap_events_ioctl(struct mheap_file *f, void *arg);
void mheap_events_undo_subscribe(struct mheap_file *f);
void mheap_events_release(struct mheap_file *f);
ssize_t mheap_events_read(struct mheap_file *f, char __user *buf,
			  size_t len, bool nonblock);
__poll_t mheap_events_poll(struct mheap_file *f, struct file *file,
			   poll_table *wait);

#endif /* MHEAP_EVENTS_H */

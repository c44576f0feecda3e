/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reclamation events (uapi: struct mheap_events): a client's queue of
 * records, read() and poll() on its file (events.c).
 */
#ifndef MHEAP_EVENTS_H
#define MHEAP_EVENTS_H

#include <linux/poll.h>

#include "device.h"

void mheap_events_init(struct mheap_instance *inst);
void mheap_events_file_init(struct mheap_file *f);
long mheap_events_ioctl(struct mheap_file *f, void *arg);
void mheap_events_undo_subscribe(struct mheap_file *f);
void mheap_events_release(struct mheap_file *f);
ssize_t mheap_events_read(struct mheap_file *f, char __user *buf,
			  size_t len, bool nonblock);
__poll_t mheap_events_poll(struct mheap_file *f, struct file *file,
			   poll_table *wait);

#endif /* MHEAP_EVENTS_H */

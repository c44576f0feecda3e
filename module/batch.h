/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The operations of MHEAP_IOC_BATCH, each also the body of its
 * single-operation ioctl (batch.c).
 */
#ifndef MHEAP_BATCH_H
#define MHEAP_BATCH_H

#include <linux/types.h>

struct mheap_batch;
struct mheap_file;

int mheap_op_alloc(struct mheap_file *f, u64 size, u64 nrefs, u64 cookie,
		   u32 *handle);
int mheap_op_dup(struct mheap_file *f, u32 handle, u32 flags, u32 *copy);
int mheap_op_close(struct mheap_file *f, u32 handle);
int mheap_op_set_slot(struct mheap_file *f, u32 handle, u64 index, u64 target);
int mheap_op_get_slot(struct mheap_file *f, u32 handle, u64 index,
		      u32 *target);
void mheap_op_undo_alloc(struct mheap_file *f, u32 handle,
			 unsigned int spares);
void mheap_op_undo_handle(struct mheap_file *f, u32 handle);
int mheap_op_rw(struct mheap_file *f, u32 handle, u64 off, u64 len, u64 ubuf,
		bool write);
long mheap_batch(struct mheap_file *f, struct mheap_batch *b);

#endif /* MHEAP_BATCH_H */

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
struct mheap_op;

int mheap_op_run(struct mheap_file *f, const struct mheap_op *op, u32 *out);
void mheap_op_undo(struct mheap_file *f, const struct mheap_op *op, u32 out,
		   unsigned int spares);
int mheap_op_rw(struct mheap_file *f, u32 handle, u64 off, u64 len, u64 ubuf,
		bool write);
long mheap_batch(struct mheap_file *f, struct mheap_batch *b);

#endif /* MHEAP_BATCH_H */

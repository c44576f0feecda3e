// SPDX-License-Identifier: GPL-2.0
/*
 * The operations of MHEAP_IOC_BATCH (uapi: struct mheap_op), each also the
 * body of its single-operation ioctl, and the batch itself.
 *
 * An operation other than READ and WRITE runs with the heap lock held,
 * and in a batch its result is written under the same hold with page
 * faults disabled: an operation that created a handle and whose result
 * cannot be written so is undone at once and run again once the result
 * is faulted in, so that nobody sees the handle first (uapi: "Nothing a
 * call creates can be used before the call has written its result").
 *
 * Locking: heap->lock, taken here for the batch, held by the caller for
 * the typed operations (mheap_op_alloc() ...) and their undo.
 */
#include <linux/mheap.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "batch.h"
#include "device.h"
#include "core/handle.h"

/* Payload copies up to this size use the stack, not a kvmalloc() buffer. */
#define RW_STACK_BYTES	128

static bool op_writes(const struct mheap_op *op)
{
	return op->op == MHEAP_OP_ALLOC || op->op == MHEAP_OP_SET_SLOT ||
	       op->op == MHEAP_OP_WRITE;
}

static bool op_is_rw(const struct mheap_op *op)
{
	return op->op == MHEAP_OP_READ || op->op == MHEAP_OP_WRITE;
}

/* Whether a successful @op gave out a handle (in its @out) */
static bool op_creates(const struct mheap_op *op)
{
	return op->op == MHEAP_OP_ALLOC || op->op == MHEAP_OP_DUP ||
	       op->op == MHEAP_OP_GET_SLOT;
}

/*
 * One typed function per operation, the body of both its single-operation
 * ioctl and its batch operation: each checks the client's rights and the
 * values' ranges; the caller has checked the fields its own structure
 * must leave zero. Context: process context; heap->lock held; may sleep.
 * Nothing changes on error.
 */

/**
 * mheap_op_alloc() - ALLOC: a new object and a handle on it
 * @f: the client.
 * @size: payload bytes, 0 to MHEAP_MAX_SIZE.
 * @nrefs: reference slots, 0 to MHEAP_MAX_REFS.
 * @cookie: the caller's value for the object, 0 for none.
 * @handle: set to the new handle.
 *
 * Context: process context; heap->lock held; may sleep.
 * Return: 0; -EBADF on a read-only client; -EINVAL for @size or @nrefs
 * out of range; -ENOSPC, -ENOMEM.
 */
int mheap_op_alloc(struct mheap_file *f, u64 size, u64 nrefs, u64 cookie,
		   u32 *handle)
{
	if (!f->writable)
		return -EBADF;
	if (size > MHEAP_MAX_SIZE || nrefs > MHEAP_MAX_REFS)
		return -EINVAL;
	return mheap_handle_alloc(f->client, size, nrefs, cookie, handle);
}

/**
 * mheap_op_dup() - DUP: another handle on an object, strong or weak
 * @f: the client.
 * @handle: the handle to copy.
 * @flags: 0 or MHEAP_DUP_WEAK.
 * @copy: set to the new handle.
 *
 * Context: process context; heap->lock held; may sleep.
 * Return: 0; -EINVAL for unknown @flags; -ENOENT, -ESTALE for a bad
 * @handle; -EMFILE, -ENOMEM.
 */
int mheap_op_dup(struct mheap_file *f, u32 handle, u32 flags, u32 *copy)
{
	if (flags & ~MHEAP_DUP_WEAK)
		return -EINVAL;
	if (flags & MHEAP_DUP_WEAK)
		return mheap_handle_dup_weak(f->client, handle, copy);
	return mheap_handle_dup(f->client, handle, copy);
}

/**
 * mheap_op_close() - CLOSE: close a handle, dropping its reference
 * @f: the client.
 * @handle: the handle.
 *
 * Context: process context; heap->lock held; may sleep.
 * Return: 0, -ENOENT.
 */
int mheap_op_close(struct mheap_file *f, u32 handle)
{
	return mheap_handle_close(f->client, handle);
}

/**
 * mheap_op_set_slot() - SET_SLOT: store a reference in a slot, or clear it
 * @f: the client.
 * @handle: the object's handle.
 * @index: the slot; one past the object's slots (any u64) is -EINVAL.
 * @target: a handle of the client, or 0 to clear; a value past U32_MAX
 *	(a batch's u64 field) is no handle: -ENOENT.
 *
 * Context: process context; heap->lock held; may sleep.
 * Return: 0; -EBADF on a read-only client; -EINVAL; -ENOENT, -ESTALE.
 */
int mheap_op_set_slot(struct mheap_file *f, u32 handle, u64 index, u64 target)
{
	if (!f->writable)
		return -EBADF;
	if (target > U32_MAX)
		return -ENOENT;
	/* clamped to fit a u32: still past every object's slots */
	index = min_t(u64, index, MHEAP_MAX_REFS);
	return mheap_handle_set_slot(f->client, handle, index, target);
}

/**
 * mheap_op_get_slot() - GET_SLOT: a new handle on what a slot refers to
 * @f: the client.
 * @handle: the object's handle.
 * @index: the slot, as for mheap_op_set_slot().
 * @target: set to the new handle, or 0 for an empty slot.
 *
 * Context: process context; heap->lock held; may sleep.
 * Return: 0; -EINVAL; -ENOENT, -ESTALE; -EMFILE, -ENOMEM.
 */
int mheap_op_get_slot(struct mheap_file *f, u32 handle, u64 index,
		      u32 *target)
{
	index = min_t(u64, index, MHEAP_MAX_REFS);
	return mheap_handle_get_slot(f->client, handle, index, target);
}

/**
 * mheap_op_undo_alloc() - undo a successful ALLOC, leaving no trace
 * @f: the client.
 * @handle: the handle it gave.
 * @spares: mheap_spares() from before the operation.
 *
 * Under the same hold of the heap lock that ran it: nobody can have seen
 * the handle, and the heap is left as it was (mheap_handle_unalloc()).
 *
 * Context: process context; heap->lock held.
 */
void mheap_op_undo_alloc(struct mheap_file *f, u32 handle,
			 unsigned int spares)
{
	mheap_handle_unalloc(f->client, handle, spares);
}

/**
 * mheap_op_undo_handle() - undo a successful DUP or GET_SLOT
 * @f: the client.
 * @handle: the handle it gave; 0 (an empty slot's GET_SLOT) does nothing.
 *
 * Under the same hold of the heap lock that ran it: nobody can have seen
 * the handle.
 *
 * Context: process context; heap->lock held.
 */
void mheap_op_undo_handle(struct mheap_file *f, u32 handle)
{
	if (handle)
		WARN_ON_ONCE(mheap_handle_close(f->client, handle));
}

/*
 * A batch operation but READ and WRITE: its unused fields must be zero
 * (uapi: struct mheap_op), then its typed function runs. Rights come
 * first, as for the single-operation ioctls. Context: heap->lock held.
 */
static int op_run(struct mheap_file *f, const struct mheap_op *op, u32 *out)
{
	if (op_writes(op) && !f->writable)
		return -EBADF;
	switch (op->op) {
	case MHEAP_OP_ALLOC:
		if (op->flags || op->handle)
			return -EINVAL;
		return mheap_op_alloc(f, op->arg0, op->arg1, op->arg2, out);
	case MHEAP_OP_DUP:
		if (op->arg0 || op->arg1 || op->arg2)
			return -EINVAL;
		return mheap_op_dup(f, op->handle, op->flags, out);
	case MHEAP_OP_CLOSE:
		if (op->flags || op->arg0 || op->arg1 || op->arg2)
			return -EINVAL;
		return mheap_op_close(f, op->handle);
	case MHEAP_OP_SET_SLOT:
		if (op->flags || op->arg2)
			return -EINVAL;
		return mheap_op_set_slot(f, op->handle, op->arg0, op->arg1);
	case MHEAP_OP_GET_SLOT:
		if (op->flags || op->arg1 || op->arg2)
			return -EINVAL;
		return mheap_op_get_slot(f, op->handle, op->arg0, out);
	}
	return -EINVAL;
}

/* Undo @op, which succeeded and gave @out, under the lock that ran it. */
static void op_undo(struct mheap_file *f, const struct mheap_op *op, u32 out,
		    unsigned int spares)
{
	if (op->op == MHEAP_OP_ALLOC)
		mheap_op_undo_alloc(f, out, spares);
	else
		mheap_op_undo_handle(f, out);
}

/* The payload of @handle, when [@off, @off + @len) lies inside it. */
static int payload_range(struct mheap_file *f, u32 handle, u64 off, u64 len,
			 u8 **payload)
{
	struct mheap *heap = f->inst->heap;
	struct mheap_object *obj;
	u32 id;
	int err;

	err = mheap_handle_lookup(f->client, handle, &id);
	if (err)
		return err;
	obj = mheap_object_ptr(heap, id);
	if (off > obj->size || len > obj->size - off)
		return -EINVAL;
	*payload = mheap_object_payload(heap, obj);
	if (*payload)
		*payload += off;
	return 0;
}

/**
 * mheap_op_rw() - READ or WRITE a payload
 * @f: the client.
 * @handle: the object.
 * @off: the first payload byte.
 * @len: bytes, up to MHEAP_MAX_SIZE.
 * @ubuf: the user buffer, @len bytes.
 * @write: WRITE (from @ubuf), else READ (to @ubuf).
 *
 * User memory is touched only outside the heap's lock (a fault there may
 * take any lock), through a bounce buffer; so a write is all or nothing.
 *
 * Context: process context; heap->lock not held; may sleep.
 * Return: 0; -EBADF to WRITE on a read-only client; -EINVAL for a range
 * beyond the payload; -ENOENT or -ESTALE for a bad @handle; -ENOMEM;
 * -EFAULT; -EINTR when a fatal signal came while waiting for the lock.
 */
int mheap_op_rw(struct mheap_file *f, u32 handle, u64 off, u64 len, u64 ubuf,
		bool write)
{
	struct mheap *heap = f->inst->heap;
	void __user *uptr = u64_to_user_ptr(ubuf);
	u8 stack[RW_STACK_BYTES], *buf = stack, *payload;
	int err;

	if (write && !f->writable)
		return -EBADF;
	if (len > MHEAP_MAX_SIZE || off > MHEAP_MAX_SIZE)
		return -EINVAL;
	if (len > sizeof(stack)) {
		buf = kvmalloc(len, MHEAP_PRIM_GFP);
		if (!buf)
			return -ENOMEM;
	}
	if (write && copy_from_user(buf, uptr, len)) {
		err = -EFAULT;
		goto out;
	}
	if (mheap_lock_killable(heap)) {
		err = -EINTR;
		goto out;
	}
	err = payload_range(f, handle, off, len, &payload);
	if (!err && len && write)
		memcpy(payload, buf, len);
	else if (!err && len)
		memcpy(buf, payload, len);
	mheap_unlock(heap);
	if (!err && !write && copy_to_user(uptr, buf, len))
		err = -EFAULT;
out:
	if (buf != stack)
		kvfree(buf);
	return err;
}

static int op_rw(struct mheap_file *f, const struct mheap_op *op)
{
	if (op_writes(op) && !f->writable)
		return -EBADF;
	if (op->flags)
		return -EINVAL;
	return mheap_op_rw(f, op->handle, op->arg0, op->arg1, op->arg2,
		     op->op == MHEAP_OP_WRITE);
}

/* Operations read and run at a time by a batch (on the stack) */
#define BATCH_CHUNK	16
/* Operations a call runs before a pending signal may stop it */
#define BATCH_MIN_RUN	(16 * BATCH_CHUNK)

/* Whether handle value @v is a batch-local reference (uapi) */
static bool is_ref(u64 v)
{
	return v <= U32_MAX && (v & MHEAP_BATCH_REF_BIT);
}

/* An operation's outcome, as later references of its call see it */
#define REF_NONE	0		/* failed, or gave no object */
#define REF_NOT_HANDLE	U32_MAX		/* its output is no handle */

/*
 * What a batch call keeps for references: the array, @start, and, when
 * the call runs more than one chunk, the outcome of each operation it ran
 * (from @start), so that a reference to an earlier chunk never reads the
 * array back (uapi: "as the batch wrote them").
 */
struct batch_refs {
	struct mheap_op __user *all;
	u32 start;
	u32 *outs;
};

static u32 ref_outcome(const struct mheap_op *op)
{
	if (!op_creates(op))
		return REF_NOT_HANDLE;
	if (op->result || !op->out || op->out > U32_MAX)
		return REF_NONE;
	return op->out;
}

/*
 * Resolve reference @v, made by operation @index: @chunk holds the
 * operations from @first as they ran, @refs->outs the outcomes of the
 * earlier ones of this call; those before @start are read from the
 * array, with the heap lock dropped (*@locked: a fault may need it).
 * Returns 0, or the errno for the referring operation (uapi: struct
 * mheap_op).
 */
static int resolve_ref(struct mheap_file *f, u64 *v, u32 index, u32 first,
		       const struct mheap_op *chunk,
		       const struct batch_refs *refs, bool *locked)
{
	u32 k = *v & ~MHEAP_BATCH_REF_BIT, out;
	struct mheap_op r;

	if (k >= index)
		return -EINVAL;
	if (k >= first) {
		out = ref_outcome(&chunk[k - first]);
	} else if (k >= refs->start) {
		if (!refs->outs)	/* one chunk: first == start */
			return -EINVAL;
		out = refs->outs[k - refs->start];
	} else {
		if (*locked)
			mheap_unlock(f->inst->heap);
		*locked = false;
		if (get_user(r.op, &refs->all[k].op) ||
		    get_user(r.result, &refs->all[k].result) ||
		    get_user(r.out, &refs->all[k].out))
			return -EFAULT;
		out = ref_outcome(&r);
	}
	if (out == REF_NOT_HANDLE)
		return -EINVAL;
	if (out == REF_NONE)
		return -ENOENT;
	*v = out;
	return 0;
}

/*
 * The references of @op (operation @index): @handle for all but ALLOC,
 * and SET_SLOT's target. The kernel's copy takes the handles; the array
 * keeps the references.
 */
static int resolve_refs(struct mheap_file *f, struct mheap_op *op, u32 index,
			u32 first, const struct mheap_op *chunk,
			const struct batch_refs *refs, bool *locked)
{
	u64 v;
	int err;

	if (op->op != MHEAP_OP_ALLOC && is_ref(op->handle)) {
		v = op->handle;
		err = resolve_ref(f, &v, index, first, chunk, refs, locked);
		if (err)
			return err;
		op->handle = v;
	}
	if (op->op == MHEAP_OP_SET_SLOT && is_ref(op->arg1))
		return resolve_ref(f, &op->arg1, index, first, chunk, refs,
				   locked);
	return 0;
}

/*
 * Write the result and output of @op to @uop, page faults disabled: the
 * heap lock may be held.
 */
static int put_result_nofault(struct mheap_op __user *uop,
			      const struct mheap_op *op)
{
	int ret = -EFAULT;

	/* one user access for both fields: this runs for every operation */
	pagefault_disable();
	if (!user_write_access_begin(uop, sizeof(*uop)))
		goto out;
	unsafe_put_user(op->result, &uop->result, end);
	unsafe_put_user(op->out, &uop->out, end);
	ret = 0;
end:
	user_write_access_end();
out:
	pagefault_enable();
	return ret;
}

static int put_result(struct mheap_op __user *uop, const struct mheap_op *op)
{
	if (put_user(op->result, &uop->result) || put_user(op->out, &uop->out))
		return -EFAULT;
	return 0;
}

/*
 * Run operation @i of a chunk with the heap lock held (and taken here if
 * *@locked is false), and write its result under the same hold. Returns 0
 * when the result is written; -EAGAIN when it could not be and the
 * operation, which created a handle, was undone (the lock is dropped: fault
 * the result in and run it again); -EFAULT when the result could not be
 * written after the operation, which created nothing, ran.
 */
static int batch_run_locked(struct mheap_file *f, struct mheap_op __user *uop,
			    struct mheap_op *op, bool *locked)
{
	struct mheap *heap = f->inst->heap;
	struct mheap_gc_mark mark;
	unsigned int spares;
	u32 out = 0;
	int err;

	if (!*locked && mheap_lock_killable(heap))
		return -EINTR;
	*locked = true;
	spares = mheap_spares(heap);
	mark = mheap_gc_barrier_mark(heap);
	err = op_run(f, op, &out);
	/* a failed operation dropped what it took: so goes the barrier's */
	if (err)
		mheap_gc_barrier_undo(heap, mark);
	op->result = err;
	op->out = err ? 0 : out;
	if (!put_result_nofault(uop, op)) {
		mheap_gc_barrier_commit(heap, mark);
		return 0;
	}
	if (!err && op_creates(op)) {
		op_undo(f, op, out, spares);
		mheap_gc_barrier_undo(heap, mark);
	}
	mheap_unlock(heap);
	*locked = false;
	if (!err && op_creates(op))
		return -EAGAIN;
	/* nothing to undo: a failed operation, or a CLOSE or SET_SLOT */
	return put_result(uop, op);
}

/*
 * Run up to @n operations of @ops, operations @first on of the array
 * (@refs), in order, writing each one's result back as it runs; stop
 * after a failed one when @stop_on_error. Returns how many ran with their
 * results written; *@ret is set to -EFAULT or -EINTR when the chunk
 * stopped short for that.
 */
static u32 batch_run_chunk(struct mheap_file *f, struct batch_refs *refs,
			   u32 first, struct mheap_op *ops, u32 n,
			   bool stop_on_error, long *ret)
{
	struct mheap_op __user *uops = &refs->all[first];
	struct mheap *heap = f->inst->heap;
	unsigned int faults = 0;
	bool locked = false;
	u32 i = 0;
	int err;

	while (i < n) {
		struct mheap_op *op = &ops[i];

		/* rights first, as the ioctl: op_run() and op_rw() say EBADF */
		err = 0;
		if (!op_writes(op) || f->writable)
			err = resolve_refs(f, op, first + i, first, ops, refs,
					   &locked);
		if (err) {
			if (locked)
				mheap_unlock(heap);
			locked = false;
			op->result = err;
			op->out = 0;
			err = put_result(&uops[i], op);
		} else if (op_is_rw(op)) {
			if (locked)
				mheap_unlock(heap);
			locked = false;
			op->result = op_rw(f, op);
			op->out = 0;
			err = put_result(&uops[i], op);
		} else {
			err = batch_run_locked(f, &uops[i], op, &locked);
		}
		if (err == -EAGAIN) {
			if (++faults > MHEAP_FAULT_RETRIES ||
			    fault_in_safe_writeable((const char __user *)&uops[i],
						    sizeof(*uops))) {
				*ret = -EFAULT;
				break;
			}
			if (signal_pending(current)) {
				*ret = -ERESTARTSYS;
				break;
			}
			continue;
		}
		if (err) {
			*ret = err;
			break;
		}
		if (refs->outs)
			refs->outs[first + i - refs->start] = ref_outcome(op);
		i++;
		if (op->result && stop_on_error)
			break;
	}
	if (locked)
		mheap_unlock(heap);
	return i;
}

/*
 * Read @n operations from @uops into @ops, field by field (plain loads: no
 * string copy for 48 bytes). Return how many whole ones could be read.
 */
static u32 get_ops(struct mheap_op *ops, const struct mheap_op __user *uops,
		   u32 n)
{
	u32 i = 0;

	if (!user_read_access_begin(uops, n * sizeof(*uops)))
		return 0;
	for (; i < n; i++) {
		unsafe_get_user(ops[i].op, &uops[i].op, fault);
		unsafe_get_user(ops[i].flags, &uops[i].flags, fault);
		unsafe_get_user(ops[i].handle, &uops[i].handle, fault);
		unsafe_get_user(ops[i].arg0, &uops[i].arg0, fault);
		unsafe_get_user(ops[i].arg1, &uops[i].arg1, fault);
		unsafe_get_user(ops[i].arg2, &uops[i].arg2, fault);
		ops[i].result = 0;
		ops[i].out = 0;
	}
fault:
	user_read_access_end();
	return i;
}

/*
 * Before @n operations run: write zeros to the results of those that
 * cannot be undone (all but ALLOC, DUP and GET_SLOT), so that their
 * results are known to be writable. Return how many operations, from the
 * first, can run: up to the first whose result could not be written.
 */
static u32 put_zero_results(struct mheap_op __user *uops,
			    const struct mheap_op *ops, u32 n)
{
	u32 i = 0;

	if (!user_write_access_begin(uops, n * sizeof(*uops)))
		return 0;
	for (; i < n; i++) {
		if (op_creates(&ops[i]))
			continue;
		unsafe_put_user(0, &uops[i].result, fault);
		unsafe_put_user(0, &uops[i].out, fault);
	}
fault:
	user_write_access_end();
	return i;
}

/**
 * mheap_batch() - MHEAP_IOC_BATCH: run a batch of operations
 * @f: the client.
 * @b: the batch, already copied from userspace; @b->done is set.
 *
 * Each operation's result is written as it runs (uapi: struct
 * mheap_batch). A pending signal stops the batch between two groups of
 * operations, once BATCH_MIN_RUN have run, so that every call makes
 * progress worth its set-up.
 *
 * Context: process context; heap->lock not held; may sleep.
 * Return: 0 when operations ran (@b->done of them); else -EINVAL, -E2BIG,
 * -ENOMEM, -EFAULT, -EINTR (a fatal signal while waiting for the heap lock)
 * or -ERESTARTSYS, and none ran.
 */
long mheap_batch(struct mheap_file *f, struct mheap_batch *b)
{
	struct mheap_op __user *uops = u64_to_user_ptr(b->ops);
	bool stop_on_error = !(b->flags & MHEAP_BATCH_CONTINUE);
	/* each element used is written first, by get_ops() */
	struct mheap_op ops[BATCH_CHUNK] __uninitialized;
	struct batch_refs refs;
	u32 done = 0, n, ran;
	long ret = 0;

	if (b->flags & ~MHEAP_BATCH_CONTINUE || !b->count)
		return -EINVAL;
	if (b->count > MHEAP_BATCH_MAX)
		return -E2BIG;
	if (b->start >= b->count)
		return -EINVAL;
	refs.all = uops;
	refs.start = b->start;
	refs.outs = NULL;
	if (b->count - b->start > BATCH_CHUNK) {
		refs.outs = kvmalloc_array(b->count - b->start, sizeof(u32),
					   MHEAP_PRIM_GFP);
		if (!refs.outs)
			return -ENOMEM;
	}
	done = b->start;
	while (done < b->count) {
		/*
		 * Not before BATCH_MIN_RUN operations: a client whose signals
		 * come faster than a call's set-up (a profiler's timer, on a
		 * slow kernel) would otherwise never see its batch end, or
		 * pay the set-up, which grows with the batch, every 16.
		 */
		if (done - b->start >= BATCH_MIN_RUN && signal_pending(current))
			break;
		n = min_t(u32, b->count - done, BATCH_CHUNK);
		n = get_ops(ops, &uops[done], n);
		n = put_zero_results(&uops[done], ops, n);
		if (!n) {
			ret = -EFAULT;
			break;
		}
		ran = batch_run_chunk(f, &refs, done, ops, n, stop_on_error,
				      &ret);
		done += ran;
		if (ret || ran < n || (stop_on_error && ops[ran - 1].result))
			break;
		cond_resched();
	}
	kvfree(refs.outs);
	if (done == b->start)
		return ret;
	b->done = done - b->start;
	return 0;
}

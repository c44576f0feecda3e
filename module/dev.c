// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mheap: the misc device, its file operations and ioctl dispatch.
 *
 * Each open() creates a private heap and its first client (a handle
 * table). MHEAP_IOC_NEW_CLIENT adds clients of the same heap as anonymous
 * files; the heap is destroyed when its last client's file is released.
 *
 * Every ioctl goes through mheap_ioctl(), which checks the encoding against
 * a table, copies the argument in with copy_struct_from_user() (older and
 * newer callers alike), runs the handler on a kernel copy and copies the
 * result out. Handlers validate every field before changing anything; the
 * few that move user buffers (READ, WRITE, REFS, BATCH) do so only while
 * not holding the heap's lock, through bounce buffers.
 */
#include <kunit/visibility.h>
#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mheap.h>

#include "debugfs.h"
#include "dev.h"
#include "events.h"
#include "gc.h"
#include "handle.h"
#include "names.h"
#include "user.h"

/* Optional features this build supports; see struct mheap_version. */
#define MHEAP_FEATURES	(MHEAP_FEATURE_BATCH | MHEAP_FEATURE_CLIENTS | \
			 MHEAP_FEATURE_WEAK | MHEAP_FEATURE_SCOPES | \
			 MHEAP_FEATURE_NAMES | MHEAP_FEATURE_EVENTS | \
			 MHEAP_FEATURE_MMAP)

/* Payload copies up to this size use the stack, not a kvmalloc() buffer. */
#define RW_STACK_BYTES	128

static size_t mheap_capacity;
static size_t mheap_capacity_max;

static_assert(MHEAP_MAX_SIZE == MHEAP_OBJECT_MAX_SIZE);
static_assert(MHEAP_MAX_REFS == MHEAP_OBJECT_MAX_REFS);
static_assert(MHEAP_MAX_HANDLES == MHEAP_HANDLE_MAX);
static_assert(MHEAP_GENERATIONS == MHEAP_GC_GENS);
static_assert(MHEAP_SCOPE_MAX == MHEAP_SCOPE_MAX_CORE);
static_assert(MHEAP_NAME_LEN == MHEAP_NAME_FIELD);
static_assert(sizeof(struct mheap_name_rec) == MHEAP_NAME_LEN);
static_assert(MHEAP_NAMES_MAX == MHEAP_NAMES_LIMIT);
static_assert(BIT_ULL(MHEAP_MAP_SHIFT) == MHEAP_MAP_STRIDE);
/* a jumbo arena of the largest payload fits in its stride */
static_assert(MHEAP_OBJECT_MAX_SIZE <=
	      MHEAP_MAP_STRIDE - MHEAP_GUARD_BYTES - MHEAP_PAGE_SIZE);
static_assert(sizeof(struct mheap_gc_gen_stats) == 6 * sizeof(u64));

/* The kernel copy of any ioctl argument: large enough for each of them. */
union mheap_ioc_arg {
	struct mheap_version version;
	struct mheap_config config;
	struct mheap_alloc alloc;
	struct mheap_dup dup;
	struct mheap_close close;
	struct mheap_slot slot;
	struct mheap_rw rw;
	struct mheap_info info;
	struct mheap_gc_ctl gc;
	struct mheap_gc_stats gc_stats;
	struct mheap_heap_stats heap_stats;
	struct mheap_module_stats module_stats;
	struct mheap_refs refs;
	struct mheap_batch batch;
	struct mheap_new_client new_client;
	struct mheap_token token;
	struct mheap_scope scope;
	struct mheap_name name;
	struct mheap_names names;
	struct mheap_events events;
};

static struct mheap *heap_of(struct mheap_ioc_ctx *ctx)
{
	return ctx->file->shared->heap;
}

/**
 * mheap_ioc_version() - MHEAP_IOC_VERSION: report version and features
 * @ctx: the call (unused).
 * @arg: a struct mheap_version, already copied from userspace.
 *
 * Context: process context.
 * Return: 0, or -EINVAL when flags are set.
 */
VISIBLE_IF_KUNIT
long mheap_ioc_version(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_version *v = arg;

	if (v->flags)
		return -EINVAL;
	v->version = MHEAP_UAPI_VERSION;
	v->features = MHEAP_FEATURES;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_ioc_version);

static long ioc_config(struct mheap_ioc_ctx *ctx, void *arg)
{
	const u32 known = MHEAP_CONFIG_SET_CAPACITY | MHEAP_CONFIG_SET_THRESHOLD;
	struct mheap *heap = heap_of(ctx);
	struct mheap_config *c = arg;
	long ret = 0;

	if (c->flags & ~known || c->reserved || c->reserved2)
		return -EINVAL;
	mheap_heap_lock(heap);
	if (c->flags & MHEAP_CONFIG_SET_CAPACITY &&
	    (c->capacity > SIZE_MAX ||
	     !mheap_capacity_valid(c->capacity, heap->capacity_max))) {
		ret = -EINVAL;
		goto out;
	}
	if (c->flags & MHEAP_CONFIG_SET_CAPACITY)
		mheap_heap_set_capacity(heap, c->capacity);
	if (c->flags & MHEAP_CONFIG_SET_THRESHOLD)
		mheap_gc_set_threshold(heap, c->threshold);
	c->capacity = heap->capacity;
	c->capacity_max = heap->capacity_max;
	mheap_gc_get_threshold(heap, c->threshold);
out:
	mheap_heap_unlock(heap);
	return ret;
}

/*
 * One operation of a batch, or of a single-operation ioctl (which builds an
 * operation from its argument), but READ and WRITE: validated, then run
 * with the heap's lock held. Nothing changes on error.
 */
static int op_locked(struct mheap_file *f, const struct mheap_op *op, u32 *out)
{
	struct mheap_client *c = f->client;
	u64 index = min_t(u64, op->arg0, MHEAP_MAX_REFS);	/* too large */

	switch (op->op) {
	case MHEAP_OP_ALLOC:
		if (op->flags || op->handle || op->arg0 > MHEAP_MAX_SIZE ||
		    op->arg1 > MHEAP_MAX_REFS)
			return -EINVAL;
		return mheap_handle_alloc(c, op->arg0, op->arg1, op->arg2, out);
	case MHEAP_OP_DUP:
		if (op->flags & ~MHEAP_DUP_WEAK || op->arg0 || op->arg1 || op->arg2)
			return -EINVAL;
		if (op->flags & MHEAP_DUP_WEAK)
			return mheap_handle_dup_weak(c, op->handle, out);
		return mheap_handle_dup(c, op->handle, out);
	case MHEAP_OP_CLOSE:
		if (op->flags || op->arg0 || op->arg1 || op->arg2)
			return -EINVAL;
		return mheap_handle_close(c, op->handle);
	case MHEAP_OP_SET_SLOT:
		if (op->flags || op->arg2)
			return -EINVAL;
		if (op->arg1 > U32_MAX)
			return -ENOENT;
		return mheap_handle_set_slot(c, op->handle, index, op->arg1);
	case MHEAP_OP_GET_SLOT:
		if (op->flags || op->arg1 || op->arg2)
			return -EINVAL;
		return mheap_handle_get_slot(c, op->handle, index, out);
	}
	return -EINVAL;
}

static int do_rw(struct mheap_file *f, u32 handle, u64 off, u64 len, u64 ubuf,
		 bool write);

static bool op_is_rw(const struct mheap_op *op)
{
	return op->op == MHEAP_OP_READ || op->op == MHEAP_OP_WRITE;
}

/* Any operation, taking the heap's lock as needed. */
static int do_op(struct mheap_file *f, const struct mheap_op *op, u32 *out)
{
	struct mheap *heap = f->shared->heap;
	int err;

	if (op_is_rw(op))
		return op->flags ? -EINVAL :
			do_rw(f, op->handle, op->arg0, op->arg1, op->arg2,
			      op->op == MHEAP_OP_WRITE);
	mheap_heap_lock(heap);
	err = op_locked(f, op, out);
	mheap_heap_unlock(heap);
	return err;
}

static int do_close(struct mheap_file *f, u32 handle)
{
	struct mheap_op op = { .op = MHEAP_OP_CLOSE, .handle = handle };

	return do_op(f, &op, NULL);
}

/* The payload of @handle, when [@off, @off + @len) lies inside it. */
static int payload_range(struct mheap_file *f, u32 handle, u64 off, u64 len,
			 u8 **payload)
{
	struct mheap *heap = f->shared->heap;
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

/*
 * READ and WRITE. User memory is touched only outside the heap's lock
 * (a fault there may take any lock), through a bounce buffer; so a write
 * is all or nothing.
 */
static int do_rw(struct mheap_file *f, u32 handle, u64 off, u64 len, u64 ubuf,
		 bool write)
{
	struct mheap *heap = f->shared->heap;
	void __user *uptr = u64_to_user_ptr(ubuf);
	u8 stack[RW_STACK_BYTES], *buf = stack, *payload;
	int err;

	if (len > MHEAP_MAX_SIZE || off > MHEAP_MAX_SIZE)
		return -EINVAL;
	if (len > sizeof(stack)) {
		buf = kvmalloc(len, SYS_GFP);
		if (!buf)
			return -ENOMEM;
	}
	if (write && copy_from_user(buf, uptr, len)) {
		err = -EFAULT;
		goto out;
	}
	mheap_heap_lock(heap);
	err = payload_range(f, handle, off, len, &payload);
	if (!err && len && write)
		memcpy(payload, buf, len);
	else if (!err && len)
		memcpy(buf, payload, len);
	mheap_heap_unlock(heap);
	if (!err && !write && copy_to_user(uptr, buf, len))
		err = -EFAULT;
out:
	if (buf != stack)
		kvfree(buf);
	return err;
}

static long ioc_alloc(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_alloc *a = arg;
	struct mheap_op op = { .op = MHEAP_OP_ALLOC, .arg0 = a->size,
			       .arg1 = a->nrefs, .arg2 = a->cookie };

	if (a->flags || a->reserved)
		return -EINVAL;
	return do_op(ctx->file, &op, &a->handle);
}

static long ioc_dup(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_dup *d = arg;
	struct mheap_op op = { .op = MHEAP_OP_DUP, .flags = d->flags,
			       .handle = d->handle };

	if (d->reserved)
		return -EINVAL;
	return do_op(ctx->file, &op, &d->copy);
}

static long ioc_close(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_close *c = arg;

	if (c->flags)
		return -EINVAL;
	return do_close(ctx->file, c->handle);
}

static long ioc_set_slot(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_slot *s = arg;
	struct mheap_op op = { .op = MHEAP_OP_SET_SLOT, .handle = s->handle,
			       .arg0 = s->index, .arg1 = s->target };

	if (s->flags || s->reserved)
		return -EINVAL;
	return do_op(ctx->file, &op, NULL);
}

static long ioc_get_slot(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_slot *s = arg;
	struct mheap_op op = { .op = MHEAP_OP_GET_SLOT, .handle = s->handle,
			       .arg0 = s->index };

	if (s->flags || s->reserved || s->target)
		return -EINVAL;
	return do_op(ctx->file, &op, &s->target);
}

static long ioc_read(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_rw *rw = arg;

	if (rw->flags)
		return -EINVAL;
	return do_rw(ctx->file, rw->handle, rw->offset, rw->len, rw->buf, false);
}

static long ioc_write(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_rw *rw = arg;

	if (rw->flags)
		return -EINVAL;
	return do_rw(ctx->file, rw->handle, rw->offset, rw->len, rw->buf, true);
}

static long ioc_info(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap *heap = heap_of(ctx);
	struct mheap_object_info oi;
	struct mheap_info *i = arg;
	bool weak;
	int err;

	if (i->flags)
		return -EINVAL;
	mheap_heap_lock(heap);
	err = mheap_handle_info(ctx->file->client, i->handle, &oi);
	weak = mheap_handle_is_weak(ctx->file->client, i->handle);
	mheap_heap_unlock(heap);
	if (err)
		return err;
	i->size = oi.size;
	i->nrefs = oi.nrefs;
	i->refcnt = oi.refcnt;
	i->generation = oi.tracked ? oi.gen : 0;
	i->info_flags = (oi.tracked ? MHEAP_INFO_TRACKED : 0) |
			(weak ? MHEAP_INFO_WEAK : 0);
	i->cookie = oi.cookie;
	i->map_offset = oi.size ? mheap_payload_map_offset(heap, oi.payload) :
				  MHEAP_NO_MAP;
	return 0;
}

static long ioc_gc(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap *heap = heap_of(ctx);
	struct mheap_gc_ctl *g = arg;
	long ret = 0;

	if (g->flags)
		return -EINVAL;
	switch (g->op) {
	case MHEAP_GC_COLLECT:
		if (g->arg >= MHEAP_GC_GENS)
			return -EINVAL;
		break;
	case MHEAP_GC_SET_SAVE_ALL:
		if (g->arg > 1)
			return -EINVAL;
		break;
	case MHEAP_GC_ENABLE ... MHEAP_GC_UNFREEZE:
	case MHEAP_GC_RELEASE_GARBAGE:
		if (g->arg)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	g->result = 0;
	mheap_heap_lock(heap);
	switch (g->op) {
	case MHEAP_GC_COLLECT:
		ret = mheap_gc_collect(heap, g->arg);
		if (ret >= 0) {
			g->result = ret;
			ret = 0;
		}
		break;
	case MHEAP_GC_ENABLE:
	case MHEAP_GC_DISABLE:
		mheap_gc_enable(heap, g->op == MHEAP_GC_ENABLE);
		break;
	case MHEAP_GC_FREEZE:
		mheap_gc_freeze(heap);
		break;
	case MHEAP_GC_UNFREEZE:
		mheap_gc_unfreeze(heap);
		break;
	case MHEAP_GC_SET_SAVE_ALL:
		mheap_gc_set_save_all(heap, g->arg);
		break;
	case MHEAP_GC_RELEASE_GARBAGE:
		g->result = mheap_gc_release_garbage(heap);
		break;
	}
	mheap_heap_unlock(heap);
	return ret;
}

static long ioc_gc_stats(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_gen_stats gen[MHEAP_GC_GENS];
	struct mheap *heap = heap_of(ctx);
	struct mheap_gc_stats *s = arg;
	unsigned int i;

	if (s->flags)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	mheap_heap_lock(heap);
	s->state = (mheap_gc_is_enabled(heap) ? MHEAP_GC_STATE_ENABLED : 0) |
		   (heap->gc.save_all ? MHEAP_GC_STATE_SAVE_ALL : 0);
	mheap_gc_get_count(heap, s->count);
	mheap_gc_get_threshold(heap, s->threshold);
	s->freeze_count = mheap_gc_freeze_count(heap);
	s->garbage = mheap_gc_garbage(heap, NULL, 0);
	mheap_gc_get_stats(heap, gen);
	mheap_heap_unlock(heap);
	for (i = 0; i < MHEAP_GC_GENS; i++) {
		s->gen[i].collections = gen[i].collections;
		s->gen[i].collected = gen[i].collected;
		s->gen[i].uncollectable = gen[i].uncollectable;
		s->gen[i].examined = gen[i].examined;
		s->gen[i].pause_total_ns = gen[i].pause_total_ns;
		s->gen[i].pause_last_ns = gen[i].pause_last_ns;
	}
	return 0;
}

static long ioc_heap_stats(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_shared *shared = ctx->file->shared;
	struct mheap_heap_stats *s = arg;
	struct mheap_stats st;

	if (s->flags)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	mheap_heap_lock(shared->heap);
	mheap_heap_stats(shared->heap, &st);
	s->clients = shared->clients;
	s->handles = ctx->file->client->live;
	s->exported = shared->exports->live;
	s->map_size = mheap_payload_map_size(shared->heap);
	mheap_heap_unlock(shared->heap);
	s->capacity = st.capacity;
	s->arena_bytes = st.reserved;
	s->used_bytes = st.used;
	s->meta_bytes = st.meta_used;
	s->payload_bytes = st.payload_bytes;
	s->objects_live = st.objects_live;
	s->objects_allocated = st.objects_allocated;
	s->objects_freed = st.objects_freed;
	s->arenas = st.arenas;
	return 0;
}

static long ioc_module_stats(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_module_stats *s = arg;
	struct mheap_global_stats g;

	if (s->flags)
		return -EINVAL;
	mheap_global_stats(&g);
	memset(s, 0, sizeof(*s));
	s->heaps = g.heaps;
	s->arena_bytes = g.reserved;
	s->capacity = mheap_capacity;
	s->capacity_max = mheap_capacity_max;
	return 0;
}

/* Close the first @n handles of @handles; for undoing a partial result. */
static void close_handles(struct mheap_file *f, const u32 *handles, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		WARN_ON_ONCE(mheap_handle_close(f->client, handles[i]));
}

static long ioc_refs(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_file *f = ctx->file;
	struct mheap *heap = f->shared->heap;
	struct mheap_refs *r = arg;
	size_t total = 0, n = 0, i;
	u32 *ids = NULL, id = 0;
	int err;

	if (r->flags || r->written || r->total || r->count > MHEAP_REFS_MAX)
		return -EINVAL;
	if (r->which < MHEAP_REFS_REFERENTS || r->which > MHEAP_REFS_GARBAGE ||
	    (r->which == MHEAP_REFS_GARBAGE && r->handle))
		return -EINVAL;
	if (r->count) {
		ids = kvmalloc_array(r->count, sizeof(*ids), SYS_GFP);
		if (!ids)
			return -ENOMEM;
	}
	mheap_heap_lock(heap);
	err = r->which == MHEAP_REFS_GARBAGE ? 0 :
		mheap_handle_lookup(f->client, r->handle, &id);
	if (err)
		goto unlock;
	if (r->which == MHEAP_REFS_REFERENTS)
		total = mheap_gc_referents(heap, id, ids, r->count);
	else if (r->which == MHEAP_REFS_REFERRERS)
		total = mheap_gc_referrers(heap, id, ids, r->count);
	else
		total = mheap_gc_garbage(heap, ids, r->count);
	n = min_t(size_t, total, r->count);
	for (i = 0; i < n && !err; i++)
		err = mheap_handle_install_ref(f->client, ids[i], &ids[i]);
	if (err)
		close_handles(f, ids, i - 1);
unlock:
	mheap_heap_unlock(heap);
	if (!err && n && copy_to_user(u64_to_user_ptr(r->buf), ids,
				      n * sizeof(*ids))) {
		mheap_heap_lock(heap);
		close_handles(f, ids, n);
		mheap_heap_unlock(heap);
		err = -EFAULT;
	}
	kvfree(ids);
	if (err)
		return err;
	r->written = n;
	r->total = min_t(size_t, total, U32_MAX);
	return 0;
}

/* Operations read, run and written back at a time by a batch (on the stack) */
#define BATCH_CHUNK	16

/* Close the handles a batch's operations created; for undoing them. */
static void batch_undo(struct mheap_file *f, const struct mheap_op *ops, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (!ops[i].result && ops[i].out)
			do_close(f, ops[i].out);
}

/*
 * Run @n operations, holding the heap's lock across all but READ and
 * WRITE. Return how many ran: all, or up to the first failure when
 * @stop_on_error.
 */
static u32 batch_run_chunk(struct mheap_file *f, struct mheap_op *ops, u32 n,
			   bool stop_on_error)
{
	struct mheap *heap = f->shared->heap;
	bool locked = false;
	u32 i;

	for (i = 0; i < n; i++) {
		struct mheap_op *op = &ops[i];
		u32 out = 0;
		int err;

		if (op_is_rw(op)) {
			if (locked)
				mheap_heap_unlock(heap);
			locked = false;
			err = do_op(f, op, NULL);
		} else {
			if (!locked)
				mheap_heap_lock(heap);
			locked = true;
			err = op_locked(f, op, &out);
		}
		op->result = err;
		op->out = err ? 0 : out;
		if (err && stop_on_error) {
			i++;
			break;
		}
	}
	if (locked)
		mheap_heap_unlock(heap);
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
 * Write the results (@result and @out) of @n operations back to @uops.
 * Return how many whole ones could be written.
 */
static u32 put_results(struct mheap_op __user *uops,
		       const struct mheap_op *ops, u32 n)
{
	u32 i = 0;

	if (!user_write_access_begin(uops, n * sizeof(*uops)))
		return 0;
	for (; i < n; i++) {
		unsafe_put_user(ops[i].result, &uops[i].result, fault);
		unsafe_put_user(ops[i].out, &uops[i].out, fault);
	}
fault:
	user_write_access_end();
	return i;
}

static long ioc_batch(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_batch *b = arg;
	struct mheap_op __user *uops = u64_to_user_ptr(b->ops);
	bool stop_on_error = !(b->flags & MHEAP_BATCH_CONTINUE);
	struct mheap_file *f = ctx->file;
	/* each element used is written first, by get_ops() */
	struct mheap_op ops[BATCH_CHUNK] __uninitialized;
	u32 done = 0, n, ran;
	long ret = 0;

	if (b->flags & ~MHEAP_BATCH_CONTINUE || b->done || b->reserved ||
	    !b->count)
		return -EINVAL;
	if (b->count > MHEAP_BATCH_MAX)
		return -E2BIG;
	while (done < b->count) {
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		n = min_t(u32, b->count - done, BATCH_CHUNK);
		/*
		 * Read the operations, and make sure their results can be
		 * written: write them now, zeroed.
		 */
		n = get_ops(ops, &uops[done], n);
		n = put_results(&uops[done], ops, n);
		if (!n) {
			ret = -EFAULT;
			break;
		}
		ran = batch_run_chunk(f, ops, n, stop_on_error);
		if (put_results(&uops[done], ops, ran) < ran) {
			/* unmapped meanwhile: the caller cannot learn of them */
			batch_undo(f, ops, ran);
			ret = -EFAULT;
			break;
		}
		done += ran;
		if (ran < n && stop_on_error)
			break;
		cond_resched();
	}
	if (!done)
		return ret;
	b->done = done;
	return 0;
}

static const struct file_operations mheap_fops;

static struct mheap_file *file_create(struct mheap_shared *shared)
{
	struct mheap_file *f = kzalloc(sizeof(*f), SYS_GFP);

	if (!f)
		return NULL;
	f->client = mheap_client_create(shared->heap);
	if (!f->client) {
		kfree(f);
		return NULL;
	}
	f->shared = shared;
	mheap_events_file_init(f);
	mheap_heap_lock(shared->heap);
	shared->clients++;
	mheap_heap_unlock(shared->heap);
	return f;
}

static void file_destroy(struct mheap_file *f)
{
	struct mheap_shared *shared = f->shared;
	struct mheap *heap = shared->heap;
	bool last;

	mheap_events_release(f);
	mheap_heap_lock(heap);
	mheap_client_destroy(f->client);
	last = !--shared->clients;
	if (last)
		mheap_client_destroy(shared->exports);
	mheap_heap_unlock(heap);
	kfree(f);
	if (last) {
		mheap_debugfs_heap_remove(shared);
		mheap_heap_destroy(heap);
		mheap_map_fini(shared);
		mheap_user_uncharge(shared->user);
		kfree(shared);
	}
}

static long ioc_new_client(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_new_client *nc = arg;
	struct mheap_file *f;
	struct file *file;
	int fd, mode;

	if (nc->flags & ~(MHEAP_CLIENT_CLOEXEC | MHEAP_CLIENT_RDONLY) || nc->fd)
		return -EINVAL;
	mode = nc->flags & MHEAP_CLIENT_RDONLY ? O_RDONLY : O_RDWR;
	fd = get_unused_fd_flags(mode |
				 (nc->flags & MHEAP_CLIENT_CLOEXEC ? O_CLOEXEC : 0));
	if (fd < 0)
		return fd;
	f = file_create(ctx->file->shared);
	if (!f) {
		put_unused_fd(fd);
		return -ENOMEM;
	}
	file = anon_inode_getfile("[mheap]", &mheap_fops, f, mode);
	if (IS_ERR(file)) {
		file_destroy(f);
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	file->f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE);
	file->f_mapping = ctx->file->shared->mapping;
	/* installed by mheap_ioc_call() once the result is copied out */
	ctx->install = file;
	ctx->fd = fd;
	nc->fd = fd;
	return 0;
}

static long ioc_export(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_shared *shared = ctx->file->shared;
	struct mheap_token *t = arg;
	u32 id, token;
	int err;

	if (t->flags || t->token)
		return -EINVAL;
	mheap_heap_lock(shared->heap);
	err = mheap_handle_lookup(ctx->file->client, t->handle, &id);
	if (!err)
		err = mheap_handle_install_ref(shared->exports, id, &token);
	mheap_heap_unlock(shared->heap);
	if (!err)
		t->token = token;
	return err;
}

static long ioc_import(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_shared *shared = ctx->file->shared;
	struct mheap_token *t = arg;
	u32 id, handle;
	int err;

	if (t->flags || t->handle)
		return -EINVAL;
	if (t->token > U32_MAX)
		return -ENOENT;
	mheap_heap_lock(shared->heap);
	err = mheap_handle_lookup(shared->exports, t->token, &id);
	if (!err)
		err = mheap_handle_install_ref(ctx->file->client, id, &handle);
	if (!err)
		mheap_handle_close(shared->exports, t->token);
	mheap_heap_unlock(shared->heap);
	if (!err)
		t->handle = handle;
	return err;
}

/* Undo a call whose result could not be copied out: close new handles. */
static void undo_alloc(struct mheap_ioc_ctx *ctx, void *arg)
{
	do_close(ctx->file, ((struct mheap_alloc *)arg)->handle);
}

static void undo_dup(struct mheap_ioc_ctx *ctx, void *arg)
{
	do_close(ctx->file, ((struct mheap_dup *)arg)->copy);
}

static void undo_get_slot(struct mheap_ioc_ctx *ctx, void *arg)
{
	u32 target = ((struct mheap_slot *)arg)->target;

	if (target)
		do_close(ctx->file, target);
}

static long ioc_scope(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_client *client = ctx->file->client;
	struct mheap *heap = heap_of(ctx);
	struct mheap_scope *sc = arg;
	long err;

	if (sc->flags || sc->reserved || sc->closed ||
	    (sc->op != MHEAP_SCOPE_ESCAPE && sc->handle) ||
	    (sc->op != MHEAP_SCOPE_POP && sc->level))
		return -EINVAL;
	mheap_heap_lock(heap);
	switch (sc->op) {
	case MHEAP_SCOPE_PUSH:
		err = mheap_scope_push(client, &sc->level);
		break;
	case MHEAP_SCOPE_POP:
		err = mheap_scope_pop(client, sc->level, &sc->closed);
		break;
	case MHEAP_SCOPE_ESCAPE:
		err = mheap_scope_escape(client, sc->handle, &sc->level);
		break;
	default:
		err = -EINVAL;
	}
	mheap_heap_unlock(heap);
	return err;
}

/*
 * The result of a PUSH could not be copied out (the dispatcher probed it
 * first, so only a concurrent unmap gets here): close the scope again.
 */
static void undo_scope(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_scope *sc = arg;
	struct mheap *heap = heap_of(ctx);
	u32 closed;

	if (sc->op != MHEAP_SCOPE_PUSH)
		return;
	mheap_heap_lock(heap);
	mheap_scope_pop(ctx->file->client, sc->level, &closed);
	mheap_heap_unlock(heap);
}

static long ioc_name(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_client *client = ctx->file->client;
	struct mheap *heap = heap_of(ctx);
	struct mheap_name *n = arg;
	u32 id;
	long err;

	if (n->reserved || !mheap_name_valid(n->name, sizeof(n->name)) ||
	    (n->op != MHEAP_NAME_BIND && n->flags) ||
	    n->flags & ~MHEAP_NAME_REPLACE ||
	    (n->op != MHEAP_NAME_BIND && n->handle))
		return -EINVAL;
	mheap_heap_lock(heap);
	switch (n->op) {
	case MHEAP_NAME_BIND:
		err = mheap_handle_lookup(client, n->handle, &id);
		if (!err)
			err = mheap_name_bind(heap, n->name, id,
					      n->flags & MHEAP_NAME_REPLACE);
		break;
	case MHEAP_NAME_LOOKUP:
		err = mheap_name_lookup(heap, n->name, &id);
		if (!err)
			err = mheap_handle_install_ref(client, id, &n->handle);
		break;
	case MHEAP_NAME_UNBIND:
		err = mheap_name_unbind(heap, n->name);
		break;
	default:
		err = -EINVAL;
	}
	mheap_heap_unlock(heap);
	return err;
}

/* The result of a LOOKUP could not be copied out: close its handle. */
static void undo_name(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_name *n = arg;

	if (n->op == MHEAP_NAME_LOOKUP)
		do_close(ctx->file, n->handle);
}

static long ioc_names(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap *heap = heap_of(ctx);
	struct mheap_names *n = arg;
	struct mheap_name_rec *names = NULL;
	u32 total, written;

	if (n->flags || n->total || n->count > MHEAP_NAMES_MAX)
		return -EINVAL;
	if (n->count) {
		names = kvcalloc(n->count, sizeof(*names), SYS_GFP);
		if (!names)
			return -ENOMEM;
	}
	mheap_heap_lock(heap);
	total = mheap_name_list(heap, n->start, names, n->count);
	mheap_heap_unlock(heap);
	written = n->start < total ? min(n->count, total - n->start) : 0;
	if (written && copy_to_user(u64_to_user_ptr(n->buf), names,
				    written * MHEAP_NAME_LEN)) {
		kvfree(names);
		return -EFAULT;
	}
	kvfree(names);
	n->total = total;
	return 0;
}

static long ioc_events(struct mheap_ioc_ctx *ctx, void *arg)
{
	return mheap_events_ioctl(ctx->file, arg);
}

/* The result of a SUBSCRIBE could not be copied out: unsubscribe. */
static void undo_events(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_events ev = { .op = MHEAP_EVENTS_UNSUBSCRIBE };

	if (((struct mheap_events *)arg)->op == MHEAP_EVENTS_SUBSCRIBE)
		mheap_events_ioctl(ctx->file, &ev);
}

#define IOC(name, sname, handler, ...)					\
	[_IOC_NR(MHEAP_IOC_##name)] = {					\
		.cmd = MHEAP_IOC_##name,				\
		.min_size = MHEAP_##sname##_SIZE_VER0,			\
		.fn = handler,						\
		__VA_ARGS__						\
	}

static const struct mheap_ioc_desc mheap_ioctls[] = {
	IOC(VERSION, VERSION, mheap_ioc_version),
	IOC(CONFIG, CONFIG, ioc_config),
	IOC(ALLOC, ALLOC, ioc_alloc, .undo = undo_alloc),
	IOC(DUP, DUP, ioc_dup, .undo = undo_dup),
	IOC(CLOSE, CLOSE, ioc_close),
	IOC(SET_SLOT, SLOT, ioc_set_slot),
	IOC(GET_SLOT, SLOT, ioc_get_slot, .undo = undo_get_slot),
	IOC(READ, RW, ioc_read),
	IOC(WRITE, RW, ioc_write),
	IOC(INFO, INFO, ioc_info),
	IOC(GC, GC_CTL, ioc_gc),
	IOC(GC_STATS, GC_STATS, ioc_gc_stats),
	IOC(HEAP_STATS, HEAP_STATS, ioc_heap_stats),
	IOC(MODULE_STATS, MODULE_STATS, ioc_module_stats),
	IOC(REFS, REFS, ioc_refs),
	IOC(BATCH, BATCH, ioc_batch),
	IOC(NEW_CLIENT, NEW_CLIENT, ioc_new_client),
	IOC(EXPORT, TOKEN, ioc_export),
	IOC(IMPORT, TOKEN, ioc_import),
	IOC(SCOPE, SCOPE, ioc_scope, .undo = undo_scope),
	IOC(NAME, NAME, ioc_name, .undo = undo_name),
	IOC(NAMES, NAMES, ioc_names),
	IOC(EVENTS, EVENTS, ioc_events, .undo = undo_events),
};

static const struct mheap_ioc_desc *mheap_ioc_lookup(unsigned int cmd)
{
	unsigned int nr = _IOC_NR(cmd);
	const struct mheap_ioc_desc *desc;

	if (_IOC_TYPE(cmd) != MHEAP_IOC_MAGIC || nr >= ARRAY_SIZE(mheap_ioctls))
		return NULL;
	desc = &mheap_ioctls[array_index_nospec(nr, ARRAY_SIZE(mheap_ioctls))];
	if (!desc->fn || _IOC_DIR(cmd) != _IOC_DIR(desc->cmd))
		return NULL;
	return desc;
}

/**
 * mheap_ioc_call() - run one ioctl of the table on a user argument
 * @desc: the ioctl, from the table.
 * @ctx: the call; its @install is handled here.
 * @cmd: the command as the caller encoded it: its size is the caller's.
 * @uarg: the caller's argument.
 *
 * Copies the argument in as copy_struct_from_user() does (an older
 * caller's missing fields read as zero, a newer caller's unknown fields must
 * be zero), makes sure the result can be written back, runs the handler
 * and copies back min(caller's size, kernel's size) bytes, only on
 * success.
 *
 * Context: process context.
 * Return: the handler's result; -EINVAL for a size below @desc's first
 * published one; -E2BIG for unknown nonzero fields; -EFAULT.
 */
VISIBLE_IF_KUNIT
long mheap_ioc_call(const struct mheap_ioc_desc *desc,
		    struct mheap_ioc_ctx *ctx, unsigned int cmd,
		    void __user *uarg)
{
	size_t usize = _IOC_SIZE(cmd), ksize = _IOC_SIZE(desc->cmd);
	union mheap_ioc_arg karg;
	long ret;

	if (WARN_ON_ONCE(ksize > sizeof(karg)))
		return -EINVAL;
	if (usize < desc->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(&karg, ksize, uarg, usize);
	if (ret)
		return ret;
	/*
	 * Make sure the result can be written before anything changes: write
	 * the argument back as it is. Only a concurrent munmap() can make the
	 * copy below fail after this; that is undone where it can be.
	 */
	if ((_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, &karg, min(usize, ksize)))
		return -EFAULT;
	ret = desc->fn(ctx, &karg);
	if (ret)
		return ret;
	if ((_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, &karg, min(usize, ksize))) {
		if (ctx->install) {
			fput(ctx->install);
			put_unused_fd(ctx->fd);
		}
		if (desc->undo)
			desc->undo(ctx, &karg);
		return -EFAULT;
	}
	if (ctx->install)
		fd_install(ctx->fd, ctx->install);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_ioc_call);

static long mheap_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	const struct mheap_ioc_desc *desc = mheap_ioc_lookup(cmd);
	struct mheap_ioc_ctx ctx = { .file = file->private_data };

	if (!desc)
		return -ENOTTY;
	return mheap_ioc_call(desc, &ctx, cmd, (void __user *)arg);
}

static int mheap_open(struct inode *inode, struct file *file)
{
	struct mheap_shared *shared;
	struct mheap_user *user;
	struct mheap_file *f;

	user = mheap_user_charge(current_euid());
	if (IS_ERR(user))
		return PTR_ERR(user);
	shared = kzalloc(sizeof(*shared), SYS_GFP);
	if (!shared)
		goto err_user;
	shared->user = user;
	shared->heap = mheap_heap_create(mheap_capacity, mheap_capacity_max);
	if (!shared->heap)
		goto nomem;
	mheap_events_init(shared);
	if (mheap_map_init(shared))
		goto nomem;
	shared->exports = mheap_client_create(shared->heap);
	if (!shared->exports)
		goto nomem;
	f = file_create(shared);
	if (!f)
		goto nomem;
	mheap_debugfs_heap_add(shared);
	file->private_data = f;
	file->f_mapping = shared->mapping;
	return nonseekable_open(inode, file);
nomem:
	if (shared->heap) {
		mheap_heap_lock(shared->heap);
		mheap_client_destroy(shared->exports);
		mheap_heap_unlock(shared->heap);
	}
	mheap_heap_destroy(shared->heap);
	mheap_map_fini(shared);
	kfree(shared);
err_user:
	mheap_user_uncharge(user);
	return -ENOMEM;
}

static ssize_t mheap_read(struct file *file, char __user *buf, size_t len,
			  loff_t *ppos)
{
	return mheap_events_read(file->private_data, buf, len,
				 file->f_flags & O_NONBLOCK);
}

static __poll_t mheap_poll(struct file *file, poll_table *wait)
{
	return mheap_events_poll(file->private_data, file, wait);
}

static int mheap_mmap(struct file *file, struct vm_area_struct *vma)
{
	return mheap_map_mmap(file->private_data, vma);
}

static int mheap_release(struct inode *inode, struct file *file)
{
	file_destroy(file->private_data);
	return 0;
}

static const struct file_operations mheap_fops = {
	.owner		= THIS_MODULE,
	.open		= mheap_open,
	.release	= mheap_release,
	.read		= mheap_read,
	.poll		= mheap_poll,
	.mmap		= mheap_mmap,
	.unlocked_ioctl	= mheap_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice mheap_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= MHEAP_DEVICE_NAME,
	.fops	= &mheap_fops,
	.groups	= mheap_dev_groups,
};

/**
 * mheap_dev_register() - create /dev/mheap
 * @heap_capacity: capacity in bytes of every heap opened from now on.
 * @heap_capacity_max: the most a heap's capacity may be raised to.
 *
 * The device node's owner and mode are left to udev (the shipped rule
 * gives group mheap, mode 0660); the kernel default is root, 0600.
 *
 * Context: module init; the capacities are valid (mheap_capacity_valid()).
 * Return: 0, or the negative errno of misc_register().
 */
int mheap_dev_register(size_t heap_capacity, size_t heap_capacity_max)
{
	mheap_capacity = heap_capacity;
	mheap_capacity_max = heap_capacity_max;
	return misc_register(&mheap_misc);
}

/**
 * mheap_dev_unregister() - remove /dev/mheap
 *
 * Open files keep the module (fops.owner) and so their heaps alive; this is
 * called only once the last of them is closed.
 *
 * Context: module exit.
 */
void mheap_dev_unregister(void)
{
	misc_deregister(&mheap_misc);
}

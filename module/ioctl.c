// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls of a client: the table, the dispatcher and one handler each.
 *
 * Every ioctl goes through mheap_ioc_call(), which checks the encoding
 * against the table, copies the argument in with copy_struct_from_user()
 * (older and newer callers alike), checks write access (uapi: "Read-only
 * clients"), runs the handler on a kernel copy and copies the result out.
 * Handlers validate every field before changing anything. A handler
 * marked MHEAP_IOC_LOCKED runs under the heap lock, and its result is
 * written under the same hold with page faults disabled; when that fails,
 * the handler's work is undone under the lock and the call runs again
 * once the result is faulted in: nothing a call creates is seen before its
 * result (uapi). The operations that a batch shares with the
 * single-operation ioctls are in batch.c.
 */
#include <kunit/visibility.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/nospec.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mheap.h>

#include "batch.h"
#include "device.h"
#include "events.h"
#include "core/object.h"
#include "core/gc.h"
#include "core/handle.h"
#include "ioctl.h"
#include "core/names.h"
#include "core/scope.h"

/* Optional features this build supports; see struct mheap_version. */
#define MHEAP_FEATURES	(MHEAP_FEATURE_BATCH | MHEAP_FEATURE_CLIENTS | \
			 MHEAP_FEATURE_WEAK | MHEAP_FEATURE_SCOPES | \
			 MHEAP_FEATURE_NAMES | MHEAP_FEATURE_EVENTS | \
			 MHEAP_FEATURE_MMAP | MHEAP_FEATURE_BATCH_REFS)

static_assert(sizeof(struct mheap_name_rec) == MHEAP_NAME_LEN);
static_assert(BIT_ULL(MHEAP_MAP_SHIFT) == MHEAP_MAP_STRIDE);
/* a jumbo arena of the largest payload fits in its stride */
static_assert(MHEAP_MAX_SIZE <=
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
	return ctx->file->inst->heap;
}

/* @undo of the calls that change nothing: a failed copy is just retried */
static bool undo_nothing(struct mheap_ioc_ctx *ctx, void *arg)
{
	return true;
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

static bool config_writes(const void *arg)
{
	return ((const struct mheap_config *)arg)->flags;
}

/* Under the heap lock (MHEAP_IOC_LOCKED), as every handler marked so. */
static long ioc_config(struct mheap_ioc_ctx *ctx, void *arg)
{
	const u32 known = MHEAP_CONFIG_SET_CAPACITY | MHEAP_CONFIG_SET_THRESHOLD;
	struct mheap *heap = heap_of(ctx);
	struct mheap_config *c = arg;

	if (c->flags & ~known || c->reserved || c->reserved2)
		return -EINVAL;
	if (c->flags & MHEAP_CONFIG_SET_CAPACITY &&
	    (c->capacity > SIZE_MAX ||
	     !mheap_capacity_valid(c->capacity, heap->capacity_max)))
		return -EINVAL;
	ctx->saved.capacity = heap->capacity;
	mheap_gc_get_threshold(heap, ctx->saved.threshold);
	if (c->flags & MHEAP_CONFIG_SET_CAPACITY)
		mheap_set_capacity(heap, c->capacity);
	if (c->flags & MHEAP_CONFIG_SET_THRESHOLD)
		mheap_gc_set_threshold(heap, c->threshold);
	c->capacity = heap->capacity;
	c->capacity_max = heap->capacity_max;
	mheap_gc_get_threshold(heap, c->threshold);
	return 0;
}

static bool undo_config(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap *heap = heap_of(ctx);

	mheap_set_capacity(heap, ctx->saved.capacity);
	mheap_gc_set_threshold(heap, ctx->saved.threshold);
	return true;
}

static long ioc_alloc(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_alloc *a = arg;

	if (a->flags || a->reserved)
		return -EINVAL;
	ctx->spares = mheap_spares(heap_of(ctx));
	return mheap_op_alloc(ctx->file, a->size, a->nrefs, a->cookie,
			      &a->handle);
}

static bool undo_alloc(struct mheap_ioc_ctx *ctx, void *arg)
{
	mheap_op_undo_alloc(ctx->file, ((struct mheap_alloc *)arg)->handle,
			    ctx->spares);
	return true;
}

static long ioc_dup(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_dup *d = arg;

	if (d->reserved)
		return -EINVAL;
	return mheap_op_dup(ctx->file, d->handle, d->flags, &d->copy);
}

static bool undo_dup(struct mheap_ioc_ctx *ctx, void *arg)
{
	mheap_op_undo_handle(ctx->file, ((struct mheap_dup *)arg)->copy);
	return true;
}

static long ioc_close(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_close *c = arg;

	if (c->flags)
		return -EINVAL;
	return mheap_op_close(ctx->file, c->handle);
}

static long ioc_set_slot(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_slot *s = arg;

	if (s->flags || s->reserved)
		return -EINVAL;
	return mheap_op_set_slot(ctx->file, s->handle, s->index, s->target);
}

static long ioc_get_slot(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_slot *s = arg;

	if (s->flags || s->reserved)
		return -EINVAL;
	return mheap_op_get_slot(ctx->file, s->handle, s->index, &s->target);
}

static bool undo_get_slot(struct mheap_ioc_ctx *ctx, void *arg)
{
	mheap_op_undo_handle(ctx->file, ((struct mheap_slot *)arg)->target);
	return true;
}

static long ioc_read(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_rw *rw = arg;

	if (rw->flags)
		return -EINVAL;
	return mheap_op_rw(ctx->file, rw->handle, rw->offset, rw->len, rw->buf, false);
}

static long ioc_write(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_rw *rw = arg;

	if (rw->flags)
		return -EINVAL;
	return mheap_op_rw(ctx->file, rw->handle, rw->offset, rw->len, rw->buf, true);
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
	err = mheap_handle_info(ctx->file->client, i->handle, &oi);
	if (err)
		return err;
	weak = mheap_handle_is_weak(ctx->file->client, i->handle);
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
		if (g->arg >= MHEAP_GENERATIONS)
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
	return ret;
}

static long ioc_gc_stats(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_gen_stats gen[MHEAP_GENERATIONS];
	struct mheap *heap = heap_of(ctx);
	struct mheap_gc_stats *s = arg;
	unsigned int i;

	if (s->flags)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->state = (mheap_gc_is_enabled(heap) ? MHEAP_GC_STATE_ENABLED : 0) |
		   (heap->gc.save_all ? MHEAP_GC_STATE_SAVE_ALL : 0);
	mheap_gc_get_count(heap, s->count);
	mheap_gc_get_threshold(heap, s->threshold);
	s->freeze_count = mheap_gc_freeze_count(heap);
	s->garbage = mheap_gc_garbage(heap, NULL, 0);
	mheap_gc_get_stats(heap, gen);
	for (i = 0; i < MHEAP_GENERATIONS; i++) {
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
	struct mheap_instance *inst = ctx->file->inst;
	struct mheap_heap_stats *s = arg;
	struct mheap_stats st;

	if (s->flags)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	mheap_heap_stats(inst->heap, &st);
	s->clients = inst->clients;
	s->handles = ctx->file->client->live;
	s->exported = inst->exports->live;
	s->map_size = mheap_payload_map_size(inst->heap);
	s->capacity = st.capacity;
	s->arena_bytes = st.arena_bytes;
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
	size_t capacity, capacity_max;

	if (s->flags)
		return -EINVAL;
	mheap_global_stats(&g);
	memset(s, 0, sizeof(*s));
	s->heaps = g.heaps;
	s->arena_bytes = g.arena_bytes;
	mheap_device_capacity(&capacity, &capacity_max);
	s->capacity = capacity;
	s->capacity_max = capacity_max;
	return 0;
}

/* Close handles a call created under this hold of the heap lock. */
static void close_new_handles(struct mheap_file *f, const u32 *handles,
			      size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		WARN_ON_ONCE(mheap_handle_close(f->client, handles[i]));
}

/*
 * REFS writes the new handles to @buf with the heap lock held, page faults
 * disabled: a handle is seen only once it is written. If @buf cannot be
 * written so, the handles are closed again and the dispatcher faults @buf
 * in and calls again.
 */
static long ioc_refs(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_file *f = ctx->file;
	struct mheap *heap = f->inst->heap;
	void __user *ubuf;
	struct mheap_refs *r = arg;
	size_t total, n, i;
	u32 id = 0;
	int err = 0;

	if (r->flags || r->count > MHEAP_REFS_MAX)
		return -EINVAL;
	if (r->which < MHEAP_REFS_REFERENTS || r->which > MHEAP_REFS_GARBAGE ||
	    (r->which == MHEAP_REFS_GARBAGE && r->handle))
		return -EINVAL;
	if (r->count && !ctx->ids) {
		ctx->ids = kvmalloc_array(r->count, sizeof(*ctx->ids), MHEAP_PRIM_GFP);
		if (!ctx->ids)
			return -ENOMEM;
	}
	if (r->which != MHEAP_REFS_GARBAGE) {
		err = mheap_handle_lookup(f->client, r->handle, &id);
		if (err)
			return err;
	}
	/*
	 * REFERRERS needs the generations whole: the collection in progress
	 * ends first, and a weak handle whose object it frees names nothing
	 * (-ESTALE), as its next lookup would say, rather than an object
	 * with no referrers.
	 */
	if (r->which == MHEAP_REFS_REFERRERS &&
	    heap->gc.progress.phase != MHEAP_GC_IDLE) {
		mheap_gc_finish(heap);
		err = mheap_handle_lookup(f->client, r->handle, &id);
		if (err)
			return err;
	}
	if (r->which == MHEAP_REFS_REFERENTS)
		total = mheap_gc_referents(heap, id, ctx->ids, r->count);
	else if (r->which == MHEAP_REFS_REFERRERS)
		total = mheap_gc_referrers(heap, id, ctx->ids, r->count);
	else
		total = mheap_gc_garbage(heap, ctx->ids, r->count);
	n = min_t(size_t, total, r->count);
	for (i = 0; i < n && !err; i++)
		err = mheap_handle_install_ref(f->client, ctx->ids[i],
					       &ctx->ids[i]);
	if (err) {
		close_new_handles(f, ctx->ids, i - 1);
		return err;
	}
	ubuf = u64_to_user_ptr(r->buf);
	if (n && copy_to_user_nofault(ubuf, ctx->ids, n * sizeof(u32))) {
		close_new_handles(f, ctx->ids, n);
		ctx->fault_addr = ubuf;
		ctx->fault_len = n * sizeof(u32);
		return -EFAULT;
	}
	ctx->nids = n;
	r->written = n;
	r->total = min_t(size_t, total, U32_MAX);
	return 0;
}

/*
 * REFERRERS and GARBAGE end the collection in progress before they write
 * @buf, which no undo takes back: @buf is faulted in first, so that an
 * unwritable one fails the call before that (the rest of the argument is
 * left to ioc_refs(), whose errors come first when it is wrong). A
 * concurrent munmap() or mprotect() can still make it fail after.
 */
static int refs_prefault(const void *arg)
{
	const struct mheap_refs *r = arg;

	if (r->flags || !r->count || r->count > MHEAP_REFS_MAX ||
	    (r->which != MHEAP_REFS_REFERRERS &&
	     r->which != MHEAP_REFS_GARBAGE) ||
	    (r->which == MHEAP_REFS_GARBAGE && r->handle))
		return 0;
	if (fault_in_safe_writeable(u64_to_user_ptr(r->buf),
				    r->count * sizeof(u32)))
		return -EFAULT;
	return 0;
}

static bool undo_refs(struct mheap_ioc_ctx *ctx, void *arg)
{
	close_new_handles(ctx->file, ctx->ids, ctx->nids);
	ctx->nids = 0;
	return true;
}

/* A read-write client from any client; a read-only one, from any client. */
static bool new_client_writes(const void *arg)
{
	return !(((const struct mheap_new_client *)arg)->flags &
		 MHEAP_CLIENT_RDONLY);
}

/*
 * The new file is installed at its descriptor only once the result was
 * written (mheap_ioc_call()): until then nobody can reach it.
 */
static long ioc_new_client(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_new_client *nc = arg;
	struct file *file;
	int fd, err;

	if (nc->flags & ~(MHEAP_CLIENT_CLOEXEC | MHEAP_CLIENT_RDONLY))
		return -EINVAL;
	fd = get_unused_fd_flags(nc->flags & MHEAP_CLIENT_CLOEXEC ? O_CLOEXEC : 0);
	if (fd < 0)
		return fd;
	/* rights never grow: no read (mapping, events) from an O_WRONLY file */
	err = mheap_device_new_file(ctx->file->inst,
				    !(nc->flags & MHEAP_CLIENT_RDONLY),
				    ctx->file->readable, &file);
	if (err) {
		put_unused_fd(fd);
		return err;
	}
	ctx->install = file;
	ctx->fd = fd;
	nc->fd = fd;
	return 0;
}

/* The new file was never installed: nobody saw it. */
static bool undo_new_client(struct mheap_ioc_ctx *ctx, void *arg)
{
	fput(ctx->install);
	put_unused_fd(ctx->fd);
	ctx->install = NULL;
	return true;
}

static long ioc_export(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_instance *inst = ctx->file->inst;
	struct mheap_token *t = arg;
	u32 id, token;
	int err;

	if (t->flags)
		return -EINVAL;
	err = mheap_handle_lookup(ctx->file->client, t->handle, &id);
	if (!err)
		err = mheap_handle_install_ref(inst->exports, id, &token);
	if (!err)
		t->token = token;
	return err;
}

static bool undo_export(struct mheap_ioc_ctx *ctx, void *arg)
{
	u32 token = ((struct mheap_token *)arg)->token;

	WARN_ON_ONCE(mheap_handle_close(ctx->file->inst->exports, token));
	return true;
}

/* The token is used up only once the new handle was written (commit). */
static long ioc_import(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_instance *inst = ctx->file->inst;
	struct mheap_token *t = arg;
	u32 id;
	int err;

	if (t->flags)
		return -EINVAL;
	if (t->token > U32_MAX)
		return -ENOENT;
	err = mheap_handle_lookup(inst->exports, t->token, &id);
	if (!err)
		err = mheap_handle_install_ref(ctx->file->client, id, &t->handle);
	return err;
}

static bool undo_import(struct mheap_ioc_ctx *ctx, void *arg)
{
	u32 handle = ((struct mheap_token *)arg)->handle;

	WARN_ON_ONCE(mheap_handle_close(ctx->file->client, handle));
	return true;
}

static void commit_import(struct mheap_ioc_ctx *ctx, void *arg)
{
	u32 token = ((struct mheap_token *)arg)->token;

	WARN_ON_ONCE(mheap_handle_close(ctx->file->inst->exports, token));
}

static long ioc_scope(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_client *client = ctx->file->client;
	struct mheap_scope *sc = arg;

	if (sc->flags || sc->reserved ||
	    (sc->op != MHEAP_SCOPE_POP && sc->closed) ||
	    (sc->op != MHEAP_SCOPE_ESCAPE && sc->handle))
		return -EINVAL;
	switch (sc->op) {
	case MHEAP_SCOPE_PUSH:
		return mheap_scope_push(client, &sc->level);
	case MHEAP_SCOPE_POP:
		return mheap_scope_pop(client, sc->level, &sc->closed);
	case MHEAP_SCOPE_ESCAPE:
		return mheap_scope_escape(client, sc->handle, &sc->level);
	}
	return -EINVAL;
}

/* POP closes handles: its result is made writable before it runs. */
static bool scope_undoable(const void *arg)
{
	return ((const struct mheap_scope *)arg)->op != MHEAP_SCOPE_POP;
}

static bool undo_scope(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap_client *client = ctx->file->client;
	struct mheap_scope *sc = arg;
	u32 closed;

	if (sc->op == MHEAP_SCOPE_PUSH)
		WARN_ON_ONCE(mheap_scope_pop(client, sc->level, &closed));
	else
		mheap_scope_unescape(client, sc->handle);
	return true;
}

static bool name_writes(const void *arg)
{
	return ((const struct mheap_name *)arg)->op != MHEAP_NAME_LOOKUP;
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
	    (n->op == MHEAP_NAME_UNBIND && n->handle))
		return -EINVAL;
	switch (n->op) {
	case MHEAP_NAME_BIND:
		err = mheap_handle_lookup(client, n->handle, &id);
		if (!err)
			err = mheap_name_bind(heap, n->name, id,
					      n->flags & MHEAP_NAME_REPLACE);
		return err;
	case MHEAP_NAME_LOOKUP:
		err = mheap_name_lookup(heap, n->name, &id);
		if (!err)
			err = mheap_handle_install_ref(client, id, &n->handle);
		return err;
	case MHEAP_NAME_UNBIND:
		return mheap_name_unbind(heap, n->name);
	}
	return -EINVAL;
}

/* BIND and UNBIND may drop a reference: made writable before they run. */
static bool name_undoable(const void *arg)
{
	return ((const struct mheap_name *)arg)->op == MHEAP_NAME_LOOKUP;
}

static bool undo_name(struct mheap_ioc_ctx *ctx, void *arg)
{
	u32 handle = ((struct mheap_name *)arg)->handle;

	WARN_ON_ONCE(mheap_handle_close(ctx->file->client, handle));
	return true;
}

/* Copies a snapshot taken under the lock; changes nothing. */
static long ioc_names(struct mheap_ioc_ctx *ctx, void *arg)
{
	struct mheap *heap = heap_of(ctx);
	struct mheap_names *n = arg;
	struct mheap_name_rec *names = NULL;
	u32 total, written;

	if (n->flags || n->count > MHEAP_NAMES_MAX)
		return -EINVAL;
	if (n->count) {
		names = kvcalloc(n->count, sizeof(*names), MHEAP_PRIM_GFP);
		if (!names)
			return -ENOMEM;
	}
	if (mheap_lock_killable(heap)) {
		kvfree(names);
		return -EINTR;
	}
	total = mheap_name_list(heap, n->start, names, n->count);
	mheap_unlock(heap);
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

/* UNSUBSCRIBE drops the queue: made writable before it runs. */
static bool events_undoable(const void *arg)
{
	return ((const struct mheap_events *)arg)->op == MHEAP_EVENTS_SUBSCRIBE;
}

static bool undo_events(struct mheap_ioc_ctx *ctx, void *arg)
{
	mheap_events_undo_subscribe(ctx->file);
	return true;
}

static long ioc_batch(struct mheap_ioc_ctx *ctx, void *arg)
{
	return mheap_batch(ctx->file, arg);
}

#define IOC(name, sname, handler, ...)					\
	[_IOC_NR(MHEAP_IOC_##name)] = {					\
		.cmd = MHEAP_IOC_##name,				\
		.min_size = MHEAP_##sname##_SIZE_VER0,			\
		.fn = handler,						\
		__VA_ARGS__						\
	}

#define LOCKED	.flags = MHEAP_IOC_LOCKED
#define LOCKED_WRITES	.flags = MHEAP_IOC_LOCKED | MHEAP_IOC_WRITES

/*
 * Every ioctl: which need write access (uapi: "What a read-only client may
 * do"), which run under the heap lock, and how each undoes itself when its
 * result cannot be written.
 */
static const struct mheap_ioc_desc mheap_ioctls[] = {
	IOC(VERSION, VERSION, mheap_ioc_version, .undo = undo_nothing),
	IOC(CONFIG, CONFIG, ioc_config, LOCKED, .writes = config_writes,
	    .undo = undo_config),
	IOC(ALLOC, ALLOC, ioc_alloc, LOCKED_WRITES, .undo = undo_alloc),
	IOC(DUP, DUP, ioc_dup, LOCKED, .undo = undo_dup),
	IOC(CLOSE, CLOSE, ioc_close, LOCKED),
	IOC(SET_SLOT, SLOT, ioc_set_slot, LOCKED_WRITES),
	IOC(GET_SLOT, SLOT, ioc_get_slot, LOCKED, .undo = undo_get_slot),
	IOC(READ, RW, ioc_read),
	IOC(WRITE, RW, ioc_write, .flags = MHEAP_IOC_WRITES),
	IOC(INFO, INFO, ioc_info, LOCKED, .undo = undo_nothing),
	IOC(GC, GC_CTL, ioc_gc, LOCKED_WRITES),
	IOC(GC_STATS, GC_STATS, ioc_gc_stats, LOCKED, .undo = undo_nothing),
	IOC(HEAP_STATS, HEAP_STATS, ioc_heap_stats, LOCKED,
	    .undo = undo_nothing),
	IOC(MODULE_STATS, MODULE_STATS, ioc_module_stats, .undo = undo_nothing),
	IOC(REFS, REFS, ioc_refs, LOCKED, .undo = undo_refs,
	    .prefault = refs_prefault),
	IOC(BATCH, BATCH, ioc_batch),
	IOC(NEW_CLIENT, NEW_CLIENT, ioc_new_client,
	    .writes = new_client_writes, .undo = undo_new_client),
	IOC(EXPORT, TOKEN, ioc_export, LOCKED, .undo = undo_export),
	IOC(IMPORT, TOKEN, ioc_import, LOCKED, .undo = undo_import,
	    .commit = commit_import),
	IOC(SCOPE, SCOPE, ioc_scope, LOCKED, .undo = undo_scope,
	    .undoable = scope_undoable),
	IOC(NAME, NAME, ioc_name, LOCKED, .writes = name_writes,
	    .undo = undo_name, .undoable = name_undoable),
	IOC(NAMES, NAMES, ioc_names, .undo = undo_nothing),
	IOC(EVENTS, EVENTS, ioc_events, LOCKED, .undo = undo_events,
	    .undoable = events_undoable),
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

static bool ioc_undoable(const struct mheap_ioc_desc *desc, const void *arg)
{
	return desc->undo && (!desc->undoable || desc->undoable(arg));
}

/*
 * Run @desc once on @karg and write the result to @uarg (@osize bytes; 0
 * for none). Returns the call's result; -EFAULT with ctx->fault_len set
 * when nothing changed and the call should run again once
 * ctx->fault_addr is faulted in.
 */
static long ioc_run(const struct mheap_ioc_desc *desc,
		    struct mheap_ioc_ctx *ctx, void *karg, void __user *uarg,
		    size_t osize)
{
	struct mheap *heap = NULL;
	struct mheap_gc_mark mark = {};
	bool undone;
	long ret;

	ctx->fault_len = 0;
	if (desc->flags & MHEAP_IOC_LOCKED) {
		heap = heap_of(ctx);
		if (mheap_lock_killable(heap))
			return -EINTR;
		mark = mheap_gc_barrier_mark(heap);
	}
	ret = desc->fn(ctx, karg);
	/* a handler that fails has dropped what it took: so goes the barrier's */
	if (heap && ret < 0)
		mheap_gc_barrier_undo(heap, mark);
	if (ret || !osize || (heap && !copy_to_user_nofault(uarg, karg, osize))) {
		if (!ret && desc->commit)
			desc->commit(ctx, karg);
		if (heap)
			mheap_unlock(heap);
		return ret;
	}
	/* a locked call whose result could not be written without a fault */
	if (heap && ioc_undoable(desc, karg)) {
		undone = desc->undo(ctx, karg);
		/* and what its references made the collection in progress do */
		if (undone)
			mheap_gc_barrier_undo(heap, mark);
		mheap_unlock(heap);
		if (undone) {
			ctx->fault_addr = uarg;
			ctx->fault_len = osize;
			return -EFAULT;
		}
	} else if (heap) {
		mheap_unlock(heap);
	}
	if (!copy_to_user(uarg, karg, osize))
		return 0;
	/* not locked: undo (@fn left nothing anyone can see) or give up */
	if (!heap && desc->undo)
		desc->undo(ctx, karg);
	return -EFAULT;
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
 * be zero), checks write access, runs the handler and copies back
 * min(caller's size, kernel's size) bytes, only on success.
 *
 * Nothing a call changes is seen before its result is written: a handler
 * marked MHEAP_IOC_LOCKED runs under the heap lock, and the result is
 * written under the same hold with page faults disabled. If that write
 * fails, the handler's work is undone (@desc->undo), still under the lock,
 * the result's pages are faulted in with the lock dropped, and the call
 * starts over, argument included. A call that cannot be undone (POP,
 * BIND, COLLECT...) writes the argument back first instead, so that only a
 * concurrent munmap() or mprotect() can make its result unwritable; a call
 * with a @desc->prefault has its buffer faulted in first, likewise.
 *
 * Context: process context; heap lock not held.
 * Return: the handler's result; -EINVAL for a size below @desc's first
 * published one; -E2BIG for unknown nonzero fields; -EBADF when the call
 * needs write access and the client is read-only; -EFAULT (also when the
 * result still cannot be written after MHEAP_FAULT_RETRIES tries);
 * -ERESTARTSYS when a signal arrived while the result was faulted in
 * (nothing changed).
 */
VISIBLE_IF_KUNIT
long mheap_ioc_call(const struct mheap_ioc_desc *desc,
		    struct mheap_ioc_ctx *ctx, unsigned int cmd,
		    void __user *uarg)
{
	size_t usize = _IOC_SIZE(cmd), ksize = _IOC_SIZE(desc->cmd);
	size_t osize = _IOC_DIR(cmd) & _IOC_READ ? min(usize, ksize) : 0;
	union mheap_ioc_arg in, karg;
	unsigned int faults;
	long ret;

	if (WARN_ON_ONCE(ksize > sizeof(karg)))
		return -EINVAL;
	if (desc->flags & MHEAP_IOC_WRITES && !ctx->file->writable)
		return -EBADF;
	if (usize < desc->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(&in, ksize, uarg, usize);
	if (ret)
		return ret;
	if (desc->writes && desc->writes(&in) && !ctx->file->writable)
		return -EBADF;
	/* a call that cannot be undone: make sure its result can be written */
	if (osize && !ioc_undoable(desc, &in) && copy_to_user(uarg, &in, osize))
		return -EFAULT;
	if (desc->prefault) {
		ret = desc->prefault(&in);
		if (ret)
			return ret;
	}
	for (faults = 0;; faults++) {
		/* a retry sees the argument as first read, not as half written */
		memcpy(&karg, &in, ksize);
		ret = ioc_run(desc, ctx, &karg, uarg, osize);
		if (ret != -EFAULT || !ctx->fault_len ||
		    faults == MHEAP_FAULT_RETRIES)
			break;
		if (fault_in_safe_writeable(ctx->fault_addr, ctx->fault_len))
			break;
		/* nothing changed: restart the call after the handler */
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		cond_resched();
	}
	kvfree(ctx->ids);
	ctx->ids = NULL;
	if (!ret && ctx->install)
		fd_install(ctx->fd, ctx->install);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_ioc_call);

/**
 * mheap_ioctl_dispatch() - ioctl() on a client
 * @f: the client.
 * @cmd: the command.
 * @uarg: its argument.
 *
 * Context: process context; may sleep.
 * Return: the ioctl's result (uapi/linux/mheap.h); -ENOTTY for a command
 * not in the table.
 */
long mheap_ioctl_dispatch(struct mheap_file *f, unsigned int cmd,
			  void __user *uarg)
{
	const struct mheap_ioc_desc *desc = mheap_ioc_lookup(cmd);
	struct mheap_ioc_ctx ctx = { .file = f };

	if (!desc)
		return -ENOTTY;
	return mheap_ioc_call(desc, &ctx, cmd, uarg);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmheap: thin wrappers over the ioctls of <linux/mheap.h>; see mheap.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mheap.h"

#define EXPORT __attribute__((visibility("default")))

struct mheap {
	int fd;
};

static int xioctl(struct mheap *mh, unsigned long cmd, void *arg)
{
	return ioctl(mh->fd, cmd, arg) ? -errno : 0;
}

EXPORT int mheap_from_fd(int fd, struct mheap **mh)
{
	struct mheap *m;

	if (fd < 0 || !mh)
		return -EINVAL;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->fd = fd;
	*mh = m;
	return 0;
}

EXPORT int mheap_open(const char *path, struct mheap **mh)
{
	int fd, err;

	if (!mh)
		return -EINVAL;
	fd = open(path ? path : MHEAP_DEFAULT_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = mheap_from_fd(fd, mh);
	if (err)
		close(fd);
	return err;
}

EXPORT int mheap_close(struct mheap *mh)
{
	int err;

	if (!mh)
		return 0;
	err = close(mh->fd) ? -errno : 0;
	free(mh);
	return err;
}

EXPORT int mheap_fd(const struct mheap *mh)
{
	return mh->fd;
}

EXPORT int mheap_new_client(struct mheap *mh, unsigned int flags)
{
	struct mheap_new_client nc = { .flags = flags };
	int err = xioctl(mh, MHEAP_IOC_NEW_CLIENT, &nc);

	return err ? err : nc.fd;
}

EXPORT int mheap_version(struct mheap *mh, uint32_t *version,
			 uint64_t *features)
{
	struct mheap_version v = { 0 };
	int err = xioctl(mh, MHEAP_IOC_VERSION, &v);

	if (err)
		return err;
	if (version)
		*version = v.version;
	if (features)
		*features = v.features;
	return 0;
}

EXPORT int mheap_get_config(struct mheap *mh, struct mheap_config *config)
{
	memset(config, 0, sizeof(*config));
	return xioctl(mh, MHEAP_IOC_CONFIG, config);
}

EXPORT int mheap_set_capacity(struct mheap *mh, uint64_t capacity)
{
	struct mheap_config c = {
		.flags = MHEAP_CONFIG_SET_CAPACITY,
		.capacity = capacity,
	};

	return xioctl(mh, MHEAP_IOC_CONFIG, &c);
}

EXPORT int mheap_set_threshold(struct mheap *mh, const uint32_t threshold[3])
{
	struct mheap_config c = { .flags = MHEAP_CONFIG_SET_THRESHOLD };

	memcpy(c.threshold, threshold, sizeof(c.threshold));
	return xioctl(mh, MHEAP_IOC_CONFIG, &c);
}

EXPORT int mheap_alloc(struct mheap *mh, uint64_t size, uint32_t nrefs,
		       uint64_t cookie, uint32_t *handle)
{
	struct mheap_alloc a = { .size = size, .nrefs = nrefs, .cookie = cookie };
	int err = xioctl(mh, MHEAP_IOC_ALLOC, &a);

	if (!err)
		*handle = a.handle;
	return err;
}

static int dup_flags(struct mheap *mh, uint32_t handle, uint32_t flags,
		     uint32_t *copy)
{
	struct mheap_dup d = { .handle = handle, .flags = flags };
	int err = xioctl(mh, MHEAP_IOC_DUP, &d);

	if (!err)
		*copy = d.copy;
	return err;
}

EXPORT int mheap_dup(struct mheap *mh, uint32_t handle, uint32_t *copy)
{
	return dup_flags(mh, handle, 0, copy);
}

EXPORT int mheap_dup_weak(struct mheap *mh, uint32_t handle, uint32_t *weak)
{
	return dup_flags(mh, handle, MHEAP_DUP_WEAK, weak);
}

EXPORT int mheap_release(struct mheap *mh, uint32_t handle)
{
	struct mheap_close c = { .handle = handle };

	return xioctl(mh, MHEAP_IOC_CLOSE, &c);
}

EXPORT int mheap_set_slot(struct mheap *mh, uint32_t handle, uint64_t index,
			  uint32_t target)
{
	struct mheap_slot s = { .handle = handle, .index = index, .target = target };

	return xioctl(mh, MHEAP_IOC_SET_SLOT, &s);
}

EXPORT int mheap_get_slot(struct mheap *mh, uint32_t handle, uint64_t index,
			  uint32_t *target)
{
	struct mheap_slot s = { .handle = handle, .index = index };
	int err = xioctl(mh, MHEAP_IOC_GET_SLOT, &s);

	if (!err)
		*target = s.target;
	return err;
}

static int rw(struct mheap *mh, unsigned long cmd, uint32_t handle,
	      uint64_t offset, const void *buf, size_t len)
{
	struct mheap_rw r = {
		.handle = handle,
		.offset = offset,
		.len = len,
		.buf = (uintptr_t)buf,
	};

	return xioctl(mh, cmd, &r);
}

EXPORT int mheap_read(struct mheap *mh, uint32_t handle, uint64_t offset,
		      void *buf, size_t len)
{
	return rw(mh, MHEAP_IOC_READ, handle, offset, buf, len);
}

EXPORT int mheap_write(struct mheap *mh, uint32_t handle, uint64_t offset,
		       const void *buf, size_t len)
{
	return rw(mh, MHEAP_IOC_WRITE, handle, offset, buf, len);
}

EXPORT int mheap_info(struct mheap *mh, uint32_t handle,
		      struct mheap_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return xioctl(mh, MHEAP_IOC_INFO, info);
}

EXPORT int mheap_export(struct mheap *mh, uint32_t handle, uint64_t *token)
{
	struct mheap_token t = { .handle = handle };
	int err = xioctl(mh, MHEAP_IOC_EXPORT, &t);

	if (!err)
		*token = t.token;
	return err;
}

EXPORT int mheap_import(struct mheap *mh, uint64_t token, uint32_t *handle)
{
	struct mheap_token t = { .token = token };
	int err = xioctl(mh, MHEAP_IOC_IMPORT, &t);

	if (!err)
		*handle = t.handle;
	return err;
}

/* Scopes */

EXPORT int mheap_scope_push(struct mheap *mh, uint32_t *level)
{
	struct mheap_scope sc = { .op = MHEAP_SCOPE_PUSH };
	int err = xioctl(mh, MHEAP_IOC_SCOPE, &sc);

	if (!err && level)
		*level = sc.level;
	return err;
}

EXPORT int mheap_scope_pop(struct mheap *mh, uint32_t level, uint32_t *closed)
{
	struct mheap_scope sc = { .op = MHEAP_SCOPE_POP, .level = level };
	int err = xioctl(mh, MHEAP_IOC_SCOPE, &sc);

	if (!err && closed)
		*closed = sc.closed;
	return err;
}

EXPORT int mheap_scope_escape(struct mheap *mh, uint32_t handle,
			      uint32_t *level)
{
	struct mheap_scope sc = { .op = MHEAP_SCOPE_ESCAPE, .handle = handle };
	int err = xioctl(mh, MHEAP_IOC_SCOPE, &sc);

	if (!err && level)
		*level = sc.level;
	return err;
}

/* Named roots */

static int name_call(struct mheap *mh, uint32_t op, const char *name,
		     uint32_t flags, uint32_t *handle)
{
	struct mheap_name n = { .op = op, .flags = flags };
	int err;

	if (!name || strlen(name) > MHEAP_NAME_MAX)
		return -EINVAL;
	memcpy(n.name, name, strlen(name));
	if (op == MHEAP_NAME_BIND)
		n.handle = *handle;
	err = xioctl(mh, MHEAP_IOC_NAME, &n);
	if (!err && op == MHEAP_NAME_LOOKUP)
		*handle = n.handle;
	return err;
}

EXPORT int mheap_name_bind(struct mheap *mh, const char *name,
			   uint32_t handle, unsigned int flags)
{
	return name_call(mh, MHEAP_NAME_BIND, name, flags, &handle);
}

EXPORT int mheap_name_lookup(struct mheap *mh, const char *name,
			     uint32_t *handle)
{
	return name_call(mh, MHEAP_NAME_LOOKUP, name, 0, handle);
}

EXPORT int mheap_name_unbind(struct mheap *mh, const char *name)
{
	return name_call(mh, MHEAP_NAME_UNBIND, name, 0, NULL);
}

EXPORT int mheap_name_list(struct mheap *mh, uint32_t start,
			   char (*names)[MHEAP_NAME_LEN], uint32_t count,
			   uint32_t *total)
{
	struct mheap_names n = { .buf = (uintptr_t)names, .count = count,
				 .start = start };
	int err = xioctl(mh, MHEAP_IOC_NAMES, &n);

	if (err)
		return err;
	if (total)
		*total = n.total;
	if (start >= n.total)
		return 0;
	return (int)(n.total - start < count ? n.total - start : count);
}

/* The payload mapping */

EXPORT int mheap_map(struct mheap *mh, size_t length, int writable,
		     void **addr)
{
	void *p = mmap(NULL, length, PROT_READ | (writable ? PROT_WRITE : 0),
		       MAP_SHARED, mh->fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	return 0;
}

EXPORT int mheap_unmap(void *addr, size_t length)
{
	return munmap(addr, length) ? -errno : 0;
}

/* Reclamation events */

EXPORT int mheap_events_subscribe(struct mheap *mh, uint32_t capacity,
				  uint32_t *granted)
{
	struct mheap_events ev = { .op = MHEAP_EVENTS_SUBSCRIBE,
				   .capacity = capacity };
	int err = xioctl(mh, MHEAP_IOC_EVENTS, &ev);

	if (!err && granted)
		*granted = ev.capacity;
	return err;
}

EXPORT int mheap_events_unsubscribe(struct mheap *mh)
{
	struct mheap_events ev = { .op = MHEAP_EVENTS_UNSUBSCRIBE };

	return xioctl(mh, MHEAP_IOC_EVENTS, &ev);
}

EXPORT int mheap_events_read(struct mheap *mh, struct mheap_event *events,
			     uint32_t max, int timeout_ms)
{
	struct pollfd p = { .fd = mh->fd, .events = POLLIN };
	ssize_t n;
	int ret;

	if (!max)
		return -EINVAL;
	do {
		ret = poll(&p, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (!ret)
		return 0;
	do {
		n = read(mh->fd, events, (size_t)max * sizeof(*events));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return (int)(n / sizeof(*events));
}

static int gc(struct mheap *mh, uint32_t op, uint64_t arg, uint64_t *result)
{
	struct mheap_gc_ctl g = { .op = op, .arg = arg };
	int err = xioctl(mh, MHEAP_IOC_GC, &g);

	if (!err && result)
		*result = g.result;
	return err;
}

EXPORT int mheap_collect(struct mheap *mh, unsigned int generation,
			 uint64_t *collected)
{
	return gc(mh, MHEAP_GC_COLLECT, generation, collected);
}

EXPORT int mheap_gc_enable(struct mheap *mh, int enable)
{
	return gc(mh, enable ? MHEAP_GC_ENABLE : MHEAP_GC_DISABLE, 0, NULL);
}

EXPORT int mheap_gc_freeze(struct mheap *mh)
{
	return gc(mh, MHEAP_GC_FREEZE, 0, NULL);
}

EXPORT int mheap_gc_unfreeze(struct mheap *mh)
{
	return gc(mh, MHEAP_GC_UNFREEZE, 0, NULL);
}

EXPORT int mheap_gc_set_save_all(struct mheap *mh, int save_all)
{
	return gc(mh, MHEAP_GC_SET_SAVE_ALL, !!save_all, NULL);
}

EXPORT int mheap_gc_release_garbage(struct mheap *mh, uint64_t *released)
{
	return gc(mh, MHEAP_GC_RELEASE_GARBAGE, 0, released);
}

static int refs(struct mheap *mh, uint32_t which, uint32_t handle,
		uint32_t *handles, uint32_t count, uint32_t *total)
{
	struct mheap_refs r = {
		.handle = handle,
		.which = which,
		.buf = (uintptr_t)handles,
		.count = count,
	};
	int err = xioctl(mh, MHEAP_IOC_REFS, &r);

	if (err)
		return err;
	if (total)
		*total = r.total;
	return r.written;
}

EXPORT int mheap_referents(struct mheap *mh, uint32_t handle,
			   uint32_t *handles, uint32_t count, uint32_t *total)
{
	return refs(mh, MHEAP_REFS_REFERENTS, handle, handles, count, total);
}

EXPORT int mheap_referrers(struct mheap *mh, uint32_t handle,
			   uint32_t *handles, uint32_t count, uint32_t *total)
{
	return refs(mh, MHEAP_REFS_REFERRERS, handle, handles, count, total);
}

EXPORT int mheap_garbage(struct mheap *mh, uint32_t *handles, uint32_t count,
			 uint32_t *total)
{
	return refs(mh, MHEAP_REFS_GARBAGE, 0, handles, count, total);
}

EXPORT int mheap_gc_stats(struct mheap *mh, struct mheap_gc_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	return xioctl(mh, MHEAP_IOC_GC_STATS, stats);
}

EXPORT int mheap_heap_stats(struct mheap *mh, struct mheap_heap_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	return xioctl(mh, MHEAP_IOC_HEAP_STATS, stats);
}

EXPORT int mheap_module_stats(struct mheap *mh,
			      struct mheap_module_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	return xioctl(mh, MHEAP_IOC_MODULE_STATS, stats);
}

/* Batches */

EXPORT int mheap_batch_init(struct mheap_batch_buf *b, uint32_t capacity)
{
	if (!capacity || capacity > MHEAP_BATCH_MAX)
		return -EINVAL;
	b->ops = calloc(capacity, sizeof(*b->ops));
	if (!b->ops)
		return -ENOMEM;
	b->count = 0;
	b->capacity = capacity;
	return 0;
}

EXPORT void mheap_batch_free(struct mheap_batch_buf *b)
{
	free(b->ops);
	b->ops = NULL;
	b->count = b->capacity = 0;
}

EXPORT void mheap_batch_reset(struct mheap_batch_buf *b)
{
	b->count = 0;
}

static int add(struct mheap_batch_buf *b, uint32_t code, uint32_t flags,
	       uint32_t handle, uint64_t arg0, uint64_t arg1, uint64_t arg2)
{
	struct mheap_op *op;

	if (b->count == b->capacity)
		return -ENOSPC;
	op = &b->ops[b->count];
	memset(op, 0, sizeof(*op));
	op->op = code;
	op->flags = flags;
	op->handle = handle;
	op->arg0 = arg0;
	op->arg1 = arg1;
	op->arg2 = arg2;
	return b->count++;
}

EXPORT int mheap_batch_alloc(struct mheap_batch_buf *b, uint64_t size,
			     uint32_t nrefs, uint64_t cookie)
{
	return add(b, MHEAP_OP_ALLOC, 0, 0, size, nrefs, cookie);
}

EXPORT int mheap_batch_dup(struct mheap_batch_buf *b, uint32_t handle,
			   uint32_t flags)
{
	return add(b, MHEAP_OP_DUP, flags, handle, 0, 0, 0);
}

EXPORT int mheap_batch_close(struct mheap_batch_buf *b, uint32_t handle)
{
	return add(b, MHEAP_OP_CLOSE, 0, handle, 0, 0, 0);
}

EXPORT int mheap_batch_set_slot(struct mheap_batch_buf *b, uint32_t handle,
				uint64_t index, uint32_t target)
{
	return add(b, MHEAP_OP_SET_SLOT, 0, handle, index, target, 0);
}

EXPORT int mheap_batch_get_slot(struct mheap_batch_buf *b, uint32_t handle,
				uint64_t index)
{
	return add(b, MHEAP_OP_GET_SLOT, 0, handle, index, 0, 0);
}

EXPORT int mheap_batch_read(struct mheap_batch_buf *b, uint32_t handle,
			    uint64_t offset, void *buf, size_t len)
{
	return add(b, MHEAP_OP_READ, 0, handle, offset, len, (uintptr_t)buf);
}

EXPORT int mheap_batch_write(struct mheap_batch_buf *b, uint32_t handle,
			     uint64_t offset, const void *buf, size_t len)
{
	return add(b, MHEAP_OP_WRITE, 0, handle, offset, len, (uintptr_t)buf);
}

/* Whether an operation names another by MHEAP_BATCH_REF() */
static int uses_refs(const struct mheap_batch_buf *b)
{
	uint32_t i;

	for (i = 0; i < b->count; i++) {
		const struct mheap_op *op = &b->ops[i];

		if ((op->handle & MHEAP_BATCH_REF_BIT) ||
		    (op->op == MHEAP_OP_SET_SLOT && op->arg1 <= UINT32_MAX &&
		     (op->arg1 & MHEAP_BATCH_REF_BIT)))
			return 1;
	}
	return 0;
}

/*
 * A batch interrupted by a signal goes on where it stopped: from the
 * operations left, or, when references name earlier operations, over the
 * whole array from @start (MHEAP_FEATURE_BATCH_REFS).
 */
EXPORT int mheap_batch_run(struct mheap *mh, struct mheap_batch_buf *b,
			   uint32_t flags)
{
	int refs = uses_refs(b);
	uint32_t done = 0;

	if (!b->count)
		return 0;
	while (done < b->count) {
		struct mheap_batch batch = {
			.ops = (uintptr_t)(refs ? b->ops : b->ops + done),
			.count = refs ? b->count : b->count - done,
			.flags = flags,
			.start = refs ? done : 0,
		};
		int err = xioctl(mh, MHEAP_IOC_BATCH, &batch);

		if (err == -EINTR)
			continue;
		if (err)
			return err;
		done += batch.done;
		if (batch.done && b->ops[done - 1].result &&
		    !(flags & MHEAP_BATCH_CONTINUE))
			break;
	}
	return done;
}

EXPORT int mheap_batch_result(const struct mheap_batch_buf *b, uint32_t index,
			      uint32_t *out)
{
	if (index >= b->count)
		return -EINVAL;
	if (out)
		*out = b->ops[index].out;
	return b->ops[index].result;
}

EXPORT const char *mheap_errname(int err)
{
	const char *name = strerrorname_np(err < 0 ? -err : err);

	return name ? name : "E?";
}

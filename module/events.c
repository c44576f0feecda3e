// SPDX-License-Identifier: GPL-2.0
/*
 * Reclamation events (uapi: struct mheap_events): a client that subscribes
 * reads one record for each object it allocated since, as the object is
 * freed.
 *
 * A subscription gives the client a subscriber number, which the core stores
 * in every object the client allocates from then on
 * (mheap_object_alloc_subscribed()); as such an object is freed, the core calls
 * the heap's reclaim hook (events_reclaim() here), under the heap lock,
 * and the record goes to the queue of the client with that number, if it
 * is still subscribed.
 *
 * The queue is a ring of @capacity records plus one slot, so that when it
 * is full an overflow record can always follow the last event that fit;
 * while the ring stays full, later losses are added to that record's count.
 * A reader copies records out with the heap lock held and page faults
 * disabled, and consumes exactly what was copied under the same hold; when
 * the copy cannot be done so, the queue is left as it was, the buffer is
 * faulted in with the lock dropped, and the read starts over. So a read()
 * that fails changes nothing, and no record is lost or seen twice.
 *
 * Locking: heap->lock for the queues, the subscriber list and every read.
 */
#include <kunit/visibility.h>
#include <linux/fs.h>
#include <linux/mheap.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "events.h"
#include "core/handle.h"

/* Records a read() moves at a time, through the stack */
#define READ_CHUNK	16

/**
 * struct mheap_event_queue - a subscribed client's records
 * @link: in the heap's subscribers.
 * @file: the subscribed client.
 * @subscriber: the subscriber number of the client's objects.
 * @size: slots in @ring: the capacity plus one.
 * @head: the oldest record.
 * @count: records queued.
 * @overflowing: the last record is an overflow record still counting.
 * @ring: the records.
 */
struct mheap_event_queue {
	struct list_head link;
	struct mheap_file *file;
	u32 subscriber;
	u32 size;
	u32 head;
	u32 count;
	bool overflowing;
	struct mheap_event ring[] __counted_by(size);
};

static struct mheap_event *slot(struct mheap_event_queue *q, u32 i)
{
	return &q->ring[(q->head + i) % q->size];
}

/* Queue a record, or count it in an overflow record. */
static void push(struct mheap_event_queue *q, u64 cookie, u32 reason,
		 u32 gen)
{
	struct mheap_event *e;

	if (q->count < q->size - 1) {
		e = slot(q, q->count++);
		e->cookie = cookie;
		e->reason = reason;
		e->generation = gen;
		q->overflowing = false;
	} else if (q->overflowing) {
		e = slot(q, q->count - 1);
		if (e->cookie < U64_MAX)
			e->cookie++;
	} else {
		/* the spare slot: always free while not overflowing */
		e = slot(q, q->count++);
		e->cookie = 1;
		e->reason = MHEAP_EVENT_OVERFLOW;
		e->generation = MHEAP_EVENT_NO_GEN;
		q->overflowing = true;
	}
}

/* The heap's reclaim hook (struct mheap): heap->lock held. */
static void events_reclaim(struct mheap *heap, u32 subscriber, u64 cookie,
			   u32 reason, u32 gen)
{
	struct mheap_instance *inst = heap->reclaim_data;
	struct mheap_event_queue *q;
	struct mheap_file *f;

	list_for_each_entry(q, &inst->subscribers, link) {
		if (q->subscriber != subscriber)
			continue;
		push(q, cookie, reason, gen);
		f = q->file;
		WRITE_ONCE(f->seq, f->seq + 1);
		wake_up_interruptible_poll(&f->wait, EPOLLIN | EPOLLRDNORM);
		return;
	}
}

/**
 * mheap_events_init() - set up a new heap's side of reclamation events
 * @inst: what the heap's clients share, with @inst->heap set.
 *
 * Context: process context; nothing else uses the heap yet.
 */
void mheap_events_init(struct mheap_instance *inst)
{
	INIT_LIST_HEAD(&inst->subscribers);
	inst->next_subscriber = 1;
	inst->heap->reclaim = events_reclaim;
	inst->heap->reclaim_data = inst;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_events_init);

/**
 * mheap_events_file_init() - set up a new client's side
 * @f: the client.
 *
 * Context: process context.
 */
void mheap_events_file_init(struct mheap_file *f)
{
	init_waitqueue_head(&f->wait);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_events_file_init);

/* Subscribe @f; heap->lock held. */
static long subscribe(struct mheap_file *f, struct mheap_events *ev)
{
	struct mheap_instance *inst = f->inst;
	u32 capacity = ev->capacity ?: MHEAP_EVENTS_DEFAULT;
	struct mheap_event_queue *q;

	mheap_prim_assert_held(&inst->heap->lock);
	if (capacity > MHEAP_EVENTS_MAX)
		return -EINVAL;
	if (f->events)
		return -EBUSY;
	/* numbers are never reused: one would get another's records */
	if (inst->next_subscriber == U32_MAX)
		return -EOVERFLOW;
	q = kvzalloc(struct_size(q, ring, capacity + 1), MHEAP_PRIM_GFP);
	if (!q)
		return -ENOMEM;
	q->size = capacity + 1;
	q->file = f;
	q->subscriber = inst->next_subscriber++;
	list_add(&q->link, &inst->subscribers);
	f->events = q;
	f->client->subscriber = q->subscriber;
	ev->capacity = capacity;
	return 0;
}

/* Take @f's queue off its heap; returns it for the caller to free. */
static struct mheap_event_queue *detach(struct mheap_file *f)
{
	struct mheap_event_queue *q = f->events;

	mheap_prim_assert_held(&f->inst->heap->lock);
	if (!q)
		return NULL;
	list_del(&q->link);
	f->events = NULL;
	f->client->subscriber = 0;
	WRITE_ONCE(f->seq, f->seq + 1);
	wake_up_interruptible_poll(&f->wait, EPOLLERR);
	return q;
}

/**
 * mheap_events_ioctl() - MHEAP_IOC_EVENTS
 * @f: the client.
 * @arg: a struct mheap_events, already copied from userspace.
 *
 * Context: process context; heap->lock held; may sleep.
 * Return: 0 or a negative errno (see uapi/linux/mheap.h).
 */
long mheap_events_ioctl(struct mheap_file *f, void *arg)
{
	struct mheap_events *ev = arg;
	struct mheap_event_queue *q;

	if (ev->flags || ev->reserved)
		return -EINVAL;
	switch (ev->op) {
	case MHEAP_EVENTS_SUBSCRIBE:
		return subscribe(f, ev);
	case MHEAP_EVENTS_UNSUBSCRIBE:
		if (ev->capacity)
			return -EINVAL;
		q = detach(f);
		if (!q)
			return -ENOENT;
		kvfree(q);
		return 0;
	default:
		return -EINVAL;
	}
}
EXPORT_SYMBOL_IF_KUNIT(mheap_events_ioctl);

/**
 * mheap_events_undo_subscribe() - undo a SUBSCRIBE of mheap_events_ioctl()
 * @f: the client, subscribed under this same hold of the heap lock: no
 *	record was queued, none read.
 *
 * Context: process context; heap->lock held.
 */
void mheap_events_undo_subscribe(struct mheap_file *f)
{
	struct mheap_event_queue *q = detach(f);

	if (!WARN_ON_ONCE(!q))
		f->inst->next_subscriber--;
	kvfree(q);
}

/**
 * mheap_events_release() - a client goes: drop its subscription
 * @f: the client, before its handles are closed (so that the objects they
 *	free find no queue); heap->lock not held.
 *
 * Context: process context, at release: no reader can be running.
 */
void mheap_events_release(struct mheap_file *f)
{
	struct mheap *heap = f->inst->heap;
	struct mheap_event_queue *q;

	mheap_lock(heap);
	q = detach(f);
	mheap_unlock(heap);
	kvfree(q);
}

/*
 * Copy up to @max records to @buf and consume them, with the heap lock
 * held; page faults are disabled, so a copy that would fault changes
 * nothing. Returns how many; -EFAULT when the copy would fault (the bytes
 * it needed in *@need); -EINVAL when @f is not subscribed.
 */
static long read_locked(struct mheap_file *f, char __user *buf, u32 max,
			size_t *need)
{
	struct mheap_event out[READ_CHUNK];
	struct mheap_event_queue *q = f->events;
	u32 i, n;

	if (!q)
		return -EINVAL;
	n = min(max, q->count);
	for (i = 0; i < n; i++)
		out[i] = *slot(q, i);
	*need = n * sizeof(out[0]);
	if (n && copy_to_user_nofault(buf, out, *need))
		return -EFAULT;
	q->head = (q->head + n) % q->size;
	q->count -= n;
	/* the overflow record, if any, was the last: later losses start anew */
	if (!q->count)
		q->overflowing = false;
	return n;
}

/**
 * mheap_events_read() - read() on a client: its reclamation records
 * @f: the client.
 * @buf: the user's buffer.
 * @len: its length.
 * @nonblock: O_NONBLOCK: -EAGAIN rather than waiting.
 *
 * Context: process context; may sleep.
 * Return: bytes read, a multiple of sizeof(struct mheap_event); -EINVAL
 * when @len holds no record or @f is not subscribed; -EAGAIN; -EFAULT
 * (then nothing was consumed); -ERESTARTSYS; -EINTR on a fatal signal
 * while waiting for the heap lock.
 */
ssize_t mheap_events_read(struct mheap_file *f, char __user *buf,
			  size_t len, bool nonblock)
{
	struct mheap *heap = f->inst->heap;
	size_t max = len / sizeof(struct mheap_event);
	unsigned int seq, faults = 0;
	size_t need;
	long n;

	if (!max)
		return -EINVAL;
	max = min_t(size_t, max, READ_CHUNK);
	for (;;) {
		seq = READ_ONCE(f->seq);
		if (mheap_lock_killable(heap))
			return -EINTR;
		n = read_locked(f, buf, max, &need);
		mheap_unlock(heap);
		if (n > 0)
			return n * sizeof(struct mheap_event);
		if (n == -EFAULT) {
			if (++faults > MHEAP_FAULT_RETRIES ||
			    fault_in_safe_writeable(buf, need))
				return -EFAULT;
			if (signal_pending(current))
				return -ERESTARTSYS;
			continue;
		}
		if (n)
			return n;
		if (nonblock)
			return -EAGAIN;
		if (wait_event_interruptible(f->wait, READ_ONCE(f->seq) != seq))
			return -ERESTARTSYS;
	}
}

/**
 * mheap_events_poll() - poll() on a client
 * @f: the client.
 * @file: its file.
 * @wait: the poll table.
 *
 * Context: process context; may sleep.
 * Return: EPOLLIN | EPOLLRDNORM while records wait; EPOLLERR when @f is
 * not subscribed (read() would fail); else 0.
 */
__poll_t mheap_events_poll(struct mheap_file *f, struct file *file,
			   poll_table *wait)
{
	struct mheap *heap = f->inst->heap;
	__poll_t mask = 0;

	poll_wait(file, &f->wait, wait);
	mheap_lock(heap);
	if (!f->events)
		mask = EPOLLERR;
	else if (f->events->count)
		mask = EPOLLIN | EPOLLRDNORM;
	mheap_unlock(heap);
	return mask;
}

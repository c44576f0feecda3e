// SPDX-License-Identifier: GPL-2.0
/*
 * Differential fuzzing of the portable core (libFuzzer, ASan, UBSan).
 *
 * An input is a sequence of operations on one heap and one client:
 * allocate, dup (strong and weak), close, set and get slots, collect a
 * generation, run the automatic collection, freeze and unfreeze, toggle
 * save-all and automatic collection, change thresholds, release the
 * garbage list, fail the next allocation, tear everything down, and
 * allocate and free leaves the model never sees (op_leaf()). Each runs
 * on the core and on a reference model (objects, slots, handles), and
 * after each the two must agree:
 *  - every live object's refcount, slots, size class of facts (nrefs,
 *    cookie, tracked, permanent generation) and the heap's live count;
 *  - every handle names the object the model says, or is ESTALE exactly
 *    when its (weak) object died;
 *  - a collection frees nothing reachable from handles, the garbage list
 *    or frozen objects; a full one frees everything else (or, in save-all
 *    mode, moves the cyclic part of it to the garbage list, and the weak
 *    handles to what it moves die, as CPython clears weakrefs to what goes
 *    to gc.garbage);
 *  - a failed operation changed nothing; a teardown leaves no allocation.
 * The model observes which objects the core freed through a weak handle
 * per object ("watches"), which the operations never see.
 *
 * Automatic collections are incremental (a small gc_increment, varied by
 * the threshold operation), so operations run between increments. An
 * object that dies meanwhile may stay in the core until the collection
 * lets it go, holding its slots: the model learns which from the
 * collection's lists (white-box) and counts their slots as the core does.
 *
 * A mismatch aborts with a message; libFuzzer saves the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle.h"
#include "object.h"
#include "gc.h"

#define MAX_OBJS	96
#define MAX_SLOTS	4
#define MAX_HANDLES	192
#define NO_OBJ		(-1)

struct model_obj {
	bool alive;
	bool garbage;		/* on the save-all garbage list */
	bool frozen;		/* in the permanent generation */
	u32 nrefs;
	int slots[MAX_SLOTS];
	u32 watch;		/* weak handle watching it; 0 once retired */
	u32 id;			/* the core's id, unique while it lives */
	bool weak_cleared;	/* save-all kept it: weak handles died */
	bool dying;		/* died during the collection in progress */
	bool held;		/* dying, and the collection still holds it */
	bool zombie;		/* held, though its count reached zero */
};

struct model_handle {
	u32 value;
	int obj;
	bool weak;
};

static struct {
	struct mheap *heap;
	struct mheap_client *client;
	struct model_obj objs[MAX_OBJS];
	int nobjs;
	struct model_handle handles[MAX_HANDLES];
	int nhandles;
	u32 closed;		/* a handle value closed earlier, or 0 */
	bool save_all;
	long op;		/* operations run, for messages */
	u8 arg[3];		/* the current operation's arguments */
	long base_allocs, base_warnings;
} m;

#define CHECK(cond, fmt, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "core_fuzz: op %ld: " fmt "\n",	\
				m.op, ##__VA_ARGS__);			\
			abort();					\
		}							\
	} while (0)


/* The core's id of a live model object, through its watch. */
static u32 id_of(int o)
{
	u32 id = 0;
	int err;

	/* dead, held by the collection: its watch reads dead already */
	if (m.objs[o].held)
		return m.objs[o].id;
	err = mheap_handle_lookup(m.client, m.objs[o].watch, &id);

	CHECK(!err, "object %d: watch lookup gave %d", o, err);
	return id;
}

static bool in_progress(void)
{
	return m.heap->gc.progress.phase != MHEAP_GC_IDLE;
}

/* Whether @id is on the core's list that starts at @head (white-box). */
static bool core_list_has(u32 head, u32 id)
{
	u32 o;
	int n = 0;

	for (o = head; o; o = mheap_object_ptr(m.heap, o)->gc_next) {
		CHECK(++n <= 4 * MAX_OBJS, "a collector list loops");
		if (o == id)
			return true;
	}
	return false;
}

/* Whether the collection in progress still holds @id (white-box). */
static bool core_holds(u32 id)
{
	const struct mheap_gc_progress *p = &m.heap->gc.progress;

	if (p->phase == MHEAP_GC_IDLE)
		return false;
	if (p->phase < MHEAP_GC_PARTITION &&
	    core_list_has(p->young.head, id))
		return true;
	if (p->phase == MHEAP_GC_PARTITION && core_list_has(p->cursor, id))
		return true;
	return core_list_has(p->unreachable.head, id);
}

/* The model object the core's @id names: alive, or held by a collection. */
static int model_of(u32 id)
{
	int i;

	for (i = 0; i < m.nobjs; i++)
		if ((m.objs[i].alive || m.objs[i].held) && m.objs[i].id == id)
			return i;
	CHECK(0, "id %u names no object", id);
	return -1;
}

/*
 * Object @i dies in the model: its count reached zero (@counted), or a
 * collection found it unreachable. A collection in progress may hold it
 * still: a zombie holds nothing and counts as freed (it is only a header);
 * an unreachable object keeps its slots until the collection frees it.
 */
static void kill(int i, bool counted)
{
	m.objs[i].alive = false;
	m.objs[i].dying = in_progress();
	m.objs[i].held = m.objs[i].dying && core_holds(m.objs[i].id);
	m.objs[i].zombie = m.objs[i].held && counted;
}

/*
 * The model's refcounts: strong handles, slots of live objects, garbage,
 * and the slots of dead objects a collection still holds, as the core has
 * them (the collection empties them as it goes).
 */
static void model_refcnts(u32 *ref)
{
	struct mheap_object *co;
	int i, s;

	memset(ref, 0, sizeof(*ref) * MAX_OBJS);
	for (i = 0; i < m.nhandles; i++)
		if (!m.handles[i].weak)
			ref[m.handles[i].obj]++;
	for (i = 0; i < m.nobjs; i++) {
		if (m.objs[i].held) {
			co = mheap_object_ptr(m.heap, m.objs[i].id);
			for (s = 0; s < (int)co->nrefs; s++) {
				if (!co->slots[s])
					continue;
				CHECK(!m.objs[i].zombie,
				      "zombie %d holds an object", i);
				ref[model_of(co->slots[s])]++;
			}
			continue;
		}
		if (!m.objs[i].alive)
			continue;
		if (m.objs[i].garbage)
			ref[i]++;
		for (s = 0; s < (int)m.objs[i].nrefs; s++)
			if (m.objs[i].slots[s] != NO_OBJ)
				ref[m.objs[i].slots[s]]++;
	}
}

/* Reference counting: free what no longer has references, transitively. */
static void model_cascade(void)
{
	u32 ref[MAX_OBJS];
	bool changed = true;
	int i;

	while (changed) {
		changed = false;
		model_refcnts(ref);
		for (i = 0; i < m.nobjs; i++) {
			if (m.objs[i].alive && !ref[i]) {
				kill(i, true);
				changed = true;
			}
		}
	}
}

/*
 * What strong handles and the garbage list reach (nothing of it may be
 * freed), and with @frozen what live frozen objects reach as well (a full
 * collection frees nothing else).
 */
static void model_reach(bool *reached, bool frozen)
{
	int stack[MAX_OBJS], top = 0, i, s;

	memset(reached, 0, sizeof(*reached) * MAX_OBJS);
	for (i = 0; i < m.nhandles; i++) {
		int o = m.handles[i].obj;

		if (!m.handles[i].weak && !reached[o]) {
			reached[o] = true;
			stack[top++] = o;
		}
	}
	for (i = 0; i < m.nobjs; i++) {
		if (m.objs[i].alive &&
		    (m.objs[i].garbage || (frozen && m.objs[i].frozen)) &&
		    !reached[i]) {
			reached[i] = true;
			stack[top++] = i;
		}
	}
	while (top) {
		struct model_obj *o = &m.objs[stack[--top]];

		for (s = 0; s < (int)o->nrefs; s++) {
			int t = o->slots[s];

			if (t != NO_OBJ && !reached[t]) {
				reached[t] = true;
				stack[top++] = t;
			}
		}
	}
}

static int live_count(void)
{
	int i, n = 0;

	for (i = 0; i < m.nobjs; i++)
		n += m.objs[i].alive || (m.objs[i].held && !m.objs[i].zombie);
	return n;
}

static void sync_progress(void);

/* The core and the model agree on everything observable. */
static void check_agree(void)
{
	struct mheap_stats stats;
	u32 ref[MAX_OBJS], id, tid;
	int i, s, err;

	sync_progress();
	model_refcnts(ref);
	for (i = 0; i < m.nobjs; i++) {
		struct model_obj *o = &m.objs[i];
		struct mheap_object_info info;

		if (!o->alive) {
			if (!o->watch)
				continue;
			/* freed: its watch says so; retire the watch */
			err = mheap_handle_lookup(m.client, o->watch, &id);
			CHECK(err == -ESTALE, "object %d died, watch gives %d",
			      i, err);
			CHECK(!mheap_handle_close(m.client, o->watch),
			      "closing watch %d", i);
			o->watch = 0;
			continue;
		}
		err = mheap_handle_info(m.client, o->watch, &info);
		CHECK(!err, "object %d lives, watch gives %d", i, err);
		CHECK(info.refcnt == ref[i], "object %d: refcnt %u, model %u",
		      i, info.refcnt, ref[i]);
		CHECK(info.nrefs == o->nrefs, "object %d: nrefs %u, model %u",
		      i, info.nrefs, o->nrefs);
		CHECK(info.cookie == (u64)i, "object %d: cookie %llu", i,
		      (unsigned long long)info.cookie);
		CHECK(info.tracked == (o->nrefs > 0), "object %d: tracked %d",
		      i, info.tracked);
		CHECK(!o->frozen || info.gen == MHEAP_GEN_PERMANENT,
		      "object %d: frozen but in generation %u", i, info.gen);
		id = id_of(i);
		for (s = 0; s < (int)o->nrefs; s++) {
			CHECK(!mheap_object_get_slot(m.heap, id, s, &tid),
			      "object %d slot %d", i, s);
			CHECK(tid == (o->slots[s] == NO_OBJ ? 0 :
				      id_of(o->slots[s])),
			      "object %d slot %d holds the wrong object", i, s);
		}
	}
	for (i = 0; i < m.nhandles; i++) {
		struct model_handle *h = &m.handles[i];

		err = mheap_handle_lookup(m.client, h->value, &id);
		if (!m.objs[h->obj].alive) {
			CHECK(h->weak && err == -ESTALE,
			      "handle %#x of a dead object gives %d", h->value,
			      err);
			continue;
		}
		if (h->weak && m.objs[h->obj].weak_cleared) {
			CHECK(err == -ESTALE,
			      "weak handle %#x of a saved object gives %d",
			      h->value, err);
			continue;
		}
		CHECK(!err && id == id_of(h->obj),
		      "handle %#x: %d, id %u, model object %d", h->value, err,
		      id, h->obj);
		CHECK(mheap_handle_is_weak(m.client, h->value) == h->weak,
		      "handle %#x: weak is wrong", h->value);
	}
	mheap_heap_stats(m.heap, &stats);
	CHECK(stats.objects_live == (u64)live_count(),
	      "%llu objects live, model %d",
	      (unsigned long long)stats.objects_live, live_count());
}

/* A new heap and client; false (nothing left behind) when that failed. */
static bool heap_open(void)
{
	m.heap = mheap_create(MHEAP_CAPACITY_MIN, MHEAP_CAPACITY_LIMIT);
	if (!m.heap)
		return false;
	mheap_lock(m.heap);
	m.client = mheap_client_create(m.heap);
	if (!m.client) {
		mheap_unlock(m.heap);
		mheap_destroy(m.heap);
		return false;
	}
	/* automatic collections only where an input turns them on */
	mheap_gc_enable(m.heap, false);
	mheap_gc_increment = 3;
	m.nobjs = m.nhandles = 0;
	m.closed = 0;
	m.save_all = false;
	return true;
}

static void heap_close(void)
{
	mheap_client_destroy(m.client);
	mheap_unlock(m.heap);
	mheap_destroy(m.heap);
	CHECK(mheap_prim_live_allocs() == m.base_allocs,
	      "teardown left %ld allocations", mheap_prim_live_allocs() - m.base_allocs);
	CHECK(mheap_prim_warnings() == m.base_warnings, "a WARN fired");
}

/* The model's index of a handle, chosen by argument byte @a; -1: none. */
static int pick_handle(u8 a)
{
	return m.nhandles ? a % m.nhandles : -1;
}

static void add_handle(u32 value, int obj, bool weak)
{
	m.handles[m.nhandles++] = (struct model_handle){ value, obj, weak };
}

/* After a failed operation: it may only fail for an injected failure. */
static void check_failure(int err, bool fired, const char *what)
{
	CHECK(err == -ENOMEM && fired, "%s failed with %d (injected: %d)",
	      what, err, fired);
}

/* The error a lookup of handle @i gives in the model. */
static int model_lookup(int i)
{
	const struct model_obj *o = &m.objs[m.handles[i].obj];

	return o->alive && !(m.handles[i].weak && o->weak_cleared) ? 0 : -ESTALE;
}

static void op_alloc(bool *fired)
{
	u32 size = m.arg[0], nrefs = m.arg[1] % (MAX_SLOTS + 1), h, w;
	struct model_obj *o;
	int err, s;

	if (m.nobjs == MAX_OBJS || m.nhandles == MAX_HANDLES)
		return;
	err = mheap_handle_alloc(m.client, size, nrefs, m.nobjs, &h);
	*fired = mheap_prim_fail_fired();
	mheap_prim_fail_nth(0);
	if (err)
		return check_failure(err, *fired, "alloc");
	CHECK(!mheap_handle_dup_weak(m.client, h, &w), "watch");
	o = &m.objs[m.nobjs];
	*o = (struct model_obj){ .alive = true, .nrefs = nrefs, .watch = w };
	CHECK(!mheap_handle_lookup(m.client, h, &o->id), "new handle");
	for (s = 0; s < MAX_SLOTS; s++)
		o->slots[s] = NO_OBJ;
	add_handle(h, m.nobjs++, false);
}

/*
 * Leaves (no slots, no cookie, no watch), each checked zeroed, written
 * all over and closed, arg[1] % 4 + 1 of them, of arg[0] + 1 bytes: a
 * freed leaf goes whole onto its class's free list (struct
 * mheap_freelist), and the next leaf of the class comes back from it,
 * which must give it zeroed. The model does not change.
 */
static void op_leaf(bool *fired)
{
	u32 size = m.arg[0] + 1, n = m.arg[1] % 4 + 1, h, id, i;
	u8 *payload;
	int err;

	while (n--) {
		err = mheap_handle_alloc(m.client, size, 0, 0, &h);
		*fired = mheap_prim_fail_fired();
		mheap_prim_fail_nth(0);
		if (err)
			return check_failure(err, *fired, "leaf");
		CHECK(!mheap_handle_lookup(m.client, h, &id), "leaf handle");
		payload = mheap_object_payload(m.heap,
					       mheap_object_ptr(m.heap, id));
		for (i = 0; i < size; i++)
			CHECK(!payload[i], "leaf of %u bytes: byte %u is %#x",
			      size, i, payload[i]);
		memset(payload, 0x5a, size);
		err = mheap_handle_close(m.client, h);
		CHECK(!err, "closing leaf %#x: %d", h, err);
	}
}

/*
 * DUP, or with arg[1]'s top bit a strong DUP undone at once, as an ioctl
 * whose result cannot be written is (ioctl.c): the new handle closed and
 * the write barrier's changes taken back (mheap_gc_barrier_undo()). The
 * model does not change; the oracle checks that no reachable object is
 * collected for it.
 */
static void op_dup(bool weak, bool *fired)
{
	int i = pick_handle(m.arg[0]), err, want;
	struct mheap_gc_mark mark = mheap_gc_barrier_mark(m.heap);
	bool undo = !weak && m.arg[1] & 0x80;
	u32 out;

	if (i < 0 || m.nhandles == MAX_HANDLES)
		return;
	want = model_lookup(i);
	err = weak ? mheap_handle_dup_weak(m.client, m.handles[i].value, &out) :
		mheap_handle_dup(m.client, m.handles[i].value, &out);
	*fired = mheap_prim_fail_fired();
	if (want) {
		CHECK(err == want, "dup of handle %#x: %d, model %d",
		      m.handles[i].value, err, want);
		return;
	}
	if (err)
		return check_failure(err, *fired, "dup");
	if (undo) {
		err = mheap_handle_close(m.client, out);
		CHECK(!err, "closing the undone dup %#x: %d", out, err);
		mheap_gc_barrier_undo(m.heap, mark);
		return;
	}
	add_handle(out, m.handles[i].obj, weak);
}

static void op_close(void)
{
	int i = pick_handle(m.arg[0]), err;

	if (m.closed && m.arg[1] & 1) {
		err = mheap_handle_close(m.client, m.closed);
		CHECK(err == -ENOENT, "closing a closed handle: %d", err);
		return;
	}
	if (i < 0)
		return;
	err = mheap_handle_close(m.client, m.handles[i].value);
	CHECK(!err, "close %#x: %d", m.handles[i].value, err);
	m.closed = m.handles[i].value;
	m.handles[i] = m.handles[--m.nhandles];
	model_cascade();
}

static void op_set_slot(void)
{
	int i = pick_handle(m.arg[0]), t = -1, err, want;
	u32 index = m.arg[1] % (MAX_SLOTS + 1);
	u32 target = 0;
	struct model_obj *o;

	if (i < 0)
		return;
	if (!(m.arg[2] & 0x80)) {
		t = pick_handle(m.arg[2]);
		target = m.handles[t].value;
	}
	o = &m.objs[m.handles[i].obj];
	want = model_lookup(i);
	if (!want && t >= 0)
		want = model_lookup(t);
	if (!want && index >= o->nrefs)
		want = -EINVAL;
	err = mheap_handle_set_slot(m.client, m.handles[i].value, index, target);
	CHECK(err == want, "set_slot: %d, model %d", err, want);
	if (err)
		return;
	o->slots[index] = t >= 0 ? m.handles[t].obj : NO_OBJ;
	model_cascade();
}

static void op_get_slot(bool *fired)
{
	int i = pick_handle(m.arg[0]), err, want;
	u32 index = m.arg[1] % (MAX_SLOTS + 1), out;
	struct model_obj *o;

	if (i < 0 || m.nhandles == MAX_HANDLES)
		return;
	o = &m.objs[m.handles[i].obj];
	want = model_lookup(i);
	if (!want && index >= o->nrefs)
		want = -EINVAL;
	err = mheap_handle_get_slot(m.client, m.handles[i].value, index, &out);
	*fired = mheap_prim_fail_fired();
	if (want) {
		CHECK(err == want, "get_slot: %d, model %d", err, want);
		return;
	}
	if (err)
		return check_failure(err, *fired, "get_slot");
	if (o->slots[index] == NO_OBJ)
		CHECK(out == 0, "get_slot of an empty slot gave %#x", out);
	else
		add_handle(out, o->slots[index], false);
}

/*
 * After a collection of @gen (-1: whatever the automatic one chose) that
 * reported @found: learn what the core freed or moved to the garbage list,
 * and check that none of it was reachable; after a full collection, that
 * all the rest was.
 */
/* Whether @id is on the garbage list @ids of @n. */
static bool on_list(const u32 *ids, size_t n, u32 id)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (ids[k] == id)
			return true;
	return false;
}

/*
 * Object @i was just moved to the garbage list, and its watch cleared:
 * watch it again, through a strong handle taken from its id.
 */
static void rewatch(int i)
{
	struct model_obj *o = &m.objs[i];
	u32 h;

	CHECK(!o->watch || !mheap_handle_close(m.client, o->watch),
	      "closing watch %d", i);
	CHECK(!mheap_handle_install_ref(m.client, o->id, &h), "rewatch %d", i);
	CHECK(!mheap_handle_dup_weak(m.client, h, &o->watch), "rewatch %d", i);
	CHECK(!mheap_handle_close(m.client, h), "rewatch %d", i);
}

/*
 * The garbage list's ids, read from the core's list (white-box): listing
 * it through mheap_gc_garbage() would end the collection in progress.
 */
static size_t garbage_ids(u32 *ids)
{
	size_t n = 0;
	u32 o;

	for (o = m.heap->gc.garbage.head; o;
	     o = mheap_object_ptr(m.heap, o)->gc_next) {
		CHECK(n < MAX_OBJS, "more than %d on the garbage list", MAX_OBJS);
		ids[n++] = o;
	}
	return n;
}

/*
 * The collection in progress let go of dying objects it held: freed, or
 * in save-all mode, moved to the garbage list (then they live again, as
 * garbage); once it ends, nothing is dying any more.
 */
static void sync_progress(void)
{
	u32 ids[MAX_OBJS];
	size_t n = garbage_ids(ids);
	bool was;
	int i;

	for (i = 0; i < m.nobjs; i++) {
		struct model_obj *o = &m.objs[i];

		if (!o->dying)
			continue;
		was = o->held;
		o->held = was && core_holds(o->id);
		o->dying = in_progress();
		/* held until now: its id is still its own */
		if (was && !o->held && on_list(ids, n, o->id)) {
			CHECK(!o->zombie, "zombie %d went to the garbage list", i);
			CHECK(!o->garbage, "object %d saved twice", i);
			o->alive = true;
			o->garbage = true;
			o->weak_cleared = true;
			o->dying = false;
			rewatch(i);
		}
	}
	model_cascade();
}

static void sync_collection(bool *reached, int gen, long found)
{
	u32 ids[MAX_OBJS], id;
	size_t n, k;
	long newly = 0;
	int i;

	sync_progress();
	n = garbage_ids(ids);
	for (i = 0; i < m.nobjs; i++) {
		struct model_obj *o = &m.objs[i];

		if (!o->alive ||
		    mheap_handle_lookup(m.client, o->watch, &id) != -ESTALE)
			continue;
		CHECK(!reached[i], "collected reachable object %d", i);
		/* ids are unique among the objects alive before this */
		if (on_list(ids, n, o->id)) {
			CHECK((m.save_all || m.heap->gc.progress.save_all) &&
			      !o->garbage,
			      "object %d went to the garbage list", i);
			o->garbage = true;
			o->weak_cleared = true;
			rewatch(i);
			newly++;
			continue;
		}
		kill(i, false);
		/* frozen ones die only as their referrers do */
		newly += o->nrefs && !o->frozen;
	}
	for (k = 0; k < n; k++) {
		for (i = 0; i < m.nobjs; i++)
			if (m.objs[i].alive && m.objs[i].id == ids[k])
				break;
		CHECK(i < m.nobjs, "garbage list names an unknown object");
		CHECK(m.objs[i].garbage, "object %d is garbage, its watch lives",
		      i);
	}
	/*
	 * Objects of older generations die too when only the garbage held
	 * them: a full collection finds exactly what died.
	 */
	CHECK(gen < 0 || found <= newly, "collection found %ld, model %ld",
	      found, newly);
	if (gen == MHEAP_GENERATIONS - 1) {
		bool after[MAX_OBJS];

		CHECK(found == newly, "full collection found %ld, model %ld",
		      found, newly);
		model_reach(after, true);
		for (i = 0; i < m.nobjs; i++)
			CHECK(m.objs[i].alive == after[i],
			      "after a full collection object %d: alive %d, reachable %d",
			      i, m.objs[i].alive, after[i]);
	}
}

/*
 * What the core does first for the calls that need the generations whole
 * (mheap_gc_finish()): end the collection in progress, and learn what it
 * freed, before the call's own effect is checked.
 */
static void finish_sync(void)
{
	bool reached[MAX_OBJS];

	if (!in_progress())
		return;
	model_reach(reached, false);
	mheap_gc_finish(m.heap);
	CHECK(!in_progress(), "mheap_gc_finish() left a collection running");
	sync_collection(reached, -1, 0);
}

static void op_collect(int gen)
{
	bool reached[MAX_OBJS];
	long found = 0;

	if (gen >= 0)
		finish_sync();
	model_reach(reached, false);
	if (gen >= 0) {
		found = mheap_gc_collect(m.heap, gen);
		CHECK(found >= 0, "collect(%d): %ld", gen, found);
	} else {
		/* the work item takes the lock itself; it may run at any time */
		mheap_unlock(m.heap);
		mheap_prim_work_queue(&m.heap->gc.work);
		mheap_prim_work_run(&m.heap->gc.work);
		mheap_lock(m.heap);
	}
	sync_collection(reached, gen, found);
}

static void op_freeze(bool freeze)
{
	int i;

	finish_sync();
	if (freeze)
		mheap_gc_freeze(m.heap);
	else
		mheap_gc_unfreeze(m.heap);
	for (i = 0; i < m.nobjs; i++)
		if (m.objs[i].alive && m.objs[i].nrefs && !m.objs[i].garbage)
			m.objs[i].frozen = freeze;
}

static void op_release_garbage(void)
{
	u64 n, want = 0;
	int i;

	finish_sync();
	n = mheap_gc_release_garbage(m.heap);
	for (i = 0; i < m.nobjs; i++) {
		want += m.objs[i].alive && m.objs[i].garbage;
		m.objs[i].garbage = false;
	}
	CHECK(n == want, "released %llu, model %llu", (unsigned long long)n,
	      (unsigned long long)want);
	model_cascade();
}

static void op_threshold(void)
{
	u32 t[MHEAP_GENERATIONS] = { m.arg[0] % 8, m.arg[1] % 4, m.arg[2] % 4 };

	mheap_gc_set_threshold(m.heap, t);
	/* increments of 1 to 7 units of work, or 0: not incremental */
	mheap_gc_increment = (m.arg[0] >> 3) % 8;
}

enum {
	OP_ALLOC, OP_DUP, OP_DUP_WEAK, OP_CLOSE, OP_SET_SLOT, OP_GET_SLOT,
	OP_COLLECT, OP_AUTO, OP_FREEZE, OP_UNFREEZE, OP_SAVE_ALL,
	OP_RELEASE, OP_ENABLE, OP_THRESHOLD, OP_FAIL, OP_TEARDOWN, OP_LEAF,
	OP_COUNT
};

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	long fail = 0;
	size_t pos;

	m.op = 0;
	m.base_allocs = mheap_prim_live_allocs();
	m.base_warnings = mheap_prim_warnings();
	CHECK(heap_open(), "heap_open");
	/* each operation: a code and three argument bytes (missing: 0) */
	for (pos = 0; pos < size; pos += 4) {
		u8 code = data[pos] % OP_COUNT;
		bool fired = false;
		size_t k;

		for (k = 0; k < 3; k++)
			m.arg[k] = pos + 1 + k < size ? data[pos + 1 + k] : 0;
		m.op++;
		mheap_prim_fail_nth(fail);
		fail = 0;
		switch (code) {
		case OP_ALLOC:
			op_alloc(&fired);
			break;
		case OP_DUP:
		case OP_DUP_WEAK:
			op_dup(code == OP_DUP_WEAK, &fired);
			break;
		case OP_CLOSE:
			op_close();
			break;
		case OP_SET_SLOT:
			op_set_slot();
			break;
		case OP_GET_SLOT:
			op_get_slot(&fired);
			break;
		case OP_COLLECT:
			op_collect(m.arg[0] % MHEAP_GENERATIONS);
			break;
		case OP_AUTO:
			op_collect(-1);
			break;
		case OP_FREEZE:
		case OP_UNFREEZE:
			op_freeze(code == OP_FREEZE);
			break;
		case OP_SAVE_ALL:
			m.save_all = m.arg[0] & 1;
			mheap_gc_set_save_all(m.heap, m.save_all);
			break;
		case OP_RELEASE:
			op_release_garbage();
			break;
		case OP_ENABLE:
			mheap_gc_enable(m.heap, m.arg[0] & 1);
			break;
		case OP_THRESHOLD:
			op_threshold();
			break;
		case OP_FAIL:
			/* fail an allocation of the next operation */
			fail = m.arg[0] % 4 + 1;
			break;
		case OP_LEAF:
			op_leaf(&fired);
			break;
		case OP_TEARDOWN:
			heap_close();
			if (heap_open())
				break;
			CHECK(mheap_prim_fail_fired(), "heap_open failed");
			CHECK(mheap_prim_live_allocs() == m.base_allocs,
			      "a failed heap_open left %ld allocations",
			      mheap_prim_live_allocs() - m.base_allocs);
			mheap_prim_fail_nth(0);
			CHECK(heap_open(), "heap_open");
			break;
		}
		mheap_prim_fail_nth(0);
		/* the structures' own invariants (MHEAP_DEBUG, validate.c) */
		CHECK(!mheap_validate(m.heap), "heap invariant broken");
		CHECK(!mheap_client_validate(m.client),
		      "handle table invariant broken");
		check_agree();
	}
	heap_close();
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Test cases of clients and handles, and the random stress test against a
 * reference model; built into mheap_test.ko and into the host tests (see
 * core_test.h).
 */
#include "core_util.h"
#include "../core/gc.h"

CORE_TEST(handle_alloc_close)
{
	struct mheap_object_info info;
	struct test_client t;
	u32 a, b, id;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 10, 1, 5, &a), 0);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 20, 0, 0, &b), 0);
	CORE_EXPECT_EQ(a, 1U);
	CORE_EXPECT_EQ(b, 2U);
	CORE_EXPECT_EQ(mheap_handle_info(t.client, a, &info), 0);
	CORE_EXPECT_EQ(info.size, 10U);
	CORE_EXPECT_EQ(info.cookie, (u64)5);
	CORE_EXPECT_EQ(info.refcnt, 1U);
	CORE_EXPECT_EQ(mheap_handle_close(t.client, a), 0);
	CORE_EXPECT_EQ(mheap_handle_close(t.client, a), -ENOENT);
	CORE_EXPECT_EQ(mheap_handle_info(t.client, a, &info), -ENOENT);
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)1);
	CORE_EXPECT_EQ(mheap_handle_lookup(t.client, b, &id), 0);
	CORE_EXPECT_EQ(t.client->live, 1U);
	test_client_close(&t);
}

/*
 * Undoing an allocation whose handle could not be given out (the ioctl's
 * result could not be written) leaves no trace: statistics, the
 * collector's count, the heap's arenas; the handle value is not reused.
 */
CORE_TEST(handle_unalloc_leaves_no_trace)
{
	struct mheap_stats before;
	struct test_client t;
	u32 count[MHEAP_GENERATIONS], a, b;
	unsigned int spares;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	mheap_gc_get_count(t.heap, count);
	before = test_stats(t.heap);
	spares = mheap_spares(t.heap);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 5000, 3, 9, &a), 0);
	mheap_handle_unalloc(t.client, a, spares);
	CORE_EXPECT_TRUE(test_stats_equal(t.heap, &before));
	CORE_EXPECT_EQ(t.client->live, 0U);
	CORE_EXPECT_EQ(mheap_handle_close(t.client, a), -ENOENT);
	mheap_gc_get_count(t.heap, count);
	CORE_EXPECT_EQ(count[0], 0U);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 8, 0, 0, &b), 0);
	CORE_EXPECT_NE(a, b);
	test_client_close(&t);
}

CORE_TEST(handle_bad_values)
{
	static const u32 bad[] = { 0, 3, 0x80000001, 0xffffffff, 1U << 20,
				   (1U << 20) | 1, MHEAP_MAX_HANDLES + 1 };
	struct mheap_object_info info;
	struct test_client t;
	unsigned int i;
	u32 h, out;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 1, 0, &h), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		CORE_EXPECT_EQ(mheap_handle_lookup(t.client, bad[i], &out), -ENOENT);
		CORE_EXPECT_EQ(mheap_handle_close(t.client, bad[i]), -ENOENT);
		CORE_EXPECT_EQ(mheap_handle_dup(t.client, bad[i], &out), -ENOENT);
		CORE_EXPECT_EQ(mheap_handle_info(t.client, bad[i], &info), -ENOENT);
		CORE_EXPECT_EQ(mheap_handle_set_slot(t.client, bad[i], 0, h),
			       -ENOENT);
		/* target 0 means "empty the slot" */
		CORE_EXPECT_EQ(mheap_handle_set_slot(t.client, h, 0, bad[i]),
			       bad[i] ? -ENOENT : 0);
		CORE_EXPECT_EQ(mheap_handle_get_slot(t.client, bad[i], 0, &out),
			       -ENOENT);
	}
	CORE_EXPECT_EQ(mheap_handle_set_slot(t.client, h, 1, h), -EINVAL);
	CORE_EXPECT_EQ(mheap_handle_get_slot(t.client, h, 1, &out), -EINVAL);
	CORE_EXPECT_EQ(mheap_handle_info(t.client, h, &info), 0);
	CORE_EXPECT_EQ(info.refcnt, 1U);
	CORE_EXPECT_EQ(t.client->live, 1U);
	test_client_close(&t);
}

/*
 * A closed handle's value never names an object again: entries come back
 * oldest first with a new tag, and retire when the tag is used up.
 */
CORE_TEST(handle_values_never_reused)
{
	unsigned int n = MHEAP_HANDLE_TAG_MAX + 3, i, j;
	struct test_client t;
	u32 *seen, h, id;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	seen = core_calloc(n, sizeof(*seen));
	CORE_ASSERT_NOT_NULL(seen);
	for (i = 0; i < n; i++) {
		CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 0, 0, &h), 0);
		CORE_EXPECT_TRUE(h > 0 && h <= 0x7fffffff);
		for (j = 0; j < i; j++)
			if (seen[j] == h)
				break;
		CORE_EXPECT_EQ(j, i);
		seen[i] = h;
		CORE_EXPECT_EQ(mheap_handle_close(t.client, h), 0);
		for (j = 0; j <= i; j++)
			CORE_EXPECT_EQ(mheap_handle_lookup(t.client, seen[j], &id),
				       -ENOENT);
	}
	/* one entry went through every tag and retired; a second took over */
	CORE_EXPECT_EQ(t.client->retired, 1U);
	CORE_EXPECT_EQ(t.client->used, 2U);
	core_free(seen);
	test_client_close(&t);
}

CORE_TEST(handle_dup_and_slots)
{
	struct mheap_object_info info;
	struct test_client t;
	u32 a, b, a2, got;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 8, 2, 0, &a), 0);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 8, 0, 0, &b), 0);
	CORE_ASSERT_EQ(mheap_handle_dup(t.client, a, &a2), 0);
	CORE_EXPECT_NE(a, a2);
	CORE_EXPECT_EQ(mheap_handle_info(t.client, a, &info), 0);
	CORE_EXPECT_EQ(info.refcnt, 2U);
	CORE_EXPECT_EQ(mheap_handle_close(t.client, a), 0);
	CORE_EXPECT_EQ(mheap_handle_info(t.client, a2, &info), 0);
	CORE_EXPECT_EQ(info.refcnt, 1U);
	CORE_EXPECT_EQ(mheap_handle_get_slot(t.client, a2, 0, &got), 0);
	CORE_EXPECT_EQ(got, 0U);
	CORE_EXPECT_EQ(mheap_handle_set_slot(t.client, a2, 0, b), 0);
	CORE_EXPECT_EQ(mheap_handle_close(t.client, b), 0);
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)2);
	CORE_EXPECT_EQ(mheap_handle_get_slot(t.client, a2, 0, &got), 0);
	CORE_EXPECT_NE(got, 0U);
	CORE_EXPECT_EQ(mheap_handle_info(t.client, got, &info), 0);
	CORE_EXPECT_EQ(info.refcnt, 2U);
	CORE_EXPECT_EQ(info.nrefs, 0U);
	/* emptying the slot leaves the new handle's reference only */
	CORE_EXPECT_EQ(mheap_handle_set_slot(t.client, a2, 0, 0), 0);
	CORE_EXPECT_EQ(mheap_handle_info(t.client, got, &info), 0);
	CORE_EXPECT_EQ(info.refcnt, 1U);
	test_client_close(&t);
}

/*
 * Closing a client releases its handles: what they alone kept alive goes,
 * cycles stay until the heap goes, and then nothing is left.
 */
CORE_TEST(client_and_heap_teardown)
{
	struct test_client t;
	u32 a, b, c, solo;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 32, 1, 0, &a), 0);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 32, 1, 0, &b), 0);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 32, 1, 0, &c), 0);
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 9000, 0, 0, &solo), 0);
	CORE_EXPECT_EQ(mheap_handle_set_slot(t.client, a, 0, b), 0);
	CORE_EXPECT_EQ(mheap_handle_set_slot(t.client, b, 0, a), 0);
	CORE_EXPECT_EQ(mheap_handle_set_slot(t.client, c, 0, c), 0);
	mheap_client_destroy(t.client);
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)3);
	test_heap_done(t.heap);
}

CORE_TEST(handle_table_limit)
{
	struct mheap_object_info info;
	struct test_client t;
	u32 h, copy, i;
	int err = 0;

	CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
	CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 0, 0, &h), 0);
	for (i = 1; i < MHEAP_MAX_HANDLES && !err; i++)
		err = mheap_handle_dup(t.client, h, &copy);
	CORE_EXPECT_EQ(err, 0);
	CORE_EXPECT_EQ(t.client->live, MHEAP_MAX_HANDLES);
	CORE_EXPECT_EQ(mheap_handle_dup(t.client, h, &copy), -EMFILE);
	CORE_EXPECT_EQ(mheap_handle_alloc(t.client, 0, 0, 0, &copy), -EMFILE);
	CORE_EXPECT_EQ(mheap_objects_live(t.heap), (u64)1);
	CORE_EXPECT_EQ(mheap_handle_info(t.client, h, &info), 0);
	CORE_EXPECT_EQ(info.refcnt, MHEAP_MAX_HANDLES);
	/* a closed entry can be used again */
	CORE_EXPECT_EQ(mheap_handle_close(t.client, h), 0);
	CORE_EXPECT_EQ(mheap_handle_dup(t.client, copy, &h), 0);
	test_client_close(&t);
}

/*
 * Every allocation failure of every handle operation that allocates
 * returns -ENOMEM and changes nothing: not the heap's statistics, not the
 * client's handles, not any count.
 */
CORE_TEST(handle_ops_every_failure)
{
	long points = 0, nth;
	unsigned int op;

	CORE_REQUIRE_FAULT_INJECTION();
	for (op = 0; op < 3; op++) {
		for (nth = 1;; nth++) {
			struct mheap_stats before;
			struct test_client t;
			u32 a, b, out, live;
			unsigned int i;
			bool fired;
			int err = 0;

			CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M));
			CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 1, 0, &a), 0);
			CORE_ASSERT_EQ(mheap_handle_alloc(t.client, 0, 0, 0, &b), 0);
			CORE_ASSERT_EQ(mheap_handle_set_slot(t.client, a, 0, b), 0);
			/* fill the table so the next handle must grow it */
			for (i = t.client->used; i < t.client->size && !err; i++)
				err = mheap_handle_dup(t.client, b, &out);
			CORE_ASSERT_EQ(err, 0);
			before = test_stats(t.heap);
			live = t.client->live;
			core_fail_nth(nth);
			if (op == 0)
				err = mheap_handle_alloc(t.client, 700, 3, 0, &out);
			else if (op == 1)
				err = mheap_handle_dup(t.client, a, &out);
			else
				err = mheap_handle_get_slot(t.client, a, 0, &out);
			fired = core_fail_fired();
			if (err) {
				points++;
				CORE_EXPECT_EQ(err, -ENOMEM);
				if (!test_stats_equal(t.heap, &before))
					CORE_LOG("op %u nth %ld: stats changed", op, nth);
				CORE_EXPECT_TRUE(test_stats_equal(t.heap, &before));
				CORE_EXPECT_EQ(t.client->live, live);
				CORE_EXPECT_EQ(test_refcnt(t.heap, t.client->table[0].obj),
					       1U);
			}
			test_client_close(&t);
			if (!fired)
				break;
		}
	}
	CORE_EXPECT_TRUE(points >= 3);
	CORE_LOG("%ld allocation failure point(s) exercised", points);
}

/*
 * Random allocations, slot writes, dups and closes, checked after every
 * step against a model that knows every refcount and the live set.
 */
#define STRESS_OBJS	600
#define STRESS_STEPS	1500
#define STRESS_SLOTS	3
#ifdef __KERNEL__
#define STRESS_SEEDS	8
#else
#define STRESS_SEEDS	100
#endif

struct stress_obj {
	u32 id;
	u32 refcnt;
	int nrefs;
	int slots[STRESS_SLOTS];	/* model indices, -1 when empty */
	bool live;
};

struct stress {
	struct stress_obj objs[STRESS_OBJS];
	u32 handles[STRESS_OBJS];	/* open handle values */
	int handle_obj[STRESS_OBJS];	/* their model objects */
	int stack[STRESS_OBJS];
	u32 closed[STRESS_STEPS];	/* closed handle values */
	int nobjs, nhandles, nclosed;
	u64 live;
};

/* Drop a model reference, releasing iteratively as the core does. */
static inline void stress_put(struct stress *s, int o)
{
	int top = 0, i;

	if (--s->objs[o].refcnt)
		return;
	s->stack[top++] = o;
	while (top) {
		struct stress_obj *obj = &s->objs[s->stack[--top]];

		obj->live = false;
		s->live--;
		for (i = 0; i < obj->nrefs; i++) {
			int t = obj->slots[i];

			if (t >= 0 && !--s->objs[t].refcnt)
				s->stack[top++] = t;
		}
	}
}

/* A new handle's value must not be one that was closed. */
static inline int stress_fresh(struct stress *s, u32 value)
{
	int i;

	for (i = 0; i < s->nclosed; i++)
		if (s->closed[i] == value)
			return -EEXIST;
	return 0;
}

static inline int stress_step(struct stress *s, struct mheap_client *c,
			      u64 *rnd)
{
	unsigned int op = core_rand(rnd) % 8;
	int h = s->nhandles ? (int)(core_rand(rnd) % s->nhandles) : -1;
	int o = h >= 0 ? s->handle_obj[h] : -1;
	struct stress_obj *obj;
	int err, i;
	u32 value;

	if (h < 0 || (op < 2 && s->nobjs < STRESS_OBJS)) {
		if (s->nobjs == STRESS_OBJS || s->nhandles == STRESS_OBJS)
			return 0;
		obj = &s->objs[s->nobjs];
		obj->nrefs = core_rand(rnd) % (STRESS_SLOTS + 1);
		err = mheap_handle_alloc(c, core_rand(rnd) % 700, obj->nrefs, 0,
					 &value);
		if (err)
			return err;
		err = mheap_handle_lookup(c, value, &obj->id) ?:
		      stress_fresh(s, value);
		if (err)
			return err;
		for (i = 0; i < STRESS_SLOTS; i++)
			obj->slots[i] = -1;
		obj->refcnt = 1;
		obj->live = true;
		s->live++;
		s->handle_obj[s->nhandles] = s->nobjs++;
		s->handles[s->nhandles++] = value;
		return 0;
	}
	obj = &s->objs[o];
	if (op < 4 && s->nhandles < STRESS_OBJS) {
		err = mheap_handle_dup(c, s->handles[h], &value) ?:
		      stress_fresh(s, value);
		if (err)
			return err;
		obj->refcnt++;
		s->handle_obj[s->nhandles] = o;
		s->handles[s->nhandles++] = value;
	} else if (op < 6) {
		int th = core_rand(rnd) % (s->nhandles + 1);
		int slot = core_rand(rnd) % (STRESS_SLOTS + 1);
		int t = th < s->nhandles ? s->handle_obj[th] : -1;

		err = mheap_handle_set_slot(c, s->handles[h], slot,
					    t >= 0 ? s->handles[th] : 0);
		if (slot >= obj->nrefs)
			return err == -EINVAL ? 0 : -EPROTO;
		if (err)
			return err;
		if (t >= 0)
			s->objs[t].refcnt++;
		if (obj->slots[slot] >= 0)
			stress_put(s, obj->slots[slot]);
		obj->slots[slot] = t;
	} else {
		err = mheap_handle_close(c, s->handles[h]);
		if (err)
			return err;
		if (s->nclosed < STRESS_STEPS)
			s->closed[s->nclosed++] = s->handles[h];
		s->nhandles--;
		s->handles[h] = s->handles[s->nhandles];
		s->handle_obj[h] = s->handle_obj[s->nhandles];
		stress_put(s, o);
	}
	return 0;
}

/* The core agrees with the model: live set, refcounts, handles. */
static inline bool stress_agrees(struct stress *s, struct mheap_client *c)
{
	struct mheap *heap = c->heap;
	u32 id, got;
	int i, j;

	if (mheap_objects_live(heap) != s->live || c->live != (u32)s->nhandles)
		return false;
	for (i = 0; i < s->nobjs; i++) {
		struct stress_obj *obj = &s->objs[i];

		if (!obj->live)
			continue;
		if (test_refcnt(heap, obj->id) != obj->refcnt)
			return false;
		for (j = 0; j < obj->nrefs; j++) {
			if (mheap_object_get_slot(heap, obj->id, j, &got))
				return false;
			if (got != (obj->slots[j] >= 0 ?
				    s->objs[obj->slots[j]].id : 0))
				return false;
		}
	}
	for (i = 0; i < s->nhandles; i++) {
		if (mheap_handle_lookup(c, s->handles[i], &id) ||
		    id != s->objs[s->handle_obj[i]].id)
			return false;
	}
	/* the last handle closed is gone (all of them are checked at the end) */
	if (s->nclosed &&
	    mheap_handle_lookup(c, s->closed[s->nclosed - 1], &id) != -ENOENT)
		return false;
	return true;
}

static inline bool stress_closed_gone(struct stress *s, struct mheap_client *c)
{
	u32 id;
	int i;

	for (i = 0; i < s->nclosed; i++)
		if (mheap_handle_lookup(c, s->closed[i], &id) != -ENOENT)
			return false;
	return true;
}

CORE_TEST(handle_stress_against_model)
{
	struct stress *s = core_calloc(1, sizeof(*s));
	u64 seed;

	CORE_ASSERT_NOT_NULL(s);
	for (seed = 1; seed <= STRESS_SEEDS; seed++) {
		u64 rnd = seed * 0x9e3779b97f4a7c15ULL;
		struct test_client t;
		int step, err = 0;
		bool ok = true;

		memset(s, 0, sizeof(*s));
		CORE_ASSERT_TRUE(test_client_open(&t, SZ_1M * 4));
		for (step = 0; step < STRESS_STEPS && !err && ok; step++) {
			err = stress_step(s, t.client, &rnd);
			ok = stress_agrees(s, t.client);
		}
		ok = ok && stress_closed_gone(s, t.client);
		if (err || !ok)
			CORE_LOG("seed %llu: step %d: err %d, model %s",
				 (unsigned long long)seed, step, err,
				 ok ? "agrees" : "disagrees");
		CORE_EXPECT_EQ(err, 0);
		CORE_EXPECT_TRUE(ok);
		test_client_close(&t);
	}
	core_free(s);
}

#ifdef __KERNEL__
/*
 * The KUnit suite: the cases above, in order (the host build registers
 * them itself; tests/lint.sh checks that the two agree).
 */
static struct kunit_case mheap_handle_cases[] = {
	KUNIT_CASE(handle_alloc_close),
	KUNIT_CASE(handle_unalloc_leaves_no_trace),
	KUNIT_CASE(handle_bad_values),
	KUNIT_CASE(handle_values_never_reused),
	KUNIT_CASE(handle_dup_and_slots),
	KUNIT_CASE(client_and_heap_teardown),
	KUNIT_CASE_SLOW(handle_table_limit),
	KUNIT_CASE(handle_ops_every_failure),
	KUNIT_CASE_SLOW(handle_stress_against_model),
	{}
};

static struct kunit_suite mheap_handle_suite = {
	.name = "mheap_handle",
	.test_cases = mheap_handle_cases,
};
#endif

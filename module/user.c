// SPDX-License-Identifier: GPL-2.0
/*
 * Heaps per user: each open of /dev/mheap creates a heap, charged to the
 * opener's effective uid until its last client closes. A user may hold
 * mheap_max_heaps_per_user heaps at a time (module parameter
 * max_heaps_per_user), root included, as with inotify's
 * max_user_instances; one more open gets -EMFILE.
 *
 * A user with heaps has a counter in a small hash table, created at its
 * first heap and freed with its last, so the table holds no more entries
 * than there are heaps.
 */
#include <kunit/visibility.h>
#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "core/prim.h"
#include "user.h"

/**
 * struct mheap_user - the heaps one user holds
 * @node: in mheap_users, keyed by @uid. L: mheap_users_lock
 * @uid: the user (global uid).
 * @heaps: heaps charged to @uid, at least 1. L: mheap_users_lock
 */
struct mheap_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int heaps;
};

unsigned int mheap_max_heaps_per_user = MHEAP_MAX_HEAPS_PER_USER_DEFAULT;
EXPORT_SYMBOL_IF_KUNIT(mheap_max_heaps_per_user);

static DEFINE_HASHTABLE(mheap_users, 6);
static DEFINE_MUTEX(mheap_users_lock);
static unsigned int mheap_users_count;	/* entries; L: mheap_users_lock */

static struct mheap_user *user_find(kuid_t uid)
{
	struct mheap_user *user;

	lockdep_assert_held(&mheap_users_lock);
	hash_for_each_possible(mheap_users, user, node, __kuid_val(uid))
		if (uid_eq(user->uid, uid))
			return user;
	return NULL;
}

/**
 * mheap_user_charge() - count one more heap against a user
 * @uid: the user, normally current_euid().
 *
 * Context: process context; may sleep.
 * Return: the user's entry, to pass to mheap_user_uncharge() when the heap
 * goes; ERR_PTR(-EMFILE) when @uid already holds mheap_max_heaps_per_user
 * heaps, ERR_PTR(-ENOMEM) when its first entry cannot be allocated.
 */
struct mheap_user *mheap_user_charge(kuid_t uid)
{
	unsigned int max = READ_ONCE(mheap_max_heaps_per_user);
	struct mheap_user *user;

	mutex_lock(&mheap_users_lock);
	user = user_find(uid);
	if (user && user->heaps >= max) {
		trace_mheap_limit(0, MHEAP_LIMIT_HEAPS_PER_USER, max);
		user = ERR_PTR(-EMFILE);
	} else if (user) {
		user->heaps++;
	} else if (!max) {
		trace_mheap_limit(0, MHEAP_LIMIT_HEAPS_PER_USER, max);
		user = ERR_PTR(-EMFILE);
	} else {
		/* shared by all the user's heaps: not charged to one cgroup */
		user = kzalloc(sizeof(*user), GFP_KERNEL | __GFP_NOWARN);
		if (user) {
			user->uid = uid;
			user->heaps = 1;
			hash_add(mheap_users, &user->node, __kuid_val(uid));
			WRITE_ONCE(mheap_users_count, mheap_users_count + 1);
		} else {
			user = ERR_PTR(-ENOMEM);
		}
	}
	mutex_unlock(&mheap_users_lock);
	return user;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_user_charge);

/**
 * mheap_user_uncharge() - a heap charged by mheap_user_charge() is gone
 * @user: what mheap_user_charge() returned.
 *
 * Context: process context; may sleep.
 */
void mheap_user_uncharge(struct mheap_user *user)
{
	mutex_lock(&mheap_users_lock);
	if (!--user->heaps) {
		hash_del(&user->node);
		WRITE_ONCE(mheap_users_count, mheap_users_count - 1);
		kfree(user);
	}
	mutex_unlock(&mheap_users_lock);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_user_uncharge);

/**
 * mheap_user_uid() - the user a heap is charged to
 * @user: what mheap_user_charge() returned.
 *
 * Context: any, while the heap exists.
 * Return: the uid.
 */
kuid_t mheap_user_uid(const struct mheap_user *user)
{
	return user->uid;
}

/**
 * mheap_user_count() - how many users hold heaps
 *
 * Context: any.
 * Return: the number, as of some moment during the call.
 */
unsigned int mheap_user_count(void)
{
	return READ_ONCE(mheap_users_count);
}

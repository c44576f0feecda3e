/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MHEAP_USER_H
#define MHEAP_USER_H

#include <linux/uidgid.h>

/* Default of mheap_max_heaps_per_user (module parameter max_heaps_per_user) */
#define MHEAP_MAX_HEAPS_PER_USER_DEFAULT	128

struct mheap_user;

extern unsigned int mheap_max_heaps_per_user;

struct mheap_user *mheap_user_charge(kuid_t uid);
void mheap_user_uncharge(struct mheap_user *user);
kuid_t mheap_user_uid(const struct mheap_user *user);
unsigned int mheap_user_count(void);

#endif /* MHEAP_USER_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Debug-level validators of the core's written invariants (validate.c),
 * built with MHEAP_DEBUG (the host tests, the fuzzer and the debug VM's
 * module); without it they compile to nothing and return 0.
 */
#ifndef MHEAP_VALIDATE_H
#define MHEAP_VALIDATE_H

struct mheap;
struct mheap_client;

/*
 * mheap_validate_amortized() walks the heap when the unlocks since its last
 * walk, times this, reach the walk's size (live objects, plus the pages of
 * the arenas in use).
 */
#define MHEAP_VALIDATE_RATIO	64

#ifdef MHEAP_DEBUG
int mheap_validate(struct mheap *heap);
int mheap_validate_amortized(struct mheap *heap);
int mheap_client_validate(const struct mheap_client *client);
#else
static inline int mheap_validate(struct mheap *heap __always_unused)
{
	return 0;
}

static inline int mheap_validate_amortized(struct mheap *heap __always_unused)
{
	return 0;
}

static inline int
mheap_client_validate(const struct mheap_client *client __always_unused)
{
	return 0;
}
#endif

#endif /* MHEAP_VALIDATE_H */

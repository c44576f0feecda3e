/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MHEAP_DEV_H
#define MHEAP_DEV_H

#include <linux/compiler.h>
#include <linux/kconfig.h>

struct mheap_ioc_ctx;

int mheap_dev_register(size_t heap_capacity, size_t heap_capacity_max);
void mheap_dev_unregister(void);

#if IS_ENABLED(CONFIG_KUNIT)
/* Handlers, exported to the KUnit module (EXPORT_SYMBOL_IF_KUNIT). */
long mheap_ioc_version(struct mheap_ioc_ctx *ctx, void *arg);
#endif

#endif /* MHEAP_DEV_H */

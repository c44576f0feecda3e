/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels mheap builds against (Debian's 6.1 and
 * 6.12, and the 6.12 debug kernel), kept in one place instead of #ifs in
 * the code.
 */
#ifndef MHEAP_COMPAT_H
#define MHEAP_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#include <kunit/visibility.h>
#else
/* 6.1 has no kunit/visibility.h; nothing there runs KUnit against us. */
#define VISIBLE_IF_KUNIT static
#define EXPORT_SYMBOL_IF_KUNIT(symbol)
#endif

#endif /* MHEAP_COMPAT_H */

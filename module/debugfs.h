/* SPDX-License-Identifier: GPL-2.0 */
/* debugfs: /sys/kernel/debug/mheap/<id>/ (see debugfs.c). */
#ifndef MHEAP_DEBUGFS_H
#define MHEAP_DEBUGFS_H

/* Default of mheap_debugfs_max_objects (module parameter) */
#define MHEAP_DEBUGFS_MAX_OBJECTS_DEFAULT	1000

struct mheap_instance;

extern unsigned int mheap_debugfs_max_objects;

void mheap_debugfs_heap_add(struct mheap_instance *inst);
void mheap_debugfs_heap_remove(struct mheap_instance *inst);
void mheap_debugfs_init(void);
void mheap_debugfs_exit(void);

#endif /* MHEAP_DEBUGFS_H */

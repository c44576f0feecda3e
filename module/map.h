/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The payload mapping (map.c; uapi: "The payload mapping").
 */
#ifndef MHEAP_MAP_H
#define MHEAP_MAP_H

#include "device.h"

struct vm_area_struct;

int mheap_map_init(struct mheap_instance *inst);
void mheap_map_fini(struct mheap_instance *inst);
int mheap_map_mmap(struct mheap_file *f, struct vm_area_struct *vma);

#endif /* MHEAP_MAP_H */

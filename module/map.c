// SPDX-License-Identifier: GPL-2.0
/*
 * The payload mapping: mmap() of a client maps its heap's payload space,
 * arena n at n << MHEAP_MAP_SHIFT (uapi: "The payload mapping").
 *
 * Pages are inserted one at a time by the fault handler, under the heap
 * lock, as special entries (vmf_insert_mixed() with VM_MIXEDMAP): the
 * mapping takes no reference on them and charges nobody; they stay the
 * arena's vmalloc pages, charged once when the arena was allocated. So
 * before an arena is freed every mapping of it must go: the heap calls
 * the unmap hook (struct mheap) with its lock held, and the hook zaps the
 * range in every mapping of the heap. To find them all, every client file
 * of a heap shares one address space, that of an inode made for the heap
 * (@map_inode), as DRM does with its anonymous inode. A fault after the
 * zap finds no arena and gets SIGBUS.
 *
 * Locking: a fault takes the heap lock inside the mmap lock; the zap takes
 * the address space's i_mmap lock inside the heap lock. Nothing takes the
 * heap lock inside either of those, and no call takes a page fault with
 * the heap lock held (results are written under it with page faults
 * disabled, device.h), so a user buffer inside the mapping cannot
 * deadlock.
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/mheap.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pfn_t.h>
#include <linux/pseudo_fs.h>

#include "map.h"
#include "core/heap.h"

static_assert(MHEAP_PAGE_SIZE == PAGE_SIZE);

static vm_fault_t map_fault(struct vm_fault *vmf)
{
	struct mheap_instance *inst = vmf->vma->vm_private_data;
	struct mheap *heap = inst->heap;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	void *page;

	mheap_lock(heap);
	page = mheap_payload_page(heap, (u64)vmf->pgoff << PAGE_SHIFT);
	if (page)
		ret = vmf_insert_mixed(vmf->vma, vmf->address,
				       pfn_to_pfn_t(vmalloc_to_pfn(page)));
	mheap_unlock(heap);
	return ret;
}

static const struct vm_operations_struct map_vm_ops = {
	.fault = map_fault,
};

/* The heap's unmap hook: heap->lock held. */
static void map_unmap(struct mheap *heap, u64 offset, u64 len)
{
	struct mheap_instance *inst = heap->unmap_data;

	unmap_mapping_range(inst->mapping, offset, len, 1);
}

/*
 * Each heap's address space is that of an inode of this pseudo file system
 * (as DRM makes its anonymous inodes), mounted while some heap exists.
 * No owner: the mount pins nothing (the heaps' files pin the module), and
 * its last put, which may come after the module's release() returned,
 * runs none of the module's code.
 */
#define MHEAP_MAP_MAGIC	0x6d686d70	/* "mhmp" */

static int map_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, MHEAP_MAP_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type map_fs_type = {
	.name = "mheap_map",
	.init_fs_context = map_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

static struct vfsmount *map_mnt;
static int map_mnt_count;

/**
 * mheap_map_init() - give a new heap its payload mapping's address space
 * @inst: what the heap's clients will share, with @inst->heap set.
 *
 * Context: process context; may sleep.
 * Return: 0, or a negative errno (-ENOMEM).
 */
int mheap_map_init(struct mheap_instance *inst)
{
	struct inode *inode;
	int err;

	err = simple_pin_fs(&map_fs_type, &map_mnt, &map_mnt_count);
	if (err)
		return err;
	inode = alloc_anon_inode(map_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		simple_release_fs(&map_mnt, &map_mnt_count);
		return PTR_ERR(inode);
	}
	inst->map_inode = inode;
	inst->mapping = inode->i_mapping;
	inst->heap->unmap = map_unmap;
	inst->heap->unmap_data = inst;
	return 0;
}

/**
 * mheap_map_fini() - drop what mheap_map_init() made
 * @inst: the heap's shared part; no client file is left, so no mapping.
 *
 * Context: process context.
 */
void mheap_map_fini(struct mheap_instance *inst)
{
	if (!inst->map_inode)
		return;
	iput(inst->map_inode);
	simple_release_fs(&map_mnt, &map_mnt_count);
}

/**
 * mheap_map_mmap() - mmap() of a client
 * @f: the client.
 * @vma: the new mapping.
 *
 * Context: process context, mmap lock held for writing.
 * Return: 0; -EINVAL for a private mapping or one beyond MHEAP_MAP_MAX.
 */
int mheap_map_mmap(struct mheap_file *f, struct vm_area_struct *vma)
{
	unsigned long max = MHEAP_MAP_MAX >> PAGE_SHIFT;

	/* MAP_SHARED (of a read-only file, VM_SHARED is off, and so is write) */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	/* the VFS refuses these for a read-only file already; a second lock */
	if (!f->writable && vma->vm_flags & (VM_WRITE | VM_MAYWRITE))
		return -EACCES;
	if (vma->vm_pgoff > max || vma_pages(vma) > max - vma->vm_pgoff)
		return -EINVAL;
#ifdef MHEAP_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP);
#else	/* before 6.3 */
	vma->vm_flags |= VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP;
#endif
	vma->vm_ops = &map_vm_ops;
	vma->vm_private_data = f->inst;
	/* guard mode: payload guards are the user's to overwrite from now */
	if (vma->vm_flags & VM_MAYWRITE) {
		mheap_lock(f->inst->heap);
		f->inst->heap->mapped = true;
		mheap_unlock(f->inst->heap);
	}
	return 0;
}

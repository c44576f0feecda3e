// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mheap: the misc device, its file operations, and the lifecycle of a
 * heap (struct mheap_instance) and of its clients (struct mheap_file).
 *
 * Each open() creates a private heap and its first client (a handle
 * table). MHEAP_IOC_NEW_CLIENT adds clients of the same heap as anonymous
 * files (mheap_device_new_file()); the heap is destroyed when its last
 * client's file is released, or when open() fails half-way, in one place:
 * instance_destroy(). The ioctls are in ioctl.c, the operations of a batch
 * in batch.c.
 */
#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mheap.h>

#include "debugfs.h"
#include "device.h"
#include "events.h"
#include "core/handle.h"
#include "ioctl.h"
#include "map.h"
#include "user.h"

static size_t mheap_capacity;
static size_t mheap_capacity_max;

static const struct file_operations mheap_fops;

/* A new client of @inst: the file's state. ERR_PTR(-ENOMEM or -EINTR). */
static struct mheap_file *file_create(struct mheap_instance *inst,
				      bool writable, bool readable)
{
	struct mheap_file *f = kzalloc(sizeof(*f), MHEAP_PRIM_GFP);

	if (!f)
		return ERR_PTR(-ENOMEM);
	f->client = mheap_client_create(inst->heap);
	if (!f->client) {
		kfree(f);
		return ERR_PTR(-ENOMEM);
	}
	f->inst = inst;
	f->writable = writable;
	f->readable = readable;
	mheap_events_file_init(f);
	if (mheap_lock_killable(inst->heap)) {
		/* the empty table's teardown needs the lock all the same */
		mheap_lock(inst->heap);
		mheap_client_destroy(f->client);
		mheap_unlock(inst->heap);
		kfree(f);
		return ERR_PTR(-EINTR);
	}
	inst->clients++;
	mheap_unlock(inst->heap);
	return f;
}

/*
 * The one teardown of a heap instance, for the last close and for an
 * open() that failed half-way alike: each step undoes one of
 * instance_create()'s and copes with one that never ran. The sysfs and
 * debugfs directories go first (waiting for their readers), the instance's
 * memory last, with its kobject.
 */
static void instance_destroy(struct mheap_instance *inst)
{
	mheap_sysfs_heap_remove(inst);
	mheap_debugfs_heap_remove(inst);
	if (inst->exports) {
		mheap_lock(inst->heap);
		mheap_client_destroy(inst->exports);
		mheap_unlock(inst->heap);
	}
	mheap_destroy(inst->heap);
	mheap_map_fini(inst);
	mheap_user_uncharge(inst->user);
	kobject_put(&inst->kobj);
}

/*
 * A new heap instance, charged to the caller's euid: its heap, events,
 * mapping, export table, sysfs and debugfs directories.
 * Returns it, or ERR_PTR(-EMFILE, -ENOMEM or the mapping's errno).
 */
static struct mheap_instance *instance_create(void)
{
	struct mheap_instance *inst;
	struct mheap_user *user;
	int err;

	user = mheap_user_charge(current_euid());
	if (IS_ERR(user))
		return ERR_CAST(user);
	inst = kzalloc(sizeof(*inst), MHEAP_PRIM_GFP);
	if (!inst) {
		mheap_user_uncharge(user);
		return ERR_PTR(-ENOMEM);
	}
	mheap_sysfs_heap_init(inst);
	inst->user = user;
	err = -ENOMEM;
	inst->heap = mheap_create(mheap_capacity, mheap_capacity_max);
	if (!inst->heap)
		goto fail;
	mheap_events_init(inst);
	err = mheap_map_init(inst);
	if (err)
		goto fail;
	err = -ENOMEM;
	inst->exports = mheap_client_create(inst->heap);
	if (!inst->exports)
		goto fail;
	err = mheap_sysfs_heap_add(inst);
	if (err)
		goto fail;
	mheap_debugfs_heap_add(inst);
	return inst;
fail:
	instance_destroy(inst);
	return ERR_PTR(err);
}

static void file_destroy(struct mheap_file *f)
{
	struct mheap_instance *inst = f->inst;
	struct mheap *heap = inst->heap;
	bool last;

	mheap_events_release(f);
	mheap_lock(heap);
	mheap_client_destroy(f->client);
	last = !--inst->clients;
	mheap_unlock(heap);
	kfree(f);
	if (last)
		instance_destroy(inst);
}

static long dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return mheap_ioctl_dispatch(file->private_data, cmd,
				    (void __user *)arg);
}

static int dev_open(struct inode *inode, struct file *file)
{
	struct mheap_instance *inst;
	struct mheap_file *f;

	inst = instance_create();
	if (IS_ERR(inst))
		return PTR_ERR(inst);
	f = file_create(inst, file->f_mode & FMODE_WRITE,
			file->f_mode & FMODE_READ);
	if (IS_ERR(f)) {
		instance_destroy(inst);
		return PTR_ERR(f);
	}
	file->private_data = f;
	file->f_mapping = inst->mapping;
	return nonseekable_open(inode, file);
}

static ssize_t dev_read(struct file *file, char __user *buf, size_t len,
			loff_t *ppos)
{
	return mheap_events_read(file->private_data, buf, len,
				 file->f_flags & O_NONBLOCK);
}

static __poll_t dev_poll(struct file *file, poll_table *wait)
{
	return mheap_events_poll(file->private_data, file, wait);
}

static int dev_mmap(struct file *file, struct vm_area_struct *vma)
{
	return mheap_map_mmap(file->private_data, vma);
}

static int dev_release(struct inode *inode, struct file *file)
{
	file_destroy(file->private_data);
	return 0;
}

static const struct file_operations mheap_fops = {
	.owner		= THIS_MODULE,
	.open		= dev_open,
	.release	= dev_release,
	.read		= dev_read,
	.poll		= dev_poll,
	.mmap		= dev_mmap,
	.unlocked_ioctl	= dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/**
 * mheap_device_new_file() - a new client of a heap, as an anonymous file
 * @inst: the heap.
 * @writable: opened for writing; else read-only.
 * @readable: open for reading (mapping, read(2)). Without it the file has
 *	neither FMODE_READ nor FMODE_CAN_READ, as one opened O_WRONLY, or,
 *	read-only as well, with neither right: ioctls only.
 * @filep: set to the new file, not yet installed at any descriptor.
 *
 * For MHEAP_IOC_NEW_CLIENT, which installs the file only once its result
 * is written, and fput()s it otherwise.
 *
 * Context: process context; heap->lock not held; may sleep.
 * Return: 0, -ENOMEM, -EINTR, or the errno of anon_inode_getfile().
 */
int mheap_device_new_file(struct mheap_instance *inst, bool writable,
			  bool readable, struct file **filep)
{
	struct mheap_file *f = file_create(inst, writable, readable);
	struct file *file;

	if (IS_ERR(f))
		return PTR_ERR(f);
	file = anon_inode_getfile("[mheap]", &mheap_fops, f,
				  writable ? O_RDWR : O_RDONLY);
	if (IS_ERR(file)) {
		file_destroy(f);
		return PTR_ERR(file);
	}
	file->f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE);
	if (!readable)
		file->f_mode &= ~(FMODE_READ | FMODE_CAN_READ);
	file->f_mapping = inst->mapping;
	*filep = file;
	return 0;
}

/**
 * mheap_device_capacity() - the capacities heaps are created with
 * @capacity: set to a new heap's capacity in bytes (heap_capacity).
 * @capacity_max: set to the most a heap's capacity may be raised to.
 *
 * Context: any; set once at module init.
 */
void mheap_device_capacity(size_t *capacity, size_t *capacity_max)
{
	*capacity = mheap_capacity;
	*capacity_max = mheap_capacity_max;
}

static struct miscdevice mheap_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= MHEAP_DEVICE_NAME,
	.fops	= &mheap_fops,
	.groups	= mheap_dev_groups,
};

/**
 * mheap_dev_register() - create /dev/mheap
 * @heap_capacity: capacity in bytes of every heap opened from now on.
 * @heap_capacity_max: the most a heap's capacity may be raised to.
 *
 * The device node's owner and mode are left to udev (the shipped rule
 * gives group mheap, mode 0660); the kernel default is root, 0600.
 *
 * Context: module init; the capacities are valid (mheap_capacity_valid()).
 * Return: 0, or the negative errno of misc_register(), or -ENOMEM for
 * the heaps' sysfs directory.
 */
int mheap_dev_register(size_t heap_capacity, size_t heap_capacity_max)
{
	int err;

	mheap_capacity = heap_capacity;
	mheap_capacity_max = heap_capacity_max;
	err = misc_register(&mheap_misc);
	if (err)
		return err;
	err = mheap_sysfs_init(mheap_misc.this_device);
	if (err)
		misc_deregister(&mheap_misc);
	return err;
}

/**
 * mheap_dev_unregister() - remove /dev/mheap
 *
 * Open files keep the module (fops.owner) and so their heaps alive; this is
 * called only once the last of them is closed.
 *
 * Context: module exit.
 */
void mheap_dev_unregister(void)
{
	mheap_sysfs_exit();
	misc_deregister(&mheap_misc);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mheap: the misc device, its file operations and ioctl dispatch.
 *
 * Each open() creates a private heap and its first client (a handle
 * table), both owned by the file; release() destroys them. Every ioctl
 * goes through mheap_ioctl(), which checks the encoding against a table,
 * copies the argument in with copy_struct_from_user() (older and newer
 * callers alike), runs the handler on a kernel copy and copies the result
 * out; handlers never touch user memory themselves.
 */
#include <kunit/visibility.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>
#include <linux/mheap.h>

#include "dev.h"
#include "handle.h"

/* Optional features this build supports; see struct mheap_version. */
#define MHEAP_FEATURES	0ULL

static size_t mheap_capacity;
static size_t mheap_capacity_max;

/* The kernel copy of any ioctl argument: large enough for each of them. */
union mheap_ioc_arg {
	struct mheap_version version;
};

/*
 * One ioctl. _IOC_SIZE(cmd) is the size of the structure this module knows;
 * callers may pass any size from min_size (the first published one) up.
 */
struct mheap_ioc_desc {
	unsigned int cmd;
	size_t min_size;
	long (*fn)(struct mheap_client *client, void *arg);
};

/**
 * mheap_ioc_version() - MHEAP_IOC_VERSION: report version and features
 * @client: the caller's client (unused).
 * @arg: a struct mheap_version, already copied from userspace.
 *
 * Context: process context.
 * Return: 0, or -EINVAL when flags are set.
 */
VISIBLE_IF_KUNIT
long mheap_ioc_version(struct mheap_client *client, void *arg)
{
	struct mheap_version *v = arg;

	if (v->flags)
		return -EINVAL;
	v->version = MHEAP_UAPI_VERSION;
	v->features = MHEAP_FEATURES;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_ioc_version);

static const struct mheap_ioc_desc mheap_ioctls[] = {
	[_IOC_NR(MHEAP_IOC_VERSION)] = {
		.cmd = MHEAP_IOC_VERSION,
		.min_size = MHEAP_VERSION_SIZE_VER0,
		.fn = mheap_ioc_version,
	},
};

static_assert(sizeof(struct mheap_version) >= MHEAP_VERSION_SIZE_VER0);

static const struct mheap_ioc_desc *mheap_ioc_lookup(unsigned int cmd)
{
	unsigned int nr = _IOC_NR(cmd);
	const struct mheap_ioc_desc *desc;

	if (_IOC_TYPE(cmd) != MHEAP_IOC_MAGIC || nr >= ARRAY_SIZE(mheap_ioctls))
		return NULL;
	desc = &mheap_ioctls[array_index_nospec(nr, ARRAY_SIZE(mheap_ioctls))];
	if (!desc->fn || _IOC_DIR(cmd) != _IOC_DIR(desc->cmd))
		return NULL;
	return desc;
}

static long mheap_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	const struct mheap_ioc_desc *desc = mheap_ioc_lookup(cmd);
	void __user *uarg = (void __user *)arg;
	size_t usize = _IOC_SIZE(cmd), ksize;
	union mheap_ioc_arg karg;
	long ret;

	if (!desc)
		return -ENOTTY;
	if (usize < desc->min_size)
		return -EINVAL;
	ksize = _IOC_SIZE(desc->cmd);
	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		ret = copy_struct_from_user(&karg, ksize, uarg, usize);
		if (ret)
			return ret;
	} else {
		memset(&karg, 0, sizeof(karg));
	}
	ret = desc->fn(file->private_data, &karg);
	if (ret)
		return ret;
	if ((_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, &karg, min(usize, ksize)))
		return -EFAULT;
	return 0;
}

static int mheap_open(struct inode *inode, struct file *file)
{
	struct mheap_client *client;
	struct mheap *heap;

	heap = mheap_heap_create(mheap_capacity, mheap_capacity_max);
	if (!heap)
		return -ENOMEM;
	client = mheap_client_create(heap);
	if (!client) {
		mheap_heap_destroy(heap);
		return -ENOMEM;
	}
	file->private_data = client;
	return nonseekable_open(inode, file);
}

static int mheap_release(struct inode *inode, struct file *file)
{
	struct mheap_client *client = file->private_data;
	struct mheap *heap = client->heap;

	mheap_heap_lock(heap);
	mheap_client_destroy(client);
	mheap_heap_unlock(heap);
	mheap_heap_destroy(heap);
	return 0;
}

static const struct file_operations mheap_fops = {
	.owner		= THIS_MODULE,
	.open		= mheap_open,
	.release	= mheap_release,
	.unlocked_ioctl	= mheap_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice mheap_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= MHEAP_DEVICE_NAME,
	.fops	= &mheap_fops,
};

/**
 * mheap_dev_register() - create /dev/mheap
 * @heap_capacity: capacity in bytes of every heap opened from now on.
 * @heap_capacity_max: the most a heap's capacity may be raised to.
 *
 * Context: module init; the capacities are valid (mheap_capacity_valid()).
 * Return: 0, or the negative errno of misc_register().
 */
int mheap_dev_register(size_t heap_capacity, size_t heap_capacity_max)
{
	mheap_capacity = heap_capacity;
	mheap_capacity_max = heap_capacity_max;
	return misc_register(&mheap_misc);
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
	misc_deregister(&mheap_misc);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mheapctl: command-line front end to /dev/mheap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmheap.h"

static const char *device(void)
{
	const char *path = getenv("MHEAP_DEVICE");

	return path && *path ? path : MHEAP_DEFAULT_DEVICE;
}

static int open_heap(void)
{
	int fd = mheap_open(device());

	if (fd < 0)
		fprintf(stderr, "mheapctl: cannot open %s: %s\n", device(),
			strerror(-fd));
	return fd;
}

static int print_version(int fd)
{
	uint32_t version;
	uint64_t features;
	int err = mheap_get_version(fd, &version, &features);

	if (err) {
		fprintf(stderr, "mheapctl: version: %s\n", strerror(-err));
		return 1;
	}
	printf("mheap uapi version %u, features 0x%llx\n", version,
	       (unsigned long long)features);
	return 0;
}

static int cmd_version(void)
{
	int fd = open_heap(), ret;

	if (fd < 0)
		return 1;
	ret = print_version(fd);
	mheap_close(fd);
	return ret;
}

static int cmd_demo(void)
{
	int fd, err;

	printf("opening %s: every open creates a new, private heap\n",
	       device());
	fd = open_heap();
	if (fd < 0)
		return 1;
	printf("heap open on fd %d\n", fd);
	if (print_version(fd)) {
		mheap_close(fd);
		return 1;
	}
	err = mheap_close(fd);
	if (err) {
		fprintf(stderr, "mheapctl: close: %s\n", strerror(-err));
		return 1;
	}
	printf("heap closed: it and everything in it is gone\n");
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mheapctl COMMAND\n"
		"  demo      open a heap, show the module's version, close it\n"
		"  version   print the uapi version and feature mask\n"
		"The device is $MHEAP_DEVICE, or %s.\n", MHEAP_DEFAULT_DEVICE);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "demo"))
		return cmd_demo();
	if (argc == 2 && !strcmp(argv[1], "version"))
		return cmd_version();
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}

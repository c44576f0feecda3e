// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the snapshot parser (userspace/tools/snapshot.c):
 * any input is parsed; a rejected one must say why in one line that names
 * a byte offset, and an accepted one must hold only what the format
 * allows, which walking every array under ASan checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

static void walk(const struct snapshot *s)
{
	uint64_t k, e, live = 0;

	for (k = 0; k < s->objects; k++) {
		if (s->start[k + 1] - s->start[k] != s->nedges[k])
			abort();
		for (e = s->start[k]; e < s->start[k + 1]; e++)
			if (s->edge[e] >= s->objects)
				abort();
		live += s->ext[k] != 0;
	}
	for (k = 0; k < s->garbage; k++)
		if (s->garbage_ids[k] >= s->objects ||
		    (k && s->garbage_ids[k] <= s->garbage_ids[k - 1]) ||
		    s->ext[s->garbage_ids[k]])
			abort();
	if (s->start[s->objects] != s->edges || live > s->objects)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t *buf = malloc(size + 4);
	struct snapshot s;
	char err[256];

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (snapshot_parse(buf, size, &s, err, sizeof(err)) == 0) {
		walk(&s);
		snapshot_free(&s);
	} else if (strncmp(err, "byte ", 5) && strncmp(err, "out of memory", 13)) {
		fprintf(stderr, "snapshot_fuzz: error without an offset: %s\n",
			err);
		abort();
	}
	free(buf);
	return 0;
}

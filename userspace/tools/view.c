// SPDX-License-Identifier: GPL-2.0
/*
 * mheapctl's views of the whole module, read from the files the module
 * publishes (Documentation/admin-guide.rst), not through a heap of its own:
 *
 *   /sys/class/misc/mheap/stats/NAME       module totals, world-readable;
 *   /sys/module/mheap/parameters/NAME      the module parameters;
 *   /sys/class/misc/mheap/heaps/<id>/NAME  each heap (root only): one
 *                                          number per file;
 *   /sys/class/misc/mheap/heaps/<id>/gc/   its collector: one number per
 *                                          file, or one per generation.
 *
 * All of it sysfs, the module's ABI (Documentation/ABI/testing/
 * sysfs-class-misc-mheap); never debugfs, which is no ABI. The files are
 * read generically, so that a figure the module adds shows up in the JSON
 * without a change here.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "view.h"

#define SYSFS_STATS	"/sys/class/misc/mheap/stats"
#define PARAMS		"/sys/module/mheap/parameters"
#define HEAPS		"/sys/class/misc/mheap/heaps"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_KEYS	48
#define MAX_COLS	12
#define MAX_ROWS	4
#define KEY_LEN		32

/* A parsed file: "key value" pairs, then an optional table. */
struct table {
	int nkeys;
	char keys[MAX_KEYS][KEY_LEN];
	unsigned long long vals[MAX_KEYS];
	int ncols;
	char cols[MAX_COLS][KEY_LEN];
	int nrows;
	unsigned long long rows[MAX_ROWS][MAX_COLS];
};

struct heap_view {
	long id;
	struct table stats;
	struct table gc;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add file @name of @dir to @t: one number a key, several a column. */
static int read_entry(const char *dir, const char *name, struct table *t)
{
	char path[512], line[512], *p, *end;
	unsigned long long v[MAX_ROWS];
	int n = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	p = fgets(line, sizeof(line), f);
	i = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!p)
		return i ? i : -EIO;
	while (n < MAX_ROWS) {
		v[n] = strtoull(p, &end, 0);
		if (end == p)
			break;
		n++;
		p = end;
	}
	if (n == 1 && t->nkeys < MAX_KEYS) {
		snprintf(t->keys[t->nkeys], KEY_LEN, "%s", name);
		t->vals[t->nkeys++] = v[0];
	} else if (n > 1 && t->ncols < MAX_COLS) {
		snprintf(t->cols[t->ncols], KEY_LEN, "%s", name);
		for (i = 0; i < n; i++)
			t->rows[i][t->ncols] = v[i];
		t->nrows = n;
		t->ncols++;
	}
	return 0;
}

/*
 * Parse the files of sysfs directory @dir into @t, in name order; with
 * @gens, start the table with a "gen" column (0, 1, 2). 0 or a negative
 * errno (-EACCES for a user who may not read them).
 */
static int read_dir(const char *dir, struct table *t, int gens)
{
	char *names[MAX_KEYS + MAX_COLS];
	struct dirent *de;
	int n = 0, i, err = 0;
	DIR *d;

	memset(t, 0, sizeof(*t));
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < (int)N(names)) {
		if (de->d_type != DT_REG)
			continue;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_name);
	if (gens) {
		snprintf(t->cols[0], KEY_LEN, "gen");
		for (i = 0; i < MAX_ROWS; i++)
			t->rows[i][0] = i;
		t->ncols = 1;
	}
	for (i = 0; i < n; i++) {
		if (!err)
			err = read_entry(dir, names[i], t);
		free(names[i]);
	}
	if (!t->nrows)
		t->ncols = 0;	/* no per-generation file: no "gen" column */
	return err;
}

static unsigned long long get(const struct table *t, const char *key)
{
	int i;

	for (i = 0; i < t->nkeys; i++)
		if (!strcmp(t->keys[i], key))
			return t->vals[i];
	return 0;
}

static unsigned long long cell(const struct table *t, int row,
			       const char *col)
{
	int i;

	for (i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i], col))
			return row < t->nrows ? t->rows[row][i] : 0;
	return 0;
}

/* One number from a one-value file such as a sysfs attribute, or -1. */
static long long read_value(const char *dir, const char *name)
{
	char path[256], buf[64];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtoll(buf, NULL, 0);
	fclose(f);
	return v;
}

static const char *const module_stats[] = {
	"heaps", "users", "arena_bytes", "collections", "collected",
};
static const char *const module_params[] = {
	"heap_capacity", "heap_capacity_max", "total_capacity",
	"max_heaps_per_user", "max_spare_arenas", "spare_decay_ms",
	"debugfs_max_objects",
};

static int cmp_heap(const void *a, const void *b)
{
	const struct heap_view *x = a, *y = b;
	unsigned long long ox = get(&x->stats, "objects_live");
	unsigned long long oy = get(&y->stats, "objects_live");

	if (ox != oy)
		return ox < oy ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Every heap's files, most objects first. Returns how many (the array in
 * *out, to free), or a negative errno when they cannot be read (-EACCES
 * for a user other than root). A heap that goes while it is read is left
 * out.
 */
static int read_heaps(struct heap_view **out)
{
	struct heap_view *v = NULL, *nv;
	int n = 0, size = 0, err;
	char path[300];
	struct dirent *de;
	DIR *dir;

	*out = NULL;
	dir = opendir(HEAPS);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		char *end;
		long id = strtol(de->d_name, &end, 10);

		if (de->d_name[0] == '.' || *end)
			continue;
		if (n == size) {
			size = size ? size * 2 : 16;
			nv = realloc(v, size * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(dir);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n].id = id;
		snprintf(path, sizeof(path), HEAPS "/%ld", id);
		err = read_dir(path, &v[n].stats, 0);
		if (!err) {
			snprintf(path, sizeof(path), HEAPS "/%ld/gc", id);
			err = read_dir(path, &v[n].gc, 1);
		}
		if (err == -EACCES) {
			free(v);
			closedir(dir);
			return err;
		}
		if (err)
			continue;
		n++;
	}
	closedir(dir);
	if (n)
		qsort(v, n, sizeof(*v), cmp_heap);
	*out = v;
	return n;
}

/* --- stats --json ------------------------------------------------------ */

/* @t as JSON members: its keys, then its table as an array of objects. */
static void json_table(const struct table *t, const char *rows_name,
		       const char *indent)
{
	int i, r, c;

	for (i = 0; i < t->nkeys; i++)
		printf("%s%s\"%s\": %llu", i ? ",\n" : "", indent, t->keys[i],
		       t->vals[i]);
	if (!t->ncols)
		return;
	printf(",\n%s\"%s\": [", indent, rows_name);
	for (r = 0; r < t->nrows; r++) {
		printf("%s{", r ? ", " : "");
		for (c = 0; c < t->ncols; c++)
			printf("%s\"%s\": %llu", c ? ", " : "", t->cols[c],
			       t->rows[r][c]);
		printf("}");
	}
	printf("]");
}

int view_stats_json(void)
{
	struct heap_view *heaps;
	size_t i;
	int n, h;

	if (access(SYSFS_STATS, F_OK)) {
		fprintf(stderr, "mheapctl: %s: %s (is the module loaded?)\n",
			SYSFS_STATS, strerror(errno));
		return 1;
	}
	printf("{\n  \"module\": {\n");
	for (i = 0; i < N(module_stats); i++)
		printf("    \"%s\": %lld,\n", module_stats[i],
		       read_value(SYSFS_STATS, module_stats[i]));
	for (i = 0; i < N(module_params); i++)
		printf("    \"%s\": %lld%s\n", module_params[i],
		       read_value(PARAMS, module_params[i]),
		       i + 1 < N(module_params) ? "," : "");
	printf("  },\n");
	n = read_heaps(&heaps);
	if (n < 0) {
		/* per-heap figures are root's (mode 0400): say so, not fail */
		printf("  \"heaps\": null\n}\n");
		return 0;
	}
	printf("  \"heaps\": [");
	for (h = 0; h < n; h++) {
		printf("%s\n    {\n      \"id\": %ld,\n", h ? "," : "",
		       heaps[h].id);
		json_table(&heaps[h].stats, NULL, "      ");
		printf(",\n      \"gc\": {\n");
		json_table(&heaps[h].gc, "generations", "        ");
		printf("\n      }\n    }");
	}
	printf("%s]\n}\n", n ? "\n  " : "");
	free(heaps);
	return 0;
}

/* --- top --------------------------------------------------------------- */

static unsigned long long total_over(const struct table *t, const char *col)
{
	unsigned long long sum = 0;
	int r;

	for (r = 0; r < t->nrows; r++)
		sum += cell(t, r, col);
	return sum;
}

static unsigned long long max_over(const struct table *t, const char *col)
{
	unsigned long long max = 0;
	int r;

	for (r = 0; r < t->nrows; r++)
		if (cell(t, r, col) > max)
			max = cell(t, r, col);
	return max;
}

/* Collections of heap @id in the previous sample, for the rate. */
static unsigned long long previous(const struct heap_view *prev, int nprev,
				   long id, int *found)
{
	int i;

	for (i = 0; i < nprev; i++) {
		if (prev[i].id == id) {
			*found = 1;
			return total_over(&prev[i].gc, "collections");
		}
	}
	*found = 0;
	return 0;
}

static void human(char *buf, size_t size, unsigned long long bytes)
{
	static const char units[] = "BKMGT";
	double v = bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f%c" : "%.0f%c", v, units[u]);
}

static void top_frame(const struct heap_view *heaps, int n,
		      const struct heap_view *prev, int nprev, double secs,
		      int clear)
{
	char arena[16], used[16], arenas[16];
	int h, found;

	if (clear)
		printf("\033[H\033[2J");
	human(arenas, sizeof(arenas),
	      read_value(SYSFS_STATS, "arena_bytes"));
	printf("mheap: %lld heaps, %lld users, %s of arenas; %lld collections freed %lld objects since load\n\n",
	       read_value(SYSFS_STATS, "heaps"),
	       read_value(SYSFS_STATS, "users"), arenas,
	       read_value(SYSFS_STATS, "collections"),
	       read_value(SYSFS_STATS, "collected"));
	printf("%6s %6s %3s %9s %8s %8s %7s %7s %7s %8s %6s %9s %9s\n",
	       "HEAP", "UID", "CLI", "OBJECTS", "ARENAS", "USED", "GEN0",
	       "GEN1", "GEN2", "COLLECT", "COLL/s", "FREED", "PAUSE_us");
	for (h = 0; h < n; h++) {
		const struct heap_view *v = &heaps[h];
		unsigned long long coll = total_over(&v->gc, "collections");
		unsigned long long before = previous(prev, nprev, v->id,
						     &found);
		char rate[16] = "-";

		if (found && secs > 0)
			snprintf(rate, sizeof(rate), "%.1f",
				 (coll - before) / secs);
		human(arena, sizeof(arena), get(&v->stats, "arena_bytes"));
		human(used, sizeof(used), get(&v->stats, "used"));
		printf("%6ld %6llu %3llu %9llu %8s %8s %7llu %7llu %7llu %8llu %6s %9llu %9.1f\n",
		       v->id, get(&v->stats, "uid"),
		       get(&v->stats, "clients"),
		       get(&v->stats, "objects_live"), arena, used,
		       cell(&v->gc, 0, "objects"), cell(&v->gc, 1, "objects"),
		       cell(&v->gc, 2, "objects"), coll, rate,
		       total_over(&v->gc, "collected"),
		       max_over(&v->gc, "pause_last_ns") / 1000.0);
	}
	if (!n)
		printf("(no heaps)\n");
	fflush(stdout);
}

int view_top(double interval, long iterations)
{
	struct heap_view *heaps = NULL, *prev = NULL;
	int n, nprev = 0, clear = isatty(STDOUT_FILENO);
	long i;

	for (i = 0; !iterations || i < iterations; i++) {
		if (i)
			poll(NULL, 0, (int)(interval * 1000));
		n = read_heaps(&heaps);
		if (n < 0) {
			fprintf(stderr, "mheapctl: %s: %s%s\n", HEAPS,
				strerror(-n),
				n == -EACCES ?
				" (each heap's figures are root's: run it as root)" :
				n == -ENOENT ? " (is the module loaded?)" : "");
			free(prev);
			return 1;
		}
		top_frame(heaps, n, prev, nprev, i ? interval : 0, clear);
		free(prev);
		prev = heaps;
		nprev = n;
		if (!clear && (!iterations || i + 1 < iterations))
			printf("\n");
	}
	free(prev);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/* mheapctl's module-wide views, from sysfs and debugfs (view.c). */
#ifndef MHEAPCTL_VIEW_H
#define MHEAPCTL_VIEW_H

/* mheapctl stats --json: the module's figures, and each heap's (root). */
int view_stats_json(void);

/*
 * mheapctl top: a table of the heaps, refreshed every @interval seconds,
 * @iterations times (0: until interrupted). Returns the exit status.
 */
int view_top(double interval, long iterations);

#endif /* MHEAPCTL_VIEW_H */

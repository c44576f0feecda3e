/* SPDX-License-Identifier: GPL-2.0 */
/* mheapctl replay (replay.c). */
#ifndef MHEAPCTL_REPLAY_H
#define MHEAPCTL_REPLAY_H

/*
 * Replay snapshot @path in a new heap of @device and compare its garbage
 * with CPython's. Returns the exit status: 0 exact, 1 a mismatch or an
 * error (one line on stderr says which).
 */
int replay_file(const char *path, const char *device);

#endif /* MHEAPCTL_REPLAY_H */

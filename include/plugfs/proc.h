/* SPDX-License-Identifier: MIT */
/* Other processes: is one still running. */
#ifndef PLUGFS_PROC_H
#define PLUGFS_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* True if pid names a running process, ours to signal or not (EPERM counts
 * as running); false for pid <= 0. */
bool plugfs_pid_alive(pid_t pid);

#endif

/* SPDX-License-Identifier: MIT */
/* The locks of the engine's bpffs and state directories (bpf/dirlock.c). */
#ifndef PLUGFS_BPF_DIRLOCK_H
#define PLUGFS_BPF_DIRLOCK_H

#include "engine_internal.h"

/* Both directories locked (made when missing) into e->lock_fd[]; -EBUSY
 * after a message naming the directory and the holder's pid. */
int dirlock_take(struct engine *e);
/* Closes the lock fds (the kernel drops the locks); the bpffs directory
 * goes when empty. */
void dirlock_release(struct engine *e);

#endif

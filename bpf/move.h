/* SPDX-License-Identifier: MIT */
/* A move that changes a chain's order, atomic for packets (bpf/move.c). */
#ifndef PLUGFS_BPF_MOVE_H
#define PLUGFS_BPF_MOVE_H

#include "engine_internal.h"

/* Moves the entry at pos to priority to, which puts it at another place in
 * the chain; every packet runs the old order or the new one. Under lock. */
int move_reorder(struct engine *e, struct eng_hook *h, unsigned int pos, unsigned int to);

#endif

/* SPDX-License-Identifier: MIT */
/* Spares (bpf/spare.c): chain maps made ahead with their root, taken by first loads. */
#ifndef PLUGFS_BPF_SPARE_H
#define PLUGFS_BPF_SPARE_H

#include "engine_internal.h"

/* No spare yet; on: spares are to be made (engine_opts.no_spares unset). */
void spare_init(struct engine *e, bool on);
/* Under bg_lock: the index of a spare to make, -1 if none is missing. */
int spare_missing(const struct engine *e);
/* The hook type of spare index i. */
enum engine_hook spare_kind(int i);
/* Makes a spare (map, stub in slot 0, indirect root) and pins it; no lock
 * needed. */
int spare_make(struct engine *e, enum engine_hook kind, struct eng_spare *s);
/* Takes the spare of the hook's type if one is ready (the caller owns the
 * fds; slot 0 holds the stub until the first program replaces it; the root
 * is the indirect build). */
bool spare_take(struct engine *e, enum engine_hook kind, struct eng_spare *s);
/* Closes and unpins the spares not taken. */
void spare_close_all(struct engine *e);
/* Removes the spare pins a daemon that died left. */
void spare_unpin_old(struct engine *e);

#endif

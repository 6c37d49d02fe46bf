/* SPDX-License-Identifier: MIT */
/*
 * The rule for every options struct that starts with `size_t sz`, as
 * libbpf applies it: NULL means all defaults; a struct from an older
 * caller (smaller sz) is accepted and its missing fields keep their
 * defaults; a
 * struct from a newer caller (larger sz) is accepted only if every byte
 * past what we know is zero, since a non-zero byte asks for something this
 * build cannot do. Callers zero the whole struct (a designated
 * initializer does): the copy takes sz bytes, padding included.
 */
#ifndef PLUGFS_OPTS_H
#define PLUGFS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Is user_sz (the caller's opts->sz) acceptable for a struct of ours_sz? */
bool plugfs_opts_valid(const void *opts, size_t user_sz, size_t ours_sz);

/*
 * Copies the caller's opts into *ours (which the caller set to the
 * defaults, sz included): 0, or -EINVAL when the rule above refuses it.
 * The copy keeps ours->sz. NULL opts leaves the defaults.
 */
int plugfs_opts_copy(void *ours, size_t ours_sz, const void *opts);

#define PLUGFS_OPTS_COPY(ours, opts) plugfs_opts_copy((ours), sizeof(*(ours)), (opts))

#endif

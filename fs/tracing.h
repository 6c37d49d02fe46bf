/* SPDX-License-Identifier: MIT */
/* tracing/<name>: tracepoint, raw tracepoint, uprobe, usdt, kprobe and fentry programs. */
#ifndef PLUGFS_FS_TRACING_H
#define PLUGFS_FS_TRACING_H

#include "backend.h"

struct plugfs_config;

/* Fills *d: a flat, writable domain on the kernel engine eng (shared with
 * ifaces/, which owns it). 0 or -errno. */
int tracing_domain_init(struct fs_domain *d, const struct plugfs_config *cfg, struct engine *eng);
void tracing_domain_fini(struct fs_domain *d);

#endif

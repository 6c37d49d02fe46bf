/* SPDX-License-Identifier: MIT */
/* The read-only hosts/ directory: one report per connected host. */
#ifndef PLUGFS_FS_HOSTS_H
#define PLUGFS_FS_HOSTS_H

#include "backend.h"
#include "host_registry.h"

/* Fills *d: a flat, read-only domain served from the registry. */
void hosts_domain_init(struct fs_domain *d, struct host_registry *reg);

#endif

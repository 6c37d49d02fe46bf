/* SPDX-License-Identifier: MIT */
/* The read-only hosts/ directory: one report per connected host. */
#ifndef PLUGFS_FS_HOSTS_H
#define PLUGFS_FS_HOSTS_H

#include "backend.h"
#include "host_registry.h"

/* The flat directory ops and their priv, served from the registry. */
void hosts_flatdir_init(struct host_registry *reg, const struct fs_flatdir_ops **ops, void **priv);

#endif

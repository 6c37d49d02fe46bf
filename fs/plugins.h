/* SPDX-License-Identifier: MIT */
/* The plugins/ tree (backend.h ops) on the desired-state store and the host registry. */
#ifndef PLUGFS_FS_PLUGINS_H
#define PLUGFS_FS_PLUGINS_H

#include "backend.h"
#include "daemon_config.h"
#include "host_registry.h"

/*
 * Fills *d (name, subdirs, ops, priv) and registers the callback that brings
 * a new host up to date; call it before host_registry__start(). Stop the
 * registry (host_registry__free()) before plugins_domain_fini(). 0 or -errno.
 */
int plugins_domain_init(struct fs_domain *d, const struct plugfs_config *cfg,
			struct host_registry *reg);
void plugins_domain_fini(struct fs_domain *d);

#endif

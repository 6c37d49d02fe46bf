/* SPDX-License-Identifier: MIT */
/* maps/<id>/: every map the kernel holds, its entries as files (fs/maps.c). */
#ifndef PLUGFS_FS_MAPS_H
#define PLUGFS_FS_MAPS_H

#include "backend.h"

struct plugfs_config;

/* Fills *d: a group domain, one group per map id; the ifaces domain's
 * engine answers the dumps of the maps it swaps. */
int maps_domain_init(struct fs_domain *d, const struct plugfs_config *cfg,
		     const struct fs_domain *ifaces);
/* Stops the event readers; call before the engine goes. */
void maps_domain_fini(struct fs_domain *d);

#endif

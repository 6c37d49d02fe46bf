/* SPDX-License-Identifier: MIT */
/* progs/<id>: every program the kernel holds (fs/progs.c). */
#ifndef PLUGFS_FS_PROGS_H
#define PLUGFS_FS_PROGS_H

#include "backend.h"

/* Fills *d: a flat domain listing the kernel's programs; `rm` of one of
 * ours goes through the domain of its entry (ifaces/ or tracing/), as `rm`
 * of that entry does. */
int progs_domain_init(struct fs_domain *d, const struct fs_domain *ifaces,
		      const struct fs_domain *tracing);
void progs_domain_fini(struct fs_domain *d);

#endif

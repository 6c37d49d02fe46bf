/* SPDX-License-Identifier: MIT */
/* The state of one mount, handed to every FUSE operation as the session's userdata. */
#ifndef PLUGFS_FS_FUSE_OPS_H
#define PLUGFS_FS_FUSE_OPS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "backend.h"
#include "daemon_config.h"

#include <time.h>

enum { DOMAIN_IFACES, DOMAIN_PLUGINS, NR_DOMAINS };

struct tree;

/* Everything the FUSE operations need, set up by main() and passed to
 * fuse_session_new(); each operation gets it from fuse_req_userdata(). */
struct plugfs_fs {
	const struct plugfs_config *cfg;
	struct fs_domain domains[NR_DOMAINS];
	unsigned int nr_domains;
	const struct fs_flatdir_ops *hosts_ops;
	void *hosts_priv;
	struct timespec start_time;
	struct tree *tree;		/* the inode table of this mount */
};

extern const struct fuse_lowlevel_ops plugfs_ll_ops;

#endif

/* SPDX-License-Identifier: MIT */
/* The state of one mount, handed to every FUSE operation as the session's userdata. */
#ifndef PLUGFS_FS_FUSE_OPS_H
#define PLUGFS_FS_FUSE_OPS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "backend.h"
#include "daemon_config.h"
#include "metrics.h"

#include <time.h>

/* The trees under the root, listed in this order; a slot whose ops are
 * NULL (a tree that could not start) is not shown. */
enum { DOMAIN_PLUGINS, DOMAIN_IFACES, DOMAIN_HOSTS, DOMAIN_TRACING, DOMAIN_METRICS, DOMAIN_PROGS,
       DOMAIN_MAPS, NR_DOMAINS };

struct tree;
struct fs_cache;

/* Everything the FUSE operations need, set up by main() and passed to
 * fuse_session_new(); each operation gets it from fuse_req_userdata(). */
struct plugfs_fs {
	const struct plugfs_config *cfg;
	struct fs_domain domains[NR_DOMAINS];
	unsigned int nr_domains;
	struct timespec start_time;
	struct tree *tree;		/* the inode table of this mount */
	struct metrics_daemon metrics;	/* loads and their latency (metrics/) */
	struct fs_cache *cache;		/* notices to the kernel's caches (cache.h); set once mounted */
};

extern const struct fuse_lowlevel_ops plugfs_ll_ops;

#endif

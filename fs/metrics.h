/* SPDX-License-Identifier: MIT */
/*
 * metrics/plugfs.prom: the daemon's counters and those of every program
 * and pluglet in the Prometheus text format, read fresh at each `cat`
 * (docs/guide.md, "Observing"). The daemon's own counters (loads, failures,
 * load latency) are kept here, noted by the FUSE core at each commit.
 */
#ifndef PLUGFS_FS_METRICS_H
#define PLUGFS_FS_METRICS_H

#include "backend.h"
#include "host_registry.h"

#include <plugfs/strbuf.h>

#include <stdint.h>

/* Upper bounds (seconds) of the load latency histogram, +Inf implied. */
#define METRICS_LOAD_BUCKETS 12

/* Loads of one tree: every field is updated with atomics. */
struct metrics_loads {
	const char *tree;		/* the domain's name; NULL: a free slot */
	uint64_t loads;
	uint64_t failures;
	uint64_t sum_ns;
	uint64_t bucket[METRICS_LOAD_BUCKETS + 1];	/* not cumulative; last: +Inf */
};

/* Trees that take writes, each with its own counters. */
#define METRICS_MAX_TREES 16

/* The daemon's counters, owned by the mount (struct plugfs_fs). */
struct metrics_daemon {
	struct metrics_loads tree[METRICS_MAX_TREES];
};

/*
 * A tree whose loads are counted (every tree that takes writes, added once
 * at start, so that its series exist before its first load). name must
 * outlive m. 0, or -ENOSPC when every slot is taken.
 */
int metrics_daemon__add_tree(struct metrics_daemon *m, const char *name);
/* One commit (cp, a write closed) into a tree: its result and how long it
 * took. A tree never added is not counted. */
void metrics_note_load(struct metrics_daemon *m, const char *tree, int err, uint64_t ns);

/*
 * The kernel programs' series (runs, verdicts, run time), written by the
 * tree that knows them; 0 or -errno. NULL: none yet.
 */
typedef int (*metrics_kernel_fn)(void *arg, struct strbuf *out);

/* The kernel series from the engine's counts (metrics_kernel.c); arg is
 * the struct engine of ifaces/ (ifaces_domain_engine()), NULL for none. */
int metrics_kernel_series(void *arg, struct strbuf *out);

struct metrics_opts {
	struct metrics_daemon *daemon;
	struct host_registry *reg;
	metrics_kernel_fn kernel;
	void *kernel_arg;
};

/* Fills *d: the flat read-only metrics/ domain with one entry, plugfs.prom. */
int metrics_domain_init(struct fs_domain *d, const struct metrics_opts *opts);
void metrics_domain_fini(struct fs_domain *d);

/* The daemon's and the pluglets' series (what plugfs.prom holds besides the
 * kernel's); exposed for the unit tests. */
void metrics_daemon_series(const struct metrics_daemon *m, struct strbuf *out);

#endif

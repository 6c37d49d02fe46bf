/* SPDX-License-Identifier: MIT */
/*
 * Private instances and the mount point a crashed daemon left. One switch,
 * `--instance NAME|DIR` (or PLUGFS_DIR in the environment), moves the mount
 * point, state, run and bpffs directories together, so two daemons on one
 * machine never see each other's pluglets, pins or hosts:
 *   NAME  /run/plugfs-NAME/mnt, /var/lib/plugfs-NAME, /run/plugfs-NAME,
 *         /sys/fs/bpf/plugfs-NAME (the defaults with "-NAME")
 *   DIR   DIR/mnt, DIR/state, DIR/run, /sys/fs/bpf/plugfs-<last part of DIR>
 */
#ifndef PLUGFS_FS_INSTANCE_H
#define PLUGFS_FS_INSTANCE_H

#include <stddef.h>

struct plugfs_config;

/* Sets the four paths of an instance; 0 or -EINVAL/-ENAMETOOLONG with the
 * reason in err. */
int instance_apply(struct plugfs_config *cfg, const char *spec, char *err, size_t err_size);

/*
 * Makes sure the mount point is a directory we can mount on: creates it
 * when create is set, and when a daemon died with the tree mounted (stat
 * fails with ENOTCONN) detaches that dead mount. 0, or -errno with the
 * reason (and what to run) in err.
 */
int mount_point_prepare(const char *path, int create, char *err, size_t err_size);

#endif

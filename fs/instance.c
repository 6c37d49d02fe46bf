/* SPDX-License-Identifier: MIT */
/* Private instances (--instance, PLUGFS_DIR) and recovery of a dead mount. */
#include "instance.h"

#include "config.h"
#include "daemon_config.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static int valid_name(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, "..") || strlen(s) > 64)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       strlen(s);
}

static int by_name(struct plugfs_config *c, const char *name)
{
	if (plugfs_snprintf(c->run_dir, sizeof(c->run_dir), "%s-%s", PLUGFS_DEFAULT_RUN_DIR, name) ||
	    plugfs_snprintf(c->mountpoint, sizeof(c->mountpoint), "%s/mnt", c->run_dir) ||
	    plugfs_snprintf(c->state_dir, sizeof(c->state_dir), "%s-%s", PLUGFS_DEFAULT_STATE_DIR,
			    name) ||
	    plugfs_snprintf(c->bpffs_dir, sizeof(c->bpffs_dir), "%s-%s", PLUGFS_DEFAULT_BPFFS_DIR,
			    name))
		return -ENAMETOOLONG;
	return 0;
}

static int by_dir(struct plugfs_config *c, const char *spec, char *err, size_t err_size)
{
	char dir[PATH_MAX], cwd[PATH_MAX];
	const char *base;
	size_t n;

	if (spec[0] == '/')
		snprintf(dir, sizeof(dir), "%s", spec);
	else if (!getcwd(cwd, sizeof(cwd)) || plugfs_snprintf(dir, sizeof(dir), "%s/%s", cwd, spec))
		return -ENAMETOOLONG;
	for (n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
		dir[n - 1] = '\0';
	base = strrchr(dir, '/') + 1;
	if (!valid_name(base)) {
		snprintf(err, err_size, "instance directory %s: its last part must be letters, digits, "
			 "'_', '-' or '.' (it names the bpffs directory)", dir);
		return -EINVAL;
	}
	if (plugfs_snprintf(c->mountpoint, sizeof(c->mountpoint), "%s/mnt", dir) ||
	    plugfs_snprintf(c->state_dir, sizeof(c->state_dir), "%s/state", dir) ||
	    plugfs_snprintf(c->run_dir, sizeof(c->run_dir), "%s/run", dir) ||
	    plugfs_snprintf(c->bpffs_dir, sizeof(c->bpffs_dir), "%s-%s", PLUGFS_DEFAULT_BPFFS_DIR,
			    base))
		return -ENAMETOOLONG;
	return 0;
}

int instance_apply(struct plugfs_config *cfg, const char *spec, char *err, size_t err_size)
{
	int rc;

	if (strchr(spec, '/') || !strcmp(spec, ".") || !strcmp(spec, ".."))
		rc = by_dir(cfg, spec, err, err_size);
	else if (valid_name(spec))
		rc = by_name(cfg, spec);
	else {
		snprintf(err, err_size, "instance '%s': a name is letters, digits, '_', '-' or '.' "
			 "(or give a directory path)", spec);
		return -EINVAL;
	}
	if (rc == -ENAMETOOLONG)
		snprintf(err, err_size, "instance '%s': path too long", spec);
	return rc;
}

int mount_point_prepare(const char *path, int create, char *err, size_t err_size)
{
	struct statfs sfs;
	struct stat st;
	int rc;

	/* statfs, not stat: the kernel may answer a stat of the mount's root
	 * from its cache, a statfs always asks the daemon. */
	if (statfs(path, &sfs) && errno == ENOTCONN) {
		/* A daemon died with the tree mounted: nothing serves it any more. */
		if (umount2(path, MNT_DETACH)) {
			rc = -errno;
			snprintf(err, err_size, "mount point %s is a dead plugfs mount (a daemon was "
				 "killed) and cannot be unmounted (%s): run `fusermount3 -u -z %s`",
				 path, strerror(errno), path);
			return rc;
		}
		pr_info("mount point %s was left mounted by a daemon that died: unmounted it", path);
	}
	if (create) {
		rc = plugfs_mkdir_p(path, 0755);
		if (rc) {
			snprintf(err, err_size, "cannot create mount point %s: %s", path, strerror(-rc));
			return rc;
		}
	}
	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, err_size, "mount point %s is not a directory", path);
		return -ENOTDIR;
	}
	return 0;
}

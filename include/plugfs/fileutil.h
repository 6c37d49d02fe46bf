/* SPDX-License-Identifier: MIT */
/* Small file helpers: directories, whole-file reads and crash-safe writes. */
#ifndef PLUGFS_FILEUTIL_H
#define PLUGFS_FILEUTIL_H

#include <stddef.h>

/* mkdir -p (one mkdir when only the last part is missing); 0 or -errno
 * (-EEXIST / -ENOTDIR when a file is in the way). */
int plugfs_mkdir_p(const char *path, unsigned int mode);
/* Writes a whole file (0600) through <path>.tmp + rename, so a crash of the
 * process never leaves half a file (no fsync: a power loss may lose the
 * latest write, and the state dir is rebuilt from what is pinned); 0 or -errno. */
int plugfs_write_file(const char *path, const void *data, size_t len);
/* Reads a whole regular file, to its end whatever its size says (/proc's
 * and the mount's files say 0), into a malloc'd buffer (NUL-terminated,
 * not counted in *len); 0, -errno, -EINVAL if not a regular file. */
int plugfs_read_file(const char *path, void **buf, size_t *len);

#endif

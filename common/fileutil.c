/* SPDX-License-Identifier: MIT */
/* Whole-file reads and crash-safe writes, directories made on demand. */
#include <plugfs/fileutil.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* Missing directories are usually only the last one or two: one mkdir per
 * missing part, not one per component (each is a path walk). */
int plugfs_mkdir_p(const char *path, unsigned int mode)
{
	char tmp[PATH_MAX], *cut[PATH_MAX / 2];
	size_t n = 0;

	if (!mkdir(path, mode))
		return 0;
	if (errno == EEXIST)
		return is_dir(path) ? 0 : -EEXIST;
	if (errno != ENOENT)
		return -errno;
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (;;) {
		char *slash = strrchr(tmp, '/');

		if (!slash || slash == tmp)
			return -ENOENT;
		*slash = '\0';
		cut[n++] = slash;
		if (!mkdir(tmp, mode))
			break;
		if (errno == EEXIST) {
			if (!is_dir(tmp))
				return -ENOTDIR;
			break;
		}
		if (errno != ENOENT)
			return -errno;
	}
	while (n--) {
		*cut[n] = '/';
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
	}
	return 0;
}

int plugfs_write_file(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX + 8];
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t w = write(fd, data, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		data = (const char *)data + w;
		len -= (size_t)w;
	}
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int plugfs_read_file(const char *path, void **buf, size_t *len)
{
	struct stat st;
	size_t got = 0, cap;
	char *b, *nb;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	/* To the end, whatever the size says: files of /proc and of a plugfs
	 * mount report 0 and are read to their end. */
	cap = (size_t)st.st_size + 1 > 4096 ? (size_t)st.st_size + 1 : 4096;
	b = malloc(cap);
	err = b ? 0 : -ENOMEM;
	while (!err) {
		ssize_t r;

		if (got + 1 == cap) {
			nb = realloc(b, cap * 2);
			err = nb ? 0 : -ENOMEM;
			if (err)
				break;
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + got, cap - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err = -errno;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (err) {
		free(b);
		return err;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

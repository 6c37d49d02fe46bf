/* SPDX-License-Identifier: MIT */
/*
 * Pulled blobs, cached by digest in the object store of the state directory
 * (<state>/objects/blobs/sha256/<hex>, the OCI layout's naming), and the
 * digest each pulled tag resolved to (<state>/objects/refs/). Every blob read
 * back is hashed again: a cache is no reason to trust bytes.
 */
#include "image_internal.h"

#include <plugfs/fileutil.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int blob_path(const char *state_dir, const char *digest, char *buf, size_t size)
{
	if (!state_dir || !*state_dir || !image_digest_valid(digest))
		return -ENOENT;
	return plugfs_snprintf(buf, size, "%s/objects/blobs/sha256/%s", state_dir, digest + 7);
}

int blobstore_get(const char *state_dir, const char *digest, size_t max, void **buf, size_t *len,
		  char *err, size_t err_size)
{
	char path[PATH_MAX];
	struct stat st;
	int rc = blob_path(state_dir, digest, path, sizeof(path));

	if (rc)
		return rc;
	if (stat(path, &st))
		return -ENOENT;
	if ((size_t)st.st_size > max)
		return -EFBIG;
	rc = plugfs_read_file(path, buf, len);
	if (rc)
		return rc;
	rc = image_digest_check(digest, *buf, *len, err, err_size);
	if (rc) {
		/* a damaged copy is dropped so the next pull fetches it again */
		unlink(path);
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

int blobstore_put(const char *state_dir, const char *digest, const void *buf, size_t len)
{
	char path[PATH_MAX], dir[PATH_MAX];
	int rc = blob_path(state_dir, digest, path, sizeof(path));

	if (rc)
		return rc;
	plugfs_snprintf(dir, sizeof(dir), "%s/objects/blobs/sha256", state_dir);
	rc = plugfs_mkdir_p(dir, 0700);
	return rc ? rc : plugfs_write_file(path, buf, len);
}

/* One file per registry/repo:tag; '/' and ':' become '_' and '+'. */
static int tag_path(const char *state_dir, const struct image_ref *r, char *buf, size_t size)
{
	char name[700];
	size_t i;

	if (!state_dir || !*state_dir || r->is_layout || !r->tag[0])
		return -ENOENT;
	if (plugfs_snprintf(name, sizeof(name), "%s/%s:%s", r->registry, r->repo, r->tag))
		return -ENAMETOOLONG;
	for (i = 0; name[i]; i++) {
		if (name[i] == '/')
			name[i] = '_';
		else if (name[i] == ':')
			name[i] = '+';
	}
	return plugfs_snprintf(buf, size, "%s/objects/refs/%s", state_dir, name);
}

int blobstore_tag_get(const char *state_dir, const struct image_ref *r, char digest[80])
{
	char path[PATH_MAX];
	void *text = NULL;
	size_t len = 0;
	int rc = tag_path(state_dir, r, path, sizeof(path));

	if (rc || (rc = plugfs_read_file(path, &text, &len)))
		return rc;
	if (len && ((char *)text)[len - 1] == '\n')
		((char *)text)[--len] = '\0';
	rc = image_digest_valid(text) ? 0 : -ENOENT;
	if (!rc)
		snprintf(digest, 80, "%s", (char *)text);
	free(text);
	return rc;
}

int blobstore_tag_put(const char *state_dir, const struct image_ref *r, const char *digest)
{
	char path[PATH_MAX], dir[PATH_MAX], line[96];
	int rc = tag_path(state_dir, r, path, sizeof(path));

	if (rc)
		return rc;
	plugfs_snprintf(dir, sizeof(dir), "%s/objects/refs", state_dir);
	rc = plugfs_mkdir_p(dir, 0700);
	if (rc)
		return rc;
	snprintf(line, sizeof(line), "%s\n", digest);
	return plugfs_write_file(path, line, strlen(line));
}

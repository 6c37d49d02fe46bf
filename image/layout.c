/* SPDX-License-Identifier: MIT */
/* OCI image layouts on disk (oci:/abs/dir:TAG): index.json, blobs/sha256/, no network. */
#include "image_internal.h"

#include <plugfs/fileutil.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int layout_blob(const struct image_ref *r, const char *digest, size_t max, void **buf, size_t *len,
		char *err, size_t err_size)
{
	char path[PATH_MAX];
	struct stat st;
	int rc;

	if (!image_digest_valid(digest) ||
	    plugfs_snprintf(path, sizeof(path), "%s/blobs/sha256/%s", r->layout, digest + 7))
		return -EINVAL;
	if (stat(path, &st)) {
		rc = -errno;
		snprintf(err, err_size, "layout %s: blob %s: %s", r->layout, digest, strerror(errno));
		return rc;
	}
	if ((size_t)st.st_size > max) {
		snprintf(err, err_size, "layout %s: blob %s is over %zu bytes", r->layout, digest, max);
		return -EFBIG;
	}
	rc = plugfs_read_file(path, buf, len);
	if (rc) {
		snprintf(err, err_size, "layout %s: blob %s: %s", r->layout, digest, strerror(-rc));
		return rc;
	}
	rc = image_digest_check(digest, *buf, *len, err, err_size);
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

int layout_manifest(const struct image_ref *r, void **buf, size_t *len, char digest[80], char *err,
		    size_t err_size)
{
	enum oci_doc_kind kind = OCI_DOC_MANIFEST;
	char path[PATH_MAX], why[512];
	void *index = NULL;
	size_t ilen = 0;
	int rc;

	if (plugfs_snprintf(path, sizeof(path), "%s/index.json", r->layout))
		return -ENAMETOOLONG;
	rc = plugfs_read_file(path, &index, &ilen);
	if (rc) {
		snprintf(err, err_size, "layout %s: no index.json (%s)", r->layout, strerror(-rc));
		return rc == -ENOENT ? -ENOENT : -EINVAL;
	}
	rc = oci_layout_pick(index, ilen, r->tag, digest, why, sizeof(why));
	free(index);
	if (rc) {
		snprintf(err, err_size, "layout %s: %s", r->layout, why);
		return rc;
	}
	rc = layout_blob(r, digest, IMAGE_MAX_JSON, buf, len, err, err_size);
	if (!rc)
		rc = oci_doc_kind(*buf, *len, &kind, err, err_size);
	if (!rc && kind == OCI_DOC_INDEX) {
		char pick[80];

		rc = oci_index_pick(*buf, *len, pick, err, err_size);
		free(*buf);
		*buf = NULL;
		if (!rc) {
			snprintf(digest, 80, "%s", pick);
			rc = layout_blob(r, digest, IMAGE_MAX_JSON, buf, len, err, err_size);
		}
	}
	return rc;
}

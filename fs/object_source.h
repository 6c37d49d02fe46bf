/* SPDX-License-Identifier: MIT */
/*
 * The one call every tree makes to turn a write into object bytes: an ELF
 * object as written, C text as written (compiled), or a manifest's object
 * file, OCI bytecode image or C source (docs/plugfs.8, "Where bytes come from").
 */
#ifndef PLUGFS_FS_OBJECT_SOURCE_H
#define PLUGFS_FS_OBJECT_SOURCE_H

#include "daemon_config.h"
#include "manifest.h"

#include <stddef.h>

struct object_bytes {
	void *obj;			/* malloc'ed unless it is the write's own buffer */
	size_t len;
	char sha256[65];		/* of obj */
	const char *path;		/* for the report: the object file, image or source */
	char prog_name[128];		/* from the image's labels when the manifest names none */
	char image_url[1024];		/* "" unless from an image */
	char image_digest[80];
	char pull_policy[16];
	void *owned;
};

/*
 * m is the parsed manifest, or NULL when buf/len (the write) is the object
 * itself or C text. prog_type ("xdp", "tc", ...) picks the program of an
 * image whose labels list several. what names the entry in messages; every
 * failure is logged with its full reason (the registry's answer, clang's
 * messages). Errors as image_pull() and image_compile() give them, and
 * those of manifest_read_object().
 */
int object_source_resolve(const struct plugfs_config *cfg, const char *what,
			  const struct plugfs_manifest *m, const char *prog_type, const void *buf,
			  size_t len, struct object_bytes *out);
/*
 * The call a tree's commit makes: a write that is an ELF object or C text
 * (*m = NULL), or a manifest (parsed into *m, malloc'ed), turned into the
 * object's bytes as object_source_resolve() does. -errno after a pr_warn
 * that starts with what ("tracing/x"); on failure *m is NULL and out empty.
 */
int object_source_load(const struct plugfs_config *cfg, const char *what, const void *buf,
		       size_t len, const char *prog_type, struct plugfs_manifest **m,
		       struct object_bytes *out);
void object_bytes_fini(struct object_bytes *b);

#endif

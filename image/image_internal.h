/* SPDX-License-Identifier: MIT */
/* What the files of image/ share: digests, JSON documents, auth, blobs. */
#ifndef PLUGFS_IMAGE_INTERNAL_H
#define PLUGFS_IMAGE_INTERNAL_H

#include <image/image.h>

#include <stdbool.h>
#include <stddef.h>

#define IMAGE_MAX_JSON (4u << 20)	/* manifests, indexes, configs */
#define IMAGE_MAX_LAYERS 8

/* ref.c: digests */
bool image_digest_valid(const char *d);
/* 0 if buf hashes to digest, -EBADMSG (the actual digest in err) otherwise */
int image_digest_check(const char *digest, const void *buf, size_t len, char *err, size_t err_size);
void image_digest_of(const void *buf, size_t len, char out[80]);

/* oci_json.c: the documents of the OCI image and distribution specs */
enum oci_doc_kind { OCI_DOC_MANIFEST, OCI_DOC_INDEX };
struct oci_manifest {
	char config[80];
	unsigned int nr_layers;
	char layers[IMAGE_MAX_LAYERS][80];
	char layer_types[IMAGE_MAX_LAYERS][128];
};
/* Which kind a manifest-endpoint document is: 0 or -EINVAL. */
int oci_doc_kind(const char *json, size_t len, enum oci_doc_kind *kind, char *err, size_t err_size);
/* From an index: the linux/amd64 manifest, or the only one. */
int oci_index_pick(const char *json, size_t len, char digest[80], char *err, size_t err_size);
/* From an index.json of an OCI layout: the manifest tagged tag ("" = the only one). */
int oci_layout_pick(const char *json, size_t len, const char *tag, char digest[80], char *err,
		    size_t err_size);
int oci_manifest_parse(const char *json, size_t len, struct oci_manifest *m, char *err,
		       size_t err_size);

/* auth.c: registry credentials and challenges */
struct www_auth {
	bool bearer;			/* else Basic */
	char realm[1024];
	char service[256];
	char scope[512];
};
int www_auth_parse(const char *header, struct www_auth *a);
/* The user:password for registry from a docker-style config.json: 0,
 * -ENOENT none for it, -EINVAL unreadable file. */
int auth_file_lookup(const char *path, const char *registry, char *userpass, size_t size,
		     char *err, size_t err_size);
/* A bearer token from a token endpoint's JSON answer ("token" or "access_token"). */
int auth_token_from_json(const char *json, size_t len, char *token, size_t size);

/* blobstore.c: blobs by digest, tags to digests, under <state>/objects/ */
int blobstore_get(const char *state_dir, const char *digest, size_t max, void **buf, size_t *len,
		  char *err, size_t err_size);
int blobstore_put(const char *state_dir, const char *digest, const void *buf, size_t len);
int blobstore_tag_get(const char *state_dir, const struct image_ref *r, char digest[80]);
int blobstore_tag_put(const char *state_dir, const struct image_ref *r, const char *digest);

/* registry.c: the OCI distribution protocol over HTTP(S) */
struct registry;
struct registry *registry__new(const struct image_ref *r, const struct image_pull_opts *o,
			       char *err, size_t err_size);
void registry__free(struct registry *g);
/* The manifest (an image index is resolved to one) and its digest. */
int registry__manifest(struct registry *g, void **buf, size_t *len, char digest[80], char *err,
		       size_t err_size);
int registry__blob(struct registry *g, const char *digest, size_t max, void **buf, size_t *len,
		   char *err, size_t err_size);

/* layout.c: OCI layouts on disk */
int layout_manifest(const struct image_ref *r, void **buf, size_t *len, char digest[80], char *err,
		    size_t err_size);
int layout_blob(const struct image_ref *r, const char *digest, size_t max, void **buf, size_t *len,
		char *err, size_t err_size);

/* bytecode.c: the object inside a layer */
int bytecode_extract(const void *layer, size_t len, const char *filename, size_t max, void **obj,
		     size_t *obj_len, char *err, size_t err_size);

#endif

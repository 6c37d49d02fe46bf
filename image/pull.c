/* SPDX-License-Identifier: MIT */
/*
 * image_pull: a reference, a pull policy and the cache put together. The
 * registry is asked only when the policy says so or a blob is missing from
 * the cache; IfNotPresent with a cached tag makes no request at all.
 */
#include "image_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pull {
	struct image_ref ref;
	const struct image_pull_opts *o;
	struct registry *reg;		/* made at the first request */
	struct image_bytecode *out;
	char *err;
	size_t err_size;
};

static int online(struct pull *p)
{
	if (p->o->policy == IMAGE_PULL_NEVER) {
		snprintf(p->err, p->err_size, "%s/%s: not in the cache and the pull policy is Never",
			 p->ref.registry, p->ref.repo);
		return -ENOENT;
	}
	if (!p->reg)
		p->reg = registry__new(&p->ref, p->o, p->err, p->err_size);
	return p->reg ? 0 : -errno;
}

/* A blob from the layout, the cache or the registry (then cached). */
static int blob(struct pull *p, const char *digest, size_t max, void **buf, size_t *len)
{
	int rc;

	if (p->ref.is_layout)
		return layout_blob(&p->ref, digest, max, buf, len, p->err, p->err_size);
	rc = blobstore_get(p->o->state_dir, digest, max, buf, len, p->err, p->err_size);
	if (rc != -ENOENT && rc != -EBADMSG)
		return rc;
	rc = online(p);
	if (!rc)
		rc = registry__blob(p->reg, digest, max, buf, len, p->err, p->err_size);
	if (!rc) {
		p->out->pulled = true;
		blobstore_put(p->o->state_dir, digest, *buf, *len);
	}
	return rc;
}

/* The image manifest, from the cache when the policy allows it. */
static int manifest(struct pull *p, void **buf, size_t *len)
{
	char *digest = p->out->digest;
	int rc;

	if (p->ref.is_layout)
		return layout_manifest(&p->ref, buf, len, digest, p->err, p->err_size);
	if (p->o->policy != IMAGE_PULL_ALWAYS) {
		if (p->ref.digest[0])
			snprintf(digest, 80, "%s", p->ref.digest);
		if (p->ref.digest[0] || !blobstore_tag_get(p->o->state_dir, &p->ref, digest)) {
			rc = blobstore_get(p->o->state_dir, digest, IMAGE_MAX_JSON, buf, len, p->err,
					   p->err_size);
			if (rc != -ENOENT && rc != -EBADMSG)
				return rc;
		}
	}
	rc = online(p);
	if (!rc)
		rc = registry__manifest(p->reg, buf, len, digest, p->err, p->err_size);
	if (rc)
		return rc;
	p->out->pulled = true;
	blobstore_put(p->o->state_dir, digest, *buf, *len);
	if (!p->ref.digest[0])
		blobstore_tag_put(p->o->state_dir, &p->ref, digest);
	return 0;
}

static int layer_object(struct pull *p, const struct oci_manifest *m, size_t max)
{
	void *layer = NULL;
	size_t len = 0;
	int rc;

	if (m->nr_layers != 1) {
		snprintf(p->err, p->err_size, "not a bytecode image: %u layers, the format has one",
			 m->nr_layers);
		return -EINVAL;
	}
	rc = blob(p, m->layers[0], max * 4 + (1u << 20), &layer, &len);
	if (!rc)
		rc = bytecode_extract(layer, len, p->out->labels.filename, max, &p->out->obj,
				      &p->out->len, p->err, p->err_size);
	free(layer);
	return rc;
}

static int pull_all(struct pull *p)
{
	size_t max = p->o->max_object ? p->o->max_object : (64u << 20);
	struct oci_manifest m;
	void *doc = NULL;
	size_t len = 0;
	int rc;

	rc = manifest(p, &doc, &len);
	if (!rc)
		rc = oci_manifest_parse(doc, len, &m, p->err, p->err_size);
	free(doc);
	doc = NULL;
	if (rc)
		return rc;
	rc = blob(p, m.config, IMAGE_MAX_JSON, &doc, &len);
	if (!rc)
		rc = image_labels_parse(doc, len, &p->out->labels, p->err, p->err_size);
	free(doc);
	return rc ? rc : layer_object(p, &m, max);
}

int image_pull(const char *ref, const struct image_pull_opts *o, struct image_bytecode *out,
	       char *err, size_t err_size)
{
	struct pull p = { .o = o, .out = out, .err = err, .err_size = err_size };
	int rc;

	memset(out, 0, sizeof(*out));
	if (image_ref_parse(ref, &p.ref)) {
		snprintf(err, err_size, "'%s' is not an image reference (HOST[:PORT]/REPO[:TAG]"
			 "[@sha256:DIGEST] or oci:/abs/layout[:TAG])", ref);
		return -EINVAL;
	}
	rc = pull_all(&p);
	registry__free(p.reg);
	if (rc)
		image_bytecode_fini(out);
	return rc;
}

void image_bytecode_fini(struct image_bytecode *b)
{
	free(b->obj);
	b->obj = NULL;
	b->len = 0;
}

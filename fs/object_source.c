/* SPDX-License-Identifier: MIT */
/* Object bytes from a write, a file, an OCI bytecode image or C source. */
#include "object_source.h"

#include <image/image.h>
#include <plugfs/log.h>
#include <plugfs/sha256.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int from_image(const struct plugfs_config *cfg, const char *what,
		      const struct plugfs_manifest *m, const char *prog_type, struct object_bytes *out)
{
	struct image_pull_opts o = { .sz = sizeof(o) };
	struct image_bytecode b;
	const char *name;
	char err[1024];
	int rc;

	o.state_dir = cfg->state_dir;
	o.auth_file = m->registry_auth[0] ? m->registry_auth : cfg->auth_file;
	o.insecure = cfg->insecure_registries;
	o.ca_files = cfg->ca_files;
	o.timeout_ms = cfg->pull_timeout_ms;
	o.max_object = cfg->max_object_size;
	if (m->image_pull_policy[0])
		image_pull_policy_parse(m->image_pull_policy, &o.policy);
	rc = image_pull(m->image, &o, &b, err, sizeof(err));
	if (rc) {
		pr_warn("%s: image %s: %s", what, m->image, err);
		return rc;
	}
	pr_info("%s: image %s is %s (%s)", what, m->image, b.digest,
		b.pulled ? "pulled" : !strncmp(m->image, "oci:", 4) ? "from the layout" :
		"from the cache");
	out->obj = out->owned = b.obj;
	out->len = b.len;
	snprintf(out->image_url, sizeof(out->image_url), "%s", m->image);
	snprintf(out->image_digest, sizeof(out->image_digest), "%s", b.digest);
	snprintf(out->pull_policy, sizeof(out->pull_policy), "%s",
		 image_pull_policy_name(o.policy));
	out->path = out->image_url;
	name = image_labels_program(&b.labels, prog_type);
	if (!name)
		name = image_labels_program(&b.labels, NULL);
	if (!m->name[0] && name)
		snprintf(out->prog_name, sizeof(out->prog_name), "%s", name);
	return 0;
}

static int compiled(const struct plugfs_config *cfg, const char *what, const char *src,
		    const char *cflags, const void *text, size_t len, struct object_bytes *out)
{
	struct image_compile_opts o = { .sz = sizeof(o) };
	char *log = NULL;
	int rc;

	o.compiler = cfg->clang[0] ? cfg->clang : NULL;
	o.cflags = cflags;
	o.timeout_ms = cfg->compile_timeout_ms;
	o.max_object = cfg->max_object_size;
	if (src)
		rc = image_compile(src, &o, &out->owned, &out->len, &log);
	else
		rc = image_compile_text(text, len, &o, &out->owned, &out->len, &log);
	if (rc)
		pr_warn("%s: compiling %s failed (%s):\n%s", what, src ? src : "the C text written",
			rc == -ENOEXEC ? "no compiler" : strerror(-rc), log ? log : "");
	free(log);
	out->obj = out->owned;
	out->path = src ? src : "-";
	return rc;
}

int object_source_resolve(const struct plugfs_config *cfg, const char *what,
			  const struct plugfs_manifest *m, const char *prog_type, const void *buf,
			  size_t len, struct object_bytes *out)
{
	char err[512];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->path = "-";
	if (!m && image_is_c_source(buf, len)) {
		rc = compiled(cfg, what, NULL, NULL, buf, len, out);
	} else if (!m) {
		out->obj = (void *)buf;
		out->len = len;
	} else if (m->image[0]) {
		rc = from_image(cfg, what, m, prog_type, out);
	} else if (m->source[0]) {
		rc = compiled(cfg, what, m->source, m->cflags, NULL, 0, out);
	} else {
		rc = manifest_read_object(m, cfg->max_object_size, &out->owned, &out->len, err,
					  sizeof(err));
		if (rc)
			pr_warn("%s: %s", what, err);
		out->obj = out->owned;
		out->path = m->object;
	}
	if (!rc && out->len > cfg->max_object_size) {
		pr_warn("%s: the object is %zu bytes, over the size limit of %zu", what, out->len,
			cfg->max_object_size);
		rc = -EFBIG;
	}
	if (rc) {
		object_bytes_fini(out);
		return rc;
	}
	plugfs_sha256_hex(out->obj, out->len, out->sha256);
	return 0;
}

int object_source_load(const struct plugfs_config *cfg, const char *what, const void *buf,
		       size_t len, const char *prog_type, struct plugfs_manifest **mp,
		       struct object_bytes *out)
{
	struct plugfs_manifest *m = NULL;
	char why[512] = "";
	int err;

	*mp = NULL;
	memset(out, 0, sizeof(*out));
	if (!manifest_is_elf(buf, len) && !image_is_c_source(buf, len)) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return -ENOMEM;
		err = manifest_parse(buf, len, m, why, sizeof(why));
		if (err) {
			pr_warn("%s: %s: %s", what, m->keys_read ? "bad load manifest" :
				"neither an ELF object nor a load manifest (nor C source)", why);
			free(m);
			return err;
		}
	}
	err = object_source_resolve(cfg, what, m, prog_type, buf, len, out);
	if (err) {
		free(m);
		return err;
	}
	*mp = m;
	return 0;
}

void object_bytes_fini(struct object_bytes *b)
{
	free(b->owned);
	b->owned = NULL;
	b->obj = NULL;
}

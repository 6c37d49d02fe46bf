/* SPDX-License-Identifier: MIT */
/* The JSON documents of the OCI image spec: manifests, indexes, layouts' index.json (json-c). */
#include "image_internal.h"

#include <json-c/json.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

static struct json_object *parse(const char *json, size_t len, char *err, size_t err_size)
{
	struct json_tokener *t = json_tokener_new();
	struct json_object *o;

	if (!t)
		return NULL;
	o = json_tokener_parse_ex(t, json, (int)len);
	if (!o || json_tokener_get_error(t) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		snprintf(err, err_size, "not a JSON object (%s)",
			 json_tokener_error_desc(json_tokener_get_error(t)));
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(t);
	return o;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *array_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

int oci_doc_kind(const char *json, size_t len, enum oci_doc_kind *kind, char *err, size_t err_size)
{
	struct json_object *o = parse(json, len, err, err_size);
	const char *mt;

	if (!o)
		return -EINVAL;
	mt = str_of(o, "mediaType");
	if ((mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST))) ||
	    (!mt && array_of(o, "manifests")))
		*kind = OCI_DOC_INDEX;
	else
		*kind = OCI_DOC_MANIFEST;
	json_object_put(o);
	return 0;
}

static int copy_digest(const char *d, char out[80], char *err, size_t err_size)
{
	if (!d || !image_digest_valid(d)) {
		snprintf(err, err_size, "descriptor without a sha256 digest (%s)", d ? d : "none");
		return -EINVAL;
	}
	snprintf(out, 80, "%s", d);
	return 0;
}

/* The descriptor of manifests[] that match() accepts, the only one if none does. */
static int pick(const char *json, size_t len, bool (*match)(struct json_object *, const void *),
		const void *arg, bool only_one_ok, char digest[80], char *err, size_t err_size)
{
	struct json_object *o = parse(json, len, err, err_size), *arr, *chosen = NULL;
	size_t i, n;
	int rc;

	if (!o)
		return -EINVAL;
	arr = array_of(o, "manifests");
	n = arr ? json_object_array_length(arr) : 0;
	for (i = 0; i < n && !chosen; i++)
		if (match(json_object_array_get_idx(arr, i), arg))
			chosen = json_object_array_get_idx(arr, i);
	if (!chosen && n == 1 && only_one_ok)
		chosen = json_object_array_get_idx(arr, 0);
	if (!chosen) {
		snprintf(err, err_size, "index of %zu manifests has none for %s", n,
			 arg ? (const char *)arg : "linux/amd64");
		if (arg && *(const char *)arg)
			snprintf(err, err_size, "no manifest tagged '%s' in the layout",
				 (const char *)arg);
		json_object_put(o);
		return -ENOENT;
	}
	rc = copy_digest(str_of(chosen, "digest"), digest, err, err_size);
	json_object_put(o);
	return rc;
}

static bool is_linux_amd64(struct json_object *d, const void *arg)
{
	struct json_object *p;
	const char *os, *arch;

	if (!json_object_object_get_ex(d, "platform", &p))
		return false;
	os = str_of(p, "os");
	arch = str_of(p, "architecture");
	return os && arch && !strcmp(os, "linux") && !strcmp(arch, "amd64");
}

int oci_index_pick(const char *json, size_t len, char digest[80], char *err, size_t err_size)
{
	return pick(json, len, is_linux_amd64, NULL, true, digest, err, err_size);
}

static bool has_ref_name(struct json_object *d, const void *arg)
{
	struct json_object *a;
	const char *name;

	if (!*(const char *)arg || !json_object_object_get_ex(d, "annotations", &a))
		return false;
	name = str_of(a, "org.opencontainers.image.ref.name");
	return name && !strcmp(name, arg);
}

int oci_layout_pick(const char *json, size_t len, const char *tag, char digest[80], char *err,
		    size_t err_size)
{
	/* a tag that names nothing must not fall back to the only manifest */
	return pick(json, len, has_ref_name, tag, !*tag, digest, err, err_size);
}

int oci_manifest_parse(const char *json, size_t len, struct oci_manifest *m, char *err,
		       size_t err_size)
{
	struct json_object *o = parse(json, len, err, err_size), *cfg, *layers;
	size_t i, n;
	int rc = -EINVAL;

	memset(m, 0, sizeof(*m));
	if (!o)
		return -EINVAL;
	layers = array_of(o, "layers");
	if (!json_object_object_get_ex(o, "config", &cfg) || !layers) {
		snprintf(err, err_size, "not an image manifest: no config or no layers");
		goto out;
	}
	if (copy_digest(str_of(cfg, "digest"), m->config, err, err_size))
		goto out;
	n = json_object_array_length(layers);
	if (n > IMAGE_MAX_LAYERS) {
		snprintf(err, err_size, "%zu layers: a bytecode image has one", n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(layers, i);
		const char *mt = str_of(l, "mediaType");

		if (copy_digest(str_of(l, "digest"), m->layers[i], err, err_size))
			goto out;
		snprintf(m->layer_types[i], sizeof(m->layer_types[i]), "%s", mt ? mt : "");
	}
	m->nr_layers = (unsigned int)n;
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

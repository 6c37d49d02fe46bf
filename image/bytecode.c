/* SPDX-License-Identifier: MIT */
/*
 * bpfman's bytecode image format: the labels of the image config that name
 * the programs and maps (io.ebpf.programs / io.ebpf.maps, JSON objects of
 * name -> type; or the older io.ebpf.program_type with
 * io.ebpf.bpf_function_name or io.ebpf.program_name), and the ELF object at
 * the root of the one layer (a tar, gzip-compressed or not).
 */
#include "image_internal.h"

#include <json-c/json.h>
#include <zlib.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A label whose value is a JSON object of name -> type. */
static int label_items(const char *text, struct image_label_item *items, unsigned int *n,
		       const char *label, char *err, size_t err_size)
{
	struct json_object *o = json_tokener_parse(text);

	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(err, err_size, "label %s is not a JSON object: '%.100s'", label, text);
		json_object_put(o);
		return -EINVAL;
	}
	json_object_object_foreach(o, key, val) {
		if (*n >= IMAGE_MAX_PROGRAMS)
			break;
		snprintf(items[*n].name, sizeof(items[*n].name), "%s", key);
		snprintf(items[*n].type, sizeof(items[*n].type), "%s", json_object_get_string(val));
		(*n)++;
	}
	json_object_put(o);
	return 0;
}

static const char *label(struct json_object *labels, const char *key)
{
	struct json_object *v;

	if (!labels || !json_object_object_get_ex(labels, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int read_labels(struct json_object *labels, struct image_labels *l, char *err, size_t err_size)
{
	const char *progs = label(labels, "io.ebpf.programs"), *maps = label(labels, "io.ebpf.maps");
	const char *type = label(labels, "io.ebpf.program_type"), *fn, *file;
	int rc = 0;

	file = label(labels, "io.ebpf.filename");
	if (file)
		snprintf(l->filename, sizeof(l->filename), "%s", file);
	if (progs)
		rc = label_items(progs, l->programs, &l->nr_programs, "io.ebpf.programs", err, err_size);
	if (!rc && maps)
		rc = label_items(maps, l->maps, &l->nr_maps, "io.ebpf.maps", err, err_size);
	if (rc || progs)
		return rc;
	fn = label(labels, "io.ebpf.bpf_function_name");
	if (!fn)
		fn = label(labels, "io.ebpf.program_name");
	if (!type || !fn) {
		snprintf(err, err_size, "not a bytecode image: no io.ebpf.programs label (nor "
			 "io.ebpf.program_type with io.ebpf.bpf_function_name)");
		return -EINVAL;
	}
	snprintf(l->programs[0].name, sizeof(l->programs[0].name), "%s", fn);
	snprintf(l->programs[0].type, sizeof(l->programs[0].type), "%s", type);
	l->nr_programs = 1;
	return 0;
}

int image_labels_parse(const char *config_json, size_t len, struct image_labels *l, char *err,
		       size_t err_size)
{
	struct json_tokener *t = json_tokener_new();
	struct json_object *o, *cfg = NULL, *labels = NULL;
	int rc;

	memset(l, 0, sizeof(*l));
	if (!t)
		return -ENOMEM;
	o = json_tokener_parse_ex(t, config_json, (int)len);
	json_tokener_free(t);
	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(err, err_size, "not a bytecode image: the image config is not JSON");
		json_object_put(o);
		return -EINVAL;
	}
	/* OCI configs keep labels in config.Labels; some builders write them at the top */
	if (json_object_object_get_ex(o, "config", &cfg))
		json_object_object_get_ex(cfg, "Labels", &labels);
	if (!labels)
		json_object_object_get_ex(o, "Labels", &labels);
	rc = read_labels(labels, l, err, err_size);
	json_object_put(o);
	return rc;
}

const char *image_labels_program(const struct image_labels *l, const char *type)
{
	const char *found = NULL;
	unsigned int i, n = 0;

	for (i = 0; i < l->nr_programs; i++) {
		if (type && strcmp(l->programs[i].type, type))
			continue;
		found = l->programs[i].name;
		n++;
	}
	return n == 1 ? found : NULL;
}

/* gunzip into a new buffer of at most max bytes. */
static int gunzip(const void *in, size_t len, size_t max, void **out, size_t *out_len, char *err,
		  size_t err_size)
{
	z_stream z = { 0 };
	size_t cap = len * 4 + 4096;
	unsigned char *buf = NULL;
	int rc;

	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	do {
		unsigned char *nb;

		if (cap > max + 1)
			cap = max + 1;
		nb = realloc(buf, cap);
		if (!nb) {
			rc = Z_MEM_ERROR;
			break;
		}
		buf = nb;
		z.next_out = buf + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		rc = inflate(&z, Z_NO_FLUSH);
		if (z.total_out > max) {
			rc = Z_BUF_ERROR;
			break;
		}
		cap *= 2;
	} while (rc == Z_OK);
	*out_len = z.total_out;
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		snprintf(err, err_size, "not a bytecode image: the layer does not gunzip (%s)",
			 z.total_out > max ? "too big" : "corrupt");
		return -EINVAL;
	}
	*out = buf;
	return 0;
}

static size_t octal(const char *p, size_t n)
{
	size_t v = 0;

	for (; n && *p == ' '; p++, n--)
		;
	for (; n && *p >= '0' && *p <= '7'; p++, n--)
		v = v * 8 + (size_t)(*p - '0');
	return v;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The regular file named filename (any ELF file if ""), from a tar. */
static int tar_find(const unsigned char *tar, size_t len, const char *filename, const void **obj,
		    size_t *obj_len)
{
	size_t off = 0;

	while (off + 512 <= len && tar[off]) {
		const char *h = (const char *)tar + off;
		size_t size = octal(h + 124, 12);
		char name[101];
		char type = h[156];

		snprintf(name, sizeof(name), "%.100s", h);
		if (off + 512 + size > len)
			break;
		if ((type == '0' || type == '\0') &&
		    (*filename ? !strcmp(base_name(name), filename) :
				 size >= 4 && !memcmp(tar + off + 512, "\177ELF", 4))) {
			*obj = tar + off + 512;
			*obj_len = size;
			return 0;
		}
		off += 512 + (size + 511) / 512 * 512;
	}
	return -ENOENT;
}

int bytecode_extract(const void *layer, size_t len, const char *filename, size_t max, void **obj,
		     size_t *obj_len, char *err, size_t err_size)
{
	const unsigned char *p = layer;
	void *plain = NULL;
	const void *found;
	size_t plen = len, flen;
	int rc;

	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
		rc = gunzip(layer, len, max + (1u << 20), &plain, &plen, err, err_size);
		if (rc)
			return rc;
		p = plain;
	}
	rc = tar_find(p, plen, filename, &found, &flen);
	if (rc) {
		snprintf(err, err_size, "not a bytecode image: no %s%s in the layer",
			 *filename ? "file " : "ELF object", filename);
		rc = -EINVAL;
	} else if (flen > max) {
		snprintf(err, err_size, "the object in the layer is %zu bytes, over the limit of %zu",
			 flen, max);
		rc = -EFBIG;
	} else if (flen < 4 || memcmp(found, "\177ELF", 4)) {
		snprintf(err, err_size, "not a bytecode image: %s in the layer is not an ELF object",
			 filename);
		rc = -EINVAL;
	} else {
		*obj = malloc(flen ? flen : 1);
		rc = *obj ? 0 : -ENOMEM;
		if (!rc) {
			memcpy(*obj, found, flen);
			*obj_len = flen;
		}
	}
	free(plain);
	return rc;
}

bool image_is_c_source(const void *buf, size_t len)
{
	static const char *const marks[] = { "#include", "SEC(\"", "#define", "int ", NULL };
	const char *t = buf;
	bool mark = false;

	if (!len || memchr(buf, '\0', len) || (len >= 4 && !memcmp(buf, "\177ELF", 4)))
		return false;
	for (unsigned int i = 0; marks[i] && !mark; i++)
		mark = memmem(t, len, marks[i], strlen(marks[i])) != NULL;
	/* an ini manifest has "key = value" lines and no braces */
	return mark && memchr(t, '{', len) && memchr(t, '}', len);
}

/* SPDX-License-Identifier: MIT */
/*
 * Host manifests: the ini files of pluglets a host loads at creation
 * (pluglet_host_opts.manifest) or on demand (pluglet_host__load_manifest),
 * read with the strict common reader. A bad key or value fails the whole
 * manifest and names its line; an entry whose object does not load is
 * logged and the other entries stay.
 */
#include "host_internal.h"

#include <plugfs/fileutil.h>
#include <plugfs/ini.h>
#include <plugfs/log.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct manifest_entry {
	char section[128];
	char plugin[128];
	char object[PATH_MAX];
	char entry[64];
	int anchor;			/* -1 until given */
	bool have_seq;
	uint32_t seq;
	struct pluglet_inject_opts opts;
};

struct manifest {
	struct manifest_entry *e;
	size_t nr;
};

/* The entry of a section, added on its first key; NULL with errno. */
static struct manifest_entry *entry_of(struct manifest *m, const char *section)
{
	struct manifest_entry *ne, *e;

	for (size_t i = 0; i < m->nr; i++)
		if (!strcmp(m->e[i].section, section))
			return &m->e[i];
	ne = realloc(m->e, (m->nr + 1) * sizeof(*ne));
	if (!ne)
		return NULL;
	m->e = ne;
	e = &m->e[m->nr];
	memset(e, 0, sizeof(*e));
	if (plugfs_set_str(e->section, sizeof(e->section), section)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	m->nr++;
	e->anchor = -1;
	e->opts.sz = sizeof(e->opts);
	return e;
}

/* seq is decimal only, as in the daemon's entry names ("010" is 10, no 0x). */
static int parse_seq(const char *v, uint32_t *out)
{
	if (!*v || strspn(v, "0123456789") != strlen(v))
		return -EINVAL;
	return plugfs_parse_u32(v, out);
}

static int manifest_key(void *cookie, const char *section, const char *key, const char *value,
			char *err, size_t err_size)
{
	struct manifest_entry *e = entry_of(cookie, section);
	int rc;

	if (!e) {
		rc = -errno;
		snprintf(err, err_size, "[%s]: %s", section, strerror(-rc));
		return rc;
	}
	if (!strcmp(key, "plugin")) {
		rc = plugfs_set_str(e->plugin, sizeof(e->plugin), value);
	} else if (!strcmp(key, "anchor")) {
		e->anchor = pluglet_anchor_parse(value);
		rc = e->anchor < 0 ? -EINVAL : 0;
	} else if (!strcmp(key, "seq")) {
		rc = parse_seq(value, &e->seq);
		e->have_seq = !rc;
	} else if (!strcmp(key, "object")) {
		rc = value[0] == '/' ? plugfs_set_str(e->object, sizeof(e->object), value) : -EINVAL;
	} else if (!strcmp(key, "name") || !strcmp(key, "entry")) {
		rc = plugfs_set_str(e->entry, sizeof(e->entry), value);
	} else if (!strcmp(key, "jit")) {
		rc = plugfs_parse_bool(value, &e->opts.jit);
	} else if (!strcmp(key, "extra_memory")) {
		rc = plugfs_parse_u32(value, &e->opts.extra_mem);
	} else if (!strcmp(key, "shared_memory")) {
		rc = plugfs_parse_u32(value, &e->opts.shared_mem);
	} else {
		snprintf(err, err_size, "[%s]: unknown key '%s'", section, key);
		return -EINVAL;
	}
	if (rc)
		snprintf(err, err_size, "[%s]: bad value for '%s': '%s'", section, key, value);
	return rc ? -EINVAL : 0;
}

/* Loads every entry; one that fails is logged and counted. */
static void manifest_load(struct pluglet_host *h, struct manifest *m, const char *path,
			  char *err, size_t err_size, int *failed)
{
	for (size_t i = 0; i < m->nr; i++) {
		struct manifest_entry *e = &m->e[i];
		char why[PATH_MAX + 512];
		size_t len = 0;
		void *obj;
		int r;

		r = plugfs_read_file(e->object, &obj, &len);
		if (r) {
			snprintf(why, sizeof(why), "cannot read %s: %s", e->object, strerror(-r));
		} else {
			e->opts.entry = e->entry[0] ? e->entry : NULL;
			r = pluglet_host__add(h, e->plugin, (enum pluglet_anchor)e->anchor, e->seq,
					      obj, len, &e->opts, why, sizeof(why));
			free(obj);
		}
		if (!r)
			continue;
		pr_warn("pluglet host %s: manifest %s [%s]: %s\n", h->name, path, e->section, why);
		if (!(*failed)++)
			snprintf(err, err_size, "[%s]: %s", e->section, why);
	}
}

int host_manifest_apply(struct pluglet_host *h, const char *path, char *err, size_t err_size,
			int *failed)
{
	struct manifest m = { 0 };
	char why[512];
	int rc;

	rc = plugfs_ini_parse_file(path, manifest_key, &m, why, sizeof(why));
	if (rc == -EINVAL || rc == -ENOMEM || rc == -ENAMETOOLONG) {
		snprintf(err, err_size, "%s: %s", path, why);
		rc = rc == -ENOMEM ? rc : -EINVAL;
		goto out;
	}
	if (rc) {
		snprintf(err, err_size, "cannot read %s", path);
		rc = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < m.nr; i++) {
		const struct manifest_entry *e = &m.e[i];

		if (!e->plugin[0] || e->anchor < 0 || !e->have_seq || !e->object[0]) {
			snprintf(err, err_size, "%s: [%s] needs plugin, anchor (pre|replace|post), seq and an absolute object path",
				 path, e->section);
			rc = -EINVAL;
			goto out;
		}
	}
	manifest_load(h, &m, path, err, err_size, failed);
out:
	free(m.e);
	return rc;
}

int pluglet_host__load_manifest(struct pluglet_host *h, const char *path, char *err, size_t err_size)
{
	int failed = 0, rc;

	if (!h || !path)
		return -EINVAL;
	if (!err)
		err_size = 0;
	rc = host_manifest_apply(h, path, err, err_size, &failed);
	if (!rc && failed)
		rc = -EIO;
	return rc;
}

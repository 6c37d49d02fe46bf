/* SPDX-License-Identifier: MIT */
/* The desired state of plugins/ in memory and in <state>/plugins (plugins_state.h). */
#include "plugins_state.h"

#include <plugfs/fileutil.h>
#include <plugfs/ini.h>
#include <plugfs/log.h>
#include <plugfs/sha256.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define PL_PATH 8192

static const char *const anchor_names[] = { "pre", "replace", "post" };

void pl_pluglet_free(struct pl_pluglet *pl)
{
	if (!pl)
		return;
	free(pl->obj);
	free(pl);
}

static void plugin_free(struct pl_plugin *pg)
{
	unsigned int a;

	for (a = 0; a < PLUGLET_ANCHOR__MAX; a++) {
		while (pg->anchors[a]) {
			struct pl_pluglet *pl = pg->anchors[a];

			pg->anchors[a] = pl->next;
			pl_pluglet_free(pl);
		}
	}
	free(pg);
}

/* ---- files ---- */

static void plugin_dir(const struct pl_store *s, const char *plugin, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", s->dir, plugin);
}

static void entry_path(const struct pl_store *s, const char *plugin, unsigned int anchor,
		       const char *name, const char *ext, char *out, size_t size)
{
	snprintf(out, size, "%s/%s/%s/%s%s", s->dir, plugin, anchor_names[anchor], name, ext);
}

static int persist(const struct pl_store *s, const char *plugin, unsigned int anchor,
		   const struct pl_pluglet *pl)
{
	char path[PL_PATH], opts[8192];
	int n, rc;

	snprintf(path, sizeof(path), "%s/%s/%s", s->dir, plugin, anchor_names[anchor]);
	rc = plugfs_mkdir_p(path, 0700);
	if (rc)
		return rc;
	entry_path(s, plugin, anchor, pl->name, ".o", path, sizeof(path));
	rc = plugfs_write_file(path, pl->obj, pl->len);
	if (rc)
		return rc;
	n = snprintf(opts, sizeof(opts),
		     "seq = %u\njit = %d\nextra_memory = %u\nshared_memory = %u\nentry = %s\nsource = %s\n"
		     "generation = %llu\n",
		     pl->seq, pl->jit, pl->extra_memory, pl->shared_memory, pl->entry, pl->source,
		     (unsigned long long)pl->gen);
	entry_path(s, plugin, anchor, pl->name, ".ini", path, sizeof(path));
	return plugfs_write_file(path, opts, n);
}

static void unpersist(const struct pl_store *s, const char *plugin, unsigned int anchor,
		      const char *name)
{
	char path[PL_PATH];

	entry_path(s, plugin, anchor, name, ".o", path, sizeof(path));
	unlink(path);
	entry_path(s, plugin, anchor, name, ".ini", path, sizeof(path));
	unlink(path);
}

static void rmdir_plugin(const struct pl_store *s, const char *plugin)
{
	char path[PL_PATH];
	unsigned int a;

	for (a = 0; a < PLUGLET_ANCHOR__MAX; a++) {
		snprintf(path, sizeof(path), "%s/%s/%s", s->dir, plugin, anchor_names[a]);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/%s/declared", s->dir, plugin);
	unlink(path);
	plugin_dir(s, plugin, path, sizeof(path));
	rmdir(path);
}

/* ---- memory ---- */

struct pl_plugin *pl_store_find(struct pl_store *s, const char *plugin)
{
	struct pl_plugin *pg;

	for (pg = s->plugins; pg; pg = pg->next)
		if (!strcmp(pg->name, plugin))
			return pg;
	return NULL;
}

static struct pl_plugin *plugin_get_or_add(struct pl_store *s, const char *plugin)
{
	struct pl_plugin *pg = pl_store_find(s, plugin), **pp;

	if (pg)
		return pg;
	if (strlen(plugin) >= sizeof(pg->name))
		return NULL;
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return NULL;
	snprintf(pg->name, sizeof(pg->name), "%s", plugin);
	/* Sorted, so that listings are stable. */
	for (pp = &s->plugins; *pp && strcmp((*pp)->name, plugin) < 0; pp = &(*pp)->next)
		;
	pg->next = *pp;
	*pp = pg;
	return pg;
}

static bool plugin_empty(const struct pl_plugin *pg)
{
	unsigned int a;

	for (a = 0; a < PLUGLET_ANCHOR__MAX; a++)
		if (pg->anchors[a])
			return false;
	return true;
}

/* A plugin with no pluglets that the user did not declare is forgotten. */
static void plugin_gc(struct pl_store *s, struct pl_plugin *pg)
{
	struct pl_plugin **pp;

	if (pg->declared || !plugin_empty(pg))
		return;
	for (pp = &s->plugins; *pp; pp = &(*pp)->next) {
		if (*pp == pg) {
			*pp = pg->next;
			break;
		}
	}
	rmdir_plugin(s, pg->name);
	plugin_free(pg);
}

int pl_store_declare(struct pl_store *s, const char *plugin)
{
	char path[PL_PATH];
	struct pl_plugin *pg = plugin_get_or_add(s, plugin);
	int rc;

	if (!pg)
		return -ENOMEM;
	pg->declared = true;
	plugin_dir(s, plugin, path, sizeof(path));
	rc = plugfs_mkdir_p(path, 0700);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/%s/declared", s->dir, plugin);
	return plugfs_write_file(path, "", 0);
}

int pl_store_undeclare(struct pl_store *s, const char *plugin)
{
	struct pl_plugin *pg = pl_store_find(s, plugin);

	if (!pg)
		return -ENOENT;
	if (!plugin_empty(pg))
		return -ENOTEMPTY;
	pg->declared = false;
	plugin_gc(s, pg);
	return 0;
}

struct pl_pluglet *pl_store_get(struct pl_store *s, const char *plugin, unsigned int anchor,
				const char *name)
{
	struct pl_plugin *pg = pl_store_find(s, plugin);
	struct pl_pluglet *pl;

	if (!pg || anchor >= PLUGLET_ANCHOR__MAX)
		return NULL;
	for (pl = pg->anchors[anchor]; pl; pl = pl->next)
		if (!strcmp(pl->name, name))
			return pl;
	return NULL;
}

static void list_insert(struct pl_pluglet **head, struct pl_pluglet *pl)
{
	struct pl_pluglet **pp;

	for (pp = head; *pp && (*pp)->seq <= pl->seq; pp = &(*pp)->next)
		;
	pl->next = *pp;
	*pp = pl;
}

static struct pl_pluglet *list_unlink(struct pl_pluglet **head, const char *name)
{
	struct pl_pluglet **pp, *pl;

	for (pp = head; (pl = *pp); pp = &pl->next) {
		if (!strcmp(pl->name, name)) {
			*pp = pl->next;
			pl->next = NULL;
			return pl;
		}
	}
	return NULL;
}

int pl_store_put(struct pl_store *s, const char *plugin, unsigned int anchor, struct pl_pluglet *pl)
{
	struct pl_plugin *pg = plugin_get_or_add(s, plugin);
	int rc;

	if (!pg)
		return -ENOMEM;
	rc = persist(s, plugin, anchor, pl);
	if (rc) {
		pr_warn("plugins/%s: cannot save pluglet %s in the state directory: %s", plugin, pl->name,
			strerror(-rc));
		plugin_gc(s, pg);
		return rc;
	}
	pl_pluglet_free(list_unlink(&pg->anchors[anchor], pl->name));
	list_insert(&pg->anchors[anchor], pl);
	return 0;
}

int pl_store_del(struct pl_store *s, const char *plugin, unsigned int anchor, const char *name)
{
	struct pl_plugin *pg = pl_store_find(s, plugin);
	struct pl_pluglet *pl;

	if (!pg)
		return -ENOENT;
	pl = list_unlink(&pg->anchors[anchor], name);
	if (!pl)
		return -ENOENT;
	unpersist(s, plugin, anchor, name);
	pl_pluglet_free(pl);
	plugin_gc(s, pg);
	return 0;
}

int pl_store_rename(struct pl_store *s, const char *plugin, unsigned int anchor, const char *from,
		    const char *to, uint32_t seq)
{
	struct pl_plugin *pg = pl_store_find(s, plugin);
	struct pl_pluglet *pl;
	int rc;

	if (!pg)
		return -ENOENT;
	pl = list_unlink(&pg->anchors[anchor], from);
	if (!pl)
		return -ENOENT;
	snprintf(pl->name, sizeof(pl->name), "%s", to);
	pl->seq = seq;
	rc = persist(s, plugin, anchor, pl);
	if (!rc)
		unpersist(s, plugin, anchor, from);
	list_insert(&pg->anchors[anchor], pl);
	return rc;
}

/* ---- loading at start ---- */

/* The options file persist() writes: every key it writes, nothing else. */
static int opt_key(void *cookie, const char *section, const char *key, const char *value,
		   char *err, size_t err_size)
{
	struct pl_pluglet *pl = cookie;

	if (section[0]) {
		snprintf(err, err_size, "unexpected section [%s]", section);
		return -EINVAL;
	}
	if (!strcmp(key, "seq"))
		return plugfs_parse_u32(value, &pl->seq);
	if (!strcmp(key, "jit"))
		return plugfs_parse_bool(value, &pl->jit);
	if (!strcmp(key, "extra_memory"))
		return plugfs_parse_u32(value, &pl->extra_memory);
	if (!strcmp(key, "shared_memory"))
		return plugfs_parse_u32(value, &pl->shared_memory);
	if (!strcmp(key, "entry"))
		return plugfs_set_str(pl->entry, sizeof(pl->entry), value);
	if (!strcmp(key, "source"))
		return plugfs_set_str(pl->source, sizeof(pl->source), value);
	if (!strcmp(key, "generation"))
		return plugfs_parse_u64(value, UINT64_MAX, &pl->gen);
	snprintf(err, err_size, "unknown key '%s'", key);
	return -EINVAL;
}

/*
 * One saved pluglet: <name>.o and its options <name>.ini. Without an
 * options file (a crash between the two writes) the defaults and the seq
 * of the name apply; an options file that does not parse drops the
 * pluglet rather than run it with options nobody chose. 0 or -errno.
 */
static int load_pluglet(const char *dir, const char *name, struct pl_pluglet **out)
{
	char path[PL_PATH + 512], err[640];
	struct pl_pluglet *pl;
	int rc;

	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -ENOMEM;
	snprintf(pl->name, sizeof(pl->name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s.o", dir, name);
	rc = plugfs_read_file(path, &pl->obj, &pl->len);
	if (rc)
		goto fail;
	pl->seq = strtoul(pl->name, NULL, 10);
	snprintf(path, sizeof(path), "%s/%s.ini", dir, name);
	rc = plugfs_ini_parse_file(path, opt_key, pl, err, sizeof(err));
	if (rc == -ENOENT)
		rc = 0;
	if (rc) {
		pr_warn("plugins: %s: %s; pluglet not restored", path, err);
		goto fail;
	}
	plugfs_sha256_hex(pl->obj, pl->len, pl->sha256);
	*out = pl;
	return 0;
fail:
	pl_pluglet_free(pl);
	return rc;
}

static void load_anchor(struct pl_store *s, struct pl_plugin *pg, unsigned int anchor)
{
	char dir[PL_PATH], name[sizeof(((struct pl_pluglet *)0)->name)];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s/%s", s->dir, pg->name, anchor_names[anchor]);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		struct pl_pluglet *pl;
		int rc;

		if (n < 3 || n - 2 >= sizeof(name) || strcmp(de->d_name + n - 2, ".o"))
			continue;
		memcpy(name, de->d_name, n - 2);
		name[n - 2] = '\0';
		rc = load_pluglet(dir, name, &pl);
		if (rc == -ENOMEM)
			break;
		if (!rc) {
			if (pl->gen > s->max_gen)
				s->max_gen = pl->gen;
			list_insert(&pg->anchors[anchor], pl);
		}
	}
	closedir(d);
}

/*
 * The id of this store on the hosts: made once at random and kept, so that
 * a restarted daemon knows the pluglets it left in the hosts.
 */
static int load_origin(struct pl_store *s)
{
	char path[PL_PATH], hex[17] = "";
	void *buf = NULL;
	size_t len = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/.origin", s->dir);
	rc = plugfs_read_file(path, &buf, &len);
	if (!rc) {
		memcpy(hex, buf, len < 16 ? len : 16);
		s->origin = strtoull(hex, NULL, 16);
	}
	free(buf);
	if (s->origin)
		return 0;
	while (!s->origin)
		if (getrandom(&s->origin, sizeof(s->origin), 0) != sizeof(s->origin))
			return -errno;
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)s->origin);
	return plugfs_write_file(path, hex, 16);
}

int pl_store_open(struct pl_store *s, const char *state_dir)
{
	struct dirent *de;
	DIR *d;
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s/plugins", state_dir);
	rc = plugfs_mkdir_p(s->dir, 0700);
	if (rc) {
		pr_warn("plugins: cannot create %s: %s", s->dir, strerror(-rc));
		return rc;
	}
	rc = load_origin(s);
	if (rc) {
		pr_warn("plugins: cannot keep the store's id in %s: %s", s->dir, strerror(-rc));
		return rc;
	}
	d = opendir(s->dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[PL_PATH];
		struct pl_plugin *pg;
		unsigned int a;

		if (de->d_name[0] == '.')
			continue;
		pg = plugin_get_or_add(s, de->d_name);
		if (!pg)
			break;
		snprintf(path, sizeof(path), "%s/%s/declared", s->dir, de->d_name);
		pg->declared = access(path, F_OK) == 0;
		for (a = 0; a < PLUGLET_ANCHOR__MAX; a++)
			load_anchor(s, pg, a);
		plugin_gc(s, pg);
	}
	closedir(d);
	return 0;
}

void pl_store_close(struct pl_store *s)
{
	while (s->plugins) {
		struct pl_plugin *pg = s->plugins;

		s->plugins = pg->next;
		plugin_free(pg);
	}
}

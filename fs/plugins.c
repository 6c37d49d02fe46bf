/* SPDX-License-Identifier: MIT */
/*
 * plugins/: the daemon as the place where pluglets live.
 *
 * Desired state: every pluglet written into plugins/ (object + options) is
 * kept in the store (plugins_state.c, memory and <state>/plugins) and pushed
 * to every connected host that registers its plugin; a host found later
 * gets the pluglets of its plugins in seq order before it is published
 * (host_registry.h).
 *
 * Two locks, neither held by a reader while a host is asked anything:
 *  - change_lock serialises the changes (cp, rm, mv, mkdir, rmdir) and the
 *    bringing up to date of a new host, host round trips included, so each
 *    host sees the changes in the order the tree made them;
 *  - store_lock guards the store for the short moments it is read or
 *    written. The store changes only under both locks, so the holder of
 *    change_lock reads it without store_lock.
 * Reads (listings, lookups, `cat`) take store_lock only, then ask the
 * hosts through references that the registry hands out. Lock order:
 * change_lock, store_lock, then the registry's own.
 */
#include "plugins.h"

#include "manifest.h"
#include "pluglet_check.h"
#include "plugins_state.h"

#include <plugfs/log.h>
#include <plugfs/sha256.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const anchor_dirs[] = { "pre", "replace", "post", NULL };

struct plugins {
	const struct plugfs_config *cfg;
	struct host_registry *reg;
	pthread_mutex_t change_lock;
	pthread_mutex_t store_lock;
	struct pl_store store;		/* plugins and pluglets */
};

/* ---- names ---- */

static int parse_seq(const char *name, uint32_t *seq)
{
	char *end;
	unsigned long v;

	if (!*name || *name == '-' || *name == '+' || (name[0] == '0' && name[1]))
		return -EINVAL;
	errno = 0;
	v = strtoul(name, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*seq = v;
	return 0;
}

static bool valid_plugin_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= INJ_NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* A plugin of the store or an insertion point of a host. Under store_lock
 * or change_lock. */
static bool group_known(struct plugins *p, const char *group)
{
	return pl_store_find(&p->store, group) || host_registry__has_point(p->reg, group);
}

/* ---- requests to hosts ---- */

/*
 * One change in one host. On failure, text (malloc'd) holds the host's
 * reason or the local one. Anchors of REPLACE use seq 0 on the wire: the
 * directory name is the user's, the host keeps one REPLACE per plugin.
 */
static int host_change(struct host *h, enum inj_action act, const char *plugin,
		       enum pluglet_anchor anchor, uint32_t seq, const struct pl_pluglet *pl,
		       char **text)
{
	struct inj_request req = {
		.sz = sizeof(req),
		.action = act,
		.plugin = plugin,
		.anchor = anchor,
		.seq = anchor == PLUGLET_ANCHOR_REPLACE ? 0 : seq,
	};

	if (pl) {
		req.jit = pl->jit;
		req.extra_mem = pl->extra_memory;
		req.shared_mem = pl->shared_memory;
		req.entry = pl->entry[0] ? pl->entry : NULL;
	}
	return host__call(h, &req, pl ? pl->obj : NULL, pl ? pl->len : 0, text);
}

static const char *host_file(const struct host *h)
{
	return host__info(h)->file;
}

/* Pushes every pluglet of the host's plugins, in anchor and seq order.
 * Under change_lock. */
static void host_push(struct plugins *p, struct host *h)
{
	struct pl_plugin *pg;
	struct pl_pluglet *pl;
	unsigned int a;

	for (pg = p->store.plugins; pg; pg = pg->next) {
		if (!host__registers(h, pg->name))
			continue;
		for (a = 0; a < PLUGLET_ANCHOR__MAX; a++) {
			for (pl = pg->anchors[a]; pl; pl = pl->next) {
				char *text = NULL;
				int rc = host_change(h, INJ_ACT_ADD, pg->name, a, pl->seq, pl, &text);

				/* Already there: a restarted daemon finds hosts as it left
				 * them; replacing would reset their state and counters. */
				if (rc == -EEXIST)
					rc = 0;
				if (rc) {
					pr_warn("host %s: pluglet %s/%s/%u rejected: %s", host_file(h),
						pg->name, anchor_dirs[a], pl->seq,
						text ? text : strerror(-rc));
					host__note_rejection(h, pg->name, anchor_dirs[a], pl->seq,
							     text ? text : strerror(-rc));
				}
				free(text);
			}
		}
	}
}

/* The registry's callback for a new host: brought up to date and published
 * under change_lock, so that no change slips in between. */
static void host_added(void *arg, struct host_registry *reg, struct host *h)
{
	struct plugins *p = arg;

	pthread_mutex_lock(&p->change_lock);
	host_push(p, h);
	host_registry__publish(reg, h);
	pthread_mutex_unlock(&p->change_lock);
}

/* ---- listings ---- */

struct points_ctx {
	struct plugins *p;
	fs_name_cb cb;
	void *arg;
};

/* Insertion points of hosts that have no pluglets yet. Under store_lock. */
static int point_cb(const char *name, void *arg)
{
	struct points_ctx *c = arg;

	if (pl_store_find(&c->p->store, name))
		return 0;
	return c->cb(name, c->arg);
}

static int list_groups(void *priv, fs_name_cb cb, void *arg)
{
	struct plugins *p = priv;
	struct points_ctx c = { .p = p, .cb = cb, .arg = arg };
	struct pl_plugin *pg;
	int err = 0;

	pthread_mutex_lock(&p->store_lock);
	for (pg = p->store.plugins; pg && !err; pg = pg->next)
		err = cb(pg->name, arg);
	if (!err)
		err = host_registry__for_each_point(p->reg, point_cb, &c);
	pthread_mutex_unlock(&p->store_lock);
	return err;
}

static int group_exists(void *priv, const char *group)
{
	struct plugins *p = priv;
	bool known;

	pthread_mutex_lock(&p->store_lock);
	known = group_known(p, group);
	pthread_mutex_unlock(&p->store_lock);
	return known ? 0 : -ENOENT;
}

static int list_entries(void *priv, const char *group, unsigned int sub, fs_name_cb cb, void *arg)
{
	struct plugins *p = priv;
	struct pl_plugin *pg;
	struct pl_pluglet *pl;
	int err = 0;

	pthread_mutex_lock(&p->store_lock);
	pg = pl_store_find(&p->store, group);
	if (!pg && !host_registry__has_point(p->reg, group))
		err = -ENOENT;
	for (pl = pg ? pg->anchors[sub] : NULL; pl && !err; pl = pl->next)
		err = cb(pl->name, arg);
	pthread_mutex_unlock(&p->store_lock);
	return err;
}

static int entry_exists(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct plugins *p = priv;
	int err;

	pthread_mutex_lock(&p->store_lock);
	err = pl_store_get(&p->store, group, sub, name) ? 0 : -ENOENT;
	pthread_mutex_unlock(&p->store_lock);
	return err;
}

/* ---- plugins ---- */

static int mkdir_group(void *priv, const char *group)
{
	struct plugins *p = priv;
	int err;

	if (!valid_plugin_name(group))
		return -EINVAL;
	pthread_mutex_lock(&p->change_lock);
	pthread_mutex_lock(&p->store_lock);
	if (pl_store_find(&p->store, group))
		err = -EEXIST;
	else
		err = pl_store_declare(&p->store, group);
	pthread_mutex_unlock(&p->store_lock);
	pthread_mutex_unlock(&p->change_lock);
	if (!err)
		pr_info("plugin %s declared", group);
	return err;
}

/* Asks every host of the plugin to drop it. Under change_lock. */
static int remove_plugin_from_hosts(struct plugins *p, const char *group)
{
	struct host_set hosts;
	unsigned int i;
	int err;

	err = host_registry__select(p->reg, group, &hosts);
	for (i = 0; i < hosts.nr; i++) {
		char *text = NULL;
		int rc = host_change(hosts.v[i], INJ_ACT_REMOVE_PLUGIN, group, 0, 0, NULL, &text);

		if (rc && rc != -ENOENT)
			pr_warn("host %s: rm plugin %s: %s", host_file(hosts.v[i]), group,
				text ? text : strerror(-rc));
		free(text);
	}
	host_set__release(&hosts);
	return err;
}

/*
 * rm -r plugins/<plugin> (after its entries were unlinked): the whole plugin
 * goes from every host too (as ebpf_injecter's "rm" does), and a declared
 * plugin is forgotten. The directory stays visible while a host still
 * registers the insertion point: that is the host's, not ours to remove.
 */
static int rmdir_group(void *priv, const char *group)
{
	struct plugins *p = priv;
	struct pl_plugin *pg;
	unsigned int a;
	int err = 0;

	pthread_mutex_lock(&p->change_lock);
	pg = pl_store_find(&p->store, group);
	if (!pg && !group_known(p, group)) {
		err = -ENOENT;
		goto out;
	}
	for (a = 0; pg && a < PLUGLET_ANCHOR__MAX; a++)
		if (pg->anchors[a])
			err = -ENOTEMPTY;
	if (!err)
		err = remove_plugin_from_hosts(p, group);
	if (err)
		goto out;
	if (pg) {
		pthread_mutex_lock(&p->store_lock);
		err = pl_store_undeclare(&p->store, group);
		pthread_mutex_unlock(&p->store_lock);
	}
	if (!err)
		pr_info("plugins/%s removed", group);
out:
	pthread_mutex_unlock(&p->change_lock);
	return err;
}

/* ---- entries ---- */

static int may_create(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct plugins *p = priv;
	struct pl_plugin *pg;
	uint32_t seq;
	int err = 0;

	if (parse_seq(name, &seq)) {
		pr_warn("plugins/%s/%s/%s: the name must be a decimal sequence number", group,
			anchor_dirs[sub], name);
		return -EINVAL;
	}
	pthread_mutex_lock(&p->store_lock);
	pg = pl_store_find(&p->store, group);
	if (!pg && !group_known(p, group))
		err = -ENOENT;
	else if (sub == PLUGLET_ANCHOR_REPLACE && pg && pg->anchors[sub] &&
		 strcmp(pg->anchors[sub]->name, name)) {
		pr_warn("plugins/%s/replace: already holds %s (one REPLACE pluglet per plugin)", group,
			pg->anchors[sub]->name);
		err = -EEXIST;
	}
	pthread_mutex_unlock(&p->store_lock);
	return err;
}

/* The object and options of a manifest (a write that is not an ELF object). */
static int pluglet_from_manifest(struct plugins *p, struct pl_pluglet *pl, const void *buf,
				 size_t len, void **obj, size_t *obj_len, char *err, size_t err_size)
{
	struct plugfs_manifest *m;
	int rc;

	if (!len) {
		snprintf(err, err_size, "empty write: neither an ELF object nor a manifest");
		return -EINVAL;
	}
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	rc = manifest_parse(buf, len, m, err, err_size);
	if (!rc)
		rc = manifest_read_object(m, p->cfg->max_object_size, obj, obj_len, err, err_size);
	if (!rc) {
		if (m->jit >= 0)
			pl->jit = m->jit;
		if (m->extra_memory >= 0)
			pl->extra_memory = m->extra_memory;
		if (m->shared_memory >= 0)
			pl->shared_memory = m->shared_memory;
		snprintf(pl->entry, sizeof(pl->entry), "%s", m->name);
		snprintf(pl->source, sizeof(pl->source), "%s", m->object);
	}
	free(m);
	return rc;
}

/* Turns what was written (ELF or manifest) into a checked pluglet with options. */
static int build_pluglet(struct plugins *p, const char *name, uint32_t seq, const void *buf,
			 size_t len, struct pl_pluglet **out)
{
	const struct plugfs_config *cfg = p->cfg;
	struct pl_pluglet *pl;
	char err[1024] = "";
	void *obj = NULL;
	size_t obj_len = len;
	int rc = 0;

	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -ENOMEM;
	snprintf(pl->name, sizeof(pl->name), "%s", name);
	pl->seq = seq;
	pl->jit = cfg->pluglet_jit;
	pl->extra_memory = cfg->pluglet_extra_memory;
	pl->shared_memory = cfg->pluglet_shared_memory;

	if (manifest_is_elf(buf, len)) {
		obj = malloc(len ? len : 1);
		if (obj)
			memcpy(obj, buf, len);
		else
			rc = -ENOMEM;
	} else {
		rc = pluglet_from_manifest(p, pl, buf, len, &obj, &obj_len, err, sizeof(err));
	}
	if (rc)
		goto fail;
	pl->obj = obj;
	pl->len = obj_len;
	obj = NULL;
	rc = pluglet_precheck(pl->obj, pl->len, pl->entry, err, sizeof(err));
	if (rc)
		goto fail;
	plugfs_sha256_hex(pl->obj, pl->len, pl->sha256);
	*out = pl;
	return 0;
fail:
	pr_warn("pluglet %s: %s", name, err[0] ? err : strerror(-rc));
	free(obj);
	pl_pluglet_free(pl);
	return rc;
}

/*
 * Every host that registers the plugin must accept the pluglet, or none
 * keeps it: on the first refusal the hosts that took it get back what
 * they had. Returns how many hosts took it, or -errno. Under change_lock.
 */
static int push_to_hosts(struct plugins *p, const char *group, unsigned int sub,
			 const char *name, uint32_t seq, const struct pl_pluglet *pl,
			 const struct pl_pluglet *old)
{
	struct host_set hosts;
	unsigned int done, i;
	int rc;

	rc = host_registry__select(p->reg, group, &hosts);
	for (done = 0; !rc && done < hosts.nr; done++) {
		struct host *h = hosts.v[done];
		char *text = NULL;

		rc = host_change(h, old ? INJ_ACT_REPLACE : INJ_ACT_ADD, group, sub, seq, pl, &text);
		if (rc == -ENOENT && old)	/* the host lost it: give it back */
			rc = host_change(h, INJ_ACT_ADD, group, sub, seq, pl, NULL);
		if (rc) {
			pr_warn("plugins/%s/%s/%s: host %s rejected it: %s", group, anchor_dirs[sub],
				name, host_file(h), text && *text ? text : strerror(-rc));
			free(text);
			break;
		}
		free(text);
		host__forget_rejection(h, group, anchor_dirs[sub], seq);
	}
	for (i = 0; rc && i < done; i++) {
		int rb = old ? host_change(hosts.v[i], INJ_ACT_REPLACE, group, sub, seq, old, NULL) :
			       host_change(hosts.v[i], INJ_ACT_REMOVE, group, sub, seq, NULL, NULL);

		if (rb)
			pr_warn("plugins/%s/%s/%s: rollback in host %s failed: %s", group,
				anchor_dirs[sub], name, host_file(hosts.v[i]), strerror(-rb));
	}
	host_set__release(&hosts);
	return rc ? rc : (int)done;
}

static int commit(void *priv, const char *group, unsigned int sub, const char *name,
		  const void *buf, size_t len)
{
	struct plugins *p = priv;
	struct pl_pluglet *pl = NULL, *old;
	struct pl_plugin *pg;
	uint32_t seq;
	int rc, nr_hosts;

	rc = parse_seq(name, &seq);
	if (rc)
		return rc;
	rc = build_pluglet(p, name, seq, buf, len, &pl);
	if (rc)
		return rc;

	pthread_mutex_lock(&p->change_lock);
	pg = pl_store_find(&p->store, group);
	if (!pg && !group_known(p, group)) {
		rc = -ENOENT;
		goto out;
	}
	old = pl_store_get(&p->store, group, sub, name);
	if (!old && sub == PLUGLET_ANCHOR_REPLACE && pg && pg->anchors[sub]) {
		rc = -EEXIST;
		goto out;
	}
	nr_hosts = push_to_hosts(p, group, sub, name, seq, pl, old);
	if (nr_hosts < 0) {
		rc = nr_hosts;
		goto out;
	}
	pthread_mutex_lock(&p->store_lock);
	rc = pl_store_put(&p->store, group, sub, pl);
	pthread_mutex_unlock(&p->store_lock);
	if (!rc) {
		pr_info("plugins/%s/%s/%s: %s in %d host(s) (%zu bytes, sha256 %.16s...)", group,
			anchor_dirs[sub], name, old ? "replaced" : "loaded", nr_hosts, pl->len,
			pl->sha256);
		pl = NULL;
	}
out:
	pthread_mutex_unlock(&p->change_lock);
	pl_pluglet_free(pl);
	return rc;
}

static int unlink_entry(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct plugins *p = priv;
	struct host_set hosts = { 0 };
	struct pl_pluglet *pl;
	unsigned int i;
	int rc = 0;

	pthread_mutex_lock(&p->change_lock);
	pl = pl_store_get(&p->store, group, sub, name);
	if (!pl) {
		rc = -ENOENT;
		goto out;
	}
	rc = host_registry__select(p->reg, group, &hosts);
	for (i = 0; !rc && i < hosts.nr; i++) {
		char *text = NULL;
		int hr = host_change(hosts.v[i], INJ_ACT_REMOVE, group, sub, pl->seq, NULL, &text);

		if (hr && hr != -ENOENT)
			pr_warn("plugins/%s/%s/%s: host %s: rm_pluglet: %s", group, anchor_dirs[sub],
				name, host_file(hosts.v[i]), text && *text ? text : strerror(-hr));
		free(text);
	}
	if (rc)
		goto out;
	pthread_mutex_lock(&p->store_lock);
	rc = pl_store_del(&p->store, group, sub, name);
	pthread_mutex_unlock(&p->store_lock);
	if (!rc)
		pr_info("plugins/%s/%s/%s removed", group, anchor_dirs[sub], name);
out:
	pthread_mutex_unlock(&p->change_lock);
	host_set__release(&hosts);
	return rc;
}

/*
 * mv pre/20 pre/5: each host gets the pluglet at the new seq before it loses
 * the old one, so it never runs without it. REPLACE has one slot: the wire
 * seq is the same, nothing changes in the host.
 */
static int rename_entry(void *priv, const char *group, unsigned int sub, const char *from,
			const char *to)
{
	struct plugins *p = priv;
	struct host_set hosts = { 0 };
	struct pl_pluglet *pl;
	unsigned int i;
	uint32_t nseq;
	int rc;

	rc = parse_seq(to, &nseq);
	if (rc)
		return rc;
	pthread_mutex_lock(&p->change_lock);
	pl = pl_store_get(&p->store, group, sub, from);
	if (!pl) {
		rc = -ENOENT;
		goto out;
	}
	if (pl_store_get(&p->store, group, sub, to)) {
		rc = -EEXIST;
		goto out;
	}
	if (sub != PLUGLET_ANCHOR_REPLACE)
		rc = host_registry__select(p->reg, group, &hosts);
	for (i = 0; !rc && i < hosts.nr; i++) {
		char *text = NULL;
		int hr = host_change(hosts.v[i], INJ_ACT_ADD, group, sub, nseq, pl, &text);

		if (!hr)
			hr = host_change(hosts.v[i], INJ_ACT_REMOVE, group, sub, pl->seq, NULL, NULL);
		if (hr)
			pr_warn("plugins/%s/%s: mv %s %s in host %s: %s", group, anchor_dirs[sub], from,
				to, host_file(hosts.v[i]), text && *text ? text : strerror(-hr));
		free(text);
	}
	if (rc)
		goto out;
	pthread_mutex_lock(&p->store_lock);
	rc = pl_store_rename(&p->store, group, sub, from, to, nseq);
	pthread_mutex_unlock(&p->store_lock);
out:
	pthread_mutex_unlock(&p->change_lock);
	host_set__release(&hosts);
	return rc;
}

/* ---- reports ---- */

static const struct inj_pluglet_status *find_pluglet(const struct inj_host_status *st,
						      const char *plugin, unsigned int anchor,
						      uint32_t wire_seq)
{
	uint32_t i;

	for (i = 0; i < st->nr_pluglets; i++) {
		const struct inj_pluglet_status *ps = &st->pluglets[i];

		if (!strcmp(ps->plugin, plugin) && ps->anchor == anchor && ps->seq == wire_seq)
			return ps;
	}
	return NULL;
}

/* The per-host part of an entry's report: state and counters. */
static void report_host(struct strbuf *out, struct host *h, const char *group, unsigned int sub,
			uint32_t seq)
{
	const struct inj_pluglet_status *ps;
	struct inj_host_status st;
	char reason[512];
	int hr;

	strbuf__printf(out, "\n host %s\n", host_file(h));
	hr = host__status(h, &st);
	ps = hr ? NULL : find_pluglet(&st, group, sub, sub == PLUGLET_ANCHOR_REPLACE ? 0 : seq);
	if (hr) {
		strbuf__printf(out, "    state: unreachable (%s)\n", strerror(-hr));
	} else if (ps) {
		strbuf__puts(out, "    state: loaded\n");
		inj_pluglet_status__format(ps, "    ", out);
	} else if (host__rejection(h, group, anchor_dirs[sub], seq, reason, sizeof(reason))) {
		strbuf__printf(out, "    state: rejected: %s\n", reason);
	} else {
		strbuf__puts(out, "    state: missing\n");
	}
	inj_host_status__fini(&st);
}

static int report(void *priv, const char *group, unsigned int sub, const char *name,
		  struct fs_report *out)
{
	struct plugins *p = priv;
	struct strbuf sb = STRBUF_INIT;
	struct host_set hosts;
	struct pl_pluglet *pl, copy;
	unsigned int i;
	int rc;

	/* What the store says, copied: the hosts are asked without the lock. */
	pthread_mutex_lock(&p->store_lock);
	pl = pl_store_get(&p->store, group, sub, name);
	if (pl)
		copy = *pl;
	pthread_mutex_unlock(&p->store_lock);
	if (!pl)
		return -ENOENT;
	rc = host_registry__select(p->reg, group, &hosts);
	if (rc)
		return rc;
	strbuf__printf(&sb, " plugfs state\nplugin: %s\nanchor: %s\nseq: %u\n", group,
		       anchor_dirs[sub], copy.seq);
	strbuf__printf(&sb, "entry: %s\njit: %s\nextra_memory: %u\nshared_memory: %u\n",
		       copy.entry[0] ? copy.entry : "(only global function)",
		       copy.jit ? "true" : "false", copy.extra_memory, copy.shared_memory);
	strbuf__printf(&sb, "source: %s\nobject_size: %zu\nsha256: %s\nhosts: %u\n",
		       copy.source[0] ? copy.source : "(written directly)", copy.len, copy.sha256,
		       hosts.nr);
	for (i = 0; i < hosts.nr; i++)
		report_host(&sb, hosts.v[i], group, sub, copy.seq);
	host_set__release(&hosts);
	return fs_report_take(out, &sb);
}

static const struct fs_backend_ops plugins_ops = {
	.list_groups = list_groups,
	.group_exists = group_exists,
	.mkdir_group = mkdir_group,
	.rmdir_group = rmdir_group,
	.list_entries = list_entries,
	.entry_exists = entry_exists,
	.may_create = may_create,
	.commit = commit,
	.unlink = unlink_entry,
	.rename = rename_entry,
	.report = report,
};

/* ---- life cycle ---- */

int plugins_domain_init(struct fs_domain *d, const struct plugfs_config *cfg,
			struct host_registry *reg)
{
	struct plugins *p;
	int err;

	p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct plugins){ .cfg = cfg, .reg = reg };
	pthread_mutex_init(&p->change_lock, NULL);
	pthread_mutex_init(&p->store_lock, NULL);
	d->priv = p;
	err = pl_store_open(&p->store, cfg->state_dir);
	if (err) {
		plugins_domain_fini(d);
		return err;
	}
	host_registry__on_host_added(reg, host_added, p);
	d->name = "plugins";
	d->subdirs = anchor_dirs;
	d->ops = &plugins_ops;
	return 0;
}

void plugins_domain_fini(struct fs_domain *d)
{
	struct plugins *p = d->priv;

	if (!p)
		return;
	pl_store_close(&p->store);
	pthread_mutex_destroy(&p->store_lock);
	pthread_mutex_destroy(&p->change_lock);
	free(p);
	d->priv = NULL;
}

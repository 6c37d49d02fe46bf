/* SPDX-License-Identifier: MIT */
/*
 * plugins/: the daemon as the place where pluglets live.
 *
 * Desired state: every pluglet written into plugins/ (object + options) is
 * kept in the store (plugins_state.c, memory and <state>/plugins) with the
 * generation of the change that made it, and pushed to every connected host
 * that registers its plugin, which keeps the store's origin and that
 * generation with it. A host that does not answer in time is skipped (its
 * changes are pending); whenever a host may differ from the store (found,
 * found again by a restarted daemon, answering after a timeout) it is
 * synced: its status is read and pluglets are added, replaced or removed
 * until it runs exactly what the store lists for it. Pluglets of another
 * origin (ebpf_injecter, ...) are listed as they are found in the hosts'
 * statuses; rm removes them, a cp over one makes it ours.
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
#include "object_source.h"

#include <image/image.h>
#include "pluglet_check.h"
#include "plugins_state.h"

#include <plugfs/json.h>
#include <plugfs/log.h>
#include <plugfs/sha256.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const anchor_dirs[] = { "pre", "replace", "post", NULL };

struct plugins {
	const struct plugfs_config *cfg;
	struct host_registry *reg;
	pthread_mutex_t change_lock;
	pthread_mutex_t store_lock;
	struct pl_store store;		/* plugins and pluglets */
	uint64_t next_gen;		/* under change_lock */
};

/* What the hosts call seq: REPLACE has one slot, sent as seq 0. */
static uint32_t wire_seq(unsigned int anchor, uint32_t seq)
{
	return anchor == PLUGLET_ANCHOR_REPLACE ? 0 : seq;
}

/* The pluglet a host status shows at a slot (REPLACE: the plugin's one). */
static const struct inj_pluglet_status *status_at(const struct inj_host_status *st,
						  const char *plugin, unsigned int anchor,
						  uint32_t seq)
{
	uint32_t i;

	for (i = 0; i < st->nr_pluglets; i++) {
		const struct inj_pluglet_status *ps = &st->pluglets[i];

		if (!strcmp(ps->plugin, plugin) && ps->anchor == anchor &&
		    (anchor == PLUGLET_ANCHOR_REPLACE || ps->seq == seq))
			return ps;
	}
	return NULL;
}

/* Does the status show the same slot before record k (a host lists a slot once,
 * but a listing must not trust it)? */
static bool status_seq_before(const struct inj_host_status *st, uint32_t k, const char *plugin,
			      unsigned int anchor, uint32_t seq)
{
	uint32_t i;

	for (i = 0; i < k; i++)
		if (!strcmp(st->pluglets[i].plugin, plugin) && st->pluglets[i].anchor == anchor &&
		    st->pluglets[i].seq == seq)
			return true;
	return false;
}

static bool is_ours(const struct plugins *p, const struct inj_pluglet_status *ps)
{
	return ps->origin && ps->origin == p->store.origin;
}

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

/* The request of one change. Anchors of REPLACE use seq 0 on the wire: the
 * directory name is the user's, the host keeps one REPLACE per plugin. */
static void change_req(struct plugins *p, struct host_call *hc, enum inj_action act,
		       const char *plugin, enum pluglet_anchor anchor, uint32_t seq,
		       const struct pl_pluglet *pl)
{
	hc->req = (struct inj_request){
		.sz = sizeof(hc->req),
		.action = act,
		.plugin = plugin,
		.anchor = anchor,
		.seq = wire_seq(anchor, seq),
	};
	hc->obj = pl ? pl->obj : NULL;
	hc->len = pl ? pl->len : 0;
	if (pl) {
		hc->req.jit = pl->jit;
		hc->req.extra_mem = pl->extra_memory;
		hc->req.shared_mem = pl->shared_memory;
		hc->req.entry = pl->entry[0] ? pl->entry : NULL;
		hc->req.origin = p->store.origin;
		hc->req.gen = pl->gen;
	}
}

/* One change in one host. On failure, text (malloc'd) holds the host's
 * reason or the local one. */
static int host_change(struct plugins *p, struct host *h, enum inj_action act, const char *plugin,
		       enum pluglet_anchor anchor, uint32_t seq, const struct pl_pluglet *pl,
		       char **text)
{
	struct host_call hc = { .h = h };

	change_req(p, &hc, act, plugin, anchor, seq, pl);
	return host__call(h, &hc.req, hc.obj, hc.len, text);
}

/* A host's answer that leaves the change pending: it did not answer in
 * time, or it went away. */
static bool pending_rc(int rc)
{
	return rc == -ETIMEDOUT || rc == -ECONNRESET || rc == -EIDRM;
}

/* A host known not to answer is not sent a change: it gets it when it is
 * synced, once it answers again. */
static bool skip_silent(struct host *h)
{
	if (!host__silent(h))
		return false;
	host__mark_unsynced(h);
	return true;
}

/* Generations start at the wall clock of the daemon's start, so that a
 * restarted daemon counts on from where the one before it stopped. */
static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Puts pl at its slot in one host, whatever is there: a pluglet of ours
 * from another generation or another program's is replaced in place
 * (REPLACE: at the seq the host has it). *took_foreign says that the slot
 * held another program's pluglet, which a rollback cannot give back.
 * rc is the outcome of the first request (put_first()), which host_put()
 * sends itself and a change to many hosts sends to all of them together.
 */
static int host_put_rest(struct plugins *p, struct host *h, const char *plugin,
			 unsigned int anchor, const struct pl_pluglet *pl, bool replace, int rc,
			 bool *took_foreign, char **text)
{
	const struct inj_pluglet_status *ps;
	struct inj_host_status st;
	uint32_t seq = wire_seq(anchor, pl->seq);

	*took_foreign = false;
	if (replace && rc == -ENOENT) {		/* the host lost it: give it back */
		free(*text);
		*text = NULL;
		rc = host_change(p, h, INJ_ACT_ADD, plugin, anchor, seq, pl, text);
	}
	if (rc != -EEXIST)
		return rc;
	free(*text);
	*text = NULL;
	rc = host__sync_status(h, &st);
	if (rc)
		return rc;
	ps = status_at(&st, plugin, anchor, seq);
	if (ps) {
		*took_foreign = !is_ours(p, ps);
		seq = ps->seq;
		rc = host_change(p, h, INJ_ACT_REPLACE, plugin, anchor, seq, pl, text);
	} else {
		rc = host_change(p, h, INJ_ACT_ADD, plugin, anchor, seq, pl, text);
	}
	inj_host_status__fini(&st);
	return rc;
}

/* The first request of host_put(): a replace where the host should have
 * the pluglet, an add where not. */
static void put_first(struct plugins *p, struct host_call *hc, const char *plugin,
		      unsigned int anchor, const struct pl_pluglet *pl, bool replace)
{
	change_req(p, hc, replace ? INJ_ACT_REPLACE : INJ_ACT_ADD, plugin, anchor,
		   wire_seq(anchor, pl->seq), pl);
}

static int host_put(struct plugins *p, struct host *h, const char *plugin, unsigned int anchor,
		    const struct pl_pluglet *pl, bool replace, bool *took_foreign, char **text)
{
	struct host_call hc = { .h = h };
	int rc;

	put_first(p, &hc, plugin, anchor, pl, replace);
	rc = host__call(h, &hc.req, hc.obj, hc.len, text);
	return host_put_rest(p, h, plugin, anchor, pl, replace, rc, took_foreign, text);
}

static const char *host_file(const struct host *h)
{
	return host__info(h)->file;
}

/*
 * Removes a pluglet of ours from one host; REPLACE is looked for at the seq
 * the host has it (a cp over another program's pluglet keeps its seq).
 * -ENOENT when the host has none of ours there. rc is the outcome of the
 * REMOVE at seq, sent by host_remove() or with other hosts'.
 */
static int host_remove_rest(struct plugins *p, struct host *h, const char *plugin,
			    unsigned int anchor, int rc, char **text)
{
	const struct inj_pluglet_status *ps;
	struct inj_host_status st;

	if (rc != -ENOENT || anchor != PLUGLET_ANCHOR_REPLACE)
		return rc;
	rc = host__sync_status(h, &st);
	if (rc)
		return rc;
	ps = status_at(&st, plugin, anchor, 0);
	rc = -ENOENT;
	if (ps && is_ours(p, ps)) {
		if (text) {
			free(*text);
			*text = NULL;
		}
		rc = host_change(p, h, INJ_ACT_REMOVE, plugin, anchor, ps->seq, NULL, text);
	}
	inj_host_status__fini(&st);
	return rc;
}

static int host_remove(struct plugins *p, struct host *h, const char *plugin, unsigned int anchor,
		       uint32_t seq, char **text)
{
	int rc = host_change(p, h, INJ_ACT_REMOVE, plugin, anchor, seq, NULL, text);

	return host_remove_rest(p, h, plugin, anchor, rc, text);
}

/* Notes the outcome of putting a pluglet of the store into a host while
 * syncing it; false when the host stopped answering. */
static bool sync_outcome(struct host *h, const char *plugin, unsigned int a, uint32_t seq, int rc,
			 const char *text)
{
	if (pending_rc(rc))
		return false;
	if (!rc) {
		host__forget_rejection(h, plugin, anchor_dirs[a], seq);
		return true;
	}
	pr_warn("host %s: pluglet %s/%s/%u rejected: %s", host_file(h), plugin, anchor_dirs[a], seq,
		text ? text : strerror(-rc));
	host__note_rejection(h, plugin, anchor_dirs[a], seq, text ? text : strerror(-rc));
	return true;
}

/* Removes what the host runs of ours that the store does not list for it
 * (a late request, changes made while it did not answer). */
static bool sync_remove_extra(struct plugins *p, struct host *h, const struct inj_host_status *st)
{
	uint32_t i;

	for (i = 0; i < st->nr_pluglets; i++) {
		const struct inj_pluglet_status *ps = &st->pluglets[i];
		struct pl_pluglet *pl = NULL;
		struct pl_plugin *pg;
		int rc;

		if (!is_ours(p, ps))
			continue;
		pg = host__registers(h, ps->plugin) ? pl_store_find(&p->store, ps->plugin) : NULL;
		for (pl = pg ? pg->anchors[ps->anchor] : NULL; pl; pl = pl->next)
			if (wire_seq(ps->anchor, pl->seq) == wire_seq(ps->anchor, ps->seq))
				break;
		if (pl)
			continue;
		rc = host_change(p, h, INJ_ACT_REMOVE, ps->plugin, ps->anchor, ps->seq, NULL, NULL);
		pr_info("host %s: %s/%s/%u is not in plugins/: %s", host_file(h), ps->plugin,
			anchor_dirs[ps->anchor], ps->seq, rc ? strerror(-rc) : "removed");
		if (pending_rc(rc))
			return false;
	}
	return true;
}

/*
 * Brings one host in line with the store: what it runs of ours and does
 * not belong there goes, every pluglet of its plugins that it does not run
 * in the store's generation is added or replaced (another program's
 * pluglet at that slot too), in anchor and seq order. A pluglet that is
 * there in the right generation is left alone: its counters go on (a
 * restarted daemon finds the hosts as it left them). Under change_lock.
 */
static void host_sync_locked(struct plugins *p, struct host *h)
{
	struct inj_host_status st;
	struct pl_plugin *pg;
	struct pl_pluglet *pl;
	bool ok;
	unsigned int a;

	if (host__sync_status(h, &st)) {
		host__mark_unsynced(h);
		return;
	}
	ok = sync_remove_extra(p, h, &st);
	for (pg = p->store.plugins; pg && ok; pg = pg->next) {
		if (!host__registers(h, pg->name))
			continue;
		for (a = 0; a < PLUGLET_ANCHOR__MAX && ok; a++) {
			for (pl = pg->anchors[a]; pl && ok; pl = pl->next) {
				const struct inj_pluglet_status *ps;
				bool took_foreign;
				char *text = NULL;
				int rc;

				ps = status_at(&st, pg->name, a, wire_seq(a, pl->seq));
				if (ps && is_ours(p, ps) && ps->gen == pl->gen)
					continue;
				rc = host_put(p, h, pg->name, a, pl, ps != NULL, &took_foreign, &text);
				if (!rc && took_foreign)
					pr_info("host %s: %s/%s/%s of another program replaced by the tree's",
						host_file(h), pg->name, anchor_dirs[a], pl->name);
				ok = sync_outcome(h, pg->name, a, pl->seq, rc, text);
				free(text);
			}
		}
	}
	inj_host_status__fini(&st);
	if (!ok)
		host__mark_unsynced(h);
}

/* The registry's callback for a new host: brought up to date and published
 * under change_lock, so that no change slips in between. */
static void host_added(void *arg, struct host_registry *reg, struct host *h)
{
	struct plugins *p = arg;

	pthread_mutex_lock(&p->change_lock);
	host_sync_locked(p, h);
	host_registry__publish(reg, h);
	pthread_mutex_unlock(&p->change_lock);
}

/* The registry's callback for a host that answers after missing changes.
 * While a change runs, the watcher goes on serving reads and tries again. */
static bool host_sync(void *arg, struct host *h)
{
	struct plugins *p = arg;

	if (pthread_mutex_trylock(&p->change_lock))
		return false;
	host_sync_locked(p, h);
	pthread_mutex_unlock(&p->change_lock);
	pr_info("host %s: synced with plugins/", host_file(h));
	return true;
}

/* ---- pluglets of other programs ---- */

/* What the hosts of a plugin say, for a read: asked with no lock held. */
struct views {
	struct host_set hosts;
	struct host_view *v;
};

static int views_get(struct plugins *p, const char *group, struct views *vs)
{
	int rc;

	memset(vs, 0, sizeof(*vs));
	rc = host_registry__select(p->reg, group, &vs->hosts);
	if (!rc && vs->hosts.nr) {
		vs->v = calloc(vs->hosts.nr, sizeof(*vs->v));
		rc = vs->v ? host_set__status(&vs->hosts, vs->v) : -ENOMEM;
	}
	if (rc)
		host_set__release(&vs->hosts);
	return rc;
}

static void views_fini(struct views *vs)
{
	unsigned int i;

	for (i = 0; vs->v && i < vs->hosts.nr; i++)
		host_view__fini(&vs->v[i]);
	free(vs->v);
	host_set__release(&vs->hosts);
}

/* Does the store hold the slot of this host's pluglet? Under store_lock. */
static bool store_holds_slot(struct plugins *p, const struct inj_pluglet_status *ps)
{
	struct pl_plugin *pg = pl_store_find(&p->store, ps->plugin);
	struct pl_pluglet *pl;

	for (pl = pg ? pg->anchors[ps->anchor] : NULL; pl; pl = pl->next)
		if (wire_seq(ps->anchor, pl->seq) == wire_seq(ps->anchor, ps->seq))
			return true;
	return false;
}

/*
 * A pluglet another program put into a host is listed under its seq,
 * unless the store holds that slot (its entry's report then shows the
 * host running the other program's pluglet). Under store_lock.
 */
static bool foreign_listed(struct plugins *p, const struct inj_pluglet_status *ps,
			   const char *group, unsigned int sub)
{
	return !strcmp(ps->plugin, group) && ps->anchor == sub && !is_ours(p, ps) &&
	       !store_holds_slot(p, ps);
}

/* The i-th host's listed pluglet of another program named name, or NULL. */
static const struct inj_pluglet_status *foreign_in(struct plugins *p, const struct host_view *v,
						   const char *group, unsigned int sub,
						   uint32_t seq)
{
	uint32_t i;

	for (i = 0; !v->err && i < v->st.nr_pluglets; i++) {
		const struct inj_pluglet_status *ps = &v->st.pluglets[i];

		if (ps->seq == seq && foreign_listed(p, ps, group, sub))
			return ps;
	}
	return NULL;
}

/* Is name a pluglet of another program in some host? Takes store_lock. */
static bool foreign_exists(struct plugins *p, const char *group, unsigned int sub, const char *name)
{
	struct views vs;
	bool found = false;
	unsigned int i;
	uint32_t seq;

	if (parse_seq(name, &seq) || views_get(p, group, &vs))
		return false;
	pthread_mutex_lock(&p->store_lock);
	for (i = 0; i < vs.hosts.nr && !found; i++)
		found = foreign_in(p, &vs.v[i], group, sub, seq) != NULL;
	pthread_mutex_unlock(&p->store_lock);
	views_fini(&vs);
	return found;
}

/*
 * rm of another program's pluglet: it goes from every host that answers;
 * it is not desired state, so a host that does not answer keeps it (and
 * the tree keeps listing it). Under change_lock.
 */
static int unlink_foreign(struct plugins *p, const char *group, unsigned int sub, const char *name)
{
	unsigned int i, found = 0;
	struct views vs;
	uint32_t seq;
	int rc;

	if (parse_seq(name, &seq))
		return -ENOENT;
	rc = views_get(p, group, &vs);
	for (i = 0; !rc && i < vs.hosts.nr; i++) {
		const struct inj_pluglet_status *ps;
		char *text = NULL;
		int hr;

		pthread_mutex_lock(&p->store_lock);
		ps = foreign_in(p, &vs.v[i], group, sub, seq);
		pthread_mutex_unlock(&p->store_lock);
		if (!ps)
			continue;
		found++;
		if (vs.v[i].silent) {
			pr_warn("plugins/%s/%s/%s: host %s does not answer: it keeps this pluglet",
				group, anchor_dirs[sub], name, host_file(vs.hosts.v[i]));
			continue;
		}
		hr = host_change(p, vs.hosts.v[i], INJ_ACT_REMOVE, group, sub, seq, NULL, &text);
		if (hr && hr != -ENOENT)
			pr_warn("plugins/%s/%s/%s: host %s: rm_pluglet: %s", group, anchor_dirs[sub],
				name, host_file(vs.hosts.v[i]), text && *text ? text : strerror(-hr));
		free(text);
	}
	views_fini(&vs);
	if (!rc && !found)
		rc = -ENOENT;
	if (!rc)
		pr_info("plugins/%s/%s/%s (of another program) removed", group, anchor_dirs[sub], name);
	return rc;
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

/* The names of other programs' pluglets, each once. Under store_lock. */
static int list_foreign(struct plugins *p, struct views *vs, const char *group, unsigned int sub,
			fs_name_cb cb, void *arg)
{
	unsigned int i, j;
	uint32_t k;
	int err = 0;

	for (i = 0; i < vs->hosts.nr && !err; i++) {
		const struct host_view *v = &vs->v[i];

		for (k = 0; !v->err && k < v->st.nr_pluglets && !err; k++) {
			const struct inj_pluglet_status *ps = &v->st.pluglets[k];
			char name[16];

			if (!foreign_listed(p, ps, group, sub))
				continue;
			for (j = 0; j < i && !foreign_in(p, &vs->v[j], group, sub, ps->seq); j++)
				;
			if (j < i || (k && status_seq_before(&v->st, k, group, sub, ps->seq)))
				continue;	/* listed already */
			snprintf(name, sizeof(name), "%u", ps->seq);
			err = cb(name, arg);
		}
	}
	return err;
}

static int list_entries(void *priv, const char *group, unsigned int sub, fs_name_cb cb, void *arg)
{
	struct plugins *p = priv;
	struct pl_plugin *pg;
	struct pl_pluglet *pl;
	struct views vs;
	int err;

	err = views_get(p, group, &vs);
	if (err)
		return err;
	pthread_mutex_lock(&p->store_lock);
	pg = pl_store_find(&p->store, group);
	if (!pg && !host_registry__has_point(p->reg, group))
		err = -ENOENT;
	for (pl = pg ? pg->anchors[sub] : NULL; pl && !err; pl = pl->next)
		err = cb(pl->name, arg);
	if (!err)
		err = list_foreign(p, &vs, group, sub, cb, arg);
	pthread_mutex_unlock(&p->store_lock);
	views_fini(&vs);
	return err;
}

static int entry_exists(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct plugins *p = priv;
	int err;

	pthread_mutex_lock(&p->store_lock);
	err = pl_store_get(&p->store, group, sub, name) ? 0 : -ENOENT;
	pthread_mutex_unlock(&p->store_lock);
	if (err && foreign_exists(p, group, sub, name))
		err = 0;
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
		int rc;

		if (skip_silent(hosts.v[i]))
			continue;
		rc = host_change(p, hosts.v[i], INJ_ACT_REMOVE_PLUGIN, group, 0, 0, NULL, &text);
		if (pending_rc(rc))
			host__mark_unsynced(hosts.v[i]);
		else if (rc && rc != -ENOENT)
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

/* Another program's REPLACE pluglet in a host of the plugin, listed under
 * a name other than name: a second name in replace/ is refused. */
static bool foreign_replace_elsewhere(struct plugins *p, const char *group, const char *name)
{
	bool found = false;
	struct views vs;
	unsigned int i;
	uint32_t k;

	if (views_get(p, group, &vs))
		return false;
	pthread_mutex_lock(&p->store_lock);
	for (i = 0; i < vs.hosts.nr && !found; i++) {
		const struct host_view *v = &vs.v[i];

		for (k = 0; !v->err && k < v->st.nr_pluglets && !found; k++) {
			const struct inj_pluglet_status *ps = &v->st.pluglets[k];
			char seq[16];

			snprintf(seq, sizeof(seq), "%u", ps->seq);
			found = foreign_listed(p, ps, group, PLUGLET_ANCHOR_REPLACE) && strcmp(seq, name);
		}
	}
	pthread_mutex_unlock(&p->store_lock);
	views_fini(&vs);
	return found;
}

/* A PRE or POST pluglet at a point a host declares CALL_REPLACE_ONLY would
 * never run there (its run file says so): refused, naming the host. */
static int check_point_kind(struct plugins *p, const char *group, unsigned int sub,
			    const char *name)
{
	struct host_set hosts;
	int rc;

	if (sub == PLUGLET_ANCHOR_REPLACE)
		return 0;
	rc = host_registry__select(p->reg, group, &hosts);
	for (unsigned int i = 0; !rc && i < hosts.nr; i++) {
		if (!host__point_replace_only(hosts.v[i], group))
			continue;
		pr_warn("plugins/%s/%s/%s: host %s declares %s replace-only (CALL_REPLACE_ONLY): "
			"a %s pluglet would never run there", group, anchor_dirs[sub], name,
			host_file(hosts.v[i]), group, anchor_dirs[sub]);
		rc = -EINVAL;
	}
	host_set__release(&hosts);
	return rc;
}

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
	err = check_point_kind(p, group, sub, name);
	if (err)
		return err;
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
	if (!err && sub == PLUGLET_ANCHOR_REPLACE && (!pg || !pg->anchors[sub]) &&
	    foreign_replace_elsewhere(p, group, name)) {
		pr_warn("plugins/%s/replace: holds another program's pluglet (one REPLACE pluglet per plugin)",
			group);
		err = -EEXIST;
	}
	return err;
}

/* The object and options of a manifest (a write that is not an ELF object). */
static int pluglet_from_manifest(struct plugins *p, struct pl_pluglet *pl, const void *buf,
				 size_t len, void **obj, size_t *obj_len, char *err, size_t err_size)
{
	struct plugfs_manifest *m;
	struct object_bytes ob;
	int rc;

	if (!len) {
		snprintf(err, err_size, "empty write: neither an ELF object nor a manifest");
		return -EINVAL;
	}
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	rc = manifest_parse(buf, len, m, err, err_size);
	if (!rc) {
		/* the full reason is logged by the resolver */
		char what[300];

		snprintf(what, sizeof(what), "pluglet %s", pl->name);
		rc = object_source_resolve(p->cfg, what, m, NULL, NULL, 0, &ob);
		snprintf(err, err_size, "%s", rc ? "the object could not be had" : "");
		*obj = ob.owned;
		*obj_len = ob.len;
		if (!m->name[0])
			snprintf(m->name, sizeof(m->name), "%s", ob.prog_name);
	}
	if (!rc) {
		if (m->jit >= 0)
			pl->jit = m->jit;
		if (m->extra_memory >= 0)
			pl->extra_memory = m->extra_memory;
		if (m->shared_memory >= 0)
			pl->shared_memory = m->shared_memory;
		snprintf(pl->entry, sizeof(pl->entry), "%s", m->name);
		snprintf(pl->source, sizeof(pl->source), "%s", ob.path);
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
	} else if (image_is_c_source(buf, len)) {
		struct object_bytes ob;
		char what[300];

		/* clang's messages are logged by the resolver */
		snprintf(what, sizeof(what), "pluglet %s", name);
		rc = object_source_resolve(cfg, what, NULL, NULL, buf, len, &ob);
		obj = ob.owned;
		obj_len = ob.len;
		if (rc)
			snprintf(err, sizeof(err), "the C text written does not compile");
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

/* The hosts of a change, and what became of it in each. */
struct push {
	struct host_set hosts;
	struct host_call *calls;	/* calls[i] for hosts.v[i]; .h NULL: not asked */
	bool *took;			/* the host took the pluglet: roll back on failure */
	bool *foreign;			/* ... in place of another program's pluglet */
	unsigned int nr_took, nr_pending;
};

static void push_fini(struct push *ps)
{
	host_set__release(&ps->hosts);
	free(ps->calls);
	free(ps->took);
	free(ps->foreign);
}

/* Frees the texts of the last batch and forgets its requests. */
static void calls_reset(struct host_call *calls, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		free(calls[i].text);
		calls[i] = (struct host_call){ 0 };
	}
}

/* Gives the hosts that took the new pluglet back what they had, all of
 * them together. */
static void push_rollback(struct plugins *p, struct push *ps, const char *group, unsigned int sub,
			  const char *name, uint32_t seq, const struct pl_pluglet *old)
{
	unsigned int i;

	calls_reset(ps->calls, ps->hosts.nr);
	for (i = 0; i < ps->hosts.nr; i++) {
		if (!ps->took[i])
			continue;
		ps->calls[i].h = ps->hosts.v[i];
		change_req(p, &ps->calls[i], old ? INJ_ACT_REPLACE : INJ_ACT_REMOVE, group, sub, seq,
			   old);
	}
	host__call_all(ps->calls, ps->hosts.nr);
	for (i = 0; i < ps->hosts.nr; i++) {
		struct host *h = ps->hosts.v[i];
		int rb;

		if (!ps->took[i])
			continue;
		rb = old ? ps->calls[i].rc :
			   host_remove_rest(p, h, group, sub, ps->calls[i].rc, NULL);
		if (ps->foreign[i])
			pr_warn("plugins/%s/%s/%s: host %s loses the pluglet another program had put there",
				group, anchor_dirs[sub], name, host_file(h));
		if (rb && pending_rc(rb))
			host__mark_unsynced(h);
		else if (rb)
			pr_warn("plugins/%s/%s/%s: rollback in host %s failed: %s", group,
				anchor_dirs[sub], name, host_file(h), strerror(-rb));
	}
	calls_reset(ps->calls, ps->hosts.nr);
}

/* The first request of the change to every host that answers, sent
 * together; a silent host is left pending. 0 or -ENOMEM. */
static int push_send(struct plugins *p, struct push *ps, const char *group, unsigned int sub,
		     const char *name, const struct pl_pluglet *pl, bool replace)
{
	unsigned int i;

	for (i = 0; i < ps->hosts.nr; i++) {
		struct host *h = ps->hosts.v[i];

		if (skip_silent(h)) {
			pr_info("plugins/%s/%s/%s: pending in host %s (it does not answer)", group,
				anchor_dirs[sub], name, host_file(h));
			ps->nr_pending++;
			continue;
		}
		ps->calls[i].h = h;
		put_first(p, &ps->calls[i], group, sub, pl, replace);
	}
	return host__call_all(ps->calls, ps->hosts.nr);
}

/*
 * Every host that registers the plugin and answers must accept the
 * pluglet, or none keeps it: the hosts are asked together, and when one
 * refuses, those that took it get back what they had. The cp fails with
 * the refusal of the first refusing host in the listing's order (newest
 * first); each refusal is logged. A host that does not answer (or is known
 * not to) is left pending: it is synced when it answers again. 0 or
 * -errno. Under change_lock.
 */
static int push_to_hosts(struct plugins *p, struct push *ps, const char *group, unsigned int sub,
			 const char *name, const struct pl_pluglet *pl, const struct pl_pluglet *old)
{
	unsigned int i;
	int rc, hr;

	rc = host_registry__select(p->reg, group, &ps->hosts);
	ps->calls = calloc(ps->hosts.nr + 1, sizeof(*ps->calls));
	ps->took = calloc(ps->hosts.nr + 1, sizeof(*ps->took));
	ps->foreign = calloc(ps->hosts.nr + 1, sizeof(*ps->foreign));
	if (!rc && (!ps->calls || !ps->took || !ps->foreign))
		rc = -ENOMEM;
	if (!rc)
		rc = push_send(p, ps, group, sub, name, pl, old != NULL);
	if (rc)
		return rc;	/* nothing was sent */
	for (i = 0; i < ps->hosts.nr; i++) {
		struct host_call *hc = &ps->calls[i];

		if (!hc->h)
			continue;
		hr = host_put_rest(p, hc->h, group, sub, pl, old != NULL, hc->rc, &ps->foreign[i],
				   &hc->text);
		if (pending_rc(hr)) {
			pr_info("plugins/%s/%s/%s: pending in host %s (%s)", group, anchor_dirs[sub],
				name, host_file(hc->h), strerror(-hr));
			host__mark_unsynced(hc->h);
			ps->nr_pending++;
		} else if (hr) {
			pr_warn("plugins/%s/%s/%s: host %s rejected it: %s", group, anchor_dirs[sub],
				name, host_file(hc->h), hc->text && *hc->text ? hc->text : strerror(-hr));
			if (!rc)
				rc = hr;
		} else {
			ps->took[i] = true;
			ps->nr_took++;
			host__forget_rejection(hc->h, group, anchor_dirs[sub], pl->seq);
		}
	}
	if (rc)
		push_rollback(p, ps, group, sub, name, pl->seq, old);
	return rc;
}

static int commit(void *priv, const char *group, unsigned int sub, const char *name,
		  const void *buf, size_t len)
{
	struct plugins *p = priv;
	struct pl_pluglet *pl = NULL, *old;
	struct push ps = { 0 };
	struct pl_plugin *pg;
	uint32_t seq;
	int rc;

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
	rc = check_point_kind(p, group, sub, name);
	if (rc)
		goto out;
	pl->gen = p->next_gen++;
	rc = push_to_hosts(p, &ps, group, sub, name, pl, old);
	if (rc)
		goto out;
	pthread_mutex_lock(&p->store_lock);
	rc = pl_store_put(&p->store, group, sub, pl);
	pthread_mutex_unlock(&p->store_lock);
	if (rc) {
		push_rollback(p, &ps, group, sub, name, seq, old);
		goto out;
	}
	pr_info("plugins/%s/%s/%s: %s in %u host(s), pending in %u (%zu bytes, sha256 %.16s...)",
		group, anchor_dirs[sub], name, old ? "replaced" : "loaded", ps.nr_took,
		ps.nr_pending, pl->len, pl->sha256);
	pl = NULL;
out:
	pthread_mutex_unlock(&p->change_lock);
	push_fini(&ps);
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
		rc = unlink_foreign(p, group, sub, name);
		goto out;
	}
	rc = host_registry__select(p->reg, group, &hosts);
	for (i = 0; !rc && i < hosts.nr; i++) {
		char *text = NULL;
		int hr;

		if (skip_silent(hosts.v[i]))
			continue;
		hr = host_remove(p, hosts.v[i], group, sub, pl->seq, &text);
		if (pending_rc(hr))
			host__mark_unsynced(hosts.v[i]);
		else if (hr && hr != -ENOENT)
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
	if (pl_store_get(&p->store, group, sub, to) || foreign_exists(p, group, sub, to)) {
		rc = -EEXIST;
		goto out;
	}
	if (sub != PLUGLET_ANCHOR_REPLACE)
		rc = host_registry__select(p->reg, group, &hosts);
	for (i = 0; !rc && i < hosts.nr; i++) {
		char *text = NULL;
		int hr;

		if (skip_silent(hosts.v[i]))
			continue;
		hr = host_change(p, hosts.v[i], INJ_ACT_ADD, group, sub, nseq, pl, &text);
		if (!hr)
			hr = host_change(p, hosts.v[i], INJ_ACT_REMOVE, group, sub, pl->seq, NULL, NULL);
		if (hr)
			host__mark_unsynced(hosts.v[i]);
		if (hr && !pending_rc(hr))
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

/* "status age" of a host that did not answer this read. */
static void report_age(struct strbuf *out, const struct host_view *v)
{
	if (v->cached)
		strbuf__printf(out, "Status Age (ms): %llu%s\n", (unsigned long long)v->age_ms,
			       v->silent ? " (host not answering)" : "");
}

/* Where a desired pluglet stands in one host. */
enum host_state { HS_NO_ANSWER, HS_LOADED, HS_REJECTED, HS_FOREIGN, HS_PENDING };

/* The state of pl in host h, and its status there when it runs (else NULL);
 * the reason of a rejection goes into reason. */
static const struct inj_pluglet_status *host_state(struct plugins *p, struct host *h,
						   const struct host_view *v, const char *group,
						   unsigned int sub, const struct pl_pluglet *pl,
						   char *reason, size_t size, enum host_state *state)
{
	const struct inj_pluglet_status *ps;

	if (v->err) {
		*state = HS_NO_ANSWER;
		return NULL;
	}
	ps = status_at(&v->st, group, sub, wire_seq(sub, pl->seq));
	if (ps && is_ours(p, ps) && ps->gen == pl->gen) {
		*state = HS_LOADED;
	} else if (host__rejection(h, group, anchor_dirs[sub], pl->seq, reason, size)) {
		*state = HS_REJECTED;
		ps = NULL;
	} else if (ps && !is_ours(p, ps)) {
		*state = HS_FOREIGN;
	} else {
		*state = HS_PENDING;
		ps = NULL;
	}
	return ps;
}

/* The per-host part of an entry's report: state and counters. */
static void report_host(struct plugins *p, struct strbuf *out, struct host *h,
			const struct host_view *v, const char *group, unsigned int sub,
			const struct pl_pluglet *pl)
{
	const struct inj_pluglet_status *ps;
	enum host_state state;
	char reason[512];

	strbuf__printf(out, "\nHost: %s\n", host_file(h));
	ps = host_state(p, h, v, group, sub, pl, reason, sizeof(reason), &state);
	switch (state) {
	case HS_NO_ANSWER:
		strbuf__printf(out, "State: pending (no answer from the host yet: %s)\n",
			       strerror(-v->err));
		break;
	case HS_LOADED:
		strbuf__puts(out, "State: loaded\n");
		break;
	case HS_REJECTED:
		strbuf__printf(out, "State: rejected: %s\n", reason);
		break;
	case HS_FOREIGN:
		strbuf__puts(out, "State: another program's pluglet runs there\n");
		break;
	case HS_PENDING:
		strbuf__printf(out, "State: pending%s\n", v->silent ? " (host not answering)" : "");
		break;
	}
	if (!v->err)
		report_age(out, v);
	if (ps)
		inj_pluglet_status__format(ps, "", out);
}

/* One host of an entry's JSON form (docs/json.md, "plugins/"). */
static void json_host(struct jsonw *w, struct host *h, const struct host_view *v,
		      const char *state, const char *reason, const struct inj_pluglet_status *ps)
{
	jsonw__begin_object(w, NULL);
	jsonw__string(w, "host", host_file(h));
	jsonw__string(w, "state", state);
	jsonw__string(w, "reason", reason);
	jsonw__bool(w, "host_answering", !v->err && !v->silent);
	if (!v->err && v->cached)
		jsonw__u64(w, "status_age_ms", v->age_ms);
	else
		jsonw__null(w, "status_age_ms");
	if (ps) {
		jsonw__begin_object(w, "pluglet");
		inj_pluglet_status__json(ps, w);
		jsonw__end(w);
	} else {
		jsonw__null(w, "pluglet");
	}
	jsonw__end(w);
}

static void json_desired_host(struct plugins *p, struct jsonw *w, struct host *h,
			      const struct host_view *v, const char *group, unsigned int sub,
			      const struct pl_pluglet *pl)
{
	static const char *const names[] = {
		[HS_NO_ANSWER] = "pending", [HS_LOADED] = "loaded", [HS_REJECTED] = "rejected",
		[HS_FOREIGN] = "foreign", [HS_PENDING] = "pending",
	};
	const struct inj_pluglet_status *ps;
	enum host_state state;
	char reason[512];

	ps = host_state(p, h, v, group, sub, pl, reason, sizeof(reason), &state);
	json_host(w, h, v, names[state], state == HS_REJECTED ? reason :
		  state == HS_NO_ANSWER ? strerror(-v->err) : NULL, ps);
}

/* cat of a pluglet another program put into the hosts (not desired state). */
static int report_foreign(struct plugins *p, struct views *vs, const char *group, unsigned int sub,
			  const char *name, struct strbuf *sb)
{
	unsigned int i, found = 0;
	uint32_t seq;

	if (parse_seq(name, &seq))
		return -ENOENT;
	strbuf__printf(sb, "Plugfs State\nPlugin: %s\nAnchor: %s\nSeq: %u\n", group,
		       anchor_dirs[sub], seq);
	strbuf__printf(sb, "Desired: no (another program's; cp over it to manage it here)\nHosts: %u\n",
		       vs->hosts.nr);
	for (i = 0; i < vs->hosts.nr; i++) {
		const struct inj_pluglet_status *ps;

		pthread_mutex_lock(&p->store_lock);
		ps = foreign_in(p, &vs->v[i], group, sub, seq);
		pthread_mutex_unlock(&p->store_lock);
		strbuf__printf(sb, "\nHost: %s\n", host_file(vs->hosts.v[i]));
		strbuf__puts(sb, ps ? "State: loaded\n" : "State: absent\n");
		report_age(sb, &vs->v[i]);
		if (ps)
			inj_pluglet_status__format(ps, "", sb);
		found += ps != NULL;
	}
	return found ? 0 : -ENOENT;
}

/* The JSON form of an entry: desired (pl set) or another program's. */
static int report_json(struct plugins *p, struct views *vs, const char *group, unsigned int sub,
		       const char *name, const struct pl_pluglet *pl, struct strbuf *sb)
{
	unsigned int i, found = 0;
	struct jsonw w;
	uint32_t seq = 0;

	if (!pl && parse_seq(name, &seq))
		return -ENOENT;
	jsonw__init(&w, sb);
	jsonw__begin_object(&w, NULL);
	jsonw__string(&w, "plugin", group);
	jsonw__string(&w, "anchor", anchor_dirs[sub]);
	jsonw__u64(&w, "seq", pl ? pl->seq : seq);
	jsonw__bool(&w, "desired", pl != NULL);
	if (pl) {
		jsonw__string(&w, "entry", pl->entry[0] ? pl->entry : NULL);
		jsonw__bool(&w, "jit", pl->jit);
		jsonw__u64(&w, "extra_memory", pl->extra_memory);
		jsonw__u64(&w, "shared_memory", pl->shared_memory);
		jsonw__string(&w, "source", pl->source[0] ? pl->source : NULL);
		jsonw__u64(&w, "object_size", pl->len);
		jsonw__string(&w, "object_sha256", pl->sha256);
		jsonw__u64(&w, "generation", pl->gen);
	}
	jsonw__begin_array(&w, "hosts");
	for (i = 0; i < vs->hosts.nr; i++) {
		const struct inj_pluglet_status *ps;

		if (pl) {
			json_desired_host(p, &w, vs->hosts.v[i], &vs->v[i], group, sub, pl);
			continue;
		}
		pthread_mutex_lock(&p->store_lock);
		ps = foreign_in(p, &vs->v[i], group, sub, seq);
		pthread_mutex_unlock(&p->store_lock);
		json_host(&w, vs->hosts.v[i], &vs->v[i], ps ? "loaded" : "absent", NULL, ps);
		found += ps != NULL;
	}
	jsonw__end(&w);
	jsonw__end(&w);
	if (!pl && !found)
		return -ENOENT;
	return jsonw__finish(&w);
}

static int report(void *priv, const char *group, unsigned int sub, const char *name,
		  struct fs_report *out)
{
	struct plugins *p = priv;
	struct strbuf sb = STRBUF_INIT;
	struct pl_pluglet *pl, copy;
	struct views vs;
	unsigned int i;
	int rc;

	/* The hosts are asked first, with no lock held. */
	rc = views_get(p, group, &vs);
	if (rc)
		return rc;
	pthread_mutex_lock(&p->store_lock);
	pl = pl_store_get(&p->store, group, sub, name);
	if (pl)
		copy = *pl;
	pthread_mutex_unlock(&p->store_lock);
	if (out->format == FS_REPORT_JSON || !pl) {
		if (out->format == FS_REPORT_JSON)
			rc = report_json(p, &vs, group, sub, name, pl ? &copy : NULL, &sb);
		else
			rc = report_foreign(p, &vs, group, sub, name, &sb);
		views_fini(&vs);
		if (rc) {
			strbuf__fini(&sb);
			return rc;
		}
		return fs_report_take(out, &sb);
	}
	strbuf__printf(&sb, "Plugfs State\nPlugin: %s\nAnchor: %s\nSeq: %u\n", group,
		       anchor_dirs[sub], copy.seq);
	strbuf__printf(&sb, "Entry: %s\nJIT: %s\nExtra Memory (bytes): %u\n"
		       "Shared Memory (bytes): %u\n",
		       copy.entry[0] ? copy.entry : "(only global function)",
		       copy.jit ? "true" : "false", copy.extra_memory, copy.shared_memory);
	strbuf__printf(&sb, "Source: %s\nObject Size (bytes): %zu\nObject SHA256: %s\n",
		       copy.source[0] ? copy.source : "(written directly)", copy.len, copy.sha256);
	strbuf__printf(&sb, "Generation: %llu\nHosts: %u\n", (unsigned long long)copy.gen,
		       vs.hosts.nr);
	for (i = 0; i < vs.hosts.nr; i++)
		report_host(p, &sb, vs.hosts.v[i], &vs.v[i], group, sub, &copy);
	views_fini(&vs);
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
	p->next_gen = realtime_ns();
	if (p->next_gen <= p->store.max_gen)
		p->next_gen = p->store.max_gen + 1;
	host_registry__on_host_added(reg, host_added, p);
	host_registry__on_host_sync(reg, host_sync, p);
	d->name = "plugins";
	d->subdirs = anchor_dirs;
	d->ops = &plugins_ops;
	d->json = true;
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

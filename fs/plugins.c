/* SPDX-License-Identifier: MIT */
/*
 * plugins/ and hosts/: the daemon as the place where pluglets live.
 *
 * Desired state: every pluglet written into plugins/ (object + options) is
 * kept in memory and in <state>/plugins, and pushed to every connected host
 * that registers its plugin. Hosts are found in <run>/hosts (inotify plus a
 * short rescan that also notices dead pids); a new host gets the pluglets of
 * its plugins in seq order before it shows up in hosts/.
 *
 * One mutex serialises everything here. Host requests are short (a queue
 * round trip) and bounded by host_timeout_ms, so readers wait at most that.
 */
#include "backend.h"
#include "daemon_config.h"
#include "manifest.h"
#include "pluglet_check.h"
#include "plugins_state.h"

#include <plugfs/log.h>
#include <plugfs/sha256.h>
#include <proto.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const anchor_dirs[] = { "pre", "replace", "post", NULL };

#define HOST_FILE_MAX 192
#define RESCAN_MS 200

/* A pluglet a host refused when it was pushed, shown by `cat`. */
struct rejection {
	char plugin[128];
	unsigned int anchor;
	uint32_t seq;
	char reason[512];
	struct rejection *next;
};

struct host {
	char file[HOST_FILE_MAX];	/* <name>.<pid>, the hosts/ entry */
	char name[128];
	pid_t pid;
	int msqid;
	char **points;
	unsigned int nr_points;
	struct inj_client *cli;
	bool ready;			/* its pluglets were pushed */
	struct rejection *rejected;
	struct host *next;
};

struct plugins {
	const struct plugfs_config *cfg;
	pthread_mutex_t lock;
	struct pl_store store;		/* plugins and pluglets (plugins_state.c) */
	struct host *hosts;
	char hosts_dir[4200];
	pthread_t thread;
	bool thread_up;
	int wake[2];			/* pipe: wakes the discovery thread to stop */
	int inotify_fd;
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

/* ---- hosts ---- */

static bool host_registers(const struct host *h, const char *plugin)
{
	unsigned int i;

	for (i = 0; i < h->nr_points; i++)
		if (!strcmp(h->points[i], plugin))
			return true;
	return false;
}

/* A host that is ready and registers the plugin: the ones a change must reach. */
static bool host_serves(const struct host *h, const char *plugin)
{
	return h->ready && host_registers(h, plugin);
}

static void forget_rejection(struct host *h, const char *plugin, unsigned int anchor, uint32_t seq)
{
	struct rejection **pp, *r;

	for (pp = &h->rejected; (r = *pp);) {
		if (!strcmp(r->plugin, plugin) && r->anchor == anchor && r->seq == seq) {
			*pp = r->next;
			free(r);
		} else {
			pp = &r->next;
		}
	}
}

static void note_rejection(struct host *h, const char *plugin, unsigned int anchor, uint32_t seq,
			   const char *reason)
{
	struct rejection *r = calloc(1, sizeof(*r));

	forget_rejection(h, plugin, anchor, seq);
	if (!r)
		return;
	snprintf(r->plugin, sizeof(r->plugin), "%s", plugin);
	r->anchor = anchor;
	r->seq = seq;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	r->next = h->rejected;
	h->rejected = r;
}

static const struct rejection *find_rejection(const struct host *h, const char *plugin,
					      unsigned int anchor, uint32_t seq)
{
	const struct rejection *r;

	for (r = h->rejected; r; r = r->next)
		if (!strcmp(r->plugin, plugin) && r->anchor == anchor && r->seq == seq)
			return r;
	return NULL;
}

static void host_free(struct host *h)
{
	unsigned int i;

	while (h->rejected) {
		struct rejection *r = h->rejected;

		h->rejected = r->next;
		free(r);
	}
	inj_client__close(h->cli);
	for (i = 0; i < h->nr_points; i++)
		free(h->points[i]);
	free(h->points);
	free(h);
}

/*
 * One request to one host. On failure, text (malloc'd) holds the host's
 * reason or the local one. Anchors of REPLACE use seq 0 on the wire: the
 * directory name is the user's, the host keeps one REPLACE per plugin.
 */
static int host_call(struct plugins *p, struct host *h, enum inj_action act, const char *plugin,
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
	struct inj_reply rep = { 0 };
	int rc;

	if (pl) {
		req.jit = pl->jit;
		req.extra_mem = pl->extra_memory;
		req.shared_mem = pl->shared_memory;
		req.entry = pl->entry[0] ? pl->entry : NULL;
	}
	rc = inj_client__request(h->cli, &req, pl ? pl->obj : NULL, pl ? pl->len : 0, &rep,
				 p->cfg->host_timeout_ms);
	if (text) {
		*text = rep.text;
		rep.text = NULL;
	}
	inj_reply__fini(&rep);
	return rc;
}

struct rf_ctx {
	struct host *h;
	int err;
};

static int runfile_cb(void *user, const char *section, const char *name, const char *value)
{
	struct rf_ctx *c = user;
	struct host *h = c->h;
	char **np;

	if (!strcmp(section, "host")) {
		if (!strcmp(name, "name"))
			snprintf(h->name, sizeof(h->name), "%s", value);
		else if (!strcmp(name, "pid"))
			h->pid = atoi(value);
		else if (!strcmp(name, "msqid"))
			h->msqid = atoi(value);
	} else if (!strcmp(section, "points")) {
		np = realloc(h->points, (h->nr_points + 1) * sizeof(*np));
		if (!np) {
			c->err = -ENOMEM;
			return 0;
		}
		h->points = np;
		h->points[h->nr_points] = strdup(name);
		if (!h->points[h->nr_points]) {
			c->err = -ENOMEM;
			return 0;
		}
		h->nr_points++;
	}
	return 1;
}

static struct host *host_read(const char *dir, const char *file)
{
	char path[8192];
	struct rf_ctx c = { 0 };

	c.h = calloc(1, sizeof(*c.h));
	if (!c.h)
		return NULL;
	c.h->msqid = -1;
	snprintf(c.h->file, sizeof(c.h->file), "%s", file);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (ini_parse(path, runfile_cb, &c) || c.err || !c.h->name[0] || c.h->pid <= 0 ||
	    c.h->msqid < 0) {
		host_free(c.h);
		return NULL;
	}
	return c.h;
}

static bool pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* Pushes every pluglet of the host's plugins, in anchor and seq order. */
static void host_push(struct plugins *p, struct host *h)
{
	struct pl_plugin *pg;
	struct pl_pluglet *pl;
	unsigned int a;

	for (pg = p->store.plugins; pg; pg = pg->next) {
		if (!host_registers(h, pg->name))
			continue;
		for (a = 0; a < PLUGLET_ANCHOR__MAX; a++) {
			for (pl = pg->anchors[a]; pl; pl = pl->next) {
				char *text = NULL;
				int rc = host_call(p, h, INJ_ACT_ADD, pg->name, a, pl->seq, pl, &text);

				/* Already there: a restarted daemon finds hosts as it left
				 * them; replacing would reset their state and counters. */
				if (rc == -EEXIST)
					rc = 0;
				if (rc) {
					pr_warn("host %s: pluglet %s/%s/%u rejected: %s", h->file, pg->name,
						anchor_dirs[a], pl->seq, text ? text : strerror(-rc));
					note_rejection(h, pg->name, a, pl->seq, text ? text : strerror(-rc));
				}
				free(text);
			}
		}
	}
}

static void host_drop(struct plugins *p, struct host *h, bool dead)
{
	char path[8192];

	if (dead) {
		/* A host that died cannot remove its queue and run file. */
		if (h->msqid >= 0 && msgctl(h->msqid, IPC_RMID, NULL) == 0)
			pr_info("host %s: removed leftover queue %d", h->file, h->msqid);
		snprintf(path, sizeof(path), "%s/%s", p->hosts_dir, h->file);
		unlink(path);
	}
	pr_info("host %s: %s", h->file, dead ? "died" : "gone");
	host_free(h);
}

/* Brings the host list in line with the run directory. Under the lock. */
static void rescan(struct plugins *p)
{
	struct host **pp, *h;
	struct dirent *de;
	DIR *d;

	/* Drop hosts whose file is gone or whose process died. */
	for (pp = &p->hosts; (h = *pp);) {
		char path[8192];
		bool dead = !pid_alive(h->pid);

		snprintf(path, sizeof(path), "%s/%s", p->hosts_dir, h->file);
		if (dead || access(path, F_OK)) {
			*pp = h->next;
			host_drop(p, h, dead);
			continue;
		}
		pp = &h->next;
	}

	d = opendir(p->hosts_dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= HOST_FILE_MAX)
			continue;
		for (h = p->hosts; h; h = h->next)
			if (!strcmp(h->file, de->d_name))
				break;
		if (h)
			continue;
		h = host_read(p->hosts_dir, de->d_name);
		if (!h)
			continue;	/* not (yet) a complete run file */
		if (!pid_alive(h->pid)) {
			host_drop(p, h, true);
			continue;
		}
		h->cli = inj_client__open(h->msqid);
		if (!h->cli) {
			pr_warn("host %s: cannot open queue %d: %s", h->file, h->msqid, strerror(errno));
			host_free(h);
			continue;
		}
		host_push(p, h);
		h->ready = true;
		h->next = p->hosts;
		p->hosts = h;
		pr_info("host %s: connected (pid %d, queue %d, %u insertion points)", h->file, h->pid,
			h->msqid, h->nr_points);
	}
	closedir(d);
}

static void *discovery_main(void *arg)
{
	struct plugins *p = arg;
	char buf[4096];

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = p->wake[0], .events = POLLIN },
			{ .fd = p->inotify_fd, .events = POLLIN },
		};

		if (poll(fds, p->inotify_fd >= 0 ? 2 : 1, RESCAN_MS) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		if (p->inotify_fd >= 0 && (fds[1].revents & POLLIN))
			while (read(p->inotify_fd, buf, sizeof(buf)) > 0)
				;
		pthread_mutex_lock(&p->lock);
		rescan(p);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

/* ---- backend ops ---- */

static int list_groups(void *priv, fs_name_cb cb, void *arg)
{
	struct plugins *p = priv;
	struct pl_plugin *pg;
	struct host *h, *h2;
	unsigned int i;
	int err = 0;

	pthread_mutex_lock(&p->lock);
	for (pg = p->store.plugins; pg && !err; pg = pg->next)
		err = cb(pg->name, arg);
	/* Insertion points of hosts that have no pluglets yet, once each. */
	for (h = p->hosts; h && !err; h = h->next) {
		for (i = 0; i < h->nr_points && !err; i++) {
			bool seen = pl_store_find(&p->store, h->points[i]) != NULL;

			for (h2 = p->hosts; h2 != h && !seen; h2 = h2->next)
				seen = host_registers(h2, h->points[i]);
			if (!seen)
				err = cb(h->points[i], arg);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return err;
}

static bool group_known(struct plugins *p, const char *group)
{
	struct host *h;

	if (pl_store_find(&p->store, group))
		return true;
	for (h = p->hosts; h; h = h->next)
		if (host_registers(h, group))
			return true;
	return false;
}

static int group_exists(void *priv, const char *group)
{
	struct plugins *p = priv;
	bool known;

	pthread_mutex_lock(&p->lock);
	known = group_known(p, group);
	pthread_mutex_unlock(&p->lock);
	return known ? 0 : -ENOENT;
}

static int mkdir_group(void *priv, const char *group)
{
	struct plugins *p = priv;
	int err;

	if (!valid_plugin_name(group))
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	if (pl_store_find(&p->store, group))
		err = -EEXIST;
	else
		err = pl_store_declare(&p->store, group);
	pthread_mutex_unlock(&p->lock);
	if (!err)
		pr_info("plugin %s declared", group);
	return err;
}

/*
 * rm -r plugins/<plugin> (after its entries were unlinked): the whole plugin
 * goes from every host too (seed "rm"), and a declared plugin is forgotten.
 * The directory stays visible while a host still registers the insertion
 * point: that is the host's, not ours to remove.
 */
static int rmdir_group(void *priv, const char *group)
{
	struct plugins *p = priv;
	struct pl_plugin *pg;
	struct host *h;
	unsigned int a;
	int err = 0;

	pthread_mutex_lock(&p->lock);
	pg = pl_store_find(&p->store, group);
	if (!pg && !group_known(p, group)) {
		err = -ENOENT;
		goto out;
	}
	for (a = 0; pg && a < PLUGLET_ANCHOR__MAX; a++)
		if (pg->anchors[a])
			err = -ENOTEMPTY;
	if (err)
		goto out;
	for (h = p->hosts; h; h = h->next) {
		char *text = NULL;
		int rc;

		if (!host_serves(h, group))
			continue;
		rc = host_call(p, h, INJ_ACT_REMOVE_PLUGIN, group, 0, 0, NULL, &text);
		if (rc && rc != -ENOENT)
			pr_warn("host %s: rm plugin %s: %s", h->file, group, text ? text : strerror(-rc));
		free(text);
	}
	if (pg)
		err = pl_store_undeclare(&p->store, group);
	if (!err)
		pr_info("plugins/%s removed", group);
out:
	pthread_mutex_unlock(&p->lock);
	return err;
}

static int list_entries(void *priv, const char *group, unsigned int sub, fs_name_cb cb, void *arg)
{
	struct plugins *p = priv;
	struct pl_plugin *pg;
	struct pl_pluglet *pl;
	int err = 0;

	pthread_mutex_lock(&p->lock);
	pg = pl_store_find(&p->store, group);
	if (!pg && !group_known(p, group))
		err = -ENOENT;
	for (pl = pg ? pg->anchors[sub] : NULL; pl && !err; pl = pl->next)
		err = cb(pl->name, arg);
	pthread_mutex_unlock(&p->lock);
	return err;
}

static int entry_exists(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct plugins *p = priv;
	int err;

	pthread_mutex_lock(&p->lock);
	err = pl_store_get(&p->store, group, sub, name) ? 0 : -ENOENT;
	pthread_mutex_unlock(&p->lock);
	return err;
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
	pthread_mutex_lock(&p->lock);
	pg = pl_store_find(&p->store, group);
	if (!pg && !group_known(p, group))
		err = -ENOENT;
	else if (sub == PLUGLET_ANCHOR_REPLACE && pg && pg->anchors[sub] &&
		 strcmp(pg->anchors[sub]->name, name)) {
		pr_warn("plugins/%s/replace: already holds %s (one REPLACE pluglet per plugin)", group,
			pg->anchors[sub]->name);
		err = -EEXIST;
	}
	pthread_mutex_unlock(&p->lock);
	return err;
}

/* Turns what was written (ELF or manifest) into a pluglet with options. */
static int build_pluglet(struct plugins *p, const char *name, uint32_t seq, const void *buf,
			 size_t len, struct pl_pluglet **out)
{
	const struct plugfs_config *cfg = p->cfg;
	struct plugfs_manifest *m = NULL;
	struct pl_pluglet *pl;
	char err[1024] = "";
	void *obj = NULL;
	size_t obj_len = len;
	int rc;

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
		if (!obj) {
			rc = -ENOMEM;
			goto fail;
		}
		memcpy(obj, buf, len);
	} else {
		m = malloc(sizeof(*m));
		if (!m) {
			rc = -ENOMEM;
			goto fail;
		}
		rc = len ? manifest_parse(buf, len, m, err, sizeof(err)) : -EINVAL;
		if (!len)
			snprintf(err, sizeof(err), "empty write: neither an ELF object nor a manifest");
		if (!rc)
			rc = manifest_read_object(m, cfg->max_object_size, &obj, &obj_len, err, sizeof(err));
		if (rc)
			goto fail;
		if (m->jit >= 0)
			pl->jit = m->jit;
		if (m->extra_memory >= 0)
			pl->extra_memory = m->extra_memory;
		if (m->shared_memory >= 0)
			pl->shared_memory = m->shared_memory;
		snprintf(pl->entry, sizeof(pl->entry), "%s", m->name);
		snprintf(pl->source, sizeof(pl->source), "%s", m->object);
	}
	pl->obj = obj;
	pl->len = obj_len;
	obj = NULL;
	rc = pluglet_precheck(pl->obj, pl->len, pl->entry, err, sizeof(err));
	if (rc)
		goto fail;
	plugfs_sha256_hex(pl->obj, pl->len, pl->sha256);
	free(m);
	*out = pl;
	return 0;
fail:
	pr_warn("pluglet %s: %s", name, err[0] ? err : strerror(-rc));
	free(obj);
	free(m);
	pl_pluglet_free(pl);
	return rc;
}

static int commit(void *priv, const char *group, unsigned int sub, const char *name,
		  const void *buf, size_t len)
{
	struct plugins *p = priv;
	struct pl_pluglet *pl = NULL, *old;
	struct host *h, **done = NULL;
	unsigned int nr_done = 0, nr_hosts = 0, i;
	uint32_t seq;
	int rc;

	rc = parse_seq(name, &seq);
	if (rc)
		return rc;
	rc = build_pluglet(p, name, seq, buf, len, &pl);
	if (rc)
		return rc;

	pthread_mutex_lock(&p->lock);
	if (!pl_store_find(&p->store, group) && !group_known(p, group)) {
		rc = -ENOENT;
		goto out;
	}
	old = pl_store_get(&p->store, group, sub, name);
	if (!old && sub == PLUGLET_ANCHOR_REPLACE && pl_store_find(&p->store, group) &&
	    pl_store_find(&p->store, group)->anchors[sub]) {
		rc = -EEXIST;
		goto out;
	}
	for (h = p->hosts; h; h = h->next)
		nr_hosts++;
	done = calloc(nr_hosts + 1, sizeof(*done));
	if (!done) {
		rc = -ENOMEM;
		goto out;
	}
	/* Every host that registers the plugin must accept, or none keeps it. */
	for (h = p->hosts; h; h = h->next) {
		char *text = NULL;

		if (!host_serves(h, group))
			continue;
		rc = host_call(p, h, old ? INJ_ACT_REPLACE : INJ_ACT_ADD, group, sub, seq, pl, &text);
		if (rc == -ENOENT && old)	/* the host lost it: give it back */
			rc = host_call(p, h, INJ_ACT_ADD, group, sub, seq, pl, NULL);
		if (rc) {
			pr_warn("plugins/%s/%s/%s: host %s rejected it: %s", group, anchor_dirs[sub], name,
				h->file, text && *text ? text : strerror(-rc));
			free(text);
			break;
		}
		free(text);
		forget_rejection(h, group, sub, seq);
		done[nr_done++] = h;
	}
	if (rc) {
		for (i = 0; i < nr_done; i++) {
			int rb = old ? host_call(p, done[i], INJ_ACT_REPLACE, group, sub, seq, old, NULL) :
				       host_call(p, done[i], INJ_ACT_REMOVE, group, sub, seq, NULL, NULL);

			if (rb)
				pr_warn("plugins/%s/%s/%s: rollback in host %s failed: %s", group,
					anchor_dirs[sub], name, done[i]->file, strerror(-rb));
		}
		goto out;
	}
	rc = pl_store_put(&p->store, group, sub, pl);
	if (!rc) {
		pr_info("plugins/%s/%s/%s: %s in %u host(s) (%zu bytes, sha256 %.16s...)", group,
			anchor_dirs[sub], name, old ? "replaced" : "loaded", nr_done, pl->len, pl->sha256);
		pl = NULL;
	}
out:
	pthread_mutex_unlock(&p->lock);
	free(done);
	pl_pluglet_free(pl);
	return rc;
}

static int unlink_entry(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct plugins *p = priv;
	struct pl_pluglet *pl;
	struct host *h;
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	pl = pl_store_get(&p->store, group, sub, name);
	if (!pl) {
		rc = -ENOENT;
		goto out;
	}
	for (h = p->hosts; h; h = h->next) {
		char *text = NULL;
		int hr;

		if (!host_serves(h, group))
			continue;
		hr = host_call(p, h, INJ_ACT_REMOVE, group, sub, pl->seq, NULL, &text);
		if (hr && hr != -ENOENT)
			pr_warn("plugins/%s/%s/%s: host %s: rm_pluglet: %s", group, anchor_dirs[sub], name,
				h->file, text && *text ? text : strerror(-hr));
		free(text);
	}
	rc = pl_store_del(&p->store, group, sub, name);
	if (!rc)
		pr_info("plugins/%s/%s/%s removed", group, anchor_dirs[sub], name);
out:
	pthread_mutex_unlock(&p->lock);
	return rc;
}

/*
 * mv pre/20 pre/5: each host gets the pluglet at the new seq before it loses
 * the old one, so it never runs without it. REPLACE has one slot: remove,
 * then add (the original body runs in between).
 */
static int rename_entry(void *priv, const char *group, unsigned int sub, const char *from,
			const char *to)
{
	struct plugins *p = priv;
	struct pl_pluglet *pl;
	struct host *h;
	uint32_t nseq;
	int rc;

	rc = parse_seq(to, &nseq);
	if (rc)
		return rc;
	pthread_mutex_lock(&p->lock);
	pl = pl_store_get(&p->store, group, sub, from);
	if (!pl) {
		rc = -ENOENT;
		goto out;
	}
	if (pl_store_get(&p->store, group, sub, to)) {
		rc = -EEXIST;
		goto out;
	}
	for (h = p->hosts; h; h = h->next) {
		char *text = NULL;
		int hr;

		if (!host_serves(h, group))
			continue;
		if (sub == PLUGLET_ANCHOR_REPLACE) {
			hr = 0;	/* same wire seq: nothing changes in the host */
		} else {
			hr = host_call(p, h, INJ_ACT_ADD, group, sub, nseq, pl, &text);
			if (!hr)
				hr = host_call(p, h, INJ_ACT_REMOVE, group, sub, pl->seq, NULL, NULL);
		}
		if (hr)
			pr_warn("plugins/%s/%s: mv %s %s in host %s: %s", group, anchor_dirs[sub], from, to,
				h->file, text && *text ? text : strerror(-hr));
		free(text);
	}
	rc = pl_store_rename(&p->store, group, sub, from, to, nseq);
out:
	pthread_mutex_unlock(&p->lock);
	return rc;
}

/*
 * Copies the block of one pluglet from a host's report (blocks start at a
 * "plugin:" line and carry "anchor:" and "seq:") into r, indented, without
 * the lines that identify it. Returns true if the host has the pluglet.
 */
static bool append_host_block(struct fs_report *r, const char *text, const char *plugin,
			      const char *anchor, uint32_t seq)
{
	struct fs_report blk = { 0 };
	char want_p[200], want_a[32], want_s[32];
	bool match = false, found = false;
	const char *line, *next;

	snprintf(want_p, sizeof(want_p), "plugin: %s", plugin);
	snprintf(want_a, sizeof(want_a), "anchor: %s", anchor);
	snprintf(want_s, sizeof(want_s), "seq: %u", seq);
	for (line = text; line && *line && !found; line = next) {
		int n;

		next = strchr(line, '\n');
		n = next ? (int)(next - line) : (int)strlen(line);
		if (next)
			next++;
		if (!strncmp(line, "plugin:", 7)) {
			/* A new block: judge the previous one first. */
			if (match && blk.len)
				found = true;
			else
				blk.len = 0;
			match = n == (int)strlen(want_p) && !strncmp(line, want_p, n);
			continue;
		}
		if (!match)
			continue;
		if (!strncmp(line, "anchor:", 7))
			match = n == (int)strlen(want_a) && !strncmp(line, want_a, n);
		else if (!strncmp(line, "seq:", 4))
			match = n == (int)strlen(want_s) && !strncmp(line, want_s, n);
		else if (n)
			fs_report_printf(&blk, "    %.*s\n", n, line);
	}
	if (match && blk.len)
		found = true;
	if (found) {
		fs_report_printf(r, "    state: loaded\n");
		if (blk.buf)
			fs_report_printf(r, "%s", blk.buf);
	}
	free(blk.buf);
	return found;
}

static int report(void *priv, const char *group, unsigned int sub, const char *name,
		  struct fs_report *out)
{
	struct plugins *p = priv;
	struct pl_pluglet *pl;
	struct host *h;
	unsigned int nr = 0;
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	pl = pl_store_get(&p->store, group, sub, name);
	if (!pl) {
		rc = -ENOENT;
		goto out;
	}
	fs_report_printf(out, " plugfs state\n");
	fs_report_printf(out, "plugin: %s\n", group);
	fs_report_printf(out, "anchor: %s\n", anchor_dirs[sub]);
	fs_report_printf(out, "seq: %u\n", pl->seq);
	fs_report_printf(out, "entry: %s\n", pl->entry[0] ? pl->entry : "(only global function)");
	fs_report_printf(out, "jit: %s\n", pl->jit ? "true" : "false");
	fs_report_printf(out, "extra_memory: %u\n", pl->extra_memory);
	fs_report_printf(out, "shared_memory: %u\n", pl->shared_memory);
	fs_report_printf(out, "source: %s\n", pl->source[0] ? pl->source : "(written directly)");
	fs_report_printf(out, "object_size: %zu\n", pl->len);
	fs_report_printf(out, "sha256: %s\n", pl->sha256);
	for (h = p->hosts; h; h = h->next)
		if (host_serves(h, group))
			nr++;
	fs_report_printf(out, "hosts: %u\n", nr);
	for (h = p->hosts; h; h = h->next) {
		char *text = NULL;
		int hr;

		if (!host_serves(h, group))
			continue;
		fs_report_printf(out, "\n host %s\n", h->file);
		hr = host_call(p, h, INJ_ACT_STATUS, group, 0, 0, NULL, &text);
		if (hr) {
			fs_report_printf(out, "    state: unreachable (%s)\n", strerror(-hr));
		} else if (!append_host_block(out, text ? text : "", group, anchor_dirs[sub],
					      sub == PLUGLET_ANCHOR_REPLACE ? 0 : pl->seq)) {
			const struct rejection *rj = find_rejection(h, group, sub, pl->seq);

			if (rj)
				fs_report_printf(out, "    state: rejected: %s\n", rj->reason);
			else
				fs_report_printf(out, "    state: missing\n");
		}
		free(text);
	}
out:
	pthread_mutex_unlock(&p->lock);
	return rc;
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

/* ---- hosts/ ---- */

static int hosts_list(void *priv, fs_name_cb cb, void *arg)
{
	struct plugins *p = priv;
	struct host *h;
	int err = 0;

	pthread_mutex_lock(&p->lock);
	for (h = p->hosts; h && !err; h = h->next)
		if (h->ready)
			err = cb(h->file, arg);
	pthread_mutex_unlock(&p->lock);
	return err;
}

static struct host *host_find(struct plugins *p, const char *file)
{
	struct host *h;

	for (h = p->hosts; h; h = h->next)
		if (h->ready && !strcmp(h->file, file))
			return h;
	return NULL;
}

static int hosts_exists(void *priv, const char *name)
{
	struct plugins *p = priv;
	int err;

	pthread_mutex_lock(&p->lock);
	err = host_find(p, name) ? 0 : -ENOENT;
	pthread_mutex_unlock(&p->lock);
	return err;
}

static int hosts_report(void *priv, const char *name, struct fs_report *out)
{
	struct plugins *p = priv;
	struct host *h;
	unsigned int i;
	char *text = NULL;
	int rc = 0, hr;

	pthread_mutex_lock(&p->lock);
	h = host_find(p, name);
	if (!h) {
		rc = -ENOENT;
		goto out;
	}
	hr = host_call(p, h, INJ_ACT_STATUS, h->nr_points ? h->points[0] : "-", 0, 0, NULL, &text);
	if (hr || !text) {
		/* What the run file said, when the host itself cannot answer. */
		fs_report_printf(out, "name: %s\npid: %d\nmsqid: %d\npoints:", h->name, h->pid, h->msqid);
		for (i = 0; i < h->nr_points; i++)
			fs_report_printf(out, " %s", h->points[i]);
		fs_report_printf(out, "\nstate: unreachable (%s)\n", strerror(hr ? -hr : EPROTO));
	} else {
		fs_report_printf(out, "state: ready\n%s%s", text,
				 *text && text[strlen(text) - 1] != '\n' ? "\n" : "");
	}
	for (const struct rejection *rj = h->rejected; rj; rj = rj->next)
		fs_report_printf(out, "\nrejected: %s/%s/%u: %s\n", rj->plugin, anchor_dirs[rj->anchor],
				 rj->seq, rj->reason);
	free(text);
out:
	pthread_mutex_unlock(&p->lock);
	return rc;
}

static const struct fs_flatdir_ops hosts_ops = {
	.list = hosts_list,
	.exists = hosts_exists,
	.report = hosts_report,
};

int hosts_flatdir_get(const struct fs_domain *plugins, const struct fs_flatdir_ops **ops, void **priv)
{
	*ops = &hosts_ops;
	*priv = plugins->priv;
	return 0;
}

/* ---- life cycle ---- */

int plugins_domain_init(struct fs_domain *d, const struct plugfs_config *cfg)
{
	struct plugins *p;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->cfg = cfg;
	p->inotify_fd = -1;
	p->wake[0] = p->wake[1] = -1;
	pthread_mutex_init(&p->lock, NULL);
	snprintf(p->hosts_dir, sizeof(p->hosts_dir), "%s/hosts", cfg->run_dir);
	if (mkdir(p->hosts_dir, 0755) && errno != EEXIST) {
		err = -errno;
		pr_warn("plugins: cannot create %s: %s", p->hosts_dir, strerror(errno));
		goto fail;
	}
	err = pl_store_open(&p->store, cfg->state_dir);
	if (err)
		goto fail;
	p->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (p->inotify_fd >= 0 &&
	    inotify_add_watch(p->inotify_fd, p->hosts_dir,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_CREATE) < 0) {
		close(p->inotify_fd);
		p->inotify_fd = -1;
	}
	if (pipe2(p->wake, O_CLOEXEC)) {
		err = -errno;
		goto fail;
	}
	/* Hosts already running get their pluglets before the tree is served. */
	rescan(p);
	err = -pthread_create(&p->thread, NULL, discovery_main, p);
	if (err)
		goto fail;
	p->thread_up = true;

	d->name = "plugins";
	d->subdirs = anchor_dirs;
	d->ops = &plugins_ops;
	d->priv = p;
	return 0;
fail:
	d->priv = p;
	plugins_domain_fini(d);
	return err;
}

void plugins_domain_fini(struct fs_domain *d)
{
	struct plugins *p = d->priv;
	struct host *h;

	if (!p)
		return;
	if (p->thread_up) {
		if (write(p->wake[1], "x", 1) < 0)
			pr_warn("plugins: cannot wake the discovery thread");
		pthread_join(p->thread, NULL);
	}
	while ((h = p->hosts)) {
		p->hosts = h->next;
		host_free(h);
	}
	pl_store_close(&p->store);
	if (p->inotify_fd >= 0)
		close(p->inotify_fd);
	if (p->wake[0] >= 0)
		close(p->wake[0]);
	if (p->wake[1] >= 0)
		close(p->wake[1]);
	pthread_mutex_destroy(&p->lock);
	free(p);
	d->priv = NULL;
}

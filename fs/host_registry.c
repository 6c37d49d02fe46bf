/* SPDX-License-Identifier: MIT */
/* The list of connected hosts, their discovery and their silence (host_registry.h). */
#include "host_registry.h"
#include "reply_queues.h"

#include <plugfs/clock.h>
#include <plugfs/fileutil.h>
#include <plugfs/proc.h>
#include <plugfs/ini.h>
#include <plugfs/log.h>
#include <plugfs/opts.h>
#include <plugfs/strbuf.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/msg.h>
#include <time.h>
#include <unistd.h>

#define RESCAN_MS 200
#define PROBE_MS 1000
/* The longest a read waits for a host's status before it takes the last
 * one it has (with its age): well under a second, however many hosts. */
#define READ_WAIT_MS 250
/* How soon a sync that could not run is tried again. */
#define SYNC_RETRY_MS 50
/* After a change, the host's status is asked again this much later, so that
 * the changes of a burst (a script of cp) cost one status request, not one
 * each; a read asks at once anyway. */
#define REFRESH_MS 100

struct rejection {
	char plugin[INJ_NAME_MAX];
	char anchor[16];
	uint32_t seq;
	char reason[512];
	struct rejection *next;
};

struct host {
	struct host_info info;
	struct host_registry *reg;
	struct inj_client *cli;		/* changes */
	struct inj_client *status_cli;	/* status requests: never queued behind a change */
	/* Under the registry's lock: */
	unsigned int refs;
	bool published;
	int silent;			/* 0, or the -errno of the request that timed out */
	bool unsynced;			/* it may have missed a change: sync when it answers */
	struct rejection *rejected;
	struct host *next;		/* written by the discovery thread only */
	bool dropping, dead;		/* the discovery thread's own */
	/* The watcher thread's (statuses, probes, syncs), under the lock: */
	pthread_t watcher;
	bool watcher_up, stop;
	pthread_cond_t cond;		/* wakes the watcher, and readers when a status came */
	uint64_t want, done;		/* status refreshes asked for / answered or failed */
	uint64_t asking_since;		/* when the status request in flight was sent, 0: none */
	uint64_t last_probe;
	uint64_t sync_retry;		/* a sync that could not run waits until then */
	uint64_t refresh_at;		/* a change was made: ask the status then, 0: no */
	struct inj_host_status cache;	/* the newest status the host sent */
	uint64_t cache_ns;		/* when, 0: never */
	int last_err;			/* of the newest status request, 0 if it answered */
};

/* A run file that could not be read, warned about once. */
struct refused {
	char file[HOST_FILE_MAX];
	struct refused *next;
};

struct host_registry {
	struct host_registry_opts opts;
	char hosts_dir[PATH_MAX];
	pthread_mutex_t lock;
	pthread_condattr_t cond_attr;	/* CLOCK_MONOTONIC, the clock of plugfs_now_ns() */
	struct host *hosts;		/* published, newest first */
	host_added_fn host_added;
	void *host_added_arg;
	host_sync_fn host_sync;
	void *host_sync_arg;
	host_change_fn on_change;
	void *on_change_arg;
	/* The discovery thread's own: */
	struct refused *refused;
	pthread_t discovery;
	bool discovery_up;
	int wake[2];			/* pipe: wakes the discovery thread to stop */
	int inotify_fd;
};

/* ---- hosts ---- */

static void host_free(struct host *h)
{
	unsigned int i;

	while (h->rejected) {
		struct rejection *rj = h->rejected;

		h->rejected = rj->next;
		free(rj);
	}
	inj_client__close(h->cli);
	inj_client__close(h->status_cli);
	inj_host_status__fini(&h->cache);
	pthread_cond_destroy(&h->cond);
	for (i = 0; i < h->info.nr_points; i++)
		free(h->info.points[i]);
	free(h->info.points);
	for (i = 0; i < h->info.nr_replace_only; i++)
		free(h->info.replace_only[i]);
	free(h->info.replace_only);
	free(h);
}

struct host *host__get(struct host *h)
{
	pthread_mutex_lock(&h->reg->lock);
	h->refs++;
	pthread_mutex_unlock(&h->reg->lock);
	return h;
}

void host__put(struct host *h)
{
	bool last;

	if (!h)
		return;
	pthread_mutex_lock(&h->reg->lock);
	last = --h->refs == 0;
	pthread_mutex_unlock(&h->reg->lock);
	if (last)
		host_free(h);
}

const struct host_info *host__info(const struct host *h)
{
	return &h->info;
}

static bool name_in(char *const *v, unsigned int n, const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(v[i], name))
			return true;
	return false;
}

bool host__registers(const struct host *h, const char *point)
{
	return name_in(h->info.points, h->info.nr_points, point);
}

bool host__point_replace_only(const struct host *h, const char *point)
{
	return name_in(h->info.replace_only, h->info.nr_replace_only, point);
}

/* A request that timed out makes the host silent, an answer ends its
 * silence; a local failure (the request was not sent) says nothing. A
 * change that timed out may still be applied late: the host needs a sync.
 * Under the registry's lock. */
static void note_outcome_locked(struct host *h, int rc, bool answered, bool change)
{
	bool was = h->silent != 0, now;

	if (rc == -ETIMEDOUT) {
		h->silent = rc;
		h->unsynced |= change;
	} else if (answered) {
		h->silent = 0;
	}
	now = h->silent != 0;
	if (now != was)
		pthread_cond_broadcast(&h->cond);
	if (now && !was)
		pr_info("host %s: no answer in time; its changes are pending until it answers",
			h->info.file);
	else if (was && !now)
		pr_info("host %s: answers again", h->info.file);
}

static uint64_t want_status(struct host *h);

/* The host changed: its status is asked again once the changes settle.
 * Under the lock. */
static void refresh_later(struct host *h)
{
	if (h->refresh_at || h->silent)
		return;
	h->refresh_at = plugfs_now_ns() + REFRESH_MS * 1000000ull;
	pthread_cond_broadcast(&h->cond);
}

int host__call(struct host *h, const struct inj_request *req, const void *obj, size_t len,
	       char **text)
{
	struct inj_reply rep = { 0 };
	int rc;

	rc = inj_client__request(h->cli, req, obj, len, &rep, h->reg->opts.timeout_ms);
	pthread_mutex_lock(&h->reg->lock);
	note_outcome_locked(h, rc, rep.from_host, true);
	if (rep.from_host)
		refresh_later(h);
	pthread_mutex_unlock(&h->reg->lock);
	if (text) {
		*text = rep.text;
		rep.text = NULL;
	}
	inj_reply__fini(&rep);
	return rc;
}

int host__call_all(struct host_call *calls, unsigned int n)
{
	struct inj_call *ic = calloc(n + 1, sizeof(*ic));
	unsigned int i, k = 0;
	int timeout_ms = 0, err;

	if (!ic)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!calls[i].h)
			continue;
		timeout_ms = (int)calls[i].h->reg->opts.timeout_ms;
		ic[k++] = (struct inj_call){ .c = calls[i].h->cli, .req = &calls[i].req,
					     .obj = calls[i].obj, .len = calls[i].len };
	}
	err = inj_client__request_all(ic, k, timeout_ms);
	for (i = 0, k = 0; i < n; i++) {
		struct host *h = calls[i].h;
		struct inj_call *c = &ic[k];

		if (!h)
			continue;
		k++;
		calls[i].rc = c->rc;
		pthread_mutex_lock(&h->reg->lock);
		note_outcome_locked(h, c->rc, c->reply.from_host, true);
		if (c->reply.from_host)
			refresh_later(h);
		pthread_mutex_unlock(&h->reg->lock);
		calls[i].text = c->reply.text;
		c->reply.text = NULL;
		inj_reply__fini(&c->reply);
	}
	free(ic);
	return err;
}

bool host__silent(struct host *h)
{
	bool silent;

	pthread_mutex_lock(&h->reg->lock);
	silent = h->silent != 0;
	pthread_mutex_unlock(&h->reg->lock);
	return silent;
}

void host__mark_unsynced(struct host *h)
{
	pthread_mutex_lock(&h->reg->lock);
	h->unsynced = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->reg->lock);
}

/* ---- statuses ---- */

static int status_copy(struct inj_host_status *dst, const struct inj_host_status *src)
{
	*dst = *src;
	dst->points = calloc(src->nr_points + 1, sizeof(*dst->points));
	dst->pluglets = calloc(src->nr_pluglets + 1, sizeof(*dst->pluglets));
	if (!dst->points || !dst->pluglets) {
		inj_host_status__fini(dst);
		return -ENOMEM;
	}
	memcpy(dst->points, src->points, src->nr_points * sizeof(*dst->points));
	memcpy(dst->pluglets, src->pluglets, src->nr_pluglets * sizeof(*dst->pluglets));
	return 0;
}

/* Keeps what the host answered as the newest status. Under the lock. */
static void cache_put(struct host *h, int rc, struct inj_host_status *st)
{
	h->last_err = rc;
	if (rc)
		return;
	inj_host_status__fini(&h->cache);
	h->cache = *st;
	memset(st, 0, sizeof(*st));
	h->cache_ns = plugfs_now_ns();
}

int host__sync_status(struct host *h, struct inj_host_status *out)
{
	struct inj_host_status st;
	int rc = inj_client__status(h->cli, &st, h->reg->opts.timeout_ms);

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&h->reg->lock);
	note_outcome_locked(h, rc, rc == 0, false);
	if (!rc) {
		rc = status_copy(out, &st);
		cache_put(h, 0, &st);
	}
	pthread_mutex_unlock(&h->reg->lock);
	inj_host_status__fini(&st);
	return rc;
}

/* Asks the watcher for a status newer than now; returns the refresh to
 * wait for. A silent host is probed once a second anyway. Under the lock. */
static uint64_t want_status(struct host *h)
{
	uint64_t need = h->done + (h->asking_since ? 2 : 1);

	if (h->silent)
		return h->done;
	if (h->want < need)
		h->want = need;
	pthread_cond_broadcast(&h->cond);
	return need;
}

/* Until when a reader waits for the refresh it asked for. Under the lock. */
static uint64_t read_deadline(const struct host *h, uint64_t now)
{
	uint64_t end = now + READ_WAIT_MS * 1000000ull;

	if (h->silent)
		return now;
	if (h->asking_since && h->asking_since + READ_WAIT_MS * 1000000ull < end)
		end = h->asking_since + READ_WAIT_MS * 1000000ull;
	return end;
}

static void view_fill(struct host *h, struct host_view *v, uint64_t now, bool answered)
{
	memset(v, 0, sizeof(*v));
	v->silent = h->silent != 0;
	v->unsynced = h->unsynced;
	if (!h->cache_ns) {
		v->err = h->silent ? h->silent : h->last_err ? h->last_err : -ETIMEDOUT;
		return;
	}
	v->err = status_copy(&v->st, &h->cache);
	v->age_ms = (now - h->cache_ns) / 1000000ull;
	v->cached = !answered || h->last_err != 0 || v->silent;
}

int host_set__status(struct host_set *s, struct host_view *out)
{
	struct host_registry *r;
	struct timespec until;
	uint64_t *want, now;
	unsigned int i;

	if (!s->nr)
		return 0;
	want = calloc(s->nr, sizeof(*want));
	if (!want)
		return -ENOMEM;
	r = s->v[0]->reg;
	pthread_mutex_lock(&r->lock);
	now = plugfs_now_ns();
	/* Every host is asked first, so that the waits overlap. */
	for (i = 0; i < s->nr; i++)
		want[i] = want_status(s->v[i]);
	for (i = 0; i < s->nr; i++) {
		struct host *h = s->v[i];
		uint64_t e = read_deadline(h, now);

		while (h->done < want[i] && !h->silent && plugfs_now_ns() < e) {
			until = (struct timespec){ .tv_sec = e / 1000000000ull,
						   .tv_nsec = e % 1000000000ull };
			pthread_cond_timedwait(&h->cond, &r->lock, &until);
		}
	}
	now = plugfs_now_ns();
	for (i = 0; i < s->nr; i++)
		view_fill(s->v[i], &out[i], now, s->v[i]->done >= want[i]);
	pthread_mutex_unlock(&r->lock);
	free(want);
	return 0;
}

int host__status(struct host *h, struct host_view *out)
{
	struct host *one[1] = { h };
	struct host_set s = { .v = one, .nr = 1 };

	return host_set__status(&s, out);
}

void host_view__fini(struct host_view *v)
{
	inj_host_status__fini(&v->st);
}

/* ---- the watcher: statuses, probes of a silent host, syncs ---- */

/* One status request on the status client, lock dropped meanwhile. */
static void watcher_ask(struct host *h)
{
	struct host_registry *r = h->reg;
	struct inj_host_status st;
	uint64_t target = h->want;
	int rc;

	h->refresh_at = 0;	/* this answer tells the changes made so far */
	h->asking_since = plugfs_now_ns();
	h->last_probe = h->asking_since;
	pthread_mutex_unlock(&r->lock);
	rc = inj_client__status(h->status_cli, &st, r->opts.timeout_ms);
	pthread_mutex_lock(&r->lock);
	note_outcome_locked(h, rc, rc == 0, false);
	cache_put(h, rc, &st);
	inj_host_status__fini(&st);
	h->asking_since = 0;
	if (target > h->done)
		h->done = target;
	pthread_cond_broadcast(&h->cond);
}

/* One sync, lock dropped meanwhile; readers count it as a status request
 * in flight, so that they do not wait for it longer than for one. */
static void watcher_sync(struct host *h)
{
	struct host_registry *r = h->reg;
	bool done;

	h->unsynced = false;
	h->asking_since = plugfs_now_ns();
	pthread_mutex_unlock(&r->lock);
	done = r->host_sync(r->host_sync_arg, h);
	pthread_mutex_lock(&r->lock);
	h->asking_since = 0;
	if (!done) {
		h->unsynced = true;
		h->sync_retry = plugfs_now_ns() + SYNC_RETRY_MS * 1000000ull;
	}
	pthread_cond_broadcast(&h->cond);
}

static void *watcher_main(void *arg)
{
	struct host *h = arg;
	struct host_registry *r = h->reg;
	struct timespec until;
	uint64_t next;

	pthread_mutex_lock(&r->lock);
	while (!h->stop) {
		next = h->last_probe + PROBE_MS * 1000000ull;
		if (h->want > h->done || (h->silent && plugfs_now_ns() >= next)) {
			watcher_ask(h);
		} else if (!h->silent && h->unsynced && r->host_sync &&
			   plugfs_now_ns() >= h->sync_retry) {
			watcher_sync(h);
		} else if (!h->silent && h->refresh_at && plugfs_now_ns() >= h->refresh_at) {
			want_status(h);
		} else if (h->silent || (h->unsynced && r->host_sync) || h->refresh_at) {
			if (!h->silent)
				next = h->unsynced && r->host_sync ? h->sync_retry : UINT64_MAX;
			if (!h->silent && h->refresh_at && h->refresh_at < next)
				next = h->refresh_at;
			until = (struct timespec){ .tv_sec = next / 1000000000ull,
						   .tv_nsec = next % 1000000000ull };
			pthread_cond_timedwait(&h->cond, &r->lock, &until);
		} else {
			pthread_cond_wait(&h->cond, &r->lock);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void watcher_start(struct host *h)
{
	int err = pthread_create(&h->watcher, NULL, watcher_main, h);

	if (err)
		pr_warn("host %s: no status thread: %s; its reports stay empty", h->info.file,
			strerror(err));
	h->watcher_up = !err;
}

static void watcher_stop(struct host *h)
{
	if (!h->watcher_up)
		return;
	pthread_mutex_lock(&h->reg->lock);
	h->stop = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->reg->lock);
	pthread_join(h->watcher, NULL);
	h->watcher_up = false;
}

/* ---- rejections ---- */

static bool rejection_is(const struct rejection *rj, const char *plugin, const char *anchor,
			 uint32_t seq)
{
	return !strcmp(rj->plugin, plugin) && !strcmp(rj->anchor, anchor) && rj->seq == seq;
}

static void forget_locked(struct host *h, const char *plugin, const char *anchor, uint32_t seq)
{
	struct rejection **pp, *rj;

	for (pp = &h->rejected; (rj = *pp);) {
		if (rejection_is(rj, plugin, anchor, seq)) {
			*pp = rj->next;
			free(rj);
		} else {
			pp = &rj->next;
		}
	}
}

void host__forget_rejection(struct host *h, const char *plugin, const char *anchor, uint32_t seq)
{
	pthread_mutex_lock(&h->reg->lock);
	forget_locked(h, plugin, anchor, seq);
	pthread_mutex_unlock(&h->reg->lock);
}

void host__note_rejection(struct host *h, const char *plugin, const char *anchor, uint32_t seq,
			  const char *reason)
{
	struct rejection *rj = calloc(1, sizeof(*rj));

	if (rj) {
		snprintf(rj->plugin, sizeof(rj->plugin), "%s", plugin);
		snprintf(rj->anchor, sizeof(rj->anchor), "%s", anchor);
		rj->seq = seq;
		snprintf(rj->reason, sizeof(rj->reason), "%s", reason);
	}
	pthread_mutex_lock(&h->reg->lock);
	forget_locked(h, plugin, anchor, seq);
	if (rj) {
		rj->next = h->rejected;
		h->rejected = rj;
	}
	pthread_mutex_unlock(&h->reg->lock);
}

bool host__rejection(struct host *h, const char *plugin, const char *anchor, uint32_t seq,
		     char *reason, size_t size)
{
	const struct rejection *rj;
	bool found = false;

	pthread_mutex_lock(&h->reg->lock);
	for (rj = h->rejected; rj && !found; rj = rj->next) {
		if (rejection_is(rj, plugin, anchor, seq)) {
			snprintf(reason, size, "%s", rj->reason);
			found = true;
		}
	}
	pthread_mutex_unlock(&h->reg->lock);
	return found;
}

void host__for_each_rejection(struct host *h, host_rejection_fn fn, void *arg)
{
	const struct rejection *rj;

	pthread_mutex_lock(&h->reg->lock);
	for (rj = h->rejected; rj; rj = rj->next)
		fn(arg, rj->plugin, rj->anchor, rj->seq, rj->reason);
	pthread_mutex_unlock(&h->reg->lock);
}

/* ---- the list ---- */

void host_registry__publish(struct host_registry *r, struct host *h)
{
	pthread_mutex_lock(&r->lock);
	if (!h->published) {
		h->published = true;
		h->refs++;			/* the list's */
		h->next = r->hosts;
		r->hosts = h;
	}
	pthread_mutex_unlock(&r->lock);
}

int host_registry__select(struct host_registry *r, const char *plugin, struct host_set *out)
{
	unsigned int n = 0;
	struct host *h;
	int err = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&r->lock);
	for (h = r->hosts; h; h = h->next)
		n++;
	out->v = n ? calloc(n, sizeof(*out->v)) : NULL;
	if (n && !out->v)
		err = -ENOMEM;
	for (h = r->hosts; h && !err; h = h->next) {
		if (plugin && !host__registers(h, plugin))
			continue;
		h->refs++;
		out->v[out->nr++] = h;
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}

void host_set__release(struct host_set *s)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		host__put(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

struct host *host_registry__find(struct host_registry *r, const char *file)
{
	struct host *h;

	pthread_mutex_lock(&r->lock);
	for (h = r->hosts; h; h = h->next) {
		if (!strcmp(h->info.file, file)) {
			h->refs++;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return h;
}

bool host_registry__has_point(struct host_registry *r, const char *point)
{
	struct host *h;

	pthread_mutex_lock(&r->lock);
	for (h = r->hosts; h && !host__registers(h, point); h = h->next)
		;
	pthread_mutex_unlock(&r->lock);
	return h != NULL;
}

int host_registry__for_each_point(struct host_registry *r, host_name_fn fn, void *arg)
{
	struct host *h, *h2;
	unsigned int i;
	int err = 0;

	pthread_mutex_lock(&r->lock);
	for (h = r->hosts; h && !err; h = h->next) {
		for (i = 0; i < h->info.nr_points && !err; i++) {
			const char *point = h->info.points[i];

			/* Once each: skip what a host listed earlier registers. */
			for (h2 = r->hosts; h2 != h && !host__registers(h2, point); h2 = h2->next)
				;
			if (h2 == h)
				err = fn(point, arg);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}

int host_registry__for_each_host(struct host_registry *r, host_name_fn fn, void *arg)
{
	struct host *h;
	int err = 0;

	pthread_mutex_lock(&r->lock);
	for (h = r->hosts; h && !err; h = h->next)
		err = fn(h->info.file, arg);
	pthread_mutex_unlock(&r->lock);
	return err;
}

/* ---- run files ---- */

static int add_name(char ***v, unsigned int *n, const char *name)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(name);
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* A pid or a queue id: a positive int. */
static int parse_id(const char *value, int *out)
{
	uint64_t v;
	int rc = plugfs_parse_u64(value, INT_MAX, &v);

	if (!rc)
		*out = (int)v;
	return rc;
}

/* [host] name, pid, msqid, [points] <name> = <id> and [point_kinds]
 * <name> = vm_call | replace_only; the other keys (protocol, max_object) are
 * for the ebpf_injecter command line. A kind this daemon does not know is
 * taken as vm_call (nothing refused). */
static int runfile_key(void *cookie, const char *section, const char *key, const char *value,
		       char *err, size_t err_size)
{
	struct host_info *hi = cookie;
	uint32_t id;
	int rc = 0;

	if (!strcmp(section, "host")) {
		if (!strcmp(key, "name"))
			rc = plugfs_set_str(hi->name, sizeof(hi->name), value);
		else if (!strcmp(key, "pid"))
			rc = parse_id(value, &hi->pid);
		else if (!strcmp(key, "msqid"))
			rc = parse_id(value, &hi->msqid);
	} else if (!strcmp(section, "points")) {
		rc = plugfs_parse_u32(value, &id);
		if (!rc)
			rc = add_name(&hi->points, &hi->nr_points, key);
	} else if (!strcmp(section, "point_kinds") && !strcmp(value, "replace_only")) {
		rc = add_name(&hi->replace_only, &hi->nr_replace_only, key);
	}
	if (rc == -ENOMEM)
		snprintf(err, err_size, "out of memory");
	return rc;
}

/* A host from its run file: 0, or -errno with the reason in err. */
static int host_read(struct host_registry *r, const char *file, struct host **out, char *err,
		     size_t err_size)
{
	char path[PATH_MAX];
	struct host *h;
	int rc;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->reg = r;
	h->refs = 1;
	h->info.msqid = -1;
	pthread_cond_init(&h->cond, &r->cond_attr);
	snprintf(h->info.file, sizeof(h->info.file), "%s", file);
	rc = plugfs_snprintf(path, sizeof(path), "%s/%s", r->hosts_dir, file);
	if (!rc)
		rc = plugfs_ini_parse_file(path, runfile_key, &h->info, err, err_size);
	if (!rc && (!h->info.name[0] || h->info.pid <= 0 || h->info.msqid < 0)) {
		snprintf(err, err_size, "no %s", !h->info.name[0] ? "name" :
			 h->info.pid <= 0 ? "pid" : "msqid");
		rc = -EINVAL;
	}
	if (rc) {
		host_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

static void host_drop(struct host_registry *r, struct host *h, bool dead)
{
	char path[PATH_MAX];

	watcher_stop(h);
	if (dead) {
		/* A host that died cannot remove its queue and run file. */
		if (h->info.msqid >= 0 && msgctl(h->info.msqid, IPC_RMID, NULL) == 0)
			pr_info("host %s: removed leftover queue %d", h->info.file, h->info.msqid);
		if (!plugfs_snprintf(path, sizeof(path), "%s/%s", r->hosts_dir, h->info.file))
			unlink(path);
	}
	pr_info("host %s: %s", h->info.file, dead ? "died" : "gone");
	if (h->published && r->on_change)
		r->on_change(r->on_change_arg, &h->info, true);
	host__put(h);
}

/* ---- discovery ---- */

static bool file_exists(struct host_registry *r, const char *file)
{
	char path[PATH_MAX];

	return !plugfs_snprintf(path, sizeof(path), "%s/%s", r->hosts_dir, file) &&
	       access(path, F_OK) == 0;
}

/*
 * Unlinks the hosts whose run file is gone or whose process died. Only
 * the discovery thread changes the list, so it reads it without the lock.
 */
static void drop_gone(struct host_registry *r)
{
	struct host **pp, *h, *gone = NULL;
	bool any = false;

	for (h = r->hosts; h; h = h->next) {
		h->dead = !plugfs_pid_alive(h->info.pid);
		h->dropping = h->dead || !file_exists(r, h->info.file);
		any |= h->dropping;
	}
	if (!any)
		return;
	pthread_mutex_lock(&r->lock);
	for (pp = &r->hosts; (h = *pp);) {
		if (h->dropping) {
			*pp = h->next;
			h->next = gone;
			gone = h;
			continue;
		}
		pp = &h->next;
	}
	pthread_mutex_unlock(&r->lock);
	while ((h = gone)) {
		gone = h->next;
		host_drop(r, h, h->dead);
	}
}

static bool is_known(struct host_registry *r, const char *file)
{
	struct host *h;

	for (h = r->hosts; h && strcmp(h->info.file, file); h = h->next)
		;
	return h != NULL;
}

/* Run files are written whole (rename), so one that cannot be read is
 * wrong, not half-written: say why once, not at every rescan. */
static bool refused_before(struct host_registry *r, const char *file, const char *why)
{
	struct refused *rf;

	for (rf = r->refused; rf; rf = rf->next)
		if (!strcmp(rf->file, file))
			return true;
	if (!why)
		return false;
	pr_warn("host %s: run file ignored: %s", file, why);
	rf = calloc(1, sizeof(*rf));
	if (rf) {
		snprintf(rf->file, sizeof(rf->file), "%s", file);
		rf->next = r->refused;
		r->refused = rf;
	}
	return true;
}

static void prune_refused(struct host_registry *r)
{
	struct refused **pp, *rf;

	for (pp = &r->refused; (rf = *pp);) {
		if (!file_exists(r, rf->file)) {
			*pp = rf->next;
			free(rf);
		} else {
			pp = &rf->next;
		}
	}
}

/* A run file not seen before: the host is connected, brought up to date
 * by host_added, and published. */
static void host_found(struct host_registry *r, const char *file)
{
	char err[640] = "";
	struct host *h;
	int rc;

	rc = host_read(r, file, &h, err, sizeof(err));
	if (rc) {
		/* Gone already (the host exited), or no memory: try again later. */
		if (rc != -ENOENT && rc != -ENOMEM)
			refused_before(r, file, err);
		return;
	}
	if (!plugfs_pid_alive(h->info.pid)) {
		host_drop(r, h, true);
		return;
	}
	h->cli = inj_client__open(h->info.msqid);
	h->status_cli = h->cli ? inj_client__open(h->info.msqid) : NULL;
	if (h->cli)
		reply_queues__add(inj_client__reply_qid(h->cli));
	if (h->status_cli)
		reply_queues__add(inj_client__reply_qid(h->status_cli));
	if (!h->status_cli) {
		pr_warn("host %s: cannot open queue %d: %s", file, h->info.msqid, strerror(errno));
		host__put(h);
		return;
	}
	if (r->host_added)
		r->host_added(r->host_added_arg, r, h);
	else
		host_registry__publish(r, h);
	if (h->published) {
		watcher_start(h);
		pr_info("host %s: connected (pid %d, queue %d, %u insertion points)", file,
			h->info.pid, h->info.msqid, h->info.nr_points);
		if (r->on_change)
			r->on_change(r->on_change_arg, &h->info, false);
	}
	host__put(h);
}

/* Brings the host list in line with the run directory. Discovery thread
 * only (and _start() before it runs). */
static void rescan(struct host_registry *r)
{
	struct dirent *de;
	DIR *d;

	drop_gone(r);
	prune_refused(r);
	d = opendir(r->hosts_dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		/* Hidden names are run files being written. */
		if (de->d_name[0] == '.' || strlen(de->d_name) >= HOST_FILE_MAX)
			continue;
		if (is_known(r, de->d_name) || refused_before(r, de->d_name, NULL))
			continue;
		host_found(r, de->d_name);
	}
	closedir(d);
}

static void *discovery_main(void *arg)
{
	struct host_registry *r = arg;
	char buf[4096];

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = r->wake[0], .events = POLLIN },
			{ .fd = r->inotify_fd, .events = POLLIN },
		};

		if (poll(fds, r->inotify_fd >= 0 ? 2 : 1, RESCAN_MS) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		if (r->inotify_fd >= 0 && (fds[1].revents & POLLIN))
			while (read(r->inotify_fd, buf, sizeof(buf)) > 0)
				;
		rescan(r);
	}
	return NULL;
}

/* ---- life cycle ---- */

struct host_registry *host_registry__new(const struct host_registry_opts *opts)
{
	struct host_registry *r;
	int err;

	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->opts.sz = sizeof(r->opts);
	r->inotify_fd = -1;
	r->wake[0] = r->wake[1] = -1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&r->cond_attr);
	pthread_condattr_setclock(&r->cond_attr, CLOCK_MONOTONIC);
	err = PLUGFS_OPTS_COPY(&r->opts, opts);
	if (!err && (!opts || !r->opts.run_dir))
		err = -EINVAL;
	if (!err)
		err = plugfs_snprintf(r->hosts_dir, sizeof(r->hosts_dir), "%s/hosts", r->opts.run_dir);
	if (!err) {
		err = plugfs_mkdir_p(r->hosts_dir, 0755);
		if (err)
			pr_warn("plugins: cannot create %s: %s", r->hosts_dir, strerror(-err));
	}
	if (!err && pipe2(r->wake, O_CLOEXEC))
		err = -errno;
	if (err) {
		host_registry__free(r);
		errno = -err;
		return NULL;
	}
	r->opts.run_dir = NULL;		/* not kept: the caller's string */
	r->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r->inotify_fd >= 0 &&
	    inotify_add_watch(r->inotify_fd, r->hosts_dir,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_CREATE) < 0) {
		close(r->inotify_fd);
		r->inotify_fd = -1;
	}
	return r;
}

void host_registry__on_host_added(struct host_registry *r, host_added_fn fn, void *arg)
{
	r->host_added = fn;
	r->host_added_arg = arg;
}

void host_registry__on_host_sync(struct host_registry *r, host_sync_fn fn, void *arg)
{
	r->host_sync = fn;
	r->host_sync_arg = arg;
}

void host_registry__on_change(struct host_registry *r, host_change_fn fn, void *arg)
{
	r->on_change = fn;
	r->on_change_arg = arg;
}

int host_registry__start(struct host_registry *r)
{
	int err;

	rescan(r);
	err = -pthread_create(&r->discovery, NULL, discovery_main, r);
	if (err)
		return err;
	r->discovery_up = true;
	return 0;
}

void host_registry__free(struct host_registry *r)
{
	struct host *h;

	if (!r)
		return;
	if (r->discovery_up) {
		if (write(r->wake[1], "x", 1) < 0)
			pr_warn("plugins: cannot wake the discovery thread");
		pthread_join(r->discovery, NULL);
	}
	for (h = r->hosts; h; h = h->next)
		watcher_stop(h);
	while ((h = r->hosts)) {
		r->hosts = h->next;
		host__put(h);
	}
	while (r->refused) {
		struct refused *rf = r->refused;

		r->refused = rf->next;
		free(rf);
	}
	if (r->inotify_fd >= 0)
		close(r->inotify_fd);
	if (r->wake[0] >= 0)
		close(r->wake[0]);
	if (r->wake[1] >= 0)
		close(r->wake[1]);
	pthread_condattr_destroy(&r->cond_attr);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

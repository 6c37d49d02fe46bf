/* SPDX-License-Identifier: MIT */
/*
 * The engine's verbs (engine.h): create and free the engine; load, remove
 * and move entries of a hook's chain; list and report them. Each verb holds
 * the engine's lock and ends by noting the background work it leaves.
 * Chain-map updates are ordered so that a packet always meets a complete
 * chain: a removed entry is bypassed before it goes; a move that changes
 * the order switches to a copy of the new order in one update (bpf/move.c).
 */
#include "background.h"
#include "chain.h"
#include "dirlock.h"
#include "entry_load.h"
#include "hooks.h"
#include "journal.h"
#include "move.h"
#include "prog_load.h"
#include "recover.h"
#include "report.h"
#include "state.h"
#include "stats.h"
#include "engine_tracing.h"
#include "swap.h"
#include "tp_open.h"

#include <plugfs/log.h>
#include <plugfs/opts.h>
#include <plugfs/strbuf.h>

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The options with their defaults applied; -EINVAL naming the bad one. */
static int engine_setup(struct engine *e, const struct engine_opts *o)
{
	const char *s;
	int err;

	plugfs_snprintf(e->bpffs_dir, sizeof(e->bpffs_dir), "%s",
			o->bpffs_dir ? o->bpffs_dir : ENGINE_BPFFS_DEFAULT);
	plugfs_snprintf(e->state_dir, sizeof(e->state_dir), "%s", o->state_dir ? o->state_dir : "");
	e->max_chain = o->max_chain ? o->max_chain : 10;
	if (e->max_chain > ENGINE_CHAIN_HARD_MAX)
		e->max_chain = ENGINE_CHAIN_HARD_MAX;
	e->max_object_size = o->max_object_size ? o->max_object_size : 1u << 20;
	s = o->xdp_mode ? o->xdp_mode : "native";
	plugfs_snprintf(e->xdp_mode, sizeof(e->xdp_mode), "%s", strcmp(s, "skb") ? "native" : "skb");
	s = o->xdp_proceed_on ? o->xdp_proceed_on : "pass, dispatcher_return";
	err = engine_parse_proceed_on(ENGINE_HOOK_XDP, s, &e->default_mask[ENGINE_HOOK_XDP]);
	s = o->tc_proceed_on ? o->tc_proceed_on : "ok, pipe, dispatcher_return";
	if (!err)
		err = engine_parse_proceed_on(ENGINE_HOOK_TC_INGRESS, s,
					      &e->default_mask[ENGINE_HOOK_TC_INGRESS]);
	e->default_mask[ENGINE_HOOK_TC_EGRESS] = e->default_mask[ENGINE_HOOK_TC_INGRESS];
	if (err)
		pr_warn("bpf: bad default proceed_on in the configuration");
	e->bg_idle_us = 1e3 * (o->idle_ms ? o->idle_ms : 2);
	return err;
}

struct engine *engine__new(const struct engine_opts *opts)
{
	struct engine_opts o = { .sz = sizeof(o) };
	struct engine *e;
	int err;

	if (PLUGFS_OPTS_COPY(&o, opts)) {
		pr_warn("bpf: engine_opts of %zu bytes asks for options this build does not know",
			opts->sz);
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	pthread_mutex_init(&e->lock, NULL);
	e->journal_fd = -1;
	e->time_fd = -1;
	e->lock_fd[0] = e->lock_fd[1] = -1;
	/* in the daemon's network namespace, as if_nametoindex would be */
	e->ioctl_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* one verifier log for the loads (serialised by lock): a fresh MiB per
	 * load is an mmap and munmap on the path; pages are touched on demand */
	e->log_buf = malloc(LOAD_LOG_SIZE);
	err = engine_setup(e, &o);
	if (!err)
		err = dirlock_take(e);
	if (err) {
		engine__free(e);
		errno = -err;
		return NULL;
	}
	e->no_counts = o.no_counts;
	stats_timing_open(e);
	/* the bpffs dir is created by the first load: a daemon that loads
	 * nothing leaves nothing in bpffs */
	load_prepare_roots();
	recover_adopt(e);
	tracing_adopt(e);
	/* after the adoption: lost chains are reloaded on the cold path */
	background_start(e, !o.no_spares);
	/* the journal needs the thread that folds it */
	if (e->bg_running)
		journal_open(e);
	return e;
}

void engine__free(struct engine *e)
{
	struct eng_hook *h, *n;

	if (!e)
		return;
	background_stop(e);
	journal_fold(e);
	journal_close(e);
	/* with no chain left, nothing reads the run-time switch */
	stats_timing_close(e, !e->hooks);
	for (h = e->hooks; h; h = n) {
		n = h->next;
		hook_free(h);
	}
	tracing_free_all(e);
	tp_opener__free(e->tp_opener);
	pthread_mutex_destroy(&e->lock);
	if (e->ioctl_fd >= 0)
		close(e->ioctl_fd);
	free(e->log_buf);
	dirlock_release(e);
	free(e);
}

/* Ends a verb; the background work it asks for starts after a quiet time. */
static void verb_unlock(struct engine *e)
{
	bool wake = e->bg_wanted, fold = e->journal_dirty;

	e->bg_wanted = false;
	pthread_mutex_unlock(&e->lock);
	background_note(e, wake, fold);
}

static int check_args(const char *ifname, enum engine_hook hook, unsigned int prio)
{
	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE ||
	    (unsigned int)hook >= ENGINE_HOOK__COUNT)
		return -ENOENT;
	if (prio < ENGINE_PRIO_MIN || prio > ENGINE_PRIO_MAX) {
		pr_warn("%s/%s: priority %u is not in %d..%d", ifname, engine_hook_name(hook), prio,
			ENGINE_PRIO_MIN, ENGINE_PRIO_MAX);
		return -EINVAL;
	}
	return 0;
}

int engine__load(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio,
		 const void *obj, size_t obj_len, const struct engine_load_opts *opts)
{
	struct engine_load_opts o = { .sz = sizeof(o) };
	struct entry_load_req r = { .ifname = ifname, .kind = hook, .prio = prio, .obj = obj,
				    .obj_len = obj_len, .opts = &o };
	int err = check_args(ifname, hook, prio);

	if (err)
		return err;
	if (PLUGFS_OPTS_COPY(&o, opts)) {
		pr_warn("%s/%s/%u: engine_load_opts of %zu bytes asks for options this build does "
			"not know", ifname, engine_hook_name(hook), prio, opts->sz);
		return -EINVAL;
	}
	pthread_mutex_lock(&e->lock);
	err = recover_load(e, &r);
	verb_unlock(e);
	return err;
}

static int do_unload(struct engine *e, struct eng_hook *h, unsigned int pos)
{
	struct eng_entry *en = h->ent[pos];
	char pin[PATH_MAX], dir[PATH_MAX], sha[65];
	uint32_t maps[LOAD_MAX_MAPS];
	size_t n_maps;
	int err;

	err = chain_set(h, chain_pred_slot(h, pos), pos + 1 < h->n ? h->ent[pos + 1]->prog_fd : -1);
	if (err)
		return err;
	chain_set(h, en->slot, -1);
	if (!chain_entry_pin(e, h, en->prio, pin, sizeof(pin)))
		unlink(pin);
	if (en->swap && swap_idle_pin(e, h, en->prio, pin, sizeof(pin)) >= 0)
		unlink(pin);
	state_remove_entry(e, h, en->prio);
	memmove(&h->ent[pos], &h->ent[pos + 1], (h->n - pos - 1) * sizeof(h->ent[0]));
	h->n--;
	plugfs_snprintf(dir, sizeof(dir), "%s", en->map_pin_path);
	pr_info("%s/%s/%u: unloaded program '%s' id %u", h->ifname, engine_hook_name(h->kind),
		en->prio, en->prog_name, en->prog_id);
	plugfs_snprintf(sha, sizeof(sha), "%s", en->sha256);
	n_maps = load_prog_map_ids(en->prog_fd, maps, LOAD_MAX_MAPS);
	if (en->swap)
		n_maps += load_prog_map_ids(en->swap->fd, maps + n_maps, LOAD_MAX_MAPS - n_maps);
	entry_free(en);
	load_release_maps(e, dir, maps, n_maps, NULL, 0);
	if (sha[0] && !object_used(e, sha, NULL))
		state_drop_object(e, sha);
	if (!h->n) {
		hook_unlink(e, h);
		state_save_hook(e, chain_hook_destroy(e, h));
		hook_free(h);
	}
	return 0;
}

static int find_entry(struct engine *e, const char *ifname, enum engine_hook hook,
		      unsigned int prio, struct eng_hook **hp, int *pos)
{
	struct eng_hook *h = hook_find(e, ifname, hook);
	int err = recover_revalidate(e, &h, ifname, hook, NULL);

	if (err)
		return err;
	*pos = entry_pos(h, prio);
	*hp = h;
	return *pos < 0 ? -ENOENT : 0;
}

int engine__unload(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio)
{
	struct eng_hook *h;
	int err, pos;

	err = check_args(ifname, hook, prio);
	if (err)
		return err;
	pthread_mutex_lock(&e->lock);
	err = find_entry(e, ifname, hook, prio, &h, &pos);
	if (!err)
		err = do_unload(e, h, (unsigned int)pos);
	verb_unlock(e);
	return err;
}

int engine__move(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int from,
		 unsigned int to)
{
	char a[PATH_MAX], b[PATH_MAX];
	struct eng_entry *en;
	struct eng_hook *h;
	unsigned int np;
	int err, pos;

	err = check_args(ifname, hook, from);
	if (!err)
		err = check_args(ifname, hook, to);
	if (err)
		return err;
	pthread_mutex_lock(&e->lock);
	err = find_entry(e, ifname, hook, from, &h, &pos);
	if (err || from == to)
		goto out;
	if (entry_pos(h, to) >= 0) {
		err = -EEXIST;
		goto out;
	}
	en = h->ent[pos];
	np = insert_pos(h, to);
	if (np == (unsigned int)pos || np == (unsigned int)pos + 1) {
		/* same neighbours: only the name changes, the chain stays as it is */
		en->prio = to;
		np = (unsigned int)pos;
		goto renamed;
	}
	if (e->state_dir[0]) {
		err = move_reorder(e, h, (unsigned int)pos, to);
		goto out;
	}
	/* no stored objects to load copies from: bypass it, then link it to
	 * its new successor, then make it reachable (packets may miss it) */
	pr_warn("%s/%s/%u: no state directory: the move is not atomic for packets", ifname,
		engine_hook_name(hook), from);
	err = chain_set(h, chain_pred_slot(h, (unsigned int)pos),
			(unsigned int)pos + 1 < h->n ? h->ent[pos + 1]->prog_fd : -1);
	if (err)
		goto out;
	memmove(&h->ent[pos], &h->ent[pos + 1], (h->n - (unsigned int)pos - 1) * sizeof(h->ent[0]));
	h->n--;
	np = insert_pos(h, to);
	err = chain_set(h, en->slot, np < h->n ? h->ent[np]->prog_fd : -1);
	if (!err)
		err = chain_set(h, chain_pred_slot(h, np), en->prog_fd);
	memmove(&h->ent[np + 1], &h->ent[np], (h->n - np) * sizeof(h->ent[0]));
	h->ent[np] = en;
	h->n++;
	en->prio = to;
renamed:
	if (!chain_entry_pin(e, h, from, a, sizeof(a)) && !chain_entry_pin(e, h, to, b, sizeof(b)) &&
	    rename(a, b))
		pr_warn("%s/%s: cannot rename pin %s: %s", ifname, engine_hook_name(hook), a,
			strerror(errno));
	if (en->swap && swap_idle_pin(e, h, from, a, sizeof(a)) >= 0 &&
	    swap_idle_pin(e, h, to, b, sizeof(b)) >= 0 && rename(a, b))
		pr_warn("%s/%s: cannot rename pin %s: %s", ifname, engine_hook_name(hook), a,
			strerror(errno));
	state_rename_entry(e, h, from, to);
	pr_info("%s/%s: moved program id %u from priority %u to %u (position %u)", ifname,
		engine_hook_name(hook), en->prog_id, from, to, np);
out:
	verb_unlock(e);
	return err;
}

int engine__may_create(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio)
{
	struct eng_hook *h;
	int err = check_args(ifname, hook, prio);

	if (err)
		return err;
	pthread_mutex_lock(&e->lock);
	h = hook_find(e, ifname, hook);
	err = recover_revalidate(e, &h, ifname, hook, NULL);
	if (!err && h && entry_pos(h, prio) < 0 && h->n >= e->max_chain) {
		pr_warn("%s/%s/%u: the chain is full (%u programs, limit %u)", ifname,
			engine_hook_name(hook), prio, h->n, e->max_chain);
		err = -ENOSPC;
	}
	verb_unlock(e);
	return err;
}

int engine__list(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int *prios,
		 size_t max)
{
	struct eng_hook *h;
	unsigned int i;
	int err;

	if (!ifname || (unsigned int)hook >= ENGINE_HOOK__COUNT)
		return -ENOENT;
	pthread_mutex_lock(&e->lock);
	h = hook_find(e, ifname, hook);
	err = recover_revalidate(e, &h, ifname, hook, NULL);
	if (!err) {
		for (i = 0; h && i < h->n && i < max; i++)
			prios[i] = h->ent[i]->prio;
		err = h ? (int)(h->n < max ? h->n : max) : 0;
	}
	verb_unlock(e);
	return err;
}

uint32_t engine__prog_id(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio)
{
	struct eng_hook *h;
	uint32_t id = 0;
	int pos;

	pthread_mutex_lock(&e->lock);
	h = hook_find(e, ifname, hook);
	pos = entry_pos(h, prio);
	if (pos >= 0)
		id = h->ent[pos]->prog_id;
	verb_unlock(e);
	return id;
}

static uint32_t fd_prog_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/* Under e->lock: is prog_id one of a tracing/ entry's programs? */
static int find_trace(struct engine *e, uint32_t prog_id, struct engine_where *w)
{
	const struct eng_trace *t;
	size_t i;

	for (t = e->traces; t; t = t->next)
		for (i = 0; i < t->n_progs; i++)
			if (t->progs[i].prog_id == prog_id) {
				w->role = ENGINE_PROG_TRACE;
				plugfs_snprintf(w->prog_name, sizeof(w->prog_name), "%s", t->name);
				plugfs_snprintf(w->object_path, sizeof(w->object_path), "%s",
						t->object_path);
				return 0;
			}
	return -ENOENT;
}

/* Under e->lock: is prog_id the root of a hook, or of a spare? */
static int find_root(struct engine *e, uint32_t prog_id, struct engine_where *w)
{
	struct eng_hook *h;
	int k, err = -ENOENT;

	for (h = e->hooks; h; h = h->next)
		if (fd_prog_id(h->root_fd) == prog_id) {
			plugfs_snprintf(w->ifname, sizeof(w->ifname), "%s", h->ifname);
			w->hook = h->kind;
			w->role = ENGINE_PROG_ROOT;
			return 0;
		}
	pthread_mutex_lock(&e->bg_lock);
	for (k = 0; k < SPARE_KINDS && err; k++)
		if (fd_prog_id(e->spare[k].root_fd) == prog_id) {
			w->role = ENGINE_PROG_SPARE;
			err = 0;
		}
	pthread_mutex_unlock(&e->bg_lock);
	return err;
}

int engine__find_prog(struct engine *e, uint32_t prog_id, struct engine_where *w)
{
	struct eng_hook *h;
	unsigned int i;
	int err = -ENOENT;

	memset(w, 0, sizeof(*w));
	pthread_mutex_lock(&e->lock);
	for (h = e->hooks; h && err; h = h->next)
		for (i = 0; i < h->n && err; i++)
			if (h->ent[i]->prog_id == prog_id ||
			    (h->ent[i]->swap && h->ent[i]->swap->id == prog_id)) {
				plugfs_snprintf(w->ifname, sizeof(w->ifname), "%s", h->ifname);
				w->hook = h->kind;
				w->prio = h->ent[i]->prio;
				w->role = ENGINE_PROG_ENTRY;
				plugfs_snprintf(w->prog_name, sizeof(w->prog_name), "%s",
						h->ent[i]->prog_name);
				plugfs_snprintf(w->object_path, sizeof(w->object_path), "%s",
						h->ent[i]->object_path);
				err = 0;
			}
	if (err)
		err = find_trace(e, prog_id, w);
	if (err)
		err = find_root(e, prog_id, w);
	verb_unlock(e);
	return err;
}

static int report(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio,
		  bool json, char **buf, size_t *len)
{
	struct eng_hook *h;
	int err, pos;

	err = check_args(ifname, hook, prio);
	if (err)
		return err;
	pthread_mutex_lock(&e->lock);
	stats_timing_sync(e);
	err = find_entry(e, ifname, hook, prio, &h, &pos);
	if (!err)
		err = report_entry(e, h, (unsigned int)pos, json, buf, len);
	verb_unlock(e);
	return err;
}

int engine__report(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio,
		   char **buf, size_t *len)
{
	return report(e, ifname, hook, prio, false, buf, len);
}

int engine__report_json(struct engine *e, const char *ifname, enum engine_hook hook,
			unsigned int prio, char **buf, size_t *len)
{
	return report(e, ifname, hook, prio, true, buf, len);
}

/* The programs of one hook to cb, under lock. */
static int hook_stats(struct eng_hook *h, engine_stats_cb cb, void *arg)
{
	struct engine_prog_stats s;
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < h->n; i++) {
		stats_read(h, i, &s);
		err = cb(&s, arg);
	}
	return err;
}

int engine__hook_stats(struct engine *e, const char *ifname, enum engine_hook hook,
		       engine_stats_cb cb, void *arg)
{
	struct eng_hook *h;
	int err;

	if (!ifname || !*ifname || (unsigned int)hook >= ENGINE_HOOK__COUNT)
		return -ENOENT;
	pthread_mutex_lock(&e->lock);
	stats_timing_sync(e);
	h = hook_find(e, ifname, hook);
	err = recover_revalidate(e, &h, ifname, hook, NULL);
	if (!err)
		err = h ? hook_stats(h, cb, arg) : -ENOENT;
	verb_unlock(e);
	return err;
}

int engine__stats(struct engine *e, engine_stats_cb cb, void *arg)
{
	struct eng_hook *h;
	int err = 0;

	pthread_mutex_lock(&e->lock);
	stats_timing_sync(e);
	for (h = e->hooks; !err && h; h = h->next)
		err = hook_stats(h, cb, arg);
	verb_unlock(e);
	return err;
}

bool engine__timing(struct engine *e)
{
	bool on;

	pthread_mutex_lock(&e->lock);
	stats_timing_sync(e);
	on = e->timing_on == 1;
	pthread_mutex_unlock(&e->lock);
	return on;
}

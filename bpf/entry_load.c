/* SPDX-License-Identifier: MIT */
/*
 * Loading one entry into a hook's chain, in named steps: check the request,
 * find the maps it shares, get the hook (an existing one, a spare, or a
 * fresh chain map), load the program, then commit it as the hook's first
 * entry, as the replacement of the entry at its priority, or as a new entry
 * between its neighbours; then record it in the state dir.
 *
 * The chain-map updates are ordered so that a packet always meets a
 * complete chain: a new program is linked to its successor before its
 * predecessor points at it, a replacement is one update of its
 * predecessor's slot, and a first entry fills slot 0 before the root is
 * attached (with a spare: a pointer swap, its root being indirect). See
 * docs/kernel-engine.md.
 */
#include "entry_load.h"
#include "chain.h"
#include "hooks.h"
#include "prog_load.h"
#include "spare.h"
#include "state.h"
#include "stats.h"
#include "swap.h"

#include <plugfs/clock.h>
#include <plugfs/log.h>
#include <plugfs/sha256.h>
#include <plugfs/strbuf.h>

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The load in progress: what each step found. */
struct load_job {
	struct engine *e;
	const struct entry_load_req *r;
	const struct engine_load_opts *o;
	char what[IF_NAMESIZE + 32];	/* "eth0/xdp/10" for messages */
	struct eng_hook *h;
	bool new_hook;			/* h is ours until the commit */
	bool spare;			/* h came from a spare */
	struct eng_entry *old;		/* the entry replaced; NULL: a new one */
	int pos;			/* old's position */
	bool replaced;
	char old_sha[65];
	char old_map_dir[PATH_MAX];	/* the replaced program's maps ... */
	uint32_t old_maps[LOAD_MAX_MAPS];	/* ... and those of them it used */
	size_t n_old_maps;
	uint32_t mask;
	const char *mode;
	char map_dir[PATH_MAX];		/* shared or kept maps; "": its own */
	struct load_req rq;
	struct load_res res;
	bool fresh_maps;		/* res.map_dir was made by this load */
	struct eng_entry *en;
	char pin[PATH_MAX];
	double t[4];
	char swap_names[SWAP_MAX_MAPS][16];	/* swap = (bpf/swap.c) */
	size_t n_swap;
	unsigned int swap_live;		/* the instance the live copy uses */
	struct eng_swap *swap;		/* the idle copy, until the entry has it */
};

/* Options and limits: nothing is touched yet. */
static int check_request(struct load_job *j)
{
	struct engine *e = j->e;
	const struct engine_load_opts *o = j->o;
	enum engine_hook kind = j->r->kind;
	struct eng_hook *h = j->h;
	int err;

	if (o->proceed_on) {
		err = engine_parse_proceed_on(kind, o->proceed_on, &j->mask);
		if (err) {
			pr_warn("%s: bad proceed_on '%s'", j->what, o->proceed_on);
			return err;
		}
	} else {
		j->mask = e->default_mask[kind];
	}
	j->mode = o->mode ? o->mode : (h ? h->mode : e->xdp_mode);
	if (kind != ENGINE_HOOK_XDP && o->mode) {
		pr_warn("%s: mode applies to xdp only", j->what);
		return -EINVAL;
	}
	if (strcmp(j->mode, "native") && strcmp(j->mode, "skb")) {
		pr_warn("%s: mode '%s' is not native or skb", j->what, j->mode);
		return -EINVAL;
	}
	if (h && kind == ENGINE_HOOK_XDP && strcmp(j->mode, h->mode)) {
		pr_warn("%s: the chain is attached in %s mode; mode %s needs an empty chain", j->what,
			h->mode, j->mode);
		return -EINVAL;
	}
	j->pos = entry_pos(h, j->r->prio);
	j->old = j->pos >= 0 ? h->ent[j->pos] : NULL;
	if (!j->old && h && h->n >= e->max_chain) {
		pr_warn("%s: the chain is full (%u programs, limit %u)", j->what, h->n, e->max_chain);
		return -ENOSPC;
	}
	if (o->swap && (o->map_owner_id || (j->old && j->old->map_owner_id))) {
		pr_warn("%s: swap maps are the entry's own: swap and map_owner together", j->what);
		return -EINVAL;
	}
	if (o->swap) {
		err = engine_parse_swap_maps(o->swap, j->swap_names, SWAP_MAX_MAPS);
		if (err < 0) {
			pr_warn("%s: bad swap '%s' (at most %d map names, separated by commas)",
				j->what, o->swap, SWAP_MAX_MAPS);
			return err;
		}
		j->n_swap = (size_t)err;
	}
	/* a replace or a restore keeps the instance of the swap maps that is live */
	if (j->r->restore_map_dir)
		j->swap_live = j->r->restore_swap_live & 1;
	else if (j->old && j->old->swap)
		j->swap_live = j->old->swap->live;
	if (j->r->obj_len > e->max_object_size) {
		pr_warn("%s: object of %zu bytes is over the limit of %zu", j->what, j->r->obj_len,
			e->max_object_size);
		return -EFBIG;
	}
	return 0;
}

/* The maps the program uses: restored, its owner's, or those of the entry it replaces. */
static int resolve_map_dir(struct load_job *j)
{
	const struct engine_load_opts *o = j->o;
	const char *own;

	j->map_dir[0] = '\0';
	if (j->r->restore_map_dir && *j->r->restore_map_dir) {
		plugfs_snprintf(j->map_dir, sizeof(j->map_dir), "%s", j->r->restore_map_dir);
	} else if (o->map_owner_id) {
		if (owner_map_dir(j->e, o->map_owner_id, &own)) {
			pr_warn("%s: map_owner: no program with id %u is loaded by plugfs", j->what,
				o->map_owner_id);
			return -ENOENT;
		}
		if (map_dir_swapped(j->e, own)) {
			/* a sharer would count into the instance a read takes as quiescent */
			pr_warn("%s: map_owner: program %u has swap maps (swap =): its maps are not "
				"shared", j->what, o->map_owner_id);
			return -EINVAL;
		}
		if (!own[0]) {
			pr_warn("%s: map_owner: program %u has no maps to share", j->what,
				o->map_owner_id);
			return -EINVAL;
		}
		plugfs_snprintf(j->map_dir, sizeof(j->map_dir), "%s", own);
	} else if (j->old && j->old->map_pin_path[0]) {
		/* a replacement keeps the maps (state) of the program it replaces */
		plugfs_snprintf(j->map_dir, sizeof(j->map_dir), "%s", j->old->map_pin_path);
	}
	return 0;
}

/* The hook, or a new one: a spare's chain map and root if one is ready. */
static int get_hook(struct load_job *j)
{
	struct engine *e = j->e;
	struct eng_spare s;
	struct eng_hook *h;
	int err;

	if (j->h)
		return 0;
	/* a foreign XDP program is found by the attach (which refuses to
	 * replace it): asking first costs a netlink round trip per load */
	h = hook_new(e, j->r->ifname, j->r->kind);
	if (!h)
		return -ENOMEM;
	h->ifindex = j->r->ifindex;
	plugfs_snprintf(h->mode, sizeof(h->mode), "%s", j->mode);
	j->spare = spare_take(e, j->r->kind, &s);
	if (j->spare) {
		h->map_fd = s.map_fd;
		h->counts_fd = s.counts_fd;
		h->root_fd = s.root_fd;
		h->stub_fd = s.stub_fd;
		plugfs_snprintf(h->spare_dir, sizeof(h->spare_dir), "%s", s.dir);
	}
	err = j->spare ? 0 : chain_hook_create(e, h);
	if (err) {
		free(h);
		return err;
	}
	h->root_indirect = j->spare;
	e->bg_wanted |= j->spare;
	j->h = h;
	j->new_hook = true;
	return 0;
}

/* The program, rewritten to link to its slot: with the spare's chain map,
 * or a fresh one if the kernel refuses that pair. */
static int load_program(struct load_job *j)
{
	const struct engine_load_opts *o = j->o;
	struct load_req *rq = &j->rq;
	struct eng_hook *h = j->h;
	int err;

	rq->obj = j->r->obj;
	rq->obj_len = j->r->obj_len;
	rq->hook = j->r->kind;
	rq->what = j->what;
	rq->object_path = o->object_path;
	rq->prog_name = o->prog_name;
	rq->globals = o->globals;
	rq->n_globals = o->n_globals;
	rq->chain_map_fd = h->map_fd;
	rq->slot = j->old ? j->old->slot : alloc_slot(h);
	rq->mask = j->mask;
	/* a replacement counts from 0 on a counter of its own (a new program) */
	rq->counter = stats_take_index(h);
	rq->counts_map_fd = h->counts_fd;
	rq->time_map_fd = j->e->time_fd;
	rq->map_dir = j->map_dir[0] ? j->map_dir : NULL;
	rq->bpffs_dir = j->e->bpffs_dir;
	rq->spare = j->spare;
	rq->log_buf = j->e->log_buf;
	rq->swap_names = (const char (*)[16])j->swap_names;
	rq->n_swap = j->n_swap;
	rq->swap_instance = j->swap_live;
	j->t[0] = plugfs_now_us();
	err = load_user_prog(rq, &j->res);
	if (err && j->res.spare_refused) {
		pr_info("%s: the spare chain map does not fit the program (JIT switched?): "
			"loading without it", j->what);
		j->spare = false;
		err = chain_hook_unspare(j->e, h);
		rq->chain_map_fd = h->map_fd;
		rq->spare = false;
		if (!err)
			err = load_user_prog(rq, &j->res);
	}
	if (!err)
		j->fresh_maps = !rq->map_dir && j->res.map_dir[0];
	if (!err && j->n_swap)
		err = swap_load_idle(rq, &j->res, j->swap_live, o->swap_empty, &j->swap);
	j->t[1] = plugfs_now_us();
	return err;
}

static int make_entry(struct load_job *j)
{
	const struct engine_load_opts *o = j->o;
	struct eng_entry *en = calloc(1, sizeof(*en));

	if (!en)
		return -ENOMEM;
	en->prio = j->r->prio;
	en->slot = j->rq.slot;
	en->cidx = j->rq.counter;
	en->timed = j->res.timed;
	en->prog_fd = j->res.prog_fd;
	j->res.prog_fd = -1;
	en->prog_id = j->res.prog_id;
	en->proceed_mask = j->mask;
	plugfs_snprintf(en->prog_name, sizeof(en->prog_name), "%s", j->res.prog_name);
	plugfs_snprintf(en->object_path, sizeof(en->object_path), "%s",
			o->object_path ? o->object_path : "-");
	plugfs_sha256_hex(j->r->obj, j->r->obj_len, en->sha256);
	if (o->image_url) {
		plugfs_snprintf(en->image_url, sizeof(en->image_url), "%s", o->image_url);
		plugfs_snprintf(en->image_digest, sizeof(en->image_digest), "%s",
				o->image_digest ? o->image_digest : "");
		plugfs_snprintf(en->pull_policy, sizeof(en->pull_policy), "%s",
				o->pull_policy ? o->pull_policy : "");
	}
	en->obj_size = j->r->obj_len;
	en->globals = globals_dup(o->globals, o->n_globals);
	en->n_globals = en->globals ? o->n_globals : 0;
	en->metadata = kv_lines(o->metadata, o->n_metadata);
	plugfs_snprintf(en->map_pin_path, sizeof(en->map_pin_path), "%s", j->res.map_dir);
	if (o->map_owner_id)
		en->map_owner_id = o->map_owner_id;
	else if (j->old && !j->r->restore_map_dir)
		en->map_owner_id = j->old->map_owner_id;
	plugfs_snprintf(en->mode, sizeof(en->mode), "%s",
			j->r->kind == ENGINE_HOOK_XDP ? j->mode : "");
	en->swap = j->swap;
	j->swap = NULL;
	j->en = en;
	return 0;
}

/* A new hook: slot 0, then the root attached, then the pin. */
static int commit_first(struct load_job *j)
{
	struct eng_hook *h = j->h;
	int err;

	/* before the root is attached: with a spare, this swaps its
	 * stub for the program (a pointer swap: its root is indirect) */
	err = chain_set(h, 0, j->en->prog_fd);
	if (!err)
		err = chain_hook_attach(j->e, h);
	if (!err && bpf_obj_pin(j->en->prog_fd, j->pin))
		err = -errno;
	if (err)
		return err;
	h->ent[0] = j->en;
	h->n = 1;
	h->next = j->e->hooks;
	j->e->hooks = h;
	return 0;
}

/* The switch: one update of the predecessor's slot. */
static int commit_replace(struct load_job *j)
{
	struct eng_entry *en = j->en, *old = j->old;
	char tmp[PATH_MAX + 8];
	int err;

	plugfs_snprintf(tmp, sizeof(tmp), "%s_new", j->pin);
	unlink(tmp);
	if (bpf_obj_pin(en->prog_fd, tmp)) {
		err = -errno;
		pr_warn("%s: cannot pin %s: %s", j->what, tmp, strerror(-err));
		return err;
	}
	err = chain_set(j->h, chain_pred_slot(j->h, (unsigned int)j->pos), en->prog_fd);
	if (err) {
		unlink(tmp);
		return err;
	}
	if (rename(tmp, j->pin))
		pr_warn("%s: cannot rename pin %s: %s", j->what, tmp, strerror(errno));
	j->h->ent[j->pos] = en;
	plugfs_snprintf(j->old_sha, sizeof(j->old_sha), "%s", old->sha256);
	plugfs_snprintf(j->old_map_dir, sizeof(j->old_map_dir), "%s", old->map_pin_path);
	j->n_old_maps = load_prog_map_ids(old->prog_fd, j->old_maps, LOAD_MAX_MAPS);
	if (old->swap)		/* its idle copy's instance goes too, unless kept */
		j->n_old_maps += load_prog_map_ids(old->swap->fd, j->old_maps + j->n_old_maps,
						   LOAD_MAX_MAPS - j->n_old_maps);
	if (!old->map_owner_id && en->map_pin_path[0])
		state_follow_owner(j->e, old->prog_id, en->prog_id);
	entry_free(old);
	j->old = NULL;
	j->replaced = true;
	return 0;
}

/* Linked to its successor first, then made reachable from its predecessor. */
static int commit_insert(struct load_job *j)
{
	struct eng_entry *en = j->en;
	struct eng_hook *h = j->h;
	unsigned int ip = insert_pos(h, j->r->prio);
	int err;

	if (bpf_obj_pin(en->prog_fd, j->pin)) {
		err = -errno;
		pr_warn("%s: cannot pin %s: %s", j->what, j->pin, strerror(-err));
		return err;
	}
	err = chain_set(h, en->slot, ip < h->n ? h->ent[ip]->prog_fd : -1);
	if (!err)
		err = chain_set(h, chain_pred_slot(h, ip), en->prog_fd);
	if (err) {
		chain_set(h, en->slot, -1);
		unlink(j->pin);
		return err;
	}
	memmove(&h->ent[ip + 1], &h->ent[ip], (h->n - ip) * sizeof(h->ent[0]));
	h->ent[ip] = en;
	h->n++;
	return 0;
}

static int commit(struct load_job *j)
{
	int err;

	j->t[2] = plugfs_now_us();
	if (j->new_hook)
		err = commit_first(j);
	else if (j->old)
		err = commit_replace(j);
	else
		err = commit_insert(j);
	if (!err)
		swap_pin_idle(j->e, j->h, j->en);
	j->t[3] = plugfs_now_us();
	return err;
}

/* The state dir learns the entry (and forgets an object no entry has now). */
static void record(struct load_job *j)
{
	struct eng_entry *en = j->en;

	state_save_entry(j->e, j->h, en, j->r->obj, j->r->obj_len);
	pr_debug("%s: load %.0f us, record %.0f us, chain+attach+pins %.0f us%s, state %.0f us",
		 j->what, j->t[1] - j->t[0], j->t[2] - j->t[1], j->t[3] - j->t[2],
		 !j->new_hook ? "" : j->spare ? " (spare root)" : " (root loaded)",
		 plugfs_now_us() - j->t[3]);
	if (j->old_sha[0] && !object_used(j->e, j->old_sha, NULL))
		state_drop_object(j->e, j->old_sha);
	/* maps the replaced program alone used go, unless the new object has them */
	load_release_maps(j->e, j->old_map_dir, j->old_maps, j->n_old_maps, j->res.map_ids,
			  j->res.n_map_ids);
	pr_info("%s: loaded program '%s' id %u (slot %u)%s", j->what, en->prog_name, en->prog_id,
		en->slot, j->replaced ? ", replacing the previous one" : "");
}

/* A failed load leaves nothing: no hook it made, no program, no fresh maps. */
static void undo(struct load_job *j)
{
	if (j->new_hook) {
		if (j->en)
			unlink(j->pin);
		state_save_hook(j->e, chain_hook_destroy(j->e, j->h));
		free(j->h);
	}
	if (j->res.prog_fd >= 0)
		close(j->res.prog_fd);
	if (j->swap) {
		close(j->swap->fd);
		free(j->swap);
	}
	if (j->fresh_maps)
		load_remove_map_dir(j->res.map_dir);
	entry_free(j->en);
}

int entry_load(struct engine *e, const struct entry_load_req *r)
{
	struct load_job j = { .e = e, .r = r, .o = r->opts, .h = r->hook, .pos = -1 };
	int err;

	j.res.prog_fd = -1;
	plugfs_snprintf(j.what, sizeof(j.what), "%s/%s/%u", r->ifname, engine_hook_name(r->kind),
			r->prio);
	err = check_request(&j);
	if (!err)
		err = resolve_map_dir(&j);
	if (!err)
		err = get_hook(&j);
	if (err)
		return err;
	err = load_program(&j);
	if (!err)
		err = make_entry(&j);
	if (!err)
		err = chain_entry_pin(e, j.h, r->prio, j.pin, sizeof(j.pin));
	if (!err)
		err = commit(&j);
	if (err) {
		undo(&j);
		return err;
	}
	record(&j);
	return 0;
}

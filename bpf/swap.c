// SPDX-License-Identifier: MIT
/*
 * Swap-state, as DeChainy's swapped metrics: an entry loaded with `swap`
 * has two copies of its program, the same code on the same chain slot (so
 * both lead to the same successor), sharing every map but the swap maps, of
 * which each copy has its own instance (pinned <name> and <name>:1). The
 * chain leads to one copy, the live one. A read of a swap map points the
 * slot that leads to the entry at the other copy (one update: a packet runs
 * one copy or the other, whole), waits for an RCU grace period, after which
 * no packet runs the old copy any more, and hands the instance the old copy
 * used to the caller, then empties it (swap_empty). Successive reads thus
 * give counts per interval that add up to every packet. The pins follow
 * the roles: prog_<prio> is the live copy, prog_<prio>_idle the other; the
 * live instance is kept in the entry's state file. docs/kernel-engine.md
 * says why the wait is enough.
 */
#include "swap.h"
#include "background.h"
#include "chain.h"
#include "hooks.h"
#include "state.h"

#include <plugfs/clock.h>
#include <plugfs/json.h>
#include <plugfs/log.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The map pinned at <dir>/<name>[:1]: its id, 0 if none. */
static uint32_t instance_id(const char *dir, const char *name, unsigned int inst)
{
	char path[PATH_MAX + 32];

	plugfs_snprintf(path, sizeof(path), "%s/%s%s", dir, name, inst ? ":1" : "");
	return load_pinned_map_id(path);
}

/* The swap state of a list, with the ids of both instances of each map. */
static int swap_state_new(const char *list, bool empty, unsigned int live, const char *dir,
			  struct eng_swap **out)
{
	struct eng_swap *s = calloc(1, sizeof(*s));
	int n;
	size_t k;

	if (!s)
		return -ENOMEM;
	s->fd = -1;
	n = engine_parse_swap_maps(list, s->name, SWAP_MAX_MAPS);
	if (n < 0) {
		free(s);
		return n;
	}
	s->n = (size_t)n;
	plugfs_snprintf(s->list, sizeof(s->list), "%s", s->name[0]);
	for (k = 1; k < s->n; k++)
		plugfs_snprintf(s->list + strlen(s->list), sizeof(s->list) - strlen(s->list),
				",%s", s->name[k]);
	s->empty = empty;
	s->live = live & 1;
	for (k = 0; k < s->n; k++) {
		s->map_id[k][0] = instance_id(dir, s->name[k], 0);
		s->map_id[k][1] = instance_id(dir, s->name[k], 1);
	}
	*out = s;
	return 0;
}

int swap_load_idle(const struct load_req *rq, struct load_res *res, unsigned int live, bool empty,
		   struct eng_swap **out)
{
	struct load_req r = *rq;
	struct load_res idle;
	char list[SWAP_MAX_MAPS * 17] = "";
	size_t k, i;
	int err;

	if (!res->map_dir[0]) {
		pr_warn("%s: swap: the program has no maps", rq->what);
		return -EINVAL;
	}
	/* the same program on the same slot, its maps shared but the swap maps */
	r.copy_of_fd = res->prog_fd;
	r.map_dir = res->map_dir;
	r.swap_instance = !live;
	r.spare = false;
	err = load_user_prog(&r, &idle);
	if (err)
		return err;
	for (k = 0; k < rq->n_swap; k++)
		plugfs_snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				k ? "," : "", rq->swap_names[k]);
	err = swap_state_new(list, empty, live, res->map_dir, out);
	if (err) {
		close(idle.prog_fd);
		return err;
	}
	(*out)->fd = idle.prog_fd;
	(*out)->id = idle.prog_id;
	/* the maps the entry keeps, when it replaces another: both copies' */
	for (i = 0; i < idle.n_map_ids && res->n_map_ids < LOAD_MAX_MAPS; i++)
		res->map_ids[res->n_map_ids++] = idle.map_ids[i];
	return 0;
}

int swap_idle_pin(const struct engine *e, const struct eng_hook *h, unsigned int prio, char *buf,
		  size_t size)
{
	int err = chain_hook_dir(e, h, buf, size);

	if (err < 0)
		return err;
	return plugfs_snprintf(buf + strlen(buf), size - strlen(buf), "/prog_%u_idle", prio);
}

void swap_pin_idle(struct engine *e, struct eng_hook *h, const struct eng_entry *en)
{
	char pin[PATH_MAX], tmp[PATH_MAX + 8];

	if (swap_idle_pin(e, h, en->prio, pin, sizeof(pin)) < 0)
		return;
	if (!en->swap) {
		unlink(pin);
		return;
	}
	/* over the copy of the entry this one replaces, if any */
	plugfs_snprintf(tmp, sizeof(tmp), "%s_new", pin);
	unlink(tmp);
	if (bpf_obj_pin(en->swap->fd, tmp) || rename(tmp, pin))
		pr_warn("%s/%s/%u: cannot pin the idle copy at %s: %s (a restart reloads the "
			"entry)", h->ifname, engine_hook_name(h->kind), en->prio, pin,
			strerror(errno));
}

bool swap_adopt(struct engine *e, struct eng_hook *h, struct eng_entry *en, const char *list,
		bool empty, uint32_t live, uint32_t idle_id, uint32_t pending, uint32_t saved_id)
{
	char pin[PATH_MAX];
	struct eng_swap *s;

	if (!list || !*list)
		return true;
	if (swap_idle_pin(e, h, en->prio, pin, sizeof(pin)) < 0 ||
	    swap_state_new(list, empty, live, en->map_pin_path, &s))
		return false;
	en->swap = s;
	s->fd = bpf_obj_get(pin);
	s->id = load_prog_id(s->fd);
	s->pending = pending;
	if (s->fd >= 0 && en->prog_id == idle_id && s->id == saved_id) {
		/* the pins were exchanged by a read whose state was not saved */
		pr_info("%s/%s/%u: swap: the copies were switched after the state was saved: "
			"following the pins", h->ifname, engine_hook_name(h->kind), en->prio);
		s->live ^= 1;
		s->pending = (1u << s->n) - 1;
		return true;
	}
	return s->fd >= 0 && s->id == idle_id && en->prog_id == saved_id;
}

void swap_report(struct strbuf *sb, const struct eng_entry *en)
{
	const struct eng_swap *s = en->swap;
	size_t k;

	if (!s)
		return;
	strbuf__puts(sb, "Swap Maps: ");
	for (k = 0; k < s->n; k++)
		strbuf__printf(sb, "%s%s (live id %u, idle id %u)", k ? ", " : "", s->name[k],
			       s->map_id[k][s->live], s->map_id[k][!s->live]);
	strbuf__printf(sb, "\nSwap Live Copy: %u (program id %u; idle copy id %u)\n", s->live,
		       en->prog_id, s->id);
	strbuf__printf(sb, "Swap Empty: %s\n", s->empty ? "true" : "false");
}

void swap_report_json(struct jsonw *w, const struct eng_entry *en)
{
	const struct eng_swap *s = en->swap;
	size_t k;

	if (!s) {
		jsonw__null(w, "swap");
		return;
	}
	jsonw__begin_object(w, "swap");
	jsonw__begin_array(w, "maps");
	for (k = 0; k < s->n; k++) {
		jsonw__begin_object(w, NULL);
		jsonw__string(w, "name", s->name[k]);
		jsonw__u64(w, "live_id", s->map_id[k][s->live]);
		jsonw__u64(w, "idle_id", s->map_id[k][!s->live]);
		jsonw__end(w);
	}
	jsonw__end(w);
	jsonw__u64(w, "live_copy", s->live);
	jsonw__u64(w, "idle_copy_id", s->id);
	jsonw__bool(w, "empty", s->empty);
	jsonw__end(w);
}

/* ---- the read ---- */

/* The switch: the slot that leads to the entry takes the idle copy; the
 * pins, the state and the sharers follow; then the grace period. */
static int swap_switch(struct engine *e, struct eng_hook *h, unsigned int pos, double *wait_us)
{
	struct eng_entry *en = h->ent[pos];
	struct eng_swap *s = en->swap;
	char a[PATH_MAX], b[PATH_MAX];
	uint32_t old_id = en->prog_id;
	int err, fd;

	err = chain_set(h, chain_pred_slot(h, pos), s->fd);
	if (err)
		return err;
	if (chain_entry_pin(e, h, en->prio, a, sizeof(a)) >= 0 &&
	    swap_idle_pin(e, h, en->prio, b, sizeof(b)) >= 0 &&
	    renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE))
		pr_warn("%s/%s/%u: swap: cannot exchange the pins %s and %s: %s", h->ifname,
			engine_hook_name(h->kind), en->prio, a, b, strerror(errno));
	fd = en->prog_fd;
	en->prog_fd = s->fd;
	en->prog_id = s->id;
	s->fd = fd;
	s->id = old_id;
	s->live ^= 1;
	s->pending = (1u << s->n) - 1;
	if (!en->map_owner_id && en->map_pin_path[0])
		state_follow_owner(e, old_id, en->prog_id);
	*wait_us = plugfs_now_us();
	err = chain_wait_packets();
	*wait_us = plugfs_now_us() - *wait_us;
	if (err) {
		/* no grace period to wait on: a packet stays in a chain for
		 * microseconds, this is ample */
		pr_warn("%s/%s/%u: swap: cannot wait for the packets in the old copy (%s): "
			"sleeping 100 ms", h->ifname, engine_hook_name(h->kind), en->prio,
			strerror(-err));
		usleep(100000);
	}
	return 0;
}

/* Every value of an array zeroed: in batches of up to 1024 (one syscall
 * each), one by one where the kernel has no batch update. */
static int zero_array(int fd, const struct bpf_map_info *mi, size_t vsize)
{
	__u32 chunk = mi->max_entries < 1024 ? mi->max_entries : 1024, i, n, count;
	__u32 *keys = calloc(chunk ? chunk : 1, sizeof(*keys));
	char *zero = calloc(chunk ? chunk : 1, vsize);
	bool batch = true;
	int err = keys && zero ? 0 : -ENOMEM;

	for (i = 0; !err && i < mi->max_entries; i += n) {
		n = mi->max_entries - i < chunk ? mi->max_entries - i : chunk;
		for (count = 0; count < n; count++)
			keys[count] = i + count;
		if (batch && !bpf_map_update_batch(fd, keys, zero, &count, NULL))
			continue;
		batch = false;
		for (count = 0; !err && count < n; count++)
			if (bpf_map_update_elem(fd, &keys[count], zero, BPF_ANY))
				err = -errno;
	}
	free(keys);
	free(zero);
	return err;
}

/* Every key of a hash deleted (gathered first: deleting while walking
 * restarts the walk). */
static int delete_keys(int fd, const struct bpf_map_info *mi)
{
	char *keys = malloc((size_t)mi->key_size * (mi->max_entries + 1));
	__u32 i, n = 0;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	while (n < mi->max_entries &&
	       !bpf_map_get_next_key(fd, n ? keys + (size_t)(n - 1) * mi->key_size : NULL,
				     keys + (size_t)n * mi->key_size))
		n++;
	for (i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, keys + (size_t)i * mi->key_size) && errno != ENOENT)
			err = -errno;
	free(keys);
	return err;
}

/* A quiescent instance emptied: arrays zeroed, hashes emptied. */
static int swap_clear(int fd, const char *what)
{
	struct bpf_map_info mi = { 0 };
	__u32 len = sizeof(mi);
	size_t vsize;
	int cpus = libbpf_num_possible_cpus();

	if (bpf_obj_get_info_by_fd(fd, &mi, &len))
		return -errno;
	if (cpus < 1)
		return cpus ? cpus : -EINVAL;
	vsize = mi.value_size;
	if (mi.type == BPF_MAP_TYPE_PERCPU_ARRAY || mi.type == BPF_MAP_TYPE_PERCPU_HASH ||
	    mi.type == BPF_MAP_TYPE_LRU_PERCPU_HASH)
		vsize = ((vsize + 7) & ~(size_t)7) * (size_t)cpus;
	switch (mi.type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return zero_array(fd, &mi, vsize);
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return delete_keys(fd, &mi);
	default:
		pr_warn("%s: swap_empty: a map of type %s is not emptied", what,
			libbpf_bpf_map_type_str((enum bpf_map_type)mi.type));
		return -EOPNOTSUPP;
	}
}

/* Map k of the entry at pos: switched to the other copy unless its
 * quiescent instance is unread since the last switch; consumed; emptied. */
static int swap_read_map(struct engine *e, struct eng_hook *h, unsigned int pos, size_t k,
			 engine_swap_consume_fn consume, void *ctx)
{
	struct eng_entry *en = h->ent[pos];
	struct eng_swap *s = en->swap;
	char what[IF_NAMESIZE + 64];
	double t0 = plugfs_now_us(), wait_us = 0;
	bool switched = false;
	int fd, err;

	plugfs_snprintf(what, sizeof(what), "%s/%s/%u: map %s", h->ifname,
			engine_hook_name(h->kind), en->prio, s->name[k]);
	if (!(s->pending & (1u << k))) {
		err = swap_switch(e, h, pos, &wait_us);
		if (err)
			return err;
		switched = true;
	}
	s->pending &= ~(1u << k);
	state_save_entry(e, h, en, NULL, 0);
	fd = bpf_map_get_fd_by_id(s->map_id[k][!s->live]);
	if (fd < 0) {
		err = -errno;
		pr_warn("%s: swap: instance %u (id %u) is gone: %s", what, !s->live,
			s->map_id[k][!s->live], strerror(-err));
		return err;
	}
	err = consume(fd, ctx);
	if (!err && s->empty)
		err = swap_clear(fd, what);
	close(fd);
	pr_debug("%s: swap read of instance %u%s in %.0f us (grace period %.0f us)", what,
		 !s->live, switched ? " after a switch" : "", plugfs_now_us() - t0, wait_us);
	return err;
}

/* Ends the verb as every verb does (bpf/engine.c): the journal folded later. */
static void swap_unlock(struct engine *e)
{
	bool fold = e->journal_dirty;

	pthread_mutex_unlock(&e->lock);
	background_note(e, false, fold);
}

int engine__swap_read(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio,
		      const char *map, engine_swap_consume_fn consume, void *ctx)
{
	struct eng_hook *h;
	struct eng_swap *s;
	size_t k;
	int pos, err = -ENOENT;

	if (!ifname || !map || !consume || (unsigned int)hook >= ENGINE_HOOK__COUNT)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	h = hook_find(e, ifname, hook);
	pos = entry_pos(h, prio);
	s = pos >= 0 ? h->ent[pos]->swap : NULL;
	for (k = 0; s && k < s->n && strcmp(s->name[k], map); k++)
		;
	if (pos >= 0 && (!s || k == s->n)) {
		pr_warn("%s/%s/%u: %s is not one of its swap maps (swap = %s)", ifname,
			engine_hook_name(hook), prio, map, s ? s->list : "none");
		err = -EINVAL;
	} else if (pos >= 0) {
		err = swap_read_map(e, h, (unsigned int)pos, k, consume, ctx);
	}
	swap_unlock(e);
	return err;
}

/* The entry and map index of a swap map instance; false: none has it. */
static bool find_map(struct engine *e, uint32_t map_id, struct eng_hook **hp, unsigned int *pos,
		     size_t *k)
{
	struct eng_hook *h;
	struct eng_swap *s;
	unsigned int i;
	size_t j;

	for (h = e->hooks; h; h = h->next)
		for (i = 0; i < h->n; i++)
			for (s = h->ent[i]->swap, j = 0; s && j < s->n; j++)
				if (s->map_id[j][0] == map_id || s->map_id[j][1] == map_id) {
					*hp = h;
					*pos = i;
					*k = j;
					return true;
				}
	return false;
}

int engine__swap_read_id(struct engine *e, uint32_t map_id, engine_swap_consume_fn consume,
			 void *ctx)
{
	struct eng_hook *h = NULL;
	unsigned int pos = 0;
	size_t k = 0;
	int err = -ENOENT;

	if (!map_id || !consume)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	if (find_map(e, map_id, &h, &pos, &k))
		err = swap_read_map(e, h, pos, k, consume, ctx);
	swap_unlock(e);
	return err;
}

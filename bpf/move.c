// SPDX-License-Identifier: MIT
/*
 * A move that changes the order of a chain, atomic for packets. Each
 * program tail-calls its own slot, a number fixed in its instructions at
 * load, so the new order cannot be made by re-pointing the old slots one by
 * one (a packet between two updates would miss the moved program or run it
 * twice). It is built beside the old one: every program from the first
 * position where the two orders differ to the last (the moved one and those
 * it passes) is loaded again as a copy on a free slot, sharing the
 * original's maps and globals; the copies are linked in the new order to
 * the unchanged rest of the chain; one update of the slot before the first
 * difference switches packets from the old order to the new. Once every
 * packet that was in the old part has left it (an RCU grace period), the
 * old slots are emptied and the originals freed. docs/kernel-engine.md
 * gives the cost.
 */
#include "move.h"
#include "chain.h"
#include "hooks.h"
#include "journal.h"
#include "prog_load.h"
#include "state.h"

#include <plugfs/clock.h>
#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The copy of the program at one position of the new order. */
struct move_copy {
	int fd;
	uint32_t id;
	unsigned int slot;
	char pin[PATH_MAX];		/* prog_<prio>, its new pin */
};

struct move_job {
	struct engine *e;
	struct eng_hook *h;
	struct eng_entry *moved;
	unsigned int from, to;		/* the moved entry's priorities */
	unsigned int lo, hi;		/* the positions that differ, in both orders */
	struct eng_entry *order[ENGINE_CHAIN_HARD_MAX];	/* the new order */
	struct move_copy c[ENGINE_CHAIN_HARD_MAX];	/* c[i]: order[lo + i] */
	unsigned int nc;
	char what[IF_NAMESIZE + 32];
	double t_load, t_wait;		/* us: copies loaded and linked; grace period */
};

/* The new order, and the positions where it differs from the old one. */
static void plan(struct move_job *j, unsigned int pos)
{
	struct eng_hook *h = j->h;
	unsigned int i, n = 0, np;

	for (i = 0; i < h->n; i++)
		if (i != pos)
			j->order[n++] = h->ent[i];
	for (np = 0; np < n && j->order[np]->prio < j->to; np++)
		;
	memmove(&j->order[np + 1], &j->order[np], (n - np) * sizeof(j->order[0]));
	j->order[np] = j->moved;
	j->lo = pos < np ? pos : np;
	j->hi = pos < np ? np : pos;
	j->nc = j->hi - j->lo + 1;
}

/* Free slots for the copies: in the chain map, used by no entry. */
static int pick_slots(struct move_job *j)
{
	struct bpf_map_info mi = { 0 };
	__u32 len = sizeof(mi);
	unsigned int s, i, k = 0;

	for (i = 0; i < j->nc; i++) {
		/* its idle copy tail-calls the slot a move empties */
		if (!j->order[j->lo + i]->swap)
			continue;
		pr_warn("%s: the program at priority %u has swap maps (swap =): a move that "
			"changes the order around it is not supported; remove it and load it again",
			j->what, j->order[j->lo + i]->prio);
		return -EOPNOTSUPP;
	}
	if (bpf_obj_get_info_by_fd(j->h->map_fd, &mi, &len))
		return -errno;
	for (s = 1; s < mi.max_entries && k < j->nc; s++) {
		for (i = 0; i < j->h->n && j->h->ent[i]->slot != s; i++)
			;
		if (i == j->h->n)
			j->c[k++].slot = s;
	}
	if (k < j->nc) {
		pr_warn("%s: the chain map has %u slots, the move needs %u free beside the %u "
			"programs (a chain map made by an older plugfs: empty the hook to renew it)",
			j->what, mi.max_entries, j->nc, j->h->n);
		return -ENOSPC;
	}
	return 0;
}

/* Loads one copy: the stored object, the entry's options, a free slot. */
static int load_copy(struct move_job *j, const struct eng_entry *en, struct move_copy *c)
{
	struct load_req rq = { .hook = j->h->kind, .what = j->what, .prog_name = en->prog_name,
			       .object_path = en->object_path,
			       .globals = en->globals, .n_globals = en->n_globals,
			       .chain_map_fd = j->h->map_fd, .slot = c->slot,
			       .mask = en->proceed_mask, .bpffs_dir = j->e->bpffs_dir,
			       .log_buf = j->e->log_buf, .copy_of_fd = en->prog_fd,
			       /* the copy counts on where the original counted */
			       .counter = en->cidx, .counts_map_fd = j->h->counts_fd,
			       .time_map_fd = en->timed ? j->e->time_fd : -1 };
	struct load_res res;
	void *obj = NULL;
	size_t len = 0;
	int err;

	err = state_read_object(j->e, en->sha256, j->what, &obj, &len);
	if (err)
		return err;
	rq.obj = obj;
	rq.obj_len = len;
	rq.map_dir = en->map_pin_path[0] ? en->map_pin_path : NULL;
	err = load_user_prog(&rq, &res);
	free(obj);
	if (err)
		return err;
	c->fd = res.prog_fd;
	c->id = res.prog_id;
	err = chain_entry_pin(j->e, j->h, en == j->moved ? j->to : en->prio, c->pin,
			      sizeof(c->pin));
	return err;
}

/* Closes the copies, empties their slots, removes their pins. */
static void drop_copies(struct move_job *j)
{
	char tmp[PATH_MAX + 8];
	unsigned int i;

	for (i = 0; i < j->nc; i++) {
		if (j->c[i].fd < 0)
			continue;
		chain_set(j->h, j->c[i].slot, -1);
		plugfs_snprintf(tmp, sizeof(tmp), "%s_new", j->c[i].pin);
		unlink(tmp);
		fd_close(&j->c[i].fd);
	}
}

/* The copies, pinned as prog_<prio>_new and linked in the new order to the
 * rest of the chain; nothing reaches them yet. */
static int build(struct move_job *j)
{
	char tmp[PATH_MAX + 8];
	unsigned int i, after = j->hi + 1;
	int err = 0;

	for (i = 0; !err && i < j->nc; i++)
		err = load_copy(j, j->order[j->lo + i], &j->c[i]);
	for (i = 0; !err && i < j->nc; i++) {
		plugfs_snprintf(tmp, sizeof(tmp), "%s_new", j->c[i].pin);
		unlink(tmp);
		if (bpf_obj_pin(j->c[i].fd, tmp)) {
			err = -errno;
			pr_warn("%s: cannot pin %s: %s", j->what, tmp, strerror(-err));
		}
	}
	for (i = j->nc; !err && i-- > 0;)
		err = chain_set(j->h, j->c[i].slot,
				i + 1 < j->nc ? j->c[i + 1].fd :
				after < j->h->n ? j->order[after]->prog_fd : -1);
	return err;
}

/* After the switch: the copies' pins in place, the originals' slots
 * emptied once no packet can be in them, the entries on their copies. */
static void settle(struct move_job *j)
{
	char tmp[PATH_MAX + 8], old[PATH_MAX];
	struct eng_entry *en;
	uint32_t old_id;
	unsigned int i;
	int err;

	for (i = 0; i < j->nc; i++) {
		plugfs_snprintf(tmp, sizeof(tmp), "%s_new", j->c[i].pin);
		if (rename(tmp, j->c[i].pin))
			pr_warn("%s: cannot rename pin %s: %s", j->what, tmp, strerror(errno));
	}
	if (!chain_entry_pin(j->e, j->h, j->from, old, sizeof(old)))
		unlink(old);
	j->t_wait = plugfs_now_us();
	err = chain_wait_packets();
	j->t_wait = plugfs_now_us() - j->t_wait;
	if (err) {
		/* no grace period to wait on: a packet stays in a chain for
		 * microseconds, this is ample */
		pr_info("%s: cannot wait for the packets in the old order (%s): sleeping 100 ms",
			j->what, strerror(-err));
		usleep(100000);
	}
	/* emptying a slot that a direct tail call targets makes the kernel
	 * wait for another grace period (x86 JIT): one per slot */
	for (i = 0; i < j->nc; i++) {
		en = j->order[j->lo + i];
		chain_set(j->h, en->slot, -1);
		close(en->prog_fd);
		old_id = en->prog_id;
		en->prog_fd = j->c[i].fd;
		en->prog_id = j->c[i].id;
		en->slot = j->c[i].slot;
		j->c[i].fd = -1;
		if (!en->map_owner_id && en->map_pin_path[0])
			state_follow_owner(j->e, old_id, en->prog_id);
	}
	memcpy(j->h->ent, j->order, j->h->n * sizeof(j->order[0]));
	j->moved->prio = j->to;
	state_rename_entry(j->e, j->h, j->from, j->to);
	for (i = 0; i < j->nc; i++)
		state_save_entry(j->e, j->h, j->order[j->lo + i], NULL, 0);
}

int move_reorder(struct engine *e, struct eng_hook *h, unsigned int pos, unsigned int to)
{
	struct move_job *j = calloc(1, sizeof(*j));
	double t0 = plugfs_now_us();
	unsigned int pred;
	int err;

	if (!j)
		return -ENOMEM;
	/* no copy yet: a refusal before build() must not empty slot 0 */
	for (pred = 0; pred < ENGINE_CHAIN_HARD_MAX; pred++)
		j->c[pred].fd = -1;
	j->e = e;
	j->h = h;
	j->moved = h->ent[pos];
	j->from = j->moved->prio;
	j->to = to;
	plugfs_snprintf(j->what, sizeof(j->what), "%s/%s/%u", h->ifname, engine_hook_name(h->kind),
			j->from);
	plan(j, pos);
	/* the stored objects are read back: the journal may hold them */
	journal_fold(e);
	err = pick_slots(j);
	if (!err)
		err = build(j);
	j->t_load = plugfs_now_us() - t0;
	pred = j->lo ? j->order[j->lo - 1]->slot : 0;
	/* the switch: the one update after which packets take the new order */
	if (!err)
		err = chain_set(h, pred, j->c[0].fd);
	if (err) {
		drop_copies(j);
		free(j);
		return err;
	}
	settle(j);
	pr_info("%s/%s: moved program '%s' from priority %u to %u (position %u): %u programs "
		"loaded again on free slots, switched in one update; %.0f us: copies %.0f, "
		"grace period %.0f", h->ifname, engine_hook_name(h->kind), j->moved->prog_name,
		j->from, to, entry_pos(h, to), j->nc, plugfs_now_us() - t0, j->t_load, j->t_wait);
	free(j);
	return 0;
}

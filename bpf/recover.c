/* SPDX-License-Identifier: MIT */
/*
 * Adoption and restore. A new engine adopts a hook when its pins are all
 * there and still attached to the same interface index; otherwise the chain
 * was lost (reboot, interface re-created) and it is reloaded from the state
 * dir's objects through entry_load(). A hook whose interface is absent
 * stays dormant until it returns; every verb first checks the interface of
 * its hook (recover_revalidate), which restores a chain lost with an
 * interface re-created while the engine ran.
 */
#include "recover.h"
#include "chain.h"
#include "entry_load.h"
#include "hooks.h"
#include "journal.h"
#include "prog_load.h"
#include "state.h"
#include "swap.h"

#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* if_nametoindex on the engine's socket; 0 if there is no such interface. */
static int ifindex_of(struct engine *e, const char *ifname)
{
	struct ifreq ifr = { 0 };

	/* if_nametoindex opens and closes a socket per call: three syscalls
	 * on the path of every load instead of one */
	if (e->ioctl_fd < 0 || strlen(ifname) >= sizeof(ifr.ifr_name))
		return (int)if_nametoindex(ifname);
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	return ioctl(e->ioctl_fd, SIOCGIFINDEX, &ifr) ? 0 : ifr.ifr_ifindex;
}

static void unpin_hook_leftovers(const struct engine *e, const char *ifname, enum engine_hook kind)
{
	char dir[PATH_MAX];

	plugfs_snprintf(dir, sizeof(dir), "%s/%s/%s", e->bpffs_dir, ifname, engine_hook_name(kind));
	if (load_unpin_dir(dir))
		return;
	plugfs_snprintf(dir, sizeof(dir), "%s/%s", e->bpffs_dir, ifname);
	rmdir(dir);
}

/* Reloads one saved entry; -ENOMEM stops the restore. */
static int restore_entry(struct engine *e, const char *ifname, enum engine_hook kind,
			 const char *dir, unsigned int prio)
{
	struct saved_entry *s = state_read_entry(dir, prio);
	struct engine_load_opts o = { .sz = sizeof(o) };
	struct entry_load_req r = { 0 };
	char what[IF_NAMESIZE + 32];
	size_t len = 0;
	void *obj;
	int err;

	if (!s)
		return -ENOMEM;
	plugfs_snprintf(what, sizeof(what), "%s/%s/%u", ifname, engine_hook_name(kind), prio);
	state_read_object(e, s->sha256, what, &obj, &len);
	o.object_path = s->object_path;
	o.image_url = s->image_url[0] ? s->image_url : NULL;
	o.image_digest = s->image_digest;
	o.pull_policy = s->pull_policy;
	o.prog_name = s->prog_name[0] ? s->prog_name : NULL;
	o.proceed_on = s->proceed_on;
	o.globals = s->globals;
	o.n_globals = s->n_globals;
	o.metadata = s->metadata;
	o.n_metadata = s->n_metadata;
	o.mode = kind == ENGINE_HOOK_XDP && s->mode[0] ? s->mode : NULL;
	o.swap = s->swap[0] ? s->swap : NULL;
	o.swap_empty = s->swap_empty;
	r.restore_swap_live = s->swap_live;
	r.ifname = ifname;
	r.kind = kind;
	r.prio = prio;
	r.obj = obj;
	r.obj_len = len;
	r.opts = &o;
	r.restore_map_dir = s->map_pin_path;
	err = obj ? recover_load(e, &r) : -ENOENT;
	if (err)
		pr_warn("%s: cannot restore the entry from %s: %s", what, dir, strerror(-err));
	free(obj);
	state_entry_free(s);
	return 0;
}

/* Reloads a hook's entries from the state dir (its chain was lost). */
static void restore_hook(struct engine *e, const char *ifname, enum engine_hook kind)
{
	unsigned int prios[ENGINE_CHAIN_HARD_MAX * 2];
	char dir[PATH_MAX];
	int n, i;

	if (state_hook_dir(e, ifname, kind, dir, sizeof(dir)))
		return;
	/* the files must say all the journal holds */
	journal_fold(e);
	unpin_hook_leftovers(e, ifname, kind);
	n = state_saved_prios(dir, prios, (int)(sizeof(prios) / sizeof(prios[0])));
	for (i = 0; i < n; i++)
		if (restore_entry(e, ifname, kind, dir, prios[i]))
			return;
}

int recover_revalidate(struct engine *e, struct eng_hook **hp, const char *ifname,
		       enum engine_hook kind, int *ifindex)
{
	struct eng_hook *h = *hp;
	int idx = ifindex_of(e, ifname);

	if (!idx)
		return -ENOENT;
	if (ifindex)
		*ifindex = idx;
	if (!h || h->ifindex == idx)
		return 0;
	pr_info("%s/%s: interface re-created (index %d, was %d): restoring its chain",
		ifname, engine_hook_name(kind), idx, h->ifindex);
	hook_unlink(e, h);
	state_save_hook(e, chain_hook_destroy(e, h));
	hook_free(h);
	*hp = NULL;
	restore_hook(e, ifname, kind);
	*hp = hook_find(e, ifname, kind);
	return 0;
}

int recover_load(struct engine *e, struct entry_load_req *r)
{
	struct eng_hook *h = hook_find(e, r->ifname, r->kind);
	int err = recover_revalidate(e, &h, r->ifname, r->kind, &r->ifindex);

	if (err) {
		pr_warn("%s/%s/%u: no such interface", r->ifname, engine_hook_name(r->kind), r->prio);
		return err;
	}
	r->hook = h;
	return entry_load(e, r);
}

/* ---- adoption ---- */

static int get_pin(const struct engine *e, const struct eng_hook *h, const char *leaf)
{
	char path[PATH_MAX];

	chain_pin_path(e, h, leaf, path, sizeof(path));
	return bpf_obj_get(path);
}

/*
 * The root as pinned. A daemon that died while swapping the direct root in
 * (chain_root_swap) may have left it pinned as root_new: attached, it takes
 * the place of root; otherwise it goes. An indirect root still attached is
 * swapped by the background thread once it starts.
 */
static void adopt_root(struct engine *e, struct eng_hook *h)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd = get_pin(e, h, "root_new");

	chain_pin_path(e, h, "root", path, sizeof(path));
	plugfs_snprintf(tmp, sizeof(tmp), "%s_new", path);
	if (fd >= 0) {
		if (load_prog_id(fd) && load_prog_id(fd) == chain_attached_prog_id(h) &&
		    !rename(tmp, path)) {
			if (h->root_fd >= 0)
				close(h->root_fd);
			h->root_fd = fd;
		} else {
			close(fd);
			unlink(tmp);
		}
	}
	if (h->root_fd >= 0 && !bpf_obj_get_info_by_fd(h->root_fd, &info, &len))
		h->root_indirect = root_is_indirect(info.name);
}

/* The hook's fields from the first entry file that has them. */
static bool saved_hook_of(const char *dir, const unsigned int *prios, int n, struct saved_hook *sh)
{
	int i;

	for (i = 0; i < n; i++) {
		struct saved_entry *s = state_read_entry(dir, prios[i]);
		bool got;

		if (!s)
			return false;
		got = s->has_hook;
		if (got)
			*sh = s->hook;
		state_entry_free(s);
		if (got)
			return true;
	}
	return false;
}

/* The entries as saved, each with its pinned program; false when one is
 * missing or is not the program saved. */
static bool adopt_entries(struct engine *e, struct eng_hook *h, const char *dir,
			  const unsigned int *prios, int n)
{
	char pin[PATH_MAX];
	bool ok = true;
	int i;

	for (i = 0; i < n; i++) {
		struct saved_entry *s = state_read_entry(dir, prios[i]);
		struct eng_entry *en = calloc(1, sizeof(*en));

		if (!s || !en) {
			state_entry_free(s);
			free(en);
			return false;
		}
		en->prio = prios[i];
		en->slot = s->slot;
		chain_entry_pin(e, h, prios[i], pin, sizeof(pin));
		en->prog_fd = bpf_obj_get(pin);
		en->prog_id = en->prog_fd >= 0 ? load_prog_id(en->prog_fd) : 0;
		if (engine_parse_proceed_on(h->kind, s->proceed_on, &en->proceed_mask))
			en->proceed_mask = e->default_mask[h->kind];
		plugfs_snprintf(en->prog_name, sizeof(en->prog_name), "%s", s->prog_name);
		plugfs_snprintf(en->object_path, sizeof(en->object_path), "%s", s->object_path);
		memcpy(en->image_url, s->image_url, sizeof(en->image_url));
		memcpy(en->image_digest, s->image_digest, sizeof(en->image_digest));
		memcpy(en->pull_policy, s->pull_policy, sizeof(en->pull_policy));
		plugfs_snprintf(en->map_pin_path, sizeof(en->map_pin_path), "%s", s->map_pin_path);
		plugfs_snprintf(en->mode, sizeof(en->mode), "%s", s->mode);
		en->map_owner_id = s->map_owner_id;
		en->globals = globals_dup(s->globals, s->n_globals);
		en->n_globals = en->globals ? s->n_globals : 0;
		en->metadata = kv_lines(s->metadata, s->n_metadata);
		plugfs_snprintf(en->sha256, sizeof(en->sha256), "%s", s->sha256);
		en->obj_size = s->obj_size;
		en->cidx = s->counter < CHAIN_MAP_ENTRIES ? s->counter : 0;
		en->timed = s->timed;
		if (!swap_adopt(e, h, en, s->swap, s->swap_empty, s->swap_live, s->swap_id,
				s->swap_pending, s->prog_id))
			ok = false;
		else if (en->prog_fd < 0 || (en->prog_id != s->prog_id && !en->swap))
			ok = false;
		h->ent[h->n++] = en;
		state_entry_free(s);
	}
	return ok;
}

static void adopt_hook(struct engine *e, const char *ifname, enum engine_hook kind)
{
	unsigned int prios[ENGINE_CHAIN_HARD_MAX];
	struct saved_hook sh = { 0 };
	struct eng_hook *h;
	char dir[PATH_MAX];
	int cur, n;
	bool ok;

	if (state_hook_dir(e, ifname, kind, dir, sizeof(dir)))
		return;
	n = state_saved_prios(dir, prios, ENGINE_CHAIN_HARD_MAX);
	if (!n || !saved_hook_of(dir, prios, n, &sh))
		return;
	h = hook_new(e, ifname, kind);
	if (!h)
		return;
	h->ifindex = sh.ifindex;
	h->qdisc_created = sh.qdisc_created;
	plugfs_snprintf(h->mode, sizeof(h->mode), "%s", sh.mode[0] ? sh.mode : "native");
	h->map_fd = get_pin(e, h, "chain");
	h->counts_fd = get_pin(e, h, "counts");
	h->root_fd = get_pin(e, h, "root");
	h->link_fd = kind == ENGINE_HOOK_XDP ? get_pin(e, h, "link") : -1;
	adopt_root(e, h);
	ok = adopt_entries(e, h, dir, prios, n);
	h->next = e->hooks;
	e->hooks = h;
	cur = ifindex_of(e, ifname);
	if (!cur) {
		h->root_indirect = false;	/* restored on the cold path if it returns */
		pr_info("%s/%s: interface absent: its %u entries wait in %s", ifname,
			engine_hook_name(kind), h->n, dir);
		return;
	}
	if (ok && h->n && cur == h->ifindex && h->map_fd >= 0 && h->root_fd >= 0 &&
	    chain_hook_intact(h)) {
		pr_info("%s/%s: adopted %u program%s", ifname, engine_hook_name(kind), h->n,
			h->n == 1 ? "" : "s");
		/* chains of a plugfs without counts: the programs it loads next are */
		if (h->counts_fd < 0)
			chain_counts_add(e, h);
		return;
	}
	/* the chain was lost: rebuild it from the objects */
	pr_info("%s/%s: chain lost or inconsistent (pins, attachment or links): restoring %u programs from %s",
		ifname, engine_hook_name(kind), h->n, dir);
	e->hooks = h->next;
	if (kind == ENGINE_HOOK_XDP || cur == h->ifindex)
		chain_hook_detach(h);
	hook_free(h);
	restore_hook(e, ifname, kind);
}

int recover_adopt(struct engine *e)
{
	char dir[PATH_MAX];
	struct dirent *d;
	DIR *dp;
	int k;

	if (!e->state_dir[0])
		return 0;
	/* what a daemon that died had not folded yet */
	journal_fold(e);
	plugfs_snprintf(dir, sizeof(dir), "%s/ifaces", e->state_dir);
	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.' || strlen(d->d_name) >= IF_NAMESIZE)
			continue;
		for (k = 0; k < ENGINE_HOOK__COUNT; k++)
			adopt_hook(e, d->d_name, (enum engine_hook)k);
	}
	closedir(dp);
	return 0;
}

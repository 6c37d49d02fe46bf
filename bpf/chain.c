/* SPDX-License-Identifier: MIT */
/*
 * A hook in the kernel: the chain map, the root program and its attachment
 * (XDP through a pinned bpf_link, TC through a clsact filter of our own
 * handle/priority), their pins (and a spare's, which become a hook's by a
 * rename), and the chain-map updates that link programs together.
 */
#include "chain.h"
#include "hooks.h"
#include "prog_load.h"
#include "stats.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int chain_hook_dir(const struct engine *e, const struct eng_hook *h, char *buf, size_t size)
{
	return plugfs_snprintf(buf, size, "%s/%s/%s", e->bpffs_dir, h->ifname,
			       engine_hook_name(h->kind));
}

int chain_entry_pin(const struct engine *e, const struct eng_hook *h, unsigned int prio, char *buf,
		    size_t size)
{
	return plugfs_snprintf(buf, size, "%s/%s/%s/prog_%u", e->bpffs_dir, h->ifname,
			       engine_hook_name(h->kind), prio);
}

void chain_pin_path(const struct engine *e, const struct eng_hook *h, const char *leaf, char *buf,
		    size_t size)
{
	plugfs_snprintf(buf, size, "%s/%s/%s/%s", e->bpffs_dir, h->ifname, engine_hook_name(h->kind),
			leaf);
}

const char *chain_spare_subdir(enum engine_hook kind)
{
	return kind == ENGINE_HOOK_XDP ? "xdp" : "tc-ingress";
}

void chain_spare_unpin(const char *dir, enum engine_hook kind)
{
	char path[PATH_MAX + 32];

	plugfs_snprintf(path, sizeof(path), "%s/%s/chain", dir, chain_spare_subdir(kind));
	unlink(path);
	plugfs_snprintf(path, sizeof(path), "%s/%s/root", dir, chain_spare_subdir(kind));
	unlink(path);
	plugfs_snprintf(path, sizeof(path), "%s/%s/counts", dir, chain_spare_subdir(kind));
	unlink(path);
	plugfs_snprintf(path, sizeof(path), "%s/%s", dir, chain_spare_subdir(kind));
	rmdir(path);
	rmdir(dir);
}

static enum bpf_tc_attach_point tc_point(const struct eng_hook *h)
{
	return h->kind == ENGINE_HOOK_TC_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

int chain_set(struct eng_hook *h, unsigned int slot, int fd)
{
	__u32 key = slot, val = (__u32)fd;
	int err;

	if (fd >= 0)
		err = bpf_map_update_elem(h->map_fd, &key, &val, BPF_ANY);
	else {
		err = bpf_map_delete_elem(h->map_fd, &key);
		if (err && errno == ENOENT)
			err = 0;
	}
	if (err) {
		err = -errno;
		pr_warn("%s/%s: chain map update of slot %u failed: %s", h->ifname,
			engine_hook_name(h->kind), slot, strerror(-err));
	}
	return err;
}

unsigned int chain_pred_slot(const struct eng_hook *h, unsigned int pos)
{
	return pos ? h->ent[pos - 1]->slot : 0;
}

static int xdp_foreign(const struct eng_hook *h, const char *ifname, int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;	/* cannot tell: the attach error says what it can */
	if (!q.prog_id)
		return 0;
	if (h && h->root_fd >= 0 && !bpf_obj_get_info_by_fd(h->root_fd, &info, &len) &&
	    info.id == q.prog_id)
		return 0;
	pr_warn("%s/xdp: interface already has an XDP program not loaded by plugfs (id %u); "
		"plugfs leaves it alone", ifname, q.prog_id);
	return -EBUSY;
}

/* The counts map of a hook; a hook without one works, uncounted. */
static void counts_create(struct engine *e, struct eng_hook *h)
{
	int fd;

	if (e->no_counts || h->counts_fd >= 0)
		return;
	fd = stats_counts_create();
	if (fd < 0)
		pr_warn("%s/%s: cannot create the counts map: %s; its programs are not counted",
			h->ifname, engine_hook_name(h->kind), strerror(-fd));
	h->counts_fd = fd < 0 ? -1 : fd;
}

void chain_counts_add(struct engine *e, struct eng_hook *h)
{
	char path[PATH_MAX];

	counts_create(e, h);
	if (h->counts_fd < 0)
		return;
	chain_pin_path(e, h, "counts", path, sizeof(path));
	if (bpf_obj_pin(h->counts_fd, path)) {
		pr_warn("%s/%s: cannot pin %s: %s; its programs are not counted", h->ifname,
			engine_hook_name(h->kind), path, strerror(errno));
		fd_close(&h->counts_fd);
	}
}

int chain_hook_create(struct engine *e, struct eng_hook *h)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	int fd;

	counts_create(e, h);
	fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "plugfs_chain", 4, 4, CHAIN_MAP_ENTRIES, &mo);
	if (fd < 0) {
		fd = -errno;
		pr_warn("%s/%s: cannot create the chain map: %s", h->ifname,
			engine_hook_name(h->kind), strerror(-fd));
		return fd;
	}
	h->map_fd = fd;
	return 0;
}

int chain_hook_unspare(struct engine *e, struct eng_hook *h)
{
	fd_close(&h->root_fd);
	fd_close(&h->map_fd);
	fd_close(&h->stub_fd);
	if (h->spare_dir[0])
		chain_spare_unpin(h->spare_dir, h->kind);
	h->spare_dir[0] = '\0';
	h->root_indirect = false;
	return chain_hook_create(e, h);
}

static int attach_xdp(struct engine *e, struct eng_hook *h)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int fd;

	lo.flags = strcmp(h->mode, "skb") ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(h->root_fd, h->ifindex, BPF_XDP, &lo);
	if (fd < 0) {
		fd = -errno;
		/* a program of someone else's, in this mode or the other */
		if ((fd == -EBUSY || fd == -EEXIST) && xdp_foreign(h, h->ifname, h->ifindex))
			return -EBUSY;
		pr_warn("%s/xdp: cannot attach the root program in %s mode: %s%s", h->ifname, h->mode,
			strerror(-fd),
			fd == -EOPNOTSUPP && strcmp(h->mode, "skb") ?
				" (the driver has no native XDP: try `mode = skb` in a manifest)" : "");
		return fd == -EEXIST ? -EBUSY : fd;
	}
	h->link_fd = fd;
	return 0;
}

/* Counts the filter messages of one netlink dump answer that are not ours;
 * 1 at its end (NLMSG_DONE), 0 for more to read, -errno. */
static int count_foreign(const char *buf, size_t len, __u32 seq, unsigned int *n)
{
	const struct nlmsghdr *nh;
	const struct tcmsg *t;

	for (nh = (const void *)buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_seq != seq)
			continue;
		if (nh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *ne = NLMSG_DATA(nh);

			return ne->error ? ne->error : 1;
		}
		if (nh->nlmsg_type != RTM_NEWTFILTER)
			continue;
		t = NLMSG_DATA(nh);
		/* a dump lists each priority's head (handle 0), then its filters */
		if (TC_H_MAJ(t->tcm_info) >> 16 == PLUGFS_TC_PRIO &&
		    (!t->tcm_handle || t->tcm_handle == PLUGFS_TC_HANDLE))
			continue;
		(*n)++;
	}
	return 0;
}

/* How many filters of other tools the clsact qdisc holds in one direction
 * (libbpf asks for one filter by handle and priority, never lists them). */
static int tc_foreign_filters(int ifindex, __u32 min)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg t;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETTFILTER,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex,
		       .tcm_parent = TC_H_MAKE(TC_H_CLSACT, min) },
	};
	static __thread char buf[16384];
	unsigned int n = 0;
	int fd, err = 0;
	ssize_t got;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) < 0)
		err = -errno;
	while (!err) {
		got = recv(fd, buf, sizeof(buf), 0);
		if (got <= 0) {
			err = got ? -errno : -EIO;
			break;
		}
		err = count_foreign(buf, (size_t)got, req.nh.nlmsg_seq, &n);
	}
	close(fd);
	return err < 0 ? err : (int)n;
}

/*
 * May the clsact qdisc we created go with our last filter on it? Only if
 * no other tool put a filter on it, in either direction. Otherwise it
 * stays, and it is no longer ours: another tool relies on it, so plugfs
 * never deletes it later either (docs/kernel-engine.md).
 */
static bool clsact_unused(const struct eng_hook *h)
{
	int in = tc_foreign_filters(h->ifindex, TC_H_MIN_INGRESS);
	int eg = in ? in : tc_foreign_filters(h->ifindex, TC_H_MIN_EGRESS);

	if (!in && !eg)
		return true;
	if (in < 0 || eg < 0)
		pr_warn("%s: cannot list the filters of the clsact qdisc (%s): it stays", h->ifname,
			strerror(in < 0 ? -in : -eg));
	else
		pr_info("%s: the clsact qdisc plugfs created now holds filters of other tools: "
			"it stays, and plugfs leaves it to them", h->ifname);
	return false;
}

static int attach_tc(struct engine *e, struct eng_hook *h)
{
	LIBBPF_OPTS(bpf_tc_hook, th, .ifindex = h->ifindex);
	LIBBPF_OPTS(bpf_tc_opts, to, .handle = PLUGFS_TC_HANDLE, .priority = PLUGFS_TC_PRIO);
	int err;

	th.attach_point = tc_point(h);
	err = bpf_tc_hook_create(&th);
	if (err && err != -EEXIST) {
		pr_warn("%s/%s: cannot create the clsact qdisc: %s", h->ifname,
			engine_hook_name(h->kind), strerror(-err));
		return err;
	}
	h->qdisc_created = !err;
	to.prog_fd = h->root_fd;
	err = bpf_tc_attach(&th, &to);
	if (err) {
		pr_warn("%s/%s: cannot attach the root filter (handle %#x prio %#x): %s", h->ifname,
			engine_hook_name(h->kind), PLUGFS_TC_HANDLE, PLUGFS_TC_PRIO,
			strerror(-err));
		if (h->qdisc_created && clsact_unused(h)) {
			th.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&th);
		}
		h->qdisc_created = false;
		return err == -EEXIST ? -EBUSY : err;
	}
	return 0;
}

/* Returns the hook that inherits the clsact qdisc we created, if any. */
static struct eng_hook *detach_tc(struct engine *e, struct eng_hook *h)
{
	LIBBPF_OPTS(bpf_tc_hook, th, .ifindex = h->ifindex);
	LIBBPF_OPTS(bpf_tc_opts, to, .handle = PLUGFS_TC_HANDLE, .priority = PLUGFS_TC_PRIO);
	struct eng_hook *o;

	th.attach_point = tc_point(h);
	bpf_tc_detach(&th, &to);
	if (!h->qdisc_created)
		return NULL;
	/* the clsact qdisc serves both directions: hand it over if the other is ours */
	for (o = e->hooks; o; o = o->next) {
		if (o != h && o->kind != ENGINE_HOOK_XDP && o->ifindex == h->ifindex &&
		    !strcmp(o->ifname, h->ifname)) {
			o->qdisc_created = true;
			return o;
		}
	}
	h->qdisc_created = false;
	if (!clsact_unused(h))
		return NULL;
	th.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&th);
	return NULL;
}

/* Does another hook of this interface (its pin directory) exist? */
static bool ifdir_in_use(const struct engine *e, const struct eng_hook *h)
{
	const struct eng_hook *o;

	for (o = e->hooks; o; o = o->next)
		if (o != h && !strcmp(o->ifname, h->ifname))
			return true;
	return false;
}

/*
 * A spare's pins into the hook's directory: with the interface's directory
 * absent the spare's becomes it, one rename (its subdirectory has the
 * hook's name for xdp and tc-ingress); otherwise its subdirectory is
 * renamed to the hook's.
 */
static int move_spare_pins(struct engine *e, struct eng_hook *h, const char *hookdir)
{
	char src[PATH_MAX + 32], ifdir[PATH_MAX];

	plugfs_snprintf(ifdir, sizeof(ifdir), "%s/%s", e->bpffs_dir, h->ifname);
	if (!ifdir_in_use(e, h) && !strcmp(chain_spare_subdir(h->kind), engine_hook_name(h->kind)) &&
	    !rename(h->spare_dir, ifdir))
		goto moved;
	plugfs_snprintf(src, sizeof(src), "%s/%s", h->spare_dir, chain_spare_subdir(h->kind));
	if (mkdir(ifdir, 0700) && errno != EEXIST)
		return -errno;
	if (rename(src, hookdir))
		return -errno;
	rmdir(h->spare_dir);
moved:
	h->spare_dir[0] = '\0';
	return 0;
}

int chain_hook_attach(struct engine *e, struct eng_hook *h)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int err;

	/* a spare brings its root, loaded with its map */
	err = h->root_fd >= 0 ? 0 : load_root_prog(h->kind, false, h->map_fd, &h->root_fd);
	if (err)
		return err;
	err = chain_hook_dir(e, h, dir, sizeof(dir));
	if (err)
		return err;
	if (h->spare_dir[0] && !move_spare_pins(e, h, dir))
		goto pinned;
	if (h->spare_dir[0]) {
		chain_spare_unpin(h->spare_dir, h->kind);
		h->spare_dir[0] = '\0';
	}
	if (!ifdir_in_use(e, h)) {
		/* the interface's directory goes with its last hook: make it
		 * first rather than fail on the hook's (a syscall less) */
		*strrchr(dir, '/') = '\0';
		err = plugfs_mkdir_p(dir, 0700);
		dir[strlen(dir)] = '/';
	}
	if (!err)
		err = plugfs_mkdir_p(dir, 0700);
	if (err) {
		pr_warn("%s/%s: cannot create the pin directory %s: %s", h->ifname,
			engine_hook_name(h->kind), dir, strerror(-err));
		return err;
	}
	chain_pin_path(e, h, "chain", path, sizeof(path));
	if (bpf_obj_pin(h->map_fd, path))
		goto pin_fail;
	chain_pin_path(e, h, "root", path, sizeof(path));
	if (bpf_obj_pin(h->root_fd, path))
		goto pin_fail;
	chain_pin_path(e, h, "counts", path, sizeof(path));
	if (h->counts_fd >= 0 && bpf_obj_pin(h->counts_fd, path))
		goto pin_fail;
pinned:
	err = h->kind == ENGINE_HOOK_XDP ? attach_xdp(e, h) : attach_tc(e, h);
	if (err)
		return err;
	if (h->kind == ENGINE_HOOK_XDP) {
		chain_pin_path(e, h, "link", path, sizeof(path));
		if (bpf_obj_pin(h->link_fd, path))
			goto pin_fail;
	}
	return 0;
pin_fail:
	err = -errno;
	pr_warn("%s/%s: cannot pin %s: %s", h->ifname, engine_hook_name(h->kind), path,
		strerror(-err));
	return err;
}

int chain_root_swap(struct engine *e, struct eng_hook *h, int root_fd)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int err = 0;

	/* pinned before the swap: a crash right after it leaves the attached
	 * root pinned as root_new (adoption takes it), never unpinned */
	chain_pin_path(e, h, "root", path, sizeof(path));
	plugfs_snprintf(tmp, sizeof(tmp), "%s_new", path);
	unlink(tmp);
	if (bpf_obj_pin(root_fd, tmp))
		return -errno;
	if (h->kind == ENGINE_HOOK_XDP) {
		if (bpf_link_update(h->link_fd, root_fd, NULL))
			err = -errno;
	} else {
		LIBBPF_OPTS(bpf_tc_hook, th, .ifindex = h->ifindex);
		LIBBPF_OPTS(bpf_tc_opts, to, .handle = PLUGFS_TC_HANDLE,
			    .priority = PLUGFS_TC_PRIO, .prog_fd = root_fd,
			    .flags = BPF_TC_F_REPLACE);

		th.attach_point = tc_point(h);
		err = bpf_tc_attach(&th, &to);
	}
	if (err) {
		unlink(tmp);
		return err;
	}
	if (rename(tmp, path))
		pr_warn("%s/%s: cannot rename %s: %s (the attached root is pinned there)",
			h->ifname, engine_hook_name(h->kind), tmp, strerror(errno));
	close(h->root_fd);
	h->root_fd = root_fd;
	fd_close(&h->stub_fd);
	return 0;
}

struct eng_hook *chain_hook_destroy(struct engine *e, struct eng_hook *h)
{
	static const char *const leaves[] = { "link", "root", "root_new", "chain", "counts" };
	struct eng_hook *heir = NULL;
	char path[PATH_MAX];
	size_t i;

	if (h->spare_dir[0])
		chain_spare_unpin(h->spare_dir, h->kind);
	h->spare_dir[0] = '\0';
	if (h->kind == ENGINE_HOOK_XDP) {
		if (h->link_fd >= 0)
			bpf_link_detach(h->link_fd);
	} else if (h->root_fd >= 0) {
		heir = detach_tc(e, h);
	}
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		chain_pin_path(e, h, leaves[i], path, sizeof(path));
		unlink(path);
	}
	if (!chain_hook_dir(e, h, path, sizeof(path)))
		rmdir(path);
	plugfs_snprintf(path, sizeof(path), "%s/%s", e->bpffs_dir, h->ifname);
	rmdir(path);
	hook_close(h);
	return heir;
}

void chain_hook_detach(struct eng_hook *h)
{
	LIBBPF_OPTS(bpf_tc_hook, th, .ifindex = h->ifindex);
	LIBBPF_OPTS(bpf_tc_opts, to, .handle = PLUGFS_TC_HANDLE, .priority = PLUGFS_TC_PRIO);

	if (h->kind == ENGINE_HOOK_XDP) {
		if (h->link_fd >= 0)
			bpf_link_detach(h->link_fd);
		return;
	}
	/* our filter (handle/priority of plugfs) would block the new root */
	th.attach_point = tc_point(h);
	bpf_tc_detach(&th, &to);
}

uint32_t chain_attached_prog_id(const struct eng_hook *h)
{
	LIBBPF_OPTS(bpf_tc_hook, th, .ifindex = h->ifindex);
	LIBBPF_OPTS(bpf_tc_opts, to, .handle = PLUGFS_TC_HANDLE, .priority = PLUGFS_TC_PRIO);
	struct bpf_link_info li = { 0 };
	__u32 len = sizeof(li);

	if (h->kind == ENGINE_HOOK_XDP)
		return h->link_fd >= 0 && !bpf_obj_get_info_by_fd(h->link_fd, &li, &len) ?
			       li.prog_id : 0;
	th.attach_point = tc_point(h);
	return bpf_tc_query(&th, &to) ? 0 : to.prog_id;
}

/* Are the pinned root and its attachment still in place on this interface? */
static bool hook_attached(const struct eng_hook *h)
{
	struct bpf_link_info li = { 0 };
	__u32 len = sizeof(li);

	if (h->kind != ENGINE_HOOK_XDP)
		return chain_attached_prog_id(h) &&
		       chain_attached_prog_id(h) == load_prog_id(h->root_fd);
	return h->link_fd >= 0 && !bpf_obj_get_info_by_fd(h->link_fd, &li, &len) &&
	       (int)li.xdp.ifindex == h->ifindex;
}

/* Does the chain map link the entries in priority order, as saved? */
static bool chain_consistent(const struct eng_hook *h)
{
	unsigned int i;
	__u32 key, val;

	for (i = 0; i < h->n; i++) {
		key = chain_pred_slot(h, i);
		if (bpf_map_lookup_elem(h->map_fd, &key, &val) || val != h->ent[i]->prog_id)
			return false;
	}
	key = h->n ? h->ent[h->n - 1]->slot : 0;
	return bpf_map_lookup_elem(h->map_fd, &key, &val) != 0;
}

bool chain_hook_intact(const struct eng_hook *h)
{
	return hook_attached(h) && chain_consistent(h);
}

/*
 * The kernel waits for an RCU grace period (synchronize_rcu) before it
 * returns from an update of a map-in-map, so that user space knows no
 * program still sees the old inner map (maybe_wait_bpf_programs in
 * kernel/bpf/syscall.c). XDP and TC programs run inside RCU read sections
 * (NAPI / softirq with bottom halves off, or rcu_read_lock), tail calls
 * included: every run that began before has ended on return.
 */
int chain_wait_packets(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, o);
	int inner, outer, err = 0;
	__u32 key = 0, val;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "plugfs_wait", 4, 4, 1, NULL);
	if (inner < 0)
		return -errno;
	o.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "plugfs_wait", 4, 4, 1, &o);
	val = (__u32)inner;
	if (outer < 0 || bpf_map_update_elem(outer, &key, &val, BPF_ANY))
		err = -errno;
	if (outer >= 0)
		close(outer);
	close(inner);
	return err;
}

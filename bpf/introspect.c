/* SPDX-License-Identifier: MIT */
/*
 * Programs and maps the kernel holds, by id, with where each program is
 * attached (introspect.h). Nothing here is plugfs state: another tool's
 * programs are read the same way as ours.
 */
#include "introspect.h"

#include <plugfs/clock.h>
#include <plugfs/json.h>
#include <plugfs/strbuf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Link types newer than the uapi headers this builds with. */
#define LINK_TYPE_NETFILTER 10
#define LINK_TYPE_TCX 11
#define LINK_TYPE_UPROBE_MULTI 12
#define LINK_TYPE_NETKIT 13

/* ---- fields ---- */

void ifields_fini(struct ifields *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		free(fs->f[i].key);
		free(fs->f[i].val);
	}
	free(fs->f);
	memset(fs, 0, sizeof(*fs));
}

static struct ifield *field_new(struct ifields *fs, enum ifield_kind kind, const char *key)
{
	struct ifield *f;

	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? 2 * fs->cap : 32;

		f = realloc(fs->f, cap * sizeof(*f));
		if (!f) {
			fs->err = -ENOMEM;
			return NULL;
		}
		fs->f = f;
		fs->cap = cap;
	}
	f = &fs->f[fs->n];
	f->key = strdup(key);
	f->val = NULL;
	f->kind = kind;
	if (!f->key) {
		fs->err = -ENOMEM;
		return NULL;
	}
	fs->n++;
	return f;
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

void ifields_add(struct ifields *fs, enum ifield_kind kind, const char *key, const char *fmt, ...)
{
	struct ifield *f = field_new(fs, kind, key);
	va_list ap;

	if (!f)
		return;
	va_start(ap, fmt);
	f->val = vformat(fmt, ap);
	va_end(ap);
	if (!f->val)
		fs->err = -ENOMEM;
}

void ifields_add_item(struct ifields *fs, enum ifield_kind kind, const char *key, const char *fmt,
		      ...)
{
	struct ifield *f = NULL;
	char *item, *joined;
	va_list ap;
	size_t i;

	for (i = 0; i < fs->n && !f; i++)
		if (!strcmp(fs->f[i].key, key))
			f = &fs->f[i];
	if (!f) {
		f = field_new(fs, kind, key);
		if (!f)
			return;
	}
	va_start(ap, fmt);
	item = vformat(fmt, ap);
	va_end(ap);
	if (!item) {
		fs->err = -ENOMEM;
		return;
	}
	if (!f->val || !*f->val) {
		free(f->val);
		f->val = item;
		return;
	}
	if (asprintf(&joined, "%s\n%s", f->val, item) < 0) {
		fs->err = -ENOMEM;
		free(item);
		return;
	}
	free(item);
	free(f->val);
	f->val = joined;
}

int ifields_text(const struct ifields *fs, char **buf, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	size_t i;

	if (fs->err)
		return fs->err;
	for (i = 0; i < fs->n; i++) {
		const struct ifield *f = &fs->f[i];

		if (f->kind == IFIELD_HEADING) {
			strbuf__printf(&sb, "%s%s\n", i ? "\n" : "", f->key);
			continue;
		}
		strbuf__printf(&sb, "%s: ", f->key);
		if ((f->kind == IFIELD_LIST || f->kind == IFIELD_NUM_LIST) && (!f->val || !*f->val)) {
			strbuf__puts(&sb, "None\n");
			continue;
		}
		for (p = f->val ? f->val : ""; *p; p++)
			if (*p == '\n' && (f->kind == IFIELD_LIST || f->kind == IFIELD_NUM_LIST))
				strbuf__puts(&sb, ", ");
			else
				strbuf__put(&sb, p, 1);
		strbuf__puts(&sb, "\n");
	}
	*buf = strbuf__detach(&sb, len);
	return *buf ? 0 : -ENOMEM;
}

/* ---- ids ---- */

static int collect_ids(int (*next)(__u32, __u32 *), uint32_t **ids, size_t *n)
{
	uint32_t id = 0, *v = NULL, *nv;
	size_t cnt = 0, cap = 0;

	while (!next(id, &id)) {
		if (cnt == cap) {
			cap = cap ? 2 * cap : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt++] = id;
	}
	if (errno != ENOENT) {
		free(v);
		return -errno;
	}
	*ids = v;
	*n = cnt;
	return 0;
}

int introspect_parse_id(const char *name, uint32_t *id)
{
	unsigned long v;
	char *end;

	if (!name || name[0] < '1' || name[0] > '9' || strlen(name) > 10)
		return -ENOENT;
	errno = 0;
	v = strtoul(name, &end, 10);
	if (*end || errno || v > UINT32_MAX)
		return -ENOENT;
	*id = (uint32_t)v;
	return 0;
}

int introspect_list(bool maps, introspect_name_cb cb, void *arg)
{
	uint32_t *ids = NULL;
	size_t n = 0, i;
	char name[16];
	int err = maps ? introspect_map_ids(&ids, &n) : introspect_prog_ids(&ids, &n);

	for (i = 0; !err && i < n; i++) {
		plugfs_snprintf(name, sizeof(name), "%u", ids[i]);
		if (cb(name, arg))
			break;
	}
	free(ids);
	return err;
}

int introspect_prog_ids(uint32_t **ids, size_t *n)
{
	return collect_ids(bpf_prog_get_next_id, ids, n);
}

int introspect_map_ids(uint32_t **ids, size_t *n)
{
	return collect_ids(bpf_map_get_next_id, ids, n);
}

/* One syscall, no fd: the id after id - 1 is id itself when it exists. */
static int exists(int (*next)(__u32, __u32 *), uint32_t id)
{
	uint32_t got;

	if (!id)
		return -ENOENT;
	if (next(id - 1, &got))
		return errno == ENOENT ? -ENOENT : -errno;
	return got == id ? 0 : -ENOENT;
}

int introspect_prog_exists(uint32_t id)
{
	return exists(bpf_prog_get_next_id, id);
}

int introspect_map_exists(uint32_t id)
{
	return exists(bpf_map_get_next_id, id);
}

/* ---- attach points ---- */

void attach_point_xdp(struct attach_point *a, const char *ifname, const char *mode)
{
	plugfs_snprintf(a->text, sizeof(a->text), "xdp on %s (%s)", ifname, mode);
}

void attach_point_tc(struct attach_point *a, const char *ifname, bool ingress, const char *how)
{
	plugfs_snprintf(a->text, sizeof(a->text), "tc-%s on %s (%s)", ingress ? "ingress" : "egress",
			ifname, how);
}

struct attach_table {
	struct attach_point *a;
	size_t n, cap;
};

static struct attach_point *attach_add(struct attach_table *t, uint32_t prog_id, uint32_t link_id)
{
	struct attach_point *a;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 32;

		a = realloc(t->a, cap * sizeof(*a));
		if (!a)
			return NULL;
		t->a = a;
		t->cap = cap;
	}
	a = &t->a[t->n++];
	memset(a, 0, sizeof(*a));
	a->prog_id = prog_id;
	a->link_id = link_id;
	return a;
}

static void scan_xdp(struct attach_table *t, int ifindex, const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	static const char *const modes[] = { "driver", "skb", "hw" };
	uint32_t ids[3];
	size_t i;

	if (bpf_xdp_query(ifindex, 0, &q))
		return;
	ids[0] = q.drv_prog_id;
	ids[1] = q.skb_prog_id;
	ids[2] = q.hw_prog_id;
	for (i = 0; i < 3; i++) {
		struct attach_point *a = ids[i] ? attach_add(t, ids[i], 0) : NULL;

		if (a)
			attach_point_xdp(a, ifname, modes[i]);
	}
}

/* The bpf filters of one clsact direction: an RTM_GETTFILTER dump. */
static void tc_parse_filter(struct attach_table *t, struct nlmsghdr *nh, const char *ifname,
			    bool ingress)
{
	struct tcmsg *tm = NLMSG_DATA(nh);
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*tm));
	struct rtattr *rta = (struct rtattr *)((char *)tm + NLMSG_ALIGN(sizeof(*tm))), *o;
	bool is_bpf = false;
	uint32_t id = 0;
	int olen;

	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == TCA_KIND)
			is_bpf = !strcmp(RTA_DATA(rta), "bpf");
		if (rta->rta_type != TCA_OPTIONS)
			continue;
		olen = RTA_PAYLOAD(rta);
		for (o = RTA_DATA(rta); RTA_OK(o, olen); o = RTA_NEXT(o, olen))
			if (o->rta_type == TCA_BPF_ID && RTA_PAYLOAD(o) >= sizeof(uint32_t))
				memcpy(&id, RTA_DATA(o), sizeof(id));
	}
	if (is_bpf && id) {
		struct attach_point *a = attach_add(t, id, 0);
		char how[48];

		plugfs_snprintf(how, sizeof(how), "cls_bpf, pref %u, handle 0x%x",
				TC_H_MAJ(tm->tcm_info) >> 16, tm->tcm_handle);
		if (a)
			attach_point_tc(a, ifname, ingress, how);
	}
}

static void scan_tc(struct attach_table *t, int sk, int ifindex, const char *ifname, bool ingress)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tm;
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		.nh.nlmsg_type = RTM_GETTFILTER,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.tm.tcm_family = AF_UNSPEC,
		.tm.tcm_ifindex = ifindex,
		.tm.tcm_parent = TC_H_MAKE(TC_H_CLSACT, ingress ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS),
	};
	char buf[16384];
	struct nlmsghdr *nh;
	ssize_t n;
	bool done = false;

	if (send(sk, &req, req.nh.nlmsg_len, 0) < 0)
		return;
	while (!done) {
		n = recv(sk, buf, sizeof(buf), 0);
		if (n <= 0)
			return;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == RTM_NEWTFILTER)
				tc_parse_filter(t, nh, ifname, ingress);
		}
	}
}

static const char *attach_type_name(uint32_t type)
{
	const char *s = libbpf_bpf_attach_type_str((enum bpf_attach_type)type);

	return s ? s : "unknown";
}

static void link_text(struct attach_point *a, const struct bpf_link_info *li, const char *tp)
{
	char ifname[IF_NAMESIZE] = "?";
	const uint32_t *u = (const uint32_t *)&li->xdp;
	const char *lt = libbpf_bpf_link_type_str((enum bpf_link_type)li->type);

	switch (li->type) {
	case BPF_LINK_TYPE_XDP:
		if_indextoname(li->xdp.ifindex, ifname);
		plugfs_snprintf(a->text, sizeof(a->text), "xdp on %s (link %u)", ifname, li->id);
		return;
	case LINK_TYPE_TCX:
	case LINK_TYPE_NETKIT:
		if_indextoname(u[0], ifname);
		plugfs_snprintf(a->text, sizeof(a->text), "%s on %s (%s link %u)",
				attach_type_name(u[1]), ifname,
				li->type == LINK_TYPE_TCX ? "tcx" : "netkit", li->id);
		return;
	case BPF_LINK_TYPE_RAW_TRACEPOINT:
		plugfs_snprintf(a->text, sizeof(a->text), "raw_tracepoint %s (link %u)", tp, li->id);
		return;
	case BPF_LINK_TYPE_CGROUP:
		plugfs_snprintf(a->text, sizeof(a->text), "cgroup id %llu, %s (link %u)",
				(unsigned long long)li->cgroup.cgroup_id,
				attach_type_name(li->cgroup.attach_type), li->id);
		return;
	case BPF_LINK_TYPE_TRACING:
		plugfs_snprintf(a->text, sizeof(a->text), "%s, btf object %u type %u (link %u)",
				attach_type_name(li->tracing.attach_type),
				li->tracing.target_obj_id, li->tracing.target_btf_id, li->id);
		return;
	case BPF_LINK_TYPE_NETNS:
		plugfs_snprintf(a->text, sizeof(a->text), "netns %u, %s (link %u)",
				li->netns.netns_ino, attach_type_name(li->netns.attach_type), li->id);
		return;
	default:
		plugfs_snprintf(a->text, sizeof(a->text), "%s (link %u)", lt ? lt : "link", li->id);
	}
}

/*
 * A perf_event link's info in the kernel's layout, newer than the uapi
 * headers this builds with: type at 16, then for a kprobe, uprobe or
 * tracepoint the name's pointer at 24 and its length at 32.
 */
#define PERF_LINK_TYPE_OFF 16
#define PERF_LINK_NAME_OFF 24
#define PERF_LINK_LEN_OFF 32
static const char *const perf_link_kinds[] = {
	"perf_event", "uprobe", "uretprobe", "kprobe", "kretprobe", "tracepoint", "perf_event",
};

static void perf_link_text(struct attach_point *a, int fd, uint32_t id)
{
	unsigned char info[96] = { 0 };
	char name[128] = "";
	uint64_t ptr = (uint64_t)(unsigned long)name;
	uint32_t len = sizeof(name), ilen = sizeof(info), kind = 0;

	memcpy(info + PERF_LINK_NAME_OFF, &ptr, sizeof(ptr));
	memcpy(info + PERF_LINK_LEN_OFF, &len, sizeof(len));
	if (!bpf_obj_get_info_by_fd(fd, info, &ilen))
		memcpy(&kind, info + PERF_LINK_TYPE_OFF, sizeof(kind));
	if (kind >= sizeof(perf_link_kinds) / sizeof(perf_link_kinds[0]))
		kind = 0;
	name[sizeof(name) - 1] = '\0';
	plugfs_snprintf(a->text, sizeof(a->text), "%s%s%s (link %u)", perf_link_kinds[kind],
			name[0] ? " " : "", name, id);
}

/* One link: its type first, then what that type can tell. */
static void scan_link(struct attach_table *t, uint32_t id)
{
	struct bpf_link_info li;
	__u32 len = sizeof(li);
	char tp[128] = "";
	struct attach_point *a;
	int fd = bpf_link_get_fd_by_id(id);

	if (fd < 0)
		return;
	memset(&li, 0, sizeof(li));
	if (bpf_obj_get_info_by_fd(fd, &li, &len) || li.type == BPF_LINK_TYPE_ITER) {
		close(fd);	/* an iterator is not an attach point */
		return;
	}
	if (li.type == BPF_LINK_TYPE_RAW_TRACEPOINT) {
		/* the union is read as this type's: only now a name buffer */
		memset(&li, 0, sizeof(li));
		li.raw_tracepoint.tp_name = (__u64)(unsigned long)tp;
		li.raw_tracepoint.tp_name_len = sizeof(tp);
		len = sizeof(li);
		if (bpf_obj_get_info_by_fd(fd, &li, &len))
			tp[0] = '\0';
	}
	a = attach_add(t, li.prog_id, id);
	if (a && li.type == BPF_LINK_TYPE_PERF_EVENT)
		perf_link_text(a, fd, id);
	else if (a)
		link_text(a, &li, tp);
	close(fd);
}

static void scan_links(struct attach_table *t)
{
	uint32_t id = 0;

	while (!bpf_link_get_next_id(id, &id))
		scan_link(t, id);
}

/* An XDP program attached through a link is seen twice: keep the link's line. */
static void drop_xdp_seen_as_link(struct attach_table *t)
{
	size_t i, j, k = 0;

	for (i = 0; i < t->n; i++) {
		bool dup = false;
		char ifn[IF_NAMESIZE + 8];

		if (!t->a[i].link_id && !strncmp(t->a[i].text, "xdp on ", 7)) {
			plugfs_snprintf(ifn, sizeof(ifn), "xdp on %.*s (link", IF_NAMESIZE,
					t->a[i].text + 7);
			*strchr(ifn + 7, ' ') = '\0';
			for (j = 0; j < t->n && !dup; j++)
				dup = t->a[j].link_id && t->a[j].prog_id == t->a[i].prog_id &&
				      !strncmp(t->a[j].text, ifn, strlen(ifn)) &&
				      t->a[j].text[strlen(ifn)] == ' ';
		}
		if (!dup)
			t->a[k++] = t->a[i];
	}
	t->n = k;
}

static int attach_scan(struct attach_table *t)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct timeval tv = { .tv_sec = 1 };

	if (sk >= 0)
		setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = ifs; i && i->if_index; i++) {
		scan_xdp(t, i->if_index, i->if_name);
		if (sk >= 0) {
			scan_tc(t, sk, i->if_index, i->if_name, true);
			scan_tc(t, sk, i->if_index, i->if_name, false);
		}
	}
	if (sk >= 0)
		close(sk);
	if (ifs)
		if_freenameindex(ifs);
	scan_links(t);
	drop_xdp_seen_as_link(t);
	return 0;
}

static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;
static struct attach_table scan_cache;
static double scan_time_us;
static uint32_t scan_max_prog_id;	/* the newest program when scanned */

static uint32_t newest_prog_id(void)
{
	uint32_t id = 0, next;

	while (!bpf_prog_get_next_id(id, &next))
		id = next;
	return id;
}

/* Copies the attach points of one program out of a recent scan. */
static int attach_points_of(uint32_t prog_id, struct attach_point **out, size_t *n)
{
	double now = plugfs_now_us();
	size_t i, k = 0;
	int err = 0;

	pthread_mutex_lock(&scan_lock);
	/* a program newer than the scan may have been attached since */
	if (!scan_time_us || now - scan_time_us > ATTACH_SCAN_MAX_AGE_MS * 1000.0 ||
	    prog_id > scan_max_prog_id) {
		scan_cache.n = 0;
		scan_max_prog_id = newest_prog_id();
		attach_scan(&scan_cache);
		scan_time_us = plugfs_now_us();
	}
	*out = calloc(scan_cache.n + 1, sizeof(**out));
	if (!*out)
		err = -ENOMEM;
	for (i = 0; !err && i < scan_cache.n; i++)
		if (scan_cache.a[i].prog_id == prog_id)
			(*out)[k++] = scan_cache.a[i];
	pthread_mutex_unlock(&scan_lock);
	*n = k;
	return err;
}

/* ---- programs ---- */

void introspect_load_time(unsigned long long boot_ns, char *buf, size_t size)
{
	struct timespec rt, bt;
	long long ns;
	struct tm tm;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	/* in ns, rounded once: two reads a moment apart give the same second */
	ns = (rt.tv_sec - bt.tv_sec) * 1000000000ll + rt.tv_nsec - bt.tv_nsec + (long long)boot_ns;
	t = (time_t)((ns + 500000000ll) / 1000000000ll);
	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

static void loaded_at(struct ifields *fs, unsigned long long boot_ns)
{
	char buf[64];

	introspect_load_time(boot_ns, buf, sizeof(buf));
	ifields_add(fs, IFIELD_STR, "Loaded At", "%s", buf);
}

static int prog_info(int fd, struct bpf_prog_info *info, uint32_t *map_ids, uint32_t *n_maps)
{
	__u32 len = sizeof(*info), cap = *n_maps;

	/* one call: the kernel fills at most cap ids and says how many there are */
	memset(info, 0, sizeof(*info));
	info->nr_map_ids = cap;
	info->map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		return -errno;
	*n_maps = info->nr_map_ids < cap ? info->nr_map_ids : cap;
	return 0;
}

static void prog_kernel_fields(struct ifields *fs, const struct bpf_prog_info *info,
			       const uint32_t *map_ids, uint32_t n_maps, unsigned long long memlock)
{
	const char *type = libbpf_bpf_prog_type_str((enum bpf_prog_type)info->type);
	char tag[2 * BPF_TAG_SIZE + 1];
	uint32_t i;

	for (i = 0; i < BPF_TAG_SIZE; i++)
		plugfs_snprintf(tag + 2 * i, 3, "%02x", info->tag[i]);
	ifields_add(fs, IFIELD_HEADING, "Kernel State", "%s", "");
	ifields_add(fs, IFIELD_NUM, "ID", "%u", info->id);
	ifields_add(fs, IFIELD_STR, "Name", "%s", info->name[0] ? info->name : "None");
	ifields_add(fs, IFIELD_STR, "Type", "%s", type ? type : "unknown");
	loaded_at(fs, info->load_time);
	ifields_add(fs, IFIELD_STR, "Tag", "%s", tag);
	ifields_add(fs, IFIELD_BOOL, "GPL Compatible", "%s", info->gpl_compatible ? "true" : "false");
	ifields_add(fs, IFIELD_NUM_LIST, "Map IDs", "%s", "");
	for (i = 0; i < n_maps; i++)
		ifields_add_item(fs, IFIELD_NUM_LIST, "Map IDs", "%u", map_ids[i]);
	ifields_add(fs, IFIELD_NUM, "BTF ID", "%u", info->btf_id);
	ifields_add(fs, IFIELD_NUM, "Size Translated (bytes)", "%u", info->xlated_prog_len);
	ifields_add(fs, IFIELD_BOOL, "JITed", "%s", info->jited_prog_len ? "true" : "false");
	ifields_add(fs, IFIELD_NUM, "Size JITed (bytes)", "%u", info->jited_prog_len);
	ifields_add(fs, IFIELD_NUM, "Kernel Allocated Memory (bytes)", "%llu", memlock);
	ifields_add(fs, IFIELD_NUM, "Verified Instruction Count", "%u", info->verified_insns);
	ifields_add(fs, IFIELD_NUM, "Run Count", "%llu", (unsigned long long)info->run_cnt);
	ifields_add(fs, IFIELD_NUM, "Run Time (ns)", "%llu", (unsigned long long)info->run_time_ns);
}

int introspect_prog_fields(uint32_t id, struct ifields *fs)
{
	struct bpf_prog_info info;
	uint32_t map_ids[64], n_maps = 64;
	struct attach_point *ap = NULL;
	size_t n_ap = 0, i;
	int fd, err;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	err = prog_info(fd, &info, map_ids, &n_maps);
	if (!err)
		prog_kernel_fields(fs, &info, map_ids, n_maps, introspect_fdinfo(fd, "memlock"));
	close(fd);
	if (err)
		return err;
	err = attach_points_of(id, &ap, &n_ap);
	if (err)
		return err;
	ifields_add(fs, IFIELD_LIST, "Attached", "%s", "");
	ifields_add(fs, IFIELD_NUM_LIST, "Link IDs", "%s", "");
	for (i = 0; i < n_ap; i++) {
		ifields_add_item(fs, IFIELD_LIST, "Attached", "%s", ap[i].text);
		if (ap[i].link_id)
			ifields_add_item(fs, IFIELD_NUM_LIST, "Link IDs", "%u", ap[i].link_id);
	}
	free(ap);
	return fs->err;
}

/* ---- maps ---- */

unsigned long long introspect_fdinfo(int fd, const char *name)
{
	char path[64], line[256], key[64];
	unsigned long long v = 0, x;
	FILE *f;

	plugfs_snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %llu", key, &x) == 2 && !strcmp(key, name)) {
			v = x;
			break;
		}
	fclose(f);
	return v;
}

static const char *pin_root;
static uint32_t pin_id;
static struct ifields *pin_fields;

static int pin_visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd;

	(void)st;
	(void)ftw;
	if (flag != FTW_F)
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.id == pin_id)
		ifields_add_item(pin_fields, IFIELD_LIST, "Pinned", "%s", path);
	close(fd);
	return 0;
}

/* Pin paths of a map under the bpffs root, as bpftool map show -f finds them. */
static void map_pins(uint32_t id, const char *root, struct ifields *fs)
{
	static pthread_mutex_t walk_lock = PTHREAD_MUTEX_INITIALIZER;

	ifields_add(fs, IFIELD_LIST, "Pinned", "%s", "");
	pthread_mutex_lock(&walk_lock);	/* nftw has no argument for its callback */
	pin_root = root;
	pin_id = id;
	pin_fields = fs;
	nftw(pin_root, pin_visit, 16, FTW_PHYS | FTW_MOUNT);
	pthread_mutex_unlock(&walk_lock);
}

static void map_users(uint32_t id, struct ifields *fs)
{
	uint32_t *ids = NULL, map_ids[64], n_maps, k;
	struct bpf_prog_info info;
	size_t n = 0, i;

	ifields_add(fs, IFIELD_NUM_LIST, "Used By", "%s", "");
	if (introspect_prog_ids(&ids, &n))
		return;
	for (i = 0; i < n; i++) {
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		n_maps = 64;
		if (!prog_info(fd, &info, map_ids, &n_maps))
			for (k = 0; k < n_maps; k++)
				if (map_ids[k] == id) {
					ifields_add_item(fs, IFIELD_NUM_LIST, "Used By", "%u", ids[i]);
					break;
				}
		close(fd);
	}
	free(ids);
}

int introspect_map_fields(uint32_t id, const char *bpffs_root, struct ifields *fs)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	const char *type;
	int fd;

	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	type = libbpf_bpf_map_type_str((enum bpf_map_type)info.type);
	ifields_add(fs, IFIELD_NUM, "ID", "%u", info.id);
	ifields_add(fs, IFIELD_STR, "Type", "%s", type ? type : "unknown");
	ifields_add(fs, IFIELD_STR, "Name", "%s", info.name[0] ? info.name : "None");
	ifields_add(fs, IFIELD_STR, "Flags", "0x%x", info.map_flags);
	ifields_add(fs, IFIELD_NUM, "Key Size (bytes)", "%u", info.key_size);
	ifields_add(fs, IFIELD_NUM, "Value Size (bytes)", "%u", info.value_size);
	ifields_add(fs, IFIELD_NUM, "Max Entries", "%u", info.max_entries);
	ifields_add(fs, IFIELD_NUM, "Memlock (bytes)", "%llu", introspect_fdinfo(fd, "memlock"));
	ifields_add(fs, IFIELD_NUM, "BTF ID", "%u", info.btf_id);
	ifields_add(fs, IFIELD_BOOL, "Frozen", "%s", introspect_fdinfo(fd, "frozen") ? "true" : "false");
	close(fd);
	map_pins(id, bpffs_root ? bpffs_root : "/sys/fs/bpf", fs);
	map_users(id, fs);
	return fs->err;
}

/* ---- JSON ---- */

/* "Size JITed (bytes)" -> "size_jited_bytes" */
static void json_key(const char *key, char *out, size_t size)
{
	size_t n = 0;
	bool gap = false;

	for (; *key && n + 2 < size; key++) {
		if (isalnum((unsigned char)*key)) {
			if (gap && n)
				out[n++] = '_';
			out[n++] = (char)tolower((unsigned char)*key);
			gap = false;
		} else {
			gap = true;
		}
	}
	out[n] = '\0';
}

static void json_list(struct jsonw *w, const char *key, const struct ifield *f)
{
	const char *p = f->val ? f->val : "", *nl;

	jsonw__begin_array(w, key);
	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (f->kind == IFIELD_NUM_LIST)
			jsonw__u64(w, NULL, strtoull(p, NULL, 10));
		else
			jsonw__string_n(w, NULL, p, nl - p);
		p = *nl ? nl + 1 : nl;
	}
	jsonw__end(w);
}

int ifields_json(const struct ifields *fs, struct strbuf *sb)
{
	struct jsonw w;
	bool in_block = false;
	char key[96];
	size_t i;

	if (fs->err)
		return fs->err;
	jsonw__init(&w, sb);
	jsonw__begin_object(&w, NULL);
	for (i = 0; i < fs->n; i++) {
		const struct ifield *f = &fs->f[i];

		json_key(f->key, key, sizeof(key));
		switch (f->kind) {
		case IFIELD_HEADING:
			if (in_block)
				jsonw__end(&w);
			jsonw__begin_object(&w, key);
			in_block = true;
			break;
		case IFIELD_NUM:
			jsonw__u64(&w, key, strtoull(f->val, NULL, 10));
			break;
		case IFIELD_BOOL:
			jsonw__bool(&w, key, !strcmp(f->val, "true"));
			break;
		case IFIELD_LIST:
		case IFIELD_NUM_LIST:
			json_list(&w, key, f);
			break;
		default:
			jsonw__string(&w, key, f->val);
		}
	}
	if (in_block)
		jsonw__end(&w);
	jsonw__end(&w);
	return jsonw__finish(&w);
}

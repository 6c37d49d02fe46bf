/* SPDX-License-Identifier: MIT */
/*
 * State dir and adoption. Per hook, <state>/ifaces/<ifname>/<hook>/ holds
 * per entry <prio>.ini: the hook's fields (ifindex, XDP mode, whether we
 * created the clsact qdisc: the same in every entry, so a first load writes
 * one file), then the entry's options and slot; the objects as written are
 * kept once by digest in <state>/objects/. Verbs append their changes to
 * the state journal (bpf/journal.c), folded into these files when idle.
 * A new engine adopts a hook when its pins are all there and still
 * attached to the same interface index; otherwise the chain was lost
 * (reboot, interface re-created) and it is reloaded from the objects. A
 * hook whose interface is absent stays dormant until it returns.
 */
#include "engine_internal.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>
#include <plugfs/sha256.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int state_hook_dir(const struct engine *e, const char *ifname, enum engine_hook kind,
			  char *buf, size_t size)
{
	if (!e->state_dir[0])
		return -ENOENT;
	if (xsnprintf(buf, size, "%s/ifaces/%s/%s", e->state_dir, ifname, engine_hook_name(kind)) >=
	    (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/* <state>/objects/<sha256>.o: the objects as written, shared by entries. */
static int object_path(const struct engine *e, const char *sha256, char *buf, size_t size)
{
	if (!e->state_dir[0] || strlen(sha256) != 64)
		return -ENOENT;
	if (xsnprintf(buf, size, "%s/objects/%s.o", e->state_dir, sha256) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

static const char *dirname_of(const char *path, char *buf, size_t size)
{
	char *slash;

	xsnprintf(buf, size, "%s", path);
	slash = strrchr(buf, '/');
	if (slash && slash != buf)
		*slash = '\0';
	return buf;
}

/*
 * plugfs_write_file in a directory made on demand: the directories are
 * there on every write but the first (they are kept when a hook empties),
 * so trying first spares a mkdir per file on the path of a load.
 */
int state_write_file(const char *path, const void *data, size_t len)
{
	char dir[PATH_MAX];
	int err = plugfs_write_file(path, data, len);

	if (err != -ENOENT)
		return err;
	err = mkdir_fast(dirname_of(path, dir, sizeof(dir)), 0700);
	return err ? err : plugfs_write_file(path, data, len);
}

/* Objects are stored once by digest: a stored one costs no write. */
static int store_object(const char *path, const void *obj, size_t len)
{
	return access(path, F_OK) ? state_write_file(path, obj, len) : 0;
}

int state_save_hook(struct engine *e, const struct eng_hook *h)
{
	unsigned int i;
	int err = 0;

	/* the hook's fields are in each entry's file */
	for (i = 0; i < h->n; i++)
		err = state_save_entry(e, h, h->ent[i], NULL, 0) ?: err;
	return err;
}

static void add_lines(FILE *f, const char *section, const char *lines)
{
	const char *p = lines, *nl, *eq;

	if (!lines)
		return;
	fprintf(f, "[%s]\n", section);
	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		eq = memchr(p, '=', (size_t)(nl - p));
		if (eq)
			fprintf(f, "%.*s = %.*s\n", (int)(eq - p), p, (int)(nl - eq - 1), eq + 1);
		p = *nl ? nl + 1 : nl;
	}
}

/* Is the object stored (or on its way, in the journal) for another entry? */
static bool object_elsewhere(const struct engine *e, const struct eng_entry *en)
{
	const struct eng_hook *h;
	unsigned int i;

	for (h = e->hooks; h; h = h->next)
		for (i = 0; i < h->n; i++)
			if (h->ent[i] != en && !strcmp(h->ent[i]->sha256, en->sha256))
				return true;
	return false;
}

/* The entry's file and, when given and new, the object: one append. */
static int journal_entry(struct engine *e, const struct eng_hook *h, const struct eng_entry *en,
			 const void *obj, size_t obj_len, const char *text, size_t tlen)
{
	char ohdr[160], ehdr[IF_NAMESIZE + 96];
	struct iovec iov[4];
	int n = 0;

	if (e->journal_fd < 0)
		return -EBADF;
	if (obj && !object_elsewhere(e, en)) {
		xsnprintf(ohdr, sizeof(ohdr), "put %zu objects/%s.o\n", obj_len, en->sha256);
		iov[n++] = (struct iovec){ ohdr, strlen(ohdr) };
		iov[n++] = (struct iovec){ (void *)obj, obj_len };
	}
	xsnprintf(ehdr, sizeof(ehdr), "put %zu ifaces/%s/%s/%u.ini\n", tlen, h->ifname,
		  engine_hook_name(h->kind), en->prio);
	iov[n++] = (struct iovec){ ehdr, strlen(ehdr) };
	iov[n++] = (struct iovec){ (void *)text, tlen };
	return journal_append(e, iov, n);
}

/* A one-line record (del, mv); -errno when the caller must do it itself. */
static int journal_line(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int journal_line(struct engine *e, const char *fmt, ...)
{
	char line[2 * PATH_MAX];
	struct iovec iov;
	va_list ap;
	int n;

	if (e->journal_fd < 0)
		return -EBADF;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(line))
		return -ENAMETOOLONG;
	iov = (struct iovec){ line, (size_t)n };
	return journal_append(e, &iov, 1);
}

int state_save_entry(struct engine *e, const struct eng_hook *h, const struct eng_entry *en,
		     const void *obj, size_t obj_len)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], po[256];
	char *text = NULL;
	size_t tlen = 0;
	FILE *f;
	int err = 0;

	if (state_hook_dir(e, h->ifname, h->kind, dir, sizeof(dir)))
		return 0;
	f = open_memstream(&text, &tlen);
	if (!f) {
		err = -errno;
		goto out;
	}
	engine_format_proceed_on(h->kind, en->proceed_mask, po, sizeof(po));
	fprintf(f, "[hook]\nifindex = %d\nmode = %s\nqdisc_created = %d\n", h->ifindex, h->mode,
		h->qdisc_created);
	fprintf(f, "[entry]\nslot = %u\nprog_id = %u\nprog_name = %s\nproceed_on = %s\n"
		   "object_path = %s\nsha256 = %s\nobj_size = %zu\nmap_pin_path = %s\n"
		   "map_owner_id = %u\nmode = %s\n",
		en->slot, en->prog_id, en->prog_name, strcmp(po, "none") ? po : "",
		en->object_path, en->sha256, en->obj_size, en->map_pin_path, en->map_owner_id,
		en->mode);
	add_lines(f, "global", en->globals);
	add_lines(f, "metadata", en->metadata);
	fclose(f);
	if (!journal_entry(e, h, en, obj, obj_len, text, tlen)) {
		free(text);
		return 0;
	}
	err = object_path(e, en->sha256, path, sizeof(path));
	if (!err && obj)
		err = store_object(path, obj, obj_len);
	xsnprintf(path, sizeof(path), "%s/%u.ini", dir, en->prio);
	if (!err)
		err = state_write_file(path, text, tlen);
	free(text);
out:
	if (err)
		pr_warn("%s/%s/%u: cannot save state in %s: %s", h->ifname,
			engine_hook_name(h->kind), en->prio, dir, strerror(-err));
	return err;
}

void state_remove_entry(struct engine *e, const struct eng_hook *h, unsigned int prio)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];

	if (state_hook_dir(e, h->ifname, h->kind, dir, sizeof(dir)))
		return;
	if (!journal_line(e, "del ifaces/%s/%s/%u.ini\n", h->ifname, engine_hook_name(h->kind),
			  prio))
		return;
	xsnprintf(path, sizeof(path), "%s/%u.ini", dir, prio);
	unlink(path);
}

void state_drop_object(struct engine *e, const char *sha256)
{
	char path[PATH_MAX];

	if (strlen(sha256) == 64 && !journal_line(e, "del objects/%s.o\n", sha256))
		return;
	if (!object_path(e, sha256, path, sizeof(path)))
		unlink(path);
}

int state_rename_entry(struct engine *e, const struct eng_hook *h, unsigned int from,
		       unsigned int to)
{
	char dir[PATH_MAX], a[PATH_MAX + 16], b[PATH_MAX + 16];

	if (state_hook_dir(e, h->ifname, h->kind, dir, sizeof(dir)))
		return 0;
	if (!journal_line(e, "mv ifaces/%s/%s/%u.ini ifaces/%s/%s/%u.ini\n", h->ifname,
			  engine_hook_name(h->kind), from, h->ifname, engine_hook_name(h->kind),
			  to))
		return 0;
	xsnprintf(a, sizeof(a), "%s/%u.ini", dir, from);
	xsnprintf(b, sizeof(b), "%s/%u.ini", dir, to);
	return rename(a, b) ? -errno : 0;
}

/* ---- reading ---- */

struct saved_hook {
	int ifindex;
	char mode[8];
	int qdisc_created;
};

struct saved_entry {
	bool has_hook;
	struct saved_hook hook;
	unsigned int prio;
	unsigned int slot;
	uint32_t prog_id;
	uint32_t map_owner_id;
	char prog_name[128];
	char proceed_on[256];
	char object_path[PATH_MAX];
	char map_pin_path[PATH_MAX];
	char sha256[65];
	size_t obj_size;
	char mode[8];
	struct engine_kv globals[32];
	size_t n_globals;
	struct engine_kv metadata[32];
	size_t n_metadata;
};

static void saved_free(struct saved_entry *s)
{
	size_t i;

	for (i = 0; i < s->n_globals; i++) {
		free((char *)s->globals[i].key);
		free((char *)s->globals[i].value);
	}
	for (i = 0; i < s->n_metadata; i++) {
		free((char *)s->metadata[i].key);
		free((char *)s->metadata[i].value);
	}
}

static int kv_add(struct engine_kv *kv, size_t *n, const char *k, const char *v)
{
	if (*n >= 32)
		return 0;
	kv[*n].key = strdup(k);
	kv[*n].value = strdup(v);
	if (!kv[*n].key || !kv[*n].value)
		return 0;
	(*n)++;
	return 1;
}

static int entry_ini(void *user, const char *sec, const char *k, const char *v)
{
	struct saved_entry *s = user;

	if (!strcmp(sec, "hook")) {
		s->has_hook = true;
		if (!strcmp(k, "ifindex"))
			s->hook.ifindex = atoi(v);
		else if (!strcmp(k, "mode"))
			xsnprintf(s->hook.mode, sizeof(s->hook.mode), "%s", v);
		else if (!strcmp(k, "qdisc_created"))
			s->hook.qdisc_created = atoi(v);
		return 1;
	}
	if (!strcmp(sec, "global"))
		return kv_add(s->globals, &s->n_globals, k, v);
	if (!strcmp(sec, "metadata"))
		return kv_add(s->metadata, &s->n_metadata, k, v);
	if (strcmp(sec, "entry"))
		return 1;
	if (!strcmp(k, "slot"))
		s->slot = (unsigned int)strtoul(v, NULL, 10);
	else if (!strcmp(k, "prog_id"))
		s->prog_id = (uint32_t)strtoul(v, NULL, 10);
	else if (!strcmp(k, "map_owner_id"))
		s->map_owner_id = (uint32_t)strtoul(v, NULL, 10);
	else if (!strcmp(k, "prog_name"))
		xsnprintf(s->prog_name, sizeof(s->prog_name), "%s", v);
	else if (!strcmp(k, "proceed_on"))
		xsnprintf(s->proceed_on, sizeof(s->proceed_on), "%s", v);
	else if (!strcmp(k, "object_path"))
		xsnprintf(s->object_path, sizeof(s->object_path), "%s", v);
	else if (!strcmp(k, "map_pin_path"))
		xsnprintf(s->map_pin_path, sizeof(s->map_pin_path), "%s", v);
	else if (!strcmp(k, "mode"))
		xsnprintf(s->mode, sizeof(s->mode), "%s", v);
	else if (!strcmp(k, "sha256"))
		xsnprintf(s->sha256, sizeof(s->sha256), "%s", v);
	else if (!strcmp(k, "obj_size"))
		s->obj_size = (size_t)strtoull(v, NULL, 10);
	return 1;
}


static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* Priorities with a saved entry, sorted; returns the count. */
static int saved_prios(const char *dir, unsigned int *prios, int max)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	if (!dp)
		return 0;
	while ((d = readdir(dp)) && n < max) {
		unsigned int p;
		char *end;

		p = (unsigned int)strtoul(d->d_name, &end, 10);
		if (end != d->d_name && !strcmp(end, ".ini") && p >= ENGINE_PRIO_MIN &&
		    p <= ENGINE_PRIO_MAX)
			prios[n++] = p;
	}
	closedir(dp);
	qsort(prios, (size_t)n, sizeof(*prios), cmp_uint);
	return n;
}

static void unpin_hook_leftovers(const struct engine *e, const char *ifname, enum engine_hook kind)
{
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *d;
	DIR *dp;

	xsnprintf(dir, sizeof(dir), "%s/%s/%s", e->bpffs_dir, ifname, engine_hook_name(kind));
	dp = opendir(dir);
	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		xsnprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		unlink(path);
	}
	closedir(dp);
	rmdir(dir);
	xsnprintf(dir, sizeof(dir), "%s/%s", e->bpffs_dir, ifname);
	rmdir(dir);
}

static bool object_intact(const void *obj, size_t len, const char *sha256)
{
	char got[65];

	plugfs_sha256_hex(obj, len, got);
	return !strcmp(got, sha256);
}

void state_restore_hook(struct engine *e, const char *ifname, enum engine_hook kind)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	unsigned int prios[ENGINE_CHAIN_HARD_MAX * 2];
	int n, i, err;

	if (state_hook_dir(e, ifname, kind, dir, sizeof(dir)))
		return;
	/* the files must say all the journal holds */
	journal_fold(e);
	unpin_hook_leftovers(e, ifname, kind);
	n = saved_prios(dir, prios, (int)(sizeof(prios) / sizeof(prios[0])));
	for (i = 0; i < n; i++) {
		struct saved_entry *s = calloc(1, sizeof(*s));
		struct engine_load_opts o = { .sz = sizeof(o) };
		size_t len = 0;
		void *obj;

		if (!s)
			return;
		xsnprintf(path, sizeof(path), "%s/%u.ini", dir, prios[i]);
		ini_parse(path, entry_ini, s);
		if (object_path(e, s->sha256, path, sizeof(path)) || plugfs_read_file(path, &obj, &len))
			obj = NULL;
		if (obj && !object_intact(obj, len, s->sha256)) {
			pr_warn("%s/%s/%u: stored object %s is damaged: removed", ifname,
				engine_hook_name(kind), prios[i], path);
			unlink(path);
			free(obj);
			obj = NULL;
		}
		o.object_path = s->object_path;
		o.prog_name = s->prog_name[0] ? s->prog_name : NULL;
		o.proceed_on = s->proceed_on;
		o.globals = s->globals;
		o.n_globals = s->n_globals;
		o.metadata = s->metadata;
		o.n_metadata = s->n_metadata;
		o.mode = kind == ENGINE_HOOK_XDP && s->mode[0] ? s->mode : NULL;
		err = obj ? engine_do_load(e, ifname, kind, prios[i], obj, len, &o, s->map_pin_path)
			  : -ENOENT;
		if (err)
			pr_warn("%s/%s/%u: cannot restore the entry from %s: %s", ifname,
				engine_hook_name(kind), prios[i], dir, strerror(-err));
		free(obj);
		saved_free(s);
		free(s);
	}
}

static int get_pin(const struct engine *e, const struct eng_hook *h, const char *leaf)
{
	char path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/%s/%s/%s", e->bpffs_dir, h->ifname,
		 engine_hook_name(h->kind), leaf);
	return bpf_obj_get(path);
}

static uint32_t fd_prog_id(int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
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



/* The attached program's id: the XDP link's, or our tc filter's. */
static uint32_t attached_prog_id(const struct eng_hook *h)
{
	if (h->kind == ENGINE_HOOK_XDP) {
		struct bpf_link_info li = { 0 };
		__u32 len = sizeof(li);

		return h->link_fd >= 0 && !bpf_obj_get_info_by_fd(h->link_fd, &li, &len) ?
			       li.prog_id : 0;
	} else {
		LIBBPF_OPTS(bpf_tc_hook, th, .ifindex = h->ifindex);
		LIBBPF_OPTS(bpf_tc_opts, to, .handle = PLUGFS_TC_HANDLE,
			    .priority = PLUGFS_TC_PRIO);

		th.attach_point = h->kind == ENGINE_HOOK_TC_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS;
		return bpf_tc_query(&th, &to) ? 0 : to.prog_id;
	}
}

/* Are the pinned root and its attachment still in place on this interface? */
static bool hook_attached(struct eng_hook *h)
{
	struct bpf_link_info li = { 0 };
	__u32 len = sizeof(li);

	if (h->kind != ENGINE_HOOK_XDP)
		return attached_prog_id(h) && attached_prog_id(h) == fd_prog_id(h->root_fd);
	return h->link_fd >= 0 && !bpf_obj_get_info_by_fd(h->link_fd, &li, &len) &&
	       (int)li.xdp.ifindex == h->ifindex;
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

	xsnprintf(path, sizeof(path), "%s/%s/%s/root", e->bpffs_dir, h->ifname,
		 engine_hook_name(h->kind));
	xsnprintf(tmp, sizeof(tmp), "%s_new", path);
	if (fd >= 0) {
		if (fd_prog_id(fd) && fd_prog_id(fd) == attached_prog_id(h) && !rename(tmp, path)) {
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
	char path[PATH_MAX + 16];
	int i;

	for (i = 0; i < n; i++) {
		struct saved_entry *s = calloc(1, sizeof(*s));
		bool got;

		if (!s)
			return false;
		xsnprintf(path, sizeof(path), "%s/%u.ini", dir, prios[i]);
		ini_parse(path, entry_ini, s);
		got = s->has_hook;
		if (got)
			*sh = s->hook;
		saved_free(s);
		free(s);
		if (got)
			return true;
	}
	return false;
}

static void adopt_hook(struct engine *e, const char *ifname, enum engine_hook kind)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	unsigned int prios[ENGINE_CHAIN_HARD_MAX];
	struct saved_hook sh = { 0 };
	struct eng_hook *h;
	int cur, n, i;
	bool ok = true;

	if (state_hook_dir(e, ifname, kind, dir, sizeof(dir)))
		return;
	n = saved_prios(dir, prios, ENGINE_CHAIN_HARD_MAX);
	if (!n || !saved_hook_of(dir, prios, n, &sh))
		return;
	h = calloc(1, sizeof(*h));
	if (!h)
		return;
	xsnprintf(h->ifname, sizeof(h->ifname), "%s", ifname);
	h->kind = kind;
	h->ifindex = sh.ifindex;
	h->qdisc_created = sh.qdisc_created;
	xsnprintf(h->mode, sizeof(h->mode), "%s", sh.mode[0] ? sh.mode : "native");
	h->serial = ++e->hook_serial;
	h->stub_fd = -1;
	h->map_fd = get_pin(e, h, "chain");
	h->root_fd = get_pin(e, h, "root");
	h->link_fd = kind == ENGINE_HOOK_XDP ? get_pin(e, h, "link") : -1;
	adopt_root(e, h);
	for (i = 0; i < n; i++) {
		struct saved_entry *s = calloc(1, sizeof(*s));
		struct eng_entry *en = calloc(1, sizeof(*en));
		char pin[PATH_MAX];

		if (!s || !en) {
			free(s);
			free(en);
			ok = false;
			break;
		}
		xsnprintf(path, sizeof(path), "%s/%u.ini", dir, prios[i]);
		ini_parse(path, entry_ini, s);
		en->prio = prios[i];
		en->slot = s->slot;
		entry_pin_path(e, h, prios[i], pin, sizeof(pin));
		en->prog_fd = bpf_obj_get(pin);
		en->prog_id = en->prog_fd >= 0 ? fd_prog_id(en->prog_fd) : 0;
		if (engine_parse_proceed_on(kind, s->proceed_on, &en->proceed_mask))
			en->proceed_mask = e->default_mask[kind];
		xsnprintf(en->prog_name, sizeof(en->prog_name), "%s", s->prog_name);
		xsnprintf(en->object_path, sizeof(en->object_path), "%s", s->object_path);
		xsnprintf(en->map_pin_path, sizeof(en->map_pin_path), "%s", s->map_pin_path);
		xsnprintf(en->mode, sizeof(en->mode), "%s", s->mode);
		en->map_owner_id = s->map_owner_id;
		en->globals = kv_lines(s->globals, s->n_globals);
		en->metadata = kv_lines(s->metadata, s->n_metadata);
		xsnprintf(en->sha256, sizeof(en->sha256), "%s", s->sha256);
		en->obj_size = s->obj_size;
		if (en->prog_fd < 0 || en->prog_id != s->prog_id)
			ok = false;
		h->ent[h->n++] = en;
		saved_free(s);
		free(s);
	}
	h->next = e->hooks;
	e->hooks = h;
	cur = engine_ifindex(e, ifname);
	if (!cur) {
		h->root_indirect = false;	/* restored on the cold path if it returns */
		pr_info("%s/%s: interface absent: its %u entries wait in %s", ifname,
			engine_hook_name(kind), h->n, dir);
		return;
	}
	if (ok && h->n && cur == h->ifindex && h->map_fd >= 0 && h->root_fd >= 0 &&
	    hook_attached(h) && chain_consistent(h)) {
		pr_info("%s/%s: adopted %u programs", ifname, engine_hook_name(kind), h->n);
		return;
	}
	/* the chain was lost: rebuild it from the objects */
	pr_info("%s/%s: chain lost or inconsistent (pins, attachment or links): restoring %u programs from %s",
		ifname, engine_hook_name(kind), h->n, dir);
	e->hooks = h->next;
	if (h->kind == ENGINE_HOOK_XDP && h->link_fd >= 0) {
		bpf_link_detach(h->link_fd);
	} else if (h->kind != ENGINE_HOOK_XDP && cur == h->ifindex) {
		/* our filter (handle/priority of plugfs) would block the new root */
		LIBBPF_OPTS(bpf_tc_hook, th, .ifindex = h->ifindex);
		LIBBPF_OPTS(bpf_tc_opts, to, .handle = PLUGFS_TC_HANDLE,
			    .priority = PLUGFS_TC_PRIO);

		th.attach_point = h->kind == ENGINE_HOOK_TC_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS;
		bpf_tc_detach(&th, &to);
	}
	for (i = 0; i < (int)h->n; i++)
		entry_free(h->ent[i]);
	if (h->link_fd >= 0)
		close(h->link_fd);
	if (h->root_fd >= 0)
		close(h->root_fd);
	if (h->map_fd >= 0)
		close(h->map_fd);
	free(h);
	state_restore_hook(e, ifname, kind);
}

int state_adopt(struct engine *e)
{
	char dir[PATH_MAX];
	struct dirent *d;
	DIR *dp;
	int k;

	if (!e->state_dir[0])
		return 0;
	/* what a daemon that died had not folded yet */
	journal_fold(e);
	xsnprintf(dir, sizeof(dir), "%s/ifaces", e->state_dir);
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

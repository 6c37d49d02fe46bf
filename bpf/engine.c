/* SPDX-License-Identifier: MIT */
/*
 * Engine verbs: create / replace / remove / move entries of a hook's chain.
 * Chain-map updates are ordered so that a packet always meets a complete
 * chain: a new program is linked to its successor before its predecessor
 * points at it; a removed one is bypassed before it goes.
 */
#include "engine_internal.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>
#include <plugfs/sha256.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double engine_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static const char *const hook_names[ENGINE_HOOK__COUNT] = { "xdp", "tc-ingress", "tc-egress" };

const char *engine_hook_name(enum engine_hook hook)
{
	return (unsigned int)hook < ENGINE_HOOK__COUNT ? hook_names[hook] : NULL;
}

struct verdict {
	const char *name;
	int code;
};

/* The seed's names and codes, in the seed's order. */
static const struct verdict xdp_verdicts[] = {
	{ "aborted", 0 }, { "drop", 1 }, { "pass", 2 }, { "tx", 3 }, { "redirect", 4 },
	{ "dispatcher_return", 31 }, { NULL, 0 },
};
static const struct verdict tc_verdicts[] = {
	{ "unspec", -1 }, { "ok", 0 }, { "reclassify", 1 }, { "shot", 2 }, { "pipe", 3 },
	{ "stolen", 4 }, { "queued", 5 }, { "repeat", 6 }, { "redirect", 7 }, { "trap", 8 },
	{ "dispatcher_return", 30 }, { NULL, 0 },
};

static const struct verdict *verdicts(enum engine_hook hook)
{
	return hook == ENGINE_HOOK_XDP ? xdp_verdicts : tc_verdicts;
}

/* Bit of a verdict in the mask the epilogue tests (tc is offset by one). */
static unsigned int verdict_bit(enum engine_hook hook, int code)
{
	return (unsigned int)(hook == ENGINE_HOOK_XDP ? code : code + 1);
}

int engine_parse_proceed_on(enum engine_hook hook, const char *text, uint32_t *mask)
{
	const struct verdict *v;
	char word[64];
	uint32_t m = 0;
	const char *p = text;
	size_t n;

	if ((unsigned int)hook >= ENGINE_HOOK__COUNT || !text)
		return -EINVAL;
	for (;;) {
		while (*p && (isspace((unsigned char)*p) || *p == ','))
			p++;
		if (!*p)
			break;
		n = strcspn(p, ", \t\n");
		if (n >= sizeof(word)) {
			pr_warn("proceed_on: word too long: %.20s...", p);
			return -EINVAL;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		for (v = verdicts(hook); v->name; v++)
			if (!strcasecmp(v->name, word))
				break;
		if (!v->name) {
			pr_warn("proceed_on: '%s' is not a %s verdict (one of: %s)", word,
				hook == ENGINE_HOOK_XDP ? "xdp" : "tc",
				hook == ENGINE_HOOK_XDP
					? "aborted drop pass tx redirect dispatcher_return"
					: "unspec ok reclassify shot pipe stolen queued repeat redirect trap dispatcher_return");
			return -EINVAL;
		}
		m |= 1u << verdict_bit(hook, v->code);
	}
	*mask = m;
	return 0;
}

void engine_format_proceed_on(enum engine_hook hook, uint32_t mask, char *buf, size_t size)
{
	const struct verdict *v;
	size_t used = 0;

	if (!size)
		return;
	buf[0] = '\0';
	for (v = verdicts(hook); v->name; v++) {
		if (!(mask & (1u << verdict_bit(hook, v->code))))
			continue;
		if (used < size)
			used += (size_t)xsnprintf(buf + used, size - used, "%s%s", used ? ", " : "",
						 v->name);
	}
	if (!used)
		xsnprintf(buf, size, "none");
}

int engine_parse_prio(const char *name, unsigned int *prio)
{
	unsigned long v = 0;
	const char *p;

	if (!name || !*name || *name == '0' || strlen(name) > 4)
		return -EINVAL;
	for (p = name; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < ENGINE_PRIO_MIN || v > ENGINE_PRIO_MAX)
		return -EINVAL;
	*prio = (unsigned int)v;
	return 0;
}

int xsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int mkdir_fast(const char *dir, unsigned int mode)
{
	char tmp[PATH_MAX], *cut[16];
	int n = 0;

	/* the directory usually exists or only its last parts are missing:
	 * one mkdir per missing part, not one per component (each is a
	 * path walk, and syscalls are dear in VMs) */
	if (!mkdir(dir, mode) || errno == EEXIST)
		return 0;
	if (errno != ENOENT || xsnprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return errno == ENOENT ? -ENAMETOOLONG : -errno;
	for (;;) {
		char *slash = strrchr(tmp, '/');

		if (!slash || slash == tmp || n == 16)
			return plugfs_mkdir_p(dir, mode);
		*slash = '\0';
		cut[n++] = slash;
		if (!mkdir(tmp, mode) || errno == EEXIST)
			break;
		if (errno != ENOENT)
			return -errno;
	}
	while (n--) {
		*cut[n] = '/';
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
	}
	return 0;
}

int errno_from_libbpf(int err)
{
	if (err >= 0)
		return err;
	if (-err >= 4000)	/* libbpf's own codes: a bad object */
		return -EINVAL;
	if (err == -EACCES)	/* the verifier refused it */
		return -EINVAL;
	return err;
}

void entry_free(struct eng_entry *en)
{
	if (!en)
		return;
	if (en->prog_fd >= 0)
		close(en->prog_fd);
	free(en->globals);
	free(en->metadata);
	free(en);
}

struct engine *engine__new(const struct engine_opts *opts)
{
	struct engine *e;
	const char *s;
	int err;

	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	pthread_mutex_init(&e->lock, NULL);
	e->journal_fd = -1;
	/* in the daemon's network namespace, as if_nametoindex would be */
	e->ioctl_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* one verifier log for the loads (serialised by lock): a fresh MiB per
	 * load is an mmap and munmap on the path; pages are touched on demand */
	e->log_buf = malloc(LOAD_LOG_SIZE);
	xsnprintf(e->bpffs_dir, sizeof(e->bpffs_dir), "%s",
		 opts && opts->bpffs_dir ? opts->bpffs_dir : "/sys/fs/bpf/plugfs");
	xsnprintf(e->state_dir, sizeof(e->state_dir), "%s",
		 opts && opts->state_dir ? opts->state_dir : "");
	e->max_chain = opts && opts->max_chain ? opts->max_chain : 10;
	if (e->max_chain > ENGINE_CHAIN_HARD_MAX)
		e->max_chain = ENGINE_CHAIN_HARD_MAX;
	e->max_object_size = opts && opts->max_object_size ? opts->max_object_size : 1u << 20;
	s = opts && opts->xdp_mode ? opts->xdp_mode : "native";
	xsnprintf(e->xdp_mode, sizeof(e->xdp_mode), "%s", strcmp(s, "skb") ? "native" : "skb");
	s = opts && opts->xdp_proceed_on ? opts->xdp_proceed_on : "pass, dispatcher_return";
	err = engine_parse_proceed_on(ENGINE_HOOK_XDP, s, &e->default_mask[ENGINE_HOOK_XDP]);
	s = opts && opts->tc_proceed_on ? opts->tc_proceed_on : "ok, pipe, dispatcher_return";
	if (!err)
		err = engine_parse_proceed_on(ENGINE_HOOK_TC_INGRESS, s,
					      &e->default_mask[ENGINE_HOOK_TC_INGRESS]);
	e->default_mask[ENGINE_HOOK_TC_EGRESS] = e->default_mask[ENGINE_HOOK_TC_INGRESS];
	if (err) {
		pr_warn("bpf: bad default proceed_on in the configuration");
		engine__free(e);
		errno = -err;
		return NULL;
	}
	/* the bpffs dir is created by the first load: a daemon that loads
	 * nothing leaves nothing in bpffs */
	load_prepare_roots();
	state_adopt(e);
	/* after the adoption: lost chains are reloaded on the cold path */
	e->bg_idle_us = 1e3 * (opts && opts->sz >= offsetof(struct engine_opts, idle_ms) +
					     sizeof(opts->idle_ms) && opts->idle_ms ?
				       opts->idle_ms : 2);
	spare_start(e, !(opts && opts->no_spares));
	/* the journal needs the thread that folds it */
	if (e->spare_running)
		journal_open(e);
	return e;
}

static void hook_free(struct eng_hook *h)
{
	unsigned int i;

	for (i = 0; i < h->n; i++)
		entry_free(h->ent[i]);
	if (h->link_fd >= 0)
		close(h->link_fd);
	if (h->root_fd >= 0)
		close(h->root_fd);
	if (h->map_fd >= 0)
		close(h->map_fd);
	if (h->stub_fd >= 0)
		close(h->stub_fd);
	free(h);
}

void engine__free(struct engine *e)
{
	struct eng_hook *h, *n;

	if (!e)
		return;
	spare_stop(e);
	journal_fold(e);
	journal_close(e);
	for (h = e->hooks; h; h = n) {
		n = h->next;
		hook_free(h);
	}
	pthread_mutex_destroy(&e->lock);
	if (e->ioctl_fd >= 0)
		close(e->ioctl_fd);
	free(e->log_buf);
	free(e);
}

int engine_ifindex(struct engine *e, const char *ifname)
{
	struct ifreq ifr = { 0 };

	/* if_nametoindex opens and closes a socket per call: three syscalls
	 * on the path of every load instead of one */
	if (e->ioctl_fd < 0 || strlen(ifname) >= sizeof(ifr.ifr_name))
		return (int)if_nametoindex(ifname);
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	return ioctl(e->ioctl_fd, SIOCGIFINDEX, &ifr) ? 0 : ifr.ifr_ifindex;
}

static struct eng_hook *hook_find(struct engine *e, const char *ifname, enum engine_hook kind)
{
	struct eng_hook *h;

	for (h = e->hooks; h; h = h->next)
		if (h->kind == kind && !strcmp(h->ifname, ifname))
			return h;
	return NULL;
}

static void hook_unlink(struct engine *e, struct eng_hook *h)
{
	struct eng_hook **pp;

	for (pp = &e->hooks; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			return;
		}
	}
}

static int entry_pos(const struct eng_hook *h, unsigned int prio)
{
	unsigned int i;

	for (i = 0; h && i < h->n; i++)
		if (h->ent[i]->prio == prio)
			return (int)i;
	return -1;
}

static unsigned int insert_pos(const struct eng_hook *h, unsigned int prio)
{
	unsigned int i;

	for (i = 0; i < h->n && h->ent[i]->prio < prio; i++)
		;
	return i;
}

static unsigned int alloc_slot(const struct eng_hook *h)
{
	unsigned int s, i;

	for (s = 1; s < CHAIN_MAP_ENTRIES; s++) {
		for (i = 0; i < h->n && h->ent[i]->slot != s; i++)
			;
		if (i == h->n)
			return s;
	}
	return 0;
}

static const struct eng_entry *entry_by_id(const struct engine *e, uint32_t id)
{
	const struct eng_hook *h;
	unsigned int i;

	for (h = e->hooks; h; h = h->next)
		for (i = 0; i < h->n; i++)
			if (h->ent[i]->prog_id == id)
				return h->ent[i];
	return NULL;
}

static bool object_used(const struct engine *e, const char *sha256)
{
	const struct eng_hook *h;
	unsigned int i;

	for (h = e->hooks; h; h = h->next)
		for (i = 0; i < h->n; i++)
			if (!strcmp(h->ent[i]->sha256, sha256))
				return true;
	return false;
}

/* The sharers of a replaced owner name its new program. */
static void follow_owner(struct engine *e, uint32_t old_id, uint32_t new_id)
{
	struct eng_hook *h;
	unsigned int i;

	for (h = e->hooks; h; h = h->next)
		for (i = 0; i < h->n; i++)
			if (h->ent[i]->map_owner_id == old_id) {
				h->ent[i]->map_owner_id = new_id;
				state_save_entry(e, h, h->ent[i], NULL, 0);
			}
}

static bool map_dir_used(const struct engine *e, const char *dir, const struct eng_entry *except)
{
	const struct eng_hook *h;
	unsigned int i;

	for (h = e->hooks; h; h = h->next)
		for (i = 0; i < h->n; i++)
			if (h->ent[i] != except && !strcmp(h->ent[i]->map_pin_path, dir))
				return true;
	return false;
}

char *kv_lines(const struct engine_kv *kv, size_t n)
{
	size_t len = 1, i, used = 0;
	char *s;

	if (!n)
		return NULL;
	for (i = 0; i < n; i++)
		len += strlen(kv[i].key) + strlen(kv[i].value) + 2;
	s = malloc(len);
	if (!s)
		return NULL;
	for (i = 0; i < n; i++)
		used += (size_t)xsnprintf(s + used, len - used, "%s=%s\n", kv[i].key, kv[i].value);
	return s;
}

/*
 * The interface behind a hook may have gone (entries hidden, state kept) or
 * been re-created with a new index (the chain was lost with it: rebuilt
 * from the state dir). Returns -ENOENT while the interface is absent, else
 * 0 and its index in *ifindex (when not NULL).
 */
static int hook_revalidate(struct engine *e, struct eng_hook **hp, const char *ifname,
			   enum engine_hook kind, int *ifindex)
{
	struct eng_hook *h = *hp;
	int idx = engine_ifindex(e, ifname);

	if (!idx)
		return -ENOENT;
	if (ifindex)
		*ifindex = idx;
	if (!h || h->ifindex == idx)
		return 0;
	pr_info("%s/%s: interface re-created (index %d, was %d): restoring its chain",
		ifname, engine_hook_name(kind), idx, h->ifindex);
	hook_unlink(e, h);
	chain_hook_destroy(e, h);
	hook_free(h);
	*hp = NULL;
	state_restore_hook(e, ifname, kind);
	*hp = hook_find(e, ifname, kind);
	return 0;
}

int engine_do_load(struct engine *e, const char *ifname, enum engine_hook kind, unsigned int prio,
		   const void *obj, size_t obj_len, const struct engine_load_opts *o,
		   const char *force_map_dir)
{
	struct eng_hook *h = hook_find(e, ifname, kind);
	struct eng_entry *en = NULL, *old = NULL;
	struct load_res res = { .prog_fd = -1 };
	struct load_req rq = { 0 };
	char what[IF_NAMESIZE + 32], pin[PATH_MAX], tmp[PATH_MAX + 8], map_dir[PATH_MAX];
	char old_sha[65] = "";
	double t[4];
	bool new_hook = false, fresh_maps = false, spare = false;
	const char *mode;
	uint32_t mask;
	int err, pos, idx;

	xsnprintf(what, sizeof(what), "%s/%s/%u", ifname, engine_hook_name(kind), prio);
	err = hook_revalidate(e, &h, ifname, kind, &idx);
	if (err) {
		pr_warn("%s: no such interface", what);
		return err;
	}
	if (o && o->proceed_on) {
		err = engine_parse_proceed_on(kind, o->proceed_on, &mask);
		if (err) {
			pr_warn("%s: bad proceed_on '%s'", what, o->proceed_on);
			return err;
		}
	} else {
		mask = e->default_mask[kind];
	}
	mode = o && o->mode ? o->mode : (h ? h->mode : e->xdp_mode);
	if (kind != ENGINE_HOOK_XDP && o && o->mode) {
		pr_warn("%s: mode applies to xdp only", what);
		return -EINVAL;
	}
	if (strcmp(mode, "native") && strcmp(mode, "skb")) {
		pr_warn("%s: mode '%s' is not native or skb", what, mode);
		return -EINVAL;
	}
	if (h && kind == ENGINE_HOOK_XDP && strcmp(mode, h->mode)) {
		pr_warn("%s: the chain is attached in %s mode; mode %s needs an empty chain", what,
			h->mode, mode);
		return -EINVAL;
	}
	pos = entry_pos(h, prio);
	old = pos >= 0 ? h->ent[pos] : NULL;
	if (!old && h && h->n >= e->max_chain) {
		pr_warn("%s: the chain is full (%u programs, limit %u)", what, h->n, e->max_chain);
		return -ENOSPC;
	}
	if (obj_len > e->max_object_size) {
		pr_warn("%s: object of %zu bytes is over the limit of %zu", what, obj_len,
			e->max_object_size);
		return -EFBIG;
	}
	map_dir[0] = '\0';
	if (force_map_dir && *force_map_dir) {
		xsnprintf(map_dir, sizeof(map_dir), "%s", force_map_dir);
	} else if (o && o->map_owner_id) {
		const struct eng_entry *own = entry_by_id(e, o->map_owner_id);

		if (!own) {
			pr_warn("%s: map_owner: no program with id %u is loaded by plugfs", what,
				o->map_owner_id);
			return -ENOENT;
		}
		if (!own->map_pin_path[0]) {
			pr_warn("%s: map_owner: program %u has no maps to share", what,
				o->map_owner_id);
			return -EINVAL;
		}
		xsnprintf(map_dir, sizeof(map_dir), "%s", own->map_pin_path);
	} else if (old && old->map_pin_path[0]) {
		/* a replacement keeps the maps (state) of the program it replaces */
		xsnprintf(map_dir, sizeof(map_dir), "%s", old->map_pin_path);
	}
	if (!h) {
		/* a foreign XDP program is found by the attach (which refuses to
		 * replace it): asking first costs a netlink round trip per load */
		h = calloc(1, sizeof(*h));
		if (!h)
			return -ENOMEM;
		xsnprintf(h->ifname, sizeof(h->ifname), "%s", ifname);
		h->ifindex = idx;
		h->kind = kind;
		h->map_fd = h->root_fd = h->link_fd = h->stub_fd = -1;
		h->serial = ++e->hook_serial;
		xsnprintf(h->mode, sizeof(h->mode), "%s", mode);
		{
			struct eng_spare s;

			spare = spare_take(e, kind, &s);
			if (spare) {
				h->map_fd = s.map_fd;
				h->root_fd = s.root_fd;
				h->stub_fd = s.stub_fd;
				xsnprintf(h->spare_dir, sizeof(h->spare_dir), "%s", s.dir);
			}
		}
		err = spare ? 0 : chain_hook_create(e, h);
		if (err) {
			free(h);
			return err;
		}
		h->root_indirect = spare;
		e->bg_wanted |= spare;
		new_hook = true;
	}
	rq.obj = obj;
	rq.obj_len = obj_len;
	rq.hook = kind;
	rq.what = what;
	rq.prog_name = o ? o->prog_name : NULL;
	rq.globals = o ? o->globals : NULL;
	rq.n_globals = o ? o->n_globals : 0;
	rq.chain_map_fd = h->map_fd;
	rq.slot = old ? old->slot : alloc_slot(h);
	rq.mask = mask;
	rq.map_dir = map_dir[0] ? map_dir : NULL;
	rq.bpffs_dir = e->bpffs_dir;
	rq.spare = spare;
	rq.log_buf = e->log_buf;
	t[0] = engine_now_us();
	err = load_user_prog(&rq, &res);
	if (err && res.spare_refused) {
		pr_info("%s: the spare chain map does not fit the program (JIT switched?): "
			"loading without it", what);
		close(h->root_fd);
		close(h->map_fd);
		close(h->stub_fd);
		h->root_fd = h->map_fd = h->stub_fd = -1;
		if (h->spare_dir[0])
			spare_unpin(h->spare_dir, kind);
		h->spare_dir[0] = '\0';
		h->root_indirect = spare = false;
		err = chain_hook_create(e, h);
		rq.chain_map_fd = h->map_fd;
		rq.spare = false;
		if (!err)
			err = load_user_prog(&rq, &res);
	}
	t[1] = engine_now_us();
	if (err)
		goto fail;
	fresh_maps = !rq.map_dir && res.map_dir[0];

	en = calloc(1, sizeof(*en));
	if (!en) {
		err = -ENOMEM;
		goto fail;
	}
	en->prio = prio;
	en->slot = rq.slot;
	en->prog_fd = res.prog_fd;
	res.prog_fd = -1;
	en->prog_id = res.prog_id;
	en->proceed_mask = mask;
	xsnprintf(en->prog_name, sizeof(en->prog_name), "%s", res.prog_name);
	xsnprintf(en->object_path, sizeof(en->object_path), "%s",
		 o && o->object_path ? o->object_path : "-");
	plugfs_sha256_hex(obj, obj_len, en->sha256);
	en->obj_size = obj_len;
	en->globals = o ? kv_lines(o->globals, o->n_globals) : NULL;
	en->metadata = o ? kv_lines(o->metadata, o->n_metadata) : NULL;
	xsnprintf(en->map_pin_path, sizeof(en->map_pin_path), "%s", res.map_dir);
	if (o && o->map_owner_id)
		en->map_owner_id = o->map_owner_id;
	else if (old && !force_map_dir)
		en->map_owner_id = old->map_owner_id;
	xsnprintf(en->mode, sizeof(en->mode), "%s", kind == ENGINE_HOOK_XDP ? mode : "");

	err = entry_pin_path(e, h, prio, pin, sizeof(pin));
	if (err)
		goto fail;
	t[2] = engine_now_us();
	if (new_hook) {
		/* before the root is attached: with a spare, this swaps its
		 * stub for the program (a pointer swap: its root is indirect) */
		err = chain_set(h, 0, en->prog_fd);
		if (!err)
			err = chain_hook_attach(e, h);
		if (!err && bpf_obj_pin(en->prog_fd, pin))
			err = -errno;
		if (err)
			goto fail;
		h->ent[0] = en;
		h->n = 1;
		h->next = e->hooks;
		e->hooks = h;
	} else if (old) {
		xsnprintf(tmp, sizeof(tmp), "%s_new", pin);
		unlink(tmp);
		if (bpf_obj_pin(en->prog_fd, tmp)) {
			err = -errno;
			pr_warn("%s: cannot pin %s: %s", what, tmp, strerror(-err));
			goto fail;
		}
		/* the switch: one update of the predecessor's slot */
		err = chain_set(h, chain_pred_slot(h, (unsigned int)pos), en->prog_fd);
		if (err) {
			unlink(tmp);
			goto fail;
		}
		if (rename(tmp, pin))
			pr_warn("%s: cannot rename pin %s: %s", what, tmp, strerror(errno));
		h->ent[pos] = en;
		xsnprintf(old_sha, sizeof(old_sha), "%s", old->sha256);
		if (!old->map_owner_id && en->map_pin_path[0])
			follow_owner(e, old->prog_id, en->prog_id);
		entry_free(old);
	} else {
		unsigned int ip = insert_pos(h, prio);

		if (bpf_obj_pin(en->prog_fd, pin)) {
			err = -errno;
			pr_warn("%s: cannot pin %s: %s", what, pin, strerror(-err));
			goto fail;
		}
		err = chain_set(h, en->slot, ip < h->n ? h->ent[ip]->prog_fd : -1);
		if (!err)
			err = chain_set(h, chain_pred_slot(h, ip), en->prog_fd);
		if (err) {
			chain_set(h, en->slot, -1);
			unlink(pin);
			goto fail;
		}
		memmove(&h->ent[ip + 1], &h->ent[ip], (h->n - ip) * sizeof(h->ent[0]));
		h->ent[ip] = en;
		h->n++;
	}
	t[3] = engine_now_us();
	state_save_entry(e, h, en, obj, obj_len);
	pr_debug("%s: load %.0f us, record %.0f us, chain+attach+pins %.0f us%s, state %.0f us",
		 what, t[1] - t[0], t[2] - t[1], t[3] - t[2],
		 !new_hook ? "" : spare ? " (spare root)" : " (root loaded)", engine_now_us() - t[3]);
	if (old_sha[0] && !object_used(e, old_sha))
		state_drop_object(e, old_sha);
	pr_info("%s: loaded program '%s' id %u (slot %u)%s", what, en->prog_name, en->prog_id,
		en->slot, old ? ", replacing the previous one" : "");
	return 0;
fail:
	if (new_hook) {
		if (en)
			unlink(pin);
		chain_hook_destroy(e, h);
		free(h);
	}
	if (res.prog_fd >= 0)
		close(res.prog_fd);
	if (fresh_maps)
		load_remove_map_dir(res.map_dir);
	entry_free(en);
	return err;
}

/* Ends a verb; the background work it asks for starts after a quiet time. */
static void verb_unlock(struct engine *e)
{
	bool wake = e->bg_wanted, fold = e->journal_dirty;

	e->bg_wanted = false;
	pthread_mutex_unlock(&e->lock);
	spare_note(e, wake, fold);
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
	int err = check_args(ifname, hook, prio);

	if (err)
		return err;
	pthread_mutex_lock(&e->lock);
	err = engine_do_load(e, ifname, hook, prio, obj, obj_len, opts, NULL);
	verb_unlock(e);
	return err;
}

static int do_unload(struct engine *e, struct eng_hook *h, unsigned int pos)
{
	struct eng_entry *en = h->ent[pos];
	char pin[PATH_MAX], dir[PATH_MAX], sha[65];
	int err;

	err = chain_set(h, chain_pred_slot(h, pos), pos + 1 < h->n ? h->ent[pos + 1]->prog_fd : -1);
	if (err)
		return err;
	chain_set(h, en->slot, -1);
	if (!entry_pin_path(e, h, en->prio, pin, sizeof(pin)))
		unlink(pin);
	state_remove_entry(e, h, en->prio);
	memmove(&h->ent[pos], &h->ent[pos + 1], (h->n - pos - 1) * sizeof(h->ent[0]));
	h->n--;
	xsnprintf(dir, sizeof(dir), "%s", en->map_pin_path);
	pr_info("%s/%s/%u: unloaded program '%s' id %u", h->ifname, engine_hook_name(h->kind),
		en->prio, en->prog_name, en->prog_id);
	xsnprintf(sha, sizeof(sha), "%s", en->sha256);
	entry_free(en);
	if (dir[0] && !map_dir_used(e, dir, NULL))
		load_remove_map_dir(dir);
	if (sha[0] && !object_used(e, sha))
		state_drop_object(e, sha);
	if (!h->n) {
		hook_unlink(e, h);
		chain_hook_destroy(e, h);
		hook_free(h);
	}
	return 0;
}

static int find_entry(struct engine *e, const char *ifname, enum engine_hook hook,
		      unsigned int prio, struct eng_hook **hp, int *pos)
{
	struct eng_hook *h = hook_find(e, ifname, hook);
	int err = hook_revalidate(e, &h, ifname, hook, NULL);

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
	/* bypass it, then link it to its new successor, then make it reachable */
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
	if (!entry_pin_path(e, h, from, a, sizeof(a)) && !entry_pin_path(e, h, to, b, sizeof(b)) &&
	    rename(a, b))
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
	err = hook_revalidate(e, &h, ifname, hook, NULL);
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
	err = hook_revalidate(e, &h, ifname, hook, NULL);
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

int engine__report(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio,
		   char **buf, size_t *len)
{
	struct eng_hook *h;
	int err, pos;

	err = check_args(ifname, hook, prio);
	if (err)
		return err;
	pthread_mutex_lock(&e->lock);
	err = find_entry(e, ifname, hook, prio, &h, &pos);
	if (!err)
		err = report_entry(e, h, (unsigned int)pos, buf, len);
	verb_unlock(e);
	return err;
}

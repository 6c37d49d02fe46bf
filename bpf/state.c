/* SPDX-License-Identifier: MIT */
/*
 * The state dir. Per hook, <state>/ifaces/<ifname>/<hook>/ holds per entry
 * <prio>.ini: the hook's fields (ifindex, XDP mode, whether we created the
 * clsact qdisc: the same in every entry, so a first load writes one file),
 * then the entry's options and slot; the objects as written are kept once
 * by digest in <state>/objects/. Verbs append their changes to the state
 * journal (bpf/journal.c), folded into these files when idle; without a
 * journal they are written directly. What is read back serves adoption and
 * restore (bpf/recover.c).
 */
#include "state.h"
#include "hooks.h"
#include "journal.h"

#include <plugfs/fileutil.h>
#include <plugfs/hex.h>
#include <plugfs/ini.h>
#include <plugfs/log.h>
#include <plugfs/sha256.h>
#include <plugfs/strbuf.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int state_hook_dir(const struct engine *e, const char *ifname, enum engine_hook kind, char *buf,
		   size_t size)
{
	if (!e->state_dir[0])
		return -ENOENT;
	return plugfs_snprintf(buf, size, "%s/ifaces/%s/%s", e->state_dir, ifname,
			       engine_hook_name(kind));
}

/* <state>/objects/<sha256>.o: the objects as written, shared by entries. */
static int object_path(const struct engine *e, const char *sha256, char *buf, size_t size)
{
	if (!e->state_dir[0] || strlen(sha256) != 64)
		return -ENOENT;
	return plugfs_snprintf(buf, size, "%s/objects/%s.o", e->state_dir, sha256);
}

/* Objects are stored once by digest: a stored one costs no write. */
static int store_object(const char *path, const void *obj, size_t len)
{
	return access(path, F_OK) ? journal_write_file(path, obj, len) : 0;
}

int state_save_hook(struct engine *e, const struct eng_hook *h)
{
	unsigned int i;
	int err = 0;

	if (!h)
		return 0;
	/* the hook's fields are in each entry's file */
	for (i = 0; i < h->n; i++)
		err = state_save_entry(e, h, h->ent[i], NULL, 0) ?: err;
	return err;
}

/* "[section]" then "key = value" of "key=value" lines. */
void state_add_lines(struct strbuf *sb, const char *section, const char *lines)
{
	const char *p = lines, *nl, *eq;

	if (!lines)
		return;
	strbuf__printf(sb, "[%s]\n", section);
	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		eq = memchr(p, '=', (size_t)(nl - p));
		if (eq)
			strbuf__printf(sb, "%.*s = %.*s\n", (int)(eq - p), p, (int)(nl - eq - 1),
				       eq + 1);
		p = *nl ? nl + 1 : nl;
	}
}

/* The text of an entry's file (malloc'ed); NULL when out of memory. */
static char *entry_text(const struct eng_hook *h, const struct eng_entry *en, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char po[256];
	size_t i;

	engine_format_proceed_on(h->kind, en->proceed_mask, po, sizeof(po));
	strbuf__printf(&sb, "[hook]\nifindex = %d\nmode = %s\nqdisc_created = %d\n", h->ifindex,
		       h->mode, h->qdisc_created);
	strbuf__printf(&sb, "[entry]\nslot = %u\nprog_id = %u\nprog_name = %s\nproceed_on = %s\n"
			    "object_path = %s\nsha256 = %s\nobj_size = %zu\nmap_pin_path = %s\n"
			    "map_owner_id = %u\nmode = %s\ncounter = %u\ntimed = %d\n",
		       en->slot, en->prog_id, en->prog_name, strcmp(po, "none") ? po : "",
		       en->object_path, en->sha256, en->obj_size, en->map_pin_path,
		       en->map_owner_id, en->mode, en->cidx, en->timed);
	if (en->image_url[0])
		strbuf__printf(&sb, "image_url = %s\nimage_digest = %s\npull_policy = %s\n",
			       en->image_url, en->image_digest, en->pull_policy);
	if (en->swap)
		strbuf__printf(&sb, "swap = %s\nswap_empty = %d\nswap_live = %u\nswap_id = %u\n"
				    "swap_pending = %u\n", en->swap->list, en->swap->empty,
			       en->swap->live, en->swap->id, en->swap->pending);
	if (en->n_globals)
		strbuf__puts(&sb, "[global]\n");
	for (i = 0; i < en->n_globals; i++) {
		global_put(&sb, &en->globals[i], " = ");
		strbuf__puts(&sb, "\n");
	}
	state_add_lines(&sb, "metadata", en->metadata);
	return strbuf__detach(&sb, len);
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
	if (obj && !object_used(e, en->sha256, en)) {
		plugfs_snprintf(ohdr, sizeof(ohdr), "put %zu objects/%s.o\n", obj_len, en->sha256);
		iov[n++] = (struct iovec){ ohdr, strlen(ohdr) };
		iov[n++] = (struct iovec){ (void *)obj, obj_len };
	}
	plugfs_snprintf(ehdr, sizeof(ehdr), "put %zu ifaces/%s/%s/%u.ini\n", tlen, h->ifname,
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
	char dir[PATH_MAX], path[PATH_MAX + 16];
	size_t tlen = 0;
	char *text;
	int err = 0;

	if (state_hook_dir(e, h->ifname, h->kind, dir, sizeof(dir)))
		return 0;
	text = entry_text(h, en, &tlen);
	if (!text) {
		err = -ENOMEM;
		goto out;
	}
	if (!journal_entry(e, h, en, obj, obj_len, text, tlen)) {
		free(text);
		return 0;
	}
	err = object_path(e, en->sha256, path, sizeof(path));
	if (!err && obj)
		err = store_object(path, obj, obj_len);
	plugfs_snprintf(path, sizeof(path), "%s/%u.ini", dir, en->prio);
	if (!err)
		err = journal_write_file(path, text, tlen);
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
	plugfs_snprintf(path, sizeof(path), "%s/%u.ini", dir, prio);
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

void state_follow_owner(struct engine *e, uint32_t old_id, uint32_t new_id)
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
	plugfs_snprintf(a, sizeof(a), "%s/%u.ini", dir, from);
	plugfs_snprintf(b, sizeof(b), "%s/%u.ini", dir, to);
	return rename(a, b) ? -errno : 0;
}

int state_put_file(struct engine *e, const char *rel, const void *data, size_t len,
		   const char *sha256, const void *obj, size_t obj_len)
{
	char hdr[PATH_MAX + 64], ohdr[160], path[2 * PATH_MAX];
	struct iovec iov[4];
	int n = 0, err = 0;

	if (!e->state_dir[0])
		return 0;
	if (obj) {
		plugfs_snprintf(ohdr, sizeof(ohdr), "put %zu objects/%s.o\n", obj_len, sha256);
		iov[n++] = (struct iovec){ ohdr, strlen(ohdr) };
		iov[n++] = (struct iovec){ (void *)obj, obj_len };
	}
	plugfs_snprintf(hdr, sizeof(hdr), "put %zu %s\n", len, rel);
	iov[n++] = (struct iovec){ hdr, strlen(hdr) };
	iov[n++] = (struct iovec){ (void *)data, len };
	if (e->journal_fd >= 0 && !journal_append(e, iov, n))
		return 0;
	if (obj && !object_path(e, sha256, path, sizeof(path)))
		err = store_object(path, obj, obj_len);
	plugfs_snprintf(path, sizeof(path), "%s/%s", e->state_dir, rel);
	if (!err)
		err = journal_write_file(path, data, len);
	if (err)
		pr_warn("bpf: cannot save state in %s: %s", path, strerror(-err));
	return err;
}

void state_del_file(struct engine *e, const char *rel)
{
	char path[2 * PATH_MAX];

	if (!e->state_dir[0] || !journal_line(e, "del %s\n", rel))
		return;
	plugfs_snprintf(path, sizeof(path), "%s/%s", e->state_dir, rel);
	unlink(path);
}

int state_mv_file(struct engine *e, const char *from, const char *to)
{
	char a[2 * PATH_MAX], b[2 * PATH_MAX];

	if (!e->state_dir[0] || !journal_line(e, "mv %s %s\n", from, to))
		return 0;
	plugfs_snprintf(a, sizeof(a), "%s/%s", e->state_dir, from);
	plugfs_snprintf(b, sizeof(b), "%s/%s", e->state_dir, to);
	return rename(a, b) ? -errno : 0;
}

/* ---- reading ---- */

void state_entry_free(struct saved_entry *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_globals; i++) {
		free((char *)s->globals[i].name);
		free((void *)s->globals[i].data);
	}
	for (i = 0; i < s->n_metadata; i++) {
		free((char *)s->metadata[i].key);
		free((char *)s->metadata[i].value);
	}
	free(s);
}

/* A [global] line: the bytes of its hex, decoded once here. */
static int add_global(struct saved_entry *s, const char *k, const char *v)
{
	struct engine_global *g = &s->globals[s->n_globals];
	size_t max = strlen(v) / 2 + 1;
	void *data;
	ssize_t n;

	if (s->n_globals >= STATE_MAX_KV)
		return 0;	/* as many as a manifest may have: the rest is ignored */
	data = malloc(max);
	if (!data)
		return -ENOMEM;
	n = plugfs_hex_decode(v, data, max);
	g->name = strdup(k);
	if (n < 0 || !g->name) {
		free(data);
		free((char *)g->name);
		return n < 0 ? (int)n : -ENOMEM;
	}
	g->data = data;
	g->len = (size_t)n;
	s->n_globals++;
	return 0;
}

static int add_metadata(struct saved_entry *s, const char *k, const char *v)
{
	struct engine_kv *kv = &s->metadata[s->n_metadata];

	if (s->n_metadata >= STATE_MAX_KV)
		return 0;
	kv->key = strdup(k);
	kv->value = strdup(v);
	if (!kv->key || !kv->value) {
		free((char *)kv->key);
		free((char *)kv->value);
		return -ENOMEM;
	}
	s->n_metadata++;
	return 0;
}

static int hook_key(struct saved_hook *sh, const char *k, const char *v)
{
	uint32_t u = 0;
	int err = 0;

	if (!strcmp(k, "ifindex")) {
		err = plugfs_parse_u32(v, &u);
		sh->ifindex = (int)u;
	} else if (!strcmp(k, "mode")) {
		err = plugfs_set_str(sh->mode, sizeof(sh->mode), v);
	} else if (!strcmp(k, "qdisc_created")) {
		err = plugfs_parse_bool(v, &sh->qdisc_created);
	}
	return err;
}

#define STR_KEY(f) { #f, offsetof(struct saved_entry, f), sizeof(((struct saved_entry *)0)->f) }
static const struct {
	const char *key;
	size_t off, size;
} str_keys[] = {
	STR_KEY(prog_name), STR_KEY(proceed_on), STR_KEY(object_path), STR_KEY(map_pin_path),
	STR_KEY(mode), STR_KEY(sha256), STR_KEY(image_url), STR_KEY(image_digest),
	STR_KEY(pull_policy), STR_KEY(swap),
};
static const struct {
	const char *key;
	size_t off;
} u32_keys[] = {
	{ "slot", offsetof(struct saved_entry, slot) },
	{ "prog_id", offsetof(struct saved_entry, prog_id) },
	{ "map_owner_id", offsetof(struct saved_entry, map_owner_id) },
	{ "counter", offsetof(struct saved_entry, counter) },
	{ "timed", offsetof(struct saved_entry, timed) },
	{ "swap_live", offsetof(struct saved_entry, swap_live) },
	{ "swap_id", offsetof(struct saved_entry, swap_id) },
	{ "swap_pending", offsetof(struct saved_entry, swap_pending) },
};

static int entry_key(struct saved_entry *s, const char *k, const char *v)
{
	uint64_t size = 0;
	size_t i;
	int err;

	for (i = 0; i < sizeof(str_keys) / sizeof(str_keys[0]); i++)
		if (!strcmp(k, str_keys[i].key))
			return plugfs_set_str((char *)s + str_keys[i].off, str_keys[i].size, v);
	for (i = 0; i < sizeof(u32_keys) / sizeof(u32_keys[0]); i++)
		if (!strcmp(k, u32_keys[i].key))
			return plugfs_parse_u32(v, (uint32_t *)((char *)s + u32_keys[i].off));
	if (!strcmp(k, "swap_empty"))
		return plugfs_parse_bool(v, &s->swap_empty);
	if (!strcmp(k, "obj_size")) {
		err = plugfs_parse_u64(v, SIZE_MAX, &size);
		s->obj_size = (size_t)size;
		return err;
	}
	return 0;
}

static int entry_ini(void *cookie, const char *sec, const char *k, const char *v, char *err,
		     size_t err_size)
{
	struct saved_entry *s = cookie;

	(void)err;
	(void)err_size;
	if (!strcmp(sec, "hook")) {
		s->has_hook = true;
		return hook_key(&s->hook, k, v);
	}
	if (!strcmp(sec, "global"))
		return add_global(s, k, v);
	if (!strcmp(sec, "metadata"))
		return add_metadata(s, k, v);
	return strcmp(sec, "entry") ? 0 : entry_key(s, k, v);
}

struct saved_entry *state_read_entry(const char *dir, unsigned int prio)
{
	struct saved_entry *s = calloc(1, sizeof(*s));
	char path[PATH_MAX + 16], why[256];

	if (!s)
		return NULL;
	plugfs_snprintf(path, sizeof(path), "%s/%u.ini", dir, prio);
	if (plugfs_ini_parse_file(path, entry_ini, s, why, sizeof(why)))
		pr_warn("bpf: state file %s: %s", path, why);
	return s;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

int state_saved_prios(const char *dir, unsigned int *prios, int max)
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

int state_read_object(const struct engine *e, const char *sha256, const char *what, void **obj,
		      size_t *len)
{
	char path[PATH_MAX], got[65];
	int err;

	*obj = NULL;
	err = object_path(e, sha256, path, sizeof(path));
	if (!err)
		err = plugfs_read_file(path, obj, len);
	if (err)
		return err;
	plugfs_sha256_hex(*obj, *len, got);
	if (!strcmp(got, sha256))
		return 0;
	pr_warn("%s: stored object %s is damaged: removed", what, path);
	unlink(path);
	free(*obj);
	*obj = NULL;
	return -ENOENT;
}

/* SPDX-License-Identifier: MIT */
/*
 * The engine's hooks and entries in memory: finding them, the chain map
 * slot and position of an entry, who shares an object or a map directory,
 * copies of an entry's options, freeing. No kernel calls.
 */
#include "hooks.h"

#include <plugfs/hex.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct eng_hook *hook_new(struct engine *e, const char *ifname, enum engine_hook kind)
{
	struct eng_hook *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	plugfs_snprintf(h->ifname, sizeof(h->ifname), "%s", ifname);
	h->kind = kind;
	h->map_fd = h->counts_fd = h->root_fd = h->link_fd = h->stub_fd = -1;
	h->serial = ++e->hook_serial;
	return h;
}

struct eng_hook *hook_find(struct engine *e, const char *ifname, enum engine_hook kind)
{
	struct eng_hook *h;

	for (h = e->hooks; h; h = h->next)
		if (h->kind == kind && !strcmp(h->ifname, ifname))
			return h;
	return NULL;
}

struct eng_hook *hook_by_serial(struct engine *e, unsigned long serial)
{
	struct eng_hook *h;

	for (h = e->hooks; h; h = h->next)
		if (h->serial == serial)
			return h;
	return NULL;
}

void hook_unlink(struct engine *e, struct eng_hook *h)
{
	struct eng_hook **pp;

	for (pp = &e->hooks; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			return;
		}
	}
}

void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void hook_close(struct eng_hook *h)
{
	fd_close(&h->link_fd);
	fd_close(&h->root_fd);
	fd_close(&h->map_fd);
	fd_close(&h->counts_fd);
	fd_close(&h->stub_fd);
}

void hook_free(struct eng_hook *h)
{
	unsigned int i;

	for (i = 0; i < h->n; i++)
		entry_free(h->ent[i]);
	hook_close(h);
	free(h);
}

int entry_pos(const struct eng_hook *h, unsigned int prio)
{
	unsigned int i;

	for (i = 0; h && i < h->n; i++)
		if (h->ent[i]->prio == prio)
			return (int)i;
	return -1;
}

unsigned int insert_pos(const struct eng_hook *h, unsigned int prio)
{
	unsigned int i;

	for (i = 0; i < h->n && h->ent[i]->prio < prio; i++)
		;
	return i;
}

unsigned int alloc_slot(const struct eng_hook *h)
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

const struct eng_entry *entry_by_id(const struct engine *e, uint32_t id)
{
	const struct eng_hook *h;
	unsigned int i;

	for (h = e->hooks; h; h = h->next)
		for (i = 0; i < h->n; i++)
			if (h->ent[i]->prog_id == id)
				return h->ent[i];
	return NULL;
}

/* Does an entry other than except have s in its string field at off? */
static bool other_has(const struct engine *e, size_t off, const char *s,
		      const struct eng_entry *except)
{
	const struct eng_hook *h;
	unsigned int i;

	for (h = e->hooks; h; h = h->next)
		for (i = 0; i < h->n; i++)
			if (h->ent[i] != except && !strcmp((const char *)h->ent[i] + off, s))
				return true;
	return false;
}

/* Does a tracing/ entry have s in its string field at off? */
static bool trace_has(const struct engine *e, size_t off, const char *s)
{
	const struct eng_trace *t;

	for (t = e->traces; t; t = t->next)
		if (!strcmp((const char *)t + off, s))
			return true;
	return false;
}

bool object_used(const struct engine *e, const char *sha256, const struct eng_entry *except)
{
	return other_has(e, offsetof(struct eng_entry, sha256), sha256, except) ||
	       trace_has(e, offsetof(struct eng_trace, sha256), sha256);
}

bool map_dir_used(const struct engine *e, const char *dir, const struct eng_entry *except)
{
	return other_has(e, offsetof(struct eng_entry, map_pin_path), dir, except) ||
	       trace_has(e, offsetof(struct eng_trace, map_pin_path), dir);
}

bool map_dir_swapped(const struct engine *e, const char *dir)
{
	const struct eng_hook *h;
	unsigned int i;

	for (h = e->hooks; dir[0] && h; h = h->next)
		for (i = 0; i < h->n; i++)
			if (h->ent[i]->swap && !strcmp(h->ent[i]->map_pin_path, dir))
				return true;
	return false;
}

int owner_map_dir(const struct engine *e, uint32_t id, const char **dir)
{
	const struct eng_entry *en = entry_by_id(e, id);
	const struct eng_trace *t;
	size_t i;

	if (en) {
		*dir = en->map_pin_path;
		return 0;
	}
	for (t = e->traces; t; t = t->next)
		for (i = 0; i < t->n_progs; i++)
			if (t->progs[i].prog_id == id) {
				*dir = t->map_pin_path;
				return 0;
			}
	return -ENOENT;
}

void entry_free(struct eng_entry *en)
{
	if (!en)
		return;
	if (en->prog_fd >= 0)
		close(en->prog_fd);
	if (en->swap && en->swap->fd >= 0)
		close(en->swap->fd);
	free(en->swap);
	free(en->globals);
	free(en->metadata);
	free(en);
}

char *kv_lines(const struct engine_kv *kv, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (!n)
		return NULL;
	for (i = 0; i < n; i++)
		strbuf__printf(&sb, "%s=%s\n", kv[i].key, kv[i].value);
	return strbuf__detach(&sb, NULL);
}

struct engine_global *globals_dup(const struct engine_global *g, size_t n)
{
	size_t size = n * sizeof(*g), i, nl;
	struct engine_global *out;
	char *p;

	if (!n)
		return NULL;
	for (i = 0; i < n; i++)
		size += strlen(g[i].name) + 1 + g[i].len;
	out = malloc(size);
	if (!out)
		return NULL;
	p = (char *)(out + n);
	for (i = 0; i < n; i++) {
		nl = strlen(g[i].name) + 1;
		memcpy(p, g[i].name, nl);
		out[i].name = p;
		p += nl;
		if (g[i].len)
			memcpy(p, g[i].data, g[i].len);
		out[i].data = p;
		out[i].len = g[i].len;
		p += g[i].len;
	}
	return out;
}

void global_put(struct strbuf *sb, const struct engine_global *g, const char *eq)
{
	const unsigned char *d = g->data;
	char hex[2 * 64 + 1];
	size_t off, k;

	strbuf__printf(sb, "%s%s", g->name, eq);
	for (off = 0; off < g->len; off += k) {
		k = g->len - off < 64 ? g->len - off : 64;
		plugfs_hex_encode(d + off, k, hex);
		strbuf__put(sb, hex, 2 * k);
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * The report of an entry, as `cat` text (the plugfs state, then the kernel
 * state read from the kernel now, with the field names `bpfctl get` prints)
 * or as JSON (`<entry>.json`, docs/json.md): both from one collection of
 * the facts, so the two forms always carry the same values.
 */
#include "report.h"
#include "hooks.h"
#include "introspect.h"
#include "stats.h"
#include "swap.h"

#include <plugfs/json.h>
#include <plugfs/strbuf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPORT_MAX_MAPS 64
#define REPORT_MAX_USERS (ENGINE_CHAIN_HARD_MAX * 8)

/* What a report shows, read once. */
struct report_data {
	const struct eng_hook *h;
	const struct eng_entry *en;
	unsigned int pos;
	struct bpf_prog_info info;
	__u32 map_ids[REPORT_MAX_MAPS];
	__u32 n_maps;
	unsigned long long memlock;
	uint32_t owner_id;		/* 0: shares nobody's maps */
	bool owner_unloaded;
	uint32_t used_by[REPORT_MAX_USERS];
	size_t n_used_by;
	char loaded_at[64];
	struct engine_prog_stats st;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The programs that use the entry's map directory, by id. */
static void used_by(const struct engine *e, struct report_data *d)
{
	const char *dir = d->en->map_pin_path;
	const struct eng_hook *h;
	unsigned int k;

	for (h = e->hooks; dir[0] && h; h = h->next)
		for (k = 0; k < h->n; k++)
			if (!strcmp(h->ent[k]->map_pin_path, dir) && d->n_used_by < REPORT_MAX_USERS)
				d->used_by[d->n_used_by++] = h->ent[k]->prog_id;
	qsort(d->used_by, d->n_used_by, sizeof(d->used_by[0]), cmp_u32);
}

/*
 * The owner is the entry of the same map directory that shares nobody's
 * maps: its id is read now, so a replaced owner shows its new id. An owner
 * that was removed shows the id it had.
 */
static void owner(const struct engine *e, struct report_data *d)
{
	const struct eng_entry *en = d->en;
	const struct eng_hook *h;
	const char *dir;
	unsigned int i;

	if (!en->map_owner_id || !en->map_pin_path[0])
		return;
	for (h = e->hooks; h; h = h->next)
		for (i = 0; i < h->n; i++)
			if (h->ent[i] != en && !h->ent[i]->map_owner_id &&
			    !strcmp(h->ent[i]->map_pin_path, en->map_pin_path)) {
				d->owner_id = h->ent[i]->prog_id;
				return;
			}
	/* an owner in tracing/ (bpf/tracing.c) */
	if (!owner_map_dir(e, en->map_owner_id, &dir) && !strcmp(dir, en->map_pin_path)) {
		d->owner_id = en->map_owner_id;
		return;
	}
	d->owner_id = en->map_owner_id;
	d->owner_unloaded = true;
}

/* The kernel's facts of a program. */
static int collect_prog(int fd, struct report_data *d)
{
	__u32 len = sizeof(d->info), n;

	if (bpf_obj_get_info_by_fd(fd, &d->info, &len))
		return -errno;
	n = d->info.nr_map_ids < REPORT_MAX_MAPS ? d->info.nr_map_ids : REPORT_MAX_MAPS;
	memset(&d->info, 0, sizeof(d->info));
	d->info.nr_map_ids = n;
	d->info.map_ids = (__u64)(unsigned long)d->map_ids;
	len = sizeof(d->info);
	if (bpf_obj_get_info_by_fd(fd, &d->info, &len))
		return -errno;
	d->n_maps = n < d->info.nr_map_ids ? n : d->info.nr_map_ids;
	d->memlock = introspect_fdinfo(fd, "memlock");
	introspect_load_time(d->info.load_time, d->loaded_at, sizeof(d->loaded_at));
	return 0;
}

static int collect(const struct engine *e, const struct eng_hook *h, unsigned int pos,
		   struct report_data *d)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->h = h;
	d->en = h->ent[pos];
	d->pos = pos;
	err = collect_prog(h->ent[pos]->prog_fd, d);
	if (err)
		return err;
	owner(e, d);
	used_by(e, d);
	stats_read(h, pos, &d->st);
	return 0;
}

static const char *prog_type(const struct report_data *d)
{
	const char *t = libbpf_bpf_prog_type_str((enum bpf_prog_type)d->info.type);

	return t ? t : "unknown";
}

/* ---- text ---- */

void report_kv_list(struct strbuf *sb, const char *lines)
{
	const char *p = lines, *nl;
	bool first = true;

	if (!lines || !*lines) {
		strbuf__puts(sb, "None\n");
		return;
	}
	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		strbuf__printf(sb, "%s%.*s", first ? "" : ", ", (int)(nl - p), p);
		first = false;
		p = *nl ? nl + 1 : nl;
	}
	strbuf__puts(sb, "\n");
}

static void globals_text(struct strbuf *sb, const struct eng_entry *en)
{
	size_t i;

	strbuf__puts(sb, "Global: ");
	if (!en->n_globals) {
		strbuf__puts(sb, "None\n");
		return;
	}
	for (i = 0; i < en->n_globals; i++) {
		if (i)
			strbuf__puts(sb, ", ");
		global_put(sb, &en->globals[i], "=");
	}
	strbuf__puts(sb, "\n");
}

/* The counts of the chain code replace the kernel's, which stay 0 for a
 * program reached by a tail call (bpf/stats.c). */
static void counts_text(struct strbuf *sb, const struct engine_prog_stats *s)
{
	const char *const *names;
	size_t n = 0, i;

	strbuf__printf(sb, "Run Count: %llu\n", (unsigned long long)s->runs);
	strbuf__printf(sb, "Run Time (ns): %llu\n", (unsigned long long)s->run_time_ns);
	strbuf__puts(sb, "Verdicts: ");
	names = engine_verdict_names(s->hook, &n);
	if (!s->counted)
		n = 0;
	for (i = 0; i < n; i++)
		strbuf__printf(sb, "%s%s=%llu", i ? ", " : "", names[i],
			       (unsigned long long)s->verdicts[i]);
	strbuf__printf(sb, "%s\n", n ? "" : "None");
}

static void plugfs_text(struct strbuf *sb, const struct report_data *d)
{
	const struct eng_entry *en = d->en;
	const struct eng_hook *h = d->h;
	char po[256];
	size_t i;

	engine_format_proceed_on(h->kind, en->proceed_mask, po, sizeof(po));
	strbuf__printf(sb, "Plugfs State\nName: %s\n", en->prog_name);
	if (en->image_url[0])
		strbuf__printf(sb, "Image URL: %s\nImage Digest: %s\nPull Policy: %s\n", en->image_url,
			       en->image_digest, en->pull_policy);
	else
		strbuf__printf(sb, "Path: %s\n", en->object_path);
	globals_text(sb, en);
	strbuf__puts(sb, "Metadata: ");
	report_kv_list(sb, en->metadata);
	strbuf__printf(sb, "Map Pin Path: %s\n", en->map_pin_path[0] ? en->map_pin_path : "None");
	if (!d->owner_id)
		strbuf__puts(sb, "Map Owner ID: None\n");
	else
		strbuf__printf(sb, "Map Owner ID: %u%s\n", d->owner_id,
			       d->owner_unloaded ? " (unloaded)" : "");
	strbuf__puts(sb, "Map Used By: ");
	for (i = 0; i < d->n_used_by; i++)
		strbuf__printf(sb, "%s%u", i ? ", " : "", d->used_by[i]);
	strbuf__printf(sb, "%s\n", d->n_used_by ? "" : "None");
	strbuf__printf(sb, "Priority: %u\nIface: %s\nPosition: %u\nHook: %s\n", en->prio,
		       h->ifname, d->pos, engine_hook_name(h->kind));
	if (h->kind != ENGINE_HOOK_XDP)
		strbuf__printf(sb, "Direction: %s\n",
			       h->kind == ENGINE_HOOK_TC_INGRESS ? "ingress" : "egress");
	else
		strbuf__printf(sb, "Mode: %s\n", h->mode);
	strbuf__printf(sb, "Proceed On: %s\nChain Slot: %u\n", po, en->slot);
	swap_report(sb, en);
	strbuf__printf(sb, "Object Size (bytes): %zu\n", en->obj_size);
	strbuf__printf(sb, "Object SHA256: %s\n", en->sha256[0] ? en->sha256 : "None");
}

static void kernel_text(struct strbuf *sb, const struct report_data *d)
{
	const struct bpf_prog_info *in = &d->info;
	__u32 i;

	strbuf__printf(sb, "Kernel State\nID: %u\nName: %s\nType: %s\nLoaded At: %s\nTag: ",
		       in->id, in->name[0] ? in->name : "None", prog_type(d), d->loaded_at);
	for (i = 0; i < BPF_TAG_SIZE; i++)
		strbuf__printf(sb, "%02x", in->tag[i]);
	strbuf__printf(sb, "\nGPL Compatible: %s\nMap IDs: [", in->gpl_compatible ? "true" : "false");
	for (i = 0; i < d->n_maps; i++)
		strbuf__printf(sb, "%s%u", i ? ", " : "", d->map_ids[i]);
	strbuf__printf(sb, "]\nBTF ID: %u\n", in->btf_id);
	strbuf__printf(sb, "Size Translated (bytes): %u\n", in->xlated_prog_len);
	strbuf__printf(sb, "JITed: %s\n", in->jited_prog_len ? "true" : "false");
	strbuf__printf(sb, "Size JITed (bytes): %u\n", in->jited_prog_len);
	strbuf__printf(sb, "Kernel Allocated Memory (bytes): %llu\n", d->memlock);
	strbuf__printf(sb, "Verified Instruction Count: %u\n", in->verified_insns);
	counts_text(sb, &d->st);
}

/* ---- JSON (docs/json.md, "ifaces/ entries") ---- */

static void globals_json(struct jsonw *w, const struct eng_entry *en)
{
	size_t i;

	/* the bytes in hex, as the text form and a manifest's global.NAME */
	jsonw__begin_object(w, "globals");
	for (i = 0; i < en->n_globals; i++) {
		struct strbuf hex = STRBUF_INIT;

		global_put(&hex, &en->globals[i], "=");
		jsonw__string(w, en->globals[i].name, hex.buf ? strchr(hex.buf, '=') + 1 : "");
		strbuf__fini(&hex);
	}
	jsonw__end(w);
}

static void metadata_json(struct jsonw *w, const char *lines)
{
	const char *p = lines ? lines : "", *nl, *eq;
	char key[256];

	jsonw__begin_object(w, "metadata");
	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		eq = memchr(p, '=', (size_t)(nl - p));
		if (eq && plugfs_snprintf(key, sizeof(key), "%.*s", (int)(eq - p), p) >= 0)
			jsonw__string_n(w, key, eq + 1, (size_t)(nl - eq - 1));
		p = *nl ? nl + 1 : nl;
	}
	jsonw__end(w);
}

static void proceed_on_json(struct jsonw *w, const struct report_data *d)
{
	const char *const *names;
	size_t n = 0, i;
	uint32_t mask;

	/* the counted names list the proceed_on ones first, in their order */
	names = engine_verdict_names(d->h->kind, &n);
	jsonw__begin_array(w, "proceed_on");
	for (i = 0; i + 1 < n; i++)
		if (!engine_parse_proceed_on(d->h->kind, names[i], &mask) &&
		    (mask & d->en->proceed_mask))
			jsonw__string(w, NULL, names[i]);
	jsonw__end(w);
}

static void plugfs_json(struct jsonw *w, const struct report_data *d)
{
	const struct eng_entry *en = d->en;
	const struct eng_hook *h = d->h;
	size_t i;

	jsonw__string(w, "iface", h->ifname);
	jsonw__string(w, "hook", engine_hook_name(h->kind));
	jsonw__u64(w, "priority", en->prio);
	jsonw__u64(w, "position", d->pos);
	if (h->kind == ENGINE_HOOK_XDP)
		jsonw__string(w, "mode", h->mode);
	else
		jsonw__string(w, "direction", h->kind == ENGINE_HOOK_TC_INGRESS ? "ingress" : "egress");
	jsonw__string(w, "name", en->prog_name);
	jsonw__string(w, "path", strcmp(en->object_path, "-") ? en->object_path : NULL);
	jsonw__string(w, "image_url", en->image_url[0] ? en->image_url : NULL);
	jsonw__string(w, "image_digest", en->image_url[0] ? en->image_digest : NULL);
	jsonw__string(w, "pull_policy", en->image_url[0] ? en->pull_policy : NULL);
	globals_json(w, en);
	metadata_json(w, en->metadata);
	jsonw__string(w, "map_pin_path", en->map_pin_path[0] ? en->map_pin_path : NULL);
	if (d->owner_id)
		jsonw__u64(w, "map_owner_id", d->owner_id);
	else
		jsonw__null(w, "map_owner_id");
	jsonw__bool(w, "map_owner_unloaded", d->owner_unloaded);
	jsonw__begin_array(w, "map_used_by");
	for (i = 0; i < d->n_used_by; i++)
		jsonw__u64(w, NULL, d->used_by[i]);
	jsonw__end(w);
	proceed_on_json(w, d);
	jsonw__u64(w, "chain_slot", en->slot);
	swap_report_json(w, en);
	jsonw__u64(w, "object_size", en->obj_size);
	jsonw__string(w, "object_sha256", en->sha256[0] ? en->sha256 : NULL);
}

static void counts_json(struct jsonw *w, const struct engine_prog_stats *s)
{
	const char *const *names;
	size_t n = 0, i;

	jsonw__u64(w, "run_count", s->runs);
	jsonw__u64(w, "run_time_ns", s->run_time_ns);
	jsonw__bool(w, "counted", s->counted);
	jsonw__bool(w, "timed", s->timed);
	if (!s->counted) {
		jsonw__null(w, "verdicts");
		return;
	}
	names = engine_verdict_names(s->hook, &n);
	jsonw__begin_object(w, "verdicts");
	for (i = 0; i < n; i++)
		jsonw__u64(w, names[i], s->verdicts[i]);
	jsonw__end(w);
}

static void kernel_json(struct jsonw *w, const struct report_data *d)
{
	const struct bpf_prog_info *in = &d->info;
	char tag[2 * BPF_TAG_SIZE + 1];
	__u32 i;

	for (i = 0; i < BPF_TAG_SIZE; i++)
		plugfs_snprintf(tag + 2 * i, 3, "%02x", in->tag[i]);
	jsonw__begin_object(w, "kernel");
	jsonw__u64(w, "id", in->id);
	jsonw__string(w, "name", in->name[0] ? in->name : NULL);
	jsonw__string(w, "type", prog_type(d));
	jsonw__string(w, "loaded_at", d->loaded_at);
	jsonw__string(w, "tag", tag);
	jsonw__bool(w, "gpl_compatible", in->gpl_compatible);
	jsonw__begin_array(w, "map_ids");
	for (i = 0; i < d->n_maps; i++)
		jsonw__u64(w, NULL, d->map_ids[i]);
	jsonw__end(w);
	jsonw__u64(w, "btf_id", in->btf_id);
	jsonw__u64(w, "size_translated_bytes", in->xlated_prog_len);
	jsonw__bool(w, "jited", in->jited_prog_len != 0);
	jsonw__u64(w, "size_jited_bytes", in->jited_prog_len);
	jsonw__u64(w, "kernel_allocated_memory_bytes", d->memlock);
	jsonw__u64(w, "verified_instruction_count", in->verified_insns);
	counts_json(w, &d->st);
	jsonw__end(w);
}

int report_entry(const struct engine *e, const struct eng_hook *h, unsigned int pos, bool json,
		 char **buf, size_t *len)
{
	struct strbuf text = STRBUF_INIT;
	struct report_data *d = malloc(sizeof(*d));
	struct jsonw w;
	int err;

	if (!d)
		return -ENOMEM;
	err = collect(e, h, pos, d);
	if (!err && json) {
		jsonw__init(&w, &text);
		jsonw__begin_object(&w, NULL);
		plugfs_json(&w, d);
		kernel_json(&w, d);
		jsonw__end(&w);
		err = jsonw__finish(&w);
	} else if (!err) {
		plugfs_text(&text, d);
		strbuf__puts(&text, "\n");
		kernel_text(&text, d);
	}
	free(d);
	if (!err)
		*buf = strbuf__detach(&text, len);
	strbuf__fini(&text);
	return err ? err : *buf ? 0 : -ENOMEM;
}

int report_prog_kernel(int fd, struct strbuf *sb, struct jsonw *w)
{
	struct report_data *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return -ENOMEM;
	err = collect_prog(fd, d);
	if (!err) {
		/* run by the kernel itself: its own counts, no verdicts */
		d->st.runs = d->info.run_cnt;
		d->st.run_time_ns = d->info.run_time_ns;
		d->st.timed = true;
		if (w)
			kernel_json(w, d);
		else
			kernel_text(sb, d);
	}
	free(d);
	return err;
}

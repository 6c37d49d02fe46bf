/* SPDX-License-Identifier: MIT */
/*
 * The `cat` text of an entry: the plugfs state, then the kernel state read
 * from the kernel now, with the field names `bpfctl get` prints.
 */
#include "report.h"
#include "hooks.h"
#include "stats.h"

#include <plugfs/strbuf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "key=value" lines joined by ", ", or None. */
static void kv_list(struct strbuf *sb, const char *lines)
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

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void used_by(struct strbuf *sb, const struct engine *e, const char *dir)
{
	uint32_t ids[ENGINE_CHAIN_HARD_MAX * 8];
	const struct eng_hook *h;
	size_t n = 0, i;
	unsigned int k;

	for (h = e->hooks; dir[0] && h; h = h->next)
		for (k = 0; k < h->n; k++)
			if (!strcmp(h->ent[k]->map_pin_path, dir) && n < sizeof(ids) / sizeof(ids[0]))
				ids[n++] = h->ent[k]->prog_id;
	qsort(ids, n, sizeof(ids[0]), cmp_u32);
	strbuf__printf(sb, "Map Used By: ");
	for (i = 0; i < n; i++)
		strbuf__printf(sb, "%s%u", i ? ", " : "", ids[i]);
	strbuf__printf(sb, "%s\n", n ? "" : "None");
}

/*
 * The owner is the entry of the same map directory that shares nobody's
 * maps: its id is read now, so a replaced owner shows its new id. An owner
 * that was removed shows the id it had.
 */
static void owner_line(struct strbuf *sb, const struct engine *e, const struct eng_entry *en)
{
	const struct eng_hook *h;
	unsigned int i;

	if (!en->map_owner_id || !en->map_pin_path[0]) {
		strbuf__printf(sb, "Map Owner ID: None\n");
		return;
	}
	for (h = e->hooks; h; h = h->next)
		for (i = 0; i < h->n; i++)
			if (h->ent[i] != en && !h->ent[i]->map_owner_id &&
			    !strcmp(h->ent[i]->map_pin_path, en->map_pin_path)) {
				strbuf__printf(sb, "Map Owner ID: %u\n", h->ent[i]->prog_id);
				return;
			}
	strbuf__printf(sb, "Map Owner ID: %u (unloaded)\n", en->map_owner_id);
}

static unsigned long long memlock_of(int fd)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	plugfs_snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void loaded_at(struct strbuf *sb, unsigned long long boot_ns)
{
	struct timespec rt, bt;
	struct tm tm;
	time_t t;
	char buf[64];

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	t = rt.tv_sec - bt.tv_sec + (time_t)(boot_ns / 1000000000ull);
	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", &tm);
	strbuf__printf(sb, "Loaded At: %s\n", buf);
}

/* The counts of the chain code replace the kernel's, which stay 0 for a
 * program reached by a tail call (bpf/stats.c). */
static void counts_lines(struct strbuf *sb, const struct engine_prog_stats *s)
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

static int kernel_block(struct strbuf *sb, int fd, const struct engine_prog_stats *s)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), ids[64], n, i;
	const char *type;
	int err;

	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err)
		return -errno;
	n = info.nr_map_ids < 64 ? info.nr_map_ids : 64;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = n;
	info.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	type = libbpf_bpf_prog_type_str((enum bpf_prog_type)info.type);
	strbuf__printf(sb, "Kernel State\n");
	strbuf__printf(sb, "ID: %u\n", info.id);
	strbuf__printf(sb, "Name: %s\n", info.name[0] ? info.name : "None");
	strbuf__printf(sb, "Type: %s\n", type ? type : "unknown");
	loaded_at(sb, info.load_time);
	strbuf__printf(sb, "Tag: ");
	for (i = 0; i < BPF_TAG_SIZE; i++)
		strbuf__printf(sb, "%02x", info.tag[i]);
	strbuf__printf(sb, "\nGPL Compatible: %s\n", info.gpl_compatible ? "true" : "false");
	strbuf__printf(sb, "Map IDs: [");
	for (i = 0; i < n && i < info.nr_map_ids; i++)
		strbuf__printf(sb, "%s%u", i ? ", " : "", ids[i]);
	strbuf__printf(sb, "]\nBTF ID: %u\n", info.btf_id);
	strbuf__printf(sb, "Size Translated (bytes): %u\n", info.xlated_prog_len);
	strbuf__printf(sb, "JITed: %s\n", info.jited_prog_len ? "true" : "false");
	strbuf__printf(sb, "Size JITed (bytes): %u\n", info.jited_prog_len);
	strbuf__printf(sb, "Kernel Allocated Memory (bytes): %llu\n", memlock_of(fd));
	strbuf__printf(sb, "Verified Instruction Count: %u\n", info.verified_insns);
	counts_lines(sb, s);
	return 0;
}

static void globals_block(struct strbuf *sb, const struct eng_entry *en)
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

int report_entry(const struct engine *e, const struct eng_hook *h, unsigned int pos, char **buf,
		 size_t *len)
{
	const struct eng_entry *en = h->ent[pos];
	struct strbuf text = STRBUF_INIT, *sb = &text;
	struct engine_prog_stats st;
	char po[256];
	int err;

	engine_format_proceed_on(h->kind, en->proceed_mask, po, sizeof(po));
	strbuf__printf(sb, "Plugfs State\n");
	strbuf__printf(sb, "Name: %s\n", en->prog_name);
	strbuf__printf(sb, "Path: %s\n", en->object_path);
	globals_block(sb, en);
	strbuf__puts(sb, "Metadata: ");
	kv_list(sb, en->metadata);
	strbuf__printf(sb, "Map Pin Path: %s\n", en->map_pin_path[0] ? en->map_pin_path : "None");
	owner_line(sb, e, en);
	used_by(sb, e, en->map_pin_path);
	strbuf__printf(sb, "Priority: %u\n", en->prio);
	strbuf__printf(sb, "Iface: %s\n", h->ifname);
	strbuf__printf(sb, "Position: %u\n", pos);
	strbuf__printf(sb, "Hook: %s\n", engine_hook_name(h->kind));
	if (h->kind != ENGINE_HOOK_XDP)
		strbuf__printf(sb, "Direction: %s\n",
			       h->kind == ENGINE_HOOK_TC_INGRESS ? "ingress" : "egress");
	else
		strbuf__printf(sb, "Mode: %s\n", h->mode);
	strbuf__printf(sb, "Proceed On: %s\n", po);
	strbuf__printf(sb, "Chain Slot: %u\n", en->slot);
	strbuf__printf(sb, "Object Size (bytes): %zu\n", en->obj_size);
	strbuf__printf(sb, "Object SHA256: %s\n", en->sha256[0] ? en->sha256 : "None");
	strbuf__printf(sb, "\n");
	stats_read(h, pos, &st);
	err = kernel_block(sb, en->prog_fd, &st);
	if (err) {
		strbuf__fini(sb);
		return err;
	}
	*buf = strbuf__detach(sb, len);
	return *buf ? 0 : -ENOMEM;
}

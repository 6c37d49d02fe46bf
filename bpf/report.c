/* SPDX-License-Identifier: MIT */
/*
 * The `cat` text of an entry: the plugfs state, then the kernel state read
 * from the kernel now, with the field names of `bpfctl get` (seed 002).
 */
#include "engine_internal.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void kv_block(FILE *f, const char *label, const char *lines)
{
	const char *p = lines, *nl;
	bool first = true;

	fprintf(f, "%s: ", label);
	if (!lines || !*lines) {
		fprintf(f, "None\n");
		return;
	}
	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		fprintf(f, "%s%.*s", first ? "" : ", ", (int)(nl - p), p);
		first = false;
		p = *nl ? nl + 1 : nl;
	}
	fprintf(f, "\n");
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void used_by(FILE *f, const struct engine *e, const char *dir)
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
	fprintf(f, "Map Used By: ");
	for (i = 0; i < n; i++)
		fprintf(f, "%s%u", i ? ", " : "", ids[i]);
	fprintf(f, "%s\n", n ? "" : "None");
}

/*
 * The owner is the entry of the same map directory that shares nobody's
 * maps: its id is read now, so a replaced owner shows its new id. An owner
 * that was removed shows the id it had.
 */
static void owner_line(FILE *f, const struct engine *e, const struct eng_entry *en)
{
	const struct eng_hook *h;
	unsigned int i;

	if (!en->map_owner_id || !en->map_pin_path[0]) {
		fprintf(f, "Map Owner ID: None\n");
		return;
	}
	for (h = e->hooks; h; h = h->next)
		for (i = 0; i < h->n; i++)
			if (h->ent[i] != en && !h->ent[i]->map_owner_id &&
			    !strcmp(h->ent[i]->map_pin_path, en->map_pin_path)) {
				fprintf(f, "Map Owner ID: %u\n", h->ent[i]->prog_id);
				return;
			}
	fprintf(f, "Map Owner ID: %u (unloaded)\n", en->map_owner_id);
}

static unsigned long long memlock_of(int fd)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	xsnprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void loaded_at(FILE *f, unsigned long long boot_ns)
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
	fprintf(f, "Loaded At: %s\n", buf);
}

static int kernel_block(FILE *f, int fd)
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
	fprintf(f, "Kernel State\n");
	fprintf(f, "ID: %u\n", info.id);
	fprintf(f, "Name: %s\n", info.name[0] ? info.name : "None");
	fprintf(f, "Type: %s\n", type ? type : "unknown");
	loaded_at(f, info.load_time);
	fprintf(f, "Tag: ");
	for (i = 0; i < BPF_TAG_SIZE; i++)
		fprintf(f, "%02x", info.tag[i]);
	fprintf(f, "\nGPL Compatible: %s\n", info.gpl_compatible ? "true" : "false");
	fprintf(f, "Map IDs: [");
	for (i = 0; i < n && i < info.nr_map_ids; i++)
		fprintf(f, "%s%u", i ? ", " : "", ids[i]);
	fprintf(f, "]\nBTF ID: %u\n", info.btf_id);
	fprintf(f, "Size Translated (bytes): %u\n", info.xlated_prog_len);
	fprintf(f, "JITed: %s\n", info.jited_prog_len ? "true" : "false");
	fprintf(f, "Size JITed (bytes): %u\n", info.jited_prog_len);
	fprintf(f, "Kernel Allocated Memory (bytes): %llu\n", memlock_of(fd));
	fprintf(f, "Verified Instruction Count: %u\n", info.verified_insns);
	fprintf(f, "Run Count: %llu\n", (unsigned long long)info.run_cnt);
	fprintf(f, "Run Time (ns): %llu\n", (unsigned long long)info.run_time_ns);
	return 0;
}

int report_entry(const struct engine *e, const struct eng_hook *h, unsigned int pos, char **buf,
		 size_t *len)
{
	const struct eng_entry *en = h->ent[pos];
	char po[256];
	size_t sz = 0;
	char *text = NULL;
	FILE *f;
	int err;

	f = open_memstream(&text, &sz);
	if (!f)
		return -ENOMEM;
	engine_format_proceed_on(h->kind, en->proceed_mask, po, sizeof(po));
	fprintf(f, "Plugfs State\n");
	fprintf(f, "Name: %s\n", en->prog_name);
	fprintf(f, "Path: %s\n", en->object_path);
	kv_block(f, "Global", en->globals);
	kv_block(f, "Metadata", en->metadata);
	fprintf(f, "Map Pin Path: %s\n", en->map_pin_path[0] ? en->map_pin_path : "None");
	owner_line(f, e, en);
	used_by(f, e, en->map_pin_path);
	fprintf(f, "Priority: %u\n", en->prio);
	fprintf(f, "Iface: %s\n", h->ifname);
	fprintf(f, "Position: %u\n", pos);
	fprintf(f, "Hook: %s\n", engine_hook_name(h->kind));
	if (h->kind != ENGINE_HOOK_XDP)
		fprintf(f, "Direction: %s\n", h->kind == ENGINE_HOOK_TC_INGRESS ? "ingress" : "egress");
	else
		fprintf(f, "Mode: %s\n", h->mode);
	fprintf(f, "Proceed On: %s\n", po);
	fprintf(f, "Chain Slot: %u\n", en->slot);
	fprintf(f, "Object Size (bytes): %zu\n", en->obj_size);
	fprintf(f, "Object SHA256: %s\n", en->sha256[0] ? en->sha256 : "None");
	fprintf(f, "\n");
	err = kernel_block(f, en->prog_fd);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(text);
		return err;
	}
	*buf = text;
	*len = sz;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The whole machine as the kernel holds it (bpf/introspect.c): every
 * program and map by id, where each program is attached (XDP and TC from
 * netlink, links), which programs use a map, where a map is pinned. The
 * reports are lists of fields, printed as "Key: value" lines or as JSON by
 * the caller, with the field names bpfctl get and bpftool show use.
 */
#ifndef PLUGFS_BPF_INTROSPECT_H
#define PLUGFS_BPF_INTROSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ifield_kind {
	IFIELD_STR,
	IFIELD_NUM,		/* a decimal number */
	IFIELD_BOOL,		/* "true" / "false" */
	IFIELD_LIST,		/* items separated by '\n'; "" is the empty list */
	IFIELD_NUM_LIST,	/* the same, every item a number */
	IFIELD_HEADING,		/* a block title ("Kernel State"): no value */
};

struct ifield {
	char *key;
	char *val;
	enum ifield_kind kind;
};

/* A report: fields in print order. */
struct ifields {
	struct ifield *f;
	size_t n, cap;
	int err;		/* sticky -ENOMEM of an add */
};

void ifields_fini(struct ifields *fs);
void ifields_add(struct ifields *fs, enum ifield_kind kind, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Appends one item to the list field `key` (made at the end when missing). */
void ifields_add_item(struct ifields *fs, enum ifield_kind kind, const char *key, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));
/* "Key: value" lines (lists joined by ", ", "None" when empty; a heading
 * alone on its line, after an empty line unless it comes first); *buf
 * malloc'ed. 0 or -ENOMEM. */
int ifields_text(const struct ifields *fs, char **buf, size_t *len);

struct strbuf;
/* The JSON form: an object, keys in snake case ("Size JITed (bytes)" ->
 * "size_jited_bytes"), a heading opening a nested object ("kernel_state"),
 * lists as arrays, numbers and booleans as such. 0 or -errno. */
int ifields_json(const struct ifields *fs, struct strbuf *sb);

/* The ids the kernel holds, ascending; *ids malloc'ed. 0 or -errno. */
int introspect_prog_ids(uint32_t **ids, size_t *n);
int introspect_map_ids(uint32_t **ids, size_t *n);
/* The names of progs/ and maps/: an id in decimal, no sign, no leading
 * zero. 0, or -ENOENT for any other name. */
int introspect_parse_id(const char *name, uint32_t *id);
/* Calls cb with each program's (maps: map's) id as a name; stops at non-zero. */
typedef int (*introspect_name_cb)(const char *name, void *arg);
int introspect_list(bool maps, introspect_name_cb cb, void *arg);
/* A field of /proc/self/fdinfo/<fd> ("memlock", "frozen"); 0 if absent. */
unsigned long long introspect_fdinfo(int fd, const char *name);
/* A load time (ns since boot, as bpf_prog_info has it) as local ISO 8601. */
void introspect_load_time(unsigned long long boot_ns, char *buf, size_t size);
/* 0 if the kernel holds it, -ENOENT otherwise. */
int introspect_prog_exists(uint32_t id);
int introspect_map_exists(uint32_t id);

/*
 * Every attach point of every program: XDP per interface (bpf_xdp_query),
 * TC cls_bpf filters per interface (an rtnetlink dump), and every link.
 * Read again after ATTACH_SCAN_MAX_AGE_MS, or when a program newer than
 * the last scan is asked for: a listing's reports share one scan, and an
 * attach point of an older program may be that old.
 */
#define ATTACH_SCAN_MAX_AGE_MS 200
struct attach_point {
	uint32_t prog_id;
	uint32_t link_id;	/* 0: attached without a link */
	char text[160];		/* "xdp on veth0 (skb)", "tracepoint sched/sched_switch" */
};

/* The program's kernel state (bpfctl get's fields), its attach points and
 * link ids, appended to fs. 0, -ENOENT (gone), -errno. */
int introspect_prog_fields(uint32_t id, struct ifields *fs);
/* A map's bpftool show fields, its pins under bpffs_root (NULL: /sys/fs/bpf)
 * and the programs using it. 0, -ENOENT, -errno. */
int introspect_map_fields(uint32_t id, const char *bpffs_root, struct ifields *fs);

/* Pure (unit tested): the text of one attach point of a program. */
void attach_point_xdp(struct attach_point *a, const char *ifname, const char *mode);
void attach_point_tc(struct attach_point *a, const char *ifname, bool ingress, const char *how);

#endif

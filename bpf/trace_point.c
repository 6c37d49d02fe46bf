/* SPDX-License-Identifier: MIT */
/*
 * Attach points of tracing/ programs, as text: read from a SEC() name the
 * way libbpf reads it ("tp/syscalls/sys_enter_getpid", "uprobe/bin:sym+8"),
 * from a manifest's `attach` ("tracepoint:syscalls:sys_enter_getpid"), and
 * written back in the manifest's form for reports and the state dir.
 */
#include "engine_tracing.h"

#include <plugfs/ini.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	enum engine_trace_kind kind;
	bool ret;
} kinds[] = {
	{ "tracepoint", ENGINE_TRACE_TRACEPOINT, false },
	{ "tp", ENGINE_TRACE_TRACEPOINT, false },
	{ "raw_tracepoint", ENGINE_TRACE_RAW_TP, false },
	{ "raw_tp", ENGINE_TRACE_RAW_TP, false },
	{ "uprobe", ENGINE_TRACE_UPROBE, false },
	{ "uprobe.s", ENGINE_TRACE_UPROBE, false },
	{ "uretprobe", ENGINE_TRACE_UPROBE, true },
	{ "uretprobe.s", ENGINE_TRACE_UPROBE, true },
	{ "usdt", ENGINE_TRACE_USDT, false },
	{ "kprobe", ENGINE_TRACE_KPROBE, false },
	{ "kretprobe", ENGINE_TRACE_KPROBE, true },
	{ "fentry", ENGINE_TRACE_FENTRY, false },
	{ "fentry.s", ENGINE_TRACE_FENTRY, false },
	{ "fexit", ENGINE_TRACE_FEXIT, false },
	{ "fexit.s", ENGINE_TRACE_FEXIT, false },
	{ "lsm", ENGINE_TRACE_LSM, false },
	{ "lsm.s", ENGINE_TRACE_LSM, false },
};

int engine_trace_check_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (!n || n > 128 || name[0] == '.' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != n)
		return -EINVAL;
	return 0;
}

/* "sym+0x10", "sym", "0x1234" (an offset alone, uprobe). */
static int split_offset(const char *s, char *what, size_t size, uint64_t *off)
{
	const char *plus = strchr(s, '+');
	size_t n = plus ? (size_t)(plus - s) : strlen(s);

	*off = 0;
	if (!plus && !strncmp(s, "0x", 2))
		return plugfs_parse_u64(s, UINT64_MAX, off);
	if (n >= size)
		return -EINVAL;
	memcpy(what, s, n);
	what[n] = '\0';
	return plus ? plugfs_parse_u64(plus + 1, UINT64_MAX, off) : 0;
}

/* Copies the part of s before end (exclusive); -EINVAL when it does not fit. */
static int copy_part(char *dst, size_t size, const char *s, const char *end)
{
	size_t n = (size_t)(end - s);

	if (n >= size)
		return -EINVAL;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* The body after "kind/" or "kind:"; an empty body names no point. */
static int parse_body(const char *b, struct engine_trace_point *tp)
{
	const char *c, *c2;

	if (!*b)
		return 0;
	switch (tp->kind) {
	case ENGINE_TRACE_TRACEPOINT:
		c = b + strcspn(b, "/:");
		if (!*c || c == b || !c[1] || copy_part(tp->where, sizeof(tp->where), b, c))
			return -EINVAL;
		return plugfs_set_str(tp->what, sizeof(tp->what), c + 1) ? -EINVAL : 0;
	case ENGINE_TRACE_UPROBE:
		c = strrchr(b, ':');
		if (!c || c == b || !c[1] || copy_part(tp->where, sizeof(tp->where), b, c))
			return -EINVAL;
		return split_offset(c + 1, tp->what, sizeof(tp->what), &tp->offset);
	case ENGINE_TRACE_USDT:
		c = strrchr(b, ':');
		if (!c || c == b || !c[1])
			return -EINVAL;
		for (c2 = c - 1; c2 > b && *c2 != ':'; c2--)
			;
		if (c2 == b || c2 + 1 == c || copy_part(tp->where, sizeof(tp->where), b, c2) ||
		    copy_part(tp->what, sizeof(tp->what), c2 + 1, c))
			return -EINVAL;
		return plugfs_set_str(tp->usdt_name, sizeof(tp->usdt_name), c + 1) ? -EINVAL : 0;
	case ENGINE_TRACE_KPROBE:
		return split_offset(b, tp->what, sizeof(tp->what), &tp->offset) || !tp->what[0] ?
			       -EINVAL : 0;
	default:
		return plugfs_set_str(tp->what, sizeof(tp->what), b) ? -EINVAL : 0;
	}
}

static int parse(const char *text, const char *seps, struct engine_trace_point *tp)
{
	size_t n = strcspn(text, seps), i;

	memset(tp, 0, sizeof(*tp));
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strlen(kinds[i].name) != n || strncmp(text, kinds[i].name, n))
			continue;
		tp->kind = kinds[i].kind;
		tp->retprobe = kinds[i].ret;
		if (parse_body(text[n] ? text + n + 1 : "", tp)) {
			tp->kind = ENGINE_TRACE_NONE;
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

int engine_trace_point_from_sec(const char *sec, struct engine_trace_point *tp)
{
	return parse(sec, "/", tp);
}

int engine_trace_point_parse(const char *text, struct engine_trace_point *tp)
{
	int err = parse(text, ":", tp);

	return err ? err : engine_trace_point_complete(tp) ? 0 : -EINVAL;
}

bool engine_trace_point_complete(const struct engine_trace_point *tp)
{
	switch (tp->kind) {
	case ENGINE_TRACE_TRACEPOINT:
		return tp->where[0] && tp->what[0];
	case ENGINE_TRACE_UPROBE:
		return tp->where[0] && (tp->what[0] || tp->offset);
	case ENGINE_TRACE_USDT:
		return tp->where[0] && tp->what[0] && tp->usdt_name[0];
	case ENGINE_TRACE_NONE:
		return false;
	default:
		return tp->what[0] != '\0';
	}
}

static const char *kind_name(const struct engine_trace_point *tp)
{
	switch (tp->kind) {
	case ENGINE_TRACE_TRACEPOINT:
		return "tracepoint";
	case ENGINE_TRACE_RAW_TP:
		return "raw_tracepoint";
	case ENGINE_TRACE_UPROBE:
		return tp->retprobe ? "uretprobe" : "uprobe";
	case ENGINE_TRACE_USDT:
		return "usdt";
	case ENGINE_TRACE_KPROBE:
		return tp->retprobe ? "kretprobe" : "kprobe";
	case ENGINE_TRACE_FENTRY:
		return "fentry";
	case ENGINE_TRACE_FEXIT:
		return "fexit";
	case ENGINE_TRACE_LSM:
		return "lsm";
	default:
		return "none";
	}
}

void engine_trace_point_format(const struct engine_trace_point *tp, char *buf, size_t size)
{
	struct strbuf sb;

	strbuf__init_fixed(&sb, buf, size);
	strbuf__printf(&sb, "%s:", kind_name(tp));
	if (tp->kind == ENGINE_TRACE_TRACEPOINT || tp->kind == ENGINE_TRACE_UPROBE ||
	    tp->kind == ENGINE_TRACE_USDT)
		strbuf__printf(&sb, "%s:", tp->where);
	if (tp->kind == ENGINE_TRACE_UPROBE && !tp->what[0])
		strbuf__printf(&sb, "0x%llx", (unsigned long long)tp->offset);
	else
		strbuf__printf(&sb, "%s", tp->what);
	if (tp->kind == ENGINE_TRACE_USDT)
		strbuf__printf(&sb, ":%s", tp->usdt_name);
	if (tp->what[0] && tp->offset &&
	    (tp->kind == ENGINE_TRACE_UPROBE || tp->kind == ENGINE_TRACE_KPROBE))
		strbuf__printf(&sb, "+0x%llx", (unsigned long long)tp->offset);
}

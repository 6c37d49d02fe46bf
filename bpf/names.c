/* SPDX-License-Identifier: MIT */
/*
 * The names the engine reads and prints (declared in engine.h): hooks,
 * verdicts of a proceed_on list, priorities, the map names of a swap list.
 * Pure functions.
 */
#include "engine.h"

#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

static const char *const hook_names[ENGINE_HOOK__COUNT] = { "xdp", "tc-ingress", "tc-egress" };

const char *engine_hook_name(enum engine_hook hook)
{
	return (unsigned int)hook < ENGINE_HOOK__COUNT ? hook_names[hook] : NULL;
}

struct verdict {
	const char *name;
	int code;
};

/* bpfctl's names and codes, in bpfctl's order. */
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

/* The counted verdicts: the proceed_on names in the same order, then
 * "other" (the chain code's index of a code, bpf/rewrite.c). */
static const char *const xdp_counted[] = {
	"aborted", "drop", "pass", "tx", "redirect", "dispatcher_return", "other",
};
static const char *const tc_counted[] = {
	"unspec", "ok", "reclassify", "shot", "pipe", "stolen", "queued", "repeat", "redirect",
	"trap", "dispatcher_return", "other",
};

const char *const *engine_verdict_names(enum engine_hook hook, size_t *n)
{
	if ((unsigned int)hook >= ENGINE_HOOK__COUNT)
		return NULL;
	if (hook == ENGINE_HOOK_XDP) {
		*n = sizeof(xdp_counted) / sizeof(xdp_counted[0]);
		return xdp_counted;
	}
	*n = sizeof(tc_counted) / sizeof(tc_counted[0]);
	return tc_counted;
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
	struct strbuf sb;

	if (!size)
		return;
	strbuf__init_fixed(&sb, buf, size);
	for (v = verdicts(hook); v->name; v++)
		if (mask & (1u << verdict_bit(hook, v->code)))
			strbuf__printf(&sb, "%s%s", sb.len ? ", " : "", v->name);
	if (!sb.len)
		plugfs_snprintf(buf, size, "none");
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

/* A map name as the kernel keeps it: letters, digits, '_' and '.'. */
static bool map_name_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.')
			return false;
	return n > 0;
}

int engine_parse_swap_maps(const char *text, char (*names)[16], size_t max)
{
	const char *p = text, *end;
	size_t n = 0, len, i;

	if (!text)
		return -EINVAL;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (!map_name_ok(p, len) || len >= sizeof(names[0]) || n >= max)
			return -EINVAL;
		for (i = 0; i < n; i++)
			if (strlen(names[i]) == len && !memcmp(names[i], p, len))
				return -EINVAL;
		memcpy(names[n], p, len);
		names[n++][len] = '\0';
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return -EINVAL;		/* a trailing comma */
	}
	return n ? (int)n : -EINVAL;
}

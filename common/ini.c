/* SPDX-License-Identifier: MIT */
/* The strict ini reader and value parsers (include/plugfs/ini.h). */
#include <plugfs/ini.h>

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * inih tells the line of the first failure but not whose, and cuts a line
 * longer than its fixed buffer (INI_MAX_LINE) into two. Lines are read
 * through our own reader: it counts them, so a key's failure and a syntax
 * error are told apart; and it hands inih a long line's value as a marker,
 * keeping the value itself aside, so long paths and global values arrive
 * whole.
 */
#define LONG_VALUE_MARK "\001"

struct ini_ctx {
	plugfs_ini_key_fn fn;
	void *cookie;
	const char *text;		/* string source */
	FILE *file;			/* file source */
	char *line_buf;			/* file source: getline's buffer */
	size_t line_cap;
	char *long_value;		/* the value behind LONG_VALUE_MARK */
	int line;			/* lines read so far */
	int err_line;			/* line of the key that failed; 0: none */
	int long_line;			/* a long line that is not key = value; 0: none */
	char reason[512];
	int rc;
};

/* The next whole line without its '\n' (*len bytes); NULL at the end. */
static const char *next_line(struct ini_ctx *c, size_t *len)
{
	const char *l;
	ssize_t n;

	if (c->file) {
		n = getline(&c->line_buf, &c->line_cap, c->file);
		if (n < 0)
			return NULL;
		*len = (size_t)n - (n && c->line_buf[n - 1] == '\n');
		return c->line_buf;
	}
	if (!*c->text)
		return NULL;
	l = c->text;
	*len = strcspn(l, "\n");
	c->text += *len + (l[*len] == '\n');
	return l;
}

/* A line too long for inih: "key = value" is passed on as "key = MARK" with
 * the value (trimmed, inline comment cut as inih cuts it) kept aside;
 * false for anything else. */
static bool shorten(struct ini_ctx *c, const char *l, size_t len, char *str, int num)
{
	size_t k = strcspn(l, "=:"), v, e;

	if (k >= len || k + sizeof(" = " LONG_VALUE_MARK "\n") > (size_t)num)
		return false;
	for (v = k + 1; v < len && isspace((unsigned char)l[v]); v++)
		;
	for (e = v; e < len; e++)
		if (l[e] == ';' && isspace((unsigned char)l[e - 1]))
			break;
	while (e > v && isspace((unsigned char)l[e - 1]))
		e--;
	free(c->long_value);
	c->long_value = strndup(l + v, e - v);
	if (!c->long_value)
		return false;
	snprintf(str, (size_t)num, "%.*s = " LONG_VALUE_MARK "\n", (int)k, l);
	return true;
}

static char *read_line(char *str, int num, void *stream)
{
	struct ini_ctx *c = stream;
	const char *l;
	size_t len;

	if (c->long_line || !(l = next_line(c, &len)))
		return NULL;
	c->line++;
	if (len + 2 <= (size_t)num) {
		memcpy(str, l, len);
		memcpy(str + len, "\n", 2);
		return str;
	}
	if (shorten(c, l, len, str, num))
		return str;
	c->long_line = c->line;		/* stop here: say which line */
	return NULL;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct ini_ctx *c = user;
	int rc;

	if (c->rc)			/* inih goes on after an error: ignore the rest */
		return 1;
	c->reason[0] = '\0';
	if (c->long_value && !strcmp(value, LONG_VALUE_MARK))
		value = c->long_value;
	rc = c->fn(c->cookie, section, key, value, c->reason, sizeof(c->reason));
	if (!rc)
		return 1;
	c->rc = rc < 0 ? rc : -EINVAL;
	c->err_line = c->line;
	if (!c->reason[0])
		snprintf(c->reason, sizeof(c->reason), "bad value for '%s': '%s'", key, value);
	return 0;
}

static int verdict(struct ini_ctx *c, int line, char *err, size_t err_size)
{
	if (line == -2)
		return -ENOMEM;
	/* the first failure wins, whichever kind it is */
	if (line > 0 && (!c->err_line || line < c->err_line) &&
	    (!c->long_line || line < c->long_line)) {
		snprintf(err, err_size, "syntax error on line %d", line);
		return -EINVAL;
	}
	if (c->err_line && (!c->long_line || c->err_line < c->long_line)) {
		snprintf(err, err_size, "%s on line %d", c->reason, c->err_line);
		return c->rc;
	}
	if (c->long_line) {
		snprintf(err, err_size, "line %d is longer than %d bytes and not a key = value line",
			 c->long_line, INI_MAX_LINE - 2);
		return -EINVAL;
	}
	return 0;
}

static int parse(struct ini_ctx *c, char *err, size_t err_size)
{
	int line = ini_parse_stream(read_line, c, on_key, c);
	int rc = verdict(c, line, err, err_size);

	free(c->long_value);
	free(c->line_buf);
	return rc;
}

int plugfs_ini_parse_string(const char *text, plugfs_ini_key_fn fn, void *cookie, char *err,
			    size_t err_size)
{
	struct ini_ctx c = { .fn = fn, .cookie = cookie, .text = text };

	return parse(&c, err, err_size);
}

int plugfs_ini_parse_file(const char *path, plugfs_ini_key_fn fn, void *cookie, char *err,
			  size_t err_size)
{
	struct ini_ctx c = { .fn = fn, .cookie = cookie };
	int rc;

	c.file = fopen(path, "re");
	if (!c.file) {
		rc = -errno;
		snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
		return rc;
	}
	rc = parse(&c, err, err_size);
	fclose(c.file);
	return rc;
}

int plugfs_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	int base = 10;
	char *end;

	if (!s)
		return -EINVAL;
	if ((s[0] == '0') && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoull would take a sign or leading white space */
	if (!isxdigit((unsigned char)*s) || (base == 10 && !isdigit((unsigned char)*s)))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int plugfs_parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	int rc = plugfs_parse_u64(s, UINT32_MAX, &v);

	if (!rc)
		*out = (uint32_t)v;
	return rc;
}

int plugfs_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int plugfs_set_str(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, s, n + 1);
	return 0;
}

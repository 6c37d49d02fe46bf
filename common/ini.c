/* SPDX-License-Identifier: MIT */
/* The strict ini reader and value parsers (include/plugfs/ini.h). */
#include <plugfs/ini.h>

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ini_ctx {
	plugfs_ini_key_fn fn;
	void *cookie;
	char reason[512];
	int rc;
};

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct ini_ctx *c = user;
	int rc;

	if (c->rc)			/* inih goes on after an error: ignore the rest */
		return 1;
	c->reason[0] = '\0';
	rc = c->fn(c->cookie, section, key, value, c->reason, sizeof(c->reason));
	if (!rc)
		return 1;
	c->rc = rc < 0 ? rc : -EINVAL;
	if (!c->reason[0])
		snprintf(c->reason, sizeof(c->reason), "bad value for '%s': '%s'", key, value);
	return 0;			/* inih returns this line */
}

static int finish(struct ini_ctx *c, int line, char *err, size_t err_size)
{
	if (line < 0) {
		if (err_size)
			snprintf(err, err_size, "cannot read it");
		return line == -2 ? -ENOMEM : -ENOENT;
	}
	if (!line)
		return 0;
	if (c->rc) {
		if (err_size)
			snprintf(err, err_size, "%s on line %d", c->reason, line);
		return c->rc;
	}
	if (err_size)
		snprintf(err, err_size, "syntax error on line %d", line);
	return -EINVAL;
}

int plugfs_ini_parse_string(const char *text, plugfs_ini_key_fn fn, void *cookie, char *err,
			    size_t err_size)
{
	struct ini_ctx c = { .fn = fn, .cookie = cookie };

	return finish(&c, ini_parse_string(text, on_key, &c), err, err_size);
}

int plugfs_ini_parse_file(const char *path, plugfs_ini_key_fn fn, void *cookie, char *err,
			  size_t err_size)
{
	struct ini_ctx c = { .fn = fn, .cookie = cookie };
	FILE *f = fopen(path, "re");
	int line, rc;

	if (!f) {
		rc = -errno;
		if (err_size)
			snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
		return rc;
	}
	line = ini_parse_file(f, on_key, &c);
	fclose(f);
	return finish(&c, line, err, err_size);
}

int plugfs_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (end == s || *end)
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

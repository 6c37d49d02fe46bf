/* SPDX-License-Identifier: MIT */
#include "manifest.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

bool manifest_is_elf(const void *buf, size_t len)
{
	return len >= 4 && !memcmp(buf, "\177ELF", 4);
}

struct parse_ctx {
	struct plugfs_manifest *m;
	char *err;
	size_t err_size;
	int rc;
	bool have_object;
};

static int set_str(char *dst, size_t size, const char *value)
{
	if (strlen(value) >= size)
		return -EINVAL;
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

static int parse_i64(const char *v, int64_t *out)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 0);
	if (errno || end == v || *end || x < 0)
		return -EINVAL;
	*out = x;
	return 0;
}

static int add_kv(struct manifest_kv *arr, unsigned int *n, const char *key, const char *value)
{
	unsigned int i;

	if (!*key)
		return -EINVAL;
	for (i = 0; i < *n; i++)
		if (!strcmp(arr[i].key, key))
			return -EEXIST;
	if (*n >= MANIFEST_MAX_KV)
		return -E2BIG;
	if (set_str(arr[*n].key, sizeof(arr[*n].key), key) ||
	    set_str(arr[*n].value, sizeof(arr[*n].value), value))
		return -EINVAL;
	(*n)++;
	return 0;
}

static int handle(struct parse_ctx *c, const char *name, const char *value)
{
	struct plugfs_manifest *m = c->m;

	if (!strcmp(name, "object")) {
		c->have_object = true;
		return set_str(m->object, sizeof(m->object), value);
	}
	if (!strcmp(name, "name") || !strcmp(name, "entry"))
		return set_str(m->name, sizeof(m->name), value);
	if (!strcmp(name, "proceed_on"))
		return set_str(m->proceed_on, sizeof(m->proceed_on), value);
	if (!strcmp(name, "map_owner"))
		return set_str(m->map_owner, sizeof(m->map_owner), value);
	if (!strcmp(name, "mode")) {
		if (strcmp(value, "native") && strcmp(value, "skb"))
			return -EINVAL;
		return set_str(m->mode, sizeof(m->mode), value);
	}
	if (!strcmp(name, "jit")) {
		if (!strcasecmp(value, "true") || !strcmp(value, "1") || !strcasecmp(value, "yes"))
			m->jit = 1;
		else if (!strcasecmp(value, "false") || !strcmp(value, "0") || !strcasecmp(value, "no"))
			m->jit = 0;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(name, "extra_memory"))
		return parse_i64(value, &m->extra_memory);
	if (!strcmp(name, "shared_memory"))
		return parse_i64(value, &m->shared_memory);
	if (!strncmp(name, "global.", 7)) {
		uint8_t tmp[512];

		if (manifest_hex_decode(value, tmp, sizeof(tmp)) <= 0)
			return -EINVAL;
		return add_kv(m->globals, &m->nr_globals, name + 7, value);
	}
	if (!strncmp(name, "metadata.", 9))
		return add_kv(m->metadata, &m->nr_metadata, name + 9, value);
	return -ENOENT;
}

static int ini_cb(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = user;
	int err;

	if (c->rc)
		return 0;
	if (*section) {
		snprintf(c->err, c->err_size, "manifest: sections are not used ([%s])", section);
		c->rc = -EINVAL;
		return 0;
	}
	err = handle(c, name, value);
	if (err == -ENOENT)
		snprintf(c->err, c->err_size, "manifest: unknown key '%s'", name);
	else if (err == -EEXIST)
		snprintf(c->err, c->err_size, "manifest: key '%s' given twice", name);
	else if (err)
		snprintf(c->err, c->err_size, "manifest: bad value for '%s': '%s'", name, value);
	if (err)
		c->rc = -EINVAL;
	return err ? 0 : 1;
}

int manifest_parse(const void *buf, size_t len, struct plugfs_manifest *m, char *err, size_t err_size)
{
	struct parse_ctx c = { .m = m, .err = err, .err_size = err_size };
	char *text;
	int line;

	memset(m, 0, sizeof(*m));
	m->jit = -1;
	m->extra_memory = -1;
	m->shared_memory = -1;
	if (memchr(buf, '\0', len)) {
		snprintf(err, err_size, "neither an ELF object nor a text manifest (NUL byte)");
		return -EINVAL;
	}
	text = strndup(buf, len);
	if (!text)
		return -ENOMEM;
	line = ini_parse_string(text, ini_cb, &c);
	free(text);
	if (c.rc)
		return c.rc;
	if (line) {
		snprintf(err, err_size, "manifest: syntax error on line %d", line);
		return -EINVAL;
	}
	if (!c.have_object || !m->object[0]) {
		snprintf(err, err_size, "manifest: 'object' is required");
		return -EINVAL;
	}
	if (m->object[0] != '/') {
		snprintf(err, err_size, "manifest: object path must be absolute: '%s'", m->object);
		return -EINVAL;
	}
	return 0;
}

int manifest_read_object(const struct plugfs_manifest *m, size_t max, void **obj, size_t *len,
			 char *err, size_t err_size)
{
	struct stat st;
	char *buf = NULL;
	size_t off = 0;
	int fd, rc = 0;

	fd = open(m->object, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_size, "manifest: cannot open object '%s': %s", m->object, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, err_size, "manifest: object '%s' is not a regular file", m->object);
		rc = -EINVAL;
		goto out;
	}
	if ((size_t)st.st_size > max) {
		snprintf(err, err_size, "manifest: object '%s' is %lld bytes, over the limit of %zu",
			 m->object, (long long)st.st_size, max);
		rc = -EFBIG;
		goto out;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, st.st_size - off);

		if (n <= 0) {
			snprintf(err, err_size, "manifest: cannot read object '%s'", m->object);
			rc = n < 0 ? -errno : -EIO;
			goto out;
		}
		off += n;
	}
	*obj = buf;
	*len = off;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int manifest_hex_decode(const char *hex, uint8_t *out, size_t out_size)
{
	size_t n = 0;

	if (!strncmp(hex, "0x", 2) || !strncmp(hex, "0X", 2))
		hex += 2;
	while (*hex) {
		int hi, lo;

		if (isspace((unsigned char)*hex) || *hex == ':') {
			hex++;
			continue;
		}
		hi = hexval(hex[0]);
		lo = hex[1] ? hexval(hex[1]) : -1;
		if (hi < 0 || lo < 0 || n >= out_size)
			return -EINVAL;
		out[n++] = hi << 4 | lo;
		hex += 2;
	}
	return n;
}

/* SPDX-License-Identifier: MIT */
/* Load manifests: the ini text a write may hold instead of an ELF object. */
#include "manifest.h"

#include <image/image.h>
#include <plugfs/hex.h>
#include <plugfs/ini.h>
#include <plugfs/log.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool manifest_is_elf(const void *buf, size_t len)
{
	return len >= 4 && !memcmp(buf, "\177ELF", 4);
}

struct parse_ctx {
	struct plugfs_manifest *m;
	bool have_object;
	unsigned int seen;		/* bit i: single_keys[i] was given */
};

/*
 * Keys that take one value: a second line for one of them is an error, not
 * a silent override ("entry" is another spelling of "name"). proceed_on is a
 * list, so its lines add up, and global./metadata. check their own names.
 */
static const char *const single_keys[] = {
	"object", "name", "map_owner", "mode", "jit", "extra_memory", "shared_memory",
	"attach", "retprobe", "target", "fn_name", "offset", "pid",
	"image", "image_pull_policy", "registry_auth", "source", "cflags",
	"swap", "swap_empty",
};

static int note_key(struct parse_ctx *c, const char *name, char *err, size_t err_size)
{
	const char *key = strcmp(name, "entry") ? name : "name";

	for (unsigned int i = 0; i < sizeof(single_keys) / sizeof(single_keys[0]); i++) {
		if (strcmp(single_keys[i], key))
			continue;
		if (c->seen & (1u << i)) {
			if (strcmp(key, "name"))
				snprintf(err, err_size, "key '%s' given twice", key);
			else
				snprintf(err, err_size, "key 'name' (or 'entry') given twice");
			return -EINVAL;
		}
		c->seen |= 1u << i;
	}
	return 0;
}

/* A repeated proceed_on joins its values, as bpfctl's repeated --proceed-on does. */
static int add_proceed_on(struct plugfs_manifest *m, const char *value, char *err, size_t err_size)
{
	size_t used = strlen(m->proceed_on);
	int n;

	if (!used)
		return plugfs_set_str(m->proceed_on, sizeof(m->proceed_on), value);
	n = snprintf(m->proceed_on + used, sizeof(m->proceed_on) - used, ", %s", value);
	if (n < 0 || (size_t)n >= sizeof(m->proceed_on) - used) {
		m->proceed_on[used] = '\0';
		snprintf(err, err_size, "proceed_on: more than %zu bytes of verdicts",
			 sizeof(m->proceed_on) - 1);
		return -EINVAL;
	}
	return 0;
}

static int parse_size(const char *v, int64_t *out)
{
	uint64_t x;
	int rc = plugfs_parse_u64(v, INT64_MAX, &x);

	if (!rc)
		*out = (int64_t)x;
	return rc;
}

static int add_kv(struct manifest_kv *arr, unsigned int *n, const char *key, const char *value,
		  char *err, size_t err_size)
{
	unsigned int i;

	if (!*key)
		return -EINVAL;
	for (i = 0; i < *n; i++) {
		if (!strcmp(arr[i].key, key)) {
			snprintf(err, err_size, "key '%s' given twice", key);
			return -EINVAL;
		}
	}
	if (*n >= MANIFEST_MAX_KV) {
		snprintf(err, err_size, "more than %d keys like '%s'", MANIFEST_MAX_KV, key);
		return -EINVAL;
	}
	if (plugfs_set_str(arr[*n].key, sizeof(arr[*n].key), key) ||
	    plugfs_set_str(arr[*n].value, sizeof(arr[*n].value), value))
		return -EINVAL;
	(*n)++;
	return 0;
}

static int add_global(struct plugfs_manifest *m, const char *key, const char *value, char *err,
		      size_t err_size)
{
	struct manifest_kv *g = &m->globals[m->nr_globals];
	uint8_t bytes[sizeof(g->data)];
	ssize_t n = plugfs_hex_decode(value, bytes, sizeof(bytes));
	int rc;

	if (n <= 0)
		return -EINVAL;
	rc = add_kv(m->globals, &m->nr_globals, key, value, err, err_size);
	if (!rc) {
		memcpy(g->data, bytes, (size_t)n);
		g->len = (size_t)n;
	}
	return rc;
}

/* tracing/'s keys, as bpfctl's tracepoint / kprobe / uprobe flags. */
static int tracing_key(struct plugfs_manifest *m, const char *name, const char *value)
{
	uint64_t x;
	bool b;

	if (!strcmp(name, "attach"))
		return plugfs_set_str(m->attach, sizeof(m->attach), value);
	if (!strcmp(name, "target"))
		return plugfs_set_str(m->target, sizeof(m->target), value);
	if (!strcmp(name, "fn_name"))
		return plugfs_set_str(m->fn_name, sizeof(m->fn_name), value);
	if (!strcmp(name, "retprobe")) {
		if (plugfs_parse_bool(value, &b))
			return -EINVAL;
		m->retprobe = b;
		return 0;
	}
	if (!strcmp(name, "offset"))
		return parse_size(value, &m->offset);
	if (plugfs_parse_u64(value, INT32_MAX, &x))
		return -EINVAL;
	m->pid = (int)x;
	return 0;
}

/* The keys that say where the bytes come from when they are not in a file. */
static int origin_key(struct plugfs_manifest *m, const char *name, const char *value, char *err,
		      size_t err_size)
{
	enum image_pull_policy p;

	if (!strcmp(name, "image"))
		return plugfs_set_str(m->image, sizeof(m->image), value);
	if (!strcmp(name, "image_pull_policy")) {
		if (image_pull_policy_parse(value, &p)) {
			snprintf(err, err_size, "image_pull_policy: '%s' is not Always, IfNotPresent "
				 "or Never", value);
			return -EINVAL;
		}
		return plugfs_set_str(m->image_pull_policy, sizeof(m->image_pull_policy),
				      image_pull_policy_name(p));
	}
	if (!strcmp(name, "registry_auth"))
		return plugfs_set_str(m->registry_auth, sizeof(m->registry_auth), value);
	if (!strcmp(name, "source"))
		return plugfs_set_str(m->source, sizeof(m->source), value);
	if (!strcmp(name, "cflags"))
		return plugfs_set_str(m->cflags, sizeof(m->cflags), value);
	snprintf(err, err_size, "unknown key '%s'", name);
	return -EINVAL;
}

static int handle(struct parse_ctx *c, const char *name, const char *value, char *err,
		  size_t err_size)
{
	struct plugfs_manifest *m = c->m;
	bool b;

	if (note_key(c, name, err, err_size))
		return -EINVAL;
	if (!strcmp(name, "object")) {
		c->have_object = true;
		return plugfs_set_str(m->object, sizeof(m->object), value);
	}
	if (!strcmp(name, "name") || !strcmp(name, "entry"))
		return plugfs_set_str(m->name, sizeof(m->name), value);
	if (!strncmp(name, "image", 5) || !strcmp(name, "registry_auth") || !strcmp(name, "source") ||
	    !strcmp(name, "cflags"))
		return origin_key(m, name, value, err, err_size);
	if (!strcmp(name, "proceed_on"))
		return add_proceed_on(m, value, err, err_size);
	if (!strcmp(name, "map_owner"))
		return plugfs_set_str(m->map_owner, sizeof(m->map_owner), value);
	if (!strcmp(name, "mode")) {
		if (strcmp(value, "native") && strcmp(value, "skb"))
			return -EINVAL;
		return plugfs_set_str(m->mode, sizeof(m->mode), value);
	}
	if (!strcmp(name, "jit")) {
		if (plugfs_parse_bool(value, &b))
			return -EINVAL;
		m->jit = b;
		return 0;
	}
	if (!strcmp(name, "swap"))
		return plugfs_set_str(m->swap, sizeof(m->swap), value);
	if (!strcmp(name, "swap_empty"))
		return plugfs_parse_bool(value, &m->swap_empty) ? -EINVAL : 0;
	if (!strcmp(name, "extra_memory"))
		return parse_size(value, &m->extra_memory);
	if (!strcmp(name, "shared_memory"))
		return parse_size(value, &m->shared_memory);
	if (!strncmp(name, "global.", 7))
		return add_global(m, name + 7, value, err, err_size);
	if (!strcmp(name, "attach") || !strcmp(name, "target") || !strcmp(name, "fn_name") ||
	    !strcmp(name, "retprobe") || !strcmp(name, "offset") || !strcmp(name, "pid"))
		return tracing_key(m, name, value);
	if (!strncmp(name, "metadata.", 9))
		return add_kv(m->metadata, &m->nr_metadata, name + 9, value, err, err_size);
	snprintf(err, err_size, "unknown key '%s' (keys: object, name, proceed_on, map_owner, mode, "
		 "global.NAME, metadata.KEY, jit, extra_memory, shared_memory, attach, target, "
		 "fn_name, offset, retprobe, pid, image, image_pull_policy, registry_auth, source, "
		 "cflags, swap, swap_empty)", name);
	return -EINVAL;
}

static int on_key(void *cookie, const char *section, const char *name, const char *value,
		  char *err, size_t err_size)
{
	struct parse_ctx *c = cookie;

	c->m->keys_read++;
	if (*section) {
		snprintf(err, err_size, "sections are not used ([%s])", section);
		return -EINVAL;
	}
	return handle(cookie, name, value, err, err_size);
}

/* Exactly one of object, image, source; the keys that go with one only with it. */
static int check_origin(const struct plugfs_manifest *m, bool have_object, char *err, size_t err_size)
{
	int n = (have_object || m->object[0]) + !!m->image[0] + !!m->source[0];

	if (n != 1) {
		snprintf(err, err_size, "manifest: %s", n ? "give only one of 'object', 'image', 'source'" :
			 "'object' is required (or 'image' or 'source')");
		return -EINVAL;
	}
	if (have_object && m->object[0] != '/') {
		snprintf(err, err_size, "manifest: object path must be absolute: '%s'", m->object);
		return -EINVAL;
	}
	if (m->source[0] && m->source[0] != '/') {
		snprintf(err, err_size, "manifest: source path must be absolute: '%s'", m->source);
		return -EINVAL;
	}
	if (!m->image[0] && (m->image_pull_policy[0] || m->registry_auth[0])) {
		snprintf(err, err_size, "manifest: image_pull_policy and registry_auth go with 'image'");
		return -EINVAL;
	}
	if (!m->source[0] && m->cflags[0]) {
		snprintf(err, err_size, "manifest: cflags go with 'source'");
		return -EINVAL;
	}
	if (m->registry_auth[0] && m->registry_auth[0] != '/') {
		snprintf(err, err_size, "manifest: registry_auth must be an absolute path");
		return -EINVAL;
	}
	return 0;
}

int manifest_parse(const void *buf, size_t len, struct plugfs_manifest *m, char *err, size_t err_size)
{
	struct parse_ctx c = { .m = m };
	char why[512];
	char *text;
	int rc;

	memset(m, 0, sizeof(*m));
	m->jit = -1;
	m->extra_memory = -1;
	m->shared_memory = -1;
	m->retprobe = -1;
	m->offset = -1;
	if (memchr(buf, '\0', len)) {
		snprintf(err, err_size, "neither an ELF object nor a text manifest (NUL byte)");
		return -EINVAL;
	}
	text = strndup(buf, len);
	if (!text)
		return -ENOMEM;
	rc = plugfs_ini_parse_string(text, on_key, &c, why, sizeof(why));
	free(text);
	if (rc) {
		snprintf(err, err_size, "manifest: %s", why);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	return check_origin(m, c.have_object, err, err_size);
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

int manifest_owner_path(const char *mountpoint, const char *base, const char *spec, char *buf,
			size_t size, char **comp, int max)
{
	char *tok, *save = NULL;
	size_t ml = strlen(mountpoint);
	int n = 0;

	if (*spec == '/') {
		if (strncmp(spec, mountpoint, ml) || spec[ml] != '/')
			return -ENOENT;
		snprintf(buf, size, "%s", spec + ml + 1);
	} else {
		snprintf(buf, size, "%s/%s", base, spec);
	}
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (n)
				n--;
			continue;
		}
		if (n >= max)
			return -ENOENT;
		comp[n++] = tok;
	}
	return n;
}

/* SPDX-License-Identifier: MIT */
/* The daemon's configuration: defaults and the ini file (docs/plugfs.8, CONFIGURATION). */
#include "daemon_config.h"
#include "config.h"

#include <plugfs/fileutil.h>
#include <plugfs/ini.h>
#include <plugfs/log.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plugfs_config_defaults(struct plugfs_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", PLUGFS_DEFAULT_STATE_DIR);
	snprintf(c->run_dir, sizeof(c->run_dir), "%s", PLUGFS_DEFAULT_RUN_DIR);
	snprintf(c->bpffs_dir, sizeof(c->bpffs_dir), "%s", PLUGFS_DEFAULT_BPFFS_DIR);
	c->max_object_size = 1u << 20;
	c->max_chain = 10;
	c->host_timeout_ms = 2000;
	c->log_lines = 1000;
	snprintf(c->xdp_mode, sizeof(c->xdp_mode), "native");
	snprintf(c->xdp_proceed_on, sizeof(c->xdp_proceed_on), "pass, dispatcher_return");
	snprintf(c->tc_proceed_on, sizeof(c->tc_proceed_on), "ok, pipe, dispatcher_return");
	c->pull_timeout_ms = 30000;
	c->compile_timeout_ms = 60000;
}

/* A number in [min, max] into an unsigned int. */
static int set_uint(unsigned int *dst, const char *value, unsigned int min, unsigned int max)
{
	uint64_t v;
	int err = plugfs_parse_u64(value, max, &v);

	if (err)
		return err;
	if (v < min)
		return -EINVAL;
	*dst = (unsigned int)v;
	return 0;
}

#define SETSTR(field) plugfs_set_str(c->field, sizeof(c->field), value)

/* Each section's keys: 0, -ENOENT for a key the section does not have,
 * another -errno for a bad value. */
static int paths_key(struct plugfs_config *c, const char *key, const char *value)
{
	char *dst;

	if (!strcmp(key, "state_dir"))
		dst = c->state_dir;
	else if (!strcmp(key, "run_dir"))
		dst = c->run_dir;
	else if (!strcmp(key, "bpffs_dir"))
		dst = c->bpffs_dir;
	else if (!strcmp(key, "mountpoint"))
		dst = c->mountpoint;
	else
		return -ENOENT;
	if (value[0] != '/')
		return -EINVAL;
	/* All four fields have the same size. */
	return plugfs_set_str(dst, sizeof(c->state_dir), value);
}

static int limits_key(struct plugfs_config *c, const char *key, const char *value)
{
	unsigned int v;
	int err;

	if (!strcmp(key, "max_object_size")) {
		err = set_uint(&v, value, 0, 64u << 20);
		if (!err)
			c->max_object_size = v;
		return err;
	}
	if (!strcmp(key, "max_chain"))
		return set_uint(&c->max_chain, value, 1, 32);
	if (!strcmp(key, "host_timeout_ms"))
		return set_uint(&c->host_timeout_ms, value, 0, 600000);
	if (!strcmp(key, "log_lines"))
		return set_uint(&c->log_lines, value, 1, 1000000);
	return -ENOENT;
}

static int access_key(struct plugfs_config *c, const char *key, const char *value)
{
	struct group *g;
	unsigned int gid;
	int err;

	if (strcmp(key, "write_group"))
		return -ENOENT;
	g = getgrnam(value);
	if (g) {
		gid = g->gr_gid;
		err = 0;
	} else {
		err = set_uint(&gid, value, 0, 0x7fffffff);
	}
	if (!err) {
		c->write_gid = gid;
		c->have_write_gid = true;
	}
	return err;
}

static int defaults_key(struct plugfs_config *c, const char *key, const char *value)
{
	if (!strcmp(key, "xdp_mode")) {
		if (strcmp(value, "native") && strcmp(value, "skb"))
			return -EINVAL;
		return SETSTR(xdp_mode);
	}
	if (!strcmp(key, "xdp_proceed_on"))
		return SETSTR(xdp_proceed_on);
	if (!strcmp(key, "tc_proceed_on"))
		return SETSTR(tc_proceed_on);
	if (!strcmp(key, "jit"))
		return plugfs_parse_bool(value, &c->pluglet_jit);
	if (!strcmp(key, "extra_memory"))
		return set_uint(&c->pluglet_extra_memory, value, 0, 64u << 20);
	if (!strcmp(key, "shared_memory"))
		return set_uint(&c->pluglet_shared_memory, value, 0, 64u << 20);
	return -ENOENT;
}

static int images_key(struct plugfs_config *c, const char *key, const char *value)
{
	if (!strcmp(key, "insecure_registries"))
		return SETSTR(insecure_registries);
	if (!strcmp(key, "ca_files"))
		return SETSTR(ca_files);
	if (!strcmp(key, "auth_file"))
		return value[0] == '/' ? SETSTR(auth_file) : -EINVAL;
	if (!strcmp(key, "clang"))
		return SETSTR(clang);
	if (!strcmp(key, "pull_timeout_ms"))
		return set_uint(&c->pull_timeout_ms, value, 1, 600000);
	if (!strcmp(key, "compile_timeout_ms"))
		return set_uint(&c->compile_timeout_ms, value, 1, 600000);
	return -ENOENT;
}

static int config_key(void *cookie, const char *section, const char *key, const char *value,
		      char *err, size_t err_size)
{
	struct plugfs_config *c = cookie;
	unsigned int verbosity;
	int rc = -ENOENT;

	if (!strcmp(section, "paths")) {
		rc = paths_key(c, key, value);
	} else if (!strcmp(section, "limits")) {
		rc = limits_key(c, key, value);
	} else if (!strcmp(section, "access")) {
		rc = access_key(c, key, value);
	} else if (!strcmp(section, "defaults")) {
		rc = defaults_key(c, key, value);
	} else if (!strcmp(section, "images")) {
		rc = images_key(c, key, value);
	} else if (!strcmp(section, "log") && !strcmp(key, "verbosity")) {
		rc = set_uint(&verbosity, value, 0, 2);
		if (!rc)
			c->verbosity = verbosity;
	}
	if (rc == -ENOENT)
		snprintf(err, err_size, "unknown key [%s] %s", section, key);
	else if (rc && !strcmp(section, "access"))
		snprintf(err, err_size, "bad value for [access] %s: '%s' is not a group of this "
			 "system (`getent group` lists them; create it with groupadd, or give a gid)",
			 key, value);
	else if (rc)
		snprintf(err, err_size, "bad value for [%s] %s: '%s'", section, key, value);
	return rc ? -EINVAL : 0;
}

int plugfs_config_load(struct plugfs_config *c, const char *path)
{
	char err[640];
	size_t len;
	void *text;
	int rc;

	rc = plugfs_read_file(path, &text, &len);
	if (rc) {
		fprintf(stderr, "plugfs: error: config %s: cannot open: %s\n", path, strerror(-rc));
		return -ENOENT;
	}
	/* The first problem stops the parse; its line is in the message. */
	rc = plugfs_ini_parse_string(text, config_key, c, err, sizeof(err));
	free(text);
	if (rc)	/* the daemon stops here: an error, said before logging starts */
		fprintf(stderr, "plugfs: error: config %s: %s\n", path, err);
	return rc ? -EINVAL : 0;
}

/* SPDX-License-Identifier: MIT */
#include "config.h"
#include "build_config.h"

#include <plugfs/log.h>

#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
}

static int parse_uint(const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || end == v || *end || v[0] == '-' || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") || !strcasecmp(v, "on"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") || !strcasecmp(v, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

#define SETSTR(field) snprintf(c->field, sizeof(c->field), "%s", value)

struct ini_ctx {
	struct plugfs_config *c;
	const char *path;
	int err;
};

static int handle_key(struct plugfs_config *c, const char *section, const char *name, const char *value)
{
	unsigned long long u;
	int err = 0;

	if (!strcmp(section, "paths")) {
		if (strcmp(name, "state_dir") && strcmp(name, "run_dir") && strcmp(name, "bpffs_dir") &&
		    strcmp(name, "mountpoint"))
			return -ENOENT;
		if (value[0] != '/')
			return -EINVAL;
		if (!strcmp(name, "state_dir"))
			SETSTR(state_dir);
		else if (!strcmp(name, "run_dir"))
			SETSTR(run_dir);
		else if (!strcmp(name, "bpffs_dir"))
			SETSTR(bpffs_dir);
		else
			SETSTR(mountpoint);
	} else if (!strcmp(section, "limits")) {
		if (!strcmp(name, "max_object_size")) {
			err = parse_uint(value, 64ull << 20, &u);
			c->max_object_size = u;
		} else if (!strcmp(name, "max_chain")) {
			err = parse_uint(value, 32, &u);
			if (!err && u == 0)
				err = -EINVAL;
			c->max_chain = u;
		} else if (!strcmp(name, "host_timeout_ms")) {
			err = parse_uint(value, 600000, &u);
			c->host_timeout_ms = u;
		} else if (!strcmp(name, "log_lines")) {
			err = parse_uint(value, 1000000, &u);
			if (!err && u == 0)
				err = -EINVAL;
			c->log_lines = u;
		} else {
			return -ENOENT;
		}
	} else if (!strcmp(section, "access")) {
		if (!strcmp(name, "write_group")) {
			struct group *g = getgrnam(value);

			if (g) {
				c->write_gid = g->gr_gid;
			} else {
				err = parse_uint(value, 0x7fffffff, &u);
				c->write_gid = u;
			}
			c->have_write_gid = !err;
		} else {
			return -ENOENT;
		}
	} else if (!strcmp(section, "defaults")) {
		if (!strcmp(name, "xdp_mode")) {
			if (strcmp(value, "native") && strcmp(value, "skb"))
				return -EINVAL;
			SETSTR(xdp_mode);
		} else if (!strcmp(name, "xdp_proceed_on")) {
			SETSTR(xdp_proceed_on);
		} else if (!strcmp(name, "tc_proceed_on")) {
			SETSTR(tc_proceed_on);
		} else if (!strcmp(name, "jit")) {
			err = parse_bool(value, &c->pluglet_jit);
		} else if (!strcmp(name, "extra_memory")) {
			err = parse_uint(value, 64u << 20, &u);
			c->pluglet_extra_memory = u;
		} else if (!strcmp(name, "shared_memory")) {
			err = parse_uint(value, 64u << 20, &u);
			c->pluglet_shared_memory = u;
		} else {
			return -ENOENT;
		}
	} else if (!strcmp(section, "log")) {
		if (!strcmp(name, "verbosity")) {
			err = parse_uint(value, 2, &u);
			c->verbosity = u;
		} else {
			return -ENOENT;
		}
	} else {
		return -ENOENT;
	}
	return err;
}

static int config_ini_cb(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *ctx = user;
	int err = handle_key(ctx->c, section, name, value);

	if (err == -ENOENT)
		pr_warn("config %s: unknown key [%s] %s", ctx->path, section, name);
	else if (err)
		pr_warn("config %s: bad value for [%s] %s: '%s'", ctx->path, section, name, value);
	if (err && !ctx->err)
		ctx->err = -EINVAL;
	/* Keep going: every bad key is reported, not only the first. */
	return 1;
}

int plugfs_config_load(struct plugfs_config *c, const char *path)
{
	struct ini_ctx ctx = { .c = c, .path = path };
	int line = ini_parse(path, config_ini_cb, &ctx);

	if (line == -1) {
		pr_warn("config %s: cannot open: %s", path, strerror(errno));
		return -ENOENT;
	}
	if (line > 0) {
		pr_warn("config %s: syntax error on line %d", path, line);
		return -EINVAL;
	}
	return ctx.err;
}

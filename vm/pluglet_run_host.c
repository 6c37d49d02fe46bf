/* SPDX-License-Identifier: MIT */
/*
 * pluglet-run's host mode (--arg, --host): the pluglets a pluginized
 * program runs call helpers (get_arg, ctx_malloc, ebpf_print...) that only
 * a host provides, so they are run inside a host made for the purpose, as
 * the REPLACE pluglet of one insertion point called with the arguments the
 * command line gives. Arguments, as VM_CALL passes them:
 *   u64:N, u32:N   an integer (kind_primitive: read-only)
 *   ptr:HEX        bytes (kind_ptr: the pluglet may write them)
 *   str:TEXT       a NUL-terminated string (kind_ptr)
 */
#include "pluglet_run_host.h"

#include <pluglet/host.h>
#include <plugfs/fileutil.h>
#include <plugfs/hex.h>
#include <plugfs/ini.h>
#include <plugfs/log.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_POINT_ID 1

/* One argument's storage: integers inline, bytes malloc'ed. */
struct run_arg {
	uint64_t u64;
	uint32_t u32;
	uint8_t *bytes;
};

static int parse_arg(const char *spec, struct run_arg *st, bpf_args_t *a)
{
	const char *v = strchr(spec, ':');
	ssize_t n;

	if (!v)
		return -EINVAL;
	v++;
	if (!strncmp(spec, "u64:", 4) || !strncmp(spec, "u32:", 4)) {
		bool wide = spec[1] == '6';

		if (plugfs_parse_u64(v, wide ? UINT64_MAX : UINT32_MAX, &st->u64))
			return -EINVAL;
		st->u32 = (uint32_t)st->u64;
		*a = (bpf_args_t){ .arg = wide ? (void *)&st->u64 : (void *)&st->u32,
				   .len = wide ? 8 : 4, .kind = kind_primitive };
		return 0;
	}
	if (!strncmp(spec, "str:", 4)) {
		st->bytes = (uint8_t *)strdup(v);
		if (!st->bytes)
			return -ENOMEM;
		*a = (bpf_args_t){ .arg = st->bytes, .len = strlen(v) + 1, .kind = kind_ptr };
		return 0;
	}
	if (strncmp(spec, "ptr:", 4))
		return -EINVAL;
	st->bytes = malloc(strlen(v) / 2 + 1);
	if (!st->bytes)
		return -ENOMEM;
	n = plugfs_hex_decode(v, st->bytes, strlen(v) / 2 + 1);
	if (n <= 0)
		return -EINVAL;
	*a = (bpf_args_t){ .arg = st->bytes, .len = (size_t)n, .kind = kind_ptr };
	return 0;
}

int run_host_check_arg(const char *spec)
{
	struct run_arg st = { 0 };
	bpf_args_t a;
	int rc = parse_arg(spec, &st, &a);

	free(st.bytes);
	return rc;
}

/* The insertion point: its own body, when no pluglet replaced it, says so. */
static uint64_t call_point(bpf_args_t *args, int nargs, bool *body_ran)
{
	VM_CALL(RUN_POINT_ID, args, nargs, {
		*body_ran = true;
		RETURN_VM_VAL((uint64_t)0);
	});
}

static struct pluglet_host *make_host(const struct run_host_opts *o, void **obj)
{
	static const struct pluglet_point_def point = { "run", RUN_POINT_ID };
	struct pluglet_host_opts ho = {
		.sz = sizeof(ho), .name = "pluglet-run", .points = &point, .nr_points = 1,
		.no_control = true,
	};
	struct pluglet_inject_opts io = {
		.sz = sizeof(io), .jit = o->jit, .extra_mem = o->extra_mem,
		.shared_mem = o->shared_mem, .entry = o->entry,
	};
	struct pluglet_host *h;
	char err[1024] = "";
	size_t len = 0;
	int rc;

	rc = plugfs_read_file(o->program, obj, &len);
	if (rc) {
		fprintf(stderr, "pluglet-run: cannot read %s: %s\n", o->program, strerror(-rc));
		return NULL;
	}
	h = pluglet_host__new(&ho);
	if (!h) {
		fprintf(stderr, "pluglet-run: cannot create the host: %s\n", strerror(errno));
		return NULL;
	}
	rc = pluglet_host__add(h, "run", PLUGLET_ANCHOR_REPLACE, 0, *obj, len, &io, err,
			       sizeof(err));
	if (rc) {
		fprintf(stderr, "pluglet-run: %s: %s\n", o->program, err[0] ? err : strerror(-rc));
		pluglet_host__free(h);
		return NULL;
	}
	return h;
}

/* The host runtime's own messages would repeat what run_in_host says. */
static void quiet(enum plog_level level, const char *msg, void *cookie)
{
}

int run_in_host(const struct run_host_opts *o)
{
	struct run_arg st[RUN_HOST_MAX_ARGS] = { 0 };
	bpf_args_t args[RUN_HOST_MAX_ARGS];
	struct pluglet_stats ps = { .sz = sizeof(ps) };
	struct pluglet_host *h = NULL;
	bool body_ran = false;
	void *obj = NULL;
	uint64_t r0;
	int rc = 2;

	plog_set_sink(quiet, NULL);
	plog_set_stderr(0);
	for (size_t i = 0; i < o->nr_args; i++) {
		if (parse_arg(o->args[i], &st[i], &args[i])) {
			fprintf(stderr, "pluglet-run: bad --arg '%s' (u64:N, u32:N, ptr:HEX, str:TEXT)\n",
				o->args[i]);
			goto out;
		}
	}
	h = make_host(o, &obj);
	if (!h)
		goto out;
	r0 = call_point(args, (int)o->nr_args, &body_ran);
	pluglet_host__stats(h, "run", PLUGLET_ANCHOR_REPLACE, 0, &ps);
	rc = 1;
	if (ps.faults) {
		fprintf(stderr, "pluglet-run: %s: %s fault: %s\n", o->program,
			pluglet_fault_kind_str(ps.last_fault_kind), ps.last_fault);
	} else if (body_ran) {
		fprintf(stderr, "pluglet-run: %s gave up (next()): the host's own code would run\n",
			o->program);
	} else {
		printf("%" PRIx64 "\n", r0);
		rc = 0;
	}
out:
	pluglet_host__free(h);
	free(obj);
	for (size_t i = 0; i < o->nr_args; i++)
		free(st[i].bytes);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * tracing/<name> on the kernel engine (bpf/tracing.h): a flat directory of
 * entries named by the user. A write is an ELF object or a load manifest
 * (fs/manifest.h) with bpfctl's tracing flags as keys; close() loads and
 * attaches, rm detaches and unloads, mv renames, cat reports (text or JSON).
 */
#include "tracing.h"
#include "daemon_config.h"
#include "engine.h"
#include "manifest.h"
#include "object_source.h"
#include "engine_tracing.h"

#include <plugfs/log.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tracing {
	struct engine *eng;
	const struct plugfs_config *cfg;	/* the daemon's, for where bytes come from */
	char mountpoint[PATH_MAX];
	size_t max_object_size;
};

static int list_entries(void *priv, const char *group, unsigned int sub, fs_name_cb cb, void *arg)
{
	struct tracing *t = priv;
	char **names = NULL;
	size_t n = 0, i;
	int err = engine__trace_list(t->eng, &names, &n);

	for (i = 0; !err && i < n; i++)
		err = cb(names[i], arg);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}

static int entry_exists(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct tracing *t = priv;

	return engine__trace_exists(t->eng, name) ? 0 : -ENOENT;
}

static int may_create(void *priv, const char *group, unsigned int sub, const char *name)
{
	if (engine_trace_check_name(name)) {
		pr_warn("tracing/%s: a name is letters, digits, '_', '-' and '.' (not first), at most "
			"128 of them", name);
		return -EINVAL;
	}
	return 0;
}

/* map_owner: a kernel program id, or the path of an entry of tracing/ or
 * ifaces/: absolute, or relative to the entry ("../other"). */
static int resolve_owner(struct tracing *t, const char *name, const char *spec, uint32_t *id)
{
	static const char *const hooks[] = { "xdp", "tc-ingress", "tc-egress" };
	char buf[PATH_MAX], base[300], *comp[16];
	unsigned int prio, k;
	int n;

	if (*spec && strspn(spec, "0123456789") == strlen(spec)) {
		*id = (uint32_t)strtoul(spec, NULL, 10);
		return 0;
	}
	snprintf(base, sizeof(base), "tracing/%s", name);
	n = manifest_owner_path(t->mountpoint, base, spec, buf, sizeof(buf), comp, 16);
	if (n == 2 && !strcmp(comp[0], "tracing"))
		*id = engine__trace_prog_id(t->eng, comp[1]);
	else if (n == 4 && !strcmp(comp[0], "ifaces") && !engine_parse_prio(comp[3], &prio))
		for (k = 0; k < 3; k++)
			if (!strcmp(comp[2], hooks[k]))
				*id = engine__prog_id(t->eng, comp[1], (enum engine_hook)k, prio);
	return *id ? 0 : -ENOENT;
}

/* A manifest's keys as the engine's options; -errno after a message. */
static int manifest_opts(struct tracing *t, const char *name, const struct plugfs_manifest *m,
			 struct engine_trace_opts *o, struct engine_global *g, struct engine_kv *md)
{
	if (m->jit >= 0 || m->extra_memory >= 0 || m->shared_memory >= 0 || m->proceed_on[0] ||
	    m->mode[0] || m->swap[0] || m->swap_empty) {
		pr_warn("tracing/%s: proceed_on, mode, swap and swap_empty apply to ifaces/, jit, "
			"extra_memory and shared_memory to plugins/", name);
		return -EINVAL;
	}
	o->object_path = m->object;
	o->prog_names = m->name[0] ? m->name : NULL;
	o->attach = m->attach[0] ? m->attach : NULL;
	o->target = m->target[0] ? m->target : NULL;
	o->fn_name = m->fn_name[0] ? m->fn_name : NULL;
	o->offset = m->offset;
	o->retprobe = m->retprobe;
	o->pid = m->pid;
	manifest_engine_kv(m, g, md);
	o->globals = g;
	o->n_globals = m->nr_globals;
	o->metadata = md;
	o->n_metadata = m->nr_metadata;
	if (m->map_owner[0] && resolve_owner(t, name, m->map_owner, &o->map_owner_id)) {
		pr_warn("tracing/%s: map_owner '%s' is not an entry of tracing/ or ifaces/ or a "
			"program id", name, m->map_owner);
		return -ENOENT;
	}
	return 0;
}

static int commit(void *priv, const char *group, unsigned int sub, const char *name,
		  const void *buf, size_t len)
{
	struct engine_trace_opts o = { .sz = sizeof(o), .offset = -1, .retprobe = -1 };
	struct engine_global g[MANIFEST_MAX_KV];
	struct engine_kv md[MANIFEST_MAX_KV];
	struct plugfs_manifest *m = NULL;
	struct tracing *t = priv;
	struct object_bytes ob;
	char what[300];
	int err = may_create(priv, group, sub, name);

	if (err)
		return err;
	if (len > t->max_object_size) {
		pr_warn("tracing/%s: %zu bytes is over the size limit of %zu", name, len,
			t->max_object_size);
		return -EFBIG;
	}
	snprintf(what, sizeof(what), "tracing/%s", name);
	err = object_source_load(t->cfg, what, buf, len, NULL, &m, &ob);
	if (err)
		return err;
	if (m) {
		err = manifest_opts(t, name, m, &o, g, md);
		o.object_path = ob.path;	/* an image's URL, a source's path */
		if (err)
			goto out;
	}
	o.sha256 = ob.sha256;	/* hashed once, here */
	err = engine__trace_load(t->eng, name, ob.obj, ob.len, &o);
out:
	object_bytes_fini(&ob);
	free(m);
	return err;
}

static int do_unlink(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct tracing *t = priv;

	return engine__trace_unload(t->eng, name);
}

static int do_rename(void *priv, const char *group, unsigned int sub, const char *from,
		     const char *to)
{
	struct tracing *t = priv;

	if (may_create(priv, group, sub, to))
		return -EINVAL;
	return engine__trace_rename(t->eng, from, to);
}

static int report(void *priv, const char *group, unsigned int sub, const char *name,
		  struct fs_report *out)
{
	struct tracing *t = priv;

	return engine__trace_report(t->eng, name, out->format == FS_REPORT_JSON, &out->buf,
				    &out->len);
}

/* After the reply to a change: what the load left to close, the engine's
 * background work (the journal's fold). */
static void answered(void *priv)
{
	struct tracing *t = priv;

	engine__trace_answered(t->eng);
}

/* A whole object written, not yet closed: the engine begins its load. */
static void prepare(void *priv, const char *group, unsigned int sub, const char *name,
		    const void *buf, size_t len, const void *file)
{
	struct tracing *t = priv;

	engine__trace_prepare(t->eng, name, buf, len, file);
}

static void unprepare(void *priv, const void *file)
{
	struct tracing *t = priv;

	engine__trace_unprepare(t->eng, file);
}

static const struct fs_backend_ops tracing_ops = {
	.list_entries = list_entries,
	.entry_exists = entry_exists,
	.may_create = may_create,
	.commit = commit,
	.unlink = do_unlink,
	.rename = do_rename,
	.report = report,
	.answered = answered,
	.prepare = prepare,
	.unprepare = unprepare,
};

int tracing_domain_init(struct fs_domain *d, const struct plugfs_config *cfg, struct engine *eng)
{
	struct tracing *t;

	if (!eng)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->eng = eng;
	snprintf(t->mountpoint, sizeof(t->mountpoint), "%s", cfg->mountpoint);
	t->max_object_size = cfg->max_object_size;
	t->cfg = cfg;
	*d = (struct fs_domain){
		.name = "tracing",
		.shape = FS_SHAPE_FLAT,
		.ops = &tracing_ops,
		.priv = t,
		.json = true,
		.mount_only = true,
	};
	return 0;
}

void tracing_domain_fini(struct fs_domain *d)
{
	free(d->priv);
	d->priv = NULL;
}

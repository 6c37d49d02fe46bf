/* SPDX-License-Identifier: MIT */
/*
 * ifaces/<ifname>/{xdp,tc-ingress,tc-egress}/<priority> on the kernel engine
 * (bpf/engine.h). Groups are the interfaces of the daemon's network
 * namespace, read fresh on every call; entries are the engine's chains. A
 * write is an ELF object or a load manifest (fs/manifest.h).
 */
#include "backend.h"
#include "daemon_config.h"
#include "engine.h"
#include "manifest.h"
#include "object_source.h"
#include "engine_tracing.h"

#include <plugfs/log.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <limits.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const hooks[] = { "xdp", "tc-ingress", "tc-egress", NULL };

struct ifaces {
	struct engine *eng;
	const struct plugfs_config *cfg;	/* the daemon's, for where bytes come from */
	char mountpoint[PATH_MAX];
	size_t max_object_size;
	pthread_mutex_t unknown_lock;
	char unknown[IF_NAMESIZE + 1];	/* the unknown name logged last */
	int ioctl_fd;			/* SIOCGIFINDEX; -1: if_nametoindex() */
};

static int list_groups(void *priv, fs_name_cb cb, void *arg)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int err = 0;

	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index && !err; i++)
		err = cb(i->if_name, arg);
	if_freenameindex(ifs);
	return err;
}

/* if_nametoindex() opens and closes a socket per call: three syscalls on
 * every lookup and load instead of one. */
static int group_exists(void *priv, const char *group)
{
	const struct ifaces *f = priv;
	struct ifreq ifr = { 0 };

	if (strlen(group) >= IF_NAMESIZE)
		return -ENOENT;
	if (f->ioctl_fd < 0)
		return if_nametoindex(group) ? 0 : -ENOENT;
	memcpy(ifr.ifr_name, group, strlen(group));
	return ioctl(f->ioctl_fd, SIOCGIFINDEX, &ifr) ? -ENOENT : 0;
}

/* The tree's lookup of an interface: a `cp` to a mistyped interface fails
 * at this lookup, so the log says why (once per name in a row: shells and
 * file managers look names up again and again). */
static int lookup_group(void *priv, const char *group)
{
	struct ifaces *f = priv;
	int err = group_exists(priv, group);
	bool again;

	if (!err)
		return 0;
	pthread_mutex_lock(&f->unknown_lock);
	again = !strncmp(f->unknown, group, sizeof(f->unknown));
	snprintf(f->unknown, sizeof(f->unknown), "%s", group);
	pthread_mutex_unlock(&f->unknown_lock);
	if (!again)
		pr_info("ifaces/%s: no such interface (`ip link` lists them)", group);
	return err;
}

static int list_entries(void *priv, const char *group, unsigned int sub, fs_name_cb cb, void *arg)
{
	struct ifaces *f = priv;
	unsigned int p[ENGINE_CHAIN_HARD_MAX];
	char name[16];
	int n, i, err = group_exists(priv, group);

	if (err)
		return err;
	n = engine__list(f->eng, group, (enum engine_hook)sub, p, ENGINE_CHAIN_HARD_MAX);
	if (n < 0)
		return n;
	for (i = 0; i < n && !err; i++) {
		snprintf(name, sizeof(name), "%u", p[i]);
		err = cb(name, arg);
	}
	return err;
}

static int entry_exists(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct ifaces *f = priv;
	unsigned int p[ENGINE_CHAIN_HARD_MAX], prio;
	int n, i;

	if (engine_parse_prio(name, &prio))
		return -ENOENT;
	n = engine__list(f->eng, group, (enum engine_hook)sub, p, ENGINE_CHAIN_HARD_MAX);
	for (i = 0; i < n; i++)
		if (p[i] == prio)
			return 0;
	return -ENOENT;
}

static int parse_name(const char *group, unsigned int sub, const char *name, unsigned int *prio)
{
	if (engine_parse_prio(name, prio)) {
		pr_warn("ifaces/%s/%s/%s: a priority is a decimal number from %d to %d", group,
			hooks[sub], name, ENGINE_PRIO_MIN, ENGINE_PRIO_MAX);
		return -EINVAL;
	}
	return 0;
}

static int may_create(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct ifaces *f = priv;
	unsigned int prio;
	int err = parse_name(group, sub, name, &prio);

	if (err)
		return err;
	if (group_exists(priv, group))
		return -ENOENT;
	return engine__may_create(f->eng, group, (enum engine_hook)sub, prio);
}

/*
 * map_owner: a kernel program id, or the path of another entry: absolute
 * (inside the mount) or relative to the entry itself ("../50" is the
 * sibling at priority 50, "../../tc-ingress/40" another hook).
 */
static int resolve_owner(struct ifaces *f, const char *group, unsigned int sub, const char *name,
			 const char *spec, uint32_t *id)
{
	char buf[PATH_MAX], base[PATH_MAX], *comp[16];
	unsigned int prio;
	int n, k;

	if (*spec && strspn(spec, "0123456789") == strlen(spec)) {
		*id = (uint32_t)strtoul(spec, NULL, 10);
		return 0;
	}
	snprintf(base, sizeof(base), "ifaces/%s/%s/%s", group, hooks[sub], name);
	n = manifest_owner_path(f->mountpoint, base, spec, buf, sizeof(buf), comp, 16);
	if (n == 2 && !strcmp(comp[0], "tracing")) {
		*id = engine__trace_prog_id(f->eng, comp[1]);
		return *id ? 0 : -ENOENT;
	}
	if (n != 4 || strcmp(comp[0], "ifaces") || engine_parse_prio(comp[3], &prio))
		return -ENOENT;
	for (k = 0; hooks[k]; k++) {
		if (!strcmp(comp[2], hooks[k])) {
			*id = engine__prog_id(f->eng, comp[1], (enum engine_hook)k, prio);
			return *id ? 0 : -ENOENT;
		}
	}
	return -ENOENT;
}

static int commit(void *priv, const char *group, unsigned int sub, const char *name, const void *buf,
		  size_t len)
{
	struct engine_load_opts o = { .sz = sizeof(o) };
	struct engine_global g[MANIFEST_MAX_KV];
	struct engine_kv md[MANIFEST_MAX_KV];
	struct plugfs_manifest *m = NULL;
	struct ifaces *f = priv;
	struct object_bytes ob;
	char what[IF_NAMESIZE + 32];
	unsigned int prio;
	int err = parse_name(group, sub, name, &prio);

	if (err)
		return err;
	if (group_exists(priv, group)) {
		pr_warn("ifaces/%s: no such interface", group);
		return -ENOENT;
	}
	if (len > f->max_object_size) {
		pr_warn("ifaces/%s/%s/%s: %zu bytes is over the size limit of %zu", group, hooks[sub],
			name, len, f->max_object_size);
		return -EFBIG;
	}
	snprintf(what, sizeof(what), "ifaces/%s/%s/%s", group, hooks[sub], name);
	err = object_source_load(f->cfg, what, buf, len, sub == ENGINE_HOOK_XDP ? "xdp" : "tc", &m, &ob);
	if (err)
		return err;
	o.image_url = ob.image_url[0] ? ob.image_url : NULL;
	o.image_digest = ob.image_digest;
	o.pull_policy = ob.pull_policy;
	if (m) {
		if (m->attach[0] || m->target[0] || m->fn_name[0] || m->retprobe >= 0 ||
		    m->offset >= 0 || m->pid) {
			pr_warn("ifaces/%s/%s/%s: attach, target, fn_name, offset, retprobe and pid "
				"apply to tracing/ only", group, hooks[sub], name);
			err = -EINVAL;
			goto out;
		}
		if (m->jit >= 0 || m->extra_memory >= 0 || m->shared_memory >= 0) {
			pr_warn("ifaces/%s/%s/%s: jit, extra_memory and shared_memory apply to pluglets only",
				group, hooks[sub], name);
			err = -EINVAL;
			goto out;
		}
		o.object_path = ob.path;
		o.prog_name = m->name[0] ? m->name : ob.prog_name[0] ? ob.prog_name : NULL;
		o.proceed_on = m->proceed_on[0] ? m->proceed_on : NULL;
		o.mode = m->mode[0] ? m->mode : NULL;
		manifest_engine_kv(m, g, md);
		o.swap = m->swap[0] ? m->swap : NULL;
		o.swap_empty = m->swap_empty;
		o.globals = g;
		o.n_globals = m->nr_globals;
		o.metadata = md;
		o.n_metadata = m->nr_metadata;
		if (m->map_owner[0]) {
			err = resolve_owner(f, group, sub, name, m->map_owner, &o.map_owner_id);
			if (err) {
				pr_warn("ifaces/%s/%s/%s: map_owner '%s' is not an entry of ifaces/ or tracing/ or a program id",
					group, hooks[sub], name, m->map_owner);
				goto out;
			}
		}
	}
	err = engine__load(f->eng, group, (enum engine_hook)sub, prio, ob.obj, ob.len, &o);
out:
	object_bytes_fini(&ob);
	free(m);
	return err;
}

static int do_unlink(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct ifaces *f = priv;
	unsigned int prio;

	if (engine_parse_prio(name, &prio))
		return -ENOENT;
	return engine__unload(f->eng, group, (enum engine_hook)sub, prio);
}

static int do_rename(void *priv, const char *group, unsigned int sub, const char *from,
		     const char *to)
{
	struct ifaces *f = priv;
	unsigned int a, b;

	if (engine_parse_prio(from, &a))
		return -ENOENT;
	if (parse_name(group, sub, to, &b))
		return -EINVAL;
	return engine__move(f->eng, group, (enum engine_hook)sub, a, b);
}

static int report(void *priv, const char *group, unsigned int sub, const char *name,
		  struct fs_report *out)
{
	struct ifaces *f = priv;
	unsigned int prio;
	char *buf = NULL;
	size_t len = 0;
	int err;

	if (engine_parse_prio(name, &prio))
		return -ENOENT;
	err = out->format == FS_REPORT_JSON ?
		engine__report_json(f->eng, group, (enum engine_hook)sub, prio, &buf, &len) :
		engine__report(f->eng, group, (enum engine_hook)sub, prio, &buf, &len);
	if (err)
		return err;
	out->buf = buf;
	out->len = len;
	return 0;
}

/* The engine's background work (spare, direct root) after cp has its answer. */
static void answered(void *priv)
{
	struct ifaces *f = priv;

	engine__kick(f->eng);
}

static const struct fs_backend_ops ifaces_ops = {
	.list_groups = list_groups,
	.group_exists = lookup_group,
	.list_entries = list_entries,
	.entry_exists = entry_exists,
	.may_create = may_create,
	.commit = commit,
	.unlink = do_unlink,
	.rename = do_rename,
	.report = report,
	.answered = answered,
};

int ifaces_domain_init(struct fs_domain *d, const struct plugfs_config *cfg)
{
	struct engine_opts eo = { .sz = sizeof(eo) };
	struct ifaces *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->unknown_lock, NULL);
	/* in the daemon's network namespace, as if_nametoindex() would be */
	f->ioctl_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	eo.bpffs_dir = cfg->bpffs_dir;
	eo.state_dir = cfg->state_dir;
	eo.max_chain = cfg->max_chain;
	eo.max_object_size = cfg->max_object_size;
	eo.xdp_proceed_on = cfg->xdp_proceed_on[0] ? cfg->xdp_proceed_on : NULL;
	eo.tc_proceed_on = cfg->tc_proceed_on[0] ? cfg->tc_proceed_on : NULL;
	eo.xdp_mode = cfg->xdp_mode[0] ? cfg->xdp_mode : NULL;
	f->eng = engine__new(&eo);
	if (!f->eng) {
		int err = -errno;

		pr_warn("ifaces: cannot start the kernel engine: %s", strerror(-err));
		if (f->ioctl_fd >= 0)
			close(f->ioctl_fd);
		free(f);
		return err ? err : -EINVAL;
	}
	snprintf(f->mountpoint, sizeof(f->mountpoint), "%s", cfg->mountpoint);
	f->max_object_size = cfg->max_object_size;
	f->cfg = cfg;
	d->name = "ifaces";
	d->subdirs = hooks;
	d->ops = &ifaces_ops;
	d->priv = f;
	d->json = true;
	d->mount_only = true;
	return 0;
}

void manifest_engine_kv(const struct plugfs_manifest *m, struct engine_global *g,
			struct engine_kv *md)
{
	unsigned int i;

	for (i = 0; i < m->nr_globals; i++)
		g[i] = (struct engine_global){ m->globals[i].key, m->globals[i].data,
					       m->globals[i].len };
	for (i = 0; i < m->nr_metadata; i++)
		md[i] = (struct engine_kv){ m->metadata[i].key, m->metadata[i].value };
}

struct engine *ifaces_domain_engine(const struct fs_domain *d)
{
	const struct ifaces *f = d->priv;

	return f ? f->eng : NULL;
}

void ifaces_domain_fini(struct fs_domain *d)
{
	struct ifaces *f = d->priv;

	if (!f)
		return;
	engine__free(f->eng);
	if (f->ioctl_fd >= 0)
		close(f->ioctl_fd);
	free(f);
	d->priv = NULL;
}

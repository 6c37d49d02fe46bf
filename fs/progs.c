/* SPDX-License-Identifier: MIT */
/*
 * progs/<id>: every program the kernel holds, ours and other tools', as
 * `bpfctl list --all` and `bpftool prog show` see them. `cat` prints the
 * kernel state with the attach points (bpf/introspect.c) and, for a
 * program of ours, where it is in the tree; `rm` of a chain entry is `rm`
 * of its ifaces/ entry; a root of ours or another tool's program is EPERM.
 */
#include "progs.h"

#include "engine.h"
#include "introspect.h"

#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct progs {
	const struct fs_domain *ifaces;
	const struct fs_domain *tracing;
};

static int progs_list(void *priv, const char *group, unsigned int sub, fs_name_cb cb, void *arg)
{
	return introspect_list(false, cb, arg);
}

static int progs_exists(void *priv, const char *group, unsigned int sub, const char *name)
{
	uint32_t id;

	return introspect_parse_id(name, &id) ? -ENOENT : introspect_prog_exists(id);
}

static struct engine *engine_of(const struct progs *p)
{
	return p->ifaces && p->ifaces->ops ? ifaces_domain_engine(p->ifaces) : NULL;
}

static void plugfs_fields(struct ifields *fs, const struct engine_where *w)
{
	const char *hook = engine_hook_name(w->hook);

	ifields_add(fs, IFIELD_HEADING, "Plugfs State", "%s", "");
	if (w->role == ENGINE_PROG_SPARE) {
		ifields_add(fs, IFIELD_STR, "Role", "%s", "spare root (made ahead for a first load)");
		return;
	}
	if (w->role == ENGINE_PROG_TRACE) {
		ifields_add(fs, IFIELD_STR, "Role", "%s", "tracing entry");
		ifields_add(fs, IFIELD_STR, "Path", "tracing/%s", w->prog_name);
		ifields_add(fs, IFIELD_STR, "Object Path", "%s", w->object_path);
		return;
	}
	if (w->role == ENGINE_PROG_ROOT) {
		ifields_add(fs, IFIELD_STR, "Role", "%s", "chain root");
		ifields_add(fs, IFIELD_STR, "Path", "ifaces/%s/%s", w->ifname, hook);
		return;
	}
	ifields_add(fs, IFIELD_STR, "Role", "%s", "chain entry");
	ifields_add(fs, IFIELD_STR, "Path", "ifaces/%s/%s/%u", w->ifname, hook, w->prio);
	ifields_add(fs, IFIELD_STR, "Iface", "%s", w->ifname);
	ifields_add(fs, IFIELD_STR, "Hook", "%s", hook);
	ifields_add(fs, IFIELD_NUM, "Priority", "%u", w->prio);
	ifields_add(fs, IFIELD_STR, "Name", "%s", w->prog_name);
	ifields_add(fs, IFIELD_STR, "Object Path", "%s", w->object_path);
}

static int progs_report(void *priv, const char *group, unsigned int sub, const char *name,
			struct fs_report *out)
{
	struct progs *p = priv;
	struct engine *e = engine_of(p);
	struct engine_where w;
	struct ifields fs = { 0 };
	struct strbuf sb = STRBUF_INIT;
	uint32_t id;
	int err;

	if (introspect_parse_id(name, &id))
		return -ENOENT;
	err = introspect_prog_fields(id, &fs);
	if (!err && e && !engine__find_prog(e, id, &w))
		plugfs_fields(&fs, &w);
	else if (!err)
		ifields_add(&fs, IFIELD_STR, "Owner", "%s", "another tool (plugfs only reads it)");
	if (err) {
		ifields_fini(&fs);
		return err;
	}
	if (out->format == FS_REPORT_JSON) {
		err = ifields_json(&fs, &sb);
		ifields_fini(&fs);
		return err ? (strbuf__fini(&sb), err) : fs_report_take(out, &sb);
	}
	err = ifields_text(&fs, &out->buf, &out->len);
	ifields_fini(&fs);
	return err;
}

/* `rm` of the entry through its own tree: what `rm` of it there does. */
static int rm_entry(const struct fs_domain *d, const char *group, unsigned int sub,
		    const char *name)
{
	int err;

	if (!d || !d->ops || !d->ops->unlink)
		return -EPERM;
	err = d->ops->unlink(d->priv, group, sub, name);
	if (!err && d->ops->answered)
		d->ops->answered(d->priv);
	return err;
}

static int progs_unlink(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct progs *p = priv;
	struct engine *e = engine_of(p);
	struct engine_where w;
	char prio[16];
	uint32_t id;
	int err;

	if (introspect_parse_id(name, &id) || introspect_prog_exists(id))
		return -ENOENT;
	if (!e || engine__find_prog(e, id, &w)) {
		pr_warn("rm progs/%u: program %u is another tool's; plugfs unloads only its own "
			"entries", id, id);
		return -EPERM;
	}
	if (w.role == ENGINE_PROG_ROOT || w.role == ENGINE_PROG_SPARE) {
		pr_warn("rm progs/%u: program %u is plugfs's %s; it goes with the chain's last "
			"entry", id, id, w.role == ENGINE_PROG_ROOT ? "chain root" : "spare root");
		return -EPERM;
	}
	if (w.role == ENGINE_PROG_TRACE) {
		/* the whole entry, with its other programs: `rm tracing/<name>` */
		err = rm_entry(p->tracing, NULL, 0, w.prog_name);
		if (!err)
			pr_info("rm progs/%u: removed tracing/%s", id, w.prog_name);
		return err;
	}
	snprintf(prio, sizeof(prio), "%u", w.prio);
	err = rm_entry(p->ifaces, w.ifname, (unsigned int)w.hook, prio);
	if (!err)
		pr_info("rm progs/%u: removed ifaces/%s/%s/%u", id, w.ifname,
			engine_hook_name(w.hook), w.prio);
	return err;
}

static const struct fs_backend_ops progs_ops = {
	.list_entries = progs_list,
	.entry_exists = progs_exists,
	.report = progs_report,
	.unlink = progs_unlink,
};

int progs_domain_init(struct fs_domain *d, const struct fs_domain *ifaces,
		      const struct fs_domain *tracing)
{
	struct progs *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->ifaces = ifaces;
	p->tracing = tracing;
	*d = (struct fs_domain){
		.name = "progs",
		.shape = FS_SHAPE_FLAT,
		.ops = &progs_ops,
		.priv = p,
		.read_only = true,
		.json = true,
	};
	return 0;
}

void progs_domain_fini(struct fs_domain *d)
{
	free(d->priv);
	d->priv = NULL;
}

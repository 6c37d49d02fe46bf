/* SPDX-License-Identifier: MIT */
/*
 * hosts/<name>.<pid>: what each connected host says of itself (its status,
 * as its own report shows it), and the pluglets it refused. A host that
 * does not answer in time shows the newest status it sent, with its age,
 * or what its run file says when it never answered; a read waits for it
 * at most a quarter of a second (host_registry.h).
 */
#include "hosts.h"

#include <plugfs/json.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int hosts_list(void *priv, const char *group, unsigned int sub, fs_name_cb cb, void *arg)
{
	return host_registry__for_each_host(priv, cb, arg);
}

static int hosts_exists(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct host *h = host_registry__find(priv, name);

	host__put(h);
	return h ? 0 : -ENOENT;
}

static void report_rejection(void *arg, const char *plugin, const char *anchor, uint32_t seq,
			     const char *reason)
{
	strbuf__printf(arg, "\nRejected: %s/%s/%u: %s\n", plugin, anchor, seq, reason);
}

static void json_rejection(void *arg, const char *plugin, const char *anchor, uint32_t seq,
			   const char *reason)
{
	struct jsonw *w = arg;

	jsonw__begin_object(w, NULL);
	jsonw__string(w, "plugin", plugin);
	jsonw__string(w, "anchor", anchor);
	jsonw__u64(w, "seq", seq);
	jsonw__string(w, "reason", reason);
	jsonw__end(w);
}

/* The JSON form (docs/json.md, "hosts/"): the same facts as the text. */
static void json_host(struct host *h, const struct host_view *v, struct jsonw *w)
{
	const struct host_info *hi = host__info(h);

	jsonw__begin_object(w, NULL);
	jsonw__string(w, "name", v->err ? hi->name : v->st.name);
	jsonw__i64(w, "pid", v->err ? hi->pid : v->st.pid);
	jsonw__i64(w, "msqid", v->err ? hi->msqid : v->st.msqid);
	jsonw__string(w, "state", v->err || v->silent ? "unreachable" : v->cached ? "slow" : "ready");
	if (v->err)
		jsonw__string(w, "error", strerror(-v->err));
	if (!v->err && v->cached)
		jsonw__u64(w, "status_age_ms", v->age_ms);
	else
		jsonw__null(w, "status_age_ms");
	jsonw__bool(w, "changes_pending", v->unsynced);
	jsonw__begin_array(w, "points");
	for (unsigned int i = 0; i < (v->err ? hi->nr_points : v->st.nr_points); i++) {
		jsonw__begin_object(w, NULL);
		jsonw__string(w, "name", v->err ? hi->points[i] : v->st.points[i].name);
		if (v->err)
			jsonw__null(w, "id");
		else
			jsonw__u64(w, "id", v->st.points[i].id);
		jsonw__end(w);
	}
	jsonw__end(w);
	jsonw__begin_array(w, "pluglets");
	for (uint32_t i = 0; !v->err && i < v->st.nr_pluglets; i++) {
		const struct inj_pluglet_status *p = &v->st.pluglets[i];

		jsonw__begin_object(w, NULL);
		jsonw__string(w, "plugin", p->plugin);
		jsonw__string(w, "anchor", pluglet_anchor_str((enum pluglet_anchor)p->anchor));
		jsonw__u64(w, "seq", p->seq);
		inj_pluglet_status__json(p, w);
		jsonw__end(w);
	}
	jsonw__end(w);
	jsonw__begin_array(w, "rejected");
	host__for_each_rejection(h, json_rejection, w);
	jsonw__end(w);
	jsonw__end(w);
}

static int hosts_report(void *priv, const char *group, unsigned int sub, const char *name,
			struct fs_report *out)
{
	struct strbuf sb = STRBUF_INIT;
	const struct host_info *hi;
	struct host_view v;
	struct host *h;
	unsigned int i;
	int rc;

	h = host_registry__find(priv, name);
	if (!h)
		return -ENOENT;
	hi = host__info(h);
	if (host__status(h, &v)) {
		host__put(h);
		return -ENOMEM;
	}
	if (out->format == FS_REPORT_JSON) {
		struct jsonw w;

		jsonw__init(&w, &sb);
		json_host(h, &v, &w);
		rc = jsonw__finish(&w);
		host_view__fini(&v);
		host__put(h);
		if (rc) {
			strbuf__fini(&sb);
			return rc;
		}
		return fs_report_take(out, &sb);
	}
	if (v.err) {
		/* What the run file said, when the host itself never answered. */
		strbuf__printf(&sb, "Name: %s\nPID: %d\nMsqid: %d\nPoints:", hi->name, hi->pid,
			       hi->msqid);
		for (i = 0; i < hi->nr_points; i++)
			strbuf__printf(&sb, " %s", hi->points[i]);
		strbuf__printf(&sb, "\nState: unreachable (%s)\n", strerror(-v.err));
	} else {
		if (v.silent)
			strbuf__printf(&sb, "State: unreachable (%s)\n", strerror(ETIMEDOUT));
		else
			strbuf__puts(&sb, v.cached ? "State: slow\n" : "State: ready\n");
		if (v.cached)
			strbuf__printf(&sb, "Status Age (ms): %llu\n", (unsigned long long)v.age_ms);
		if (v.unsynced)
			strbuf__puts(&sb, "Changes: pending\n");
		inj_host_status__format(&v.st, &sb);
	}
	host_view__fini(&v);
	host__for_each_rejection(h, report_rejection, &sb);
	host__put(h);
	return fs_report_take(out, &sb);
}

static const struct fs_backend_ops hosts_ops = {
	.list_entries = hosts_list,
	.entry_exists = hosts_exists,
	.report = hosts_report,
};

void hosts_domain_init(struct fs_domain *d, struct host_registry *reg)
{
	*d = (struct fs_domain){
		.name = "hosts",
		.shape = FS_SHAPE_FLAT,
		.ops = &hosts_ops,
		.priv = reg,
		.read_only = true,
		.json = true,
	};
}

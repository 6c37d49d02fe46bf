/* SPDX-License-Identifier: MIT */
/*
 * hosts/<name>.<pid>: what each connected host says of itself (its status,
 * as its own report shows it), and the pluglets it refused. A host that
 * does not answer in time shows the newest status it sent, with its age,
 * or what its run file says when it never answered; a read waits for it
 * at most a quarter of a second (host_registry.h).
 */
#include "hosts.h"

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

static int hosts_report(void *priv, const char *group, unsigned int sub, const char *name,
			struct fs_report *out)
{
	struct strbuf sb = STRBUF_INIT;
	const struct host_info *hi;
	struct host_view v;
	struct host *h;
	unsigned int i;

	h = host_registry__find(priv, name);
	if (!h)
		return -ENOENT;
	hi = host__info(h);
	if (host__status(h, &v)) {
		host__put(h);
		return -ENOMEM;
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
	};
}

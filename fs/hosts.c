/* SPDX-License-Identifier: MIT */
/*
 * hosts/<name>.<pid>: what each connected host says of itself (its status,
 * as its own report shows it), or what its run file says when it cannot
 * answer, and the pluglets it refused. The host is asked without any lock held: a host
 * that does not answer delays only the reads of its own file.
 */
#include "hosts.h"

#include <plugfs/strbuf.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int hosts_list(void *priv, fs_name_cb cb, void *arg)
{
	return host_registry__for_each_host(priv, cb, arg);
}

static int hosts_exists(void *priv, const char *name)
{
	struct host *h = host_registry__find(priv, name);

	host__put(h);
	return h ? 0 : -ENOENT;
}

static void report_rejection(void *arg, const char *plugin, const char *anchor, uint32_t seq,
			     const char *reason)
{
	strbuf__printf(arg, "\nrejected: %s/%s/%u: %s\n", plugin, anchor, seq, reason);
}

static int hosts_report(void *priv, const char *name, struct fs_report *out)
{
	struct strbuf sb = STRBUF_INIT;
	struct inj_host_status st;
	const struct host_info *hi;
	struct host *h;
	unsigned int i;
	int hr;

	h = host_registry__find(priv, name);
	if (!h)
		return -ENOENT;
	hi = host__info(h);
	hr = host__status(h, &st);
	if (hr) {
		/* What the run file said, when the host itself cannot answer. */
		strbuf__printf(&sb, "name: %s\npid: %d\nmsqid: %d\npoints:", hi->name, hi->pid,
			       hi->msqid);
		for (i = 0; i < hi->nr_points; i++)
			strbuf__printf(&sb, " %s", hi->points[i]);
		strbuf__printf(&sb, "\nstate: unreachable (%s)\n", strerror(-hr));
	} else {
		strbuf__puts(&sb, "state: ready\n");
		inj_host_status__format(&st, &sb);
		inj_host_status__fini(&st);
	}
	host__for_each_rejection(h, report_rejection, &sb);
	host__put(h);
	return fs_report_take(out, &sb);
}

static const struct fs_flatdir_ops hosts_ops = {
	.list = hosts_list,
	.exists = hosts_exists,
	.report = hosts_report,
};

void hosts_flatdir_init(struct host_registry *reg, const struct fs_flatdir_ops **ops, void **priv)
{
	*ops = &hosts_ops;
	*priv = reg;
}

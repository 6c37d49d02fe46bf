/* SPDX-License-Identifier: MIT */
/*
 * metrics/plugfs.prom (metrics.h): one flat read-only entry built at each
 * read from the daemon's counters, the hosts' statuses and the kernel
 * programs' counts. Families are written whole, one after the other, as
 * the exposition format asks; a family without samples is left out.
 */
#include "metrics.h"
#include "prom.h"

#include <plugfs/log.h>
#include <pluglet/fault.h>

#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_NAME "plugfs.prom"

/* Bucket bounds of the load latency, in seconds. */
static const double load_bounds[METRICS_LOAD_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

struct metrics {
	struct metrics_opts o;
};

int metrics_daemon__add_tree(struct metrics_daemon *m, const char *name)
{
	for (unsigned int t = 0; t < METRICS_MAX_TREES; t++) {
		if (m->tree[t].tree && !strcmp(m->tree[t].tree, name))
			return 0;
		if (!m->tree[t].tree) {
			__atomic_store_n(&m->tree[t].tree, name, __ATOMIC_RELEASE);
			return 0;
		}
	}
	return -ENOSPC;
}

void metrics_note_load(struct metrics_daemon *m, const char *tree, int err, uint64_t ns)
{
	struct metrics_loads *l = NULL;
	unsigned int b = 0;

	for (unsigned int t = 0; m && tree && t < METRICS_MAX_TREES && !l; t++) {
		const char *name = __atomic_load_n(&m->tree[t].tree, __ATOMIC_ACQUIRE);

		if (name && !strcmp(name, tree))
			l = &m->tree[t];
	}
	if (!l)
		return;
	while (b < METRICS_LOAD_BUCKETS && (double)ns > load_bounds[b] * 1e9)
		b++;
	__atomic_add_fetch(&l->loads, 1, __ATOMIC_RELAXED);
	if (err)
		__atomic_add_fetch(&l->failures, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&l->sum_ns, ns, __ATOMIC_RELAXED);
	__atomic_add_fetch(&l->bucket[b], 1, __ATOMIC_RELAXED);
}

static void load_histogram(const struct metrics_loads *l, const char *tree, struct strbuf *out)
{
	const char *name = "plugfs_load_duration_seconds";
	char sname[64], le[32];
	uint64_t cum = 0, count = 0;
	struct prom_label lb[2] = { { "tree", tree }, { "le", le } };

	snprintf(sname, sizeof(sname), "%s_bucket", name);
	for (unsigned int b = 0; b <= METRICS_LOAD_BUCKETS; b++) {
		cum += __atomic_load_n(&l->bucket[b], __ATOMIC_RELAXED);
		if (b < METRICS_LOAD_BUCKETS)
			snprintf(le, sizeof(le), "%g", load_bounds[b]);
		else
			snprintf(le, sizeof(le), "+Inf");
		prom_sample_u64(out, sname, lb, 2, cum);
	}
	count = cum;
	snprintf(sname, sizeof(sname), "%s_sum", name);
	prom_sample_double(out, sname, lb, 1,
			   (double)__atomic_load_n(&l->sum_ns, __ATOMIC_RELAXED) / 1e9);
	snprintf(sname, sizeof(sname), "%s_count", name);
	prom_sample_u64(out, sname, lb, 1, count);
}

void metrics_daemon_series(const struct metrics_daemon *m, struct strbuf *out)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} counters[] = {
		{ "plugfs_loads_total",
		  "Entries written into the tree (cp, a write closed): loads and replaces.",
		  offsetof(struct metrics_loads, loads) },
		{ "plugfs_load_failures_total", "Loads that failed (close() returned an error).",
		  offsetof(struct metrics_loads, failures) },
	};

	for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
		struct strbuf samples = STRBUF_INIT;

		for (unsigned int t = 0; t < METRICS_MAX_TREES && m->tree[t].tree; t++) {
			const uint64_t *v = (const uint64_t *)((const char *)&m->tree[t] +
							       counters[c].off);

			prom_sample_u64(&samples, counters[c].name,
					&(struct prom_label){ "tree", m->tree[t].tree }, 1,
					__atomic_load_n(v, __ATOMIC_RELAXED));
		}
		prom_family_samples(out, counters[c].name, "counter", counters[c].help, &samples);
	}
	if (!m->tree[0].tree)
		return;
	prom_family(out, "plugfs_load_duration_seconds", "histogram",
		    "Time from close() to the load's answer, failures included.");
	for (unsigned int t = 0; t < METRICS_MAX_TREES && m->tree[t].tree; t++)
		load_histogram(&m->tree[t], m->tree[t].tree, out);
}

/* ---- pluglets, from the hosts' statuses ---- */

struct host_views {
	struct host_set set;
	struct host_view *v;		/* v[i] for set.v[i] */
};

static const char *view_host(const struct host_views *hv, size_t i)
{
	return host__info(hv->set.v[i])->file;
}

static void host_views_fini(struct host_views *hv)
{
	for (size_t i = 0; hv->v && i < hv->set.nr; i++)
		host_view__fini(&hv->v[i]);
	free(hv->v);
	host_set__release(&hv->set);
}

/* Every host's status, asked of all of them together (a read waits at most
 * 250 ms); a host that never answered has v[i].err set. */
static int host_views_get(struct host_registry *reg, struct host_views *hv)
{
	int rc = host_registry__select(reg, NULL, &hv->set);

	if (rc)
		return rc;
	hv->v = calloc(hv->set.nr ? hv->set.nr : 1, sizeof(*hv->v));
	if (!hv->v)
		return -ENOMEM;
	return host_set__status(&hv->set, hv->v);
}

enum pluglet_series { PS_RUNS, PS_FAULTS, PS_RUN_SECONDS, PS_TIMED_RUNS, PS_LAST_FAULT };

static const struct {
	const char *name, *type, *help;
} pluglet_families[] = {
	[PS_RUNS] = { "plugfs_pluglet_runs_total", "counter",
		      "Runs of a pluglet, counted by its host." },
	[PS_FAULTS] = { "plugfs_pluglet_faults_total", "counter",
			"Runs of a pluglet that ended in a fault, by kind of fault." },
	[PS_RUN_SECONDS] = { "plugfs_pluglet_run_seconds_total", "counter",
			     "Time spent running a pluglet, on hosts that measure it." },
	[PS_TIMED_RUNS] = { "plugfs_pluglet_timed_runs_total", "counter",
			    "Runs whose time plugfs_pluglet_run_seconds_total holds." },
	[PS_LAST_FAULT] = { "plugfs_pluglet_last_fault_timestamp_seconds", "gauge",
			    "Wall-clock time of a pluglet's last fault, labelled with its kind." },
};

/* The samples of one family for one pluglet. */
static void pluglet_samples(enum pluglet_series s, const char *host,
			    const struct inj_pluglet_status *p, struct strbuf *out)
{
	const char *name = pluglet_families[s].name;
	char seq[16];
	struct prom_label l[5] = {
		{ "host", host }, { "plugin", p->plugin },
		{ "anchor", pluglet_anchor_str((enum pluglet_anchor)p->anchor) }, { "seq", seq },
		{ "kind", NULL },
	};

	snprintf(seq, sizeof(seq), "%u", p->seq);
	switch (s) {
	case PS_RUNS:
		prom_sample_u64(out, name, l, 4, p->runs);
		break;
	case PS_FAULTS:
		/* every kind a run can end with, zeros included, so rates exist */
		for (unsigned int k = 1; k < PLUGLET_FAULT_ABORTED; k++) {
			l[4].value = pluglet_fault_kind_name(k);
			prom_sample_u64(out, name, l, 5, p->fault_kinds[k]);
		}
		break;
	case PS_RUN_SECONDS:
		if (p->has_run_ns)
			prom_sample_double(out, name, l, 4, (double)p->run_ns / 1e9);
		break;
	case PS_TIMED_RUNS:
		if (p->has_run_ns)
			prom_sample_u64(out, name, l, 4, p->timed_runs);
		break;
	case PS_LAST_FAULT:
		if (p->faults && p->last_fault_time_ns) {
			l[4].value = pluglet_fault_kind_name(p->last_fault_kind);
			prom_sample_double(out, name, l, 5, (double)p->last_fault_time_ns / 1e9);
		}
		break;
	}
}

static void pluglet_series(const struct host_views *hv, struct strbuf *out)
{
	struct strbuf up = STRBUF_INIT;

	for (size_t i = 0; i < hv->set.nr; i++)
		prom_sample_u64(&up, "plugfs_host_up",
				&(struct prom_label){ "host", view_host(hv, i) }, 1, hv->v[i].err == 0);
	prom_family_samples(out, "plugfs_host_up", "gauge",
			    "1 if the host answered its status (now or recently), 0 if it never did.",
			    &up);
	for (unsigned int s = 0; s < sizeof(pluglet_families) / sizeof(pluglet_families[0]); s++) {
		struct strbuf samples = STRBUF_INIT;

		for (size_t i = 0; i < hv->set.nr; i++)
			for (uint32_t k = 0; !hv->v[i].err && k < hv->v[i].st.nr_pluglets; k++)
				pluglet_samples(s, view_host(hv, i), &hv->v[i].st.pluglets[k],
						&samples);
		prom_family_samples(out, pluglet_families[s].name, pluglet_families[s].type,
				    pluglet_families[s].help, &samples);
	}
}

/* ---- the domain ---- */

static int metrics_list(void *priv, const char *group, unsigned int sub, fs_name_cb cb, void *arg)
{
	cb(PROM_NAME, arg);
	return 0;
}

static int metrics_exists(void *priv, const char *group, unsigned int sub, const char *name)
{
	return strcmp(name, PROM_NAME) ? -ENOENT : 0;
}

static int metrics_report(void *priv, const char *group, unsigned int sub, const char *name,
			  struct fs_report *out)
{
	struct metrics *m = priv;
	struct strbuf sb = STRBUF_INIT;
	struct host_views hv = { 0 };
	int rc;

	if (strcmp(name, PROM_NAME))
		return -ENOENT;
	if (m->o.kernel) {
		rc = m->o.kernel(m->o.kernel_arg, &sb);
		if (rc)
			pr_warn("metrics: kernel programs' counts left out: %s", strerror(-rc));
	}
	rc = m->o.reg ? host_views_get(m->o.reg, &hv) : 0;
	if (rc)
		pr_warn("metrics: pluglets' counts left out: %s", strerror(-rc));
	else
		pluglet_series(&hv, &sb);
	host_views_fini(&hv);
	metrics_daemon_series(m->o.daemon, &sb);
	if (sb.err) {
		strbuf__fini(&sb);
		return -ENOMEM;
	}
	return fs_report_take(out, &sb);
}

static const struct fs_backend_ops metrics_ops = {
	.list_entries = metrics_list,
	.entry_exists = metrics_exists,
	.report = metrics_report,
};

int metrics_domain_init(struct fs_domain *d, const struct metrics_opts *opts)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->o = *opts;
	*d = (struct fs_domain){
		.name = "metrics",
		.shape = FS_SHAPE_FLAT,
		.ops = &metrics_ops,
		.priv = m,
		.read_only = true,
	};
	return 0;
}

void metrics_domain_fini(struct fs_domain *d)
{
	free(d->priv);
	d->priv = NULL;
	d->ops = NULL;
}

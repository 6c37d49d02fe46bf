/* SPDX-License-Identifier: MIT */
/*
 * metrics/: the kernel programs' series (runs, verdicts, run time), from
 * the counts the engine keeps for each chained program (engine__stats),
 * and tracing/ programs' runs and run time as the kernel counts them
 * (engine__trace_stats). One walk fills each tree's families, so they
 * show one moment.
 */
#include "metrics.h"
#include "prom.h"
#include "engine.h"
#include "engine_tracing.h"

#include <stdio.h>

struct kernel_series {
	struct strbuf runs, verdicts, seconds;
};

static int kernel_prog(const struct engine_prog_stats *s, void *arg)
{
	struct kernel_series *k = arg;
	const char *const *names;
	char prio[16], id[16];
	size_t n = 0;
	struct prom_label l[6] = {
		{ "iface", s->ifname }, { "hook", engine_hook_name(s->hook) }, { "priority", prio },
		{ "prog_id", id }, { "name", s->prog_name }, { "verdict", NULL },
	};

	snprintf(prio, sizeof(prio), "%u", s->prio);
	snprintf(id, sizeof(id), "%u", s->prog_id);
	prom_sample_u64(&k->runs, "plugfs_program_runs_total", l, 5, s->runs);
	if (s->timed)
		prom_sample_double(&k->seconds, "plugfs_program_run_seconds_total", l, 5,
				   (double)s->run_time_ns / 1e9);
	names = engine_verdict_names(s->hook, &n);
	for (size_t i = 0; names && i < n && i < s->n_verdicts; i++) {
		l[5].value = names[i];
		prom_sample_u64(&k->verdicts, "plugfs_program_verdicts_total", l, 6,
				s->verdicts[i]);
	}
	return 0;
}

struct tracing_series {
	struct strbuf runs, seconds;
};

static int tracing_prog(const struct engine_trace_stats *s, void *arg)
{
	struct tracing_series *k = arg;
	char id[16];
	struct prom_label l[4] = {
		{ "entry", s->entry }, { "name", s->prog_name }, { "prog_id", id },
		{ "attach", s->attach },
	};

	snprintf(id, sizeof(id), "%u", s->prog_id);
	prom_sample_u64(&k->runs, "plugfs_tracing_program_runs_total", l, 4, s->runs);
	prom_sample_double(&k->seconds, "plugfs_tracing_program_run_seconds_total", l, 4,
			   (double)s->run_time_ns / 1e9);
	return 0;
}

static int tracing_series(struct engine *e, struct strbuf *out)
{
	struct tracing_series k = { STRBUF_INIT, STRBUF_INIT };
	int rc = engine__trace_stats(e, tracing_prog, &k);

	prom_family_samples(out, "plugfs_tracing_program_runs_total", "counter",
	       "Runs of a tracing/ program, as the kernel counts them (only while kernel.bpf_stats_enabled is 1).",
	       &k.runs);
	prom_family_samples(out, "plugfs_tracing_program_run_seconds_total", "counter",
	       "Time spent in a tracing/ program, as the kernel counts it (only while kernel.bpf_stats_enabled is 1).",
	       &k.seconds);
	return rc;
}

int metrics_kernel_series(void *arg, struct strbuf *out)
{
	struct kernel_series k = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	struct engine *e = arg;
	int rc;

	if (!e)
		return 0;
	rc = engine__stats(e, kernel_prog, &k);
	prom_family_samples(out, "plugfs_program_runs_total", "counter",
	       "Runs of a chained kernel program, counted by plugfs's chain code.", &k.runs);
	prom_family_samples(out, "plugfs_program_verdicts_total", "counter",
	       "Runs of a chained kernel program by the verdict it returned.", &k.verdicts);
	prom_family_samples(out, "plugfs_program_run_seconds_total", "counter",
	       "Time spent in a chained kernel program (grows while kernel.bpf_stats_enabled is 1).",
	       &k.seconds);
	prom_family(out, "plugfs_program_timing_enabled", "gauge",
		    "1 while run time of kernel programs is counted (kernel.bpf_stats_enabled).");
	prom_sample_u64(out, "plugfs_program_timing_enabled", NULL, 0, engine__timing(e));
	if (rc >= 0)
		rc = tracing_series(e, out);
	return rc < 0 ? rc : 0;
}

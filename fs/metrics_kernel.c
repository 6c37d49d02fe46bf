/* SPDX-License-Identifier: MIT */
/*
 * metrics/: the kernel programs' series (runs, verdicts, run time), from
 * the counts the engine keeps for each chained program (engine__stats).
 * One walk fills the three families, so they show one moment.
 */
#include "metrics.h"
#include "prom.h"
#include "engine.h"

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
	return rc < 0 ? rc : 0;
}

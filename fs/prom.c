/* SPDX-License-Identifier: MIT */
/* The Prometheus text exposition format, written into a strbuf (prom.h). */
#include "prom.h"

#include <math.h>

void prom_family(struct strbuf *out, const char *name, const char *type, const char *help)
{
	/* HELP text escapes backslash and newline only */
	strbuf__printf(out, "# HELP %s ", name);
	for (const char *c = help; *c; c++) {
		if (*c == '\\')
			strbuf__puts(out, "\\\\");
		else if (*c == '\n')
			strbuf__puts(out, "\\n");
		else
			strbuf__put(out, c, 1);
	}
	strbuf__printf(out, "\n# TYPE %s %s\n", name, type);
}

void prom_family_samples(struct strbuf *out, const char *name, const char *type,
			 const char *help, struct strbuf *samples)
{
	if (samples->len) {
		prom_family(out, name, type, help);
		strbuf__put(out, samples->buf, samples->len);
	}
	if (samples->err)
		out->err = samples->err;
	strbuf__fini(samples);
}

void prom_escape(struct strbuf *out, const char *value)
{
	for (const char *c = value ? value : ""; *c; c++) {
		if (*c == '\\')
			strbuf__puts(out, "\\\\");
		else if (*c == '"')
			strbuf__puts(out, "\\\"");
		else if (*c == '\n')
			strbuf__puts(out, "\\n");
		else
			strbuf__put(out, c, 1);
	}
}

static void labels(struct strbuf *out, const char *name, const struct prom_label *l, size_t n)
{
	strbuf__puts(out, name);
	if (!n)
		return;
	strbuf__puts(out, "{");
	for (size_t i = 0; i < n; i++) {
		strbuf__printf(out, "%s%s=\"", i ? "," : "", l[i].name);
		prom_escape(out, l[i].value);
		strbuf__puts(out, "\"");
	}
	strbuf__puts(out, "}");
}

void prom_sample_u64(struct strbuf *out, const char *name, const struct prom_label *l, size_t n,
		     uint64_t v)
{
	labels(out, name, l, n);
	strbuf__printf(out, " %llu\n", (unsigned long long)v);
}

void prom_sample_double(struct strbuf *out, const char *name, const struct prom_label *l,
			size_t n, double v)
{
	labels(out, name, l, n);
	if (isinf(v))
		strbuf__puts(out, v > 0 ? " +Inf\n" : " -Inf\n");
	else if (isnan(v))
		strbuf__puts(out, " NaN\n");
	else
		strbuf__printf(out, " %.12g\n", v);
}

/* SPDX-License-Identifier: MIT */
/*
 * plugfs-top's model (top.h): the series of metrics/plugfs.prom folded
 * into one row per program and per pluglet, rates between two reads, and
 * the table of a frame.
 */
#include "top.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABELS 12

struct sample {
	char name[96];
	unsigned int nr;
	struct {
		char k[32];
		char v[128];
	} l[MAX_LABELS];
	double value;
};

/* A label value up to its closing quote, unescaped; returns past the quote or NULL. */
static const char *parse_value(const char *p, const char *end, char *dst, size_t size)
{
	size_t n = 0;

	for (; p < end && *p != '"'; p++) {
		char c = *p;

		if (c == '\\' && p + 1 < end) {
			c = *++p;
			if (c == 'n')
				c = '\n';
		}
		if (n + 1 < size)
			dst[n++] = c;
	}
	dst[n] = 0;
	return p < end ? p + 1 : NULL;
}

/* name{k="v",...} value: 0, or -1 for comments and what does not parse. */
static int parse_line(const char *p, const char *end, struct sample *s)
{
	size_t n = 0;
	char num[64];

	s->nr = 0;
	if (p >= end || *p == '#')
		return -1;
	while (p < end && *p != '{' && *p != ' ' && n + 1 < sizeof(s->name))
		s->name[n++] = *p++;
	s->name[n] = 0;
	if (p < end && *p == '{') {
		p++;
		while (p < end && *p != '}') {
			const char *eq = memchr(p, '=', (size_t)(end - p));

			if (!eq || eq + 1 >= end || eq[1] != '"' || s->nr == MAX_LABELS)
				return -1;
			snprintf(s->l[s->nr].k, sizeof(s->l[0].k), "%.*s", (int)(eq - p), p);
			p = parse_value(eq + 2, end, s->l[s->nr].v, sizeof(s->l[0].v));
			if (!p)
				return -1;
			s->nr++;
			if (p < end && *p == ',')
				p++;
		}
		p++;
	}
	while (p < end && *p == ' ')
		p++;
	n = (size_t)(end - p) < sizeof(num) ? (size_t)(end - p) : sizeof(num) - 1;
	memcpy(num, p, n);
	num[n] = 0;
	if (!n)
		return -1;
	s->value = strtod(num, NULL);
	return 0;
}

static const char *label(const struct sample *s, const char *k)
{
	for (unsigned int i = 0; i < s->nr; i++)
		if (!strcmp(s->l[i].k, k))
			return s->l[i].v;
	return "";
}

static struct top_row *row_for(struct top_table *t, enum top_kind kind, const char *key)
{
	for (size_t i = 0; i < t->nr; i++)
		if (t->rows[i].kind == kind && !strcmp(t->rows[i].key, key))
			return &t->rows[i];
	if (t->nr == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct top_row *r = realloc(t->rows, cap * sizeof(*r));

		if (!r)
			return NULL;
		t->rows = r;
		t->cap = cap;
	}
	memset(&t->rows[t->nr], 0, sizeof(t->rows[0]));
	t->rows[t->nr].kind = kind;
	t->rows[t->nr].run_seconds = -1;
	snprintf(t->rows[t->nr].key, sizeof(t->rows[0].key), "%s", key);
	return &t->rows[t->nr++];
}

static void add_verdict(struct top_row *r, const char *verdict, double v)
{
	unsigned int i;

	for (i = 0; i < r->nr_verdicts; i++)
		if (!strcmp(r->verdict[i].name, verdict))
			break;
	if (i == TOP_MAX_VERDICTS)
		return;
	if (i == r->nr_verdicts) {
		snprintf(r->verdict[i].name, sizeof(r->verdict[i].name), "%s", verdict);
		r->nr_verdicts++;
	}
	r->verdict[i].count += v;
}

/* Folds one sample into its row; unknown series are ignored. */
static int fold(struct top_table *t, const struct sample *s)
{
	bool prog = !strncmp(s->name, "plugfs_program_", 15);
	bool plug = !strncmp(s->name, "plugfs_pluglet_", 15);
	const char *what = s->name + 15;
	char key[256];
	struct top_row *r;

	if ((!prog && !plug) || (strcmp(what, "runs_total") && strcmp(what, "run_seconds_total") &&
				 strcmp(what, prog ? "verdicts_total" : "faults_total")))
		return 0;
	if (prog)
		snprintf(key, sizeof(key), "%s|%s|%s|%s", label(s, "iface"), label(s, "hook"),
			 label(s, "priority"), label(s, "prog_id"));
	else
		snprintf(key, sizeof(key), "%s|%s|%s|%s", label(s, "host"), label(s, "plugin"),
			 label(s, "anchor"), label(s, "seq"));
	r = row_for(t, prog ? TOP_PROGRAM : TOP_PLUGLET, key);
	if (!r)
		return -ENOMEM;
	if (prog) {
		snprintf(r->where, sizeof(r->where), "%s/%s/%s", label(s, "iface"), label(s, "hook"),
			 label(s, "priority"));
		snprintf(r->name, sizeof(r->name), "%s (%s)", label(s, "name"), label(s, "prog_id"));
	} else {
		snprintf(r->where, sizeof(r->where), "%s/%s/%s", label(s, "plugin"),
			 label(s, "anchor"), label(s, "seq"));
		snprintf(r->name, sizeof(r->name), "%s", label(s, "host"));
	}
	if (!strcmp(what, "runs_total"))
		r->runs = s->value;
	else if (!strcmp(what, "run_seconds_total"))
		r->run_seconds = s->value;
	else if (prog && !strcmp(what, "verdicts_total"))
		add_verdict(r, label(s, "verdict"), s->value);
	else if (plug && !strcmp(what, "faults_total"))
		r->faults += s->value;
	return 0;
}

int top_table__parse(struct top_table *t, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	t->nr = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct sample s;

		if (!parse_line(p, le, &s) && fold(t, &s))
			return -ENOMEM;
		p = le + 1;
	}
	return 0;
}

void top_table__diff(struct top_table *cur, const struct top_table *prev)
{
	for (size_t i = 0; i < cur->nr; i++) {
		struct top_row *r = &cur->rows[i];
		const struct top_row *o = NULL;

		for (size_t j = 0; prev && j < prev->nr && !o; j++)
			if (prev->rows[j].kind == r->kind && !strcmp(prev->rows[j].key, r->key))
				o = &prev->rows[j];
		if (!prev)	/* the first read: no interval yet */
			o = r;
		r->d_runs = r->runs - (o ? o->runs : 0);
		r->d_seconds = r->run_seconds < 0 ? -1 :
			       r->run_seconds - (o && o->run_seconds > 0 ? o->run_seconds : 0);
		r->d_faults = r->faults - (o ? o->faults : 0);
		for (unsigned int v = 0; v < r->nr_verdicts; v++) {
			double before = 0;

			for (unsigned int k = 0; o && k < o->nr_verdicts; k++)
				if (!strcmp(o->verdict[k].name, r->verdict[v].name))
					before = o->verdict[k].count;
			r->d_verdict[v] = r->verdict[v].count - before;
		}
	}
}

static int cmp_rows(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->d_seconds != y->d_seconds)
		return x->d_seconds < y->d_seconds ? 1 : -1;
	if (x->d_runs != y->d_runs)
		return x->d_runs < y->d_runs ? 1 : -1;
	if (x->runs != y->runs)
		return x->runs < y->runs ? 1 : -1;
	return strcmp(x->key, y->key);
}

void top_table__sort(struct top_table *t)
{
	if (t->nr)
		qsort(t->rows, t->nr, sizeof(t->rows[0]), cmp_rows);
}

/* "pass 90% drop 10%" of the interval (of the totals when the interval had none). */
static void shares(const struct top_row *r, char *buf, size_t size)
{
	bool interval = r->d_runs > 0;
	double all = interval ? r->d_runs : r->runs;
	size_t n = 0;

	buf[0] = 0;
	if (all <= 0)
		return;
	if (r->kind == TOP_PLUGLET) {
		double f = interval ? r->d_faults : r->faults;

		snprintf(buf, size, "ok %.0f%% fault %.0f%%", 100 * (all - f) / all, 100 * f / all);
		return;
	}
	for (unsigned int v = 0; v < r->nr_verdicts && n < size; v++) {
		double c = interval ? r->d_verdict[v] : r->verdict[v].count;

		if (c > 0)
			n += (size_t)snprintf(buf + n, size - n, "%s%s %.0f%%", n ? " " : "",
					      r->verdict[v].name, 100 * c / all);
	}
}

void top_table__format(const struct top_table *t, double interval_s, unsigned int width,
		       unsigned int max_rows, struct strbuf *out)
{
	char line[512], ns[32], vs[128];

	snprintf(line, sizeof(line), "%-8s %-26s %-22s %10s %9s %6s %12s  %s", "TYPE", "WHERE",
		 "NAME", "RUNS/S", "NS/RUN", "CPU%", "RUNS", "VERDICTS");
	strbuf__printf(out, "%.*s\n", (int)width, line);
	for (size_t i = 0; i < t->nr && i < max_rows; i++) {
		const struct top_row *r = &t->rows[i];
		bool interval = r->d_runs > 0 && r->d_seconds >= 0;

		if (r->run_seconds <= 0 || (!interval && r->runs <= 0))
			snprintf(ns, sizeof(ns), "-");
		else
			snprintf(ns, sizeof(ns), "%.1f", 1e9 * (interval ? r->d_seconds / r->d_runs :
							      r->run_seconds / r->runs));
		shares(r, vs, sizeof(vs));
		snprintf(line, sizeof(line), "%-8s %-26.26s %-22.22s %10.1f %9s %6.2f %12.0f  %s",
			 r->kind == TOP_PROGRAM ? "prog" : "pluglet", r->where, r->name,
			 interval_s > 0 ? r->d_runs / interval_s : 0, ns,
			 interval_s > 0 && r->d_seconds > 0 ? 100 * r->d_seconds / interval_s : 0,
			 r->runs, vs);
		strbuf__printf(out, "%.*s\n", (int)width, line);
	}
}

void top_table__fini(struct top_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

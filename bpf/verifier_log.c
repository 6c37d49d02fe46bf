/* SPDX-License-Identifier: MIT */
/* The verifier log with the object's own instruction indexes (verifier_log.h). */
#include "verifier_log.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The function holding instruction k (counted without plugfs's); NULL when
 * k is past the program and no function is known there. */
static const struct vlog_func *func_of(const struct vlog_map *m, size_t k)
{
	const struct vlog_func *f = NULL;
	size_t i;

	for (i = 0; i < m->n_funcs && m->funcs[i].start <= k; i++)
		f = &m->funcs[i];
	if (f == m->funcs && k >= m->main_len)
		return NULL;
	return f;
}

void vlog_label(const struct vlog_map *m, size_t idx, char *buf, size_t size)
{
	const struct vlog_func *f;
	size_t k, n;

	if (idx < m->shift) {
		snprintf(buf, size, "plugfs:%zu", idx);
		return;
	}
	k = idx - m->shift;
	f = func_of(m, k);
	if (!f) {
		snprintf(buf, size, "sub+%zu", k - m->main_len);
		return;
	}
	n = f->sec_insn + (k - f->start);
	if (f->section && m->section && strcmp(f->section, m->section))
		snprintf(buf, size, "%s:%zu", f->section, n);
	else if (!f->section && f != m->funcs)
		snprintf(buf, size, "%s+%zu", f->name ? f->name : "sub", k - f->start);
	else
		snprintf(buf, size, "%zu", n);
}

static const struct vlog_line *line_of(const struct vlog_map *m, size_t k)
{
	const struct vlog_line *l = NULL;
	size_t i;

	for (i = 0; i < m->n_lines && m->lines[i].insn <= k; i++)
		l = &m->lines[i];
	return l;
}

/* Reads a decimal number at *p; false if there is none. */
static bool read_index(const char **p, size_t *v)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)**p))
		return false;
	n = strtoull(*p, &end, 10);
	*v = (size_t)n;
	*p = end;
	return true;
}

static void put_label(const struct vlog_map *m, size_t idx, struct strbuf *out)
{
	char lab[96];

	vlog_label(m, idx, lab, sizeof(lab));
	strbuf__puts(out, lab);
}

/*
 * One line, [p, end): its leading index (or both of "from N to M:") as
 * labels. *insn gets the index of an instruction line ("N: (op) ...").
 */
static void rewrite_line(const char *p, const char *end, const struct vlog_map *m,
			 struct strbuf *out, size_t *insn, bool *is_insn)
{
	const char *q = p;
	size_t a, b;

	*is_insn = false;
	if (read_index(&q, &a) && *q == ':') {
		put_label(m, a, out);
		*is_insn = !strncmp(q, ": (", 3);
		*insn = a;
		p = q;
	} else if (!strncmp(p, "from ", 5) && (q = p + 5, read_index(&q, &a)) &&
		   !strncmp(q, " to ", 4) && (q += 4, read_index(&q, &b)) && *q == ':') {
		strbuf__puts(out, "from ");
		put_label(m, a, out);
		strbuf__puts(out, " to ");
		put_label(m, b, out);
		p = q;
	} else if (!strncmp(p, "func#", 5) && (q = p + 5, read_index(&q, &a)) &&
		   !strncmp(q, " @", 2) && (q += 2, read_index(&q, &b))) {
		strbuf__printf(out, "func#%zu @", a);
		put_label(m, b, out);
		p = q;
	} else if (!strncmp(p, "to caller at ", 13) && (q = p + 13, read_index(&q, &a))) {
		strbuf__puts(out, "to caller at ");
		put_label(m, a, out);
		p = q;
	}
	strbuf__put(out, p, (size_t)(end - p));
}

static void put_stop(const struct vlog_map *m, size_t idx, struct strbuf *out)
{
	const struct vlog_func *f;
	const struct vlog_line *l;
	size_t k;

	strbuf__puts(out, "the verifier stopped at instruction ");
	put_label(m, idx, out);
	if (idx < m->shift) {
		strbuf__puts(out, " (inserted by plugfs to chain the program)\n");
		return;
	}
	k = idx - m->shift;
	f = func_of(m, k);
	if (f && f->name)
		strbuf__printf(out, " (%s+%zu)", f->name, k - f->start);
	l = line_of(m, k);
	if (l && l->file) {
		/* the file's base name, as the kernel's own source lines give it */
		const char *src = l->src ? l->src : "", *base = strrchr(l->file, '/');

		src += strspn(src, " \t");
		strbuf__printf(out, ", %s:%u%s%s", base ? base + 1 : l->file, l->line,
			       *src ? ": " : "", src);
	}
	strbuf__puts(out, "\n");
}

void vlog_rewrite(const char *log, const struct vlog_map *m, struct strbuf *out)
{
	const char *p = log, *nl;
	size_t insn = 0, last = 0;
	bool any = false, is_insn;

	while (p && *p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		rewrite_line(p, nl, m, out, &insn, &is_insn);
		strbuf__puts(out, "\n");
		if (is_insn) {
			last = insn;
			any = true;
		}
		p = *nl ? nl + 1 : nl;
	}
	if (any)
		put_stop(m, last, out);
}

bool vlog_verified(const char *log)
{
	while (*log == ' ' || *log == '\n' || *log == '\t')
		log++;
	if (strncmp(log, "processed ", 10))
		return false;
	/* Nothing after the statistics line: one line, then only blanks. */
	log = strchr(log, '\n');
	while (log && (*log == '\n' || *log == ' ' || *log == '\t'))
		log++;
	return !log || !*log;
}

/* SPDX-License-Identifier: MIT */
/*
 * The model of plugfs-top: programs and pluglets read from the Prometheus
 * text of metrics/plugfs.prom, rates between two reads, and the table a
 * frame shows (sorted by CPU time, then by runs), as bpftop shows it.
 */
#ifndef PLUGFS_FS_TOP_H
#define PLUGFS_FS_TOP_H

#include <plugfs/strbuf.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOP_MAX_VERDICTS 8

enum top_kind { TOP_PROGRAM, TOP_PLUGLET };

/* One program or pluglet, with its totals at one read. */
struct top_row {
	enum top_kind kind;
	char key[256];			/* identity across reads */
	char where[128];		/* eth0/xdp/10 or host plugin/anchor/seq */
	char name[64];			/* program name (id) or "pluglet" */
	double runs;
	double run_seconds;		/* < 0: not measured */
	double faults;
	unsigned int nr_verdicts;
	struct {
		char name[16];
		double count;
	} verdict[TOP_MAX_VERDICTS];
	/* between the previous read and this one (rates) */
	double d_runs, d_seconds;
	double d_verdict[TOP_MAX_VERDICTS], d_faults;
};

struct top_table {
	struct top_row *rows;
	size_t nr, cap;
};

/* Rows from the text of plugfs.prom (unknown series are skipped); 0 or -ENOMEM. */
int top_table__parse(struct top_table *t, const char *text, size_t len);
/* Sets the d_ fields of cur from prev (rows absent from prev: since zero;
 * prev NULL: the first read, every d_ field 0). */
void top_table__diff(struct top_table *cur, const struct top_table *prev);
/* Sorted by CPU time of the interval, then runs of the interval, then totals. */
void top_table__sort(struct top_table *t);
/* The table as text, for a frame of `width` columns and at most `max_rows` rows. */
void top_table__format(const struct top_table *t, double interval_s, unsigned int width,
		       unsigned int max_rows, struct strbuf *out);
void top_table__fini(struct top_table *t);

#endif

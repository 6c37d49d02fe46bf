/* SPDX-License-Identifier: MIT */
/*
 * Writing the Prometheus text exposition format (version 0.0.4): a
 * family's HELP and TYPE lines, then its samples with escaped label values.
 * The caller writes every sample of a family right after its header, as
 * the format asks.
 */
#ifndef PLUGFS_FS_PROM_H
#define PLUGFS_FS_PROM_H

#include <plugfs/strbuf.h>

#include <stddef.h>
#include <stdint.h>

struct prom_label {
	const char *name;
	const char *value;
};

/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). */
void prom_family(struct strbuf *out, const char *name, const char *type, const char *help);
/*
 * A family whose samples were gathered apart (while walking something
 * else): its header and samples when there are samples, nothing otherwise.
 * samples is emptied; an allocation error in it is carried into out.
 */
void prom_family_samples(struct strbuf *out, const char *name, const char *type,
			 const char *help, struct strbuf *samples);
/* A label value with backslash, double quote and newline escaped. */
void prom_escape(struct strbuf *out, const char *value);
/* name{labels} value; n may be 0 (no braces). */
void prom_sample_u64(struct strbuf *out, const char *name, const struct prom_label *l, size_t n,
		     uint64_t v);
void prom_sample_double(struct strbuf *out, const char *name, const struct prom_label *l,
			size_t n, double v);

#endif

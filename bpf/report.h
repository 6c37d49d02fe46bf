/* SPDX-License-Identifier: MIT */
/* The `cat` text of an entry (bpf/report.c). */
#ifndef PLUGFS_BPF_REPORT_H
#define PLUGFS_BPF_REPORT_H

#include "engine_internal.h"

#include <plugfs/strbuf.h>

#include <stdint.h>

/* The report of the entry at pos of h, text or JSON (docs/json.md); *buf malloc'ed. */
int report_entry(const struct engine *e, const struct eng_hook *h, unsigned int pos, bool json,
		 char **buf, size_t *len);

/* "key=value" lines joined by ", ", or None, and a newline. */
void report_kv_list(struct strbuf *sb, const char *lines);
struct jsonw;
/* The kernel state of a program of ours that the kernel runs itself
 * (tracing/), read now: the "Kernel State" text block into sb, or with w
 * the "kernel" object of the JSON form (docs/json.md). */
int report_prog_kernel(int fd, struct strbuf *sb, struct jsonw *w);

#endif

/* SPDX-License-Identifier: MIT */
/* The `cat` text of an entry (bpf/report.c). */
#ifndef PLUGFS_BPF_REPORT_H
#define PLUGFS_BPF_REPORT_H

#include "engine_internal.h"

/* The report of the entry at pos of h, text or JSON (docs/json.md); *buf malloc'ed. */
int report_entry(const struct engine *e, const struct eng_hook *h, unsigned int pos, bool json,
		 char **buf, size_t *len);

#endif

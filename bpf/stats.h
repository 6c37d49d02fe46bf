/* SPDX-License-Identifier: MIT */
/* Counts of chained programs (bpf/stats.c): the per-CPU counts map, the run-time switch. */
#ifndef PLUGFS_BPF_STATS_H
#define PLUGFS_BPF_STATS_H

#include "engine_internal.h"

/* A counts map value: one u64 per verdict (engine_verdict_names order),
 * then the run time in ns; one value per counter index, per CPU. */
#define STATS_WORDS (ENGINE_NR_VERDICTS + 1)
#define STATS_TIME_WORD ENGINE_NR_VERDICTS
#define STATS_VALUE_SIZE (STATS_WORDS * 8)
/* Pin of the run-time switch, in the engine's bpffs directory. */
#define STATS_TIMING_PIN "run_time"

/* A fresh counts map (CHAIN_MAP_ENTRIES values, all zero): its fd or -errno. */
int stats_counts_create(void);
/* A counter index (1..CHAIN_MAP_ENTRIES-1) no entry of h uses, its counts
 * set to zero; 0 when the hook has no counts map or none is free. */
unsigned int stats_take_index(const struct eng_hook *h);
/* The counts of the entry at pos of h (the kernel's own when it is not counted). */
void stats_read(const struct eng_hook *h, unsigned int pos, struct engine_prog_stats *s);

/* The run-time switch (an array of one u32 that the chain code reads):
 * taken from its pin or made and pinned; e->time_fd, -1 when it cannot be. */
void stats_timing_open(struct engine *e);
/* Does kernel.bpf_stats_enabled differ from the switch? Without lock. */
bool stats_timing_changed(const struct engine *e);
/* Sets the switch to kernel.bpf_stats_enabled when that changed (under lock). */
void stats_timing_sync(struct engine *e);
/* Closes it; unpin: no chain uses it any more. */
void stats_timing_close(struct engine *e, bool unpin);

#endif

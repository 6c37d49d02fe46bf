/* SPDX-License-Identifier: MIT */
/* The state journal (bpf/journal.c): state dir changes appended, folded when idle. */
#ifndef PLUGFS_BPF_JOURNAL_H
#define PLUGFS_BPF_JOURNAL_H

#include "engine_internal.h"

#include <sys/uio.h>

int journal_open(struct engine *e);
void journal_close(struct engine *e);
/* One writev of whole records; -errno (the caller then writes directly). */
int journal_append(struct engine *e, const struct iovec *iov, int n);
/* Applies the records to the files and empties the journal. Under lock. */
int journal_fold(struct engine *e);
/* Writes a state file whole (temporary + rename), its directory made on
 * demand: a fold's `put`, and a direct write when there is no journal. */
int journal_write_file(const char *path, const void *data, size_t len);

#endif

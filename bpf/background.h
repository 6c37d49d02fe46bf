/* SPDX-License-Identifier: MIT */
/* The engine's idle worker thread (bpf/background.c); engine__kick/settle/spares. */
#ifndef PLUGFS_BPF_BACKGROUND_H
#define PLUGFS_BPF_BACKGROUND_H

#include "engine_internal.h"

/* Starts the thread; spares: it makes spares too. */
int background_start(struct engine *e, bool spares);
/* Stops the thread and closes the spares (nothing of them stays pinned). */
void background_stop(struct engine *e);
/* At the end of every verb (lock released): jobs wait for a quiet time
 * after it. upgrade: the verb attached an indirect root; fold: it appended
 * to the journal. The thread is woken by engine__kick(). */
void background_note(struct engine *e, bool upgrade, bool fold);

#endif

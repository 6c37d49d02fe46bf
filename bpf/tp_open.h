/* SPDX-License-Identifier: MIT */
/* Tracepoint perf events opened on a helper thread during a load (bpf/tp_open.c). */
#ifndef PLUGFS_BPF_TP_OPEN_H
#define PLUGFS_BPF_TP_OPEN_H

#include <stddef.h>

struct tp_opener;

/* One tracepoint to open; category and event are borrowed until
 * tp_opener__wait() returns. category NULL: nothing to open (fd -1, err 0). */
struct tp_open_req {
	const char *category;
	const char *event;
	int fd;				/* out: the perf event, or -1 */
	int err;			/* out: 0 or -errno */
};

/* The perf event of tracepoint category:event (system-wide, enabled, no
 * sampling), as libbpf opens one to attach a program; -errno on failure,
 * -ENOENT for a tracepoint this kernel does not have. */
int tp_open_perf_event(const char *category, const char *event);

/* NULL with errno if the thread cannot be started. */
struct tp_opener *tp_opener__new(void);
/* Waits for a batch in work, stops the thread. */
void tp_opener__free(struct tp_opener *o);
/* Starts opening reqs[0..n) on the thread and returns at once; one batch
 * at a time. o NULL: nothing started, tp_opener__wait() opens them. */
void tp_opener__submit(struct tp_opener *o, struct tp_open_req *reqs, size_t n);
/* Returns once every request of the batch has its fd or err. */
void tp_opener__wait(struct tp_opener *o, struct tp_open_req *reqs, size_t n);

#endif

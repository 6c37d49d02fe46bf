/* SPDX-License-Identifier: MIT */
/*
 * The interface between the host runtime (host.c) and the control thread
 * (control.c). The host init starts the control thread with this; the
 * control thread calls the pluglet_host__* functions of <pluglet/host.h>
 * and host_status_fill() below.
 */
#ifndef PLUGLET_CONTROL_H
#define PLUGLET_CONTROL_H

#include <pluglet/host.h>

#include "status.h"

struct pluglet_ctl;

struct pluglet_ctl_opts {
	size_t sz;			/* sizeof(struct pluglet_ctl_opts) */
	const char *run_dir;		/* NULL: "/run/plugfs" (file goes to <run_dir>/hosts/) */
	const char *name;		/* host name */
	const char *const *points;	/* insertion point names */
	const uint32_t *point_ids;	/* their numeric ids */
	const bool *point_replace_only;	/* CALL_REPLACE_ONLY points; NULL: none */
	size_t nr_points;
	size_t max_object;		/* 0: 1 MiB */
};

/*
 * Creates the SysV queue (0600), publishes <run_dir>/hosts/<name>.<pid>,
 * starts the thread serving requests. NULL with errno on failure.
 */
struct pluglet_ctl *pluglet_ctl__start(struct pluglet_host *h, const struct pluglet_ctl_opts *opts);
/* Stops the thread, removes the queue and the run file. NULL is a no-op. */
void pluglet_ctl__stop(struct pluglet_ctl *c);
/* The queue id, for tests and reports. */
int pluglet_ctl__msqid(const struct pluglet_ctl *c);

/*
 * Implemented by the host runtime (host.c), called by the control thread
 * for INJ_ACT_HOST_STATUS: fills s (arrays malloc'ed, free with
 * inj_host_status__fini()) from one consistent view of the host. 0 or
 * -ENOMEM.
 */
int host_status_fill(struct pluglet_host *h, struct inj_host_status *s);

#endif

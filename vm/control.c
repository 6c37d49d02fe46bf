/* SPDX-License-Identifier: MIT */
/* Placeholder: filled by the control-channel work. */
#include "control.h"

#include <errno.h>
#include <stddef.h>

struct pluglet_ctl *pluglet_ctl__start(struct pluglet_host *h, const struct pluglet_ctl_opts *opts)
{
	errno = EOPNOTSUPP;
	return NULL;
}

void pluglet_ctl__stop(struct pluglet_ctl *c) { }

int pluglet_ctl__msqid(const struct pluglet_ctl *c) { return -1; }

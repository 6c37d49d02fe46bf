// SPDX-License-Identifier: MIT
/* Test program: counts unlinks of target_pid with fentry (a BPF trampoline). */
#include "common.h"

SEC("fentry/do_unlinkat")
int fentry_unlink(void *ctx)
{
	if (mine())
		add(0, 1);
	return 0;
}

// SPDX-License-Identifier: MIT
/* Test program: counts unlinks of target_pid with a kprobe. */
#include "common.h"

SEC("kprobe/do_unlinkat")
int count_unlink(void *ctx)
{
	if (mine())
		add(0, 1);
	return 0;
}

// SPDX-License-Identifier: MIT
/* Test program: counts the getpid system calls of target_pid (a raw tracepoint). */
#include "common.h"

#include <asm/unistd.h>

SEC("raw_tracepoint/sys_enter")
int count_raw(struct bpf_raw_tracepoint_args *ctx)
{
	if (ctx->args[1] == __NR_getpid && mine())
		add(0, 1);
	return 0;
}

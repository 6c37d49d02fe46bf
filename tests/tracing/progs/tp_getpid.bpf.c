// SPDX-License-Identifier: MIT
/* Test program: counts the getpid system calls of target_pid (a tracepoint). */
#include "common.h"

SEC("tracepoint/syscalls/sys_enter_getpid")
int count_getpid(void *ctx)
{
	if (mine())
		add(0, 1);
	return 0;
}

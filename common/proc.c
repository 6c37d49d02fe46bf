/* SPDX-License-Identifier: MIT */
/* Whether a process is still running (include/plugfs/proc.h). */
#include <plugfs/proc.h>

#include <errno.h>
#include <signal.h>

bool plugfs_pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* SPDX-License-Identifier: MIT */
/*
 * The traced program of the tracing/ tests: makes a known number of events.
 *   trace-target [-w] getpid N   N getpid system calls
 *   trace-target [-w] add N      N calls of plugfs_trace_add(i, 1) (uprobe,
 *                                uretprobe: the return values sum to N(N+1)/2)
 *   trace-target [-w] usdt N     N USDT probes plugfs:tick with argument i + 1
 *   trace-target [-w] unlink N   N files created and unlinked (kprobe, fentry)
 * With -w it first reads its standard input to the end, so a test can learn
 * its pid ($!) and attach before the events start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((noinline)) int plugfs_trace_add(int a, int b)
{
	__asm__ volatile("" ::: "memory");
	return a + b;
}

static void unlink_one(void)
{
	char path[] = "/tmp/trace-target.XXXXXX";
	int fd = mkstemp(path);

	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

int main(int argc, char **argv)
{
	char buf[256];
	long n, i;
	int a = 1;

	if (argc > a && !strcmp(argv[a], "-w")) {
		while (read(0, buf, sizeof(buf)) > 0)
			;
		a++;
	}
	if (argc != a + 2)
		return 2;
	n = atol(argv[a + 1]);
	for (i = 0; i < n; i++) {
		if (!strcmp(argv[a], "getpid"))
			syscall(SYS_getpid);
		else if (!strcmp(argv[a], "add"))
			plugfs_trace_add((int)i, 1);
		else if (!strcmp(argv[a], "usdt"))
			DTRACE_PROBE1(plugfs, tick, i + 1);
		else if (!strcmp(argv[a], "unlink"))
			unlink_one();
		else
			return 2;
	}
	return 0;
}

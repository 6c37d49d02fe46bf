/* SPDX-License-Identifier: MIT */
/*
 * A pluginized-program stand-in for the ebpf_injecter shell tests: starts
 * the real control thread (vm/control.c) over the in-memory fake host and
 * waits. It installs no signal handler of its own, so SIGTERM exercises
 * the control thread's cleanup.
 *   fake_host RUN_DIR [DELAY_MS [EXIT_AFTER_MS [stop|abort|segv|fork]]]
 * prints "msqid N" once ready; with EXIT_AFTER_MS it returns from main
 * after that long (calling pluglet_ctl__stop first only with "stop"), or
 * dies of SIGABRT / SIGSEGV (without a core file). "fork" first forks a
 * child that calls pluglet_ctl__stop() and exit(): the parent's channel
 * must survive it.
 */
#include "control.h"
#include "fake_host.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const plugins[] = { "find_idx", "p1", "p2", NULL };
static const char *const points[] = { "find_idx" };
static const uint32_t point_ids[] = { 1 };

int main(int argc, char **argv)
{
	struct pluglet_ctl_opts o = { .sz = sizeof(o), .name = "fake", .points = points,
				      .point_ids = point_ids, .nr_points = 1 };
	struct pluglet_host *h;
	struct pluglet_ctl *c;
	long exit_after;

	if (argc < 2) {
		fprintf(stderr, "usage: %s RUN_DIR [DELAY_MS [EXIT_AFTER_MS [stop|abort|segv|fork]]]\n",
			argv[0]);
		return 2;
	}
	o.run_dir = argv[1];
	h = fake_host__new(plugins, argc > 2 ? (unsigned int)atoi(argv[2]) : 0);
	c = pluglet_ctl__start(h, &o);
	if (!c) {
		perror("pluglet_ctl__start");
		return 1;
	}
	if (argc > 4 && !strcmp(argv[4], "fork")) {
		pid_t child = fork();

		if (child == 0) {
			pluglet_ctl__stop(c);
			exit(0);
		}
		waitpid(child, NULL, 0);
	}
	printf("msqid %d\n", pluglet_ctl__msqid(c));
	fflush(stdout);
	exit_after = argc > 3 ? atol(argv[3]) : 0;
	if (exit_after <= 0) {
		for (;;)
			pause();
	}
	usleep((useconds_t)exit_after * 1000);
	if (argc > 4 && !strcmp(argv[4], "stop"))
		pluglet_ctl__stop(c);
	if (argc > 4 && (!strcmp(argv[4], "abort") || !strcmp(argv[4], "segv"))) {
		setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
		if (!strcmp(argv[4], "abort"))
			abort();
		raise(SIGSEGV);
	}
	return 0;
}

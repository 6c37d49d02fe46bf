/* SPDX-License-Identifier: MIT */
/* The arguments and privileges every kernel-engine benchmark checks first. */
#ifndef PLUGFS_TESTS_BPF_BENCH_ARGS_H
#define PLUGFS_TESTS_BPF_BENCH_ARGS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* -1 to go on; else the exit code: usage (2), not root (77, 1 under CI=true). */
static inline int bench_args(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s pass.bpf.o\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root\n");
		return getenv("CI") && !strcmp(getenv("CI"), "true") ? 1 : 77;
	}
	return -1;
}

#endif

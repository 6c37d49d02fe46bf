/* SPDX-License-Identifier: MIT */
/* pluglet-run's host mode: a pluglet run as a host would run it. */
#ifndef PLUGLET_RUN_HOST_H
#define PLUGLET_RUN_HOST_H

#include <pluglet/vm.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUN_HOST_MAX_ARGS 16

struct run_host_opts {
	const char *program;		/* ELF object */
	const char *entry;		/* NULL: the only global function */
	bool jit;
	uint32_t extra_mem;		/* for ctx_malloc */
	uint32_t shared_mem;		/* for ctx_shmnew */
	const char *args[RUN_HOST_MAX_ARGS];	/* --arg specs, in order */
	size_t nr_args;
};

/*
 * Creates a host with one insertion point ("run", id 1) and the standard
 * pluglet helpers, injects the program as its REPLACE pluglet, calls the
 * point once with the arguments and prints r0 in hex. Returns the exit
 * code: 0, 1 (the pluglet faulted or gave up with next(), said on stderr),
 * 2 (bad arguments or a program the host refuses, said on stderr).
 */
int run_in_host(const struct run_host_opts *o);

/* Checks one --arg spec ("u64:N", "u32:N", "ptr:HEX", "str:TEXT"); 0 or -EINVAL. */
int run_host_check_arg(const char *spec);

#endif

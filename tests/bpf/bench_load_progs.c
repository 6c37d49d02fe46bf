/* SPDX-License-Identifier: MIT */
/*
 * Benchmark helper: loads N tiny programs ("return 0" socket filters) and
 * holds them until it is stopped, so progs/ has that many more entries.
 *
 *   bench_load_progs N    (prints "ready" once they are loaded)
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int n = argc > 1 ? atoi(argv[1]) : 0, i;

	if (n <= 0) {
		fprintf(stderr, "usage: bench_load_progs N\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		/* the fds stay open: the programs live as long as this process */
		if (bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "bench_prog", "MIT", insns, 2,
				  NULL) < 0) {
			fprintf(stderr, "program %d: %s\n", i, strerror(errno));
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	pause();
	return 0;
}

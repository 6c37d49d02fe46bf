/* SPDX-License-Identifier: MIT */
/*
 * Integration test: the kernel as the oracle of the instruction-set test
 * vectors. Each result vector runs in the pluglet VM (interpreter and JIT)
 * and, as a BPF_PROG_TYPE_SOCKET_FILTER program, in the kernel through
 * BPF_PROG_TEST_RUN; all must give the vector's written result.
 *   test_isa_kernel VECTORS
 * The kernel returns only the low 32 bits of r0, so each vector runs there
 * twice, as a subprogram of a three-instruction main that returns r0 or
 * r0 >> 32. A vector the kernel's verifier refuses still runs in the VM;
 * the test says which, and fails unless every vector not marked
 * `kernel-refuses` ran in the kernel (kernels before 6.6 may refuse the
 * RFC 9669 instructions they lack). Needs root: without BPF it is skipped
 * (exit 77), and fails under CI=true.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isa_vm.h"

#define WRAP 3	/* instructions of the main program around a vector */

struct tally {
	unsigned checked, refused_marked, refused_v4, refused_other, failed;
};

/* Loads main + vector as one program; main calls the vector and returns
 * its r0 (hi = false) or r0 >> 32 (hi = true). fd or -errno, log in `log`. */
static int kernel_load(const struct isa_vector *v, bool hi, char *log, size_t log_size)
{
	struct bpf_insn prog[WRAP + ISA_MAX_INSNS] = {
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_CALL, .imm = WRAP - 1 },
		{ .code = BPF_ALU64 | BPF_RSH | BPF_K, .dst_reg = 0, .imm = hi ? 32 : 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = log_size,
		    .log_level = log ? 1 : 0);
	int fd;

	memcpy(prog + WRAP, v->insns, v->nr_insns * sizeof(v->insns[0]));
	if (log)
		log[0] = 0;
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "isa_vector", "Dual MIT/GPL", prog,
			   WRAP + v->nr_insns, &opts);
	return fd < 0 ? -errno : fd;
}

/* The kernel's own run: 0 with *out = its 32-bit return value. */
static int kernel_run(int fd, uint32_t *out)
{
	uint8_t pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = 1);
	int rc = bpf_prog_test_run_opts(fd, &topts);

	if (rc)
		return -errno;
	*out = topts.retval;
	return 0;
}

/* The reason in a verifier log: its last line that is not a statistic. */
static void log_reason(const char *log, char *out, size_t out_size)
{
	const char *p = log, *nl;

	out[0] = 0;
	for (; *p; p = nl + 1) {
		int len;

		nl = strchrnul(p, '\n');
		len = (int)(nl - p);
		if (len && strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17) &&
		    strncmp(p, "stack depth", 11))
			snprintf(out, out_size, "%.*s", len, p);
		if (!*nl)
			break;
	}
}

/* Runs v in the kernel: 0 with *r0, or -errno (the verifier's reason in `why`). */
static int kernel_result(const struct isa_vector *v, uint64_t *r0, char *why, size_t why_size)
{
	static char log[1 << 16];
	uint32_t half[2];
	int i, fd, rc;

	for (i = 0; i < 2; i++) {
		fd = kernel_load(v, i == 1, NULL, 0);
		if (fd < 0) {
			/* again with a log, for the reason only: a log can be too small for a
			 * program the kernel accepts */
			snprintf(why, why_size, "%s", strerror(-fd));
			if (kernel_load(v, i == 1, log, sizeof(log)) < 0 && log[0]) {
				snprintf(why + strlen(why), why_size - strlen(why), ": ");
				log_reason(log, why + strlen(why), why_size - strlen(why));
			}
			return fd;
		}
		rc = kernel_run(fd, &half[i]);
		close(fd);
		if (rc) {
			snprintf(why, why_size, "BPF_PROG_TEST_RUN: %s", strerror(-rc));
			return rc;
		}
	}
	*r0 = (uint64_t)half[1] << 32 | half[0];
	return 0;
}

/* Exit code of a test that cannot run here: 77 (skip), 1 under CI=true. */
static int skip(const char *why)
{
	const char *ci = getenv("CI");

	if (ci && !strcmp(ci, "true")) {
		printf("FAIL: cannot run under CI: %s\n", why);
		return 1;
	}
	printf("SKIP: %s\n", why);
	return 77;
}

/* The VM in both modes, against the written result. */
static void check_vm(const struct isa_vector *v, struct tally *t)
{
	static const enum pluglet_vm_mode modes[] = { PLUGLET_VM_INTERP, PLUGLET_VM_JIT };
	char why[512];
	unsigned m;

	for (m = 0; m < 2; m++)
		if (!isa_vm__check(v, modes[m], why, sizeof(why))) {
			printf("not ok - %s (line %u, %s): %s\n", v->name, v->line,
			       m ? "jit" : "interp", why);
			t->failed++;
		}
}

static void check_kernel(const struct isa_vector *v, bool have_v4, struct tally *t)
{
	char why[512];
	uint64_t r0;

	if (kernel_result(v, &r0, why, sizeof(why))) {
		if (v->kernel_refuses[0]) {
			t->refused_marked++;
			printf("# kernel refuses %s, as written (%s): %s\n", v->name,
			       v->kernel_refuses, why);
		} else if (!have_v4 && isa_vector__uses_v4(v)) {
			t->refused_v4++;
			printf("# kernel refuses %s (an RFC 9669 instruction this kernel lacks): %s\n",
			       v->name, why);
		} else {
			t->refused_other++;
			printf("not ok - %s (line %u): the kernel refuses it: %s\n", v->name, v->line,
			       why);
		}
		return;
	}
	t->checked++;
	if (v->kernel_refuses[0])
		printf("# kernel accepts %s, marked kernel-refuses (%s)\n", v->name,
		       v->kernel_refuses);
	if (r0 != v->result) {
		printf("not ok - %s (line %u): kernel r0=0x%" PRIx64 ", vector says 0x%" PRIx64 "\n",
		       v->name, v->line, r0, v->result);
		t->failed++;
	}
}

/* A program with a signed division: does this kernel know RFC 9669's v4? */
static bool probe_v4(void)
{
	struct isa_vector v = { .nr_insns = 3 };
	uint64_t r0;
	char why[256];

	v.insns[0] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = -6 };
	v.insns[1] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_DIV | BPF_K, .off = 1, .imm = 3 };
	v.insns[2] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
	return !kernel_result(&v, &r0, why, sizeof(why)) && r0 == (uint64_t)-2;
}

static bool can_load(char *why, size_t why_size)
{
	struct isa_vector v = { .nr_insns = 2 };
	uint64_t r0;

	v.insns[0] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = 7 };
	v.insns[1] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
	return !kernel_result(&v, &r0, why, why_size) && r0 == 7;
}

int main(int argc, char **argv)
{
	unsigned i, results = 0, minimum = 0;
	struct tally t = { 0 };
	struct isa_set set;
	char err[512];
	bool have_v4;

	if (argc != 2) {
		fprintf(stderr, "usage: %s VECTORS\n", argv[0]);
		return 2;
	}
	if (isa_set__load(&set, argv[1], err, sizeof(err))) {
		printf("not ok - %s\n", err);
		return 1;
	}
	if (!can_load(err, sizeof(err))) {
		char reason[600];

		snprintf(reason, sizeof(reason), "cannot load a BPF program (needs root): %s", err);
		isa_set__free(&set);
		return skip(reason);
	}
	have_v4 = probe_v4();
	for (i = 0; i < set.n; i++) {
		const struct isa_vector *v = &set.v[i];

		if (v->is_fault)
			continue;
		results++;
		minimum += !v->kernel_refuses[0] && (have_v4 || !isa_vector__uses_v4(v));
		check_vm(v, &t);
		check_kernel(v, have_v4, &t);
	}
	printf("kernel oracle: %u of %u result vectors checked against the kernel (minimum %u); "
	       "refused: %u as written, %u for want of RFC 9669 v4, %u unexpectedly; "
	       "%u mismatches\n",
	       t.checked, results, minimum, t.refused_marked, t.refused_v4, t.refused_other,
	       t.failed);
	isa_set__free(&set);
	return t.failed || t.refused_other || t.checked < minimum ? 1 : 0;
}

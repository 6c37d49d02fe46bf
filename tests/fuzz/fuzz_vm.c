/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target over load + verify + run of random bytecode with random
 * memory. The memory the program gets is malloc'd to its exact size, so
 * ASan catches any access the VM lets through; the run must end cleanly or
 * with a well-formed fault.
 * Run: make fuzz (or build-fuzz/tests/fuzz/fuzz-vm -max_total_time=60 DIR)
 *
 * Input layout: byte 0 = memory length, byte 1 = flags, then the memory,
 * then the program (8-byte words). Flag 0x80 repairs the program a little
 * (registers r0..r10, exit at the end) so that more inputs get past the
 * verifier and reach the interpreter. Flag 0x40 also runs the program in
 * the JIT (where the build has one) at the same addresses and requires the
 * same outcome: return, r0, memory, fault kind, instruction, address, count.
 */
#include <pluglet/vm.h>
#include <plugfs/log.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static uint64_t h_sum(struct pluglet_exec *ex, uint64_t a1, uint64_t a2, uint64_t a3,
		      uint64_t a4, uint64_t a5)
{
	return a1 + a2 + a3 + a4 + a5;
}

/* Touches what the program hands it, the way real helpers do: checked first. */
static uint64_t h_touch(struct pluglet_exec *ex, uint64_t a1, uint64_t a2, uint64_t a3,
			uint64_t a4, uint64_t a5)
{
	uint8_t *p;

	if (a2 > 4096)
		return 0;
	p = pluglet_exec__check(ex, a1, a2, PLUGLET_PERM_RW);
	if (!p) {
		pluglet_exec__abort(ex, PLUGLET_FAULT_HELPER, 0, "bad pointer");
		return 0;
	}
	memset(p, (int)a3, a2);
	return a2;
}

static uint64_t h_unwind(struct pluglet_exec *ex, uint64_t a1, uint64_t a2, uint64_t a3,
			 uint64_t a4, uint64_t a5)
{
	if (!a1)
		pluglet_exec__abort(ex, PLUGLET_FAULT_ABORTED, 0, "unwind");
	return a1;
}

static struct pluglet_helpers *helpers;

/* JIT code that runs into its int3 padding traps; libFuzzer does not
 * handle SIGTRAP, so make it an abort, which it reports with the input. */
static void on_trap(int sig)
{
	(void)sig;
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	signal(SIGTRAP, on_trap);
	plog_set_level(PLOG_WARN);
	helpers = pluglet_helpers__new();
	if (!helpers || pluglet_helpers__add(helpers, 1, "sum", h_sum) ||
	    pluglet_helpers__add(helpers, 2, "touch", h_touch) ||
	    pluglet_helpers__add(helpers, 5, "unwind", h_unwind))
		abort();
	return 0;
}

struct outcome {
	bool ran;
	int err;
	uint64_t r0;
	struct pluglet_exec ex;
};

struct input {
	const struct pluglet_insn *insns;
	size_t n;
	const uint8_t *init;	/* initial memory */
	uint8_t *mem;		/* the program's memory, exact size */
	size_t mem_len;
	uint8_t flags;
};

/* Loads and runs in `mode`; out->ran is false when the mode is not available. */
static __attribute__((noinline)) void run_one(const struct input *in, enum pluglet_vm_mode mode,
					      struct outcome *out)
{
	char log[256];
	struct pluglet_vm_opts opts = {
		.sz = sizeof(opts), .mode = mode, .helpers = helpers,
		.budget = 20000, .max_insns = 4096, .log_buf = log, .log_size = sizeof(log),
	};
	static uint8_t ro[16];
	struct pluglet_region rg[2];
	struct pluglet_vm *vm;
	size_t i;

	memset(out, 0, sizeof(*out));
	vm = pluglet_vm__load(in->insns, (uint32_t)in->n, &opts);
	if (!vm) {
		/* A rejection must say why. */
		if (!log[0] || (errno != EINVAL && errno != E2BIG))
			abort();
		return;
	}
	if (pluglet_vm__mode(vm) != mode) {
		pluglet_vm__free(vm);
		return;
	}
	memcpy(in->mem, in->init, in->mem_len);
	memset(ro, 0x5a, sizeof(ro));
	rg[0] = (struct pluglet_region){ .start = (uint64_t)(uintptr_t)in->mem, .len = in->mem_len,
					 .perm = in->flags & 1 ? PLUGLET_PERM_READ : PLUGLET_PERM_RW };
	rg[1] = (struct pluglet_region){ .start = (uint64_t)(uintptr_t)ro, .len = sizeof(ro),
					 .perm = PLUGLET_PERM_READ };
	out->ex = (struct pluglet_exec){ .sz = sizeof(out->ex), .regions = rg, .nr_regions = 2 };
	out->err = pluglet_vm__run(vm, &out->ex, rg[0].start, in->mem_len, &out->r0);
	out->ran = true;
	if (out->err) {
		if (out->err != -EFAULT || out->ex.fault.kind == PLUGLET_FAULT_NONE ||
		    out->ex.fault.kind == PLUGLET_FAULT_ABORTED || out->ex.fault.insn >= in->n ||
		    strncmp(out->ex.fault.msg, "insn ", 5))
			abort();
	} else if (out->ex.fault.kind != PLUGLET_FAULT_NONE &&
		   out->ex.fault.kind != PLUGLET_FAULT_ABORTED) {
		abort();
	}
	/* The read-only region stays as it was. */
	for (i = 0; i < sizeof(ro); i++)
		if (ro[i] != 0x5a)
			abort();
	pluglet_vm__free(vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome a, b;
	struct input in = { 0 };
	struct pluglet_insn *insns;
	uint8_t *after = NULL;
	size_t i;

	if (size < 2)
		return 0;
	in.mem_len = data[0];
	in.flags = data[1];
	data += 2;
	size -= 2;
	if (in.mem_len > size)
		in.mem_len = size;
	in.n = (size - in.mem_len) / sizeof(*insns);
	if (!in.n)
		return 0;
	in.init = data;
	in.mem = malloc(in.mem_len ? in.mem_len : 1);
	insns = malloc(in.n * sizeof(*insns));
	if (!in.mem || !insns)
		abort();
	memcpy(insns, data + in.mem_len, in.n * sizeof(*insns));
	if (in.flags & 0x80) {
		for (i = 0; i < in.n; i++) {
			insns[i].dst_reg %= 11;
			insns[i].src_reg %= 11;
		}
		insns[in.n - 1] = (struct pluglet_insn){ .code = 0x95 };
	}
	in.insns = insns;

	/* Both runs start from this frame: same stack and memory addresses. */
	run_one(&in, PLUGLET_VM_INTERP, &a);
	if (a.ran && (in.flags & 0x40)) {
		after = malloc(in.mem_len ? in.mem_len : 1);
		if (!after)
			abort();
		memcpy(after, in.mem, in.mem_len);
		run_one(&in, PLUGLET_VM_JIT, &b);
		if (b.ran) {
			if (a.err != b.err || a.r0 != b.r0 || a.ex.fault.kind != b.ex.fault.kind ||
			    a.ex.fault.insn != b.ex.fault.insn || a.ex.fault.addr != b.ex.fault.addr ||
			    a.ex.fault.size != b.ex.fault.size || strcmp(a.ex.fault.msg, b.ex.fault.msg))
				abort();
			if ((!a.err || a.ex.fault.kind == PLUGLET_FAULT_BUDGET) &&
			    a.ex.insns_executed != b.ex.insns_executed)
				abort();
			if (!a.err && memcmp(after, in.mem, in.mem_len))
				abort();
		}
	}
	free(after);
	free(in.mem);
	free(insns);
	return 0;
}

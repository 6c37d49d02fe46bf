/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target over load + verify + run of random bytecode with random
 * memory, in the interpreter. The memory the program gets is malloc'd to
 * its exact size, so ASan catches any access the VM lets through; the run
 * must end cleanly or with a well-formed fault.
 * Run: make fuzz (or build-fuzz/tests/fuzz/fuzz-vm -max_total_time=60 DIR)
 *
 * Input layout: byte 0 = memory length, byte 1 = flags, then the memory,
 * then the program (8-byte words). Flag 0x80 repairs the program a little
 * (registers r0..r10, exit at the end) so that more inputs get past the
 * verifier and reach the interpreter.
 */
#include <pluglet/vm.h>
#include <plugfs/log.h>

#include <errno.h>
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	plog_set_level(PLOG_WARN);
	helpers = pluglet_helpers__new();
	if (!helpers || pluglet_helpers__add(helpers, 1, "sum", h_sum) ||
	    pluglet_helpers__add(helpers, 2, "touch", h_touch) ||
	    pluglet_helpers__add(helpers, 5, "unwind", h_unwind))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char log[256];
	struct pluglet_vm_opts opts = {
		.sz = sizeof(opts), .mode = PLUGLET_VM_INTERP, .helpers = helpers,
		.budget = 20000, .max_insns = 4096, .log_buf = log, .log_size = sizeof(log),
	};
	struct pluglet_insn *insns = NULL;
	struct pluglet_region rg[2];
	struct pluglet_exec ex;
	struct pluglet_vm *vm;
	uint8_t *mem = NULL, ro[16];
	size_t mem_len, n, i;
	uint64_t r0;
	uint8_t flags;
	int err;

	if (size < 2)
		return 0;
	mem_len = data[0];
	flags = data[1];
	data += 2;
	size -= 2;
	if (mem_len > size)
		mem_len = size;
	n = (size - mem_len) / sizeof(*insns);
	if (!n)
		return 0;
	mem = malloc(mem_len ? mem_len : 1);
	insns = malloc(n * sizeof(*insns));
	if (!mem || !insns)
		abort();
	memcpy(mem, data, mem_len);
	memcpy(insns, data + mem_len, n * sizeof(*insns));
	if (flags & 0x80) {
		for (i = 0; i < n; i++) {
			insns[i].dst_reg %= 11;
			insns[i].src_reg %= 11;
		}
		insns[n - 1] = (struct pluglet_insn){ .code = 0x95 };
	}

	vm = pluglet_vm__load(insns, (uint32_t)n, &opts);
	if (!vm) {
		/* A rejection must say why, naming the instruction where there is one. */
		if (!log[0] || (errno != EINVAL && errno != E2BIG))
			abort();
		goto out;
	}
	memset(ro, 0x5a, sizeof(ro));
	rg[0] = (struct pluglet_region){ .start = (uint64_t)(uintptr_t)mem, .len = mem_len,
					 .perm = flags & 1 ? PLUGLET_PERM_READ : PLUGLET_PERM_RW };
	rg[1] = (struct pluglet_region){ .start = (uint64_t)(uintptr_t)ro, .len = sizeof(ro),
					 .perm = PLUGLET_PERM_READ };
	ex = (struct pluglet_exec){ .sz = sizeof(ex), .regions = rg, .nr_regions = 2 };
	err = pluglet_vm__run(vm, &ex, rg[0].start, mem_len, &r0);
	if (err) {
		if (err != -EFAULT || ex.fault.kind == PLUGLET_FAULT_NONE ||
		    ex.fault.kind == PLUGLET_FAULT_ABORTED || ex.fault.insn >= n ||
		    strncmp(ex.fault.msg, "insn ", 5))
			abort();
	} else if (ex.fault.kind != PLUGLET_FAULT_NONE && ex.fault.kind != PLUGLET_FAULT_ABORTED) {
		abort();
	}
	/* The read-only region stays as it was. */
	for (i = 0; i < sizeof(ro); i++)
		if (ro[i] != 0x5a)
			abort();
	pluglet_vm__free(vm);
out:
	free(mem);
	free(insns);
	return 0;
}

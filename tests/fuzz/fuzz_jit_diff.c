/* SPDX-License-Identifier: MIT */
/*
 * Differential libFuzzer target: the JIT against the interpreter. The input
 * becomes a program that passes the verifier (every 8 input bytes are
 * repaired into a valid instruction: known opcode, registers in range,
 * reserved fields zero, jumps and local calls inside the program, helpers
 * that exist, an exit at the end) plus the initial contents of a read-write
 * and a read-only region. The program runs in both backends from the same
 * state; any difference in the return code, r0, the fault (kind,
 * instruction, address, size, message), the instruction count or the
 * memory left behind aborts.
 * Run: make fuzz (or BUILD-fuzz/tests/fuzz/fuzz-jit-diff -max_total_time=60)
 */
#include "config.h"
#include "vm_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INSNS 96
#define MEM_LEN 64
#define BUDGET 4096

static uint8_t rw_mem[MEM_LEN] __attribute__((aligned(64)));
static uint8_t ro_mem[MEM_LEN] __attribute__((aligned(64)));
static struct pluglet_helpers *helpers;

static uint64_t h_mix(struct pluglet_exec *ex, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		      uint64_t e)
{
	return a * 3 + (b ^ c) - (d << 1) + (e >> 3);
}

static uint64_t h_stop(struct pluglet_exec *ex, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		       uint64_t e)
{
	if (a & 1)
		pluglet_exec__abort(ex, (a & 2) ? PLUGLET_FAULT_HELPER : PLUGLET_FAULT_ABORTED, b,
				    "fuzz");
	return a + 1;
}

/* Reads through pluglet_exec__check: depends on the live stack frames. */
static uint64_t h_peek(struct pluglet_exec *ex, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		       uint64_t e)
{
	const uint8_t *p = pluglet_exec__check(ex, a, 1, PLUGLET_PERM_READ);

	return p ? *p + 0x100u : 0;
}

static const uint8_t alu_ops[] = {
	ALU_ADD, ALU_SUB, ALU_MUL, ALU_DIV, ALU_OR, ALU_AND, ALU_LSH, ALU_RSH,
	ALU_NEG, ALU_MOD, ALU_XOR, ALU_MOV, ALU_ARSH, ALU_END,
};
static const uint8_t jmp_ops[] = {
	JMP_JEQ, JMP_JGT, JMP_JGE, JMP_JSET, JMP_JNE, JMP_JSGT, JMP_JSGE, JMP_JLT,
	JMP_JLE, JMP_JSLT, JMP_JSLE,
};
static const int32_t atomic_ops[] = {
	ALU_ADD, ALU_OR, ALU_AND, ALU_XOR, ALU_ADD | ATOMIC_FETCH, ALU_OR | ATOMIC_FETCH,
	ALU_AND | ATOMIC_FETCH, ALU_XOR | ATOMIC_FETCH, ATOMIC_XCHG, ATOMIC_CMPXCHG,
};
static const uint8_t sizes[] = { SZ_B, SZ_H, SZ_W, SZ_DW };

#define PICK(a, v) ((a)[(v) % (sizeof(a) / sizeof((a)[0]))])

/* Base registers for memory: mostly the ones that hold pointers. */
static uint8_t mem_base(uint8_t v)
{
	static const uint8_t regs[] = { 1, 10, 10, 1, 6, 3, 0, 7 };

	return regs[v & 7];
}

static int16_t mem_off(uint8_t v, uint8_t base)
{
	int16_t o = (int8_t)v;

	/* Around the frame for r10, around the region for the others. */
	return base == 10 ? (int16_t)(-(int16_t)(v % 72) * 8 + (v & 7)) : (int16_t)(o % 80);
}

/* Turns 8 input bytes into a valid instruction at index i of n slots. */
static uint32_t make_insn(const uint8_t *b, uint32_t i, uint32_t n, struct pluglet_insn *out)
{
	struct pluglet_insn in = { 0 };
	uint8_t kind = b[0] % 16, dst = (b[1] & 0xf) % 10, src = (b[1] >> 4) % 11;
	int32_t imm;
	uint32_t target = (uint32_t)(b[2] | b[3] << 8) % n;

	memcpy(&imm, b + 4, 4);
	switch (kind) {
	case 0: case 1: case 2: case 3: case 4: {	/* ALU / ALU64 */
		uint8_t op = PICK(alu_ops, b[2]);
		bool w = kind & 1;
		bool x = b[3] & 1;

		in.code = (uint8_t)((w ? CLS_ALU64 : CLS_ALU) | op | (x ? SRC_X : SRC_K));
		in.dst_reg = dst;
		if (x)
			in.src_reg = src;
		else
			in.imm = (b[3] & 2) ? (int8_t)imm : imm;
		if (op == ALU_DIV || op == ALU_MOD) {
			in.off = (b[3] >> 2) & 1;
		} else if (op == ALU_MOV && x) {
			static const int16_t sx[] = { 0, 0, 8, 16, 32 };

			in.off = sx[(b[3] >> 2) % (w ? 5 : 4)];
		} else if (op == ALU_NEG) {
			in.code = (uint8_t)((w ? CLS_ALU64 : CLS_ALU) | op);
			in.src_reg = 0;
			in.imm = 0;
		} else if (op == ALU_END) {
			static const int32_t widths[] = { 16, 32, 64 };

			if (w)
				in.code = CLS_ALU64 | ALU_END;
			in.src_reg = 0;
			in.imm = widths[(b[3] >> 2) % 3];
		}
		break;
	}
	case 5: case 6:	{				/* conditional jumps */
		bool x = b[1] & 0x80;

		in.code = (uint8_t)((kind == 5 ? CLS_JMP : CLS_JMP32) | PICK(jmp_ops, b[4]) |
				    (x ? SRC_X : SRC_K));
		in.dst_reg = (b[1] & 0xf) % 11;
		if (x)
			in.src_reg = src;
		else if (b[6] & 1)	/* 16 bits, either way: the edges of u8/u16 */
			in.imm = (b[6] & 2) ? (int32_t)(uint16_t)(b[5] | b[7] << 8) :
					      (int32_t)(int16_t)(b[5] | b[7] << 8);
		else
			in.imm = (int8_t)b[5];
		in.off = (int16_t)((int32_t)target - (int32_t)i - 1);
		break;
	}
	case 7:						/* ja / gotol */
		if (b[4] & 1) {
			in.code = CLS_JMP32 | JMP_JA;
			in.imm = (int32_t)target - (int32_t)i - 1;
		} else {
			in.code = CLS_JMP | JMP_JA;
			in.off = (int16_t)((int32_t)target - (int32_t)i - 1);
		}
		break;
	case 8:						/* calls and exit */
		switch (b[4] % 5) {
		case 0:
			in.code = CLS_JMP | JMP_CALL;
			in.imm = 1 + b[5] % 3;
			break;
		case 1:
			in.code = CLS_JMP | JMP_CALL;
			in.src_reg = CALL_SRC_LOCAL;
			in.imm = (int32_t)target - (int32_t)i - 1;
			break;
		case 2:
			in.code = CLS_JMP | JMP_CALL | SRC_X;
			in.dst_reg = (b[1] & 0xf) % 10;
			break;
		default:
			in.code = CLS_JMP | JMP_EXIT;
			break;
		}
		break;
	case 9: case 10: {				/* loads */
		uint8_t sz = PICK(sizes, b[4]);
		bool sx = (b[4] & 4) && sz != SZ_DW;

		in.code = (uint8_t)(CLS_LDX | (sx ? MODE_MEMSX : MODE_MEM) | sz);
		in.dst_reg = dst;
		in.src_reg = mem_base(b[1] >> 4);
		in.off = mem_off(b[5], in.src_reg);
		break;
	}
	case 11:					/* store immediate */
		in.code = (uint8_t)(CLS_ST | MODE_MEM | PICK(sizes, b[4]));
		in.dst_reg = mem_base(b[1] >> 4);
		in.off = mem_off(b[5], in.dst_reg);
		in.imm = imm;
		break;
	case 12: case 13:				/* store register */
		in.code = (uint8_t)(CLS_STX | MODE_MEM | PICK(sizes, b[4]));
		in.dst_reg = mem_base(b[1] >> 4);
		in.src_reg = src;
		in.off = mem_off(b[5], in.dst_reg);
		break;
	case 14:					/* atomics, 8-aligned offsets */
		in.code = (uint8_t)(CLS_STX | MODE_ATOMIC | ((b[4] & 1) ? SZ_DW : SZ_W));
		in.dst_reg = mem_base(b[1] >> 4);
		in.src_reg = src;
		in.imm = PICK(atomic_ops, b[6]);
		if ((in.imm & ATOMIC_FETCH) && in.src_reg == 10)
			in.src_reg = 0;
		in.off = (int16_t)(mem_off(b[5], in.dst_reg) & ~7);
		break;
	default:					/* lddw (two slots) */
		if (i + 2 >= n)
			break;	/* leaves a mov32 r0, 0 */
		in.code = CLS_LD | MODE_IMM | SZ_DW;
		in.dst_reg = dst;
		if (b[4] & 1) {	/* a pointer into a region, or a plain value */
			uint64_t p = (uint64_t)(uintptr_t)((b[4] & 2) ? ro_mem : rw_mem) + b[5] % 72;

			in.imm = (int32_t)(uint32_t)p;
			out[1] = (struct pluglet_insn){ .imm = (int32_t)(uint32_t)(p >> 32) };
		} else {
			in.imm = imm;
			out[1] = (struct pluglet_insn){ .imm = (int8_t)b[6] };
		}
		out[0] = in;
		return 2;
	}
	if (!in.code)
		in.code = CLS_ALU | ALU_MOV | SRC_K;
	out[0] = in;
	return 1;
}

/* Jumps or calls into the second half of an lddw move one slot back. */
static void fix_targets(struct pluglet_insn *p, uint32_t n)
{
	bool hi[MAX_INSNS + 1] = { false };
	uint32_t i;

	for (i = 0; i + 1 < n; i++)
		if (p[i].code == (CLS_LD | MODE_IMM | SZ_DW))
			hi[++i] = true;
	for (i = 0; i < n; i++) {
		uint8_t cls = OP_CLASS(p[i].code), op = OP_CODE(p[i].code);
		int32_t *rel32 = NULL;
		int64_t t;

		if (hi[i] || (cls != CLS_JMP && cls != CLS_JMP32) || op == JMP_EXIT)
			continue;
		if (op == JMP_CALL) {
			if (p[i].src_reg != CALL_SRC_LOCAL)
				continue;
			rel32 = &p[i].imm;
		} else if (op == JMP_JA && cls == CLS_JMP32) {
			rel32 = &p[i].imm;
		}
		t = (int64_t)i + 1 + (rel32 ? *rel32 : p[i].off);
		if (t >= 0 && t < n && hi[t]) {
			if (rel32)
				(*rel32)--;
			else
				p[i].off--;
		}
	}
}

struct outcome {
	int load_err;
	int err;
	uint64_t r0;
	uint64_t executed;
	struct pluglet_fault fault;
	uint8_t rw[MEM_LEN];
};

static void run_one(const struct pluglet_insn *p, uint32_t n, enum pluglet_vm_mode mode,
		    const uint8_t *init, struct outcome *o)
{
	struct pluglet_region regions[2] = {
		{ (uint64_t)(uintptr_t)rw_mem, MEM_LEN, PLUGLET_PERM_RW, 0 },
		{ (uint64_t)(uintptr_t)ro_mem, MEM_LEN, PLUGLET_PERM_READ, 1 },
	};
	struct pluglet_vm_opts opts = {
		.sz = sizeof(opts), .mode = mode, .helpers = helpers, .budget = BUDGET,
	};
	struct pluglet_exec ex = { .sz = sizeof(ex), .regions = regions, .nr_regions = 2 };
	struct pluglet_vm *vm;

	memset(o, 0, sizeof(*o));
	memcpy(rw_mem, init, MEM_LEN);
	memcpy(ro_mem, init + MEM_LEN, MEM_LEN);
	vm = pluglet_vm__load(p, n, &opts);
	if (!vm) {
		o->load_err = errno;
		return;
	}
	if (PLUGLET_HAVE_JIT && mode == PLUGLET_VM_JIT && pluglet_vm__mode(vm) != PLUGLET_VM_JIT) {
		fprintf(stderr, "fuzz-jit-diff: the JIT refused a verified program\n");
		abort();
	}
	o->err = pluglet_vm__run(vm, &ex, regions[0].start, MEM_LEN, &o->r0);
	o->executed = ex.insns_executed;
	o->fault = ex.fault;
	memcpy(o->rw, rw_mem, MEM_LEN);
	pluglet_vm__free(vm);
}

static void dump(const char *what, const struct pluglet_insn *p, uint32_t n,
		 const struct outcome *a, const struct outcome *b)
{
	uint32_t i;

	fprintf(stderr, "fuzz-jit-diff: %s differs\n", what);
	for (i = 0; i < n; i++) {
		uint64_t w;

		memcpy(&w, &p[i], 8);
		fprintf(stderr, "  %3u: 0x%016llx\n", i, (unsigned long long)w);
	}
	fprintf(stderr, "interp: err %d r0 0x%llx executed %llu fault %s\n", a->err,
		(unsigned long long)a->r0, (unsigned long long)a->executed, a->fault.msg);
	fprintf(stderr, "jit:    err %d r0 0x%llx executed %llu fault %s\n", b->err,
		(unsigned long long)b->r0, (unsigned long long)b->executed, b->fault.msg);
	abort();
}

/* JIT code that runs into its int3 padding traps; libFuzzer does not
 * handle SIGTRAP, so make it an abort, which it reports with the input. */
static void on_trap(int sig)
{
	(void)sig;
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome a, b;
	struct pluglet_insn prog[MAX_INSNS];
	uint8_t init[2 * MEM_LEN] = { 0 };
	uint32_t n, i = 0;

	if (!helpers) {
		signal(SIGTRAP, on_trap);
		helpers = pluglet_helpers__new();
		if (!helpers || pluglet_helpers__add(helpers, 1, "mix", h_mix) ||
		    pluglet_helpers__add(helpers, 2, "stop", h_stop) ||
		    pluglet_helpers__add(helpers, 3, "peek", h_peek))
			abort();
	}
	if (size < 2 * MEM_LEN + 8)
		return 0;
	memcpy(init, data, 2 * MEM_LEN);
	data += 2 * MEM_LEN;
	size -= 2 * MEM_LEN;
	n = (uint32_t)(size / 8);
	if (n > MAX_INSNS - 1)
		n = MAX_INSNS - 1;
	while (i < n)
		i += make_insn(data + 8 * i, i, n + 1, &prog[i]);
	n = i;
	prog[n++] = (struct pluglet_insn){ .code = CLS_JMP | JMP_EXIT };
	fix_targets(prog, n);

	run_one(prog, n, PLUGLET_VM_INTERP, init, &a);
	run_one(prog, n, PLUGLET_VM_JIT, init, &b);
	if (a.load_err != b.load_err)
		dump("load", prog, n, &a, &b);
	if (a.load_err)
		return 0;
	if (a.err != b.err || a.r0 != b.r0)
		dump("result", prog, n, &a, &b);
	if (a.fault.kind != b.fault.kind || a.fault.insn != b.fault.insn ||
	    a.fault.addr != b.fault.addr || a.fault.size != b.fault.size ||
	    strcmp(a.fault.msg, b.fault.msg))
		dump("fault", prog, n, &a, &b);
	/* The JIT counts whole blocks: exact except after a memory fault. */
	if ((!a.err || a.fault.kind == PLUGLET_FAULT_BUDGET) && a.executed != b.executed)
		dump("instruction count", prog, n, &a, &b);
	if (memcmp(a.rw, b.rw, MEM_LEN))
		dump("memory", prog, n, &a, &b);
	return 0;
}

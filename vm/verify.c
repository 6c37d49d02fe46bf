/* SPDX-License-Identifier: MIT */
/*
 * Load-time verifier. It checks what the backends rely on so that they can
 * run without per-instruction decoding checks: every opcode is known with
 * its reserved fields zero, registers are r0..r10 and r10 is never written,
 * every jump and local call lands on an instruction (not on the second half
 * of an lddw), helper calls name an existing helper, and control cannot run
 * past the last instruction. Memory accesses are checked at run time.
 */
#include "vm_internal.h"

#include <errno.h>

struct verifier {
	struct pluglet_vm *vm;
	char *log;
	size_t log_size;
};

#define REJECT(v, i, fmt, ...)                                                    \
	do {                                                                       \
		vm_log((v)->log, (v)->log_size, "insn %u: " fmt, (i), ##__VA_ARGS__); \
		return -EINVAL;                                                    \
	} while (0)

/* Marks the destination of a jump or local call at `target` (relative to insn i). */
static int check_target(struct verifier *v, uint32_t i, int64_t target, const char *what)
{
	struct pluglet_vm *vm = v->vm;

	if (target < 0 || target >= (int64_t)vm->nr_insns)
		REJECT(v, i, "%s to %lld, outside the program (0..%u)", what, (long long)target,
		       vm->nr_insns - 1);
	if (vm->insn_flags[target] & VM_INSN_LDDW_HI)
		REJECT(v, i, "%s to %lld, the middle of an lddw", what, (long long)target);
	return 0;
}

static int check_alu(struct verifier *v, uint32_t i, const struct pluglet_insn *in)
{
	uint8_t op = OP_CODE(in->code);
	bool is64 = OP_CLASS(in->code) == CLS_ALU64;
	bool x = OP_SRC(in->code) == SRC_X;

	if (op == 0xe0 || op == 0xf0)
		REJECT(v, i, "unknown opcode 0x%02x", in->code);
	if (in->dst_reg == 10)
		REJECT(v, i, "write to r10, which is read-only");
	/* END keeps its width in imm whatever the source bit says. */
	if (op != ALU_END && (x ? in->imm != 0 : in->src_reg != 0))
		REJECT(v, i, "reserved field set in opcode 0x%02x", in->code);
	switch (op) {
	case ALU_DIV:
	case ALU_MOD:
		if (in->off != 0 && in->off != 1)
			REJECT(v, i, "bad offset %d for division (0 or 1)", in->off);
		break;
	case ALU_MOV:
		if (!in->off)
			break;
		if (!x || !(in->off == 8 || in->off == 16 || (is64 && in->off == 32)))
			REJECT(v, i, "bad sign-extension offset %d for opcode 0x%02x", in->off, in->code);
		break;
	case ALU_NEG:
		if (x || in->off || in->imm)
			REJECT(v, i, "unknown opcode 0x%02x", in->code);
		break;
	case ALU_END:
		if (is64 && x)
			REJECT(v, i, "unknown opcode 0x%02x", in->code);
		if (in->off || in->src_reg)
			REJECT(v, i, "reserved field set in opcode 0x%02x", in->code);
		if (in->imm != 16 && in->imm != 32 && in->imm != 64)
			REJECT(v, i, "byte swap of %d bits (16, 32 or 64)", in->imm);
		break;
	default:
		if (in->off)
			REJECT(v, i, "reserved field set in opcode 0x%02x", in->code);
		break;
	}
	return 0;
}

static int check_jmp(struct verifier *v, uint32_t i, const struct pluglet_insn *in)
{
	struct pluglet_vm *vm = v->vm;
	uint8_t op = OP_CODE(in->code);
	bool j32 = OP_CLASS(in->code) == CLS_JMP32;
	bool x = OP_SRC(in->code) == SRC_X;
	int64_t target;

	switch (op) {
	case JMP_JA:
		if (x || in->src_reg || in->dst_reg)
			REJECT(v, i, "reserved field set in opcode 0x%02x", in->code);
		/* ja32 (gotol) takes its offset from imm, ja from off. */
		if (j32 ? in->off != 0 : in->imm != 0)
			REJECT(v, i, "reserved field set in opcode 0x%02x", in->code);
		target = (int64_t)i + 1 + (j32 ? in->imm : in->off);
		return check_target(v, i, target, "jump");
	case JMP_CALL:
		if (j32)
			REJECT(v, i, "unknown opcode 0x%02x", in->code);
		if (x) {
			/* callx: the helper number is in dst at run time. */
			if (in->src_reg || in->off || in->imm)
				REJECT(v, i, "reserved field set in callx");
			return 0;
		}
		if (in->dst_reg || in->off)
			REJECT(v, i, "reserved field set in call");
		if (in->src_reg == CALL_SRC_LOCAL) {
			target = (int64_t)i + 1 + in->imm;
			if (check_target(v, i, target, "local call"))
				return -EINVAL;
			vm->insn_flags[target] |= VM_INSN_FUNC_START;
			return 0;
		}
		if (in->src_reg != CALL_SRC_HELPER)
			REJECT(v, i, "call of kind %u (helper 0 or local 1 only)", in->src_reg);
		if ((uint32_t)in->imm >= PLUGLET_MAX_HELPERS || !vm->helpers[(uint32_t)in->imm])
			REJECT(v, i, "call of unknown helper %d", in->imm);
		return 0;
	case JMP_EXIT:
		if (j32 || x)
			REJECT(v, i, "unknown opcode 0x%02x", in->code);
		if (in->src_reg || in->dst_reg || in->off || in->imm)
			REJECT(v, i, "reserved field set in exit");
		return 0;
	case 0xe0:
	case 0xf0:
		REJECT(v, i, "unknown opcode 0x%02x", in->code);
	default:
		if (!x && in->src_reg)
			REJECT(v, i, "reserved field set in opcode 0x%02x", in->code);
		if (x && in->imm)
			REJECT(v, i, "reserved field set in opcode 0x%02x", in->code);
		target = (int64_t)i + 1 + in->off;
		return check_target(v, i, target, "jump");
	}
}

static int check_mem(struct verifier *v, uint32_t i, const struct pluglet_insn *in)
{
	uint8_t cls = OP_CLASS(in->code), mode = OP_MODE(in->code), sz = OP_SIZE(in->code);

	switch (cls) {
	case CLS_LDX:
		if (mode != MODE_MEM && !(mode == MODE_MEMSX && sz != SZ_DW))
			REJECT(v, i, "unknown opcode 0x%02x", in->code);
		if (in->dst_reg == 10)
			REJECT(v, i, "write to r10, which is read-only");
		if (in->imm)
			REJECT(v, i, "reserved field set in opcode 0x%02x", in->code);
		return 0;
	case CLS_ST:
		if (mode != MODE_MEM)
			REJECT(v, i, "unknown opcode 0x%02x", in->code);
		if (in->src_reg)
			REJECT(v, i, "reserved field set in opcode 0x%02x", in->code);
		return 0;
	default: /* STX */
		if (mode == MODE_MEM) {
			if (in->imm)
				REJECT(v, i, "reserved field set in opcode 0x%02x", in->code);
			return 0;
		}
		if (mode != MODE_ATOMIC || (sz != SZ_W && sz != SZ_DW))
			REJECT(v, i, "unknown opcode 0x%02x", in->code);
		switch (in->imm) {
		case ALU_ADD:
		case ALU_OR:
		case ALU_AND:
		case ALU_XOR:
		case ATOMIC_CMPXCHG:
			return 0;
		case ALU_ADD | ATOMIC_FETCH:
		case ALU_OR | ATOMIC_FETCH:
		case ALU_AND | ATOMIC_FETCH:
		case ALU_XOR | ATOMIC_FETCH:
		case ATOMIC_XCHG:
			if (in->src_reg == 10)
				REJECT(v, i, "write to r10, which is read-only (atomic fetch)");
			return 0;
		default:
			REJECT(v, i, "unknown atomic operation 0x%x", (unsigned)in->imm);
		}
	}
}

int vm_verify(struct pluglet_vm *vm, uint32_t max_insns, char *log, size_t log_size)
{
	struct verifier v = { .vm = vm, .log = log, .log_size = log_size };
	const struct pluglet_insn *in, *last;
	uint32_t i, n = vm->nr_insns;
	int err;

	if (!n)
		REJECT(&v, 0, "empty program");
	if (n > max_insns) {
		vm_log(log, log_size, "program has %u instructions, over the limit of %u", n, max_insns);
		return -E2BIG;
	}
	/* First pass: lddw second halves, so that jumps into them can be refused. */
	for (i = 0; i < n; i++) {
		in = &vm->insns[i];
		if (in->code != (CLS_LD | MODE_IMM | SZ_DW))
			continue;
		if (i + 1 >= n)
			REJECT(&v, i, "lddw without its second half");
		vm->insn_flags[i + 1] |= VM_INSN_LDDW_HI;
		i++;
	}
	vm->insn_flags[0] |= VM_INSN_FUNC_START;

	for (i = 0; i < n; i++) {
		in = &vm->insns[i];
		if (vm->insn_flags[i] & VM_INSN_LDDW_HI) {
			if (in->code || in->dst_reg || in->src_reg || in->off)
				REJECT(&v, i, "bad second half of an lddw");
			continue;
		}
		if (in->dst_reg > 10)
			REJECT(&v, i, "bad register r%u", in->dst_reg);
		if (in->src_reg > 10)
			REJECT(&v, i, "bad register r%u", in->src_reg);
		switch (OP_CLASS(in->code)) {
		case CLS_LD:
			if (in->code != (CLS_LD | MODE_IMM | SZ_DW))
				REJECT(&v, i, "unknown opcode 0x%02x", in->code);
			if (in->src_reg)
				REJECT(&v, i, "lddw of kind %u (only plain 64-bit immediates)", in->src_reg);
			if (in->off)
				REJECT(&v, i, "reserved field set in lddw");
			if (in->dst_reg == 10)
				REJECT(&v, i, "write to r10, which is read-only");
			err = 0;
			break;
		case CLS_LDX:
		case CLS_ST:
		case CLS_STX:
			err = check_mem(&v, i, in);
			break;
		case CLS_ALU:
		case CLS_ALU64:
			err = check_alu(&v, i, in);
			break;
		default:
			err = check_jmp(&v, i, in);
			break;
		}
		if (err)
			return err;
		if (OP_CLASS(in->code) == CLS_JMP || OP_CLASS(in->code) == CLS_JMP32) {
			uint8_t op = OP_CODE(in->code);

			if (op != JMP_CALL && op != JMP_EXIT) {
				int64_t t = (int64_t)i + 1 + (in->code == (CLS_JMP32 | JMP_JA) ? in->imm : in->off);

				vm->insn_flags[t] |= VM_INSN_JUMP_TARGET;
			}
		}
	}

	/* Only exit and unconditional jumps do not fall through to the next insn. */
	last = &vm->insns[n - 1];
	if (vm->insn_flags[n - 1] & VM_INSN_LDDW_HI)
		REJECT(&v, n - 2, "the program can fall off its end (last instruction is an lddw)");
	if (last->code != (CLS_JMP | JMP_EXIT) && last->code != (CLS_JMP | JMP_JA) &&
	    last->code != (CLS_JMP32 | JMP_JA))
		REJECT(&v, n - 1, "the program can fall off its end (last instruction is not exit or ja)");
	return 0;
}

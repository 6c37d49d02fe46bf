/* SPDX-License-Identifier: MIT */
/*
 * Register liveness for the x86-64 JIT: which eBPF registers a later
 * instruction may still read after each instruction, so that the JIT can
 * leave out a value nothing reads (an address folded into the access that
 * uses it). Every doubt counts as a read: a call to a local function reads
 * r1-r9 (its body may read registers its caller set), an exit r0-r5 (the
 * caller of a local function sees r1-r5 after the call), anything unknown
 * every register.
 */
#include "jit_loops_internal.h"

#include <errno.h>
#include <stdlib.h>

#define LIVE_ALL	0x07ff	/* r0-r10 */
#define LIVE_ARGS	0x003e	/* r1-r5 */
#define LIVE_PASSES	64

static uint16_t bit(uint8_t r)
{
	return (uint16_t)(1u << (r & 15));
}

void jit_insn_def_use(const struct pluglet_insn *in, uint16_t *def, uint16_t *use)
{
	uint8_t cls = OP_CLASS(in->code), op = OP_CODE(in->code);
	bool x = OP_SRC(in->code) == SRC_X;

	*def = 0;
	*use = LIVE_ALL;
	switch (cls) {
	case CLS_ALU:
	case CLS_ALU64:
		*def = bit(in->dst_reg);
		if (op == ALU_MOV)
			*use = x ? bit(in->src_reg) : 0;
		else
			*use = (uint16_t)(bit(in->dst_reg) |
					  (x && op != ALU_NEG && op != ALU_END ? bit(in->src_reg) : 0));
		return;
	case CLS_LD:
		if (in->code == (CLS_LD | MODE_IMM | SZ_DW)) {
			*def = bit(in->dst_reg);
			*use = 0;
		}
		return;
	case CLS_LDX:
		*def = bit(in->dst_reg);
		*use = bit(in->src_reg);
		return;
	case CLS_ST:
		*use = bit(in->dst_reg);
		return;
	case CLS_STX:
		*use = (uint16_t)(bit(in->dst_reg) | bit(in->src_reg));
		if (OP_MODE(in->code) == MODE_ATOMIC) {
			if (in->imm == ATOMIC_CMPXCHG)
				*use |= 1u, *def = 1u;
			else if (in->imm & ATOMIC_FETCH)
				*def = bit(in->src_reg);
		}
		return;
	case CLS_JMP:
	case CLS_JMP32:
		if (op == JMP_JA) {
			*use = 0;
		} else if (op == JMP_EXIT) {
			*use = 0x003f;	/* jit_live_out() narrows it without local calls */
		} else if (op == JMP_CALL) {
			if (in->src_reg == CALL_SRC_LOCAL && !x)
				*use = 0x03fe;	/* r1-r9 */
			else
				*use = (uint16_t)(LIVE_ARGS | (x ? bit(in->dst_reg) : 0));
			*def = 1u;
		} else {
			*use = (uint16_t)(bit(in->dst_reg) | (x ? bit(in->src_reg) : 0));
		}
		return;
	}
}

int jit_live_out(const struct pluglet_insn *insns, uint32_t nr, const uint8_t *flags,
		 uint16_t *live_out)
{
	uint16_t *live_in = calloc(nr ? nr : 1, sizeof(*live_in));
	uint16_t exit_use = 1u;
	bool changed = true;
	int pass;

	if (!live_in)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr; i++)
		if (!(flags[i] & JF_LDDW_HI) && insns[i].code == (CLS_JMP | JMP_CALL) &&
		    insns[i].src_reg == CALL_SRC_LOCAL)
			exit_use = 0x003f;
	for (pass = 0; changed && pass < LIVE_PASSES; pass++) {
		changed = false;
		for (uint32_t i = nr; i-- > 0;) {
			uint32_t s[2], n;
			uint16_t out = 0, in, def, use;

			if (flags[i] & JF_LDDW_HI)
				continue;
			n = jit_insn_succs(insns, nr, i, false, s);	/* callees: jit_insn_def_use() */
			for (uint32_t k = 0; k < n; k++)
				out |= live_in[s[k]];
			jit_insn_def_use(&insns[i], &def, &use);
			if (insns[i].code == (CLS_JMP | JMP_EXIT))
				use = exit_use;
			in = (uint16_t)(use | (out & ~def));
			if (out != live_out[i] || in != live_in[i]) {
				live_out[i] = out;
				live_in[i] = in;
				changed = true;
			}
		}
	}
	free(live_in);
	return changed ? -E2BIG : 0;
}

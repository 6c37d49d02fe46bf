/* SPDX-License-Identifier: MIT */
/* The instruction rewrite that makes a program a link of a tail-call chain (rewrite.h). */
#include "rewrite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STACK 512

static struct bpf_insn mk(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i;

	memset(&i, 0, sizeof(i));
	i.code = code;
	i.dst_reg = dst;
	i.src_reg = src;
	i.off = off;
	i.imm = imm;
	return i;
}

static bool is_ld_imm64(const struct bpf_insn *i)
{
	return i->code == (BPF_LD | BPF_DW | BPF_IMM);
}

size_t rewrite_main_len(const struct bpf_insn *insns, size_t cnt)
{
	size_t len = cnt, i;

	for (i = 0; i < cnt; i++) {
		const struct bpf_insn *in = &insns[i];
		long target;

		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL)
			target = (long)i + 1 + in->imm;
		else if (is_ld_imm64(in) && in->src_reg == BPF_PSEUDO_FUNC)
			target = (long)i + 1 + in->imm;
		else
			target = -1;
		if (is_ld_imm64(in))
			i++;
		if (target > 0 && (size_t)target < len)
			len = (size_t)target;
	}
	return len;
}

/*
 * Deepest stack byte main touches. Stack pointers are tracked as r10 + k
 * through mov/add within straight-line code (state dropped at jump
 * targets); every derived pointer counts as touched, as helpers take them.
 * Missing a case is safe: the verifier then sees our ctx slot overwritten
 * and rejects the load, it never runs with a clobbered ctx.
 */
int rewrite_main_stack(const struct bpf_insn *insns, size_t main_len)
{
	bool known[11] = { false };
	long k[11] = { 0 };
	bool *target;
	long deepest = 0;
	size_t i;

	target = calloc(main_len + 1, sizeof(*target));
	if (!target)
		return -ENOMEM;
	for (i = 0; i < main_len; i++) {
		uint8_t cls = BPF_CLASS(insns[i].code);
		long t;

		if ((cls == BPF_JMP || cls == BPF_JMP32) && BPF_OP(insns[i].code) != BPF_CALL &&
		    BPF_OP(insns[i].code) != BPF_EXIT) {
			t = (long)i + 1 + (cls == BPF_JMP32 && BPF_OP(insns[i].code) == BPF_JA ?
					    insns[i].imm : insns[i].off);
			if (t >= 0 && (size_t)t <= main_len)
				target[t] = true;
		}
	}
	known[10] = true;
	for (i = 0; i < main_len; i++) {
		const struct bpf_insn *in = &insns[i];
		uint8_t cls = BPF_CLASS(in->code);
		uint8_t d = in->dst_reg & 0xf, s = in->src_reg & 0xf;
		long off = 1;	/* none */
		int r;

		if (target[i])
			for (r = 0; r < 10; r++)
				known[r] = false;
		if (d > 10 || s > 10)
			continue;
		switch (cls) {
		case BPF_LDX:
			if (known[s])
				off = k[s] + in->off;
			if (d != 10)
				known[d] = false;
			break;
		case BPF_ST:
		case BPF_STX:
			if (known[d])
				off = k[d] + in->off;
			if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC &&
			    (in->imm & BPF_FETCH)) {
				if (in->imm == BPF_CMPXCHG)
					known[0] = false;
				else
					known[s] = false;
			}
			break;
		case BPF_ALU64:
			if (BPF_OP(in->code) == BPF_MOV && BPF_SRC(in->code) == BPF_X && in->off == 0) {
				known[d] = known[s];
				k[d] = k[s];
				if (known[d])
					off = k[d];
			} else if (BPF_OP(in->code) == BPF_ADD && BPF_SRC(in->code) == BPF_K && known[d]) {
				k[d] += in->imm;
				off = k[d];
			} else if (BPF_OP(in->code) == BPF_SUB && BPF_SRC(in->code) == BPF_K && known[d]) {
				k[d] -= in->imm;
				off = k[d];
			} else if (d != 10) {
				known[d] = false;
			}
			break;
		case BPF_ALU:
			if (d != 10)
				known[d] = false;
			break;
		case BPF_LD:
			if (d != 10)
				known[d] = false;
			if (is_ld_imm64(in))
				i++;
			break;
		case BPF_JMP:
		case BPF_JMP32:
			if (BPF_OP(in->code) == BPF_CALL)
				for (r = 0; r <= 5; r++)
					known[r] = false;
			break;
		default:
			break;
		}
		if (off < 0 && off < deepest)
			deepest = off;
	}
	free(target);
	return (int)((-deepest + 7) & ~7L);
}

static size_t epilogue_len(const struct rewrite_params *p)
{
	return 16 + (p->tc ? 1 : 0);
}

size_t rewrite_shift(const struct rewrite_params *p)
{
	return 2 + epilogue_len(p);
}

int rewrite_chain(const struct bpf_insn *in, size_t cnt, const struct rewrite_params *p,
		  struct bpf_insn **out, size_t *out_cnt, char *err, size_t errlen)
{
	size_t main_len, shift, epi, n = 0, i;
	struct bpf_insn *o;
	int stack, ctx_off;
	int32_t disp = p->tc ? RW_TC_DISPATCHER_RETURN : RW_XDP_DISPATCHER_RETURN;
	int32_t pass = p->tc ? 0 /* TC_ACT_OK */ : 2 /* XDP_PASS */;

	*out = NULL;
	*out_cnt = 0;
	if (!cnt) {
		snprintf(err, errlen, "empty program");
		return -EINVAL;
	}
	main_len = rewrite_main_len(in, cnt);
	stack = rewrite_main_stack(in, main_len);
	if (stack < 0)
		return stack;
	ctx_off = -(stack + 8);
	if (-ctx_off > MAX_STACK) {
		snprintf(err, errlen,
			 "main uses %d bytes of stack; chaining needs 8 more to keep the context (limit %d)",
			 stack, MAX_STACK);
		return -E2BIG;
	}
	epi = epilogue_len(p);
	shift = 2 + epi;
	if (cnt + shift > 1000000 || main_len + shift > 32767) {
		snprintf(err, errlen, "program too long to chain (%zu instructions in main)", main_len);
		return -E2BIG;
	}
	o = calloc(cnt + shift, sizeof(*o));
	if (!o)
		return -ENOMEM;

	o[n++] = mk(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_1, (int16_t)ctx_off, 0);
	o[n++] = mk(BPF_JMP | BPF_JA, 0, 0, (int16_t)epi, 0);
	/* epilogue, entered with the verdict in r0 */
	o[n++] = mk(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_0, 0, 0);
	o[n++] = mk(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0);
	if (p->tc)
		o[n++] = mk(BPF_ALU | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, 1);
	o[n++] = mk(BPF_JMP32 | BPF_JGT | BPF_K, BPF_REG_1, 0, 9, 31);
	o[n++] = mk(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, (int32_t)p->mask);
	o[n++] = mk(BPF_ALU64 | BPF_RSH | BPF_X, BPF_REG_2, BPF_REG_1, 0, 0);
	o[n++] = mk(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 1);
	o[n++] = mk(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_2, 0, 5, 0);
	o[n++] = mk(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_10, (int16_t)ctx_off, 0);
	o[n++] = mk(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0, p->chain_map_fd);
	o[n++] = mk(0, 0, 0, 0, 0);
	o[n++] = mk(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, (int32_t)p->slot);
	o[n++] = mk(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call);
	/* out: the tail call missed or the verdict stops the chain */
	o[n++] = mk(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_6, 0, 0);
	o[n++] = mk(BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_0, 0, 1, disp);
	o[n++] = mk(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, pass);
	o[n++] = mk(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	for (i = 0; i < cnt; i++) {
		o[n] = in[i];
		if (i < main_len && in[i].code == (BPF_JMP | BPF_EXIT))
			o[n] = mk(BPF_JMP | BPF_JA, 0, 0, (int16_t)(2 - (long)(n + 1)), 0);
		else if (is_ld_imm64(&in[i]) && i + 1 < cnt)
			o[++n] = in[++i];
		n++;
	}
	*out = o;
	*out_cnt = n;
	return 0;
}

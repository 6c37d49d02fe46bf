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

/* The code the rewrite inserts, built with forward jumps patched at their label. */
struct emit {
	struct bpf_insn *o;
	size_t n;
};

static size_t put(struct emit *e, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	e->o[e->n] = mk(code, dst, src, off, imm);
	return e->n++;
}

/* The jump at j lands here. */
static void land(struct emit *e, size_t j)
{
	e->o[j].off = (int16_t)(e->n - j - 1);
}

static void put_ld_map(struct emit *e, uint8_t dst, uint8_t pseudo, int fd)
{
	put(e, BPF_LD | BPF_DW | BPF_IMM, dst, pseudo, 0, fd);
	put(e, 0, 0, 0, 0, 0);
}

/*
 * Prologue: ctx spilled; with run time, the start time (0 while the
 * run-time switch is off: one load and a branch) in the slot below it.
 */
static void emit_prologue(struct emit *e, const struct rewrite_params *p, int ctx_off)
{
	size_t j;

	put(e, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_1, (int16_t)ctx_off, 0);
	if (!p->counter || !p->timed)
		return;
	put_ld_map(e, BPF_REG_0, BPF_PSEUDO_MAP_VALUE, p->time_map_fd);
	put(e, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_0, BPF_REG_0, 0, 0);
	j = put(e, BPF_JMP32 | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	put(e, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ktime_get_ns);
	put(e, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_10, (int16_t)ctx_off, 0);
	land(e, j);
	put(e, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, (int16_t)(ctx_off - 8), 0);
}

/*
 * The count of the verdict in r6 (and the run time) added to this CPU's
 * value of the program's counter; ctx is left in r7. The verdict's index is
 * its place in engine_verdict_names(): the codes in order (tc from unspec,
 * -1), dispatcher_return, then other. r7-r9 are free: main has exited.
 */
static void emit_count(struct emit *e, const struct rewrite_params *p, int ctx_off)
{
	int32_t direct = p->tc ? 10 : 5;	/* codes counted at their own index */
	int32_t disp = p->tc ? RW_TC_DISPATCHER_RETURN + 1 : RW_XDP_DISPATCHER_RETURN;
	size_t miss, j1, j2, off;

	put(e, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_10, (int16_t)ctx_off, 0);
	/* the key where ctx was: the stack needs no more room */
	put(e, BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, (int16_t)ctx_off, (int32_t)p->counter);
	put(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	put(e, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, ctx_off);
	put_ld_map(e, BPF_REG_1, BPF_PSEUDO_MAP_FD, p->counts_map_fd);
	put(e, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	miss = put(e, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	put(e, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0);
	if (p->tc)
		put(e, BPF_ALU | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, 1);
	put(e, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_1, 0, 0);
	j1 = put(e, BPF_JMP32 | BPF_JLT | BPF_K, BPF_REG_2, 0, 0, direct);
	put(e, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, direct + 1);
	j2 = put(e, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_1, 0, 0, disp);
	put(e, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, direct);
	land(e, j1);
	land(e, j2);
	put(e, BPF_ALU64 | BPF_LSH | BPF_K, BPF_REG_2, 0, 0, 3);
	put(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0);
	put(e, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_1, BPF_REG_2, 0, 0);
	put(e, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_2, BPF_REG_1, 0, 0);
	put(e, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, 1);
	put(e, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_2, 0, 0);
	if (p->timed) {
		off = 8 * RW_TIME_WORD;
		put(e, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_9, BPF_REG_10, (int16_t)(ctx_off - 8), 0);
		j1 = put(e, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_9, 0, 0, 0);
		put(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_8, BPF_REG_0, 0, 0);
		put(e, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ktime_get_ns);
		put(e, BPF_ALU64 | BPF_SUB | BPF_X, BPF_REG_0, BPF_REG_9, 0, 0);
		put(e, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_8, (int16_t)off, 0);
		put(e, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0);
		put(e, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_8, BPF_REG_1, (int16_t)off, 0);
		land(e, j1);
	}
	land(e, miss);
}

/* Epilogue, entered with the verdict in r0: counted, then the successor
 * tail-called when the verdict proceeds; else the verdict returned. */
static void emit_epilogue(struct emit *e, const struct rewrite_params *p, int ctx_off)
{
	int32_t disp = p->tc ? RW_TC_DISPATCHER_RETURN : RW_XDP_DISPATCHER_RETURN;
	int32_t pass = p->tc ? 0 /* TC_ACT_OK */ : 2 /* XDP_PASS */;
	size_t j1, j2;

	put(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_0, 0, 0);
	if (p->counter)
		emit_count(e, p, ctx_off);
	put(e, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0);
	if (p->tc)
		put(e, BPF_ALU | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, 1);
	j1 = put(e, BPF_JMP32 | BPF_JGT | BPF_K, BPF_REG_1, 0, 0, 31);
	put(e, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, (int32_t)p->mask);
	put(e, BPF_ALU64 | BPF_RSH | BPF_X, BPF_REG_2, BPF_REG_1, 0, 0);
	put(e, BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 1);
	j2 = put(e, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_2, 0, 0, 0);
	if (p->counter)
		put(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_7, 0, 0);
	else
		put(e, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_10, (int16_t)ctx_off, 0);
	put_ld_map(e, BPF_REG_2, BPF_PSEUDO_MAP_FD, p->chain_map_fd);
	put(e, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, (int32_t)p->slot);
	put(e, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call);
	/* out: the tail call missed or the verdict stops the chain */
	land(e, j1);
	land(e, j2);
	put(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_6, 0, 0);
	put(e, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_0, 0, 1, disp);
	put(e, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, pass);
	put(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

#define RW_MAX_INSERTED 96

/* Emits the inserted code into e; returns where the epilogue starts. */
static size_t emit_inserted(struct emit *e, const struct rewrite_params *p, int ctx_off)
{
	size_t ja, epi;

	emit_prologue(e, p, ctx_off);
	ja = put(e, BPF_JMP | BPF_JA, 0, 0, 0, 0);
	epi = e->n;
	emit_epilogue(e, p, ctx_off);
	land(e, ja);
	return epi;
}

size_t rewrite_shift(const struct rewrite_params *p)
{
	struct bpf_insn buf[RW_MAX_INSERTED];
	struct emit e = { buf, 0 };

	emit_inserted(&e, p, -8);
	return e.n;
}

/* A frame that can reach a tail call, in a program with subprograms */
#define MAX_FRAME_TAIL_CALL 256

bool rewrite_fits_timing(const struct bpf_insn *insns, size_t cnt)
{
	size_t main_len = rewrite_main_len(insns, cnt);
	int stack = rewrite_main_stack(insns, main_len);

	/* the 8 more bytes must not make the verifier refuse a program that
	 * chains without them */
	return stack >= 0 &&
	       stack + 16 <= (main_len < cnt ? MAX_FRAME_TAIL_CALL : MAX_STACK);
}

int rewrite_chain(const struct bpf_insn *in, size_t cnt, const struct rewrite_params *p,
		  struct bpf_insn **out, size_t *out_cnt, char *err, size_t errlen)
{
	size_t main_len, shift, epi, i;
	struct emit e;
	int stack, ctx_off;

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
	if (-ctx_off > MAX_STACK || (p->counter && p->timed && -ctx_off + 8 > MAX_STACK)) {
		snprintf(err, errlen,
			 "main uses %d bytes of stack; chaining needs %d more to keep the context "
			 "(limit %d)", stack, p->counter && p->timed ? 16 : 8, MAX_STACK);
		return -E2BIG;
	}
	shift = rewrite_shift(p);
	if (cnt + shift > 1000000 || main_len + shift > 32767) {
		snprintf(err, errlen, "program too long to chain (%zu instructions in main)", main_len);
		return -E2BIG;
	}
	e.o = calloc(cnt + shift, sizeof(*e.o));
	if (!e.o)
		return -ENOMEM;
	e.n = 0;
	epi = emit_inserted(&e, p, ctx_off);
	for (i = 0; i < cnt; i++) {
		e.o[e.n] = in[i];
		if (i < main_len && in[i].code == (BPF_JMP | BPF_EXIT))
			e.o[e.n] = mk(BPF_JMP | BPF_JA, 0, 0, (int16_t)((long)epi - (long)(e.n + 1)), 0);
		else if (is_ld_imm64(&in[i]) && i + 1 < cnt)
			e.o[++e.n] = in[++i];
		e.n++;
	}
	*out = e.o;
	*out_cnt = e.n;
	return 0;
}

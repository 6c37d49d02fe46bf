/* SPDX-License-Identifier: MIT */
/*
 * The interpreter: one function, direct-threaded dispatch (computed goto),
 * registers in a local array. At load the program is decoded once into an
 * array parallel to the instructions whose entries carry the handler's
 * address instead of the opcode and whole-byte register numbers, so a
 * dispatch is one load and one indirect jump; decoding also picks handler
 * variants (forward jumps, plain moves), branch-free conditional skips
 * (skip_up()), superinstructions for frequent pairs (pair_up()) and a
 * table for each switch-shaped compare tree (find_trees()). The verifier has already
 * checked opcodes, registers and control flow, so a handler does no
 * decoding checks; what stays at run time is the budget (an increment per
 * instruction, compared only at backward jumps and calls) and memory checks
 * (the live stack frames first, then the region the last load or store hit,
 * then the data regions of the object and the caller's regions, all inline).
 */
#include "vm_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* One decoded instruction (16 bytes); same index as in vm->insns. */
struct interp_insn {
	const void *h;		/* handler label */
	int32_t imm;
	int16_t off;
	uint8_t dst_reg;
	uint8_t src_reg;
};

struct frame {
	const struct interp_insn *ret;
	uint64_t saved[4];	/* r6..r9 of the caller */
};

/* Regions besides the stack, in lookup order: object data, then the caller's. */
struct region_set {
	const struct pluglet_region *a;
	uint32_t na;
	const struct pluglet_region *b;
	uint32_t nb;
};

/* Last region a load (or a store) hit: loops mostly touch the same one. */
struct region_cache {
	uint64_t start;
	uint64_t len;
};

static ALWAYS_INLINE int in_set(const struct pluglet_region *r, uint32_t n, uint64_t addr,
				uint64_t size, uint32_t perm, int *denied, struct region_cache *c)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint64_t off = addr - r[i].start;

		if (off < r[i].len && size <= r[i].len - off) {
			if ((r[i].perm & perm) == perm) {
				c->start = r[i].start;
				c->len = r[i].len;
				return 1;
			}
			*denied = 1;
		}
	}
	return 0;
}

/* 0: allowed; otherwise the fault kind. */
static ALWAYS_INLINE int mem_check(uint64_t addr, uint64_t size, uint32_t perm,
				   uint64_t stack_lo, uint64_t stack_len,
				   const struct region_set *rs, struct region_cache *c)
{
	int denied = 0;

	if (likely(addr - stack_lo <= stack_len - size))
		return 0;
	if (likely(addr - c->start < c->len && size <= c->len - (addr - c->start)))
		return 0;
	if (likely(in_set(rs->a, rs->na, addr, size, perm, &denied, c) ||
		   in_set(rs->b, rs->nb, addr, size, perm, &denied, c)))
		return 0;
	if (perm & PLUGLET_PERM_WRITE)
		return denied ? PLUGLET_FAULT_READONLY : PLUGLET_FAULT_OOB_STORE;
	return PLUGLET_FAULT_OOB_LOAD;
}

static uint64_t bswap16(uint64_t v)
{
	return __builtin_bswap16((uint16_t)v);
}

static uint64_t bswap32(uint64_t v)
{
	return __builtin_bswap32((uint32_t)v);
}

/* A superinstruction: opcodes a then b, run by handler h. */
struct interp_pair {
	uint8_t a, b;
	const void *h;
};

struct interp_tables {
	const void *const *tbl;
	const struct interp_pair *pairs;	/* ends with h == NULL */
	const struct interp_pair *skips;	/* a = jump, b = ALU; ends with h == NULL */
	const void *const *tree_h;	/* [0]: the compare tree handler */
};

/*
 * A compare tree: conditional jumps of one register against constants, the
 * shape clang gives a switch (BPF has no indirect jump). Its root runs the
 * whole tree with one table lookup when the register is in [lo, lo + span]
 * (see find_trees()); other values run the root's own handler.
 */
#define TREE_MAX_VALUES	64
#define TREE_MAX_STEPS	64
#define TREE_MAX	256	/* the index lives in the root's src_reg byte */

struct tree_leaf {
	int32_t delta;		/* from the root to the first instruction past the tree */
	uint32_t extra;		/* tree instructions executed after the root */
};

struct interp_tree {
	const void *orig_h;	/* the root's handler, for values off the table */
	int64_t lo;
	uint64_t span;
	struct tree_leaf leaf[TREE_MAX_VALUES];
};

/* In front of the decoded instructions (backend_priv points past it). */
struct interp_head {
	struct interp_tree *trees;
	uint64_t pad_;		/* keeps the instructions 16-byte aligned */
};

/*
 * With tbl_out set, only hands out the handler tables (label addresses
 * exist only inside this function) for interp_prepare() to decode with.
 */
static int interp_exec(const struct pluglet_vm *vm, struct pluglet_exec *ex,
		       uint64_t r1, uint64_t r2, uint64_t *r0, struct interp_tables *tbl_out)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#ifdef __clang__
#pragma GCC diagnostic ignored "-Winitializer-overrides"
#endif
	/*
	 * [code]: the handler; [256 + code]: a variant interp_prepare() picks
	 * when it applies (forward jumps skip the budget check, mov without
	 * sign extension skips the size switch), NULL if none.
	 */
	static const void *const tbl[512] = {
		[0 ... 255] = &&op_bad,
		/* ALU64 */
		[CLS_ALU64 | SRC_K | ALU_ADD] = &&alu64_add_k, [CLS_ALU64 | SRC_X | ALU_ADD] = &&alu64_add_x,
		[CLS_ALU64 | SRC_K | ALU_SUB] = &&alu64_sub_k, [CLS_ALU64 | SRC_X | ALU_SUB] = &&alu64_sub_x,
		[CLS_ALU64 | SRC_K | ALU_MUL] = &&alu64_mul_k, [CLS_ALU64 | SRC_X | ALU_MUL] = &&alu64_mul_x,
		[CLS_ALU64 | SRC_K | ALU_DIV] = &&alu64_div_k, [CLS_ALU64 | SRC_X | ALU_DIV] = &&alu64_div_x,
		[CLS_ALU64 | SRC_K | ALU_OR] = &&alu64_or_k, [CLS_ALU64 | SRC_X | ALU_OR] = &&alu64_or_x,
		[CLS_ALU64 | SRC_K | ALU_AND] = &&alu64_and_k, [CLS_ALU64 | SRC_X | ALU_AND] = &&alu64_and_x,
		[CLS_ALU64 | SRC_K | ALU_LSH] = &&alu64_lsh_k, [CLS_ALU64 | SRC_X | ALU_LSH] = &&alu64_lsh_x,
		[CLS_ALU64 | SRC_K | ALU_RSH] = &&alu64_rsh_k, [CLS_ALU64 | SRC_X | ALU_RSH] = &&alu64_rsh_x,
		[CLS_ALU64 | SRC_K | ALU_NEG] = &&alu64_neg,
		[CLS_ALU64 | SRC_K | ALU_MOD] = &&alu64_mod_k, [CLS_ALU64 | SRC_X | ALU_MOD] = &&alu64_mod_x,
		[CLS_ALU64 | SRC_K | ALU_XOR] = &&alu64_xor_k, [CLS_ALU64 | SRC_X | ALU_XOR] = &&alu64_xor_x,
		[CLS_ALU64 | SRC_K | ALU_MOV] = &&alu64_mov_k, [CLS_ALU64 | SRC_X | ALU_MOV] = &&alu64_mov_x,
		[CLS_ALU64 | SRC_K | ALU_ARSH] = &&alu64_arsh_k, [CLS_ALU64 | SRC_X | ALU_ARSH] = &&alu64_arsh_x,
		[CLS_ALU64 | SRC_K | ALU_END] = &&alu64_bswap,
		/* ALU (32-bit) */
		[CLS_ALU | SRC_K | ALU_ADD] = &&alu_add_k, [CLS_ALU | SRC_X | ALU_ADD] = &&alu_add_x,
		[CLS_ALU | SRC_K | ALU_SUB] = &&alu_sub_k, [CLS_ALU | SRC_X | ALU_SUB] = &&alu_sub_x,
		[CLS_ALU | SRC_K | ALU_MUL] = &&alu_mul_k, [CLS_ALU | SRC_X | ALU_MUL] = &&alu_mul_x,
		[CLS_ALU | SRC_K | ALU_DIV] = &&alu_div_k, [CLS_ALU | SRC_X | ALU_DIV] = &&alu_div_x,
		[CLS_ALU | SRC_K | ALU_OR] = &&alu_or_k, [CLS_ALU | SRC_X | ALU_OR] = &&alu_or_x,
		[CLS_ALU | SRC_K | ALU_AND] = &&alu_and_k, [CLS_ALU | SRC_X | ALU_AND] = &&alu_and_x,
		[CLS_ALU | SRC_K | ALU_LSH] = &&alu_lsh_k, [CLS_ALU | SRC_X | ALU_LSH] = &&alu_lsh_x,
		[CLS_ALU | SRC_K | ALU_RSH] = &&alu_rsh_k, [CLS_ALU | SRC_X | ALU_RSH] = &&alu_rsh_x,
		[CLS_ALU | SRC_K | ALU_NEG] = &&alu_neg,
		[CLS_ALU | SRC_K | ALU_MOD] = &&alu_mod_k, [CLS_ALU | SRC_X | ALU_MOD] = &&alu_mod_x,
		[CLS_ALU | SRC_K | ALU_XOR] = &&alu_xor_k, [CLS_ALU | SRC_X | ALU_XOR] = &&alu_xor_x,
		[CLS_ALU | SRC_K | ALU_MOV] = &&alu_mov_k, [CLS_ALU | SRC_X | ALU_MOV] = &&alu_mov_x,
		[CLS_ALU | SRC_K | ALU_ARSH] = &&alu_arsh_k, [CLS_ALU | SRC_X | ALU_ARSH] = &&alu_arsh_x,
		[CLS_ALU | SRC_K | ALU_END] = &&alu_le, [CLS_ALU | SRC_X | ALU_END] = &&alu_be,
		/* JMP */
		[CLS_JMP | JMP_JA] = &&jmp_ja,
		[CLS_JMP | SRC_K | JMP_JEQ] = &&jeq_k, [CLS_JMP | SRC_X | JMP_JEQ] = &&jeq_x,
		[CLS_JMP | SRC_K | JMP_JGT] = &&jgt_k, [CLS_JMP | SRC_X | JMP_JGT] = &&jgt_x,
		[CLS_JMP | SRC_K | JMP_JGE] = &&jge_k, [CLS_JMP | SRC_X | JMP_JGE] = &&jge_x,
		[CLS_JMP | SRC_K | JMP_JSET] = &&jset_k, [CLS_JMP | SRC_X | JMP_JSET] = &&jset_x,
		[CLS_JMP | SRC_K | JMP_JNE] = &&jne_k, [CLS_JMP | SRC_X | JMP_JNE] = &&jne_x,
		[CLS_JMP | SRC_K | JMP_JSGT] = &&jsgt_k, [CLS_JMP | SRC_X | JMP_JSGT] = &&jsgt_x,
		[CLS_JMP | SRC_K | JMP_JSGE] = &&jsge_k, [CLS_JMP | SRC_X | JMP_JSGE] = &&jsge_x,
		[CLS_JMP | SRC_K | JMP_JLT] = &&jlt_k, [CLS_JMP | SRC_X | JMP_JLT] = &&jlt_x,
		[CLS_JMP | SRC_K | JMP_JLE] = &&jle_k, [CLS_JMP | SRC_X | JMP_JLE] = &&jle_x,
		[CLS_JMP | SRC_K | JMP_JSLT] = &&jslt_k, [CLS_JMP | SRC_X | JMP_JSLT] = &&jslt_x,
		[CLS_JMP | SRC_K | JMP_JSLE] = &&jsle_k, [CLS_JMP | SRC_X | JMP_JSLE] = &&jsle_x,
		[CLS_JMP | SRC_K | JMP_CALL] = &&jmp_call, [CLS_JMP | SRC_X | JMP_CALL] = &&jmp_callx,
		[CLS_JMP | JMP_EXIT] = &&jmp_exit,
		/* JMP32 */
		[CLS_JMP32 | JMP_JA] = &&jmp32_ja,
		[CLS_JMP32 | SRC_K | JMP_JEQ] = &&jeq32_k, [CLS_JMP32 | SRC_X | JMP_JEQ] = &&jeq32_x,
		[CLS_JMP32 | SRC_K | JMP_JGT] = &&jgt32_k, [CLS_JMP32 | SRC_X | JMP_JGT] = &&jgt32_x,
		[CLS_JMP32 | SRC_K | JMP_JGE] = &&jge32_k, [CLS_JMP32 | SRC_X | JMP_JGE] = &&jge32_x,
		[CLS_JMP32 | SRC_K | JMP_JSET] = &&jset32_k, [CLS_JMP32 | SRC_X | JMP_JSET] = &&jset32_x,
		[CLS_JMP32 | SRC_K | JMP_JNE] = &&jne32_k, [CLS_JMP32 | SRC_X | JMP_JNE] = &&jne32_x,
		[CLS_JMP32 | SRC_K | JMP_JSGT] = &&jsgt32_k, [CLS_JMP32 | SRC_X | JMP_JSGT] = &&jsgt32_x,
		[CLS_JMP32 | SRC_K | JMP_JSGE] = &&jsge32_k, [CLS_JMP32 | SRC_X | JMP_JSGE] = &&jsge32_x,
		[CLS_JMP32 | SRC_K | JMP_JLT] = &&jlt32_k, [CLS_JMP32 | SRC_X | JMP_JLT] = &&jlt32_x,
		[CLS_JMP32 | SRC_K | JMP_JLE] = &&jle32_k, [CLS_JMP32 | SRC_X | JMP_JLE] = &&jle32_x,
		[CLS_JMP32 | SRC_K | JMP_JSLT] = &&jslt32_k, [CLS_JMP32 | SRC_X | JMP_JSLT] = &&jslt32_x,
		[CLS_JMP32 | SRC_K | JMP_JSLE] = &&jsle32_k, [CLS_JMP32 | SRC_X | JMP_JSLE] = &&jsle32_x,
		/* LD / LDX / ST / STX */
		[CLS_LD | MODE_IMM | SZ_DW] = &&ld_dw,
		[CLS_LDX | MODE_MEM | SZ_B] = &&ldx_b, [CLS_LDX | MODE_MEM | SZ_H] = &&ldx_h,
		[CLS_LDX | MODE_MEM | SZ_W] = &&ldx_w, [CLS_LDX | MODE_MEM | SZ_DW] = &&ldx_dw,
		[CLS_LDX | MODE_MEMSX | SZ_B] = &&ldxs_b, [CLS_LDX | MODE_MEMSX | SZ_H] = &&ldxs_h,
		[CLS_LDX | MODE_MEMSX | SZ_W] = &&ldxs_w,
		[CLS_ST | MODE_MEM | SZ_B] = &&st_b, [CLS_ST | MODE_MEM | SZ_H] = &&st_h,
		[CLS_ST | MODE_MEM | SZ_W] = &&st_w, [CLS_ST | MODE_MEM | SZ_DW] = &&st_dw,
		[CLS_STX | MODE_MEM | SZ_B] = &&stx_b, [CLS_STX | MODE_MEM | SZ_H] = &&stx_h,
		[CLS_STX | MODE_MEM | SZ_W] = &&stx_w, [CLS_STX | MODE_MEM | SZ_DW] = &&stx_dw,
		[CLS_STX | MODE_ATOMIC | SZ_W] = &&atomic_w, [CLS_STX | MODE_ATOMIC | SZ_DW] = &&atomic_dw,
		/* variants */
		[256 | CLS_ALU64 | SRC_X | ALU_MOV] = &&alu64_movsx, [256 | CLS_ALU | SRC_X | ALU_MOV] = &&alu_movsx,
		[256 | CLS_JMP | JMP_JA] = &&jmp_ja_fwd, [256 | CLS_JMP32 | JMP_JA] = &&jmp32_ja_fwd,
		[256 | CLS_JMP | SRC_K | JMP_JEQ] = &&jeq_k_fwd, [256 | CLS_JMP | SRC_X | JMP_JEQ] = &&jeq_x_fwd,
		[256 | CLS_JMP | SRC_K | JMP_JGT] = &&jgt_k_fwd, [256 | CLS_JMP | SRC_X | JMP_JGT] = &&jgt_x_fwd,
		[256 | CLS_JMP | SRC_K | JMP_JGE] = &&jge_k_fwd, [256 | CLS_JMP | SRC_X | JMP_JGE] = &&jge_x_fwd,
		[256 | CLS_JMP | SRC_K | JMP_JSET] = &&jset_k_fwd, [256 | CLS_JMP | SRC_X | JMP_JSET] = &&jset_x_fwd,
		[256 | CLS_JMP | SRC_K | JMP_JNE] = &&jne_k_fwd, [256 | CLS_JMP | SRC_X | JMP_JNE] = &&jne_x_fwd,
		[256 | CLS_JMP | SRC_K | JMP_JSGT] = &&jsgt_k_fwd, [256 | CLS_JMP | SRC_X | JMP_JSGT] = &&jsgt_x_fwd,
		[256 | CLS_JMP | SRC_K | JMP_JSGE] = &&jsge_k_fwd, [256 | CLS_JMP | SRC_X | JMP_JSGE] = &&jsge_x_fwd,
		[256 | CLS_JMP | SRC_K | JMP_JLT] = &&jlt_k_fwd, [256 | CLS_JMP | SRC_X | JMP_JLT] = &&jlt_x_fwd,
		[256 | CLS_JMP | SRC_K | JMP_JLE] = &&jle_k_fwd, [256 | CLS_JMP | SRC_X | JMP_JLE] = &&jle_x_fwd,
		[256 | CLS_JMP | SRC_K | JMP_JSLT] = &&jslt_k_fwd, [256 | CLS_JMP | SRC_X | JMP_JSLT] = &&jslt_x_fwd,
		[256 | CLS_JMP | SRC_K | JMP_JSLE] = &&jsle_k_fwd, [256 | CLS_JMP | SRC_X | JMP_JSLE] = &&jsle_x_fwd,
		[256 | CLS_JMP32 | SRC_K | JMP_JEQ] = &&jeq32_k_fwd, [256 | CLS_JMP32 | SRC_X | JMP_JEQ] = &&jeq32_x_fwd,
		[256 | CLS_JMP32 | SRC_K | JMP_JGT] = &&jgt32_k_fwd, [256 | CLS_JMP32 | SRC_X | JMP_JGT] = &&jgt32_x_fwd,
		[256 | CLS_JMP32 | SRC_K | JMP_JGE] = &&jge32_k_fwd, [256 | CLS_JMP32 | SRC_X | JMP_JGE] = &&jge32_x_fwd,
		[256 | CLS_JMP32 | SRC_K | JMP_JSET] = &&jset32_k_fwd, [256 | CLS_JMP32 | SRC_X | JMP_JSET] = &&jset32_x_fwd,
		[256 | CLS_JMP32 | SRC_K | JMP_JNE] = &&jne32_k_fwd, [256 | CLS_JMP32 | SRC_X | JMP_JNE] = &&jne32_x_fwd,
		[256 | CLS_JMP32 | SRC_K | JMP_JSGT] = &&jsgt32_k_fwd, [256 | CLS_JMP32 | SRC_X | JMP_JSGT] = &&jsgt32_x_fwd,
		[256 | CLS_JMP32 | SRC_K | JMP_JSGE] = &&jsge32_k_fwd, [256 | CLS_JMP32 | SRC_X | JMP_JSGE] = &&jsge32_x_fwd,
		[256 | CLS_JMP32 | SRC_K | JMP_JLT] = &&jlt32_k_fwd, [256 | CLS_JMP32 | SRC_X | JMP_JLT] = &&jlt32_x_fwd,
		[256 | CLS_JMP32 | SRC_K | JMP_JLE] = &&jle32_k_fwd, [256 | CLS_JMP32 | SRC_X | JMP_JLE] = &&jle32_x_fwd,
		[256 | CLS_JMP32 | SRC_K | JMP_JSLT] = &&jslt32_k_fwd, [256 | CLS_JMP32 | SRC_X | JMP_JSLT] = &&jslt32_x_fwd,
		[256 | CLS_JMP32 | SRC_K | JMP_JSLE] = &&jsle32_k_fwd, [256 | CLS_JMP32 | SRC_X | JMP_JSLE] = &&jsle32_x_fwd,
	};
#pragma GCC diagnostic pop
#define A64(op, src) (CLS_ALU64 | (src) | (op))
#define J64(op) (CLS_JMP | SRC_X | (op))
	static const struct interp_pair pairs[] = {
		{ A64(ALU_MOV, SRC_X), A64(ALU_ADD, SRC_X), &&sup_movx_addx },
		{ A64(ALU_MOV, SRC_X), A64(ALU_ADD, SRC_K), &&sup_movx_addk },
		{ A64(ALU_ADD, SRC_K), A64(ALU_ADD, SRC_K), &&sup_addk_addk },
		{ A64(ALU_ADD, SRC_X), A64(ALU_MOV, SRC_X), &&sup_addx_movx },
		{ A64(ALU_ADD, SRC_K), A64(ALU_MOV, SRC_X), &&sup_addk_movx },
		{ A64(ALU_ADD, SRC_X), CLS_LDX | MODE_MEM | SZ_B, &&sup_addx_ldxb },
		{ A64(ALU_ADD, SRC_X), CLS_LDX | MODE_MEM | SZ_H, &&sup_addx_ldxh },
		{ A64(ALU_ADD, SRC_X), CLS_LDX | MODE_MEM | SZ_W, &&sup_addx_ldxw },
		{ A64(ALU_ADD, SRC_X), CLS_LDX | MODE_MEM | SZ_DW, &&sup_addx_ldxdw },
		{ A64(ALU_ADD, SRC_K), J64(JMP_JGT), &&sup_addk_jgtx },
		{ A64(ALU_ADD, SRC_K), J64(JMP_JLT), &&sup_addk_jltx },
		{ A64(ALU_ADD, SRC_K), J64(JMP_JNE), &&sup_addk_jnex },
		{ A64(ALU_MOV, SRC_K), J64(JMP_JGT), &&sup_movk_jgtx },
		{ A64(ALU_MOV, SRC_K), J64(JMP_JLT), &&sup_movk_jltx },
		{ A64(ALU_MOV, SRC_K), J64(JMP_JNE), &&sup_movk_jnex },
		{ CLS_LDX | MODE_MEM | SZ_B, CLS_STX | MODE_MEM | SZ_B, &&sup_ldxb_stxb },
		{ CLS_LDX | MODE_MEM | SZ_DW, CLS_STX | MODE_MEM | SZ_DW, &&sup_ldxdw_stxdw },
		{ 0, 0, NULL },
	};
	/*
	 * Conditional skips: a forward jump by one over an ALU instruction
	 * (`if r7 > r5 goto +1; r0 |= 16`), run without a branch on the
	 * condition (see skip_up()).
	 */
#define SK_ROWS(p, j)                                                              \
	{ j, A64(ALU_MOV, SRC_K), &&p##_movk }, { j, A64(ALU_MOV, SRC_X), &&p##_movx }, \
	{ j, A64(ALU_ADD, SRC_K), &&p##_addk }, { j, A64(ALU_ADD, SRC_X), &&p##_addx }, \
	{ j, A64(ALU_OR, SRC_K), &&p##_ork }, { j, A64(ALU_AND, SRC_K), &&p##_andk },   \
	{ j, A64(ALU_RSH, SRC_K), &&p##_rshk }, { j, A64(ALU_LSH, SRC_K), &&p##_lshk }
	static const struct interp_pair skips[] = {
		SK_ROWS(sk_jgtx, CLS_JMP | SRC_X | JMP_JGT),
		SK_ROWS(sk_jgtk, CLS_JMP | SRC_K | JMP_JGT),
		SK_ROWS(sk_jltx, CLS_JMP | SRC_X | JMP_JLT),
		SK_ROWS(sk_jsgtx, CLS_JMP | SRC_X | JMP_JSGT),
		SK_ROWS(sk_jeqk, CLS_JMP | SRC_K | JMP_JEQ),
		SK_ROWS(sk_jeqx, CLS_JMP | SRC_X | JMP_JEQ),
		SK_ROWS(sk_jnek, CLS_JMP | SRC_K | JMP_JNE),
		SK_ROWS(sk_jnex, CLS_JMP | SRC_X | JMP_JNE),
		{ 0, 0, NULL },
	};
#undef SK_ROWS
#undef A64
#undef J64
	static const void *const tree_handler[] = { &&sw_tree };
	if (unlikely(tbl_out != NULL)) {
		tbl_out->tbl = tbl;
		tbl_out->pairs = pairs;
		tbl_out->skips = skips;
		tbl_out->tree_h = tree_handler;
		return 0;
	}
	const struct interp_insn *const base = vm->backend_priv;
	const struct interp_insn *pc = base;
	const struct region_set rs = {
		.a = vm->data_regions, .na = vm->nr_data_regions,
		.b = ex->regions, .nb = ex->nr_regions,
	};
	const uint64_t stack_top = (uint64_t)(uintptr_t)ex->stack_ + STACK_TOTAL;
	const uint64_t budget = ex->budget ? ex->budget : vm->budget;
	uint64_t count = 0;	/* executed instructions, this one included */
	/* Live stack: [stack_lo, stack_top), grows down by one frame per call. */
	uint64_t stack_lo = stack_top - PLUGLET_STACK_SIZE;
	uint64_t stack_len = PLUGLET_STACK_SIZE;
	uint64_t reg[16] = { 0 };
	/*
	 * Separate caches: a copy loop loads from one region and stores to
	 * another; atomics need READ and WRITE, so they have their own.
	 */
	struct region_cache lcache = { 0 }, scache = { 0 }, acache = { 0 };
	struct frame frames[PLUGLET_MAX_CALL_DEPTH];
	uint32_t depth = 0;
	uint64_t addr = 0, val, fid;
	uint32_t fsize = 0;
	int fkind = 0, err;
	pluglet_helper_fn fn;

	reg[1] = r1;
	reg[2] = r2;
	reg[10] = stack_top;

#define INSN_IDX ((uint32_t)(pc - base))
#define DST reg[pc->dst_reg]
#define SRC reg[pc->src_reg]
#define IMM ((uint64_t)(int64_t)pc->imm)
#define DST32 ((uint32_t)reg[pc->dst_reg])
#define SRC32 ((uint32_t)reg[pc->src_reg])
#define IMM32 ((uint32_t)pc->imm)
#define DISPATCH()                                  \
	do {                                        \
		count++;                            \
		goto *pc->h;                        \
	} while (0)
	/* Budget check points (see vm_internal.h): backward jumps and calls. */
#define BUDGET_CHECK(backward)                                      \
	do {                                                        \
		if (unlikely(count > budget) && (backward))         \
			goto budget_out;                            \
	} while (0)
#define NEXT()                                      \
	do {                                        \
		pc++;                               \
		DISPATCH();                         \
	} while (0)
#define JUMP(cond)                                  \
	do {                                        \
		BUDGET_CHECK(pc->off < 0);          \
		pc += (cond) ? pc->off + 1 : 1;     \
		DISPATCH();                         \
	} while (0)
	/* Forward jumps cannot loop: no budget check. */
#define JUMP_FWD(cond)                              \
	do {                                        \
		pc += (cond) ? pc->off + 1 : 1;     \
		DISPATCH();                         \
	} while (0)
	/* The handler and its forward variant. */
#define JCC(l, cond)                                \
	l: JUMP(cond);                              \
	l##_fwd: JUMP_FWD(cond)

	/* Memory access: on failure jumps to mem_fault with the details set. */
#define CHECK(a, sz, perm, cache)                                                   \
	do {                                                                        \
		addr = (a);                                                         \
		fkind = mem_check(addr, (sz), (perm), stack_lo, stack_len, &rs, &(cache)); \
		if (unlikely(fkind)) {                                              \
			fsize = (sz);                                               \
			goto mem_fault;                                             \
		}                                                                   \
	} while (0)
#define LOAD_ONLY(type, sz, ext)                                                     \
	do {                                                                         \
		type v_;                                                             \
		CHECK(SRC + (uint64_t)(int64_t)pc->off, sz, PLUGLET_PERM_READ, lcache);      \
		memcpy(&v_, (const void *)(uintptr_t)addr, sz);                      \
		DST = (uint64_t)(ext)v_;                                             \
	} while (0)
#define LOAD(type, sz, ext)                                                          \
	do {                                                                         \
		LOAD_ONLY(type, sz, ext);                                            \
		NEXT();                                                              \
	} while (0)
	/* From the first instruction of a superinstruction to its second. */
#define PAIR_NEXT()                                 \
	do {                                        \
		pc++;                               \
		count++;                            \
	} while (0)
#define STORE(type, sz, value)                                                       \
	do {                                                                         \
		type v_ = (type)(value);                                             \
		CHECK(DST + (uint64_t)(int64_t)pc->off, sz, PLUGLET_PERM_WRITE, scache);     \
		memcpy((void *)(uintptr_t)addr, &v_, sz);                            \
		NEXT();                                                              \
	} while (0)

	DISPATCH();

	/* ---- ALU64 ---- */
alu64_add_k: DST += IMM; NEXT();
alu64_add_x: DST += SRC; NEXT();
alu64_sub_k: DST -= IMM; NEXT();
alu64_sub_x: DST -= SRC; NEXT();
alu64_mul_k: DST *= IMM; NEXT();
alu64_mul_x: DST *= SRC; NEXT();
alu64_or_k: DST |= IMM; NEXT();
alu64_or_x: DST |= SRC; NEXT();
alu64_and_k: DST &= IMM; NEXT();
alu64_and_x: DST &= SRC; NEXT();
alu64_xor_k: DST ^= IMM; NEXT();
alu64_xor_x: DST ^= SRC; NEXT();
alu64_lsh_k: DST <<= (IMM & 63); NEXT();
alu64_lsh_x: DST <<= (SRC & 63); NEXT();
alu64_rsh_k: DST >>= (IMM & 63); NEXT();
alu64_rsh_x: DST >>= (SRC & 63); NEXT();
alu64_arsh_k: DST = (uint64_t)((int64_t)DST >> (IMM & 63)); NEXT();
alu64_arsh_x: DST = (uint64_t)((int64_t)DST >> (SRC & 63)); NEXT();
alu64_neg: DST = -DST; NEXT();
alu64_mov_k: DST = IMM; NEXT();
alu64_mov_x: DST = SRC; NEXT();
alu64_movsx:
	switch (pc->off) {
	case 8: DST = (uint64_t)(int64_t)(int8_t)SRC; break;
	case 16: DST = (uint64_t)(int64_t)(int16_t)SRC; break;
	default: DST = (uint64_t)(int64_t)(int32_t)SRC; break;
	}
	NEXT();
alu64_div_k: val = IMM; goto alu64_div;
alu64_div_x: val = SRC; goto alu64_div;
alu64_div:
	if (unlikely(val == 0))
		DST = 0;
	else if (!pc->off)
		DST /= val;
	else if ((int64_t)val == -1)
		DST = -DST;	/* INT64_MIN / -1 wraps to INT64_MIN */
	else
		DST = (uint64_t)((int64_t)DST / (int64_t)val);
	NEXT();
alu64_mod_k: val = IMM; goto alu64_mod;
alu64_mod_x: val = SRC; goto alu64_mod;
alu64_mod:
	if (unlikely(val == 0))
		; /* dst unchanged */
	else if (!pc->off)
		DST %= val;
	else if ((int64_t)val == -1)
		DST = 0;
	else
		DST = (uint64_t)((int64_t)DST % (int64_t)val);
	NEXT();
alu64_bswap:
	switch (pc->imm) {
	case 16: DST = bswap16(DST); break;
	case 32: DST = bswap32(DST); break;
	default: DST = __builtin_bswap64(DST); break;
	}
	NEXT();

	/* ---- ALU (32-bit, results zero-extended) ---- */
alu_add_k: DST = (uint32_t)(DST32 + IMM32); NEXT();
alu_add_x: DST = (uint32_t)(DST32 + SRC32); NEXT();
alu_sub_k: DST = (uint32_t)(DST32 - IMM32); NEXT();
alu_sub_x: DST = (uint32_t)(DST32 - SRC32); NEXT();
alu_mul_k: DST = (uint32_t)(DST32 * IMM32); NEXT();
alu_mul_x: DST = (uint32_t)(DST32 * SRC32); NEXT();
alu_or_k: DST = DST32 | IMM32; NEXT();
alu_or_x: DST = DST32 | SRC32; NEXT();
alu_and_k: DST = DST32 & IMM32; NEXT();
alu_and_x: DST = DST32 & SRC32; NEXT();
alu_xor_k: DST = DST32 ^ IMM32; NEXT();
alu_xor_x: DST = DST32 ^ SRC32; NEXT();
alu_lsh_k: DST = (uint32_t)(DST32 << (IMM32 & 31)); NEXT();
alu_lsh_x: DST = (uint32_t)(DST32 << (SRC32 & 31)); NEXT();
alu_rsh_k: DST = DST32 >> (IMM32 & 31); NEXT();
alu_rsh_x: DST = DST32 >> (SRC32 & 31); NEXT();
alu_arsh_k: DST = (uint32_t)((int32_t)DST32 >> (IMM32 & 31)); NEXT();
alu_arsh_x: DST = (uint32_t)((int32_t)DST32 >> (SRC32 & 31)); NEXT();
alu_neg: DST = (uint32_t)-DST32; NEXT();
alu_mov_k: DST = IMM32; NEXT();
alu_mov_x: DST = SRC32; NEXT();
alu_movsx:
	switch (pc->off) {
	case 8: DST = (uint32_t)(int32_t)(int8_t)SRC; break;
	default: DST = (uint32_t)(int32_t)(int16_t)SRC; break;
	}
	NEXT();
alu_div_k: val = IMM32; goto alu_div;
alu_div_x: val = SRC32; goto alu_div;
alu_div:
	if (unlikely((uint32_t)val == 0))
		DST = 0;
	else if (!pc->off)
		DST = DST32 / (uint32_t)val;
	else if ((int32_t)val == -1)
		DST = (uint32_t)-DST32;
	else
		DST = (uint32_t)((int32_t)DST32 / (int32_t)val);
	NEXT();
alu_mod_k: val = IMM32; goto alu_mod;
alu_mod_x: val = SRC32; goto alu_mod;
alu_mod:
	if (unlikely((uint32_t)val == 0))
		DST = DST32;
	else if (!pc->off)
		DST = DST32 % (uint32_t)val;
	else if ((int32_t)val == -1)
		DST = 0;
	else
		DST = (uint32_t)((int32_t)DST32 % (int32_t)val);
	NEXT();
alu_le:	/* to little endian: this host is little endian, so only truncate */
	switch (pc->imm) {
	case 16: DST = (uint16_t)DST; break;
	case 32: DST = (uint32_t)DST; break;
	default: break;
	}
	NEXT();
alu_be:
	switch (pc->imm) {
	case 16: DST = bswap16(DST); break;
	case 32: DST = bswap32(DST); break;
	default: DST = __builtin_bswap64(DST); break;
	}
	NEXT();

	/* ---- JMP ---- */
jmp_ja: JUMP(1);
jmp_ja_fwd: JUMP_FWD(1);
JCC(jeq_k, DST == IMM);
JCC(jeq_x, DST == SRC);
JCC(jgt_k, DST > IMM);
JCC(jgt_x, DST > SRC);
JCC(jge_k, DST >= IMM);
JCC(jge_x, DST >= SRC);
JCC(jset_k, DST & IMM);
JCC(jset_x, DST & SRC);
JCC(jne_k, DST != IMM);
JCC(jne_x, DST != SRC);
JCC(jsgt_k, (int64_t)DST > (int64_t)IMM);
JCC(jsgt_x, (int64_t)DST > (int64_t)SRC);
JCC(jsge_k, (int64_t)DST >= (int64_t)IMM);
JCC(jsge_x, (int64_t)DST >= (int64_t)SRC);
JCC(jlt_k, DST < IMM);
JCC(jlt_x, DST < SRC);
JCC(jle_k, DST <= IMM);
JCC(jle_x, DST <= SRC);
JCC(jslt_k, (int64_t)DST < (int64_t)IMM);
JCC(jslt_x, (int64_t)DST < (int64_t)SRC);
JCC(jsle_k, (int64_t)DST <= (int64_t)IMM);
JCC(jsle_x, (int64_t)DST <= (int64_t)SRC);

	/* ---- JMP32 ---- */
jmp32_ja:
	BUDGET_CHECK(pc->imm < 0);
	pc += pc->imm + 1;
	DISPATCH();
jmp32_ja_fwd:
	pc += pc->imm + 1;
	DISPATCH();
JCC(jeq32_k, DST32 == IMM32);
JCC(jeq32_x, DST32 == SRC32);
JCC(jgt32_k, DST32 > IMM32);
JCC(jgt32_x, DST32 > SRC32);
JCC(jge32_k, DST32 >= IMM32);
JCC(jge32_x, DST32 >= SRC32);
JCC(jset32_k, DST32 & IMM32);
JCC(jset32_x, DST32 & SRC32);
JCC(jne32_k, DST32 != IMM32);
JCC(jne32_x, DST32 != SRC32);
JCC(jsgt32_k, (int32_t)DST32 > (int32_t)IMM32);
JCC(jsgt32_x, (int32_t)DST32 > (int32_t)SRC32);
JCC(jsge32_k, (int32_t)DST32 >= (int32_t)IMM32);
JCC(jsge32_x, (int32_t)DST32 >= (int32_t)SRC32);
JCC(jlt32_k, DST32 < IMM32);
JCC(jlt32_x, DST32 < SRC32);
JCC(jle32_k, DST32 <= IMM32);
JCC(jle32_x, DST32 <= SRC32);
JCC(jslt32_k, (int32_t)DST32 < (int32_t)IMM32);
JCC(jslt32_x, (int32_t)DST32 < (int32_t)SRC32);
JCC(jsle32_k, (int32_t)DST32 <= (int32_t)IMM32);
JCC(jsle32_x, (int32_t)DST32 <= (int32_t)SRC32);

	/* ---- calls ---- */
jmp_call:
	BUDGET_CHECK(1);
	if (pc->src_reg == CALL_SRC_LOCAL) {
		if (unlikely(depth >= PLUGLET_MAX_CALL_DEPTH)) {
			vm_fault_set(ex, PLUGLET_FAULT_STACK_OVERFLOW, INSN_IDX, reg[10], 0);
			err = -EFAULT;
			goto out;
		}
		frames[depth].ret = pc + 1;
		memcpy(frames[depth].saved, &reg[6], sizeof(frames[depth].saved));
		depth++;
		reg[10] -= PLUGLET_STACK_SIZE;
		stack_lo -= PLUGLET_STACK_SIZE;
		stack_len += PLUGLET_STACK_SIZE;
		memset((void *)(uintptr_t)stack_lo, 0, PLUGLET_STACK_SIZE);
		pc += pc->imm + 1;
		DISPATCH();
	}
	fid = (uint32_t)pc->imm;
	fn = vm->helpers[fid & (PLUGLET_MAX_HELPERS - 1)];
	if (unlikely(fid >= PLUGLET_MAX_HELPERS || !fn)) {
		vm_fault_set(ex, PLUGLET_FAULT_BAD_HELPER, INSN_IDX, fid, 0);
		err = -EFAULT;
		goto out;
	}
	goto call_helper;
jmp_callx:
	BUDGET_CHECK(1);
	fid = DST;
	fn = vm->helpers[fid & (PLUGLET_MAX_HELPERS - 1)];
	if (unlikely(fid >= PLUGLET_MAX_HELPERS || !fn)) {
		vm_fault_set(ex, PLUGLET_FAULT_BAD_CALLX, INSN_IDX, fid, 0);
		err = -EFAULT;
		goto out;
	}
call_helper:
	ex->stack_lo_ = stack_lo;
	reg[0] = fn(ex, reg[1], reg[2], reg[3], reg[4], reg[5]);
	/* A helper may have changed what the regions describe. */
	lcache.len = scache.len = acache.len = 0;
	if (unlikely(ex->abort_kind)) {
		err = vm_helper_aborted(ex, INSN_IDX, fid, r0);
		goto out;
	}
	NEXT();
jmp_exit:
	if (likely(depth == 0)) {
		*r0 = reg[0];
		err = 0;
		goto out;
	}
	depth--;
	memcpy(&reg[6], frames[depth].saved, sizeof(frames[depth].saved));
	reg[10] += PLUGLET_STACK_SIZE;
	stack_lo += PLUGLET_STACK_SIZE;
	stack_len -= PLUGLET_STACK_SIZE;
	pc = frames[depth].ret;
	DISPATCH();

	/* ---- memory ---- */
ld_dw:
	DST = (uint32_t)pc->imm | ((uint64_t)(uint32_t)pc[1].imm << 32);
	pc += 2;
	DISPATCH();
ldx_b: LOAD(uint8_t, 1, uint8_t);
ldx_h: LOAD(uint16_t, 2, uint16_t);
ldx_w: LOAD(uint32_t, 4, uint32_t);
ldx_dw: LOAD(uint64_t, 8, uint64_t);
ldxs_b: LOAD(int8_t, 1, int64_t);
ldxs_h: LOAD(int16_t, 2, int64_t);
ldxs_w: LOAD(int32_t, 4, int64_t);
st_b: STORE(uint8_t, 1, pc->imm);
st_h: STORE(uint16_t, 2, pc->imm);
st_w: STORE(uint32_t, 4, pc->imm);
st_dw: STORE(uint64_t, 8, IMM);
stx_b: STORE(uint8_t, 1, SRC);
stx_h: STORE(uint16_t, 2, SRC);
stx_w: STORE(uint32_t, 4, SRC);
stx_dw: STORE(uint64_t, 8, SRC);

atomic_w: {
	uint32_t *p, old = 0, v = SRC32;

	CHECK(DST + (uint64_t)(int64_t)pc->off, 4, PLUGLET_PERM_RW, acache);
	p = (uint32_t *)(uintptr_t)addr;
	switch (pc->imm) {
	case ALU_ADD: __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_OR: __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_AND: __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_XOR: __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_ADD | ATOMIC_FETCH: SRC = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_OR | ATOMIC_FETCH: SRC = __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_AND | ATOMIC_FETCH: SRC = __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_XOR | ATOMIC_FETCH: SRC = __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); break;
	case ATOMIC_XCHG: SRC = __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); break;
	default: /* ATOMIC_CMPXCHG */
		old = (uint32_t)reg[0];
		__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		reg[0] = old;
		break;
	}
	NEXT();
}
atomic_dw: {
	uint64_t *p, old = 0, v = SRC;

	CHECK(DST + (uint64_t)(int64_t)pc->off, 8, PLUGLET_PERM_RW, acache);
	p = (uint64_t *)(uintptr_t)addr;
	switch (pc->imm) {
	case ALU_ADD: __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_OR: __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_AND: __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_XOR: __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_ADD | ATOMIC_FETCH: SRC = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_OR | ATOMIC_FETCH: SRC = __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_AND | ATOMIC_FETCH: SRC = __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); break;
	case ALU_XOR | ATOMIC_FETCH: SRC = __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); break;
	case ATOMIC_XCHG: SRC = __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); break;
	default: /* ATOMIC_CMPXCHG */
		old = reg[0];
		__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		reg[0] = old;
		break;
	}
	NEXT();
}

	/*
	 * ---- superinstructions ----
	 * Frequent pairs run in one dispatch (see pair_up()). The first
	 * faults, if it does, at its own index as it would alone; the second
	 * runs with pc and count already on it, so its faults, jumps and
	 * budget check see what they would alone.
	 */
sup_movx_addx: DST = SRC; PAIR_NEXT(); DST += SRC; NEXT();
sup_movx_addk: DST = SRC; PAIR_NEXT(); DST += IMM; NEXT();
sup_addk_addk: DST += IMM; PAIR_NEXT(); DST += IMM; NEXT();
sup_addx_movx: DST += SRC; PAIR_NEXT(); DST = SRC; NEXT();
sup_addk_movx: DST += IMM; PAIR_NEXT(); DST = SRC; NEXT();
sup_addx_ldxb: DST += SRC; PAIR_NEXT(); LOAD(uint8_t, 1, uint8_t);
sup_addx_ldxh: DST += SRC; PAIR_NEXT(); LOAD(uint16_t, 2, uint16_t);
sup_addx_ldxw: DST += SRC; PAIR_NEXT(); LOAD(uint32_t, 4, uint32_t);
sup_addx_ldxdw: DST += SRC; PAIR_NEXT(); LOAD(uint64_t, 8, uint64_t);
sup_addk_jgtx: DST += IMM; PAIR_NEXT(); JUMP(DST > SRC);
sup_addk_jltx: DST += IMM; PAIR_NEXT(); JUMP(DST < SRC);
sup_addk_jnex: DST += IMM; PAIR_NEXT(); JUMP(DST != SRC);
sup_movk_jgtx: DST = IMM; PAIR_NEXT(); JUMP(DST > SRC);
sup_movk_jltx: DST = IMM; PAIR_NEXT(); JUMP(DST < SRC);
sup_movk_jnex: DST = IMM; PAIR_NEXT(); JUMP(DST != SRC);
sup_ldxb_stxb: LOAD_ONLY(uint8_t, 1, uint8_t); PAIR_NEXT(); STORE(uint8_t, 1, SRC);
sup_ldxdw_stxdw: LOAD_ONLY(uint64_t, 8, uint64_t); PAIR_NEXT(); STORE(uint64_t, 8, SRC);

	/*
	 * ---- conditional skips ----
	 * The ALU instruction's result is computed always and kept only when
	 * the jump is not taken: a select instead of a branch that random
	 * data would mispredict. Neither half can fault; the jump is forward
	 * (no budget check) and the count goes up by the ALU instruction only
	 * when it runs.
	 */
#define NIMM ((uint64_t)(int64_t)n_->imm)
#define NSRC reg[n_->src_reg]
#define SKIP_OP(l, cond, expr)                                      \
	l: {                                                        \
		const bool c_ = (cond);                             \
		const struct interp_insn *n_ = pc + 1;              \
		const uint64_t o_ = reg[n_->dst_reg];               \
		const uint64_t v_ = (expr);                         \
		reg[n_->dst_reg] = c_ ? o_ : v_;                    \
		count += !c_;                                       \
		pc += 2;                                            \
		DISPATCH();                                         \
	}
#define SKIPS(p, cond)                                              \
	SKIP_OP(p##_movk, cond, NIMM)                               \
	SKIP_OP(p##_movx, cond, NSRC)                               \
	SKIP_OP(p##_addk, cond, o_ + NIMM)                          \
	SKIP_OP(p##_addx, cond, o_ + NSRC)                          \
	SKIP_OP(p##_ork, cond, o_ | NIMM)                           \
	SKIP_OP(p##_andk, cond, o_ & NIMM)                          \
	SKIP_OP(p##_rshk, cond, o_ >> (n_->imm & 63))               \
	SKIP_OP(p##_lshk, cond, o_ << (n_->imm & 63))
SKIPS(sk_jgtx, DST > SRC)
SKIPS(sk_jgtk, DST > IMM)
SKIPS(sk_jltx, DST < SRC)
SKIPS(sk_jsgtx, (int64_t)DST > (int64_t)SRC)
SKIPS(sk_jeqk, DST == IMM)
SKIPS(sk_jeqx, DST == SRC)
SKIPS(sk_jnek, DST != IMM)
SKIPS(sk_jnex, DST != SRC)
#undef SKIPS
#undef SKIP_OP
#undef NIMM
#undef NSRC

	/*
	 * ---- compare trees ----
	 * All the tree's jumps are forward (no budget check to skip); the
	 * count goes up by what the tree would have executed.
	 */
sw_tree: {
	const struct interp_tree *t = &((const struct interp_head *)base)[-1].trees[pc->src_reg];
	uint64_t x = DST - (uint64_t)t->lo;

	if (likely(x <= t->span)) {
		count += t->leaf[x].extra;
		pc += t->leaf[x].delta;
		DISPATCH();
	}
	goto *t->orig_h;
}

op_bad:
	/* Unreachable after verification; kept so a table hole cannot run wild. */
	vm_fault_set(ex, PLUGLET_FAULT_BAD_HELPER, INSN_IDX, vm->insns[INSN_IDX].code, 0);
	err = -EFAULT;
	goto out;

mem_fault:
	vm_fault_set(ex, fkind, INSN_IDX, addr, fsize);
	err = -EFAULT;
	goto out;

budget_out:
	vm_fault_set(ex, PLUGLET_FAULT_BUDGET, INSN_IDX, budget, 0);
	err = -EFAULT;

out:
	ex->insns_executed = count;
	return err;

#undef INSN_IDX
#undef DST
#undef SRC
#undef IMM
#undef DST32
#undef SRC32
#undef IMM32
#undef DISPATCH
#undef NEXT
#undef JUMP
#undef JUMP_FWD
#undef JCC
#undef BUDGET_CHECK
#undef CHECK
#undef LOAD
#undef LOAD_ONLY
#undef PAIR_NEXT
#undef STORE
}

static int interp_run(const struct pluglet_vm *vm, struct pluglet_exec *ex,
		      uint64_t r1, uint64_t r2, uint64_t *r0)
{
	return interp_exec(vm, ex, r1, r2, r0, NULL);
}

/* For an opcode that has a variant handler: does this instruction qualify? */
static bool use_variant(const struct pluglet_insn *in)
{
	switch (OP_CLASS(in->code)) {
	case CLS_ALU:
	case CLS_ALU64:		/* mov with sign extension */
		return in->off != 0;
	case CLS_JMP32:
		if (OP_CODE(in->code) == JMP_JA)
			return in->imm >= 0;
		return in->off >= 0;
	default:		/* CLS_JMP: forward */
		return in->off >= 0;
	}
}

/* A 64-bit movsx shares the opcode of mov: the pairs only take mov. */
static bool is_movsx64(const struct pluglet_insn *in)
{
	return in->code == (CLS_ALU64 | SRC_X | ALU_MOV) && in->off != 0;
}

/*
 * Superinstructions: where an instruction and the next form one of the
 * pairs and no jump lands on the second, the first's entry runs both (the
 * second keeps its own entry, never dispatched). Pairs do not overlap.
 */
static void pair_up(const struct pluglet_vm *vm, struct interp_insn *d,
		    const struct interp_pair *pairs, const bool *fused)
{
	for (uint32_t i = 0; i + 1 < vm->nr_insns; i++) {
		const struct pluglet_insn *a = &vm->insns[i], *b = &vm->insns[i + 1];

		if (fused[i] || fused[i + 1] || (vm->insn_flags[i] & VM_INSN_LDDW_HI) ||
		    (vm->insn_flags[i + 1] & (VM_INSN_JUMP_TARGET | VM_INSN_LDDW_HI)))
			continue;
		if (is_movsx64(a) || is_movsx64(b))
			continue;
		for (const struct interp_pair *q = pairs; q->h; q++) {
			if (q->a == a->code && q->b == b->code) {
				d[i].h = q->h;
				i++;
				break;
			}
		}
	}
}

/* A conditional jump of reg against a constant, forward: a tree node. */
static bool tree_node(const struct pluglet_insn *in, uint8_t reg)
{
	if (OP_CLASS(in->code) != CLS_JMP || (in->code & SRC_X) || in->dst_reg != reg ||
	    in->off < 0)
		return false;
	switch (OP_CODE(in->code)) {
	case JMP_JA:
	case JMP_CALL:
	case JMP_EXIT:
		return false;
	default:
		return true;
	}
}

static bool tree_ja(const struct pluglet_insn *in)
{
	return in->code == (CLS_JMP | JMP_JA) && in->off >= 0;
}

/* What the interpreter's handler of in would decide for dst == v. */
static bool tree_taken(const struct pluglet_insn *in, uint64_t v)
{
	uint64_t k = (uint64_t)(int64_t)in->imm;

	switch (OP_CODE(in->code)) {
	case JMP_JEQ: return v == k;
	case JMP_JNE: return v != k;
	case JMP_JGT: return v > k;
	case JMP_JGE: return v >= k;
	case JMP_JLT: return v < k;
	case JMP_JLE: return v <= k;
	case JMP_JSET: return v & k;
	case JMP_JSGT: return (int64_t)v > (int64_t)k;
	case JMP_JSGE: return (int64_t)v >= (int64_t)k;
	case JMP_JSLT: return (int64_t)v < (int64_t)k;
	default: /* JMP_JSLE */ return (int64_t)v <= (int64_t)k;
	}
}

/*
 * Runs the tree rooted at root for dst == v: where it leaves the tree and
 * after how many instructions (root included). -1 if it does not end in
 * TREE_MAX_STEPS (cannot happen with forward jumps in a verified program,
 * kept as a bound).
 */
static int tree_walk(const struct pluglet_vm *vm, uint32_t root, uint64_t v, uint32_t *leaf)
{
	uint32_t pc = root;
	int steps;

	for (steps = 0; steps < TREE_MAX_STEPS; steps++) {
		const struct pluglet_insn *in = &vm->insns[pc];

		if (tree_node(in, vm->insns[root].dst_reg))
			pc += tree_taken(in, v) ? (uint32_t)in->off + 1 : 1;
		else if (steps > 0 && tree_ja(in))
			pc += (uint32_t)in->off + 1;
		else
			break;
	}
	*leaf = pc;
	return steps < TREE_MAX_STEPS ? steps : -1;
}

/*
 * Whether root heads a tree worth a table: at least three compares, the
 * constants within TREE_MAX_VALUES - 3 of each other (the table covers one
 * value more on each side: a switch's default usually sits there).
 * Stamps the compares and gotos it visits with root + 1 in visit[]: a
 * compare visited from an earlier root is not tried as a root again, which
 * bounds the work of the search to TREE_MAX_STEPS per instruction. Leaves
 * are not stamped: a case that starts with a switch of its own heads a
 * tree too.
 */
static bool tree_shape(const struct pluglet_vm *vm, uint32_t root, uint32_t *visit,
		       int64_t *lo_out, uint64_t *span_out)
{
	uint32_t stack[2 * TREE_MAX_STEPS];
	uint32_t ns = 0, nseen = 0, nodes = 0;
	uint8_t reg = vm->insns[root].dst_reg;
	int64_t lo = INT64_MAX, hi = INT64_MIN;

	stack[ns++] = root;
	while (ns) {
		uint32_t pc = stack[--ns];
		const struct pluglet_insn *in = &vm->insns[pc];

		bool ja = tree_ja(in) && pc != root;

		/* a leaf is not stamped: it may head a tree of its own */
		if (visit[pc] == root + 1 || (!ja && !tree_node(in, reg)))
			continue;
		if (++nseen > TREE_MAX_STEPS)
			return false;
		visit[pc] = root + 1;
		if (ja) {
			stack[ns++] = pc + in->off + 1;
			continue;
		}
		nodes++;
		lo = in->imm < lo ? in->imm : lo;
		hi = in->imm > hi ? in->imm : hi;
		stack[ns++] = pc + 1;
		stack[ns++] = pc + in->off + 1;
	}
	if (nodes < 3 || hi - lo > TREE_MAX_VALUES - 3)
		return false;
	*lo_out = lo - 1;
	*span_out = (uint64_t)(hi - lo + 2);
	return true;
}

/*
 * Finds the compare trees, fills their tables and points their roots at
 * the tree handler. A compare inside a tree keeps its own handler: it runs
 * when the root's value is off the table or a jump lands on it.
 */
static int find_trees(struct pluglet_vm *vm, struct interp_insn *d, const void *tree_h,
		      struct interp_tree **out)
{
	struct interp_tree *trees = NULL, *t;
	uint32_t n = 0, *visit;

	*out = NULL;
	visit = calloc(vm->nr_insns, sizeof(*visit));
	if (!visit)
		return -ENOMEM;
	for (uint32_t i = 0; i < vm->nr_insns && n < TREE_MAX; i++) {
		int64_t lo;
		uint64_t span, v;

		if (visit[i] || (vm->insn_flags[i] & VM_INSN_LDDW_HI) ||
		    !tree_node(&vm->insns[i], vm->insns[i].dst_reg) ||
		    !tree_shape(vm, i, visit, &lo, &span))
			continue;
		t = realloc(trees, (n + 1) * sizeof(*t));
		if (!t) {
			free(trees);
			free(visit);
			return -ENOMEM;
		}
		trees = t;
		t = &trees[n];
		t->orig_h = d[i].h;
		t->lo = lo;
		t->span = span;
		for (v = 0; v <= span; v++) {
			uint32_t leaf;
			int steps = tree_walk(vm, i, (uint64_t)lo + v, &leaf);

			if (steps < 1)
				break;
			t->leaf[v].delta = (int32_t)(leaf - i);
			t->leaf[v].extra = (uint32_t)steps - 1;
		}
		if (v <= span)
			continue;	/* not a tree after all: slot reused */
		d[i].h = tree_h;
		d[i].src_reg = (uint8_t)n;
		n++;
	}
	free(visit);
	*out = trees;
	vm->nr_trees = n;
	return 0;
}

/*
 * Conditional skips: `if COND goto +1` then an ALU instruction no other
 * jump lands on. The jump's entry runs both without branching on COND (the
 * ALU instruction keeps its own entry, never dispatched). Taken before the
 * pairs: a mispredicted branch costs more than a dispatch. Marks both
 * instructions in fused.
 */
static void skip_up(struct pluglet_vm *vm, struct interp_insn *d,
		    const struct interp_pair *skips, bool *fused)
{
	vm->nr_skips = 0;
	for (uint32_t i = 0; i + 1 < vm->nr_insns; i++) {
		const struct pluglet_insn *a = &vm->insns[i], *b = &vm->insns[i + 1];

		if (a->off != 1 || OP_CLASS(a->code) != CLS_JMP ||
		    (vm->insn_flags[i] & VM_INSN_LDDW_HI) ||
		    (vm->insn_flags[i + 1] & (VM_INSN_JUMP_TARGET | VM_INSN_LDDW_HI)) ||
		    is_movsx64(b))
			continue;
		for (const struct interp_pair *q = skips; q->h; q++) {
			if (q->a == a->code && q->b == b->code) {
				d[i].h = q->h;
				fused[i] = fused[i + 1] = true;
				vm->nr_skips++;
				i++;
				break;
			}
		}
	}
}

static int interp_prepare(struct pluglet_vm *vm, char *log, size_t log_size)
{
	struct interp_tables t = { 0 };
	const void *const *tbl;
	struct interp_head *head;
	struct interp_insn *d;
	bool *fused;
	int err;

	interp_exec(NULL, NULL, 0, 0, NULL, &t);
	tbl = t.tbl;
	_Static_assert(sizeof(struct interp_head) % _Alignof(struct interp_insn) == 0,
		       "instructions follow the head");
	head = calloc(1, sizeof(*head) + (size_t)vm->nr_insns * sizeof(*d));
	if (!head) {
		vm_log(log, log_size, "out of memory decoding %u instructions", vm->nr_insns);
		return -ENOMEM;
	}
	d = (struct interp_insn *)(head + 1);
	for (uint32_t i = 0; i < vm->nr_insns; i++) {
		const struct pluglet_insn *in = &vm->insns[i];

		/* the second half of an lddw is never dispatched; its imm is read */
		d[i].h = tbl[in->code];
		if (tbl[256 + in->code] && use_variant(in))
			d[i].h = tbl[256 + in->code];
		d[i].imm = in->imm;
		d[i].off = in->off;
		d[i].dst_reg = in->dst_reg;
		d[i].src_reg = in->src_reg;
	}
	fused = calloc(vm->nr_insns, sizeof(*fused));
	if (!fused) {
		vm_log(log, log_size, "out of memory decoding %u instructions", vm->nr_insns);
		free(head);
		return -ENOMEM;
	}
	skip_up(vm, d, t.skips, fused);
	pair_up(vm, d, t.pairs, fused);
	free(fused);
	err = find_trees(vm, d, t.tree_h[0], &head->trees);
	if (err) {
		vm_log(log, log_size, "out of memory decoding %u instructions", vm->nr_insns);
		free(head);
		return err;
	}
	vm->backend_priv = d;
	vm->frame0_unread = vm->frame0_unread_rule;
	return 0;
}

static void interp_release(struct pluglet_vm *vm)
{
	struct interp_head *head;

	if (!vm->backend_priv)
		return;
	head = (struct interp_head *)vm->backend_priv - 1;
	free(head->trees);
	free(head);
	vm->backend_priv = NULL;
}

const struct vm_backend vm_backend_interp = {
	.name = "interpreter",
	.prepare = interp_prepare,
	.run = interp_run,
	.release = interp_release,
};

/* SPDX-License-Identifier: MIT */
/*
 * A small x86-64 instruction encoder for the pluglet JIT. Only the forms the
 * code generator needs; every form has a fixed length so that two emission
 * passes produce the same layout (jumps are always rel32).
 */
#ifndef PLUGLET_JIT_X86_64_EMIT_H
#define PLUGLET_JIT_X86_64_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum x86_reg {
	RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
	R8, R9, R10, R11, R12, R13, R14, R15,
};

/* Condition codes (low nibble of Jcc / SETcc). */
enum x86_cc {
	CC_O = 0x0, CC_NO = 0x1, CC_B = 0x2, CC_AE = 0x3, CC_E = 0x4, CC_NE = 0x5,
	CC_BE = 0x6, CC_A = 0x7, CC_S = 0x8, CC_NS = 0x9, CC_L = 0xc, CC_GE = 0xd,
	CC_LE = 0xe, CC_G = 0xf,
};

/* /digit of the 0x81/0x83 group and the matching r/m,reg opcode. */
enum x86_alu {
	X_ADD = 0, X_OR = 1, X_AND = 4, X_SUB = 5, X_XOR = 6, X_CMP = 7,
};

/* /digit of the shift group (0xc1 / 0xd3). */
enum x86_shift { X_ROL = 0, X_SHL = 4, X_SHR = 5, X_SAR = 7 };

struct jit_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool oom;
};

static inline void emit_bytes(struct jit_buf *b, const void *src, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static inline void emit8(struct jit_buf *b, uint8_t v) { emit_bytes(b, &v, 1); }
static inline void emit16(struct jit_buf *b, uint16_t v) { emit_bytes(b, &v, 2); }
static inline void emit32(struct jit_buf *b, uint32_t v) { emit_bytes(b, &v, 4); }
static inline void emit64(struct jit_buf *b, uint64_t v) { emit_bytes(b, &v, 8); }

/* REX prefix; `force` for byte registers sil/dil/spl/bpl. */
static inline void emit_rex(struct jit_buf *b, bool w, int reg, int index, int base, bool force)
{
	uint8_t rex = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((index & 8) ? 2 : 0) |
		      ((base & 8) ? 1 : 0);

	if (rex != 0x40 || force)
		emit8(b, rex);
}

static inline void emit_modrm(struct jit_buf *b, int mod, int reg, int rm)
{
	emit8(b, (uint8_t)((mod << 6) | ((reg & 7) << 3) | (rm & 7)));
}

/* ModRM (+SIB, +disp) for [base + disp]; always disp32 so lengths are fixed
 * for a given (base, disp) pair whatever the pass. */
static inline void emit_mem(struct jit_buf *b, int reg, int base, int32_t disp)
{
	bool d8 = disp >= -128 && disp <= 127;

	emit_modrm(b, d8 ? 1 : 2, reg, base);
	if ((base & 7) == RSP)
		emit8(b, 0x24);
	if (d8)
		emit8(b, (uint8_t)disp);
	else
		emit32(b, (uint32_t)disp);
}

/* op r/m(reg-direct), reg — e.g. 0x01 add, 0x89 mov, 0x85 test. */
static inline void emit_rr(struct jit_buf *b, uint8_t op, bool w, int dst, int src)
{
	emit_rex(b, w, src, 0, dst, false);
	emit8(b, op);
	emit_modrm(b, 3, src, dst);
}

/* op reg, r/m(reg-direct) with a 0x0f prefix, e.g. imul, movzx, movsx. */
static inline void emit_rr0f(struct jit_buf *b, uint8_t op, bool w, int reg, int rm, bool force)
{
	emit_rex(b, w, reg, 0, rm, force);
	emit8(b, 0x0f);
	emit8(b, op);
	emit_modrm(b, 3, reg, rm);
}

static inline void emit_mov_rr(struct jit_buf *b, bool w, int dst, int src)
{
	emit_rr(b, 0x89, w, dst, src);
}

/* add/or/and/sub/xor/cmp r/m, imm (sign-extended). */
static inline void emit_alu_ri(struct jit_buf *b, enum x86_alu op, bool w, int dst, int32_t imm)
{
	emit_rex(b, w, 0, 0, dst, false);
	if (imm >= -128 && imm <= 127) {
		emit8(b, 0x83);
		emit_modrm(b, 3, op, dst);
		emit8(b, (uint8_t)imm);
	} else {
		emit8(b, 0x81);
		emit_modrm(b, 3, op, dst);
		emit32(b, (uint32_t)imm);
	}
}

/* add/or/and/sub/xor/cmp r/m, reg */
static inline void emit_alu_rr(struct jit_buf *b, enum x86_alu op, bool w, int dst, int src)
{
	emit_rr(b, (uint8_t)(op * 8 + 1), w, dst, src);
}

/* op reg, [base + disp] (0x3b cmp, 0x8b mov, 0x2b sub ...). */
static inline void emit_rm(struct jit_buf *b, uint8_t op, bool w, int reg, int base, int32_t disp)
{
	emit_rex(b, w, reg, 0, base, false);
	emit8(b, op);
	emit_mem(b, reg, base, disp);
}

static inline void emit_load64(struct jit_buf *b, int dst, int base, int32_t disp)
{
	emit_rm(b, 0x8b, true, dst, base, disp);
}

static inline void emit_store64(struct jit_buf *b, int base, int32_t disp, int src)
{
	emit_rm(b, 0x89, true, src, base, disp);
}

static inline void emit_lea(struct jit_buf *b, int dst, int base, int32_t disp)
{
	emit_rm(b, 0x8d, true, dst, base, disp);
}

/* cmp reg, qword [base + disp] */
static inline void emit_cmp_rm(struct jit_buf *b, int reg, int base, int32_t disp)
{
	emit_rm(b, 0x3b, true, reg, base, disp);
}

/* mov dword [base + disp], imm32 */
static inline void emit_store_imm32(struct jit_buf *b, int base, int32_t disp, int32_t imm)
{
	emit_rex(b, false, 0, 0, base, false);
	emit8(b, 0xc7);
	emit_mem(b, 0, base, disp);
	emit32(b, (uint32_t)imm);
}

/* Loads an immediate with the shortest fixed encoding for that value. */
static inline void emit_mov_imm64(struct jit_buf *b, int dst, uint64_t imm)
{
	if (imm <= UINT32_MAX) {
		emit_rex(b, false, 0, 0, dst, false);
		emit8(b, (uint8_t)(0xb8 + (dst & 7)));
		emit32(b, (uint32_t)imm);
	} else if ((int64_t)imm >= INT32_MIN && (int64_t)imm <= INT32_MAX) {
		emit_rex(b, true, 0, 0, dst, false);
		emit8(b, 0xc7);
		emit_modrm(b, 3, 0, dst);
		emit32(b, (uint32_t)imm);
	} else {
		emit_rex(b, true, 0, 0, dst, false);
		emit8(b, (uint8_t)(0xb8 + (dst & 7)));
		emit64(b, imm);
	}
}

/* mov r32, imm32 (zero-extends) */
static inline void emit_mov_imm32(struct jit_buf *b, int dst, uint32_t imm)
{
	emit_mov_imm64(b, dst, imm);
}

static inline void emit_push(struct jit_buf *b, int r)
{
	emit_rex(b, false, 0, 0, r, false);
	emit8(b, (uint8_t)(0x50 + (r & 7)));
}

static inline void emit_pop(struct jit_buf *b, int r)
{
	emit_rex(b, false, 0, 0, r, false);
	emit8(b, (uint8_t)(0x58 + (r & 7)));
}

/* Unary group 0xf7: /2 not, /3 neg, /4 mul, /6 div, /7 idiv. */
static inline void emit_f7(struct jit_buf *b, int ext, bool w, int rm)
{
	emit_rex(b, w, 0, 0, rm, false);
	emit8(b, 0xf7);
	emit_modrm(b, 3, ext, rm);
}

static inline void emit_shift_cl(struct jit_buf *b, enum x86_shift op, bool w, int dst)
{
	emit_rex(b, w, 0, 0, dst, false);
	emit8(b, 0xd3);
	emit_modrm(b, 3, op, dst);
}

static inline void emit_shift_imm(struct jit_buf *b, enum x86_shift op, bool w, int dst, uint8_t n)
{
	emit_rex(b, w, 0, 0, dst, false);
	emit8(b, 0xc1);
	emit_modrm(b, 3, op, dst);
	emit8(b, n);
}

/* imul dst, src, imm32 (64-bit) */
static inline void emit_imul_ri(struct jit_buf *b, int dst, int src, int32_t imm)
{
	emit_rex(b, true, dst, 0, src, false);
	emit8(b, 0x69);
	emit_modrm(b, 3, dst, src);
	emit32(b, (uint32_t)imm);
}

/* lea dst, [base + index + disp] (64-bit; index is never rsp here); no
 * displacement byte when disp is 0: a three-part lea is slower. */
static inline void emit_lea_bi(struct jit_buf *b, int dst, int base, int index, int32_t disp)
{
	int mod = disp ? 2 : 0;

	if (!disp && (base & 7) == RBP) {
		int t = base;	/* [rbp/r13 + x] needs a displacement; [x + rbp] does not */

		base = index;
		index = t;
		if ((base & 7) == RBP)
			mod = 1;
	}
	emit8(b, (uint8_t)(0x48 | ((dst & 8) >> 1) | ((index & 8) >> 2) | ((base & 8) >> 3)));
	emit8(b, 0x8d);
	emit_modrm(b, mod, dst, 4);
	emit8(b, (uint8_t)(((index & 7) << 3) | (base & 7)));
	if (mod == 1)
		emit8(b, 0);
	else if (mod == 2)
		emit32(b, (uint32_t)disp);
}

/* Relative branches: the caller passes the absolute target offset. */
static inline void emit_rel32_to(struct jit_buf *b, uint32_t target)
{
	emit32(b, (uint32_t)((int64_t)target - (int64_t)(b->len + 4)));
}

static inline void emit_jmp(struct jit_buf *b, uint32_t target)
{
	emit8(b, 0xe9);
	emit_rel32_to(b, target);
}

static inline void emit_jcc(struct jit_buf *b, enum x86_cc cc, uint32_t target)
{
	emit8(b, 0x0f);
	emit8(b, (uint8_t)(0x80 | cc));
	emit_rel32_to(b, target);
}

static inline void emit_call(struct jit_buf *b, uint32_t target)
{
	emit8(b, 0xe8);
	emit_rel32_to(b, target);
}

/* call r/m64 (indirect through a register) */
static inline void emit_call_reg(struct jit_buf *b, int r)
{
	emit_rex(b, false, 0, 0, r, false);
	emit8(b, 0xff);
	emit_modrm(b, 3, 2, r);
}

static inline void emit_ret(struct jit_buf *b)
{
	emit8(b, 0xc3);
}

#endif /* PLUGLET_JIT_X86_64_EMIT_H */

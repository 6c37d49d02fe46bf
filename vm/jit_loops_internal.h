/* SPDX-License-Identifier: MIT */
/*
 * Loop range proofs for the x86-64 JIT (vm/jit_loops.c): which loops can
 * run a copy of their body without the per-access memory checks, and what
 * the check at the loop's entry must compare to allow it.
 */
#ifndef PLUGLET_JIT_LOOPS_INTERNAL_H
#define PLUGLET_JIT_LOOPS_INTERNAL_H

#include "vm_internal.h"

/* Per-instruction flags of the JIT's analysis (jit_state.flags). */
#define JF_TARGET	0x01
#define JF_LDDW_HI	0x02
#define JF_LEA		0x04	/* mov + add pair: one lea here */
#define JF_ZEXT		0x08	/* <<= 32, >>= 32 pair: one 32-bit mov here */
#define JF_FOLDED	0x10	/* second half of a pair: no code */
#define JF_LEA_MEM	0x20	/* a lea pair whose sum only the access after it reads */
#define JF_THREADED	0x40	/* a test repeated: known in counted copies (find_threads()) */

#define JIT_LOOP_NONE	0xff	/* no register: the value is the constant alone */
#define JIT_LOOP_GROUPS	6
#define JIT_LOOP_SLOTS	8
#define JIT_LOOP_SLOT	0x10	/* + j: the 8 bytes at r10 + slot_off[j] */
#define JIT_LOOP_EXITS	8

/*
 * Values are affine in the iteration number k (0 for the first run of the
 * body since the entry check): the sum of at most two registers' values at
 * the loop entry (b, b2: 0-10 a register, JIT_LOOP_SLOT + j a stack slot
 * the loop never writes, JIT_LOOP_NONE for none) + s * k + d.
 */
struct jit_loop_eq {		/* at entry, reg x == reg b + reg b2 + d */
	uint8_t x, b, b2;
	int32_t d;
};

struct jit_loop_group {		/* accesses at b + b2 + s * k + [lo, hi_end) */
	uint8_t b, b2;
	bool write;
	int32_t s;
	int32_t lo, hi_end;
};

/* Where a counted copy can leave (see jit_loop.counted). */
struct jit_loop_exit {
	uint32_t insn;		/* the member it leaves from, after running it */
	uint8_t reg;		/* a register holding cnt0 + cnt_s * k + cnt_d there */
	int32_t cnt_d;
	uint32_t done;		/* instructions of every[] run in that iteration */
};

struct jit_loop {
	uint32_t head, back;	/* back jumps to head */
	uint32_t first, last;	/* lowest and highest member */
	uint8_t nr_eq, nr_groups;
	/* The back-edge is taken only while bv + bv2 + dv + (k << sv_log) < n,
	 * n = bn + bn2 + dn, compared unsigned. */
	uint8_t bv, bv2, bn, bn2, sv_log;
	/* No such bound: the copy runs while counter iv (= iv0 + iv_s * k)
	 * stays at or below a limit the entry check stores. */
	bool limit;
	bool free;		/* no bound, no limit: no group moves with k */
	uint8_t iv;
	int32_t iv_s;
	int32_t dv;
	int64_t dn;
	/* Stack slots read as bases; with any, the entry check also keeps the
	 * first region of the write table off the current frame. */
	uint8_t nr_slots;
	int16_t slot_off[JIT_LOOP_SLOTS];
	/*
	 * Counted copies: every access is covered by the entry check and a
	 * counter cnt = cnt0 + cnt_s * k (cnt_s a power of two) tells the
	 * iterations done. Members every iteration runs (every[i], those that
	 * dominate the back-edge: per_iter of them) are not charged one by one;
	 * an exit charges k * per_iter + its `done` instead, the other members
	 * charge as they run, and the entry check makes sure that at most
	 * nr_run * (K + 1) instructions fit in the budget, so that no budget
	 * check is needed inside.
	 */
	bool counted;
	uint8_t cnt;
	int32_t cnt_s;
	uint32_t per_iter, nr_run;
	uint8_t nr_exits;
	struct jit_loop_exit exits[JIT_LOOP_EXITS];
	struct jit_loop_eq eq[11];
	struct jit_loop_group g[JIT_LOOP_GROUPS];
};

/*
 * live_out[i] (zeroed by the caller): the registers some instruction after
 * i may read before writing them (vm/jit_live.c). Returns 0, -ENOMEM, or
 * -E2BIG when the analysis gave up (then live_out must not be used).
 */
int jit_live_out(const struct pluglet_insn *insns, uint32_t nr, const uint8_t *flags,
		 uint16_t *live_out);

/* Registers `in` may read (*use: every one when in doubt) and surely writes (*def). */
void jit_insn_def_use(const struct pluglet_insn *in, uint16_t *def, uint16_t *use);

/* Successors of instruction i (at most two); a local call's callee only
 * when `callee` (a call otherwise goes on at i + 1). */
uint32_t jit_insn_succs(const struct pluglet_insn *insns, uint32_t nr, uint32_t i, bool callee,
			uint32_t out[2]);

/* Registers an instruction writes (0xffff for calls and jumps). */
uint16_t jit_insn_writes(const struct pluglet_insn *in);

/*
 * Finds the loops whose body can run unchecked after one check at entry:
 * fills *loops (malloc'd, *nr entries), member[i] = loop index + 1 for
 * every instruction of a loop (0 elsewhere; zeroed by the caller), and
 * sets proven[i] for the accesses the entry check covers and every[i] for
 * the members a counted loop runs on each iteration. flags: JF_* per
 * instruction. Returns 0 or -ENOMEM.
 */
int jit_loops_find(const struct pluglet_insn *insns, uint32_t nr, const uint8_t *flags,
		   struct jit_loop **loops, uint32_t *nr_loops, uint8_t *proven, uint32_t *member,
		   uint8_t *every);

#endif

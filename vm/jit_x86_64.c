/* SPDX-License-Identifier: MIT */
/*
 * x86-64 JIT backend for the pluglet VM.
 *
 * The generated code is as safe as the interpreter: every load and store
 * whose address is not proven at compile time is checked against the same
 * memory with the same permissions: the live stack frames [r10 - 512, top),
 * the object's data regions and the caller's regions. Addresses r10 + c
 * inside the current frame are proven at compile time (also through
 * registers known to hold r10 + c within a basic block); the others are
 * compared inline with the first region of a per-run table (one table per
 * permission) or with the live stack, then scanned out of line, then
 * decided in C with vm_region_lookup() (see jit_mem_slow()). The instruction
 * budget is counted exactly (see vm_internal.h) but only compared at
 * back-edges and calls. A violation leaves the code through a fault path;
 * jit_run() then reports it with vm_fault_set() like the interpreter does.
 *
 * Register map (eBPF -> x86-64). r1..r5 are caller-saved in eBPF and live
 * in caller-saved registers; r6..r10 in callee-saved ones, so a helper call
 * only saves r1..r5 (the interpreter keeps them, so do we):
 *   r0 rax  r1 rdi  r2 rsi  r3 r8  r4 r9  r5 r10
 *   r6 rbx  r7 r13  r8 r14  r9 r15 r10 rbp
 * rcx, rdx: scratch (address under check, shift count, divisor)
 * r11: budget left (signed; < 0 at a check point = out of budget)
 * r12: struct jit_run * (per-run state: region tables, fault record)
 *
 * Native frame: the entry pushes the callee-saved registers and keeps rsp
 * 16-byte aligned; a local call pushes r6..r10 (40 bytes) plus its return
 * address, so the alignment holds at every depth and helpers can be called
 * directly. A fault anywhere restores rsp from run->saved_rsp.
 */
#include "config.h"
#include "vm_internal.h"
#include "jit_x86_64_emit.h"
#include "jit_loops_internal.h"

#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * Memory checks are on unless the build says otherwise (meson option
 * jit_mem_checks=false) or this object is the benchmark-only variant that
 * measures what the checks cost (tests/bench, never installed).
 */
#if defined(PLUGLET_JIT_BENCH_NO_MEM_CHECKS) || !PLUGLET_JIT_MEM_CHECKS
#define JIT_MEM_CHECKS false
#else
#define JIT_MEM_CHECKS true
#endif

static const uint8_t REG[11] = { RAX, RDI, RSI, R8, R9, R10, RBX, R13, R14, R15, RBP };

#define BUDGET_REG	R11
#define RUN_REG		R12

/* Regions checked by the generated code without calling C. */
#define JIT_INLINE_REGIONS 16

struct jit_region {
	uint64_t start;
	uint64_t lim[4];	/* last valid address for an access of 1, 2, 4, 8 bytes */
};

/* Which permission a check needs: one table per kind of access. */
enum jit_tab { TAB_RD, TAB_WR, TAB_RW, TAB__N };

/* vm->backend_flags: bit 1 << t when the code compares with table t. */
#define JIT_TABS_USED ((1u << TAB__N) - 1)

/* Fault kinds the generated code records besides enum pluglet_fault_kind. */
#define JIT_FAULT_ABORT (PLUGLET_FAULT__MAX + 1)

/* Inline region tables: nr[t] entries of tab[t] are valid. */
struct jit_tabs {
	uint32_t nr[TAB__N];
	struct jit_region tab[TAB__N][JIT_INLINE_REGIONS];
};

/* vm->backend_priv: the code's mapping and the object's part of the tables. */
struct jit_priv {
	size_t map_len;
	struct jit_tabs data;	/* vm->data_regions, built once at compile time */
};

struct jit_run {
	uint64_t saved_rsp;
	struct pluglet_exec *ex;
	const pluglet_helper_fn *helpers;
	uint64_t stack_top;
	uint64_t fp_min;	/* a local call from this frame pointer overflows */
	int64_t budget_left;
	uint64_t stack_lim[4];	/* last valid stack address for 1, 2, 4, 8 bytes */
	uint64_t callx_id;	/* helper id of the running callx, for aborts */
	uint64_t fault_addr;
	uint32_t fault_kind;
	uint32_t fault_insn;
	uint32_t fault_size;
	const struct pluglet_vm *vm;
	uint64_t budget;	/* what r11 started from (capped to INT64_MAX) */
	uint64_t budget_asked;	/* the run's budget, for the fault report */
	uint64_t loop_lim;	/* the running loop copy's counter limit */
	uint64_t loop_cnt0;	/* the running counted copy's counter at entry */
	uint64_t loop_budget;	/* the budget while r11 holds loop_lim (lim_in_r11()) */
	struct jit_tabs tabs;
};

#define RUN_OFF(f) ((int32_t)offsetof(struct jit_run, f))
#define TAB_OFF(t, i) ((int32_t)(offsetof(struct jit_run, tabs.tab) + \
				 ((size_t)(t) * JIT_INLINE_REGIONS + (i)) * sizeof(struct jit_region)))

/* Memory-check info passed in edx to the slow path. */
#define INFO_INSN_MASK	0x0fffffffu
#define INFO_SIZE_SHIFT	28
#define INFO_TAB_SHIFT	30

typedef uint64_t (*jit_entry_fn)(struct jit_run *run, uint64_t r1, uint64_t r2);

/* Called from generated code, by address. */
static int jit_mem_slow(struct jit_run *run, uint64_t addr, uint32_t info, uint64_t fp);

static void tab_add(struct jit_tabs *tt, const struct pluglet_region *r, uint32_t tabs);

enum stub_type { STUB_MEM, STUB_FAULT, STUB_SEGMENT };

struct jit_stub {
	enum stub_type type;
	uint32_t kind;		/* STUB_FAULT */
	uint32_t insn;
	uint32_t info;		/* STUB_MEM */
	uint32_t resume;	/* STUB_MEM, STUB_SEGMENT: where the code goes on */
	uint8_t tab, size_log;	/* STUB_MEM */
	uint8_t addr_reg;	/* STUB_MEM: register holding the address */
	/* STUB_SEGMENT: instructions [insn, end) again with their own checks,
	 * compiled from the stack-pointer tracking state sk/sk_known. */
	uint32_t end;
	uint32_t fast;		/* STUB_SEGMENT: the unchecked code after the hull check */
	uint16_t sk_known;
	int64_t sk[11];
};

enum jit_label {
	LBL_EXIT,
	LBL_FAULT_EXIT,
	LBL_CSLOW,
	LBL_ZERO_FRAME,
	LBL_SCAN,		/* + tab * 4 + size_log */
	LBL__MAX = LBL_SCAN + TAB__N * 4,
};

struct jit_state {
	const struct pluglet_vm *vm;
	struct jit_buf b;
	uint32_t nr;
	uint32_t *insn_off;	/* code offset of each instruction (its label) */
	uint32_t *charge_at;	/* budget charged by a jump/call/exit, incl. itself */
	uint32_t *charge_before;/* charged on fall-through into a jump target */
	uint8_t *flags;		/* JF_* */
	uint8_t *jumps_in;	/* jumps and calls to each instruction (saturating) */
	struct jit_stub *stubs;
	uint32_t nr_stubs, cap_stubs;
	uint32_t *stub_off;	/* offsets from the previous pass */
	uint32_t cap_stub_off;
	uint32_t lbl[LBL__MAX];
	bool mem_checks;
	bool has_local_calls;
	/* Registers known to hold r10 + sk[r] within the current block. */
	int64_t sk[11];
	uint16_t sk_known;
	/* A segment whose accesses through grp_base were checked as a whole. */
	bool grp;
	uint8_t grp_base;
	uint32_t grp_end;
	uint32_t grp_stub;
	/*
	 * What a run must set up (see run_init() and pluglet_vm__run()):
	 * tabs_used: the tables some check compares with (1 << enum jit_tab);
	 * frame_escape: something may read frame 0 at an address not proven
	 * at compile time (an unproven load, a helper, a callx);
	 * stack_read_lo: lowest r10 offset a proven load or atomic reads.
	 */
	uint32_t tabs_used;
	bool frame_escape;
	int64_t stack_read_lo;
	/*
	 * Loops checked once at entry (vm/jit_loops.c): head_loop[i] = loop
	 * index + 1 at a loop's head, member[i] the same for every instruction
	 * of the loop; guard_off/guard_fail: where its entry
	 * check starts and where it gives up (previous pass); fast_off: the
	 * unchecked copy of each body instruction; proven[i]: the copy leaves
	 * access i unchecked; fast: the loop whose copy is being emitted.
	 */
	struct jit_loop *loops;
	uint32_t nr_loops;
	uint32_t *head_loop, *member;
	uint32_t *guard_off, *guard_fail;
	uint32_t *fast_off;
	uint8_t *proven;
	int32_t fast;
	/* In a copy: forward jumps out of the loop whose charge waits on the
	 * fall-through (see copy_exit()); exit_off[pc] is where the jump's
	 * out-of-line charge is (previous pass), exit_amt[pc] what it charges;
	 * exit_pcs lists those of the copy being emitted. */
	uint32_t *exit_off, *exit_amt, *exit_pcs;
	uint32_t nr_exit_pcs;
	/* In a copy: what is pending when a member only a forward jump
	 * reaches is emitted (see copy_branch()), + 1 (0: nothing set). */
	uint32_t *carry_in;
	/* In a copy: the member emitted next (UINT32_MAX: none), and whether
	 * the current jump was inverted to leave the loop instead. */
	uint32_t copy_next;
	bool inverted;
	/* In a copy: budget not charged yet, which every path charges later,
	 * and the join it may pass (see copy_defer()). */
	uint32_t carry, carry_to;
	/* Counted copies (jit_loop.counted): every[i] is charged through the
	 * counter; head_exit_off[l]: where copy l's head leaves (last pass). */
	uint8_t *every;
	uint32_t *head_exit_off;
	bool counted;
	/* fold_from[j] = i + 1: access j addresses with lea pair i (copies). */
	uint32_t *fold_from;
	uint32_t nr_folds, nr_threads, nr_cmp_mems, nr_latch_copies;
	/* Copies' layout (see copy_head_shift()), previous pass: blk_len[i]
	 * the bytes of the block a jump target i starts (BLK_LIVE: the code
	 * before it falls into it), raw_off[i] its offset from the copy's
	 * start without the padding; copy_start, copy_pad: the copy being
	 * emitted, the padding so far; nr_pads: what this pass padded. */
	uint32_t *blk_len, *raw_off;
	/* Loads fused into the test after them (find_cmp_mems()): cmp_mem[i]
	 * is the distance from load i to its test (1, or 2 with an AND
	 * between); mcmp the operand of the load a copy left out, for the test
	 * at mcmp.pc (0: none). */
	uint8_t *cmp_mem;
	struct {
		uint32_t pc;
		int base, sl;
		int32_t disp;
		int64_t mask;
		bool and_;
	} mcmp;
	uint32_t copy_start, copy_pad, nr_pads;
	char *log;
	size_t log_size;
};

/* ---------------------------------------------------------------- stubs */

static uint32_t stub_add(struct jit_state *st, const struct jit_stub *s)
{
	uint32_t k = st->nr_stubs;

	if (k == st->cap_stubs) {
		uint32_t cap = st->cap_stubs ? st->cap_stubs * 2 : 64;
		struct jit_stub *p = realloc(st->stubs, cap * sizeof(*p));

		if (!p) {
			st->b.oom = true;
			return 0;
		}
		st->stubs = p;
		st->cap_stubs = cap;
	}
	st->stubs[k] = *s;
	st->nr_stubs++;
	return k < st->cap_stub_off ? st->stub_off[k] : 0;
}

/* Remembers where stub k starts, for the next pass. */
static void stub_off_set(struct jit_state *st, uint32_t k, uint32_t off)
{
	if (k >= st->cap_stub_off) {
		uint32_t cap = st->cap_stub_off ? st->cap_stub_off : 64;
		uint32_t *p;

		while (cap <= k)
			cap *= 2;
		p = realloc(st->stub_off, cap * sizeof(*p));
		if (!p) {
			st->b.oom = true;
			return;
		}
		memset(p + st->cap_stub_off, 0, (cap - st->cap_stub_off) * sizeof(*p));
		st->stub_off = p;
		st->cap_stub_off = cap;
	}
	st->stub_off[k] = off;
}

/* Branch (jcc, or jmp when cc < 0) to a stub that records a fault. */
static void jump_fault(struct jit_state *st, int cc, uint32_t kind, uint32_t insn)
{
	struct jit_stub s = { .type = STUB_FAULT, .kind = kind, .insn = insn };
	uint32_t target = stub_add(st, &s);

	if (cc < 0)
		emit_jmp(&st->b, target);
	else
		emit_jcc(&st->b, (enum x86_cc)cc, target);
}

/* --------------------------------------------------------------- helpers */

static size_t emit_jcc8(struct jit_buf *b, enum x86_cc cc)
{
	emit8(b, (uint8_t)(0x70 | cc));
	emit8(b, 0);
	return b->len - 1;
}

static size_t emit_jmp8(struct jit_buf *b)
{
	emit8(b, 0xeb);
	emit8(b, 0);
	return b->len - 1;
}

/* Points a rel8 emitted at `pos` to the current position. */
static void patch8(struct jit_buf *b, size_t pos)
{
	if (!b->oom)
		b->p[pos] = (uint8_t)(b->len - (pos + 1));
}

static bool is_byte_reg_needing_rex(int r)
{
	return r >= 4 && r <= 7;
}

/*
 * A memory operand instruction: [66] [REX] opcode(s) modrm [base + disp].
 * `op` holds one or two opcode bytes (0x0fXX for two).
 */
static void emit_memop(struct jit_buf *b, bool p66, bool w, bool force_rex, uint16_t op, int reg,
		       int base, int32_t disp)
{
	if (p66)
		emit8(b, 0x66);
	emit_rex(b, w, reg, 0, base, force_rex);
	if (op > 0xff)
		emit8(b, (uint8_t)(op >> 8));
	emit8(b, (uint8_t)op);
	emit_mem(b, reg, base, disp);
}

/* The same with [base + index + disp] when index >= 0 (never rsp). */
static void emit_memop_i(struct jit_buf *b, bool p66, bool w, bool force_rex, uint16_t op, int reg,
			 int base, int index, int32_t disp)
{
	bool d8 = disp >= -128 && disp <= 127;

	if (index < 0) {
		emit_memop(b, p66, w, force_rex, op, reg, base, disp);
		return;
	}
	if (p66)
		emit8(b, 0x66);
	emit_rex(b, w, reg, index, base, force_rex);
	if (op > 0xff)
		emit8(b, (uint8_t)(op >> 8));
	emit8(b, (uint8_t)op);
	emit_modrm(b, d8 ? 1 : 2, reg, 4);
	emit8(b, (uint8_t)(((index & 7) << 3) | (base & 7)));
	if (d8)
		emit8(b, (uint8_t)disp);
	else
		emit32(b, (uint32_t)disp);
}

static void emit_charge(struct jit_state *st, uint32_t n)
{
	/* Counts above INT32_MAX cannot happen: a block is at most nr_insns. */
	if (n)
		emit_alu_ri(&st->b, X_SUB, true, BUDGET_REG, (int32_t)n);
}

/* ------------------------------------------------------------------ ALU */

static void gen_div(struct jit_state *st, const struct pluglet_insn *in, bool w)
{
	struct jit_buf *b = &st->b;
	bool is_mod = OP_CODE(in->code) == ALU_MOD;
	bool sgn = in->off == 1;
	int dst = REG[in->dst_reg];
	size_t j_zero = 0, j_do = 0, j_done1 = 0, j_done2 = 0;
	bool dyn = OP_SRC(in->code) == SRC_X;

	if (!dyn) {
		uint64_t d = w ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm;

		if (d == 0) {
			if (!is_mod)
				emit_alu_rr(b, X_XOR, false, dst, dst);
			else if (!w)
				emit_mov_rr(b, false, dst, dst);
			return;
		}
		if (sgn && in->imm == -1) {
			if (!is_mod)
				emit_f7(b, 3, w, dst);
			else
				emit_alu_rr(b, X_XOR, false, dst, dst);
			return;
		}
		emit_mov_imm64(b, RCX, d);
	} else {
		emit_mov_rr(b, w, RCX, REG[in->src_reg]);
		emit_rr(b, 0x85, w, RCX, RCX);
		j_zero = emit_jcc8(b, CC_E);
		if (sgn) {
			emit_alu_ri(b, X_CMP, w, RCX, -1);
			j_do = emit_jcc8(b, CC_NE);
			if (!is_mod)
				emit_f7(b, 3, w, dst);
			else
				emit_alu_rr(b, X_XOR, false, dst, dst);
			j_done1 = emit_jmp8(b);
			patch8(b, j_do);
		}
	}
	if (dst != RAX) {
		emit_push(b, RAX);
		emit_mov_rr(b, w, RAX, dst);
	}
	if (sgn) {
		if (w)
			emit8(b, 0x48);
		emit8(b, 0x99);			/* cqo / cdq */
	} else {
		emit_alu_rr(b, X_XOR, false, RDX, RDX);
	}
	emit_f7(b, sgn ? 7 : 6, w, RCX);	/* idiv / div rcx */
	if (dst != RAX) {
		emit_mov_rr(b, w, dst, is_mod ? RDX : RAX);
		emit_pop(b, RAX);
	} else if (is_mod) {
		emit_mov_rr(b, w, RAX, RDX);
	}
	if (dyn) {
		j_done2 = emit_jmp8(b);
		patch8(b, j_zero);
		if (!is_mod)
			emit_alu_rr(b, X_XOR, false, dst, dst);
		else if (!w)
			emit_mov_rr(b, false, dst, dst);
		patch8(b, j_done2);
		if (sgn)
			patch8(b, j_done1);
	}
}

static int gen_end(struct jit_state *st, const struct pluglet_insn *in, bool swap)
{
	struct jit_buf *b = &st->b;
	int dst = REG[in->dst_reg];

	switch (in->imm) {
	case 16:
		if (swap) {	/* rol r16, 8 */
			emit8(b, 0x66);
			emit_shift_imm(b, X_ROL, false, dst, 8);
		}
		emit_rr0f(b, 0xb7, false, dst, dst, false);	/* movzx r32, r16 */
		return 0;
	case 32:
		if (swap) {
			emit_rex(b, false, 0, 0, dst, false);
			emit8(b, 0x0f);
			emit8(b, (uint8_t)(0xc8 + (dst & 7)));
		} else {
			emit_mov_rr(b, false, dst, dst);
		}
		return 0;
	case 64:
		if (swap) {
			emit_rex(b, true, 0, 0, dst, false);
			emit8(b, 0x0f);
			emit8(b, (uint8_t)(0xc8 + (dst & 7)));
		}
		return 0;
	}
	return -EOPNOTSUPP;
}

static int gen_alu(struct jit_state *st, const struct pluglet_insn *in)
{
	static const int8_t xop[16] = {
		[ALU_ADD >> 4] = X_ADD, [ALU_SUB >> 4] = X_SUB, [ALU_OR >> 4] = X_OR,
		[ALU_AND >> 4] = X_AND, [ALU_XOR >> 4] = X_XOR,
	};
	static const int8_t xshift[16] = {
		[ALU_LSH >> 4] = X_SHL, [ALU_RSH >> 4] = X_SHR, [ALU_ARSH >> 4] = X_SAR,
	};
	struct jit_buf *b = &st->b;
	bool w = OP_CLASS(in->code) == CLS_ALU64;
	bool x = OP_SRC(in->code) == SRC_X;
	int dst = REG[in->dst_reg], src = REG[in->src_reg];

	switch (OP_CODE(in->code)) {
	case ALU_ADD:
	case ALU_SUB:
	case ALU_OR:
	case ALU_AND:
	case ALU_XOR:
		if (x)
			emit_alu_rr(b, (enum x86_alu)xop[OP_CODE(in->code) >> 4], w, dst, src);
		else
			emit_alu_ri(b, (enum x86_alu)xop[OP_CODE(in->code) >> 4], w, dst, in->imm);
		return 0;
	case ALU_MOV:
		if (!x) {
			if (w)
				emit_mov_imm64(b, dst, (uint64_t)(int64_t)in->imm);
			else
				emit_mov_imm32(b, dst, (uint32_t)in->imm);
			return 0;
		}
		switch (in->off) {
		case 0:
			emit_mov_rr(b, w, dst, src);
			return 0;
		case 8:		/* movsx r, r/m8 */
			emit_rr0f(b, 0xbe, w, dst, src, is_byte_reg_needing_rex(src));
			return 0;
		case 16:	/* movsx r, r/m16 */
			emit_rr0f(b, 0xbf, w, dst, src, false);
			return 0;
		case 32:	/* movsxd r64, r/m32 */
			if (!w)
				return -EOPNOTSUPP;
			emit_rex(b, true, dst, 0, src, false);
			emit8(b, 0x63);
			emit_modrm(b, 3, dst, src);
			return 0;
		}
		return -EOPNOTSUPP;
	case ALU_MUL:
		if (x) {
			emit_rr0f(b, 0xaf, w, dst, src, false);
		} else {
			emit_rex(b, w, dst, 0, dst, false);
			emit8(b, 0x69);
			emit_modrm(b, 3, dst, dst);
			emit32(b, (uint32_t)in->imm);
		}
		return 0;
	case ALU_LSH:
	case ALU_RSH:
	case ALU_ARSH:
		/* x86 masks the count to 63/31 exactly like RFC 9669 asks. */
		if (x) {
			emit_mov_rr(b, false, RCX, src);
			emit_shift_cl(b, (enum x86_shift)xshift[OP_CODE(in->code) >> 4], w, dst);
			/* A count of 0 must still zero-extend a 32-bit result. */
			if (!w)
				emit_mov_rr(b, false, dst, dst);
		} else {
			uint8_t n = (uint8_t)(in->imm & (w ? 63 : 31));

			if (n)
				emit_shift_imm(b, (enum x86_shift)xshift[OP_CODE(in->code) >> 4], w, dst, n);
			else if (!w)
				emit_mov_rr(b, false, dst, dst);
		}
		return 0;
	case ALU_NEG:
		emit_f7(b, 3, w, dst);
		return 0;
	case ALU_DIV:
	case ALU_MOD:
		if (in->off != 0 && in->off != 1)
			return -EOPNOTSUPP;
		gen_div(st, in, w);
		return 0;
	case ALU_END:
		if (w) {
			if (x)
				return -EOPNOTSUPP;
			return gen_end(st, in, true);
		}
		return gen_end(st, in, x);
	}
	return -EOPNOTSUPP;
}

/* --------------------------------------------------------------- memory */

static int size_log_of(uint8_t code)
{
	switch (OP_SIZE(code)) {
	case SZ_B: return 0;
	case SZ_H: return 1;
	case SZ_W: return 2;
	default: return 3;
	}
}

/* Stack-pointer tracking: which registers hold r10 + constant. */
static bool sk_get(const struct jit_state *st, uint8_t r, int64_t *c)
{
	if (r == 10) {
		*c = 0;
		return true;
	}
	if (!(st->sk_known & (1u << r)))
		return false;
	*c = st->sk[r];
	return true;
}

static void sk_set(struct jit_state *st, uint8_t r, bool known, int64_t c)
{
	/* Far offsets are useless for proofs; forgetting them keeps c small. */
	if (known && c > -(1 << 20) && c < (1 << 20)) {
		st->sk[r] = c;
		st->sk_known |= (uint16_t)(1u << r);
	} else {
		st->sk_known &= (uint16_t)~(1u << r);
	}
}

/* Updates the tracking after instruction `in` (r10 itself never changes). */
static void sk_track(struct jit_state *st, const struct pluglet_insn *in)
{
	uint8_t cls = OP_CLASS(in->code), op = OP_CODE(in->code);
	int64_t c = 0;

	switch (cls) {
	case CLS_ALU64:
		if (op == ALU_MOV && OP_SRC(in->code) == SRC_X && !in->off) {
			bool k = sk_get(st, in->src_reg, &c);

			sk_set(st, in->dst_reg, k, c);
		} else if ((op == ALU_ADD || op == ALU_SUB) && OP_SRC(in->code) == SRC_K &&
			   sk_get(st, in->dst_reg, &c)) {
			sk_set(st, in->dst_reg, true, op == ALU_ADD ? c + in->imm : c - in->imm);
		} else {
			sk_set(st, in->dst_reg, false, 0);
		}
		break;
	case CLS_ALU:
	case CLS_LD:
	case CLS_LDX:
		sk_set(st, in->dst_reg, false, 0);
		break;
	case CLS_STX:
		if (OP_MODE(in->code) == MODE_ATOMIC) {
			sk_set(st, in->src_reg, false, 0);
			sk_set(st, 0, false, 0);
		}
		break;
	case CLS_JMP:
		if (op == JMP_CALL)
			st->sk_known = 0;
		break;
	}
}

/*
 * Emits the check of [REG[breg] + off, +size) for a table and returns the
 * operand to use: base register and displacement.
 *  - r10 (or a register known to hold r10 + c) at a constant offset inside
 *    the current frame needs no check: the frame is live at any depth.
 *  - Other stack-derived addresses are compared inline with the live stack
 *    [r10 - 512, top); anything else with the first region of the table.
 *  - A miss goes to a stub that scans the stack and the whole table, then
 *    asks C (which records the fault if nothing holds the access).
 */
static void gen_check(struct jit_state *st, uint32_t pc, uint8_t breg, int16_t off, int size_log,
		      enum jit_tab tab, bool force_rcx, int *base, int32_t *disp)
{
	struct jit_buf *b = &st->b;
	int size = 1 << size_log;
	bool stackish, proven;
	struct jit_stub s;
	uint32_t target;
	int64_t c = 0;
	size_t k;
	int addr;

	if (st->grp && breg == st->grp_base && pc < st->grp_end) {
		/* Inside a segment whose hull check passed. */
		if (tab != TAB_WR)
			st->frame_escape = true;
		if (!force_rcx) {
			*base = REG[breg];
			*disp = off;
		} else {
			emit_lea(b, RCX, REG[breg], off);
			*base = RCX;
			*disp = 0;
		}
		return;
	}
	if (st->fast >= 0 && st->proven[pc]) {
		/* Inside a loop copy whose entry check covered this access. */
		if (tab != TAB_WR)
			st->frame_escape = true;
		stackish = false;
		proven = true;
		goto unchecked;
	}
	stackish = sk_get(st, breg, &c);
	proven = stackish && c + off >= -(int64_t)PLUGLET_STACK_SIZE && c + off <= -size;
	if (tab != TAB_WR && !proven)
		st->frame_escape = true;
	else if (tab != TAB_WR && c + off < st->stack_read_lo)
		st->stack_read_lo = c + off;
unchecked:
	if (!st->mem_checks || proven) {
		if (!force_rcx) {
			*base = REG[breg];
			*disp = off;
			return;
		}
		emit_lea(b, RCX, REG[breg], off);
		*base = RCX;
		*disp = 0;
		return;
	}
	/*
	 * The address goes to rcx, except at offset 0 where the base register
	 * itself is compared and used: no lea on the address-to-load path. The
	 * stubs expect the address in rcx, so they get their own copy.
	 */
	addr = REG[breg];
	if (off || force_rcx) {
		emit_lea(b, RCX, REG[breg], off);
		addr = RCX;
	}
	s = (struct jit_stub){
		.type = STUB_MEM, .insn = pc, .tab = (uint8_t)tab, .size_log = (uint8_t)size_log,
		.info = pc | (uint32_t)size_log << INFO_SIZE_SHIFT | (uint32_t)tab << INFO_TAB_SHIFT,
	};
	k = st->nr_stubs;
	target = stub_add(st, &s);
	st->tabs_used |= 1u << tab;	/* the stub scans the table */
	if (stackish) {
		emit_lea(b, RDX, RBP, -(int32_t)PLUGLET_STACK_SIZE);
		emit_alu_rr(b, X_CMP, true, addr, RDX);
		emit_jcc(b, CC_B, target);
		emit_cmp_rm(b, addr, RUN_REG, RUN_OFF(stack_lim[size_log]));
	} else {
		emit_cmp_rm(b, addr, RUN_REG, TAB_OFF(tab, 0) + (int32_t)offsetof(struct jit_region, start));
		emit_jcc(b, CC_B, target);
		emit_cmp_rm(b, addr, RUN_REG, TAB_OFF(tab, 0) +
			    (int32_t)offsetof(struct jit_region, lim[size_log]));
	}
	emit_jcc(b, CC_A, target);
	if (!b->oom) {
		st->stubs[k].resume = (uint32_t)b->len;
		st->stubs[k].addr_reg = (uint8_t)addr;
	}
	*base = addr;
	*disp = 0;
}

/* The memory access an instruction makes, if any. */
static bool mem_access(const struct pluglet_insn *in, uint8_t *breg, int16_t *off, int *size,
		       uint32_t *perm)
{
	uint8_t cls = OP_CLASS(in->code), mode = OP_MODE(in->code);

	*off = in->off;
	*size = 1 << size_log_of(in->code);
	if (cls == CLS_LDX && (mode == MODE_MEM || mode == MODE_MEMSX)) {
		*breg = in->src_reg;
		*perm = PLUGLET_PERM_READ;
		return true;
	}
	if ((cls == CLS_ST || cls == CLS_STX) && mode == MODE_MEM) {
		*breg = in->dst_reg;
		*perm = PLUGLET_PERM_WRITE;
		return true;
	}
	if (cls == CLS_STX && mode == MODE_ATOMIC) {
		*breg = in->dst_reg;
		*perm = PLUGLET_PERM_RW;
		return true;
	}
	return false;
}

#define SEGMENT_MAX 32

/*
 * Segment hull checks: from a memory access at i, the straight-line run of
 * instructions (no jump target, jump or call inside, base register not
 * written) with at least two accesses through the same base register. One
 * check of the hull [base + min, base + max_end) against the first region
 * replaces theirs; if it fails, a copy of the segment compiled with a
 * check per access runs instead, so faults stay exact. Returns the end of
 * the segment (0: none) and fills the hull and the table to use.
 */
static uint32_t segment_find(struct jit_state *st, uint32_t i, uint8_t *base, int32_t *lo,
			     int32_t *hi_end, enum jit_tab *tab)
{
	const struct pluglet_insn *insns = st->vm->insns;
	uint32_t j, end = 0, count = 0, need = 0, perm;
	uint8_t b0, b;
	int16_t off;
	int size;
	int64_t c = 0;

	if (!mem_access(&insns[i], &b0, &off, &size, &perm) || b0 == 10 || sk_get(st, b0, &c))
		return 0;
	*lo = INT32_MAX;
	*hi_end = INT32_MIN;
	for (j = i; j < st->nr && j - i < SEGMENT_MAX; j++) {
		uint8_t cls = OP_CLASS(insns[j].code);

		if (st->flags[j] & JF_LDDW_HI)
			continue;
		if ((j > i && (st->flags[j] & JF_TARGET)) || cls == CLS_JMP || cls == CLS_JMP32)
			break;
		if (mem_access(&insns[j], &b, &off, &size, &perm) && b == b0) {
			count++;
			need |= perm;
			if (off < *lo)
				*lo = off;
			if (off + size > *hi_end)
				*hi_end = off + size;
			end = j + 1;
		}
		if (jit_insn_writes(&insns[j]) & (1u << b0))
			break;
	}
	if (count < 2)
		return 0;
	*base = b0;
	*tab = need == PLUGLET_PERM_READ ? TAB_RD : need == PLUGLET_PERM_WRITE ? TAB_WR : TAB_RW;
	return end;
}

/* Emits the hull check of a segment starting at i, if there is one. */
static void segment_start(struct jit_state *st, uint32_t i)
{
	struct jit_buf *b = &st->b;
	struct jit_stub s = { .type = STUB_SEGMENT, .insn = i };
	enum jit_tab tab;
	int32_t lo, hi_end;
	uint32_t end, target;
	uint8_t base;

	end = segment_find(st, i, &base, &lo, &hi_end, &tab);
	if (!end)
		return;
	s.end = end;
	s.sk_known = st->sk_known;
	memcpy(s.sk, st->sk, sizeof(s.sk));
	st->grp_stub = st->nr_stubs;
	target = stub_add(st, &s);
	st->tabs_used |= 1u << tab;
	/*
	 * rcx = first byte, rdx = last byte; both inside the region's
	 * [start, last] and not wrapped (rcx <= rdx) = every access inside.
	 */
	emit_lea(b, RCX, REG[base], lo);
	emit_lea(b, RDX, REG[base], hi_end - 1);
	emit_cmp_rm(b, RCX, RUN_REG, TAB_OFF(tab, 0) + (int32_t)offsetof(struct jit_region, start));
	emit_jcc(b, CC_B, target);
	emit_cmp_rm(b, RDX, RUN_REG, TAB_OFF(tab, 0) + (int32_t)offsetof(struct jit_region, lim[0]));
	emit_jcc(b, CC_A, target);
	emit_alu_rr(b, X_CMP, true, RDX, RCX);
	emit_jcc(b, CC_B, target);
	if (!b->oom)
		st->stubs[st->grp_stub].fast = (uint32_t)b->len;
	st->grp = true;
	st->grp_base = base;
	st->grp_end = end;
}

static int gen_insn(struct jit_state *st, uint32_t pc);

/*
 * Stub k of a segment whose hull is not in the first region: the hull may
 * still lie in the live stack [r10 - 512, top) (a stack pointer the
 * tracking lost at a join), then the unchecked code runs; otherwise the
 * checked copy, which then goes back to where the segment ends.
 * rcx = first byte, rdx = last byte of the hull.
 */
static void gen_segment_copy(struct jit_state *st, uint32_t k)
{
	struct jit_stub sb = st->stubs[k];
	struct jit_buf *b = &st->b;
	size_t j_wrap, j_top, j_low;
	uint32_t j;

	emit_alu_rr(b, X_CMP, true, RDX, RCX);
	j_wrap = emit_jcc8(b, CC_B);
	emit_cmp_rm(b, RDX, RUN_REG, RUN_OFF(stack_lim[0]));
	j_top = emit_jcc8(b, CC_A);
	/* rcx < top here, so rcx + 512 cannot wrap: rcx >= r10 - 512. */
	emit_alu_ri(b, X_ADD, true, RCX, (int32_t)PLUGLET_STACK_SIZE);
	emit_alu_rr(b, X_CMP, true, RCX, RBP);
	j_low = emit_jcc8(b, CC_B);
	emit_jmp(b, sb.fast);
	patch8(b, j_wrap);
	patch8(b, j_top);
	patch8(b, j_low);

	st->grp = false;
	st->sk_known = sb.sk_known;
	memcpy(st->sk, sb.sk, sizeof(st->sk));
	for (j = sb.insn; j < sb.end && !st->b.oom; j++) {
		if (st->flags[j] & JF_LDDW_HI)
			continue;
		gen_insn(st, j);	/* cannot fail: the same code compiled once already */
		sk_track(st, &st->vm->insns[j]);
	}
	emit_jmp(b, sb.resume);
}

/* In a loop copy, whether access pc takes its address from a lea pair. */
static bool fold_here(const struct jit_state *st, uint32_t pc)
{
	return st->fast >= 0 && st->fold_from && st->fold_from[pc];
}

/*
 * The operand of access pc when its address comes straight from the lea
 * pair before it (find_folds()): [rs + rt + off] or [rs + imm + off], the
 * same 64-bit sum; the access is one the copy's entry check covered.
 */
static bool fold_operand(struct jit_state *st, uint32_t pc, enum jit_tab tab, int *base,
			 int *index, int32_t *disp)
{
	const struct pluglet_insn *a, *c;
	int16_t off = st->vm->insns[pc].off;

	*index = -1;
	if (!fold_here(st, pc))
		return false;
	a = &st->vm->insns[st->fold_from[pc] - 1];
	c = a + 1;
	if (tab != TAB_WR)
		st->frame_escape = true;
	*base = REG[a->src_reg];
	if (OP_SRC(c->code) == SRC_X) {
		*index = REG[c->src_reg];
		*disp = off;
	} else {
		*disp = c->imm + off;
	}
	return true;
}

static int gen_ldx(struct jit_state *st, const struct pluglet_insn *in, uint32_t pc)
{
	struct jit_buf *b = &st->b;
	int sl = size_log_of(in->code), base, index, dst = REG[in->dst_reg];
	int32_t disp;
	bool sx = OP_MODE(in->code) == MODE_MEMSX;

	if (sx && sl == 3)
		return -EOPNOTSUPP;
	if (st->fast >= 0 && st->cmp_mem && st->cmp_mem[pc] && st->proven[pc]) {
		/* The test after it reads memory itself (find_cmp_mems()). */
		gen_check(st, pc, in->src_reg, in->off, sl, TAB_RD, false, &base, &disp);
		st->mcmp.pc = pc + st->cmp_mem[pc];
		st->mcmp.base = base;
		st->mcmp.disp = disp;
		st->mcmp.sl = sl;
		st->mcmp.and_ = st->cmp_mem[pc] == 2;
		return 0;
	}
	if (!fold_operand(st, pc, TAB_RD, &base, &index, &disp))
		gen_check(st, pc, in->src_reg, in->off, sl, TAB_RD, false, &base, &disp);
	switch (sl) {
	case 0:
		emit_memop_i(b, false, sx, false, sx ? 0x0fbe : 0x0fb6, dst, base, index, disp);
		break;
	case 1:
		emit_memop_i(b, false, sx, false, sx ? 0x0fbf : 0x0fb7, dst, base, index, disp);
		break;
	case 2:
		emit_memop_i(b, false, sx, false, sx ? 0x63 : 0x8b, dst, base, index, disp);
		break;
	default:
		emit_memop_i(b, false, true, false, 0x8b, dst, base, index, disp);
		break;
	}
	return 0;
}

static int gen_st(struct jit_state *st, const struct pluglet_insn *in, uint32_t pc)
{
	struct jit_buf *b = &st->b;
	int sl = size_log_of(in->code), base, index;
	int32_t disp;

	if (!fold_operand(st, pc, TAB_WR, &base, &index, &disp))
		gen_check(st, pc, in->dst_reg, in->off, sl, TAB_WR, false, &base, &disp);
	switch (sl) {
	case 0:
		emit_memop_i(b, false, false, false, 0xc6, 0, base, index, disp);
		emit8(b, (uint8_t)in->imm);
		break;
	case 1:
		emit_memop_i(b, true, false, false, 0xc7, 0, base, index, disp);
		emit16(b, (uint16_t)in->imm);
		break;
	default:
		emit_memop_i(b, false, sl == 3, false, 0xc7, 0, base, index, disp);
		emit32(b, (uint32_t)in->imm);
		break;
	}
	return 0;
}

static int gen_stx(struct jit_state *st, const struct pluglet_insn *in, uint32_t pc)
{
	struct jit_buf *b = &st->b;
	int sl = size_log_of(in->code), base, index, src = REG[in->src_reg];
	int32_t disp;

	if (!fold_operand(st, pc, TAB_WR, &base, &index, &disp))
		gen_check(st, pc, in->dst_reg, in->off, sl, TAB_WR, false, &base, &disp);
	switch (sl) {
	case 0:
		emit_memop_i(b, false, false, is_byte_reg_needing_rex(src), 0x88, src, base, index,
			     disp);
		break;
	case 1:
		emit_memop_i(b, true, false, false, 0x89, src, base, index, disp);
		break;
	default:
		emit_memop_i(b, false, sl == 3, false, 0x89, src, base, index, disp);
		break;
	}
	return 0;
}

static int gen_atomic(struct jit_state *st, const struct pluglet_insn *in, uint32_t pc)
{
	struct jit_buf *b = &st->b;
	int sl = size_log_of(in->code), base, src = REG[in->src_reg];
	bool w = sl == 3;
	int32_t disp;
	int op = in->imm & ~ATOMIC_FETCH;
	uint8_t xop;
	size_t loop;

	if (sl < 2)
		return -EOPNOTSUPP;
	switch (in->imm) {
	case ALU_ADD: case ALU_OR: case ALU_AND: case ALU_XOR:
	case ALU_ADD | ATOMIC_FETCH: case ALU_OR | ATOMIC_FETCH:
	case ALU_AND | ATOMIC_FETCH: case ALU_XOR | ATOMIC_FETCH:
	case ATOMIC_XCHG: case ATOMIC_CMPXCHG:
		break;
	default:
		return -EOPNOTSUPP;
	}
	xop = op == ALU_ADD ? 0x01 : op == ALU_OR ? 0x09 : op == ALU_AND ? 0x21 : 0x31;
	gen_check(st, pc, in->dst_reg, in->off, sl, TAB_RW, true, &base, &disp);

	if (in->imm == ATOMIC_XCHG) {
		emit_memop(b, false, w, false, 0x87, src, base, disp);
		return 0;
	}
	if (in->imm == ATOMIC_CMPXCHG) {
		emit8(b, 0xf0);
		emit_memop(b, false, w, false, 0x0fb1, src, base, disp);
		if (!w)
			emit_mov_rr(b, false, RAX, RAX);
		return 0;
	}
	if (!(in->imm & ATOMIC_FETCH)) {
		emit8(b, 0xf0);
		emit_memop(b, false, w, false, xop, src, base, disp);
		return 0;
	}
	if (op == ALU_ADD) {
		emit8(b, 0xf0);
		emit_memop(b, false, w, false, 0x0fc1, src, base, disp);	/* xadd */
		return 0;
	}
	/* fetch-or/and/xor: a cmpxchg loop on rax, new value in rdx. */
	emit_push(b, RAX);
	emit_memop(b, false, w, false, 0x8b, RAX, base, disp);
	loop = b->len;
	emit_mov_rr(b, w, RDX, RAX);
	if (src == RAX)	/* r0's value sits on the native stack */
		emit_memop(b, false, w, false, (uint8_t)(xop + 2), RDX, RSP, 0);
	else
		emit_rr(b, xop, w, RDX, src);
	emit8(b, 0xf0);
	emit_memop(b, false, w, false, 0x0fb1, RDX, base, disp);
	emit8(b, 0x70 | CC_NE);
	emit8(b, (uint8_t)(int8_t)((int64_t)loop - (int64_t)(b->len + 1)));
	if (src == RAX) {
		emit_alu_ri(b, X_ADD, true, RSP, 8);
		if (!w)
			emit_mov_rr(b, false, RAX, RAX);
	} else {
		emit_mov_rr(b, w, src, RAX);
		emit_pop(b, RAX);
	}
	return 0;
}

/* ---------------------------------------------------------------- jumps */

static enum x86_cc jmp_cc(uint8_t op)
{
	switch (op) {
	case JMP_JEQ: return CC_E;
	case JMP_JGT: return CC_A;
	case JMP_JGE: return CC_AE;
	case JMP_JSET: return CC_NE;
	case JMP_JNE: return CC_NE;
	case JMP_JSGT: return CC_G;
	case JMP_JSGE: return CC_GE;
	case JMP_JLT: return CC_B;
	case JMP_JLE: return CC_BE;
	case JMP_JSLT: return CC_L;
	default: return CC_LE;	/* JMP_JSLE */
	}
}

/*
 * A test against memory for a load the copy left out (find_cmp_mems()):
 * cmp or test of the loaded width with the immediate cut to that width,
 * which find_cmp_mems() made sure gives the flags the register test would.
 */
static void gen_cmp_mem(struct jit_state *st, const struct pluglet_insn *in)
{
	struct jit_buf *b = &st->b;
	int sl = st->mcmp.sl, base = st->mcmp.base;
	int32_t disp = st->mcmp.disp;
	bool test = st->mcmp.and_ || OP_CODE(in->code) == JMP_JSET;
	int64_t v = st->mcmp.and_ ? st->mcmp.mask : in->imm;
	uint8_t digit = test ? 0 : 7;

	st->mcmp.pc = 0;
	if (OP_CLASS(in->code) == CLS_JMP32 && sl == 3)
		sl = 2;	/* the low 32 bits, little-endian: the same address */
	if (sl == 0) {
		emit_memop(b, false, false, false, test ? 0xf6 : 0x80, digit, base, disp);
		emit8(b, (uint8_t)v);
	} else if (!test && v >= -128 && v <= 127 && (sl != 1 || v >= 0)) {
		emit_memop(b, sl == 1, sl == 3, false, 0x83, digit, base, disp);
		emit8(b, (uint8_t)v);
	} else {
		emit_memop(b, sl == 1, sl == 3, false, test ? 0xf7 : 0x81, digit, base, disp);
		if (sl == 1)
			emit16(b, (uint16_t)v);
		else
			emit32(b, (uint32_t)v);
	}
}

/* Sets the flags a conditional jump's jmp_cc() condition reads. */
static void gen_cmp(struct jit_state *st, const struct pluglet_insn *in)
{
	struct jit_buf *b = &st->b;
	bool w = OP_CLASS(in->code) == CLS_JMP;
	uint8_t op = OP_CODE(in->code);
	int dst = REG[in->dst_reg];

	if (st->mcmp.pc && st->mcmp.pc == (uint32_t)(in - st->vm->insns)) {
		gen_cmp_mem(st, in);
		return;
	}
	if (OP_SRC(in->code) == SRC_X) {
		if (op == JMP_JSET)
			emit_rr(b, 0x85, w, dst, REG[in->src_reg]);
		else
			emit_alu_rr(b, X_CMP, w, dst, REG[in->src_reg]);
	} else if (op == JMP_JSET) {
		emit_rex(b, w, 0, 0, dst, false);
		emit8(b, 0xf7);
		emit_modrm(b, 3, 0, dst);
		emit32(b, (uint32_t)in->imm);
	} else {
		emit_alu_ri(b, X_CMP, w, dst, in->imm);
	}
}

/* Calls a helper whose address is in rax (r0 is overwritten by its result). */
static void gen_helper_call(struct jit_state *st, uint32_t pc)
{
	struct jit_buf *b = &st->b;

	/* A helper may read any live frame through a pointer argument. */
	st->frame_escape = true;
	emit_push(b, RDI);
	emit_push(b, RSI);
	emit_push(b, R8);
	emit_push(b, R9);
	emit_push(b, R10);
	emit_push(b, R11);
	if (st->has_local_calls) {
		/* Helpers may touch every live frame (pluglet_exec__check). */
		emit_lea(b, RDX, RBP, -(int32_t)PLUGLET_STACK_SIZE);
		emit_load64(b, RCX, RUN_REG, RUN_OFF(ex));
		emit_store64(b, RCX, (int32_t)offsetof(struct pluglet_exec, stack_lo_), RDX);
	}
	emit_mov_rr(b, true, RCX, R8);
	emit_mov_rr(b, true, RDX, RSI);
	emit_mov_rr(b, true, RSI, RDI);
	emit_mov_rr(b, true, R8, R9);
	emit_mov_rr(b, true, R9, R10);
	emit_load64(b, RDI, RUN_REG, RUN_OFF(ex));
	emit_call_reg(b, RAX);
	emit_pop(b, R11);
	emit_pop(b, R10);
	emit_pop(b, R9);
	emit_pop(b, R8);
	emit_pop(b, RSI);
	emit_pop(b, RDI);
	/* A helper may have asked to stop the run (pluglet_exec__abort). */
	emit_load64(b, RCX, RUN_REG, RUN_OFF(ex));
	emit_rex(b, false, 0, 0, RCX, false);
	emit8(b, 0x83);
	emit_mem(b, 7, RCX, (int32_t)offsetof(struct pluglet_exec, abort_kind));
	emit8(b, 0);
	jump_fault(st, CC_NE, JIT_FAULT_ABORT, pc);
}

static int gen_call(struct jit_state *st, const struct pluglet_insn *in, uint32_t pc)
{
	struct jit_buf *b = &st->b;

	if (OP_SRC(in->code) == SRC_X) {	/* callx: dst holds a helper id */
		emit_mov_rr(b, true, RCX, REG[in->dst_reg]);
		emit_alu_ri(b, X_CMP, true, RCX, PLUGLET_MAX_HELPERS - 1);
		jump_fault(st, CC_A, PLUGLET_FAULT_BAD_CALLX, pc);
		emit_load64(b, RAX, RUN_REG, RUN_OFF(helpers));
		/* mov rax, [rax + rcx*8] */
		emit8(b, 0x48);
		emit8(b, 0x8b);
		emit_modrm(b, 0, RAX, 4);
		emit8(b, (uint8_t)(3 << 6 | RCX << 3 | RAX));
		emit_rr(b, 0x85, true, RAX, RAX);
		jump_fault(st, CC_E, PLUGLET_FAULT_BAD_CALLX, pc);
		emit_store64(b, RUN_REG, RUN_OFF(callx_id), RCX);
		gen_helper_call(st, pc);
		return 0;
	}
	if (in->src_reg == CALL_SRC_LOCAL) {
		int64_t t = (int64_t)pc + 1 + in->imm;

		if (t < 0 || t >= st->nr)
			return -EINVAL;
		emit_cmp_rm(b, RBP, RUN_REG, RUN_OFF(fp_min));
		jump_fault(st, CC_BE, PLUGLET_FAULT_STACK_OVERFLOW, pc);
		emit_push(b, RBX);
		emit_push(b, R13);
		emit_push(b, R14);
		emit_push(b, R15);
		emit_push(b, RBP);
		emit_alu_ri(b, X_SUB, true, RBP, PLUGLET_STACK_SIZE);
		emit_call(b, st->lbl[LBL_ZERO_FRAME]);
		emit_call(b, st->insn_off[t]);
		emit_pop(b, RBP);
		emit_pop(b, R15);
		emit_pop(b, R14);
		emit_pop(b, R13);
		emit_pop(b, RBX);
		return 0;
	}
	if (in->src_reg != CALL_SRC_HELPER)
		return -EOPNOTSUPP;
	if (in->imm < 0 || (uint32_t)in->imm >= PLUGLET_MAX_HELPERS || !st->vm->helpers[in->imm]) {
		jump_fault(st, -1, PLUGLET_FAULT_BAD_HELPER, pc);
		return 0;
	}
	emit_mov_imm64(b, RAX, (uint64_t)(uintptr_t)st->vm->helpers[in->imm]);
	gen_helper_call(st, pc);
	return 0;
}

/*
 * In a loop copy, a forward conditional jump over straight-line members
 * to a join t that no other jump reaches: both paths go through t, so
 * what the jump charges can wait for the next charge point after t (one
 * `sub` per if instead of two on the budget's chain). Back-edges, exits
 * and gotos charge at once; the budget is only checked at back-edges, so
 * it stops at the same instruction; only the count a memory fault reports
 * inside the copy can be lower, as it can be higher elsewhere (see
 * vm_internal.h).
 */
static bool copy_defer(const struct jit_state *st, uint32_t pc, int64_t t)
{
	const struct jit_loop *lp = &st->loops[st->fast];
	uint32_t l1 = (uint32_t)st->fast + 1;

	if (t <= pc + 1 || t > lp->last || (uint32_t)t == lp->head || st->member[t] != l1 ||
	    st->jumps_in[t] != 1)
		return false;
	for (uint32_t i = pc + 1; i < (uint32_t)t; i++) {
		uint8_t cls = OP_CLASS(st->vm->insns[i].code);

		if (st->member[i] != l1 || (st->flags[i] & JF_TARGET) ||
		    ((cls == CLS_JMP || cls == CLS_JMP32) && !(st->flags[i] & JF_LDDW_HI)))
			return false;
	}
	return true;
}

/*
 * In a loop copy, a forward conditional jump out of the loop (a loop exit
 * test, as strcmp's `if *a != *b` or a probe's `if k == 0`): its charge
 * and what is pending are paid out of line on the way out, and wait on
 * the fall-through for the next charge point: one `sub` per iteration for
 * any number of exit tests. Back-edges still charge at once, so the budget
 * stops at the same instruction and every exit leaves with the exact count.
 */
static bool copy_exit(const struct jit_state *st, uint32_t pc, int64_t t)
{
	const struct jit_loop *lp = &st->loops[st->fast];
	uint32_t l1 = (uint32_t)st->fast + 1;

	return t > pc + 1 && st->member[t] != l1 && pc + 1 <= lp->last && pc + 1 != lp->head &&
	       st->member[pc + 1] == l1 && !(st->flags[pc + 1] & JF_LDDW_HI);
}

/*
 * In a loop copy, a forward conditional jump inside the loop to a member
 * that nothing falls into and no other jump reaches (the `else if` of a
 * chain): both ways carry what is pending, the jump's own charge included,
 * to their next charge point, so a chain of n tests charges once on each
 * path instead of n times. Backward jumps still charge at once.
 */
static bool copy_branch(const struct jit_state *st, uint32_t pc, int64_t t)
{
	const struct jit_loop *lp = &st->loops[st->fast];
	uint32_t l1 = (uint32_t)st->fast + 1, p;
	uint8_t cls, op;

	if (t <= pc + 1 || (uint32_t)t > lp->last || (uint32_t)t == lp->head ||
	    st->member[t] != l1 || st->jumps_in[t] != 1 || st->member[pc + 1] != l1 ||
	    pc + 1 == lp->head)
		return false;
	p = (uint32_t)t - 1;
	if (st->flags[p] & JF_LDDW_HI)
		return false;	/* an lddw falls into t */
	cls = OP_CLASS(st->vm->insns[p].code);
	op = OP_CODE(st->vm->insns[p].code);
	/* The member before t must not fall into it: a goto or an exit. */
	return st->member[p] != l1 ||
	       ((cls == CLS_JMP || cls == CLS_JMP32) && (op == JMP_JA || op == JMP_EXIT));
}

/*
 * Where a jump from pc to t lands: inside the loop copy being emitted, its
 * copy of t; at a checked loop's head from outside the loop, the entry
 * check; from the loop's own back-edge, the checked body after it.
 */
static uint32_t jump_to(const struct jit_state *st, uint32_t pc, uint32_t t)
{
	if (st->fast >= 0 && st->member[t] == (uint32_t)st->fast + 1)
		return st->fast_off[t];
	if (!st->head_loop || !st->head_loop[t])
		return st->insn_off[t];
	if (st->fast < 0 && st->member[pc] == st->head_loop[t])
		return st->insn_off[t];
	return st->guard_off[st->head_loop[t] - 1];
}

/*
 * A counted limit loop whose members all run on every iteration never
 * touches the budget inside: its copy compares the counter with the limit
 * in r11 (the budget waits in the run state until the copy leaves).
 */
static bool lim_in_r11(const struct jit_loop *lp)
{
	return lp->counted && lp->limit && lp->per_iter == lp->nr_run;
}

/*
 * Leaving a counted copy (see jit_loop.counted) after member m (head:
 * UINT32_MAX, before anything of the iteration ran): k = the iterations
 * done, from the counter; the budget loses k times the instructions every
 * iteration runs plus those this one ran so far. rcx is free here.
 */
static void gen_count_exit(struct jit_state *st, uint32_t m)
{
	const struct jit_loop *lp = &st->loops[st->fast];
	struct jit_buf *b = &st->b;
	uint32_t a = (uint32_t)(lp->cnt_s < 0 ? -lp->cnt_s : lp->cnt_s), done = 0;
	uint8_t reg = lp->cnt;
	int32_t d = 0;

	for (uint32_t e = 0; m != UINT32_MAX && e < lp->nr_exits; e++) {
		if (lp->exits[e].insn == m) {
			reg = lp->exits[e].reg;
			d = lp->exits[e].cnt_d;
			done = lp->exits[e].done;
		}
	}
	if (lim_in_r11(lp))
		emit_load64(b, BUDGET_REG, RUN_REG, RUN_OFF(loop_budget));
	emit_mov_rr(b, true, RCX, REG[reg]);
	emit_rm(b, 0x2b, true, RCX, RUN_REG, RUN_OFF(loop_cnt0));	/* sub rcx, [cnt0] */
	if (d)
		emit_alu_ri(b, X_SUB, true, RCX, d);
	if (lp->cnt_s < 0)
		emit_f7(b, 3, true, RCX);	/* neg rcx */
	if (a > 1)
		emit_shift_imm(b, X_SHR, true, RCX, (uint8_t)__builtin_ctz(a));
	emit_imul_ri(b, RCX, RCX, (int32_t)lp->per_iter);
	emit_alu_rr(b, X_SUB, true, BUDGET_REG, RCX);
	emit_charge(st, done);
}

/*
 * A jump in a counted copy: members that run on every iteration are not
 * charged (gen_count_exit() does it on the way out), no budget check at
 * back-edges (the entry check made room for the whole loop), and every
 * edge out of the loop goes through an exit that charges.
 */
static int gen_jmp_counted(struct jit_state *st, const struct pluglet_insn *in, uint32_t pc)
{
	struct jit_buf *b = &st->b;
	uint8_t op = OP_CODE(in->code);
	int64_t rel = (op == JMP_JA && OP_CLASS(in->code) == CLS_JMP32) ? in->imm : in->off;
	uint32_t t = (uint32_t)((int64_t)pc + 1 + rel), l1 = (uint32_t)st->fast + 1;

	if (st->flags[pc] & JF_THREADED)
		return 0;	/* its test repeats the one that jumped here (find_threads()) */
	if (!st->every[pc])
		emit_charge(st, st->charge_at[pc]);
	if (op == JMP_JA) {
		if (st->member[t] != l1)
			gen_count_exit(st, pc);
		emit_jmp(b, jump_to(st, pc, t));
		return 0;
	}
	if (t < st->nr && (st->flags[t] & JF_THREADED)) {
		/* t runs on both ways: charge it here; taken, go where t goes. */
		if (!st->every[t])
			emit_charge(st, st->charge_at[t]);
		t = (uint32_t)((int64_t)t + 1 + st->vm->insns[t].off);
	}
	gen_cmp(st, in);
	if (st->member[t] == l1 && (t != st->copy_next || st->member[pc + 1] == l1)) {
		emit_jcc(b, jmp_cc(op), jump_to(st, pc, t));
		return 0;
	}
	st->exit_amt[pc] = 0;
	st->exit_pcs[st->nr_exit_pcs++] = pc;
	if (st->member[t] == l1) {
		/* A rotated loop: fall into t, leave where the original falls out. */
		emit_jcc(b, (enum x86_cc)(jmp_cc(op) ^ 1), st->exit_off[pc]);
		st->inverted = true;
	} else {
		emit_jcc(b, jmp_cc(op), st->exit_off[pc]);
	}
	return 0;
}

static int gen_jmp(struct jit_state *st, const struct pluglet_insn *in, uint32_t pc)
{
	struct jit_buf *b = &st->b;
	bool w = OP_CLASS(in->code) == CLS_JMP;
	uint8_t op = OP_CODE(in->code);
	int64_t rel = (op == JMP_JA && !w) ? in->imm : in->off;
	int64_t t = (int64_t)pc + 1 + rel;
	bool out = false;

	if (st->fast >= 0 && st->counted && op != JMP_EXIT && op != JMP_CALL)
		return gen_jmp_counted(st, in, pc);

	if (st->fast >= 0 && op != JMP_JA && op != JMP_EXIT && op != JMP_CALL && rel > 0 &&
	    copy_defer(st, pc, t)) {
		st->carry += st->charge_at[pc];
		st->carry_to = (uint32_t)t;
	} else if (st->fast >= 0 && op != JMP_JA && op != JMP_EXIT && op != JMP_CALL && rel > 0 &&
		   copy_exit(st, pc, t)) {
		st->carry += st->charge_at[pc];
		st->exit_amt[pc] = st->carry;
		st->exit_pcs[st->nr_exit_pcs++] = pc;
		out = true;
	} else if (st->fast >= 0 && op != JMP_JA && op != JMP_EXIT && op != JMP_CALL && rel > 0 &&
		   copy_branch(st, pc, t)) {
		st->carry += st->charge_at[pc];
		st->carry_in[t] = st->carry + 1;
	} else {
		emit_charge(st, st->charge_at[pc] + st->carry);
		st->carry = 0;
	}
	if (op == JMP_EXIT) {
		if (!w)
			return -EOPNOTSUPP;
		/* Depth 0 leaves the program; deeper frames return to their caller. */
		emit_cmp_rm(b, RBP, RUN_REG, RUN_OFF(stack_top));
		emit_jcc(b, CC_E, st->lbl[LBL_EXIT]);
		emit_ret(b);
		return 0;
	}
	if (op == JMP_CALL) {
		if (!w)
			return -EOPNOTSUPP;
		jump_fault(st, CC_S, PLUGLET_FAULT_BUDGET, pc);
		return gen_call(st, in, pc);
	}
	if (t < 0 || t >= st->nr || (st->flags[t] & JF_LDDW_HI))
		return -EINVAL;
	if (rel < 0)
		jump_fault(st, CC_S, PLUGLET_FAULT_BUDGET, pc);
	if (op == JMP_JA) {
		emit_jmp(b, jump_to(st, pc, (uint32_t)t));
		return 0;
	}
	if (op > JMP_JSLE || op == JMP_CALL || op == JMP_EXIT)
		return -EOPNOTSUPP;
	gen_cmp(st, in);
	if (st->fast >= 0 && (uint32_t)t == st->copy_next && pc + 1 < st->nr &&
	    st->member[pc + 1] != (uint32_t)st->fast + 1) {
		/* A rotated loop's copy: the jump goes to the next member, so
		 * fall into it and jump out where the original falls out. */
		emit_jcc(b, (enum x86_cc)(jmp_cc(op) ^ 1), jump_to(st, pc, pc + 1));
		st->inverted = true;
		return 0;
	}
	emit_jcc(b, jmp_cc(op), out ? st->exit_off[pc] : jump_to(st, pc, (uint32_t)t));
	return 0;
}

static int gen_insn(struct jit_state *st, uint32_t pc)
{
	const struct pluglet_insn *in = &st->vm->insns[pc];

	if (st->flags[pc] & JF_FOLDED)
		return 0;
	if (st->mcmp.pc && st->mcmp.and_ && pc + 1 == st->mcmp.pc) {
		st->mcmp.mask = in->imm;	/* the AND between: the test's mask */
		return 0;
	}
	if (st->flags[pc] & JF_ZEXT) {
		emit_mov_rr(&st->b, false, REG[in->dst_reg], REG[in->dst_reg]);
		return 0;
	}
	if (st->flags[pc] & JF_LEA) {
		const struct pluglet_insn *b = in + 1;

		if (st->fast >= 0 && (st->flags[pc] & JF_LEA_MEM))
			return 0;	/* its access computes the sum (find_folds()) */
		if (OP_SRC(b->code) == SRC_X)
			emit_lea_bi(&st->b, REG[in->dst_reg], REG[in->src_reg], REG[b->src_reg], 0);
		else
			emit_lea(&st->b, REG[in->dst_reg], REG[in->src_reg], b->imm);
		return 0;
	}

	switch (OP_CLASS(in->code)) {
	case CLS_ALU:
	case CLS_ALU64:
		return gen_alu(st, in);
	case CLS_JMP:
	case CLS_JMP32:
		return gen_jmp(st, in, pc);
	case CLS_LD:
		if (in->code != (CLS_LD | MODE_IMM | SZ_DW) || pc + 1 >= st->nr)
			return -EOPNOTSUPP;
		emit_mov_imm64(&st->b, REG[in->dst_reg],
			       (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32);
		return 0;
	case CLS_LDX:
		if (OP_MODE(in->code) != MODE_MEM && OP_MODE(in->code) != MODE_MEMSX)
			return -EOPNOTSUPP;
		return gen_ldx(st, in, pc);
	case CLS_ST:
		if (OP_MODE(in->code) != MODE_MEM)
			return -EOPNOTSUPP;
		return gen_st(st, in, pc);
	case CLS_STX:
		if (OP_MODE(in->code) == MODE_MEM)
			return gen_stx(st, in, pc);
		if (OP_MODE(in->code) == MODE_ATOMIC)
			return gen_atomic(st, in, pc);
		return -EOPNOTSUPP;
	}
	return -EOPNOTSUPP;
}

/* ------------------------------------------------- loops checked at entry */

/* dst = r1 + r2 + d: eBPF registers, stack slots of lp, JIT_LOOP_NONE. */
static void emit_sum(struct jit_buf *b, const struct jit_loop *lp, int dst, uint8_t r1, uint8_t r2,
		     int64_t d)
{
	if (r1 == JIT_LOOP_NONE) {
		emit_mov_imm64(b, dst, (uint64_t)d);
	} else if (r1 < 11 && r2 == JIT_LOOP_NONE) {
		emit_lea(b, dst, REG[r1], (int32_t)d);
	} else if (r1 < 11 && r2 < 11) {
		emit_lea_bi(b, dst, REG[r1], REG[r2], (int32_t)d);
	} else {
		/* Slots sort after registers: r1 may be either, r2 is a slot or none. */
		if (r1 < 11)
			emit_mov_rr(b, true, dst, REG[r1]);
		else
			emit_load64(b, dst, RBP, lp->slot_off[r1 - JIT_LOOP_SLOT]);
		if (r2 != JIT_LOOP_NONE)
			emit_rm(b, 0x03, true, dst, RBP, lp->slot_off[r2 - JIT_LOOP_SLOT]);
		if (d)
			emit_lea(b, dst, dst, (int32_t)d);
	}
}

/*
 * With stack slots as bases: the first region of the write table (the
 * only place the copy's unchecked stores go) lies off the current frame,
 * so no store of the loop changes them.
 */
static void gen_guard_frame(struct jit_state *st, uint32_t fail)
{
	struct jit_buf *b = &st->b;
	size_t below, above;

	st->tabs_used |= 1u << TAB_WR;
	emit_lea(b, RCX, RBP, -(int32_t)PLUGLET_STACK_SIZE);
	emit_rm(b, 0x39, true, RCX, RUN_REG,	/* cmp [lim], rcx */
		TAB_OFF(TAB_WR, 0) + (int32_t)offsetof(struct jit_region, lim[0]));
	below = emit_jcc8(b, CC_B);
	emit_rm(b, 0x39, true, RBP, RUN_REG,	/* cmp [start], rbp */
		TAB_OFF(TAB_WR, 0) + (int32_t)offsetof(struct jit_region, start));
	above = emit_jcc8(b, CC_AE);
	emit_jmp(b, fail);
	patch8(b, below);
	patch8(b, above);
}

static void gen_guard_bound(struct jit_state *st, const struct jit_loop *lp, uint32_t fail)
{
	struct jit_buf *b = &st->b;

	/* rcx = first value compared, r11 = the bound; both below 2^62. */
	emit_sum(b, lp, RCX, lp->bv, lp->bv2, lp->dv);
	emit_mov_imm64(b, RDX, 1ull << 62);
	emit_alu_rr(b, X_CMP, true, RCX, RDX);
	emit_jcc(b, CC_AE, fail);
	emit_sum(b, lp, BUDGET_REG, lp->bn, lp->bn2, lp->dn);
	emit_alu_rr(b, X_CMP, true, BUDGET_REG, RDX);
	emit_jcc(b, CC_AE, fail);
	/* K = ceil((n - v) / step), 0 if n <= v: the last k the body runs for. */
	emit_alu_rr(b, X_SUB, true, BUDGET_REG, RCX);
	{
		size_t j = emit_jcc8(b, CC_AE);

		emit_alu_rr(b, X_XOR, false, BUDGET_REG, BUDGET_REG);
		patch8(b, j);
	}
	if (lp->sv_log) {
		emit_alu_ri(b, X_ADD, true, BUDGET_REG, (1 << lp->sv_log) - 1);
		emit_shift_imm(b, X_SHR, true, BUDGET_REG, lp->sv_log);
	}
	emit_mov_rr(b, true, RDX, BUDGET_REG);
	emit_shift_imm(b, X_SHR, true, RDX, 32);
	emit_jcc(b, CC_NE, fail);
	for (uint32_t g = 0; g < lp->nr_groups; g++) {
		const struct jit_loop_group *gr = &lp->g[g];
		enum jit_tab tab = gr->write ? TAB_WR : TAB_RD;

		st->tabs_used |= 1u << tab;
		emit_sum(b, lp, RCX, gr->b, gr->b2, gr->lo);
		if (!gr->s) {
			emit_sum(b, lp, RDX, gr->b, gr->b2, (int64_t)gr->hi_end - 1);
		} else {
			emit_imul_ri(b, RDX, BUDGET_REG, gr->s);
			if (gr->s > 0) {
				emit_alu_rr(b, X_ADD, true, RDX, RCX);
				emit_alu_ri(b, X_ADD, true, RDX, gr->hi_end - 1 - gr->lo);
			} else {
				emit_alu_rr(b, X_ADD, true, RCX, RDX);
				emit_sum(b, lp, RDX, gr->b, gr->b2, (int64_t)gr->hi_end - 1);
			}
		}
		emit_cmp_rm(b, RCX, RUN_REG, TAB_OFF(tab, 0) + (int32_t)offsetof(struct jit_region, start));
		emit_jcc(b, CC_B, fail);
		emit_cmp_rm(b, RDX, RUN_REG, TAB_OFF(tab, 0) +
			    (int32_t)offsetof(struct jit_region, lim[0]));
		emit_jcc(b, CC_A, fail);
		emit_alu_rr(b, X_CMP, true, RCX, RDX);
		emit_jcc(b, CC_A, fail);
	}
	if (lp->counted) {
		/* (K + 1) iterations of at most nr_run instructions fit in the
		 * budget (pushed at the guard's start), or the checked body runs. */
		emit_lea(b, RDX, BUDGET_REG, 1);
		emit_imul_ri(b, RDX, RDX, (int32_t)lp->nr_run);
		emit_rm(b, 0x3b, true, RDX, RSP, 0);	/* cmp rdx, [rsp] */
		emit_jcc(b, CC_G, fail);
	}
}

/*
 * Without a bound: r11 = the last k for which every group stays in its
 * region (at most 2^32 - 1), then the counter's limit iv0 + iv_s * r11.
 * Free loops (no group moves) only check where the groups are.
 */
static void gen_guard_limit(struct jit_state *st, const struct jit_loop *lp, uint32_t fail)
{
	struct jit_buf *b = &st->b;

	if (!lp->free)
		emit_mov_imm32(b, BUDGET_REG, UINT32_MAX);
	for (uint32_t g = 0; g < lp->nr_groups; g++) {
		const struct jit_loop_group *gr = &lp->g[g];
		enum jit_tab tab = gr->write ? TAB_WR : TAB_RD;
		int32_t start = TAB_OFF(tab, 0) + (int32_t)offsetof(struct jit_region, start);
		int32_t lim = TAB_OFF(tab, 0) + (int32_t)offsetof(struct jit_region, lim[0]);
		uint32_t step = (uint32_t)(gr->s < 0 ? -gr->s : gr->s);
		size_t j;

		st->tabs_used |= 1u << tab;
		/* k = 0 fits: start <= rcx <= rdx <= last. */
		emit_sum(b, lp, RCX, gr->b, gr->b2, gr->lo);
		emit_sum(b, lp, RDX, gr->b, gr->b2, (int64_t)gr->hi_end - 1);
		emit_cmp_rm(b, RCX, RUN_REG, start);
		emit_jcc(b, CC_B, fail);
		emit_cmp_rm(b, RDX, RUN_REG, lim);
		emit_jcc(b, CC_A, fail);
		emit_alu_rr(b, X_CMP, true, RCX, RDX);
		emit_jcc(b, CC_A, fail);
		if (!gr->s)
			continue;
		/* Room left in the direction of the stride, in steps. */
		if (gr->s > 0) {
			emit_f7(b, 3, true, RDX);	/* neg rdx */
			emit_rm(b, 0x03, true, RDX, RUN_REG, lim);	/* add rdx, [lim] */
		} else {
			emit_mov_rr(b, true, RDX, RCX);
			emit_rm(b, 0x2b, true, RDX, RUN_REG, start);	/* sub rdx, [start] */
		}
		if (step > 1)
			emit_shift_imm(b, X_SHR, true, RDX, (uint8_t)__builtin_ctz(step));
		emit_alu_rr(b, X_CMP, true, RDX, BUDGET_REG);
		j = emit_jcc8(b, CC_AE);
		emit_mov_rr(b, true, BUDGET_REG, RDX);
		patch8(b, j);
	}
	if (lp->free)
		return;
	if (lp->counted) {
		/* At most K = budget / 2^c - 1 more, 2^c >= nr_run: the copy
		 * then never runs out of budget (see gen_guard_bound()). */
		emit_load64(b, RDX, RSP, 0);
		emit_shift_imm(b, X_SAR, true, RDX, (uint8_t)(32 - __builtin_clz(lp->nr_run)));
		emit_alu_ri(b, X_SUB, true, RDX, 1);
		emit_jcc(b, CC_S, fail);
		emit_alu_rr(b, X_CMP, true, BUDGET_REG, RDX);
		emit_rr0f(b, 0x47, true, BUDGET_REG, RDX, false);	/* cmova r11, rdx */
	}
	/* The counter starts below 2^62; limit = iv0 + iv_s * K, no wrap. */
	emit_mov_imm64(b, RDX, 1ull << 62);
	emit_alu_rr(b, X_CMP, true, REG[lp->iv], RDX);
	emit_jcc(b, CC_AE, fail);
	emit_imul_ri(b, RDX, BUDGET_REG, lp->iv_s);
	emit_alu_rr(b, X_ADD, true, RDX, REG[lp->iv]);
	emit_store64(b, RUN_REG, RUN_OFF(loop_lim), RDX);
}

/*
 * The entry check of loop l (see vm/jit_loops.c): the hypotheses hold,
 * and every group's range over the iterations lies in the first region
 * of its table (with a bound: over k in [0, K]; without: up to the limit
 * the copy checks); then the unchecked copy runs. rcx, rdx and r11
 * (saved, but for free loops, which do not use it) are free here.
 */
static void gen_loop_guard(struct jit_state *st, uint32_t l)
{
	const struct jit_loop *lp = &st->loops[l];
	struct jit_buf *b = &st->b;
	uint32_t fail = st->guard_fail[l];

	if (!lp->free)
		emit_push(b, BUDGET_REG);
	if (lp->nr_slots)
		gen_guard_frame(st, fail);
	for (uint32_t e = 0; e < lp->nr_eq; e++) {
		emit_sum(b, lp, RCX, lp->eq[e].b, lp->eq[e].b2, lp->eq[e].d);
		emit_alu_rr(b, X_CMP, true, RCX, REG[lp->eq[e].x]);
		emit_jcc(b, CC_NE, fail);
	}
	if (lp->limit || lp->free)
		gen_guard_limit(st, lp, fail);
	else
		gen_guard_bound(st, lp, fail);
	if (lp->counted)
		emit_store64(b, RUN_REG, RUN_OFF(loop_cnt0), REG[lp->cnt]);
	if (!lp->free)
		emit_pop(b, BUDGET_REG);
	if (lim_in_r11(lp)) {
		emit_store64(b, RUN_REG, RUN_OFF(loop_budget), BUDGET_REG);
		emit_mov_rr(b, true, BUDGET_REG, RDX);	/* the limit gen_guard_limit() left */
	}
	emit_jmp(b, st->fast_off[lp->head]);
	st->guard_fail[l] = (uint32_t)b->len;
	if (!lp->free)
		emit_pop(b, BUDGET_REG);
}

/*
 * Code layout of the copies. On the CPUs we measured (AMD Zen 4 here), a
 * loop whose branches mispredict now and then runs up to 1.4x slower when
 * a block that a jump lands on crosses a 64-byte line: after the jump the
 * front end needs two lines for it. So a copy keeps every jump target's
 * block (up to its first jump) inside one line where it fits: before a
 * target nothing falls into, int3 padding (never executed); before one the
 * code above falls into, NOPs, only up to 15 bytes (one or two NOPs run on
 * that path); and the copy's head is placed in its line where that leaves
 * the fewest such NOPs and crossings. Pass 1 measures the blocks (nothing
 * padded), pass 2 pads by those sizes, pass 3 repeats pass 2's layout with
 * the final offsets (only when pass 2 padded anything).
 */
#define JIT_LINE	64u
#define PAD_LIVE_MAX	15u
#define BLK_LIVE	(1u << 31)

/* Bytes that move a block of len bytes at offset `at` to the next line. */
static uint32_t line_pad(uint32_t at, uint32_t len)
{
	at %= JIT_LINE;
	return len && len <= JIT_LINE && at + len > JIT_LINE ? JIT_LINE - at : 0;
}

static void emit_nops(struct jit_buf *b, uint32_t n)
{
	/* The recommended multi-byte NOPs (Intel SDM, NOP), 1 to 9 bytes. */
	static const uint8_t nop[9][9] = {
		{ 0x90 }, { 0x66, 0x90 }, { 0x0f, 0x1f, 0x00 }, { 0x0f, 0x1f, 0x40, 0x00 },
		{ 0x0f, 0x1f, 0x44, 0x00, 0x00 }, { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
		{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
		{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
		{ 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	};

	while (n) {
		uint32_t k = n > 9 ? 9 : n;

		for (uint32_t j = 0; j < k; j++)
			emit8(b, nop[k - 1][j]);
		n -= k;
	}
}

/* The padding before target i of a copy, or its cost if emit is false:
 * 0 none or free, 1 NOPs on the way, 4 a crossing left. */
static uint32_t pad_target(struct jit_state *st, uint32_t i, uint32_t at, uint32_t *padded,
			   bool emit)
{
	uint32_t len = st->blk_len[i] & ~BLK_LIVE, pad = line_pad(at, len);
	bool live = st->blk_len[i] & BLK_LIVE;

	if (!pad)
		return 0;
	if (live && pad > PAD_LIVE_MAX)
		return 4;
	*padded += pad;
	if (emit) {
		st->nr_pads++;
		if (live)
			emit_nops(&st->b, pad);
		else
			while (pad--)
				emit8(&st->b, 0xcc);
	}
	return live;
}

/* Where in its line the copy of loop l starts (previous pass's blocks). */
static uint32_t copy_head_shift(struct jit_state *st, const struct jit_loop *lp, uint32_t l)
{
	uint32_t h, i, best = 0, best_cost = UINT32_MAX;

	for (h = 0; h < JIT_LINE; h += 8) {
		uint32_t cost = 0, padded = 0;

		if (line_pad(h, st->blk_len[lp->head] & ~BLK_LIVE))
			continue;
		for (i = lp->first; i <= lp->last; i++) {
			if (st->member[i] != l + 1 || (st->flags[i] & JF_LDDW_HI) ||
			    !(st->flags[i] & JF_TARGET) || i == lp->head)
				continue;
			cost += pad_target(st, i, h + st->raw_off[i] + padded, &padded, false);
		}
		if (cost < best_cost) {
			best_cost = cost;
			best = h;
		}
	}
	return best;
}

static void blk_end(struct jit_state *st, uint32_t *blk)
{
	if (*blk == UINT32_MAX)
		return;
	st->blk_len[*blk] = (st->blk_len[*blk] & BLK_LIVE) |
			    ((uint32_t)st->b.len - st->fast_off[*blk]);
	*blk = UINT32_MAX;
}

/* Before the copy of i: a jump target's block starts, the one before ends. */
static void copy_block_start(struct jit_state *st, const struct jit_loop *lp, uint32_t i,
			     uint32_t *blk, bool dead)
{
	if (i != lp->head && !(st->flags[i] & JF_TARGET))
		return;
	blk_end(st, blk);
	if (i != lp->head) {
		st->raw_off[i] = (uint32_t)st->b.len - st->copy_start - st->copy_pad;
		st->blk_len[i] = (st->blk_len[i] & ~BLK_LIVE) | (dead ? 0 : BLK_LIVE);
		pad_target(st, i, (uint32_t)st->b.len, &st->copy_pad, true);
	}
	*blk = i;
}

/*
 * The latch a goto in a counted copy may run in place (tail duplication:
 * an `else if` that ends with `goto latch`, as structarray's, takes one
 * taken jump less per iteration, which is what bounds such a loop when
 * its tests predict well): t starts a block of at most 8 members, plain
 * ALU instructions and then the back-edge to the head, nothing jumps into its
 * middle, and the loop leaves by falling out of that back-edge. Returns
 * the back-edge, or 0. Counted copies only: their back-edges neither
 * check nor charge the budget, so a second one is just a second jcc.
 */
static uint32_t copy_latch(const struct jit_state *st, const struct jit_loop *lp, uint32_t l,
			   uint32_t t)
{
	const struct pluglet_insn *p = st->vm->insns;

	if (t == lp->head || t > lp->last || st->member[t] != l + 1)
		return 0;
	for (uint32_t k = t; k <= lp->last && k < t + 8; k++) {
		uint8_t cls = OP_CLASS(p[k].code), op = OP_CODE(p[k].code);

		if (st->member[k] != l + 1 || (st->flags[k] & ~JF_TARGET) ||
		    (k != t && (st->flags[k] & JF_TARGET)))
			return 0;
		if (cls == CLS_ALU || cls == CLS_ALU64) {
			if (op == ALU_DIV || op == ALU_MOD || op == ALU_END ||
			    ((op == ALU_LSH || op == ALU_RSH || op == ALU_ARSH) && OP_SRC(p[k].code) == SRC_X))
				return 0;
			continue;
		}
		if ((cls != CLS_JMP && cls != CLS_JMP32) || op == JMP_JA || op == JMP_CALL ||
		    op == JMP_EXIT || (int64_t)k + 1 + p[k].off != lp->head || k + 1 >= st->nr ||
		    st->member[k + 1] == l + 1)
			return 0;
		return k;
	}
	return 0;
}

/* A goto to the latch in a counted copy: the latch again, in place; its
 * members charge as they do where they are (the counter, or the back-edge
 * for what is not on every iteration), the goto charges its own block. */
static void gen_latch_copy(struct jit_state *st, uint32_t pc, uint32_t t, uint32_t back)
{
	uint32_t ft = back + 1, saved_next = st->copy_next;

	if (!st->every[pc])
		emit_charge(st, st->charge_at[pc]);
	st->sk_known = 0;
	st->copy_next = UINT32_MAX;
	for (uint32_t k = t; k <= back; k++) {
		uint32_t off = st->fast_off[k];

		st->inverted = false;
		gen_insn(st, k);
		sk_track(st, &st->vm->insns[k]);
		st->fast_off[k] = off;
	}
	if (!st->every[back])
		emit_charge(st, st->charge_before[ft]);
	gen_count_exit(st, back);
	emit_jmp(&st->b, jump_to(st, back, ft));
	st->copy_next = saved_next;
	st->nr_latch_copies++;
}

/*
 * The copy of loop l without the checks its entry check made: its
 * instructions in program order; a fall-through that leaves the loop
 * becomes a jump to the normal code.
 */
static void gen_loop_copy(struct jit_state *st, uint32_t l)
{
	const struct jit_loop *lp = &st->loops[l];
	uint32_t i, ft, back, blk = UINT32_MAX;
	bool dead = true, jmp;

	st->fast = (int32_t)l;
	st->counted = lp->counted;
	st->sk_known = 0;
	st->carry = 0;
	st->carry_to = UINT32_MAX;
	st->nr_exit_pcs = 0;
	/* Nothing falls into the copy: its head goes where its line is best. */
	while (st->b.len % JIT_LINE && !st->b.oom)
		emit8(&st->b, 0xcc);
	st->copy_start = (uint32_t)st->b.len;
	st->copy_pad = copy_head_shift(st, lp, l);
	for (i = 0; i < st->copy_pad; i++)
		emit8(&st->b, 0xcc);
	if (st->copy_pad)
		st->nr_pads++;
	for (i = lp->first; i <= lp->last && !st->b.oom; i++) {
		const struct pluglet_insn *in = &st->vm->insns[i];
		uint8_t cls = OP_CLASS(in->code);

		if (st->member[i] != l + 1 || (st->flags[i] & JF_LDDW_HI))
			continue;
		/* Only a member can fall into a member (one entry: head). A carry
		 * passes its own join; at any other label it is charged first. */
		if (i != lp->head && st->member[i - 1] == l + 1) {
			uint32_t c = st->counted && st->every[i - 1] ? 0 : st->charge_before[i];

			if ((st->flags[i] & JF_TARGET) && i != st->carry_to) {
				c += st->carry;
				st->carry = 0;
			}
			emit_charge(st, c);
		}
		if (st->carry_in[i]) {	/* only a jump reaches i (copy_branch()) */
			st->carry = st->carry_in[i] - 1;
			st->carry_in[i] = 0;
		}
		copy_block_start(st, lp, i, &blk, dead);
		st->fast_off[i] = (uint32_t)st->b.len;
		if (i == lp->head && lp->limit) {
			/* Past the limit the checked body takes over. */
			if (lim_in_r11(lp))
				emit_alu_rr(&st->b, X_CMP, true, REG[lp->iv], BUDGET_REG);
			else
				emit_cmp_rm(&st->b, REG[lp->iv], RUN_REG, RUN_OFF(loop_lim));
			emit_jcc(&st->b, CC_A, lp->counted ? st->head_exit_off[l] : st->insn_off[i]);
		}
		if (st->flags[i] & JF_TARGET)
			st->sk_known = 0;
		for (st->copy_next = i + 1; st->copy_next <= lp->last &&
		     (st->member[st->copy_next] != l + 1 || (st->flags[st->copy_next] & JF_LDDW_HI));
		     st->copy_next++)
			;
		st->inverted = false;
		back = st->counted && in->code == (CLS_JMP | JMP_JA) ?
		       copy_latch(st, lp, l, (uint32_t)((int64_t)i + 1 + in->off)) : 0;
		if (back)
			gen_latch_copy(st, i, (uint32_t)((int64_t)i + 1 + in->off), back);
		else
			gen_insn(st, i);	/* cannot fail: compiled once already */
		sk_track(st, in);
		jmp = cls == CLS_JMP || cls == CLS_JMP32;
		if (jmp && OP_CODE(in->code) != JMP_CALL)
			blk_end(st, &blk);
		/* An inverted jump falls into the member after it (its target). */
		dead = jmp && (OP_CODE(in->code) == JMP_JA || OP_CODE(in->code) == JMP_EXIT);
		if (dead || st->inverted)
			continue;
		ft = i + 1 + (in->code == (CLS_LD | MODE_IMM | SZ_DW));
		if (ft < st->nr && st->member[ft] != l + 1) {
			if (st->counted) {
				if (!st->every[i])
					emit_charge(st, st->charge_before[ft]);
				gen_count_exit(st, i);
			} else {
				emit_charge(st, st->charge_before[ft] + st->carry);
			}
			st->carry = 0;
			emit_jmp(&st->b, jump_to(st, i, ft));
			dead = true;
		}
	}
	for (i = 0; i < st->nr_exit_pcs; i++) {	/* the exits' charges (copy_exit()) */
		uint32_t pc = st->exit_pcs[i];
		const struct pluglet_insn *in = &st->vm->insns[pc];
		uint32_t t = (uint32_t)((int64_t)pc + 1 + in->off);

		if (st->member[t] == l + 1)
			t = pc + 1;	/* inverted: the fall-through leaves */
		st->exit_off[pc] = (uint32_t)st->b.len;
		emit_charge(st, st->exit_amt[pc]);
		if (st->counted)
			gen_count_exit(st, pc);
		emit_jmp(&st->b, jump_to(st, pc, t));
	}
	if (lp->counted && lp->limit) {	/* past the limit: the checked head */
		st->head_exit_off[l] = (uint32_t)st->b.len;
		gen_count_exit(st, UINT32_MAX);
		emit_jmp(&st->b, st->insn_off[lp->head]);
	}
	st->counted = false;
	st->fast = -1;
}

/* ---------------------------------------------------- prologue and tail */

static void gen_prologue(struct jit_state *st)
{
	struct jit_buf *b = &st->b;
	static const uint8_t zero[] = { RAX, R8, R9, R10, RBX, R13, R14, R15 };
	size_t i;

	emit_push(b, RBP);
	emit_push(b, RBX);
	emit_push(b, R12);
	emit_push(b, R13);
	emit_push(b, R14);
	emit_push(b, R15);
	emit_alu_ri(b, X_SUB, true, RSP, 8);
	emit_mov_rr(b, true, RUN_REG, RDI);
	emit_store64(b, RUN_REG, RUN_OFF(saved_rsp), RSP);
	emit_mov_rr(b, true, RDI, RSI);	/* r1 */
	emit_mov_rr(b, true, RSI, RDX);	/* r2 */
	for (i = 0; i < sizeof(zero); i++)
		emit_alu_rr(b, X_XOR, false, zero[i], zero[i]);
	emit_load64(b, RBP, RUN_REG, RUN_OFF(stack_top));
	emit_load64(b, BUDGET_REG, RUN_REG, RUN_OFF(budget_left));
}

/* Stubs, in the order the sites were emitted (segment copies add more). */
static void gen_stubs(struct jit_state *st)
{
	struct jit_buf *b = &st->b;

	for (uint32_t k = 0; k < st->nr_stubs && !b->oom; k++) {
		const struct jit_stub *sb = &st->stubs[k];

		stub_off_set(st, k, (uint32_t)b->len);
		if (sb->type == STUB_SEGMENT) {
			gen_segment_copy(st, k);
		} else if (sb->type == STUB_MEM) {
			if (sb->addr_reg != RCX)
				emit_mov_rr(b, true, RCX, sb->addr_reg);
			emit8(b, 0xba);		/* mov edx, info */
			emit32(b, sb->info);
			emit_call(b, st->lbl[LBL_SCAN + sb->tab * 4 + sb->size_log]);
			emit_jmp(b, sb->resume);
		} else {
			emit_store_imm32(b, RUN_REG, RUN_OFF(fault_kind), (int32_t)sb->kind);
			emit_store_imm32(b, RUN_REG, RUN_OFF(fault_insn), (int32_t)sb->insn);
			emit_store64(b, RUN_REG, RUN_OFF(fault_addr), RCX);
			emit_jmp(b, st->lbl[LBL_FAULT_EXIT]);
		}
	}
}

/* The normal exit (epilogue) and the fault exit, which restores rsp first. */
static void gen_exits(struct jit_state *st)
{
	struct jit_buf *b = &st->b;

	st->lbl[LBL_EXIT] = (uint32_t)b->len;
	emit_store64(b, RUN_REG, RUN_OFF(budget_left), BUDGET_REG);
	emit_alu_ri(b, X_ADD, true, RSP, 8);
	emit_pop(b, R15);
	emit_pop(b, R14);
	emit_pop(b, R13);
	emit_pop(b, R12);
	emit_pop(b, RBX);
	emit_pop(b, RBP);
	emit_ret(b);

	st->lbl[LBL_FAULT_EXIT] = (uint32_t)b->len;
	emit_load64(b, RSP, RUN_REG, RUN_OFF(saved_rsp));
	emit_jmp(b, st->lbl[LBL_EXIT]);
}

/*
 * Scan of inline table t for an address in rcx (edx = info) and an access
 * of size class s; returns if a region holds the access, else falls to the
 * C slow path.
 */
static void gen_scan(struct jit_state *st, int t, int s)
{
	struct jit_buf *b = &st->b;
	size_t j_empty, j_below, j_found, loop;
	size_t j_nostack, j_stack;

	st->lbl[LBL_SCAN + t * 4 + s] = (uint32_t)b->len;
	emit_push(b, R11);
	emit_push(b, RDX);
	emit_lea(b, RDX, RBP, -(int32_t)PLUGLET_STACK_SIZE);
	emit_alu_rr(b, X_CMP, true, RCX, RDX);
	j_nostack = emit_jcc8(b, CC_B);
	emit_cmp_rm(b, RCX, RUN_REG, RUN_OFF(stack_lim[s]));
	j_stack = emit_jcc8(b, CC_BE);
	patch8(b, j_nostack);
	emit_lea(b, RDX, RUN_REG, TAB_OFF(t, 0));
	emit_rm(b, 0x8b, false, R11, RUN_REG, RUN_OFF(tabs.nr[t]));
	loop = b->len;
	emit_rr(b, 0x85, false, R11, R11);
	j_empty = emit_jcc8(b, CC_E);
	emit_cmp_rm(b, RCX, RDX, (int32_t)offsetof(struct jit_region, start));
	j_below = emit_jcc8(b, CC_B);
	emit_cmp_rm(b, RCX, RDX, (int32_t)offsetof(struct jit_region, lim[s]));
	j_found = emit_jcc8(b, CC_BE);
	patch8(b, j_below);
	emit_alu_ri(b, X_ADD, true, RDX, (int32_t)sizeof(struct jit_region));
	emit_alu_ri(b, X_SUB, false, R11, 1);
	emit8(b, 0xeb);
	emit8(b, (uint8_t)(int8_t)((int64_t)loop - (int64_t)(b->len + 1)));
	patch8(b, j_found);
	patch8(b, j_stack);
	emit_pop(b, RDX);
	emit_pop(b, R11);
	emit_ret(b);
	patch8(b, j_empty);
	emit_pop(b, RDX);
	emit_pop(b, R11);
	emit_jmp(b, st->lbl[LBL_CSLOW]);
}

/*
 * C slow path: rcx = address, edx = info, return address of the stub on
 * the stack (rsp = 8 mod 16). Keeps every eBPF register.
 */
static void gen_cslow(struct jit_state *st)
{
	static const uint8_t saved[] = { RAX, RDI, RSI, R8, R9, R10, R11, RCX };
	struct jit_buf *b = &st->b;
	size_t i, j_fault;

	st->lbl[LBL_CSLOW] = (uint32_t)b->len;
	for (i = 0; i < sizeof(saved); i++)
		emit_push(b, saved[i]);
	emit_alu_ri(b, X_SUB, true, RSP, 8);
	emit_mov_rr(b, true, RDI, RUN_REG);
	emit_mov_rr(b, true, RSI, RCX);
	emit_mov_rr(b, true, RCX, RBP);
	emit_mov_imm64(b, RAX, (uint64_t)(uintptr_t)jit_mem_slow);
	emit_call_reg(b, RAX);
	emit_alu_ri(b, X_ADD, true, RSP, 8);
	emit_rr(b, 0x85, false, RAX, RAX);
	j_fault = emit_jcc8(b, CC_E);
	for (i = sizeof(saved); i-- > 0;)
		emit_pop(b, saved[i]);
	emit_ret(b);
	patch8(b, j_fault);
	emit_pop(b, RCX);	/* fault_exit needs no register but r11 */
	emit_pop(b, R11);
	emit_jmp(b, st->lbl[LBL_FAULT_EXIT]);
}

/* Zeroes the frame a local call enters, [r10 - 512, r10). */
static void gen_zero_frame(struct jit_state *st)
{
	struct jit_buf *b = &st->b;

	st->lbl[LBL_ZERO_FRAME] = (uint32_t)b->len;
	emit8(b, 0x0f);		/* xorps xmm0, xmm0 */
	emit8(b, 0x57);
	emit8(b, 0xc0);
	for (int s = 0; s < (int)PLUGLET_STACK_SIZE; s += 16) {
		emit8(b, 0x0f);	/* movups [rbp + disp], xmm0 */
		emit8(b, 0x11);
		emit_mem(b, 0, RBP, s - (int)PLUGLET_STACK_SIZE);
	}
	emit_ret(b);
}

/* Everything after the program's code, in this order. */
static void gen_tail(struct jit_state *st)
{
	for (uint32_t l = 0; l < st->nr_loops; l++)
		gen_loop_copy(st, l);
	gen_stubs(st);
	gen_exits(st);
	for (int t = 0; t < TAB__N; t++)
		for (int s = 0; s < 4; s++)
			gen_scan(st, t, s);
	gen_cslow(st);
	gen_zero_frame(st);
}

/* ------------------------------------------------------------- analysis */

/*
 * Pairs clang emits that x86 does in one instruction, where no jump lands
 * on the second (neither can fault, so nothing else sees the difference):
 * `rd = rs; rd += rt` (or += imm) is lea rd, [rs + rt]; `rd <<= 32;
 * rd >>= 32` is mov rd32, rd32.
 */
static void find_pairs(struct jit_state *st)
{
	const struct pluglet_insn *p = st->vm->insns;

	for (uint32_t i = 0; i + 1 < st->nr; i++) {
		const struct pluglet_insn *a = &p[i], *b = &p[i + 1];

		if ((st->flags[i] & (JF_LDDW_HI | JF_FOLDED)) || (st->flags[i + 1] & JF_TARGET) ||
		    b->dst_reg != a->dst_reg)
			continue;
		if (a->code == (CLS_ALU64 | ALU_MOV | SRC_X) && !a->off &&
		    ((b->code == (CLS_ALU64 | ALU_ADD | SRC_X) && b->src_reg != b->dst_reg) ||
		     b->code == (CLS_ALU64 | ALU_ADD | SRC_K))) {
			st->flags[i] |= JF_LEA;
			st->flags[i + 1] |= JF_FOLDED;
		} else if (a->code == (CLS_ALU64 | ALU_LSH | SRC_K) && a->imm == 32 &&
			   b->code == (CLS_ALU64 | ALU_RSH | SRC_K) && b->imm == 32) {
			st->flags[i] |= JF_ZEXT;
			st->flags[i + 1] |= JF_FOLDED;
		}
	}
}

static int analyse(struct jit_state *st)
{
	const struct pluglet_insn *insns = st->vm->insns;
	uint32_t i, acc = 0;

	for (i = 0; i < st->nr; i++) {
		const struct pluglet_insn *in = &insns[i];
		uint8_t cls = OP_CLASS(in->code), op = OP_CODE(in->code);
		int64_t t;

		if (st->flags[i] & JF_LDDW_HI)
			continue;
		if (in->code == (CLS_LD | MODE_IMM | SZ_DW)) {
			if (i + 1 >= st->nr)
				return -EINVAL;
			st->flags[i + 1] |= JF_LDDW_HI;
			continue;
		}
		if (cls != CLS_JMP && cls != CLS_JMP32)
			continue;
		if (op == JMP_EXIT)
			continue;
		if (op == JMP_CALL) {
			if (in->src_reg != CALL_SRC_LOCAL || OP_SRC(in->code) == SRC_X)
				continue;
			t = (int64_t)i + 1 + in->imm;
			st->has_local_calls = true;
		} else {
			t = (int64_t)i + 1 + ((op == JMP_JA && cls == CLS_JMP32) ? in->imm : in->off);
		}
		if (t < 0 || t >= st->nr)
			return -EINVAL;
		st->flags[t] |= JF_TARGET;
		if (st->jumps_in[t] < UINT8_MAX)
			st->jumps_in[t]++;
	}
	st->flags[0] |= JF_TARGET;
	find_pairs(st);

	for (i = 0; i < st->nr; i++) {
		uint8_t cls = OP_CLASS(insns[i].code);

		if (st->flags[i] & JF_LDDW_HI) {
			if (st->flags[i] & JF_TARGET)
				return -EINVAL;
			continue;
		}
		if ((st->flags[i] & JF_TARGET) && acc) {
			st->charge_before[i] = acc;
			acc = 0;
		}
		acc++;
		if (cls == CLS_JMP || cls == CLS_JMP32) {
			st->charge_at[i] = acc;
			acc = 0;
		}
	}
	return 0;
}

/* How far after a lea pair its access may be (straight-line code). */
#define FOLD_WINDOW 8

/* The memory access that uses rd as its base, if m is one; not as data. */
static bool fold_access(const struct pluglet_insn *m, uint8_t rd)
{
	uint8_t cls = OP_CLASS(m->code);

	if (cls == CLS_LDX)
		return (OP_MODE(m->code) == MODE_MEM || OP_MODE(m->code) == MODE_MEMSX) &&
		       m->src_reg == rd;
	if (cls == CLS_ST || cls == CLS_STX)
		return OP_MODE(m->code) == MODE_MEM && m->dst_reg == rd &&
		       (cls == CLS_ST || m->src_reg != rd);
	return false;
}

/*
 * Whether the accesses after lea pair i are the only readers of its sum
 * (see find_folds()): each instruction up to the last one that reads rd is
 * either such an access (proven in the copy, its displacement fitting) or
 * touches neither rd nor what the sum reads; returns the last access (0:
 * the pair stays).
 */
static uint32_t fold_find(const struct jit_state *st, uint32_t i, const uint16_t *live)
{
	const struct pluglet_insn *p = st->vm->insns;
	uint8_t rd = p[i].dst_reg;
	uint16_t inputs = (uint16_t)(1u << p[i].src_reg |
				     (OP_SRC(p[i + 1].code) == SRC_X ? 1u << p[i + 1].src_reg : 0));
	uint32_t last = 0;

	for (uint32_t j = i + 2; j < st->nr && j < i + 2 + FOLD_WINDOW; j++) {
		const struct pluglet_insn *m = &p[j];
		uint8_t cls = OP_CLASS(m->code);
		uint16_t def, use;
		int64_t disp;

		if ((st->flags[j] & (JF_TARGET | JF_LDDW_HI)) || cls == CLS_JMP || cls == CLS_JMP32)
			return 0;
		if (fold_access(m, rd)) {
			disp = OP_SRC(p[i + 1].code) == SRC_X ? m->off : (int64_t)p[i + 1].imm + m->off;
			if (!st->proven[j] || disp < INT32_MIN || disp > INT32_MAX)
				return 0;
			last = j;
			if (!(live[j] & (1u << rd)) || (cls == CLS_LDX && m->dst_reg == rd))
				return last;
		} else {
			/* Nothing between may read or write rd. */
			jit_insn_def_use(m, &def, &use);
			if (((jit_insn_writes(m) | def | use) & (1u << rd)))
				return 0;
		}
		/* Nor change what the sum reads (an access loading into rs). */
		if (jit_insn_writes(m) & inputs)
			return 0;
	}
	return 0;
}

/*
 * Lea pairs (`rd = rs; rd += rt` or `+= imm`) whose sum only one memory
 * access of the same block reads, through rd as its base: in a loop copy
 * where that access is unchecked, the access addresses [rs + rt + off]
 * itself and rd is never written, which is right because nothing reads rd
 * before writing it again (liveness, vm/jit_live.c) and rs, rt do not
 * change in between. memcpy's byte loop loses both of its leas.
 */
static int find_folds(struct jit_state *st, const uint16_t *live)
{
	for (uint32_t i = 0; i + 2 < st->nr; i++) {
		uint32_t j;

		if (!(st->flags[i] & JF_LEA) || !st->member[i])
			continue;
		if (!st->fold_from) {
			st->fold_from = calloc(st->nr, sizeof(*st->fold_from));
			if (!st->fold_from)
				return -ENOMEM;
		}
		j = fold_find(st, i, live);
		if (!j)
			continue;
		st->flags[i] |= JF_LEA_MEM;
		st->nr_folds++;
		for (uint32_t k = i + 2; k <= j; k++)
			if (fold_access(&st->vm->insns[k], st->vm->insns[i].dst_reg))
				st->fold_from[k] = i + 1;
	}
	return 0;
}

/*
 * Tests repeated in counted copies: t tests what pc tested (same opcode,
 * registers and immediate), only pc's jump and the fall-through reach t,
 * and nothing between writes what they compare. Then t's outcome is pc's:
 * pc's jump goes straight to t's target and t emits nothing (log2's
 * `if v > c goto +1; r += k; if v > c goto +1; v >>= s`, half its tests).
 * Both ways still run t, so pc charges it; counts are unchanged.
 */
static void find_threads(struct jit_state *st)
{
	const struct pluglet_insn *p = st->vm->insns;

	for (uint32_t pc = 0; pc < st->nr; pc++) {
		const struct pluglet_insn *a = &p[pc];
		uint8_t cls = OP_CLASS(a->code), op = OP_CODE(a->code);
		int64_t t = (int64_t)pc + 1 + a->off, t2;
		uint16_t cmp;
		uint32_t j, l1 = st->member[pc];

		if (!l1 || !st->loops[l1 - 1].counted || (cls != CLS_JMP && cls != CLS_JMP32) ||
		    op == JMP_JA || op == JMP_CALL || op == JMP_EXIT || op > JMP_JSLE ||
		    (st->flags[pc] & (JF_LDDW_HI | JF_THREADED)) || t <= pc + 1 || t >= st->nr ||
		    st->member[t] != l1 || t == st->loops[l1 - 1].head || st->jumps_in[t] != 1)
			continue;
		if (p[t].code != a->code || p[t].dst_reg != a->dst_reg ||
		    (OP_SRC(a->code) == SRC_X ? p[t].src_reg != a->src_reg : p[t].imm != a->imm) ||
		    p[t].off <= 0 || (st->flags[t] & JF_LDDW_HI))
			continue;
		t2 = t + 1 + p[t].off;
		if (t2 >= st->nr || st->member[t2] != l1)
			continue;
		cmp = (uint16_t)(1u << a->dst_reg | (OP_SRC(a->code) == SRC_X ? 1u << a->src_reg : 0));
		for (j = pc + 1; j < t; j++)
			if ((st->flags[j] & JF_TARGET) || (jit_insn_writes(&p[j]) & cmp))
				break;
		if (j == t) {
			st->flags[t] |= JF_THREADED;
			st->nr_threads++;
		}
	}
}

/*
 * Whether load i and the test after it can be one instruction in a copy:
 * `rX = *(uN *)(rY + off)`, maybe `rX &= imm`, then `if rX op imm` (== or
 * != or &, against 0 after an AND), nothing jumping in between, rX read
 * by nothing after the test (liveness; a budget stop at the test ends the
 * program, which reads nothing either), and the immediate one the
 * loaded width can hold, so that comparing N bits of memory gives the
 * flags the 64- or 32-bit test gives (structarray's `e->proto == 6`).
 * Returns the distance to the test, 0 if not.
 */
static uint32_t cmp_mem_find(const struct jit_state *st, uint32_t i, const uint16_t *live)
{
	const struct pluglet_insn *p = st->vm->insns, *ld = &p[i], *j;
	uint32_t jp = i + 1, k, l1 = st->member[i];
	int sl;
	uint8_t op;

	if (!l1 || (ld->code & 0xe7) != (CLS_LDX | MODE_MEM) || !st->proven[i] ||
	    (st->fold_from && st->fold_from[i]) || i + 2 >= st->nr)
		return 0;
	sl = size_log_of(ld->code);
	if ((p[jp].code == (CLS_ALU64 | ALU_AND | SRC_K) || p[jp].code == (CLS_ALU | ALU_AND | SRC_K)) &&
	    p[jp].dst_reg == ld->dst_reg && sl < 3)
		jp++;
	for (k = i + 1; k <= jp; k++)
		if (st->member[k] != l1 ||
		    (st->flags[k] & (JF_TARGET | JF_LDDW_HI | JF_FOLDED | JF_THREADED)))
			return 0;
	j = &p[jp];
	op = OP_CODE(j->code);
	if ((OP_CLASS(j->code) != CLS_JMP && OP_CLASS(j->code) != CLS_JMP32) ||
	    OP_SRC(j->code) != SRC_K || j->dst_reg != ld->dst_reg ||
	    (live[jp] & (1u << ld->dst_reg)))
		return 0;
	if (jp > i + 1)
		return (op == JMP_JEQ || op == JMP_JNE) && !j->imm ? 2 : 0;
	if (op == JMP_JSET)
		return 1;
	if (op != JMP_JEQ && op != JMP_JNE)
		return 0;
	/* Zero-extended N bits equal a 64- (or 32-) bit value only if it fits. */
	if (sl == 3 || (sl == 2 && OP_CLASS(j->code) == CLS_JMP32))
		return 1;
	return j->imm >= 0 && (uint64_t)j->imm < (1ull << (8 << sl)) ? 1 : 0;
}

static int find_cmp_mems(struct jit_state *st, const uint16_t *live)
{
	for (uint32_t i = 0; i < st->nr; i++) {
		uint32_t d = cmp_mem_find(st, i, live);

		if (!d)
			continue;
		if (!st->cmp_mem) {
			st->cmp_mem = calloc(st->nr, 1);
			if (!st->cmp_mem)
				return -ENOMEM;
		}
		st->cmp_mem[i] = (uint8_t)d;
		st->nr_cmp_mems++;
	}
	return 0;
}

/* Lea pairs and loads that copies fuse into the instruction after them;
 * both need liveness, computed only when a loop has a candidate. */
static int find_fusions(struct jit_state *st)
{
	uint16_t *live;
	uint32_t i;
	int err;

	for (i = 0; i < st->nr; i++)
		if (st->member[i] && ((st->flags[i] & JF_LEA) ||
				      (OP_CLASS(st->vm->insns[i].code) == CLS_LDX && st->proven[i])))
			break;
	if (i == st->nr)
		return 0;
	live = calloc(st->nr, sizeof(*live));
	if (!live)
		return -ENOMEM;
	err = jit_live_out(st->vm->insns, st->nr, st->flags, live);
	if (!err)
		err = find_folds(st, live);
	if (!err)
		err = find_cmp_mems(st, live);
	free(live);
	return err == -E2BIG ? 0 : err;
}

/* Finds the loops to check at entry and the arrays their emission needs. */
static int loops_prepare(struct jit_state *st)
{
	uint32_t l;

	st->proven = calloc(st->nr, 1);
	if (!st->proven)
		return -ENOMEM;
	st->member = calloc(st->nr, sizeof(*st->member));
	if (!st->member)
		return -ENOMEM;
	st->every = calloc(st->nr, 1);
	if (!st->every)
		return -ENOMEM;
	if (jit_loops_find(st->vm->insns, st->nr, st->flags, &st->loops, &st->nr_loops,
			   st->proven, st->member, st->every))
		return -ENOMEM;
	if (!st->nr_loops)
		return 0;
	st->head_loop = calloc(st->nr, sizeof(*st->head_loop));
	st->fast_off = calloc(st->nr, sizeof(*st->fast_off));
	st->blk_len = calloc(st->nr, sizeof(*st->blk_len));
	st->raw_off = calloc(st->nr, sizeof(*st->raw_off));
	st->exit_off = calloc(st->nr, sizeof(*st->exit_off));
	st->exit_amt = calloc(st->nr, sizeof(*st->exit_amt));
	st->exit_pcs = calloc(st->nr, sizeof(*st->exit_pcs));
	st->carry_in = calloc(st->nr, sizeof(*st->carry_in));
	st->guard_off = calloc(st->nr_loops, sizeof(*st->guard_off));
	st->guard_fail = calloc(st->nr_loops, sizeof(*st->guard_fail));
	st->head_exit_off = calloc(st->nr_loops, sizeof(*st->head_exit_off));
	if (!st->head_loop || !st->fast_off || !st->blk_len || !st->raw_off || !st->guard_off || !st->guard_fail ||
	    !st->head_exit_off ||
	    !st->exit_off || !st->exit_amt || !st->exit_pcs || !st->carry_in)
		return -ENOMEM;
	for (l = 0; l < st->nr_loops; l++)
		st->head_loop[st->loops[l].head] = l + 1;
	find_threads(st);
	return find_fusions(st);
}

static int emit_pass(struct jit_state *st)
{
	uint32_t i;
	int err;

	st->b.len = 0;
	st->nr_pads = 0;
	st->nr_latch_copies = 0;
	st->nr_stubs = 0;
	st->sk_known = 0;
	st->grp = false;
	gen_prologue(st);
	for (i = 0; i < st->nr; i++) {
		if (st->grp && i == st->grp_end) {
			/* The checked copy comes back here. */
			if (!st->b.oom)
				st->stubs[st->grp_stub].resume = (uint32_t)st->b.len;
			st->grp = false;
		}
		if (st->flags[i] & JF_LDDW_HI) {
			st->insn_off[i] = (uint32_t)st->b.len;
			continue;
		}
		emit_charge(st, st->charge_before[i]);
		if (st->head_loop && st->head_loop[i]) {
			st->guard_off[st->head_loop[i] - 1] = (uint32_t)st->b.len;
			gen_loop_guard(st, st->head_loop[i] - 1);
		}
		st->insn_off[i] = (uint32_t)st->b.len;
		if (st->flags[i] & JF_TARGET)
			st->sk_known = 0;
		if (st->mem_checks && !st->grp)
			segment_start(st, i);
		err = gen_insn(st, i);
		sk_track(st, &st->vm->insns[i]);
		if (err) {
			vm_log(st->log, st->log_size, "%s: JIT: instruction %u (opcode 0x%02x) %s",
			       st->vm->name, i, st->vm->insns[i].code,
			       err == -EOPNOTSUPP ? "not supported" : "invalid");
			return err;
		}
	}
	if (st->grp && !st->b.oom)	/* (verified code cannot fall off the end) */
		st->stubs[st->grp_stub].resume = (uint32_t)st->b.len;
	st->grp = false;
	if (st->b.oom)
		return -ENOMEM;
	gen_tail(st);
	return st->b.oom ? -ENOMEM : 0;
}

/*
 * Pass 1 finds every offset, pass 2 emits with them; same layout. When
 * pass 2 padded the copies' blocks pass 1 measured, pass 3 emits with
 * pass 2's offsets (see copy_head_shift()).
 */
static int emit_passes(struct jit_state *st)
{
	size_t len;
	int err;

	err = emit_pass(st);
	if (err)
		return err;
	len = st->b.len;
	err = emit_pass(st);
	if (!err && st->nr_pads) {
		len = st->b.len;
		err = emit_pass(st);
	}
	if (err)
		return err;
	if (st->b.len != len) {
		vm_log(st->log, st->log_size, "%s: JIT: internal error: unstable layout",
		       st->vm->name);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int jit_compile(struct pluglet_vm *vm, bool mem_checks, char *log, size_t log_size)
{
	struct jit_state st = {
		.vm = vm, .nr = vm->nr_insns, .mem_checks = mem_checks,
		.log = log, .log_size = log_size, .fast = -1,
	};
	size_t len1, map_len, page;
	struct jit_priv *priv = NULL;
	void *mem = MAP_FAILED;
	uint32_t i;
	int err;

	if (!vm->nr_insns || vm->nr_insns > INFO_INSN_MASK) {
		vm_log(log, log_size, "%s: JIT: program too large", vm->name);
		return -EOPNOTSUPP;
	}
	st.insn_off = calloc(st.nr + 1, sizeof(*st.insn_off));
	st.charge_at = calloc(st.nr, sizeof(*st.charge_at));
	st.charge_before = calloc(st.nr, sizeof(*st.charge_before));
	st.flags = calloc(st.nr, 1);
	st.jumps_in = calloc(st.nr, 1);
	err = -ENOMEM;
	if (!st.insn_off || !st.charge_at || !st.charge_before || !st.flags || !st.jumps_in)
		goto out;
	err = analyse(&st);
	if (err) {
		vm_log(log, log_size, "%s: JIT: bad jump or lddw layout", vm->name);
		goto out;
	}
	if (mem_checks) {
		err = loops_prepare(&st);
		if (err)
			goto out;
	}
	vm->nr_folds = st.nr_folds;
	vm->nr_threads = st.nr_threads;
	vm->nr_cmp_mems = st.nr_cmp_mems;
	vm->nr_counted = 0;
	for (i = 0; i < st.nr_loops; i++)
		vm->nr_counted += st.loops[i].counted;
	err = emit_passes(&st);
	if (err)
		goto out;
	len1 = st.b.len;
	vm->nr_line_pads = st.nr_pads;
	vm->nr_latch_copies = st.nr_latch_copies;
	priv = calloc(1, sizeof(*priv));
	if (!priv) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < vm->nr_data_regions; i++)
		tab_add(&priv->data, &vm->data_regions[i], JIT_TABS_USED);
	/* W^X: written while read-write, then read-execute, never both. */
	page = (size_t)sysconf(_SC_PAGESIZE);
	map_len = (len1 + page - 1) / page * page;
	mem = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		err = -errno;
		goto out;
	}
	memcpy(mem, st.b.p, len1);
	if (mprotect(mem, map_len, PROT_READ | PROT_EXEC)) {
		err = -errno;
		munmap(mem, map_len);
		goto out;
	}
	vm->jit_code = mem;
	vm->jit_size = len1;
	priv->map_len = map_len;
	vm->backend_priv = priv;
	priv = NULL;
	vm->backend_flags = st.tabs_used;
	/* Whole 16-byte units, so that the memset stays aligned. */
	vm->frame0_unread = st.frame_escape ? 0 :
			    (uint32_t)(PLUGLET_STACK_SIZE + st.stack_read_lo) & ~15u;
	/* The shared rule still holds where an unproven load set frame_escape. */
	if (vm->frame0_unread_rule > vm->frame0_unread)
		vm->frame0_unread = vm->frame0_unread_rule;
	err = 0;
out:
	free(st.insn_off);
	free(st.charge_at);
	free(st.charge_before);
	free(st.flags);
	free(st.jumps_in);
	free(st.stubs);
	free(st.stub_off);
	free(st.loops);
	free(st.head_loop);
	free(st.member);
	free(st.fold_from);
	free(st.every);
	free(st.head_exit_off);
	free(st.guard_off);
	free(st.guard_fail);
	free(st.fast_off);
	free(st.cmp_mem);
	free(st.blk_len);
	free(st.raw_off);
	free(st.exit_off);
	free(st.exit_amt);
	free(st.exit_pcs);
	free(st.carry_in);
	free(st.proven);
	free(st.b.p);
	free(priv);
	return err;
}

static int jit_prepare(struct pluglet_vm *vm, char *log, size_t log_size)
{
	return jit_compile(vm, JIT_MEM_CHECKS, log, log_size);
}

static void jit_release(struct pluglet_vm *vm)
{
	const struct jit_priv *priv = vm->backend_priv;

	if (vm->jit_code)
		munmap(vm->jit_code, priv->map_len);
	free(vm->backend_priv);
	vm->jit_code = NULL;
	vm->jit_size = 0;
	vm->backend_priv = NULL;
	vm->backend_flags = 0;
	vm->frame0_unread = 0;
}

/* ------------------------------------------------------------- run time */

/* Last valid address of an access of `size` bytes into [start, start + len). */
static inline uint64_t region_lim(uint64_t start, uint64_t len, uint64_t size)
{
	return len >= size ? start + len - size : start - 1;
}

/* Adds the region to each table in `tabs` whose permission it grants. */
static void tab_add(struct jit_tabs *tt, const struct pluglet_region *r, uint32_t tabs)
{
	static const uint32_t need[TAB__N] = {
		PLUGLET_PERM_READ, PLUGLET_PERM_WRITE, PLUGLET_PERM_RW,
	};
	uint64_t l0, l1, l2, l3;
	int t;

	/* Regions the inline compare could get wrong are left to the C path. */
	if (!r->start || !r->len || r->start + r->len < r->start)
		return;
	/*
	 * This runs for every caller region on every run: the limits are
	 * computed once, in registers, and stored straight into each table
	 * (a struct copy through memory stalled on store forwarding).
	 */
	l0 = region_lim(r->start, r->len, 1);
	l1 = region_lim(r->start, r->len, 2);
	l2 = region_lim(r->start, r->len, 4);
	l3 = region_lim(r->start, r->len, 8);
	for (t = 0; t < TAB__N; t++) {
		struct jit_region *e;

		if (!(tabs & (1u << t)) || (r->perm & need[t]) != need[t] ||
		    tt->nr[t] >= JIT_INLINE_REGIONS)
			continue;
		e = &tt->tab[t][tt->nr[t]++];
		e->start = r->start;
		e->lim[0] = l0;
		e->lim[1] = l1;
		e->lim[2] = l2;
		e->lim[3] = l3;
	}
}

/*
 * Called by the generated code when neither the inline compare nor the scan
 * found the access (fp = r10): decides with the interpreter's rules and
 * records the fault it would report.
 */
static int jit_mem_slow(struct jit_run *run, uint64_t addr, uint32_t info, uint64_t fp)
{
	static const uint32_t need[TAB__N] = {
		PLUGLET_PERM_READ, PLUGLET_PERM_WRITE, PLUGLET_PERM_RW,
	};
	uint32_t tab = info >> INFO_TAB_SHIFT;
	uint32_t size = 1u << ((info >> INFO_SIZE_SHIFT) & 3);
	uint64_t stack_lo = fp - PLUGLET_STACK_SIZE;
	enum pluglet_fault_kind kind = PLUGLET_FAULT_NONE;

	if (addr - stack_lo <= run->stack_top - stack_lo - size)
		return 1;
	if (vm_region_lookup(run->vm, run->ex, addr, size, need[tab], &kind))
		return 1;
	run->fault_kind = kind;
	run->fault_insn = info & INFO_INSN_MASK;
	run->fault_addr = addr;
	run->fault_size = size;
	return 0;
}

static void run_init(struct jit_run *run, const struct pluglet_vm *vm, struct pluglet_exec *ex)
{
	const struct jit_priv *priv = vm->backend_priv;
	uint64_t budget = ex->budget ? ex->budget : vm->budget;
	uint32_t i, k, n, tabs;

	run->ex = ex;
	run->vm = vm;
	run->helpers = vm->helpers;
	run->stack_top = (uint64_t)(uintptr_t)ex->stack_ + STACK_TOTAL;
	run->fp_min = run->stack_top - PLUGLET_MAX_CALL_DEPTH * PLUGLET_STACK_SIZE;
	for (k = 0; k < 4; k++)
		run->stack_lim[k] = run->stack_top - (1u << k);
	run->budget_asked = budget;
	run->budget = budget > INT64_MAX ? INT64_MAX : budget;
	run->budget_left = (int64_t)run->budget;
	run->callx_id = 0;
	run->fault_addr = 0;
	run->fault_kind = PLUGLET_FAULT_NONE;
	run->fault_insn = 0;
	run->fault_size = 0;
	/* Only the tables the code checks against are filled. */
	tabs = vm->backend_flags & JIT_TABS_USED;
	if (!tabs)
		return;
	for (i = 0; i < TAB__N; i++)
		run->tabs.nr[i] = 0;
	/*
	 * Caller regions first: they are what pointer arguments point to.
	 * tab_add() skips full tables and the C path covers the rest; no
	 * early stop: reading nr[] back as one word right after tab_add()
	 * stored its halves stalled every run (store forwarding).
	 */
	for (i = 0; i < ex->nr_regions; i++)
		tab_add(&run->tabs, &ex->regions[i], tabs);
	/* Then the object's, whose entries compile time already made. */
	for (i = 0; i < TAB__N; i++) {
		if (!(tabs & (1u << i)))
			continue;
		n = JIT_INLINE_REGIONS - run->tabs.nr[i];
		if (n > priv->data.nr[i])
			n = priv->data.nr[i];
		if (n) {
			memcpy(&run->tabs.tab[i][run->tabs.nr[i]], priv->data.tab[i],
			       n * sizeof(struct jit_region));
			run->tabs.nr[i] += n;
		}
		/* Entry 0 is compared inline even when empty: make it match nothing. */
		if (!run->tabs.nr[i]) {
			run->tabs.tab[i][0].start = UINT64_MAX;
			for (k = 0; k < 4; k++)
				run->tabs.tab[i][0].lim[k] = 0;
		}
	}
}

static int jit_run(const struct pluglet_vm *vm, struct pluglet_exec *ex, uint64_t r1, uint64_t r2,
		   uint64_t *r0)
{
	const struct pluglet_insn *in;
	struct jit_run run;
	uint64_t ret;

	if (!vm->jit_code || !ex->stack_)
		return -EINVAL;
	run_init(&run, vm, ex);
	ret = ((jit_entry_fn)vm->jit_code)(&run, r1, r2);
	ex->insns_executed = run.budget - (uint64_t)run.budget_left;
	/* tested before the switch: its jump table costs a visible share of a short run */
	if (__builtin_expect(run.fault_kind == PLUGLET_FAULT_NONE, 1)) {
		*r0 = ret;
		return 0;
	}
	in = &vm->insns[run.fault_insn];

	switch (run.fault_kind) {
	case JIT_FAULT_ABORT:
		return vm_helper_aborted(ex, run.fault_insn,
					 OP_SRC(in->code) == SRC_X ? run.callx_id : (uint32_t)in->imm, r0);
	case PLUGLET_FAULT_BUDGET:
		vm_fault_set(ex, PLUGLET_FAULT_BUDGET, run.fault_insn, run.budget_asked, 0);
		return -EFAULT;
	case PLUGLET_FAULT_BAD_HELPER:
		vm_fault_set(ex, PLUGLET_FAULT_BAD_HELPER, run.fault_insn, (uint32_t)in->imm, 0);
		return -EFAULT;
	case PLUGLET_FAULT_STACK_OVERFLOW:
		/* Only the deepest frame can overflow: r10 is fp_min there. */
		vm_fault_set(ex, PLUGLET_FAULT_STACK_OVERFLOW, run.fault_insn, run.fp_min, 0);
		return -EFAULT;
	default:
		vm_fault_set(ex, (enum pluglet_fault_kind)run.fault_kind, run.fault_insn,
			     run.fault_addr, run.fault_size);
		return -EFAULT;
	}
}

const struct vm_backend vm_backend_jit = {
	.name = "jit",
	.prepare = jit_prepare,
	.run = jit_run,
	.release = jit_release,
};

/* SPDX-License-Identifier: MIT */
/*
 * JIT tests: every fault case runs in the interpreter and in the JIT, and
 * both must report the same thing (return code, r0, fault kind, instruction
 * index, address, size, message, instructions executed). The process must
 * survive every wild access. Also: the code is W^X, runs from several
 * threads at once, and the inline region tables overflow into C correctly.
 * In a build without a JIT (-Djit=disabled, not x86-64) a JIT load falls
 * back to the interpreter, and the same cases check that fallback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config.h"
#include "vm_internal.h"
#include "jit_loops_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INSN(c, d, s, o, i) \
	((struct pluglet_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_K(d, i)	INSN(CLS_ALU64 | ALU_MOV | SRC_K, d, 0, 0, i)
#define MOV_X(d, s)	INSN(CLS_ALU64 | ALU_MOV | SRC_X, d, s, 0, 0)
#define ADD_K(d, i)	INSN(CLS_ALU64 | ALU_ADD | SRC_K, d, 0, 0, i)
#define AND_K(d, i)	INSN(CLS_ALU64 | ALU_AND | SRC_K, d, 0, 0, i)
#define ADD_X(d, s)	INSN(CLS_ALU64 | ALU_ADD | SRC_X, d, s, 0, 0)
#define LDX(sz, d, s, o) INSN(CLS_LDX | MODE_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o) INSN(CLS_STX | MODE_MEM | (sz), d, s, o, 0)
#define ST(sz, d, o, i)	INSN(CLS_ST | MODE_MEM | (sz), d, 0, o, i)
#define ATOMIC(sz, d, s, o, op) INSN(CLS_STX | MODE_ATOMIC | (sz), d, s, o, op)
#define JA(o)		INSN(CLS_JMP | JMP_JA, 0, 0, o, 0)
#define JNE_K(d, i, o)	INSN(CLS_JMP | JMP_JNE | SRC_K, d, 0, o, i)
#define JLT_K(d, i, o)	INSN(CLS_JMP | JMP_JLT | SRC_K, d, 0, o, i)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define JCC_K(op, d, i, o) INSN(CLS_JMP | (op) | SRC_K, d, 0, o, i)
#define CALL(id)	INSN(CLS_JMP | JMP_CALL, 0, CALL_SRC_HELPER, 0, id)
#define CALL_LOCAL(rel)	INSN(CLS_JMP | JMP_CALL, 0, CALL_SRC_LOCAL, 0, rel)
#define CALLX(d)	INSN(CLS_JMP | JMP_CALL | SRC_X, d, 0, 0, 0)
#define EXIT()		INSN(CLS_JMP | JMP_EXIT, 0, 0, 0, 0)

/* -Djit_mem_checks=false builds (benchmarks only) let wild accesses through. */
#define NEED_MEM_CHECKS()                  \
	do {                               \
		if (!PLUGLET_JIT_MEM_CHECKS) \
			skip();            \
	} while (0)

/* What a JIT load gives in this build. */
#define JIT_MODE (PLUGLET_HAVE_JIT ? PLUGLET_VM_JIT : PLUGLET_VM_INTERP)

#define H_SUM	1
#define H_ABORT	2
#define H_MISUSE 3
#define H_CHECK	4

static uint64_t h_sum(struct pluglet_exec *ex, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		      uint64_t e)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e;
}

static uint64_t h_abort(struct pluglet_exec *ex, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			uint64_t e)
{
	pluglet_exec__abort(ex, PLUGLET_FAULT_ABORTED, a, "stop here");
	return 99;
}

static uint64_t h_misuse(struct pluglet_exec *ex, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			 uint64_t e)
{
	pluglet_exec__abort(ex, PLUGLET_FAULT_HELPER, 0, "bad pointer");
	return 0;
}

/* Returns 1 if [a, a+b) may be written by the running program. */
static uint64_t h_check(struct pluglet_exec *ex, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			uint64_t e)
{
	return pluglet_exec__check(ex, a, b, PLUGLET_PERM_WRITE) != NULL;
}

static struct pluglet_helpers *helpers(void)
{
	struct pluglet_helpers *h = pluglet_helpers__new();

	assert_non_null(h);
	assert_int_equal(pluglet_helpers__add(h, H_SUM, "sum", h_sum), 0);
	assert_int_equal(pluglet_helpers__add(h, H_ABORT, "abort", h_abort), 0);
	assert_int_equal(pluglet_helpers__add(h, H_MISUSE, "misuse", h_misuse), 0);
	assert_int_equal(pluglet_helpers__add(h, H_CHECK, "check", h_check), 0);
	return h;
}

struct outcome {
	int load_errno;
	int err;
	uint64_t r0;
	uint64_t executed;
	struct pluglet_fault fault;
};

struct setup {
	const struct pluglet_region *regions;
	uint32_t nr_regions;
	uint64_t r1, r2;
	uint64_t budget;
	/* Memory reset before each mode runs (so that stores replay). */
	void *mem;
	const void *init;
	size_t mem_len;
};

static struct pluglet_vm *load(const struct pluglet_insn *p, uint32_t n, enum pluglet_vm_mode mode,
			       uint64_t budget, struct pluglet_helpers *h)
{
	char log[256] = "";
	struct pluglet_vm_opts o = {
		.sz = sizeof(o), .mode = mode, .helpers = h, .budget = budget,
		.log_buf = log, .log_size = sizeof(log), .name = "t",
	};

	return pluglet_vm__load(p, n, &o);
}

static void run_mode(const struct pluglet_insn *p, uint32_t n, const struct setup *s,
		     enum pluglet_vm_mode mode, struct outcome *o)
{
	struct pluglet_helpers *h = helpers();
	struct pluglet_vm *vm;
	struct pluglet_exec ex;

	memset(o, 0, sizeof(*o));
	vm = load(p, n, mode, s->budget, h);
	if (!vm) {
		o->load_errno = errno;
		pluglet_helpers__free(h);
		return;
	}
	assert_int_equal(pluglet_vm__mode(vm), mode == PLUGLET_VM_JIT ? JIT_MODE : mode);
	if (s->mem)
		memcpy(s->mem, s->init, s->mem_len);
	ex = (struct pluglet_exec){ .sz = sizeof(ex), .regions = s->regions, .nr_regions = s->nr_regions };
	o->err = pluglet_vm__run(vm, &ex, s->r1, s->r2, &o->r0);
	o->executed = ex.insns_executed;
	o->fault = ex.fault;
	pluglet_vm__free(vm);
	pluglet_helpers__free(h);
}

/* Runs in both modes, asserts they agree, returns the JIT's outcome. */
static struct outcome both(const struct pluglet_insn *p, uint32_t n, const struct setup *s)
{
	struct outcome i, j;

	run_mode(p, n, s, PLUGLET_VM_INTERP, &i);
	run_mode(p, n, s, PLUGLET_VM_JIT, &j);
	assert_int_equal(i.load_errno, j.load_errno);
	assert_int_equal(i.err, j.err);
	assert_int_equal(i.r0, j.r0);
	assert_int_equal(i.fault.kind, j.fault.kind);
	assert_int_equal(i.fault.insn, j.fault.insn);
	assert_int_equal(i.fault.addr, j.fault.addr);
	assert_int_equal(i.fault.size, j.fault.size);
	assert_string_equal(i.fault.msg, j.fault.msg);
	/* The JIT counts whole blocks: equal except after a memory fault. */
	if (!j.err || j.fault.kind == PLUGLET_FAULT_BUDGET)
		assert_int_equal(i.executed, j.executed);
	return j;
}

/* A budget sweep's run: both modes agree, and it ends or stops on the budget. */
static struct outcome both_or_stop(const struct pluglet_insn *p, uint32_t n, const struct setup *s)
{
	struct outcome o = both(p, n, s);

	assert_true(o.err == 0 || o.fault.kind == PLUGLET_FAULT_BUDGET);
	return o;
}

#define BOTH(s, ...)                                                        \
	({                                                                  \
		const struct pluglet_insn p_[] = { __VA_ARGS__ };           \
		both(p_, sizeof(p_) / sizeof(p_[0]), s);                    \
	})

/*
 * Compare trees (find_trees() in vm/interp.c: the interpreter runs a
 * switch-shaped tree with one table lookup) against the JIT, which walks
 * them: same r0 and executed count for values on the table, at its edges
 * and off it, signed and unsigned, with every kind of compare and a goto
 * inside the tree; a jump from outside into the tree; a tree too wide or
 * too small for a table.
 */
static void test_compare_trees(void **state)
{
	static const int64_t edge[] = {
		INT64_MIN, INT64_MIN + 1, -(1ll << 40), INT32_MIN, -100, -2, -1,
		0x7fffffff, 0x80000000ll, 1ll << 40, INT64_MAX,
	};
	/* r2: the value; leaves put distinct values in r0 */
	const struct pluglet_insn tree[] = {
		/* 0 */ JCC_K(JMP_JSGT, 2, 6, 7),		/* -> 8 */
		/* 1 */ JCC_K(JMP_JEQ, 2, 0, 11),		/* -> 13 */
		/* 2 */ JCC_K(JMP_JSLT, 2, -1, 12),	/* -> 15 */
		/* 3 */ JCC_K(JMP_JNE, 2, 3, 2),		/* -> 6 */
		/* 4 */ MOV_K(0, 30),
		/* 5 */ EXIT(),
		/* 6 */ JCC_K(JMP_JSET, 2, 4, 10),	/* -> 17 */
		/* 7 */ JA(11),				/* -> 19 */
		/* 8 */ JCC_K(JMP_JGE, 2, 12, 2),		/* -> 11 */
		/* 9 */ JCC_K(JMP_JLE, 2, 8, 7),		/* -> 17 */
		/* 10 */ JA(10),			/* -> 21 */
		/* 11 */ JCC_K(JMP_JGT, 2, 20, 9),	/* -> 21 */
		/* 12 */ JCC_K(JMP_JSGE, 2, 14, 6),	/* -> 19 */
		/* 13 */ MOV_K(0, 1000),
		/* 14 */ EXIT(),
		/* 15 */ MOV_K(0, 2000),
		/* 16 */ EXIT(),
		/* 17 */ MOV_K(0, 3000),
		/* 18 */ EXIT(),
		/* 19 */ MOV_K(0, 4000),
		/* 20 */ EXIT(),
		/* 21 */ JCC_K(JMP_JSLE, 2, 25, -10),	/* -> 12: into the tree, backward */
		/* 22 */ JCC_K(JMP_JLT, 2, 30, -20),	/* -> 3 */
		/* 23 */ MOV_K(0, 5000),
		/* 24 */ EXIT(),
	};
	struct pluglet_vm *vm;
	struct setup s = { 0 };
	struct outcome o;
	uint64_t seen = 0;

	(void)state;
	vm = load(tree, ARRAY_SIZE(tree), PLUGLET_VM_INTERP, 0, NULL);
	assert_non_null(vm);
	assert_int_equal(vm->nr_trees, 1);
	pluglet_vm__free(vm);
	for (int64_t v = -40; v <= 60; v++) {
		s.r2 = (uint64_t)v;
		o = both(tree, ARRAY_SIZE(tree), &s);
		assert_int_equal(o.err, 0);
		seen |= 1ull << (o.r0 / 1000);
	}
	for (size_t i = 0; i < ARRAY_SIZE(edge); i++) {
		s.r2 = (uint64_t)edge[i];
		o = both(tree, ARRAY_SIZE(tree), &s);
		assert_int_equal(o.err, 0);
	}
	assert_int_equal(seen, 0x3f);	/* every leaf was reached */
	/* out of budget at the backward jump the tree leads to: same count */
	s.r2 = 10;
	s.budget = 4;
	o = both(tree, ARRAY_SIZE(tree), &s);
	assert_int_equal(o.fault.kind, PLUGLET_FAULT_BUDGET);
	assert_int_equal(o.fault.insn, 21);
	assert_int_equal(o.executed, 5);
	s.budget = 0;

	/* Constants too far apart, and too few compares: no table. */
	const struct pluglet_insn wide[] = {
		JCC_K(JMP_JEQ, 2, 0, 4), JCC_K(JMP_JEQ, 2, 62, 5), JCC_K(JMP_JEQ, 2, 1, 2),
		MOV_K(0, 1), EXIT(), MOV_K(0, 2), EXIT(), MOV_K(0, 3), EXIT(),
	};
	const struct pluglet_insn fits[] = {
		JCC_K(JMP_JEQ, 2, 0, 4), JCC_K(JMP_JEQ, 2, 61, 5), JCC_K(JMP_JEQ, 2, 1, 2),
		MOV_K(0, 1), EXIT(), MOV_K(0, 2), EXIT(), MOV_K(0, 3), EXIT(),
	};
	/* A case that is itself a switch (on r1): two trees, same results. */
	const struct pluglet_insn nested[] = {
		/* 0 */ JCC_K(JMP_JEQ, 2, 0, 3),		/* -> 4 */
		/* 1 */ JCC_K(JMP_JEQ, 2, 1, 8),		/* -> 10 */
		/* 2 */ JCC_K(JMP_JEQ, 2, 2, 9),		/* -> 12 */
		/* 3 */ JA(10),				/* -> 14 */
		/* 4 */ JCC_K(JMP_JEQ, 1, 0, 3),		/* -> 8 */
		/* 5 */ JCC_K(JMP_JEQ, 1, 1, 4),		/* -> 10 */
		/* 6 */ JCC_K(JMP_JEQ, 1, 2, 5),		/* -> 12 */
		/* 7 */ JA(6),				/* -> 14 */
		/* 8 */ MOV_K(0, 1),
		/* 9 */ EXIT(),
		/* 10 */ MOV_K(0, 2),
		/* 11 */ EXIT(),
		/* 12 */ MOV_K(0, 3),
		/* 13 */ EXIT(),
		/* 14 */ MOV_K(0, 4),
		/* 15 */ EXIT(),
	};
	vm = load(nested, ARRAY_SIZE(nested), PLUGLET_VM_INTERP, 0, NULL);
	assert_int_equal(vm->nr_trees, 2);
	pluglet_vm__free(vm);
	for (int64_t a = -1; a <= 3; a++) {
		for (int64_t b = -1; b <= 3; b++) {
			s.r2 = (uint64_t)a;
			s.r1 = (uint64_t)b;
			o = both(nested, ARRAY_SIZE(nested), &s);
			assert_int_equal(o.r0, a == 0 ? (b >= 0 && b <= 2 ? b + 1 : 4) :
					       a == 1 ? 2 : a == 2 ? 3 : 4);
		}
	}
	s.r1 = 0;

	vm = load(wide, ARRAY_SIZE(wide), PLUGLET_VM_INTERP, 0, NULL);
	assert_int_equal(vm->nr_trees, 0);
	pluglet_vm__free(vm);
	vm = load(fits, ARRAY_SIZE(fits), PLUGLET_VM_INTERP, 0, NULL);
	assert_int_equal(vm->nr_trees, 1);
	pluglet_vm__free(vm);
	vm = load(fits + 1, ARRAY_SIZE(fits) - 1, PLUGLET_VM_INTERP, 0, NULL);
	assert_int_equal(vm->nr_trees, 0);
	pluglet_vm__free(vm);
	for (int64_t v = -3; v <= 64; v++) {
		s.r2 = (uint64_t)v;
		o = both(fits, ARRAY_SIZE(fits), &s);
		assert_int_equal(o.r0, v == 61 ? 3 : v == 0 || v == 1 ? 2 : 1);
	}
}

/*
 * Conditional skips (skip_up() in vm/interp.c: `if COND goto +1` over an
 * ALU instruction runs as a select) against the JIT: every condition and
 * ALU operation of the table, taken and not taken, with the ALU
 * instruction writing a register the condition reads; same r0 and count.
 * No skip where another jump lands on the ALU instruction, nor over a
 * movsx.
 */
static void test_conditional_skips(void **state)
{
	static const uint8_t jumps[] = {
		CLS_JMP | SRC_X | JMP_JGT, CLS_JMP | SRC_K | JMP_JGT, CLS_JMP | SRC_X | JMP_JLT,
		CLS_JMP | SRC_X | JMP_JSGT, CLS_JMP | SRC_K | JMP_JEQ, CLS_JMP | SRC_X | JMP_JEQ,
		CLS_JMP | SRC_K | JMP_JNE, CLS_JMP | SRC_X | JMP_JNE,
	};
	static const uint8_t alus[] = {
		CLS_ALU64 | SRC_K | ALU_MOV, CLS_ALU64 | SRC_X | ALU_MOV,
		CLS_ALU64 | SRC_K | ALU_ADD, CLS_ALU64 | SRC_X | ALU_ADD,
		CLS_ALU64 | SRC_K | ALU_OR, CLS_ALU64 | SRC_K | ALU_AND,
		CLS_ALU64 | SRC_K | ALU_RSH, CLS_ALU64 | SRC_K | ALU_LSH,
	};
	static const int64_t values[] = { 9, 10, 11, -1 };
	struct setup s = { 0 };
	struct outcome o;
	struct pluglet_vm *vm;
	unsigned int taken = 0, not_taken = 0;

	(void)state;
	for (size_t j = 0; j < ARRAY_SIZE(jumps); j++) {
		for (size_t a = 0; a < ARRAY_SIZE(alus); a++) {
			for (int dst = 0; dst <= 2; dst += 2) {	/* r2: the compared register */
				const struct pluglet_insn p[] = {
					MOV_K(4, 10), MOV_K(0, 0x55), MOV_K(3, 3),
					INSN(jumps[j], 2, (jumps[j] & SRC_X) ? 4 : 0, 1,
					     (jumps[j] & SRC_X) ? 0 : 10),
					INSN(alus[a], dst, (alus[a] & SRC_X) ? 3 : 0, 0,
					     (alus[a] & SRC_X) ? 0 : 4),
					ADD_X(0, 2), EXIT(),
				};

				vm = load(p, ARRAY_SIZE(p), PLUGLET_VM_INTERP, 0, NULL);
				assert_non_null(vm);
				assert_int_equal(vm->nr_skips, 1);
				pluglet_vm__free(vm);
				for (size_t v = 0; v < ARRAY_SIZE(values); v++) {
					s.r2 = (uint64_t)values[v];
					o = both(p, ARRAY_SIZE(p), &s);
					assert_int_equal(o.err, 0);
					if (o.executed == 6)
						taken++;
					else
						not_taken++;
				}
			}
		}
	}
	assert_true(taken > 100 && not_taken > 100);

	/* another jump lands on the ALU instruction: no skip */
	const struct pluglet_insn landed[] = {
		MOV_K(0, 1), JNE_K(2, 0, 1), INSN(CLS_JMP | SRC_K | JMP_JEQ, 2, 0, 1, 0),
		ADD_K(0, 5), EXIT(),
	};
	vm = load(landed, ARRAY_SIZE(landed), PLUGLET_VM_INTERP, 0, NULL);
	assert_int_equal(vm->nr_skips, 0);
	pluglet_vm__free(vm);
	s.r2 = 3;
	assert_int_equal(both(landed, ARRAY_SIZE(landed), &s).r0, 6);
	/* a movsx shares mov's opcode: not a skip */
	const struct pluglet_insn sx[] = {
		MOV_K(0, 0xff), INSN(CLS_JMP | SRC_K | JMP_JEQ, 2, 0, 1, 0),
		INSN(CLS_ALU64 | ALU_MOV | SRC_X, 0, 0, 8, 0), EXIT(),
	};
	vm = load(sx, ARRAY_SIZE(sx), PLUGLET_VM_INTERP, 0, NULL);
	assert_int_equal(vm->nr_skips, 0);
	pluglet_vm__free(vm);
	assert_int_equal(both(sx, ARRAY_SIZE(sx), &s).r0, UINT64_MAX);
}

static uint8_t buf[16];
static const uint8_t buf_init[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static struct setup one_region(uint32_t perm, struct pluglet_region *r)
{
	*r = (struct pluglet_region){ (uint64_t)(uintptr_t)buf, sizeof(buf), perm, 0 };
	return (struct setup){
		.regions = r, .nr_regions = 1, .r1 = r->start, .r2 = sizeof(buf),
		.mem = buf, .init = buf_init, .mem_len = sizeof(buf),
	};
}

static void expect_fault(const struct outcome *o, enum pluglet_fault_kind kind, uint32_t insn,
			 uint64_t addr, uint32_t size)
{
	assert_int_equal(o->err, -EFAULT);
	assert_int_equal(o->fault.kind, kind);
	assert_int_equal(o->fault.insn, insn);
	assert_int_equal(o->fault.addr, addr);
	assert_int_equal(o->fault.size, size);
}

/* ------------------------------------------------------------------ */

static void test_jit_is_used_and_wx(void **state)
{
	const struct pluglet_insn p[] = { MOV_K(0, 7), EXIT() };
	struct pluglet_vm *vm = load(p, 2, PLUGLET_VM_JIT, 0, NULL);
	char line[512];
	bool found = false;
	FILE *f;

	assert_non_null(vm);
	assert_int_equal(pluglet_vm__mode(vm), JIT_MODE);
	if (!PLUGLET_HAVE_JIT) {
		/* The fallback: a warning, the interpreter, no code. */
		assert_int_equal(pluglet_vm__jit_size(vm), 0);
		pluglet_vm__free(vm);
		return;
	}
	assert_true(pluglet_vm__jit_size(vm) > 0);
	/* The code's mapping is r-x: never writable and executable at once. */
	f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perm[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) != 3)
			continue;
		assert_false(perm[1] == 'w' && perm[2] == 'x');
		if ((uintptr_t)vm->jit_code >= lo && (uintptr_t)vm->jit_code < hi) {
			assert_string_equal(perm, "r-xp");
			found = true;
		}
	}
	fclose(f);
	assert_true(found);
	pluglet_vm__free(vm);
}

static void test_oob_load(void **state)
{
	struct pluglet_region r;
	struct setup s = one_region(PLUGLET_PERM_RW, &r);
	struct outcome o;

	NEED_MEM_CHECKS();
	o = BOTH(&s, LDX(SZ_W, 0, 1, 12), EXIT());	/* last word: fine */
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 0x100f0e0d);
	o = BOTH(&s, MOV_K(0, 0), LDX(SZ_B, 0, 1, -1), EXIT());	/* below */
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 1, r.start - 1, 1);
	o = BOTH(&s, LDX(SZ_DW, 0, 1, 16), EXIT());	/* above */
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 0, r.start + 16, 8);
	o = BOTH(&s, LDX(SZ_W, 0, 1, 13), EXIT());	/* straddling the end */
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 0, r.start + 13, 4);
	o = BOTH(&s, LDX(SZ_H, 0, 1, -1), EXIT());	/* straddling the start */
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 0, r.start - 1, 2);
}

static void test_oob_store(void **state)
{
	struct pluglet_region r;
	struct setup s = one_region(PLUGLET_PERM_RW, &r);
	struct outcome o;

	NEED_MEM_CHECKS();
	o = BOTH(&s, ST(SZ_DW, 1, 8, -1), LDX(SZ_DW, 0, 1, 8), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, UINT64_MAX);
	o = BOTH(&s, MOV_K(2, 1), STX(SZ_H, 1, 2, 15), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_STORE, 1, r.start + 15, 2);
	o = BOTH(&s, ST(SZ_B, 1, -1, 1), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_STORE, 0, r.start - 1, 1);
	o = BOTH(&s, MOV_K(2, 1), ATOMIC(SZ_DW, 1, 2, 12, ALU_ADD), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_STORE, 1, r.start + 12, 8);
	/* Nothing was written next to the region. */
	assert_memory_equal(buf, buf_init, sizeof(buf));
}

static void test_readonly(void **state)
{
	struct pluglet_region r;
	struct setup s = one_region(PLUGLET_PERM_READ, &r);
	struct outcome o;

	NEED_MEM_CHECKS();
	o = BOTH(&s, LDX(SZ_B, 0, 1, 3), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 4);
	o = BOTH(&s, ST(SZ_W, 1, 0, 0), EXIT());
	expect_fault(&o, PLUGLET_FAULT_READONLY, 0, r.start, 4);
	o = BOTH(&s, MOV_K(3, 5), STX(SZ_B, 1, 3, 15), EXIT());
	expect_fault(&o, PLUGLET_FAULT_READONLY, 1, r.start + 15, 1);
	o = BOTH(&s, MOV_K(3, 5), ATOMIC(SZ_W, 1, 3, 0, ALU_ADD | ATOMIC_FETCH), EXIT());
	expect_fault(&o, PLUGLET_FAULT_READONLY, 1, r.start, 4);
	o = BOTH(&s, MOV_K(0, 1), MOV_K(3, 5), ATOMIC(SZ_DW, 1, 3, 8, ATOMIC_CMPXCHG), EXIT());
	expect_fault(&o, PLUGLET_FAULT_READONLY, 2, r.start + 8, 8);
	/* Straddling out of a read-only region is out of bounds, not read-only. */
	o = BOTH(&s, ST(SZ_DW, 1, 12, 0), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_STORE, 0, r.start + 12, 8);
	assert_memory_equal(buf, buf_init, sizeof(buf));
}

static void test_wild_pointers(void **state)
{
	static const uint64_t wild[] = {
		0, 8, 0x1000, 0x7fffffffffffull, 0xffff800000000000ull, 0xfffffffffffffff9ull,
		UINT64_MAX,
	};
	struct setup s = { 0 };
	struct outcome o;
	size_t i;

	NEED_MEM_CHECKS();
	for (i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
		s.r1 = wild[i];
		o = BOTH(&s, LDX(SZ_DW, 0, 1, 0), EXIT());
		expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 0, wild[i], 8);
		o = BOTH(&s, ST(SZ_DW, 1, 0, 0), EXIT());
		expect_fault(&o, PLUGLET_FAULT_OOB_STORE, 0, wild[i], 8);
		o = BOTH(&s, MOV_K(2, 1), ATOMIC(SZ_DW, 1, 2, 0, ALU_XOR | ATOMIC_FETCH), EXIT());
		expect_fault(&o, PLUGLET_FAULT_OOB_STORE, 1, wild[i], 8);
	}
}

static void test_stack(void **state)
{
	struct setup s = { 0 };
	struct outcome o;

	NEED_MEM_CHECKS();
	/* Frame 0 spans [r10 - 512, r10): both ends fine, one past either faults. */
	o = BOTH(&s, ST(SZ_DW, 10, -512, 3), ST(SZ_DW, 10, -8, 4), LDX(SZ_DW, 0, 10, -512),
		 LDX(SZ_DW, 1, 10, -8), ADD_X(0, 1), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 7);
	o = BOTH(&s, LDX(SZ_DW, 0, 10, -513), EXIT());
	assert_int_equal(o.fault.kind, PLUGLET_FAULT_OOB_LOAD);
	o = BOTH(&s, LDX(SZ_W, 0, 10, -2), EXIT());
	assert_int_equal(o.fault.kind, PLUGLET_FAULT_OOB_LOAD);
	assert_int_equal(o.fault.size, 4);
	/* Through a register derived from r10 (checked or proven). */
	o = BOTH(&s, MOV_X(3, 10), ADD_K(3, -16), ST(SZ_DW, 3, 0, 42), ST(SZ_DW, 3, 8, 1),
		 LDX(SZ_DW, 0, 10, -16), LDX(SZ_DW, 1, 10, -8), ADD_X(0, 1), EXIT());
	assert_int_equal(o.r0, 43);
	o = BOTH(&s, MOV_X(3, 10), ADD_K(3, -600), ST(SZ_DW, 3, 0, 42), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_STORE, 2, o.fault.addr, 8);
	/* Unknown after a jump target: checked at run time, same result. */
	o = BOTH(&s, MOV_X(3, 10), JA(0), ST(SZ_DW, 3, -8, 5), LDX(SZ_DW, 0, 3, -8), EXIT());
	assert_int_equal(o.r0, 5);
	/* ... also when its accesses reach below the live frame. */
	o = BOTH(&s, MOV_X(3, 10), JA(0), ST(SZ_DW, 3, -8, 5), LDX(SZ_DW, 0, 3, -520), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 3, o.fault.addr, 8);
	/* The stack starts zeroed. */
	o = BOTH(&s, LDX(SZ_DW, 0, 10, -256), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 0);
}

static void test_frames(void **state)
{
	struct setup s = { 0 };
	struct outcome o;

	NEED_MEM_CHECKS();
	/* A callee may use its caller's frame through r10 + off (live frame). */
	o = BOTH(&s, ST(SZ_DW, 10, -8, 11), CALL_LOCAL(1), EXIT(),
		 LDX(SZ_DW, 0, 10, 504), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 11);
	/* A pointer into the caller's frame passed in r1. */
	o = BOTH(&s, MOV_X(1, 10), ADD_K(1, -8), CALL_LOCAL(2), LDX(SZ_DW, 0, 10, -8), EXIT(),
		 ST(SZ_DW, 1, 0, 77), EXIT());
	assert_int_equal(o.r0, 77);
	/* The callee's frame starts zeroed even after earlier use. */
	o = BOTH(&s, CALL_LOCAL(3), CALL_LOCAL(5), EXIT(), EXIT(),
		 ST(SZ_DW, 10, -8, 9), LDX(SZ_DW, 0, 10, -8), EXIT(),
		 LDX(SZ_DW, 0, 10, -8), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 0);
	/* A frame below the current one is dead: out of bounds. */
	o = BOTH(&s, LDX(SZ_DW, 0, 10, -520), EXIT());
	assert_int_equal(o.fault.kind, PLUGLET_FAULT_OOB_LOAD);
	o = BOTH(&s, CALL_LOCAL(1), EXIT(), MOV_X(2, 10), ADD_K(2, -1024), LDX(SZ_B, 0, 2, 0), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 4, o.fault.addr, 1);
	/* Above the top of frame 0. */
	o = BOTH(&s, CALL_LOCAL(1), EXIT(), LDX(SZ_DW, 0, 10, 512), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 2, o.fault.addr, 8);
	/* Helpers see every live frame (ex->stack_lo_ follows the depth). */
	o = BOTH(&s, MOV_X(6, 10), CALL_LOCAL(1), EXIT(),
		 MOV_X(1, 6), ADD_K(1, -8), MOV_K(2, 8), CALL(H_CHECK), EXIT());
	assert_int_equal(o.r0, 1);
	o = BOTH(&s, MOV_X(6, 10), CALL_LOCAL(1), EXIT(),
		 MOV_X(1, 10), ADD_K(1, -520), MOV_K(2, 8), CALL(H_CHECK), EXIT());
	assert_int_equal(o.r0, 0);
}

static void test_stack_overflow(void **state)
{
	struct setup s = { 0 };
	struct outcome o;

	/* Endless recursion: the 9th nested call faults, at the call. */
	o = BOTH(&s, MOV_K(0, 0), ADD_K(0, 1), CALL_LOCAL(-2), EXIT());
	expect_fault(&o, PLUGLET_FAULT_STACK_OVERFLOW, 2, o.fault.addr, 0);
	/* Exactly PLUGLET_MAX_CALL_DEPTH nested calls are fine. */
	o = BOTH(&s, MOV_K(0, 0), MOV_K(6, PLUGLET_MAX_CALL_DEPTH),
		 /* 2: f */ JNE_K(6, 0, 1), EXIT(), ADD_K(6, -1), ADD_K(0, 1), CALL_LOCAL(-5), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, PLUGLET_MAX_CALL_DEPTH);
	o = BOTH(&s, MOV_K(0, 0), MOV_K(6, PLUGLET_MAX_CALL_DEPTH + 1),
		 JNE_K(6, 0, 1), EXIT(), ADD_K(6, -1), ADD_K(0, 1), CALL_LOCAL(-5), EXIT());
	expect_fault(&o, PLUGLET_FAULT_STACK_OVERFLOW, 6, o.fault.addr, 0);
}

static void test_budget(void **state)
{
	struct setup s = { .budget = 100 };
	struct outcome o;

	/* Endless loop: faults at the back-edge, after exactly budget+1 insns. */
	o = BOTH(&s, MOV_K(0, 0), ADD_K(0, 1), JA(-2), EXIT());
	expect_fault(&o, PLUGLET_FAULT_BUDGET, 2, 100, 0);
	assert_int_equal(o.executed, 101);
	/* Conditional back-edge with a diamond in the body. */
	o = BOTH(&s, MOV_K(0, 0), MOV_K(1, 0),
		 /* 2 */ ADD_K(1, 1), JNE_K(1, 3, 1), ADD_K(0, 5), ADD_K(0, 1), JLT_K(0, 1000000, -5),
		 EXIT());
	assert_int_equal(o.fault.kind, PLUGLET_FAULT_BUDGET);
	assert_int_equal(o.fault.insn, 6);
	/* A loop that ends in time does not fault; counts agree. */
	o = BOTH(&s, MOV_K(0, 0), ADD_K(0, 1), JLT_K(0, 20, -2), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 20);
	assert_int_equal(o.executed, 42);
	/* Recursion through calls is counted at each call. */
	s.budget = 5;
	o = BOTH(&s, MOV_K(0, 0), CALL_LOCAL(1), EXIT(), ADD_K(0, 1), CALL_LOCAL(1), EXIT(),
		 ADD_K(0, 1), CALL_LOCAL(1), EXIT(), EXIT());
	expect_fault(&o, PLUGLET_FAULT_BUDGET, 7, 5, 0);
	/* Helper calls are check points too. */
	s.budget = 3;
	o = BOTH(&s, MOV_K(1, 1), MOV_K(2, 1), CALL(H_SUM), CALL(H_SUM), EXIT());
	expect_fault(&o, PLUGLET_FAULT_BUDGET, 3, 3, 0);
}

static void test_helpers(void **state)
{
	struct setup s = { 0 };
	struct outcome o;

	/* r1..r5 reach the helper in order and survive the call. */
	o = BOTH(&s, MOV_K(1, 1), MOV_K(2, 10), MOV_K(3, 100), MOV_K(4, 1000), MOV_K(5, 10000),
		 CALL(H_SUM), ADD_X(0, 1), ADD_X(0, 5), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 1 + 20 + 300 + 4000 + 50000 + 1 + 10000);
	/* Unknown helper: refused at load in both modes. */
	o = BOTH(&s, CALL(9), EXIT());
	assert_int_equal(o.load_errno, EINVAL);
	/* A helper that stops the run on purpose: r0 is its value. */
	o = BOTH(&s, MOV_K(1, 1234), CALL(H_ABORT), MOV_K(0, 0), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 1234);
	assert_int_equal(o.fault.kind, PLUGLET_FAULT_ABORTED);
	assert_int_equal(o.fault.insn, 1);
	o = BOTH(&s, MOV_K(6, 2), CALL_LOCAL(1), EXIT(), CALLX(6), EXIT());
	assert_int_equal(o.fault.kind, PLUGLET_FAULT_ABORTED);
	assert_int_equal(o.fault.insn, 3);
	assert_int_equal(o.fault.addr, H_ABORT);
	o = BOTH(&s, CALL(H_MISUSE), EXIT());
	expect_fault(&o, PLUGLET_FAULT_HELPER, 0, H_MISUSE, 0);
}

static void test_callx(void **state)
{
	struct setup s = { 0 };
	struct outcome o;

	o = BOTH(&s, MOV_K(1, 2), MOV_K(2, 3), MOV_K(7, H_SUM), CALLX(7), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 8);
	o = BOTH(&s, MOV_K(2, 300), CALLX(2), EXIT());
	expect_fault(&o, PLUGLET_FAULT_BAD_CALLX, 1, 300, 0);
	o = BOTH(&s, MOV_K(0, 7), CALLX(0), EXIT());
	expect_fault(&o, PLUGLET_FAULT_BAD_CALLX, 1, 7, 0);
	o = BOTH(&s, MOV_K(3, -1), CALLX(3), EXIT());
	expect_fault(&o, PLUGLET_FAULT_BAD_CALLX, 1, UINT64_MAX, 0);
	o = BOTH(&s, MOV_K(3, 256 + H_SUM), CALLX(3), EXIT());
	expect_fault(&o, PLUGLET_FAULT_BAD_CALLX, 1, 256 + H_SUM, 0);
}

/*
 * Several accesses through one pointer in a straight line are checked as a
 * whole in the JIT; when that hull check fails, each access is checked on
 * its own, so the fault and the stores before it are the interpreter's.
 */
static void test_segments(void **state)
{
	static uint64_t two[4] __attribute__((aligned(16)));
	struct pluglet_region r;
	struct setup s = one_region(PLUGLET_PERM_RW, &r);
	struct pluglet_region adj[2] = {
		{ (uint64_t)(uintptr_t)&two[0], 16, PLUGLET_PERM_RW, 0 },
		{ (uint64_t)(uintptr_t)&two[2], 16, PLUGLET_PERM_RW, 0 },
	};
	struct outcome o;

	NEED_MEM_CHECKS();
	/* Fits: three accesses, one hull. */
	o = BOTH(&s, ST(SZ_DW, 1, 0, 5), LDX(SZ_DW, 0, 1, 0), LDX(SZ_W, 2, 1, 12), ADD_X(0, 2),
		 EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 5 + 0x100f0e0d);
	/* The hull leaves the region at the third access: the first two ran. */
	o = BOTH(&s, ST(SZ_B, 1, 0, 0x55), ST(SZ_B, 1, 15, 0x66), LDX(SZ_DW, 0, 1, 9), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 2, r.start + 9, 8);
	assert_int_equal(buf[0], 0x55);
	assert_int_equal(buf[15], 0x66);
	/* Below the start, after a store inside. */
	o = BOTH(&s, ST(SZ_W, 1, 4, 7), MOV_K(3, 1), STX(SZ_DW, 1, 3, -2), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_STORE, 2, r.start - 2, 8);
	assert_int_equal(buf[4], 7);
	/* Read-only region, loads then a store. */
	s = one_region(PLUGLET_PERM_READ, &r);
	o = BOTH(&s, LDX(SZ_B, 0, 1, 0), LDX(SZ_B, 2, 1, 1), ST(SZ_B, 1, 2, 9), EXIT());
	expect_fault(&o, PLUGLET_FAULT_READONLY, 2, r.start + 2, 1);
	/* The hull spans two adjacent regions: every access is fine on its own. */
	s = (struct setup){ .regions = adj, .nr_regions = 2, .r1 = adj[1].start };
	o = BOTH(&s, ST(SZ_DW, 1, -8, 3), ST(SZ_DW, 1, 0, 4), LDX(SZ_DW, 0, 1, -8),
		 LDX(SZ_DW, 2, 1, 0), ADD_X(0, 2), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 7);
	/* A straddling access inside the hull still faults there. */
	o = BOTH(&s, ST(SZ_DW, 1, -16, 1), ST(SZ_DW, 1, -4, 2), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_STORE, 1, adj[1].start - 4, 8);
	/* The base changes inside the run: the segment ends there. */
	o = BOTH(&s, LDX(SZ_DW, 0, 1, 0), ADD_K(1, 8), LDX(SZ_DW, 2, 1, 0), ADD_X(0, 2), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 4);
	o = BOTH(&s, LDX(SZ_DW, 0, 1, 0), ADD_K(1, 16), LDX(SZ_DW, 2, 1, 0), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 2, adj[1].start + 16, 8);
	/* A wrapping hull (base near the top of the address space). */
	s.r1 = UINT64_MAX - 3;
	o = BOTH(&s, LDX(SZ_B, 0, 1, 0), LDX(SZ_B, 2, 1, 8), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 0, UINT64_MAX - 3, 1);
}

/*
 * Loops checked once at entry (vm/jit_loops.c): the analysis finds the
 * loop, the JIT runs its unchecked copy when the whole range fits the
 * first region, and in every other case the checked body, which faults at
 * the same instruction after the same stores as the interpreter.
 */
#define LOOP_MEM 256
static uint8_t lbuf[LOOP_MEM], lbuf_init[LOOP_MEM];

static struct setup loop_setup(struct pluglet_region *r, uint32_t perm, uint64_t n)
{
	for (int i = 0; i < LOOP_MEM; i++)
		lbuf_init[i] = (uint8_t)(i * 7 + 1);
	*r = (struct pluglet_region){ (uint64_t)(uintptr_t)lbuf, LOOP_MEM, perm, 0 };
	return (struct setup){
		.regions = r, .nr_regions = 1, .r1 = r->start, .r2 = n, .budget = 1 << 20,
		.mem = lbuf, .init = lbuf_init, .mem_len = LOOP_MEM,
	};
}

#define JGT_X(d, s, o)	INSN(CLS_JMP | JMP_JGT | SRC_X, d, s, o, 0)
#define JLE_K(d, i, o)	INSN(CLS_JMP | JMP_JLE | SRC_K, d, 0, o, i)

/* What the JIT's loop copies did to a program (the counters of vm_internal.h). */
struct jit_counts {
	uint32_t folds, counted, threads, cmp_mems, latch_copies, line_pads;
};

static struct jit_counts jit_counts(const struct pluglet_insn *p, uint32_t n)
{
	struct pluglet_vm *vm = load(p, n, PLUGLET_VM_JIT, 1 << 20, NULL);
	struct jit_counts c;

	assert_non_null(vm);
	c = (struct jit_counts){
		.folds = vm->nr_folds, .counted = vm->nr_counted, .threads = vm->nr_threads,
		.cmp_mems = vm->nr_cmp_mems, .latch_copies = vm->nr_latch_copies,
		.line_pads = vm->nr_line_pads,
	};
	pluglet_vm__free(vm);
	return c;
}

/* Byte copy of r2 bytes from r1 to r1 + 128, as clang writes it. */
static const struct pluglet_insn loop_copy[] = {
	MOV_X(3, 2), MOV_K(4, 0), MOV_X(5, 1), ADD_K(5, 128),
	/* 4 */ MOV_X(6, 1), ADD_X(6, 4), LDX(SZ_B, 0, 6, 0), MOV_X(7, 5), ADD_X(7, 4),
	STX(SZ_B, 7, 0, 0), ADD_K(4, 1), JGT_X(3, 4, -8),
	MOV_X(0, 4), EXIT(),
};

static void test_loop_analysis(void **state)
{
	uint8_t flags[ARRAY_SIZE(loop_copy)] = { 0 }, proven[ARRAY_SIZE(loop_copy)] = { 0 };
	uint8_t every[ARRAY_SIZE(loop_copy)] = { 0 };
	uint32_t member[ARRAY_SIZE(loop_copy)] = { 0 };
	struct jit_loop *l = NULL;
	uint32_t n = 0;

	flags[4] = JF_TARGET;
	assert_int_equal(jit_loops_find(loop_copy, ARRAY_SIZE(loop_copy), flags, &l, &n, proven,
					member, every), 0);
	assert_int_equal(n, 1);
	assert_int_equal(l[0].head, 4);
	assert_int_equal(l[0].back, 11);
	assert_int_equal(l[0].nr_groups, 2);
	assert_true(proven[6] && proven[9]);
	assert_int_equal(member[3], 0);
	assert_int_equal(member[4], 1);
	assert_int_equal(member[11], 1);
	assert_int_equal(member[12], 0);
	free(l);
}

static void test_loop_checks(void **state)
{
	struct pluglet_region r, two[2];
	struct setup s = loop_setup(&r, PLUGLET_PERM_RW, 100);
	struct outcome o;

	NEED_MEM_CHECKS();
	/* In range: the copy runs and copies. */
	o = both(loop_copy, ARRAY_SIZE(loop_copy), &s);
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 100);
	assert_memory_equal(lbuf + 128, lbuf_init, 100);
	/* One byte too many: the 129th store faults, the 128 before it landed. */
	s.r2 = 129;
	o = both(loop_copy, ARRAY_SIZE(loop_copy), &s);
	expect_fault(&o, PLUGLET_FAULT_OOB_STORE, 9, r.start + 256, 1);
	assert_memory_equal(lbuf + 128, lbuf_init, 128);
	/* Out of budget inside a loop the entry check passed. */
	s.r2 = 100;
	s.budget = 500;
	o = both(loop_copy, ARRAY_SIZE(loop_copy), &s);
	assert_int_equal(o.fault.kind, PLUGLET_FAULT_BUDGET);
	assert_int_equal(o.fault.insn, 11);
	s.budget = 1 << 20;
	/* The bytes to copy are read-only: the store is the fault. */
	s = loop_setup(&r, PLUGLET_PERM_READ, 100);
	o = both(loop_copy, ARRAY_SIZE(loop_copy), &s);
	expect_fault(&o, PLUGLET_FAULT_READONLY, 9, r.start + 128, 1);
	/* Two regions: source in the second one (not the first of the table). */
	two[0] = (struct pluglet_region){ (uint64_t)(uintptr_t)buf, sizeof(buf), PLUGLET_PERM_RW, 0 };
	two[1] = (struct pluglet_region){ (uint64_t)(uintptr_t)lbuf, LOOP_MEM, PLUGLET_PERM_RW, 0 };
	s = loop_setup(&r, PLUGLET_PERM_RW, 100);
	s.regions = two;
	s.nr_regions = 2;
	o = both(loop_copy, ARRAY_SIZE(loop_copy), &s);
	assert_int_equal(o.err, 0);
	assert_memory_equal(lbuf + 128, lbuf_init, 100);
	/* Near the top of the address space: the hull would wrap. */
	s = loop_setup(&r, PLUGLET_PERM_RW, 100);
	s.r1 = UINT64_MAX - 60;
	o = both(loop_copy, ARRAY_SIZE(loop_copy), &s);
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 6, UINT64_MAX - 60, 1);
}

/*
 * Lea pairs folded into the accesses of a loop copy (find_folds() in
 * vm/jit_x86_64.c): memcpy's two go; a sum read again later, a sum whose
 * inputs change before its access, and a sum a local function leaves for
 * its caller stay, and every variant computes what the interpreter does.
 */
static void test_loop_folds(void **state)
{
	struct pluglet_region r;
	struct setup s = loop_setup(&r, PLUGLET_PERM_RW, 100);
	struct outcome o;

	NEED_MEM_CHECKS();
	assert_int_equal(jit_counts(loop_copy, ARRAY_SIZE(loop_copy)).folds, 2);
	o = both(loop_copy, ARRAY_SIZE(loop_copy), &s);
	assert_int_equal(o.r0, 100);
	assert_memory_equal(lbuf + 128, lbuf_init, 100);

	/* r6 (the load's address) is read after the loop: only the store folds. */
	const struct pluglet_insn live_after[] = {
		MOV_X(3, 2), MOV_K(4, 0), MOV_X(5, 1), ADD_K(5, 128),
		/* 4 */ MOV_X(6, 1), ADD_X(6, 4), LDX(SZ_B, 0, 6, 0), MOV_X(7, 5), ADD_X(7, 4),
		STX(SZ_B, 7, 0, 0), ADD_K(4, 1), JGT_X(3, 4, -8),
		MOV_X(0, 6), EXIT(),
	};
	assert_int_equal(jit_counts(live_after, ARRAY_SIZE(live_after)).folds, 1);
	o = both(live_after, ARRAY_SIZE(live_after), &s);
	assert_int_equal(o.r0, r.start + 99);

	/* The index moves between the sum and its load: the lea stays. */
	const struct pluglet_insn moved[] = {
		MOV_K(0, 0), MOV_K(4, 0),
		/* 2 */ MOV_X(6, 1), ADD_X(6, 4), ADD_K(4, 1), LDX(SZ_B, 7, 6, 0), ADD_X(0, 7),
		JGT_X(2, 4, -6), EXIT(),
	};
	assert_int_equal(jit_counts(moved, ARRAY_SIZE(moved)).folds, 0);
	o = both(moved, ARRAY_SIZE(moved), &s);
	assert_int_equal(o.err, 0);

	/* A local function's r5 is its caller's after the call: not folded. */
	const struct pluglet_insn callee[] = {
		CALL_LOCAL(2), MOV_X(0, 5), EXIT(),
		/* 3 */ MOV_K(0, 0), MOV_K(4, 0),
		/* 5 */ MOV_X(5, 1), ADD_X(5, 4), LDX(SZ_B, 7, 5, 0), ADD_X(0, 7), ADD_K(4, 1),
		JGT_X(2, 4, -6), EXIT(),
	};
	assert_int_equal(jit_counts(callee, ARRAY_SIZE(callee)).folds, 0);
	o = both(callee, ARRAY_SIZE(callee), &s);
	assert_int_equal(o.r0, r.start + 99);
	/* The same loop in the main program folds (an exit there reads r0 only). */
	assert_int_equal(jit_counts(callee + 3, ARRAY_SIZE(callee) - 3).folds, 1);
	o = both(callee + 3, ARRAY_SIZE(callee) - 3, &s);
	assert_int_equal(o.err, 0);
}

/* Loops whose proof needs a relation checked at entry, a negative stride,
 * an immediate bound: each fits, then leaves the region. */
static void test_loop_shapes(void **state)
{
	struct pluglet_region r;
	struct setup s = loop_setup(&r, PLUGLET_PERM_RW, 250);
	struct outcome o;

	NEED_MEM_CHECKS();
	/* r4 follows r3 (r4 = r3 at the end of each iteration): the proof
	 * assumes r4 == r3 at entry, which the entry check compares. */
	const struct pluglet_insn follow[] = {
		MOV_K(0, 0), MOV_K(3, 0), MOV_K(4, 0), LDX(SZ_DW, 4, 1, 0), AND_K(4, 4095),
		/* 5 */ MOV_X(6, 1), ADD_X(6, 4), LDX(SZ_B, 7, 6, 0), ADD_X(0, 7), ADD_K(3, 1),
		MOV_X(4, 3), JGT_X(2, 3, -7), EXIT(),
	};
	/* r4 starts at the first word & 4095 (0x801): out of range. */
	o = both(follow, ARRAY_SIZE(follow), &s);
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 7, r.start + 0x801, 1);
	s.r2 = 200;
	memset(lbuf_init, 0, 8);
	o = both(follow, ARRAY_SIZE(follow), &s);
	assert_int_equal(o.err, 0);

	/* Backwards from r1 + r2 - 1, r2 bytes, bound by an immediate. */
	const struct pluglet_insn down[] = {
		MOV_K(0, 0), MOV_X(6, 1), ADD_X(6, 2), ADD_K(6, -1), MOV_K(4, 0),
		/* 5 */ LDX(SZ_B, 7, 6, 0), ADD_X(0, 7), ADD_K(6, -1), ADD_K(4, 1), JLE_K(4, 255, -5),
		EXIT(),
	};
	s = loop_setup(&r, PLUGLET_PERM_RW, 256);
	o = both(down, ARRAY_SIZE(down), &s);
	assert_int_equal(o.err, 0);
	s.r2 = 255;	/* 256 bytes from r1 + 254 down: the last is r1 - 1 */
	o = both(down, ARRAY_SIZE(down), &s);
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 5, r.start - 1, 1);

	/* Rotated, as clang lays loops out: entered by a jump to the head (8),
	 * the increment block before it (3-7, its forward jump is the
	 * back-edge), an else block after the exit (14-16) jumping back in.
	 * 16-byte records: add byte 0 if it is odd, else byte 1. */
	const struct pluglet_insn rotated[] = {
		MOV_K(0, 0), MOV_K(4, 0), JA(5),
		/* 3 */ ADD_X(0, 7), ADD_K(1, 16), ADD_K(4, 1), JGT_X(2, 4, 1), EXIT(),
		/* 8 */ LDX(SZ_B, 7, 1, 0), MOV_X(5, 7), AND_K(5, 1), JNE_K(5, 0, 3), JA(1), EXIT(),
		/* 14 */ LDX(SZ_B, 7, 1, 1), JA(-13), EXIT(),
	};
	s = loop_setup(&r, PLUGLET_PERM_RW, 16);
	o = both(rotated, ARRAY_SIZE(rotated), &s);
	assert_int_equal(o.err, 0);
	s.r2 = 17;	/* the 17th record starts past the end */
	o = both(rotated, ARRAY_SIZE(rotated), &s);
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 8, r.start + 256, 1);
	{
		uint8_t flags[ARRAY_SIZE(rotated)] = { [3] = JF_TARGET, [8] = JF_TARGET,
						       [13] = JF_TARGET, [14] = JF_TARGET };
		uint8_t proven[ARRAY_SIZE(rotated)] = { 0 };
		uint8_t every[ARRAY_SIZE(rotated)] = { 0 };
		uint32_t member[ARRAY_SIZE(rotated)] = { 0 }, n = 0;
		struct jit_loop *l = NULL;

		assert_int_equal(jit_loops_find(rotated, ARRAY_SIZE(rotated), flags, &l, &n, proven,
						member, every), 0);
		assert_int_equal(n, 1);
		assert_int_equal(l[0].head, 8);
		assert_true(proven[8] && proven[14] && member[3] && member[15] && !member[7]);
		free(l);
	}
}

/* A pointer spilled to the stack and reloaded every iteration (clang does
 * this under register pressure): a base the entry check reads from the
 * slot, valid because no store of the loop can reach the slot. */
static void test_loop_slots(void **state)
{
	struct pluglet_region r;
	struct setup s = loop_setup(&r, PLUGLET_PERM_RW, 0);
	struct outcome o;

	NEED_MEM_CHECKS();
	for (int c = 0; c < 5; c++) {
		/* c = 1: the spilled pointer is past the end; c = 2: it points
		 * into the frame (stores there are checked); c = 3: a store at
		 * r10 - 8 in the loop (the slot is not tracked); c = 4: it points
		 * 8 bytes below the slot, with a region that holds the whole
		 * address space: the first store overwrites the slot, so the
		 * next iteration's pointer is 0 (the entry check must see that
		 * the region holds the frame). */
		const struct pluglet_insn spill[] = {
			c >= 2 && c != 3 ? MOV_X(7, 10) : MOV_X(7, 1),
			ADD_K(7, c == 1 ? 250 : c == 2 ? -24 : c == 4 ? -16 : 0),
			STX(SZ_DW, 10, 7, -8), MOV_K(3, 0),
			/* 4 */ LDX(SZ_DW, 2, 10, -8), STX(SZ_DW, 2, 3, 8), MOV_X(5, 1), ADD_X(5, 3),
			LDX(SZ_B, 6, 5, 0), c == 3 ? STX(SZ_DW, 10, 6, -8) : MOV_X(4, 6),
			ADD_K(3, 1), JLT_K(3, 100, -8),
			LDX(SZ_DW, 0, 1, 8), EXIT(),
		};

		s = loop_setup(&r, PLUGLET_PERM_RW, 0);
		if (c == 4)
			r = (struct pluglet_region){ 4096, 1ull << 47, PLUGLET_PERM_RW, 0 };
		o = both(spill, ARRAY_SIZE(spill), &s);
		if (c == 1)
			expect_fault(&o, PLUGLET_FAULT_OOB_STORE, 5, r.start + 258, 8);
		else if (c == 0 || c == 2)
			assert_int_equal(o.err, 0);
		else if (c == 3)
			assert_int_equal(o.fault.insn, 5);
		else
			expect_fault(&o, PLUGLET_FAULT_OOB_STORE, 5, 8, 8);
	}
}

/* A loop that spills more counters than there are slots to track, then
 * reloads its bound from a slot it never writes (clang's structfield loop):
 * the slots it stores to are left out first, so the bound is still read
 * once at entry and the copy has no per-iteration limit. */
static void test_loop_slot_bound(void **state)
{
	enum { SPILLS = JIT_LOOP_SLOTS + 1, HEAD = 3 + SPILLS, LOAD = HEAD + 3 * SPILLS + 2,
	       N = LOAD + 6 };
	struct pluglet_insn p[N];
	uint8_t flags[N] = { [HEAD] = JF_TARGET }, proven[N] = { 0 };
	uint8_t every[N] = { 0 };
	uint32_t member[N] = { 0 }, nl = 0, i = 0;
	struct jit_loop *l = NULL;
	struct pluglet_region r;
	struct setup s;
	struct outcome o;

	p[i++] = STX(SZ_DW, 10, 2, -8);
	for (int j = 0; j < SPILLS; j++)
		p[i++] = ST(SZ_DW, 10, -16 - 8 * j, j);
	p[i++] = MOV_K(3, 0);
	p[i++] = MOV_K(0, 0);
	for (int j = 0; j < SPILLS; j++) {	/* HEAD: the spilled counters */
		p[i++] = LDX(SZ_DW, 9, 10, -16 - 8 * j);
		p[i++] = ADD_K(9, 1);
		p[i++] = STX(SZ_DW, 10, 9, -16 - 8 * j);
	}
	p[i++] = MOV_X(6, 1);
	p[i++] = ADD_X(6, 3);
	p[i++] = LDX(SZ_B, 7, 6, 0);	/* LOAD */
	p[i++] = ADD_X(0, 7);
	p[i++] = ADD_K(3, 1);
	p[i++] = LDX(SZ_DW, 2, 10, -8);
	p[i] = JGT_X(2, 3, (int16_t)(HEAD - (int)i - 1));
	i++;
	p[i++] = EXIT();
	assert_int_equal(i, N);
	assert_int_equal(jit_loops_find(p, N, flags, &l, &nl, proven, member, every), 0);
	assert_int_equal(nl, 1);
	assert_int_equal(l[0].head, HEAD);
	assert_false(l[0].limit);
	assert_int_equal(l[0].bn, JIT_LOOP_SLOT);
	assert_true(proven[LOAD]);
	free(l);

	NEED_MEM_CHECKS();
	s = loop_setup(&r, PLUGLET_PERM_RW, LOOP_MEM);
	o = both(p, N, &s);
	assert_int_equal(o.err, 0);
	/* One byte more than the region: the last load faults. */
	s.r2 = LOOP_MEM + 1;
	o = both(p, N, &s);
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, LOAD, r.start + LOOP_MEM, 1);
	/* The budget stops inside the copy at the same instruction. */
	s.r2 = LOOP_MEM;
	s.budget = 3001;
	o = both(p, N, &s);
	assert_int_equal(o.fault.kind, PLUGLET_FAULT_BUDGET);
}

/* Ifs inside a proven loop: the copy charges each if's jump later, at the
 * next charge point after its join; counts and budget stops must not move. */
static void test_loop_budget(void **state)
{
	static const struct pluglet_insn ifs[] = {
		MOV_K(0, 0), MOV_K(3, 0),
		/* 2 */ MOV_X(5, 1), ADD_X(5, 3), LDX(SZ_B, 6, 5, 0),
		JCC_K(JMP_JGT, 6, 100, 1), ADD_K(0, 1),
		/* 7 */ JCC_K(JMP_JLT, 6, 50, 2), ADD_K(0, 2), INSN(CLS_ALU64 | ALU_XOR | SRC_K, 0, 0, 0, 5),
		/* 10 */ JCC_K(JMP_JEQ, 6, 7, 1), ADD_K(0, 3),
		/* 12 */ ADD_K(3, 1), JLT_K(3, 200, -12), EXIT(),
	};
	struct pluglet_region r;
	struct setup s = loop_setup(&r, PLUGLET_PERM_RW, 0);
	struct outcome o;

	/* A label after the join that another jump reaches: the pending
	 * charge is paid on the way in, not after it. */
	static const struct pluglet_insn cross[] = {
		MOV_K(0, 0), MOV_K(3, 0),
		/* 2 */ MOV_X(5, 1), ADD_X(5, 3), LDX(SZ_B, 6, 5, 0),
		JCC_K(JMP_JGT, 6, 200, 4), JCC_K(JMP_JGT, 6, 100, 1), ADD_K(0, 1),
		/* 8 */ ADD_K(0, 2), ADD_K(0, 4), ADD_K(0, 8),
		/* 11 */ ADD_K(3, 1), JLT_K(3, 200, -11), EXIT(),
	};

	o = both(ifs, ARRAY_SIZE(ifs), &s);	/* both() compares the counts */
	assert_int_equal(o.err, 0);
	o = both(cross, ARRAY_SIZE(cross), &s);
	assert_int_equal(o.err, 0);
	for (uint64_t b = 995; b < 1005; b++) {
		s.budget = b;
		o = both(ifs, ARRAY_SIZE(ifs), &s);
		assert_int_equal(o.fault.kind, PLUGLET_FAULT_BUDGET);
		assert_int_equal(o.fault.insn, 13);
	}
}

/*
 * Counted copies (jit_loop.counted in vm/jit_loops_internal.h): no budget
 * update for what every iteration runs, no check at the back-edge, the
 * count rebuilt from the counter on the way out. For loops with ifs, with
 * exits in the middle, with a counter going down and with a limit instead
 * of a bound, every budget from far too small to enough gives the
 * interpreter's count and the same stop (both() compares them); where the
 * budget is short the entry check sends the run to the checked loop.
 */
static void test_loop_counted(void **state)
{
	/* r2 counts down (the counter), r3 up (the bound). */
	static const struct pluglet_insn down[] = {
		MOV_K(0, 0), MOV_K(3, 0),
		/* 2 */ MOV_X(5, 1), ADD_X(5, 3), LDX(SZ_B, 6, 5, 0), ADD_X(0, 6),
		JCC_K(JMP_JGT, 6, 100, 1), ADD_K(0, 7),
		/* 8 */ ADD_K(2, -2), ADD_K(3, 1), JLT_K(3, 100, -9), ADD_X(0, 2), EXIT(),
	};
	static const struct pluglet_insn ifs[] = {
		MOV_K(0, 0), MOV_K(3, 0),
		/* 2 */ MOV_X(5, 1), ADD_X(5, 3), LDX(SZ_B, 6, 5, 0),
		JCC_K(JMP_JGT, 6, 100, 1), ADD_K(0, 1),
		/* 7 */ JCC_K(JMP_JLT, 6, 50, 2), ADD_K(0, 2), INSN(CLS_ALU64 | ALU_XOR | SRC_K, 0, 0, 0, 5),
		/* 10 */ JCC_K(JMP_JEQ, 6, 7, 1), ADD_K(0, 3),
		/* 12 */ ADD_K(3, 1), JLT_K(3, 200, -12), EXIT(),
	};
	/* strcmp's shape: two exits in the middle, a limit (no bound). */
	static const struct pluglet_insn cmp[] = {
		MOV_K(0, 0), LDX(SZ_B, 3, 1, 0),
		/* 2 */ MOV_X(4, 1), ADD_X(4, 2), LDX(SZ_B, 5, 4, 0),
		INSN(CLS_JMP | JMP_JNE | SRC_X, 3, 5, 4, 0),	/* -> 10 */
		LDX(SZ_B, 3, 1, 1), ADD_K(1, 1), JNE_K(3, 0, -7),
		/* 9 */ EXIT(),
		/* 10 */ MOV_X(0, 1), EXIT(),
	};
	/* A sum kept in a stack slot (r10 - 8: cannot fault); the counter r3
	 * is clobbered before an exit in the middle, where r4 = r3 + 1 tells
	 * the iterations instead (byte 79 of the memory is 42). */
	static const struct pluglet_insn spill[] = {
		MOV_K(3, 0), ST(SZ_DW, 10, -8, 0),
		/* 2 */ MOV_X(5, 1), ADD_X(5, 3), LDX(SZ_B, 6, 5, 0), LDX(SZ_DW, 7, 10, -8),
		ADD_X(7, 6), STX(SZ_DW, 10, 7, -8), MOV_X(4, 3), ADD_K(4, 1),
		/* 10 */ INSN(CLS_ALU64 | ALU_LSH | SRC_K, 3, 0, 0, 32), JCC_K(JMP_JEQ, 6, 42, 2),
		MOV_X(3, 4), JLT_K(3, 100, -12),
		/* 14 */ LDX(SZ_DW, 0, 10, -8), EXIT(),
	};
	struct pluglet_region r;
	struct setup s = loop_setup(&r, PLUGLET_PERM_RW, 100);
	struct outcome o;

	NEED_MEM_CHECKS();
	assert_int_equal(jit_counts(spill, ARRAY_SIZE(spill)).counted, 1);
	assert_int_equal(jit_counts(loop_copy, ARRAY_SIZE(loop_copy)).counted, 1);
	assert_int_equal(jit_counts(down, ARRAY_SIZE(down)).counted, 1);
	assert_int_equal(jit_counts(ifs, ARRAY_SIZE(ifs)).counted, 1);
	assert_int_equal(jit_counts(cmp, ARRAY_SIZE(cmp)).counted, 1);
	for (uint64_t b = 1; b < 2600; b += 3) {
		s = loop_setup(&r, PLUGLET_PERM_RW, 100);
		s.budget = b;
		o = both_or_stop(loop_copy, ARRAY_SIZE(loop_copy), &s);
		o = both_or_stop(down, ARRAY_SIZE(down), &s);
		o = both_or_stop(ifs, ARRAY_SIZE(ifs), &s);
		o = both_or_stop(spill, ARRAY_SIZE(spill), &s);
		/* The strings differ at byte 60 (and end at 127). */
		for (int i = 0; i < 128; i++)
			lbuf_init[i] = lbuf_init[i + 128] = (uint8_t)(i == 127 ? 0 : 1 + i);
		lbuf_init[128 + 60]++;
		s.r2 = 128;
		o = both_or_stop(cmp, ARRAY_SIZE(cmp), &s);
		if (b > 2000)
			assert_int_equal(o.r0, r.start + 60);
	}
	s = loop_setup(&r, PLUGLET_PERM_RW, 100);
	o = both(ifs, ARRAY_SIZE(ifs), &s);
	assert_int_equal(o.err, 0);
}

/*
 * Repeated tests in counted copies (find_threads() in vm/jit_x86_64.c):
 * log2's shape (`if v > c goto +1; r0 += k; if v > c goto +1; v >>= s`)
 * leaves out the second test; a test whose register changes in between,
 * or one another jump reaches, stays. Results and counts as the
 * interpreter's for every budget.
 */
static void test_loop_threads(void **state)
{
	static const struct pluglet_insn halves[] = {
		MOV_K(0, 0), MOV_K(3, 0),
		/* 2 */ MOV_X(5, 1), ADD_X(5, 3), LDX(SZ_B, 6, 5, 0), MOV_K(7, 15),
		/* 6 */ INSN(CLS_JMP | JMP_JGT | SRC_X, 7, 6, 1, 0), ADD_K(0, 4),
		/* 8 */ INSN(CLS_JMP | JMP_JGT | SRC_X, 7, 6, 1, 0),
		INSN(CLS_ALU64 | ALU_RSH | SRC_K, 6, 0, 0, 4),
		/* 10 */ JCC_K(JMP_JEQ, 6, 0, 1), ADD_K(0, 1),
		/* 12 */ JCC_K(JMP_JEQ, 6, 0, 1), ADD_X(0, 6),
		/* 14 */ ADD_K(3, 1), JLT_K(3, 100, -14), EXIT(),
	};
	/* The tested register changes between the two tests: both stay. */
	static const struct pluglet_insn changed[] = {
		MOV_K(0, 0), MOV_K(3, 0),
		/* 2 */ MOV_X(5, 1), ADD_X(5, 3), LDX(SZ_B, 6, 5, 0),
		/* 5 */ JCC_K(JMP_JGT, 6, 15, 1), INSN(CLS_ALU64 | ALU_RSH | SRC_K, 6, 0, 0, 4),
		/* 7 */ JCC_K(JMP_JGT, 6, 15, 1), ADD_K(0, 1),
		/* 9 */ ADD_X(0, 6), ADD_K(3, 1), JLT_K(3, 100, -10), EXIT(),
	};
	/* The pair on a path not every iteration takes: the second test is
	 * charged by the first one's jump on both ways. */
	static const struct pluglet_insn nested[] = {
		MOV_K(0, 0), MOV_K(3, 0),
		/* 2 */ MOV_X(5, 1), ADD_X(5, 3), LDX(SZ_B, 6, 5, 0), MOV_K(7, 15),
		/* 6 */ JCC_K(JMP_JLT, 6, 8, 4),
		/* 7 */ INSN(CLS_JMP | JMP_JGT | SRC_X, 7, 6, 1, 0), ADD_K(0, 4),
		/* 9 */ INSN(CLS_JMP | JMP_JGT | SRC_X, 7, 6, 1, 0),
		INSN(CLS_ALU64 | ALU_RSH | SRC_K, 6, 0, 0, 4),
		/* 11 */ ADD_X(0, 6), ADD_K(3, 1), JLT_K(3, 100, -12), EXIT(),
	};
	struct pluglet_region r;
	struct setup s = loop_setup(&r, PLUGLET_PERM_RW, 100);
	struct jit_counts c;
	struct outcome o;

	NEED_MEM_CHECKS();
	c = jit_counts(nested, ARRAY_SIZE(nested));
	assert_int_equal(c.counted, 1);
	assert_int_equal(c.threads, 1);
	c = jit_counts(halves, ARRAY_SIZE(halves));
	assert_int_equal(c.counted, 1);
	assert_int_equal(c.threads, 2);
	c = jit_counts(changed, ARRAY_SIZE(changed));
	assert_int_equal(c.counted, 1);
	assert_int_equal(c.threads, 0);
	for (uint64_t b = 1; b < 2400; b += 5) {
		s = loop_setup(&r, PLUGLET_PERM_RW, 100);
		s.budget = b;
		o = both_or_stop(halves, ARRAY_SIZE(halves), &s);
		o = both_or_stop(changed, ARRAY_SIZE(changed), &s);
		o = both_or_stop(nested, ARRAY_SIZE(nested), &s);
	}
	s = loop_setup(&r, PLUGLET_PERM_RW, 100);
	o = both(halves, ARRAY_SIZE(halves), &s);
	assert_int_equal(o.err, 0);
}

/*
 * Loads fused into their test in loop copies (find_cmp_mems() in
 * vm/jit_x86_64.c) and the copies' line layout (copy_head_shift()). A loop
 * over 32 records of 8 bytes shaped like structarray (`if (e->proto == 6
 * && (e->flags & 1)) ... else if (e->port == 53) ...`, the else after the
 * loop's exit) fuses its three tests; a loop of tests at the edges of what
 * a narrow compare can say fuses only those that give the register test's
 * answer: a byte against 257, a word against -1 in 64 bits, a JGT and a
 * register read again after its test stay as they are. Every variant gives
 * the interpreter's result, count and stop for every budget; some variant
 * of the record loop gets a block moved to a new line.
 */
#define JSET_K(d, i, o)	INSN(CLS_JMP | JMP_JSET | SRC_K, d, 0, o, i)
#define JEQ32_K(d, i, o) INSN(CLS_JMP32 | JMP_JEQ | SRC_K, d, 0, o, i)

static void records_init(void)
{
	for (int k = 0; k < 32; k++) {
		uint8_t *e = lbuf_init + 8 * k;
		uint16_t proto = k % 3 ? 17 : 6, port = k % 4 ? 53 : 80;
		uint32_t w = k % 5 == 1 ? 0xffffffffu : (uint32_t)(k * 1000);

		e[0] = (uint8_t)(k & 1 ? 0x81 : 0x40);	/* flags */
		e[1] = (uint8_t)(k * 9);		/* ttl */
		memcpy(e + 2, k % 7 == 3 ? &(uint16_t){ 1 } : &proto, 2);
		memcpy(e + 4, &w, 4);
		memcpy(e + 6, &port, 2);
		if (k % 8 == 5)
			memset(e, 0xff, 8);
		if (k % 8 == 6)
			memset(e, 0xff, 4);	/* the low half of 64 bits only */
		if (k == 10)
			e[0] = 1;		/* 257 as a byte */
	}
}

static void test_loop_cmp_mems(void **state)
{
	/* r1 walks the records, r4 counts them. */
	static const struct pluglet_insn head[] = {
		MOV_K(0, 0), MOV_K(4, 0),
		/* 2 */ LDX(SZ_H, 5, 1, 2), JNE_K(5, 6, 9),		/* -> 13 */
		LDX(SZ_B, 5, 1, 0), AND_K(5, 1), JCC_K(JMP_JEQ, 5, 0, 6),	/* -> 13 */
	}, tail[] = {
		/* 7 */ LDX(SZ_W, 5, 1, 4), ADD_X(0, 5),
		/* 9 */ ADD_K(1, 8), ADD_K(4, 1), JLT_K(4, 32, -10), EXIT(),
		/* 13 */ LDX(SZ_H, 5, 1, 6), JNE_K(5, 53, -6),		/* -> 9 */
		LDX(SZ_B, 5, 1, 1), ADD_X(0, 5), JA(-9),		/* -> 9 */
	};
	static const struct pluglet_insn edges[] = {
		MOV_K(0, 0), MOV_K(4, 0),
		/* 2: 257 is no byte: never equal, not fused */
		LDX(SZ_B, 5, 1, 0), JCC_K(JMP_JEQ, 5, 257, 1), ADD_K(0, 1),
		/* 5: a word is never -1 in 64 bits: not fused */
		LDX(SZ_W, 5, 1, 4), JCC_K(JMP_JNE, 5, -1, 1), ADD_K(0, 2),
		/* 8: but it is in 32: fused */
		LDX(SZ_W, 5, 1, 4), JEQ32_K(5, -1, 1), ADD_K(0, 4),
		/* 11: 64 bits against -1: fused */
		LDX(SZ_DW, 5, 1, 0), JCC_K(JMP_JEQ, 5, -1, 1), ADD_K(0, 8),
		/* 14: the low 32 bits of 64: fused */
		LDX(SZ_DW, 5, 1, 0), JEQ32_K(5, -1, 1), ADD_K(0, 16),
		/* 17: bits above 16 of the mask test nothing: fused */
		LDX(SZ_H, 5, 1, 2), JSET_K(5, 0x10001, 1), ADD_K(0, 32),
		/* 20: an AND whose mask has a bit above the byte: fused */
		LDX(SZ_B, 5, 1, 0), AND_K(5, 0x180), JCC_K(JMP_JNE, 5, 0, 1), ADD_K(0, 64),
		/* 24: an order test: not fused */
		LDX(SZ_B, 5, 1, 1), JCC_K(JMP_JGT, 5, 100, 1), ADD_K(0, 128),
		/* 27: r6 read after its test: not fused */
		LDX(SZ_B, 6, 1, 1), JCC_K(JMP_JEQ, 6, 9, 1), ADD_X(0, 6),
		/* 30: a u16 against 0xffff: fused */
		LDX(SZ_H, 5, 1, 6), JCC_K(JMP_JNE, 5, 0xffff, 1), ADD_K(0, 256),
		/* 33: an AND, then a test against 9: not fused */
		LDX(SZ_B, 5, 1, 1), AND_K(5, 0xf), JCC_K(JMP_JEQ, 5, 9, 1), ADD_X(0, 4),
		/* 37 */ ADD_K(1, 8), ADD_K(4, 1), JLT_K(4, 32, -38), EXIT(),
	};
	struct pluglet_region r;
	struct setup s;
	struct jit_counts c;
	struct outcome o;
	uint32_t pads = 0;

	NEED_MEM_CHECKS();
	records_init();
	c = jit_counts(edges, ARRAY_SIZE(edges));
	assert_int_equal(c.counted, 1);
	assert_int_equal(c.cmp_mems, 6);
	for (uint64_t b = 1; b < 1400; b += 3) {
		s = loop_setup(&r, PLUGLET_PERM_RW, 0);
		records_init();
		s.budget = b;
		o = both_or_stop(edges, ARRAY_SIZE(edges), &s);
	}
	assert_int_equal(o.err, 0);
	assert_int_not_equal(o.r0, 0);
	/* The record loop with 0 to 15 spare instructions (r7 = j) before its
	 * first sum: its blocks land at every offset of their lines. */
	for (int k = 0; k < 16; k++) {
		struct pluglet_insn p[ARRAY_SIZE(head) + 16 + ARRAY_SIZE(tail)];
		uint32_t n = ARRAY_SIZE(head);

		memcpy(p, head, sizeof(head));
		p[3].off += k;
		p[6].off += k;
		for (int j = 0; j < k; j++)
			p[n++] = MOV_K(7, j);
		memcpy(p + n, tail, sizeof(tail));
		p[n + 4].off -= k;
		n += ARRAY_SIZE(tail);
		c = jit_counts(p, n);
		assert_int_equal(c.counted, 1);
		assert_int_equal(c.cmp_mems, 3);
		pads += c.line_pads;
		for (uint64_t b = 1; b < 500; b += k + 1) {
			s = loop_setup(&r, PLUGLET_PERM_RW, 0);
			records_init();
			s.budget = b;
			o = both_or_stop(p, n, &s);
		}
		assert_int_equal(o.err, 0);
	}
	assert_true(pads > 0);
}

/*
 * Latches run in place (copy_latch() in vm/jit_x86_64.c): in a counted
 * copy a goto to the latch (`r3 += 1; if r3 < 100 goto head`) becomes the
 * latch itself; two gotos, two copies. A latch with a load, or one with a
 * test in the middle, stays where it is. Same result, count and stop as
 * the interpreter for every budget.
 */
static void test_loop_latch_copies(void **state)
{
	static const struct pluglet_insn two[] = {
		MOV_K(0, 0), MOV_K(3, 0),
		/* 2 */ MOV_X(5, 1), ADD_X(5, 3), LDX(SZ_B, 6, 5, 0),
		/* 5 */ JCC_K(JMP_JGT, 6, 100, 3), ADD_K(0, 1), ADD_X(0, 6), JA(4),	/* -> 13 */
		/* 9 */ JCC_K(JMP_JLT, 6, 200, 2), ADD_K(0, 2), JA(1),		/* -> 13 */
		/* 12 */ INSN(CLS_ALU64 | ALU_XOR | SRC_K, 0, 0, 0, 5),
		/* 13 */ ADD_K(3, 1), INSN(CLS_JMP | JMP_JLT | SRC_X, 3, 2, -13, 0), EXIT(),
	};
	static const struct pluglet_insn loads[] = {
		MOV_K(0, 0), MOV_K(3, 0),
		/* 2 */ MOV_X(5, 1), ADD_X(5, 3), LDX(SZ_B, 6, 5, 0),
		/* 5 */ JCC_K(JMP_JGT, 6, 100, 2), ADD_K(0, 1), JA(1),		/* -> 9 */
		/* 8 */ ADD_K(0, 2),
		/* 9 */ LDX(SZ_B, 7, 5, 1), ADD_X(0, 7), ADD_K(3, 1), JLT_K(3, 100, -11), EXIT(),
	};
	static const struct pluglet_insn mid[] = {
		MOV_K(0, 0), MOV_K(3, 0),
		/* 2 */ MOV_X(5, 1), ADD_X(5, 3), LDX(SZ_B, 6, 5, 0),
		/* 5 */ JCC_K(JMP_JGT, 6, 100, 2), ADD_K(0, 1), JA(1),		/* -> 9 */
		/* 8 */ ADD_K(0, 2),
		/* 9 */ ADD_K(3, 1), JCC_K(JMP_JEQ, 6, 57, 1), JLT_K(3, 100, -10), EXIT(),
	};
	struct pluglet_region r;
	struct setup s;
	struct jit_counts c;
	struct outcome o;

	NEED_MEM_CHECKS();
	c = jit_counts(two, ARRAY_SIZE(two));
	assert_int_equal(c.counted, 1);
	assert_int_equal(c.latch_copies, 2);
	c = jit_counts(loads, ARRAY_SIZE(loads));
	assert_int_equal(c.counted, 1);
	assert_int_equal(c.latch_copies, 0);
	assert_int_equal(jit_counts(mid, ARRAY_SIZE(mid)).latch_copies, 0);
	/* r2 iterations: the last one leaves through each of the latches. */
	for (uint64_t n = 1; n <= 40; n++) {
		for (uint64_t b = 1; b < 12 * n; b += 3) {
			s = loop_setup(&r, PLUGLET_PERM_RW, n);
			s.budget = b;
			o = both_or_stop(two, ARRAY_SIZE(two), &s);
		}
		s.budget = 1 << 20;
		o = both(two, ARRAY_SIZE(two), &s);
		assert_int_equal(o.err, 0);
	}
	for (uint64_t b = 1; b < 1500; b += 2) {
		s = loop_setup(&r, PLUGLET_PERM_RW, 100);
		s.budget = b;
		o = both_or_stop(loads, ARRAY_SIZE(loads), &s);
		o = both_or_stop(mid, ARRAY_SIZE(mid), &s);
	}
	s = loop_setup(&r, PLUGLET_PERM_RW, 100);
	o = both(two, ARRAY_SIZE(two), &s);
	assert_int_equal(o.err, 0);
	assert_int_not_equal(o.r0, 0);
}

/*
 * A rotated loop's copy (the test jumps to the next member, its
 * fall-through leaves the loop: the copy inverts it and falls into its
 * target) with 0 to 31 spare instructions before the test, so that the
 * target lands at every offset of its line: the code falls into it, so
 * whatever pads it must run (NOPs, never int3). Byte 73 of the memory is
 * 0: the loop leaves there.
 */
static void test_loop_rotated_layout(void **state)
{
	struct pluglet_region r;
	struct setup s;
	struct outcome o;
	uint32_t pads = 0;

	NEED_MEM_CHECKS();
	for (int k = 0; k < 32; k++) {
		struct pluglet_insn p[12 + 32];
		uint32_t n = 0;

		p[n++] = MOV_K(0, 0);
		p[n++] = MOV_K(3, 0);
		p[n++] = MOV_X(6, 1);	/* 2: head */
		p[n++] = ADD_X(6, 3);
		p[n++] = LDX(SZ_B, 5, 6, 0);
		for (int j = 0; j < k; j++)
			p[n++] = MOV_K(7, j);
		p[n++] = JNE_K(5, 0, 2);			/* -> 8 + k */
		p[n++] = ADD_X(0, 3);
		p[n++] = EXIT();
		p[n++] = ADD_X(0, 5);
		p[n++] = ADD_K(3, 1);
		p[n] = JLT_K(3, 100, (int16_t)(2 - (int)n - 1));
		n++;
		p[n++] = EXIT();
		pads += jit_counts(p, n).line_pads;
		for (uint64_t b = 1; b < 1000; b += 37) {
			s = loop_setup(&r, PLUGLET_PERM_RW, 0);
			s.budget = b;
			o = both_or_stop(p, n, &s);
		}
		s.budget = 1 << 20;
		o = both(p, n, &s);
		assert_int_equal(o.err, 0);
	}
	assert_true(pads > 0);
}

/* Two exit tests per iteration (strcmp's shape): in the copy their charges
 * wait on the fall-through and are paid out of line on the way out; every
 * exit, the end of the loop and every budget stop must count the same. */
static void test_loop_exits(void **state)
{
	static const struct pluglet_insn cmp[] = {
		MOV_K(0, 0), MOV_X(4, 1), ADD_X(4, 2),
		/* 3 */ LDX(SZ_B, 3, 1, 0), LDX(SZ_B, 5, 4, 0),
		INSN(CLS_JMP | JMP_JNE | SRC_X, 3, 5, 5, 0),	/* -> 11 */
		JCC_K(JMP_JEQ, 3, 0, 5),			/* -> 12 */
		ADD_K(1, 1), ADD_K(4, 1), ADD_K(0, 1), JLT_K(0, 100, -8),
		/* 11 */ ADD_K(0, 1000), EXIT(),
	};
	uint8_t flags[ARRAY_SIZE(cmp)] = { [3] = JF_TARGET, [11] = JF_TARGET, [12] = JF_TARGET };
	uint8_t proven[ARRAY_SIZE(cmp)] = { 0 };
	uint8_t every[ARRAY_SIZE(cmp)] = { 0 };
	uint32_t member[ARRAY_SIZE(cmp)] = { 0 }, nl = 0;
	struct jit_loop *l = NULL;
	struct pluglet_region r;
	struct setup s;
	struct outcome o;

	assert_int_equal(jit_loops_find(cmp, ARRAY_SIZE(cmp), flags, &l, &nl, proven, member, every), 0);
	assert_int_equal(nl, 1);
	assert_true(proven[3] && proven[4] && member[5] && member[6] && !member[11]);
	free(l);
	NEED_MEM_CHECKS();
	for (int c = 0; c < 3; c++) {
		/* c = 0: equal to the end; 1: differ at 30; 2: both NUL at 20 */
		s = loop_setup(&r, PLUGLET_PERM_RW, 40);
		memset(lbuf_init, 5, LOOP_MEM);
		if (c == 1)
			lbuf_init[40 + 30] = 6;
		if (c == 2)
			lbuf_init[20] = lbuf_init[40 + 20] = 0;
		o = both(cmp, ARRAY_SIZE(cmp), &s);	/* compares the counts */
		assert_int_equal(o.err, 0);
		assert_int_equal(o.r0, c == 0 ? 1100 : c == 1 ? 1030 : 20);
		for (uint64_t b = 1; b < 40; b++) {
			s.budget = b * 17;
			o = both(cmp, ARRAY_SIZE(cmp), &s);
		}
	}
}

/* An `else if` chain in a proven loop: the copy carries each test's charge
 * into both ways, to the arm's goto or the fall into the join; counts and
 * budget stops must not move. */
static void test_loop_chain(void **state)
{
	static const struct pluglet_insn chain[] = {
		MOV_K(0, 0), MOV_K(3, 0),
		/* 2 */ MOV_X(5, 1), ADD_X(5, 3), LDX(SZ_B, 6, 5, 0),
		JCC_K(JMP_JGT, 6, 100, 2), ADD_K(0, 1), JA(6),
		/* 8 */ JCC_K(JMP_JGT, 6, 200, 3), ADD_K(0, 2),
		INSN(CLS_ALU64 | ALU_XOR | SRC_K, 0, 0, 0, 5), JA(2),
		/* 12 */ ADD_K(0, 4), ADD_K(0, 8),
		/* 14 */ ADD_K(3, 1), JLT_K(3, 200, -14), EXIT(),
	};
	uint8_t flags[ARRAY_SIZE(chain)] = { [2] = JF_TARGET, [8] = JF_TARGET, [12] = JF_TARGET,
					     [14] = JF_TARGET };
	uint8_t proven[ARRAY_SIZE(chain)] = { 0 };
	uint8_t every[ARRAY_SIZE(chain)] = { 0 };
	uint32_t member[ARRAY_SIZE(chain)] = { 0 }, nl = 0;
	struct jit_loop *l = NULL;
	struct pluglet_region r;
	struct setup s = loop_setup(&r, PLUGLET_PERM_RW, 0);
	struct outcome o;

	assert_int_equal(jit_loops_find(chain, ARRAY_SIZE(chain), flags, &l, &nl, proven, member, every),
			 0);
	assert_int_equal(nl, 1);
	assert_true(proven[4] && member[12] && member[14]);
	free(l);
	o = both(chain, ARRAY_SIZE(chain), &s);	/* compares the counts */
	assert_int_equal(o.err, 0);
	for (uint64_t b = 1; b < 60; b++) {
		s.budget = b * 29;
		o = both(chain, ARRAY_SIZE(chain), &s);
		assert_int_equal(o.fault.kind, PLUGLET_FAULT_BUDGET);
	}
}

/* Many loops: the analysis stops after a fixed number (loading stays fast
 * whatever the program), the rest keep their checks and still agree. */
static void test_loop_many(void **state)
{
	enum { LOOPS = 300, PER = 6 };
	static struct pluglet_insn p[LOOPS * PER + 2];
	uint8_t *flags = calloc(ARRAY_SIZE(p), 1), *proven = calloc(ARRAY_SIZE(p), 1);
	uint8_t *every = calloc(ARRAY_SIZE(p), 1);
	uint32_t *member = calloc(ARRAY_SIZE(p), sizeof(*member)), n = 0;
	struct pluglet_region r;
	struct setup s = loop_setup(&r, PLUGLET_PERM_RW, 0);
	struct jit_loop *l = NULL;
	struct outcome o;

	assert_non_null(flags);
	assert_non_null(proven);
	assert_non_null(member);
	p[0] = MOV_K(0, 0);
	for (int k = 0; k < LOOPS; k++) {
		struct pluglet_insn *q = &p[1 + k * PER];

		q[0] = MOV_K(3, 0);
		q[1] = MOV_X(5, 1);	/* head */
		q[2] = ADD_X(5, 3);
		q[3] = LDX(SZ_B, 6, 5, 0);
		q[4] = ADD_K(3, 1);
		q[5] = JLT_K(3, 4, -5);
		flags[1 + k * PER + 1] = JF_TARGET;
	}
	p[LOOPS * PER + 1] = EXIT();
	assert_int_equal(jit_loops_find(p, ARRAY_SIZE(p), flags, &l, &n, proven, member, every), 0);
	assert_true(n > 0 && n < LOOPS);
	free(l);
	o = both(p, ARRAY_SIZE(p), &s);
	assert_int_equal(o.err, 0);
	free(flags);
	free(proven);
	free(every);
	free(member);
}

/* Pairs the JIT emits as one instruction (find_pairs()): same results,
 * also where a jump lands between the two, or the add reads its own
 * destination. */
static void test_pairs(void **state)
{
	struct setup s = { .r1 = 0x123456789abcdef0ull, .r2 = 0xfedcba9876543210ull };
	struct outcome o;

	o = BOTH(&s, MOV_X(0, 1), ADD_X(0, 2), EXIT());
	assert_int_equal(o.r0, s.r1 + s.r2);
	o = BOTH(&s, MOV_X(0, 1), ADD_K(0, -5), EXIT());
	assert_int_equal(o.r0, s.r1 - 5);
	o = BOTH(&s, MOV_X(0, 1), ADD_X(0, 0), EXIT());
	assert_int_equal(o.r0, 2 * s.r1);
	o = BOTH(&s, MOV_X(0, 1), INSN(CLS_ALU64 | ALU_LSH | SRC_K, 0, 0, 0, 32),
		 INSN(CLS_ALU64 | ALU_RSH | SRC_K, 0, 0, 0, 32), EXIT());
	assert_int_equal(o.r0, (uint32_t)s.r1);
	/* A jump to the add: the pair is two instructions there. */
	o = BOTH(&s, MOV_X(0, 2), JNE_K(3, 0, 1), MOV_X(0, 1), ADD_K(0, 7), EXIT());
	assert_int_equal(o.r0, s.r1 + 7);
	o = BOTH(&s, MOV_X(0, 2), MOV_K(3, 1), JNE_K(3, 0, 1), MOV_X(0, 1), ADD_K(0, 7), EXIT());
	assert_int_equal(o.r0, s.r2 + 7);
}

/* A loop the data ends (strcmp): no bound, so the copy runs while its
 * counter stays below the limit the entry check computed, then the
 * checked body goes on from there. */
static void test_loop_limits(void **state)
{
	static const struct pluglet_insn scmp[] = {
		MOV_X(2, 1), ADD_K(2, 128), MOV_K(0, 0),
		/* 3 */ LDX(SZ_B, 3, 1, 0), LDX(SZ_B, 4, 2, 0), INSN(CLS_JMP | JMP_JNE | SRC_X, 3, 4, 3, 0),
		ADD_K(1, 1), ADD_K(2, 1), JNE_K(3, 0, -6),
		/* 9 */ MOV_X(0, 3), INSN(CLS_ALU64 | ALU_SUB | SRC_X, 0, 4, 0, 0), EXIT(),
	};
	struct pluglet_region r;
	struct setup s = loop_setup(&r, PLUGLET_PERM_RW, 0);
	struct outcome o;

	NEED_MEM_CHECKS();
	memset(lbuf_init, 'x', LOOP_MEM);
	lbuf_init[100] = lbuf_init[228] = 0;
	o = both(scmp, ARRAY_SIZE(scmp), &s);
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 0);
	lbuf_init[228] = 'y';
	o = both(scmp, ARRAY_SIZE(scmp), &s);
	assert_int_equal(o.r0, (uint64_t)-(int64_t)'y');
	/* No terminator: the second string runs off the region's end. */
	memset(lbuf_init, 'x', LOOP_MEM);
	o = both(scmp, ARRAY_SIZE(scmp), &s);
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 4, r.start + 256, 1);
	/* Starting past the end: the entry check fails at once. */
	s.r1 = r.start + 200;
	o = both(scmp, ARRAY_SIZE(scmp), &s);
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 4, r.start + 328, 1);

	/* A masked index (hash-table probe): r1 + (i & mask) is in
	 * [r1, r1 + mask] whatever i is; a mask wider than the region falls
	 * back to the checks, and faults at the first index past its end. */
	for (int wide = 0; wide < 2; wide++) {
		const struct pluglet_insn probe[] = {
			MOV_K(3, 0), MOV_K(0, 0),
			/* 2 */ MOV_X(4, 3), AND_K(4, wide ? 511 : 255), MOV_X(5, 1), ADD_X(5, 4),
			LDX(SZ_B, 6, 5, 0), ADD_X(0, 6), ADD_K(3, 7), JNE_K(6, 0, -8), EXIT(),
		};

		s = loop_setup(&r, PLUGLET_PERM_RW, 0);
		o = both(probe, ARRAY_SIZE(probe), &s);
		if (wide)
			expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 6, r.start + 259, 1);
		else
			assert_int_equal(o.err, 0);
	}
}

/* More regions than the inline tables hold: the C path must find them. */
static void test_many_regions(void **state)
{
	enum { N = 40 };
	static uint64_t cells[N][2];
	struct pluglet_region r[N];
	struct setup s = { .regions = r, .nr_regions = N };
	struct outcome o;
	int i;

	NEED_MEM_CHECKS();
	for (i = 0; i < N; i++)
		r[i] = (struct pluglet_region){ (uint64_t)(uintptr_t)cells[i], 8,
						i % 3 ? PLUGLET_PERM_RW : PLUGLET_PERM_READ, 0 };
	for (i = 0; i < N; i++) {
		s.r1 = r[i].start;
		o = BOTH(&s, ST(SZ_DW, 1, 0, 5), LDX(SZ_DW, 0, 1, 0), EXIT());
		if (i % 3)
			assert_int_equal(o.r0, 5);
		else
			expect_fault(&o, PLUGLET_FAULT_READONLY, 0, r[i].start, 8);
		/* The 8 bytes after each cell belong to no region. */
		o = BOTH(&s, LDX(SZ_B, 0, 1, 8), EXIT());
		expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 0, r[i].start + 8, 1);
	}
}

/* Object data regions (.rodata read-only) go through the same checks. */
static void test_data_regions(void **state)
{
	const struct pluglet_insn p[] = {
		INSN(CLS_LD | MODE_IMM | SZ_DW, 1, 0, 0, 0), INSN(0, 0, 0, 0, 0),
		LDX(SZ_W, 0, 1, 4), ST(SZ_W, 1, 0, 1), EXIT(),
	};
	enum pluglet_vm_mode modes[2] = { PLUGLET_VM_INTERP, PLUGLET_VM_JIT };
	struct pluglet_fault f[2];
	int m;

	NEED_MEM_CHECKS();
	for (m = 0; m < 2; m++) {
		struct pluglet_vm_opts o = { .sz = sizeof(o), .mode = modes[m] };
		uint32_t *data = calloc(2, 4);
		struct pluglet_region dr;
		struct pluglet_insn q[5];
		struct pluglet_exec ex = { .sz = sizeof(ex) };
		struct pluglet_vm *vm;
		uint64_t r0;

		assert_non_null(data);
		data[1] = 0xabcd;
		dr = (struct pluglet_region){ (uint64_t)(uintptr_t)data, 8, PLUGLET_PERM_READ, 0 };
		memcpy(q, p, sizeof(q));
		q[0].imm = (int32_t)(uint32_t)dr.start;
		q[1].imm = (int32_t)(uint32_t)(dr.start >> 32);
		vm = vm_load_common(q, 5, data, &dr, 1, &o);
		assert_non_null(vm);
		assert_int_equal(pluglet_vm__mode(vm),
				 modes[m] == PLUGLET_VM_JIT ? JIT_MODE : modes[m]);
		assert_int_equal(pluglet_vm__run(vm, &ex, 0, 0, &r0), -EFAULT);
		f[m] = ex.fault;
		pluglet_vm__free(vm);
	}
	assert_int_equal(f[0].kind, PLUGLET_FAULT_READONLY);
	assert_int_equal(f[1].kind, PLUGLET_FAULT_READONLY);
	assert_int_equal(f[1].insn, 3);
	assert_int_equal(f[1].size, 4);
}

struct thread_arg {
	struct pluglet_vm *vm;
	int ok;
};

static void *thread_run(void *p)
{
	struct thread_arg *a = p;
	uint64_t cell[2];
	struct pluglet_region r = { (uint64_t)(uintptr_t)cell, sizeof(cell), PLUGLET_PERM_RW, 0 };
	int i;

	for (i = 0; i < 2000; i++) {
		struct pluglet_exec ex = { .sz = sizeof(ex), .regions = &r, .nr_regions = 1 };
		uint64_t r0 = 0;

		cell[0] = (uint64_t)i;
		if (pluglet_vm__run(a->vm, &ex, r.start, (uint64_t)i, &r0) || r0 != 3ull * (uint64_t)i)
			return NULL;
	}
	a->ok = 1;
	return NULL;
}

/* The part of frame 0 a run need not zero (vm->frame0_unread), per program. */
static uint32_t frame0_unread(const struct pluglet_insn *p, uint32_t n)
{
	struct pluglet_helpers *h = helpers();
	struct pluglet_vm *vm = load(p, n, PLUGLET_VM_JIT, 0, h);
	uint32_t unread;

	assert_non_null(vm);
	unread = vm->frame0_unread;
	pluglet_vm__free(vm);
	pluglet_helpers__free(h);
	return unread;
}

#define UNREAD(...)                                                         \
	({                                                                  \
		const struct pluglet_insn p_[] = { __VA_ARGS__ };           \
		frame0_unread(p_, sizeof(p_) / sizeof(p_[0]));              \
	})

/* Loads and runs a program with the JIT, returns r0 (always the same frame). */
static __attribute__((noinline)) uint64_t run_jit(const struct pluglet_insn *p, uint32_t n)
{
	struct pluglet_vm *vm = load(p, n, PLUGLET_VM_JIT, 0, NULL);
	struct pluglet_exec ex = { .sz = sizeof(ex) };
	uint64_t r0 = 0;

	assert_non_null(vm);
	assert_int_equal(pluglet_vm__run(vm, &ex, 0, 0, &r0), 0);
	pluglet_vm__free(vm);
	return r0;
}

#define JGT_X(d, s, o)	INSN(CLS_JMP | JMP_JGT | SRC_X, d, s, o, 0)
#define JLT_X(d, s, o)	INSN(CLS_JMP | JMP_JLT | SRC_X, d, s, o, 0)
#define JNE_X(d, s, o)	INSN(CLS_JMP | JMP_JNE | SRC_X, d, s, o, 0)
#define MOVSX(d, s, b)	INSN(CLS_ALU64 | ALU_MOV | SRC_X, d, s, b, 0)

/*
 * The interpreter's superinstructions (pair_up() in vm/interp.c) against
 * the JIT, which has none: same r0, memory, executed count and faults,
 * also when the second of a pair faults or runs out of budget, when the
 * first faults, and where a pair must not form (jump target, movsx).
 */
static void test_superinstructions(void **state)
{
	struct pluglet_region r;
	struct setup s = one_region(PLUGLET_PERM_RW, &r);
	struct outcome o;

	/* buf[8..15] = buf[0..7]: mov+add, ldxb+stxb, addk+jltx (backward) */
	o = BOTH(&s, MOV_K(3, 0), MOV_K(6, 8),
		 MOV_X(4, 1), ADD_X(4, 3), LDX(SZ_B, 5, 4, 0), STX(SZ_B, 4, 5, 8),
		 ADD_K(3, 1), JLT_X(3, 6, -6),
		 LDX(SZ_DW, 0, 1, 8), EXIT());
	assert_int_equal(o.err, 0);
	assert_int_equal(o.r0, 0x0807060504030201ull);
	assert_int_equal(o.executed, 2 + 8 * 6 + 2);
	/* ldxdw+stxdw, then add_x+ldx of every size */
	o = BOTH(&s, LDX(SZ_DW, 2, 1, 0), STX(SZ_DW, 1, 2, 8),
		 MOV_K(7, 9), ADD_X(7, 1), LDX(SZ_B, 0, 7, 0),
		 MOV_K(7, 10), ADD_X(7, 1), LDX(SZ_H, 2, 7, 0), ADD_X(0, 2),
		 MOV_K(7, 12), ADD_X(7, 1), LDX(SZ_W, 2, 7, 0), ADD_X(0, 2),
		 MOV_K(7, 8), ADD_X(7, 1), LDX(SZ_DW, 2, 7, 0), ADD_X(0, 2), EXIT());
	assert_int_equal(o.r0, 2 + 0x0403 + 0x08070605ull + 0x0807060504030201ull);
	/* ALU pairs */
	o = BOTH(&s, MOV_K(2, 5), MOV_X(3, 2), ADD_K(3, 7), ADD_K(3, 1), ADD_K(3, 2),
		 ADD_X(3, 2), MOV_X(4, 3), ADD_K(4, 3), MOV_X(0, 4), ADD_X(0, 3), EXIT());
	assert_int_equal(o.r0, 23 + 20);
	/* movk/addk + jgt/jlt/jne, taken and not */
	o = BOTH(&s, MOV_K(0, 0), MOV_K(2, 3),
		 MOV_K(3, 4), JGT_X(3, 2, 1), ADD_K(0, 100),		/* 4 > 3: taken */
		 MOV_K(3, 2), JGT_X(3, 2, 1), ADD_K(0, 1),		/* 2 > 3: not */
		 MOV_K(3, 2), JLT_X(3, 2, 1), ADD_K(0, 10),		/* 2 < 3: taken */
		 MOV_K(3, 1), JNE_X(3, 2, 1), ADD_K(0, 100),		/* 1 != 3: taken */
		 ADD_K(2, 1), JNE_X(2, 3, 1), ADD_K(0, 1000),		/* 4 != 3: taken */
		 ADD_K(2, -1), JLT_X(2, 3, 1), ADD_K(0, 10000),	/* 3 < 3: not */
		 ADD_K(2, 1), JGT_X(2, 3, 1), ADD_K(0, 100000),	/* 4 > 3: taken */
		 MOV_K(3, 3), JNE_X(3, 2, 1), ADD_K(0, 1000000),	/* 3 != 4: taken */
		 ADD_K(2, -1), JNE_X(2, 3, 1), ADD_K(0, 10000000),	/* 3 != 3: not */
		 EXIT());
	assert_int_equal(o.r0, 1 + 10000 + 10000000);
	/* The second of a pair faults: at its own index. */
	o = BOTH(&s, MOV_K(2, 16), ADD_X(2, 1), LDX(SZ_B, 0, 2, 0), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 2, r.start + 16, 1);
	o = BOTH(&s, LDX(SZ_B, 2, 1, 0), STX(SZ_B, 1, 2, 16), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_STORE, 1, r.start + 16, 1);
	/* The first faults: at its own index, the second never runs. */
	o = BOTH(&s, LDX(SZ_B, 2, 1, 16), STX(SZ_B, 1, 2, 0), EXIT());
	expect_fault(&o, PLUGLET_FAULT_OOB_LOAD, 0, r.start + 16, 1);
	s = one_region(PLUGLET_PERM_READ, &r);
	o = BOTH(&s, LDX(SZ_DW, 2, 1, 0), STX(SZ_DW, 1, 2, 8), EXIT());
	expect_fault(&o, PLUGLET_FAULT_READONLY, 1, r.start + 8, 8);
	/* Out of budget at a fused backward jump: same count and index. */
	s.budget = 50;
	o = BOTH(&s, MOV_K(0, 0), MOV_K(2, 1000), ADD_K(0, 1), JLT_X(0, 2, -2), EXIT());
	assert_int_equal(o.fault.kind, PLUGLET_FAULT_BUDGET);
	assert_int_equal(o.fault.insn, 3);
	s.budget = 0;
	/* No pair where a jump lands on the second, nor with a movsx. */
	o = BOTH(&s, MOV_K(2, 1), MOV_K(3, 2), JA(1), MOV_X(3, 2), ADD_X(3, 2), MOV_X(0, 3), EXIT());
	assert_int_equal(o.r0, 3);
	o = BOTH(&s, MOV_K(2, 0xff), MOVSX(3, 2, 8), ADD_X(3, 2), MOV_X(0, 3), EXIT());
	assert_int_equal(o.r0, 0xfe);
}

static void test_frame0_zeroing(void **state)
{
	int off;

	NEED_MEM_CHECKS();
	if (!PLUGLET_HAVE_JIT) {
		/* The interpreter's shared rule: nothing read, nothing zeroed. */
		assert_int_equal(UNREAD(MOV_K(0, 5), EXIT()), PLUGLET_STACK_SIZE);
		return;
	}
	/* Nothing read: nothing to zero. Stores alone do not need it either. */
	assert_int_equal(UNREAD(MOV_K(0, 5), EXIT()), PLUGLET_STACK_SIZE);
	assert_int_equal(UNREAD(ST(SZ_DW, 10, -512, 1), MOV_K(0, 5), EXIT()), PLUGLET_STACK_SIZE);
	/* Proven loads: zero from the lowest byte read, in 16-byte units. */
	assert_int_equal(UNREAD(LDX(SZ_DW, 0, 10, -8), EXIT()), PLUGLET_STACK_SIZE - 16);
	assert_int_equal(UNREAD(MOV_X(3, 10), ADD_K(3, -40), LDX(SZ_W, 0, 3, 4), EXIT()),
			 PLUGLET_STACK_SIZE - 48);
	assert_int_equal(UNREAD(MOV_K(1, 1), ATOMIC(SZ_DW, 10, 1, -64, ALU_ADD), MOV_K(0, 0), EXIT()),
			 PLUGLET_STACK_SIZE - 64);
	/* Anything that may read frame 0 at an unproven address: all of it. */
	assert_int_equal(UNREAD(MOV_X(3, 10), JA(0), LDX(SZ_DW, 0, 3, -8), EXIT()), 0);
	assert_int_equal(UNREAD(MOV_X(1, 10), ADD_K(1, -8), MOV_K(2, 8), CALL(H_CHECK), EXIT()), 0);
	assert_int_equal(UNREAD(CALL_LOCAL(1), EXIT(), LDX(SZ_DW, 0, 10, 504), EXIT()), 0);
	/*
	 * Unproven loads, helpers and callx while no register ever holds a
	 * copy of r10 cannot reach the stack: only the proven part is zeroed.
	 */
	assert_int_equal(UNREAD(LDX(SZ_DW, 0, 1, 0), EXIT()), PLUGLET_STACK_SIZE);
	assert_int_equal(UNREAD(LDX(SZ_DW, 2, 10, -32), LDX(SZ_DW, 0, 1, 0), EXIT()),
			 PLUGLET_STACK_SIZE - 32);
	assert_int_equal(UNREAD(MOV_K(1, H_SUM), CALLX(1), EXIT()), PLUGLET_STACK_SIZE);

	/*
	 * No leak from an earlier run: fill frame 0 with a program that only
	 * stores (its runs zero nothing), then read it from the same call site
	 * (so at the same address) in the lowest and highest 8 bytes.
	 */
	{
		struct pluglet_insn fill[PLUGLET_STACK_SIZE / 8 + 2];
		const struct pluglet_insn rd[] = {
			LDX(SZ_DW, 0, 10, -512), LDX(SZ_DW, 1, 10, -8), ADD_X(0, 1), EXIT(),
		};
		uint32_t n = 0;

		for (off = -(int)PLUGLET_STACK_SIZE; off < 0; off += 8)
			fill[n++] = ST(SZ_DW, 10, (int16_t)off, -1);
		fill[n++] = MOV_K(0, 7);
		fill[n++] = EXIT();
		assert_int_equal(run_jit(fill, n), 7);
		assert_int_equal(run_jit(rd, 4), 0);
	}
}

static void test_threads(void **state)
{
	/* r0 = mem[0] + 2 * r2, with a stack round trip. */
	const struct pluglet_insn p[] = {
		LDX(SZ_DW, 0, 1, 0), STX(SZ_DW, 10, 2, -8), LDX(SZ_DW, 3, 10, -8), ADD_X(0, 3),
		ADD_X(0, 3), EXIT(),
	};
	struct thread_arg a[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++) {
		a[i].vm = i ? a[0].vm : load(p, 6, PLUGLET_VM_JIT, 0, NULL);
		a[i].ok = 0;
	}
	assert_non_null(a[0].vm);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_run, &a[i]), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_true(a[i].ok);
	}
	pluglet_vm__free(a[0].vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jit_is_used_and_wx),
		cmocka_unit_test(test_oob_load),
		cmocka_unit_test(test_oob_store),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_wild_pointers),
		cmocka_unit_test(test_stack),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_stack_overflow),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_callx),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_loop_analysis),
		cmocka_unit_test(test_loop_checks),
		cmocka_unit_test(test_loop_folds),
		cmocka_unit_test(test_loop_counted),
		cmocka_unit_test(test_loop_threads),
		cmocka_unit_test(test_loop_cmp_mems),
		cmocka_unit_test(test_loop_latch_copies),
		cmocka_unit_test(test_loop_rotated_layout),
		cmocka_unit_test(test_loop_shapes),
		cmocka_unit_test(test_loop_limits),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_loop_slots),
		cmocka_unit_test(test_loop_slot_bound),
		cmocka_unit_test(test_loop_budget),
		cmocka_unit_test(test_loop_exits),
		cmocka_unit_test(test_loop_chain),
		cmocka_unit_test(test_loop_many),
		cmocka_unit_test(test_many_regions),
		cmocka_unit_test(test_data_regions),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_frame0_zeroing),
		cmocka_unit_test(test_superinstructions),
		cmocka_unit_test(test_compare_trees),
		cmocka_unit_test(test_conditional_skips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the VM core: every verifier rejection names the instruction
 * index, every fault kind stops the run with the right kind, index, address
 * and message, helper tables, budget accounting. Fault tests run in the
 * interpreter and, where this build has one, in the JIT (same report).
 * Run: meson test -C build vm-core
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pluglet/vm.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define INSN(c, d, s, o, i) ((struct pluglet_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV64_IMM(d, i)    INSN(0xb7, d, 0, 0, i)
#define MOV64_REG(d, s)    INSN(0xbf, d, s, 0, 0)
#define ADD64_IMM(d, i)    INSN(0x07, d, 0, 0, i)
#define ADD64_REG(d, s)    INSN(0x0f, d, s, 0, 0)
#define LDXW(d, s, o)      INSN(0x61, d, s, o, 0)
#define LDXB(d, s, o)      INSN(0x71, d, s, o, 0)
#define LDXDW(d, s, o)     INSN(0x79, d, s, o, 0)
#define STXW(d, s, o)      INSN(0x63, d, s, o, 0)
#define STXB(d, s, o)      INSN(0x73, d, s, o, 0)
#define STDW(d, o, i)      INSN(0x7a, d, 0, o, i)
#define JA(o)              INSN(0x05, 0, 0, o, 0)
#define JEQ_IMM(d, i, o)   INSN(0x15, d, 0, o, i)
#define CALL_HELPER(id)    INSN(0x85, 0, 0, 0, id)
#define CALL_LOCAL(rel)    INSN(0x85, 0, 1, 0, rel)
#define CALLX(r)           INSN(0x8d, r, 0, 0, 0)
#define LDDW(d, v1, v2)    INSN(0x18, d, 0, 0, v1), INSN(0, 0, 0, 0, v2)
#define EXIT()             INSN(0x95, 0, 0, 0, 0)
#define ATOMIC_DW(d, s, o, op) INSN(0xdb, d, s, o, op)

#define LEN(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

static char logbuf[512];

static struct pluglet_vm *load_mode(const struct pluglet_insn *p, uint32_t n,
				    const struct pluglet_helpers *h, enum pluglet_vm_mode mode,
				    uint32_t max_insns)
{
	struct pluglet_vm_opts o = {
		.sz = sizeof(o), .mode = mode, .helpers = h, .max_insns = max_insns,
		.log_buf = logbuf, .log_size = sizeof(logbuf), .name = "test",
	};

	return pluglet_vm__load(p, n, &o);
}

/* Expects a rejection with errno `err` and a log that contains `want`. */
static void expect_reject(const struct pluglet_insn *p, uint32_t n, const struct pluglet_helpers *h,
			  uint32_t max_insns, int err, const char *want)
{
	struct pluglet_vm *vm;

	errno = 0;
	vm = load_mode(p, n, h, PLUGLET_VM_INTERP, max_insns);
	if (vm)
		fail_msg("program accepted, expected '%s'", want);
	assert_int_equal(errno, err);
	if (!strstr(logbuf, want))
		fail_msg("log '%s' lacks '%s'", logbuf, want);
}

#define REJECT(prog, want) expect_reject(prog, LEN(prog), NULL, 0, EINVAL, want)

/* ---- verifier ---- */

static void verify_unknown_opcode(void **state)
{
	struct pluglet_insn p1[] = { MOV64_IMM(0, 0), INSN(0xff, 0, 0, 0, 0), EXIT() };
	struct pluglet_insn p2[] = { INSN(0x20, 0, 0, 0, 0), EXIT() };	/* legacy LD ABS */
	struct pluglet_insn p3[] = { MOV64_IMM(0, 0), MOV64_IMM(1, 0), INSN(0xdb, 1, 2, 0, 0x33), EXIT() };

	REJECT(p1, "insn 1: unknown opcode 0xff");
	REJECT(p2, "insn 0: unknown opcode 0x20");
	REJECT(p3, "insn 2: unknown atomic operation 0x33");
}

static void verify_bad_register(void **state)
{
	struct pluglet_insn p1[] = { MOV64_IMM(0, 0), MOV64_IMM(11, 1), EXIT() };
	struct pluglet_insn p2[] = { MOV64_IMM(0, 0), MOV64_IMM(1, 0), MOV64_REG(0, 15), EXIT() };

	REJECT(p1, "insn 1: bad register r11");
	REJECT(p2, "insn 2: bad register r15");
}

static void verify_write_r10(void **state)
{
	struct pluglet_insn p1[] = { MOV64_IMM(0, 0), MOV64_IMM(10, 1), EXIT() };
	struct pluglet_insn p2[] = { MOV64_IMM(0, 0), LDXDW(10, 10, -8), EXIT() };
	struct pluglet_insn p3[] = { MOV64_IMM(0, 0), LDDW(10, 1, 2), EXIT() };
	struct pluglet_insn p4[] = { MOV64_IMM(0, 0), MOV64_REG(1, 10), ATOMIC_DW(1, 10, -8, 0x01), EXIT() };

	REJECT(p1, "insn 1: write to r10");
	REJECT(p2, "insn 1: write to r10");
	REJECT(p3, "insn 1: write to r10");
	REJECT(p4, "insn 2: write to r10");
}

static void verify_jump_out_of_range(void **state)
{
	struct pluglet_insn fwd[] = { MOV64_IMM(0, 0), JEQ_IMM(0, 0, 5), EXIT() };
	struct pluglet_insn back[] = { MOV64_IMM(0, 0), JA(-3), EXIT() };
	struct pluglet_insn ja32[] = { MOV64_IMM(0, 0), INSN(0x06, 0, 0, 0, 100), EXIT() };

	REJECT(fwd, "insn 1: jump to 7, outside the program");
	REJECT(back, "insn 1: jump to -1, outside the program");
	REJECT(ja32, "insn 1: jump to 102, outside the program");
}

static void verify_jump_into_lddw(void **state)
{
	struct pluglet_insn p[] = { MOV64_IMM(0, 0), JA(1), LDDW(0, 1, 2), EXIT() };

	REJECT(p, "insn 1: jump to 3, the middle of an lddw");
}

static void verify_local_call(void **state)
{
	struct pluglet_insn out[] = { MOV64_IMM(0, 0), CALL_LOCAL(10), EXIT() };
	struct pluglet_insn neg[] = { MOV64_IMM(0, 0), CALL_LOCAL(-5), EXIT() };
	struct pluglet_insn mid[] = { MOV64_IMM(0, 0), CALL_LOCAL(2), EXIT(), LDDW(0, 1, 2), EXIT() };

	REJECT(out, "insn 1: local call to 12, outside the program");
	REJECT(neg, "insn 1: local call to -3, outside the program");
	REJECT(mid, "insn 1: local call to 4, the middle of an lddw");
}

static uint64_t h_ret_arg(struct pluglet_exec *ex, uint64_t a1, uint64_t a2, uint64_t a3,
			  uint64_t a4, uint64_t a5)
{
	return a1 + a2 + a3 + a4 + a5;
}

static void verify_unknown_helper(void **state)
{
	struct pluglet_helpers *h = pluglet_helpers__new();
	struct pluglet_insn p1[] = { MOV64_IMM(0, 0), CALL_HELPER(7), EXIT() };
	struct pluglet_insn p2[] = { MOV64_IMM(0, 0), CALL_HELPER(3), CALL_HELPER(-1), EXIT() };
	struct pluglet_vm *vm;

	assert_non_null(h);
	assert_int_equal(pluglet_helpers__add(h, 3, "three", h_ret_arg), 0);
	expect_reject(p1, LEN(p1), h, 0, EINVAL, "insn 1: call of unknown helper 7");
	expect_reject(p2, LEN(p2), h, 0, EINVAL, "insn 2: call of unknown helper -1");
	/* Without a table, helper 3 does not exist either. */
	expect_reject(p2, LEN(p2), NULL, 0, EINVAL, "insn 1: call of unknown helper 3");
	p2[2] = EXIT();
	vm = load_mode(p2, LEN(p2), h, PLUGLET_VM_INTERP, 0);
	assert_non_null(vm);
	pluglet_vm__free(vm);
	pluglet_helpers__free(h);
}

static void verify_fall_off_end(void **state)
{
	struct pluglet_insn p1[] = { MOV64_IMM(0, 0) };
	struct pluglet_insn p2[] = { MOV64_IMM(0, 0), JEQ_IMM(0, 0, -2) };
	struct pluglet_insn p3[] = { MOV64_IMM(0, 0), EXIT(), LDDW(0, 1, 2) };
	struct pluglet_insn p4[] = { MOV64_IMM(0, 0), INSN(0x18, 0, 0, 0, 1) };
	struct pluglet_insn ok[] = { MOV64_IMM(0, 0), EXIT(), JA(-2) };
	struct pluglet_vm *vm;

	REJECT(p1, "insn 0: the program can fall off its end");
	REJECT(p2, "insn 1: the program can fall off its end");
	REJECT(p3, "insn 2: the program can fall off its end");
	REJECT(p4, "insn 1: lddw without its second half");
	vm = load_mode(ok, LEN(ok), NULL, PLUGLET_VM_INTERP, 0);
	assert_non_null(vm);
	pluglet_vm__free(vm);
}

static void verify_limits(void **state)
{
	struct pluglet_insn p[] = { MOV64_IMM(0, 0), MOV64_IMM(0, 1), MOV64_IMM(0, 2), EXIT() };
	struct pluglet_vm *vm;

	expect_reject(p, LEN(p), NULL, 3, E2BIG, "4 instructions, over the limit of 3");
	vm = load_mode(p, LEN(p), NULL, PLUGLET_VM_INTERP, 4);
	assert_non_null(vm);
	assert_int_equal(pluglet_vm__nr_insns(vm), 4);
	pluglet_vm__free(vm);
	expect_reject(p, 0, NULL, 0, EINVAL, "empty program");
}

static void verify_reserved_fields(void **state)
{
	struct pluglet_insn p1[] = { INSN(0xb7, 0, 3, 0, 1), EXIT() };
	struct pluglet_insn p2[] = { MOV64_IMM(0, 0), INSN(0x95, 0, 0, 0, 1) };
	struct pluglet_insn p3[] = { MOV64_IMM(0, 0), INSN(0x18, 0, 0, 0, 1), INSN(0x07, 0, 0, 0, 2), EXIT() };

	REJECT(p1, "insn 0: reserved field set in opcode 0xb7");
	REJECT(p2, "insn 1: reserved field set in exit");
	REJECT(p3, "insn 2: bad second half of an lddw");
}

/* ---- runs ---- */

static enum pluglet_vm_mode modes[] = { PLUGLET_VM_INTERP, PLUGLET_VM_JIT };

struct run {
	int err;
	uint64_t r0;
	struct pluglet_exec ex;
	bool ran;
};

/*
 * Loads `p` in `mode` and runs it with the given regions. Returns false
 * (skipping the mode) when the mode is JIT and this build runs it in the
 * interpreter, so that the interpreter is not tested twice.
 */
static bool run_mode(const struct pluglet_insn *p, uint32_t n, const struct pluglet_helpers *h,
		     enum pluglet_vm_mode mode, const struct pluglet_region *regions, uint32_t nr,
		     uint64_t r1, uint64_t r2, uint64_t budget, struct run *out)
{
	struct pluglet_vm *vm = load_mode(p, n, h, mode, 0);

	if (!vm)
		fail_msg("load failed: %s", logbuf);
	if (pluglet_vm__mode(vm) != mode) {
		pluglet_vm__free(vm);
		return false;
	}
	memset(out, 0, sizeof(*out));
	out->ex = (struct pluglet_exec){
		.sz = sizeof(out->ex), .regions = regions, .nr_regions = nr, .budget = budget,
	};
	out->err = pluglet_vm__run(vm, &out->ex, r1, r2, &out->r0);
	out->ran = true;
	pluglet_vm__free(vm);
	return true;
}

static void expect_fault(const struct run *r, enum pluglet_fault_kind kind, uint32_t insn,
			 const char *want)
{
	char prefix[32];

	assert_int_equal(r->err, -EFAULT);
	if (r->ex.fault.kind != kind)
		fail_msg("fault %s (%s), want %s", pluglet_fault_kind_str(r->ex.fault.kind),
			 r->ex.fault.msg, pluglet_fault_kind_str(kind));
	assert_int_equal(r->ex.fault.insn, insn);
	snprintf(prefix, sizeof(prefix), "insn %u: ", insn);
	if (strncmp(r->ex.fault.msg, prefix, strlen(prefix)) || !strstr(r->ex.fault.msg, want))
		fail_msg("fault message '%s' lacks '%s%s'", r->ex.fault.msg, prefix, want);
}

static void run_ok(void **state)
{
	struct pluglet_insn p[] = {
		MOV64_IMM(0, 0), MOV64_IMM(3, 5),
		ADD64_REG(0, 3), ADD64_IMM(3, -1), JEQ_IMM(3, 0, 1), JA(-4),
		EXIT(),
	};
	struct run r;
	unsigned i;

	for (i = 0; i < LEN(modes); i++) {
		if (!run_mode(p, LEN(p), NULL, modes[i], NULL, 0, 0, 0, 0, &r))
			continue;
		assert_int_equal(r.err, 0);
		assert_int_equal(r.r0, 15);
		assert_int_equal(r.ex.fault.kind, PLUGLET_FAULT_NONE);
		/* 2 + 5 loop iterations of 4, the last without the ja, + exit */
		assert_int_equal(r.ex.insns_executed, 2 + 5 * 4 - 1 + 1);
	}
}

/* Memory faults at the start, past the end and straddling the end of a region. */
static void fault_oob(void **state)
{
	uint8_t buf[16] = { 1, 2, 3, 4 };
	uint64_t base = (uint64_t)(uintptr_t)buf;
	struct pluglet_region rg = { .start = base, .len = sizeof(buf), .perm = PLUGLET_PERM_RW };
	struct pluglet_insn ld_below[] = { MOV64_IMM(0, 0), LDXB(0, 1, -1), EXIT() };
	struct pluglet_insn ld_above[] = { MOV64_IMM(0, 0), LDXB(0, 1, 16), EXIT() };
	struct pluglet_insn ld_straddle[] = { MOV64_IMM(0, 0), MOV64_IMM(0, 0), LDXW(0, 1, 13), EXIT() };
	struct pluglet_insn ld_last[] = { MOV64_IMM(0, 0), LDXW(0, 1, 12), EXIT() };
	struct pluglet_insn st_below[] = { MOV64_IMM(0, 0), STXB(1, 0, -1), EXIT() };
	struct pluglet_insn st_above[] = { MOV64_IMM(0, 0), STXW(1, 0, 16), EXIT() };
	struct pluglet_insn st_straddle[] = { MOV64_IMM(0, 0), STDW(1, 9, 7), EXIT() };
	struct pluglet_insn ld_null[] = { MOV64_IMM(1, 0), LDXB(0, 1, 0), EXIT() };
	struct pluglet_insn st_stack_below[] = { MOV64_IMM(0, 0), STDW(10, -520, 1), EXIT() };
	struct pluglet_insn ld_stack_above[] = { MOV64_IMM(0, 0), LDXB(0, 10, 0), EXIT() };
	char want[64];
	struct run r;
	unsigned i;

	for (i = 0; i < LEN(modes); i++) {
		if (!run_mode(ld_below, 3, NULL, modes[i], &rg, 1, base, 16, 0, &r))
			continue;
		snprintf(want, sizeof(want), "out-of-bounds load of 1 bytes at 0x%llx",
			 (unsigned long long)base - 1);
		expect_fault(&r, PLUGLET_FAULT_OOB_LOAD, 1, want);
		assert_int_equal(r.ex.fault.addr, base - 1);
		assert_int_equal(r.ex.fault.size, 1);

		run_mode(ld_above, 3, NULL, modes[i], &rg, 1, base, 16, 0, &r);
		expect_fault(&r, PLUGLET_FAULT_OOB_LOAD, 1, "out-of-bounds load of 1 bytes");
		assert_int_equal(r.ex.fault.addr, base + 16);

		run_mode(ld_straddle, 4, NULL, modes[i], &rg, 1, base, 16, 0, &r);
		expect_fault(&r, PLUGLET_FAULT_OOB_LOAD, 2, "out-of-bounds load of 4 bytes");
		assert_int_equal(r.ex.fault.addr, base + 13);
		assert_int_equal(r.ex.fault.size, 4);

		run_mode(ld_last, 3, NULL, modes[i], &rg, 1, base, 16, 0, &r);
		assert_int_equal(r.err, 0);

		run_mode(st_below, 3, NULL, modes[i], &rg, 1, base, 16, 0, &r);
		expect_fault(&r, PLUGLET_FAULT_OOB_STORE, 1, "out-of-bounds store of 1 bytes");
		assert_int_equal(r.ex.fault.addr, base - 1);

		run_mode(st_above, 3, NULL, modes[i], &rg, 1, base, 16, 0, &r);
		expect_fault(&r, PLUGLET_FAULT_OOB_STORE, 1, "out-of-bounds store of 4 bytes");

		run_mode(st_straddle, 3, NULL, modes[i], &rg, 1, base, 16, 0, &r);
		expect_fault(&r, PLUGLET_FAULT_OOB_STORE, 1, "out-of-bounds store of 8 bytes");
		assert_int_equal(r.ex.fault.addr, base + 9);

		run_mode(ld_null, 3, NULL, modes[i], &rg, 1, base, 16, 0, &r);
		expect_fault(&r, PLUGLET_FAULT_OOB_LOAD, 1, "at 0x0");

		/* The stack is 512 bytes below r10, and nothing at or above r10. */
		run_mode(st_stack_below, 3, NULL, modes[i], NULL, 0, 0, 0, 0, &r);
		expect_fault(&r, PLUGLET_FAULT_OOB_STORE, 1, "out-of-bounds store of 8 bytes");
		run_mode(ld_stack_above, 3, NULL, modes[i], NULL, 0, 0, 0, 0, &r);
		expect_fault(&r, PLUGLET_FAULT_OOB_LOAD, 1, "out-of-bounds load of 1 bytes");
	}
	/* Nothing was written outside, nor inside by the faulting stores. */
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[15], 0);
}

static void fault_readonly(void **state)
{
	uint8_t ro[8] = { 7 }, rw[8] = { 0 };
	struct pluglet_region rg[] = {
		{ .start = (uint64_t)(uintptr_t)ro, .len = sizeof(ro), .perm = PLUGLET_PERM_READ },
		{ .start = (uint64_t)(uintptr_t)rw, .len = sizeof(rw), .perm = PLUGLET_PERM_RW },
	};
	/* r0 = ro[0]; rw[0] = r0; ro[1] = r0 -> faults at insn 3 */
	struct pluglet_insn p[] = { LDXB(0, 1, 0), STXB(2, 0, 0), MOV64_IMM(3, 0), STXB(1, 0, 1), EXIT() };
	struct pluglet_insn atomic[] = { MOV64_IMM(0, 1), ATOMIC_DW(1, 0, 0, 0x00), EXIT() };
	uint64_t wo_mem[1] = { 0 };
	struct pluglet_region wo = { .start = (uint64_t)(uintptr_t)wo_mem, .len = 8, .perm = PLUGLET_PERM_WRITE };
	struct pluglet_insn wo_atomic[] = {
		MOV64_IMM(0, 1), STDW(1, 0, 5), STDW(1, 0, 5), ATOMIC_DW(1, 0, 0, 0x00), EXIT(),
	};
	struct run r;
	unsigned i;

	for (i = 0; i < LEN(modes); i++) {
		if (!run_mode(p, LEN(p), NULL, modes[i], rg, 2, rg[0].start, rg[1].start, 0, &r))
			continue;
		expect_fault(&r, PLUGLET_FAULT_READONLY, 3, "store of 1 bytes to read-only memory");
		assert_int_equal(r.ex.fault.addr, rg[0].start + 1);
		assert_int_equal(rw[0], 7);
		assert_int_equal(ro[1], 0);
		run_mode(atomic, LEN(atomic), NULL, modes[i], rg, 2, rg[0].start, 0, 0, &r);
		expect_fault(&r, PLUGLET_FAULT_READONLY, 1, "read-only memory");
		assert_int_equal(ro[0], 7);
		/* A write-only region takes stores, not atomics (they read too). */
		run_mode(wo_atomic, LEN(wo_atomic), NULL, modes[i], &wo, 1, wo.start, 0, 0, &r);
		expect_fault(&r, PLUGLET_FAULT_READONLY, 3, "store of 8 bytes");
		assert_int_equal(wo_mem[0], 5);
	}
}

static void fault_stack_overflow(void **state)
{
	/* main calls f; f writes its frame and calls itself while r1 > 0. */
	struct pluglet_insn p[] = {
		MOV64_IMM(0, 0),
		CALL_LOCAL(1),	/* insn 1 -> 3 */
		EXIT(),
		STDW(10, -512, 1), /* 3: touch the bottom of this frame */
		JEQ_IMM(1, 0, 2),
		ADD64_IMM(1, -1),
		CALL_LOCAL(-4),	/* insn 6 -> 3 */
		ADD64_IMM(0, 1),
		EXIT(),
	};
	struct run r;
	unsigned i;

	for (i = 0; i < LEN(modes); i++) {
		/* Depth 8 below main is allowed: main -> f(7) -> ... -> f(0). */
		if (!run_mode(p, LEN(p), NULL, modes[i], NULL, 0, 7, 0, 0, &r))
			continue;
		assert_int_equal(r.err, 0);
		assert_int_equal(r.r0, 8);
		/* One more level overflows at the recursive call. */
		run_mode(p, LEN(p), NULL, modes[i], NULL, 0, 8, 0, 0, &r);
		expect_fault(&r, PLUGLET_FAULT_STACK_OVERFLOW, 6, "stack overflow");
	}
}

static void fault_budget(void **state)
{
	struct pluglet_insn p[] = { MOV64_IMM(0, 0), ADD64_IMM(0, 1), JA(-2), EXIT() };
	struct run r;
	unsigned i;

	for (i = 0; i < LEN(modes); i++) {
		if (!run_mode(p, LEN(p), NULL, modes[i], NULL, 0, 0, 0, 1000, &r))
			continue;
		expect_fault(&r, PLUGLET_FAULT_BUDGET, 2, "instruction budget of 1000 exhausted");
		/* Check point at the backward ja: 1 + 2 * 500 = 1001 > 1000. */
		assert_int_equal(r.ex.insns_executed, 1001);
	}
	/* The default budget of the program also stops it. */
	{
		struct pluglet_vm_opts o = { .sz = sizeof(o), .budget = 50 };
		struct pluglet_vm *vm = pluglet_vm__load(p, LEN(p), &o);
		struct pluglet_exec ex = { .sz = sizeof(ex) };
		uint64_t r0;

		assert_non_null(vm);
		assert_int_equal(pluglet_vm__run(vm, &ex, 0, 0, &r0), -EFAULT);
		assert_int_equal(ex.fault.kind, PLUGLET_FAULT_BUDGET);
		assert_int_equal(ex.insns_executed, 51);
		pluglet_vm__free(vm);
	}
}

static uint64_t h_abort(struct pluglet_exec *ex, uint64_t a1, uint64_t a2, uint64_t a3,
			uint64_t a4, uint64_t a5)
{
	if (a1 == 1)
		pluglet_exec__abort(ex, PLUGLET_FAULT_ABORTED, 42, "done early");
	else if (a1 == 2)
		pluglet_exec__abort(ex, PLUGLET_FAULT_HELPER, 0, "bad pointer");
	return 5;
}

static uint64_t h_check(struct pluglet_exec *ex, uint64_t a1, uint64_t a2, uint64_t a3,
			uint64_t a4, uint64_t a5)
{
	/* a1 = pointer, a2 = length, a3 = perm */
	return pluglet_exec__check(ex, a1, a2, (uint32_t)a3) != NULL;
}

static void fault_helpers(void **state)
{
	struct pluglet_helpers *h = pluglet_helpers__new();
	struct pluglet_insn callx[] = { MOV64_IMM(0, 0), MOV64_IMM(2, 9), CALLX(2), EXIT() };
	struct pluglet_insn callx_big[] = { MOV64_IMM(0, 0), LDDW(2, 1, 1), CALLX(2), EXIT() };
	struct pluglet_insn callx_ok[] = { MOV64_IMM(1, 3), MOV64_IMM(2, 4), MOV64_IMM(3, 1), CALLX(3), EXIT() };
	struct pluglet_insn ab[] = { MOV64_REG(6, 1), MOV64_IMM(0, 0), CALL_HELPER(2), MOV64_IMM(0, 9), EXIT() };
	struct run r;
	unsigned i;

	assert_non_null(h);
	assert_int_equal(pluglet_helpers__add(h, 1, "sum", h_ret_arg), 0);
	assert_int_equal(pluglet_helpers__add(h, 2, "abort", h_abort), 0);
	for (i = 0; i < LEN(modes); i++) {
		if (!run_mode(callx, LEN(callx), h, modes[i], NULL, 0, 0, 0, 0, &r))
			continue;
		expect_fault(&r, PLUGLET_FAULT_BAD_CALLX, 2, "callx to 0x9");
		assert_int_equal(r.ex.fault.addr, 9);
		run_mode(callx_big, LEN(callx_big), h, modes[i], NULL, 0, 0, 0, 0, &r);
		expect_fault(&r, PLUGLET_FAULT_BAD_CALLX, 3, "callx to 0x100000001");
		run_mode(callx_ok, LEN(callx_ok), h, modes[i], NULL, 0, 0, 0, 0, &r);
		assert_int_equal(r.err, 0);
		assert_int_equal(r.r0, 3 + 4 + 1);

		/* ABORTED: a clean stop with the helper's r0. */
		run_mode(ab, LEN(ab), h, modes[i], NULL, 0, 1, 0, 0, &r);
		assert_int_equal(r.err, 0);
		assert_int_equal(r.r0, 42);
		assert_int_equal(r.ex.fault.kind, PLUGLET_FAULT_ABORTED);
		assert_int_equal(r.ex.fault.insn, 2);
		assert_non_null(strstr(r.ex.fault.msg, "insn 2: helper 2 stopped the run: done early"));
		/* HELPER: misuse is a fault. */
		run_mode(ab, LEN(ab), h, modes[i], NULL, 0, 2, 0, 0, &r);
		expect_fault(&r, PLUGLET_FAULT_HELPER, 2, "helper 2 failed: bad pointer");
		/* No abort: the program goes on. */
		run_mode(ab, LEN(ab), h, modes[i], NULL, 0, 0, 0, 0, &r);
		assert_int_equal(r.err, 0);
		assert_int_equal(r.r0, 9);
		assert_int_equal(r.ex.fault.kind, PLUGLET_FAULT_NONE);
	}
	pluglet_helpers__free(h);
}

static void exec_check(void **state)
{
	struct pluglet_helpers *h = pluglet_helpers__new();
	uint8_t ro[8];
	struct pluglet_region rg = { .start = (uint64_t)(uintptr_t)ro, .len = 8, .perm = PLUGLET_PERM_READ };
	/* r0 = check(r10-8, 8, RW) + 2*check(ro, 8, W) + 4*check(ro, 8, R) + 8*check(r10, 1, R) */
	struct pluglet_insn p[] = {
		MOV64_REG(6, 1),
		MOV64_REG(1, 10), ADD64_IMM(1, -8), MOV64_IMM(2, 8), MOV64_IMM(3, 3), CALL_HELPER(1),
		MOV64_REG(7, 0),
		MOV64_REG(1, 6), MOV64_IMM(2, 8), MOV64_IMM(3, 2), CALL_HELPER(1),
		ADD64_REG(0, 0), ADD64_REG(7, 0),
		MOV64_REG(1, 6), MOV64_IMM(2, 8), MOV64_IMM(3, 1), CALL_HELPER(1),
		ADD64_REG(0, 0), ADD64_REG(0, 0), ADD64_REG(7, 0),
		MOV64_REG(1, 10), MOV64_IMM(2, 1), MOV64_IMM(3, 1), CALL_HELPER(1),
		ADD64_REG(0, 0), ADD64_REG(0, 0), ADD64_REG(0, 0), ADD64_REG(7, 0),
		MOV64_REG(0, 7), EXIT(),
	};
	struct run r;
	unsigned i;

	assert_non_null(h);
	assert_int_equal(pluglet_helpers__add(h, 1, "check", h_check), 0);
	for (i = 0; i < LEN(modes); i++) {
		if (!run_mode(p, LEN(p), h, modes[i], &rg, 1, rg.start, 8, 0, &r))
			continue;
		assert_int_equal(r.err, 0);
		assert_int_equal(r.r0, 1 + 4);
	}
	/* Outside a run, nothing is reachable. */
	assert_null(pluglet_exec__check(&r.ex, rg.start, 1, PLUGLET_PERM_READ));
	pluglet_helpers__free(h);
}

static void helper_tables(void **state)
{
	struct pluglet_helpers *h = pluglet_helpers__new();

	assert_non_null(h);
	assert_int_equal(pluglet_helpers__add(h, 5, "unwind", h_ret_arg), 0);
	assert_int_equal(pluglet_helpers__add(h, 5, "other", h_ret_arg), -EEXIST);
	assert_int_equal(pluglet_helpers__add(h, 6, "unwind", h_ret_arg), -EEXIST);
	assert_int_equal(pluglet_helpers__add(h, PLUGLET_MAX_HELPERS, "x", h_ret_arg), -EINVAL);
	assert_int_equal(pluglet_helpers__add(h, 7, NULL, h_ret_arg), 0);
	assert_int_equal(pluglet_helpers__add_named(h, "first", h_ret_arg), 0);
	assert_int_equal(pluglet_helpers__add_named(h, "second", h_ret_arg), 1);
	assert_int_equal(pluglet_helpers__find(h, "unwind"), 5);
	assert_int_equal(pluglet_helpers__find(h, "second"), 1);
	assert_int_equal(pluglet_helpers__find(h, "nope"), -ENOENT);
	assert_ptr_equal(pluglet_helpers__fn(h, 7), h_ret_arg);
	assert_null(pluglet_helpers__fn(h, 8));
	assert_null(pluglet_helpers__name(h, 7));
	assert_string_equal(pluglet_helpers__name(h, 5), "unwind");
	pluglet_helpers__free(h);
}

static void misc_api(void **state)
{
	struct pluglet_insn p[] = { MOV64_IMM(0, 3), EXIT() };
	struct pluglet_vm *vm = load_mode(p, 2, NULL, PLUGLET_VM_INTERP, 0);
	struct pluglet_exec ex = { .sz = 4 };
	uint64_t r0 = 0;

	assert_non_null(vm);
	assert_string_equal(pluglet_vm__name(vm), "test");
	assert_int_equal(pluglet_vm__mode(vm), PLUGLET_VM_INTERP);
	assert_int_equal(pluglet_vm__jit_size(vm), 0);
	assert_int_equal(pluglet_vm__run(vm, &ex, 0, 0, &r0), -EINVAL);
	ex.sz = sizeof(ex);
	assert_int_equal(pluglet_vm__run(vm, &ex, 0, 0, &r0), 0);
	assert_int_equal(r0, 3);
	/* the options-size rule: a newer exec struct needs a zero tail, an
	 * older one runs and gets the outputs it has room for, nothing past it */
	{
		struct {
			struct pluglet_exec ex;
			uint64_t tail;
		} big = { .ex = { .sz = sizeof(big) }, .tail = 1 };

		assert_int_equal(pluglet_vm__run(vm, &big.ex, 0, 0, &r0), -EINVAL);
		big.tail = 0;
		assert_int_equal(pluglet_vm__run(vm, &big.ex, 0, 0, &r0), 0);
		big.ex.sz = offsetof(struct pluglet_exec, fault);
		big.ex.insns_executed = 0;
		big.ex.fault.msg[0] = 'X';
		r0 = 0;
		assert_int_equal(pluglet_vm__run(vm, &big.ex, 0, 0, &r0), 0);
		assert_int_equal(r0, 3);
		assert_int_equal(big.ex.insns_executed, 2);
		assert_int_equal(big.ex.sz, offsetof(struct pluglet_exec, fault));
		assert_int_equal(big.ex.fault.msg[0], 'X');
	}
	pluglet_vm__free(vm);
	/* load options: older accepted (missing fields zero), newer with a non-zero tail refused */
	{
		struct {
			struct pluglet_vm_opts o;
			uint64_t tail;
		} big = { .o = { .sz = sizeof(big), .log_buf = logbuf, .log_size = sizeof(logbuf) },
			  .tail = 1 };

		errno = 0;
		assert_null(pluglet_vm__load(p, 2, &big.o));
		assert_int_equal(errno, EINVAL);
		assert_string_equal(logbuf, "bad load options");
		assert_null(pluglet_vm__load_elf("x", 1, &big.o));
		assert_int_equal(errno, EINVAL);
		big.tail = 0;
		vm = pluglet_vm__load(p, 2, &big.o);
		assert_non_null(vm);
		pluglet_vm__free(vm);
		big.o.sz = offsetof(struct pluglet_vm_opts, max_insns);
		big.o.max_insns = 1;	/* not seen: past the caller's size */
		vm = pluglet_vm__load(p, 2, &big.o);
		assert_non_null(vm);
		pluglet_vm__free(vm);
	}
	assert_true(pluglet_is_elf("\x7f" "ELF\2", 5));
	assert_false(pluglet_is_elf("\x7f" "EL", 3));
	assert_string_equal(pluglet_fault_kind_str(PLUGLET_FAULT_BUDGET), "budget");
	assert_string_equal(pluglet_fault_kind_str(PLUGLET_FAULT__MAX), "unknown");
}

/*
 * Frame 0 reads as zero where it was not written, even when the previous
 * run left its bytes all ones at the same address: direct reads on r10,
 * through a copy of r10, and from a callee reaching up into frame 0.
 */
static void stack_starts_zeroed(void **state)
{
	struct pluglet_insn fill[PLUGLET_STACK_SIZE / 8 + 2];
	struct pluglet_insn direct[] = { LDXDW(0, 10, -256), EXIT() };
	struct pluglet_insn low[] = { STDW(10, -8, 0), LDXDW(0, 10, -512), EXIT() };
	struct pluglet_insn copy[] = { MOV64_REG(1, 10), LDXDW(0, 1, -8), EXIT() };
	struct pluglet_insn callee[] = { CALL_LOCAL(1), EXIT(), LDXDW(0, 10, 504), EXIT() };
	struct {
		const struct pluglet_insn *p;
		uint32_t n;
	} readers[] = { { direct, LEN(direct) }, { low, LEN(low) }, { copy, LEN(copy) },
			{ callee, LEN(callee) } };
	uint32_t n = 0;

	for (int off = -8; off >= -(int)PLUGLET_STACK_SIZE; off -= 8)
		fill[n++] = STDW(10, (int16_t)off, -1);
	fill[n++] = MOV64_IMM(0, 0);
	fill[n++] = EXIT();
	for (int m = 0; m < 2; m++) {
		enum pluglet_vm_mode mode = m ? PLUGLET_VM_JIT : PLUGLET_VM_INTERP;
		struct pluglet_vm *f = load_mode(fill, n, NULL, mode, 0);

		assert_non_null(f);
		for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
			struct pluglet_vm *r = load_mode(readers[i].p, readers[i].n, NULL, mode, 0);
			struct pluglet_exec ex = { .sz = sizeof(ex) };
			uint64_t r0 = 1;

			assert_non_null(r);
			assert_int_equal(pluglet_vm__run(f, &ex, 0, 0, &r0), 0);
			assert_int_equal(pluglet_vm__run(r, &ex, 0, 0, &r0), 0);
			if (r0 != 0)
				fail_msg("%s: reader %zu read %#llx", m ? "jit" : "interp", i,
					 (unsigned long long)r0);
			pluglet_vm__free(r);
		}
		pluglet_vm__free(f);
	}
}

/* needs_exec: only what stays in the program's own stack frame is "false". */
static void needs_exec(void **state)
{
	struct pluglet_helpers *hs = pluglet_helpers__new();
	struct pluglet_insn ret[] = { MOV64_IMM(0, 5), EXIT() };
	struct pluglet_insn stack[] = { STDW(10, -8, 7), LDXDW(0, 10, -8), LDDW(1, 1, 2), EXIT() };
	struct pluglet_insn local[] = { CALL_LOCAL(1), EXIT(), MOV64_IMM(0, 1), EXIT() };
	struct pluglet_insn load[] = { LDXW(0, 1, 0), EXIT() };
	struct pluglet_insn store[] = { MOV64_IMM(0, 0), STXB(1, 0, 0), EXIT() };
	struct pluglet_insn atomic[] = { MOV64_IMM(0, 0), ATOMIC_DW(1, 0, 0, 0x00), EXIT() };
	struct pluglet_insn via_copy[] = { MOV64_REG(1, 10), STDW(1, -8, 1), MOV64_IMM(0, 0), EXIT() };
	struct pluglet_insn helper[] = { CALL_HELPER(1), EXIT() };
	struct pluglet_insn callx[] = { MOV64_IMM(1, 1), CALLX(1), EXIT() };
	struct {
		const struct pluglet_insn *p;
		uint32_t n;
		bool want;
	} cases[] = {
		{ ret, LEN(ret), false }, { stack, LEN(stack), false }, { local, LEN(local), false },
		{ load, LEN(load), true }, { store, LEN(store), true }, { atomic, LEN(atomic), true },
		{ via_copy, LEN(via_copy), true }, { helper, LEN(helper), true },
		{ callx, LEN(callx), true },
	};

	assert_non_null(hs);
	assert_int_equal(pluglet_helpers__add(hs, 1, "one", h_ret_arg), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int m = 0; m < 2; m++) {
			struct pluglet_vm *vm = load_mode(cases[i].p, cases[i].n, hs,
							  m ? PLUGLET_VM_JIT : PLUGLET_VM_INTERP, 0);

			if (!vm)
				fail_msg("case %zu: %s", i, logbuf);
			if (pluglet_vm__needs_exec(vm) != cases[i].want)
				fail_msg("case %zu (%s): needs_exec %d", i, m ? "jit" : "interp",
					 !cases[i].want);
			pluglet_vm__free(vm);
		}
	}
	pluglet_helpers__free(hs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verify_unknown_opcode),
		cmocka_unit_test(verify_bad_register),
		cmocka_unit_test(verify_write_r10),
		cmocka_unit_test(verify_jump_out_of_range),
		cmocka_unit_test(verify_jump_into_lddw),
		cmocka_unit_test(verify_local_call),
		cmocka_unit_test(verify_unknown_helper),
		cmocka_unit_test(verify_fall_off_end),
		cmocka_unit_test(verify_limits),
		cmocka_unit_test(verify_reserved_fields),
		cmocka_unit_test(run_ok),
		cmocka_unit_test(fault_oob),
		cmocka_unit_test(fault_readonly),
		cmocka_unit_test(fault_stack_overflow),
		cmocka_unit_test(fault_budget),
		cmocka_unit_test(fault_helpers),
		cmocka_unit_test(exec_check),
		cmocka_unit_test(helper_tables),
		cmocka_unit_test(misc_api),
		cmocka_unit_test(needs_exec),
		cmocka_unit_test(stack_starts_zeroed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

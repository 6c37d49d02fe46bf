/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the engine's pure logic: proceed-on parsing and printing,
 * priority names, and the chain rewrite of instruction arrays (main length,
 * stack depth, prologue/epilogue layout, exits turned into jumps, the
 * counting code run by a small interpreter of the instructions it uses), where
 * a root's chain map fd goes when it is loaded from its instructions, the
 * state journal, and an entry's state file (written and read back).
 */
#include "engine.h"
#include "engine_internal.h"
#include "hooks.h"
#include "journal.h"
#include "prog_load.h"
#include "rewrite.h"
#include "state.h"

#include <plugfs/fileutil.h>

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cmocka.h>

#define I(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define EXIT I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define MOV0(v) I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, v)

static void proceed_on_xdp(void **st)
{
	uint32_t m = 0;
	char buf[256];

	assert_int_equal(engine_parse_proceed_on(ENGINE_HOOK_XDP, "pass, dispatcher_return", &m), 0);
	assert_int_equal(m, (1u << 2) | (1u << 31));
	assert_int_equal(engine_parse_proceed_on(ENGINE_HOOK_XDP, "drop pass,tx", &m), 0);
	assert_int_equal(m, (1u << 1) | (1u << 2) | (1u << 3));
	engine_format_proceed_on(ENGINE_HOOK_XDP, m, buf, sizeof(buf));
	assert_string_equal(buf, "drop, pass, tx");
	assert_int_equal(engine_parse_proceed_on(ENGINE_HOOK_XDP, "ok", &m), -EINVAL);
	assert_int_equal(engine_parse_proceed_on(ENGINE_HOOK_XDP, "", &m), 0);
	assert_int_equal(m, 0);
	engine_format_proceed_on(ENGINE_HOOK_XDP, 0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
}

static void proceed_on_tc(void **st)
{
	uint32_t m = 0;
	char buf[256];

	/* bit = code + 1: unspec (-1) is bit 0, dispatcher_return (30) bit 31 */
	assert_int_equal(engine_parse_proceed_on(ENGINE_HOOK_TC_INGRESS, "ok, pipe, dispatcher_return", &m), 0);
	assert_int_equal(m, (1u << 1) | (1u << 4) | (1u << 31));
	assert_int_equal(engine_parse_proceed_on(ENGINE_HOOK_TC_EGRESS, "unspec trap", &m), 0);
	assert_int_equal(m, (1u << 0) | (1u << 9));
	engine_format_proceed_on(ENGINE_HOOK_TC_EGRESS, m, buf, sizeof(buf));
	assert_string_equal(buf, "unspec, trap");
	assert_int_equal(engine_parse_proceed_on(ENGINE_HOOK_TC_INGRESS, "pass", &m), -EINVAL);
}

static void priorities(void **st)
{
	unsigned int p = 0;

	assert_int_equal(engine_parse_prio("1", &p), 0);
	assert_int_equal(p, 1);
	assert_int_equal(engine_parse_prio("1000", &p), 0);
	assert_int_equal(p, 1000);
	assert_int_equal(engine_parse_prio("0", &p), -EINVAL);
	assert_int_equal(engine_parse_prio("1001", &p), -EINVAL);
	assert_int_equal(engine_parse_prio("abc", &p), -EINVAL);
	assert_int_equal(engine_parse_prio("010", &p), -EINVAL);
	assert_int_equal(engine_parse_prio("+5", &p), -EINVAL);
	assert_int_equal(engine_parse_prio("", &p), -EINVAL);
	assert_int_equal(engine_parse_prio("99999", &p), -EINVAL);
}

static void main_len_with_subprog(void **st)
{
	struct bpf_insn prog[] = {
		I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 2),	/* -> 3 */
		MOV0(2),
		EXIT,
		MOV0(1),						/* subprog */
		EXIT,
	};

	assert_int_equal(rewrite_main_len(prog, 5), 3);
	assert_int_equal(rewrite_main_len(prog + 1, 2), 2);
}

static void stack_depth(void **st)
{
	struct bpf_insn prog[] = {
		I(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),		/* *(u32 *)(r10 - 4) = 0 */
		I(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),		/* r2 = r10 */
		I(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -40),		/* r2 += -40 */
		I(BPF_LDX | BPF_MEM | BPF_W, 3, 2, 4, 0),		/* r3 = *(u32 *)(r2 + 4) */
		MOV0(0),
		EXIT,
	};

	assert_int_equal(rewrite_main_stack(prog, 6), 40);
	assert_int_equal(rewrite_main_stack(prog, 1), 8);
	assert_int_equal(rewrite_main_stack(prog + 4, 2), 0);
}

static void layout(void **st)
{
	struct bpf_insn prog[] = {
		I(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2, 0),		/* if r1 == 0 goto +2 */
		MOV0(1),
		EXIT,
		I(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, 7),
		I(0, 0, 0, 0, 0),
		MOV0(2),
		EXIT,
	};
	struct rewrite_params p = { .sz = sizeof(p), .tc = false, .mask = 4, .chain_map_fd = 42, .slot = 3 };
	struct bpf_insn *out = NULL;
	size_t n = 0, shift = rewrite_shift(&p), i;
	char err[128];
	bool saw_map = false, saw_slot = false, saw_tail = false;

	assert_int_equal(rewrite_chain(prog, 7, &p, &out, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 7 + shift);
	/* prologue: spill ctx at -8 (main has no stack), jump over the epilogue */
	assert_int_equal(out[0].code, BPF_STX | BPF_MEM | BPF_DW);
	assert_int_equal(out[0].dst_reg, 10);
	assert_int_equal(out[0].src_reg, 1);
	assert_int_equal(out[0].off, -8);
	assert_int_equal(out[1].code, BPF_JMP | BPF_JA);
	assert_int_equal(1 + 1 + out[1].off, shift);
	for (i = 2; i < shift; i++) {
		if (out[i].code == (BPF_LD | BPF_DW | BPF_IMM) && out[i].imm == 42)
			saw_map = true;
		if (out[i].code == (BPF_ALU64 | BPF_MOV | BPF_K) && out[i].dst_reg == 3 && out[i].imm == 3)
			saw_slot = true;
		if (out[i].code == (BPF_JMP | BPF_CALL) && out[i].imm == BPF_FUNC_tail_call)
			saw_tail = true;
	}
	assert_true(saw_map && saw_slot && saw_tail);
	assert_int_equal(out[shift - 1].code, BPF_JMP | BPF_EXIT);
	/* original code moved as one block; relative jumps unchanged */
	assert_memory_equal(&out[shift], &prog[0], sizeof(prog[0]));
	assert_memory_equal(&out[shift + 3], &prog[3], 2 * sizeof(prog[0]));
	/* exits became jumps to the epilogue at 2 */
	assert_int_equal(out[shift + 2].code, BPF_JMP | BPF_JA);
	assert_int_equal((long)(shift + 2) + 1 + out[shift + 2].off, 2);
	assert_int_equal(out[shift + 6].code, BPF_JMP | BPF_JA);
	assert_int_equal((long)(shift + 6) + 1 + out[shift + 6].off, 2);
	free(out);

	p.tc = true;
	assert_int_equal(rewrite_shift(&p), shift + 1);
}

static void subprog_exits_kept(void **st)
{
	struct bpf_insn prog[] = {
		I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1),	/* -> 2 */
		EXIT,
		MOV0(2),
		EXIT,
	};
	struct rewrite_params p = { .sz = sizeof(p), .mask = 4, .chain_map_fd = 3, .slot = 1 };
	struct bpf_insn *out = NULL;
	size_t n = 0, s = rewrite_shift(&p);
	char err[128];

	assert_int_equal(rewrite_chain(prog, 4, &p, &out, &n, err, sizeof(err)), 0);
	assert_int_equal(out[s + 1].code, BPF_JMP | BPF_JA);
	assert_int_equal(out[s + 3].code, BPF_JMP | BPF_EXIT);
	assert_int_equal(out[s].imm, 1);
	free(out);
}

static void stack_too_deep(void **st)
{
	struct bpf_insn prog[] = {
		I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -512, 0),
		MOV0(2),
		EXIT,
	};
	struct rewrite_params p = { .sz = sizeof(p), .mask = 4, .chain_map_fd = 3, .slot = 1 };
	struct bpf_insn *out = NULL;
	size_t n = 0;
	char err[128] = "";

	assert_int_equal(rewrite_chain(prog, 3, &p, &out, &n, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "512 bytes of stack"));
	assert_null(out);

	/* the start time needs 8 bytes more than chaining */
	prog[0].off = -500;
	p.counter = 1;
	p.counts_map_fd = 4;
	p.timed = true;
	p.time_map_fd = 5;
	assert_false(rewrite_fits_timing(prog, 3));
	assert_int_equal(rewrite_chain(prog, 3, &p, &out, &n, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "16 more"));
	p.timed = false;
	assert_int_equal(rewrite_chain(prog, 3, &p, &out, &n, err, sizeof(err)), 0);
	free(out);
	prog[0].off = -496;
	assert_true(rewrite_fits_timing(prog, 3));
}

/* The root is loaded from libbpf's final instructions with its map's fd
 * patched in: the one ld_imm64 of a map by fd, nothing else. */
static void root_map_load(void **st)
{
	struct bpf_insn root[] = {
		I(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_MAP_FD, 0, 7), I(0, 0, 0, 0, 0),
		MOV0(0),
		I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call),
		MOV0(2),
		EXIT,
	};
	struct bpf_insn two[] = {
		MOV0(0),
		I(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_MAP_FD, 0, 7), I(0, 0, 0, 0, 0),
		I(BPF_LD | BPF_IMM | BPF_DW, 3, BPF_PSEUDO_MAP_FD, 0, 8), I(0, 0, 0, 0, 0),
		EXIT,
	};
	struct bpf_insn value[] = {
		I(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_MAP_VALUE, 0, 7), I(0, 0, 0, 0, 0),
		EXIT,
	};

	assert_int_equal(root_map_insn(root, 6), 0);
	assert_int_equal(root_map_insn(root + 2, 4), (size_t)-1);	/* no map */
	assert_int_equal(root_map_insn(two, 6), (size_t)-1);		/* two maps */
	assert_int_equal(root_map_insn(value, 3), (size_t)-1);	/* a global's value */
	/* a truncated ld_imm64 at the end is not a map load */
	assert_int_equal(root_map_insn(root, 1), (size_t)-1);
}

static void put_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(plugfs_write_file(path, data, len), 0);
}

/* Contents of dir/name, NULL if absent (static buffer). */
static const char *file_text(const char *dir, const char *name, size_t *len)
{
	static char *last;
	char path[PATH_MAX];
	void *buf = NULL;

	free(last);
	last = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (plugfs_read_file(path, &buf, len))
		return NULL;
	last = buf;
	return last;
}

/* The state journal: records applied in order, a cut record ends the fold. */
static void journal_records(void **state)
{
	static const char obj[] = { 0x7f, 'E', 'L', 'F', '\n', 0, 'p', 'u', 't', ' ' };
	char dir[] = "/tmp/plugfs-test-journal-XXXXXX", rec[256];
	struct engine *e = calloc(1, sizeof(*e));
	struct iovec iov[2];
	const char *t;
	size_t len, n;

	(void)state;
	assert_non_null(e);
	assert_non_null(mkdtemp(dir));
	snprintf(e->state_dir, sizeof(e->state_dir), "%s", dir);
	e->journal_fd = -1;

	/* what a daemon that died left: folded before the state is read */
	n = (size_t)snprintf(rec, sizeof(rec),
			     "put 4 ifaces/e0/xdp/10.ini\nx=1\nput %zu objects/o.o\n", sizeof(obj));
	memcpy(rec + n, obj, sizeof(obj));
	n += sizeof(obj);
	n += (size_t)snprintf(rec + n, sizeof(rec) - n,
			      "mv ifaces/e0/xdp/10.ini ifaces/e0/xdp/5.ini\nput 1 gone.ini\nz"
			      "del gone.ini\nput 100 cut.ini\nabc");
	put_file(dir, "journal", rec, n);
	assert_int_equal(journal_fold(e), 0);
	t = file_text(dir, "ifaces/e0/xdp/5.ini", &len);
	assert_non_null(t);
	assert_int_equal(len, 4);
	assert_memory_equal(t, "x=1\n", 4);
	assert_null(file_text(dir, "ifaces/e0/xdp/10.ini", &len));
	t = file_text(dir, "objects/o.o", &len);
	assert_non_null(t);
	assert_int_equal(len, sizeof(obj));
	assert_memory_equal(t, obj, sizeof(obj));
	assert_null(file_text(dir, "gone.ini", &len));
	assert_null(file_text(dir, "cut.ini", &len));
	assert_non_null(file_text(dir, "journal", &len));
	assert_int_equal(len, 0);

	/* appended by a verb, then folded */
	assert_int_equal(journal_open(e), 0);
	iov[0] = (struct iovec){ "put 2 a.ini\n", 12 };
	iov[1] = (struct iovec){ "ok", 2 };
	assert_int_equal(journal_append(e, iov, 2), 0);
	assert_true(e->journal_dirty);
	assert_null(file_text(dir, "a.ini", &len));
	assert_int_equal(journal_fold(e), 0);
	assert_false(e->journal_dirty);
	t = file_text(dir, "a.ini", &len);
	assert_non_null(t);
	assert_memory_equal(t, "ok", 2);
	iov[0] = (struct iovec){ "del a.ini\n", 10 };
	assert_int_equal(journal_append(e, iov, 1), 0);
	assert_int_equal(journal_fold(e), 0);
	assert_null(file_text(dir, "a.ini", &len));
	journal_close(e);
	file_text(dir, "journal", &len);

	snprintf(rec, sizeof(rec), "rm -rf %s", dir);
	assert_int_equal(system(rec), 0);
	free(e);
}


/* ---- the counting code, run by an interpreter of the instructions the rewrite emits ---- */

#define FD_COUNTS 77
#define FD_CHAIN 42
#define FD_TIME 88

struct vm {
	uint64_t r[11];
	uint8_t stack[512];
	uint64_t vals[CHAIN_MAP_ENTRIES][RW_COUNT_WORDS];	/* one CPU's counts */
	uint32_t time_on;
	uint64_t clock;
	int tail_calls;
	uint64_t tail_ctx, tail_key;
};

static uint64_t alu(uint8_t op, uint64_t a, uint64_t b)
{
	switch (op) {
	case BPF_MOV: return b;
	case BPF_ADD: return a + b;
	case BPF_SUB: return a - b;
	case BPF_AND: return a & b;
	case BPF_LSH: return a << b;
	case BPF_RSH: return a >> b;
	}
	fail_msg("alu op %#x", op);
	return 0;
}

static bool cond(uint8_t op, uint64_t a, uint64_t b)
{
	switch (op) {
	case BPF_JEQ: return a == b;
	case BPF_JNE: return a != b;
	case BPF_JLT: return a < b;
	case BPF_JGT: return a > b;
	}
	fail_msg("jump op %#x", op);
	return false;
}

static void call(struct vm *m, int32_t fn)
{
	if (fn == BPF_FUNC_map_lookup_elem) {
		assert_int_equal(m->r[1], FD_COUNTS);
		m->r[0] = (uintptr_t)m->vals[*(uint32_t *)(uintptr_t)m->r[2]];
	} else if (fn == BPF_FUNC_ktime_get_ns) {
		m->r[0] = m->clock += 100;
	} else {
		assert_int_equal(fn, BPF_FUNC_tail_call);
		assert_int_equal(m->r[2], FD_CHAIN);
		m->tail_calls++;
		m->tail_ctx = m->r[1];
		m->tail_key = m->r[3];
		m->r[0] = 0;	/* the slot is empty: the call returns */
	}
	m->r[1] = m->r[2] = m->r[3] = m->r[4] = m->r[5] = 0xdead;
}

/* Runs prog from 0 to its exit; returns r0. */
static uint64_t run(struct vm *m, const struct bpf_insn *p, size_t n)
{
	size_t pc = 0;

	m->r[1] = 0xc7c7;	/* ctx */
	m->r[10] = (uintptr_t)(m->stack + sizeof(m->stack));
	while (pc < n) {
		const struct bpf_insn *i = &p[pc++];
		uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code);
		uint64_t src = BPF_SRC(i->code) == BPF_X ? m->r[i->src_reg] : (uint64_t)(int64_t)i->imm;
		void *addr;

		switch (cls) {
		case BPF_ALU64:
			m->r[i->dst_reg] = alu(op, m->r[i->dst_reg], src);
			break;
		case BPF_ALU:
			m->r[i->dst_reg] = (uint32_t)alu(op, (uint32_t)m->r[i->dst_reg], (uint32_t)src);
			break;
		case BPF_JMP:
		case BPF_JMP32:
			if (op == BPF_EXIT)
				return m->r[0];
			if (op == BPF_CALL) {
				call(m, i->imm);
				break;
			}
			if (op == BPF_JA || (cls == BPF_JMP32 ?
				cond(op, (uint32_t)m->r[i->dst_reg], (uint32_t)src) :
				cond(op, m->r[i->dst_reg], src)))
				pc += i->off;
			break;
		case BPF_LD:
			m->r[i->dst_reg] = i->src_reg == BPF_PSEUDO_MAP_VALUE ?
				(assert_int_equal(i->imm, FD_TIME), (uintptr_t)&m->time_on) : (uint64_t)i->imm;
			pc++;
			break;
		case BPF_LDX:
			addr = (void *)(uintptr_t)(m->r[i->src_reg] + i->off);
			m->r[i->dst_reg] = BPF_SIZE(i->code) == BPF_DW ? *(uint64_t *)addr : *(uint32_t *)addr;
			break;
		case BPF_ST:
		case BPF_STX:
			addr = (void *)(uintptr_t)(m->r[i->dst_reg] + i->off);
			src = cls == BPF_ST ? (uint64_t)(int64_t)i->imm : m->r[i->src_reg];
			if (BPF_SIZE(i->code) == BPF_DW)
				*(uint64_t *)addr = src;
			else
				*(uint32_t *)addr = (uint32_t)src;
			break;
		default:
			fail_msg("instruction %#x at %zu", i->code, pc - 1);
		}
	}
	fail_msg("ran past the end");
	return 0;
}

/* A program returning v, rewritten with counter 5 and the given mask. */
static uint64_t run_verdict(struct vm *m, bool tc, bool timed, uint32_t mask, int32_t v)
{
	struct bpf_insn prog[] = { MOV0(v), EXIT };
	struct rewrite_params p = { .sz = sizeof(p), .tc = tc, .mask = mask, .chain_map_fd = FD_CHAIN,
				    .slot = 3, .counter = 5, .counts_map_fd = FD_COUNTS,
				    .timed = timed, .time_map_fd = FD_TIME };
	struct bpf_insn *out = NULL;
	size_t n = 0;
	char err[128];
	uint64_t r;

	assert_int_equal(rewrite_chain(prog, 2, &p, &out, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2 + rewrite_shift(&p));
	r = run(m, out, n);
	free(out);
	return r;
}

/* One verdict through the counting code: its count at idx alone, and a
 * tail call (ctx, the own slot) when it proceeds. */
static void verdict_case(struct vm *m, bool tc, uint32_t mask, int32_t v, size_t idx, bool proceeds)
{
	int32_t disp = tc ? RW_TC_DISPATCHER_RETURN : RW_XDP_DISPATCHER_RETURN;
	int32_t pass = tc ? 0 : 2;
	size_t k;

	memset(m->vals, 0, sizeof(m->vals));
	m->tail_calls = 0;
	/* dispatcher_return with no successor is a pass */
	assert_int_equal((int32_t)run_verdict(m, tc, false, mask, v), v == disp ? pass : v);
	for (k = 0; k < RW_COUNT_WORDS; k++)
		assert_int_equal(m->vals[5][k], k == idx);
	assert_int_equal(m->tail_calls, proceeds);
	if (proceeds) {
		assert_int_equal(m->tail_ctx, 0xc7c7);
		assert_int_equal(m->tail_key, 3);
	}
}

static void counts_verdicts(void **st)
{
	static const struct { bool tc; int32_t v; size_t idx; } c[] = {
		{ false, 0, 0 }, { false, 1, 1 }, { false, 2, 2 }, { false, 3, 3 }, { false, 4, 4 },
		{ false, 31, 5 }, { false, 5, 6 }, { false, 30, 6 }, { false, -1, 6 },
		{ false, 1000, 6 },
		{ true, -1, 0 }, { true, 0, 1 }, { true, 2, 3 }, { true, 7, 8 }, { true, 8, 9 },
		{ true, 30, 10 }, { true, 9, 11 }, { true, 31, 11 }, { true, -2, 11 },
	};
	struct vm *m = calloc(1, sizeof(*m));
	size_t i;

	assert_non_null(m);
	/* proceed on xdp pass (bit 2), tc ok (bit 1: tc codes are offset by one) */
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		verdict_case(m, c[i].tc, c[i].tc ? 1u << 1 : 1u << 2, c[i].v, c[i].idx,
			     c[i].v == (c[i].tc ? 0 : 2));
	free(m);
}

/* Run time: added only while the switch is on, measured from the prologue. */
static void counts_time(void **st)
{
	struct vm *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->clock = 1000;
	run_verdict(m, false, true, 0, 1);
	assert_int_equal(m->vals[5][RW_TIME_WORD], 0);
	assert_int_equal(m->clock, 1000);	/* the clock was not even read */
	assert_int_equal(m->vals[5][1], 1);
	m->time_on = 1;
	run_verdict(m, false, true, 0, 1);
	assert_int_equal(m->vals[5][RW_TIME_WORD], 100);	/* two reads, 100 apart */
	assert_int_equal(m->vals[5][1], 2);
	free(m);
}

/* With subprograms, a frame that reaches a tail call has 256 bytes. */
static void counts_stack_subprog(void **st)
{
	struct bpf_insn prog[] = {
		I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -248, 0),
		I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1),	/* -> 4 */
		MOV0(2),
		EXIT,
		MOV0(0),
		EXIT,
	};

	assert_false(rewrite_fits_timing(prog, 6));
	prog[0].off = -240;
	assert_true(rewrite_fits_timing(prog, 6));
}

/* An entry's state file, byte for byte, and what is read back from it:
 * globals are written as hex and come back as the same bytes. */
static void state_file(void **state)
{
	static const char want[] =
		"[hook]\nifindex = 7\nmode = native\nqdisc_created = 0\n"
		"[entry]\nslot = 3\nprog_id = 42\nprog_name = xdp_prog\n"
		"proceed_on = pass, dispatcher_return\nobject_path = /tmp/p.o\n"
		"sha256 = 0000000000000000000000000000000000000000000000000000000000000000\n"
		"obj_size = 5\nmap_pin_path = \nmap_owner_id = 0\nmode = native\n"
		"counter = 4\ntimed = 1\n"
		"[global]\nRET = 01000000\nB = 00ff\n"
		"[metadata]\nowner = me\n";
	static const uint8_t ret[] = { 1, 0, 0, 0 }, b[] = { 0, 0xff };
	const struct engine_global g[] = { { "RET", ret, 4 }, { "B", b, 2 } };
	const struct engine_kv md[] = { { "owner", "me" } };
	char dir[] = "/tmp/plugfs-test-state-XXXXXX", hdir[PATH_MAX], cmd[PATH_MAX];
	struct engine *e = calloc(1, sizeof(*e));
	struct eng_hook *h = calloc(1, sizeof(*h));
	struct eng_entry *en = calloc(1, sizeof(*en));
	struct saved_entry *s;
	const char *t;
	size_t len;

	(void)state;
	assert_non_null(e);
	assert_non_null(h);
	assert_non_null(en);
	assert_non_null(mkdtemp(dir));
	snprintf(e->state_dir, sizeof(e->state_dir), "%s", dir);
	e->journal_fd = -1;	/* written directly */
	snprintf(h->ifname, sizeof(h->ifname), "eth0");
	h->ifindex = 7;
	snprintf(h->mode, sizeof(h->mode), "native");
	en->prio = 10;
	en->slot = 3;
	en->prog_id = 42;
	en->prog_fd = -1;
	snprintf(en->prog_name, sizeof(en->prog_name), "xdp_prog");
	assert_int_equal(engine_parse_proceed_on(ENGINE_HOOK_XDP, "pass dispatcher_return",
						 &en->proceed_mask), 0);
	snprintf(en->object_path, sizeof(en->object_path), "/tmp/p.o");
	memset(en->sha256, '0', 64);
	en->obj_size = 5;
	snprintf(en->mode, sizeof(en->mode), "native");
	en->cidx = 4;
	en->timed = true;
	en->globals = globals_dup(g, 2);
	en->n_globals = 2;
	en->metadata = kv_lines(md, 1);
	h->ent[0] = en;
	h->n = 1;

	assert_int_equal(state_save_entry(e, h, en, "ELF!\n", 5), 0);
	t = file_text(dir, "ifaces/eth0/xdp/10.ini", &len);
	assert_non_null(t);
	assert_string_equal(t, want);
	t = file_text(dir, "objects/0000000000000000000000000000000000000000000000000000000000000000.o",
		      &len);
	assert_non_null(t);
	assert_int_equal(len, 5);

	assert_int_equal(state_hook_dir(e, "eth0", ENGINE_HOOK_XDP, hdir, sizeof(hdir)), 0);
	s = state_read_entry(hdir, 10);
	assert_non_null(s);
	assert_true(s->has_hook);
	assert_int_equal(s->hook.ifindex, 7);
	assert_string_equal(s->hook.mode, "native");
	assert_false(s->hook.qdisc_created);
	assert_int_equal(s->slot, 3);
	assert_int_equal(s->prog_id, 42);
	assert_string_equal(s->prog_name, "xdp_prog");
	assert_string_equal(s->proceed_on, "pass, dispatcher_return");
	assert_int_equal(s->obj_size, 5);
	assert_string_equal(s->map_pin_path, "");
	assert_int_equal(s->counter, 4);
	assert_int_equal(s->timed, 1);
	assert_int_equal(s->n_globals, 2);
	assert_string_equal(s->globals[0].name, "RET");
	assert_int_equal(s->globals[0].len, 4);
	assert_memory_equal(s->globals[0].data, ret, 4);
	assert_string_equal(s->globals[1].name, "B");
	assert_int_equal(s->globals[1].len, 2);
	assert_memory_equal(s->globals[1].data, b, 2);
	assert_int_equal(s->n_metadata, 1);
	assert_string_equal(s->metadata[0].key, "owner");
	assert_string_equal(s->metadata[0].value, "me");
	state_entry_free(s);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	entry_free(en);
	free(h);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(proceed_on_xdp),
		cmocka_unit_test(proceed_on_tc),
		cmocka_unit_test(priorities),
		cmocka_unit_test(main_len_with_subprog),
		cmocka_unit_test(stack_depth),
		cmocka_unit_test(layout),
		cmocka_unit_test(subprog_exits_kept),
		cmocka_unit_test(stack_too_deep),
		cmocka_unit_test(counts_verdicts),
		cmocka_unit_test(counts_time),
		cmocka_unit_test(counts_stack_subprog),
		cmocka_unit_test(root_map_load),
		cmocka_unit_test(journal_records),
		cmocka_unit_test(state_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

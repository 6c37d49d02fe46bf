/* SPDX-License-Identifier: MIT */
/*
 * The assembler of the instruction-set test vectors. One vector is a `test`
 * line, instruction lines (optionally `label:` first) and directives
 * (`result`, `fault`, `budget`, `kernel-refuses`); the syntax is described
 * in tests/README.md. Jump and call targets are labels or +N/-N slots.
 */
#include "isa_asm.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80	/* RFC 9669 sign-extending load; older uapi headers lack it */
#endif

#define MAX_LABELS 32
#define MAX_OPS 4

/* One vector being assembled: labels and the jumps that still name one. */
struct asm_state {
	struct isa_vector *v;
	struct {
		char name[32];
		unsigned pc;
	} labels[MAX_LABELS];
	unsigned nr_labels;
	struct {
		char name[32];
		unsigned pc;
		unsigned line;
	} fixups[ISA_MAX_INSNS];
	unsigned nr_fixups;
	const char *path;
	unsigned line;
	char *err;
	size_t err_size;
};

static int asm_err(struct asm_state *s, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(s->err, s->err_size, "%s:%u: ", s->path, s->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < s->err_size)
		vsnprintf(s->err + n, s->err_size - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const struct {
	const char *name;
	uint8_t op;
	int16_t off;
} alu_ops[] = {
	{ "add", BPF_ADD, 0 },	 { "sub", BPF_SUB, 0 },	 { "mul", BPF_MUL, 0 },
	{ "div", BPF_DIV, 0 },	 { "sdiv", BPF_DIV, 1 }, { "mod", BPF_MOD, 0 },
	{ "smod", BPF_MOD, 1 },	 { "or", BPF_OR, 0 },	 { "and", BPF_AND, 0 },
	{ "lsh", BPF_LSH, 0 },	 { "rsh", BPF_RSH, 0 },	 { "arsh", BPF_ARSH, 0 },
	{ "xor", BPF_XOR, 0 },	 { "mov", BPF_MOV, 0 },	 { "neg", BPF_NEG, 0 },
};

static const struct {
	const char *name;
	uint8_t op;
} jmp_ops[] = {
	{ "jeq", BPF_JEQ },   { "jgt", BPF_JGT },   { "jge", BPF_JGE },	  { "jset", BPF_JSET },
	{ "jne", BPF_JNE },   { "jsgt", BPF_JSGT }, { "jsge", BPF_JSGE }, { "jlt", BPF_JLT },
	{ "jle", BPF_JLE },   { "jslt", BPF_JSLT }, { "jsle", BPF_JSLE },
};

static const struct {
	const char *name;
	int32_t imm;
} atomic_ops[] = {
	{ "add", BPF_ADD },
	{ "or", BPF_OR },
	{ "and", BPF_AND },
	{ "xor", BPF_XOR },
	{ "fetch_add", BPF_ADD | BPF_FETCH },
	{ "fetch_or", BPF_OR | BPF_FETCH },
	{ "fetch_and", BPF_AND | BPF_FETCH },
	{ "fetch_xor", BPF_XOR | BPF_FETCH },
	{ "xchg", BPF_XCHG },
	{ "cmpxchg", BPF_CMPXCHG },
};

static const struct {
	const char *name;
	uint8_t size;
} sizes[] = { { "b", BPF_B }, { "h", BPF_H }, { "w", BPF_W }, { "dw", BPF_DW } };

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int parse_reg(struct asm_state *s, const char *t, uint8_t *reg)
{
	char *end;
	long r;

	if (t[0] != 'r' || !isdigit((unsigned char)t[1]))
		return asm_err(s, "'%s' is not a register (r0..r10)", t);
	r = strtol(t + 1, &end, 10);
	if (*end || r > 10)
		return asm_err(s, "'%s' is not a register (r0..r10)", t);
	*reg = (uint8_t)r;
	return 0;
}

/* A number in C syntax (decimal, 0x hex, leading '-'), kept as 64 bits. */
static int parse_u64(struct asm_state *s, const char *t, uint64_t *val)
{
	const char *p = t[0] == '-' ? t + 1 : t;
	char *end;
	uint64_t u;

	if (!isdigit((unsigned char)*p))
		return asm_err(s, "'%s' is not a number", t);
	errno = 0;
	u = strtoull(p, &end, 0);
	if (*end || errno)
		return asm_err(s, "'%s' is not a 64-bit number", t);
	*val = t[0] == '-' ? -u : u;
	return 0;
}

/* A 32-bit immediate: -2^31 .. 2^32-1 (0xffffffff is the same bits as -1). */
static int parse_imm(struct asm_state *s, const char *t, int32_t *imm)
{
	uint64_t u;
	int64_t v;

	if (parse_u64(s, t, &u))
		return -EINVAL;
	v = (int64_t)u;
	if (t[0] == '-' ? v < INT32_MIN : u > UINT32_MAX)
		return asm_err(s, "'%s' does not fit in a 32-bit immediate", t);
	*imm = (int32_t)(uint32_t)u;
	return 0;
}

/* "[rN]", "[rN+OFF]" or "[rN-OFF]". */
static int parse_mem(struct asm_state *s, const char *t, uint8_t *reg, int16_t *off)
{
	char buf[40], *sign;
	size_t n = strlen(t);
	long o = 0;

	if (n < 4 || n >= sizeof(buf) || t[0] != '[' || t[n - 1] != ']')
		return asm_err(s, "'%s' is not a memory operand [rN+off]", t);
	memcpy(buf, t + 1, n - 2);
	buf[n - 2] = 0;
	sign = strpbrk(buf, "+-");
	if (sign) {
		char *end;

		o = strtol(sign + 1, &end, 0);
		if (*end || sign[1] == 0 || o > 32768)
			return asm_err(s, "bad offset in '%s'", t);
		if (*sign == '-')
			o = -o;
		if (o > INT16_MAX)
			return asm_err(s, "bad offset in '%s'", t);
		*sign = 0;
	}
	*off = (int16_t)o;
	return parse_reg(s, buf, reg);
}

static struct bpf_insn *next_insn(struct asm_state *s, unsigned slots)
{
	struct isa_vector *v = s->v;
	struct bpf_insn *in;

	if (v->nr_insns + slots > ISA_MAX_INSNS) {
		asm_err(s, "more than %u instructions", ISA_MAX_INSNS);
		return NULL;
	}
	in = &v->insns[v->nr_insns];
	memset(in, 0, slots * sizeof(*in));
	v->nr_insns += slots;
	return in;
}

/* Jump/call target: +N/-N now, or a label resolved at the end of the vector. */
static int parse_target(struct asm_state *s, const char *t, unsigned pc, int32_t *rel)
{
	if (t[0] == '+' || t[0] == '-') {
		char *end;
		long r = strtol(t, &end, 10);

		if (*end || t[1] == 0)
			return asm_err(s, "bad jump offset '%s'", t);
		*rel = (int32_t)r;
		return 0;
	}
	if (s->nr_fixups >= ISA_MAX_INSNS || strlen(t) >= sizeof(s->fixups[0].name))
		return asm_err(s, "bad label '%s'", t);
	snprintf(s->fixups[s->nr_fixups].name, sizeof(s->fixups[0].name), "%s", t);
	s->fixups[s->nr_fixups].pc = pc;
	s->fixups[s->nr_fixups].line = s->line;
	s->nr_fixups++;
	*rel = 0;
	return 0;
}

static int need_ops(struct asm_state *s, const char *mn, int n, int want)
{
	if (n != want)
		return asm_err(s, "%s takes %d operand(s), got %d", mn, want, n);
	return 0;
}

/* Strips a trailing "32"/"64" from mn into *bits (0 when neither). */
static void split_width(const char *mn, char *base, size_t size, int *bits)
{
	size_t n = strlen(mn);

	snprintf(base, size, "%s", mn);
	*bits = 0;
	if (n > 2 && (!strcmp(mn + n - 2, "32") || !strcmp(mn + n - 2, "64"))) {
		*bits = atoi(mn + n - 2);
		base[n - 2] = 0;
	}
}

/* rD, rS | rD, IMM: fills src_reg or imm and the source bit. */
static int parse_src(struct asm_state *s, const char *t, struct bpf_insn *in)
{
	if (t[0] == 'r') {
		uint8_t r;

		if (parse_reg(s, t, &r))
			return -EINVAL;
		in->src_reg = r;
		in->code |= BPF_X;
		return 0;
	}
	return parse_imm(s, t, &in->imm);
}

/* The head of "MNEMONIC rD, ...": operand count, rD, the instruction's slot. */
static struct bpf_insn *insn_with_dst(struct asm_state *s, const char *mn, char **ops, int n,
				      int want, uint8_t code)
{
	struct bpf_insn *in;
	uint8_t d;

	if (need_ops(s, mn, n, want) || parse_reg(s, ops[0], &d) || !(in = next_insn(s, 1)))
		return NULL;
	in->code = code;
	in->dst_reg = d;
	return in;
}

/* movsx64.8 / movsx64.16 / movsx64.32 / movsx32.8 / movsx32.16 rD, rS */
static int asm_movsx(struct asm_state *s, const char *mn, char **ops, int n)
{
	struct bpf_insn *in;
	int bits, from;
	uint8_t r;

	if (sscanf(mn, "movsx%d.%d", &bits, &from) != 2 || (bits != 32 && bits != 64) ||
	    (from != 8 && from != 16 && from != 32) || (bits == 32 && from == 32))
		return asm_err(s, "unknown instruction '%s'", mn);
	in = insn_with_dst(s, mn, ops, n, 2, (bits == 64 ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_X);
	if (!in || parse_reg(s, ops[1], &r))
		return -EINVAL;
	in->src_reg = r;
	in->off = (int16_t)from;
	return 0;
}

/* le16..be64 (BPF_ALU) and bswap16..64 (BPF_ALU64) rD */
static int asm_end(struct asm_state *s, const char *base, int bits, char **ops, int n)
{
	uint8_t code = BPF_ALU64 | BPF_END | BPF_TO_LE;
	struct bpf_insn *in;

	if (!strcmp(base, "le"))
		code = BPF_ALU | BPF_END | BPF_TO_LE;
	else if (!strcmp(base, "be"))
		code = BPF_ALU | BPF_END | BPF_TO_BE;
	in = insn_with_dst(s, base, ops, n, 1, code);
	if (!in)
		return -EINVAL;
	in->imm = bits;
	return 0;
}

static int asm_alu(struct asm_state *s, const char *base, int bits, char **ops, int n)
{
	struct bpf_insn *in;
	size_t i;

	for (i = 0; i < N_OF(alu_ops) && strcmp(base, alu_ops[i].name); i++)
		;
	if (i == N_OF(alu_ops) || !bits)
		return 1;
	in = insn_with_dst(s, base, ops, n, alu_ops[i].op == BPF_NEG ? 1 : 2,
			   (bits == 64 ? BPF_ALU64 : BPF_ALU) | alu_ops[i].op);
	if (!in)
		return -EINVAL;
	in->off = alu_ops[i].off;
	return alu_ops[i].op == BPF_NEG ? 0 : parse_src(s, ops[1], in);
}

static int asm_jmp(struct asm_state *s, const char *base, int bits, char **ops, int n)
{
	struct bpf_insn *in;
	int32_t rel;
	size_t i;

	for (i = 0; i < N_OF(jmp_ops) && strcmp(base, jmp_ops[i].name); i++)
		;
	if (i == N_OF(jmp_ops) || bits == 64)
		return 1;
	in = insn_with_dst(s, base, ops, n, 3, (bits == 32 ? BPF_JMP32 : BPF_JMP) | jmp_ops[i].op);
	if (!in || parse_src(s, ops[1], in) || parse_target(s, ops[2], s->v->nr_insns - 1, &rel))
		return -EINVAL;
	in->off = (int16_t)rel;
	return 0;
}

/* ja, gotol, call (local), exit */
static int asm_flow(struct asm_state *s, const char *mn, char **ops, int n)
{
	bool is_exit = !strcmp(mn, "exit");
	struct bpf_insn *in;
	int32_t rel = 0;

	if (!is_exit && strcmp(mn, "ja") && strcmp(mn, "gotol") && strcmp(mn, "call"))
		return 1;
	if (need_ops(s, mn, n, is_exit ? 0 : 1))
		return -EINVAL;
	in = next_insn(s, 1);
	if (!in)
		return -EINVAL;
	if (is_exit) {
		in->code = BPF_JMP | BPF_EXIT;
		return 0;
	}
	if (parse_target(s, ops[0], s->v->nr_insns - 1, &rel))
		return -EINVAL;
	if (!strcmp(mn, "ja")) {
		in->code = BPF_JMP | BPF_JA;
		in->off = (int16_t)rel;
	} else if (!strcmp(mn, "gotol")) {
		in->code = BPF_JMP32 | BPF_JA;
		in->imm = rel;
	} else {
		in->code = BPF_JMP | BPF_CALL;
		in->src_reg = BPF_PSEUDO_CALL;
		in->imm = rel;
	}
	return 0;
}

static int asm_lddw(struct asm_state *s, char **ops, int n)
{
	struct bpf_insn *in;
	uint64_t val;
	uint8_t d;

	if (need_ops(s, "lddw", n, 2) || parse_reg(s, ops[0], &d) || parse_u64(s, ops[1], &val))
		return -EINVAL;
	in = next_insn(s, 2);
	if (!in)
		return -EINVAL;
	in[0].code = BPF_LD | BPF_IMM | BPF_DW;
	in[0].dst_reg = d;
	in[0].imm = (int32_t)(uint32_t)val;
	in[1].imm = (int32_t)(uint32_t)(val >> 32);
	return 0;
}

static int find_size(const char *t, uint8_t *size)
{
	size_t i;

	for (i = 0; i < N_OF(sizes); i++)
		if (!strcmp(t, sizes[i].name)) {
			*size = sizes[i].size;
			return 0;
		}
	return -1;
}

static int emit(struct asm_state *s, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
		int32_t imm)
{
	struct bpf_insn *in = next_insn(s, 1);

	if (!in)
		return -EINVAL;
	*in = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
	return 0;
}

/* ldx{b,h,w,dw} ldxs{b,h,w} rD, [rS+o]; stx* [rD+o], rS; st* [rD+o], IMM */
static int asm_mem(struct asm_state *s, const char *mn, char **ops, int n)
{
	uint8_t size, reg, src = 0;
	int32_t imm = 0;
	int16_t off;
	bool x;

	if (!strncmp(mn, "ldx", 3) && !find_size(mn + 3 + (mn[3] == 's'), &size)) {
		bool sx = mn[3] == 's';

		if (sx && size == BPF_DW)
			return asm_err(s, "no ldxsdw in RFC 9669");
		if (need_ops(s, mn, n, 2) || parse_reg(s, ops[0], &reg) ||
		    parse_mem(s, ops[1], &src, &off))
			return -EINVAL;
		return emit(s, BPF_LDX | (sx ? BPF_MEMSX : BPF_MEM) | size, reg, src, off, 0);
	}
	if (strncmp(mn, "st", 2))
		return 1;
	x = mn[2] == 'x';
	if (find_size(mn + 2 + x, &size))
		return 1;
	if (need_ops(s, mn, n, 2) || parse_mem(s, ops[0], &reg, &off) ||
	    (x ? parse_reg(s, ops[1], &src) : parse_imm(s, ops[1], &imm)))
		return -EINVAL;
	return emit(s, (x ? BPF_STX : BPF_ST) | BPF_MEM | size, reg, src, off, imm);
}

/* atomic_OP{32,64} [rD+o], rS */
static int asm_atomic(struct asm_state *s, const char *base, int bits, char **ops, int n)
{
	uint8_t dst, src;
	int16_t off;
	size_t i;

	if (strncmp(base, "atomic_", 7) || !bits)
		return 1;
	for (i = 0; i < N_OF(atomic_ops); i++)
		if (!strcmp(base + 7, atomic_ops[i].name))
			break;
	if (i == N_OF(atomic_ops))
		return 1;
	if (need_ops(s, base, n, 2) || parse_mem(s, ops[0], &dst, &off) ||
	    parse_reg(s, ops[1], &src))
		return -EINVAL;
	return emit(s, BPF_STX | BPF_ATOMIC | (bits == 64 ? BPF_DW : BPF_W), dst, src, off,
		    atomic_ops[i].imm);
}

static int assemble(struct asm_state *s, const char *mn, char **ops, int n)
{
	char base[32];
	int bits, rc;

	if (!strncmp(mn, "movsx", 5))
		return asm_movsx(s, mn, ops, n);
	if (!strcmp(mn, "lddw"))
		return asm_lddw(s, ops, n);
	if (sscanf(mn, "%31[a-z]%d", base, &bits) == 2 &&
	    (!strcmp(base, "le") || !strcmp(base, "be") || !strcmp(base, "bswap")))
		return asm_end(s, base, bits, ops, n);
	split_width(mn, base, sizeof(base), &bits);
	if ((rc = asm_alu(s, base, bits, ops, n)) <= 0)
		return rc;
	if ((rc = asm_jmp(s, base, bits, ops, n)) <= 0)
		return rc;
	if ((rc = asm_atomic(s, base, bits, ops, n)) <= 0)
		return rc;
	if ((rc = asm_flow(s, mn, ops, n)) <= 0)
		return rc;
	if ((rc = asm_mem(s, mn, ops, n)) <= 0)
		return rc;
	return asm_err(s, "unknown instruction '%s'", mn);
}

static char *trim(char *p)
{
	char *e;

	while (isspace((unsigned char)*p))
		p++;
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = 0;
	return p;
}

static int add_label(struct asm_state *s, const char *name)
{
	unsigned i;

	for (i = 0; i < s->nr_labels; i++)
		if (!strcmp(s->labels[i].name, name))
			return asm_err(s, "label '%s' defined twice", name);
	if (s->nr_labels >= MAX_LABELS || strlen(name) >= sizeof(s->labels[0].name) || !*name)
		return asm_err(s, "bad label '%s'", name);
	snprintf(s->labels[s->nr_labels].name, sizeof(s->labels[0].name), "%s", name);
	s->labels[s->nr_labels++].pc = s->v->nr_insns;
	return 0;
}

/* An instruction line: [label:] mnemonic op, op, ... */
static int asm_line(struct asm_state *s, char *p)
{
	char *colon = strchr(p, ':'), *ops[MAX_OPS], *mn, *rest;
	int n = 0;

	if (colon && !strchr(p, '[')) {
		*colon = 0;
		if (add_label(s, trim(p)))
			return -EINVAL;
		p = trim(colon + 1);
		if (!*p)
			return 0;
	}
	mn = p;
	rest = p + strcspn(p, " \t");
	if (*rest) {
		*rest++ = 0;
		rest = trim(rest);
		while (*rest && n < MAX_OPS) {
			char *comma = strchr(rest, ',');

			if (comma)
				*comma = 0;
			ops[n++] = trim(rest);
			rest = comma ? comma + 1 : rest + strlen(rest);
		}
		if (*rest)
			return asm_err(s, "too many operands");
	}
	return assemble(s, mn, ops, n);
}

/* Resolves the labels of the vector just read; checks it says what it expects. */
static int finish_vector(struct asm_state *s)
{
	struct isa_vector *v = s->v;
	unsigned i, j, line = s->line;

	for (i = 0; i < s->nr_fixups; i++) {
		struct bpf_insn *in = &v->insns[s->fixups[i].pc];
		int32_t rel;

		for (j = 0; j < s->nr_labels; j++)
			if (!strcmp(s->labels[j].name, s->fixups[i].name))
				break;
		s->line = s->fixups[i].line;
		if (j == s->nr_labels)
			return asm_err(s, "unknown label '%s'", s->fixups[i].name);
		rel = (int32_t)s->labels[j].pc - (int32_t)s->fixups[i].pc - 1;
		if (in->code == (BPF_JMP | BPF_CALL) || in->code == (BPF_JMP32 | BPF_JA))
			in->imm = rel;
		else
			in->off = (int16_t)rel;
	}
	s->line = v->line;
	if (!v->nr_insns)
		return asm_err(s, "test '%s' has no instructions", v->name);
	s->line = line;
	return 0;
}

static int start_vector(struct isa_set *set, struct asm_state *s, const char *name)
{
	struct isa_vector *nv = realloc(set->v, (set->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	set->v = nv;
	s->v = &nv[set->n++];
	memset(s->v, 0, sizeof(*s->v));
	snprintf(s->v->name, sizeof(s->v->name), "%s", name);
	s->v->line = s->line;
	s->nr_labels = s->nr_fixups = 0;
	if (!*name)
		return asm_err(s, "test without a name");
	return 0;
}

static bool is_word(const char *p, size_t len, const char *word)
{
	return len == strlen(word) && !strncmp(p, word, len);
}

/* result VALUE | fault KIND | budget N | kernel-refuses REASON; 1 = not one. */
static int directive(struct asm_state *s, char *p, bool *have_expect)
{
	size_t len = strcspn(p, " \t");
	char *arg = trim(p + len);
	struct isa_vector *v = s->v;

	if (is_word(p, len, "result") || is_word(p, len, "fault")) {
		if (*have_expect)
			return asm_err(s, "test '%s' has two expectations", v->name);
		*have_expect = true;
		if (p[0] == 'r')
			return parse_u64(s, arg, &v->result);
		v->is_fault = true;
		snprintf(v->fault, sizeof(v->fault), "%s", arg);
		return *arg ? 0 : asm_err(s, "fault without a kind");
	}
	if (is_word(p, len, "budget"))
		return parse_u64(s, arg, &v->budget);
	if (is_word(p, len, "kernel-refuses")) {
		snprintf(v->kernel_refuses, sizeof(v->kernel_refuses), "%s", arg);
		return *arg ? 0 : asm_err(s, "kernel-refuses without a reason");
	}
	return 1;
}

static int no_expectation(struct asm_state *s)
{
	s->line = s->v->line;
	return asm_err(s, "test '%s' has neither `result` nor `fault`", s->v->name);
}

static int read_lines(struct isa_set *set, struct asm_state *s, FILE *f)
{
	bool have_expect = true;
	char buf[512];
	int rc;

	while (fgets(buf, sizeof(buf), f)) {
		char *p, *hash = strchr(buf, '#');

		s->line++;
		if (hash)
			*hash = 0;
		p = trim(buf);
		if (!*p)
			continue;
		if (!strncmp(p, "test ", 5) || !strcmp(p, "test")) {
			if (s->v && (!have_expect ? no_expectation(s) : finish_vector(s)))
				return -EINVAL;
			if ((rc = start_vector(set, s, trim(p + 4))))
				return rc;
			have_expect = false;
			continue;
		}
		if (!s->v)
			return asm_err(s, "instruction before the first test");
		rc = directive(s, p, &have_expect);
		if (rc == 1)
			rc = asm_line(s, p);
		if (rc)
			return rc;
	}
	if (!s->v)
		return asm_err(s, "no test in the file");
	if (!have_expect)
		return no_expectation(s);
	return finish_vector(s);
}

int isa_set__load(struct isa_set *set, const char *path, char *err, size_t err_size)
{
	struct asm_state *s = calloc(1, sizeof(*s));
	FILE *f;
	int rc;

	memset(set, 0, sizeof(*set));
	if (!s)
		return -ENOMEM;
	s->path = path;
	s->err = err;
	s->err_size = err_size;
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
	} else {
		rc = read_lines(set, s, f);
		fclose(f);
	}
	free(s);
	if (rc)
		isa_set__free(set);
	return rc;
}

void isa_set__free(struct isa_set *set)
{
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

bool isa_vector__uses_v4(const struct isa_vector *v)
{
	unsigned i;

	for (i = 0; i < v->nr_insns; i++) {
		const struct bpf_insn *in = &v->insns[i];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);

		if ((cls == BPF_ALU || cls == BPF_ALU64) && in->off &&
		    (op == BPF_DIV || op == BPF_MOD || op == BPF_MOV))
			return true;
		if (cls == BPF_ALU64 && op == BPF_END)
			return true;
		if (cls == BPF_LDX && BPF_MODE(in->code) == BPF_MEMSX)
			return true;
		if (cls == BPF_JMP32 && op == BPF_JA)
			return true;
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
	return false;
}

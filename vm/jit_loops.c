/* SPDX-License-Identifier: MIT */
/*
 * Loop range proofs for the x86-64 JIT: finds loops whose memory accesses
 * can all be checked once, when the loop is entered, instead of once per
 * access and iteration.
 *
 * A candidate is a backward conditional jump `back` to `head` whose body
 * [head, back] has no call, no exit, no other backward jump, and no jump
 * from outside into it except to head. Every register value in the body
 * is tracked as affine in the iteration number k: the entry value of some
 * register + s * k + d (exact arithmetic modulo 2^64, through mov, add and
 * sub; anything else is unknown). Registers the body writes get a
 * hypothesis at head (e.g. i = i0 + k for `i += 1`, or p = q0 + 2k for a
 * copy `p = q` of another counter) which the analysis of one iteration must
 * reproduce at the back-edge; a hypothesis relating two registers is
 * checked at run time when the loop is entered.
 *
 * The back-edge `if n > v` (or v < n, >=, <=) with v = reg + s*k + d, s a
 * power of two, and n not changing in the loop bounds the iterations: the
 * entry check computes the last possible k and, for each group of accesses
 * through one base, the hull of the addresses over all iterations, and
 * compares it with the first region of the table the accesses need, as the
 * inline check does. If everything fits, the JIT runs a copy of the body
 * without the checks of those accesses; otherwise the normal, checked body.
 * Either way the same instructions run with the same results: the copy is
 * taken only when no access it leaves unchecked could fault (see
 * docs/performance.md, "VM JIT").
 */
#include "jit_loops_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX	256	/* longer loops keep their per-access checks */
#define D_MAX		(1 << 30)
#define S_MAX		(1 << 16)

/* b + b2 + s*k + d; b <= b2, JIT_LOOP_NONE (sorted last) for no register. */
struct av {
	bool known;
	uint8_t b, b2;
	int32_t s;
	int64_t d;
};

/* State before each body instruction; reached: some path got there. */
struct body {
	const struct pluglet_insn *insns;
	const uint8_t *flags;
	uint32_t head, back;
	struct av (*in)[11];
	bool *reached;
	uint16_t *defd;		/* registers written on every path from head */
};

uint16_t jit_insn_writes(const struct pluglet_insn *in)
{
	switch (OP_CLASS(in->code)) {
	case CLS_ALU:
	case CLS_ALU64:
	case CLS_LD:
	case CLS_LDX:
		return (uint16_t)(1u << in->dst_reg);
	case CLS_STX:
		if (OP_MODE(in->code) != MODE_ATOMIC)
			return 0;
		if (in->imm == ATOMIC_CMPXCHG)
			return 1u << 0;
		return (in->imm & ATOMIC_FETCH) ? (uint16_t)(1u << in->src_reg) : 0;
	case CLS_ST:
		return 0;
	default:
		return 0xffff;
	}
}

/* Registers an instruction reads (the ones the loop analysis cares about). */
static uint16_t insn_reads(const struct pluglet_insn *in)
{
	uint16_t d = (uint16_t)(1u << in->dst_reg), x = (uint16_t)(1u << in->src_reg);
	bool rx = OP_SRC(in->code) == SRC_X;
	uint8_t op = OP_CODE(in->code);

	switch (OP_CLASS(in->code)) {
	case CLS_ALU:
	case CLS_ALU64:
		if (op == ALU_MOV)
			return rx ? x : 0;
		return (uint16_t)(d | (rx && op != ALU_NEG && op != ALU_END ? x : 0));
	case CLS_LDX:
		return x;
	case CLS_ST:
		return d;
	case CLS_STX:
		return (uint16_t)(d | x | 1u);	/* cmpxchg compares r0 */
	case CLS_JMP:
	case CLS_JMP32:
		return op == JMP_JA ? 0 : (uint16_t)(d | (rx ? x : 0));
	default:
		return 0;
	}
}

static struct av av_make2(uint8_t b, uint8_t b2, int64_t s, int64_t d)
{
	struct av v = { .known = false };

	if (s > -S_MAX && s < S_MAX && d > -D_MAX && d < D_MAX) {
		v.known = true;
		v.b = b < b2 ? b : b2;
		v.b2 = b < b2 ? b2 : b;
		v.s = (int32_t)s;
		v.d = d;
	}
	return v;
}

static struct av av_make(uint8_t b, int64_t s, int64_t d)
{
	return av_make2(b, JIT_LOOP_NONE, s, d);
}

static bool av_eq(const struct av *a, const struct av *b)
{
	if (!a->known || !b->known)
		return a->known == b->known;
	return a->b == b->b && a->b2 == b->b2 && a->s == b->s && a->d == b->d;
}

/* a + sign * b, when the result still has at most two registers. */
static struct av av_add(struct av a, struct av b, int sign)
{
	int64_t s = a.s + sign * (int64_t)b.s, d = a.d + sign * b.d;

	if (!a.known || !b.known)
		return (struct av){ .known = false };
	if (b.b == JIT_LOOP_NONE)
		return av_make2(a.b, a.b2, s, d);
	if (sign > 0 && a.b == JIT_LOOP_NONE)
		return av_make2(b.b, b.b2, s, d);
	if (sign > 0 && a.b2 == JIT_LOOP_NONE && b.b2 == JIT_LOOP_NONE)
		return av_make2(a.b, b.b, s, d);
	if (sign < 0 && b.b2 == JIT_LOOP_NONE && a.b == b.b)
		return av_make2(a.b2, JIT_LOOP_NONE, s, d);
	if (sign < 0 && b.b2 == JIT_LOOP_NONE && a.b2 == b.b)
		return av_make2(a.b, JIT_LOOP_NONE, s, d);
	if (sign < 0 && a.b == b.b && a.b2 == b.b2)
		return av_make2(JIT_LOOP_NONE, JIT_LOOP_NONE, s, d);
	return (struct av){ .known = false };
}

static void transfer(struct av *r, const struct pluglet_insn *in)
{
	uint16_t w = jit_insn_writes(in);
	uint8_t op = OP_CODE(in->code), d = in->dst_reg;
	bool x = OP_SRC(in->code) == SRC_X;
	struct av k = av_make(JIT_LOOP_NONE, 0, in->imm);

	if (OP_CLASS(in->code) != CLS_ALU64 || in->off) {
		for (int i = 0; i < 11; i++)
			if (w & (1u << i))
				r[i].known = false;
		return;
	}
	if (op == ALU_MOV)
		r[d] = x ? r[in->src_reg] : k;
	else if (op == ALU_ADD)
		r[d] = av_add(r[d], x ? r[in->src_reg] : k, 1);
	else if (op == ALU_SUB)
		r[d] = av_add(r[d], x ? r[in->src_reg] : k, -1);
	else
		r[d].known = false;
}

static void merge_into(struct body *bd, uint32_t t, const struct av *r)
{
	uint32_t k = t - bd->head;

	if (!bd->reached[k]) {
		memcpy(bd->in[k], r, sizeof(bd->in[k]));
		bd->reached[k] = true;
		return;
	}
	for (int i = 0; i < 11; i++)
		if (!av_eq(&bd->in[k][i], &r[i]))
			bd->in[k][i].known = false;
}

/* One iteration from the hypotheses at head; false if back is unreachable. */
static bool body_pass(struct body *bd, const struct av *hyp)
{
	uint32_t n = bd->back - bd->head + 1, i;

	memset(bd->reached, 0, n * sizeof(*bd->reached));
	merge_into(bd, bd->head, hyp);
	for (i = bd->head; i < bd->back; i++) {
		const struct pluglet_insn *in = &bd->insns[i];
		uint8_t cls = OP_CLASS(in->code);
		struct av r[11];

		if (!bd->reached[i - bd->head] || (bd->flags[i] & JF_LDDW_HI))
			continue;
		memcpy(r, bd->in[i - bd->head], sizeof(r));
		if (cls == CLS_JMP || cls == CLS_JMP32) {
			uint32_t t = i + 1 + in->off;

			if (t <= bd->back)
				merge_into(bd, t, r);
			if (OP_CODE(in->code) == JMP_JA)
				continue;
		} else {
			transfer(r, in);
		}
		/* lddw: its second half is skipped, the state goes on past it. */
		if (in->code == (CLS_LD | MODE_IMM | SZ_DW))
			i++;
		if (i + 1 <= bd->back)
			merge_into(bd, i + 1, r);
	}
	return bd->reached[n - 1];
}

/*
 * The shape rules: back is `if` on 64-bit registers or an immediate
 * jumping to head; inside, only forward jumps and no call or exit; from
 * outside, jumps only to head (min_src/max_src: the extreme sources of
 * the jumps to each instruction).
 */
static bool loop_shape(const struct body *bd, const uint32_t *min_src, const uint32_t *max_src)
{
	const struct pluglet_insn *b = &bd->insns[bd->back];
	uint8_t op = OP_CODE(b->code);
	uint32_t i;

	if (OP_CLASS(b->code) != CLS_JMP || bd->back - bd->head >= BODY_MAX)
		return false;
	if (!(op == JMP_JGT || op == JMP_JGE || op == JMP_JLT || op == JMP_JLE))
		return false;
	if ((op == JMP_JGT || op == JMP_JGE) && OP_SRC(b->code) != SRC_X)
		return false;
	for (i = bd->head; i <= bd->back; i++) {
		const struct pluglet_insn *in = &bd->insns[i];
		uint8_t cls = OP_CLASS(in->code);

		if (i > bd->head && (bd->flags[i] & JF_TARGET) &&
		    (min_src[i] < bd->head || max_src[i] > bd->back))
			return false;
		if (bd->flags[i] & JF_LDDW_HI || i == bd->back)
			continue;
		if (cls != CLS_JMP && cls != CLS_JMP32)
			continue;
		op = OP_CODE(in->code);
		if (op == JMP_CALL || op == JMP_EXIT || in->off < 0 ||
		    (cls == CLS_JMP32 && op == JMP_JA))
			return false;
	}
	return true;
}

/*
 * Registers the body may read before writing them in the same iteration:
 * only those need a hypothesis at head (a register every path sets first
 * would otherwise tie the entry check to a value nobody reads).
 */
static uint16_t live_in(struct body *bd)
{
	uint32_t n = bd->back - bd->head + 1, i;
	uint16_t live = 0;

	memset(bd->reached, 0, n * sizeof(*bd->reached));
	bd->reached[0] = true;
	bd->defd[0] = 0;
	for (i = bd->head; i <= bd->back; i++) {
		const struct pluglet_insn *in = &bd->insns[i];
		uint8_t cls = OP_CLASS(in->code);
		uint32_t k = i - bd->head, next[2], nn = 0, t;
		uint16_t d;

		if (!bd->reached[k] || (bd->flags[i] & JF_LDDW_HI))
			continue;
		live |= insn_reads(in) & (uint16_t)~bd->defd[k];
		d = bd->defd[k];
		if (cls == CLS_JMP || cls == CLS_JMP32) {
			t = i + 1 + in->off;
			if (i < bd->back && t <= bd->back)
				next[nn++] = t;
			if (OP_CODE(in->code) != JMP_JA)
				next[nn++] = i + 1;
		} else {
			d |= jit_insn_writes(in);
			next[nn++] = i + 1 + (in->code == (CLS_LD | MODE_IMM | SZ_DW));
		}
		while (nn--) {
			t = next[nn];
			if (t > bd->back)
				continue;
			bd->defd[t - bd->head] = bd->reached[t - bd->head] ?
						 (uint16_t)(bd->defd[t - bd->head] & d) : d;
			bd->reached[t - bd->head] = true;
		}
	}
	return live;
}

/* New hypothesis for a written register from its value at the back-edge. */
static struct av hyp_next(const struct av *h, const struct av *be)
{
	if (!be->known || !h->known)
		return (struct av){ .known = false };
	if (be->b == h->b && be->b2 == h->b2 && be->s == h->s)	/* a counter: stride = step */
		return av_make2(h->b, h->b2, be->d - h->d, h->d);
	return av_make2(be->b, be->b2, be->s, be->d - be->s);
}

/*
 * Hypotheses at head that one iteration reproduces at the back-edge:
 * unwritten registers keep their entry value; written ones start as
 * "entry value" and are refined a few rounds, then dropped where they
 * still disagree. Returns false if the back-edge is unreachable.
 */
static bool find_hyp(struct body *bd, uint16_t wr, struct av *hyp)
{
	struct av *be = bd->in[bd->back - bd->head];
	uint16_t live = live_in(bd);
	int round, i;
	bool same;

	for (i = 0; i < 11; i++) {
		hyp[i] = av_make((uint8_t)i, 0, 0);
		if ((wr & (1u << i)) && !(live & (1u << i)))
			hyp[i].known = false;
	}
	for (round = 0; round < 16; round++) {
		if (!body_pass(bd, hyp))
			return false;
		same = true;
		for (i = 0; i < 11; i++) {
			struct av want = av_make2(hyp[i].b, hyp[i].b2, hyp[i].s, hyp[i].d + hyp[i].s), nx;

			if (!(wr & (1u << i)) || !hyp[i].known)
				continue;
			if (av_eq(&be[i], &want))
				continue;
			same = false;
			nx = round < 8 ? hyp_next(&hyp[i], &be[i]) : (struct av){ .known = false };
			/* x = x0 + d with d != 0 at entry cannot hold. */
			if (nx.known && nx.b == i && nx.b2 == JIT_LOOP_NONE && nx.d)
				nx.known = false;
			hyp[i] = nx;
		}
		if (same)
			return true;
	}
	return false;
}

/* The bound of the back-edge, from the state before it. */
static bool loop_bound(const struct body *bd, struct jit_loop *lp)
{
	const struct pluglet_insn *b = &bd->insns[bd->back];
	const struct av *be = bd->in[bd->back - bd->head];
	uint8_t op = OP_CODE(b->code);
	bool v_is_dst = op == JMP_JLT || op == JMP_JLE;
	struct av v = be[v_is_dst ? b->dst_reg : b->src_reg], n;

	if (OP_SRC(b->code) == SRC_K) {
		if (b->imm < 0)
			return false;
		n = av_make(JIT_LOOP_NONE, 0, b->imm);
	} else {
		n = be[v_is_dst ? b->src_reg : b->dst_reg];
	}
	if (!v.known || !n.known || n.s || v.b == JIT_LOOP_NONE || v.s <= 0 ||
	    (v.s & (v.s - 1)))
		return false;
	lp->bv = v.b;
	lp->bv2 = v.b2;
	lp->dv = (int32_t)v.d;
	lp->sv_log = (uint8_t)__builtin_ctz((unsigned)v.s);
	lp->bn = n.b;
	lp->bn2 = n.b2;
	/* taken: v <= n, i.e. v < n + 1 */
	lp->dn = n.d + (op == JMP_JGE || op == JMP_JLE);
	return true;
}

/* Groups the accesses of the body by base and stride; marks them proven. */
static void loop_groups(const struct body *bd, struct jit_loop *lp, uint8_t *proven)
{
	uint32_t i;

	for (i = bd->head; i <= bd->back; i++) {
		const struct pluglet_insn *in = &bd->insns[i];
		uint8_t cls = OP_CLASS(in->code), mode = OP_MODE(in->code), base;
		bool write = cls != CLS_LDX;
		const struct av *v;
		int64_t lo, hi;
		uint32_t g;

		if (!bd->reached[i - bd->head] || (bd->flags[i] & JF_LDDW_HI))
			continue;
		if (cls == CLS_LDX && (mode == MODE_MEM || mode == MODE_MEMSX))
			base = in->src_reg;
		else if ((cls == CLS_ST || cls == CLS_STX) && mode == MODE_MEM)
			base = in->dst_reg;
		else
			continue;
		v = &bd->in[i - bd->head][base];
		/* Stack addresses are the JIT's own business (r10 tracking). */
		if (!v->known || v->b == JIT_LOOP_NONE || v->b == 10 || v->b2 == 10)
			continue;
		lo = v->d + in->off;
		hi = lo + (1 << (OP_SIZE(in->code) == SZ_B ? 0 : OP_SIZE(in->code) == SZ_H ? 1 :
				OP_SIZE(in->code) == SZ_W ? 2 : 3));
		for (g = 0; g < lp->nr_groups; g++)
			if (lp->g[g].b == v->b && lp->g[g].b2 == v->b2 && lp->g[g].s == v->s &&
			    lp->g[g].write == write)
				break;
		if (g == lp->nr_groups) {
			if (g == JIT_LOOP_GROUPS)
				continue;
			lp->g[g] = (struct jit_loop_group){ .b = v->b, .b2 = v->b2, .write = write,
							    .s = v->s, .lo = (int32_t)lo,
							    .hi_end = (int32_t)hi };
			lp->nr_groups++;
		}
		if (lo < lp->g[g].lo)
			lp->g[g].lo = (int32_t)lo;
		if (hi > lp->g[g].hi_end)
			lp->g[g].hi_end = (int32_t)hi;
		proven[i] = 1;
	}
}

static bool loop_analyse(struct body *bd, const uint32_t *min_src, const uint32_t *max_src,
			 struct jit_loop *lp, uint8_t *proven)
{
	struct av hyp[11];
	uint16_t wr = 0;
	uint32_t i;

	if (!loop_shape(bd, min_src, max_src))
		return false;
	for (i = bd->head; i < bd->back; i++) {
		uint8_t cls = OP_CLASS(bd->insns[i].code);

		if (!(bd->flags[i] & JF_LDDW_HI) && cls != CLS_JMP && cls != CLS_JMP32)
			wr |= jit_insn_writes(&bd->insns[i]);
	}
	if (wr & (1u << 10))
		return false;
	if (!find_hyp(bd, wr, hyp) || !loop_bound(bd, lp))
		return false;
	memset(lp->eq, 0, sizeof(lp->eq));
	lp->nr_eq = 0;
	for (i = 0; i < 11; i++)
		if (hyp[i].known && (hyp[i].b != i || hyp[i].b2 != JIT_LOOP_NONE))
			lp->eq[lp->nr_eq++] = (struct jit_loop_eq){
				.x = (uint8_t)i, .b = hyp[i].b, .b2 = hyp[i].b2, .d = (int32_t)hyp[i].d };
	lp->nr_groups = 0;
	lp->head = bd->head;
	lp->back = bd->back;
	loop_groups(bd, lp, proven);
	return lp->nr_groups > 0;
}

/* Sources of the jumps to each instruction: the lowest and the highest. */
static void jump_sources(const struct pluglet_insn *insns, uint32_t nr, const uint8_t *flags,
			 uint32_t *min_src, uint32_t *max_src)
{
	uint32_t i;

	for (i = 0; i < nr; i++) {
		min_src[i] = UINT32_MAX;
		max_src[i] = 0;
	}
	for (i = 0; i < nr; i++) {
		uint8_t cls = OP_CLASS(insns[i].code), op = OP_CODE(insns[i].code);
		int64_t t;

		if ((flags[i] & JF_LDDW_HI) || (cls != CLS_JMP && cls != CLS_JMP32) ||
		    op == JMP_EXIT || op == JMP_CALL)
			continue;
		t = (int64_t)i + 1 + ((op == JMP_JA && cls == CLS_JMP32) ? insns[i].imm : insns[i].off);
		if (t < 0 || t >= nr)
			continue;
		if (i < min_src[t])
			min_src[t] = i;
		if (i > max_src[t])
			max_src[t] = i;
	}
}

int jit_loops_find(const struct pluglet_insn *insns, uint32_t nr, const uint8_t *flags,
		   struct jit_loop **loops, uint32_t *nr_loops, uint8_t *proven)
{
	uint32_t *min_src = calloc(nr, sizeof(*min_src)), *max_src = calloc(nr, sizeof(*max_src));
	struct body bd = { .insns = insns, .flags = flags };
	struct jit_loop *out = NULL, lp;
	uint32_t n = 0, cap = 0, i;
	int err = -ENOMEM;

	bd.in = malloc(BODY_MAX * sizeof(*bd.in));
	bd.reached = malloc(BODY_MAX * sizeof(*bd.reached));
	bd.defd = malloc(BODY_MAX * sizeof(*bd.defd));
	if (!min_src || !max_src || !bd.in || !bd.reached || !bd.defd)
		goto out;
	jump_sources(insns, nr, flags, min_src, max_src);
	for (i = 0; i < nr; i++) {
		const struct pluglet_insn *in = &insns[i];

		if ((flags[i] & JF_LDDW_HI) || OP_CLASS(in->code) != CLS_JMP || in->off >= 0 ||
		    OP_CODE(in->code) == JMP_JA || OP_CODE(in->code) == JMP_CALL ||
		    OP_CODE(in->code) == JMP_EXIT || (int64_t)i + 1 + in->off < 0)
			continue;
		bd.head = (uint32_t)((int64_t)i + 1 + in->off);
		bd.back = i;
		memset(&lp, 0, sizeof(lp));
		if (!loop_analyse(&bd, min_src, max_src, &lp, proven))
			continue;
		if (n == cap) {
			struct jit_loop *p = realloc(out, (cap ? cap * 2 : 4) * sizeof(*p));

			if (!p)
				goto out;
			out = p;
			cap = cap ? cap * 2 : 4;
		}
		out[n++] = lp;
	}
	err = 0;
out:
	if (err) {
		free(out);
		out = NULL;
		n = 0;
	}
	*loops = out;
	*nr_loops = n;
	free(min_src);
	free(max_src);
	free(bd.in);
	free(bd.reached);
	free(bd.defd);
	return err;
}

/* SPDX-License-Identifier: MIT */
/*
 * Loop range proofs for the x86-64 JIT: finds loops whose memory accesses
 * can all be checked once, when the loop is entered, instead of once per
 * access and iteration.
 *
 * A candidate is a conditional jump `back` to `head` (either direction)
 * and its loop: the instructions on the paths from head to back, entered
 * only at head, with no call, no exit and no other cycle inside. Every register value in the body
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
 * A loop without such a bound (a strcmp, ended by the data) can still use
 * a counter r = r0 + s*k: the entry check computes the last k for which
 * every group stays in its region, and the copy compares r with the
 * matching limit at its head, going back to the checked body past it.
 * Either way the same instructions run with the same results: the copy is
 * taken only when no access it leaves unchecked could fault (see
 * docs/performance.md, "VM JIT").
 */
#include "jit_loops_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX	256	/* longer loops keep their per-access checks */
/* Bounds on the analysis, so that no program makes loading slow: jump
 * sources read per candidate, candidates looked at, loops analysed. */
#define PREDS_MAX	(4 * BODY_MAX)
#define CANDIDATES_MAX	4096
#define ANALYSED_MAX	256
#define D_MAX		(1 << 30)
#define S_MAX		(1 << 16)
#define R_MAX		(1 << 28)

/* b + b2 + s*k + d + [0, r]; b <= b2, JIT_LOOP_NONE (sorted last) for no
 * register. */
struct av {
	bool known;
	uint8_t b, b2;
	int32_t s;
	int64_t d;
	int64_t r;	/* + some t in [0, r] (a masked index) */
};

/*
 * The program's control flow (successors of each instruction, and their
 * predecessors as lists), and one loop under analysis: its members in an
 * order where every edge but the back-edge goes forward (topological),
 * slot[i] = position of instruction i in it (-1: not a member), the state
 * before each member, whether a path reached it, and the registers every
 * path from head wrote before it.
 */
struct body {
	const struct pluglet_insn *insns;
	const uint8_t *flags;
	uint32_t nr;
	uint32_t *pred_start, *preds;	/* CSR: preds[pred_start[i] .. pred_start[i + 1]) */
	uint32_t head, back;
	uint32_t *mem, nm;
	int32_t *slot;
	uint32_t *indeg, *order;
	const uint32_t *member;		/* loops accepted so far (index + 1) */
	struct av (*in)[11];
	bool *reached;
	uint16_t *defd;
	uint8_t *mark;		/* per member: an access the entry check covers */
	uint32_t preds_read;	/* this candidate's, against PREDS_MAX */
	/* Stack slots [r10 + slot_off[j], +8) no store of the loop can reach:
	 * an 8-byte load from one gives base JIT_LOOP_SLOT + j. */
	uint32_t nslots;
	int16_t slot_off[JIT_LOOP_SLOTS];
};

uint32_t jit_insn_succs(const struct pluglet_insn *insns, uint32_t nr, uint32_t i, bool callee,
			uint32_t out[2])
{
	const struct pluglet_insn *in = &insns[i];
	uint8_t cls = OP_CLASS(in->code), op = OP_CODE(in->code);
	uint32_t n = 0;
	int64_t t;

	if (cls != CLS_JMP && cls != CLS_JMP32) {
		t = i + 1 + (in->code == (CLS_LD | MODE_IMM | SZ_DW));
		if (t < nr)
			out[n++] = (uint32_t)t;
		return n;
	}
	if (op == JMP_EXIT)
		return 0;
	if (op == JMP_CALL && (!callee || in->src_reg != CALL_SRC_LOCAL || OP_SRC(in->code) == SRC_X))
		t = -1;
	else if (op == JMP_CALL || (op == JMP_JA && cls == CLS_JMP32))
		t = (int64_t)i + 1 + in->imm;
	else
		t = (int64_t)i + 1 + in->off;
	if (t >= 0 && t < nr)
		out[n++] = (uint32_t)t;
	if (op != JMP_JA && i + 1 < nr)
		out[n++] = i + 1;
	return n;
}

/* Successors of instruction i inside the program (calls: the callee too). */
static uint32_t succs(const struct body *bd, uint32_t i, uint32_t out[2])
{
	return jit_insn_succs(bd->insns, bd->nr, i, true, out);
}

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
	return a->b == b->b && a->b2 == b->b2 && a->s == b->s && a->d == b->d && a->r == b->r;
}

static struct av av_range(struct av v, int64_t r)
{
	if (v.known && r >= 0 && r < R_MAX)
		v.r = r;
	else
		v.known = false;
	return v;
}

/* The register and stride part of a + sign * b (ranges left out). */
static struct av av_add_exact(struct av a, struct av b, int sign, int64_t extra)
{
	int64_t s = a.s + sign * (int64_t)b.s, d = a.d + sign * b.d + extra;

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

/* a + sign * b, when the result still has at most two registers. */
static struct av av_add(struct av a, struct av b, int sign)
{
	if (!a.known || !b.known)
		return (struct av){ .known = false };
	/* a - b = a.d - b.d - b.r + [0, a.r + b.r] */
	return av_range(av_add_exact(a, b, sign, sign < 0 ? -b.r : 0), a.r + b.r);
}

static void transfer(const struct body *bd, struct av *r, const struct pluglet_insn *in)
{
	uint16_t w = jit_insn_writes(in);
	uint8_t op = OP_CODE(in->code), d = in->dst_reg;
	bool x = OP_SRC(in->code) == SRC_X;
	struct av k = av_make(JIT_LOOP_NONE, 0, in->imm);

	if (in->code == (CLS_LDX | MODE_MEM | SZ_DW) && in->src_reg == 10) {
		for (uint32_t j = 0; j < bd->nslots; j++)
			if (bd->slot_off[j] == in->off) {
				r[d] = av_make((uint8_t)(JIT_LOOP_SLOT + j), 0, 0);
				return;
			}
	}
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
	else if (op == ALU_AND && !x && in->imm >= 0)	/* [0, imm], whatever it was */
		r[d] = av_range(av_make(JIT_LOOP_NONE, 0, 0), in->imm);
	else if (op == ALU_LSH && !x && r[d].known && r[d].b == JIT_LOOP_NONE && !r[d].s &&
		 (in->imm & 63) < 16)
		r[d] = av_range(av_make(JIT_LOOP_NONE, 0, r[d].d * (1ll << (in->imm & 63))),
				r[d].r << (in->imm & 63));
	else
		r[d].known = false;
}

static void merge_into(struct body *bd, uint32_t t, const struct av *r)
{
	int32_t k = bd->slot[t];

	if (!bd->reached[k]) {
		memcpy(bd->in[k], r, sizeof(bd->in[k]));
		bd->reached[k] = true;
		return;
	}
	for (int i = 0; i < 11; i++)
		if (!av_eq(&bd->in[k][i], &r[i]))
			bd->in[k][i].known = false;
}

/* Successors of member m that are members and not head (the edges of one
 * iteration). */
static uint32_t body_succs(const struct body *bd, uint32_t m, uint32_t out[2])
{
	uint32_t t[2], n = succs(bd, m, t), k = 0;

	for (uint32_t j = 0; j < n; j++)
		if (bd->slot[t[j]] >= 0 && t[j] != bd->head)
			out[k++] = t[j];
	return k;
}

/* One iteration from the hypotheses at head; false if back is unreachable. */
static bool body_pass(struct body *bd, const struct av *hyp)
{
	uint32_t k;

	memset(bd->reached, 0, bd->nm * sizeof(*bd->reached));
	merge_into(bd, bd->head, hyp);
	for (k = 0; k < bd->nm; k++) {
		uint32_t m = bd->mem[k], t[2], n, j;
		const struct pluglet_insn *in = &bd->insns[m];
		uint8_t cls = OP_CLASS(in->code);
		struct av r[11];

		if (!bd->reached[k])
			continue;
		memcpy(r, bd->in[k], sizeof(r));
		if (cls != CLS_JMP && cls != CLS_JMP32)
			transfer(bd, r, in);
		n = body_succs(bd, m, t);
		for (j = 0; j < n; j++)
			merge_into(bd, t[j], r);
	}
	return bd->reached[bd->slot[bd->back]];
}

/* Entry only at head, nothing but plain instructions and forward jumps,
 * then the members in an order where every edge of an iteration goes
 * forward (false if there is another cycle). */
static bool loop_order(struct body *bd)
{
	uint32_t k, i, t[2], n, j, q = 0, out = 0;

	for (k = 0; k < bd->nm; k++) {
		uint32_t m = bd->mem[k];
		const struct pluglet_insn *in = &bd->insns[m];
		uint8_t cls = OP_CLASS(in->code), op = OP_CODE(in->code);

		if ((cls == CLS_JMP || cls == CLS_JMP32) &&
		    (op == JMP_CALL || op == JMP_EXIT || (op == JMP_JA && cls == CLS_JMP32)))
			return false;
		if ((bd->preds_read += bd->pred_start[m + 1] - bd->pred_start[m]) > 2 * PREDS_MAX)
			return false;
		for (i = bd->pred_start[m]; i < bd->pred_start[m + 1]; i++) {
			uint32_t p = bd->preds[i];

			if (m != bd->head ? bd->slot[p] < 0 : bd->slot[p] >= 0 && p != bd->back)
				return false;
		}
		bd->indeg[k] = 0;
	}
	if (bd->back + 1 == bd->head)
		return false;
	for (k = 0; k < bd->nm; k++) {
		n = body_succs(bd, bd->mem[k], t);
		for (j = 0; j < n; j++)
			bd->indeg[bd->slot[t[j]]]++;
	}
	/* Kahn's algorithm; order[] collects, then replaces mem. */
	for (k = 0; k < bd->nm; k++)
		if (!bd->indeg[k])
			bd->order[q++] = bd->mem[k];
	while (out < q) {
		uint32_t m = bd->order[out++];

		n = body_succs(bd, m, t);
		for (j = 0; j < n; j++)
			if (!--bd->indeg[bd->slot[t[j]]])
				bd->order[q++] = t[j];
	}
	if (q != bd->nm || bd->order[0] != bd->head)
		return false;
	for (k = 0; k < bd->nm; k++) {
		bd->mem[k] = bd->order[k];
		bd->slot[bd->mem[k]] = (int32_t)k;
	}
	return true;
}

/*
 * The loop of the back-edge back -> head: every instruction that reaches
 * back without passing head (found backwards through the predecessors),
 * entered only at head (no member but head has a predecessor outside, or
 * is the program's first instruction), with back's jump the only edge to
 * head from inside, no call or exit, and no other cycle (members ordered
 * so that every other edge goes forward). Fills mem, nm and slot.
 */
static bool loop_members(struct body *bd)
{
	uint32_t top, i;

	bd->nm = 0;
	bd->slot[bd->head] = 0;
	bd->mem[bd->nm++] = bd->head;
	if (bd->back == bd->head)
		return false;
	/* Backwards from back; mem doubles as the work list. */
	bd->slot[bd->back] = 1;
	bd->mem[bd->nm++] = bd->back;
	for (top = 1; top < bd->nm; top++) {
		uint32_t m = bd->mem[top];

		if (m == 0)
			return false;
		if ((bd->preds_read += bd->pred_start[m + 1] - bd->pred_start[m]) > PREDS_MAX)
			return false;
		for (i = bd->pred_start[m]; i < bd->pred_start[m + 1]; i++) {
			uint32_t p = bd->preds[i];

			if (bd->slot[p] >= 0)
				continue;
			if (bd->nm == BODY_MAX)
				return false;
			bd->slot[p] = (int32_t)bd->nm;
			bd->mem[bd->nm++] = p;
		}
	}
	return loop_order(bd);
}

/*
 * Registers the body may read before writing them in the same iteration:
 * only those need a hypothesis at head (a register every path sets first
 * would otherwise tie the entry check to a value nobody reads).
 */
static uint16_t live_in(struct body *bd)
{
	uint16_t live = 0;
	uint32_t k;

	memset(bd->reached, 0, bd->nm * sizeof(*bd->reached));
	bd->reached[0] = true;
	bd->defd[0] = 0;
	for (k = 0; k < bd->nm; k++) {
		uint32_t m = bd->mem[k], t[2], n, j;
		const struct pluglet_insn *in = &bd->insns[m];
		uint16_t d;

		if (!bd->reached[k])
			continue;
		live |= insn_reads(in) & (uint16_t)~bd->defd[k];
		d = bd->defd[k];
		if (OP_CLASS(in->code) != CLS_JMP && OP_CLASS(in->code) != CLS_JMP32)
			d |= jit_insn_writes(in);
		n = body_succs(bd, m, t);
		for (j = 0; j < n; j++) {
			int32_t x = bd->slot[t[j]];

			bd->defd[x] = bd->reached[x] ? (uint16_t)(bd->defd[x] & d) : d;
			bd->reached[x] = true;
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
	struct av *be = bd->in[bd->slot[bd->back]];
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
			/* x = x0 + d with d != 0 at entry cannot hold; a range is not
			 * checked at entry. */
			if (nx.known && ((nx.b == i && nx.b2 == JIT_LOOP_NONE && nx.d) || nx.r))
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
	const struct av *be = bd->in[bd->slot[bd->back]];
	uint8_t op = OP_CODE(b->code);
	bool v_is_dst = op == JMP_JLT || op == JMP_JLE;
	struct av v = be[v_is_dst ? b->dst_reg : b->src_reg], n;

	if (OP_CLASS(b->code) != CLS_JMP ||
	    !(v_is_dst || (OP_SRC(b->code) == SRC_X && (op == JMP_JGT || op == JMP_JGE))))
		return false;
	if (OP_SRC(b->code) == SRC_K) {
		if (b->imm < 0)
			return false;
		n = av_make(JIT_LOOP_NONE, 0, b->imm);
	} else {
		n = be[v_is_dst ? b->src_reg : b->dst_reg];
	}
	if (!v.known || !n.known || n.s || v.r || n.r || v.b == JIT_LOOP_NONE || v.s <= 0 ||
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

/*
 * Without a bound: a counter r = r0 + s*k (s > 0) that the copy compares
 * with a limit the entry check computes, at the head of every iteration.
 */
static bool loop_counter(const struct av *hyp, uint16_t wr, struct jit_loop *lp)
{
	for (uint8_t i = 0; i < 10; i++) {
		if (!(wr & (1u << i)) || !hyp[i].known || hyp[i].b != i ||
		    hyp[i].b2 != JIT_LOOP_NONE || hyp[i].d || hyp[i].s <= 0)
			continue;
		lp->limit = true;
		lp->iv = i;
		lp->iv_s = hyp[i].s;
		return true;
	}
	return false;
}

/* Groups the accesses of the body by base and stride; marks them proven. */
static void loop_groups(const struct body *bd, struct jit_loop *lp)
{
	for (uint32_t k = 0; k < bd->nm; k++) {
		uint32_t i = bd->mem[k];
		const struct pluglet_insn *in = &bd->insns[i];
		uint8_t cls = OP_CLASS(in->code), mode = OP_MODE(in->code), base;
		bool write = cls != CLS_LDX;
		const struct av *v;
		int64_t lo, hi;
		uint32_t g;

		if (!bd->reached[k])
			continue;
		if (cls == CLS_LDX && (mode == MODE_MEM || mode == MODE_MEMSX))
			base = in->src_reg;
		else if ((cls == CLS_ST || cls == CLS_STX) && mode == MODE_MEM)
			base = in->dst_reg;
		else
			continue;
		v = &bd->in[k][base];
		/* Stack addresses are the JIT's own business (r10 tracking). */
		if (!v->known || v->b == JIT_LOOP_NONE || v->b == 10 || v->b2 == 10)
			continue;
		/* The limit is found by shifts: strides of powers of two. */
		if (lp->limit && v->s && ((v->s < 0 ? -v->s : v->s) & ((v->s < 0 ? -v->s : v->s) - 1)))
			continue;
		lo = v->d + in->off;
		hi = lo + v->r + (1 << (OP_SIZE(in->code) == SZ_B ? 0 : OP_SIZE(in->code) == SZ_H ? 1 :
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
		bd->mark[k] = 1;
	}
}

/* A counter for a counted copy: the limit's, else any cnt = cnt0 + s*k. */
static void loop_pick_counter(const struct av *hyp, uint16_t wr, struct jit_loop *lp)
{
	for (int j = -1; j < 10; j++) {
		uint8_t i = j < 0 ? (lp->limit ? lp->iv : 0) : (uint8_t)j;
		int64_t a = hyp[i].s < 0 ? -(int64_t)hyp[i].s : hyp[i].s;

		if ((j < 0 && !lp->limit) || !(wr & (1u << i)) || !hyp[i].known || hyp[i].b != i ||
		    hyp[i].b2 != JIT_LOOP_NONE || hyp[i].d || hyp[i].r || !a || (a & (a - 1)))
			continue;
		lp->counted = true;
		lp->cnt = i;
		lp->cnt_s = hyp[i].s;
		return;
	}
	lp->counted = false;
}

/* One analysis with the slots of bd; fills lp and bd->mark. */
static bool loop_try(struct body *bd, struct jit_loop *lp, uint16_t wr)
{
	struct av hyp[11];
	uint32_t k;

	lp->limit = lp->free = false;
	lp->nr_eq = lp->nr_groups = 0;
	memset(bd->mark, 0, bd->nm);
	if (!find_hyp(bd, wr, hyp))
		return false;
	if (!loop_bound(bd, lp) && !loop_counter(hyp, wr, lp))
		return false;
	for (k = 0; k < 11; k++)
		if (hyp[k].known && (hyp[k].b != k || hyp[k].b2 != JIT_LOOP_NONE))
			lp->eq[lp->nr_eq++] = (struct jit_loop_eq){
				.x = (uint8_t)k, .b = hyp[k].b, .b2 = hyp[k].b2, .d = (int32_t)hyp[k].d };
	loop_groups(bd, lp);
	loop_pick_counter(hyp, wr, lp);
	/* Addresses that do not move with k need neither bound nor limit. */
	lp->free = lp->limit;
	for (k = 0; k < lp->nr_groups; k++)
		if (lp->g[k].s)
			lp->free = false;
	if (lp->free)
		lp->limit = false;
	return lp->nr_groups > 0;
}

/* The store of member i, if it is one: base register, offset and size. */
static bool member_store(const struct pluglet_insn *in, uint8_t *base, int32_t *lo, int32_t *hi)
{
	uint8_t cls = OP_CLASS(in->code), sz = OP_SIZE(in->code);

	if ((cls != CLS_ST && cls != CLS_STX) ||
	    (OP_MODE(in->code) != MODE_MEM && OP_MODE(in->code) != MODE_ATOMIC))
		return false;
	*base = in->dst_reg;
	*lo = in->off;
	*hi = in->off + (sz == SZ_B ? 1 : sz == SZ_H ? 2 : sz == SZ_W ? 4 : 8);
	return true;
}

/*
 * Spilled values: 8-byte loads from the current frame at constant offsets
 * that no store of the loop at r10 + constant overlaps. Whether other
 * stores could reach them is slots_safe()'s question.
 */
static bool slot_stored(const struct body *bd, int16_t off)
{
	for (uint32_t k = 0; k < bd->nm; k++) {
		uint8_t base;
		int32_t lo, hi;

		if (member_store(&bd->insns[bd->mem[k]], &base, &lo, &hi) && base == 10 &&
		    hi > off && lo < off + 8)
			return true;
	}
	return false;
}

/* Slots the loop stores to are left out before the first JIT_LOOP_SLOTS
 * are taken: a loop that spills many counters still keeps its bound. */
static void find_slots(struct body *bd)
{
	uint32_t k, j;

	bd->nslots = 0;
	for (k = 0; k < bd->nm && bd->nslots < JIT_LOOP_SLOTS; k++) {
		const struct pluglet_insn *in = &bd->insns[bd->mem[k]];

		if (in->code != (CLS_LDX | MODE_MEM | SZ_DW) || in->src_reg != 10 || in->off > -8 ||
		    in->off < -(int32_t)PLUGLET_STACK_SIZE)
			continue;
		for (j = 0; j < bd->nslots && bd->slot_off[j] != in->off; j++)
			;
		if (j == bd->nslots && !slot_stored(bd, in->off))
			bd->slot_off[bd->nslots++] = in->off;
	}
}

/* With slots, every store must be at r10 + constant or proven (in a
 * region the entry check keeps off the frame); atomics never. */
static bool slots_safe(const struct body *bd)
{
	for (uint32_t k = 0; k < bd->nm; k++) {
		const struct pluglet_insn *in = &bd->insns[bd->mem[k]];
		uint8_t base;
		int32_t lo, hi;

		if (!member_store(in, &base, &lo, &hi))
			continue;
		if (OP_MODE(in->code) == MODE_ATOMIC || (base != 10 && !bd->mark[k]))
			return false;
	}
	return true;
}

static bool loop_analyse(struct body *bd, struct jit_loop *lp, uint8_t *proven,
			 uint32_t *analysed)
{
	uint16_t wr = 0;
	uint32_t k;

	if (!loop_members(bd))
		return false;
	for (k = 0; k < bd->nm; k++)
		if (bd->member[bd->mem[k]])
			return false;
	for (k = 0; k < bd->nm; k++) {
		const struct pluglet_insn *in = &bd->insns[bd->mem[k]];

		if (OP_CLASS(in->code) != CLS_JMP && OP_CLASS(in->code) != CLS_JMP32)
			wr |= jit_insn_writes(in);
	}
	if (wr & (1u << 10))
		return false;
	(*analysed)++;
	find_slots(bd);
	if (!bd->nslots || !loop_try(bd, lp, wr) || !slots_safe(bd)) {
		bd->nslots = 0;
		if (!loop_try(bd, lp, wr))
			return false;
	}
	lp->nr_slots = (uint8_t)bd->nslots;
	memcpy(lp->slot_off, bd->slot_off, sizeof(lp->slot_off));
	lp->head = bd->head;
	lp->back = bd->back;
	lp->first = lp->last = bd->head;
	for (k = 0; k < bd->nm; k++) {
		if (bd->mem[k] < lp->first)
			lp->first = bd->mem[k];
		if (bd->mem[k] > lp->last)
			lp->last = bd->mem[k];
		if (bd->mark[k])
			proven[bd->mem[k]] = 1;
	}
	return true;
}

static bool is_access(const struct pluglet_insn *in)
{
	uint8_t cls = OP_CLASS(in->code);

	return cls == CLS_LDX || cls == CLS_ST || cls == CLS_STX;
}

/* Member k accesses r10 + a constant inside the current frame: it cannot fault. */
static bool in_frame(const struct body *bd, uint32_t k)
{
	const struct pluglet_insn *in = &bd->insns[bd->mem[k]];
	uint8_t cls = OP_CLASS(in->code), sz = OP_SIZE(in->code);
	const struct av *v = &bd->in[k][cls == CLS_LDX ? in->src_reg : in->dst_reg];
	int64_t a, size = sz == SZ_B ? 1 : sz == SZ_H ? 2 : sz == SZ_W ? 4 : 8;

	if (!v->known || v->b != 10 || v->b2 != JIT_LOOP_NONE || v->s || v->r)
		return false;
	a = v->d + in->off;
	return a >= -(int64_t)PLUGLET_STACK_SIZE && a <= -size;
}

/* A register holding the counter's entry value + cnt_s * k + *d in r, if any. */
static bool counter_reg(const struct jit_loop *lp, const struct av *r, uint8_t *reg, int32_t *d)
{
	for (uint8_t x = 0; x < 10; x++) {
		const struct av *v = &r[(x + lp->cnt) % 10];

		if (v->known && v->b == lp->cnt && v->b2 == JIT_LOOP_NONE && v->s == lp->cnt_s &&
		    !v->r && v->d >= INT32_MIN && v->d <= INT32_MAX) {
			*reg = (uint8_t)((x + lp->cnt) % 10);
			*d = (int32_t)v->d;
			return true;
		}
	}
	return false;
}

/* Members of one iteration before member k in the order (not the back-edge). */
#define FOR_BODY_PREDS(bd, k, x)                                                       \
	for (uint32_t pi_ = (bd)->pred_start[(bd)->mem[k]], x;                             \
	     pi_ < (bd)->pred_start[(bd)->mem[k] + 1] &&                                   \
	     ((x = (bd)->preds[pi_]), 1); pi_++)                                             \
		if ((bd)->slot[x] >= 0 && (bd)->reached[(bd)->slot[x]] &&                   \
		    !((bd)->mem[k] == (bd)->head && x == (bd)->back))

/*
 * Whether the copy of an accepted loop can count its budget by its
 * counter (see jit_loop.counted): every access proven, the members that
 * dominate the back-edge (every[]) known, and at each exit the counter's
 * offset and the number of those members run so far the same on every
 * path. Uses the state of the last body_pass() of the accepted analysis.
 */
static void loop_count(struct body *bd, struct jit_loop *lp, uint8_t *every)
{
	int32_t idom[BODY_MAX];
	uint32_t done[BODY_MAX];
	bool split[BODY_MAX] = { false }, dom[BODY_MAX] = { false };
	uint32_t k, per = 0, run = 0;

	if (!lp->counted || lp->free)
		goto no;
	for (k = 0; k < bd->nm; k++) {
		if (!bd->reached[k])
			continue;
		run++;
		if (is_access(&bd->insns[bd->mem[k]]) && !bd->mark[k] && !in_frame(bd, k))
			goto no;
	}
	/* Dominators on the acyclic iteration (order is topological). */
	idom[0] = 0;
	for (k = 1; k < bd->nm; k++) {
		idom[k] = -1;
		FOR_BODY_PREDS(bd, k, p) {
			int32_t a = bd->slot[p], b = idom[k];

			while (b >= 0 && a != b) {
				while (a > b)
					a = idom[a];
				while (b > a)
					b = idom[b];
			}
			idom[k] = a;
		}
	}
	for (int32_t d = bd->slot[bd->back];; d = idom[d]) {
		if (d < 0)
			goto no;
		dom[d] = true;
		per++;
		if (!d)
			break;
	}
	/* Members of every[] run before and at each member, if unambiguous. */
	for (k = 0; k < bd->nm; k++) {
		bool first = true;

		done[k] = 0;
		FOR_BODY_PREDS(bd, k, p) {
			uint32_t v = done[bd->slot[p]];

			split[k] |= split[bd->slot[p]] || (!first && v != done[k]);
			done[k] = v;
			first = false;
		}
		done[k] += dom[k];
	}
	lp->nr_exits = 0;
	for (k = 0; k < bd->nm; k++) {
		uint32_t m = bd->mem[k], t[2], n = succs(bd, m, t), j;
		const struct pluglet_insn *in = &bd->insns[m];
		struct av r[11];

		for (j = 0; j < n && bd->slot[t[j]] >= 0; j++)
			;
		if (!bd->reached[k] || j == n)
			continue;	/* no edge leaves the loop here */
		memcpy(r, bd->in[k], sizeof(r));
		if (OP_CLASS(in->code) != CLS_JMP && OP_CLASS(in->code) != CLS_JMP32)
			transfer(bd, r, in);
		if (split[k] || lp->nr_exits == JIT_LOOP_EXITS ||
		    !counter_reg(lp, r, &lp->exits[lp->nr_exits].reg, &lp->exits[lp->nr_exits].cnt_d))
			goto no;
		lp->exits[lp->nr_exits].insn = m;
		lp->exits[lp->nr_exits++].done = done[k];
	}
	lp->per_iter = per;
	lp->nr_run = run;
	for (k = 0; k < bd->nm; k++) {
		uint32_t m = bd->mem[k];

		if (!dom[k])
			continue;
		every[m] = 1;
		if (bd->insns[m].code == (CLS_LD | MODE_IMM | SZ_DW))
			every[m + 1] = 1;
	}
	return;
no:
	lp->counted = false;
}

/* Predecessor lists (CSR) of every instruction; call edges included. */
static int build_preds(struct body *bd)
{
	uint32_t i, j, t[2], n, *cur;

	bd->pred_start = calloc(bd->nr + 1, sizeof(*bd->pred_start));
	if (!bd->pred_start)
		return -ENOMEM;
	for (i = 0; i < bd->nr; i++) {
		if (bd->flags[i] & JF_LDDW_HI)
			continue;
		n = succs(bd, i, t);
		for (j = 0; j < n; j++)
			bd->pred_start[t[j] + 1]++;
	}
	for (i = 0; i < bd->nr; i++)
		bd->pred_start[i + 1] += bd->pred_start[i];
	bd->preds = malloc((bd->pred_start[bd->nr] + 1) * sizeof(*bd->preds));
	cur = malloc(bd->nr * sizeof(*cur));
	if (!bd->preds || !cur) {
		free(cur);
		return -ENOMEM;
	}
	memcpy(cur, bd->pred_start, bd->nr * sizeof(*cur));
	for (i = 0; i < bd->nr; i++) {
		if (bd->flags[i] & JF_LDDW_HI)
			continue;
		n = succs(bd, i, t);
		for (j = 0; j < n; j++)
			bd->preds[cur[t[j]]++] = i;
	}
	free(cur);
	return 0;
}

/* A conditional jump, and its target. */
static bool back_edge(const struct pluglet_insn *in, uint32_t i, uint32_t nr, uint32_t *t)
{
	uint8_t op = OP_CODE(in->code), cls = OP_CLASS(in->code);
	int64_t target = (int64_t)i + 1 + in->off;

	if ((cls != CLS_JMP && cls != CLS_JMP32) || op == JMP_JA || op == JMP_CALL ||
	    op == JMP_EXIT || target < 0 || target >= nr)
		return false;
	*t = (uint32_t)target;
	return true;
}

static void body_free(struct body *bd)
{
	free(bd->pred_start);
	free(bd->preds);
	free(bd->slot);
	free(bd->mem);
	free(bd->order);
	free(bd->indeg);
	free(bd->in);
	free(bd->reached);
	free(bd->defd);
	free(bd->mark);
}

static int loops_add(struct jit_loop **out, uint32_t *n, uint32_t *cap, const struct jit_loop *lp)
{
	if (*n == *cap) {
		uint32_t c = *cap ? *cap * 2 : 4;
		struct jit_loop *p = realloc(*out, c * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*out = p;
		*cap = c;
	}
	(*out)[(*n)++] = *lp;
	return 0;
}

int jit_loops_find(const struct pluglet_insn *insns, uint32_t nr, const uint8_t *flags,
		   struct jit_loop **loops, uint32_t *nr_loops, uint8_t *proven, uint32_t *member,
		   uint8_t *every)
{
	struct body bd = { .insns = insns, .flags = flags, .nr = nr, .member = member };
	struct jit_loop *out = NULL, lp;
	uint32_t n = 0, cap = 0, i, k, t, candidates = 0, analysed = 0;
	int err = -ENOMEM;

	bd.slot = malloc(nr * sizeof(*bd.slot));
	bd.mem = malloc(BODY_MAX * sizeof(*bd.mem));
	bd.order = malloc(BODY_MAX * sizeof(*bd.order));
	bd.indeg = malloc(BODY_MAX * sizeof(*bd.indeg));
	bd.in = malloc(BODY_MAX * sizeof(*bd.in));
	bd.reached = malloc(BODY_MAX * sizeof(*bd.reached));
	bd.defd = malloc(BODY_MAX * sizeof(*bd.defd));
	bd.mark = malloc(BODY_MAX);
	if (!bd.slot || !bd.mem || !bd.order || !bd.indeg || !bd.in || !bd.reached || !bd.defd ||
	    !bd.mark ||
	    build_preds(&bd))
		goto out;
	for (i = 0; i < nr; i++)
		bd.slot[i] = -1;
	for (i = 0; i < nr; i++) {
		if ((flags[i] & JF_LDDW_HI) || !back_edge(&insns[i], i, nr, &t) || member[t] ||
		    member[i] || (flags[t] & JF_LDDW_HI))
			continue;
		if (++candidates > CANDIDATES_MAX || analysed >= ANALYSED_MAX)
			break;
		bd.head = t;
		bd.back = i;
		bd.preds_read = 0;
		memset(&lp, 0, sizeof(lp));
		if (loop_analyse(&bd, &lp, proven, &analysed)) {
			loop_count(&bd, &lp, every);
			if (loops_add(&out, &n, &cap, &lp))
				goto out;
			for (k = 0; k < bd.nm; k++) {
				member[bd.mem[k]] = n;
				if (insns[bd.mem[k]].code == (CLS_LD | MODE_IMM | SZ_DW))
					member[bd.mem[k] + 1] = n;
			}
		}
		for (k = 0; k < bd.nm; k++)
			bd.slot[bd.mem[k]] = -1;
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
	body_free(&bd);
	return err;
}

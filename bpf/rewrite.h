/* SPDX-License-Identifier: MIT */
/*
 * Instruction rewrite that makes a program a link of a tail-call chain.
 * Pure functions on instruction arrays (unit tested without a kernel).
 *
 * Layout of the result (no jump or call offset of the original code needs a
 * fix-up, since the original code moves as one block):
 *   0      *(u64 *)(r10 + ctx_off) = r1   spill ctx below main's deepest slot
 *   [1..7  with run time: the start time (bpf_ktime_get_ns) in ctx_off - 8
 *          when the run-time switch is on, else 0]
 *   P      ja  +EPI_LEN                     skip the epilogue
 *   P+1..  epilogue: r6 = r0; [counted: r7 = ctx; this CPU's counts of the
 *          program's counter: +1 at the verdict's index, + the run time when
 *          a start time was taken]; test the verdict (32-bit) against the
 *          mask; when it proceeds: r1 = ctx, tail-call (chain map, own
 *          slot); return r6 (dispatcher_return with no successor -> pass)
 *   N..    the original code; every exit of main became "ja epilogue"
 */
#ifndef PLUGFS_BPF_REWRITE_H
#define PLUGFS_BPF_REWRITE_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Verdict codes used by proceed-on (bpfctl's values). */
#define RW_XDP_DISPATCHER_RETURN 31
#define RW_TC_DISPATCHER_RETURN 30

struct rewrite_params {
	size_t sz;
	bool tc;		/* verdict bit = code + 1 (TC_ACT_UNSPEC is -1) */
	uint32_t mask;		/* proceed-on verdict bits */
	int chain_map_fd;
	uint32_t slot;		/* the program's own slot: holds its successor */
	uint32_t counter;	/* its index in the counts map; 0: not counted */
	int counts_map_fd;	/* per-CPU array of RW_COUNT_WORDS u64 values */
	bool timed;		/* with counter: measure run time */
	int time_map_fd;	/* array of one u32: the run-time switch */
};

/* A counts value: verdict counts (engine_verdict_names order), then the run time. */
#define RW_COUNT_WORDS 13
#define RW_TIME_WORD 12

/* Length of the main function: subprograms are appended after it. */
size_t rewrite_main_len(const struct bpf_insn *insns, size_t cnt);
/* Bytes of stack main uses (deepest r10-relative offset, rounded to 8). */
int rewrite_main_stack(const struct bpf_insn *insns, size_t main_len);
/* Does main leave room on the stack for the start time (16 bytes; in a
 * program with subprograms within the 256 bytes of a frame that tail-calls)? */
bool rewrite_fits_timing(const struct bpf_insn *insns, size_t cnt);
/* Number of instructions inserted before the original code. */
size_t rewrite_shift(const struct rewrite_params *p);

/*
 * Builds the rewritten program into *out (malloc'ed, *out_cnt entries).
 * -E2BIG when the stack has no room for the ctx slot or a jump does not
 * fit, with the reason in err.
 */
int rewrite_chain(const struct bpf_insn *in, size_t cnt, const struct rewrite_params *p,
		  struct bpf_insn **out, size_t *out_cnt, char *err, size_t errlen);

#endif

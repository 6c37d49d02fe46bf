// SPDX-License-Identifier: MIT
/*
 * Test program with two maps of its own (counter, gone) and the three
 * internal ones (.bss, .data, .rodata): its maps are named after it, and
 * maps_b.bpf.c, which has counter and fresh instead, replaces it.
 */
#include "common.h"

ONE_U64_MAP(counter);
ONE_U64_MAP(gone);

__u64 seen;				/* .bss */
__u64 step = 1;				/* .data */
volatile const __u32 verdict = XDP_PASS;	/* .rodata */

SEC("xdp")
int xdp_maps_a(struct xdp_md *ctx)
{
	add_to(&counter, step);
	add_to(&gone, 1);
	seen++;
	return verdict;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

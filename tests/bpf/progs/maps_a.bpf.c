// SPDX-License-Identifier: MIT
/*
 * Test program with two maps of its own (counter, gone) and the three
 * internal ones (.bss, .data, .rodata): its maps are named after it, and
 * maps_b.bpf.c, which has counter and fresh instead, replaces it.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} gone SEC(".maps");

__u64 seen;				/* .bss */
__u64 step = 1;				/* .data */
volatile const __u32 verdict = XDP_PASS;	/* .rodata */

SEC("xdp")
int xdp_maps_a(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(&counter, &k), *g = bpf_map_lookup_elem(&gone, &k);

	if (c)
		__sync_fetch_and_add(c, step);
	if (g)
		__sync_fetch_and_add(g, 1);
	seen++;
	return verdict;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT
/*
 * Test program replacing maps_a.bpf.c: counter again (kept), gone no
 * more, fresh new.
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
} fresh SEC(".maps");

SEC("xdp")
int xdp_maps_b(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(&counter, &k), *f = bpf_map_lookup_elem(&fresh, &k);

	if (c)
		__sync_fetch_and_add(c, 1);
	if (f)
		__sync_fetch_and_add(f, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT
/*
 * Test program: like count.bpf.c, with the map declared LIBBPF_PIN_BY_NAME
 * (as bpfd's examples do): plugfs pins it in its own directory, never under
 * /sys/fs/bpf directly.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} counter SEC(".maps");

SEC("xdp")
int xdp_count_pinned(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counter, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

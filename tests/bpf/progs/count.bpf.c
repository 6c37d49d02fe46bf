// SPDX-License-Identifier: MIT
/*
 * Test program: counts packets in counter[0] and lets them through. Two
 * entries loaded with map_owner share the counter.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counter SEC(".maps");

static __always_inline void bump(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counter, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	bump();
	return XDP_PASS;
}

SEC("tc")
int tc_count(struct __sk_buff *skb)
{
	bump();
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

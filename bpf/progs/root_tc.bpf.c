// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * TC root of a plugfs chain (clsact filter in direct-action mode, one per
 * interface and direction): tail-calls slot 0 of the chain map; with an
 * empty chain the packet continues (TC_ACT_OK). plugfs_tc_ind is the same
 * with an indirect tail call, attached by a first load until the engine
 * swaps in plugfs_tc_root (see root_xdp.bpf.c).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 33);
	__type(key, __u32);
	__type(value, __u32);
} plugfs_chain SEC(".maps");

SEC("tc")
int plugfs_tc_root(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &plugfs_chain, 0);
	return TC_ACT_OK;
}

SEC("tc")
int plugfs_tc_ind(struct __sk_buff *skb)
{
	__u64 key = skb->ifindex;

	/* x ^ x: the verifier tracks no equality between operands */
	asm volatile("%0 ^= %0" : "+r"(key));
	bpf_tail_call(skb, &plugfs_chain, key);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

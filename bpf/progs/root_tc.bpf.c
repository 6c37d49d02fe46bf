// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * TC root of a plugfs chain (clsact filter in direct-action mode, one per
 * interface and direction): tail-calls slot 0 of the chain map; with an
 * empty chain the packet continues (TC_ACT_OK).
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

char LICENSE[] SEC("license") = "Dual MIT/GPL";

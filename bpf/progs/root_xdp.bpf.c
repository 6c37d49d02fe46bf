// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * XDP root of a plugfs chain: attached to the interface (pinned bpf_link),
 * it tail-calls slot 0 of the chain map, which holds the head program; each
 * chained program's epilogue tail-calls its own slot (its successor). With
 * an empty chain the tail call misses and the packet passes.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 33);
	__type(key, __u32);
	__type(value, __u32);
} plugfs_chain SEC(".maps");

SEC("xdp")
int plugfs_xdp_root(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &plugfs_chain, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

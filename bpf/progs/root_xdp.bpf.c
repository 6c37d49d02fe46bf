// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * XDP root of a plugfs chain: attached to the interface (pinned bpf_link),
 * it tail-calls slot 0 of the chain map, which holds the head program; each
 * chained program's epilogue tail-calls its own slot (its successor). With
 * an empty chain the tail call misses and the packet passes.
 *
 * Two builds of the root share the map. plugfs_xdp_root's key is the
 * constant 0, so the JIT makes its tail call a direct jump, which the
 * kernel re-patches (a text poke) whenever slot 0 changes. plugfs_xdp_ind
 * computes the same 0 in a way the verifier cannot fold, which keeps the
 * tail call indirect: slot 0 changes cost a pointer swap, a packet costs
 * a retpoline more. A first load attaches the indirect one and the engine
 * swaps in the direct one once the load has been answered (bpf/background.c).
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

SEC("xdp")
int plugfs_xdp_ind(struct xdp_md *ctx)
{
	__u64 key = ctx->ingress_ifindex;

	/* x ^ x: the verifier tracks no equality between operands */
	asm volatile("%0 ^= %0" : "+r"(key));
	bpf_tail_call(ctx, &plugfs_chain, key);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

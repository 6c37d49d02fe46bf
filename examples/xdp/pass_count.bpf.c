// SPDX-License-Identifier: MIT
/*
 * pass_count: counts every packet and byte seen by the XDP hook and lets
 * them through (XDP_PASS), so the next program of the chain runs.
 *
 * Shows: the smallest useful chain member; a map (`stats`, packets in
 * slot 0, bytes in slot 1) that `cat` lists under "Map IDs" and that plugfs
 * pins under the "Map Pin Path" of the entry.
 *
 * Run (MNT = the plugfs mount, eth0 = an interface plugfs can see):
 *   cp build/examples/xdp/pass_count.bpf.o $MNT/ifaces/eth0/xdp/10
 *   bpftool map dump pinned "$(sed -n 's/^Map Pin Path: //p' $MNT/ifaces/eth0/xdp/10)/stats"
 *   or: make -C examples load IFACE=eth0 HOOK=xdp PRIO=10 OBJ=xdp/pass_count
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void add(__u32 slot, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &slot);

	if (v)
		__sync_fetch_and_add(v, n);
}

SEC("xdp")
int pass_count(struct xdp_md *ctx)
{
	add(0, 1);
	add(1, (__u64)(ctx->data_end - ctx->data));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT
/*
 * count_shared: the same `stats` map as pass_count.bpf.c (same name, same
 * definition), meant to be loaded with `map_owner` so that two programs,
 * on one hook or on different hooks, count into one map.
 *
 * Shows: map sharing. The entry's report names the owner ("Map Owner ID")
 * and the owner's report lists every user ("Map Used By"); the map stays
 * pinned until its last user is removed.
 *
 * Run (after pass_count is at xdp/10):
 *   printf 'object = %s\nmap_owner = ../../xdp/10\n' \
 *       "$PWD/build/examples/xdp/count_shared.bpf.o" > share.ini
 *   cp share.ini $MNT/ifaces/eth0/tc-ingress/10
 *   cat $MNT/ifaces/eth0/xdp/10        # Map Used By: <both ids>
 *   or: make -C examples load IFACE=eth0 HOOK=tc-ingress PRIO=10 OBJ=share.ini
 * It has an XDP and a TC program, so it fits every hook.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
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
int xdp_count_shared(struct xdp_md *ctx)
{
	add(0, 1);
	add(1, (__u64)(ctx->data_end - ctx->data));
	return XDP_PASS;
}

SEC("tc")
int tc_count_shared(struct __sk_buff *skb)
{
	add(0, 1);
	add(1, skb->len);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT
/*
 * egress_mark: a TC program for tc-egress that sets skb->mark to MARK (a
 * global, default 0x706c) on every IPv4 packet that leaves the interface,
 * counts them in `marked`, and returns TC_ACT_OK.
 *
 * Shows: a program that changes the packet's metadata for what runs after
 * it (later chain members, other tc filters such as `fw`, qdiscs), and a
 * global of another size (`global.MARK = 2a000000` marks with 42).
 *
 * Run:
 *   cp build/examples/tc/egress_mark.bpf.o $MNT/ifaces/eth0/tc-egress/10
 *   cat $MNT/ifaces/eth0/tc-egress/10        # Run Count and Verdicts grow with traffic
 *   bpftool map dump pinned "$(sed -n 's/^Map Pin Path: //p' $MNT/ifaces/eth0/tc-egress/10)/marked"
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

volatile const __u32 MARK = 0x706c;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} marked SEC(".maps");

SEC("tc")
int egress_mark(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *n;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	skb->mark = MARK;
	n = bpf_map_lookup_elem(&marked, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

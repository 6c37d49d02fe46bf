// SPDX-License-Identifier: MIT
/*
 * ingress_count: a TC program for tc-ingress that counts packets and bytes
 * per IP protocol number (`by_proto`, a 256-entry array indexed by the
 * IPv4 protocol; non-IPv4 packets go to slot 0) and returns TC_ACT_OK.
 *
 * Shows: a tc chain member (SEC("tc"), struct __sk_buff), reading the
 * packet with bpf_skb_load_bytes instead of direct access, a value struct
 * in a map.
 *
 * Run:
 *   cp build/examples/tc/ingress_count.bpf.o $MNT/ifaces/eth0/tc-ingress/10
 *   ping -c3 <address of eth0>   # from another host
 *   bpftool map lookup pinned \
 *     "$(sed -n 's/^Map Pin Path: //p' $MNT/ifaces/eth0/tc-ingress/10)/by_proto" key 1 0 0 0
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <stddef.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct counts {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct counts);
} by_proto SEC(".maps");

SEC("tc")
int ingress_count(struct __sk_buff *skb)
{
	__u32 proto = 0;
	__u8 p;
	struct counts *c;

	if (skb->protocol == bpf_htons(ETH_P_IP) &&
	    !bpf_skb_load_bytes(skb, sizeof(struct ethhdr) + offsetof(struct iphdr, protocol), &p, 1))
		proto = p;
	c = bpf_map_lookup_elem(&by_proto, &proto);
	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, skb->len);
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

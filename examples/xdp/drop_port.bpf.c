// SPDX-License-Identifier: MIT
/*
 * drop_port: drops IPv4 UDP and TCP packets whose destination port is PORT
 * (a global, default 9, the discard port) and counts them in `dropped`;
 * everything else passes to the next program of the chain.
 *
 * Shows: parsing a packet within the verifier's bounds checks, and a
 * global set at load time without recompiling: a manifest line
 * `global.PORT = 3500` (the __u16's two bytes in memory order, 35 00, which
 * is 0x0035 = 53 on little-endian x86) makes it drop DNS instead.
 *
 * Run:
 *   cp build/examples/xdp/drop_port.bpf.o $MNT/ifaces/eth0/xdp/20
 *   echo hi > /dev/udp/<address of eth0>/9      # from another host: dropped
 *   bpftool map dump pinned "$(sed -n 's/^Map Pin Path: //p' $MNT/ifaces/eth0/xdp/20)/dropped"
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

volatile const __u16 PORT = 9;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} dropped SEC(".maps");

/* Destination port in host order, or 0 when the packet is not IPv4 UDP/TCP. */
static __always_inline __u16 dest_port(void *data, void *end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	void *l4;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	if (ip->ihl < 5)
		return 0;
	l4 = (void *)ip + ip->ihl * 4;
	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > end)
			return 0;
		return bpf_ntohs(udp->dest);
	}
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;

		if ((void *)(tcp + 1) > end)
			return 0;
		return bpf_ntohs(tcp->dest);
	}
	return 0;
}

SEC("xdp")
int drop_port(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 k = 0;
	__u64 *n;

	if (dest_port(data, end) != PORT)
		return XDP_PASS;
	n = bpf_map_lookup_elem(&dropped, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

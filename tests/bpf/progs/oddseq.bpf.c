// SPDX-License-Identifier: MIT
/*
 * Test program: drops ICMP echo requests with an odd sequence number and
 * lets every other packet through, so `ping -c N` gives known drop and
 * pass counts (the counting test, tests/bpf/test-counts.sh).
 */
#include "common.h"

#include <linux/if_ether.h>
#include <linux/ip.h>

/* <linux/icmp.h> pulls in libc headers: the part read here */
struct echo_hdr {
	__u8 type;
	__u8 code;
	__u16 csum;
	__u16 id;
	__u16 seq;
};

/* 1: an echo request with an odd sequence number */
static __always_inline int odd_echo(void *data, void *end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct echo_hdr *ic = (void *)(ip + 1);

	if ((void *)(ic + 1) > end || eth->h_proto != __builtin_bswap16(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != 1 /* ICMP */ || ic->type != 8 /* echo */)
		return 0;
	return __builtin_bswap16(ic->seq) & 1;
}

SEC("xdp")
int xdp_oddseq(struct xdp_md *ctx)
{
	return odd_echo((void *)(long)ctx->data, (void *)(long)ctx->data_end) ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int tc_oddseq(struct __sk_buff *skb)
{
	return odd_echo((void *)(long)skb->data, (void *)(long)skb->data_end) ? TC_ACT_SHOT :
										   TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

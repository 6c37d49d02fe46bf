// SPDX-License-Identifier: MIT
/* Test program: drops every packet (XDP_DROP / TC_ACT_SHOT). */
#include "common.h"

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("tc")
int tc_drop(struct __sk_buff *skb)
{
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

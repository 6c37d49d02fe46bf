// SPDX-License-Identifier: MIT
/* Test program: returns the value of a global (override with global.RET). */
#include "common.h"

volatile const __u32 RET = XDP_PASS;
volatile const __u32 TC_RET = TC_ACT_OK;

SEC("xdp")
int xdp_global(struct xdp_md *ctx)
{
	return RET;
}

SEC("tc")
int tc_global(struct __sk_buff *skb)
{
	return TC_RET;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

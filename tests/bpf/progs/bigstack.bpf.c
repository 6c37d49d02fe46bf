// SPDX-License-Identifier: MIT
/* Test program using over 504 bytes of stack: loads alone, cannot be chained. */
#include "common.h"

SEC("xdp")
int xdp_bigstack(struct xdp_md *ctx)
{
	volatile __u64 buf[63];
	volatile __u32 extra = 7;
	int i;

	for (i = 0; i < 63; i++)
		buf[i] = i;
	return buf[ctx->rx_queue_index & 31] == 1000 + extra ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT
/*
 * Test program whose main uses just over 496 bytes of stack: it is chained
 * and counted, but has no room for the start time of the run-time
 * measure (tests/bpf/test-counts.sh). Passes every packet.
 */
#include "common.h"

SEC("xdp")
int xdp_stack500(struct xdp_md *ctx)
{
	volatile __u64 buf[62];
	volatile __u32 extra = 7;
	int i;

	for (i = 0; i < 62; i++)
		buf[i] = i;
	return buf[ctx->rx_queue_index & 31] == 1000 + extra ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT
/* Test program with a bpf-to-bpf call and stack use: checks the rewrite keeps them. */
#include "common.h"

static __attribute__((noinline)) int verdict(int v)
{
	volatile int x[4] = { v, v, v, v };

	return x[v & 3];
}

SEC("xdp")
int xdp_subprog(struct xdp_md *ctx)
{
	volatile __u64 buf[4] = { 1, 2, 3, 4 };

	return verdict(XDP_PASS) + (int)(buf[ctx->rx_queue_index & 3] - buf[ctx->rx_queue_index & 3]);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT
/*
 * Test program the kernel verifier refuses inside a subprogram: a packet
 * read without a bounds check in peek(). peek comes first in .text, but
 * libbpf appends mix() first (it is called first), so the log's indexes are
 * the object's own only when mapped through each function's place.
 */
#include "common.h"

static __attribute__((noinline)) int peek(struct xdp_md *ctx, unsigned int off)
{
	unsigned char *data = (unsigned char *)(long)ctx->data;

	return data[off & 63];
}

static __attribute__((noinline)) unsigned int mix(unsigned int q)
{
	return q * 7 + 3;
}

SEC("xdp")
int xdp_reject_sub(struct xdp_md *ctx)
{
	unsigned int q = mix(ctx->rx_queue_index);

	return peek(ctx, q) == 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

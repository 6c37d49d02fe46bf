// SPDX-License-Identifier: MIT
/* Test program the kernel verifier refuses: packet read without a bounds check. */
#include "common.h"

SEC("xdp")
int xdp_reject(struct xdp_md *ctx)
{
	unsigned char *data = (unsigned char *)(long)ctx->data;

	return data[20] == 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

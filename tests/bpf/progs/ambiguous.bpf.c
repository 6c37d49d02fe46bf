// SPDX-License-Identifier: MIT
/* Test program: two XDP programs in one object (needs `name =`). */
#include "common.h"

SEC("xdp")
int first(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int second(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

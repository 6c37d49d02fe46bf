// SPDX-License-Identifier: MIT
/*
 * Test program replacing maps_a.bpf.c: counter again (kept), gone no
 * more, fresh new.
 */
#include "common.h"

ONE_U64_MAP(counter);
ONE_U64_MAP(fresh);

SEC("xdp")
int xdp_maps_b(struct xdp_md *ctx)
{
	add_to(&counter, 1);
	add_to(&fresh, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT
/*
 * Test program: adds 1 to the first byte of the packet and lets it through.
 * Run through a chain of N copies with BPF_PROG_TEST_RUN, the byte comes out
 * as N: proof that every program of the chain ran, once.
 */
#include "common.h"

SEC("xdp")
int xdp_mark(struct xdp_md *ctx)
{
	unsigned char *p = (unsigned char *)(long)ctx->data;

	if (p + 1 > (unsigned char *)(long)ctx->data_end)
		return XDP_PASS;
	p[0]++;
	return XDP_PASS;
}

SEC("tc")
int tc_mark(struct __sk_buff *skb)
{
	unsigned char *p = (unsigned char *)(long)skb->data;

	if (p + 1 > (unsigned char *)(long)skb->data_end)
		return TC_ACT_OK;
	p[0]++;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

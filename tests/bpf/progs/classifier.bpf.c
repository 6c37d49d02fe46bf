// SPDX-License-Identifier: MIT
/*
 * Test program in the older libbpf section style, SEC("classifier/accept"), with a
 * bpf-to-bpf call and several exits in main: loads and chains on tc hooks.
 */
#include "common.h"

static __attribute__((noinline)) int is_short(struct __sk_buff *skb)
{
	volatile int len = skb->len;

	return len < 14;
}

SEC("classifier/accept")
int accept(struct __sk_buff *skb)
{
	volatile __u32 scratch[6] = { 1, 2, 3, 4, 5, 6 };

	if (is_short(skb))
		return TC_ACT_OK;
	if (scratch[2] == 99)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

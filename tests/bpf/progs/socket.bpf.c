// SPDX-License-Identifier: MIT
/* Test program of another type (socket filter): no XDP or TC program here. */
#include "common.h"

SEC("socket")
int sock_all(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

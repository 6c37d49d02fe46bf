// SPDX-License-Identifier: MIT
/* Test program: counts USDT probes and sums their first argument. */
#include "common.h"

#include <bpf/usdt.bpf.h>

SEC("usdt")
int BPF_USDT(usdt_tick, long x)
{
	add(0, 1);
	add(1, (__u64)x);
	return 0;
}

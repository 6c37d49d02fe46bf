/* SPDX-License-Identifier: MIT */
/* Sum of floor(log2(x)) over an array of 64-bit integers (branchy halving). */
#include "bench.h"

static inline u64 log2_u64(u64 v)
{
	u64 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
}

BENCH_ENTRY(log2)
{
	const u64 *a = (const u64 *)mem;
	u64 n = len / 8, sum = 0;

	for (u64 i = 0; i < n; i++)
		sum += log2_u64(a[i]);
	return sum;
}

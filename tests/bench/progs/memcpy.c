/* SPDX-License-Identifier: MIT */
/* Byte-wise copy of the first half of the memory into the second half. */
#include "bench.h"

BENCH_ENTRY(memcpy)
{
	u64 half = len / 2;
	volatile u8 *dst = mem + half;
	const u8 *src = mem;

	/* volatile: a byte loop, not a library call or vector code. */
	for (u64 i = 0; i < half; i++)
		dst[i] = src[i];
	return dst[half - 1] + dst[0];
}

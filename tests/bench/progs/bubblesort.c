/* SPDX-License-Identifier: MIT */
/* Bubble sort of 256 32-bit values: the first half of the memory is the
 * input, copied into the second half and sorted there, so every run does
 * the same work. */
#include "bench.h"

BENCH_ENTRY(bubblesort)
{
	u64 n = len / 8;
	const u32 *in = (const u32 *)mem;
	u32 *a = (u32 *)(mem + len / 2);

	for (u64 i = 0; i < n; i++)
		a[i] = in[i];
	for (u64 i = 0; i + 1 < n; i++) {
		for (u64 j = 0; j + 1 < n - i; j++) {
			u32 x = a[j], y = a[j + 1];

			if (x > y) {
				a[j] = y;
				a[j + 1] = x;
			}
		}
	}
	return (u64)a[0] << 32 | a[n - 1];
}

/* SPDX-License-Identifier: MIT */
/* strcmp of the two NUL-terminated halves of the memory. */
#include "bench.h"

BENCH_ENTRY(strcmp)
{
	const u8 *a = mem, *b = mem + len / 2;

	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (u64)((long long)*a - (long long)*b);
}

/* SPDX-License-Identifier: MIT */
/* Number of primes below `len` by trial division (memory unused). */
#include "bench.h"

BENCH_ENTRY(prime)
{
	u64 count = 0;

	for (u64 n = 2; n < len; n++) {
		u64 d = 2;

		while (d * d <= n && n % d)
			d++;
		if (d * d > n)
			count++;
	}
	return count;
}

/* SPDX-License-Identifier: MIT */
/* Open-addressing hash-table probe: 1024 lookups in a 4096-slot table. */
#include "bench.h"

#define SLOTS 4096
#define QUERIES 1024

BENCH_ENTRY(hashprobe)
{
	const u32 *table = (const u32 *)mem;
	const u32 *query = (const u32 *)(mem + SLOTS * 4);
	u64 found = 0;

	for (u32 q = 0; q < QUERIES; q++) {
		u32 key = query[q];
		u32 h = (key * 2654435761u) >> 20;

		/* Linear probing; an empty slot (0) ends the search. */
		for (u32 n = 0; n < SLOTS; n++) {
			u32 k = table[(h + n) & (SLOTS - 1)];

			if (k == key) {
				found += h + n;
				break;
			}
			if (!k)
				break;
		}
	}
	return found + len;
}

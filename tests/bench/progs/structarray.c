/* SPDX-License-Identifier: MIT */
/* A loop over an array of structs: sum of fields of the selected entries. */
#include "bench.h"

struct entry {
	u32 id;
	u16 proto, port;
	u8 flags, ttl, pad[2];
	u64 bytes;
};

BENCH_ENTRY(structarray)
{
	const struct entry *e = (const struct entry *)mem;
	u64 n = len / sizeof(*e), total = 0, hits = 0;

	for (u64 i = 0; i < n; i++) {
		if (e[i].proto == 6 && (e[i].flags & 1)) {
			total += e[i].bytes;
			hits++;
		} else if (e[i].port == 53) {
			total += e[i].ttl;
		}
	}
	return total * 4096 + hits;
}

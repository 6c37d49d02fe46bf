/* SPDX-License-Identifier: MIT */
/* Many fields of one struct read and written through a pointer: a flow
 * record (96 bytes) updated for each of the packet lengths that follow it. */
#include "bench.h"

struct flow {
	u64 packets, bytes, min_len, max_len;
	u64 small, medium, large, jumbo;
	u32 last_len, flags, state, resets;
	u64 hash, sum_sq;
};

BENCH_ENTRY(structfield)
{
	struct flow *f = (struct flow *)mem;
	const u16 *lens = (const u16 *)(mem + sizeof(*f));
	u64 n = (len - sizeof(*f)) / 2;

	/* Every run starts from a fresh record. */
	f->packets = f->bytes = f->max_len = 0;
	f->small = f->medium = f->large = f->jumbo = 0;
	f->min_len = ~0ull;
	f->last_len = f->flags = f->state = f->resets = 0;
	f->hash = 0xcbf29ce484222325ull;
	f->sum_sq = 0;

	for (u64 i = 0; i < n; i++) {
		u64 l = lens[i];

		f->packets++;
		f->bytes += l;
		if (l < f->min_len)
			f->min_len = l;
		if (l > f->max_len)
			f->max_len = l;
		if (l < 128)
			f->small++;
		else if (l < 512)
			f->medium++;
		else if (l < 1500)
			f->large++;
		else
			f->jumbo++;
		f->flags |= l & 7;
		f->state = (f->state + l) & 0xff;
		if (f->last_len == l)
			f->resets++;
		f->last_len = l;
		f->hash = (f->hash ^ l) * 0x100000001b3ull;
		f->sum_sq += l * l;
	}
	return f->packets + f->bytes + f->min_len + f->max_len + f->small + f->medium +
	       f->large + f->jumbo + f->flags + f->state + f->resets + f->hash + f->sum_sq;
}

/* SPDX-License-Identifier: MIT */
/* Internet checksum (RFC 1071) over a packet-sized buffer (1500 bytes). */
#include "bench.h"

BENCH_ENTRY(checksum)
{
	u64 sum = 0;
	u64 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (u32)mem[i] << 8 | mem[i + 1];
	if (i < len)
		sum += (u32)mem[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

/* SPDX-License-Identifier: MIT */
/* A 16-way switch on every byte of the memory. */
#include "bench.h"

BENCH_ENTRY(switch)
{
	u64 acc = 0;

	for (u64 i = 0; i < len; i++) {
		switch (mem[i] & 15) {
		case 0: acc += 1; break;
		case 1: acc ^= 0x55; break;
		case 2: acc *= 3; break;
		case 3: acc -= 7; break;
		case 4: acc <<= 1; break;
		case 5: acc >>= 1; break;
		case 6: acc |= 0x100; break;
		case 7: acc &= 0xfffffff; break;
		case 8: acc += i; break;
		case 9: acc ^= i << 3; break;
		case 10: acc += 0x1234; break;
		case 11: acc -= i; break;
		case 12: acc = acc * 5 + 1; break;
		case 13: acc ^= acc >> 7; break;
		case 14: acc += acc << 2; break;
		default: acc = ~acc; break;
		}
	}
	return acc;
}

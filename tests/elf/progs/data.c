/* SPDX-License-Identifier: MIT */
/*
 * Writable globals: an initialised .data counter and a zeroed .bss array,
 * both kept by the loaded program from one run to the next.
 */
#include "prog.h"

u64 counter = 41;
static u64 slots[8];

SEC("pluglet") u64 data_main(u64 slot, u64 add)
{
	u64 sum = 0;

	counter++;
	slots[slot & 7] += add;
	for (int i = 0; i < 8; i++)
		sum += slots[i];
	return counter * 1000000 + sum;
}

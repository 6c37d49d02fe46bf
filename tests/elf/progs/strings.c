/* SPDX-License-Identifier: MIT */
/*
 * String constants and read-only data: a string literal passed to a helper
 * (.rodata.str1.1), a constant table read at a run-time index (.rodata), a
 * table of pointers to strings (absolute relocations inside data), and a
 * write into read-only data that must fault. Two entries: pick by name.
 */
#include "prog.h"

extern u64 record_str(const char *s);

static const u8 table[16] = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3 };
static const char *const names[] = { "zero", "one", "two", "three" };

SEC("pluglet") u64 strings_main(u64 idx, u64 unused)
{
	const char *n = names[idx & 3];
	u64 len = 0;

	record_str("hello, pluglet");
	record_str(n);
	while (n[len])
		len++;
	return table[idx & 15] * 100 + len;
}

SEC("pluglet") u64 write_rodata(u64 idx, u64 unused)
{
	volatile u8 *p = (volatile u8 *)&table[idx & 15];

	*p = 42;
	return *p;
}

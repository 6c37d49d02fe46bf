/* SPDX-License-Identifier: MIT */
/*
 * Local (bpf-to-bpf) calls: the entry in a named section calls static
 * functions in .text, which call each other (calls the compiler resolves
 * itself) and recurse one level. Loaded by tests/elf/test_elf.c.
 */
#include "prog.h"

static NOINLINE u64 mix(u64 x, u64 y)
{
	return x * 31 + (y ^ 0x5a);
}

static NOINLINE u64 square_plus(u64 x)
{
	return mix(x * x, x) + 1;
}

static NOINLINE u64 tri(u64 n)
{
	u64 s = 0;

	for (u64 i = 1; i <= n; i++)
		s += square_plus(i) & 0xff;
	return s;
}

SEC("pluglet/calls") u64 calls_main(u64 a, u64 b)
{
	return tri(a) + mix(square_plus(b), a);
}

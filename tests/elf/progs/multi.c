/* SPDX-License-Identifier: MIT */
/*
 * Two global functions sharing a static one: the loader cannot guess the
 * entry, so the caller names it.
 */
#include "prog.h"

static NOINLINE u64 shared(u64 x)
{
	return x + 1000;
}

SEC("pluglet") u64 first(u64 a, u64 b)
{
	return shared(a) + 1;
}

SEC("pluglet") u64 second(u64 a, u64 b)
{
	return shared(b) + 2;
}

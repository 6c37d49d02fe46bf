/* SPDX-License-Identifier: MIT */
/*
 * Helper calls by name: add3 is registered by the test, missing_helper is
 * not (the loader must name it and the relocation).
 */
#include "prog.h"

extern u64 add3(u64 a, u64 b, u64 c);
extern u64 missing_helper(u64 a);

SEC("pluglet") u64 helpers_main(u64 a, u64 b)
{
	u64 r = add3(a, b, 7);

	if (a == 12345)
		r += missing_helper(a);
	return r;
}

/* SPDX-License-Identifier: MIT */
/* A BPF map definition: pluglets have no maps, the loader must say so. */
#include "prog.h"

struct map_def {
	u32 type, key_size, value_size, max_entries;
};

struct map_def counts SEC(".maps") = { 2, 4, 8, 16 };

SEC("pluglet") u64 maps_main(u64 a, u64 b)
{
	return (u64)&counts + a;
}

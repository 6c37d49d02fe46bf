/* SPDX-License-Identifier: MIT */
/* Shared includes of the BPF test programs (tests/bpf/progs). */
#ifndef PLUGFS_TEST_PROGS_COMMON_H
#define PLUGFS_TEST_PROGS_COMMON_H
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

/* A map of one __u64 at key 0 (a counter). */
#define ONE_U64_MAP(name)                          \
	struct {                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);  \
		__uint(max_entries, 1);            \
		__type(key, __u32);                \
		__type(value, __u64);              \
	} name SEC(".maps")

/* Adds v to the __u64 at key 0 of a ONE_U64_MAP. */
static __always_inline void add_to(void *map, __u64 v)
{
	__u32 k = 0;
	__u64 *p = bpf_map_lookup_elem(map, &k);

	if (p)
		__sync_fetch_and_add(p, v);
}
#endif

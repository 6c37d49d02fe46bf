/* SPDX-License-Identifier: MIT */
/* What the tracing/ test programs share: a counter map and a pid filter. */
#ifndef PLUGFS_TEST_TRACING_COMMON_H
#define PLUGFS_TEST_TRACING_COMMON_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <linux/ptrace.h>
#include <stdbool.h>

/* counts[0]: events; counts[1]: a sum (return values, USDT arguments) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

/* 0: every process */
const volatile __u32 target_pid = 0;

static __always_inline int mine(void)
{
	return !target_pid || (__u32)(bpf_get_current_pid_tgid() >> 32) == target_pid;
}

static __always_inline void add(__u32 k, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&counts, &k);

	if (p)
		__sync_fetch_and_add(p, v);
}

char LICENSE[] SEC("license") = "GPL";

#endif

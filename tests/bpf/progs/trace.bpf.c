// SPDX-License-Identifier: MIT
/*
 * Test program: checks per packet which programs of a chain ran. Every
 * copy in the chain sets its own bit (global `me`) in a per-CPU word (a
 * packet's chain runs on one CPU, start to end); the first one (`role` 1)
 * clears the word, the last one (`role` 2) counts the packet in result[0]
 * and, when the word is not `want` or a bit was set twice, in result[1].
 * Entries share the maps through map_owner. Each copy also counts its own
 * runs in a global (.bss), which a move must keep.
 */
#include "common.h"

struct scratch {
	__u64 mask;
	__u64 dup;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} result SEC(".maps");

const volatile __u32 me = 0;
const volatile __u32 role = 0;
const volatile __u64 want = 0;
__u64 runs = 0;

static __always_inline void bump(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&result, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline void step(void)
{
	__u32 k = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &k);

	runs++;
	if (!s)
		return;
	if (role == 1) {
		s->mask = 0;
		s->dup = 0;
	}
	if (s->mask & (1ull << (me & 63)))
		s->dup = 1;
	s->mask |= 1ull << (me & 63);
	if (role == 2) {
		bump(0);
		if (s->mask != want || s->dup)
			bump(1);
	}
}

SEC("xdp")
int xdp_trace(struct xdp_md *ctx)
{
	step();
	return XDP_PASS;
}

SEC("tc")
int tc_trace(struct __sk_buff *skb)
{
	step();
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT
/*
 * Test program for maps/: one map of each kind the tree's tests use (hash,
 * array, per-CPU array, LRU hash, ring buffer, perf event array), with BTF; every packet
 * counts in the arrays and sends its length to the ring and the perf
 * event array.
 */
#include "common.h"

struct pair {
	__u32 a;
	__u64 b;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct pair);
} t_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} t_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} t_pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, __u64);
	__type(value, __u32);
} t_lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} t_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} t_perf SEC(".maps");

struct rec {
	__u32 magic;
	__u32 len;
};

SEC("xdp")
int xdp_maps(struct xdp_md *ctx)
{
	__u32 k = 3;
	__u64 lk = 0, *v = bpf_map_lookup_elem(&t_array, &k);
	struct rec *r;

	/* the program uses every map (the kernel lists only those) */
	if (bpf_map_lookup_elem(&t_hash, &k) || bpf_map_lookup_elem(&t_lru, &lk))
		return XDP_PASS;

	if (v)
		__sync_fetch_and_add(v, 1);
	k = 1;
	v = bpf_map_lookup_elem(&t_pcpu, &k);
	if (v)
		*v += 1;
	r = bpf_ringbuf_reserve(&t_ring, sizeof(*r), 0);
	if (r) {
		r->magic = 0xfeedf00d;
		r->len = ctx->data_end - ctx->data;
		bpf_ringbuf_submit(r, 0);
	}
	{
		struct rec p = { .magic = 0xfeedbeef, .len = ctx->data_end - ctx->data };

		bpf_perf_event_output(ctx, &t_perf, BPF_F_CURRENT_CPU, &p, sizeof(p));
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

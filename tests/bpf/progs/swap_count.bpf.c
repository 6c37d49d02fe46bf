// SPDX-License-Identifier: MIT
/*
 * Test program of swap-state reads: counts the ICMP echo requests it sees
 * in four maps, `pkts` (an array), `pcpu` (a per-CPU hash keyed by the ICMP
 * id) and `hist` (a per-CPU array of 1500 keyed by the ICMP sequence number
 * modulo 1024, emptied in batches) to be loaded with swap = pkts,pcpu,hist,
 * and `total`, which both copies share: the reads of a swap map must add up
 * to `total`. With the global `spin` set, each packet first idles through
 * that many empty loop rounds (a slow program: a packet still runs the old
 * copy for a while after a switch).
 */
#include "common.h"

ONE_U64_MAP(pkts);
ONE_U64_MAP(total);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1500);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

/* The ICMP id of an IPv4 echo request without options (its sequence
 * number follows), -1 otherwise (read
 * at fixed offsets: the kernel's ip.h and icmp.h pull in libc headers). */
static __always_inline int echo_request(unsigned char *p, void *end)
{
	if ((void *)(p + 42) > end)
		return -1;
	if (p[12] != 0x08 || p[13] != 0x00 || p[14] != 0x45 || p[23] != 1 || p[34] != 8)
		return -1;
	return (p[38] << 8) | p[39];
}

const volatile __u32 spin = 0;

static long idle_round(__u32 i, void *ctx)
{
	return 0;
}

static __always_inline void count(void *data, void *end)
{
	__u64 one = 1, *v;
	int id = echo_request(data, end);
	__u32 key;

	if (id < 0)
		return;
	if (spin)
		bpf_loop(spin, idle_round, NULL, 0);
	key = (((unsigned char *)data)[40] << 8 | ((unsigned char *)data)[41]) & 1023;
	v = bpf_map_lookup_elem(&hist, &key);
	if (v)
		*v += 1;
	key = (__u32)id;
	add_to(&pkts, 1);
	add_to(&total, 1);
	v = bpf_map_lookup_elem(&pcpu, &key);
	if (!v) {
		if (!bpf_map_update_elem(&pcpu, &key, &one, BPF_NOEXIST))
			return;
		v = bpf_map_lookup_elem(&pcpu, &key);	/* another CPU made it */
	}
	if (v)
		*v += 1;	/* this CPU's own value */
}

SEC("xdp")
int xdp_swap_count(struct xdp_md *ctx)
{
	count((void *)(long)ctx->data, (void *)(long)ctx->data_end);
	return XDP_PASS;
}

SEC("tc")
int tc_swap_count(struct __sk_buff *skb)
{
	count((void *)(long)skb->data, (void *)(long)skb->data_end);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

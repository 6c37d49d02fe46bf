// SPDX-License-Identifier: MIT
/*
 * verdict: returns the XDP verdict held in the global VERDICT (default
 * XDP_PASS = 2). One object, two behaviours chosen at load time.
 *
 * Shows: `global.NAME` in a load manifest (hex bytes in memory order, the
 * size must match the variable: 4 bytes here), and the report's "Global"
 * line. With `global.VERDICT = 01000000` (XDP_DROP) it drops everything:
 *
 * Run:
 *   printf 'object = %s\nglobal.VERDICT = 01000000\nmetadata.owner = demo\n' \
 *       "$PWD/build/examples/xdp/verdict.bpf.o" > drop.ini
 *   cp drop.ini $MNT/ifaces/eth0/xdp/30        # ping through eth0 now fails
 *   cp build/examples/xdp/verdict.bpf.o $MNT/ifaces/eth0/xdp/30   # replace: passes again
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

volatile const __u32 VERDICT = XDP_PASS;

SEC("xdp")
int verdict(struct xdp_md *ctx)
{
	return VERDICT;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

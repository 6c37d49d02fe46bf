// SPDX-License-Identifier: MIT
/* Test program: an XDP program counting packets in counts[1], the map the
 * tracing test programs count in, so entries of both trees can share it. */
#include "common.h"

SEC("xdp")
int xdp_counts(struct xdp_md *ctx)
{
	add(1, 1);
	return XDP_PASS;
}

// SPDX-License-Identifier: MIT
/*
 * Test program: a uprobe counting calls of a function and a uretprobe
 * summing its return values; where they attach comes from the manifest.
 */
#include "common.h"

#include <bpf/bpf_tracing.h>

SEC("uprobe")
int probe_add(struct pt_regs *ctx)
{
	add(0, 1);
	return 0;
}

SEC("uretprobe")
int ret_add(struct pt_regs *ctx)
{
	add(0, 1);
	add(1, (__u64)PT_REGS_RC(ctx));
	return 0;
}

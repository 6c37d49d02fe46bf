/* SPDX-License-Identifier: MIT */
/* Shared includes of the BPF test programs (tests/bpf/progs). */
#ifndef PLUGFS_TEST_PROGS_COMMON_H
#define PLUGFS_TEST_PROGS_COMMON_H
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#endif

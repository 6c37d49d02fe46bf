/* SPDX-License-Identifier: MIT */
/*
 * Shared by the VM benchmark programs. Each program is compiled twice from
 * the same source: for BPF (clang -O2 -target bpf -c, loaded by the VM; the
 * entry keeps its name) and natively (same clang -O2, -DBENCH_NATIVE, linked
 * into bench_vm; the entry becomes native_<name>). Inputs are r1 = memory,
 * r2 = length in bytes; no helpers.
 */
#ifndef BENCH_PROG_H
#define BENCH_PROG_H

typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#ifdef BENCH_NATIVE
#define BENCH_ENTRY(name) u64 native_##name(u8 *mem, u64 len)
#else
#define BENCH_ENTRY(name) __attribute__((section("bench"), used)) u64 bench_##name(u8 *mem, u64 len)
#endif

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Shared by the ELF loader's test pluglets (built with clang -O2 -g -target
 * bpf -c by tests/elf/meson.build): fixed-width types without libc headers,
 * which are not available for the BPF target.
 */
#ifndef TEST_ELF_PROG_H
#define TEST_ELF_PROG_H

typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#define SEC(name) __attribute__((section(name), used))
#define NOINLINE __attribute__((noinline))

#endif

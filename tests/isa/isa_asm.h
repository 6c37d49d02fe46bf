/* SPDX-License-Identifier: MIT */
/*
 * Reader of the instruction-set test vectors (tests/isa/vectors.isa): a small
 * assembler from the text format of tests/README.md to kernel-layout
 * instructions. Opcodes come from the kernel's <linux/bpf.h>, not from the
 * VM, so a wrong constant in the VM cannot hide in a shared definition.
 */
#ifndef ISA_ASM_H
#define ISA_ASM_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISA_MAX_INSNS 256

struct isa_vector {
	char name[64];
	unsigned line;			/* line of its `test` keyword */
	struct bpf_insn insns[ISA_MAX_INSNS];
	unsigned nr_insns;
	bool is_fault;			/* expects a fault, not a result (our VM only) */
	uint64_t result;		/* expected r0 */
	char fault[32];			/* expected fault kind ("oob-load", ...) */
	uint64_t budget;		/* 0: the VM's default */
	char kernel_refuses[128];	/* why the kernel's verifier refuses it; "" = it must accept */
};

struct isa_set {
	struct isa_vector *v;
	unsigned n;
};

/* Reads and assembles every vector of `path`. 0, or -errno with the file,
 * line and reason in err. */
int isa_set__load(struct isa_set *set, const char *path, char *err, size_t err_size);
void isa_set__free(struct isa_set *set);

/* True when the vector uses an instruction of RFC 9669 that Linux accepts
 * only since 6.6 (sdiv/smod, movsx, ldxs*, bswap, gotol). */
bool isa_vector__uses_v4(const struct isa_vector *v);

#endif /* ISA_ASM_H */

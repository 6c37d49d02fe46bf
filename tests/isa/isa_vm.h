/* SPDX-License-Identifier: MIT */
/*
 * Runs one instruction-set test vector in the pluglet VM (interpreter or
 * JIT) through the public API, and compares the outcome with what the
 * vector expects. Shared by the unit test and the kernel-oracle test.
 */
#ifndef ISA_VM_H
#define ISA_VM_H

#include <pluglet/vm.h>
#include <stdbool.h>
#include <stddef.h>

#include "isa_asm.h"

/* Loads and runs v: 0 with *r0, -EFAULT with the fault kind's name in
 * `fault`, or another -errno (refused at load: the reason in `why`). */
int isa_vm__run(const struct isa_vector *v, enum pluglet_vm_mode mode, uint64_t *r0,
		char *fault, size_t fault_size, char *why, size_t why_size);

/* True when the run in `mode` gives what v expects; otherwise the
 * difference in `why`. */
bool isa_vm__check(const struct isa_vector *v, enum pluglet_vm_mode mode, char *why,
		   size_t why_size);

#endif /* ISA_VM_H */

/* SPDX-License-Identifier: MIT */
/*
 * One vector through the pluglet VM: load (which verifies, and compiles for
 * the JIT), run with no regions but the stack and r1 = r2 = 0, compare.
 * A JIT load must really give JIT code where this build has a JIT.
 */
#include "isa_vm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

_Static_assert(sizeof(struct pluglet_insn) == sizeof(struct bpf_insn),
	       "pluglet_insn has the kernel's layout");

int isa_vm__run(const struct isa_vector *v, enum pluglet_vm_mode mode, uint64_t *r0,
		char *fault, size_t fault_size, char *why, size_t why_size)
{
	struct pluglet_vm_opts opts = {
		.sz = sizeof(opts), .mode = mode, .log_buf = why, .log_size = why_size,
		.name = v->name,
	};
	struct pluglet_exec ex = { .sz = sizeof(ex), .budget = v->budget };
	struct pluglet_vm *vm;
	int rc;

	why[0] = fault[0] = 0;
	vm = pluglet_vm__load((const struct pluglet_insn *)v->insns, v->nr_insns, &opts);
	if (!vm)
		return -errno;
	if (mode == PLUGLET_VM_JIT && PLUGLET_HAVE_JIT && pluglet_vm__mode(vm) != PLUGLET_VM_JIT) {
		snprintf(why, why_size, "a JIT load did not give JIT code");
		pluglet_vm__free(vm);
		return -ENOEXEC;
	}
	*r0 = 0;
	rc = pluglet_vm__run(vm, &ex, 0, 0, r0);
	if (rc == -EFAULT) {
		snprintf(fault, fault_size, "%s", pluglet_fault_kind_str(ex.fault.kind));
		snprintf(why, why_size, "%s", ex.fault.msg);
	} else if (rc) {
		snprintf(why, why_size, "run: %s", strerror(-rc));
	}
	pluglet_vm__free(vm);
	return rc;
}

bool isa_vm__check(const struct isa_vector *v, enum pluglet_vm_mode mode, char *why,
		   size_t why_size)
{
	char fault[32], msg[256];
	uint64_t r0;
	int rc = isa_vm__run(v, mode, &r0, fault, sizeof(fault), msg, sizeof(msg));

	if (rc && rc != -EFAULT) {
		snprintf(why, why_size, "not run (%s): %s", strerror(-rc), msg);
		return false;
	}
	if (v->is_fault) {
		if (rc == -EFAULT && !strcmp(fault, v->fault))
			return true;
		if (rc == -EFAULT)
			snprintf(why, why_size, "fault %s, want fault %s (%s)", fault, v->fault, msg);
		else
			snprintf(why, why_size, "r0=0x%" PRIx64 ", want fault %s", r0, v->fault);
		return false;
	}
	if (rc == -EFAULT) {
		snprintf(why, why_size, "fault %s (%s), want r0=0x%" PRIx64, fault, msg, v->result);
		return false;
	}
	if (r0 != v->result) {
		snprintf(why, why_size, "r0=0x%" PRIx64 ", want 0x%" PRIx64, r0, v->result);
		return false;
	}
	return true;
}

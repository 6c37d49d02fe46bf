/* SPDX-License-Identifier: MIT */
/* Placeholder JIT backend: refuses, so loads fall back to the interpreter. */
#include "vm_internal.h"

#include <errno.h>

static int jit_prepare(struct pluglet_vm *vm, char *log, size_t log_size)
{
	vm_log(log, log_size, "no JIT in this build");
	return -EOPNOTSUPP;
}

const struct vm_backend vm_backend_jit = {
	.name = "jit",
	.prepare = jit_prepare,
};

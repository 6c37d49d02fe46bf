/* SPDX-License-Identifier: MIT */
/*
 * The pluglet VM: a userspace eBPF (RFC 9669) verifier, interpreter and
 * x86-64 JIT with memory safety in every mode.
 *
 * Objects are opaque and follow libbpf conventions: methods are named
 * object__verb(), integer returns are 0 or -errno, pointer returns are NULL
 * with errno set. Options structs start with `size_t sz` so they can grow.
 *
 * Memory model: a program sees host memory directly (zero copy), but only
 * through *regions*: [start, start+len) with a permission. Its stack, the
 * data sections of its ELF object and whatever the caller passes in
 * struct pluglet_exec are the only regions; any other access faults.
 */
#ifndef PLUGLET_VM_H
#define PLUGLET_VM_H

#include <pluglet/fault.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What this header declares is libpluglet's API: exported from the shared
 * library, whose own symbols are hidden by default (vm/libpluglet.map). */
#pragma GCC visibility push(default)

/* Same layout as the kernel's struct bpf_insn. */
struct pluglet_insn {
	uint8_t code;
	uint8_t dst_reg : 4;
	uint8_t src_reg : 4;
	int16_t off;
	int32_t imm;
};

#define PLUGLET_STACK_SIZE     512u	/* bytes per frame */
#define PLUGLET_MAX_CALL_DEPTH 8u	/* nested local calls below main */
#define PLUGLET_MAX_INSNS      65536u	/* default program size limit */
#define PLUGLET_MAX_HELPERS    256u	/* helper ids are 0..255 */
#define PLUGLET_DEFAULT_BUDGET 10000000ull /* executed instructions per run */

enum pluglet_vm_mode {
	PLUGLET_VM_INTERP = 0,
	PLUGLET_VM_JIT = 1,	/* falls back to INTERP with a warning where no JIT exists */
};

enum pluglet_perm {
	PLUGLET_PERM_READ = 1,
	PLUGLET_PERM_WRITE = 2,
	PLUGLET_PERM_RW = 3,
};

struct pluglet_region {
	uint64_t start;		/* host address */
	uint64_t len;		/* bytes */
	uint32_t perm;		/* enum pluglet_perm bits */
	uint32_t tag;		/* free for the caller (e.g. argument index) */
};

struct pluglet_fault {
	enum pluglet_fault_kind kind;
	uint32_t insn;			/* instruction index where it happened */
	uint64_t addr;			/* faulting address (memory faults), helper id, ... */
	uint32_t size;			/* access size in bytes (memory faults) */
	char msg[160];			/* human readable, names the instruction index */
};

/* Name of a fault kind ("oob-load", "budget", ...). */
const char *pluglet_fault_kind_str(enum pluglet_fault_kind kind);

struct pluglet_exec;

/*
 * A helper receives the execution context as a hidden first argument, then
 * r1..r5 of the program. Its return value goes to r0.
 */
typedef uint64_t (*pluglet_helper_fn)(struct pluglet_exec *ex, uint64_t a1, uint64_t a2,
				      uint64_t a3, uint64_t a4, uint64_t a5);

/*
 * Per-run execution context, owned by the caller (usually on its stack).
 * Inputs are set before pluglet_vm__run(); outputs are filled by it.
 */
struct pluglet_exec {
	size_t sz;				/* sizeof(struct pluglet_exec) */
	/* inputs */
	const struct pluglet_region *regions;	/* extra regions the program may touch */
	uint32_t nr_regions;
	uint64_t budget;			/* 0: the program's default */
	void *user;				/* host context, for helpers */
	/* outputs */
	uint64_t insns_executed;		/* exact in the interpreter; JIT: budget units */
	struct pluglet_fault fault;		/* kind == NONE on success */
	/* set through pluglet_exec__abort() by helpers */
	uint64_t abort_r0;
	int abort_kind;
	/* private to the VM (set by pluglet_vm__run(), see vm_internal.h) */
	const struct pluglet_vm *vm_;
	uint8_t *stack_;		/* STACK_TOTAL bytes; frame 0's r10 = stack_ + STACK_TOTAL */
	uint64_t stack_lo_;		/* lowest stack address helpers may touch */
};

/* Called by a helper to stop the run after it returns: r0 becomes `r0`, the
 * run reports `kind` (PLUGLET_FAULT_ABORTED for a clean stop, PLUGLET_FAULT_HELPER
 * for misuse, with `msg`). */
void pluglet_exec__abort(struct pluglet_exec *ex, enum pluglet_fault_kind kind, uint64_t r0,
			 const char *msg);

/*
 * Checks that [addr, addr+len) lies inside one region the running program
 * may touch with `perm` (stack, object data, exec regions). Helpers use it
 * before dereferencing a pointer they got from a program. Returns the host
 * pointer, or NULL.
 */
void *pluglet_exec__check(struct pluglet_exec *ex, uint64_t addr, uint64_t len, uint32_t perm);

/* ---- helper tables ---- */

struct pluglet_helpers;

struct pluglet_helpers *pluglet_helpers__new(void);
void pluglet_helpers__free(struct pluglet_helpers *h);
/* id in [0, PLUGLET_MAX_HELPERS); name may be NULL (by-number only). -EEXIST on clash. */
int pluglet_helpers__add(struct pluglet_helpers *h, uint32_t id, const char *name, pluglet_helper_fn fn);
/* Adds under the lowest free id; returns the id or -errno. */
int pluglet_helpers__add_named(struct pluglet_helpers *h, const char *name, pluglet_helper_fn fn);
/* Returns id or -ENOENT. */
int pluglet_helpers__find(const struct pluglet_helpers *h, const char *name);
pluglet_helper_fn pluglet_helpers__fn(const struct pluglet_helpers *h, uint32_t id);
const char *pluglet_helpers__name(const struct pluglet_helpers *h, uint32_t id);

/* ---- programs ---- */

struct pluglet_vm;

struct pluglet_vm_opts {
	size_t sz;				/* sizeof(struct pluglet_vm_opts) */
	enum pluglet_vm_mode mode;
	const struct pluglet_helpers *helpers;	/* copied at load; may be NULL */
	uint32_t max_insns;			/* 0: PLUGLET_MAX_INSNS */
	uint64_t budget;			/* default per-run budget; 0: PLUGLET_DEFAULT_BUDGET */
	const char *entry;			/* ELF: function name; NULL: the only global one */
	char *log_buf;				/* receives the reason of a failed load */
	size_t log_size;
	const char *name;			/* for messages; ELF default: entry name */
};

/*
 * Verifies (and compiles, for the JIT) a raw program. On failure returns
 * NULL, errno = EINVAL (rejected, reason in log_buf naming the instruction
 * index), E2BIG (too long), ENOMEM...
 */
struct pluglet_vm *pluglet_vm__load(const struct pluglet_insn *insns, uint32_t nr_insns,
				    const struct pluglet_vm_opts *opts);

/*
 * Loads a relocatable eBPF ELF object (clang -target bpf -c): resolves
 * helper calls by symbol name through opts->helpers, local calls, and
 * .rodata/.data/.bss, then verifies like pluglet_vm__load(). Input is
 * treated as hostile.
 */
struct pluglet_vm *pluglet_vm__load_elf(const void *buf, size_t len,
					const struct pluglet_vm_opts *opts);

/* True if the buffer starts like an ELF file. */
bool pluglet_is_elf(const void *buf, size_t len);

void pluglet_vm__free(struct pluglet_vm *vm);

/*
 * Runs the program with r1, r2 as given (r3..r5 = 0). Thread-safe: several
 * threads may run one program at once. Returns 0 and stores r0, or a
 * negative errno (-EFAULT for any fault, details in ex->fault; -EINVAL for a
 * bad exec struct). For PLUGLET_FAULT_ABORTED the return is 0, *r0 is the
 * abort value and ex->fault.kind says ABORTED.
 */
int pluglet_vm__run(const struct pluglet_vm *vm, struct pluglet_exec *ex,
		    uint64_t r1, uint64_t r2, uint64_t *r0);

enum pluglet_vm_mode pluglet_vm__mode(const struct pluglet_vm *vm);
uint32_t pluglet_vm__nr_insns(const struct pluglet_vm *vm);
const char *pluglet_vm__name(const struct pluglet_vm *vm);
/* JIT code size in bytes (0 for the interpreter) and compile time in ns. */
size_t pluglet_vm__jit_size(const struct pluglet_vm *vm);
uint64_t pluglet_vm__load_ns(const struct pluglet_vm *vm);
/*
 * False when no run of this program can see what a caller passes in
 * struct pluglet_exec: it touches no memory through a register other than
 * r10 (its own stack frame) and calls no helper (helpers get ex->user and
 * check pointers against the regions). Such a caller may then pass no
 * regions and no user context. Decided once at load, conservatively.
 */
bool pluglet_vm__needs_exec(const struct pluglet_vm *vm);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* PLUGLET_VM_H */

/* SPDX-License-Identifier: MIT */
/*
 * What the verifier, the interpreter, the JIT and the ELF loader share.
 * The backend (interpreter or JIT) is picked once at load; the core never
 * tests the CPU.
 */
#ifndef PLUGLET_VM_INTERNAL_H
#define PLUGLET_VM_INTERNAL_H

#include <pluglet/vm.h>

#include <stdarg.h>

/* Opcode fields (RFC 9669 §3). */
#define OP_CLASS(op)	((op) & 0x07)
#define OP_SIZE(op)	((op) & 0x18)
#define OP_MODE(op)	((op) & 0xe0)
#define OP_SRC(op)	((op) & 0x08)
#define OP_CODE(op)	((op) & 0xf0)

#define CLS_LD		0x00
#define CLS_LDX		0x01
#define CLS_ST		0x02
#define CLS_STX		0x03
#define CLS_ALU		0x04
#define CLS_JMP		0x05
#define CLS_JMP32	0x06
#define CLS_ALU64	0x07

#define SRC_K		0x00
#define SRC_X		0x08

#define SZ_W		0x00
#define SZ_H		0x08
#define SZ_B		0x10
#define SZ_DW		0x18

#define MODE_IMM	0x00
#define MODE_MEM	0x60
#define MODE_MEMSX	0x80
#define MODE_ATOMIC	0xc0

/* ALU op codes */
#define ALU_ADD		0x00
#define ALU_SUB		0x10
#define ALU_MUL		0x20
#define ALU_DIV		0x30
#define ALU_OR		0x40
#define ALU_AND		0x50
#define ALU_LSH		0x60
#define ALU_RSH		0x70
#define ALU_NEG		0x80
#define ALU_MOD		0x90
#define ALU_XOR		0xa0
#define ALU_MOV		0xb0
#define ALU_ARSH	0xc0
#define ALU_END		0xd0

/* JMP op codes */
#define JMP_JA		0x00
#define JMP_JEQ		0x10
#define JMP_JGT		0x20
#define JMP_JGE		0x30
#define JMP_JSET	0x40
#define JMP_JNE		0x50
#define JMP_JSGT	0x60
#define JMP_JSGE	0x70
#define JMP_CALL	0x80
#define JMP_EXIT	0x90
#define JMP_JLT		0xa0
#define JMP_JLE		0xb0
#define JMP_JSLT	0xc0
#define JMP_JSLE	0xd0

/* Atomic imm values */
#define ATOMIC_FETCH	0x01
#define ATOMIC_XCHG	(0xe0 | ATOMIC_FETCH)
#define ATOMIC_CMPXCHG	(0xf0 | ATOMIC_FETCH)

#define CALL_SRC_HELPER	0
#define CALL_SRC_LOCAL	1

#define STACK_TOTAL	(PLUGLET_STACK_SIZE * (PLUGLET_MAX_CALL_DEPTH + 1))

/*
 * Instruction budget: how both backends count, so that they stop a program
 * at the same instruction (the JIT cannot afford a check per instruction).
 *  - Every executed instruction counts one; an lddw (two slots) counts one.
 *    ex->insns_executed is that count at a normal exit and at a budget fault
 *    (after another fault the JIT's count may lag by the unfinished block).
 *  - The count is compared with the budget only at check points, after the
 *    check point itself has been counted and before it transfers control:
 *      * every jump with a negative offset (JA, JMP and JMP32 conditionals,
 *        `gotol` with a negative imm), whether the condition holds or not;
 *      * every call: local (src=1), helper (src=0) and callx.
 *    Nothing else is a check point (not exit, not forward jumps).
 *  - At a check point, count > budget stops the run:
 *      vm_fault_set(ex, PLUGLET_FAULT_BUDGET, <check point index>, budget, 0)
 *    The budget check comes before the call's own checks (stack overflow,
 *    bad helper, bad callx).
 * A straight-line program may thus run past the budget: the budget exists
 * to stop loops, and any loop or recursion passes a check point.
 */

/* Regions every run of a program has besides the caller's (ELF data). */
#define VM_MAX_DATA_REGIONS 4

struct vm_backend {
	const char *name;
	/* Compile/prepare after verification. Non-zero = fall back or fail. */
	int (*prepare)(struct pluglet_vm *vm, char *log, size_t log_size);
	int (*run)(const struct pluglet_vm *vm, struct pluglet_exec *ex,
		   uint64_t r1, uint64_t r2, uint64_t *r0);
	void (*release)(struct pluglet_vm *vm);
};

extern const struct vm_backend vm_backend_interp;
/* Defined by jit_x86_64.c, or by jit_none.c where there is no JIT. */
extern const struct vm_backend vm_backend_jit;

struct pluglet_vm {
	char name[64];
	struct pluglet_insn *insns;
	uint32_t nr_insns;
	enum pluglet_vm_mode mode;
	const struct vm_backend *backend;
	uint64_t budget;

	/* Helper functions by id, copied from the table at load. */
	pluglet_helper_fn helpers[PLUGLET_MAX_HELPERS];

	/* ELF data sections (.rodata read-only, .data/.bss read-write). */
	struct pluglet_region data_regions[VM_MAX_DATA_REGIONS];
	uint32_t nr_data_regions;
	void *data_mem;			/* owns the memory behind data_regions */

	/* Filled by the verifier for the backends. */
	uint8_t *insn_flags;		/* per instruction, VM_INSN_* bits */

	/* Backend state. */
	void *jit_code;
	size_t jit_size;
	void *backend_priv;
	uint32_t backend_flags;		/* the backend's own */
	uint32_t nr_trees;		/* compare trees the interpreter runs by table */
	uint32_t nr_skips;		/* conditional skips it runs without a branch */
	uint32_t nr_folds;		/* lea pairs the JIT's loop copies leave out */
	uint32_t nr_counted;		/* loop copies that count the budget by a counter */
	uint32_t nr_threads;		/* repeated tests those copies leave out */
	uint32_t nr_cmp_mems;		/* loads those copies fuse into their test */
	uint32_t nr_line_pads;		/* copies' blocks moved to a new 64-byte line */
	uint32_t nr_latch_copies;	/* gotos in counted copies that run the latch in place */
	/*
	 * Bytes at the bottom of frame 0 that pluglet_vm__run() need not zero:
	 * the backend proved that no run reads them (0: zero the whole frame).
	 */
	uint32_t frame0_unread;
	/*
	 * The same, by a simple rule both backends share (set before
	 * prepare(); the JIT may prove more): see scan_memory_use() in vm.c.
	 * It relies on helpers never handing out stack addresses they were
	 * not given.
	 */
	uint32_t frame0_unread_rule;
	bool needs_exec;		/* see pluglet_vm__needs_exec() */
	uint64_t load_ns;
};

/* insn_flags bits */
#define VM_INSN_JUMP_TARGET	0x01	/* some jump lands here */
#define VM_INSN_LDDW_HI		0x02	/* second half of an lddw: not an instruction */
#define VM_INSN_FUNC_START	0x04	/* first instruction of main or a local function */

/* Writes a formatted message to the load log (never overflows). */
void vm_log(char *log, size_t log_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The one load path (pluglet_vm__load and the ELF loader): copies the
 * instructions, takes ownership of data_mem (malloc'd, freed with the vm;
 * may be NULL) whose regions the ELF loader already wrote into lddw
 * immediates, verifies, and prepares the backend (JIT falls back to the
 * interpreter with a warning when it refuses with -EOPNOTSUPP).
 */
struct pluglet_vm *vm_load_common(const struct pluglet_insn *insns, uint32_t nr_insns,
				  void *data_mem, const struct pluglet_region *data_regions,
				  uint32_t nr_data_regions, const struct pluglet_vm_opts *opts);

/* Verifies vm->insns; fills vm->insn_flags. 0 or -EINVAL with the reason. */
int vm_verify(struct pluglet_vm *vm, uint32_t max_insns, char *log, size_t log_size);

/*
 * Fills ex->fault so that every backend reports a fault identically
 * (kind, instruction index, address, size and the same message text).
 */
void vm_fault_set(struct pluglet_exec *ex, enum pluglet_fault_kind kind, uint32_t insn,
		  uint64_t addr, uint32_t size);

/*
 * Run-time contract shared by the backends (added by the VM core):
 * - pluglet_vm__run() validates ex, resets its outputs, sets ex->vm_ and
 *   provides the stack: ex->stack_ points to STACK_TOTAL bytes, frame 0's
 *   r10 = ex->stack_ + STACK_TOTAL, frame 0 is zeroed (except the
 *   vm->frame0_unread lowest bytes, which the program never reads, nor lets
 *   a helper read). A local call moves r10
 *   down by PLUGLET_STACK_SIZE; the backend zeroes the new frame (no host
 *   data leaks into a pluglet).
 * - Before calling a helper a backend stores the current frame's lowest
 *   address (r10 - PLUGLET_STACK_SIZE) in ex->stack_lo_ so that
 *   pluglet_exec__check() accepts pointers into every live frame.
 * - prepare() cleans up after itself when it fails; release() is called
 *   only for a vm whose prepare() succeeded.
 * - vm_load_common() owns data_mem from the call on, also when it fails.
 */

/*
 * Slow path of a memory check: looks [addr, addr+size) up in the vm's data
 * regions and then in ex->regions (not the stack). Returns the host pointer,
 * or NULL with *kind set to the fault to report (OOB_LOAD/OOB_STORE, or
 * READONLY when a region holds the range but lacks WRITE).
 */
void *vm_region_lookup(const struct pluglet_vm *vm, const struct pluglet_exec *ex,
		       uint64_t addr, uint64_t size, uint32_t perm,
		       enum pluglet_fault_kind *kind);

/*
 * After a helper returned with ex->abort_kind set: fills ex->fault for
 * instruction `insn` (helper `helper_id`) and returns what the run returns
 * (0 with *r0 = abort value for ABORTED, -EFAULT otherwise).
 */
int vm_helper_aborted(struct pluglet_exec *ex, uint32_t insn, uint64_t helper_id, uint64_t *r0);

#endif /* PLUGLET_VM_INTERNAL_H */

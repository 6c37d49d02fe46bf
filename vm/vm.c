/* SPDX-License-Identifier: MIT */
/*
 * Public VM objects: the one load path shared by raw and ELF programs, the
 * run entry point that hands a run to the backend chosen at load, and the
 * fault formatting every backend shares so that a fault reads the same in
 * the interpreter and in the JIT.
 */
#include "vm_internal.h"

#include <plugfs/clock.h>
#include <plugfs/log.h>
#include <plugfs/opts.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vm_log(char *log, size_t log_size, const char *fmt, ...)
{
	va_list ap;

	if (!log || !log_size)
		return;
	va_start(ap, fmt);
	vsnprintf(log, log_size, fmt, ap);
	va_end(ap);
}

const char *pluglet_fault_kind_str(enum pluglet_fault_kind kind)
{
	return pluglet_fault_kind_name((unsigned int)kind);
}

void vm_fault_set(struct pluglet_exec *ex, enum pluglet_fault_kind kind, uint32_t insn,
		  uint64_t addr, uint32_t size)
{
	struct pluglet_fault *f = &ex->fault;
	/* ABORTED/HELPER carry the helper's own words, stored by pluglet_exec__abort(). */
	char why[sizeof(f->msg)];

	snprintf(why, sizeof(why), "%s", f->msg);
	f->kind = kind;
	f->insn = insn;
	f->addr = addr;
	f->size = size;
	switch (kind) {
	case PLUGLET_FAULT_OOB_LOAD:
		snprintf(f->msg, sizeof(f->msg), "insn %u: out-of-bounds load of %u bytes at 0x%" PRIx64,
			 insn, size, addr);
		break;
	case PLUGLET_FAULT_OOB_STORE:
		snprintf(f->msg, sizeof(f->msg), "insn %u: out-of-bounds store of %u bytes at 0x%" PRIx64,
			 insn, size, addr);
		break;
	case PLUGLET_FAULT_READONLY:
		snprintf(f->msg, sizeof(f->msg), "insn %u: store of %u bytes to read-only memory at 0x%" PRIx64,
			 insn, size, addr);
		break;
	case PLUGLET_FAULT_STACK_OVERFLOW:
		snprintf(f->msg, sizeof(f->msg), "insn %u: stack overflow: local calls nested deeper than %u",
			 insn, PLUGLET_MAX_CALL_DEPTH);
		break;
	case PLUGLET_FAULT_BUDGET:
		snprintf(f->msg, sizeof(f->msg), "insn %u: instruction budget of %" PRIu64 " exhausted",
			 insn, addr);
		break;
	case PLUGLET_FAULT_BAD_HELPER:
		snprintf(f->msg, sizeof(f->msg), "insn %u: call of unknown helper %" PRIu64, insn, addr);
		break;
	case PLUGLET_FAULT_BAD_CALLX:
		snprintf(f->msg, sizeof(f->msg), "insn %u: callx to 0x%" PRIx64 ", which is not a helper",
			 insn, addr);
		break;
	case PLUGLET_FAULT_HELPER:
		snprintf(f->msg, sizeof(f->msg), "insn %u: helper %" PRIu64 " failed: %.96s", insn, addr,
			 why[0] ? why : "misuse");
		break;
	case PLUGLET_FAULT_ABORTED:
		snprintf(f->msg, sizeof(f->msg), "insn %u: helper %" PRIu64 " stopped the run%s%.96s", insn,
			 addr, why[0] ? ": " : "", why);
		break;
	default:
		snprintf(f->msg, sizeof(f->msg), "insn %u: fault %d", insn, (int)kind);
		break;
	}
}

void pluglet_exec__abort(struct pluglet_exec *ex, enum pluglet_fault_kind kind, uint64_t r0,
			 const char *msg)
{
	if (!ex)
		return;
	if (kind != PLUGLET_FAULT_ABORTED && kind != PLUGLET_FAULT_HELPER)
		kind = PLUGLET_FAULT_HELPER;
	/* The first reason wins: a helper that aborts twice keeps its first word. */
	if (ex->abort_kind)
		return;
	ex->abort_kind = kind;
	ex->abort_r0 = r0;
	snprintf(ex->fault.msg, sizeof(ex->fault.msg), "%s", msg ? msg : "");
}

int vm_helper_aborted(struct pluglet_exec *ex, uint32_t insn, uint64_t helper_id, uint64_t *r0)
{
	vm_fault_set(ex, ex->abort_kind, insn, helper_id, 0);
	if (ex->abort_kind == PLUGLET_FAULT_ABORTED) {
		*r0 = ex->abort_r0;
		return 0;
	}
	return -EFAULT;
}

static bool range_in(const struct pluglet_region *r, uint64_t addr, uint64_t size)
{
	uint64_t off = addr - r->start;

	return off < r->len && size <= r->len - off;
}

void *vm_region_lookup(const struct pluglet_vm *vm, const struct pluglet_exec *ex,
		       uint64_t addr, uint64_t size, uint32_t perm,
		       enum pluglet_fault_kind *kind)
{
	const struct pluglet_region *r;
	bool denied = false;
	uint32_t i;

	for (i = 0; i < vm->nr_data_regions; i++) {
		r = &vm->data_regions[i];
		if (range_in(r, addr, size)) {
			if ((r->perm & perm) == perm)
				return (void *)(uintptr_t)addr;
			denied = true;
		}
	}
	for (i = 0; i < ex->nr_regions; i++) {
		r = &ex->regions[i];
		if (range_in(r, addr, size)) {
			if ((r->perm & perm) == perm)
				return (void *)(uintptr_t)addr;
			denied = true;
		}
	}
	if (perm & PLUGLET_PERM_WRITE)
		*kind = denied ? PLUGLET_FAULT_READONLY : PLUGLET_FAULT_OOB_STORE;
	else
		*kind = PLUGLET_FAULT_OOB_LOAD;
	return NULL;
}

void *pluglet_exec__check(struct pluglet_exec *ex, uint64_t addr, uint64_t len, uint32_t perm)
{
	enum pluglet_fault_kind kind;
	uint64_t top;

	if (!ex || !ex->vm_ || !len)
		return NULL;
	if (ex->stack_) {
		top = (uint64_t)(uintptr_t)ex->stack_ + STACK_TOTAL;
		if (addr >= ex->stack_lo_ && addr < top && len <= top - addr)
			return (void *)(uintptr_t)addr;
	}
	return vm_region_lookup(ex->vm_, ex, addr, len, perm, &kind);
}

bool pluglet_is_elf(const void *buf, size_t len)
{
	return buf && len >= 4 && !memcmp(buf, "\x7f" "ELF", 4);
}

/*
 * One pass over the verified program for what its runs can reach:
 * - needs_exec: a load, store or atomic whose base is not r10, or a helper
 *   call or callx, may reach the caller's regions or context (stack
 *   pointers that went through another register count too: conservative);
 * - frame0_unread_rule: while r10 never leaves r10 (no copy, arithmetic or
 *   store of it), only loads and atomics on r10 at negative offsets read
 *   frame 0 (helpers and local calls reach it only through a copy of r10;
 *   a callee's r10 + off >= 0 reads its callers' frames), so the bytes
 *   below the lowest of those offsets are never read.
 */
static void scan_memory_use(struct pluglet_vm *vm)
{
	bool exec = false, escape = false;
	int64_t lo = 0;

	for (uint32_t i = 0; i < vm->nr_insns; i++) {
		const struct pluglet_insn *in = &vm->insns[i];
		bool stack_read = false;

		if (vm->insn_flags[i] & VM_INSN_LDDW_HI)
			continue;
		switch (OP_CLASS(in->code)) {
		case CLS_LDX:
			exec |= in->src_reg != 10;
			stack_read = in->src_reg == 10;
			break;
		case CLS_ST:
			exec |= in->dst_reg != 10;
			break;
		case CLS_STX:
			exec |= in->dst_reg != 10;
			escape |= in->src_reg == 10;
			stack_read = OP_MODE(in->code) == MODE_ATOMIC && in->dst_reg == 10;
			break;
		case CLS_ALU:
		case CLS_ALU64:
			escape |= OP_SRC(in->code) == SRC_X && in->src_reg == 10;
			break;
		case CLS_JMP:
			/* helper by id or callx; only a local call stays inside */
			exec |= OP_CODE(in->code) == JMP_CALL &&
				(OP_SRC(in->code) == SRC_X || in->src_reg != CALL_SRC_LOCAL);
			break;
		default:
			break;
		}
		if (stack_read && in->off >= 0)
			escape = true;
		else if (stack_read && in->off < lo)
			lo = in->off;
	}
	vm->needs_exec = exec;
	/* whole 16-byte units, so that the memset stays aligned */
	vm->frame0_unread_rule = escape || lo < -(int64_t)PLUGLET_STACK_SIZE ? 0 :
				 (uint32_t)((int64_t)PLUGLET_STACK_SIZE + lo) & ~15u;
}

struct pluglet_vm *vm_load_common(const struct pluglet_insn *insns, uint32_t nr_insns,
				  void *data_mem, const struct pluglet_region *data_regions,
				  uint32_t nr_data_regions, const struct pluglet_vm_opts *opts)
{
	struct pluglet_vm_opts o = { .sz = sizeof(o) };
	struct pluglet_vm *vm = NULL;
	uint64_t t0 = plugfs_now_ns();
	char *log;
	size_t log_size;
	uint32_t max, id;
	int err;

	err = PLUGFS_OPTS_COPY(&o, opts);
	/* A refused newer struct still holds our log fields. */
	log = err && opts->sz >= sizeof(o) ? opts->log_buf : o.log_buf;
	log_size = err && opts->sz >= sizeof(o) ? opts->log_size : o.log_size;
	if (log && log_size)
		log[0] = '\0';
	if (err || (!insns && nr_insns)) {
		vm_log(log, log_size, "bad load options");
		err = -EINVAL;
		goto fail;
	}
	opts = &o;
	max = opts->max_insns ? opts->max_insns : PLUGLET_MAX_INSNS;
	if (!nr_insns) {
		vm_log(log, log_size, "empty program");
		err = -EINVAL;
		goto fail;
	}
	if (nr_insns > max) {
		vm_log(log, log_size, "program has %u instructions, over the limit of %u", nr_insns, max);
		err = -E2BIG;
		goto fail;
	}
	if (nr_data_regions > VM_MAX_DATA_REGIONS || (nr_data_regions && !data_regions)) {
		vm_log(log, log_size, "%u data regions, at most %u", nr_data_regions, VM_MAX_DATA_REGIONS);
		err = -EINVAL;
		goto fail;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		err = -ENOMEM;
		goto fail;
	}
	vm->data_mem = data_mem;
	data_mem = NULL;
	snprintf(vm->name, sizeof(vm->name), "%s", opts->name ? opts->name : "pluglet");
	vm->insns = malloc(sizeof(*insns) * nr_insns);
	vm->insn_flags = calloc(nr_insns, 1);
	if (!vm->insns || !vm->insn_flags) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(vm->insns, insns, sizeof(*insns) * nr_insns);
	vm->nr_insns = nr_insns;
	vm->budget = opts->budget ? opts->budget : PLUGLET_DEFAULT_BUDGET;
	if (opts->helpers)
		for (id = 0; id < PLUGLET_MAX_HELPERS; id++)
			vm->helpers[id] = pluglet_helpers__fn(opts->helpers, id);
	if (nr_data_regions)
		memcpy(vm->data_regions, data_regions, sizeof(*data_regions) * nr_data_regions);
	vm->nr_data_regions = nr_data_regions;

	err = vm_verify(vm, max, log, log_size);
	if (err)
		goto fail;
	scan_memory_use(vm);

	vm->mode = opts->mode == PLUGLET_VM_JIT ? PLUGLET_VM_JIT : PLUGLET_VM_INTERP;
	vm->backend = vm->mode == PLUGLET_VM_JIT ? &vm_backend_jit : &vm_backend_interp;
	err = vm->backend->prepare(vm, log, log_size);
	if (err == -EOPNOTSUPP && vm->mode == PLUGLET_VM_JIT) {
		pr_warn("pluglet %s: JIT unavailable (%s), running it in the interpreter",
			vm->name, log && log_size ? log : "refused");
		if (log && log_size)
			log[0] = '\0';
		vm->mode = PLUGLET_VM_INTERP;
		vm->backend = &vm_backend_interp;
		err = vm->backend->prepare(vm, log, log_size);
	}
	if (err) {
		vm->backend = NULL;
		goto fail;
	}
	vm->load_ns = plugfs_now_ns() - t0;
	return vm;

fail:
	free(data_mem);
	pluglet_vm__free(vm);
	errno = -err;
	return NULL;
}

struct pluglet_vm *pluglet_vm__load(const struct pluglet_insn *insns, uint32_t nr_insns,
				    const struct pluglet_vm_opts *opts)
{
	return vm_load_common(insns, nr_insns, NULL, NULL, 0, opts);
}

void pluglet_vm__free(struct pluglet_vm *vm)
{
	if (!vm)
		return;
	if (vm->backend && vm->backend->release)
		vm->backend->release(vm);
	free(vm->insns);
	free(vm->insn_flags);
	free(vm->data_mem);
	free(vm);
}

/*
 * The options-size rule for struct pluglet_exec, which also carries the
 * run's outputs and the VM's private fields. The struct of this build takes
 * the straight path; a newer, larger one is accepted when its unknown tail
 * is zero; an older, smaller one runs through a full copy (run_small), off
 * the path every current host takes.
 */
static bool __attribute__((noinline)) exec_size_ok(const struct pluglet_exec *ex)
{
	return ex->sz > sizeof(*ex) && plugfs_opts_valid(ex, ex->sz, sizeof(*ex));
}

static int __attribute__((noinline)) run_small(const struct pluglet_vm *vm, struct pluglet_exec *ex,
					       uint64_t r1, uint64_t r2, uint64_t *r0)
{
	struct pluglet_exec full = { 0 };
	size_t n = ex->sz;
	int err;

	memcpy(&full, ex, n);
	full.sz = sizeof(full);
	err = pluglet_vm__run(vm, &full, r1, r2, r0);
	full.sz = n;
	memcpy(ex, &full, n);
	return err;
}

int pluglet_vm__run(const struct pluglet_vm *vm, struct pluglet_exec *ex,
		    uint64_t r1, uint64_t r2, uint64_t *r0)
{
	uint8_t stack[STACK_TOTAL] __attribute__((aligned(16)));
	int err;

	if (!vm || !ex || !r0 || (ex->nr_regions && !ex->regions))
		return -EINVAL;
	if (__builtin_expect(ex->sz != sizeof(*ex), 0)) {
		if (ex->sz < sizeof(*ex) && ex->sz >= sizeof(ex->sz))
			return run_small(vm, ex, r1, r2, r0);
		if (!exec_size_ok(ex))
			return -EINVAL;
	}
	ex->insns_executed = 0;
	ex->fault.kind = PLUGLET_FAULT_NONE;
	ex->fault.insn = 0;
	ex->fault.addr = 0;
	ex->fault.size = 0;
	ex->fault.msg[0] = '\0';
	ex->abort_r0 = 0;
	ex->abort_kind = 0;
	ex->vm_ = vm;
	ex->stack_ = stack;
	ex->stack_lo_ = (uint64_t)(uintptr_t)stack + STACK_TOTAL - PLUGLET_STACK_SIZE;
	/* Only frame 0 is live at entry; deeper frames are zeroed when a call
	 * enters them. A JITed program that provably reads none of it skips the
	 * call: for a short pluglet the call alone is a visible share of a run. */
	if (vm->frame0_unread < PLUGLET_STACK_SIZE)
		memset(stack + STACK_TOTAL - PLUGLET_STACK_SIZE + vm->frame0_unread, 0,
		       PLUGLET_STACK_SIZE - vm->frame0_unread);
	*r0 = 0;
	err = vm->backend->run(vm, ex, r1, r2, r0);
	/* The stack dies with this frame and the vm may be freed: a later
	 * pluglet_exec__check() must not reach either. */
	ex->vm_ = NULL;
	ex->stack_ = NULL;
	ex->stack_lo_ = 0;
	return err;
}

enum pluglet_vm_mode pluglet_vm__mode(const struct pluglet_vm *vm)
{
	return vm->mode;
}

uint32_t pluglet_vm__nr_insns(const struct pluglet_vm *vm)
{
	return vm->nr_insns;
}

const char *pluglet_vm__name(const struct pluglet_vm *vm)
{
	return vm->name;
}

bool pluglet_vm__needs_exec(const struct pluglet_vm *vm)
{
	return vm->needs_exec;
}

size_t pluglet_vm__jit_size(const struct pluglet_vm *vm)
{
	return vm->jit_size;
}

uint64_t pluglet_vm__load_ns(const struct pluglet_vm *vm)
{
	return vm->load_ns;
}

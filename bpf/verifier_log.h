/* SPDX-License-Identifier: MIT */
/*
 * The kernel verifier's log in the object's own terms (bpf/verifier_log.c):
 * instruction indexes of the program as loaded (prologue and epilogue of
 * the chain rewrite first, subprograms appended) become the indexes
 * llvm-objdump -d shows for the object. Pure functions, unit tested.
 */
#ifndef PLUGFS_BPF_VERIFIER_LOG_H
#define PLUGFS_BPF_VERIFIER_LOG_H

#include <plugfs/strbuf.h>

#include <stdbool.h>
#include <stddef.h>

/* A function of the program as loaded. Instruction numbers here count
 * from the program's first own instruction (plugfs's are not counted). */
struct vlog_func {
	size_t start;
	const char *name;		/* NULL: unknown */
	const char *section;		/* its ELF section; NULL: unknown */
	size_t sec_insn;		/* its first instruction's index in that section */
};

/* Where a source line starts (BTF line info). */
struct vlog_line {
	size_t insn;
	const char *file;
	const char *src;		/* the line's text; "" none */
	unsigned int line;
};

struct vlog_map {
	size_t shift;			/* instructions plugfs put before the program */
	const char *section;		/* the program's section: its indexes are shown bare */
	const struct vlog_func *funcs;	/* by start; funcs[0] is the program itself */
	size_t n_funcs;
	size_t main_len;		/* the program's own instructions (subprograms follow) */
	const struct vlog_line *lines;	/* by insn; may be none */
	size_t n_lines;
};

/*
 * The label of instruction idx of the program as loaded: "N" for an
 * instruction of the program's section (N as in its disassembly),
 * "SECTION:N" for one of another section (a subprogram in .text),
 * "plugfs:N" for one the rewrite inserted, "sub+N" past the program when
 * there is no BTF to tell the subprograms apart.
 */
void vlog_label(const struct vlog_map *m, size_t idx, char *buf, size_t size);

/*
 * Copies log into out with the instruction indexes that start its lines
 * ("N: (..) insn", "N: R1=..", "from N to M:", "func#K @N", "to caller
 * at N:") as labels,
 * then one line naming where the verifier stopped: the last instruction
 * in the log, its function and, with line info, its source line.
 */
void vlog_rewrite(const char *log, const struct vlog_map *m, struct strbuf *out);

/*
 * Did the verifier accept the program this log (log level 1) is of? At
 * that level the kernel keeps only the path to an error, so the log of an
 * accepted program is its statistics line alone ("processed N insns ...").
 * A load that fails with such a log failed after verification (e.g. the
 * tail-call map's owner, fixed by the JIT, differs), not in the verifier.
 */
bool vlog_verified(const char *log);

#endif

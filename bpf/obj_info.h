/* SPDX-License-Identifier: MIT */
/*
 * An object in its own terms, read from its ELF symbols (bpf/obj_info.c):
 * the name libbpf gives it, and where each function lives, so that map
 * names and verifier messages speak of the object the user compiled.
 */
#ifndef PLUGFS_BPF_OBJ_INFO_H
#define PLUGFS_BPF_OBJ_INFO_H

#include <stddef.h>

struct obj_func {
	char name[64];
	char section[64];
	size_t insn;			/* its first instruction's index in the section */
};

struct obj_info {
	char file[64];			/* the source file (STT_FILE symbol); "": none */
	char first_global[64];		/* the first global function outside .text; "": none */
	struct obj_func *funcs;		/* every function symbol */
	size_t n_funcs;
};

/* Reads the symbols of an ELF object in memory. 0, or -EINVAL (not an ELF
 * object libelf can read; oi is then empty), -ENOMEM. */
int obj_info_read(const void *obj, size_t len, struct obj_info *oi);
void obj_info_fini(struct obj_info *oi);
/* The function of that name; NULL if the object has none. */
const struct obj_func *obj_info_func(const struct obj_info *oi, const char *name);

/*
 * The object name libbpf derives from a file path (bpf_object__open_file):
 * the file name up to its first dot, at most 15 characters ("count_sh.o"
 * -> "count_sh"). libbpf then names an internal map after at most 8 of
 * those (7 for ".kconfig") and the section: "count_sh.bss".
 */
void obj_name_from_path(const char *path, char *out, size_t size);

/*
 * The object's name for libbpf (its internal maps are named after it):
 * the object file a manifest names (object_path; "-" or NULL for bytes
 * written directly), else the source file the object was compiled from,
 * else its first global function (the program, as a rule), else "plugfs".
 */
void obj_info_object_name(const struct obj_info *oi, const char *object_path, char *out,
			  size_t size);

#endif

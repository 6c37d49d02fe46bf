/* SPDX-License-Identifier: MIT */
/* Programs into the kernel (bpf/prog_load.c): user programs, roots, stubs. */
#ifndef PLUGFS_BPF_PROG_LOAD_H
#define PLUGFS_BPF_PROG_LOAD_H

#include "engine_internal.h"

#include <linux/bpf.h>

struct bpf_object;

#define LOAD_LOG_SIZE (1u << 20)	/* verifier log */
#define LOAD_MAX_MAPS 64		/* maps of one program (the kernel's MAX_USED_MAPS) */

struct load_req {
	const void *obj;
	size_t obj_len;
	enum engine_hook hook;
	const char *what;		/* "eth0/xdp/10" for messages */
	const char *object_path;	/* a manifest's object, names the object's
					 * internal maps; NULL or "-": bytes written */
	const char *prog_name;
	const struct engine_global *globals;
	size_t n_globals;
	int chain_map_fd;
	unsigned int slot;
	uint32_t mask;
	unsigned int counter;		/* index in counts_map_fd; 0: not counted */
	int counts_map_fd;
	int time_map_fd;		/* the run-time switch; < 0: no run time */
	const char *map_dir;		/* reuse/pin maps here; NULL: fresh dir maps/<id> */
	const char *bpffs_dir;
	char *log_buf;			/* LOAD_LOG_SIZE bytes; NULL: one is allocated */
	bool spare;			/* chain map of a spare: fail quietly with
					 * spare_refused when the kernel refuses the
					 * pair after verifying the program */
	int copy_of_fd;			/* > 0: a copy of this loaded program, which
					 * shares its internal maps (.data, .bss,
					 * .rodata: the globals keep their values) */
	const char (*swap_names)[16];	/* swap maps (bpf/swap.c): each must be a map of
					 * the object; instance 1 is pinned <name>:1 */
	size_t n_swap;
	unsigned int swap_instance;	/* 0 or 1: the instance this copy uses */
};

struct load_res {
	int prog_fd;
	uint32_t prog_id;
	char prog_name[128];
	char map_dir[PATH_MAX];		/* where its maps are pinned ("" if none) */
	uint32_t map_ids[LOAD_MAX_MAPS];	/* the object's maps (internal ones aside) */
	size_t n_map_ids;
	bool spare_refused;
	bool timed;			/* its code measures run time */
};

/* Pins of maps created by a load (to undo on failure). */
struct new_pins {
	char path[16][PATH_MAX];
	int n;
};

/* The maps of an object before its load: into r->map_dir (shared, kept or
 * restored; the new pins noted in np), or none yet (r->map_dir NULL). */
int load_setup_map_pins(struct bpf_object *obj, const struct load_req *r, struct new_pins *np);
/* After the load: without r->map_dir, pins the maps in <bpffs>/maps/<res->prog_id>
 * (res->map_dir, "" when the object has none). */
int load_pin_fresh_maps(struct bpf_object *obj, const struct load_req *r, struct load_res *res);
void load_unpin_new(const struct new_pins *np);
/* Sets a global variable's initial value, found by name in the object's BTF. */
int load_apply_global(struct bpf_object *obj, const struct load_req *r,
		      const struct engine_global *g);
/* Opens the object, rewrites its program into a chain link and loads it. */
int load_user_prog(const struct load_req *r, struct load_res *res);
/* Removes a map pin dir created by a failed or last user. */
void load_remove_map_dir(const char *dir);
/* Removes the pins in dir, then dir; -errno (nothing done) when it cannot be read. */
int load_unpin_dir(const char *dir);
/* The id of the map pinned at path; 0 if none. */
uint32_t load_pinned_map_id(const char *path);
/* Ids of the maps a program uses, as the kernel lists them (at most max). */
size_t load_prog_map_ids(int prog_fd, uint32_t *ids, size_t max);
/*
 * A program of map directory dir was replaced or removed; gone are the
 * maps it used. Removes dir when no entry of e has it any more; otherwise
 * unpins each map of gone that no program of dir uses now and that is not
 * in keep (the maps of the object that replaced it).
 */
void load_release_maps(const struct engine *e, const char *dir, const uint32_t *gone,
		       size_t n_gone, const uint32_t *keep, size_t n_keep);

/* Takes the roots' instructions from the embedded objects (once a process). */
void load_prepare_roots(void);
/* Loads a root program with the chain map: from those instructions, or from
 * the embedded object when they could not be taken. */
int load_root_prog(enum engine_hook hook, bool indirect, int chain_map_fd, int *prog_fd);
/* Is this the name of the indirect build of a root? */
bool root_is_indirect(const char *prog_name);
/* A program that returns what a root returns with an empty chain, of the
 * root's type (the place holder in a spare's slot 0). */
int load_stub_prog(enum engine_hook hook, int *prog_fd);
/* Index of the ld_imm64 of a map by fd in a program; (size_t)-1 if there is
 * none or more than one (a root loads its chain map only). */
size_t root_map_insn(const struct bpf_insn *in, size_t n);
/* The kernel id of a program fd; 0 if fd < 0 or the kernel cannot say. */
uint32_t load_prog_id(int fd);

#endif

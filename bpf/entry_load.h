/* SPDX-License-Identifier: MIT */
/* Loading one entry into a hook's chain (bpf/entry_load.c). */
#ifndef PLUGFS_BPF_ENTRY_LOAD_H
#define PLUGFS_BPF_ENTRY_LOAD_H

#include "engine_internal.h"

struct entry_load_req {
	struct eng_hook *hook;		/* the hook as revalidated (bpf/recover.c); NULL: none yet */
	int ifindex;			/* the interface's index now */
	const char *ifname;
	enum engine_hook kind;
	unsigned int prio;
	const void *obj;
	size_t obj_len;
	const struct engine_load_opts *opts;	/* never NULL, full size */
	const char *restore_map_dir;	/* a restore: its maps go back to this pin dir
					 * ("" none), its map owner is not kept; NULL otherwise */
	unsigned int restore_swap_live;	/* a restore: the instance of its swap maps
					 * that was live (bpf/swap.c) */
};

/* Creates the entry, or atomically replaces the program at that priority.
 * Under lock. */
int entry_load(struct engine *e, const struct entry_load_req *r);

#endif

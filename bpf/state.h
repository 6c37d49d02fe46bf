/* SPDX-License-Identifier: MIT */
/* The state dir (bpf/state.c): entry files and stored objects, written and read. */
#ifndef PLUGFS_BPF_STATE_H
#define PLUGFS_BPF_STATE_H

#include "engine_internal.h"

#include <plugfs/strbuf.h>

/* ---- writing (through the journal when there is one) ---- */

/* The hook's fields changed (they are kept in each entry's file); h NULL: nothing. */
int state_save_hook(struct engine *e, const struct eng_hook *h);
/* obj NULL: the options only (the object is stored already). */
int state_save_entry(struct engine *e, const struct eng_hook *h, const struct eng_entry *en,
		     const void *obj, size_t obj_len);
void state_remove_entry(struct engine *e, const struct eng_hook *h, unsigned int prio);
/* Removes a stored object (call when no entry has that digest any more). */
void state_drop_object(struct engine *e, const char *sha256);
/* The entries sharing the maps of program old_id (their map owner, loaded
 * again as new_id by a replace or a move) name new_id, in memory and file. */
void state_follow_owner(struct engine *e, uint32_t old_id, uint32_t new_id);
int state_rename_entry(struct engine *e, const struct eng_hook *h, unsigned int from,
		       unsigned int to);

/* Files of other trees (tracing/): rel is relative to the state dir. A put
 * may carry the object of digest sha256 (obj NULL: none), stored with it. */
int state_put_file(struct engine *e, const char *rel, const void *data, size_t len,
		   const char *sha256, const void *obj, size_t obj_len);
/* "[section]" and "key = value" lines of "key=value\n" lines (nothing when NULL). */
void state_add_lines(struct strbuf *sb, const char *section, const char *lines);
void state_del_file(struct engine *e, const char *rel);
int state_mv_file(struct engine *e, const char *from, const char *to);

/* ---- reading (fold the journal first) ---- */

#define STATE_MAX_KV 32

struct saved_hook {
	int ifindex;
	char mode[8];
	bool qdisc_created;
};

/* An entry's file as read; the strings and bytes are the entry's own. */
struct saved_entry {
	bool has_hook;
	struct saved_hook hook;
	uint32_t slot;
	uint32_t prog_id;
	uint32_t map_owner_id;
	uint32_t counter;		/* 0: not counted (older files too) */
	uint32_t timed;
	char prog_name[128];
	char proceed_on[256];
	char object_path[PATH_MAX];
	char map_pin_path[PATH_MAX];
	char sha256[65];
	char image_url[1024];		/* "" unless the object came from an OCI image */
	char image_digest[80];
	char pull_policy[16];
	size_t obj_size;
	char mode[8];
	char swap[SWAP_MAX_MAPS * 17];	/* swap maps (bpf/swap.c); "": none */
	bool swap_empty;
	uint32_t swap_live, swap_id, swap_pending;
	struct engine_global globals[STATE_MAX_KV];	/* decoded from the file's hex */
	size_t n_globals;
	struct engine_kv metadata[STATE_MAX_KV];
	size_t n_metadata;
};

/* <state>/ifaces/<ifname>/<hook>; -ENOENT without a state dir. */
int state_hook_dir(const struct engine *e, const char *ifname, enum engine_hook kind, char *buf,
		   size_t size);
/* Priorities with a saved entry in a hook's dir, sorted; returns the count. */
int state_saved_prios(const char *dir, unsigned int *prios, int max);
/* Reads <dir>/<prio>.ini (what it holds: a bad line is logged and ends the
 * read); NULL when out of memory. */
struct saved_entry *state_read_entry(const char *dir, unsigned int prio);
void state_entry_free(struct saved_entry *s);
/*
 * The stored object of a digest (malloc'ed): -ENOENT when there is none
 * (or no state dir) or when its bytes do not match the digest (it is
 * removed, with a warning naming what, "eth0/xdp/10"), or the read's -errno.
 */
int state_read_object(const struct engine *e, const char *sha256, const char *what, void **obj,
		      size_t *len);

#endif

/* SPDX-License-Identifier: MIT */
/* The engine's hooks and entries in memory (bpf/hooks.c): no kernel calls. */
#ifndef PLUGFS_BPF_HOOKS_H
#define PLUGFS_BPF_HOOKS_H

#include "engine_internal.h"

#include <plugfs/strbuf.h>

/* A hook with no fds yet (all -1) and a new serial; not linked in e->hooks. */
struct eng_hook *hook_new(struct engine *e, const char *ifname, enum engine_hook kind);
struct eng_hook *hook_find(struct engine *e, const char *ifname, enum engine_hook kind);
struct eng_hook *hook_by_serial(struct engine *e, unsigned long serial);
void hook_unlink(struct engine *e, struct eng_hook *h);
/* Closes the hook's fds (-1 after): nothing is detached or unpinned. */
void hook_close(struct eng_hook *h);
/* hook_close(), then frees it with its entries. */
void hook_free(struct eng_hook *h);
/* close(*fd) if open; *fd = -1. */
void fd_close(int *fd);

/* Position of the entry of that priority in the chain; -1: none (h may be NULL). */
int entry_pos(const struct eng_hook *h, unsigned int prio);
/* Where an entry of that priority goes in the chain. */
unsigned int insert_pos(const struct eng_hook *h, unsigned int prio);
/* A chain map slot no entry uses (0 when all are taken). */
unsigned int alloc_slot(const struct eng_hook *h);
const struct eng_entry *entry_by_id(const struct engine *e, uint32_t id);
/* Does an entry other than except hold this object (digest) / map pin dir? */
bool object_used(const struct engine *e, const char *sha256, const struct eng_entry *except);
bool map_dir_used(const struct engine *e, const char *dir, const struct eng_entry *except);
/* Is dir the map pin dir of an entry with swap maps (bpf/swap.c)? Its maps
 * are not shared: a sharer would count into a quiescent instance. */
bool map_dir_swapped(const struct engine *e, const char *dir);
/* The map pin dir of a program of ours by kernel id, a chain's entry or a
 * program of tracing/ ("" when it has no maps); -ENOENT when none has it. */
int owner_map_dir(const struct engine *e, uint32_t id, const char **dir);
void entry_free(struct eng_entry *en);

/* "key=value\n" lines of n pairs (malloc'ed), NULL when n is 0. */
char *kv_lines(const struct engine_kv *kv, size_t n);
/* A copy of n globals in one allocation (names and bytes included), NULL when n is 0. */
struct engine_global *globals_dup(const struct engine_global *g, size_t n);
/* Appends NAME<eq>HEX (lower-case hex of the bytes). */
void global_put(struct strbuf *sb, const struct engine_global *g, const char *eq);

#endif

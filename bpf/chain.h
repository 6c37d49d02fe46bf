/* SPDX-License-Identifier: MIT */
/* A hook in the kernel (bpf/chain.c): chain map, root, attachment, pins. */
#ifndef PLUGFS_BPF_CHAIN_H
#define PLUGFS_BPF_CHAIN_H

#include "engine_internal.h"

/* <bpffs>/<ifname>/<hook>; -ENAMETOOLONG. */
int chain_hook_dir(const struct engine *e, const struct eng_hook *h, char *buf, size_t size);
/* <bpffs>/<ifname>/<hook>/<leaf> ("chain", "root", "link", ...). */
void chain_pin_path(const struct engine *e, const struct eng_hook *h, const char *leaf, char *buf,
		    size_t size);
/* <bpffs>/<ifname>/<hook>/prog_<prio>; -ENAMETOOLONG. */
int chain_entry_pin(const struct engine *e, const struct eng_hook *h, unsigned int prio, char *buf,
		    size_t size);
/* The directory holding a spare's pins in its own dir: "xdp" or "tc-ingress"
 * (named as the hook it may become, so that it is renamed into place). */
const char *chain_spare_subdir(enum engine_hook kind);
/* Removes a spare's pins and directory. */
void chain_spare_unpin(const char *dir, enum engine_hook kind);

/* A fresh chain map for the hook (and its counts map, bpf/stats.c). */
int chain_hook_create(struct engine *e, struct eng_hook *h);
/* A counts map made and pinned for an adopted hook that has none. */
void chain_counts_add(struct engine *e, struct eng_hook *h);
/* Gives up the spare a new hook took (closed, unpinned) for a fresh chain map. */
int chain_hook_unspare(struct engine *e, struct eng_hook *h);
/* Root (unless a spare brought it), pins, attach. */
int chain_hook_attach(struct engine *e, struct eng_hook *h);
/* Attaches root_fd in place of the hook's root (atomic) and pins it; on
 * success the hook owns root_fd and the old root is closed. */
int chain_root_swap(struct engine *e, struct eng_hook *h, int root_fd);
/* Detaches and unpins the hook and closes its fds. Returns the hook of the
 * other tc direction that now owns the clsact qdisc we created (its state
 * must be saved), or NULL. */
struct eng_hook *chain_hook_destroy(struct engine *e, struct eng_hook *h);
/* Detaches a lost chain's root (its pins are cleared by the restore). */
void chain_hook_detach(struct eng_hook *h);

/* Returns once every XDP / TC program run that began before the call has
 * ended (an RCU grace period). */
int chain_wait_packets(void);
/* chain[slot] = fd (fd < 0: delete). */
int chain_set(struct eng_hook *h, unsigned int slot, int fd);
/* The slot that holds the entry at pos: its predecessor's own slot, or 0. */
unsigned int chain_pred_slot(const struct eng_hook *h, unsigned int pos);
/* The id of the program attached: the XDP link's, or our tc filter's. */
uint32_t chain_attached_prog_id(const struct eng_hook *h);
/* Is the hook as saved: root attached to this interface, chain map linking
 * the entries in priority order? */
bool chain_hook_intact(const struct eng_hook *h);

#endif

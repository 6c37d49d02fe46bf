/* SPDX-License-Identifier: MIT */
/* Adoption and restore of chains (bpf/recover.c). */
#ifndef PLUGFS_BPF_RECOVER_H
#define PLUGFS_BPF_RECOVER_H

#include "engine_internal.h"

struct entry_load_req;

/* At engine start: adopts the hooks a previous engine left pinned, or
 * restores them from the state dir when their chain was lost. */
int recover_adopt(struct engine *e);
/*
 * The interface behind a hook may have gone (entries hidden, state kept) or
 * been re-created with a new index (the chain was lost with it: rebuilt
 * from the state dir, *hp then being the new hook or NULL). Returns -ENOENT
 * while the interface is absent, else 0 and its index in *ifindex (when not
 * NULL).
 */
int recover_revalidate(struct engine *e, struct eng_hook **hp, const char *ifname,
		       enum engine_hook kind, int *ifindex);
/* entry_load() of the hook of r->ifname and r->kind once revalidated (fills
 * r->hook and r->ifindex); -ENOENT, logged, when the interface is absent. */
int recover_load(struct engine *e, struct entry_load_req *r);

#endif

/* SPDX-License-Identifier: MIT */
/* Swap-state (bpf/swap.c): an entry's second copy and the read that switches to it. */
#ifndef PLUGFS_BPF_SWAP_H
#define PLUGFS_BPF_SWAP_H

#include "engine_internal.h"
#include "prog_load.h"

#include <plugfs/strbuf.h>

/*
 * Loads the idle copy of a program just loaded (rq, res: the live copy,
 * using instance live of the swap maps): the same object, options and slot,
 * its internal maps and other maps shared, instance 1 - live of the swap
 * maps. The ids of its maps are added to res->map_ids. *out is the entry's
 * swap state, which owns the copy.
 */
int swap_load_idle(const struct load_req *rq, struct load_res *res, unsigned int live, bool empty,
		   struct eng_swap **out);
/* After an entry is committed: its idle copy pinned as prog_<prio>_idle,
 * or a stale one removed (the entry has no swap maps now). */
void swap_pin_idle(struct engine *e, struct eng_hook *h, const struct eng_entry *en);
/* <bpffs>/<ifname>/<hook>/prog_<prio>_idle; -ENAMETOOLONG. */
int swap_idle_pin(const struct engine *e, const struct eng_hook *h, unsigned int prio, char *buf,
		  size_t size);
/*
 * Adoption: the idle copy from its pin and the swap state as saved. A
 * daemon that died between a read's switch and its save leaves the pins
 * exchanged: the copy pinned prog_<prio> is then the saved idle one, and
 * the state follows the pins. false when the copies are not those saved.
 */
bool swap_adopt(struct engine *e, struct eng_hook *h, struct eng_entry *en, const char *list,
		bool empty, uint32_t live, uint32_t idle_id, uint32_t pending, uint32_t saved_id);
/* The "Swap ..." lines of the entry's report (none without swap maps). */
void swap_report(struct strbuf *sb, const struct eng_entry *en);
struct jsonw;
/* The same as the report's "swap" object (null without swap maps). */
void swap_report_json(struct jsonw *w, const struct eng_entry *en);

#endif

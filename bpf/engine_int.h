/* SPDX-License-Identifier: MIT */
/* Private to bpf/: the engine's model of its hooks and entries. */
#ifndef PLUGFS_BPF_ENGINE_INT_H
#define PLUGFS_BPF_ENGINE_INT_H

#include "engine.h"

#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define CHAIN_MAP_ENTRIES (ENGINE_CHAIN_HARD_MAX + 1)
/* Our clsact filter: a handle and priority no other tool is expected to use. */
#define PLUGFS_TC_HANDLE 0x706c
#define PLUGFS_TC_PRIO 0x706c

struct eng_entry {
	unsigned int prio;
	unsigned int slot;		/* its successor lives in chain[slot] */
	int prog_fd;
	uint32_t prog_id;
	uint32_t proceed_mask;
	char prog_name[128];
	char object_path[PATH_MAX];
	char sha256[65];
	size_t obj_size;
	char *globals;			/* "NAME=hex" lines, NULL: none */
	char *metadata;			/* "key=value" lines, NULL: none */
	char map_pin_path[PATH_MAX];	/* "" when the program has no maps of its own */
	uint32_t map_owner_id;
	char mode[8];
};

struct eng_hook {
	char ifname[IF_NAMESIZE];
	int ifindex;
	enum engine_hook kind;
	int map_fd;
	int root_fd;
	int link_fd;			/* xdp */
	bool qdisc_created;		/* tc: we created the clsact qdisc */
	char mode[8];			/* xdp attach mode */
	struct eng_entry *ent[ENGINE_CHAIN_HARD_MAX];	/* sorted by prio */
	unsigned int n;
	struct eng_hook *next;
};

struct engine {
	pthread_mutex_t lock;
	char bpffs_dir[PATH_MAX];
	char state_dir[PATH_MAX];	/* "" = none */
	unsigned int max_chain;
	size_t max_object_size;
	uint32_t default_mask[ENGINE_HOOK__COUNT];
	char xdp_mode[8];
	struct eng_hook *hooks;
};

/* ---- load.c: objects into kernel programs ---- */
struct load_req {
	const void *obj;
	size_t obj_len;
	enum engine_hook hook;
	const char *what;		/* "eth0/xdp/10" for messages */
	const char *prog_name;
	const struct engine_kv *globals;
	size_t n_globals;
	int chain_map_fd;
	unsigned int slot;
	uint32_t mask;
	const char *map_dir;		/* reuse/pin maps here; NULL: fresh dir maps/<id> */
	const char *bpffs_dir;
};

struct load_res {
	int prog_fd;
	uint32_t prog_id;
	char prog_name[128];
	char map_dir[PATH_MAX];		/* where its maps are pinned ("" if none) */
};

void load_register_handlers(void);
int load_user_prog(const struct load_req *r, struct load_res *res);
/* Loads a root program (embedded object) with the chain map. */
int load_root_prog(enum engine_hook hook, int chain_map_fd, int *prog_fd);
/* Removes a map pin dir created by a failed or last user. */
void load_remove_map_dir(const char *dir);

/* ---- chain.c: hooks, chain map updates, attach ---- */
int chain_hook_create(struct engine *e, struct eng_hook *h);	/* map only */
int chain_hook_attach(struct engine *e, struct eng_hook *h);	/* root + attach + pins */
void chain_hook_destroy(struct engine *e, struct eng_hook *h);	/* detach, unpin */
/* chain[slot] = fd (fd < 0: delete). */
int chain_set(struct eng_hook *h, unsigned int slot, int fd);
unsigned int chain_pred_slot(const struct eng_hook *h, unsigned int pos);
int chain_xdp_foreign(const struct eng_hook *h, const char *ifname, int ifindex);
int hook_dir(const struct engine *e, const struct eng_hook *h, char *buf, size_t size);
int entry_pin_path(const struct engine *e, const struct eng_hook *h, unsigned int prio, char *buf,
		   size_t size);

/* ---- pin.c: state dir and adoption ---- */
int state_save_hook(const struct engine *e, const struct eng_hook *h);
/* obj NULL: the options only (the object is stored already). */
int state_save_entry(const struct engine *e, const struct eng_hook *h, const struct eng_entry *en,
		     const void *obj, size_t obj_len);
void state_remove_entry(const struct engine *e, const struct eng_hook *h, unsigned int prio);
/* Removes a stored object (call when no entry has that digest any more). */
void state_drop_object(const struct engine *e, const char *sha256);
int state_rename_entry(const struct engine *e, const struct eng_hook *h, unsigned int from,
		       unsigned int to);
void state_remove_hook(const struct engine *e, const struct eng_hook *h);
int state_adopt(struct engine *e);
/* Reloads a hook's entries from the state dir (chain lost with its interface). */
void state_restore_hook(struct engine *e, const char *ifname, enum engine_hook kind);

/* ---- report.c ---- */
int report_entry(const struct engine *e, const struct eng_hook *h, unsigned int pos, char **buf,
		 size_t *len);

/* ---- engine.c ---- */
/* snprintf for paths and names: truncation is checked by callers that care. */
int xsnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* engine__load without the lock; force_map_dir: restore maps to that pin dir. */
int engine_do_load(struct engine *e, const char *ifname, enum engine_hook kind, unsigned int prio,
		   const void *obj, size_t obj_len, const struct engine_load_opts *o,
		   const char *force_map_dir);
void entry_free(struct eng_entry *en);
/* "key=value\n" lines of n pairs (malloc'ed), NULL when n is 0. */
char *kv_lines(const struct engine_kv *kv, size_t n);
int errno_from_libbpf(int err);

#endif

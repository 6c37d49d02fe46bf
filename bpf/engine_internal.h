/* SPDX-License-Identifier: MIT */
/* Private to bpf/: the engine's model of its hooks and entries. */
#ifndef PLUGFS_BPF_ENGINE_INTERNAL_H
#define PLUGFS_BPF_ENGINE_INTERNAL_H

#include "engine.h"

#include <linux/bpf.h>

#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

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
	int stub_fd;			/* the spare's stub, freed off the load's path */
	char spare_dir[PATH_MAX];	/* the spare's pins, until moved into place */
	bool root_indirect;		/* attached root is the *_ind build (bpf/spare.c) */
	unsigned long serial;		/* tells a re-created hook of the same name apart */
	bool qdisc_created;		/* tc: we created the clsact qdisc */
	char mode[8];			/* xdp attach mode */
	struct eng_entry *ent[ENGINE_CHAIN_HARD_MAX];	/* sorted by prio */
	unsigned int n;
	struct eng_hook *next;
};

/* A chain map with the root program loaded with it (bpf/spare.c). */
struct eng_spare {
	int map_fd;
	int root_fd;
	int stub_fd;
	char dir[PATH_MAX];		/* its pins: <dir>/<hook>/{chain,root}; "": none */
};
#define SPARE_KINDS 2			/* xdp, tc (both directions) */

struct engine {
	pthread_mutex_t lock;
	int ioctl_fd;			/* SIOCGIFINDEX */
	int journal_fd;			/* <state>/journal (bpf/journal.c); -1: none */
	bool journal_dirty;		/* under lock: records not folded yet */
	size_t journal_size;		/* under lock: bytes appended since the fold */
	char bpffs_dir[PATH_MAX];
	char state_dir[PATH_MAX];	/* "" = none */
	unsigned int max_chain;
	size_t max_object_size;
	uint32_t default_mask[ENGINE_HOOK__COUNT];
	char xdp_mode[8];
	struct eng_hook *hooks;
	char *log_buf;			/* verifier log of the load under lock */
	bool bg_wanted;			/* under lock: wake the thread when the verb is done */
	unsigned long hook_serial;	/* under lock */
	/*
	 * The background thread (bpf/spare.c) makes spares and swaps direct
	 * roots in. spare_lock guards the fields below; it is taken after lock,
	 * never before: the thread takes lock only while holding nothing.
	 */
	pthread_mutex_t spare_lock;
	pthread_cond_t spare_cond;
	pthread_t spare_tid;
	bool spare_running;		/* the thread runs */
	bool spares_on;			/* it makes spares (engine_opts.no_spares unset) */
	bool spare_stop;
	bool bg_busy;			/* the thread is at a job */
	unsigned int upgrades_wanted;	/* hooks with an indirect root, as last counted */
	bool fold_wanted;		/* the state journal has records to fold */
	double bg_quiet_until;		/* CLOCK_MONOTONIC us: no job before */
	double bg_idle_us;		/* engine_opts.idle_ms */
	unsigned int spare_serial;	/* the thread's: names of spare pin dirs */
	bool spare_failed[SPARE_KINDS];
	struct eng_spare spare[SPARE_KINDS];
};

/* ---- prog_load.c: objects into kernel programs ---- */
#define LOAD_LOG_SIZE (1u << 20)	/* verifier log */
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
	char *log_buf;			/* LOAD_LOG_SIZE bytes; NULL: one is allocated */
	bool spare;			/* chain map of a spare: fail quietly with
					 * spare_refused when the kernel refuses the
					 * pair after verifying the program */
};

struct load_res {
	int prog_fd;
	uint32_t prog_id;
	char prog_name[128];
	char map_dir[PATH_MAX];		/* where its maps are pinned ("" if none) */
	bool spare_refused;
};

void load_register_handlers(void);
int load_user_prog(const struct load_req *r, struct load_res *res);
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
/* Removes a map pin dir created by a failed or last user. */
void load_remove_map_dir(const char *dir);

/* ---- chain.c: hooks, chain map updates, attach ---- */
int chain_hook_create(struct engine *e, struct eng_hook *h);	/* map only */
int chain_hook_attach(struct engine *e, struct eng_hook *h);	/* root + attach + pins */
/* Attaches root_fd in place of the hook's root (atomic) and pins it; on
 * success the hook owns root_fd and the old root is closed. */
int chain_root_swap(struct engine *e, struct eng_hook *h, int root_fd);
void chain_hook_destroy(struct engine *e, struct eng_hook *h);	/* detach, unpin */
/* chain[slot] = fd (fd < 0: delete). */
int chain_set(struct eng_hook *h, unsigned int slot, int fd);
unsigned int chain_pred_slot(const struct eng_hook *h, unsigned int pos);
int chain_xdp_foreign(const struct eng_hook *h, const char *ifname, int ifindex);
int hook_dir(const struct engine *e, const struct eng_hook *h, char *buf, size_t size);
int entry_pin_path(const struct engine *e, const struct eng_hook *h, unsigned int prio, char *buf,
		   size_t size);

/* ---- spare.c: the background thread: spares made ahead, roots made direct ---- */
int spare_start(struct engine *e, bool spares);
/* Stops the thread and closes the spares (nothing of them is pinned). */
void spare_stop(struct engine *e);
/* Takes the spare of the hook's type if one is ready (the caller owns the
 * fds; slot 0 holds the stub until the first program replaces it; the root
 * is the indirect build). */
bool spare_take(struct engine *e, enum engine_hook kind, struct eng_spare *s);
/* The directory holding a spare's pins in <dir>: "xdp" or "tc-ingress". */
const char *spare_pin_subdir(enum engine_hook kind);
/* Removes a spare's pins and directory. */
void spare_unpin(const char *dir, enum engine_hook kind);
/* At the end of every verb (lock released): jobs wait for a quiet time
 * after it. upgrade: the verb attached an indirect root. The thread is woken
 * by engine__kick(). */
void spare_note(struct engine *e, bool upgrade, bool fold);

/* ---- journal.c: the state dir's changes, appended, folded when idle ---- */
int journal_open(struct engine *e);
void journal_close(struct engine *e);
/* One writev of whole records; -errno (the caller then writes directly). */
int journal_append(struct engine *e, const struct iovec *iov, int n);
/* Applies the records to the files and empties the journal. Under lock. */
int journal_fold(struct engine *e);

/* ---- state.c: state dir and adoption ---- */
/* A state file written whole (temporary + rename; directories on demand). */
int state_write_file(const char *path, const void *data, size_t len);
/* The hook's fields changed (they are kept in each entry's file). */
int state_save_hook(struct engine *e, const struct eng_hook *h);
/* obj NULL: the options only (the object is stored already). */
int state_save_entry(struct engine *e, const struct eng_hook *h, const struct eng_entry *en,
		     const void *obj, size_t obj_len);
void state_remove_entry(struct engine *e, const struct eng_hook *h, unsigned int prio);
/* Removes a stored object (call when no entry has that digest any more). */
void state_drop_object(struct engine *e, const char *sha256);
int state_rename_entry(struct engine *e, const struct eng_hook *h, unsigned int from,
		       unsigned int to);
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
/* CLOCK_MONOTONIC in microseconds. */
double engine_now_us(void);
/* if_nametoindex on the engine's socket; 0 if there is no such interface. */
int engine_ifindex(struct engine *e, const char *ifname);
/* mkdir -p that costs one mkdir when at most the last component is missing. */
int mkdir_fast(const char *dir, unsigned int mode);

#endif

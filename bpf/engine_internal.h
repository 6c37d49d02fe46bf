/* SPDX-License-Identifier: MIT */
/*
 * Private to bpf/: the engine's model of its hooks and entries, which every
 * file of the engine shares. What a file may call of another is declared in
 * that file's own header (hooks.h, prog_load.h, chain.h, ...).
 *
 * The files, bottom-up; each calls only files above it in this list, so
 * there is no circle of calls:
 *   rewrite.c     the instruction rewrite that makes a program a chain link
 *   obj_info.c    an object's name and functions, from its ELF symbols
 *   verifier_log.c  the verifier log with the object's own instruction indexes
 *   names.c       hook, verdict (proceed_on) and priority names (engine.h)
 *   trace_point.c tracing/ attach points as text: SEC() names, manifest keys
 *   tp_open.c     tracepoints' perf events, opened on a helper thread during a load
 *   introspect.c  every kernel program and map by id, attach points (progs/, maps/)
 *   mapio.c       map entries as text, BTF dumps, ring buffer / perf event streams
 *   dirlock.c     the locks of the bpffs and state directories
 *   hooks.c       hooks and entries in memory: lookups, slots, copies, freeing
 *   stats.c       counts of chained programs: the per-CPU counts map, the run-time switch
 *   prog_load.c   user programs, root programs and stubs into the kernel
 *   chain.c       a hook's chain map, root, attachment and pins
 *   journal.c     the state journal: changes appended, folded into files
 *   state.c       the state dir: entry files and objects, written and read
 *   spare.c       spares: chain maps made ahead with their root
 *   background.c  the idle worker thread: spares, direct roots, journal folds
 *   swap.c        swap-state: an entry's second copy, switched to by a read
 *   entry_load.c  loading one entry into a chain, step by step
 *   move.c        a move that re-orders a chain: copies, one switch
 *   recover.c     adoption at start; chains lost with their interface restored
 *   report.c      the report of an entry: `cat` text and JSON
 *   tracing.c     tracing/ entries: programs attached where SEC() says, pinned, adopted
 *   engine.c      the verbs of engine.h
 *
 * Locks: every verb holds `lock`; `bg_lock` guards the background thread's
 * fields and the spares, taken after `lock`, never before; so is the
 * tracepoint opener's own lock (bpf/tp_open.c), which nothing holds while
 * taking another.
 */
#ifndef PLUGFS_BPF_ENGINE_INTERNAL_H
#define PLUGFS_BPF_ENGINE_INTERNAL_H

#include "engine.h"

#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* slot 0 and one slot per program, and as many again for the copies a
 * move loads beside them (bpf/move.c) */
#define CHAIN_MAP_ENTRIES (2 * ENGINE_CHAIN_HARD_MAX + 1)
/* Our clsact filter: a handle and priority no other tool is expected to use. */
#define PLUGFS_TC_HANDLE 0x706c
#define PLUGFS_TC_PRIO 0x706c

#define SWAP_MAX_MAPS 8

/* An entry loaded with `swap` (bpf/swap.c): its idle copy and the two
 * instances of its swap maps. */
struct eng_swap {
	int fd;				/* the idle copy: pinned prog_<prio>_idle */
	uint32_t id;
	unsigned int live;		/* instance (0, 1) of the swap maps the live copy uses */
	bool empty;			/* swap_empty */
	uint32_t pending;		/* bit k: map k's idle instance is unread since the switch */
	char list[SWAP_MAX_MAPS * 17];	/* the names as given: "a,b" */
	size_t n;
	char name[SWAP_MAX_MAPS][16];
	uint32_t map_id[SWAP_MAX_MAPS][2];	/* per instance; pinned <name>, <name>:1 */
};

struct eng_entry {
	unsigned int prio;
	unsigned int slot;		/* its successor lives in chain[slot] */
	int prog_fd;
	uint32_t prog_id;
	uint32_t proceed_mask;
	char prog_name[128];
	char object_path[PATH_MAX];
	char sha256[65];
	char image_url[1024];		/* "" unless the object came from an OCI image */
	char image_digest[80];
	char pull_policy[16];
	size_t obj_size;
	struct engine_global *globals;	/* one allocation (hooks.c); NULL: none */
	size_t n_globals;
	char *metadata;			/* "key=value" lines, NULL: none */
	char map_pin_path[PATH_MAX];	/* "" when the program has no maps of its own */
	uint32_t map_owner_id;
	char mode[8];
	unsigned int cidx;		/* its counts in the hook's counts map; 0: not counted */
	bool timed;			/* its code measures run time (bpf/stats.c) */
	struct eng_swap *swap;		/* NULL: no swap maps */
};

struct eng_hook {
	char ifname[IF_NAMESIZE];
	int ifindex;
	enum engine_hook kind;
	int map_fd;
	int counts_fd;			/* per-CPU counts of its programs (bpf/stats.c); -1: none */
	int root_fd;
	int link_fd;			/* xdp */
	int stub_fd;			/* the spare's stub, freed off the load's path */
	char spare_dir[PATH_MAX];	/* the spare's pins, until moved into place */
	bool root_indirect;		/* attached root is the *_ind build (bpf/background.c) */
	unsigned long serial;		/* tells a re-created hook of the same name apart */
	bool qdisc_created;		/* tc: we created the clsact qdisc */
	char mode[8];			/* xdp attach mode */
	struct eng_entry *ent[ENGINE_CHAIN_HARD_MAX];	/* sorted by prio */
	unsigned int n;
	struct eng_hook *next;
};

struct bpf_link;
struct bpf_object;

/* One program of a tracing/ entry (bpf/tracing.c) and the link that attaches it. */
struct eng_trace_prog {
	char name[128];
	char sec[256];
	char attach[PATH_MAX];		/* the attach point as used: "tracepoint:syscalls:sys_enter_getpid" */
	int prog_fd;
	int link_fd;
	uint32_t prog_id;
	uint32_t link_id;
	struct bpf_link *held;		/* usdt: libbpf's link of several uprobes, which
					 * has no fd to pin: held while the engine lives */
	struct bpf_link *own;		/* libbpf's link as attached, link_fd its fd:
					 * kept rather than its fd duplicated and the
					 * rest closed on the path of a load */
};

/* A tracing/<name> entry: the options it was loaded with, kept to restore it. */
struct eng_trace {
	char name[256];
	char object_path[PATH_MAX];
	char sha256[65];
	size_t obj_size;
	char map_pin_path[PATH_MAX];	/* "" when its programs have no maps */
	uint32_t map_owner_id;
	char prog_names[512];		/* manifest `name`: "a, b"; "": every program */
	char attach[PATH_MAX];		/* manifest overrides ("" / -1: unset) */
	char target[PATH_MAX];
	char fn_name[256];
	int64_t offset;
	int retprobe;
	int pid;
	struct engine_global *globals;
	size_t n_globals;
	char *metadata;
	struct eng_trace_prog *progs;
	size_t n_progs;
	struct bpf_object *held_obj;	/* open while a program's link is held */
	struct eng_trace *next;
};

/* A chain map with the root program loaded with it (bpf/spare.c). */
struct eng_spare {
	int map_fd;
	int counts_fd;
	int root_fd;
	int stub_fd;
	char dir[PATH_MAX];		/* its pins: <dir>/<hook>/{chain,root}; "": none */
};
#define SPARE_KINDS 2			/* xdp, tc (both directions) */

struct engine {
	pthread_mutex_t lock;
	int ioctl_fd;			/* SIOCGIFINDEX (bpf/recover.c) */
	int journal_fd;			/* <state>/journal (bpf/journal.c); -1: none */
	int lock_fd[2];			/* bpffs, state directories locked (bpf/dirlock.c); -1: none */
	bool journal_dirty;		/* under lock: records not folded yet */
	size_t journal_size;		/* under lock: bytes appended since the fold */
	char bpffs_dir[PATH_MAX];
	char state_dir[PATH_MAX];	/* "" = none */
	unsigned int max_chain;
	size_t max_object_size;
	uint32_t default_mask[ENGINE_HOOK__COUNT];
	char xdp_mode[8];
	bool no_counts;			/* engine_opts.no_counts */
	int time_fd;			/* the run-time switch (bpf/stats.c); -1: none */
	int timing_on;			/* its value as last set; -1: not set */
	struct eng_hook *hooks;
	struct eng_trace *traces;	/* tracing/ entries (bpf/tracing.c), under lock */
	struct trace_reap *trace_reap;	/* libbpf objects of tracing/ loads, closed after
					 * the answer (atomic push and take) */
	char *log_buf;			/* verifier log of the load under lock */
	struct tp_opener *tp_opener;	/* tracing/ loads' helper (bpf/tp_open.c), made at
					 * the first; under lock */
	struct trace_prep *trace_prep;	/* a tracing/ load begun ahead (bpf/tracing.c); under lock */
	bool bg_wanted;			/* under lock: wake the thread when the verb is done */
	unsigned long hook_serial;	/* under lock */
	/*
	 * The background thread (bpf/background.c) and the spares
	 * (bpf/spare.c). bg_lock guards the fields below; it is taken after
	 * lock, never before: the thread takes lock only while holding nothing.
	 */
	pthread_mutex_t bg_lock;
	pthread_cond_t bg_cond;
	pthread_t bg_tid;
	bool bg_running;		/* the thread runs */
	bool bg_stop;
	bool bg_busy;			/* the thread is at a job */
	unsigned int upgrades_wanted;	/* hooks with an indirect root, as last counted */
	bool fold_wanted;		/* the state journal has records to fold */
	double bg_quiet_until;		/* plugfs_now_us(): no job before */
	double bg_idle_us;		/* engine_opts.idle_ms */
	bool spares_on;			/* the thread makes spares (engine_opts.no_spares unset) */
	unsigned int spare_serial;	/* the thread's: names of spare pin dirs */
	bool spare_failed[SPARE_KINDS];
	struct eng_spare spare[SPARE_KINDS];
};

#endif

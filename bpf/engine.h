/* SPDX-License-Identifier: MIT */
/*
 * The kernel engine: XDP / TC priority chains built with tail calls.
 *
 * Per interface and hook, a root program of ours (bpf/progs) is attached and
 * tail-calls slot 0 of a BPF_MAP_TYPE_PROG_ARRAY (the chain map). Every user
 * program is loaded as its own kernel program after a rewrite (bpf/rewrite.c):
 * its exits jump to an epilogue that, when the verdict is in its proceed-on
 * mask, tail-calls the program's own slot, which holds its successor. All
 * objects are pinned under the bpffs dir, options and objects are kept in the
 * state dir, so a new engine adopts what a previous one left.
 *
 * Every function returns 0 or -errno and logs the full reason of a failure
 * (verifier log included) with pr_warn. One engine is safe to use from
 * several threads (it serialises its verbs). Options structs follow the
 * size rule of <plugfs/opts.h>: NULL is all defaults, an older (smaller)
 * struct is accepted, a newer one asking for more than this build knows is
 * refused with -EINVAL.
 */
#ifndef PLUGFS_BPF_ENGINE_H
#define PLUGFS_BPF_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum engine_hook {
	ENGINE_HOOK_XDP = 0,
	ENGINE_HOOK_TC_INGRESS = 1,
	ENGINE_HOOK_TC_EGRESS = 2,
	ENGINE_HOOK__COUNT
};

#define ENGINE_PRIO_MIN 1
#define ENGINE_PRIO_MAX 1000
#define ENGINE_CHAIN_HARD_MAX 32

/* "xdp", "tc-ingress", "tc-egress"; NULL if out of range. */
const char *engine_hook_name(enum engine_hook hook);

struct engine_opts {
	size_t sz;
	const char *bpffs_dir;		/* default ENGINE_BPFFS_DEFAULT */
	const char *state_dir;		/* objects and options; NULL: none kept */
	unsigned int max_chain;		/* default 10, at most 32 */
	size_t max_object_size;		/* default 1 MiB; bigger -> -EFBIG */
	const char *xdp_proceed_on;	/* NULL: "pass, dispatcher_return" */
	const char *tc_proceed_on;	/* NULL: "ok, pipe, dispatcher_return" */
	const char *xdp_mode;		/* "native" (default) or "skb" */
	bool no_spares;			/* no chain maps made ahead (see engine__spares) */
	unsigned int idle_ms;		/* background work waits this long after a verb
					 * (default 2; see engine__settle) */
	bool no_counts;			/* chained programs are loaded without the code
					 * that counts them (engine__hook_stats) */
};

struct engine;

#define ENGINE_BPFFS_DEFAULT "/sys/fs/bpf/plugfs"

/*
 * Creates the engine and adopts what is pinned / kept in the state dir.
 * One engine per bpffs and state directory: it locks both (flock, made
 * when missing) for its life; NULL with errno EBUSY, after a message
 * naming the directory and the pid holding it, when another has them.
 */
struct engine *engine__new(const struct engine_opts *opts);
/* Would engine__new() get these directories' locks now? 0, or -EBUSY
 * after the same message (it takes them and lets them go at once): a
 * daemon asks before it leaves its terminal, to fail there. */
int engine_dirs_check(const char *bpffs_dir, const char *state_dir);
/* Frees memory only: everything stays attached and pinned. */
void engine__free(struct engine *e);

struct engine_kv {
	const char *key;
	const char *value;
};

/* A global variable's new initial value: exactly as many bytes as it has. */
struct engine_global {
	const char *name;
	const void *data;
	size_t len;
};

struct engine_load_opts {
	size_t sz;
	const char *object_path;	/* shown by the report; NULL: "-" (written bytes) */
	const char *prog_name;		/* required if the object has several candidates */
	const char *proceed_on;		/* NULL: the hook's default */
	const struct engine_global *globals;
	size_t n_globals;
	const struct engine_kv *metadata;
	size_t n_metadata;
	uint32_t map_owner_id;		/* 0: owns its maps; else a program of ours */
	const char *mode;		/* xdp: native | skb; NULL: default */
	/* an object from an OCI image: shown by the report as bpfctl get does */
	const char *image_url;		/* NULL: not from an image */
	const char *image_digest;
	const char *pull_policy;
	const char *swap;		/* "MAP[,MAP]": a second copy of the program with
					 * its own instance of these maps (engine__swap_read);
					 * NULL: none */
	bool swap_empty;		/* a swap read empties the instance it returns */
};

/* Creates the entry, or atomically replaces the program at that priority. */
int engine__load(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio,
		 const void *obj, size_t obj_len, const struct engine_load_opts *opts);
int engine__unload(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio);
/* Moves an entry to a new priority (re-orders the chain). -EEXIST if taken. */
int engine__move(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int from,
		 unsigned int to);
/* Would a new entry fit? -ENOENT no such interface, -ENOSPC chain full. */
int engine__may_create(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio);

/* Priorities of a hook in chain order; returns the count (<= max) or -errno. */
int engine__list(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int *prios,
		 size_t max);
/* Kernel program id of an entry (0 if none). */
uint32_t engine__prog_id(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio);
/* Where one of our programs is. */
enum engine_prog_role {
	ENGINE_PROG_ENTRY,	/* a chain entry: ifname, hook, prio and names set */
	ENGINE_PROG_ROOT,	/* the root a hook runs: ifname and hook set */
	ENGINE_PROG_SPARE,	/* the root of a spare, made ahead for a first load */
	ENGINE_PROG_TRACE,	/* one of a tracing/ entry's programs: prog_name is
				 * the entry's name */
};
struct engine_where {
	enum engine_prog_role role;
	char ifname[16];
	enum engine_hook hook;
	unsigned int prio;
	char prog_name[128];
	char object_path[4096];
};
/* Which of our programs has this kernel id (an entry's idle copy, with
 * swap maps, too): 0, or -ENOENT (another tool's program). */
int engine__find_prog(struct engine *e, uint32_t prog_id, struct engine_where *w);
/* The `cat` text; *buf is malloc'ed. */
int engine__report(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio,
		   char **buf, size_t *len);
/* The same facts as one JSON object (docs/json.md, "ifaces/ entries"). */
int engine__report_json(struct engine *e, const char *ifname, enum engine_hook hook,
			unsigned int prio, char **buf, size_t *len);

/*
 * Swap-state reads (as DeChainy's swap = true metrics): an entry loaded with
 * `swap` runs one of two copies of its program, each with its own instance
 * of the swap maps (the other maps are shared). A read switches the chain
 * to the other copy (one update of the slot that leads to the entry), waits
 * until no packet runs the old copy any more (an RCU grace period), then
 * hands the instance the old copy used, now quiescent, to consume (its fd
 * is valid during the call), and empties it if the entry has swap_empty.
 * A read switches the whole program, so every swap map of the entry
 * changes instance: the next read of each other swap map returns its own
 * quiescent instance without switching again. Which copy is live is kept
 * in the state dir (adoption, replace). consume's error is returned (the
 * switch stays done; nothing is emptied).
 */
typedef int (*engine_swap_consume_fn)(int map_fd, void *ctx);
/* -ENOENT: no such entry; -EINVAL: the entry has no swap map of that name. */
int engine__swap_read(struct engine *e, const char *ifname, enum engine_hook hook, unsigned int prio,
		      const char *map, engine_swap_consume_fn consume, void *ctx);
/* The same for a map id, of either instance; -ENOENT when it is no swap
 * map of an entry of ours (the caller reads it as any map). */
int engine__swap_read_id(struct engine *e, uint32_t map_id, engine_swap_consume_fn consume,
			 void *ctx);

/*
 * Spares: per program type (xdp, tc) a chain map with the indirect build of
 * our root loaded, made ahead by the engine's thread so a first load on a
 * hook does not wait for a root; pinned under <bpffs>/spare:<kind>:<n>/,
 * removed by engine__free. Waits up to
 * wait_ms for both to be ready; root_ids[0] (xdp) and [1] (tc) are the
 * kernel ids of their roots, 0 when none is ready. Returns how many are.
 */
int engine__spares(struct engine *e, unsigned int wait_ms, uint32_t root_ids[2]);

/*
 * Waits up to wait_ms for the engine's background work to be done: spares
 * made again and every root attached by a first load (the indirect build,
 * which the load does not wait for) replaced by the direct one. The thread
 * starts a job only after engine_opts.idle_ms without a verb. 0, or
 * -ETIMEDOUT.
 */
int engine__settle(struct engine *e, unsigned int wait_ms);

/*
 * Starts the background work a verb left (a spare to make again, a root to
 * make direct). Call it once the verb's answer has gone out: the wake-up is
 * not free, and the caller of the verb need not wait for it.
 * engine__settle and engine__spares kick too.
 */
void engine__kick(struct engine *e);

/*
 * Counts of chained programs. The kernel counts only the program it enters
 * (the root): plugfs's chain code counts each chained program itself, in a
 * per-CPU map of the hook (docs/kernel-engine.md, "Counting"). runs is the
 * sum of the verdict counts (a run ends in exactly one verdict); run_time_ns
 * grows only while kernel.bpf_stats_enabled is 1. A replace starts the
 * entry's counts at 0 (a new program, a new id); a mv keeps them.
 */
#define ENGINE_NR_VERDICTS 12

/*
 * The verdict names of a hook, in the order of engine_prog_stats.verdicts:
 * xdp: aborted drop pass tx redirect dispatcher_return other (7);
 * tc: unspec ok reclassify shot pipe stolen queued repeat redirect trap
 * dispatcher_return other (12). "other" counts any code not named. *n is
 * the number of names; NULL for a bad hook.
 */
const char *const *engine_verdict_names(enum engine_hook hook, size_t *n);

struct engine_prog_stats {
	const char *ifname;
	enum engine_hook hook;
	unsigned int prio;
	unsigned int position;		/* in the chain, 0 first */
	uint32_t prog_id;
	const char *prog_name;
	bool counted;			/* false: loaded by a plugfs without counts; the
					 * fields below are then the kernel's (zeros) */
	bool timed;			/* run_time_ns can grow (the program has room
					 * on its stack for the start time) */
	uint64_t runs;
	uint64_t run_time_ns;
	size_t n_verdicts;		/* entries of verdicts used by this hook */
	uint64_t verdicts[ENGINE_NR_VERDICTS];
};

/* Called once per program; a non-zero return stops the walk and is returned.
 * Called under the engine's lock: it must not call the engine. s and its
 * strings are valid during the call only. */
typedef int (*engine_stats_cb)(const struct engine_prog_stats *s, void *arg);

/* The programs of one hook in chain order; -ENOENT: no such hook. */
int engine__hook_stats(struct engine *e, const char *ifname, enum engine_hook hook,
		       engine_stats_cb cb, void *arg);
/* Every program of every hook (interfaces in no set order). */
int engine__stats(struct engine *e, engine_stats_cb cb, void *arg);
/* Is run time counted now (kernel.bpf_stats_enabled read again)? */
bool engine__timing(struct engine *e);

/* ---- pure helpers (unit tested) ---- */

/* Parses "pass, dispatcher_return" into a mask of verdict bits (see
 * engine_verdict_bit); -EINVAL naming the bad word. */
int engine_parse_proceed_on(enum engine_hook hook, const char *text, uint32_t *mask);
/* Canonical text of a mask, in bpfctl's order ("none" for no bit). */
void engine_format_proceed_on(enum engine_hook hook, uint32_t mask, char *buf, size_t size);
/* Splits a `swap` list ("a, b") into at most max map names (each shorter
 * than size): the count, or -EINVAL (empty, a name too long or given
 * twice, too many). */
int engine_parse_swap_maps(const char *text, char (*names)[16], size_t max);
/* Parses a priority name: 1..1000 in decimal, nothing else; -EINVAL. */
int engine_parse_prio(const char *name, unsigned int *prio);

#endif

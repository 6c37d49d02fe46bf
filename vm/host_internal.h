/* SPDX-License-Identifier: MIT */
/*
 * Host runtime internals shared by host.c (points, anchors, hot swap),
 * host_mem.c (private and shared memory), host_helpers.c (helpers) and
 * host_manifest.c (manifests).
 *
 * Concurrency: everything a running insertion point reads hangs off
 * point->set, an immutable snapshot published with a release store and read
 * inside a liburcu (memb flavour) read-side critical section. Writers
 * (add/replace/remove) are serialised by host->lock, build a new snapshot,
 * publish it, wait for a grace period and only then free what the old one
 * referenced. Readers never block and never see a half-built set.
 */
#ifndef PLUGLET_HOST_INTERNAL_H
#define PLUGLET_HOST_INTERNAL_H

#include <pluglet/host.h>

#include <pthread.h>

#define HOST_NAME_MAX_LEN 64
#define SHM_MAX_BLOCKS 64

/* Per plugin shared memory (shared_memory, ebpf_injecter -s): one area cut into keyed blocks. */
struct host_shm {
	pthread_mutex_t lock;		/* serialises ctx_shmnew/shmrm between runs */
	uint8_t *mem;
	uint64_t size;
	uint32_t nr;
	struct {
		uint32_t key;
		uint64_t off;
		uint64_t len;
	} blk[SHM_MAX_BLOCKS];		/* sorted by off */
};

struct host_pluglet {
	struct host_point *point;
	enum pluglet_anchor anchor;
	uint32_t seq;
	struct pluglet_vm *vm;
	bool jit;			/* asked for */
	uint32_t extra_mem;
	uint32_t shared_mem;
	size_t obj_len;
	bool needs_exec;		/* pluglet_vm__needs_exec(): build view, regions, context */
	uint64_t origin, gen;		/* pluglet_inject_opts: who installed it */
	int32_t sender_pid;
	char sender[16];		/* /proc/<sender_pid>/comm at injection */
	struct host_pluglet *next;	/* writer-side list, sorted (anchor, seq) */

	/* stats: counters are atomics (relaxed: a run pays one locked add, two
	 * more with timing); what a fault leaves is under fault_lock */
	uint64_t runs;
	uint64_t faults;
	uint64_t run_ns;
	uint64_t timed_runs;
	pthread_mutex_t fault_lock;
	enum pluglet_fault_kind last_kind;
	uint32_t last_insn;
	uint64_t last_time_ns;
	uint64_t fault_kinds[PLUGLET_STATS_FAULT_KINDS];
	char last_fault[160];
};

/* Immutable snapshot of what runs at one insertion point. */
struct host_set {
	struct host_pluglet *replace;
	struct host_shm *shm;
	uint32_t nr_pre;
	uint32_t nr_post;
	struct host_pluglet *list[];	/* nr_pre PRE then nr_post POST, in seq order */
};

struct host_point {
	struct pluglet_host *host;
	char *name;
	uint32_t id;
	bool replace_only;		/* CALL_REPLACE_ONLY: no PRE, no POST */
	struct host_set *set;		/* RCU: __atomic acquire/release */
	/* writer side, under host->lock */
	struct host_pluglet *pluglets;
	struct host_shm *shm;
};

struct pluglet_host {
	char name[HOST_NAME_MAX_LEN];
	struct host_point *points;
	size_t nr_points;
	struct pluglet_helpers *helpers;
	void *host_data;
	uint64_t budget;
	bool stats_time;		/* __atomic: pluglet_host__set_stats_time() */
	bool is_default;
	pthread_mutex_t lock;		/* writers */
	struct pluglet_ctl *ctl;
};

/* Per run state; ex->user points at it (context_t first, for helpers). */
struct host_run {
	context_t pub;
	bpf_full_args_t fargs;
	struct host_pluglet *pluglet;
	struct host_shm *shm;
	uint64_t retval;
	/* private heap of this run */
	uint8_t *heap;
	uint64_t heap_size;
	uint64_t heap_top;
};

static inline struct host_run *host_run_of(struct pluglet_exec *ex)
{
	return (struct host_run *)ex->user;
}

/*
 * host_manifest.c: loads the pluglets of a manifest. -ENOENT (unreadable)
 * or -EINVAL (syntax, unknown or missing key, bad value) for a bad
 * manifest; entries that fail to load are logged, counted in *failed and
 * the first reason goes to err.
 */
int host_manifest_apply(struct pluglet_host *h, const char *path, char *err, size_t err_size,
			int *failed);

/* host_helpers.c: registers the built-in helpers (fixed ids, see pluglet.h). */
int host_helpers_register(struct pluglet_helpers *hs);

/* host_mem.c */
struct host_shm *host_shm_new(uint64_t size);
void host_shm_free(struct host_shm *shm);
uint64_t host_shm_alloc(struct host_shm *shm, uint32_t key, uint64_t size);
uint64_t host_shm_get(struct host_shm *shm, uint32_t key);
int host_shm_rm(struct host_shm *shm, uint32_t key);
/* Per thread LIFO arena for private heaps: push returns NULL on ENOMEM. */
uint8_t *host_heap_push(uint64_t size);
void host_heap_pop(uint8_t *heap, uint64_t size);
/* Frees the calling thread's arena (thread exit). */
void host_heap_thread_exit(void);

#endif /* PLUGLET_HOST_INTERNAL_H */

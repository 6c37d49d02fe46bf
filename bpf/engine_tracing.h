/* SPDX-License-Identifier: MIT */
/*
 * tracing/<name> entries (bpf/tracing.c): the programs of an object loaded
 * and attached where their SEC() says (or a manifest's `attach`), programs
 * and links pinned under <bpffs>/tracing/<name>/, options and object kept
 * in <state>/tracing/<name>.ini and the object store, adopted by the next
 * engine with the same ids, restored when the pins are gone.
 *
 * The verbs take the engine's lock and return 0 or -errno after a pr_warn
 * with the full reason: -ENOENT unknown tracepoint, symbol, binary or
 * function; -EINVAL not a tracing program (xdp / tc belong in ifaces/);
 * -EOPNOTSUPP a kernel without kprobes, or one that refuses BPF trampolines
 * (fentry, fexit, LSM).
 */
#ifndef PLUGFS_BPF_ENGINE_TRACING_H
#define PLUGFS_BPF_ENGINE_TRACING_H

#include "engine.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum engine_trace_kind {
	ENGINE_TRACE_NONE = 0,
	ENGINE_TRACE_TRACEPOINT,
	ENGINE_TRACE_RAW_TP,
	ENGINE_TRACE_UPROBE,
	ENGINE_TRACE_USDT,
	ENGINE_TRACE_KPROBE,
	ENGINE_TRACE_FENTRY,
	ENGINE_TRACE_FEXIT,
	ENGINE_TRACE_LSM,
};

/* Where a program attaches. */
struct engine_trace_point {
	enum engine_trace_kind kind;
	bool retprobe;			/* uprobe, kprobe */
	char where[PATH_MAX];		/* tracepoint category; uprobe / usdt binary */
	char what[256];			/* event, symbol, kernel function, usdt provider */
	char usdt_name[128];
	uint64_t offset;		/* uprobe, kprobe: bytes after the symbol */
	int pid;			/* uprobe, usdt: 0 every process */
};

struct engine_trace_opts {
	size_t sz;
	const char *object_path;	/* shown by the report; NULL: "-" */
	const char *prog_names;		/* "a, b": the programs to load; NULL: all */
	const char *attach;		/* "tracepoint:CAT:EVENT", "uprobe:/bin/x:sym", ...;
					 * NULL: as each program's SEC() says */
	const char *target;		/* uprobe / usdt binary (bpfctl --target) */
	const char *fn_name;		/* symbol or kernel function (bpfctl --fn-name) */
	int64_t offset;			/* -1: unset */
	int retprobe;			/* -1: unset, 0, 1 */
	int pid;			/* 0: every process */
	const struct engine_global *globals;
	size_t n_globals;
	const struct engine_kv *metadata;
	size_t n_metadata;
	uint32_t map_owner_id;		/* 0: own maps; else a program of ours (any tree) */
	const char *sha256;		/* the object's SHA-256 (hex) when the caller has it
					 * already; NULL: computed */
};

/* Creates the entry, or replaces it: the new links are attached before the
 * old ones go, so an event may be seen by both. */
int engine__trace_load(struct engine *e, const char *name, const void *obj, size_t obj_len,
		       const struct engine_trace_opts *opts);
/*
 * A load begun ahead: the daemon calls it once a write completed an object
 * for tracing/<name> (and was answered), before the close that loads it.
 * The object is opened, its programs picked and its tracepoints' perf
 * events opened on a helper thread, none of it yet in the kernel's view;
 * engine__trace_load() of the same name and bytes, with options that do
 * not change the programs or their attach points, goes on from there. Any
 * other load drops it, as does engine__trace_unprepare() with the same
 * owner (the file's release: a release of an earlier writer, which can
 * come late, does not drop the next one's). Quiet: the load says what
 * fails.
 */
int engine__trace_prepare(struct engine *e, const char *name, const void *obj, size_t len,
			  const void *owner);
void engine__trace_unprepare(struct engine *e, const void *owner);
/* Closes what the last loads left to close once their answer is out
 * (libbpf's objects; the links an overwrite replaced, whose detach waits
 * for the kernel's grace period), then wakes the engine's background work
 * as engine__kick() does. The daemon calls it after the reply to a change
 * of tracing/; without it the next verb does it, before taking the lock. */
void engine__trace_answered(struct engine *e);
int engine__trace_unload(struct engine *e, const char *name);
/* -EEXIST when to exists, -ENOENT when from does not. */
int engine__trace_rename(struct engine *e, const char *from, const char *to);
/* Names of the entries (malloc'ed array of malloc'ed strings). */
int engine__trace_list(struct engine *e, char ***names, size_t *n);
bool engine__trace_exists(struct engine *e, const char *name);
/* Kernel id of the entry's first program (a map_owner by path); 0: none. */
uint32_t engine__trace_prog_id(struct engine *e, const char *name);
/* The `cat` text (or JSON); *buf malloc'ed. */
int engine__trace_report(struct engine *e, const char *name, bool json, char **buf, size_t *len);

/* What the kernel counts for a tracing program: it counts every run (and
 * its time) only while kernel.bpf_stats_enabled is 1, as for any program
 * it enters directly; nothing is kept by plugfs on top. */
struct engine_trace_stats {
	const char *entry;		/* tracing/<entry> */
	const char *prog_name;
	const char *attach;		/* "tracepoint:syscalls:sys_enter_getpid" */
	uint32_t prog_id;
	uint64_t runs;
	uint64_t run_time_ns;
};
/* Called once per program of every entry, under the engine's lock (it must
 * not call the engine); a non-zero return stops the walk and is returned. */
typedef int (*engine_trace_stats_cb)(const struct engine_trace_stats *s, void *arg);
int engine__trace_stats(struct engine *e, engine_trace_stats_cb cb, void *arg);

/* ---- pure helpers (unit tested) ---- */

/* A name for tracing/: letters, digits, '_', '-', '.', not starting with '.'. */
int engine_trace_check_name(const char *name);
/* The attach point a section names as libbpf reads it ("tp/syscalls/x").
 * -EINVAL: not a tracing section; kind set but where/what empty when the
 * section names no point ("uprobe"). */
int engine_trace_point_from_sec(const char *sec, struct engine_trace_point *tp);
/* A manifest's attach ("kprobe:do_unlinkat+0x10"); -EINVAL. */
int engine_trace_point_parse(const char *text, struct engine_trace_point *tp);
/* "tracepoint:syscalls:sys_enter_getpid"; as engine_trace_point_parse reads. */
void engine_trace_point_format(const struct engine_trace_point *tp, char *buf, size_t size);
/* Does the point name everything its kind needs? */
bool engine_trace_point_complete(const struct engine_trace_point *tp);

/* ---- for engine.c ---- */

/* Mounts tracefs, adopts the entries kept in the state dir, restores lost ones. */
void tracing_adopt(struct engine *e);
/* Frees memory only: everything stays attached and pinned. */
void tracing_free_all(struct engine *e);

#endif

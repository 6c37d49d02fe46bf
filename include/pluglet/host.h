/* SPDX-License-Identifier: MIT */
/*
 * What a pluginized host program includes: the VM_CALL API of pluginized C
 * functions and the host runtime behind it.
 *
 * The management calls first (pluglet_host__add/replace/remove/
 * remove_plugin/report): the control thread (vm/control.c) serves the
 * control channel with them, and their meaning does not change. The anchors
 * are in <pluglet/anchor.h>, shared with the control protocol. The rest of
 * this header (bpf_args_t, the VM_CALL family, creation options, helpers)
 * is the host runtime.
 */
#ifndef PLUGLET_HOST_H
#define PLUGLET_HOST_H

#include <pluglet/anchor.h>
#include <pluglet/vm.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What this header declares is libpluglet's API: exported from the shared
 * library, whose own symbols are hidden by default (vm/libpluglet.map). */
#pragma GCC visibility push(default)

struct pluglet_host;

struct pluglet_inject_opts {
	size_t sz;			/* sizeof(struct pluglet_inject_opts) */
	bool jit;			/* ebpf_injecter -j */
	uint32_t extra_mem;		/* ebpf_injecter -e: private memory for ctx_malloc, bytes */
	uint32_t shared_mem;		/* ebpf_injecter -s: plugin shared memory, bytes */
	const char *entry;		/* function in the object; NULL: the only global one */
	/*
	 * Who installs it, kept with the pluglet and shown in the status: a
	 * manager's origin and the generation of this change (0 and 0 for a
	 * tool without desired state), and the sending process (0: unknown).
	 */
	uint64_t origin;
	uint64_t generation;
	int32_t sender_pid;
};

/*
 * Programmatic management of pluglets (control channel, tests).
 * All return 0 or -errno and write a human readable reason into err:
 * -ENOENT unknown plugin (not registered by this host) or no such pluglet,
 * -EEXIST seq already used / REPLACE already taken, -EINVAL bad object or
 * verifier rejection (message names the instruction index), -ENOMEM.
 * Safe to call while other threads run the insertion points.
 */
int pluglet_host__add(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
		      uint32_t seq, const void *obj, size_t len,
		      const struct pluglet_inject_opts *opts, char *err, size_t err_size);
int pluglet_host__replace(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
			  uint32_t seq, const void *obj, size_t len,
			  const struct pluglet_inject_opts *opts, char *err, size_t err_size);
int pluglet_host__remove(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
			 uint32_t seq, char *err, size_t err_size);
int pluglet_host__remove_plugin(struct pluglet_host *h, const char *plugin,
				char *err, size_t err_size);

/*
 * Text report of the host ("Key: value" lines, in the Title Case every
 * plugfs report uses): Name, PID, Msqid, Points, then one block per
 * pluglet with Plugin, Anchor, Seq, Mode (jit/interpreter), sizes, Runs,
 * Faults, Last Fault. Returns the length written (like snprintf) or -errno.
 */
int pluglet_host__report(struct pluglet_host *h, char *buf, size_t size);

/* ======================================================================
 * Host runtime: insertion points, the host and its helpers.
 *
 * Concurrency: insertion points never block and never take a lock; the
 * management calls above may run in any thread (the control thread uses
 * them) at any time, and wait until no running call still uses what they
 * replace or remove. A call sees one consistent snapshot for PRE+REPLACE
 * and one for POST: a swap that lands while the host's own body runs is
 * seen by POST. Management calls made from inside a run (a host helper)
 * fail with -EDEADLK. pluglet_host__free() must not race with calls.
 * ====================================================================== */

/* ---- arguments of an insertion point, as VM_CALL takes them ---- */

enum {
	kind_ptr = 1,		/* zero-copy region: read-only in PRE/POST, read-write in REPLACE */
	kind_pointer = kind_ptr,
	kind_primitive = 2,	/* pointer to a value (int, size_t...): always read-only */
	kind_hidden = 3,	/* not reachable by the pluglet; only helpers see it */
};

typedef struct bpf_args {
	void *arg;		/* host address of the argument */
	size_t len;		/* its size in bytes */
	int kind;		/* kind_ptr, kind_primitive or kind_hidden */
	int type;		/* free for the host (checked by its helpers) */
} bpf_args_t;

/* What a helper sees of the arguments, hidden ones included. */
typedef struct bpf_full_args {
	bpf_args_t *args;
	int nargs;
} bpf_full_args_t;

/* At most this many arguments per insertion point call; more fault the run. */
#define PLUGLET_MAX_ARGS 16

/*
 * The call context a helper gets through pluglet_context(ex) (context_t,
 * as pluginized C functions name it): the host, the arguments of the
 * current call (hidden ones included) and which pluglet is running.
 */
typedef struct pluglet_context {
	struct pluglet_host *host;
	bpf_full_args_t *args;
	uint32_t point_id;		/* insertion point id */
	const char *plugin;		/* insertion point / plugin name */
	enum pluglet_anchor anchor;
	uint32_t seq;
	void *host_data;		/* pluglet_host_opts.host_data */
	/* The run, for pluglet_exec__check() on a buffer whose length comes in
	 * another argument (the helper trampolines check typed pointers). */
	struct pluglet_exec *exec;
} context_t;

static inline context_t *pluglet_context(struct pluglet_exec *ex)
{
	return (context_t *)ex->user;
}

/* ---- creating the host ---- */

struct pluglet_point_def {
	const char *name;	/* insertion point name = plugin name, e.g. "find_idx" */
	uint32_t id;		/* the id used in VM_CALL(id, ...) */
	/*
	 * The point is a CALL_REPLACE_ONLY: only a REPLACE pluglet would ever
	 * run there, so PRE and POST ones are refused (-EINVAL) instead of
	 * being accepted and never run. Published in the run file, where the
	 * daemon reads it. (It sits where the struct had padding on 64-bit
	 * builds: the size does not change.)
	 */
	bool replace_only;
};

struct pluglet_helper_def {
	const char *name;	/* symbol a pluglet calls, resolved from its ELF relocations */
	pluglet_helper_fn fn;	/* gets the context as hidden first argument */
};

struct pluglet_host_opts {
	size_t sz;				/* sizeof(struct pluglet_host_opts) */
	const char *name;			/* host name (run file <name>.<pid>); NULL: program name */
	const struct pluglet_point_def *points;
	size_t nr_points;
	const struct pluglet_helper_def *helpers;	/* the host's own helpers */
	size_t nr_helpers;
	void *host_data;			/* handed to helpers in context_t */
	const char *run_dir;			/* control thread run dir; NULL: default */
	bool no_control;			/* do not start the control thread */
	const char *manifest;			/* ini file of pluglets to load at start; NULL: none */
	uint64_t budget;			/* instructions per pluglet run; 0: VM default */
	bool stats_time;			/* measure run time per pluglet (two clock reads per run);
						 * also on when PLUGLET_STATS_TIME=1 is in the environment */
	bool no_default;			/* do not become the host of the VM_CALL macros */
};

/*
 * Creates the host: registers the insertion points and helpers, loads the
 * manifest, starts the control thread (a control thread that cannot start
 * is a warning, not an error). Unless opts->no_default, the host becomes
 * the one the VM_CALL family uses (one such host per process: EBUSY).
 * NULL with errno on failure (EINVAL bad options, EEXIST duplicate point
 * name/id or helper name, EBUSY, ENOENT/EINVAL for a broken manifest).
 */
struct pluglet_host *pluglet_host__new(const struct pluglet_host_opts *opts);
/* Stops the control thread, removes every pluglet, frees the host. */
void pluglet_host__free(struct pluglet_host *h);
/* The host of the VM_CALL family, or NULL. */
struct pluglet_host *pluglet_host__default(void);

/*
 * A thread's first call into an insertion point with pluglets attached
 * registers it with liburcu (a short mutex, once); a host that wants even
 * that first call free of locks calls this at thread start. Optional, and
 * harmless to call twice.
 */
void pluglet_thread_register(void);

/* Shortcuts on the default host, as pluginized C programs call them. */
int pluglet_init(const struct pluglet_host_opts *opts);	/* 0 or -errno */
void pluglet_shutdown(void);

/* Adds a helper after creation (before the pluglets that use it). Returns its id or -errno. */
int pluglet_host__add_helper(struct pluglet_host *h, const char *name, pluglet_helper_fn fn);

/*
 * Helpers written as pluginized C functions write them, the call context
 * first and then up to five integer or pointer arguments:
 *
 *     static int add_route(context_t *ctx, struct route *r) { ... }
 *     PLUGLET_HELPER(add_route, struct route *)
 *     static const struct pluglet_helper_def helpers[] = { PLUGLET_HELPER_DEF(add_route) };
 *
 * PLUGLET_HELPER(fn, types...) defines, at file scope, a trampoline of type
 * pluglet_helper_fn that converts r1..r5 to the listed types and calls fn;
 * the compiler checks the list against fn's parameters. A non-NULL pointer
 * argument must point into memory the running pluglet may touch, for the
 * size of what it points to (one byte for void *), writable unless it
 * points to const: otherwise the run ends with PLUGLET_FAULT_HELPER and fn
 * is not called. NULL is passed as is. fn returns an integer (sign-extended
 * into r0, so a negative errno stays one) or a pointer.
 * PLUGLET_HELPER_FN(fn) names the trampoline, for pluglet_host__add_helper().
 */
#define PLUGLET_HELPER(fn, ...)                                                  \
	PLUGLET__HELPER_N(PLUGLET__NARGS(__VA_ARGS__), fn, ##__VA_ARGS__)
#define PLUGLET_HELPER_FN(fn) pluglet__helper_##fn
#define PLUGLET_HELPER_DEF(fn) { #fn, PLUGLET_HELPER_FN(fn) }

/*
 * Internal, used by the trampolines: 0 when [addr, addr + len) is memory
 * the run may read (and write if `write`); otherwise ends the run with
 * PLUGLET_FAULT_HELPER naming the helper and the argument, and returns
 * -EFAULT.
 */
int pluglet__helper_check(struct pluglet_exec *ex, const char *helper, int argno, uint64_t addr,
			  uint64_t len, bool write);

#define PLUGLET__NARGS(...) PLUGLET__NTH(_, ##__VA_ARGS__, 5, 4, 3, 2, 1, 0)
#define PLUGLET__NTH(_0, _1, _2, _3, _4, _5, n, ...) n
#define PLUGLET__HELPER_N(n, fn, ...) PLUGLET__HELPER_N_(n, fn, ##__VA_ARGS__)
#define PLUGLET__HELPER_N_(n, fn, ...) PLUGLET__HELPER_##n(fn, ##__VA_ARGS__)

/* What a parameter type is: a pointer (and to what size, const or not). */
#define PLUGLET__IS_PTR(T) (__builtin_classify_type((T)0) == 5)
#define PLUGLET__IS_VOIDP(T)                                                     \
	(__builtin_types_compatible_p(T, void *) || __builtin_types_compatible_p(T, const void *))
/* (T)0 when T points to a sized type, else a char pointer: always valid to sizeof(*). */
#define PLUGLET__SIZED(T)                                                        \
	__builtin_choose_expr(PLUGLET__IS_PTR(T) && !PLUGLET__IS_VOIDP(T), (T)0, (char *)0)
#define PLUGLET__TO_CONST(T)                                                     \
	(__builtin_types_compatible_p(T, const void *) ||                        \
	 __builtin_types_compatible_p(__typeof__(PLUGLET__SIZED(T)),             \
				      const __typeof__(*PLUGLET__SIZED(T)) *))
/* Converts r<i> to T; checks it first when T is a pointer. */
#define PLUGLET__ARG(T, i)                                                       \
	__builtin_choose_expr(PLUGLET__IS_PTR(T), (T)(uintptr_t)__pl_a##i, (T)__pl_a##i)
#define PLUGLET__CHECK(fn, T, i)                                                 \
	if (PLUGLET__IS_PTR(T) && __pl_a##i &&                                   \
	    pluglet__helper_check(__pl_ex, #fn, i, __pl_a##i, sizeof(*PLUGLET__SIZED(T)), \
				  !PLUGLET__TO_CONST(T)))                        \
		return (uint64_t)-EFAULT;
#define PLUGLET__HELPER_HEAD(fn)                                                 \
	static uint64_t PLUGLET_HELPER_FN(fn)(struct pluglet_exec *__pl_ex, uint64_t __pl_a1,  \
					      uint64_t __pl_a2, uint64_t __pl_a3,       \
					      uint64_t __pl_a4, uint64_t __pl_a5)
#define PLUGLET__HELPER_CALL(fn, ...)                                            \
	{                                                                        \
		__typeof__(fn(pluglet_context(__pl_ex), ##__VA_ARGS__)) __pl_r =  \
			fn(pluglet_context(__pl_ex), ##__VA_ARGS__);              \
		(void)__pl_a1, (void)__pl_a2, (void)__pl_a3, (void)__pl_a4, (void)__pl_a5; \
		return __builtin_choose_expr(__builtin_classify_type(__pl_r) == 5, \
					     (uint64_t)(uintptr_t)__pl_r, (uint64_t)__pl_r); \
	}
#define PLUGLET__HELPER_0(fn)                                                    \
	PLUGLET__HELPER_HEAD(fn) PLUGLET__HELPER_CALL(fn)
#define PLUGLET__HELPER_1(fn, T1)                                                \
	PLUGLET__HELPER_HEAD(fn)                                                 \
	{                                                                        \
		PLUGLET__CHECK(fn, T1, 1)                                        \
		PLUGLET__HELPER_CALL(fn, PLUGLET__ARG(T1, 1))                    \
	}
#define PLUGLET__HELPER_2(fn, T1, T2)                                            \
	PLUGLET__HELPER_HEAD(fn)                                                 \
	{                                                                        \
		PLUGLET__CHECK(fn, T1, 1) PLUGLET__CHECK(fn, T2, 2)              \
		PLUGLET__HELPER_CALL(fn, PLUGLET__ARG(T1, 1), PLUGLET__ARG(T2, 2)) \
	}
#define PLUGLET__HELPER_3(fn, T1, T2, T3)                                        \
	PLUGLET__HELPER_HEAD(fn)                                                 \
	{                                                                        \
		PLUGLET__CHECK(fn, T1, 1) PLUGLET__CHECK(fn, T2, 2)              \
		PLUGLET__CHECK(fn, T3, 3)                                        \
		PLUGLET__HELPER_CALL(fn, PLUGLET__ARG(T1, 1), PLUGLET__ARG(T2, 2), \
				     PLUGLET__ARG(T3, 3))                        \
	}
#define PLUGLET__HELPER_4(fn, T1, T2, T3, T4)                                    \
	PLUGLET__HELPER_HEAD(fn)                                                 \
	{                                                                        \
		PLUGLET__CHECK(fn, T1, 1) PLUGLET__CHECK(fn, T2, 2)              \
		PLUGLET__CHECK(fn, T3, 3) PLUGLET__CHECK(fn, T4, 4)              \
		PLUGLET__HELPER_CALL(fn, PLUGLET__ARG(T1, 1), PLUGLET__ARG(T2, 2), \
				     PLUGLET__ARG(T3, 3), PLUGLET__ARG(T4, 4))   \
	}
#define PLUGLET__HELPER_5(fn, T1, T2, T3, T4, T5)                                \
	PLUGLET__HELPER_HEAD(fn)                                                 \
	{                                                                        \
		PLUGLET__CHECK(fn, T1, 1) PLUGLET__CHECK(fn, T2, 2)              \
		PLUGLET__CHECK(fn, T3, 3) PLUGLET__CHECK(fn, T4, 4)              \
		PLUGLET__CHECK(fn, T5, 5)                                        \
		PLUGLET__HELPER_CALL(fn, PLUGLET__ARG(T1, 1), PLUGLET__ARG(T2, 2), \
				     PLUGLET__ARG(T3, 3), PLUGLET__ARG(T4, 4),   \
				     PLUGLET__ARG(T5, 5))                        \
	}

/*
 * Loads the pluglets listed in an ini manifest, one section per pluglet
 * (section names are free), keys as in the daemon's load manifests:
 *
 *     [faster_lookup]
 *     plugin = find_idx              ; insertion point name (required)
 *     anchor = replace               ; pre | replace | post (required)
 *     seq = 1                        ; (required)
 *     object = /abs/path/pluglet.o   ; (required, absolute)
 *     name = replace_find_idx        ; entry function (also: entry)
 *     jit = true
 *     extra_memory = 4096
 *     shared_memory = 1024
 *
 * Returns 0, -ENOENT (unreadable), -EINVAL (syntax, unknown or missing
 * key), or -EIO when some pluglets did not load (each one is logged; the
 * others stay loaded); the first reason goes to err. At host creation
 * (opts.manifest) only a broken manifest fails the creation.
 */
int pluglet_host__load_manifest(struct pluglet_host *h, const char *path, char *err, size_t err_size);

/*
 * Turns the measure of run time per pluglet on or off while the host runs
 * (what opts.stats_time or PLUGLET_STATS_TIME=1 set at creation). Runs
 * and faults are always counted; run time costs two clock reads per run.
 */
void pluglet_host__set_stats_time(struct pluglet_host *h, bool on);

const char *pluglet_host__name(const struct pluglet_host *h);
/* Control thread queue id, or -1 when it does not run. */
int pluglet_host__msqid(const struct pluglet_host *h);

/* Room for per-kind fault counts (enum pluglet_fault_kind, which may grow). */
#define PLUGLET_STATS_FAULT_KINDS 16

struct pluglet_stats {
	size_t sz;			/* sizeof(struct pluglet_stats) */
	uint64_t runs;
	uint64_t faults;
	uint64_t run_ns;		/* total, only with opts.stats_time */
	bool jit;			/* running JIT code */
	enum pluglet_fault_kind last_fault_kind;
	char last_fault[160];		/* empty if none */
	/* Appended fields (a caller with an older sz does not get them). */
	uint64_t timed_runs;		/* runs whose time is in run_ns */
	uint32_t last_fault_insn;	/* instruction index of the last fault */
	uint64_t last_fault_time_ns;	/* its wall-clock time (CLOCK_REALTIME), 0: none */
	uint64_t fault_kinds[PLUGLET_STATS_FAULT_KINDS];	/* faults per enum pluglet_fault_kind */
};

/* Statistics of one pluglet; 0, -ENOENT. */
int pluglet_host__stats(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
			uint32_t seq, struct pluglet_stats *st);

/* ---- the VM_CALL family ---- */

/*
 * Internal, used by the macros. An insertion point whose id is below
 * PLUGLET_FAST_IDS is tested with one load and one predictable branch;
 * pluglet__points[id] is non-NULL only while pluglets are attached.
 */
#define PLUGLET_FAST_IDS 1024u
extern void *pluglet__points[PLUGLET_FAST_IDS];
void *pluglet__point_slow(uint32_t id);

struct pluglet_call {
	void *point;
	bpf_args_t *args;
	int nargs;
	int post;	/* set by pluglet__pre_replace(): POST pluglets were attached */
};

void pluglet__pre(struct pluglet_call *c);
/* PRE then REPLACE in one go; returns like pluglet__replace() and sets c->post. */
int pluglet__pre_replace(struct pluglet_call *c, uint64_t *ret);
/* 0: the REPLACE pluglet ran, *ret holds its r0; otherwise run the original body. */
int pluglet__replace(struct pluglet_call *c, uint64_t *ret);
void pluglet__post(struct pluglet_call *c, uint64_t ret);

#define PLUGLET__POINT(pl_id)                                                    \
	((uint32_t)(pl_id) < PLUGLET_FAST_IDS                                    \
		 ? __atomic_load_n(&pluglet__points[(uint32_t)(pl_id)], __ATOMIC_RELAXED) \
		 : pluglet__point_slow((uint32_t)(pl_id)))

/*
 * VM_CALL, VM_CALL_VOID and CALL_REPLACE_ONLY expand to one { } block:
 * like a block, they take no `;` after them (one is accepted, as after any
 * block, except right before an `else`), and one is the whole body of an
 * if or else without braces. RETURN_VM_VAL and RETURN_VM_VOID are written
 * like the `return` they replace, with a `;`.
 *
 * VM_CALL(id, args, nargs, { body }): the body is the function's original
 * code, with `return x` written RETURN_VM_VAL(x). PRE pluglets run first,
 * then the REPLACE pluglet instead of the body (the body runs when there is
 * none, when it faults or calls next()), then POST pluglets at
 * RETURN_VM_VAL. With nothing attached this is one predictable branch.
 * The POST call is skipped when the call started with no POST pluglet: a
 * pluglet attached while the body runs starts with the next call.
 * Arguments are zero-copy: what a REPLACE pluglet wrote into a kind_ptr
 * argument before it faulted stays written when the body then runs.
 */
#define VM_CALL(pl_id, pl_args, pl_nargs, ...)                                   \
	{                                                                        \
		void *const __pl_point = PLUGLET__POINT(pl_id);                  \
		struct pluglet_call __pl_call;                                   \
		if (__builtin_expect(__pl_point != NULL, 0)) {                    \
			uint64_t __pl_ret;                                       \
			__pl_call.point = __pl_point;                            \
			__pl_call.args = (pl_args);                              \
			__pl_call.nargs = (int)(pl_nargs);                       \
			if (pluglet__pre_replace(&__pl_call, &__pl_ret) == 0)    \
				RETURN_VM_VAL(__pl_ret);                         \
		}                                                                \
		__VA_ARGS__                                                      \
	}

/* Runs the POST pluglets, then returns v from the pluginized function. */
#define RETURN_VM_VAL(v)                                                         \
	do {                                                                     \
		__typeof__(v) __pl_v = (v);                                      \
		if (__builtin_expect(__pl_point != NULL && __pl_call.post, 0))   \
			pluglet__post(&__pl_call, (uint64_t)__pl_v);             \
		return __pl_v;                                                   \
	} while (0)

/* VM_CALL for a void function; POST runs at the end of the body and at RETURN_VM_VOID(). */
#define VM_CALL_VOID(pl_id, pl_args, pl_nargs, ...)                              \
	{                                                                        \
		void *const __pl_point = PLUGLET__POINT(pl_id);                  \
		struct pluglet_call __pl_call;                                   \
		if (__builtin_expect(__pl_point != NULL, 0)) {                    \
			uint64_t __pl_ret;                                       \
			__pl_call.point = __pl_point;                            \
			__pl_call.args = (pl_args);                              \
			__pl_call.nargs = (int)(pl_nargs);                       \
			if (pluglet__pre_replace(&__pl_call, &__pl_ret) == 0)    \
				RETURN_VM_VOID();                                \
		}                                                                \
		__VA_ARGS__                                                      \
		RETURN_VM_VOID();                                                \
	}

#define RETURN_VM_VOID()                                                         \
	do {                                                                     \
		if (__builtin_expect(__pl_point != NULL && __pl_call.post, 0))   \
			pluglet__post(&__pl_call, 0);                            \
		return;                                                          \
	} while (0)

/*
 * CALL_REPLACE_ONLY(id, args, nargs, check, { on_err }, { body }): runs only
 * the REPLACE pluglet. If it ran, did not fault nor call next(), and
 * check(r0) returns non-zero, `body` runs with VM_RETURN_VALUE = r0;
 * otherwise (no pluglet attached included) `on_err` runs, normally the
 * host's original code. `body` may be left out. Only a REPLACE pluglet can
 * run here: the host declares such a point with
 * pluglet_point_def.replace_only, and PRE or POST pluglets are refused.
 */
#define VM_RETURN_VALUE __pl_vm_ret

#define CALL_REPLACE_ONLY(pl_id, pl_args, pl_nargs, pl_check, pl_on_err, ...)     \
	{                                                                        \
		void *const __pl_point = PLUGLET__POINT(pl_id);                  \
		uint64_t VM_RETURN_VALUE = 0;                                    \
		struct pluglet_call __pl_call = {                                \
			.point = __pl_point, .args = (pl_args), .nargs = (int)(pl_nargs) }; \
		if (__builtin_expect(__pl_point != NULL, 0) &&                   \
		    pluglet__replace(&__pl_call, &VM_RETURN_VALUE) == 0 &&      \
		    (pl_check)(VM_RETURN_VALUE)) {                               \
			__VA_ARGS__                                              \
		} else {                                                         \
			pl_on_err                                                \
		}                                                                \
	}

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* PLUGLET_HOST_H */

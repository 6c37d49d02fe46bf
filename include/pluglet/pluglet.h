/* SPDX-License-Identifier: MIT */
/*
 * What a pluglet's C source includes. Build with
 *
 *     clang -O2 -target bpf -I<prefix>/include -c my_pluglet.c -o my_pluglet.o
 *
 * Entry point: one global function (or the one named at injection):
 *
 *     uint64_t my_pluglet(const struct pluglet_args *args);
 *
 * r1 = args points to a read-only table describing the arguments of the
 * insertion point (args->nargs entries). Each visible argument is a
 * zero-copy window on host memory: args->arg[i].ptr can be dereferenced
 * directly for args->arg[i].len bytes, read-only in PRE and POST pluglets,
 * read-write in a REPLACE pluglet (kind_primitive arguments are always
 * read-only). Hidden arguments have ptr == 0: only host helpers reach them.
 * get_arg(i) and friends give the same pointers through helpers, as in
 * libubpf/xBGP. Any access outside these windows, the stack, the object's
 * own data, ctx_malloc'd or shared memory stops the pluglet (a fault).
 *
 * The value returned by a REPLACE pluglet becomes the return value of the
 * pluginized function; PRE and POST return values are ignored.
 *
 * Helpers are plain extern functions: clang emits a relocation against
 * their name and the host resolves it at load. A host may add its own;
 * declare them the same way. Raw bytecode (no ELF) calls them by id:
 * get_arg 1, bpf_get_args 2, get_arg_len 3, get_arg_type 4, get_arg_kind 5,
 * get_nargs 6, get_arg_by_type 7, get_retval 8, ctx_malloc 10, ctx_calloc 11,
 * ctx_free 12, ctx_shmnew 13, ctx_shmget 14, ctx_shmrm 15, ebpf_print 20,
 * ebpf_memcpy 21, ebpf_memset 22, ebpf_memcmp 23, ebpf_strncmp 24,
 * ebpf_strnlen 25, ebpf_ntohs 30, ebpf_ntohl 31, ebpf_ntohll 32,
 * ebpf_htons 33, ebpf_htonl 34, ebpf_htonll 35, ebpf_time_ns 40,
 * ebpf_realtime_ns 41, next 50. Host helpers take the lowest free ids.
 * A helper given a pointer outside the pluglet's memory stops the run (a
 * "helper" fault).
 */
#ifndef PLUGLET_PLUGLET_H
#define PLUGLET_PLUGLET_H

#ifdef __bpf__
/* No libc on the BPF target: the compiler's own type macros. */
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __INT32_TYPE__ int32_t;
typedef __INT64_TYPE__ int64_t;
typedef __SIZE_TYPE__ size_t;
#ifndef NULL
#define NULL ((void *)0)
#endif
#else
#include <stddef.h>
#include <stdint.h>
#endif

#if 1
/* Same values as <pluglet/host.h>. */
#define PLUGLET_KIND_PTR       1
#define PLUGLET_KIND_PRIMITIVE 2
#define PLUGLET_KIND_HIDDEN    3
#endif

struct pluglet_arg {
	uint64_t ptr;		/* host address; 0 for hidden arguments */
	uint64_t len;		/* bytes */
	int32_t kind;		/* PLUGLET_KIND_* */
	int32_t type;		/* the host's type tag */
};

struct pluglet_args {
	uint64_t nargs;
	struct pluglet_arg arg[];
};

/* ---- arguments ---- */
/* Pointer to argument i (0 if hidden or out of range). */
extern void *get_arg(uint32_t i);
/* libubpf name of get_arg; the second argument is ignored. */
extern void *bpf_get_args(uint32_t i, const struct pluglet_args *args);
/* First visible argument whose type tag is `type` (xBGP style), or 0. */
extern void *get_arg_by_type(int32_t type);
extern uint64_t get_arg_len(uint32_t i);	/* 0 if out of range */
extern int64_t get_arg_type(uint32_t i);	/* -1 if out of range */
extern int64_t get_arg_kind(uint32_t i);	/* -1 if out of range */
extern uint64_t get_nargs(void);
/* In a POST pluglet: the value the function returns (0 for void functions). */
extern uint64_t get_retval(void);

/* ---- private memory (injection option extra_memory, ebpf_injecter -e) ----
 * A fresh, zeroed heap for every run: nothing survives the run. */
extern void *ctx_malloc(uint64_t size);
extern void *ctx_calloc(uint64_t nmemb, uint64_t size);
extern void ctx_free(void *p);

/* ---- shared memory (shared_memory, ebpf_injecter -s) ----
 * Blocks named by key, shared by all pluglets of the plugin in one host and
 * kept across runs. shmnew returns the existing block if the key is taken
 * (and large enough), so racing pluglets agree. */
extern void *ctx_shmnew(uint32_t key, uint64_t size);
extern void *ctx_shmget(uint32_t key);
extern int ctx_shmrm(uint32_t key);

/* ---- output ----
 * printf-like, one line to the host's log: %d %i %u %x %X %o %c %s %p %%
 * with flags, width and precision (at most 999) and the h/l/ll/z/j/t
 * modifiers, at most four values. Returns the length of the line written
 * (trailing newlines are dropped). A bad format stops the pluglet. */
extern int ebpf_print(const char *fmt, ...);

/* ---- memory and strings (pointers must be inside the pluglet's memory) ---- */
extern void *ebpf_memcpy(void *dst, const void *src, uint64_t n);
extern void *ebpf_memset(void *dst, int c, uint64_t n);
extern int ebpf_memcmp(const void *a, const void *b, uint64_t n);
extern int ebpf_strncmp(const char *a, const char *b, uint64_t n);
extern uint64_t ebpf_strnlen(const char *s, uint64_t max);

/* ---- byte order ---- */
extern uint16_t ebpf_ntohs(uint16_t v);
extern uint32_t ebpf_ntohl(uint32_t v);
extern uint64_t ebpf_ntohll(uint64_t v);
extern uint16_t ebpf_htons(uint16_t v);
extern uint32_t ebpf_htonl(uint32_t v);
extern uint64_t ebpf_htonll(uint64_t v);

/* ---- time ---- */
extern uint64_t ebpf_time_ns(void);		/* CLOCK_MONOTONIC */
extern uint64_t ebpf_realtime_ns(void);	/* CLOCK_REALTIME */

/* ---- control ----
 * In a REPLACE pluglet: give up and let the host run its original body (or
 * the on_err branch of CALL_REPLACE_ONLY). In PRE/POST: end this pluglet.
 * Not counted as a fault. Does not return. */
extern uint64_t next(void);

#endif /* PLUGLET_PLUGLET_H */

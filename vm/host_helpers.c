/* SPDX-License-Identifier: MIT */
/*
 * The helpers every host offers its pluglets (declared for pluglet authors
 * in <pluglet/pluglet.h>). They are resolved by name from the ELF
 * relocations; the ids below are fixed so that raw bytecode can call them
 * by number too (table at the end of this file).
 *
 * Every pointer coming from a pluglet is checked against the memory the
 * pluglet may touch; misuse ends the run with PLUGLET_FAULT_HELPER.
 */
#include "host_internal.h"

#include <plugfs/clock.h>
#include <plugfs/log.h>

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define HELPER(name) \
	static uint64_t h_##name(struct pluglet_exec *ex, uint64_t a1, uint64_t a2, uint64_t a3, \
				 uint64_t a4, uint64_t a5)

static uint64_t misuse(struct pluglet_exec *ex, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static uint64_t misuse(struct pluglet_exec *ex, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pluglet_exec__abort(ex, PLUGLET_FAULT_HELPER, 0, msg);
	return 0;
}

static const bpf_args_t *arg_at(struct pluglet_exec *ex, uint64_t i)
{
	struct host_run *run = host_run_of(ex);

	return i < (uint64_t)run->fargs.nargs ? &run->fargs.args[i] : NULL;
}

/* ---- arguments ---- */

HELPER(get_arg)
{
	const bpf_args_t *a = arg_at(ex, a1);

	return a && a->kind != kind_hidden ? (uint64_t)(uintptr_t)a->arg : 0;
}

HELPER(get_arg_by_type)
{
	struct host_run *run = host_run_of(ex);

	for (int i = 0; i < run->fargs.nargs; i++) {
		const bpf_args_t *a = &run->fargs.args[i];

		if (a->kind != kind_hidden && a->type == (int32_t)a1)
			return (uint64_t)(uintptr_t)a->arg;
	}
	return 0;
}

HELPER(get_arg_len)
{
	const bpf_args_t *a = arg_at(ex, a1);

	return a ? a->len : 0;
}

HELPER(get_arg_type)
{
	const bpf_args_t *a = arg_at(ex, a1);

	return a ? (uint64_t)(int64_t)a->type : (uint64_t)-1;
}

HELPER(get_arg_kind)
{
	const bpf_args_t *a = arg_at(ex, a1);

	return a ? (uint64_t)(int64_t)a->kind : (uint64_t)-1;
}

HELPER(get_nargs)
{
	return (uint64_t)host_run_of(ex)->fargs.nargs;
}

HELPER(get_retval)
{
	return host_run_of(ex)->retval;
}

/* ---- private heap ---- */

HELPER(ctx_malloc)
{
	struct host_run *run = host_run_of(ex);
	uint64_t top = (run->heap_top + 7u) & ~(uint64_t)7u;

	if (!run->heap || !a1 || top > run->heap_size || run->heap_size - top < a1)
		return 0;
	run->heap_top = top + a1;
	return (uint64_t)(uintptr_t)(run->heap + top);
}

HELPER(ctx_calloc)
{
	/* the heap is zeroed at the start of the run and never reused within it */
	if (a1 && a2 > UINT64_MAX / a1)
		return 0;
	return h_ctx_malloc(ex, a1 * a2, 0, 0, 0, 0);
}

HELPER(ctx_free)
{
	/* the whole heap goes at the end of the run; a bump allocator frees nothing earlier */
	return 0;
}

/* ---- shared memory ---- */

HELPER(ctx_shmnew)
{
	struct host_run *run = host_run_of(ex);

	return run->shm ? host_shm_alloc(run->shm, (uint32_t)a1, a2) : 0;
}

HELPER(ctx_shmget)
{
	struct host_run *run = host_run_of(ex);

	return run->shm ? host_shm_get(run->shm, (uint32_t)a1) : 0;
}

HELPER(ctx_shmrm)
{
	struct host_run *run = host_run_of(ex);

	return (uint64_t)(int64_t)(run->shm ? host_shm_rm(run->shm, (uint32_t)a1) : -ENOENT);
}

/* ---- strings ---- */

/*
 * Finds the length of a NUL-terminated string of the pluglet, at most max
 * bytes; -1 if a byte before the end is outside its readable memory.
 */
static int64_t pluglet_strnlen(struct pluglet_exec *ex, uint64_t addr, uint64_t max)
{
	for (uint64_t n = 0; n < max; n++) {
		const char *c = pluglet_exec__check(ex, addr + n, 1, PLUGLET_PERM_READ);

		if (!c)
			return -1;
		if (!*c)
			return (int64_t)n;
	}
	return (int64_t)max;
}

HELPER(ebpf_strnlen)
{
	int64_t n = pluglet_strnlen(ex, a1, a2);

	return n < 0 ? misuse(ex, "ebpf_strnlen: string at 0x%llx is not readable",
			      (unsigned long long)a1) : (uint64_t)n;
}

HELPER(ebpf_strncmp)
{
	int64_t la = pluglet_strnlen(ex, a1, a3), lb = pluglet_strnlen(ex, a2, a3);

	if (la < 0 || lb < 0)
		return misuse(ex, "ebpf_strncmp: string at 0x%llx is not readable",
			      (unsigned long long)(la < 0 ? a1 : a2));
	/* both are readable up to their NUL or n, which is all strncmp reads */
	return (uint64_t)(int64_t)strncmp((const char *)(uintptr_t)a1, (const char *)(uintptr_t)a2, a3);
}

HELPER(ebpf_memcpy)
{
	void *d, *s;

	if (!a3)
		return a1;
	d = pluglet_exec__check(ex, a1, a3, PLUGLET_PERM_WRITE);
	s = pluglet_exec__check(ex, a2, a3, PLUGLET_PERM_READ);
	if (!d || !s)
		return misuse(ex, "ebpf_memcpy: %s 0x%llx+%llu is outside the pluglet's memory",
			      d ? "source" : "destination", (unsigned long long)(d ? a2 : a1),
			      (unsigned long long)a3);
	memmove(d, s, a3);
	return a1;
}

HELPER(ebpf_memset)
{
	void *d;

	if (!a3)
		return a1;
	d = pluglet_exec__check(ex, a1, a3, PLUGLET_PERM_WRITE);
	if (!d)
		return misuse(ex, "ebpf_memset: 0x%llx+%llu is outside the pluglet's writable memory",
			      (unsigned long long)a1, (unsigned long long)a3);
	memset(d, (int)a2, a3);
	return a1;
}

HELPER(ebpf_memcmp)
{
	void *a, *b;

	if (!a3)
		return 0;
	a = pluglet_exec__check(ex, a1, a3, PLUGLET_PERM_READ);
	b = pluglet_exec__check(ex, a2, a3, PLUGLET_PERM_READ);
	if (!a || !b)
		return misuse(ex, "ebpf_memcmp: 0x%llx+%llu is outside the pluglet's memory",
			      (unsigned long long)(a ? a2 : a1), (unsigned long long)a3);
	return (uint64_t)(int64_t)memcmp(a, b, a3);
}

/* ---- ebpf_print ---- */

/* Appends with snprintf semantics, never past the buffer. */
static void out_add(char *out, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void out_add(char *out, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n < size - *len ? (size_t)n : size - *len - 1;
}

/*
 * The conversion specs below are rebuilt from a checked subset (flags,
 * digits, a known conversion and our own length modifier), with the value
 * cast to the type that spec expects.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

/*
 * printf for pluglets: flags, width and precision as in C (numbers only,
 * no '*'), length modifiers h/hh/l/ll/z/j/t, conversions d i u x X o c s p %.
 * Values are the helper's r2..r5; %s strings must be the pluglet's memory.
 */
HELPER(ebpf_print)
{
	struct host_run *run = host_run_of(ex);
	uint64_t vals[4] = { a2, a3, a4, a5 };
	char out[512], spec[32];
	const char *fmt;
	size_t len = 0;
	int64_t flen;
	int nv = 0;

	flen = pluglet_strnlen(ex, a1, 256);
	if (flen < 0)
		return misuse(ex, "ebpf_print: format at 0x%llx is not readable", (unsigned long long)a1);
	fmt = (const char *)(uintptr_t)a1;
	out[0] = '\0';
	for (int64_t i = 0; i < flen; i++) {
		size_t sl = 0, width_end;
		int wide = 0, prec = -1;
		char conv;

		if (fmt[i] != '%') {
			out_add(out, sizeof(out), &len, "%c", fmt[i]);
			continue;
		}
		spec[sl++] = '%';
		i++;
		while (i < flen && strchr("-+ #0", fmt[i]) && sl < 8)
			spec[sl++] = fmt[i++];
		/* width and precision of at most 3 digits: padding costs time */
		for (int d = 0; i < flen && fmt[i] >= '0' && fmt[i] <= '9'; d++) {
			if (d == 3)
				return misuse(ex, "ebpf_print: width over 999 in \"%.*s\"", (int)flen, fmt);
			spec[sl++] = fmt[i++];
		}
		width_end = sl;
		if (i < flen && fmt[i] == '.') {
			prec = 0;
			spec[sl++] = fmt[i++];
			for (int d = 0; i < flen && fmt[i] >= '0' && fmt[i] <= '9'; d++) {
				if (d == 3)
					return misuse(ex, "ebpf_print: precision over 999 in \"%.*s\"",
						      (int)flen, fmt);
				prec = prec * 10 + (fmt[i] - '0');
				spec[sl++] = fmt[i++];
			}
		}
		while (i < flen && strchr("hlzjt", fmt[i])) {
			wide |= fmt[i] != 'h';
			i++;
		}
		if (i >= flen)
			return misuse(ex, "ebpf_print: format ends inside a conversion: \"%.*s\"", (int)flen, fmt);
		conv = fmt[i];
		if (conv == '%') {
			out_add(out, sizeof(out), &len, "%%");
			continue;
		}
		if (!strchr("diuxXocsp", conv))
			return misuse(ex, "ebpf_print: unsupported conversion %%%c in \"%.*s\"", conv, (int)flen, fmt);
		if (nv >= 4)
			return misuse(ex, "ebpf_print: more than four values in \"%.*s\"", (int)flen, fmt);
		uint64_t v = vals[nv++];

		switch (conv) {
		case 'd':
		case 'i':
			memcpy(spec + sl, "lld", 4);
			out_add(out, sizeof(out), &len, spec, wide ? (long long)(int64_t)v : (long long)(int32_t)v);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			spec[sl++] = 'l';
			spec[sl++] = 'l';
			spec[sl++] = conv;
			spec[sl] = '\0';
			out_add(out, sizeof(out), &len, spec,
				wide ? (unsigned long long)v : (unsigned long long)(uint32_t)v);
			break;
		case 'c':
			memcpy(spec + sl, "c", 2);
			out_add(out, sizeof(out), &len, spec, (int)(uint8_t)v);
			break;
		case 'p':
			out_add(out, sizeof(out), &len, "0x%llx", (unsigned long long)v);
			break;
		case 's': {
			int64_t n = pluglet_strnlen(ex, v, 256);

			if (n < 0)
				return misuse(ex, "ebpf_print: %%s argument 0x%llx is not readable",
					      (unsigned long long)v);
			/* never more than the checked bytes: the precision becomes ours */
			if (prec >= 0 && prec < n)
				n = prec;
			memcpy(spec + width_end, ".*s", 4);
			out_add(out, sizeof(out), &len, spec, (int)n, (const char *)(uintptr_t)v);
			break;
		}
		}
	}
	while (len && out[len - 1] == '\n')
		out[--len] = '\0';
	pr_info("pluglet %s/%s/%u: %s\n", run->pub.plugin, pluglet_anchor_str(run->pub.anchor),
		run->pub.seq, out);
	return (uint64_t)len;
}

#pragma GCC diagnostic pop

/* ---- byte order ---- */

HELPER(ebpf_ntohs) { return be16toh((uint16_t)a1); }
HELPER(ebpf_ntohl) { return be32toh((uint32_t)a1); }
HELPER(ebpf_ntohll) { return be64toh(a1); }
HELPER(ebpf_htons) { return htobe16((uint16_t)a1); }
HELPER(ebpf_htonl) { return htobe32((uint32_t)a1); }
HELPER(ebpf_htonll) { return htobe64(a1); }

/* ---- time ---- */

HELPER(ebpf_time_ns) { return plugfs_now_ns(); }

HELPER(ebpf_realtime_ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- control ---- */

HELPER(next)
{
	pluglet_exec__abort(ex, PLUGLET_FAULT_ABORTED, 0, "next()");
	return 0;
}

/* ---- the trampolines of PLUGLET_HELPER() ---- */

int pluglet__helper_check(struct pluglet_exec *ex, const char *helper, int argno, uint64_t addr,
			  uint64_t len, bool write)
{
	char msg[128];

	if (pluglet_exec__check(ex, addr, len, write ? PLUGLET_PERM_RW : PLUGLET_PERM_READ))
		return 0;
	snprintf(msg, sizeof(msg), "%s: argument %d (0x%llx, %llu bytes) is not memory the pluglet may %s",
		 helper ? helper : "helper", argno, (unsigned long long)addr, (unsigned long long)len,
		 write ? "write" : "read");
	pluglet_exec__abort(ex, PLUGLET_FAULT_HELPER, (uint64_t)-EFAULT, msg);
	return -EFAULT;
}

/* Fixed ids: documented in docs (pluglet API reference) for raw bytecode. */
static const struct {
	uint32_t id;
	const char *name;
	pluglet_helper_fn fn;
} builtin[] = {
	{ 1, "get_arg", h_get_arg },
	{ 2, "bpf_get_args", h_get_arg },
	{ 3, "get_arg_len", h_get_arg_len },
	{ 4, "get_arg_type", h_get_arg_type },
	{ 5, "get_arg_kind", h_get_arg_kind },
	{ 6, "get_nargs", h_get_nargs },
	{ 7, "get_arg_by_type", h_get_arg_by_type },
	{ 8, "get_retval", h_get_retval },
	{ 10, "ctx_malloc", h_ctx_malloc },
	{ 11, "ctx_calloc", h_ctx_calloc },
	{ 12, "ctx_free", h_ctx_free },
	{ 13, "ctx_shmnew", h_ctx_shmnew },
	{ 14, "ctx_shmget", h_ctx_shmget },
	{ 15, "ctx_shmrm", h_ctx_shmrm },
	{ 20, "ebpf_print", h_ebpf_print },
	{ 21, "ebpf_memcpy", h_ebpf_memcpy },
	{ 22, "ebpf_memset", h_ebpf_memset },
	{ 23, "ebpf_memcmp", h_ebpf_memcmp },
	{ 24, "ebpf_strncmp", h_ebpf_strncmp },
	{ 25, "ebpf_strnlen", h_ebpf_strnlen },
	{ 30, "ebpf_ntohs", h_ebpf_ntohs },
	{ 31, "ebpf_ntohl", h_ebpf_ntohl },
	{ 32, "ebpf_ntohll", h_ebpf_ntohll },
	{ 33, "ebpf_htons", h_ebpf_htons },
	{ 34, "ebpf_htonl", h_ebpf_htonl },
	{ 35, "ebpf_htonll", h_ebpf_htonll },
	{ 40, "ebpf_time_ns", h_ebpf_time_ns },
	{ 41, "ebpf_realtime_ns", h_ebpf_realtime_ns },
	{ 50, "next", h_next },
};

int host_helpers_register(struct pluglet_helpers *hs)
{
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		int rc = pluglet_helpers__add(hs, builtin[i].id, builtin[i].name, builtin[i].fn);

		if (rc < 0) {
			pr_warn("pluglet host: cannot register helper %s: %d\n", builtin[i].name, rc);
			return rc;
		}
	}
	return 0;
}

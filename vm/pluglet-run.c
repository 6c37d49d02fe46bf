/* SPDX-License-Identifier: MIT */
/*
 * pluglet-run: runs one pluglet program with some memory and prints r0.
 *
 *   pluglet-run [--interpret|--jit] [--entry NAME] [--budget N]
 *               [--mem-file F | MEMHEX] [--repeat N] [--stats] [PROGRAM]
 *   (MEMHEX and PROGRAM in either order: the one naming a file is the program)
 *
 * PROGRAM is an eBPF ELF object or raw bytecode (little-endian 8-byte
 * words). Without PROGRAM the program is read from stdin as hex bytes: this
 * is the plugin protocol of the bpf_conformance suite (memory as the first
 * argument, r0 printed in hex, exit 0; or the error and a non-zero exit).
 * At entry r1 points to a private copy of the memory (0 when there is none)
 * and r2 is its length. Helper 5 ("unwind") returns its first argument and
 * stops the program with r0 = 0 when that argument is 0.
 */
#include "pluglet_run_host.h"

#include <pluglet/vm.h>
#include <plugfs/clock.h>
#include <plugfs/fileutil.h>
#include <plugfs/hex.h>
#include <plugfs/ini.h>
#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A program or the memory, as read or decoded (malloc'ed). */
struct blob {
	uint8_t *data;
	size_t len;
};

/*
 * Hex bytes as pluglet-run(1) documents them: white space or commas between
 * bytes, a 0x prefix on any group ("0x01 0x02", "0x0102"). Brought to the
 * form plugfs_hex_decode() reads, which decodes it.
 */
static int parse_hex(const char *s, struct blob *out)
{
	size_t n = strlen(s), digits = 0;	/* hex digits since the last separator */
	char *clean = malloc(n + 1), *c = clean;
	ssize_t got = -ENOMEM;

	out->data = malloc(n / 2 + 1);
	if (!clean || !out->data)
		goto out;
	for (; *s; s++) {
		if (isspace((unsigned char)*s) || *s == ',') {
			*c++ = ' ';
			digits = 0;
		} else if (digits % 2 == 0 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			s++;
		} else if (*s == ':') {
			break;			/* plugfs_hex_decode() takes it, we do not */
		} else {
			*c++ = *s;
			digits++;
		}
	}
	*c = '\0';
	got = *s ? -EINVAL : plugfs_hex_decode(clean, out->data, n / 2 + 1);
out:
	free(clean);
	if (got < 0) {
		free(out->data);
		out->data = NULL;
		return (int)got;
	}
	out->len = (size_t)got;
	return 0;
}

static int read_stream(FILE *f, struct blob *out)
{
	struct strbuf sb = STRBUF_INIT;
	char tmp[65536];
	size_t n;

	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		strbuf__put(&sb, tmp, n);
	if (ferror(f) || sb.err) {
		n = sb.err;
		strbuf__fini(&sb);
		return n ? -ENOMEM : -EIO;
	}
	out->data = (uint8_t *)strbuf__detach(&sb, &out->len);
	return out->data ? 0 : -ENOMEM;
}

/* A whole file; one that is not regular (a FIFO from <(...)) as a stream. */
static int read_file(const char *path, struct blob *out)
{
	FILE *f;
	int err;

	err = plugfs_read_file(path, (void **)&out->data, &out->len);
	if (err != -EINVAL)
		return err;
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	err = read_stream(f, out);
	fclose(f);
	return err;
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static uint64_t unwind_helper(struct pluglet_exec *ex, uint64_t a1, uint64_t a2, uint64_t a3,
			      uint64_t a4, uint64_t a5)
{
	if (a1 == 0)
		pluglet_exec__abort(ex, PLUGLET_FAULT_ABORTED, 0, "unwind");
	return a1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pluglet-run [--interpret|--jit] [--entry NAME] [--budget N]\n"
		"                   [--mem-file F | MEMHEX] [--repeat N] [--stats] [PROGRAM]\n"
		"       pluglet-run [--jit] [--entry NAME] [--extra-memory N] [--shared-memory N]\n"
		"                   [--host] [--arg u64:N|u32:N|ptr:HEX|str:TEXT]... PROGRAM\n"
		"PROGRAM: eBPF ELF object or raw bytecode; without it, hex bytes on stdin.\n"
		"With --arg or --host, PROGRAM runs as a host's REPLACE pluglet, with the\n"
		"standard helpers (get_arg, ctx_malloc, ebpf_print...) and these arguments.\n");
}

struct run_args {
	enum pluglet_vm_mode mode;
	const char *entry;
	const char *mem_file;
	const char *mem_hex;
	const char *program;
	uint64_t budget;
	unsigned long repeat;
	bool stats;
	bool host;			/* --host or --arg: run in a host */
	struct run_host_opts h;
};

static int add_host_arg(struct run_args *a, const char *spec)
{
	if (a->h.nr_args == RUN_HOST_MAX_ARGS || run_host_check_arg(spec)) {
		fprintf(stderr, "pluglet-run: bad --arg '%s' (u64:N, u32:N, ptr:HEX, str:TEXT; at most %d)\n",
			spec, RUN_HOST_MAX_ARGS);
		return -EINVAL;
	}
	a->h.args[a->h.nr_args++] = spec;
	a->host = true;
	return 0;
}

static int parse_mem_size(const char *what, const char *s, uint32_t *out)
{
	if (plugfs_parse_u32(s, out)) {
		fprintf(stderr, "pluglet-run: bad %s '%s'\n", what, s);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {
		{ "interpret", no_argument, NULL, 'i' },
		{ "jit", no_argument, NULL, 'j' },
		{ "entry", required_argument, NULL, 'e' },
		{ "mem-file", required_argument, NULL, 'm' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "budget", required_argument, NULL, 'b' },
		{ "stats", no_argument, NULL, 's' },
		{ "arg", required_argument, NULL, 'a' },
		{ "host", no_argument, NULL, 'H' },
		{ "extra-memory", required_argument, NULL, 'E' },
		{ "shared-memory", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, npos;

	while ((c = getopt_long(argc, argv, "ije:m:r:b:sha:", opts, NULL)) != -1) {
		switch (c) {
		case 'i': a->mode = PLUGLET_VM_INTERP; break;
		case 'j': a->mode = PLUGLET_VM_JIT; break;
		case 'e': a->entry = optarg; break;
		case 'm': a->mem_file = optarg; break;
		case 's': a->stats = true; break;
		case 'H': a->host = true; break;
		case 'a':
			if (add_host_arg(a, optarg))
				return -EINVAL;
			break;
		case 'E':
			if (parse_mem_size("--extra-memory", optarg, &a->h.extra_mem))
				return -EINVAL;
			break;
		case 'S':
			if (parse_mem_size("--shared-memory", optarg, &a->h.shared_mem))
				return -EINVAL;
			break;
		case 'r':
			if (plugfs_parse_u64(optarg, ULONG_MAX, &v) || !v) {
				fprintf(stderr, "pluglet-run: bad --repeat '%s'\n", optarg);
				return -EINVAL;
			}
			a->repeat = (unsigned long)v;
			break;
		case 'b':
			if (plugfs_parse_u64(optarg, UINT64_MAX, &a->budget) || !a->budget) {
				fprintf(stderr, "pluglet-run: bad --budget '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	npos = argc - optind;
	if (npos > 2) {
		usage(stderr);
		return -EINVAL;
	}
	if (npos == 2) {
		/* MEMHEX PROGRAM, or PROGRAM MEMHEX as pluglet-run(1) also shows it:
		 * the program is the one that names a file */
		bool first_is_program = is_file(argv[optind]) && !is_file(argv[optind + 1]);

		a->program = argv[optind + !first_is_program];
		a->mem_hex = argv[optind + first_is_program];
	} else if (npos == 1) {
		/* One argument: a program file, or the memory of the stdin protocol. */
		if (is_file(argv[optind]) || a->mem_file)
			a->program = argv[optind];
		else
			a->mem_hex = argv[optind];
	}
	if (a->mem_hex && a->mem_file) {
		fprintf(stderr, "pluglet-run: both --mem-file and MEMHEX given\n");
		return -EINVAL;
	}
	return 0;
}

static struct pluglet_vm *load_program(const struct run_args *a, const struct pluglet_helpers *h,
				       char *log, size_t log_size)
{
	struct pluglet_vm_opts opts = {
		.sz = sizeof(opts),
		.mode = a->mode,
		.helpers = h,
		.budget = a->budget,
		.entry = a->entry,
		.log_buf = log,
		.log_size = log_size,
	};
	struct blob prog = { 0 }, text = { 0 };
	struct pluglet_vm *vm = NULL;
	const char *what = a->program ? a->program : "stdin";
	int err;

	opts.name = a->program ? a->program : "stdin";
	if (a->program) {
		err = read_file(a->program, &prog);
	} else {
		err = read_stream(stdin, &text);	/* NUL-terminated */
		if (!err)
			err = parse_hex((const char *)text.data, &prog);
	}
	if (err) {
		snprintf(log, log_size, "cannot read program from %s: %s", what, strerror(-err));
		goto out;
	}
	if (pluglet_is_elf(prog.data, prog.len)) {
		vm = pluglet_vm__load_elf(prog.data, prog.len, &opts);
	} else if (prog.len % sizeof(struct pluglet_insn)) {
		snprintf(log, log_size, "%s: %zu bytes is not a whole number of instructions", what,
			 prog.len);
		errno = EINVAL;
	} else {
		vm = pluglet_vm__load((const struct pluglet_insn *)prog.data,
				      (uint32_t)(prog.len / sizeof(struct pluglet_insn)), &opts);
		if (!vm && prog.len / sizeof(struct pluglet_insn) > UINT32_MAX)
			errno = E2BIG;
	}
	if (!vm && !log[0])
		snprintf(log, log_size, "%s: %s", what, strerror(errno));
out:
	free(prog.data);
	free(text.data);
	return vm;
}

int main(int argc, char **argv)
{
	struct run_args a = { .mode = PLUGLET_VM_INTERP, .repeat = 1 };
	struct pluglet_helpers *helpers = NULL;
	struct pluglet_vm *vm = NULL;
	struct blob mem = { 0 }, work = { 0 };
	uint64_t *times = NULL, r0 = 0, insns = 0;
	struct pluglet_region region;
	struct pluglet_exec ex;
	char log[512] = "";
	unsigned long i;
	int err, rc = 1;

	if (parse_args(argc, argv, &a))
		return 2;
	if (a.host) {
		if (!a.program || a.mem_hex || a.mem_file) {
			fprintf(stderr, "pluglet-run: --arg/--host run an ELF PROGRAM; memory goes in ptr: arguments\n");
			return 2;
		}
		a.h.program = a.program;
		a.h.entry = a.entry;
		a.h.jit = a.mode == PLUGLET_VM_JIT;
		return run_in_host(&a.h);
	}
	if (a.mem_file && (err = read_file(a.mem_file, &mem))) {
		fprintf(stderr, "pluglet-run: cannot read %s: %s\n", a.mem_file, strerror(-err));
		goto out;
	}
	if (a.mem_hex && parse_hex(a.mem_hex, &mem)) {
		fprintf(stderr, "pluglet-run: memory is not hex bytes: '%s'\n", a.mem_hex);
		goto out;
	}
	helpers = pluglet_helpers__new();
	if (!helpers || pluglet_helpers__add(helpers, 5, "unwind", unwind_helper)) {
		fprintf(stderr, "pluglet-run: out of memory\n");
		goto out;
	}
	vm = load_program(&a, helpers, log, sizeof(log));
	if (!vm) {
		fprintf(stderr, "pluglet-run: %s\n", log);
		goto out;
	}
	if (a.mode == PLUGLET_VM_JIT && pluglet_vm__mode(vm) != PLUGLET_VM_JIT) {
		fprintf(stderr, "pluglet-run: --jit: this build has no JIT for the program "
				"(it would run in the interpreter)\n");
		goto out;
	}
	times = calloc(a.repeat, sizeof(*times));
	work.len = mem.len;
	work.data = mem.len ? malloc(mem.len) : NULL;
	if (!times || (mem.len && !work.data)) {
		fprintf(stderr, "pluglet-run: out of memory\n");
		goto out;
	}
	region = (struct pluglet_region){
		.start = (uint64_t)(uintptr_t)work.data, .len = work.len, .perm = PLUGLET_PERM_RW,
	};
	for (i = 0; i < a.repeat; i++) {
		uint64_t t0;

		/* Every run starts from the same memory; the copy is not timed. */
		if (mem.len)
			memcpy(work.data, mem.data, mem.len);
		ex = (struct pluglet_exec){
			.sz = sizeof(ex), .regions = &region, .nr_regions = mem.len ? 1 : 0,
		};
		t0 = plugfs_now_ns();
		err = pluglet_vm__run(vm, &ex, mem.len ? region.start : 0, mem.len, &r0);
		times[i] = plugfs_now_ns() - t0;
		insns = ex.insns_executed;
		if (err) {
			fprintf(stderr, "pluglet-run: %s: %s fault: %s\n", pluglet_vm__name(vm),
				pluglet_fault_kind_str(ex.fault.kind),
				ex.fault.msg[0] ? ex.fault.msg : strerror(-err));
			goto out;
		}
	}
	printf("%" PRIx64 "\n", r0);
	if (a.stats) {
		qsort(times, a.repeat, sizeof(*times), cmp_u64);
		fprintf(stderr, "median_ns_per_run: %" PRIu64 "\ninsns_per_run: %" PRIu64 "\n",
			times[a.repeat / 2], insns);
		if (insns)
			fprintf(stderr, "ns_per_insn: %.3f\n", (double)times[a.repeat / 2] / (double)insns);
	}
	rc = 0;
out:
	free(times);
	free(mem.data);
	free(work.data);
	pluglet_vm__free(vm);
	pluglet_helpers__free(helpers);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * JIT compile time: loads each BPF object given on the command line (and a
 * synthetic 60 000-instruction program) in the interpreter and in the JIT,
 * many times, and prints the median load time of each; their difference is
 * what compiling to x86-64 costs. Also prints the code size.
 * Run: meson test -C build --benchmark --verbose vm-jit-compile
 * (directly: build/tests/bench/bench_jit_compile DIR obj.o...)
 */
#include <pluglet/vm.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNS 51

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* Median load time in one mode; also returns code size and length. */
static int time_load(const void *obj, size_t len, const struct pluglet_insn *insns, uint32_t n,
		     enum pluglet_vm_mode mode, uint64_t *ns, size_t *code, uint32_t *nr)
{
	uint64_t t[RUNS];
	int i;

	for (i = 0; i < RUNS; i++) {
		char log[256] = "";
		struct pluglet_vm_opts o = {
			.sz = sizeof(o), .mode = mode, .log_buf = log, .log_size = sizeof(log),
		};
		struct pluglet_vm *vm = obj ? pluglet_vm__load_elf(obj, len, &o)
					    : pluglet_vm__load(insns, n, &o);

		if (!vm || pluglet_vm__mode(vm) != mode) {
			fprintf(stderr, "bench_jit_compile: load failed: %s\n", log);
			pluglet_vm__free(vm);
			return -1;
		}
		t[i] = pluglet_vm__load_ns(vm);
		*code = pluglet_vm__jit_size(vm);
		*nr = pluglet_vm__nr_insns(vm);
		pluglet_vm__free(vm);
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_u64);
	*ns = t[RUNS / 2];
	return 0;
}

static int report(const char *name, const void *obj, size_t len, const struct pluglet_insn *insns,
		  uint32_t n)
{
	uint64_t ns_i, ns_j;
	size_t code_i, code_j;
	uint32_t nr;
	double jit;

	if (time_load(obj, len, insns, n, PLUGLET_VM_INTERP, &ns_i, &code_i, &nr) ||
	    time_load(obj, len, insns, n, PLUGLET_VM_JIT, &ns_j, &code_j, &nr))
		return -1;
	jit = ns_j > ns_i ? (double)(ns_j - ns_i) : 0;
	printf("%-16s %7u %10llu %10llu %10.0f %8.1f %9zu %6.1f\n", name, nr,
	       (unsigned long long)ns_i, (unsigned long long)ns_j, jit, jit / nr, code_j,
	       (double)code_j / nr);
	return 0;
}

/* A long straight program of ALU, memory and forward-jump instructions. */
static struct pluglet_insn *synthetic(uint32_t n)
{
	struct pluglet_insn *p = calloc(n, sizeof(*p));
	uint32_t i;

	if (!p)
		return NULL;
	for (i = 0; i + 1 < n; i++) {
		switch (i + 3 >= n ? 0 : i % 6) {
		case 0: p[i] = (struct pluglet_insn){ .code = 0x07, .dst_reg = 0, .imm = (int32_t)i }; break;
		case 1: p[i] = (struct pluglet_insn){ .code = 0x7b, .dst_reg = 10, .src_reg = 0, .off = -8 }; break;
		case 2: p[i] = (struct pluglet_insn){ .code = 0x79, .dst_reg = 3, .src_reg = 10, .off = -8 }; break;
		case 3: p[i] = (struct pluglet_insn){ .code = 0x2f, .dst_reg = 0, .src_reg = 3 }; break;
		case 4: p[i] = (struct pluglet_insn){ .code = 0x55, .dst_reg = 0, .off = 1, .imm = 7 }; break;
		default: p[i] = (struct pluglet_insn){ .code = 0x79, .dst_reg = 4, .src_reg = 1, .off = 0 }; break;
		}
	}
	p[n - 1] = (struct pluglet_insn){ .code = 0x95 };
	return p;
}

int main(int argc, char **argv)
{
	struct pluglet_insn *syn;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [obj.o...]\n", argv[0]);
		return 2;
	}
	printf("load time, median of %d loads (ELF parse + verify [+ JIT compile])\n", RUNS);
	printf("%-16s %7s %10s %10s %10s %8s %9s %6s\n", "program", "insns", "interp ns",
	       "jit ns", "compile ns", "ns/insn", "code B", "B/insn");
	for (i = 2; i < argc; i++) {
		char path[4096];
		size_t len = 0;
		void *obj;

		snprintf(path, sizeof(path), "%s/%s", argv[1], argv[i]);
		obj = read_file(path, &len);
		if (!obj) {
			fprintf(stderr, "bench_jit_compile: cannot read %s\n", path);
			return 1;
		}
		rc |= report(argv[i], obj, len, NULL, 0);
		free(obj);
	}
	syn = synthetic(60000);
	if (!syn)
		return 1;
	rc |= report("synthetic-60k", NULL, 0, syn, 60000);
	free(syn);
	return rc ? 1 : 0;
}

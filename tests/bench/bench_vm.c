/* SPDX-License-Identifier: MIT */
/*
 * VM benchmark: the classic userspace-eBPF programs (log2, prime, memcpy,
 * strcmp, switch) and a wider set (hash-table probe, packet checksum,
 * struct-field updates, a loop over an array of structs, bubble sort), each written once in tests/bench/progs and compiled
 * both for BPF (run by the VM from its ELF object) and natively (linked in).
 * Prints per program the median ns per run, the executed instructions, ns
 * per instruction and the VM/native ratio, then the geometric mean of the
 * ratios. Results of both sides must agree, or the benchmark fails.
 *
 * Run: make bench, or meson test -C build --benchmark --verbose vm-interp
 * (directly: build/tests/bench/bench_vm interp|jit [runs]).
 */
#include <pluglet/vm.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t (*native_fn)(uint8_t *mem, uint64_t len);

uint64_t native_log2(uint8_t *mem, uint64_t len);
uint64_t native_prime(uint8_t *mem, uint64_t len);
uint64_t native_memcpy(uint8_t *mem, uint64_t len);
uint64_t native_strcmp(uint8_t *mem, uint64_t len);
uint64_t native_switch(uint8_t *mem, uint64_t len);
uint64_t native_hashprobe(uint8_t *mem, uint64_t len);
uint64_t native_checksum(uint8_t *mem, uint64_t len);
uint64_t native_structfield(uint8_t *mem, uint64_t len);
uint64_t native_structarray(uint8_t *mem, uint64_t len);
uint64_t native_bubblesort(uint8_t *mem, uint64_t len);

struct bench {
	const char *name;
	const char *obj;		/* BPF object in BENCH_PROGS_DIR */
	native_fn native;
	size_t mem_size;
	uint64_t len;			/* r2 */
	void (*fill)(uint8_t *mem, size_t size);
};

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* 64-bit values of every magnitude, so that log2's branches vary. */
static void fill_log2(uint8_t *mem, size_t size)
{
	for (size_t i = 0; i + 8 <= size; i += 8) {
		uint64_t v = rng() >> (rng() % 64);

		memcpy(mem + i, &v, 8);
	}
}

static void fill_random(uint8_t *mem, size_t size)
{
	for (size_t i = 0; i < size; i++)
		mem[i] = (uint8_t)rng();
}

/* Two equal 4 KiB strings (4095 characters and a NUL) in the two halves. */
static void fill_strings_equal(uint8_t *mem, size_t size)
{
	size_t half = size / 2;

	for (size_t i = 0; i < half - 1; i++)
		mem[i] = mem[half + i] = 'a' + i % 26;
	mem[half - 1] = mem[size - 1] = '\0';
}

/* The same strings, different from the middle on. */
static void fill_strings_diff(uint8_t *mem, size_t size)
{
	fill_strings_equal(mem, size);
	mem[size / 2 + size / 4] = '#';
}

/* A 4096-slot table of 32-bit keys filled to 75% by linear probing, then
 * 1024 queries, half of them keys that are in the table. */
static void fill_hash(uint8_t *mem, size_t size)
{
	uint32_t *table = (uint32_t *)mem, *query = table + 4096, keys[1024];
	int nkeys = 0;

	memset(mem, 0, size);
	for (int i = 0; i < 3072; i++) {
		uint32_t key = (uint32_t)rng() | 1, h = (key * 2654435761u) >> 20;

		while (table[h & 4095])
			h++;
		table[h & 4095] = key;
		if (nkeys < 1024)
			keys[nkeys++] = key;
	}
	for (int q = 0; q < 1024; q++)
		query[q] = q & 1 ? keys[rng() % nkeys] : (uint32_t)rng() | 1;
}

/* Room for a flow record (the program fills it) and packet lengths. */
static void fill_flow(uint8_t *mem, size_t size)
{
	memset(mem, 0, 96);
	for (size_t i = 96; i + 2 <= size; i += 2) {
		uint16_t l = 40 + rng() % 1560;

		memcpy(mem + i, &l, 2);
	}
}

/* 16-byte records: proto 6 or 17 and random flags, ports, ttls, bytes. */
static void fill_records(uint8_t *mem, size_t size)
{
	fill_random(mem, size);
	for (size_t i = 0; i + 16 <= size; i += 16) {
		uint16_t proto = rng() & 1 ? 6 : 17, port = rng() & 3 ? 53 : 80;

		memcpy(mem + i + 4, &proto, 2);
		memcpy(mem + i + 6, &port, 2);
	}
}

static const struct bench benches[] = {
	{ "log2", "log2.o", native_log2, 64 << 10, 64 << 10, fill_log2 },
	{ "prime", "prime.o", native_prime, 64, 5000, NULL },
	{ "memcpy", "memcpy.o", native_memcpy, 128 << 10, 128 << 10, fill_random },
	{ "strcmp-equal", "strcmp.o", native_strcmp, 8 << 10, 8 << 10, fill_strings_equal },
	{ "strcmp-diff", "strcmp.o", native_strcmp, 8 << 10, 8 << 10, fill_strings_diff },
	{ "switch", "switch.o", native_switch, 16 << 10, 16 << 10, fill_random },
	{ "hashprobe", "hashprobe.o", native_hashprobe, 20 << 10, 20 << 10, fill_hash },
	{ "checksum", "checksum.o", native_checksum, 1500, 1500, fill_random },
	{ "structfield", "structfield.o", native_structfield, 96 + 8192, 96 + 8192, fill_flow },
	{ "structarray", "structarray.o", native_structarray, 32 << 10, 32 << 10, fill_records },
	{ "bubblesort", "bubblesort.o", native_bubblesort, 2048, 2048, fill_random },
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The median; PLUGLET_BENCH_STAT=min takes the fastest run instead
 * (comparing two builds on a machine others are using). */
static uint64_t median(uint64_t *v, int n)
{
	const char *stat = getenv("PLUGLET_BENCH_STAT");

	qsort(v, n, sizeof(*v), cmp_u64);
	return stat && !strcmp(stat, "min") ? v[0] : v[n / 2];
}

static void *read_file(const char *name, size_t *len)
{
	char path[512];
	void *buf = NULL;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", BENCH_PROGS_DIR, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0) {
		rewind(f);
		buf = malloc(n);
		if (buf && fread(buf, 1, n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = n;
	}
	fclose(f);
	return buf;
}

static struct pluglet_vm *load(const struct bench *b, enum pluglet_vm_mode mode)
{
	char log[512] = "";
	struct pluglet_vm_opts opts = {
		.sz = sizeof(opts), .mode = mode, .log_buf = log, .log_size = sizeof(log),
		.budget = 1ull << 40,
	};
	struct pluglet_vm *vm;
	size_t len = 0;
	void *obj = read_file(b->obj, &len);

	if (!obj) {
		fprintf(stderr, "bench: cannot read %s/%s\n", BENCH_PROGS_DIR, b->obj);
		return NULL;
	}
	vm = pluglet_vm__load_elf(obj, len, &opts);
	if (!vm)
		fprintf(stderr, "bench: %s: load failed: %s (%s)\n", b->obj, strerror(errno), log);
	free(obj);
	return vm;
}

struct result {
	uint64_t vm_ns, native_ns, insns;
};

static int measure(const struct bench *b, const struct pluglet_vm *vm, int runs, struct result *res)
{
	uint8_t *mem = calloc(1, b->mem_size);
	uint64_t *t = calloc(runs, sizeof(*t));
	struct pluglet_region reg = {
		.start = (uintptr_t)mem, .len = b->mem_size, .perm = PLUGLET_PERM_RW,
	};
	struct pluglet_exec ex = { .sz = sizeof(ex), .regions = &reg, .nr_regions = 1 };
	native_fn volatile native = b->native;
	uint64_t r0 = 0, expect;
	int i, err = -1;

	if (!mem || !t)
		goto out;
	if (b->fill)
		b->fill(mem, b->mem_size);
	expect = native(mem, b->len);
	/* Warm up, and check that both sides compute the same thing. */
	for (i = 0; i < 3; i++) {
		if (pluglet_vm__run(vm, &ex, (uintptr_t)mem, b->len, &r0)) {
			fprintf(stderr, "bench: %s: run failed: %s\n", b->name, ex.fault.msg);
			goto out;
		}
	}
	if (r0 != expect) {
		fprintf(stderr, "bench: %s: VM returned %llu, native %llu\n", b->name,
			(unsigned long long)r0, (unsigned long long)expect);
		goto out;
	}
	res->insns = ex.insns_executed;
	for (i = 0; i < runs; i++) {
		uint64_t t0 = now_ns();

		pluglet_vm__run(vm, &ex, (uintptr_t)mem, b->len, &r0);
		t[i] = now_ns() - t0;
	}
	res->vm_ns = median(t, runs);
	for (i = 0; i < 3; i++)
		native(mem, b->len);
	for (i = 0; i < runs; i++) {
		uint64_t t0 = now_ns();

		native(mem, b->len);
		t[i] = now_ns() - t0;
	}
	res->native_ns = median(t, runs);
	if (!res->native_ns)
		res->native_ns = 1;
	err = 0;
out:
	free(mem);
	free(t);
	return err;
}

int main(int argc, char **argv)
{
	const char *mode_name = argc > 1 ? argv[1] : "interp";
	int runs = argc > 2 ? atoi(argv[2]) : 31;
	enum pluglet_vm_mode mode;
	double log_sum = 0, worst_ns_insn = 0;
	size_t i, n = sizeof(benches) / sizeof(benches[0]);

	if (!strcmp(mode_name, "interp")) {
		mode = PLUGLET_VM_INTERP;
	} else if (!strcmp(mode_name, "jit")) {
		mode = PLUGLET_VM_JIT;
	} else {
		fprintf(stderr, "usage: %s interp|jit [runs]\n", argv[0]);
		return 2;
	}
	if (runs < 1)
		runs = 1;

	if (mode == PLUGLET_VM_JIT) {
		struct pluglet_vm *probe = load(&benches[0], mode);
		bool jit = probe && pluglet_vm__mode(probe) == PLUGLET_VM_JIT;

		pluglet_vm__free(probe);
		if (!jit) {
			printf("jit: n/a\n");
			return 0;
		}
	}
	printf("%s: %s of %d runs; BPF: clang -O2 -target bpf, native: clang -O2\n", mode_name,
	       getenv("PLUGLET_BENCH_STAT") && !strcmp(getenv("PLUGLET_BENCH_STAT"), "min") ?
	       "fastest" : "median", runs);
	printf("%-14s %12s %11s %8s %12s %8s\n", "program", "vm ns/run", "insns/run", "ns/insn",
	       "native ns", "vm/native");
	for (i = 0; i < n; i++) {
		const struct bench *b = &benches[i];
		struct pluglet_vm *vm = load(b, mode);
		struct result res = { 0 };
		double ratio, ns_insn;

		if (!vm)
			return 1;
		if (measure(b, vm, runs, &res)) {
			pluglet_vm__free(vm);
			return 1;
		}
		pluglet_vm__free(vm);
		ratio = (double)res.vm_ns / res.native_ns;
		ns_insn = res.insns ? (double)res.vm_ns / res.insns : 0;
		if (ns_insn > worst_ns_insn)
			worst_ns_insn = ns_insn;
		log_sum += log(ratio);
		printf("%-14s %12llu %11llu %8.2f %12llu %8.1f\n", b->name,
		       (unsigned long long)res.vm_ns, (unsigned long long)res.insns, ns_insn,
		       (unsigned long long)res.native_ns, ratio);
	}
	/* The targets are the interpreter's; the JIT's numbers are for comparison. */
	printf("geomean vm/native: %.1f%s\n", exp(log_sum / n),
	       mode == PLUGLET_VM_INTERP ? " (target <= 60)" : "");
	printf("worst ns/insn: %.2f%s\n", worst_ns_insn,
	       mode == PLUGLET_VM_INTERP ? " (target <= 2)" : " (insns: budget units)");
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Host runtime benchmarks (meson benchmark 'host', `make bench`):
 *   1. empty insertion point vs a plain call of the same function, with the
 *      argument array of the VM_CALL API examples built before VM_CALL and
 *      built inside it;
 *   2. REPLACE with a trivial pluglet, interpreter and JIT, and with one
 *      that reads both arguments through its argument table (sum_args);
 *   3. PRE + REPLACE + POST (trivial pluglets), interpreter and JIT;
 *   4. REPLACE trivial with run time measured (stats_time) against the same
 *      without, measured one after the other.
 * Prints ns per call and the overhead against the plain call measured in
 * the same run. PLUGLET_BENCH_SCALE multiplies the iteration counts;
 * PLUGLET_BENCH_ONLY=interpreter|jit runs only that mode (for perf record).
 */
#include <pluglet/host.h>
#include <plugfs/clock.h>
#include <plugfs/log.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int __attribute__((noinline)) plain(int *p, int key)
{
	return *p + key;
}

static int __attribute__((noinline)) pluginized(int *p, int key)
{
	bpf_args_t args[] = {
		{ .arg = p, .len = sizeof(*p), .kind = kind_ptr, .type = 0 },
		{ .arg = &key, .len = sizeof(key), .kind = kind_primitive, .type = 0 },
	};

	VM_CALL(1, args, 2, {
		RETURN_VM_VAL(*p + key);
	});
}

/*
 * The same with the argument array written inside VM_CALL (a compound
 * literal): built only when pluglets are attached, so the empty point
 * costs the point test alone.
 */
static int __attribute__((noinline)) pluginized_lazy(int *p, int key)
{
	VM_CALL(1, ((bpf_args_t[]){
			{ .arg = p, .len = sizeof(*p), .kind = kind_ptr, .type = 0 },
			{ .arg = &key, .len = sizeof(key), .kind = kind_primitive, .type = 0 },
		}), 2, {
		RETURN_VM_VAL(*p + key);
	});
}

/* Best of 9 rounds, ns per call: the minimum filters out preemption on a shared machine. */
static double measure(int (*fn)(int *, int), uint64_t n)
{
	double best = 1e30;
	volatile int sink = 0;
	int v = 1;

	for (int r = 0; r < 9; r++) {
		uint64_t t0 = plugfs_now_ns();

		for (uint64_t i = 0; i < n; i++)
			sink += fn(&v, (int)i);
		double ns = (double)(plugfs_now_ns() - t0) / (double)n;

		if (ns < best)
			best = ns;
	}
	(void)sink;
	return best;
}

/* The VM alone: the program run directly with the view and regions a call builds. */
static double measure_vm_only(const void *obj, size_t len, bool jit, uint64_t n)
{
	struct pluglet_vm_opts vo = { .sz = sizeof(vo), .mode = jit ? PLUGLET_VM_JIT : PLUGLET_VM_INTERP };
	struct pluglet_vm *vm = pluglet_vm__load_elf(obj, len, &vo);
	int v = 1, key = 2;
	/* struct pluglet_args: nargs, then { ptr, len, kind | type << 32 } per argument */
	uint64_t view[7] = { 2, (uint64_t)(uintptr_t)&v, sizeof(v), kind_ptr,
			     (uint64_t)(uintptr_t)&key, sizeof(key), kind_primitive };
	struct pluglet_region regs[3] = {	/* in the order the host builds them */
		{ (uint64_t)(uintptr_t)view, sizeof(view), PLUGLET_PERM_READ, 2 },
		{ (uint64_t)(uintptr_t)&v, sizeof(v), PLUGLET_PERM_RW, 0 },
		{ (uint64_t)(uintptr_t)&key, sizeof(key), PLUGLET_PERM_READ, 1 },
	};
	struct pluglet_exec ex = { .sz = sizeof(ex), .regions = regs, .nr_regions = 3 };
	double best = 1e30;
	uint64_t r0;

	if (!vm)
		return 0;
	for (int r = 0; r < 9; r++) {
		uint64_t t0 = plugfs_now_ns();

		for (uint64_t i = 0; i < n; i++)
			pluglet_vm__run(vm, &ex, (uint64_t)(uintptr_t)view, 2, &r0);
		double ns = (double)(plugfs_now_ns() - t0) / (double)n;

		if (ns < best)
			best = ns;
	}
	pluglet_vm__free(vm);
	return best;
}

static void *read_obj(const char *name, size_t *len)
{
	char path[512];
	void *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s.o", HOST_TEST_OBJDIR, name);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0)
		exit(1);
	rewind(f);
	buf = malloc((size_t)n);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Swaps the REPLACE pluglet for another object (same mode). */
static int swap_replace(struct pluglet_host *h, bool jit, const void *obj, size_t len)
{
	struct pluglet_inject_opts o = { .sz = sizeof(o), .jit = jit };
	char err[512];
	int rc = pluglet_host__replace(h, "bench", PLUGLET_ANCHOR_REPLACE, 1, obj, len, &o, err,
				       sizeof(err));

	if (rc)
		fprintf(stderr, "bench: %s\n", err);
	return rc;
}

static int attach(struct pluglet_host *h, enum pluglet_anchor a, bool jit, const void *obj, size_t len)
{
	struct pluglet_inject_opts o = { .sz = sizeof(o), .jit = jit };
	char err[512];
	int rc = pluglet_host__add(h, "bench", a, 1, obj, len, &o, err, sizeof(err));

	if (rc)
		fprintf(stderr, "bench: %s\n", err);
	return rc;
}

int main(void)
{
	static const struct pluglet_point_def points[] = { { "bench", 1 } };
	struct pluglet_host_opts o = {
		.sz = sizeof(o), .name = "bench", .points = points, .nr_points = 1, .no_control = true,
	};
	uint64_t scale = getenv("PLUGLET_BENCH_SCALE") ? strtoull(getenv("PLUGLET_BENCH_SCALE"), NULL, 0) : 1;
	uint64_t n_fast = 20000000ull * scale, n_slow = 1000000ull * scale;
	struct pluglet_host *h = pluglet_host__new(&o);
	double base, empty, t, vm_only;
	char err[256];
	size_t len, sum_len;
	void *obj, *sum;

	if (!h)
		return 1;
	plog_set_level(PLOG_WARN);
	obj = read_obj("trivial", &len);
	sum = read_obj("sum_args", &sum_len);
	base = measure(plain, n_fast);
	empty = measure(pluginized, n_fast);
	printf("plain call:                 %7.2f ns/call\n", base);
	printf("empty insertion point:      %7.2f ns/call  overhead %+.2f ns (x%.2f)\n", empty,
	       empty - base, empty / base);
	empty = measure(pluginized_lazy, n_fast);
	printf("  args built inside VM_CALL:  %7.2f ns/call  overhead %+.2f ns (x%.2f)\n", empty,
	       empty - base, empty / base);
	for (int jit = 0; jit <= 1; jit++) {
		const char *mode = jit ? "jit" : "interpreter";
		const char *only = getenv("PLUGLET_BENCH_ONLY");
		struct pluglet_stats st = { .sz = sizeof(st) };

		if (only && strcmp(only, mode))
			continue;

		if (attach(h, PLUGLET_ANCHOR_REPLACE, jit, obj, len))
			return 1;
		pluglet_host__stats(h, "bench", PLUGLET_ANCHOR_REPLACE, 1, &st);
		if (pluginized(&(int){ 1 }, 1) != 5)
			return 1;
		t = measure(pluginized, n_slow);
		printf("REPLACE trivial (%-11s): %7.2f ns/call  overhead %+.2f ns (x%.1f)%s\n", mode, t,
		       t - base, t / base, jit && !st.jit ? "  [no JIT in this build: interpreter]" : "");
		vm_only = measure_vm_only(obj, len, jit, n_slow);
		printf("  of which the VM run alone:    %7.2f ns (host runtime: %.2f ns)\n", vm_only,
		       t - base - vm_only);
		/* the same with a pluglet that reads its arguments: view + regions built */
		if (swap_replace(h, jit, sum, sum_len) || pluginized(&(int){ 1 }, 2) != 3)
			return 1;
		t = measure(pluginized, n_slow);
		printf("REPLACE sum_args (%-10s): %7.2f ns/call  overhead %+.2f ns (x%.1f)\n", mode, t,
		       t - base, t / base);
		vm_only = measure_vm_only(sum, sum_len, jit, n_slow);
		printf("  of which the VM run alone:    %7.2f ns (host runtime: %.2f ns)\n", vm_only,
		       t - base - vm_only);
		if (swap_replace(h, jit, obj, len))
			return 1;
		if (attach(h, PLUGLET_ANCHOR_PRE, jit, obj, len) ||
		    attach(h, PLUGLET_ANCHOR_POST, jit, obj, len))
			return 1;
		t = measure(pluginized, n_slow);
		printf("PRE+REPLACE+POST (%-10s): %7.2f ns/call  overhead %+.2f ns (x%.1f)\n", mode, t,
		       t - base, t / base);
		pluglet_host__remove_plugin(h, "bench", err, sizeof(err));
		/* run time measured: two clock reads and two more atomic adds per run */
		if (attach(h, PLUGLET_ANCHOR_REPLACE, jit, obj, len))
			return 1;
		empty = measure(pluginized, n_slow);
		pluglet_host__set_stats_time(h, true);
		t = measure(pluginized, n_slow);
		pluglet_host__set_stats_time(h, false);
		printf("REPLACE trivial, timed (%-4s): %7.2f ns/call  timing %+.2f ns (x%.2f)\n",
		       jit ? "jit" : "int", t, t - empty, t / empty);
		pluglet_host__remove_plugin(h, "bench", err, sizeof(err));
	}
	free(obj);
	free(sum);
	pluglet_host__free(h);
	return 0;
}

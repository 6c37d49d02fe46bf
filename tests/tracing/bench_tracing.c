/* SPDX-License-Identifier: MIT */
/*
 * Benchmark: `cp` of a tracepoint program into tracing/ until it is attached
 * (write and close() on the mount), against plain libbpf open + load +
 * attach of the same object in the same process, runs interleaved.
 * Also the engine's own verb in this process (bpf/engine_tracing.h), to
 * tell what the engine adds from what the FUSE round trips add.
 * Prints the medians and their ratios (docs/performance.md).
 *   bench_tracing OBJ TRACING_DIR RUNS BPFFS_DIR STATE_DIR
 */
#include "engine_tracing.h"

#include <plugfs/clock.h>
#include <plugfs/fileutil.h>

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* open + load + attach with libbpf; detached again after the clock stops */
static double plain_once(const void *obj, size_t len)
{
	struct bpf_object *o;
	struct bpf_program *p;
	struct bpf_link *l = NULL;
	double t0 = plugfs_now_us(), t;

	o = bpf_object__open_mem(obj, len, NULL);
	if (o && !bpf_object__load(o)) {
		p = bpf_object__next_program(o, NULL);
		l = p ? bpf_program__attach(p) : NULL;
	}
	t = plugfs_now_us() - t0;
	if (!l)
		t = -1;
	bpf_link__destroy(l);
	bpf_object__close(o);
	return t;
}

static double cp_once(const void *obj, size_t len, const char *dir, int i)
{
	char path[4096];
	double t0, t;
	int fd;

	snprintf(path, sizeof(path), "%s/bench%d", dir, i);
	t0 = plugfs_now_us();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, obj, len) != (ssize_t)len || close(fd))
		return -1;
	t = plugfs_now_us() - t0;
	unlink(path);
	return t;
}

static double engine_once(struct engine *e, const void *obj, size_t len)
{
	struct engine_trace_opts o = { .sz = sizeof(o), .offset = -1, .retprobe = -1 };
	double t0 = plugfs_now_us(), t;

	if (engine__trace_load(e, "bench", obj, len, &o))
		return -1;
	t = plugfs_now_us() - t0;
	engine__trace_unload(e, "bench");
	return t;
}

int main(int argc, char **argv)
{
	struct engine_opts eo = { .sz = sizeof(eo), .no_spares = true };
	struct engine *e;
	double *a, *b, *c;
	void *obj;
	size_t len;
	int runs, i;

	if (argc != 6 || plugfs_read_file(argv[1], &obj, &len))
		return 2;
	runs = atoi(argv[3]);
	eo.bpffs_dir = argv[4];
	eo.state_dir = argv[5];
	e = engine__new(&eo);
	a = calloc((size_t)runs, sizeof(*a));
	b = calloc((size_t)runs, sizeof(*b));
	c = calloc((size_t)runs, sizeof(*c));
	if (!e || !a || !b || !c || runs < 1)
		return 2;
	libbpf_set_print(NULL);
	for (i = 0; i < runs; i++) {
		a[i] = plain_once(obj, len);
		b[i] = cp_once(obj, len, argv[2], i);
		c[i] = engine_once(e, obj, len);
		if (a[i] < 0 || b[i] < 0 || c[i] < 0) {
			fprintf(stderr, "bench_tracing: run %d failed: %s\n", i, strerror(errno));
			return 1;
		}
	}
	qsort(a, (size_t)runs, sizeof(*a), cmp_double);
	qsort(b, (size_t)runs, sizeof(*b), cmp_double);
	qsort(c, (size_t)runs, sizeof(*c), cmp_double);
	printf("tracepoint program, %d runs (median, p90):\n", runs);
	printf("  libbpf open+load+attach   %8.0f us  %8.0f us\n", a[runs / 2], a[runs * 9 / 10]);
	printf("  cp to tracing/ (attached) %8.0f us  %8.0f us\n", b[runs / 2], b[runs * 9 / 10]);
	printf("  engine verb, no FUSE      %8.0f us  %8.0f us\n", c[runs / 2], c[runs * 9 / 10]);
	printf("  ratio cp / libbpf         %8.2fx (target <= 1.30x)\n", b[runs / 2] / a[runs / 2]);
	printf("  ratio engine / libbpf     %8.2fx\n", c[runs / 2] / a[runs / 2]);
	engine__free(e);
	free(c);
	free(obj);
	free(a);
	free(b);
	return 0;
}

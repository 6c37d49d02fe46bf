/* SPDX-License-Identifier: MIT */
/*
 * Hot swap under load: 4 threads call one insertion point while a writer
 * adds, replaces and removes pluglets (REPLACE and PRE, interpreter and
 * JIT in turn). Every result must come from a whole pluglet (1001, 1002) or
 * from the original body (7); run it under -Dsanitize_build=thread|address
 * to check for races and use-after-free.
 *
 * PLUGLET_STRESS_CALLS (calls per thread, default 200000) and
 * PLUGLET_STRESS_CYCLES (add/replace/remove cycles, default 1000) scale it;
 * the full size is 1000000 and 10000.
 */
#include <pluglet/host.h>
#include <plugfs/log.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NR_THREADS 4

static uint64_t calls_per_thread = 200000;
static uint64_t cycles = 1000;
static pthread_barrier_t start;
static int bad_results;
static int writer_done;
static uint64_t total_calls;
static uint64_t seen[3];	/* body, 1001, 1002 */

static int __attribute__((noinline)) hot(uint64_t *x)
{
	bpf_args_t args[] = {
		{ .arg = x, .len = sizeof(*x), .kind = kind_ptr, .type = 0 },
	};

	VM_CALL(1, args, 1, {
		RETURN_VM_VAL((int)(*x - *x + 7));
	});
}

static void *reader(void *arg)
{
	uint64_t local[3] = { 0 }, x = 3;

	if (arg)
		pluglet_thread_register();	/* half the threads register up front */

	pthread_barrier_wait(&start);
	/* at least calls_per_thread, and for as long as the writer works */
	for (uint64_t i = 0; i < calls_per_thread || !__atomic_load_n(&writer_done, __ATOMIC_ACQUIRE); i++) {
		int r = hot(&x);

		if (r == 7)
			local[0]++;
		else if (r == 1001)
			local[1]++;
		else if (r == 1002)
			local[2]++;
		else
			__atomic_add_fetch(&bad_results, 1, __ATOMIC_RELAXED);
	}
	for (int k = 0; k < 3; k++) {
		__atomic_add_fetch(&seen[k], local[k], __ATOMIC_RELAXED);
		__atomic_add_fetch(&total_calls, local[k], __ATOMIC_RELAXED);
	}
	return NULL;
}

struct blob {
	void *buf;
	size_t len;
};

static struct blob load(const char *name)
{
	char path[512];
	struct blob b = { 0 };
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s.o", HOST_TEST_OBJDIR, name);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	rewind(f);
	b.buf = malloc((size_t)n);
	if (!b.buf || fread(b.buf, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	b.len = (size_t)n;
	fclose(f);
	return b;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

int main(void)
{
	static const struct pluglet_point_def points[] = { { "hot", 1 } };
	struct pluglet_host_opts o = {
		.sz = sizeof(o), .name = "stress", .points = points, .nr_points = 1, .no_control = true,
	};
	struct blob a, b, pre;
	struct pluglet_host *h;
	pthread_t th[NR_THREADS];
	char err[512];
	int fails = 0;

	plog_set_level(PLOG_WARN);	/* one info line per swap otherwise */
	calls_per_thread = env_u64("PLUGLET_STRESS_CALLS", calls_per_thread);
	cycles = env_u64("PLUGLET_STRESS_CYCLES", cycles);
	a = load("s1001");
	b = load("s1002");
	pre = load("trivial");
	h = pluglet_host__new(&o);
	if (!h) {
		perror("pluglet_host__new");
		return 1;
	}
	pthread_barrier_init(&start, NULL, NR_THREADS + 1);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_create(&th[i], NULL, reader, (void *)(uintptr_t)(i & 1));
	pthread_barrier_wait(&start);
	for (uint64_t c = 0; c < cycles; c++) {
		struct pluglet_inject_opts io = { .sz = sizeof(io), .jit = c & 1 };
		int rc;

		rc = pluglet_host__add(h, "hot", PLUGLET_ANCHOR_REPLACE, 1, a.buf, a.len, &io, err, sizeof(err));
		rc = rc ?: pluglet_host__add(h, "hot", PLUGLET_ANCHOR_PRE, 1, pre.buf, pre.len, &io, err, sizeof(err));
		rc = rc ?: pluglet_host__replace(h, "hot", PLUGLET_ANCHOR_REPLACE, 1, b.buf, b.len, &io, err, sizeof(err));
		rc = rc ?: pluglet_host__remove(h, "hot", PLUGLET_ANCHOR_PRE, 1, err, sizeof(err));
		rc = rc ?: pluglet_host__remove(h, "hot", PLUGLET_ANCHOR_REPLACE, 1, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "cycle %llu: %s (%d)\n", (unsigned long long)c, err, rc);
			fails++;
			break;
		}
	}
	__atomic_store_n(&writer_done, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);
	printf("calls >= %llu x %d, cycles %llu: body %llu, 1001 %llu, 1002 %llu, bad %d\n",
	       (unsigned long long)calls_per_thread, NR_THREADS, (unsigned long long)cycles,
	       (unsigned long long)seen[0], (unsigned long long)seen[1], (unsigned long long)seen[2],
	       bad_results);
	if (bad_results || fails)
		fails++;
	if (total_calls < calls_per_thread * NR_THREADS)
		fails++;
	/* the readers ran while the writer worked: they must have met pluglets */
	if (cycles && seen[1] + seen[2] == 0) {
		fprintf(stderr, "no call ran a pluglet\n");
		fails++;
	}
	pluglet_host__free(h);
	pthread_barrier_destroy(&start);
	free(a.buf);
	free(b.buf);
	free(pre.buf);
	printf("%s\n", fails ? "FAIL" : "PASS");
	return fails ? 1 : 0;
}

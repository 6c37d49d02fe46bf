/* SPDX-License-Identifier: MIT */
/*
 * Kernel engine benchmarks, each against a baseline measured in the same run:
 *  - load latency: engine__load of a program (first on a hook: root + attach,
 *    with the spare the engine made ahead and, from a second engine without
 *    spares, cold; and joining an existing chain) vs plain libbpf open +
 *    load + XDP attach of the same object (on the other veth pair, the same
 *    driver), in two regimes: back to back (each measured load after a
 *    plain load), and each the first work after 20 ms idle. The engine is
 *    idle before each; the first-load ratio is the median of each round's
 *    pair;
 *  - overwrite (atomic replace) latency;
 *  - per-packet cost with BPF_PROG_TEST_RUN: the plain program vs chains of
 *    1, 3 and 10 copies run through our root program (the direct build,
 *    once the engine has swapped it in), all four in turn.
 * Runs in a private network namespace on its own veths; needs root.
 *   build/tests/bpf/bench_engine build/tests/bpf/pass.bpf.o
 * BENCH_STATE_ROOT=/dev/shm puts the state dir on tmpfs; BENCH_DEBUG=1 prints
 * the time of each load phase.
 */
#include "bench_args.h"
#include "engine.h"

#include <plugfs/clock.h>
#include <plugfs/log.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 30
#define REPEAT 200000
#define PP_ROUNDS 15

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return v[n / 2];
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Plain libbpf: open + load (+ attach in native XDP when ifindex), the baseline. */
static double plain_load(const void *obj, size_t len, int ifindex, int *prog_fd_out)
{
	struct bpf_object *o;
	struct bpf_program *p;
	struct bpf_link *l;
	double t0 = plugfs_now_us(), t;

	o = bpf_object__open_mem(obj, len, NULL);
	if (!o)
		return -1;
	bpf_object__for_each_program(p, o)
		bpf_program__set_autoload(p, bpf_program__type(p) == BPF_PROG_TYPE_XDP);
	if (bpf_object__load(o)) {
		bpf_object__close(o);
		return -1;
	}
	p = bpf_object__find_program_by_name(o, "xdp_pass");
	l = p && ifindex ? bpf_program__attach_xdp(p, ifindex) : NULL;
	t = plugfs_now_us() - t0;
	if (prog_fd_out && p)
		*prog_fd_out = dup(bpf_program__fd(p));
	bpf_link__destroy(l);
	bpf_object__close(o);
	return l || (p && !ifindex) ? t : -1;
}

static double run_ns(int fd)
{
	unsigned char pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = REPEAT);

	pkt[12] = 0x08;	/* IPv4 ethertype */
	if (bpf_prog_test_run_opts(fd, &o))
		return -1;
	return o.duration;
}

/*
 * Each measured load starts the same way: the engine idle (its spare made
 * again, the last round's roots swapped) and the kernel's deferred frees
 * of programs (RCU) done. Back to back (pause_us 0), one plain load then
 * takes the cost of the first kernel work after the settling, so neither
 * the plain load nor the engine's comes first. After a pause, nothing
 * comes between: each load is the first work after pause_us idle, as a cp
 * typed at a shell is (a plain load there would warm the plain path only).
 */
static void quiesce(struct engine *e, struct engine *ec, unsigned int pause_us,
		    const void *obj, size_t len)
{
	engine__settle(e, 2000);
	engine__settle(ec, 2000);
	usleep(pause_us);
	if (!pause_us)
		plain_load(obj, len, 0, NULL);
}

/* A first load on the hook by an engine without spares, then its removal. */
static int cold_first(struct engine *ec, const void *obj, size_t len, double *us)
{
	double t0 = plugfs_now_us();
	int err = engine__load(ec, "bA", ENGINE_HOOK_XDP, 10, obj, len, NULL);

	*us = plugfs_now_us() - t0;
	if (!err)
		err = engine__unload(ec, "bA", ENGINE_HOOK_XDP, 10);
	return err;
}

int main(int argc, char **argv)
{
	char bpffs[128], state[128], root[256], cmd[600];
	struct engine_opts eo = { .sz = sizeof(eo) }, co;
	double plain[ROUNDS], plain_nl[ROUNDS], first[ROUNDS], cold[ROUNDS], join[ROUNDS], repl[ROUNDS];
	double plain_idle[ROUNDS], first_idle[ROUNDS], ratio[ROUNDS], ratio_idle[ROUNDS];
	double t0;
	double base_ns, chain_ns[3];
	static const char *const chain_if[3] = { "bA", "bB", "bC" };
	int chain_fd[3] = { -1, -1, -1 };
	static const unsigned int chains[3] = { 1, 3, 10 };
	struct engine *e, *ec = NULL;
	uint32_t spare_ids[2];
	int spare_ready = 0;
	unsigned int prio;
	size_t len = 0;
	void *obj;
	int plain_ifindex, i, k, plain_fd = -1, rc = 1;

	rc = bench_args(argc, argv);
	if (rc >= 0)
		return rc;
	rc = 1;
	/* piped into head: carry on to the clean-up of the pins and state */
	signal(SIGPIPE, SIG_IGN);
	obj = slurp(argv[1], &len);
	if (!obj || unshare(CLONE_NEWNET)) {
		perror("bench_engine: set-up");
		return 1;
	}
	/* as tests/lib.sh does: a fresh machine may not have bpffs mounted */
	if (system("mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf")) {
		fprintf(stderr, "bench_engine: no bpffs at /sys/fs/bpf\n");
		return 1;
	}
	if (system("ip link set lo up && ip link add bA type veth peer name bB && "
		   "ip link set bA up && ip link set bB up && "
		   "ip link add bC type veth peer name bD && ip link set bC up && ip link set bD up")) {
		fprintf(stderr, "bench_engine: cannot create the veth\n");
		return 1;
	}
	plain_ifindex = (int)if_nametoindex("bC");
	snprintf(bpffs, sizeof(bpffs), "/sys/fs/bpf/plugfs-bench-%d", getpid());
	snprintf(state, sizeof(state), "%s/plugfs-bench-%d",
		 getenv("BENCH_STATE_ROOT") ? getenv("BENCH_STATE_ROOT") : "/tmp", getpid());
	eo.bpffs_dir = bpffs;
	eo.state_dir = state;
	eo.max_chain = 10;
	plog_set_level(getenv("BENCH_DEBUG") ? PLOG_DEBUG : PLOG_WARN);
	plog_route_libbpf();
	libbpf_set_print(NULL);
	e = engine__new(&eo);
	if (!e)
		return 1;
	/* the cold path: same dirs but -cold, no spares */
	co = eo;
	co.no_spares = true;
	snprintf(bpffs + strlen(bpffs), sizeof(bpffs) - strlen(bpffs), "-cold");
	snprintf(state + strlen(state), sizeof(state) - strlen(state), "-cold");
	co.bpffs_dir = bpffs;
	co.state_dir = state;
	ec = engine__new(&co);
	bpffs[strlen(bpffs) - 5] = state[strlen(state) - 5] = '\0';
	if (!ec)
		goto out;
	engine__spares(e, 2000, spare_ids);

	for (i = 0; i < ROUNDS; i++) {
		/* back to back: what a script of cp sees */
		quiesce(e, ec, 0, obj, len);
		plain_nl[i] = plain_load(obj, len, 0, NULL);
		plain[i] = plain_load(obj, len, plain_ifindex, i ? NULL : &plain_fd);
		quiesce(e, ec, 0, obj, len);
		spare_ready += engine__spares(e, 0, spare_ids) && spare_ids[0];
		t0 = plugfs_now_us();
		if (engine__load(e, "bA", ENGINE_HOOK_XDP, 10, obj, len, NULL))
			goto out;
		first[i] = plugfs_now_us() - t0;
		/* as the daemon does once cp has its answer */
		engine__kick(e);
		t0 = plugfs_now_us();
		if (engine__load(e, "bA", ENGINE_HOOK_XDP, 20, obj, len, NULL))
			goto out;
		join[i] = plugfs_now_us() - t0;
		t0 = plugfs_now_us();
		if (engine__load(e, "bA", ENGINE_HOOK_XDP, 20, obj, len, NULL))
			goto out;
		repl[i] = plugfs_now_us() - t0;
		engine__unload(e, "bA", ENGINE_HOOK_XDP, 20);
		engine__unload(e, "bA", ENGINE_HOOK_XDP, 10);
		quiesce(e, ec, 0, obj, len);
		if (cold_first(ec, obj, len, &cold[i]))
			goto out;

		/* after 20 ms idle: what a cp typed at a shell sees */
		quiesce(e, ec, 20000, obj, len);
		plain_idle[i] = plain_load(obj, len, plain_ifindex, NULL);
		quiesce(e, ec, 20000, obj, len);
		t0 = plugfs_now_us();
		if (engine__load(e, "bA", ENGINE_HOOK_XDP, 10, obj, len, NULL))
			goto out;
		first_idle[i] = plugfs_now_us() - t0;
		engine__kick(e);
		engine__unload(e, "bA", ENGINE_HOOK_XDP, 10);
		if (plain[i] < 0 || plain_nl[i] < 0 || plain_idle[i] < 0)
			goto out;
	}
	/* a host's slow spell lands on a round, not on one of the two kinds:
	 * the ratio is the median of each round's pair */
	for (i = 0; i < ROUNDS; i++) {
		ratio[i] = first[i] / plain[i];
		ratio_idle[i] = first_idle[i] / plain_idle[i];
	}
	printf("load latency (median of %d, us):\n", ROUNDS);
	printf("  back to back (each after a plain load, the engine idle):\n");
	printf("  plain libbpf open+load+attach  %8.1f  (baseline)\n", median(plain, ROUNDS));
	printf("  engine, first on the hook      %8.1f  %.2fx  (median of the rounds' ratios, target <= 1.3x; spare ready in %d/%d rounds)\n",
	       median(first, ROUNDS), median(ratio, ROUNDS), spare_ready, ROUNDS);
	printf("  engine, first, cold (no spare) %8.1f  %.2fx  (+ chain map and root program)\n",
	       median(cold, ROUNDS), median(cold, ROUNDS) / median(plain, ROUNDS));
	printf("  plain libbpf open+load only    %8.1f  (baseline 2: no attach)\n",
	       median(plain_nl, ROUNDS));
	printf("  engine, joining a chain        %8.1f  %.2fx of baseline 2 (nothing to attach)\n",
	       median(join, ROUNDS), median(join, ROUNDS) / median(plain_nl, ROUNDS));
	printf("  engine, overwrite (replace)    %8.1f  %.2fx  (target <= 2000 us)\n",
	       median(repl, ROUNDS), median(repl, ROUNDS) / median(plain, ROUNDS));
	printf("  after 20 ms idle (nothing between the pause and the load):\n");
	printf("  plain libbpf open+load+attach  %8.1f  (baseline)\n", median(plain_idle, ROUNDS));
	printf("  engine, first on the hook      %8.1f  %.2fx  (median of the rounds' ratios)\n",
	       median(first_idle, ROUNDS), median(ratio_idle, ROUNDS));

	/*
	 * The three chains exist at once, on three interfaces, and every round
	 * runs the plain program and each chain once: the host's slow spells
	 * then hit all four alike instead of one of them.
	 */
	for (k = 0; k < 3; k++) {
		for (prio = 1; prio <= chains[k]; prio++)
			if (engine__load(e, chain_if[k], ENGINE_HOOK_XDP, prio, obj, len, NULL))
				goto out;
	}
	/* the direct roots swapped in: the steady state is what is measured */
	if (engine__settle(e, 5000))
		goto out;
	for (k = 0; k < 3; k++) {
		struct bpf_prog_info info = { 0 };
		__u32 ilen = sizeof(info);

		snprintf(root, sizeof(root), "%s/%s/xdp/root", bpffs, chain_if[k]);
		chain_fd[k] = bpf_obj_get(root);
		if (chain_fd[k] < 0 || bpf_obj_get_info_by_fd(chain_fd[k], &info, &ilen) ||
		    strcmp(info.name, "plugfs_xdp_root")) {
			fprintf(stderr, "bench_engine: %s is not the direct root\n", root);
			goto out;
		}
	}
	base_ns = 1e18;
	for (k = 0; k < 3; k++)
		chain_ns[k] = 1e18;
	for (i = 0; i < PP_ROUNDS; i++) {
		double v = run_ns(plain_fd);

		if (v >= 0 && v < base_ns)
			base_ns = v;
		for (k = 0; k < 3; k++) {
			v = run_ns(chain_fd[k]);
			if (v >= 0 && v < chain_ns[k])
				chain_ns[k] = v;
		}
	}
	for (k = 0; k < 3; k++) {
		close(chain_fd[k]);
		chain_fd[k] = -1;
		for (prio = 1; prio <= chains[k]; prio++)
			engine__unload(e, chain_if[k], ENGINE_HOOK_XDP, prio);
	}
	printf("per-packet cost, BPF_PROG_TEST_RUN, best of %d rounds x %d runs, "
	       "the four taking turns (ns):\n", PP_ROUNDS, REPEAT);
	printf("  plain program                  %8.1f  (baseline)\n", base_ns);
	for (k = 0; k < 3; k++)
		printf("  chain of %2u through the root   %8.1f  +%.1f ns per chained program (target <= 10)\n",
		       chains[k], chain_ns[k], (chain_ns[k] - base_ns) / chains[k]);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench_engine: a load failed\n");
	engine__free(e);
	engine__free(ec);
	if (plain_fd >= 0)
		close(plain_fd);
	for (k = 0; k < 3; k++)
		if (chain_fd[k] >= 0)
			close(chain_fd[k]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s %s-cold %s-cold", bpffs, state, bpffs, state);
	if (system(cmd))
		rc = 1;
	free(obj);
	return rc;
}

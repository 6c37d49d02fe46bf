/* SPDX-License-Identifier: MIT */
/*
 * The per-packet cost of counting chained programs (bpf/stats.c), against a
 * baseline measured in the same run: chains of N copies of a program, one
 * loaded by an engine that counts, one by an engine with
 * engine_opts.no_counts (the code of a plugfs without counts), run with
 * BPF_PROG_TEST_RUN through their roots in turn; then the same with
 * kernel.bpf_stats_enabled=1 (the counting chain measures run time; the
 * kernel's own counters of the root cost both chains the same). The
 * sysctl is put back at the end. Runs in a private network namespace on its
 * own veth; needs root.
 *   build/tests/bpf/bench_counts build/tests/bpf/pass.bpf.o
 */
#include "bench_args.h"
#include "engine.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPEAT 100000
#define ROUNDS 41
#define SYSCTL "/proc/sys/kernel/bpf_stats_enabled"

static const unsigned int lengths[] = { 3, 10 };

static int write_sysctl(char v)
{
	int fd = open(SYSCTL, O_WRONLY | O_CLOEXEC);
	int ok = fd >= 0 && write(fd, &v, 1) == 1;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static double run_ns(int fd)
{
	unsigned char pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = REPEAT);

	pkt[12] = 0x08;
	if (bpf_prog_test_run_opts(fd, &o))
		return -1;
	return o.duration;
}

/* A chain of n copies on ifname's xdp hook; the fd of its root. */
static int chain(struct engine *e, const char *bpffs, const char *ifname, unsigned int n,
		 const void *obj, size_t len)
{
	char path[256];
	unsigned int p;

	for (p = 1; p <= n; p++)
		if (engine__load(e, ifname, ENGINE_HOOK_XDP, p, obj, len, NULL))
			return -1;
	if (engine__settle(e, 5000))
		return -1;
	snprintf(path, sizeof(path), "%s/%s/xdp/root", bpffs, ifname);
	return bpf_obj_get(path);
}

static void unchain(struct engine *e, const char *ifname, unsigned int n)
{
	unsigned int p;

	for (p = 1; p <= n; p++)
		engine__unload(e, ifname, ENGINE_HOOK_XDP, p);
}

/* Best of ROUNDS for both roots, taking turns: [0] counted, [1] not. */
static void measure(const int fd[2], double best[2])
{
	int i, k;
	double v;

	best[0] = best[1] = 1e18;
	for (i = 0; i < ROUNDS; i++)
		for (k = 0; k < 2; k++) {
			v = run_ns(fd[k]);
			if (v >= 0 && v < best[k])
				best[k] = v;
		}
}

/* The rows of one chain length: counts only, then counts and run time. */
static int bench_length(struct engine *e[2], char bpffs[2][128], const char *const ifs[2],
			unsigned int n, const void *obj, size_t len)
{
	double off[2], on[2];
	int fd[2], k, rc = -1;

	for (k = 0; k < 2; k++)
		fd[k] = chain(e[k], bpffs[k], ifs[k], n, obj, len);
	if (fd[0] < 0 || fd[1] < 0)
		goto out;
	if (write_sysctl('0'))
		goto out;
	engine__timing(e[0]);
	measure(fd, off);
	if (write_sysctl('1'))
		goto out;
	engine__timing(e[0]);
	measure(fd, on);
	write_sysctl('0');
	engine__timing(e[0]);
	printf("chain of %2u, per packet (ns):\n", n);
	printf("  not counted (no_counts)        %8.1f  (baseline)\n", off[1]);
	printf("  counted                        %8.1f  %+.2f ns per program (target <= +2)\n",
	       off[0], (off[0] - off[1]) / n);
	printf("  bpf_stats_enabled=1, not counted %6.1f  (baseline: the root's own stats)\n", on[1]);
	printf("  bpf_stats_enabled=1, counted+timed %4.1f  %+.2f ns per program\n", on[0],
	       (on[0] - on[1]) / n);
	rc = 0;
out:
	for (k = 0; k < 2; k++) {
		if (fd[k] >= 0)
			close(fd[k]);
		unchain(e[k], ifs[k], n);
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const char *const ifs[2] = { "cA", "cB" };
	struct engine_opts eo[2] = { { .sz = sizeof(eo[0]) }, { .sz = sizeof(eo[0]) } };
	char bpffs[2][128], cmd[400], old = '0';
	struct engine *e[2] = { NULL, NULL };
	size_t len = 0, i;
	int k, rc = 1, fd;
	void *obj = NULL;

	rc = bench_args(argc, argv);
	if (rc >= 0)
		return rc;
	rc = 1;
	if (plugfs_read_file(argv[1], &obj, &len) || unshare(CLONE_NEWNET) ||
	    system("mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf") ||
	    system("ip link set lo up && ip link add cA type veth peer name cB && "
		   "ip link set cA up && ip link set cB up")) {
		fprintf(stderr, "bench_counts: set-up failed\n");
		return 1;
	}
	fd = open(SYSCTL, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &old, 1) != 1)
		old = '0';
	if (fd >= 0)
		close(fd);
	plog_set_level(PLOG_WARN);
	libbpf_set_print(NULL);
	for (k = 0; k < 2; k++) {
		snprintf(bpffs[k], sizeof(bpffs[k]), "/sys/fs/bpf/plugfs-bcount-%d-%d", getpid(), k);
		eo[k].bpffs_dir = bpffs[k];
		eo[k].no_counts = k == 1;
		e[k] = engine__new(&eo[k]);
		if (!e[k])
			goto out;
	}
	printf("per-packet cost of counting, BPF_PROG_TEST_RUN, best of %d rounds x %d runs, "
	       "the two chains taking turns:\n", ROUNDS, REPEAT);
	for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
		if (bench_length(e, bpffs, ifs, lengths[i], obj, len))
			goto out;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench_counts: a load or run failed\n");
	write_sysctl(old);
	for (k = 0; k < 2; k++) {
		engine__free(e[k]);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", bpffs[k]);
		if (system(cmd))
			rc = 1;
	}
	free(obj);
	return rc;
}

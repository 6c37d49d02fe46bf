/* SPDX-License-Identifier: MIT */
/*
 * What the mount adds to a kernel load: `cp` of a program into an XDP
 * chain through the mount (the calls cp(1) makes on its destination; close
 * returns the load's outcome) against the same load by an engine of this process (bpf/'s
 * engine__load(), the daemon's own call), in the same run, the two taking
 * turns. Two kinds: overwrite (atomic replace at a priority that exists)
 * and join (a new priority, removed again untimed). Each measured call is
 * the first work after both engines went idle (a 20 ms pause).
 *
 *   bench_cp_chain MNT_HOOK_DIR ENGINE_IFNAME OBJ_A OBJ_B RUNS WORK_DIR
 *
 * MNT_HOOK_DIR is <mnt>/ifaces/<if>/xdp of a daemon in this network
 * namespace (skb mode); the engine loads on ENGINE_IFNAME in skb mode with
 * its pins and state under WORK_DIR.
 */
#include "engine.h"

#include "../bench_stats.h"

#include <plugfs/clock.h>
#include <plugfs/fileutil.h>
#include <plugfs/log.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define IDLE_US 20000

struct objs {
	void *buf[2];
	size_t len[2];
	int fd[2];			/* the same bytes in a file, cp's source */
};

/*
 * What cp(1) (coreutils 9) does to its destination, in the same calls: is
 * it a directory, does it exist, open (truncating or creating), try a
 * clone, stat a new file, copy, close (which returns the load's outcome).
 */
static int put(const char *target, const void *buf, size_t len, int src)
{
	struct stat st;
	bool exists;
	int fd;

	fd = open(target, O_RDONLY | O_PATH | O_DIRECTORY);
	if (fd >= 0) {
		close(fd);
		return -EISDIR;
	}
	exists = !stat(target, &st);
	fd = open(target, exists ? O_WRONLY | O_TRUNC : O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return -errno;
	(void)ioctl(fd, FICLONE, src);
	if (!exists)
		(void)fstat(fd, &st);
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	return close(fd) ? -errno : 0;
}

static double p50_us(uint64_t *v, int n)
{
	return bench_p50(v, n) / 1e3;
}

/*
 * The same pause before every measured call, mount or engine: this
 * engine's background work (spare chain map, direct root) is waited for,
 * and the pause gives the daemon's engine the time to finish the same work
 * after its last answer, as a cp typed at a shell would.
 */
static void idle(struct engine *e)
{
	engine__settle(e, 2000);
	usleep(IDLE_US);
}

static int run(struct engine *e, const char *ifname, const char *dir, const struct objs *o,
	       int runs, uint64_t *t[4])
{
	char over[512], join[512];
	uint64_t t0;
	int i, err = 0;

	snprintf(over, sizeof(over), "%s/10", dir);
	snprintf(join, sizeof(join), "%s/20", dir);
	if (put(over, o->buf[0], o->len[0], o->fd[0]) ||
	    engine__load(e, ifname, ENGINE_HOOK_XDP, 10, o->buf[0], o->len[0], NULL))
		return -EIO;
	for (i = 0; i < runs && !err; i++) {
		const void *b = o->buf[(i + 1) & 1];
		size_t l = o->len[(i + 1) & 1];
		int src = o->fd[(i + 1) & 1];

		idle(e);
		t0 = plugfs_now_ns();
		err = engine__load(e, ifname, ENGINE_HOOK_XDP, 10, b, l, NULL);
		t[0][i] = plugfs_now_ns() - t0;
		idle(e);
		t0 = plugfs_now_ns();
		err = err ?: put(over, b, l, src);
		t[1][i] = plugfs_now_ns() - t0;
		idle(e);
		t0 = plugfs_now_ns();
		err = err ?: engine__load(e, ifname, ENGINE_HOOK_XDP, 20, b, l, NULL);
		t[2][i] = plugfs_now_ns() - t0;
		idle(e);
		t0 = plugfs_now_ns();
		err = err ?: put(join, b, l, src);
		t[3][i] = plugfs_now_ns() - t0;
		err = err ?: engine__unload(e, ifname, ENGINE_HOOK_XDP, 20);
		err = err ?: (unlink(join) ? -errno : 0);
	}
	engine__unload(e, ifname, ENGINE_HOOK_XDP, 10);
	unlink(over);
	return err;
}

int main(int argc, char **argv)
{
	struct engine_opts eo = { .sz = sizeof(eo), .max_chain = 10, .xdp_mode = "skb" };
	char bpffs[256], state[256];
	uint64_t *t[4];
	struct objs o;
	struct engine *e;
	int runs, i, err;

	if (argc != 7) {
		fprintf(stderr, "usage: bench_cp_chain MNT_HOOK_DIR ENGINE_IFNAME OBJ_A OBJ_B RUNS WORK_DIR\n");
		return 2;
	}
	runs = atoi(argv[5]);
	if (runs < 1 || plugfs_read_file(argv[3], &o.buf[0], &o.len[0]) ||
	    plugfs_read_file(argv[4], &o.buf[1], &o.len[1]))
		return 2;
	for (i = 0; i < 2; i++) {
		o.fd[i] = memfd_create("obj", 0);
		if (o.fd[i] < 0 || write(o.fd[i], o.buf[i], o.len[i]) != (ssize_t)o.len[i])
			return 1;
	}
	plog_set_level(PLOG_WARN);
	plog_route_libbpf();
	snprintf(bpffs, sizeof(bpffs), "/sys/fs/bpf/plugfs-bench-cp-%d", (int)getpid());
	snprintf(state, sizeof(state), "%s/engine-state", argv[6]);
	eo.bpffs_dir = bpffs;
	eo.state_dir = state;
	e = engine__new(&eo);
	if (!e)
		return 1;
	for (i = 0; i < 4; i++)
		t[i] = calloc((size_t)runs, sizeof(*t[i]));
	err = run(e, argv[2], argv[1], &o, runs, t);
	engine__free(e);
	rmdir(bpffs);
	if (err) {
		fprintf(stderr, "bench_cp_chain: %s\n", strerror(-err));
		return 1;
	}
	printf("cp into an XDP chain (skb mode), p50 of %d, the two taking turns:\n", runs);
	for (i = 0; i < 2; i++) {
		double eng = p50_us(t[2 * i], runs), mnt = p50_us(t[2 * i + 1], runs);

		printf("  %-9s engine__load %7.1f us   cp through the mount %7.1f us   overhead %+7.1f us (%.2fx)\n",
		       i ? "join" : "overwrite", eng, mnt, mnt - eng, mnt / eng);
	}
	for (i = 0; i < 4; i++)
		free(t[i]);
	return 0;
}

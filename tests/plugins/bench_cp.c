/* SPDX-License-Identifier: MIT */
/*
 * Latency of a write into the mount, open + write + close, which is what
 * `cp` does and what returns once every host runs the pluglet (or the
 * kernel runs the program). Alternates two objects so that every close is
 * a real replace. Prints p50/p99 against the same write to a plain file.
 *
 *   bench_cp TARGET OBJ_A OBJ_B RUNS BASELINE_FILE LABEL
 */
#include "../bench_stats.h"

#include <plugfs/clock.h>
#include <plugfs/fileutil.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *len)
{
	void *b;
	int err = plugfs_read_file(path, &b, len);

	if (err) {
		fprintf(stderr, "%s: %s\n", path, strerror(-err));
		exit(1);
	}
	return b;
}

static int put(const char *target, const char *buf, size_t len)
{
	int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	return close(fd) ? -errno : 0;
}

static void measure(const char *target, char *bufs[2], size_t lens[2], int runs, uint64_t *p50,
		    uint64_t *p99)
{
	uint64_t *t = calloc(runs, sizeof(*t));
	int i, err;

	for (i = 0; i < runs; i++) {
		uint64_t t0 = plugfs_now_ns();

		err = put(target, bufs[i & 1], lens[i & 1]);
		t[i] = plugfs_now_ns() - t0;
		if (err) {
			fprintf(stderr, "write to %s failed: %s\n", target, strerror(-err));
			exit(1);
		}
	}
	*p50 = bench_p50(t, runs);
	*p99 = t[(runs * 99) / 100];
	free(t);
}

int main(int argc, char **argv)
{
	char *bufs[2];
	size_t lens[2];
	uint64_t p50, p99, b50, b99;
	int runs;

	if (argc != 7) {
		fprintf(stderr, "usage: bench_cp TARGET OBJ_A OBJ_B RUNS BASELINE_FILE LABEL\n");
		return 2;
	}
	bufs[0] = slurp(argv[2], &lens[0]);
	bufs[1] = slurp(argv[3], &lens[1]);
	runs = atoi(argv[4]);
	measure(argv[5], bufs, lens, runs, &b50, &b99);
	measure(argv[1], bufs, lens, runs, &p50, &p99);
	printf("%-28s p50 %8.3f ms  p99 %8.3f ms  (plain file p50 %.3f ms, ratio %.1fx)\n", argv[6],
	       p50 / 1e6, p99 / 1e6, b50 / 1e6, (double)p50 / (b50 ? b50 : 1));
	free(bufs[0]);
	free(bufs[1]);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Metadata operations on the mount against the same operations on a plain
 * directory, in the same run: stat() of a path (lookup + getattr), and a
 * full listing (opendir + readdir + closedir).
 *
 *   bench_meta LABEL PATH DIR BASE_PATH BASE_DIR RUNS
 */
#include "../bench_stats.h"

#include <plugfs/clock.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static uint64_t median_stat(const char *path, int runs)
{
	uint64_t *t = calloc(runs, sizeof(*t)), m;
	struct stat st;

	for (int i = 0; i < runs; i++) {
		uint64_t t0 = plugfs_now_ns();

		if (stat(path, &st)) {
			perror(path);
			exit(1);
		}
		t[i] = plugfs_now_ns() - t0;
	}
	m = bench_p50(t, runs);
	free(t);
	return m;
}

static uint64_t median_list(const char *dir, int runs, int *entries)
{
	uint64_t *t = calloc(runs, sizeof(*t)), m;

	for (int i = 0; i < runs; i++) {
		uint64_t t0 = plugfs_now_ns();
		DIR *d = opendir(dir);
		int n = 0;

		if (!d) {
			perror(dir);
			exit(1);
		}
		while (readdir(d))
			n++;
		closedir(d);
		t[i] = plugfs_now_ns() - t0;
		*entries = n - 2;
	}
	m = bench_p50(t, runs);
	free(t);
	return m;
}

int main(int argc, char **argv)
{
	uint64_t s, bs, l, bl;
	int runs, n, bn;

	if (argc != 7) {
		fprintf(stderr, "usage: bench_meta LABEL PATH DIR BASE_PATH BASE_DIR RUNS\n");
		return 2;
	}
	runs = atoi(argv[6]);
	bs = median_stat(argv[4], runs);
	s = median_stat(argv[2], runs);
	bl = median_list(argv[5], runs, &bn);
	l = median_list(argv[3], runs, &n);
	printf("%-24s stat %7.1f us (plain %5.1f us, %5.1fx)   list of %d %7.1f us (plain %5.1f us, %5.1fx)\n",
	       argv[1], s / 1e3, bs / 1e3, (double)s / (bs ? bs : 1), n, l / 1e3, bl / 1e3,
	       (double)l / (bl ? bl : 1));
	(void)bn;
	return 0;
}

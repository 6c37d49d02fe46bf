/* SPDX-License-Identifier: MIT */
/* The median the C benchmarks print: sorts the samples in place. */
#ifndef PLUGFS_TESTS_BENCH_STATS_H
#define PLUGFS_TESTS_BENCH_STATS_H

#include <stdint.h>
#include <stdlib.h>

static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v and returns its median (the upper one of an even count). */
static inline uint64_t bench_p50(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_u64);
	return v[n / 2];
}

#endif

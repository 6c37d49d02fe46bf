/*
 * Benchmark pluglet: a REPLACE that does what the benchmark's function
 * body does (*p + key) through its argument table, so it pays for the
 * argument view and regions a real pluglet needs.
 */
#include <pluglet/pluglet.h>

uint64_t sum_args(const struct pluglet_args *args)
{
	const int *p = (const int *)args->arg[0].ptr;
	const int *key = (const int *)args->arg[1].ptr;

	return (uint64_t)(*p + *key + MARK);
}

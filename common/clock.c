/* SPDX-License-Identifier: MIT */
/* The monotonic clock behind every timeout, deadline and measurement. */
#include <plugfs/clock.h>

#include <time.h>

uint64_t plugfs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* SPDX-License-Identifier: MIT */
/* The one monotonic clock every component measures time and deadlines with. */
#ifndef PLUGFS_CLOCK_H
#define PLUGFS_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t plugfs_now_ns(void);

/* CLOCK_MONOTONIC in microseconds, as a double for intervals and averages. */
static inline double plugfs_now_us(void)
{
	return (double)plugfs_now_ns() / 1e3;
}

#endif

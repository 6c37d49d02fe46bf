/* SPDX-License-Identifier: MIT */
/*
 * The C integration tests' checks, as the shell tests print them
 * (tests/lib.sh): one "ok - " or "not ok - " line per check, and the
 * number of failures for the exit code.
 */
#ifndef PLUGFS_TESTS_TAP_H
#define PLUGFS_TESTS_TAP_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (cond) {                                                                \
			printf("ok - ");                                                   \
		} else {                                                                   \
			printf("not ok - ");                                               \
			failures++;                                                        \
		}                                                                          \
		printf(__VA_ARGS__);                                                       \
		printf("\n");                                                              \
	} while (0)

#endif

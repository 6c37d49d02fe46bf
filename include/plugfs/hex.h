/* SPDX-License-Identifier: MIT */
/* Hex bytes as users write them (global values, memory for pluglet-run). */
#ifndef PLUGFS_HEX_H
#define PLUGFS_HEX_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Decodes "01020304", "0x01 02 03" or "de:ad:be:ef": an optional 0x first,
 * then pairs of hex digits, with white space or ':' allowed between pairs.
 * Returns the number of bytes, -EINVAL for anything else (an odd digit, a
 * stray character), -E2BIG when out_size is too small.
 */
ssize_t plugfs_hex_decode(const char *hex, void *out, size_t out_size);

/* Lower-case hex of n bytes; out holds 2 * n + 1 bytes. */
void plugfs_hex_encode(const void *data, size_t n, char *out);

#endif

/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4), for the object digests shown by `cat`. */
#ifndef PLUGFS_SHA256_H
#define PLUGFS_SHA256_H

#include <stddef.h>
#include <stdint.h>

void plugfs_sha256(const void *data, size_t len, uint8_t out[32]);
/* Lower-case hex digest, NUL-terminated. */
void plugfs_sha256_hex(const void *data, size_t len, char out[65]);

#endif

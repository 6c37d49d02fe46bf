/* SPDX-License-Identifier: MIT */
/* Hex text <-> bytes (include/plugfs/hex.h). */
#include <plugfs/hex.h>

#include <ctype.h>
#include <errno.h>
#include <string.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

ssize_t plugfs_hex_decode(const char *hex, void *out, size_t out_size)
{
	unsigned char *o = out;
	size_t n = 0;

	if (!strncmp(hex, "0x", 2) || !strncmp(hex, "0X", 2))
		hex += 2;
	while (*hex) {
		int hi, lo;

		if (isspace((unsigned char)*hex) || *hex == ':') {
			hex++;
			continue;
		}
		hi = hexval((unsigned char)hex[0]);
		lo = hex[1] ? hexval((unsigned char)hex[1]) : -1;
		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (n >= out_size)
			return -E2BIG;
		o[n++] = (unsigned char)(hi << 4 | lo);
		hex += 2;
	}
	return (ssize_t)n;
}

void plugfs_hex_encode(const void *data, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *d = data;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

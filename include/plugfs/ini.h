/* SPDX-License-Identifier: MIT */
/*
 * The one strict ini reader for every file plugfs parses (load manifests,
 * host manifests, run files, state files, the daemon's config), on top of
 * inih. A key handler returns 0 to go on or -errno with a reason; the first
 * failure stops the parse and its reason comes back with its line:
 * "bad value for 'seq': 'x' on line 3". Syntax errors name their line too,
 * A key = value line longer than inih's buffer (INI_MAX_LINE) arrives whole;
 * any other line that long is refused, never cut.
 *
 * Values are checked with the parsers below: whole string, no silent
 * truncation, no sign where none belongs.
 */
#ifndef PLUGFS_INI_H
#define PLUGFS_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* err is err_size bytes for the reason (the line is added by the parser). */
typedef int (*plugfs_ini_key_fn)(void *cookie, const char *section, const char *key,
				 const char *value, char *err, size_t err_size);

/* 0, the handler's -errno, or -EINVAL for a syntax error; reason in err. */
int plugfs_ini_parse_string(const char *text, plugfs_ini_key_fn fn, void *cookie, char *err,
			    size_t err_size);
/* As above for a file; -errno of open() when it cannot be read. */
int plugfs_ini_parse_file(const char *path, plugfs_ini_key_fn fn, void *cookie, char *err,
			  size_t err_size);

/* Decimal ("010" is ten), or hex after 0x: the whole string, nothing around
 * it, at most max. -EINVAL, -ERANGE. */
int plugfs_parse_u64(const char *s, uint64_t max, uint64_t *out);
int plugfs_parse_u32(const char *s, uint32_t *out);
/* true/yes/on/1, false/no/off/0 (any case); -EINVAL otherwise. */
int plugfs_parse_bool(const char *s, bool *out);
/* Copies s into dst; -ENAMETOOLONG when it does not fit. */
int plugfs_set_str(char *dst, size_t size, const char *s);

#endif

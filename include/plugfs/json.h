/* SPDX-License-Identifier: MIT */
/*
 * A streaming JSON writer for the reports' JSON form (`<entry>.json`).
 * Like strbuf, it never fails loudly: the first error (allocation, a value
 * outside an object or array, unbalanced nesting) is kept and returned by
 * jsonw__finish(), so a report builder checks once at the end.
 *
 *	struct jsonw w;
 *	jsonw__init(&w, &sb);
 *	jsonw__begin_object(&w, NULL);
 *	jsonw__string(&w, "name", "xdp_pass");
 *	jsonw__u64(&w, "id", 42);
 *	jsonw__begin_array(&w, "maps");
 *	jsonw__u64(&w, NULL, 7);
 *	jsonw__end(&w);
 *	jsonw__end(&w);
 *	err = jsonw__finish(&w);	// sb holds {"name":"xdp_pass","id":42,"maps":[7]}
 *
 * Inside an object every value needs a key; inside an array keys are NULL.
 * Strings are escaped as RFC 8259 asks (quote, backslash, control bytes);
 * bytes that are not valid UTF-8 are written as \u00XX of the byte, so any
 * name a kernel or a host hands us still gives a document jq can parse.
 */
#ifndef PLUGFS_JSON_H
#define PLUGFS_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <plugfs/strbuf.h>

#define JSONW_MAX_DEPTH 32

struct jsonw {
	struct strbuf *sb;
	unsigned int depth;
	bool in_array[JSONW_MAX_DEPTH];
	bool has_items[JSONW_MAX_DEPTH];
	bool done;		/* the top-level value is complete */
	int err;
};

void jsonw__init(struct jsonw *w, struct strbuf *sb);
void jsonw__begin_object(struct jsonw *w, const char *key);
void jsonw__begin_array(struct jsonw *w, const char *key);
/* Closes the innermost object or array. */
void jsonw__end(struct jsonw *w);
/* A NULL string is written as null. */
void jsonw__string(struct jsonw *w, const char *key, const char *s);
/* A string of n bytes (may hold NULs, escaped). */
void jsonw__string_n(struct jsonw *w, const char *key, const char *s, size_t n);
void jsonw__u64(struct jsonw *w, const char *key, uint64_t v);
void jsonw__i64(struct jsonw *w, const char *key, int64_t v);
/* Non-finite values are written as null (JSON has no NaN). */
void jsonw__double(struct jsonw *w, const char *key, double v);
void jsonw__bool(struct jsonw *w, const char *key, bool v);
void jsonw__null(struct jsonw *w, const char *key);
/* 0, or the first error (-ENOMEM, -EINVAL for misuse); appends a newline. */
int jsonw__finish(struct jsonw *w);

#endif

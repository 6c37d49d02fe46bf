/* SPDX-License-Identifier: MIT */
/*
 * A growing string: reports, replies and file contents are built with it.
 * Appends never fail loudly: the first allocation failure is kept in `err`
 * and later appends do nothing, so a builder checks once at the end.
 *
 * A buffer made with strbuf__init_fixed() writes into the caller's array
 * and never allocates: it truncates like snprintf, keeps the text
 * NUL-terminated and still counts the full length in `len`.
 */
#ifndef PLUGFS_STRBUF_H
#define PLUGFS_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;			/* NUL-terminated once anything is appended */
	size_t len;			/* bytes appended (fixed: wanted, even if cut) */
	size_t cap;
	int err;			/* 0, or -ENOMEM once an append failed */
	bool fixed;
};

#define STRBUF_INIT { 0 }

void strbuf__init_fixed(struct strbuf *sb, char *buf, size_t size);
int strbuf__put(struct strbuf *sb, const void *data, size_t n);
int strbuf__puts(struct strbuf *sb, const char *s);
int strbuf__printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strbuf__vprintf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hands the text over (malloc'ed, NUL-terminated, never NULL on success);
 * NULL with errno ENOMEM when an append failed. The buffer is empty after. */
char *strbuf__detach(struct strbuf *sb, size_t *len);
void strbuf__fini(struct strbuf *sb);

/* snprintf for paths and names: 0, or -ENAMETOOLONG when it did not fit. */
int plugfs_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif

/* SPDX-License-Identifier: MIT */
/* Growing and fixed-size string builders (include/plugfs/strbuf.h). */
#include <plugfs/strbuf.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf__init_fixed(struct strbuf *sb, char *buf, size_t size)
{
	*sb = (struct strbuf){ .buf = buf, .cap = size, .fixed = true };
	if (size)
		buf[0] = '\0';
}

/* Room for n more bytes and a NUL; false when a growing buffer cannot get it. */
static bool reserve(struct strbuf *sb, size_t n)
{
	size_t want = sb->len + n + 1, cap;
	char *nb;

	if (sb->fixed || want <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 256;
	while (cap < want)
		cap *= 2;
	nb = realloc(sb->buf, cap);
	if (!nb) {
		sb->err = -ENOMEM;
		return false;
	}
	sb->buf = nb;
	sb->cap = cap;
	return true;
}

/* A fixed buffer keeps what fits and counts the rest. */
static void put_fixed(struct strbuf *sb, const void *data, size_t n)
{
	if (sb->len + 1 < sb->cap) {
		size_t room = sb->cap - 1 - sb->len;
		size_t k = n < room ? n : room;

		memcpy(sb->buf + sb->len, data, k);
		sb->buf[sb->len + k] = '\0';
	}
	sb->len += n;
}

int strbuf__put(struct strbuf *sb, const void *data, size_t n)
{
	if (sb->err)
		return sb->err;
	if (sb->fixed) {
		put_fixed(sb, data, n);
		return 0;
	}
	if (!reserve(sb, n))
		return sb->err;
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int strbuf__puts(struct strbuf *sb, const char *s)
{
	return strbuf__put(sb, s, strlen(s));
}

int strbuf__vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	if (sb->err)
		return sb->err;
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -EINVAL;
	if (sb->fixed) {
		size_t room = sb->len < sb->cap ? sb->cap - sb->len : 0;

		if (room)
			vsnprintf(sb->buf + sb->len, room, fmt, ap);
		sb->len += (size_t)n;
		return 0;
	}
	if (!reserve(sb, (size_t)n))
		return sb->err;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int strbuf__printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = strbuf__vprintf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

char *strbuf__detach(struct strbuf *sb, size_t *len)
{
	char *out;

	if (sb->fixed || sb->err || !reserve(sb, 0)) {
		strbuf__fini(sb);
		errno = ENOMEM;
		return NULL;
	}
	sb->buf[sb->len] = '\0';
	out = sb->buf;
	if (len)
		*len = sb->len;
	*sb = (struct strbuf)STRBUF_INIT;
	return out;
}

void strbuf__fini(struct strbuf *sb)
{
	if (!sb->fixed)
		free(sb->buf);
	*sb = (struct strbuf)STRBUF_INIT;
}

int plugfs_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return (size_t)n < size ? 0 : -ENAMETOOLONG;
}

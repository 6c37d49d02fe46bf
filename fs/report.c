/* SPDX-License-Identifier: MIT */
/* Reports (backend.h) built with the common string builder. */
#include "backend.h"

#include <plugfs/strbuf.h>

#include <errno.h>
#include <stdarg.h>

int fs_report_printf(struct fs_report *r, const char *fmt, ...)
{
	/* A report holds len + 1 bytes (its text and the NUL): that is all the
	 * builder needs to know to grow it. */
	struct strbuf sb = { .buf = r->buf, .len = r->len, .cap = r->buf ? r->len + 1 : 0 };
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = strbuf__vprintf(&sb, fmt, ap);
	va_end(ap);
	r->buf = sb.buf;
	r->len = sb.len;
	return rc;
}

int fs_report_take(struct fs_report *r, struct strbuf *sb)
{
	r->buf = strbuf__detach(sb, &r->len);
	return r->buf ? 0 : -ENOMEM;
}

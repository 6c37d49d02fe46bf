/* SPDX-License-Identifier: MIT */
#include "backend.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Reports are a few hundred bytes: one realloc per line is cheap enough and
 * keeps struct fs_report free of a capacity field. */
int fs_report_printf(struct fs_report *r, const char *fmt, ...)
{
	va_list ap;
	char *nb;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	nb = realloc(r->buf, r->len + n + 1);
	if (!nb)
		return -ENOMEM;
	r->buf = nb;
	va_start(ap, fmt);
	vsnprintf(r->buf + r->len, n + 1, fmt, ap);
	va_end(ap);
	r->len += n;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* libbpf glue: its messages go through our log, its errors become errnos. */
#include <plugfs/log.h>

#include <bpf/libbpf.h>
#include <errno.h>

/* libbpf hands us its own format strings. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum plog_level l = level == LIBBPF_WARN ? PLOG_WARN :
			    level == LIBBPF_INFO ? PLOG_INFO : PLOG_DEBUG;

	plogv(l, fmt, ap);
	return 0;
}
#pragma GCC diagnostic pop

void plog_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

int plugfs_errno_from_libbpf(int err)
{
	if (err >= 0)
		return err;
	if (-err >= 4000)	/* libbpf's own codes: a bad object */
		return -EINVAL;
	if (err == -EACCES)	/* the verifier refused it */
		return -EINVAL;
	return err;
}

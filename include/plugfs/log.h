/* SPDX-License-Identifier: MIT */
/*
 * One logging family for every plugfs component. Messages go to stderr by
 * default; the daemon adds a sink that also keeps them in the ring shown by
 * <mnt>/log. Levels follow syslog order so `-v` can raise the threshold.
 */
#ifndef PLUGFS_LOG_H
#define PLUGFS_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum plog_level {
	PLOG_WARN = 0,
	PLOG_INFO = 1,
	PLOG_DEBUG = 2,
};

/* A sink sees every message at or below the threshold, already formatted. */
typedef void (*plog_sink_fn)(enum plog_level level, const char *msg, void *cookie);

void plog_set_level(enum plog_level level);
enum plog_level plog_get_level(void);
void plog_set_prefix(const char *prefix);
/* Replaces the sink; NULL restores stderr. */
void plog_set_sink(plog_sink_fn fn, void *cookie);
/* Also print to stderr when a sink is set (daemon in the foreground). */
void plog_set_stderr(int on);
/* Drops this thread's messages while on: work done ahead of time whose
 * failure the real attempt reports again (bpf/tracing.c, prepared loads). */
void plog_mute(bool on);

void plog(enum plog_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void plogv(enum plog_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define pr_warn(fmt, ...)  plog(PLOG_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  plog(PLOG_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) plog(PLOG_DEBUG, fmt, ##__VA_ARGS__)

/* Route libbpf's own messages through plog (call once at start). */
void plog_route_libbpf(void);
/* A libbpf error as the errno a user should see: libbpf's own codes (a bad
 * object) and the verifier's EACCES become -EINVAL (common/log_libbpf.c). */
int plugfs_errno_from_libbpf(int err);

#endif

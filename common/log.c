/* SPDX-License-Identifier: MIT */
/* The logging family: levels, a prefix, stderr and one optional sink. */
#include <plugfs/log.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum plog_level cur_level = PLOG_INFO;
static char cur_prefix[32] = "plugfs";
static plog_sink_fn cur_sink;
static void *cur_cookie;
static int also_stderr = 1;

void plog_set_level(enum plog_level level) { cur_level = level; }
enum plog_level plog_get_level(void) { return cur_level; }

void plog_set_prefix(const char *prefix)
{
	snprintf(cur_prefix, sizeof(cur_prefix), "%s", prefix ? prefix : "");
}

void plog_set_sink(plog_sink_fn fn, void *cookie)
{
	cur_sink = fn;
	cur_cookie = cookie;
}

void plog_set_stderr(int on) { also_stderr = on; }

static const char *const level_names[] = { "warn", "info", "debug" };

static __thread bool muted;

void plog_mute(bool on)
{
	muted = on;
}

void plogv(enum plog_level level, const char *fmt, va_list ap)
{
	char msg[4096];
	size_t n;

	if (level > cur_level || muted)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Callers may or may not end with a newline (libbpf does); store none. */
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (cur_sink)
		cur_sink(level, msg, cur_cookie);
	if (!cur_sink || also_stderr)
		fprintf(stderr, "%s: %s: %s\n", cur_prefix, level_names[level], msg);
}

void plog(enum plog_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plogv(level, fmt, ap);
	va_end(ap);
}

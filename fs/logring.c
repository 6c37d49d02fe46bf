/* SPDX-License-Identifier: MIT */
/* The ring of recent messages behind <mnt>/log (logring.h), fed as a log sink. */
#include "logring.h"

#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static char **ring;
static unsigned int ring_cap, ring_head, ring_count;

static const char *const level_names[] = { "warn", "info", "debug" };

static void ring_sink(enum plog_level level, const char *msg, void *cookie)
{
	char stamp[32], *line;
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&line, "%s.%03ldZ %s %s\n", stamp, ts.tv_nsec / 1000000,
		     level_names[level], msg) < 0)
		return;

	pthread_mutex_lock(&ring_lock);
	if (!ring) {
		pthread_mutex_unlock(&ring_lock);
		free(line);
		return;
	}
	free(ring[ring_head]);
	ring[ring_head] = line;
	ring_head = (ring_head + 1) % ring_cap;
	if (ring_count < ring_cap)
		ring_count++;
	pthread_mutex_unlock(&ring_lock);
}

int logring_init(unsigned int lines)
{
	ring = calloc(lines, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	ring_cap = lines;
	plog_set_sink(ring_sink, NULL);
	return 0;
}

void logring_fini(void)
{
	unsigned int i;

	plog_set_sink(NULL, NULL);
	pthread_mutex_lock(&ring_lock);
	for (i = 0; ring && i < ring_cap; i++)
		free(ring[i]);
	free(ring);
	ring = NULL;
	pthread_mutex_unlock(&ring_lock);
}

int logring_snapshot(char **buf, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned int i, start;

	pthread_mutex_lock(&ring_lock);
	start = (ring_head + ring_cap - ring_count) % (ring_cap ? ring_cap : 1);
	for (i = 0; i < ring_count; i++)
		strbuf__puts(&sb, ring[(start + i) % ring_cap]);
	pthread_mutex_unlock(&ring_lock);
	*buf = strbuf__detach(&sb, len);
	return *buf ? 0 : -ENOMEM;
}

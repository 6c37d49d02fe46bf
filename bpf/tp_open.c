/* SPDX-License-Identifier: MIT */
/*
 * Tracepoint perf events, opened on a helper thread while the verb's thread
 * loads the object.
 *
 * The first perf event of a tracepoint registers the tracepoint's probe:
 * static keys flipped by text pokes that synchronise every CPU, per-CPU
 * buffers allocated. That is 200-250 us on our VMs, a third of a whole
 * open + load + attach, and as long as the program load; the two need
 * nothing from each other until the link joins them. So a tracing/ load
 * hands its tracepoints to this thread before it loads and takes the perf
 * events when it attaches (bpf/tracing.c). The thread lives as long as the
 * engine: waking a sleeping thread costs the waker a few microseconds,
 * starting one costs a clone and a stack on the path.
 */
#include "tp_open.h"


#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const tracefs_dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

struct tp_opener {
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a batch came, or stop */
	pthread_cond_t done_cond;	/* the batch is done */
	pthread_t tid;
	struct tp_open_req *reqs;	/* the batch in work; NULL: none */
	size_t n;
	bool done;
	bool stop;
	int off_cpu;			/* the CPU its mask leaves out; -1: none */
};

/* A name that stays one path component of tracefs' events/ (an event may
 * not climb out of its category either). */
static bool tp_name_ok(const char *s, bool slash_ok)
{
	return s && *s && strcmp(s, ".") && !strstr(s, "..") && (slash_ok || !strchr(s, '/'));
}

/* The tracepoint's id from <tracefs>/events/CAT/EVENT/id. */
static int tp_id(const char *category, const char *event)
{
	char path[PATH_MAX], buf[32];
	int err = -ENOENT;
	size_t i;

	for (i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++) {
		ssize_t n;
		char *end;
		long id;
		int fd;

		if (snprintf(path, sizeof(path), "%s/events/%s/%s/id", tracefs_dirs[i], category,
			     event) >= (int)sizeof(path))
			return -ENAMETOOLONG;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			/* the first answer counts unless that tracefs is missing */
			if (!i)
				err = -errno;
			continue;
		}
		n = read(fd, buf, sizeof(buf) - 1);
		err = n < 0 ? -errno : 0;
		close(fd);
		if (err)
			return err;
		buf[n] = '\0';
		errno = 0;
		id = strtol(buf, &end, 10);
		return errno || end == buf || id < 0 || id > INT32_MAX ? -EINVAL : (int)id;
	}
	return err;
}

int tp_open_perf_event(const char *category, const char *event)
{
	struct perf_event_attr attr;
	int id, fd;

	if (!tp_name_ok(category, false) || !tp_name_ok(event, true))
		return -ENOENT;
	id = tp_id(category, event);
	if (id < 0)
		return id;
	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	attr.config = (__u64)id;
	/* every process, counted on CPU 0: a BPF program runs on every CPU */
	fd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void open_all(struct tp_open_req *reqs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int fd;

		if (!reqs[i].category)
			continue;
		fd = tp_open_perf_event(reqs[i].category, reqs[i].event);
		reqs[i].fd = fd < 0 ? -1 : fd;
		reqs[i].err = fd < 0 ? fd : 0;
	}
}

static void *opener_main(void *arg)
{
	struct tp_opener *o = arg;
	struct tp_open_req *reqs;
	size_t n;

	pthread_mutex_lock(&o->lock);
	for (;;) {
		while (!o->stop && (!o->reqs || o->done))
			pthread_cond_wait(&o->work, &o->lock);
		if (o->stop)
			break;
		reqs = o->reqs;
		n = o->n;
		pthread_mutex_unlock(&o->lock);
		open_all(reqs, n);
		pthread_mutex_lock(&o->lock);
		o->done = true;
		pthread_cond_signal(&o->done_cond);
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

struct tp_opener *tp_opener__new(void)
{
	struct tp_opener *o = calloc(1, sizeof(*o));
	int err;

	if (!o)
		return NULL;
	o->off_cpu = -1;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->work, NULL);
	pthread_cond_init(&o->done_cond, NULL);
	err = pthread_create(&o->tid, NULL, opener_main, o);
	if (err) {
		pthread_cond_destroy(&o->done_cond);
		pthread_cond_destroy(&o->work);
		pthread_mutex_destroy(&o->lock);
		free(o);
		errno = err;
		return NULL;
	}
	return o;
}

void tp_opener__free(struct tp_opener *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&o->lock);
	while (o->reqs && !o->done)
		pthread_cond_wait(&o->done_cond, &o->lock);
	o->stop = true;
	pthread_cond_signal(&o->work);
	pthread_mutex_unlock(&o->lock);
	pthread_join(o->tid, NULL);
	pthread_cond_destroy(&o->done_cond);
	pthread_cond_destroy(&o->work);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

/*
 * The scheduler often wakes the thread on the waker's CPU, where it takes
 * the CPU from the load it should run beside (a whole perf_event_open
 * in the middle of the load). So it may run anywhere but here; the mask
 * is set again only when the submitter moved.
 */
static void keep_off_this_cpu(struct tp_opener *o)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0 || cpu == o->off_cpu || cpu >= CPU_SETSIZE)
		return;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) || CPU_COUNT(&set) < 2)
		return;
	CPU_CLR(cpu, &set);
	if (!pthread_setaffinity_np(o->tid, sizeof(set), &set))
		o->off_cpu = cpu;
}

void tp_opener__submit(struct tp_opener *o, struct tp_open_req *reqs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		reqs[i].fd = -1;
		reqs[i].err = 0;
	}
	if (!o)
		return;
	keep_off_this_cpu(o);
	pthread_mutex_lock(&o->lock);
	o->reqs = reqs;
	o->n = n;
	o->done = false;
	pthread_cond_signal(&o->work);
	pthread_mutex_unlock(&o->lock);
}

void tp_opener__wait(struct tp_opener *o, struct tp_open_req *reqs, size_t n)
{
	if (!o) {
		open_all(reqs, n);
		return;
	}
	pthread_mutex_lock(&o->lock);
	while (o->reqs == reqs && !o->done)
		pthread_cond_wait(&o->done_cond, &o->lock);
	o->reqs = NULL;
	pthread_mutex_unlock(&o->lock);
}

/* SPDX-License-Identifier: MIT */
/*
 * Stream entries (stream.h). Locks: s->lock is taken before the backend's
 * reader lock (stream_read, stream_ready run under it) and after the
 * backend's own locks (fs_stream_wake is called under them); libfuse calls
 * the interrupt function with the request's lock held, and nothing here
 * takes a request's lock under s->lock.
 */
#include "stream.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>

struct fs_stream {
	pthread_mutex_t lock;
	const struct fs_backend_ops *ops;
	void *reader;
	fuse_req_t pending;		/* a parked read */
	size_t pending_size;
	struct fuse_pollhandle *ph;	/* a poll() waiting for data */
};

int fs_stream__open(const struct fs_domain *d, const char *group, unsigned int sub,
		    const char *name, struct fs_stream **out)
{
	struct fs_stream *s;
	int err;

	if (!d->ops->stream_open)
		return FS_NOT_A_STREAM;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->ops = d->ops;
	err = d->ops->stream_open(d->priv, group, sub, name, s, &s->reader);
	if (err) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

/* Under s->lock: answers req if the reader has data or an error. */
static bool try_answer(struct fs_stream *s, fuse_req_t req, size_t size)
{
	char *buf = malloc(size ? size : 1);
	ssize_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return true;
	}
	n = s->ops->stream_read(s->reader, buf, size);
	if (n > 0)
		fuse_reply_buf(req, buf, (size_t)n);
	else if (n < 0)
		fuse_reply_err(req, (int)-n);
	free(buf);
	return n != 0;
}

static void stream_interrupt(fuse_req_t req, void *data)
{
	struct fs_stream *s = data;

	pthread_mutex_lock(&s->lock);
	if (s->pending == req) {
		s->pending = NULL;
		fuse_reply_err(req, EINTR);
	}
	pthread_mutex_unlock(&s->lock);
}

void fs_stream__read(struct fs_stream *s, fuse_req_t req, size_t size, bool nonblock)
{
	/* before s->lock: libfuse may call stream_interrupt at once */
	fuse_req_interrupt_func(req, stream_interrupt, s);
	pthread_mutex_lock(&s->lock);
	if (s->pending)
		fuse_reply_err(req, EBUSY);	/* one read at a time per open file */
	else if (try_answer(s, req, size))
		;
	else if (nonblock)
		fuse_reply_err(req, EAGAIN);
	else if (fuse_req_interrupted(req))
		fuse_reply_err(req, EINTR);
	else {
		s->pending = req;
		s->pending_size = size;
	}
	pthread_mutex_unlock(&s->lock);
}

void fs_stream__poll(struct fs_stream *s, fuse_req_t req, struct fuse_pollhandle *ph)
{
	bool ready;

	pthread_mutex_lock(&s->lock);
	if (ph) {
		if (s->ph)
			fuse_pollhandle_destroy(s->ph);
		s->ph = ph;
	}
	ready = s->ops->stream_ready(s->reader);
	pthread_mutex_unlock(&s->lock);
	fuse_reply_poll(req, ready ? POLLIN | POLLRDNORM : 0);
}

void fs_stream_wake(struct fs_stream *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->pending && try_answer(s, s->pending, s->pending_size))
		s->pending = NULL;
	if (s->ph) {
		fuse_lowlevel_notify_poll(s->ph);
		fuse_pollhandle_destroy(s->ph);
		s->ph = NULL;
	}
	pthread_mutex_unlock(&s->lock);
}

void fs_stream__close(struct fs_stream *s)
{
	if (!s)
		return;
	s->ops->stream_release(s->reader);
	pthread_mutex_lock(&s->lock);
	if (s->pending)
		fuse_reply_err(s->pending, EINTR);
	if (s->ph)
		fuse_pollhandle_destroy(s->ph);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

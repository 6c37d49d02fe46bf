/* SPDX-License-Identifier: MIT */
/*
 * The server end of the control channel (server.h): one receive loop per
 * host queue, objects reassembled per (pid, reply queue, request id),
 * partial requests dropped when stale, every reply sent with a deadline so
 * that a client that stopped reading never stalls the host.
 */
#include "server.h"
#include "proto_internal.h"

#include <plugfs/clock.h>
#include <plugfs/log.h>
#include <plugfs/opts.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

struct xfer {
	bool used;
	struct inj_hdr h;		/* the REQ header */
	unsigned char *obj;
	uint32_t got;
	uint64_t last_ns;
};

struct inj_server {
	int qid;
	inj_handler_fn fn;
	void *arg;
	size_t max_object;
	unsigned int max_xfers;
	uint64_t stale_ns;
	char name[64];
	struct xfer *x;
	struct inj_msg *in;		/* receive buffer */
	struct inj_msg *out;		/* reply buffer */
};

struct inj_server *inj_server__new(int msqid, inj_handler_fn fn, void *arg,
				   const struct inj_server_opts *opts)
{
	struct inj_server_opts o = { .sz = sizeof(o) };
	struct inj_server *s;

	if (msqid < 0 || !fn || PLUGFS_OPTS_COPY(&o, opts)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->qid = msqid;
	s->fn = fn;
	s->arg = arg;
	s->max_object = o.max_object ? o.max_object : INJ_OBJ_DEFAULT_MAX;
	if (s->max_object > INJ_OBJ_HARD_MAX)
		s->max_object = INJ_OBJ_HARD_MAX;
	s->max_xfers = o.max_transfers ? o.max_transfers : 64;
	s->stale_ns = (uint64_t)(o.stale_ms ? o.stale_ms : 10000) * 1000000ull;
	snprintf(s->name, sizeof(s->name), "%s", o.name ? o.name : "host");
	s->x = calloc(s->max_xfers, sizeof(*s->x));
	s->in = malloc(sizeof(long) + HDR_SZ + INJ_MSG_MAX);
	s->out = malloc(sizeof(long) + HDR_SZ + INJ_MSG_MAX);
	if (!s->x || !s->in || !s->out) {
		inj_server__free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

static void xfer_drop(struct xfer *x)
{
	free(x->obj);
	memset(x, 0, sizeof(*x));
}

void inj_server__free(struct inj_server *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; s->x && i < s->max_xfers; i++)
		xfer_drop(&s->x[i]);
	free(s->x);
	free(s->in);
	free(s->out);
	free(s);
}

/*
 * Sends the reply to the client's private queue. The client polls it, so a
 * full queue clears quickly; a client that is gone (queue removed) or that
 * never reads gets dropped after a second rather than stalling the host.
 */
static void send_reply(struct inj_server *s, const struct inj_hdr *req, int status,
		       const char *text, size_t text_len)
{
	struct inj_msg *m = s->out;
	uint64_t deadline = plugfs_now_ns() + 1000000000ull;
	ssize_t chunk = inj_chunk_size(req->reply_qid);
	size_t off = 0, n;
	int err;

	if (chunk == -EACCES || chunk == -EPERM)
		chunk = (ssize_t)inj_chunk_size_for(8192, 16384);
	if (chunk <= 0) {
		pr_debug("control %s: reply queue %d of pid %d is gone", s->name, req->reply_qid, req->pid);
		return;
	}
	if (text_len > INJ_TEXT_MAX)
		text_len = INJ_TEXT_MAX;
	do {
		n = text_len - off < (size_t)chunk ? text_len - off : (size_t)chunk;
		inj_hdr_init(&m->h, INJ_KIND_REPLY, req->req_id, req->pid, req->reply_qid, text_len);
		/* the client's own version, when we speak it */
		if (req->version >= INJ_VERSION_MIN && req->version < INJ_VERSION)
			m->h.version = req->version;
		m->h.offset = (uint32_t)off;
		m->h.len = (uint32_t)n;
		m->h.status = status;
		if (n)
			memcpy(m->data, text + off, n);
		err = inj_msg__send(req->reply_qid, m, deadline);
		if (err) {
			pr_info("control %s: reply %u to pid %d lost: %s", s->name, req->req_id,
				req->pid, strerror(-err));
			return;
		}
		off += n;
	} while (off < text_len);
}

static struct xfer *xfer_find(struct inj_server *s, const struct inj_hdr *h)
{
	for (unsigned int i = 0; i < s->max_xfers; i++) {
		struct xfer *x = &s->x[i];

		if (x->used && x->h.pid == h->pid && x->h.reply_qid == h->reply_qid &&
		    x->h.req_id == h->req_id)
			return x;
	}
	return NULL;
}

static struct xfer *xfer_new(struct inj_server *s)
{
	uint64_t now = plugfs_now_ns();
	struct xfer *freex = NULL;

	for (unsigned int i = 0; i < s->max_xfers; i++) {
		struct xfer *x = &s->x[i];

		if (x->used && now - x->last_ns > s->stale_ns) {
			pr_info("control %s: dropped request %u of pid %d: no data for %llu ms",
				s->name, x->h.req_id, x->h.pid,
				(unsigned long long)(s->stale_ns / 1000000ull));
			xfer_drop(x);
		}
		if (!x->used && !freex)
			freex = x;
	}
	return freex;
}

static void complete(struct inj_server *s, const struct inj_hdr *h, const void *obj, size_t len)
{
	struct inj_server_req req = { .h = h, .obj = obj, .len = len };
	struct strbuf t = STRBUF_INIT;
	int status;

	status = s->fn(s->arg, &req, &t);
	if (status > 0 || status < -4095)
		status = -EIO;
	if (status && !t.len)
		strbuf__puts(&t, strerror(-status));
	if (t.err && !status)
		status = t.err;
	if (t.len > INJ_TEXT_MAX && !status)
		status = -EFBIG;	/* send_reply sends what fits */
	send_reply(s, h, status, t.buf ? t.buf : "", t.buf ? t.len : 0);
	strbuf__fini(&t);
}

static void reply_error(struct inj_server *s, const struct inj_hdr *h, int status, const char *text)
{
	pr_info("control %s: request %u from pid %d refused: %s", s->name, h->req_id, h->pid, text);
	send_reply(s, h, status, text, strlen(text));
}

void inj_server__handle(struct inj_server *s, struct inj_msg *m, size_t msg_len)
{
	const struct inj_hdr *h = &m->h;
	char err[256];
	struct xfer *x;
	int rc;

	msg_len = inj_msg__upgrade(m, msg_len);
	rc = inj_hdr__check(h, msg_len, s->max_object, err, sizeof(err));
	if (!rc && h->kind == INJ_KIND_REPLY) {
		rc = -EPROTO;
		snprintf(err, sizeof(err), "reply message sent to a host queue");
	}
	if (rc) {
		/* Answer only when the header is ours enough to name a reply
		 * queue; anything else is dropped. */
		if (msg_len >= HDR_SZ && h->magic == INJ_MAGIC && h->kind == INJ_KIND_REQ &&
		    h->reply_qid >= 0 && h->pid > 0) {
			reply_error(s, h, rc, err);
		} else {
			pr_info("control %s: dropped a bad message: %s", s->name, err);
			if (msg_len >= HDR_SZ && h->kind == INJ_KIND_DATA && (x = xfer_find(s, h))) {
				reply_error(s, &x->h, -EPROTO, err);
				xfer_drop(x);
			}
		}
		return;
	}

	if (h->kind == INJ_KIND_REQ) {
		x = xfer_find(s, h);
		if (x) {
			reply_error(s, &x->h, -EPROTO, "request id reused before completion");
			xfer_drop(x);
		}
		if (!inj_action_has_object(h->action) || h->len == h->total) {
			complete(s, h, h->total ? m->data : NULL, h->total);
			return;
		}
		x = xfer_new(s);
		if (!x) {
			reply_error(s, h, -EBUSY, "too many requests in progress");
			return;
		}
		x->obj = malloc(h->total);
		if (!x->obj) {
			reply_error(s, h, -ENOMEM, "no memory for the object");
			return;
		}
		x->used = true;
		x->h = *h;
		memcpy(x->obj, m->data, h->len);
		x->got = h->len;
		x->last_ns = plugfs_now_ns();
		return;
	}

	/* INJ_KIND_DATA */
	x = xfer_find(s, h);
	if (!x) {
		/* Tail of a request refused at its header, or of a dropped one. */
		pr_debug("control %s: chunk of unknown request %u from pid %d dropped",
			 s->name, h->req_id, h->pid);
		return;
	}
	if (h->offset != x->got || h->total != x->h.total) {
		snprintf(err, sizeof(err), "chunk at offset %u (total %u), expected offset %u (total %u)",
			 h->offset, h->total, x->got, x->h.total);
		reply_error(s, &x->h, -EPROTO, err);
		xfer_drop(x);
		return;
	}
	memcpy(x->obj + x->got, m->data, h->len);
	x->got += h->len;
	x->last_ns = plugfs_now_ns();
	if (x->got == x->h.total) {
		complete(s, &x->h, x->obj, x->got);
		xfer_drop(x);
	}
}

int inj_server__run(struct inj_server *s)
{
	ssize_t n;

	for (;;) {
		n = msgrcv(s->qid, s->in, HDR_SZ + INJ_MSG_MAX, 0, MSG_NOERROR);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EIDRM || errno == EINVAL)
				return 0;
			return -errno;
		}
		inj_server__handle(s, s->in, (size_t)n);
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * The client end of the control channel (client.h): requests sent in
 * chunks over the host's queue, replies reassembled from the private reply
 * queue, a dead host told apart from a slow one.
 */
#include "client.h"
#include "proto_internal.h"

#include <plugfs/clock.h>
#include <plugfs/proc.h>
#include <plugfs/log.h>
#include <plugfs/opts.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

struct inj_client {
	int qid;			/* host queue */
	int rqid;			/* private reply queue */
	pid_t pid;
	uint32_t next_id;
	size_t chunk;
	pthread_mutex_t lock;
	struct inj_msg *msg;		/* send buffer, under lock */
	struct inj_msg *rmsg;		/* receive buffer, under lock */
};

struct inj_client *inj_client__open(int msqid)
{
	struct inj_client *c;
	struct msqid_ds hq, rq;
	ssize_t chunk;
	int err;

	if (msqid < 0) {
		errno = EINVAL;
		return NULL;
	}
	if (msgctl(msqid, IPC_STAT, &hq) < 0)
		return NULL;
	chunk = inj_chunk_size(msqid);
	if (chunk < 0) {
		errno = (int)-chunk;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->qid = msqid;
	c->pid = getpid();
	c->chunk = (size_t)chunk;
	/* Start ids at a per-process value so that two clients of one pid
	 * (threads of the daemon) are still told apart by the host. */
	c->next_id = (uint32_t)plugfs_now_ns() ^ ((uint32_t)(uintptr_t)c << 7);
	c->msg = malloc(sizeof(long) + HDR_SZ + INJ_MSG_MAX);
	c->rmsg = malloc(sizeof(long) + HDR_SZ + INJ_MSG_MAX);
	errno = ENOMEM;
	c->rqid = c->msg && c->rmsg ? msgget(IPC_PRIVATE, IPC_CREAT | 0600) : -1;
	if (c->rqid < 0) {
		err = errno;
		free(c->msg);
		free(c->rmsg);
		free(c);
		errno = err;
		return NULL;
	}
	/* A host of another user (we are root) must be able to answer: give
	 * our reply queue to the host queue's owner; as creator we keep
	 * access (the kernel checks creator and owner alike). */
	if (hq.msg_perm.uid != geteuid() && !msgctl(c->rqid, IPC_STAT, &rq)) {
		rq.msg_perm.uid = hq.msg_perm.uid;
		rq.msg_perm.gid = hq.msg_perm.gid;
		if (msgctl(c->rqid, IPC_SET, &rq) < 0)
			pr_debug("injector: cannot hand reply queue %d to uid %u: %s",
				 c->rqid, (unsigned int)hq.msg_perm.uid, strerror(errno));
	}
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void inj_client__close(struct inj_client *c)
{
	if (!c)
		return;
	msgctl(c->rqid, IPC_RMID, NULL);
	pthread_mutex_destroy(&c->lock);
	free(c->msg);
	free(c->rmsg);
	free(c);
}

int inj_client__reply_qid(const struct inj_client *c)
{
	return c ? c->rqid : -1;
}

void inj_reply__fini(struct inj_reply *r)
{
	if (!r)
		return;
	free(r->text);
	r->text = NULL;
	r->text_len = 0;
}

static int reply_local(struct inj_reply *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reply_local(struct inj_reply *r, int status, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (!r)
		return status;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(r->text);
	r->text = s;
	r->text_len = s ? strlen(s) : 0;
	r->status = status;
	r->from_host = false;
	return status;
}

/* Copies *user into *req by the options-size rule, then checks every field. */
static int check_request(struct inj_request *req, const struct inj_request *user, size_t len,
			 struct inj_reply *r)
{
	*req = (struct inj_request){ .sz = sizeof(*req) };
	if (!user || PLUGFS_OPTS_COPY(req, user))
		return reply_local(r, -EINVAL, "bad request structure");
	if ((int)req->action <= 0 || req->action >= INJ_ACT__MAX)
		return reply_local(r, -EINVAL, "unknown action %d", (int)req->action);
	if (inj_action_is_status(req->action) && !req->plugin)
		; /* the report covers the whole host */
	else if (!req->plugin || inj_check_name(req->plugin, INJ_NAME_MAX, inj_action_is_status(req->action)))
		return reply_local(r, -EINVAL, "bad plugin name '%s' (1 to %d printable characters, no '/' or space)",
				   req->plugin ? req->plugin : "", INJ_NAME_MAX - 1);
	if (req->entry && inj_check_name(req->entry, INJ_ENTRY_MAX, true))
		return reply_local(r, -EINVAL, "bad entry function name '%s'", req->entry);
	if ((int)req->anchor < 0 || req->anchor >= PLUGLET_ANCHOR__MAX)
		return reply_local(r, -EINVAL, "unknown anchor %d", (int)req->anchor);
	if (req->extra_mem > INJ_MEM_MAX || req->shared_mem > INJ_MEM_MAX)
		return reply_local(r, -EINVAL, "memory sizes are limited to %u bytes", INJ_MEM_MAX);
	if (inj_action_has_object(req->action)) {
		if (!len)
			return reply_local(r, -EINVAL, "%s needs an object", inj_action_str(req->action));
		if (len > INJ_OBJ_HARD_MAX)
			return reply_local(r, -EFBIG, "object of %zu bytes is over the protocol limit of %u bytes",
					   len, INJ_OBJ_HARD_MAX);
	} else if (len) {
		return reply_local(r, -EINVAL, "%s does not take an object", inj_action_str(req->action));
	} else if (req->origin || req->gen) {
		return reply_local(r, -EINVAL, "%s takes no generation", inj_action_str(req->action));
	}
	return 0;
}

/* Without a generation a request is the version 1 message it always was. */
static uint16_t req_version(const struct inj_request *req)
{
	return req->origin || req->gen ? INJ_VERSION : 1;
}

static void fill_req_hdr(struct inj_client *c, struct inj_hdr *h, uint32_t id,
			 const struct inj_request *req, size_t len)
{
	inj_hdr_init(h, INJ_KIND_REQ, id, c->pid, c->rqid, len);
	h->action = req->action;
	h->anchor = req->anchor;
	h->seq = req->seq;
	h->flags = req->jit ? INJ_F_JIT : 0;
	h->extra_mem = req->extra_mem;
	h->shared_mem = req->shared_mem;
	if (req->plugin)
		snprintf(h->plugin, sizeof(h->plugin), "%s", req->plugin);
	if (req->entry)
		snprintf(h->entry, sizeof(h->entry), "%s", req->entry);
	h->origin = req->origin;
	h->gen = req->gen;
	h->version = req_version(req);
}

/* Reply reassembly state of one request. */
struct rx {
	uint32_t id;
	bool done;
	int status;
	char *text;
	uint32_t total;
	uint32_t got;
};

/*
 * Takes whatever is in the reply queue without blocking. Returns 1 when a
 * message was consumed, 0 when the queue is empty, -errno on failure.
 * Messages of other (timed out) requests and malformed ones are dropped.
 */
static int rx_poll(struct inj_client *c, struct rx *rx)
{
	struct inj_msg *m = c->rmsg;
	const struct inj_hdr *h = &m->h;
	char err[128] = "";
	ssize_t n;

	n = msgrcv(c->rqid, m, HDR_SZ + INJ_MSG_MAX, 0, IPC_NOWAIT | MSG_NOERROR);
	if (n < 0) {
		if (errno == ENOMSG || errno == EINTR)
			return 0;
		return -errno;
	}
	n = (ssize_t)inj_msg__upgrade(m, (size_t)n);
	if (inj_hdr__check(h, (size_t)n, 0, err, sizeof(err)) || h->kind != INJ_KIND_REPLY) {
		pr_debug("injector: dropped a bad reply message: %s", err);
		return 1;
	}
	if (h->req_id != rx->id)
		return 1;	/* late answer to a request that timed out */
	if (!rx->text) {
		if (h->offset)
			return 1;
		rx->text = malloc((size_t)h->total + 1);
		if (!rx->text)
			return -ENOMEM;
		rx->total = h->total;
		rx->status = h->status;
	}
	if (h->offset != rx->got || h->total != rx->total || h->status != rx->status) {
		pr_debug("injector: reply %u out of sequence", rx->id);
		return -EPROTO;
	}
	memcpy(rx->text + rx->got, m->data, h->len);
	rx->got += h->len;
	if (rx->got == rx->total) {
		rx->text[rx->got] = '\0';
		rx->done = true;
	}
	return 1;
}

/* Is the host still there? 0, or -ECONNRESET with a reason. */
static int host_alive(struct inj_client *c, char *why, size_t size)
{
	struct msqid_ds ds;

	if (msgctl(c->qid, IPC_STAT, &ds) < 0) {
		snprintf(why, size, "host queue %d was removed (the host exited)", c->qid);
		return -ECONNRESET;
	}
	/* msg_lrpid is the last reader: the host, once it read anything. */
	if (ds.msg_lrpid > 0 && !plugfs_pid_alive(ds.msg_lrpid)) {
		snprintf(why, size, "host process %d died without answering", (int)ds.msg_lrpid);
		return -ECONNRESET;
	}
	return 0;
}

static int transport_err(struct inj_client *c, struct inj_reply *r, int err, int timeout_ms)
{
	char why[160];

	if (err == -ETIMEDOUT)
		return reply_local(r, err, "no reply from the host on queue %d within %d ms", c->qid, timeout_ms);
	if (err == -EIDRM || err == -EINVAL) {
		if (host_alive(c, why, sizeof(why)))
			return reply_local(r, -ECONNRESET, "%s", why);
	}
	if (err == -ECONNRESET)
		return reply_local(r, err, "host on queue %d went away", c->qid);
	return reply_local(r, err, "message queue %d: %s", c->qid, strerror(-err));
}

static int request_locked(struct inj_client *c, const struct inj_request *req,
			  const unsigned char *obj, size_t len, struct inj_reply *r,
			  int timeout_ms)
{
	uint64_t deadline = plugfs_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	struct inj_waiter w = { 0 };
	uint64_t next_check;
	struct inj_msg *m = c->msg;
	struct rx rx = { 0 };
	char why[160];
	size_t off = 0, n;
	uint32_t id;
	int err = 0;

	do {
		id = c->next_id++;
	} while (!id);
	rx.id = id;

	/* The request header carries the first chunk: one message for small
	 * objects. */
	fill_req_hdr(c, &m->h, id, req, len);
	do {
		n = len - off < c->chunk ? len - off : c->chunk;
		if (off) {
			inj_hdr_init(&m->h, INJ_KIND_DATA, id, c->pid, c->rqid, len);
			m->h.version = req_version(req);
		}
		m->h.offset = (uint32_t)off;
		m->h.len = (uint32_t)n;
		if (n)
			memcpy(m->data, obj + off, n);
		err = inj_msg__send(c->qid, m, deadline);
		if (err)
			goto out;
		off += n;
		/* The host answers early when it refuses the header (object
		 * over its limit, bad field): stop streaming then. */
		while (off < len && (err = rx_poll(c, &rx)) > 0 && !rx.done)
			;
		if (err < 0)
			goto out;
		err = 0;
		if (rx.done)
			break;
	} while (off < len);

	next_check = plugfs_now_ns() + 50000000ull;
	while (!rx.done) {
		err = rx_poll(c, &rx);
		if (err < 0)
			goto out;
		if (err > 0) {
			inj_waiter__reset(&w);
			continue;
		}
		if (plugfs_now_ns() >= deadline) {
			err = -ETIMEDOUT;
			goto out;
		}
		if (plugfs_now_ns() >= next_check) {
			err = host_alive(c, why, sizeof(why));
			if (err) {
				/* The host may have answered just before exiting. */
				if (rx_poll(c, &rx) > 0 && rx.done)
					break;
				reply_local(r, err, "%s", why);
				goto out_free;
			}
			next_check = plugfs_now_ns() + 50000000ull;
		}
		inj_waiter__wait(&w);
	}
	err = rx.status;
	if (!rx.total) {
		/* nothing to say (the usual success): no text to free */
		free(rx.text);
		rx.text = NULL;
	}
	if (r) {
		free(r->text);
		r->text = rx.text;
		r->text_len = rx.total;
		r->status = rx.status;
		r->from_host = true;
		rx.text = NULL;
	}
	goto out_free;
out:
	err = transport_err(c, r, err, timeout_ms);
out_free:
	free(rx.text);
	return err;
}

int inj_client__request(struct inj_client *c, const struct inj_request *user,
			const void *obj, size_t len, struct inj_reply *reply, int timeout_ms)
{
	struct inj_request req;
	int err;

	if (reply)
		memset(reply, 0, sizeof(*reply));
	if (!c)
		return reply_local(reply, -EINVAL, "no client");
	err = check_request(&req, user, len, reply);
	if (err)
		return err;
	if (timeout_ms <= 0)
		timeout_ms = 5000;
	pthread_mutex_lock(&c->lock);
	err = request_locked(c, &req, obj, len, reply, timeout_ms);
	pthread_mutex_unlock(&c->lock);
	return err;
}

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

/* A request sent and waiting for its reply. */
struct inflight {
	struct inj_client *c;
	struct rx rx;
	uint64_t deadline, next_check;
	int timeout_ms;
};

/*
 * Sends the request (the header carries the first chunk: one message for
 * small objects). The host answers early when it refuses the header
 * (object over its limit, bad field): streaming stops then. 0 or a
 * transport -errno. Under the client's lock.
 */
static int send_locked(struct inflight *f, const struct inj_request *req, const unsigned char *obj,
		       size_t len)
{
	struct inj_client *c = f->c;
	struct inj_msg *m = c->msg;
	size_t off = 0, n;
	int err;

	do {
		f->rx.id = c->next_id++;
	} while (!f->rx.id);
	fill_req_hdr(c, &m->h, f->rx.id, req, len);
	do {
		n = len - off < c->chunk ? len - off : c->chunk;
		if (off) {
			inj_hdr_init(&m->h, INJ_KIND_DATA, f->rx.id, c->pid, c->rqid, len);
			m->h.version = req_version(req);
		}
		m->h.offset = (uint32_t)off;
		m->h.len = (uint32_t)n;
		if (n)
			memcpy(m->data, obj + off, n);
		err = inj_msg__send(c->qid, m, f->deadline);
		if (err)
			return err;
		off += n;
		while (off < len && (err = rx_poll(c, &f->rx)) > 0 && !f->rx.done)
			;
		if (err < 0)
			return err;
	} while (off < len && !f->rx.done);
	f->next_check = plugfs_now_ns() + 50000000ull;
	return 0;
}

/* The outcome of a request whose reply is complete, into r. */
static int finish(struct inflight *f, struct inj_reply *r)
{
	int err = f->rx.status;

	if (!f->rx.total) {
		/* nothing to say (the usual success): no text to free */
		free(f->rx.text);
		f->rx.text = NULL;
	}
	if (r) {
		free(r->text);
		r->text = f->rx.text;
		r->text_len = f->rx.total;
		r->status = f->rx.status;
		r->from_host = true;
		f->rx.text = NULL;
	}
	free(f->rx.text);
	f->rx.text = NULL;
	return err;
}

/*
 * Takes what the reply queue holds for the request without waiting. Returns
 * 1 and the outcome in *rc (reply in r) once the request is over, 0 while
 * the reply is still to come. Under the client's lock.
 */
static int step(struct inflight *f, struct inj_reply *r, bool *progress, int *rc)
{
	char why[160];
	int err = 0;

	while (!f->rx.done && (err = rx_poll(f->c, &f->rx)) > 0)
		*progress = true;
	if (f->rx.done) {
		*rc = finish(f, r);
		return 1;
	}
	if (err < 0)
		goto fail;
	if (plugfs_now_ns() >= f->deadline) {
		err = -ETIMEDOUT;
		goto fail;
	}
	if (plugfs_now_ns() >= f->next_check) {
		err = host_alive(f->c, why, sizeof(why));
		if (err) {
			/* The host may have answered just before exiting. */
			if (rx_poll(f->c, &f->rx) > 0 && f->rx.done) {
				*rc = finish(f, r);
				return 1;
			}
			*rc = reply_local(r, err, "%s", why);
			goto out;
		}
		f->next_check = plugfs_now_ns() + 50000000ull;
	}
	return 0;
fail:
	*rc = transport_err(f->c, r, err, f->timeout_ms);
out:
	free(f->rx.text);
	f->rx.text = NULL;
	return 1;
}

static int request_locked(struct inj_client *c, const struct inj_request *req,
			  const unsigned char *obj, size_t len, struct inj_reply *r,
			  int timeout_ms)
{
	struct inflight f = { .c = c, .timeout_ms = timeout_ms };
	struct inj_waiter w = { 0 };
	bool progress = false;
	int err;

	f.deadline = plugfs_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	err = send_locked(&f, req, obj, len);
	if (err) {
		free(f.rx.text);
		return transport_err(c, r, err, timeout_ms);
	}
	while (!step(&f, r, &progress, &err)) {
		if (progress)
			inj_waiter__reset(&w);
		else
			inj_waiter__wait(&w);
		progress = false;
	}
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

static int cmp_call_client(const void *a, const void *b)
{
	const struct inj_call *x = *(struct inj_call *const *)a, *y = *(struct inj_call *const *)b;

	return x->c < y->c ? -1 : x->c > y->c;
}

/*
 * Sends every checked request of the batch, in the order of the clients'
 * addresses (the order their locks are taken in, so that two batches never
 * wait on each other). A call that fails here is over (its rc set).
 */
static void batch_send(struct inj_call **by_client, struct inflight *f, unsigned int n,
		       int timeout_ms, unsigned int *left)
{
	struct inj_client *last = NULL;
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		struct inj_call *call = by_client[i];

		if (call->rc)
			continue;
		if (call->c == last) {
			call->rc = reply_local(&call->reply, -EINVAL, "client twice in one batch");
			continue;
		}
		last = call->c;
		pthread_mutex_lock(&call->c->lock);
		f[i] = (struct inflight){ .c = call->c, .timeout_ms = timeout_ms };
		f[i].deadline = plugfs_now_ns() + (uint64_t)timeout_ms * 1000000ull;
		err = send_locked(&f[i], &call->checked, call->obj, call->len);
		if (err) {
			free(f[i].rx.text);
			call->rc = transport_err(call->c, &call->reply, err, timeout_ms);
			pthread_mutex_unlock(&call->c->lock);
			continue;
		}
		call->sent = true;
		(*left)++;
	}
}

int inj_client__request_all(struct inj_call *calls, unsigned int n, int timeout_ms)
{
	struct inj_call **by_client = calloc(n + 1, sizeof(*by_client));
	struct inflight *f = calloc(n + 1, sizeof(*f));
	struct inj_waiter w = { 0 };
	unsigned int i, left = 0;

	if (!by_client || !f) {
		free(by_client);
		free(f);
		for (i = 0; i < n; i++) {
			memset(&calls[i].reply, 0, sizeof(calls[i].reply));
			calls[i].rc = reply_local(&calls[i].reply, -ENOMEM, "out of memory");
		}
		return -ENOMEM;
	}
	if (timeout_ms <= 0)
		timeout_ms = 5000;
	for (i = 0; i < n; i++) {
		struct inj_call *call = &calls[i];

		memset(&call->reply, 0, sizeof(call->reply));
		call->sent = false;
		call->rc = call->c ? check_request(&call->checked, call->req, call->len, &call->reply) :
				     reply_local(&call->reply, -EINVAL, "no client");
		by_client[i] = call;
	}
	qsort(by_client, n, sizeof(*by_client), cmp_call_client);
	batch_send(by_client, f, n, timeout_ms, &left);
	/* The replies are taken as they come, whichever host answers first. */
	while (left) {
		bool progress = false;

		for (i = 0; i < n; i++) {
			struct inj_call *call = by_client[i];

			if (!call->sent || !step(&f[i], &call->reply, &progress, &call->rc))
				continue;
			call->sent = false;
			pthread_mutex_unlock(&call->c->lock);
			left--;
		}
		if (progress)
			inj_waiter__reset(&w);
		else if (left)
			inj_waiter__wait(&w);
	}
	free(by_client);
	free(f);
	return 0;
}

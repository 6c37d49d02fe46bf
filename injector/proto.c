/* SPDX-License-Identifier: MIT */
/*
 * Control-channel wire protocol: header checks, chunked transfer over SysV
 * queues, the client used by ebpf_injecter and the daemon, and the server
 * loop run by a host's control thread. See proto.h for the design.
 */
#include "proto.h"

#include <plugfs/log.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>
#include <unistd.h>

#define HDR_SZ sizeof(struct inj_hdr)

static const char *const action_names[INJ_ACT__MAX] = {
	[INJ_ACT_ADD] = "add",
	[INJ_ACT_REMOVE_PLUGIN] = "rm",
	[INJ_ACT_REPLACE] = "replace",
	[INJ_ACT_REMOVE] = "rm_pluglet",
	[INJ_ACT_STATUS] = "status",
	[INJ_ACT_HOST_STATUS] = "host_status",
};

static const char *const anchor_names[PLUGLET_ANCHOR__MAX] = {
	[PLUGLET_ANCHOR_PRE] = "pre",
	[PLUGLET_ANCHOR_REPLACE] = "replace",
	[PLUGLET_ANCHOR_POST] = "post",
};

/* Name tables: index <-> name, for entries [lo, n). */
static const char *name_of(const char *const *tab, int lo, int n, int v)
{
	return v >= lo && v < n ? tab[v] : "?";
}

static int name_find(const char *const *tab, int lo, int n, const char *s)
{
	for (int v = lo; s && v < n; v++)
		if (!strcmp(s, tab[v]))
			return v;
	return -EINVAL;
}

const char *inj_action_str(enum inj_action a)
{
	return name_of(action_names, 1, INJ_ACT__MAX, (int)a);
}

int inj_action_parse(const char *s)
{
	int a = name_find(action_names, 1, INJ_ACT__MAX, s);

	return a == INJ_ACT_HOST_STATUS ? -EINVAL : a;
}

const char *inj_anchor_str(enum pluglet_anchor a)
{
	return name_of(anchor_names, 0, PLUGLET_ANCHOR__MAX, (int)a);
}

int inj_anchor_parse(const char *s)
{
	return name_find(anchor_names, 0, PLUGLET_ANCHOR__MAX, s);
}

bool inj_action_has_object(enum inj_action a)
{
	return a == INJ_ACT_ADD || a == INJ_ACT_REPLACE;
}

bool inj_action_is_status(enum inj_action a)
{
	return a == INJ_ACT_STATUS || a == INJ_ACT_HOST_STATUS;
}

uint64_t inj_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The fields every message carries; the rest zeroed. */
static void hdr_init(struct inj_hdr *h, enum inj_kind kind, uint32_t id, int32_t pid,
		     int32_t reply_qid, size_t total)
{
	memset(h, 0, sizeof(*h));
	h->magic = INJ_MAGIC;
	h->version = INJ_VERSION;
	h->kind = kind;
	h->req_id = id;
	h->pid = pid;
	h->reply_qid = reply_qid;
	h->total = (uint32_t)total;
}

/* ---- header checks ---- */

#define BAD(code, ...) do { snprintf(err, err_size, __VA_ARGS__); return (code); } while (0)

/* A name field: NUL inside the field, printable, no space or '/'. */
static int check_name(const char *f, size_t size, bool may_be_empty)
{
	size_t n = strnlen(f, size);

	if (n == size)
		return -1;
	if (!n && !may_be_empty)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (f[i] <= ' ' || f[i] > '~' || f[i] == '/')
			return -1;
	return 0;
}

int inj_hdr__check(const struct inj_hdr *h, size_t msg_len, size_t max_object,
		   char *err, size_t err_size)
{
	uint64_t end;
	size_t max_total;

	if (!err_size)
		err = NULL;
	if (msg_len < HDR_SZ)
		BAD(-EPROTO, "short message (%zu bytes, header is %zu)", msg_len, HDR_SZ);
	if (h->magic != INJ_MAGIC)
		BAD(-EPROTO, "bad magic 0x%08x", h->magic);
	if (h->version != INJ_VERSION)
		BAD(-EPROTO, "unsupported protocol version %u (this side speaks %u)",
		    h->version, INJ_VERSION);
	if (h->kind != INJ_KIND_REQ && h->kind != INJ_KIND_DATA && h->kind != INJ_KIND_REPLY)
		BAD(-EPROTO, "unknown message kind %u", h->kind);
	if ((size_t)h->len != msg_len - HDR_SZ)
		BAD(-EPROTO, "payload length %u does not match the message (%zu bytes)",
		    h->len, msg_len - HDR_SZ);
	if (h->pid <= 0)
		BAD(-EPROTO, "bad sender pid %d", h->pid);
	if (h->reply_qid < 0)
		BAD(-EPROTO, "bad reply queue id %d", h->reply_qid);

	if (!max_object || max_object > INJ_OBJ_HARD_MAX)
		max_object = INJ_OBJ_HARD_MAX;
	max_total = h->kind == INJ_KIND_REPLY ? INJ_TEXT_MAX : INJ_OBJ_HARD_MAX;
	end = (uint64_t)h->offset + h->len;
	if (h->total > max_total || end > h->total)
		BAD(-EPROTO, "chunk %u+%u outside a total of %u bytes", h->offset, h->len, h->total);

	if (h->kind == INJ_KIND_REPLY) {
		if (h->status > 0 || h->status < -4095)
			BAD(-EPROTO, "bad status %d", h->status);
		return 0;
	}
	if (h->status)
		BAD(-EPROTO, "status set in a request");
	if (h->kind == INJ_KIND_DATA) {
		if (!h->len)
			BAD(-EPROTO, "empty data chunk");
		return 0;
	}

	/* INJ_KIND_REQ */
	if (h->offset)
		BAD(-EPROTO, "request header at offset %u", h->offset);
	if (h->action == 0 || h->action >= INJ_ACT__MAX)
		BAD(-EINVAL, "unknown action %u", h->action);
	if (check_name(h->plugin, sizeof(h->plugin), inj_action_is_status(h->action)))
		BAD(-EINVAL, "bad plugin name (empty, unterminated or not printable)");
	if (check_name(h->entry, sizeof(h->entry), true))
		BAD(-EINVAL, "bad entry function name");
	if (h->anchor >= PLUGLET_ANCHOR__MAX)
		BAD(-EINVAL, "unknown anchor %u", h->anchor);
	if (h->flags & ~INJ_F__ALL)
		BAD(-EINVAL, "unknown flags 0x%x", h->flags & ~INJ_F__ALL);
	if (h->extra_mem > INJ_MEM_MAX || h->shared_mem > INJ_MEM_MAX)
		BAD(-EINVAL, "memory size over %u bytes", INJ_MEM_MAX);
	if (inj_action_has_object(h->action)) {
		if (!h->total)
			BAD(-EINVAL, "%s without an object", inj_action_str(h->action));
		if (h->total > max_object)
			BAD(-EFBIG, "object of %u bytes is over this host's limit of %zu bytes",
			    h->total, max_object);
	} else if (h->total) {
		BAD(-EINVAL, "%s does not take an object", inj_action_str(h->action));
	}
	return 0;
}

#undef BAD

/* ---- queue helpers ---- */

size_t inj_chunk_size_for(size_t msgmax, size_t qbytes)
{
	size_t m = INJ_MSG_MAX;

	if (msgmax && msgmax < m)
		m = msgmax;
	if (qbytes && qbytes < m)
		m = qbytes;
	return m > HDR_SZ ? m - HDR_SZ : 0;
}

static size_t read_msgmax(void)
{
	static size_t cached;
	size_t v;
	FILE *f;

	/* msgmax rarely changes; a stale value only costs a smaller chunk or
	 * one EINVAL at send, which inj_msg__send reports. */
	v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (v)
		return v;
	f = fopen("/proc/sys/kernel/msgmax", "re");
	v = 0;
	if (f) {
		if (fscanf(f, "%zu", &v) != 1)
			v = 0;
		fclose(f);
	}
	if (!v)
		v = 8192;
	__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	return v;
}

ssize_t inj_chunk_size(int msqid)
{
	struct msqid_ds ds;
	size_t n;

	if (msgctl(msqid, IPC_STAT, &ds) < 0)
		return -errno;
	n = inj_chunk_size_for(read_msgmax(), ds.msg_qbytes);
	return n ? (ssize_t)n : -EMSGSIZE;
}

/*
 * Waiting for the other end without blocking in the kernel (so that a
 * deadline holds): yield for the first SPIN_NS, when answers usually come
 * (a 4 KiB injection takes ~10 us in the host), then sleep with a growing
 * pause. A sleep alone would cost the timer slack (~50 us) on every wait.
 */
#define SPIN_NS 300000ull

struct waiter {
	uint64_t since;
	uint64_t pause;
};

static void waiter__reset(struct waiter *w)
{
	w->since = 0;
	w->pause = 0;
}

static void waiter__wait(struct waiter *w)
{
	uint64_t now = inj_now_ns();
	struct timespec ts;

	if (!w->since)
		w->since = now;
	if (now - w->since < SPIN_NS) {
		sched_yield();
		return;
	}
	w->pause = w->pause ? w->pause * 2 : 20000;
	if (w->pause > 1000000)
		w->pause = 1000000;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)w->pause;
	nanosleep(&ts, NULL);
}

int inj_msg__send(int msqid, struct inj_msg *m, uint64_t deadline_ns)
{
	size_t sz = HDR_SZ + m->h.len;
	struct waiter w = { 0 };

	m->mtype = INJ_MTYPE;
	for (;;) {
		if (!msgsnd(msqid, m, sz, deadline_ns ? IPC_NOWAIT : 0))
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if (inj_now_ns() >= deadline_ns)
			return -ETIMEDOUT;
		waiter__wait(&w);
	}
}

/* ---- text buffers ---- */

static int text_reserve(struct inj_text *t, size_t extra)
{
	size_t want = t->len + extra + 1, cap = t->cap ? t->cap : 256;
	char *nb;

	if (t->err)
		return t->err;
	if (want > INJ_TEXT_MAX + 1)
		return t->err = -EFBIG;
	if (want <= t->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	nb = realloc(t->buf, cap);
	if (!nb)
		return t->err = -ENOMEM;
	t->buf = nb;
	t->cap = cap;
	return 0;
}

int inj_text__put(struct inj_text *t, const char *s, size_t n)
{
	int err = text_reserve(t, n);

	if (err)
		return err;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
	return 0;
}

int inj_text__printf(struct inj_text *t, const char *fmt, ...)
{
	va_list ap;
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	err = text_reserve(t, (size_t)n);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf(t->buf + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
	return 0;
}

/* ---- client ---- */

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
	c->next_id = (uint32_t)inj_now_ns() ^ ((uint32_t)(uintptr_t)c << 7);
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

static int check_request(const struct inj_request *req, size_t len, struct inj_reply *r)
{
	if (!req || req->sz < sizeof(*req))
		return reply_local(r, -EINVAL, "bad request structure");
	if ((int)req->action <= 0 || req->action >= INJ_ACT__MAX)
		return reply_local(r, -EINVAL, "unknown action %d", (int)req->action);
	if (inj_action_is_status(req->action) && !req->plugin)
		; /* the report covers the whole host */
	else if (!req->plugin || check_name(req->plugin, INJ_NAME_MAX, inj_action_is_status(req->action)))
		return reply_local(r, -EINVAL, "bad plugin name '%s' (1 to %d printable characters, no '/' or space)",
				   req->plugin ? req->plugin : "", INJ_NAME_MAX - 1);
	if (req->entry && check_name(req->entry, INJ_ENTRY_MAX, true))
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
	}
	return 0;
}

static void fill_req_hdr(struct inj_client *c, struct inj_hdr *h, uint32_t id,
			 const struct inj_request *req, size_t len)
{
	hdr_init(h, INJ_KIND_REQ, id, c->pid, c->rqid, len);
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
	if (ds.msg_lrpid > 0 && kill(ds.msg_lrpid, 0) < 0 && errno == ESRCH) {
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
	uint64_t deadline = inj_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	struct waiter w = { 0 };
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
		if (off)
			hdr_init(&m->h, INJ_KIND_DATA, id, c->pid, c->rqid, len);
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

	next_check = inj_now_ns() + 50000000ull;
	while (!rx.done) {
		err = rx_poll(c, &rx);
		if (err < 0)
			goto out;
		if (err > 0) {
			waiter__reset(&w);
			continue;
		}
		if (inj_now_ns() >= deadline) {
			err = -ETIMEDOUT;
			goto out;
		}
		if (inj_now_ns() >= next_check) {
			err = host_alive(c, why, sizeof(why));
			if (err) {
				/* The host may have answered just before exiting. */
				if (rx_poll(c, &rx) > 0 && rx.done)
					break;
				reply_local(r, err, "%s", why);
				goto out_free;
			}
			next_check = inj_now_ns() + 50000000ull;
		}
		waiter__wait(&w);
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

int inj_client__request(struct inj_client *c, const struct inj_request *req,
			const void *obj, size_t len, struct inj_reply *reply, int timeout_ms)
{
	int err;

	if (reply)
		memset(reply, 0, sizeof(*reply));
	if (!c)
		return reply_local(reply, -EINVAL, "no client");
	err = check_request(req, len, reply);
	if (err)
		return err;
	if (timeout_ms <= 0)
		timeout_ms = 5000;
	pthread_mutex_lock(&c->lock);
	err = request_locked(c, req, obj, len, reply, timeout_ms);
	pthread_mutex_unlock(&c->lock);
	return err;
}

/* ---- server ---- */

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
	struct inj_server *s;

	if (msqid < 0 || !fn || (opts && opts->sz < sizeof(*opts))) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->qid = msqid;
	s->fn = fn;
	s->arg = arg;
	s->max_object = opts && opts->max_object ? opts->max_object : INJ_OBJ_DEFAULT_MAX;
	if (s->max_object > INJ_OBJ_HARD_MAX)
		s->max_object = INJ_OBJ_HARD_MAX;
	s->max_xfers = opts && opts->max_transfers ? opts->max_transfers : 64;
	s->stale_ns = (uint64_t)(opts && opts->stale_ms ? opts->stale_ms : 10000) * 1000000ull;
	snprintf(s->name, sizeof(s->name), "%s", opts && opts->name ? opts->name : "host");
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
	uint64_t deadline = inj_now_ns() + 1000000000ull;
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
		hdr_init(&m->h, INJ_KIND_REPLY, req->req_id, req->pid, req->reply_qid, text_len);
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
	uint64_t now = inj_now_ns();
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
	struct inj_text t = { 0 };
	int status;

	status = s->fn(s->arg, &req, &t);
	if (status > 0 || status < -4095)
		status = -EIO;
	if (status && !t.len)
		inj_text__printf(&t, "%s", strerror(-status));
	if (t.err && !status)
		status = t.err;
	send_reply(s, h, status, t.buf ? t.buf : "", t.buf ? t.len : 0);
	free(t.buf);
}

static void reply_error(struct inj_server *s, const struct inj_hdr *h, int status, const char *text)
{
	pr_info("control %s: request %u from pid %d refused: %s", s->name, h->req_id, h->pid, text);
	send_reply(s, h, status, text, strlen(text));
}

void inj_server__handle(struct inj_server *s, const struct inj_msg *m, size_t msg_len)
{
	const struct inj_hdr *h = &m->h;
	char err[256];
	struct xfer *x;
	int rc;

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
		x->last_ns = inj_now_ns();
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
	x->last_ns = inj_now_ns();
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

/* SPDX-License-Identifier: MIT */
/*
 * The control channel's wire format (wire.h): action and anchor names,
 * header checks against hostile input, chunk sizing and sending a message
 * with a deadline.
 */
#include "proto_internal.h"

#include <plugfs/clock.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>

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

/* The one implementation, for libpluglet too (<pluglet/anchor.h>). */
const char *pluglet_anchor_str(enum pluglet_anchor a)
{
	return name_of(anchor_names, 0, PLUGLET_ANCHOR__MAX, (int)a);
}

int pluglet_anchor_parse(const char *s)
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

void inj_hdr_init(struct inj_hdr *h, enum inj_kind kind, uint32_t id, int32_t pid,
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

int inj_check_name(const char *f, size_t size, bool may_be_empty)
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
	if (h->version < INJ_VERSION_MIN || h->version > INJ_VERSION)
		BAD(-EPROTO, "unsupported protocol version %u (this side speaks %u to %u)",
		    h->version, INJ_VERSION_MIN, INJ_VERSION);
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
	if (inj_check_name(h->plugin, sizeof(h->plugin), inj_action_is_status(h->action)))
		BAD(-EINVAL, "bad plugin name (empty, unterminated or not printable)");
	if (inj_check_name(h->entry, sizeof(h->entry), true))
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
	} else if (h->origin || h->gen) {
		BAD(-EINVAL, "%s takes no generation", inj_action_str(h->action));
	}
	return 0;
}

#undef BAD

size_t inj_msg__upgrade(struct inj_msg *m, size_t msg_len)
{
	unsigned char *h = (unsigned char *)&m->h;

	if (msg_len < INJ_HDR_V1_SZ || m->h.magic != INJ_MAGIC || m->h.version != 1)
		return msg_len;
	memmove(m->data, h + INJ_HDR_V1_SZ, msg_len - INJ_HDR_V1_SZ);
	m->h.origin = 0;
	m->h.gen = 0;
	return msg_len + (HDR_SZ - INJ_HDR_V1_SZ);
}

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

void inj_waiter__reset(struct inj_waiter *w)
{
	w->since = 0;
	w->pause = 0;
}

void inj_waiter__wait(struct inj_waiter *w)
{
	uint64_t now = plugfs_now_ns();
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
	struct inj_waiter w = { 0 };

	m->mtype = INJ_MTYPE;
	if (m->h.version == 1) {
		memmove((unsigned char *)&m->h + INJ_HDR_V1_SZ, m->data, m->h.len);
		sz = INJ_HDR_V1_SZ + m->h.len;
	}
	for (;;) {
		if (!msgsnd(msqid, m, sz, deadline_ns ? IPC_NOWAIT : 0))
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if (plugfs_now_ns() >= deadline_ns)
			return -ETIMEDOUT;
		inj_waiter__wait(&w);
	}
}

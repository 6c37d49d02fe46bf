/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the control-channel protocol (injector/wire.c, client.c,
 * server.c): names,
 * header validation against hostile input, chunk sizing, reassembly on the
 * server side (messages fed directly, replies read from a real SysV queue)
 * and client timeouts. Run: meson test -C build --suite unit test_proto
 */
#include "proto.h"

#include <plugfs/clock.h>

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

#include <cmocka.h>

#define HDR_SZ sizeof(struct inj_hdr)

static void test_names(void **state)
{
	assert_int_equal(inj_action_parse("add"), INJ_ACT_ADD);
	assert_int_equal(inj_action_parse("rm"), INJ_ACT_REMOVE_PLUGIN);
	/* The libubpf injecter took "rm_pluglet" for "rm". */
	assert_int_equal(inj_action_parse("rm_pluglet"), INJ_ACT_REMOVE);
	assert_int_equal(inj_action_parse("replace"), INJ_ACT_REPLACE);
	assert_int_equal(inj_action_parse("status"), INJ_ACT_STATUS);
	assert_int_equal(inj_action_parse("rm_"), -EINVAL);
	assert_int_equal(inj_action_parse("ADD"), -EINVAL);
	assert_int_equal(inj_action_parse(""), -EINVAL);
	assert_int_equal(inj_action_parse(NULL), -EINVAL);
	for (int a = 1; a < INJ_ACT_HOST_STATUS; a++)
		assert_int_equal(inj_action_parse(inj_action_str(a)), a);
	/* asked for by inj_client__status(), never by name */
	assert_string_equal(inj_action_str(INJ_ACT_HOST_STATUS), "host_status");
	assert_int_equal(inj_action_parse("host_status"), -EINVAL);
	assert_string_equal(inj_action_str(0), "?");
	assert_string_equal(inj_action_str(INJ_ACT__MAX), "?");

	assert_int_equal(pluglet_anchor_parse("pre"), PLUGLET_ANCHOR_PRE);
	assert_int_equal(pluglet_anchor_parse("replace"), PLUGLET_ANCHOR_REPLACE);
	assert_int_equal(pluglet_anchor_parse("post"), PLUGLET_ANCHOR_POST);
	assert_int_equal(pluglet_anchor_parse("middle"), -EINVAL);
	assert_string_equal(pluglet_anchor_str(PLUGLET_ANCHOR_POST), "post");
	assert_string_equal(pluglet_anchor_str(PLUGLET_ANCHOR__MAX), "?");

	assert_true(inj_action_has_object(INJ_ACT_ADD));
	assert_true(inj_action_has_object(INJ_ACT_REPLACE));
	assert_false(inj_action_has_object(INJ_ACT_REMOVE));
	assert_false(inj_action_has_object(INJ_ACT_REMOVE_PLUGIN));
	assert_false(inj_action_has_object(INJ_ACT_STATUS));
	assert_false(inj_action_has_object(INJ_ACT_HOST_STATUS));
	assert_true(inj_action_is_status(INJ_ACT_HOST_STATUS));
	assert_false(inj_action_is_status(INJ_ACT_ADD));
}

static void good_req(struct inj_hdr *h, uint32_t total, uint32_t len)
{
	memset(h, 0, sizeof(*h));
	h->magic = INJ_MAGIC;
	h->version = INJ_VERSION;
	h->kind = INJ_KIND_REQ;
	h->req_id = 7;
	h->pid = 1234;
	h->reply_qid = 0;
	h->total = total;
	h->len = len;
	h->action = INJ_ACT_ADD;
	h->anchor = PLUGLET_ANCHOR_PRE;
	h->seq = 10;
	strcpy(h->plugin, "find_idx");
}

/* check with a header mutated by fn; returns the error code */
static int check_mut(void (*fn)(struct inj_hdr *), size_t extra_len, size_t max_object)
{
	struct inj_hdr h;
	char err[256];
	int rc;

	good_req(&h, 100, (uint32_t)extra_len);
	fn(&h);
	err[0] = '\0';
	rc = inj_hdr__check(&h, HDR_SZ + extra_len, max_object, err, sizeof(err));
	if (rc)
		assert_true(strlen(err) > 0);
	return rc;
}

static void m_none(struct inj_hdr *h) { (void)h; }
static void m_magic(struct inj_hdr *h) { h->magic = 0x41414141; }
static void m_version(struct inj_hdr *h) { h->version = INJ_VERSION + 1; }
static void m_kind(struct inj_hdr *h) { h->kind = 9; }
static void m_len(struct inj_hdr *h) { h->len = 5; }
static void m_pid(struct inj_hdr *h) { h->pid = 0; }
static void m_pidneg(struct inj_hdr *h) { h->pid = -5; }
static void m_rqid(struct inj_hdr *h) { h->reply_qid = -1; }
static void m_overflow(struct inj_hdr *h) { h->kind = INJ_KIND_DATA; h->offset = 0xffffffffu; }
static void m_past(struct inj_hdr *h) { h->total = 10; }
static void m_huge(struct inj_hdr *h) { h->total = INJ_OBJ_HARD_MAX + 1; }
static void m_unterm(struct inj_hdr *h) { memset(h->plugin, 'a', sizeof(h->plugin)); }
static void m_empty(struct inj_hdr *h) { h->plugin[0] = '\0'; }
static void m_slash(struct inj_hdr *h) { strcpy(h->plugin, "../etc"); }
static void m_nl(struct inj_hdr *h) { strcpy(h->plugin, "a\nb"); }
static void m_high(struct inj_hdr *h) { h->plugin[0] = (char)0xc3; }
static void m_entry(struct inj_hdr *h) { memset(h->entry, 'x', sizeof(h->entry)); }
static void m_entry_ok(struct inj_hdr *h) { strcpy(h->entry, "my_func"); }
static void m_act0(struct inj_hdr *h) { h->action = 0; }
static void m_act99(struct inj_hdr *h) { h->action = 99; }
static void m_anchor(struct inj_hdr *h) { h->anchor = 3; }
static void m_flags(struct inj_hdr *h) { h->flags = 0x80; }
static void m_mem(struct inj_hdr *h) { h->extra_mem = INJ_MEM_MAX + 1; }
static void m_shm(struct inj_hdr *h) { h->shared_mem = 0xffffffffu; }
static void m_noobj(struct inj_hdr *h) { h->total = 0; }
static void m_rmobj(struct inj_hdr *h) { h->action = INJ_ACT_REMOVE_PLUGIN; }
static void m_rm(struct inj_hdr *h) { h->action = INJ_ACT_REMOVE; h->total = 0; }
static void m_gen(struct inj_hdr *h) { h->origin = 9; h->gen = 1; }
static void m_rm_gen(struct inj_hdr *h) { m_rm(h); h->gen = 1; }
static void m_v1(struct inj_hdr *h) { h->version = 1; }
static void m_status(struct inj_hdr *h) { h->action = INJ_ACT_STATUS; h->total = 0; h->plugin[0] = 0; }
static void m_host_status(struct inj_hdr *h) { h->action = INJ_ACT_HOST_STATUS; h->total = 0; h->plugin[0] = 0; }
static void m_rmempty(struct inj_hdr *h) { h->action = INJ_ACT_REMOVE; h->total = 0; h->plugin[0] = 0; }
static void m_status_set(struct inj_hdr *h) { h->status = -1; }
static void m_reqoff(struct inj_hdr *h) { h->offset = 1; }
static void m_data0(struct inj_hdr *h) { h->kind = INJ_KIND_DATA; }
static void m_reply_pos(struct inj_hdr *h) { h->kind = INJ_KIND_REPLY; h->status = 1; }
static void m_reply_ok(struct inj_hdr *h) { h->kind = INJ_KIND_REPLY; h->status = -ENOENT; }
static void m_reply_big(struct inj_hdr *h) { h->kind = INJ_KIND_REPLY; h->total = INJ_TEXT_MAX + 1; }

static void test_hdr_check(void **state)
{
	struct inj_hdr h;
	char err[64];

	assert_int_equal(check_mut(m_none, 0, 0), 0);
	assert_int_equal(check_mut(m_none, 100, 0), 0);
	assert_int_equal(check_mut(m_entry_ok, 0, 0), 0);
	assert_int_equal(check_mut(m_rm, 0, 0), 0);
	assert_int_equal(check_mut(m_gen, 0, 0), 0);
	assert_int_equal(check_mut(m_v1, 0, 0), 0);
	assert_int_equal(check_mut(m_rm_gen, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_status, 0, 0), 0);
	assert_int_equal(check_mut(m_host_status, 0, 0), 0);
	assert_int_equal(check_mut(m_reply_ok, 0, 0), 0);

	assert_int_equal(check_mut(m_magic, 0, 0), -EPROTO);
	assert_int_equal(check_mut(m_version, 0, 0), -EPROTO);
	assert_int_equal(check_mut(m_kind, 0, 0), -EPROTO);
	assert_int_equal(check_mut(m_len, 0, 0), -EPROTO);
	assert_int_equal(check_mut(m_pid, 0, 0), -EPROTO);
	assert_int_equal(check_mut(m_pidneg, 0, 0), -EPROTO);
	assert_int_equal(check_mut(m_rqid, 0, 0), -EPROTO);
	assert_int_equal(check_mut(m_overflow, 2, 0), -EPROTO);
	assert_int_equal(check_mut(m_past, 11, 0), -EPROTO);
	assert_int_equal(check_mut(m_huge, 0, 0), -EPROTO);
	assert_int_equal(check_mut(m_status_set, 0, 0), -EPROTO);
	assert_int_equal(check_mut(m_reqoff, 0, 0), -EPROTO);
	assert_int_equal(check_mut(m_data0, 0, 0), -EPROTO);
	assert_int_equal(check_mut(m_reply_pos, 0, 0), -EPROTO);
	assert_int_equal(check_mut(m_reply_big, 0, 0), -EPROTO);

	assert_int_equal(check_mut(m_unterm, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_empty, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_slash, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_nl, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_high, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_entry, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_act0, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_act99, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_anchor, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_flags, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_mem, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_shm, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_noobj, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_rmobj, 0, 0), -EINVAL);
	assert_int_equal(check_mut(m_rmempty, 0, 0), -EINVAL);

	/* over the host's limit: a distinct code so it can answer EFBIG */
	assert_int_equal(check_mut(m_none, 0, 99), -EFBIG);
	assert_int_equal(check_mut(m_none, 0, 100), 0);

	/* shorter than a header, and no error buffer at all */
	good_req(&h, 0, 0);
	assert_int_equal(inj_hdr__check(&h, HDR_SZ - 1, 0, err, sizeof(err)), -EPROTO);
	assert_int_equal(inj_hdr__check(&h, 3, 0, NULL, 0), -EPROTO);
}

/* A version 1 message (the header without origin and gen) reads as a
 * version 2 one with both zero; it keeps saying version 1. */
static void test_upgrade_v1(void **state)
{
	struct inj_msg *m = calloc(1, sizeof(long) + HDR_SZ + 64);
	unsigned char *raw = (unsigned char *)&m->h;
	char err[256] = "";
	size_t n;

	assert_non_null(m);
	good_req(&m->h, 3, 3);
	m->h.version = 1;
	memcpy(raw + INJ_HDR_V1_SZ, "abc", 3);
	memset(raw + INJ_HDR_V1_SZ + 3, 0xee, HDR_SZ - INJ_HDR_V1_SZ);	/* not a field */
	n = inj_msg__upgrade(m, INJ_HDR_V1_SZ + 3);
	assert_int_equal(n, HDR_SZ + 3);
	assert_int_equal(m->h.version, 1);
	assert_true(m->h.origin == 0 && m->h.gen == 0);
	assert_memory_equal(m->data, "abc", 3);
	assert_int_equal(inj_hdr__check(&m->h, n, 0, err, sizeof(err)), 0);
	/* a version 2 message is left as it is */
	m->h.version = INJ_VERSION;
	assert_int_equal(inj_msg__upgrade(m, n), n);
	free(m);
}

static void test_chunk_size(void **state)
{
	int q;
	ssize_t n;

	assert_int_equal(inj_chunk_size_for(8192, 16384), 8192 - HDR_SZ);
	assert_int_equal(inj_chunk_size_for(8192, 4096), 4096 - HDR_SZ);
	assert_int_equal(inj_chunk_size_for(1 << 20, 1 << 20), INJ_MSG_MAX - HDR_SZ);
	assert_int_equal(inj_chunk_size_for(0, 0), INJ_MSG_MAX - HDR_SZ);
	assert_int_equal(inj_chunk_size_for(HDR_SZ, 16384), 0);

	q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	assert_true(q >= 0);
	n = inj_chunk_size(q);
	assert_true(n > 0 && (size_t)n + HDR_SZ <= INJ_MSG_MAX);
	msgctl(q, IPC_RMID, NULL);
	assert_true(inj_chunk_size(q) < 0);
}

/* ---- server, fed message by message ---- */

struct seen {
	int calls;
	uint32_t action;
	char plugin[INJ_NAME_MAX];
	size_t len;
	unsigned char obj[4096];
	int status;
};

static int record(void *arg, const struct inj_server_req *r, struct strbuf *out)
{
	struct seen *s = arg;

	s->calls++;
	s->action = r->h->action;
	strcpy(s->plugin, r->h->plugin);
	s->len = r->len;
	if (r->obj)
		memcpy(s->obj, r->obj, r->len < sizeof(s->obj) ? r->len : sizeof(s->obj));
	strbuf__printf(out, "handled %u", r->h->req_id);
	return s->status;
}

static struct inj_msg *mk(size_t payload)
{
	struct inj_msg *m = calloc(1, sizeof(long) + HDR_SZ + payload);

	assert_non_null(m);
	return m;
}

/* Reads one reply from q (waits a little); returns 0 when there is none. */
static int get_reply(int q, struct inj_msg *m, uint32_t *id, int *status, char *text)
{
	ssize_t n = -1;

	for (int i = 0; i < 100 && n < 0; i++) {
		n = msgrcv(q, m, HDR_SZ + INJ_MSG_MAX, 0, IPC_NOWAIT);
		if (n < 0)
			usleep(1000);
	}
	if (n < 0)
		return 0;
	assert_int_equal(inj_hdr__check(&m->h, (size_t)n, 0, NULL, 0), 0);
	assert_int_equal(m->h.kind, INJ_KIND_REPLY);
	*id = m->h.req_id;
	*status = m->h.status;
	memcpy(text, m->data, m->h.len);
	text[m->h.len] = '\0';
	return 1;
}

/* A handler that answers more than a reply can carry. */
static int too_long(void *arg, const struct inj_server_req *r, struct strbuf *out)
{
	static char big[4096];

	memset(big, 'z', sizeof(big));
	for (size_t n = 0; n <= INJ_TEXT_MAX; n += sizeof(big))
		strbuf__put(out, big, sizeof(big));
	return 0;
}

/* Reads a whole reply from a queue while the server sends it. */
struct drain {
	int q;
	int status;
	uint32_t total, got, id;
};

static void *drain_reply(void *arg)
{
	struct drain *d = arg;
	struct inj_msg *m = mk(INJ_MSG_MAX);
	uint64_t end = plugfs_now_ns() + 5000000000ull;

	do {
		ssize_t n = msgrcv(d->q, m, HDR_SZ + INJ_MSG_MAX, 0, IPC_NOWAIT);

		if (n < 0) {
			usleep(100);
			continue;
		}
		if (!d->got) {
			d->status = m->h.status;
			d->total = m->h.total;
			d->id = m->h.req_id;
		}
		d->got += m->h.len;
	} while ((!d->total || d->got < d->total) && plugfs_now_ns() < end);
	free(m);
	return NULL;
}

/* The reply ceiling: the request fails with -EFBIG, the text is cut. */
static void test_server_text_limit(void **state)
{
	struct inj_msg *m = mk(64);
	struct drain d = { 0 };
	struct inj_server *s;
	pthread_t t;

	d.q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	assert_true(d.q >= 0);
	s = inj_server__new(d.q, too_long, NULL, NULL);
	assert_non_null(s);
	good_req(&m->h, 0, 0);
	m->h.action = INJ_ACT_STATUS;
	m->h.req_id = 7;
	m->h.reply_qid = d.q;
	assert_int_equal(pthread_create(&t, NULL, drain_reply, &d), 0);
	inj_server__handle(s, m, HDR_SZ);
	pthread_join(t, NULL);
	assert_int_equal(d.id, 7);
	assert_int_equal(d.status, -EFBIG);
	assert_int_equal(d.total, INJ_TEXT_MAX);
	assert_int_equal(d.got, INJ_TEXT_MAX);
	inj_server__free(s);
	msgctl(d.q, IPC_RMID, NULL);
	free(m);
}

static void test_server_reassembly(void **state)
{
	struct inj_server_opts so = { .sz = sizeof(so), .max_object = 3000, .name = "t" };
	struct seen seen = { 0 };
	struct inj_msg *m = mk(4096), *r = mk(INJ_MSG_MAX);
	struct inj_server *s;
	char text[INJ_MSG_MAX + 1];
	uint32_t id;
	int q, st;

	q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	assert_true(q >= 0);
	s = inj_server__new(q, record, &seen, &so);
	assert_non_null(s);

	/* two requests of 2000 bytes, chunks interleaved: A0 B0 B1 A1 */
	for (int k = 0; k < 2; k++) {
		good_req(&m->h, 2000, 1000);
		m->h.req_id = 100 + k;
		m->h.reply_qid = q;
		m->h.pid = 500 + k;
		memset(m->data, 'A' + k, 1000);
		inj_server__handle(s, m, HDR_SZ + 1000);
	}
	assert_int_equal(seen.calls, 0);
	for (int k = 1; k >= 0; k--) {
		good_req(&m->h, 2000, 1000);
		m->h.kind = INJ_KIND_DATA;
		m->h.action = 0;
		m->h.anchor = 0;
		m->h.seq = 0;
		memset(m->h.plugin, 0, sizeof(m->h.plugin));
		m->h.req_id = 100 + k;
		m->h.reply_qid = q;
		m->h.pid = 500 + k;
		m->h.offset = 1000;
		memset(m->data, 'a' + k, 1000);
		inj_server__handle(s, m, HDR_SZ + 1000);
		assert_int_equal(seen.calls, 2 - k);
		assert_int_equal(seen.len, 2000);
		assert_int_equal(seen.obj[0], 'A' + k);
		assert_int_equal(seen.obj[999], 'A' + k);
		assert_int_equal(seen.obj[1000], 'a' + k);
		assert_int_equal(seen.obj[1999], 'a' + k);
		assert_true(get_reply(q, r, &id, &st, text));
		assert_int_equal(id, 100 + k);
		assert_int_equal(st, 0);
	}

	/* too big for this host: answered at once, its chunks then dropped */
	good_req(&m->h, 3001, 100);
	m->h.req_id = 200;
	m->h.reply_qid = q;
	inj_server__handle(s, m, HDR_SZ + 100);
	assert_true(get_reply(q, r, &id, &st, text));
	assert_int_equal(id, 200);
	assert_int_equal(st, -EFBIG);
	assert_non_null(strstr(text, "limit"));
	m->h.kind = INJ_KIND_DATA;
	m->h.action = 0;
	m->h.offset = 100;
	inj_server__handle(s, m, HDR_SZ + 100);
	assert_false(get_reply(q, r, &id, &st, text));
	assert_int_equal(seen.calls, 2);

	/* chunk out of order: the request fails with EPROTO */
	good_req(&m->h, 2000, 1000);
	m->h.req_id = 300;
	m->h.reply_qid = q;
	inj_server__handle(s, m, HDR_SZ + 1000);
	m->h.kind = INJ_KIND_DATA;
	m->h.action = 0;
	m->h.offset = 500;
	m->h.len = 500;
	inj_server__handle(s, m, HDR_SZ + 500);
	assert_true(get_reply(q, r, &id, &st, text));
	assert_int_equal(id, 300);
	assert_int_equal(st, -EPROTO);

	/* garbage: no crash, no reply, nothing handled */
	memset(m, 0xa5, sizeof(long) + HDR_SZ + 64);
	inj_server__handle(s, m, HDR_SZ + 64);
	inj_server__handle(s, m, 3);
	assert_false(get_reply(q, r, &id, &st, text));
	/* a REPLY sent to a server is refused */
	good_req(&m->h, 0, 0);
	m->h.kind = INJ_KIND_REPLY;
	m->h.action = 0;
	inj_server__handle(s, m, HDR_SZ);
	assert_int_equal(seen.calls, 2);

	/* a bad request that names its reply queue gets a reason */
	good_req(&m->h, 0, 0);
	m->h.req_id = 400;
	m->h.reply_qid = q;
	m->h.action = 42;
	inj_server__handle(s, m, HDR_SZ);
	assert_true(get_reply(q, r, &id, &st, text));
	assert_int_equal(id, 400);
	assert_int_equal(st, -EINVAL);
	assert_non_null(strstr(text, "unknown action 42"));

	/* request without object, handler error passes through with its text */
	seen.status = -ENOENT;
	good_req(&m->h, 0, 0);
	m->h.req_id = 500;
	m->h.reply_qid = q;
	m->h.action = INJ_ACT_REMOVE_PLUGIN;
	inj_server__handle(s, m, HDR_SZ);
	assert_true(get_reply(q, r, &id, &st, text));
	assert_int_equal(st, -ENOENT);
	assert_string_equal(text, "handled 500");
	assert_int_equal(seen.action, INJ_ACT_REMOVE_PLUGIN);

	inj_server__free(s);
	msgctl(q, IPC_RMID, NULL);
	free(m);
	free(r);
}

static void test_server_limits(void **state)
{
	struct inj_server_opts so = { .sz = sizeof(so), .max_transfers = 2, .stale_ms = 50 };
	struct seen seen = { 0 };
	struct inj_msg *m = mk(100), *r = mk(INJ_MSG_MAX);
	struct inj_server *s;
	char text[INJ_MSG_MAX + 1];
	uint32_t id;
	int q, st;

	q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	s = inj_server__new(q, record, &seen, &so);
	assert_non_null(s);
	for (int k = 0; k < 3; k++) {
		good_req(&m->h, 1000, 10);
		m->h.req_id = 1 + k;
		m->h.reply_qid = q;
		inj_server__handle(s, m, HDR_SZ + 10);
	}
	/* the third partial request does not fit */
	assert_true(get_reply(q, r, &id, &st, text));
	assert_int_equal(id, 3);
	assert_int_equal(st, -EBUSY);
	/* once the others went stale, there is room again */
	usleep(80000);
	m->h.req_id = 4;
	inj_server__handle(s, m, HDR_SZ + 10);
	assert_false(get_reply(q, r, &id, &st, text));
	inj_server__free(s);

	/* a server cannot be built on nonsense */
	assert_null(inj_server__new(-1, record, &seen, NULL));
	assert_null(inj_server__new(q, NULL, &seen, NULL));
	msgctl(q, IPC_RMID, NULL);
	free(m);
	free(r);
}

/* ---- client edge cases without a server ---- */

static void test_client_no_server(void **state)
{
	struct inj_request req = { .sz = sizeof(req), .action = INJ_ACT_REMOVE_PLUGIN, .plugin = "p" };
	struct inj_reply rep;
	struct inj_client *c;
	uint64_t t0;
	int q, rc, rq;

	errno = 0;
	assert_null(inj_client__open(-1));
	assert_int_equal(errno, EINVAL);

	q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	c = inj_client__open(q);
	assert_non_null(c);
	rq = inj_client__reply_qid(c);
	assert_true(rq >= 0 && rq != q);

	/* nobody reads: times out, with a message, in about the time asked */
	t0 = plugfs_now_ns();
	rc = inj_client__request(c, &req, NULL, 0, &rep, 200);
	assert_int_equal(rc, -ETIMEDOUT);
	assert_int_equal(rep.status, -ETIMEDOUT);
	assert_false(rep.from_host);
	assert_non_null(strstr(rep.text, "no reply"));
	assert_true(plugfs_now_ns() - t0 < 1500000000ull);
	inj_reply__fini(&rep);

	/* bad requests are refused locally */
	req.plugin = "a/b";
	assert_int_equal(inj_client__request(c, &req, NULL, 0, &rep, 100), -EINVAL);
	inj_reply__fini(&rep);
	req.plugin = "p";
	req.action = INJ_ACT_ADD;
	assert_int_equal(inj_client__request(c, &req, NULL, 0, &rep, 100), -EINVAL);
	assert_non_null(strstr(rep.text, "needs an object"));
	inj_reply__fini(&rep);
	req.action = 77;
	assert_int_equal(inj_client__request(c, &req, NULL, 0, NULL, 100), -EINVAL);

	/* the host queue disappears: reported as the host going away */
	msgctl(q, IPC_RMID, NULL);
	req.action = INJ_ACT_REMOVE_PLUGIN;
	rc = inj_client__request(c, &req, NULL, 0, &rep, 1000);
	assert_int_equal(rc, -ECONNRESET);
	assert_non_null(strstr(rep.text, "removed"));
	inj_reply__fini(&rep);

	inj_client__close(c);
	/* close removed the private queue */
	assert_true(msgctl(rq, IPC_STAT, &(struct msqid_ds){ 0 }) < 0);
	/* opening a removed queue fails */
	assert_null(inj_client__open(q));
	inj_client__close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hdr_check),
		cmocka_unit_test(test_upgrade_v1),
		cmocka_unit_test(test_chunk_size),
		cmocka_unit_test(test_server_text_limit),
		cmocka_unit_test(test_server_reassembly),
		cmocka_unit_test(test_server_limits),
		cmocka_unit_test(test_client_no_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

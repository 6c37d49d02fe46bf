/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the control channel's receiving side: random bytes
 * cut into messages and fed to a server (inj_server__handle) exactly as its
 * queue would deliver them, plus inj_hdr__check on each. Replies go to a
 * private queue of this process (the fuzzed reply queue id is overwritten,
 * so no other queue on the machine is touched) and are drained each run.
 * The whole input is also decoded as a host status (inj_host_status__decode)
 * and, when it decodes, formatted and encoded again.
 * Built with -Dfuzz=true (CC=clang); run by tests/fuzz/run-fuzzers.sh.
 */
#include "proto.h"
#include "status.h"

#include <plugfs/log.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

static struct inj_server *srv;
static int rq = -1;
static struct inj_msg *msg, *rx;

static int handler(void *arg, const struct inj_server_req *r, struct inj_text *out)
{
	/* touch the whole object: a wrong length shows up under ASan */
	unsigned int sum = 0;

	for (size_t i = 0; i < r->len; i++)
		sum += ((const unsigned char *)r->obj)[i];
	inj_text__printf(out, "%s %u %zu %u", r->h->plugin, r->h->seq, r->len, sum);
	return sum & 1 ? -EINVAL : 0;
}

static void cleanup(void)
{
	inj_server__free(srv);
	if (rq >= 0)
		msgctl(rq, IPC_RMID, NULL);
	free(msg);
	free(rx);
}

static void fuzz_status(const uint8_t *data, size_t size)
{
	struct inj_host_status st;
	struct strbuf sb = STRBUF_INIT;
	char err[160];

	if (inj_host_status__decode(data, size, &st, err, sizeof(err)))
		return;
	inj_host_status__format(&st, &sb);
	strbuf__fini(&sb);
	if (inj_host_status__encode(&st, &sb))
		abort();	/* whatever decodes is valid to send */
	strbuf__fini(&sb);
	inj_host_status__fini(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t hs = sizeof(struct inj_hdr);

	fuzz_status(data, size);

	if (!srv) {
		struct inj_server_opts o = { .sz = sizeof(o), .max_object = 1 << 16,
					     .max_transfers = 4, .stale_ms = 1 };

		plog_set_level(PLOG_WARN);
		rq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		srv = inj_server__new(rq, handler, NULL, &o);
		msg = malloc(sizeof(long) + hs + INJ_MSG_MAX);
		rx = malloc(sizeof(long) + hs + INJ_MSG_MAX);
		if (rq < 0 || !srv || !msg || !rx)
			abort();
		atexit(cleanup);
	}
	/* [len16][bytes]... : each piece is one message */
	while (size >= 2) {
		size_t n = (size_t)data[0] | (size_t)data[1] << 8;

		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		if (n > hs + INJ_MSG_MAX)
			n = hs + INJ_MSG_MAX;
		memcpy(&msg->h, data, n);
		if (n >= hs)
			msg->h.reply_qid = rq;
		inj_hdr__check(&msg->h, n, 0, NULL, 0);
		inj_server__handle(srv, msg, n);
		data += n;
		size -= n;
	}
	while (msgrcv(rq, rx, hs + INJ_MSG_MAX, 0, IPC_NOWAIT | MSG_NOERROR) >= 0)
		;
	return 0;
}

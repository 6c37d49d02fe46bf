/* SPDX-License-Identifier: MIT */
/*
 * The server end of the control channel, run by a host's control thread
 * (vm/control.c): receives requests, reassembles objects per client, hands
 * complete requests to the host and sends the replies.
 */
#ifndef PLUGFS_INJECTOR_SERVER_H
#define PLUGFS_INJECTOR_SERVER_H

#include "wire.h"

#include <plugfs/strbuf.h>

struct inj_server;

struct inj_server_req {
	const struct inj_hdr *h;	/* validated header (plugin, entry NUL-terminated) */
	const void *obj;		/* NULL when the action carries none */
	size_t len;
};

/*
 * What the server asks the host to do with a complete request. Returns 0 or
 * -errno; appends its answer to `out`: the error reason, the report for
 * STATUS, the encoded status for HOST_STATUS. An answer over INJ_TEXT_MAX
 * fails the request with -EFBIG.
 */
typedef int (*inj_handler_fn)(void *arg, const struct inj_server_req *req, struct strbuf *out);

struct inj_server_opts {
	size_t sz;			/* sizeof(struct inj_server_opts); the options-size rule */
	size_t max_object;		/* 0: INJ_OBJ_DEFAULT_MAX */
	unsigned int max_transfers;	/* concurrent partial requests; 0: 64 */
	unsigned int stale_ms;		/* drop a partial request idle this long; 0: 10000 */
	const char *name;		/* for messages */
};

/* Serves queue msqid (owned by the caller). NULL + errno. */
struct inj_server *inj_server__new(int msqid, inj_handler_fn fn, void *arg,
				   const struct inj_server_opts *opts);
/*
 * Receives and handles messages until the queue is removed (EIDRM/EINVAL),
 * which is how the owner stops it. Returns 0 then, or -errno on another
 * failure.
 */
int inj_server__run(struct inj_server *s);
/* Handles one received message (msg_len from msgrcv; m is changed, see
 * inj_msg__upgrade()); for unit tests. */
void inj_server__handle(struct inj_server *s, struct inj_msg *m, size_t msg_len);
void inj_server__free(struct inj_server *s);

#endif /* PLUGFS_INJECTOR_SERVER_H */

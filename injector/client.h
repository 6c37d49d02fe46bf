/* SPDX-License-Identifier: MIT */
/*
 * The client end of the control channel (ebpf_injecter, the plugfs
 * daemon): one private reply queue per client, requests sent in chunks,
 * replies reassembled, timeouts and a host that went away told apart.
 */
#ifndef PLUGFS_INJECTOR_CLIENT_H
#define PLUGFS_INJECTOR_CLIENT_H

#include "wire.h"

struct inj_client;

struct inj_request {
	size_t sz;			/* sizeof(struct inj_request); the options-size rule */
	enum inj_action action;
	const char *plugin;
	enum pluglet_anchor anchor;	/* add/replace/rm_pluglet */
	uint32_t seq;			/* add/replace/rm_pluglet on pre/post */
	bool jit;			/* ebpf_injecter -j */
	uint32_t extra_mem;		/* ebpf_injecter -e */
	uint32_t shared_mem;		/* ebpf_injecter -s */
	const char *entry;		/* NULL: the only global function */
	/* add/replace: the origin and generation the host keeps with the
	 * pluglet (wire.h); both 0 sends the request as protocol version 1. */
	uint64_t origin;
	uint64_t gen;
};

struct inj_reply {
	int status;			/* 0 or -errno, the final outcome */
	bool from_host;			/* the host answered (else a local failure) */
	char *text;			/* NUL-terminated; malloc'ed; NULL when empty */
	size_t text_len;
};

/*
 * Opens a client for the host queue msqid: checks that the queue exists and
 * is writable, creates the private reply queue (0600, handed over to the
 * queue owner's uid so a host of another user can answer). NULL + errno:
 * EINVAL/ENOENT no such queue, EACCES/EPERM not allowed.
 */
struct inj_client *inj_client__open(int msqid);
/* Removes the private reply queue. NULL is a no-op. */
void inj_client__close(struct inj_client *c);
/* The private reply queue (signal handlers may IPC_RMID it). */
int inj_client__reply_qid(const struct inj_client *c);

/*
 * Sends one request (obj/len for add/replace) and waits up to timeout_ms
 * (<= 0: 5000) for its reply. Safe from several threads (serialized per
 * client). Returns the outcome: 0, the host's -errno, or a local -errno
 * (-ETIMEDOUT no answer, -ECONNRESET host went away, -EFBIG, -EINVAL bad
 * request, -EIDRM queue removed). reply (may be NULL) gets the host's text
 * or a description of the local failure; free it with inj_reply__fini().
 */
int inj_client__request(struct inj_client *c, const struct inj_request *req,
			const void *obj, size_t len, struct inj_reply *reply, int timeout_ms);

void inj_reply__fini(struct inj_reply *r);

/* One request of a batch (inj_client__request_all()). */
struct inj_call {
	struct inj_client *c;		/* each call of a batch has its own client */
	const struct inj_request *req;
	const void *obj;
	size_t len;
	/* out: */
	int rc;				/* what inj_client__request() would return */
	struct inj_reply reply;		/* to inj_reply__fini() */
	/* the client's own: */
	struct inj_request checked;
	bool sent;
};

/*
 * Sends every request of the batch first, then takes the replies as they
 * arrive, so that n hosts answer in about the time of the slowest of them
 * rather than of all of them one after the other. Each call gets the
 * outcome and reply inj_client__request() would have given it (each with
 * its own timeout_ms from its sending). Returns 0, or -ENOMEM with every
 * call failed.
 */
int inj_client__request_all(struct inj_call *calls, unsigned int n, int timeout_ms);

#endif /* PLUGFS_INJECTOR_CLIENT_H */

/* SPDX-License-Identifier: MIT */
/*
 * The control-channel wire protocol between a pluginized host (its control
 * thread, vm/control.c) and the programs that manage its pluglets
 * (ebpf_injecter, the plugfs daemon). One implementation, used by both ends.
 *
 * Transport: SysV message queues.
 *  - Each host owns one request queue (mode 0600), published in
 *    <run-dir>/hosts/<name>.<pid> (see "Run file" below).
 *  - Each client owns one private reply queue (IPC_PRIVATE, 0600) whose
 *    msqid it names in every request. The host never writes to its own
 *    queue, so clients that fill it with object chunks cannot dead-lock the
 *    replies, and concurrent clients never read each other's replies.
 *  - A request is one REQ message followed by DATA messages that carry the
 *    object in order (chunks sized for msgmax and the queue's byte limit).
 *    The host reassembles per (sender pid, reply queue, request id), so
 *    chunks of concurrent clients may interleave in its queue.
 *  - Every request gets a reply (REPLY messages, the text split like the
 *    object): status (0 or -errno) and a text (error reason or report).
 *  - Every field read from a queue is validated (inj_hdr__check()).
 *
 * Run file (ini, 0640), written by the host's control thread:
 *     [host]
 *     name = find_idx
 *     pid = 1234
 *     msqid = 98304
 *     protocol = 1
 *     max_object = 1048576
 *     [points]
 *     find_idx = 1          ; insertion point name = numeric id
 */
#ifndef PLUGFS_INJECTOR_PROTO_H
#define PLUGFS_INJECTOR_PROTO_H

#include <pluglet/host.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define INJ_MAGIC		0x504c4749u	/* "PLGI" */
#define INJ_VERSION		1
#define INJ_NAME_MAX		128		/* plugin name, NUL included */
#define INJ_ENTRY_MAX		64		/* entry function name, NUL included */
/* Largest message (without mtype) either end sends; receivers size for it. */
#define INJ_MSG_MAX		65536
/* Default object limit of a host (pluglet_ctl_opts.max_object = 0). */
#define INJ_OBJ_DEFAULT_MAX	(1u << 20)
/* Protocol ceiling, whatever a host configures. */
#define INJ_OBJ_HARD_MAX	(64u << 20)
/* Largest reply text (reports of hosts with many pluglets). */
#define INJ_TEXT_MAX		(1u << 20)
/* Largest -e / -s value accepted on the wire. */
#define INJ_MEM_MAX		(256u << 20)

/* Request actions. Values are wire values: never renumber. */
enum inj_action {
	INJ_ACT_ADD = 1,		/* seed "add" */
	INJ_ACT_REMOVE_PLUGIN = 2,	/* seed "rm": the whole plugin */
	INJ_ACT_REPLACE = 3,		/* seed "replace" */
	INJ_ACT_REMOVE = 4,		/* seed "rm_pluglet" */
	INJ_ACT_STATUS = 5,		/* pluglet_host__report() text */
	INJ_ACT_HOST_STATUS = 6,	/* the same as fields: an encoded struct inj_host_status */
	INJ_ACT__MAX,
};

/* Message kinds. */
enum inj_kind {
	INJ_KIND_REQ = 1,		/* client -> host: request header */
	INJ_KIND_DATA = 2,		/* client -> host: object chunk */
	INJ_KIND_REPLY = 3,		/* host -> client: status + text chunk */
};

#define INJ_F_JIT	0x1u
#define INJ_F__ALL	(INJ_F_JIT)

/* SysV mtype of every protocol message (the kind is in the header). */
#define INJ_MTYPE	1

/*
 * Fixed-size header at the start of every message, followed by `len` bytes
 * of payload (object or text chunk). Host byte order: both ends share the
 * machine (the queue is local by construction).
 */
struct inj_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t kind;			/* enum inj_kind */
	uint32_t req_id;		/* chosen by the client, echoed in replies */
	int32_t pid;			/* sender pid (the client, in replies too) */
	int32_t reply_qid;		/* client's private reply queue */
	uint32_t total;			/* REQ/DATA: object size; REPLY: text size */
	uint32_t offset;		/* DATA/REPLY: offset of this chunk */
	uint32_t len;			/* payload bytes in this message */
	/* REQ only (zero elsewhere) */
	uint32_t action;		/* enum inj_action */
	uint32_t anchor;		/* enum pluglet_anchor */
	uint32_t seq;
	uint32_t flags;			/* INJ_F_* */
	uint32_t extra_mem;
	uint32_t shared_mem;
	/* REPLY only */
	int32_t status;			/* 0 or -errno */
	char plugin[INJ_NAME_MAX];	/* REQ: NUL-terminated, non-empty */
	char entry[INJ_ENTRY_MAX];	/* REQ: "" = the only global function */
};

/* A message as it travels on a queue (msgsz excludes mtype). */
struct inj_msg {
	long mtype;
	struct inj_hdr h;
	unsigned char data[];
};

/* "add", "rm", "replace", "rm_pluglet", "status" <-> enum inj_action
 * ("host_status" is named in messages but not parsed: inj_client__status()
 * asks for it). */
const char *inj_action_str(enum inj_action a);
/* Returns the action or -EINVAL. */
int inj_action_parse(const char *s);
/* Same names as pluglet_anchor_str/parse, without linking libpluglet. */
const char *inj_anchor_str(enum pluglet_anchor a);
int inj_anchor_parse(const char *s);
/* Does this action carry an object? */
bool inj_action_has_object(enum inj_action a);
/* Is this a status request (the plugin name may be empty)? */
bool inj_action_is_status(enum inj_action a);

/*
 * Checks a header received in a message of msg_len bytes (msgrcv's return,
 * without mtype). Returns 0 or -EINVAL/-EPROTO and writes the reason to err.
 * max_object bounds REQ/DATA totals (0: INJ_OBJ_HARD_MAX).
 */
int inj_hdr__check(const struct inj_hdr *h, size_t msg_len, size_t max_object,
		   char *err, size_t err_size);

/*
 * Payload bytes per message for a queue: bounded by msgmax, by the queue's
 * byte limit (msg_qbytes) and by INJ_MSG_MAX. Returns > 0, or -errno.
 */
ssize_t inj_chunk_size(int msqid);
/* Same from explicit limits (unit tests). */
size_t inj_chunk_size_for(size_t msgmax, size_t qbytes);

/*
 * Sends a whole message, retrying on a full queue until deadline_ns
 * (CLOCK_MONOTONIC; 0 = block). 0 or -errno (-ETIMEDOUT, -EIDRM, ...).
 */
int inj_msg__send(int msqid, struct inj_msg *m, uint64_t deadline_ns);

uint64_t inj_now_ns(void);

/* ---- client (ebpf_injecter, plugfs daemon) ---- */

struct inj_client;

struct inj_request {
	size_t sz;			/* sizeof(struct inj_request) */
	enum inj_action action;
	const char *plugin;
	enum pluglet_anchor anchor;	/* add/replace/rm_pluglet */
	uint32_t seq;			/* add/replace/rm_pluglet on pre/post */
	bool jit;			/* seed -j */
	uint32_t extra_mem;		/* seed -e */
	uint32_t shared_mem;		/* seed -s */
	const char *entry;		/* NULL: the only global function */
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

/* ---- server (the host's control thread) ---- */

struct inj_server;

/*
 * What the server asks the host to do with a complete request. Returns 0 or
 * -errno; writes its text (error reason, or the report for STATUS) through
 * inj_text__printf/put on `out`.
 */
struct inj_text {
	char *buf;
	size_t len;
	size_t cap;
	int err;			/* -ENOMEM once an append failed */
};
int inj_text__put(struct inj_text *t, const char *s, size_t n);
int inj_text__printf(struct inj_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct inj_server_req {
	const struct inj_hdr *h;	/* validated header (plugin, entry NUL-terminated) */
	const void *obj;		/* NULL when the action carries none */
	size_t len;
};

typedef int (*inj_handler_fn)(void *arg, const struct inj_server_req *req, struct inj_text *out);

struct inj_server_opts {
	size_t sz;			/* sizeof(struct inj_server_opts) */
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
/* Handles one received message (msg_len from msgrcv); for unit tests. */
void inj_server__handle(struct inj_server *s, const struct inj_msg *m, size_t msg_len);
void inj_server__free(struct inj_server *s);

#endif /* PLUGFS_INJECTOR_PROTO_H */

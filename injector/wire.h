/* SPDX-License-Identifier: MIT */
/*
 * The control channel's wire format, between a pluginized host (its control
 * thread, vm/control.c, through server.h) and the programs that manage its
 * pluglets (ebpf_injecter, the plugfs daemon, through client.h).
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
 *  - Every request gets a reply (REPLY messages, the payload split like the
 *    object): status (0 or -errno) and a text (error reason or report), or
 *    for INJ_ACT_HOST_STATUS the encoded status (status.h).
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
 *     [point_kinds]
 *     find_idx = vm_call    ; or replace_only (CALL_REPLACE_ONLY: REPLACE only)
 */
#ifndef PLUGFS_INJECTOR_WIRE_H
#define PLUGFS_INJECTOR_WIRE_H

#include <pluglet/anchor.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define INJ_MAGIC		0x504c4749u	/* "PLGI" */
/*
 * Version 2 appended origin and gen to the header. Both ends still take
 * version 1 messages (the header without them): a request without a
 * generation goes out as version 1, byte for byte what older hosts and
 * older ebpf_injecter binaries speak, and a reply has the version of its
 * request.
 */
#define INJ_VERSION		2
#define INJ_VERSION_MIN		1
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

/* Request actions, named as on the ebpf_injecter command line. Values are
 * wire values: never renumber. */
enum inj_action {
	INJ_ACT_ADD = 1,		/* "add" */
	INJ_ACT_REMOVE_PLUGIN = 2,	/* "rm": the whole plugin */
	INJ_ACT_REPLACE = 3,		/* "replace" */
	INJ_ACT_REMOVE = 4,		/* "rm_pluglet" */
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
	/* Version 2. REQ add/replace: who installs the pluglet (0 = a client that
	 * keeps no desired state, such as ebpf_injecter) and the generation of
	 * the change in that origin; the host keeps both with the pluglet and
	 * shows them in its status, so that its manager can tell a pluglet of
	 * a late request from the one it wants there. */
	uint64_t origin;
	uint64_t gen;
};

/* The header of a version 1 message: everything before origin. */
#define INJ_HDR_V1_SZ		offsetof(struct inj_hdr, origin)

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
/* Does this action carry an object? */
bool inj_action_has_object(enum inj_action a);
/* Is this a status request (the plugin name may be empty)? */
bool inj_action_is_status(enum inj_action a);

/*
 * Makes a received message of msg_len bytes a version 2 one in place: a
 * version 1 header gets origin and gen zeroed and its payload moved behind
 * them (the buffer must hold the message plus the version 2 tail: receive
 * buffers of sizeof(struct inj_hdr) + INJ_MSG_MAX do). h->version keeps saying which version was sent, so the
 * reply can use it. Returns the new length; other versions are left as
 * they are for inj_hdr__check() to refuse.
 */
size_t inj_msg__upgrade(struct inj_msg *m, size_t msg_len);

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
 * (plugfs_now_ns() clock; 0 = block). A message whose h.version is 1 goes
 * out with the version 1 header (its payload is moved in m for that).
 * 0 or -errno (-ETIMEDOUT, -EIDRM, ...).
 */
int inj_msg__send(int msqid, struct inj_msg *m, uint64_t deadline_ns);

#endif /* PLUGFS_INJECTOR_WIRE_H */

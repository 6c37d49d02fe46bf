/* SPDX-License-Identifier: MIT */
/*
 * What the wire format, the client and the server of the control channel
 * share and nobody else uses: the header size, header initialisation, the
 * name rule and the wait used while a queue is full or empty.
 */
#ifndef PLUGFS_INJECTOR_PROTO_INTERNAL_H
#define PLUGFS_INJECTOR_PROTO_INTERNAL_H

#include "wire.h"

#define HDR_SZ sizeof(struct inj_hdr)

/* The fields every message carries; the rest zeroed. */
void inj_hdr_init(struct inj_hdr *h, enum inj_kind kind, uint32_t id, int32_t pid,
		  int32_t reply_qid, size_t total);

/* A name field: NUL inside the field, printable, no space or '/'. 0 or -1. */
int inj_check_name(const char *f, size_t size, bool may_be_empty);

/*
 * Waiting for the other end without blocking in the kernel (so that a
 * deadline holds): yield for the first part of a wait, when answers usually
 * come, then sleep with a growing pause.
 */
struct inj_waiter {
	uint64_t since;
	uint64_t pause;
};

void inj_waiter__reset(struct inj_waiter *w);
void inj_waiter__wait(struct inj_waiter *w);

#endif /* PLUGFS_INJECTOR_PROTO_INTERNAL_H */

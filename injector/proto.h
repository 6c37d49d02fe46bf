/* SPDX-License-Identifier: MIT */
/*
 * The whole control-channel protocol in one include, for programs that use
 * more than one part: the wire format (wire.h), the client (client.h), the
 * server (server.h) and the structured host status (status.h).
 */
#ifndef PLUGFS_INJECTOR_PROTO_H
#define PLUGFS_INJECTOR_PROTO_H

#include "client.h"
#include "server.h"
#include "status.h"
#include "wire.h"

#endif /* PLUGFS_INJECTOR_PROTO_H */

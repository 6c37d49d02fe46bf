/* SPDX-License-Identifier: MIT */
/*
 * The core's side of stream entries (fs/stream.c): a read that finds no
 * data is parked and answered later from the backend's thread, so a
 * blocked `cat` holds no thread of the FUSE session; poll() and
 * interrupts (Ctrl-C on a blocked read) are handled here.
 */
#ifndef PLUGFS_FS_STREAM_H
#define PLUGFS_FS_STREAM_H

#include "fuse_ops.h"

#include <stdbool.h>

/* Opens the stream of an entry: 0, FS_NOT_A_STREAM (an ordinary entry), -errno. */
int fs_stream__open(const struct fs_domain *d, const char *group, unsigned int sub,
		    const char *name, struct fs_stream **out);
/* Answers req now (data, EAGAIN when nonblock, an error) or parks it. */
void fs_stream__read(struct fs_stream *s, fuse_req_t req, size_t size, bool nonblock);
void fs_stream__poll(struct fs_stream *s, fuse_req_t req, struct fuse_pollhandle *ph);
/* The file is closed: a parked read is answered with EINTR, then freed. */
void fs_stream__close(struct fs_stream *s);

#endif

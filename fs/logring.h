/* SPDX-License-Identifier: MIT */
/* The bounded ring of recent daemon messages behind <mnt>/log. */
#ifndef PLUGFS_FS_LOGRING_H
#define PLUGFS_FS_LOGRING_H

#include <stddef.h>

/* Installs the ring as the plog sink; keeps the last `lines` messages. */
int logring_init(unsigned int lines);
void logring_fini(void);
/* A copy of the ring as text ("<time> <level> <message>\n" lines). */
int logring_snapshot(char **buf, size_t *len);

#endif

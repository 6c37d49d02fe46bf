/* SPDX-License-Identifier: MIT */
/*
 * Interfaces coming and going in the daemon's network namespace, followed
 * on rtnetlink (RTM_NEWLINK, RTM_DELLINK), so that the mount can drop what
 * the kernel's caches keep of an interface's directory.
 */
#ifndef PLUGFS_FS_NETWATCH_H
#define PLUGFS_FS_NETWATCH_H

#include <stdbool.h>

/*
 * Called on the watcher's thread for each link message: the interface's
 * name, and whether it is gone. A NULL name means events were lost: any
 * interface may have changed.
 */
typedef void (*netwatch_fn)(void *arg, const char *ifname, bool gone);

struct netwatch;

/* Starts the thread. NULL + errno (the reason logged). */
struct netwatch *netwatch__start(netwatch_fn fn, void *arg);
/* Stops and frees; NULL is a no-op. */
void netwatch__stop(struct netwatch *w);

#endif

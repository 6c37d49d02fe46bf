/* SPDX-License-Identifier: MIT */
/*
 * The kernel's caches of the mount: below the top level the kernel keeps
 * names and attributes for CACHE_TIMEOUT_S (fuse_ops.c), and the daemon
 * tells it at once when something it shows went away: an interface
 * deleted (rtnetlink), a host that exited (the host registry), the JSON
 * view of an entry the daemon removed. The notices are sent by a thread of
 * their own: the kernel takes the directory's lock for them, which a
 * thread still answering a request in that directory may hold.
 */
#ifndef PLUGFS_FS_CACHE_H
#define PLUGFS_FS_CACHE_H

#include <stdbool.h>

/* How long the kernel may keep a name or attributes below the top level
 * (the bound for changes nobody tells the daemon of, see plugfs(8)). */
#define CACHE_TIMEOUT_S 1.0

struct plugfs_fs;
struct fuse_session;
struct host_info;
struct fs_cache;

/* Starts the notice thread for a mounted session. NULL + errno. */
struct fs_cache *fs_cache__start(struct plugfs_fs *fs, struct fuse_session *se);
/* Sends what is queued, stops the thread; NULL is a no-op. */
void fs_cache__stop(struct fs_cache *c);

/* The kernel forgets <domain>/<group> and all below it. */
void fs_cache__drop_group(struct fs_cache *c, int domain, const char *group);
/* The kernel forgets an entry (and its JSON view) in the directory
 * holding the domain's entries. */
void fs_cache__drop_entry(struct fs_cache *c, int domain, const char *group, unsigned int sub,
			  const char *name);

/* Callbacks whose arg is the struct plugfs_fs (its cache may not be
 * started yet: nothing is cached before the mount).
 * For netwatch__start(): an interface gone from ifaces/ (or renamed). */
void fs_cache__iface_changed(void *fs, const char *ifname, bool gone);
/* For host_registry__on_change(): hosts/<host> and the plugins/ of its points. */
void fs_cache__host_changed(void *fs, const struct host_info *hi, bool gone);

#endif

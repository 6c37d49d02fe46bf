/* SPDX-License-Identifier: MIT */
/*
 * The pluginized hosts the daemon knows of. Hosts publish themselves with
 * a run file in <run>/hosts/<name>.<pid> (injector/proto.h, "Run file");
 * a discovery thread follows that directory (inotify plus a short rescan
 * that also notices dead pids) and keeps the list here.
 *
 * Hosts are reference counted: a caller takes a reference under the
 * registry's lock and talks to the host without it, so a host that does
 * not answer delays only the calls made to it.
 *
 * A new host is handed to the host_added callback before anyone else sees
 * it; the callback brings the host up to date and publishes it. Listings
 * and lookups show published hosts only.
 *
 * Each published host has a watcher thread that asks it for its status:
 * when a reader wants one, 100 ms after changes were made to it (once for
 * a burst of them), and once a second while the host is silent.
 * Readers never ask a host themselves: they wait for the watcher at most
 * READ_WAIT_MS (250 ms, all hosts of a read together) and take the newest
 * status the host sent, with its age, when it has not answered by then.
 *
 * A host that let a request time out is "silent": readers do not wait for
 * it at all, and the caller of changes may skip it (host__silent()). A
 * change that timed out, or one skipped, leaves the host "unsynced": once
 * the host answers again its watcher calls the host_sync callback, which
 * brings the host in line with what it should run.
 *
 * Lock order for callers: their own locks, then the registry's (taken
 * inside these functions, never held while a host is asked anything).
 */
#ifndef PLUGFS_FS_HOST_REGISTRY_H
#define PLUGFS_FS_HOST_REGISTRY_H

#include <proto.h>
#include <status.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HOST_FILE_MAX 192

/* What a host's run file says; fixed once the host is found. */
struct host_info {
	char file[HOST_FILE_MAX];	/* <name>.<pid>: the run file and the hosts/ entry */
	char name[INJ_NAME_MAX];
	pid_t pid;
	int msqid;
	char **points;			/* insertion point names, as the run file lists them */
	unsigned int nr_points;
	char **replace_only;		/* those [point_kinds] says are CALL_REPLACE_ONLY */
	unsigned int nr_replace_only;
};

struct host;
struct host_registry;

/*
 * Called by the discovery thread, with no lock of the registry held, for a
 * host just found. It must call host_registry__publish() once the host may
 * take changes: a change made after that call has to reach the host, so a
 * caller that serialises its changes with a lock holds it across both the
 * update and the publication. A host it does not publish is forgotten.
 */
typedef void (*host_added_fn)(void *arg, struct host_registry *r, struct host *h);
/*
 * Called on the host's watcher thread, with no lock of the registry held,
 * when a host that may have missed changes answers again. It returns false
 * when it could not sync now (it is called again a little later).
 */
typedef bool (*host_sync_fn)(void *arg, struct host *h);
/*
 * Called on the discovery thread, with no lock of the registry held, once
 * a host is published (gone false) or dropped (gone true): what a listing
 * of hosts and insertion points shows has changed.
 */
typedef void (*host_change_fn)(void *arg, const struct host_info *hi, bool gone);
/* Called for each name of a listing; non-zero stops it and is returned. */
typedef int (*host_name_fn)(const char *name, void *arg);

struct host_registry_opts {
	size_t sz;			/* sizeof(struct host_registry_opts) */
	const char *run_dir;		/* required: hosts are in <run_dir>/hosts */
	unsigned int timeout_ms;	/* per request; 0: inj_client__request()'s default */
};

/* Creates <run_dir>/hosts; no host is looked for before _start(). NULL + errno. */
struct host_registry *host_registry__new(const struct host_registry_opts *opts);
/* Sets the callback for new hosts, before _start(); without one, hosts are
 * published as they are found. */
void host_registry__on_host_added(struct host_registry *r, host_added_fn fn, void *arg);
/* Sets the callback for hosts to bring in line, before _start(). */
void host_registry__on_host_sync(struct host_registry *r, host_sync_fn fn, void *arg);
/* Sets the callback for hosts coming and going, before _start(). */
void host_registry__on_change(struct host_registry *r, host_change_fn fn, void *arg);
/* Finds the hosts already running (their host_added runs in this call), then
 * starts the discovery and probe threads. 0 or -errno. */
int host_registry__start(struct host_registry *r);
/* Stops the threads and drops every host. NULL is a no-op. */
void host_registry__free(struct host_registry *r);

void host_registry__publish(struct host_registry *r, struct host *h);

/* Published hosts, newest first, each referenced (host_set__release()). */
struct host_set {
	struct host **v;
	unsigned int nr;
};
/* The published hosts that register plugin (NULL: all of them). 0 or -ENOMEM. */
int host_registry__select(struct host_registry *r, const char *plugin, struct host_set *out);
void host_set__release(struct host_set *s);

/* The published host of that hosts/ name, referenced (host__put()); NULL if none. */
struct host *host_registry__find(struct host_registry *r, const char *file);
/* Does a published host register this insertion point? */
bool host_registry__has_point(struct host_registry *r, const char *point);
/* Every insertion point of the published hosts, each name once. */
int host_registry__for_each_point(struct host_registry *r, host_name_fn fn, void *arg);
/* The hosts/ names of the published hosts. */
int host_registry__for_each_host(struct host_registry *r, host_name_fn fn, void *arg);

struct host *host__get(struct host *h);
void host__put(struct host *h);
const struct host_info *host__info(const struct host *h);
bool host__registers(const struct host *h, const char *point);
/* The host declared that point CALL_REPLACE_ONLY: only REPLACE pluglets run there. */
bool host__point_replace_only(const struct host *h, const char *point);

/*
 * One change request (add, replace, rm, rm_pluglet), sent even to a silent
 * host. Returns what inj_client__request() returns; *text (may be NULL)
 * gets the host's reason or the local one, malloc'ed, to free(). A timeout
 * makes the host silent and unsynced.
 */
int host__call(struct host *h, const struct inj_request *req, const void *obj, size_t len,
	       char **text);
/* One change of a batch (host__call_all()). */
struct host_call {
	struct host *h;			/* referenced by the caller, each host once; NULL: skipped */
	struct inj_request req;
	const void *obj;
	size_t len;
	int rc;				/* out: what host__call() would return */
	char *text;			/* out: as host__call()'s, to free() */
};
/*
 * host__call() for several hosts at once: every request is sent before any
 * reply is waited for, and the replies are taken as they arrive. 0, or
 * -ENOMEM with nothing sent (every asked call's rc -ENOMEM then).
 */
int host__call_all(struct host_call *calls, unsigned int n);
/* Is the host known not to answer (a request to it timed out since its last answer)? */
bool host__silent(struct host *h);
/* The host missed a change (skipped while silent): sync it when it answers. */
void host__mark_unsynced(struct host *h);
/*
 * The host's status asked now on the change client, for the caller of
 * changes (no bound but the request timeout). 0 and the fields in *out
 * (to inj_host_status__fini()), or -errno with *out empty.
 */
int host__sync_status(struct host *h, struct inj_host_status *out);

/* What a read knows of a host. */
struct host_view {
	int err;			/* 0: st holds a status; else the host never answered */
	struct inj_host_status st;	/* the newest status the host sent */
	uint64_t age_ms;		/* how old st is */
	bool cached;			/* st is not an answer to this read (the host was slow or silent) */
	bool silent;			/* a request to the host timed out since its last answer */
	bool unsynced;			/* changes for the host are pending */
};
/*
 * The statuses of a set of hosts for a read (out[i] for s->v[i], each to
 * host_view__fini()): asked of every host together, waited for at most
 * 250 ms, not at all from a silent host. 0 or -ENOMEM.
 */
int host_set__status(struct host_set *s, struct host_view *out);
int host__status(struct host *h, struct host_view *out);
void host_view__fini(struct host_view *v);

/*
 * Pluglets a host refused when they were pushed to it, kept for `cat` of
 * the entry and of hosts/<host>. anchor is the anchor's directory name.
 */
void host__note_rejection(struct host *h, const char *plugin, const char *anchor, uint32_t seq,
			  const char *reason);
void host__forget_rejection(struct host *h, const char *plugin, const char *anchor, uint32_t seq);
/* Copies the reason of a noted rejection into reason; false if there is none. */
bool host__rejection(struct host *h, const char *plugin, const char *anchor, uint32_t seq,
		     char *reason, size_t size);
typedef void (*host_rejection_fn)(void *arg, const char *plugin, const char *anchor, uint32_t seq,
				  const char *reason);
/* Newest first. fn runs under the registry's lock: it must not call in here. */
void host__for_each_rejection(struct host *h, host_rejection_fn fn, void *arg);

#endif

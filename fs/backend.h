/* SPDX-License-Identifier: MIT */
/*
 * What the FUSE core (fs/fuse_ops.c, fs/tree.c) expects of the trees it
 * serves: ifaces/ (fs/ifaces.c, on the kernel engine), plugins/
 * (fs/plugins.c, on the connected hosts), hosts/ (fs/hosts.c) and the
 * trees added the same way.
 *
 * A tree (a "domain") has one of three shapes:
 *   FS_SHAPE_GROUP_SUB  <domain>/<group>/<sub>/<entry>
 *                       ifaces/<ifname>/{xdp,tc-ingress,tc-egress}/<priority>
 *                       plugins/<plugin>/{pre,replace,post}/<seq>
 *   FS_SHAPE_GROUP      <domain>/<group>/<entry>   (sub is always 0)
 *   FS_SHAPE_FLAT       <domain>/<entry>           (group is NULL, sub 0)
 *                       hosts/<name>.<pid>
 * The core owns inodes, open files and write buffers; a backend owns what
 * the entries are. Every backend call returns 0 or -errno and never blocks
 * for long; the core turns the errno into the FUSE reply in one place.
 *
 * Writes: the core buffers what is written to an entry and calls commit()
 * when the file is closed (FUSE flush), with the whole content. commit()
 * creates the entry, or atomically replaces it when it exists. If commit()
 * fails, nothing changed (no entry, no half-loaded program) and the errno is
 * what close() returns.
 */
#ifndef PLUGFS_FS_BACKEND_H
#define PLUGFS_FS_BACKEND_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fs_stream;
/* stream_open() of an ordinary entry (an errno no FUSE reply carries) */
#define FS_NOT_A_STREAM (-ENOSTR)

/* Called for each name during a listing; return non-zero to stop. */
typedef int (*fs_name_cb)(const char *name, void *arg);

enum fs_shape {
	FS_SHAPE_GROUP_SUB,
	FS_SHAPE_GROUP,
	FS_SHAPE_FLAT,
};

enum fs_report_format {
	FS_REPORT_TEXT,		/* what `cat <entry>` shows */
	FS_REPORT_JSON,		/* what `cat <entry>.json` shows (docs/json.md) */
};

/*
 * A report built for `cat`; owned by the caller, freed with free(buf).
 * The caller sets `format` before report(); a backend whose domain says
 * `json` builds that form (include/plugfs/json.h), others only text.
 */
struct fs_report {
	char *buf;
	size_t len;
	enum fs_report_format format;
};

struct fs_backend_ops {
	/* ---- groups (interfaces / plugins); unused by FS_SHAPE_FLAT ---- */
	int (*list_groups)(void *priv, fs_name_cb cb, void *arg);
	/* 0 if it exists, -ENOENT otherwise. */
	int (*group_exists)(void *priv, const char *group);
	/* mkdir <domain>/<group>; NULL: not allowed (-EPERM). */
	int (*mkdir_group)(void *priv, const char *group);
	/* rmdir <domain>/<group> (after `rm -r` removed its entries); NULL: -EPERM. */
	int (*rmdir_group)(void *priv, const char *group);

	/* ---- entries in <group>/<sub> (sub indexes the domain's subdirs[]);
	 * with FS_SHAPE_GROUP sub is 0, with FS_SHAPE_FLAT group is NULL too.
	 * Only list_entries, entry_exists and report are required. ---- */
	int (*list_entries)(void *priv, const char *group, unsigned int sub, fs_name_cb cb, void *arg);
	/* 0 if the entry exists, -ENOENT otherwise. */
	int (*entry_exists)(void *priv, const char *group, unsigned int sub, const char *name);
	/*
	 * May a new entry of this name be created here? Called at create()
	 * so that `cp` fails early: -EINVAL bad name, -ENOENT unknown group,
	 * -EEXIST (e.g. a second pluglet in replace/), -ENOSPC chain full.
	 */
	int (*may_create)(void *priv, const char *group, unsigned int sub, const char *name);
	/* Create or atomically replace the entry with this content. */
	int (*commit)(void *priv, const char *group, unsigned int sub, const char *name,
		      const void *buf, size_t len);
	int (*unlink)(void *priv, const char *group, unsigned int sub, const char *name);
	/* mv within one <group>/<sub>; -EEXIST if `to` exists (the core maps
	 * rename(2) onto this and fails RENAME_EXCHANGE with -EINVAL). */
	int (*rename)(void *priv, const char *group, unsigned int sub, const char *from,
		      const char *to);
	/* Builds the `cat` text, read fresh from the kernel / hosts. */
	int (*report)(void *priv, const char *group, unsigned int sub, const char *name,
		      struct fs_report *out);
	/* Optional: called once the answer to a commit, unlink or rename has
	 * been sent, for work the caller need not wait for. */
	void (*answered)(void *priv);
	/* Optional: a write made the bytes of a file open for writing a whole
	 * ELF object (its section headers end where the bytes end) and has been
	 * answered: what the commit at close will do with them may begin now,
	 * out of view; the commit checks it has the same bytes. file: the open
	 * file's token, given again to unprepare. */
	void (*prepare)(void *priv, const char *group, unsigned int sub, const char *name,
			const void *buf, size_t len, const void *file);
	/* Optional: that file was released; drops what it began and no commit took. */
	void (*unprepare)(void *priv, const void *file);

	/*
	 * ---- optional streams: entries whose reads wait for data (a map's
	 * `events`). The core keeps a read that finds nothing parked, without
	 * holding a thread of the session, and answers it when the backend
	 * calls fs_stream_wake(); poll() works the same way. ----
	 * stream_open: 0 with *reader set when `name` is a stream,
	 * FS_NOT_A_STREAM when it is an ordinary entry, -errno on failure.
	 */
	int (*stream_open)(void *priv, const char *group, unsigned int sub, const char *name,
			   struct fs_stream *s, void **reader);
	/* Copies at most size bytes: their count, 0 when nothing waits, -errno. */
	ssize_t (*stream_read)(void *reader, char *buf, size_t size);
	/* Would stream_read return data now? */
	bool (*stream_ready)(void *reader);
	/* The reader's file is closed: no fs_stream_wake(s) after this returns. */
	void (*stream_release)(void *reader);
};

/*
 * A backend tells the core that a stream has data (or an error) for its
 * reader: a parked read is answered, a poll() is woken. Called from any
 * thread, without holding a lock that stream_read or stream_ready take.
 */
void fs_stream_wake(struct fs_stream *s);

struct fs_domain {
	const char *name;			/* "ifaces", "plugins", "hosts" ... */
	enum fs_shape shape;
	const char *const *subdirs;		/* FS_SHAPE_GROUP_SUB: NULL-terminated */
	const struct fs_backend_ops *ops;	/* NULL: the slot is not in use */
	void *priv;
	/* Entries are reports only: create, write and (without ops->unlink)
	 * remove are EACCES rather than EROFS ("cannot load yet"). */
	bool read_only;
	/* report() honours FS_REPORT_JSON: `<entry>.json` exists for each entry. */
	bool json;
	/* Entries come and go only through the mount (cp, rm, mv): the kernel
	 * may keep a name's absence as it keeps names (no request per path
	 * walk of a name cp is about to create). */
	bool mount_only;
};

/* Bounded printf into a growing report; returns 0 or -ENOMEM. */
int fs_report_printf(struct fs_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct strbuf;
/* Hands a report built in a strbuf over to *r: 0, or -ENOMEM if an append failed. */
int fs_report_take(struct fs_report *r, struct strbuf *sb);

/*
 * Every pr_warn/pr_info message (<plugfs/log.h>) lands in the `log` file
 * too: backends log the full reason of every failure there (verifier log,
 * host error text, ELF problem) with pr_warn before returning the errno.
 */

struct plugfs_config;

/* The ifaces/ constructor, called once by main() after the config is read.
 * It fills *d (name, subdirs, ops, priv); 0 or -errno. plugins/ and hosts/
 * have theirs in plugins.h and hosts.h. */
int ifaces_domain_init(struct fs_domain *d, const struct plugfs_config *cfg);
void ifaces_domain_fini(struct fs_domain *d);
struct engine;
/* The kernel engine ifaces/ runs, which tracing/ shares (fs/tracing.h). */
struct engine *ifaces_domain_engine(const struct fs_domain *d);
struct plugfs_manifest;
struct engine_global;
struct engine_kv;
/* A manifest's global.X and metadata.X as the engine takes them (arrays of
 * MANIFEST_MAX_KV), pointing into m (fs/ifaces.c, used by tracing/ too). */
void manifest_engine_kv(const struct plugfs_manifest *m, struct engine_global *g,
			struct engine_kv *md);

#endif

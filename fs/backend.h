/* SPDX-License-Identifier: MIT */
/*
 * What the FUSE core (fs/fuse_ops.c, fs/tree.c) expects of the trees it
 * serves: ifaces/ (fs/ifaces.c, on the kernel engine), plugins/
 * (fs/plugins.c, on the connected hosts) and hosts/ (fs/hosts.c).
 *
 * ifaces/ and plugins/ have the same shape, <domain>/<group>/<sub>/<entry>:
 *   ifaces/<ifname>/{xdp,tc-ingress,tc-egress}/<priority>
 *   plugins/<plugin>/{pre,replace,post}/<seq>
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

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Called for each name during a listing; return non-zero to stop. */
typedef int (*fs_name_cb)(const char *name, void *arg);

/* A report built for `cat`; owned by the caller, freed with free(buf). */
struct fs_report {
	char *buf;
	size_t len;
};

struct fs_backend_ops {
	/* ---- groups (interfaces / plugins) ---- */
	int (*list_groups)(void *priv, fs_name_cb cb, void *arg);
	/* 0 if it exists, -ENOENT otherwise. */
	int (*group_exists)(void *priv, const char *group);
	/* mkdir <domain>/<group>; NULL: not allowed (-EPERM). */
	int (*mkdir_group)(void *priv, const char *group);
	/* rmdir <domain>/<group> (after `rm -r` removed its entries); NULL: -EPERM. */
	int (*rmdir_group)(void *priv, const char *group);

	/* ---- entries in <group>/<sub> (sub indexes the domain's subdirs[]) ---- */
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
};

struct fs_domain {
	const char *name;			/* "ifaces" or "plugins" */
	const char *const *subdirs;		/* NULL-terminated */
	const struct fs_backend_ops *ops;
	void *priv;
};

/*
 * Read-only flat directories (hosts/): a list of names and a report each.
 */
struct fs_flatdir_ops {
	int (*list)(void *priv, fs_name_cb cb, void *arg);
	int (*exists)(void *priv, const char *name);
	int (*report)(void *priv, const char *name, struct fs_report *out);
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

#endif

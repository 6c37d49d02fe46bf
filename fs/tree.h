/* SPDX-License-Identifier: MIT */
/*
 * The inode table of the FUSE core: every node the kernel knows of (it
 * looked it up and has not forgotten it), keyed by inode number and by
 * path. Nodes describe positions in the tree; what exists there is asked
 * from the backends at each operation, so the table never goes stale.
 */
#ifndef PLUGFS_FS_TREE_H
#define PLUGFS_FS_TREE_H

#include <stdbool.h>
#include <stdint.h>

enum node_kind {
	NODE_ROOT,
	NODE_DOMAIN,	/* ifaces/, plugins/, hosts/ ... */
	NODE_GROUP,	/* ifaces/<if>, plugins/<plugin> */
	NODE_SUB,	/* .../<hook|anchor> */
	NODE_ENTRY,	/* .../<prio|seq>, hosts/<name>.<pid> */
	NODE_JSON,	/* .../<entry>.json: the JSON form of an entry's report */
	NODE_LOG,	/* log */
};

struct node {
	uint64_t ino;
	enum node_kind kind;
	int domain;		/* index in the domain table, -1 if none */
	unsigned int sub;
	char *group;		/* GROUP, SUB, ENTRY, JSON (NULL in flat domains) */
	char *name;		/* ENTRY, JSON (the entry's name, without .json) */
	char *path;		/* canonical key */
	uint64_t nlookup;
	unsigned int writers;	/* open write handles that may create the entry */
	bool orphan;		/* its entry was removed or renamed over: no path */
	struct node *next_ino, *next_path;
};

#define TREE_ROOT_INO 1

/* One table per mount, held by the FUSE session's state (fuse_ops.h). */
struct tree;

/* A table holding the root node; NULL on ENOMEM. */
struct tree *tree__new(void);
void tree__free(struct tree *t);
void tree__lock(struct tree *t);
void tree__unlock(struct tree *t);
/* Under the lock. */
struct node *tree__get(struct tree *t, uint64_t ino);
/* Finds or creates the node for this position; NULL on ENOMEM. Under the lock. */
struct node *tree__intern(struct tree *t, enum node_kind kind, int domain, const char *group,
			  unsigned int sub, const char *name);
/*
 * Follows a rename of an entry: the node at `from` takes the path `to`
 * (the kernel keeps using its inode under the new name); a node that was
 * at `to` becomes an orphan. Under the lock.
 */
void tree__rename_entry(struct tree *t, int domain, const char *group, unsigned int sub,
			const char *from, const char *to);
/* The inode of the directory node at this position (DOMAIN, GROUP, SUB),
 * 0 when the kernel does not know it. Under the lock. */
uint64_t tree__ino_of(struct tree *t, enum node_kind kind, int domain, const char *group,
		      unsigned int sub);
/* Follows an unlink: the node at that path becomes an orphan. Under the lock. */
void tree__orphan_entry(struct tree *t, int domain, const char *group, unsigned int sub,
			const char *name);
/* Drops nlookup references; frees the node at zero. Under the lock. */
void tree__forget(struct tree *t, struct node *n, uint64_t nlookup);

#endif

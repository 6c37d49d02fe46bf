/* SPDX-License-Identifier: MIT */
/* The inode table (tree.h): two hash chains per node, by inode number and by path. */
#include "tree.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NR_BUCKETS 4096

struct tree {
	pthread_mutex_t lock;
	struct node *by_ino[NR_BUCKETS];
	struct node *by_path[NR_BUCKETS];
	uint64_t next_ino;
	struct node root;
};

static unsigned int hash_str(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % NR_BUCKETS;
}

void tree__lock(struct tree *t)
{
	pthread_mutex_lock(&t->lock);
}

void tree__unlock(struct tree *t)
{
	pthread_mutex_unlock(&t->lock);
}

struct tree *tree__new(void)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->next_ino = TREE_ROOT_INO + 1;
	t->root = (struct node){ .ino = TREE_ROOT_INO, .kind = NODE_ROOT, .domain = -1,
				 .path = "/", .nlookup = 1 };
	t->by_ino[TREE_ROOT_INO % NR_BUCKETS] = &t->root;
	t->by_path[hash_str(t->root.path)] = &t->root;
	return t;
}

static void node_free(struct node *n)
{
	free(n->group);
	free(n->name);
	free(n->path);
	free(n);
}

void tree__free(struct tree *t)
{
	unsigned int i;

	if (!t)
		return;
	for (i = 0; i < NR_BUCKETS; i++) {
		struct node *n = t->by_ino[i], *next;

		for (; n; n = next) {
			next = n->next_ino;
			if (n != &t->root)
				node_free(n);
		}
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct node *tree__get(struct tree *t, uint64_t ino)
{
	struct node *n;

	for (n = t->by_ino[ino % NR_BUCKETS]; n; n = n->next_ino)
		if (n->ino == ino)
			return n;
	return NULL;
}

static char *make_path(enum node_kind kind, int domain, const char *group, unsigned int sub,
		       const char *name)
{
	char *p = NULL;
	int rc;

	/* Flat domains have no group: its place stays empty in the key. */
	if (!group)
		group = "";
	switch (kind) {
	case NODE_ROOT: return strdup("/");
	case NODE_LOG: return strdup("/log");
	case NODE_DOMAIN: rc = asprintf(&p, "/%d", domain); break;
	case NODE_GROUP: rc = asprintf(&p, "/%d/%s", domain, group); break;
	case NODE_SUB: rc = asprintf(&p, "/%d/%s/%u", domain, group, sub); break;
	case NODE_ENTRY: rc = asprintf(&p, "/%d/%s/%u/%s", domain, group, sub, name); break;
	case NODE_JSON: rc = asprintf(&p, "json/%d/%s/%u/%s", domain, group, sub, name); break;
	default: return NULL;
	}
	return rc < 0 ? NULL : p;
}

struct node *tree__intern(struct tree *t, enum node_kind kind, int domain, const char *group, unsigned int sub,
			 const char *name)
{
	char *path = make_path(kind, domain, group, sub, name);
	struct node *n;
	unsigned int h;

	if (!path)
		return NULL;
	h = hash_str(path);
	for (n = t->by_path[h]; n; n = n->next_path) {
		if (!strcmp(n->path, path)) {
			free(path);
			return n;
		}
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		free(path);
		return NULL;
	}
	n->ino = t->next_ino++;
	n->kind = kind;
	n->domain = domain;
	n->sub = sub;
	n->path = path;
	if ((group && !(n->group = strdup(group))) || (name && !(n->name = strdup(name)))) {
		node_free(n);
		return NULL;
	}
	n->next_path = t->by_path[h];
	t->by_path[h] = n;
	n->next_ino = t->by_ino[n->ino % NR_BUCKETS];
	t->by_ino[n->ino % NR_BUCKETS] = n;
	return n;
}

static void unlink_from(struct node **head, struct node *n, int by_ino_chain)
{
	struct node **pp;

	for (pp = head; *pp; pp = by_ino_chain ? &(*pp)->next_ino : &(*pp)->next_path) {
		if (*pp == n) {
			*pp = by_ino_chain ? n->next_ino : n->next_path;
			return;
		}
	}
}

static struct node *find_path(struct tree *t, const char *path)
{
	struct node *n;

	for (n = t->by_path[hash_str(path)]; n; n = n->next_path)
		if (!strcmp(n->path, path))
			return n;
	return NULL;
}

uint64_t tree__ino_of(struct tree *t, enum node_kind kind, int domain, const char *group,
		      unsigned int sub)
{
	char *path = make_path(kind, domain, group, sub, NULL);
	struct node *n = path ? find_path(t, path) : NULL;

	free(path);
	return n ? n->ino : 0;
}

static void orphan(struct tree *t, struct node *n)
{
	unlink_from(&t->by_path[hash_str(n->path)], n, 0);
	n->next_path = NULL;
	n->orphan = true;
}

void tree__orphan_entry(struct tree *t, int domain, const char *group, unsigned int sub, const char *name)
{
	char *path = make_path(NODE_ENTRY, domain, group, sub, name);
	struct node *n = path ? find_path(t, path) : NULL;

	if (n)
		orphan(t, n);
	free(path);
}

void tree__rename_entry(struct tree *t, int domain, const char *group, unsigned int sub, const char *from,
		       const char *to)
{
	char *old_path = make_path(NODE_ENTRY, domain, group, sub, from);
	char *new_path = make_path(NODE_ENTRY, domain, group, sub, to);
	char *new_name = strdup(to);
	struct node *n, *over;

	if (!old_path || !new_path || !new_name)
		goto out;
	over = find_path(t, new_path);
	if (over)
		orphan(t, over);
	n = find_path(t, old_path);
	if (!n)
		goto out;
	unlink_from(&t->by_path[hash_str(n->path)], n, 0);
	free(n->path);
	free(n->name);
	n->path = new_path;
	n->name = new_name;
	new_path = new_name = NULL;
	n->next_path = t->by_path[hash_str(n->path)];
	t->by_path[hash_str(n->path)] = n;
out:
	free(old_path);
	free(new_path);
	free(new_name);
}

void tree__forget(struct tree *t, struct node *n, uint64_t nlookup)
{
	if (n == &t->root)
		return;
	n->nlookup = nlookup >= n->nlookup ? 0 : n->nlookup - nlookup;
	if (n->nlookup || n->writers)
		return;
	unlink_from(&t->by_ino[n->ino % NR_BUCKETS], n, 1);
	if (!n->orphan)
		unlink_from(&t->by_path[hash_str(n->path)], n, 0);
	node_free(n);
}

/* SPDX-License-Identifier: MIT */
#include "tree.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NR_BUCKETS 4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct node *by_ino[NR_BUCKETS];
static struct node *by_path[NR_BUCKETS];
static uint64_t next_ino = TREE_ROOT_INO + 1;
static struct node root = { .ino = TREE_ROOT_INO, .kind = NODE_ROOT, .domain = -1, .path = "/" };

static unsigned int hash_str(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % NR_BUCKETS;
}

void tree_lock(void) { pthread_mutex_lock(&lock); }
void tree_unlock(void) { pthread_mutex_unlock(&lock); }

int tree_init(void)
{
	root.nlookup = 1;
	by_ino[TREE_ROOT_INO % NR_BUCKETS] = &root;
	by_path[hash_str(root.path)] = &root;
	return 0;
}

static void node_free(struct node *n)
{
	free(n->group);
	free(n->name);
	free(n->path);
	free(n);
}

void tree_fini(void)
{
	unsigned int i;

	for (i = 0; i < NR_BUCKETS; i++) {
		struct node *n = by_ino[i], *next;

		for (; n; n = next) {
			next = n->next_ino;
			if (n != &root)
				node_free(n);
		}
		by_ino[i] = by_path[i] = NULL;
	}
}

struct node *tree_get(uint64_t ino)
{
	struct node *n;

	for (n = by_ino[ino % NR_BUCKETS]; n; n = n->next_ino)
		if (n->ino == ino)
			return n;
	return NULL;
}

static char *make_path(enum node_kind kind, int domain, const char *group, unsigned int sub,
		       const char *name)
{
	char *p = NULL;
	int rc;

	switch (kind) {
	case NODE_ROOT: return strdup("/");
	case NODE_LOG: return strdup("/log");
	case NODE_HOSTS: return strdup("/hosts");
	case NODE_HOST: rc = asprintf(&p, "/hosts/%s", name); break;
	case NODE_DOMAIN: rc = asprintf(&p, "/%d", domain); break;
	case NODE_GROUP: rc = asprintf(&p, "/%d/%s", domain, group); break;
	case NODE_SUB: rc = asprintf(&p, "/%d/%s/%u", domain, group, sub); break;
	case NODE_ENTRY: rc = asprintf(&p, "/%d/%s/%u/%s", domain, group, sub, name); break;
	default: return NULL;
	}
	return rc < 0 ? NULL : p;
}

struct node *tree_intern(enum node_kind kind, int domain, const char *group, unsigned int sub,
			 const char *name)
{
	char *path = make_path(kind, domain, group, sub, name);
	struct node *n;
	unsigned int h;

	if (!path)
		return NULL;
	h = hash_str(path);
	for (n = by_path[h]; n; n = n->next_path) {
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
	n->ino = next_ino++;
	n->kind = kind;
	n->domain = domain;
	n->sub = sub;
	n->path = path;
	if ((group && !(n->group = strdup(group))) || (name && !(n->name = strdup(name)))) {
		node_free(n);
		return NULL;
	}
	n->next_path = by_path[h];
	by_path[h] = n;
	n->next_ino = by_ino[n->ino % NR_BUCKETS];
	by_ino[n->ino % NR_BUCKETS] = n;
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

static struct node *find_path(const char *path)
{
	struct node *n;

	for (n = by_path[hash_str(path)]; n; n = n->next_path)
		if (!strcmp(n->path, path))
			return n;
	return NULL;
}

static void orphan(struct node *n)
{
	unlink_from(&by_path[hash_str(n->path)], n, 0);
	n->next_path = NULL;
	n->orphan = true;
}

void tree_orphan_entry(int domain, const char *group, unsigned int sub, const char *name)
{
	char *path = make_path(NODE_ENTRY, domain, group, sub, name);
	struct node *n = path ? find_path(path) : NULL;

	if (n)
		orphan(n);
	free(path);
}

void tree_rename_entry(int domain, const char *group, unsigned int sub, const char *from,
		       const char *to)
{
	char *old_path = make_path(NODE_ENTRY, domain, group, sub, from);
	char *new_path = make_path(NODE_ENTRY, domain, group, sub, to);
	char *new_name = strdup(to);
	struct node *n, *over;

	if (!old_path || !new_path || !new_name)
		goto out;
	over = find_path(new_path);
	if (over)
		orphan(over);
	n = find_path(old_path);
	if (!n)
		goto out;
	unlink_from(&by_path[hash_str(n->path)], n, 0);
	free(n->path);
	free(n->name);
	n->path = new_path;
	n->name = new_name;
	new_path = new_name = NULL;
	n->next_path = by_path[hash_str(n->path)];
	by_path[hash_str(n->path)] = n;
out:
	free(old_path);
	free(new_path);
	free(new_name);
}

void tree_forget(struct node *n, uint64_t nlookup)
{
	if (n == &root)
		return;
	n->nlookup = nlookup >= n->nlookup ? 0 : n->nlookup - nlookup;
	if (n->nlookup || n->writers)
		return;
	unlink_from(&by_ino[n->ino % NR_BUCKETS], n, 1);
	if (!n->orphan)
		unlink_from(&by_path[hash_str(n->path)], n, 0);
	node_free(n);
}

/* SPDX-License-Identifier: MIT */
/* Telling the kernel what of its cache of the mount went stale (cache.h). */
#include "cache.h"

#include "fuse_ops.h"
#include "host_registry.h"
#include "tree.h"

#include <plugfs/log.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One name to drop: `name` in the directory at (kind, domain, group, sub). */
struct notice {
	enum node_kind dir_kind;
	int domain;
	char *group;
	unsigned int sub;
	char *name;
	struct notice *next;
};

struct fs_cache {
	struct plugfs_fs *fs;
	struct fuse_session *se;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct notice *head, **tail;	/* under lock */
	bool stop;
	pthread_t thread;
};

static void notice_free(struct notice *n)
{
	free(n->group);
	free(n->name);
	free(n);
}

static void send_notice(struct fs_cache *c, const struct notice *n)
{
	uint64_t parent;
	int err;

	tree__lock(c->fs->tree);
	parent = tree__ino_of(c->fs->tree, n->dir_kind, n->domain, n->group, n->sub);
	tree__unlock(c->fs->tree);
	if (!parent)
		return;		/* the kernel never looked there */
	err = fuse_lowlevel_notify_inval_entry(c->se, parent, n->name, strlen(n->name));
	if (err && err != -ENOENT)
		pr_debug("cache: cannot drop %s: %s", n->name, strerror(-err));
}

static void *cache_main(void *arg)
{
	struct fs_cache *c = arg;
	struct notice *n;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->head && !c->stop)
			pthread_cond_wait(&c->cond, &c->lock);
		n = c->head;
		if (!n)
			break;
		c->head = n->next;
		if (!c->head)
			c->tail = &c->head;
		pthread_mutex_unlock(&c->lock);
		send_notice(c, n);
		notice_free(n);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct fs_cache *fs_cache__start(struct plugfs_fs *fs, struct fuse_session *se)
{
	struct fs_cache *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return NULL;
	c->fs = fs;
	c->se = se;
	c->tail = &c->head;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	err = pthread_create(&c->thread, NULL, cache_main, c);
	if (err) {
		pthread_mutex_destroy(&c->lock);
		pthread_cond_destroy(&c->cond);
		free(c);
		errno = err;
		return NULL;
	}
	return c;
}

void fs_cache__stop(struct fs_cache *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c);
}

static void queue(struct fs_cache *c, enum node_kind dir_kind, int domain, const char *group,
		  unsigned int sub, const char *name)
{
	struct notice *n;

	if (!c || !name)
		return;
	n = calloc(1, sizeof(*n));
	if (!n || (group && !(n->group = strdup(group))) || !(n->name = strdup(name))) {
		if (n)
			notice_free(n);
		pr_warn("cache: out of memory: %s may show for up to %.0f s", name, CACHE_TIMEOUT_S);
		return;
	}
	n->dir_kind = dir_kind;
	n->domain = domain;
	n->sub = sub;
	pthread_mutex_lock(&c->lock);
	*c->tail = n;
	c->tail = &n->next;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void fs_cache__drop_group(struct fs_cache *c, int domain, const char *group)
{
	queue(c, NODE_DOMAIN, domain, NULL, 0, group);
}

void fs_cache__drop_entry(struct fs_cache *c, int domain, const char *group, unsigned int sub,
			  const char *name)
{
	const struct fs_domain *d;
	enum node_kind dir = NODE_DOMAIN;
	char json[NAME_MAX + 1];

	if (!c || domain < 0 || domain >= (int)c->fs->nr_domains)
		return;
	d = &c->fs->domains[domain];
	if (d->shape == FS_SHAPE_GROUP_SUB)
		dir = NODE_SUB;
	else if (d->shape == FS_SHAPE_GROUP)
		dir = NODE_GROUP;
	if (d->shape == FS_SHAPE_FLAT)
		group = NULL;
	if (d->shape != FS_SHAPE_GROUP_SUB)
		sub = 0;
	queue(c, dir, domain, group, sub, name);
	/* its JSON view goes with it */
	if (d->json && snprintf(json, sizeof(json), "%s.json", name) < (int)sizeof(json))
		queue(c, dir, domain, group, sub, json);
}

static struct fs_cache *cache_of(void *fs)
{
	return __atomic_load_n(&((struct plugfs_fs *)fs)->cache, __ATOMIC_ACQUIRE);
}

void fs_cache__iface_changed(void *fs, const char *ifname, bool gone)
{
	if (gone)
		fs_cache__drop_group(cache_of(fs), DOMAIN_IFACES, ifname);
}

void fs_cache__host_changed(void *fs, const struct host_info *hi, bool gone)
{
	struct fs_cache *c = cache_of(fs);
	unsigned int i;

	if (!gone)
		return;		/* what a new host adds is looked up anew */
	fs_cache__drop_entry(c, DOMAIN_HOSTS, NULL, 0, hi->file);
	/* Its plugins' directories, and the other programs' pluglets listed
	 * from its status, may be gone with it. */
	for (i = 0; i < hi->nr_points; i++)
		fs_cache__drop_group(c, DOMAIN_PLUGINS, hi->points[i]);
}

/* SPDX-License-Identifier: MIT */
/*
 * The desired state of plugins/: plugins and their pluglets (object bytes
 * and options), in memory and mirrored in <state>/plugins so that a
 * restarted daemon shows the same tree and can push it to hosts again:
 *   <state>/plugins/<plugin>/declared              (mkdir'd by the user)
 *   <state>/plugins/<plugin>/<anchor>/<name>.o     (object)
 *   <state>/plugins/<plugin>/<anchor>/<name>.ini   (options, generation)
 *   <state>/plugins/.origin                        (the store's id, hex)
 * Not thread-safe: plugins.c serialises the changes and guards the reads
 * with its own locks.
 */
#ifndef PLUGFS_FS_PLUGINS_STATE_H
#define PLUGFS_FS_PLUGINS_STATE_H

#include <pluglet/host.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_pluglet {
	char name[16];			/* directory entry: decimal seq as written */
	uint32_t seq;
	void *obj;
	size_t len;
	bool jit;
	uint32_t extra_memory;
	uint32_t shared_memory;
	char entry[128];		/* "" = the only global function */
	char source[4096];		/* manifest's object path, "" if written directly */
	char sha256[65];
	uint64_t gen;			/* generation of the change that made it (0: before they existed) */
	struct pl_pluglet *next;	/* sorted by seq */
};

struct pl_plugin {
	char name[128];
	bool declared;
	struct pl_pluglet *anchors[PLUGLET_ANCHOR__MAX];
	struct pl_plugin *next;
};

struct pl_store {
	char dir[4200];
	struct pl_plugin *plugins;
	uint64_t origin;		/* this store's id on the hosts (<state>/plugins/.origin) */
	uint64_t max_gen;		/* the highest generation loaded */
};

int pl_store_open(struct pl_store *s, const char *state_dir);
void pl_store_close(struct pl_store *s);

struct pl_plugin *pl_store_find(struct pl_store *s, const char *plugin);
int pl_store_declare(struct pl_store *s, const char *plugin);
/* Forgets a declared plugin without pluglets; -ENOTEMPTY otherwise. */
int pl_store_undeclare(struct pl_store *s, const char *plugin);

struct pl_pluglet *pl_store_get(struct pl_store *s, const char *plugin, unsigned int anchor,
				const char *name);
/* Inserts or replaces (the old one is freed); takes ownership on success. */
int pl_store_put(struct pl_store *s, const char *plugin, unsigned int anchor, struct pl_pluglet *pl);
int pl_store_del(struct pl_store *s, const char *plugin, unsigned int anchor, const char *name);
int pl_store_rename(struct pl_store *s, const char *plugin, unsigned int anchor, const char *from,
		    const char *to, uint32_t seq);

void pl_pluglet_free(struct pl_pluglet *pl);

#endif

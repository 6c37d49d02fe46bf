/* SPDX-License-Identifier: MIT */
/*
 * Load manifests: what a write into the tree may contain besides an ELF
 * object (plugfs(8), "Manifests"). One ini document, keys without a section:
 *   object, name, proceed_on, global.NAME, metadata.KEY, map_owner, mode,
 *   jit, extra_memory, shared_memory, entry, swap, swap_empty (ifaces/),
 *   attach, retprobe, target, fn_name, offset, pid (tracing/); instead of
 *   object: image (with image_pull_policy, registry_auth) or source (with cflags)
 */
#ifndef PLUGFS_FS_MANIFEST_H
#define PLUGFS_FS_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MANIFEST_MAX_KV 32

struct manifest_kv {
	char key[64];
	char value[512];		/* as written */
	uint8_t data[256];		/* global.X: the decoded bytes */
	size_t len;
};

struct plugfs_manifest {
	unsigned int keys_read;		/* key = value lines read, even when the parse failed:
					 * none means the text was not meant as a manifest */
	char object[4096];		/* absolute path ("" with image or source) */
	char image[1024];		/* an OCI bytecode image reference */
	char image_pull_policy[16];	/* Always | IfNotPresent | Never; "" = IfNotPresent */
	char registry_auth[4096];	/* docker-style auth file; "" = the daemon's */
	char source[4096];		/* C source, absolute path */
	char cflags[512];		/* with source */
	char name[128];			/* program / function in the object ("" = unset) */
	char proceed_on[256];		/* "" = default of the hook */
	char map_owner[256];		/* "" = none */
	char mode[16];			/* xdp: native | skb; "" = default */
	char swap[160];			/* kernel entries: "MAP[,MAP]" swapped by reads; "" = none */
	bool swap_empty;		/* a swap read empties what it returns */
	int jit;			/* -1 unset, 0, 1 */
	int64_t extra_memory;		/* -1 unset */
	int64_t shared_memory;		/* -1 unset */
	char attach[512];		/* tracing/: "tracepoint:CAT:EVENT", ... ("" = SEC()) */
	char target[4096];		/* tracing/: uprobe / usdt binary */
	char fn_name[256];		/* tracing/: symbol or kernel function */
	int retprobe;			/* -1 unset, 0, 1 */
	int64_t offset;			/* -1 unset */
	int pid;			/* 0: every process */
	unsigned int nr_globals;
	struct manifest_kv globals[MANIFEST_MAX_KV];	/* value: hex bytes as written */
	unsigned int nr_metadata;
	struct manifest_kv metadata[MANIFEST_MAX_KV];
};

/* True if the buffer is an ELF object rather than a manifest. */
bool manifest_is_elf(const void *buf, size_t len);

/*
 * Parses a manifest. 0, or -EINVAL with the reason in err (line, key):
 * unknown key, not exactly one of object / image / source, relative path,
 * bad number or pull policy.
 */
int manifest_parse(const void *buf, size_t len, struct plugfs_manifest *m, char *err, size_t err_size);

/*
 * Reads the object the manifest names, at most max bytes: 0, -ENOENT,
 * -EFBIG (over max), -EINVAL (not a regular file) with the reason in err.
 * *obj is malloc'd.
 */
int manifest_read_object(const struct plugfs_manifest *m, size_t max, void **obj, size_t *len,
			 char *err, size_t err_size);

/*
 * A map_owner given as a path: absolute (inside the mount point) or
 * relative to the entry's own path base ("ifaces/eth0/xdp/10",
 * "tracing/x"), with "." and ".." resolved. Splits it into at most max
 * components (pointing into buf); returns their count, or -ENOENT.
 */
int manifest_owner_path(const char *mountpoint, const char *base, const char *spec, char *buf,
			size_t size, char **comp, int max);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Spares: per program type (XDP; TC for both directions) a chain map with
 * the indirect build of our root loaded with it and a stub in slot 0, made
 * ahead by the background thread (bpf/background.c), so a first load on a
 * hook neither loads a root nor waits for the kernel to patch one: it swaps
 * the stub for its program (a pointer swap) and attaches. The map and root
 * are pinned ahead too, in <bpffs>/spare:<kind>:<n>/<xdp|tc-ingress>/: a
 * first load renames that directory into place (one syscall for the
 * interface's and the hook's directories and two pins). engine__free
 * removes unused ones; a daemon that dies leaves them pinned, and the next
 * one removes them when it starts. Nothing of them is attached.
 *
 * A PROG_ARRAY takes the program type, expected attach type, JIT and XDP
 * frags setting of the first program put in it (here: the stub), so a spare
 * only fits programs with the same; the engine only chains SEC("xdp"),
 * SEC("tc") and SEC("classifier") programs, which match, unless the JIT was
 * switched on or off since the spare was made: such a load is retried
 * without the spare (bpf/entry_load.c).
 */
#include "spare.h"
#include "chain.h"
#include "hooks.h"
#include "prog_load.h"
#include "stats.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

static int spare_index(enum engine_hook kind)
{
	return kind == ENGINE_HOOK_XDP ? 0 : 1;
}

enum engine_hook spare_kind(int i)
{
	return i ? ENGINE_HOOK_TC_INGRESS : ENGINE_HOOK_XDP;
}

void spare_init(struct engine *e, bool on)
{
	int i;

	for (i = 0; i < SPARE_KINDS; i++) {
		e->spare[i].map_fd = e->spare[i].counts_fd = e->spare[i].root_fd = e->spare[i].stub_fd = -1;
		e->spare[i].dir[0] = '\0';
	}
	e->spares_on = on;
}

int spare_missing(const struct engine *e)
{
	int i;

	if (!e->spares_on)
		return -1;
	for (i = 0; i < SPARE_KINDS; i++)
		if (e->spare[i].root_fd < 0 && !e->spare_failed[i])
			return i;
	return -1;
}

/* Pins a spare's map and root; an unpinned spare still serves (the first
 * load pins them itself). */
static void spare_pin(struct engine *e, enum engine_hook kind, struct eng_spare *s)
{
	char dir[PATH_MAX + 32], path[PATH_MAX + 48];

	plugfs_snprintf(s->dir, sizeof(s->dir), "%s/spare:%s:%u", e->bpffs_dir,
			kind == ENGINE_HOOK_XDP ? "xdp" : "tc", ++e->spare_serial);
	plugfs_snprintf(dir, sizeof(dir), "%s/%s", s->dir, chain_spare_subdir(kind));
	if (!plugfs_mkdir_p(dir, 0700)) {
		plugfs_snprintf(path, sizeof(path), "%s/chain", dir);
		if (!bpf_obj_pin(s->map_fd, path)) {
			plugfs_snprintf(path, sizeof(path), "%s/counts", dir);
			if (s->counts_fd < 0 || !bpf_obj_pin(s->counts_fd, path)) {
				plugfs_snprintf(path, sizeof(path), "%s/root", dir);
				if (!bpf_obj_pin(s->root_fd, path))
					return;
			}
		}
	}
	pr_debug("bpf: spare not pinned in %s: %s", dir, strerror(errno));
	chain_spare_unpin(s->dir, kind);
	s->dir[0] = '\0';
}

void spare_unpin_old(struct engine *e)
{
	char path[PATH_MAX + 300];
	struct dirent *d;
	DIR *dp = opendir(e->bpffs_dir);

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (strncmp(d->d_name, "spare:", 6))
			continue;
		plugfs_snprintf(path, sizeof(path), "%s/%s", e->bpffs_dir, d->d_name);
		chain_spare_unpin(path, strncmp(d->d_name, "spare:xdp:", 10) ?
						ENGINE_HOOK_TC_INGRESS : ENGINE_HOOK_XDP);
	}
	closedir(dp);
}

/* Map, stub in slot 0, then the indirect root; counts: a counts map too. */
static int make(enum engine_hook kind, bool counts, struct eng_spare *s)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	int map_fd, stub_fd = -1, root_fd = -1, err;
	__u32 key = 0, val;

	map_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "plugfs_chain", 4, 4, CHAIN_MAP_ENTRIES,
				&mo);
	if (map_fd < 0)
		return -errno;
	err = load_stub_prog(kind, &stub_fd);
	if (!err) {
		val = (__u32)stub_fd;
		if (bpf_map_update_elem(map_fd, &key, &val, BPF_ANY))
			err = -errno;
	}
	if (!err)
		err = load_root_prog(kind, true, map_fd, &root_fd);
	if (err) {
		if (stub_fd >= 0)
			close(stub_fd);
		close(map_fd);
		return err;
	}
	s->map_fd = map_fd;
	s->root_fd = root_fd;
	s->stub_fd = stub_fd;
	/* a first load without it makes one */
	s->counts_fd = counts ? stats_counts_create() : -1;
	if (s->counts_fd < 0)
		s->counts_fd = -1;
	return 0;
}

int spare_make(struct engine *e, enum engine_hook kind, struct eng_spare *s)
{
	int err = make(kind, !e->no_counts, s);

	if (!err)
		spare_pin(e, kind, s);
	return err;
}

static void spare_close(struct eng_spare *s, enum engine_hook kind)
{
	if (s->dir[0])
		chain_spare_unpin(s->dir, kind);
	s->dir[0] = '\0';
	fd_close(&s->root_fd);
	fd_close(&s->map_fd);
	fd_close(&s->counts_fd);
	fd_close(&s->stub_fd);
}

void spare_close_all(struct engine *e)
{
	int i;

	for (i = 0; i < SPARE_KINDS; i++)
		spare_close(&e->spare[i], spare_kind(i));
}

bool spare_take(struct engine *e, enum engine_hook kind, struct eng_spare *out)
{
	struct eng_spare *s;
	bool got = false;

	if (!e->bg_running || !e->spares_on)
		return false;
	pthread_mutex_lock(&e->bg_lock);
	s = &e->spare[spare_index(kind)];
	if (s->root_fd >= 0) {
		*out = *s;
		s->map_fd = s->counts_fd = s->root_fd = s->stub_fd = -1;
		s->dir[0] = '\0';
		got = true;
	}
	pthread_mutex_unlock(&e->bg_lock);
	return got;
}

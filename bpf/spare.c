/* SPDX-License-Identifier: MIT */
/*
 * The engine's background thread: the work a verb leaves, done once the
 * engine is idle so that no request waits for it.
 *
 * Spares: per program type (XDP; TC for both directions) a chain map with
 * the indirect build of our root loaded with it and a stub in slot 0, so a
 * first load on a hook neither loads a root nor waits for the kernel to
 * patch one: it swaps the stub for its program (a pointer swap) and
 * attaches. The map and root are pinned ahead too, in
 * <bpffs>/spare:<kind>:<n>/<xdp|tc-ingress>/: a first load renames that
 * directory into place (one syscall for the interface's and the hook's
 * directories and two pins). engine__free removes unused ones; a daemon
 * that dies leaves them pinned, and the next one removes them when it
 * starts. Nothing of them is attached.
 *
 * Direct roots: the direct build of a root (tail-call key the constant 0)
 * gets a direct jump from the JIT, which the kernel patches whenever slot 0
 * changes: a text poke that synchronises every CPU, 80-150 us on our VMs;
 * loading it over a filled slot costs two pokes. The indirect build costs a
 * pointer swap per slot-0 change but a retpoline (about 11 ns) per packet.
 * So a first load attaches the spare's indirect root and answers; then
 * this thread loads the direct root with the hook's map and swaps it in by
 * an atomic replacement of the attachment (bpf_link_update for XDP, a
 * replacing change of our tc filter), which loses no packet. The stub stays
 * open with the hook until then: its last reference going is a program
 * free (the JIT image returned with a text write).
 *
 * The state journal (bpf/journal.c) is folded into the state files.
 *
 * Verbs only note their work (spare_note); the thread is woken by
 * engine__kick(), which the daemon calls once the answer to a request has
 * gone out: waking a thread on an idle vCPU costs the waker some 20 us
 * here. Jobs wait until no verb has ended for engine_opts.idle_ms: kernel
 * work on the other CPU slows a verb running at the same time (pokes and
 * attaches synchronise the CPUs), and verbs come in bursts (a script of cp).
 *
 * A PROG_ARRAY takes the program type, expected attach type, JIT and XDP
 * frags setting of the first program put in it (here: the stub), so a spare
 * only fits programs with the same; the engine only chains SEC("xdp"),
 * SEC("tc") and SEC("classifier") programs, which match, unless the JIT was
 * switched on or off since the spare was made: such a load is retried
 * without the spare (engine_do_load).
 */
#include "engine_internal.h"

#include <plugfs/log.h>

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void mono_deadline(struct timespec *ts, double us)
{
	ts->tv_sec = (time_t)(us / 1e6);
	ts->tv_nsec = (long)((us - (double)ts->tv_sec * 1e6) * 1e3);
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static int spare_index(enum engine_hook kind)
{
	return kind == ENGINE_HOOK_XDP ? 0 : 1;
}

static enum engine_hook spare_kind(int i)
{
	return i ? ENGINE_HOOK_TC_INGRESS : ENGINE_HOOK_XDP;
}

/* Under spare_lock: the index of a spare to make, -1 if none is missing. */
static int spare_missing(const struct engine *e)
{
	int i;

	if (!e->spares_on)
		return -1;
	for (i = 0; i < SPARE_KINDS; i++)
		if (e->spare[i].root_fd < 0 && !e->spare_failed[i])
			return i;
	return -1;
}

const char *spare_pin_subdir(enum engine_hook kind)
{
	return kind == ENGINE_HOOK_XDP ? "xdp" : "tc-ingress";
}

void spare_unpin(const char *dir, enum engine_hook kind)
{
	char path[PATH_MAX + 32];

	xsnprintf(path, sizeof(path), "%s/%s/chain", dir, spare_pin_subdir(kind));
	unlink(path);
	xsnprintf(path, sizeof(path), "%s/%s/root", dir, spare_pin_subdir(kind));
	unlink(path);
	xsnprintf(path, sizeof(path), "%s/%s", dir, spare_pin_subdir(kind));
	rmdir(path);
	rmdir(dir);
}

/* Pins a spare's map and root; an unpinned spare still serves (the first
 * load pins them itself). */
static void spare_pin(struct engine *e, enum engine_hook kind, struct eng_spare *s)
{
	char dir[PATH_MAX + 32], path[PATH_MAX + 48];

	xsnprintf(s->dir, sizeof(s->dir), "%s/spare:%s:%u", e->bpffs_dir,
		 kind == ENGINE_HOOK_XDP ? "xdp" : "tc", ++e->spare_serial);
	xsnprintf(dir, sizeof(dir), "%s/%s", s->dir, spare_pin_subdir(kind));
	if (!mkdir_fast(dir, 0700)) {
		xsnprintf(path, sizeof(path), "%s/chain", dir);
		if (!bpf_obj_pin(s->map_fd, path)) {
			xsnprintf(path, sizeof(path), "%s/root", dir);
			if (!bpf_obj_pin(s->root_fd, path))
				return;
		}
	}
	pr_debug("bpf: spare not pinned in %s: %s", dir, strerror(errno));
	spare_unpin(s->dir, kind);
	s->dir[0] = '\0';
}

/* Spare pins left by a daemon that died. */
static void unpin_old_spares(struct engine *e)
{
	char path[PATH_MAX + 300];
	struct dirent *d;
	DIR *dp = opendir(e->bpffs_dir);

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (strncmp(d->d_name, "spare:", 6))
			continue;
		xsnprintf(path, sizeof(path), "%s/%s", e->bpffs_dir, d->d_name);
		spare_unpin(path, strncmp(d->d_name, "spare:xdp:", 10) ? ENGINE_HOOK_TC_INGRESS :
									   ENGINE_HOOK_XDP);
	}
	closedir(dp);
}

/* Map, stub in slot 0, then the indirect root; no lock needed. */
static int spare_make(enum engine_hook kind, struct eng_spare *s)
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
	return 0;
}

static void spare_close(struct eng_spare *s, enum engine_hook kind)
{
	if (s->dir[0])
		spare_unpin(s->dir, kind);
	s->dir[0] = '\0';
	if (s->root_fd >= 0)
		close(s->root_fd);
	if (s->map_fd >= 0)
		close(s->map_fd);
	if (s->stub_fd >= 0)
		close(s->stub_fd);
	s->root_fd = s->map_fd = s->stub_fd = -1;
}

/* Holding lock in the idle class would leave a verb waiting for a thread
 * that runs only when a CPU has nothing else to do. */
static void set_idle_class(bool idle)
{
	struct sched_param sp = { 0 };

	pthread_setschedparam(pthread_self(), idle ? SCHED_IDLE : SCHED_OTHER, &sp);
}

static struct eng_hook *hook_by_serial(struct engine *e, unsigned long serial)
{
	struct eng_hook *h;

	for (h = e->hooks; h; h = h->next)
		if (h->serial == serial)
			return h;
	return NULL;
}

/* Swaps the direct root in on one hook with an indirect one. No lock held. */
static void upgrade_one(struct engine *e)
{
	struct eng_hook *h;
	enum engine_hook kind = ENGINE_HOOK_XDP;
	unsigned long serial = 0;
	unsigned int left = 0;
	int map_fd = -1, root_fd = -1, err;

	set_idle_class(false);
	pthread_mutex_lock(&e->lock);
	for (h = e->hooks; h; h = h->next) {
		if (!h->root_indirect)
			continue;
		if (map_fd >= 0) {
			left++;
			continue;
		}
		map_fd = fcntl(h->map_fd, F_DUPFD_CLOEXEC, 3);
		if (map_fd < 0) {
			pr_warn("%s/%s: the root stays indirect: %s", h->ifname,
				engine_hook_name(h->kind), strerror(errno));
			h->root_indirect = false;
			continue;
		}
		kind = h->kind;
		serial = h->serial;
	}
	pthread_mutex_lock(&e->spare_lock);
	e->upgrades_wanted = left;
	pthread_mutex_unlock(&e->spare_lock);
	pthread_mutex_unlock(&e->lock);
	set_idle_class(true);
	if (map_fd < 0)
		return;

	/* the slow part (verifier, JIT, two pokes), without lock */
	err = load_root_prog(kind, false, map_fd, &root_fd);
	close(map_fd);

	set_idle_class(false);
	pthread_mutex_lock(&e->lock);
	h = hook_by_serial(e, serial);
	if (h && h->root_indirect) {
		if (!err) {
			err = chain_root_swap(e, h, root_fd);
			if (!err)
				root_fd = -1;
		}
		if (err)
			pr_warn("%s/%s: the root stays indirect (a retpoline more per packet): %s",
				h->ifname, engine_hook_name(h->kind), strerror(-err));
		else
			pr_debug("%s/%s: direct root attached", h->ifname,
				 engine_hook_name(h->kind));
		h->root_indirect = false;	/* done, or given up: not retried */
	}
	pthread_mutex_unlock(&e->lock);
	set_idle_class(true);
	if (root_fd >= 0)
		close(root_fd);
}

static void fold_journal(struct engine *e)
{
	set_idle_class(false);
	pthread_mutex_lock(&e->lock);
	journal_fold(e);
	pthread_mutex_unlock(&e->lock);
	set_idle_class(true);
}

static void *spare_thread(void *arg)
{
	struct engine *e = arg;
	struct eng_spare s;
	struct timespec until;
	bool upgrade, fold;
	int i, err;

	/* woken at the end of a verb, the thread must not preempt the verb's
	 * thread on its CPU before the reply: in the idle class it runs on an
	 * idle CPU, or once nothing else wants one */
	set_idle_class(true);
	if (e->spares_on)
		unpin_old_spares(e);
	pthread_mutex_lock(&e->spare_lock);
	for (;;) {
		if (e->spare_stop)
			break;
		if (engine_now_us() < e->bg_quiet_until) {
			mono_deadline(&until, e->bg_quiet_until);
			pthread_cond_timedwait(&e->spare_cond, &e->spare_lock, &until);
			continue;
		}
		i = spare_missing(e);
		if (i < 0 && !e->upgrades_wanted && !e->fold_wanted) {
			e->bg_busy = false;
			pthread_cond_broadcast(&e->spare_cond);
			pthread_cond_wait(&e->spare_cond, &e->spare_lock);
			continue;
		}
		e->bg_busy = true;
		/* the direct root first (every packet pays until then), then the
		 * spares, then the state files (the journal holds them safely) */
		upgrade = e->upgrades_wanted;
		fold = !upgrade && i < 0;
		if (fold)
			e->fold_wanted = false;
		pthread_mutex_unlock(&e->spare_lock);
		if (upgrade || fold) {
			if (upgrade)
				upgrade_one(e);
			else
				fold_journal(e);
			pthread_mutex_lock(&e->spare_lock);
			continue;
		}
		err = spare_make(spare_kind(i), &s);
		if (!err)
			spare_pin(e, spare_kind(i), &s);
		pthread_mutex_lock(&e->spare_lock);
		if (err) {
			/* not retried: first loads take the cold path, which
			 * reports what the kernel says */
			pr_info("bpf: no spare %s chain: %s", i ? "tc" : "xdp", strerror(-err));
			e->spare_failed[i] = true;
		} else {
			e->spare[i] = s;
		}
		pthread_cond_broadcast(&e->spare_cond);
	}
	e->bg_busy = false;
	pthread_cond_broadcast(&e->spare_cond);
	pthread_mutex_unlock(&e->spare_lock);
	return NULL;
}

int spare_start(struct engine *e, bool spares)
{
	pthread_condattr_t ca;
	struct eng_hook *h;
	int i, err;

	for (i = 0; i < SPARE_KINDS; i++) {
		e->spare[i].map_fd = e->spare[i].root_fd = e->spare[i].stub_fd = -1;
		e->spare[i].dir[0] = '\0';
	}
	e->spares_on = spares;
	/* adopted hooks whose root was still the indirect one */
	for (h = e->hooks; h; h = h->next)
		e->upgrades_wanted += h->root_indirect;
	pthread_mutex_init(&e->spare_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->spare_cond, &ca);
	pthread_condattr_destroy(&ca);
	err = -pthread_create(&e->spare_tid, NULL, spare_thread, e);
	if (err) {
		pr_warn("bpf: cannot start the engine's background thread: %s", strerror(-err));
		pthread_cond_destroy(&e->spare_cond);
		pthread_mutex_destroy(&e->spare_lock);
		e->spares_on = false;
		return err;
	}
	e->spare_running = true;
	return 0;
}

void spare_stop(struct engine *e)
{
	int i;

	if (!e->spare_running)
		return;
	pthread_mutex_lock(&e->spare_lock);
	e->spare_stop = true;
	pthread_cond_broadcast(&e->spare_cond);
	pthread_mutex_unlock(&e->spare_lock);
	pthread_join(e->spare_tid, NULL);
	for (i = 0; i < SPARE_KINDS; i++)
		spare_close(&e->spare[i], spare_kind(i));
	/* made for the spares: gone when empty, as a daemon that loaded
	 * nothing leaves nothing in bpffs */
	rmdir(e->bpffs_dir);
	pthread_cond_destroy(&e->spare_cond);
	pthread_mutex_destroy(&e->spare_lock);
	e->spare_running = false;
}

bool spare_take(struct engine *e, enum engine_hook kind, struct eng_spare *out)
{
	struct eng_spare *s;
	bool got = false;

	if (!e->spare_running || !e->spares_on)
		return false;
	pthread_mutex_lock(&e->spare_lock);
	s = &e->spare[spare_index(kind)];
	if (s->root_fd >= 0) {
		*out = *s;
		s->map_fd = s->root_fd = s->stub_fd = -1;
		s->dir[0] = '\0';
		got = true;
	}
	pthread_mutex_unlock(&e->spare_lock);
	return got;
}

void spare_note(struct engine *e, bool upgrade, bool fold)
{
	if (!e->spare_running)
		return;
	pthread_mutex_lock(&e->spare_lock);
	e->bg_quiet_until = engine_now_us() + e->bg_idle_us;
	/* recounted by the thread: one more is enough to make it look */
	e->upgrades_wanted += upgrade;
	e->fold_wanted |= fold;
	pthread_mutex_unlock(&e->spare_lock);
}

/* Under spare_lock. */
static void kick_locked(struct engine *e)
{
	if (e->upgrades_wanted || e->fold_wanted || spare_missing(e) >= 0)
		pthread_cond_broadcast(&e->spare_cond);
}

void engine__kick(struct engine *e)
{
	if (!e->spare_running)
		return;
	pthread_mutex_lock(&e->spare_lock);
	kick_locked(e);
	pthread_mutex_unlock(&e->spare_lock);
}

int engine__settle(struct engine *e, unsigned int wait_ms)
{
	struct timespec until;
	int err = 0;

	if (!e->spare_running)
		return 0;
	mono_deadline(&until, engine_now_us() + wait_ms * 1e3);
	pthread_mutex_lock(&e->spare_lock);
	kick_locked(e);
	while (!err && (e->bg_busy || e->upgrades_wanted || e->fold_wanted || spare_missing(e) >= 0))
		err = pthread_cond_timedwait(&e->spare_cond, &e->spare_lock, &until);
	pthread_mutex_unlock(&e->spare_lock);
	return err ? -ETIMEDOUT : 0;
}

static uint32_t fd_id(int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

int engine__spares(struct engine *e, unsigned int wait_ms, uint32_t root_ids[2])
{
	struct timespec until;
	int i, n, err = 0;

	root_ids[0] = root_ids[1] = 0;
	if (!e->spare_running || !e->spares_on)
		return 0;
	mono_deadline(&until, engine_now_us() + wait_ms * 1e3);
	pthread_mutex_lock(&e->spare_lock);
	if (wait_ms)
		kick_locked(e);
	for (;;) {
		for (i = 0, n = 0; i < SPARE_KINDS; i++)
			n += e->spare[i].root_fd >= 0 || e->spare_failed[i];
		if (n == SPARE_KINDS || !wait_ms || err)
			break;
		err = pthread_cond_timedwait(&e->spare_cond, &e->spare_lock, &until);
	}
	for (i = 0, n = 0; i < SPARE_KINDS; i++) {
		root_ids[i] = fd_id(e->spare[i].root_fd);
		n += root_ids[i] != 0;
	}
	pthread_mutex_unlock(&e->spare_lock);
	return n;
}

/* SPDX-License-Identifier: MIT */
/*
 * The engine's background thread: the work a verb leaves, done once the
 * engine is idle so that no request waits for it. Its jobs, most urgent
 * first: a direct root swapped in, a spare made (bpf/spare.c), the state
 * journal folded into the state files (bpf/journal.c).
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
 * Verbs only note their work (background_note); the thread is woken by
 * engine__kick(), which the daemon calls once the answer to a request has
 * gone out: waking a thread on an idle vCPU costs the waker some 20 us
 * here. Jobs wait until no verb has ended for engine_opts.idle_ms: kernel
 * work on the other CPU slows a verb running at the same time (pokes and
 * attaches synchronise the CPUs), and verbs come in bursts (a script of cp).
 */
#include "background.h"
#include "chain.h"
#include "hooks.h"
#include "journal.h"
#include "prog_load.h"
#include "spare.h"
#include "stats.h"

#include <plugfs/clock.h>
#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* Holding lock in the idle class would leave a verb waiting for a thread
 * that runs only when a CPU has nothing else to do. */
static void set_idle_class(bool idle)
{
	struct sched_param sp = { 0 };

	pthread_setschedparam(pthread_self(), idle ? SCHED_IDLE : SCHED_OTHER, &sp);
}

/* Under lock: a dup of the chain map of the first hook with an indirect
 * root (its kind and serial with it); -1 if none. Counts the others. */
static int pick_upgrade(struct engine *e, enum engine_hook *kind, unsigned long *serial)
{
	struct eng_hook *h;
	unsigned int left = 0;
	int map_fd = -1;

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
		*kind = h->kind;
		*serial = h->serial;
	}
	pthread_mutex_lock(&e->bg_lock);
	e->upgrades_wanted = left;
	pthread_mutex_unlock(&e->bg_lock);
	return map_fd;
}

/* Swaps the direct root in on one hook with an indirect one. No lock held. */
static void upgrade_one(struct engine *e)
{
	enum engine_hook kind = ENGINE_HOOK_XDP;
	unsigned long serial = 0;
	int map_fd, root_fd = -1, err;
	struct eng_hook *h;

	set_idle_class(false);
	pthread_mutex_lock(&e->lock);
	map_fd = pick_upgrade(e, &kind, &serial);
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

/* Called with bg_lock held, returns with it held. */
static void make_spare(struct engine *e, int i)
{
	struct eng_spare s;
	int err;

	pthread_mutex_unlock(&e->bg_lock);
	err = spare_make(e, spare_kind(i), &s);
	pthread_mutex_lock(&e->bg_lock);
	if (err) {
		/* not retried: first loads take the cold path, which
		 * reports what the kernel says */
		pr_info("bpf: no spare %s chain: %s", i ? "tc" : "xdp", strerror(-err));
		e->spare_failed[i] = true;
	} else {
		e->spare[i] = s;
	}
	pthread_cond_broadcast(&e->bg_cond);
}

/* The sysctl is read once a second while chains exist: run time is
 * measured from then on without waiting for a report to be read. */
#define TIMING_POLL_US 1e6

static void timing_poll(struct engine *e)
{
	if (!stats_timing_changed(e))
		return;
	set_idle_class(false);
	pthread_mutex_lock(&e->lock);
	stats_timing_sync(e);
	pthread_mutex_unlock(&e->lock);
	set_idle_class(true);
}

/* Under bg_lock, nothing to do: waits for work, or for the next look at
 * kernel.bpf_stats_enabled while chains exist. */
static void idle_wait(struct engine *e)
{
	struct timespec until;

	if (e->time_fd < 0 || !__atomic_load_n(&e->hooks, __ATOMIC_RELAXED)) {
		pthread_cond_wait(&e->bg_cond, &e->bg_lock);
		return;
	}
	mono_deadline(&until, plugfs_now_us() + TIMING_POLL_US);
	if (pthread_cond_timedwait(&e->bg_cond, &e->bg_lock, &until) != ETIMEDOUT)
		return;
	pthread_mutex_unlock(&e->bg_lock);
	timing_poll(e);
	pthread_mutex_lock(&e->bg_lock);
}

static void *bg_thread(void *arg)
{
	struct engine *e = arg;
	struct timespec until;
	bool upgrade, fold;
	int i;

	/* woken at the end of a verb, the thread must not preempt the verb's
	 * thread on its CPU before the reply: in the idle class it runs on an
	 * idle CPU, or once nothing else wants one */
	set_idle_class(true);
	if (e->spares_on)
		spare_unpin_old(e);
	pthread_mutex_lock(&e->bg_lock);
	for (;;) {
		if (e->bg_stop)
			break;
		if (plugfs_now_us() < e->bg_quiet_until) {
			mono_deadline(&until, e->bg_quiet_until);
			pthread_cond_timedwait(&e->bg_cond, &e->bg_lock, &until);
			continue;
		}
		i = spare_missing(e);
		if (i < 0 && !e->upgrades_wanted && !e->fold_wanted) {
			e->bg_busy = false;
			pthread_cond_broadcast(&e->bg_cond);
			idle_wait(e);
			continue;
		}
		e->bg_busy = true;
		/* the direct root first (every packet pays until then), then the
		 * spares, then the state files (the journal holds them safely) */
		upgrade = e->upgrades_wanted;
		fold = !upgrade && i < 0;
		if (fold)
			e->fold_wanted = false;
		if (!upgrade && !fold) {
			make_spare(e, i);
			continue;
		}
		pthread_mutex_unlock(&e->bg_lock);
		if (upgrade)
			upgrade_one(e);
		else
			fold_journal(e);
		pthread_mutex_lock(&e->bg_lock);
	}
	e->bg_busy = false;
	pthread_cond_broadcast(&e->bg_cond);
	pthread_mutex_unlock(&e->bg_lock);
	return NULL;
}

int background_start(struct engine *e, bool spares)
{
	pthread_condattr_t ca;
	struct eng_hook *h;
	int err;

	spare_init(e, spares);
	/* adopted hooks whose root was still the indirect one */
	for (h = e->hooks; h; h = h->next)
		e->upgrades_wanted += h->root_indirect;
	pthread_mutex_init(&e->bg_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->bg_cond, &ca);
	pthread_condattr_destroy(&ca);
	err = -pthread_create(&e->bg_tid, NULL, bg_thread, e);
	if (err) {
		pr_warn("bpf: cannot start the engine's background thread: %s", strerror(-err));
		pthread_cond_destroy(&e->bg_cond);
		pthread_mutex_destroy(&e->bg_lock);
		e->spares_on = false;
		return err;
	}
	e->bg_running = true;
	return 0;
}

void background_stop(struct engine *e)
{
	char maps[PATH_MAX + 8];

	if (!e->bg_running)
		return;
	pthread_mutex_lock(&e->bg_lock);
	e->bg_stop = true;
	pthread_cond_broadcast(&e->bg_cond);
	pthread_mutex_unlock(&e->bg_lock);
	pthread_join(e->bg_tid, NULL);
	spare_close_all(e);
	/* made for the spares: gone when empty, as a daemon that loaded
	 * nothing leaves nothing in bpffs (nor maps/, kept while it ran) */
	plugfs_snprintf(maps, sizeof(maps), "%s/maps", e->bpffs_dir);
	rmdir(maps);
	rmdir(e->bpffs_dir);
	pthread_cond_destroy(&e->bg_cond);
	pthread_mutex_destroy(&e->bg_lock);
	e->bg_running = false;
}

void background_note(struct engine *e, bool upgrade, bool fold)
{
	if (!e->bg_running)
		return;
	pthread_mutex_lock(&e->bg_lock);
	e->bg_quiet_until = plugfs_now_us() + e->bg_idle_us;
	/* recounted by the thread: one more is enough to make it look */
	e->upgrades_wanted += upgrade;
	e->fold_wanted |= fold;
	pthread_mutex_unlock(&e->bg_lock);
}

/* Under bg_lock. */
static void kick_locked(struct engine *e)
{
	if (e->upgrades_wanted || e->fold_wanted || spare_missing(e) >= 0)
		pthread_cond_broadcast(&e->bg_cond);
}

void engine__kick(struct engine *e)
{
	if (!e->bg_running)
		return;
	pthread_mutex_lock(&e->bg_lock);
	kick_locked(e);
	pthread_mutex_unlock(&e->bg_lock);
}

int engine__settle(struct engine *e, unsigned int wait_ms)
{
	struct timespec until;
	int err = 0;

	if (!e->bg_running)
		return 0;
	mono_deadline(&until, plugfs_now_us() + wait_ms * 1e3);
	pthread_mutex_lock(&e->bg_lock);
	kick_locked(e);
	while (!err && (e->bg_busy || e->upgrades_wanted || e->fold_wanted || spare_missing(e) >= 0))
		err = pthread_cond_timedwait(&e->bg_cond, &e->bg_lock, &until);
	pthread_mutex_unlock(&e->bg_lock);
	return err ? -ETIMEDOUT : 0;
}

int engine__spares(struct engine *e, unsigned int wait_ms, uint32_t root_ids[2])
{
	struct timespec until;
	int i, n, err = 0;

	root_ids[0] = root_ids[1] = 0;
	if (!e->bg_running || !e->spares_on)
		return 0;
	mono_deadline(&until, plugfs_now_us() + wait_ms * 1e3);
	pthread_mutex_lock(&e->bg_lock);
	if (wait_ms)
		kick_locked(e);
	for (;;) {
		for (i = 0, n = 0; i < SPARE_KINDS; i++)
			n += e->spare[i].root_fd >= 0 || e->spare_failed[i];
		if (n == SPARE_KINDS || !wait_ms || err)
			break;
		err = pthread_cond_timedwait(&e->bg_cond, &e->bg_lock, &until);
	}
	for (i = 0, n = 0; i < SPARE_KINDS; i++) {
		root_ids[i] = load_prog_id(e->spare[i].root_fd);
		n += root_ids[i] != 0;
	}
	pthread_mutex_unlock(&e->bg_lock);
	return n;
}

/* SPDX-License-Identifier: MIT */
/*
 * Spares: per program type (XDP; TC for both directions) a chain map with
 * our root program loaded with it, made ahead by a thread of the engine, so
 * a first load on a hook neither loads the root nor waits for the kernel to
 * patch it.
 *
 * Why slot 0 holds a stub: the root's tail call has a constant key, so the
 * JIT makes it a direct jump that the kernel patches (text poke, which
 * synchronises every CPU) whenever slot 0 changes. Patching an empty slot
 * into a filled one is two pokes (the jump and its bypass), one filled slot
 * into another is one; loading a root over a filled slot is two more. With
 * the stub in place before the root is loaded, all of that is done here and
 * the first load only swaps the stub for its program: one poke.
 *
 * Spares are neither pinned nor attached: their fds die with the daemon, so
 * a crash leaves nothing of them, and engine__free closes them.
 *
 * A PROG_ARRAY takes the program type, expected attach type, JIT and XDP
 * frags setting of the first program put in it (here: the stub), so a spare
 * only fits programs with the same; the engine only chains SEC("xdp"),
 * SEC("tc") and SEC("classifier") programs, which match, unless the JIT was
 * switched on or off since the spare was made: such a load is retried
 * without the spare (engine_do_load).
 */
#include "engine_int.h"

#include <plugfs/log.h>

#include <bpf/bpf.h>
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int spare_index(enum engine_hook kind)
{
	return kind == ENGINE_HOOK_XDP ? 0 : 1;
}

static enum engine_hook spare_kind(int i)
{
	return i ? ENGINE_HOOK_TC_INGRESS : ENGINE_HOOK_XDP;
}

/* Map, stub in slot 0, then the root; no lock needed. */
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
		close(stub_fd);	/* the map holds it */
	}
	if (!err)
		err = load_root_prog(kind, map_fd, &root_fd);
	if (err) {
		close(map_fd);
		return err;
	}
	s->map_fd = map_fd;
	s->root_fd = root_fd;
	return 0;
}

static void spare_close(struct eng_spare *s)
{
	if (s->root_fd >= 0)
		close(s->root_fd);
	if (s->map_fd >= 0)
		close(s->map_fd);
	s->root_fd = s->map_fd = -1;
}

static void *spare_thread(void *arg)
{
	struct engine *e = arg;
	struct sched_param sp = { 0 };
	struct eng_spare s;
	int i, err;

	/* woken at the end of a verb, the thread must not preempt the verb's
	 * thread on its CPU before the reply: in the idle class it runs on an
	 * idle CPU, or once nothing else wants one */
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	pthread_mutex_lock(&e->spare_lock);
	for (;;) {
		for (i = 0; i < SPARE_KINDS && (e->spare[i].root_fd >= 0 || e->spare_failed[i]); i++)
			;
		if (e->spare_stop)
			break;
		if (i == SPARE_KINDS) {
			pthread_cond_wait(&e->spare_cond, &e->spare_lock);
			continue;
		}
		pthread_mutex_unlock(&e->spare_lock);
		err = spare_make(spare_kind(i), &s);
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
	pthread_mutex_unlock(&e->spare_lock);
	return NULL;
}

int spare_start(struct engine *e)
{
	int i, err;

	for (i = 0; i < SPARE_KINDS; i++)
		e->spare[i].map_fd = e->spare[i].root_fd = -1;
	pthread_mutex_init(&e->spare_lock, NULL);
	pthread_cond_init(&e->spare_cond, NULL);
	err = -pthread_create(&e->spare_tid, NULL, spare_thread, e);
	if (err) {
		pr_warn("bpf: cannot start the spare thread: %s", strerror(-err));
		pthread_cond_destroy(&e->spare_cond);
		pthread_mutex_destroy(&e->spare_lock);
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
		spare_close(&e->spare[i]);
	pthread_cond_destroy(&e->spare_cond);
	pthread_mutex_destroy(&e->spare_lock);
	e->spare_running = false;
}

bool spare_take(struct engine *e, enum engine_hook kind, int *map_fd, int *root_fd)
{
	struct eng_spare *s;
	bool got = false;

	if (!e->spare_running)
		return false;
	pthread_mutex_lock(&e->spare_lock);
	s = &e->spare[spare_index(kind)];
	if (s->root_fd >= 0) {
		*map_fd = s->map_fd;
		*root_fd = s->root_fd;
		s->map_fd = s->root_fd = -1;
		got = true;
	}
	pthread_mutex_unlock(&e->spare_lock);
	return got;
}

void spare_refill(struct engine *e)
{
	if (!e->spare_running)
		return;
	pthread_mutex_lock(&e->spare_lock);
	pthread_cond_broadcast(&e->spare_cond);
	pthread_mutex_unlock(&e->spare_lock);
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
	if (!e->spare_running)
		return 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&e->spare_lock);
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

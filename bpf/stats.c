/* SPDX-License-Identifier: MIT */
/*
 * Counts of chained programs. The kernel counts runs and run time only for
 * the program it enters (our root); programs reached by a tail call are
 * never counted. So the code the rewrite adds around each chained program
 * counts it: per hook a BPF_MAP_TYPE_PERCPU_ARRAY (pinned as <hook>/counts
 * beside the chain map) holds per counter index one count per verdict and
 * the run time; per CPU, so a packet adds to a cache line no other CPU
 * writes, without an atomic instruction. Run time is measured only while the
 * engine-wide switch (<bpffs>/run_time, one u32 the prologue reads) is on,
 * which follows kernel.bpf_stats_enabled as the kernel's own counters do.
 * docs/kernel-engine.md, "Counting".
 */
#include "stats.h"
#include "hooks.h"
#include "rewrite.h"

#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Static_assert(STATS_WORDS == RW_COUNT_WORDS && STATS_TIME_WORD == RW_TIME_WORD,
	       "the counts value of bpf/rewrite.h");

#define SYSCTL_STATS "/proc/sys/kernel/bpf_stats_enabled"

int stats_counts_create(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "plugfs_counts", 4, STATS_VALUE_SIZE,
				CHAIN_MAP_ENTRIES, NULL);

	return fd < 0 ? -errno : fd;
}

static int cpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

unsigned int stats_take_index(const struct eng_hook *h)
{
	unsigned int c, i;
	__u32 key;
	void *zero;

	if (h->counts_fd < 0 || cpus() <= 0)
		return 0;
	for (c = 1; c < CHAIN_MAP_ENTRIES; c++) {
		for (i = 0; i < h->n && h->ent[i]->cidx != c; i++)
			;
		if (i == h->n)
			break;
	}
	if (c == CHAIN_MAP_ENTRIES)
		return 0;
	/* a hook without entries is new: its map was made zeroed (a
	 * syscall less on a first load) */
	if (!h->n)
		return c;
	/* what a removed program counted there goes */
	zero = calloc((size_t)cpus(), STATS_VALUE_SIZE);
	key = c;
	if (!zero || bpf_map_update_elem(h->counts_fd, &key, zero, BPF_ANY)) {
		pr_warn("%s/%s: cannot reset counter %u: %s; the program is not counted",
			h->ifname, engine_hook_name(h->kind), c, strerror(zero ? errno : ENOMEM));
		c = 0;
	}
	free(zero);
	return c;
}

/* The kernel's counters: a program loaded by a plugfs without counts. */
static void read_kernel(const struct eng_entry *en, struct engine_prog_stats *s)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(en->prog_fd, &info, &len))
		return;
	s->runs = info.run_cnt;
	s->run_time_ns = info.run_time_ns;
}

void stats_read(const struct eng_hook *h, unsigned int pos, struct engine_prog_stats *s)
{
	const struct eng_entry *en = h->ent[pos];
	__u64 *v = NULL;
	__u32 key = en->cidx;
	size_t n, c, k;

	memset(s, 0, sizeof(*s));
	s->ifname = h->ifname;
	s->hook = h->kind;
	s->prio = en->prio;
	s->position = pos;
	s->prog_id = en->prog_id;
	s->prog_name = en->prog_name;
	engine_verdict_names(h->kind, &n);
	s->n_verdicts = n;
	if (en->cidx && h->counts_fd >= 0 && cpus() > 0)
		v = calloc((size_t)cpus(), STATS_VALUE_SIZE);
	if (!v || bpf_map_lookup_elem(h->counts_fd, &key, v)) {
		free(v);
		read_kernel(en, s);
		return;
	}
	s->counted = true;
	s->timed = en->timed;
	for (c = 0; c < (size_t)cpus(); c++) {
		for (k = 0; k < n; k++)
			s->verdicts[k] += v[c * STATS_WORDS + k];
		s->run_time_ns += v[c * STATS_WORDS + STATS_TIME_WORD];
	}
	for (k = 0; k < n; k++)
		s->runs += s->verdicts[k];
	free(v);
}

void stats_timing_open(struct engine *e)
{
	char path[PATH_MAX];
	int fd;

	e->time_fd = -1;
	e->timing_on = -1;
	if (e->no_counts)
		return;
	plugfs_snprintf(path, sizeof(path), "%s/%s", e->bpffs_dir, STATS_TIMING_PIN);
	/* the chains a previous daemon left read the pinned one */
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "plugfs_run_time", 4, 4, 1, NULL);
		if (fd >= 0 && bpf_obj_pin(fd, path)) {
			pr_warn("bpf: cannot pin the run-time switch %s: %s", path, strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		pr_warn("bpf: no run-time switch (%s): chained programs are counted without "
			"their run time", strerror(errno));
		return;
	}
	e->time_fd = fd;
	stats_timing_sync(e);
}

/* kernel.bpf_stats_enabled: 1, 0, or -1 when it cannot be read */
static int sysctl_stats(void)
{
	char c = 0;
	int fd = open(SYSCTL_STATS, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, &c, 1);
	close(fd);
	return n == 1 ? c == '1' : -1;
}

bool stats_timing_changed(const struct engine *e)
{
	int v = sysctl_stats();

	return v >= 0 && v != __atomic_load_n(&e->timing_on, __ATOMIC_RELAXED);
}

void stats_timing_sync(struct engine *e)
{
	__u32 key = 0, on;
	int v;

	if (e->time_fd < 0)
		return;
	v = sysctl_stats();
	if (v < 0)
		return;
	on = (__u32)v;
	if ((int)on == e->timing_on)
		return;
	if (bpf_map_update_elem(e->time_fd, &key, &on, BPF_ANY)) {
		pr_warn("bpf: cannot set the run-time switch: %s", strerror(errno));
		return;
	}
	/* a change is worth a line in log; the state at start is not */
	if (e->timing_on < 0)
		pr_debug("bpf: run time of chained programs %s", on ? "counted" : "not counted");
	else
		pr_info("bpf: run time of chained programs %s (kernel.bpf_stats_enabled = %u)",
			on ? "counted" : "not counted", on);
	__atomic_store_n(&e->timing_on, (int)on, __ATOMIC_RELAXED);
}

void stats_timing_close(struct engine *e, bool unpin)
{
	char path[PATH_MAX];

	if (e->time_fd < 0)
		return;
	close(e->time_fd);
	e->time_fd = -1;
	if (!unpin)
		return;
	plugfs_snprintf(path, sizeof(path), "%s/%s", e->bpffs_dir, STATS_TIMING_PIN);
	unlink(path);
}

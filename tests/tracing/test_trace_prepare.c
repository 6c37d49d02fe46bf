/* SPDX-License-Identifier: MIT */
/*
 * Loads begun at the write (engine__trace_prepare, bpf/tracing.c) on the
 * real kernel: the tracepoint's perf event is open once prepare returns
 * and the load of the same name and bytes goes on from there (its events
 * counted); other bytes of the same length, another name, options that
 * move the attach point and a release each drop it, leaving no perf event
 * behind; a prepared object whose tracepoint does not exist fails its load
 * with ENOENT and the name in the log; prepare says nothing of a bad
 * object and the load that follows does.
 * Needs root (exit 77 without it, failure when CI=true).
 *   test_trace_prepare build/tests/tracing/tp_getpid.bpf.o
 */
#include "../tap.h"
#include "engine.h"
#include "engine_tracing.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the files prepare is told of */
static int owner, other_owner;

/* The log, as the daemon's sink would keep it. */
static char logbuf[1 << 16];
static size_t loglen;

static void sink(enum plog_level level, const char *msg, void *cookie)
{
	int n = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "%s\n", msg);

	if (n > 0 && (size_t)n < sizeof(logbuf) - loglen)
		loglen += (size_t)n;
}

static bool logged(const char *s)
{
	return strstr(logbuf, s) != NULL;
}

static void log_clear(void)
{
	loglen = 0;
	logbuf[0] = '\0';
}

/* This process's perf event fds. */
static int perf_fds(void)
{
	char path[300], target[64];
	struct dirent *d;
	DIR *dp = opendir("/proc/self/fd");
	int n = 0;

	while (dp && (d = readdir(dp))) {
		ssize_t k;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", d->d_name);
		k = readlink(path, target, sizeof(target) - 1);
		if (k > 0) {
			target[k] = '\0';
			n += !strcmp(target, "anon_inode:[perf_event]");
		}
	}
	if (dp)
		closedir(dp);
	return n;
}

/* The opener thread opens them while prepare returns: up to a second. */
static bool perf_fds_become(int n)
{
	int i;

	for (i = 0; i < 1000 && perf_fds() != n; i++)
		usleep(1000);
	return perf_fds() == n;
}

/* counts[0] of the entry's program: its events. */
static long long events_of(struct engine *e, const char *name)
{
	uint32_t id = engine__trace_prog_id(e, name), map_ids[4];
	struct bpf_prog_info pi = { 0 };
	__u32 len = sizeof(pi), k = 0, i;
	long long v = -1;
	__u64 val;
	int fd = id ? bpf_prog_get_fd_by_id(id) : -1;

	pi.nr_map_ids = 4;
	pi.map_ids = (__u64)(unsigned long)map_ids;
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &pi, &len))
		goto out;
	for (i = 0; i < pi.nr_map_ids && i < 4; i++) {
		struct bpf_map_info mi = { 0 };
		__u32 ml = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(map_ids[i]);

		if (mfd >= 0 && !bpf_obj_get_info_by_fd(mfd, &mi, &ml) && !strcmp(mi.name, "counts") &&
		    !bpf_map_lookup_elem(mfd, &k, &val))
			v = (long long)val;
		if (mfd >= 0)
			close(mfd);
	}
out:
	if (fd >= 0)
		close(fd);
	return v;
}

static void getpids(int n)
{
	while (n--)
		(void)getpid();
}

/* The bytes with one that no reader looks at changed (e_ident's padding). */
static void *variant(const void *obj, size_t len)
{
	unsigned char *b = malloc(len);

	if (b) {
		memcpy(b, obj, len);
		b[15] ^= 0x5a;
	}
	return b;
}

/* The bytes with the section name's event changed to one no kernel has. */
static void *unknown_event(const void *obj, size_t len)
{
	static const char from[] = "sys_enter_getpid", to[] = "sys_enter_getpiX";
	unsigned char *b = malloc(len);
	size_t i;

	if (!b)
		return NULL;
	memcpy(b, obj, len);
	for (i = 0; i + sizeof(from) <= len; i++)
		if (!memcmp(b + i, from, sizeof(from) - 1))
			memcpy(b + i, to, sizeof(to) - 1);
	return b;
}

static void prepared_load(struct engine *e, const void *obj, size_t len)
{
	long long before;
	int fds = perf_fds();

	log_clear();
	CHECK(!engine__trace_prepare(e, "p1", obj, len, &owner), "prepare: 0");
	CHECK(perf_fds_become(fds + 1), "prepare: the tracepoint's perf event opens before the load");
	CHECK(!engine__trace_exists(e, "p1"), "prepare: no entry yet");
	CHECK(!engine__trace_load(e, "p1", obj, len, NULL), "load of the same bytes: 0");
	CHECK(logged("tracing/p1: opened at the write"), "load: went on from the prepared object");
	CHECK(perf_fds() == fds + 1, "load: the link holds that one event, no second");
	before = events_of(e, "p1");
	getpids(100);
	CHECK(events_of(e, "p1") >= before + 100, "load: 100 getpid calls counted (%lld -> %lld)",
	      before, events_of(e, "p1"));
	CHECK(!engine__trace_unload(e, "p1"), "rm");
	engine__trace_answered(e);
	CHECK(perf_fds() == fds, "rm: no perf event left");
}

static void dropped(struct engine *e, const void *obj, size_t len)
{
	struct engine_trace_opts o = { .sz = sizeof(o), .offset = -1, .retprobe = -1,
				       .attach = "tracepoint:syscalls:sys_enter_getppid" };
	void *other = variant(obj, len);
	char *rep = NULL;
	size_t rlen = 0;
	int fds = perf_fds();

	log_clear();
	engine__trace_prepare(e, "p2", obj, len, &owner);
	CHECK(other && !engine__trace_load(e, "p2", other, len, NULL),
	      "other bytes of the same length: loaded");
	CHECK(!logged("opened at the write"), "other bytes: not from the prepared object");
	engine__trace_unload(e, "p2");

	log_clear();
	engine__trace_prepare(e, "p3", obj, len, &owner);
	CHECK(!engine__trace_load(e, "p4", obj, len, NULL), "another name: loaded");
	CHECK(!logged("opened at the write"), "another name: not from the prepared object");
	engine__trace_unload(e, "p4");

	log_clear();
	engine__trace_prepare(e, "p5", obj, len, &owner);
	CHECK(!engine__trace_load(e, "p5", obj, len, &o), "attach option: loaded");
	CHECK(!logged("opened at the write"), "attach option: not from the prepared object");
	CHECK(!engine__trace_report(e, "p5", false, &rep, &rlen) && rep &&
	      strstr(rep, "tracepoint:syscalls:sys_enter_getppid") &&
	      !strstr(rep, "tracepoint:syscalls:sys_enter_getpid"),
	      "attach option: attached where the option says");
	free(rep);
	engine__trace_unload(e, "p5");

	engine__trace_prepare(e, "p6", obj, len, &owner);
	engine__trace_unprepare(e, &other_owner);
	CHECK(perf_fds_become(fds + 1), "a release of another file: the prepared object stays");
	engine__trace_unprepare(e, &owner);
	engine__trace_answered(e);
	CHECK(perf_fds() == fds, "after drops and a release: no perf event left (%d, was %d)",
	      perf_fds(), fds);
	free(other);
}

static void failures_said(struct engine *e, const void *obj, size_t len)
{
	void *bad = unknown_event(obj, len);
	int fds = perf_fds();

	log_clear();
	CHECK(bad && !engine__trace_prepare(e, "p7", bad, len, &owner),
	      "prepare of an unknown tracepoint: 0 (the load says)");
	CHECK(engine__trace_load(e, "p7", bad, len, NULL) == -ENOENT,
	      "its load: ENOENT");
	CHECK(logged("opened at the write") && logged("sys_enter_getpiX"),
	      "its load: from the prepared object, the tracepoint named in the log");
	CHECK(!engine__trace_exists(e, "p7") && perf_fds() == fds, "its load: nothing left");

	log_clear();
	CHECK(engine__trace_prepare(e, "p8", obj, len / 2, &owner) < 0, "prepare of half an object: fails");
	CHECK(loglen == 0, "prepare: says nothing");
	CHECK(engine__trace_load(e, "p8", obj, len / 2, NULL) < 0 && loglen > 0,
	      "the load of it fails and says why");
	free(bad);
}

int main(int argc, char **argv)
{
	struct engine_opts eo = { .sz = sizeof(eo), .no_spares = true };
	char bpffs[128], state[128], cmd[300];
	struct engine *e;
	size_t len = 0;
	void *obj = NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: %s tp_getpid.bpf.o\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root\n");
		return getenv("CI") && !strcmp(getenv("CI"), "true") ? 1 : 77;
	}
	if (plugfs_read_file(argv[1], &obj, &len))
		return 1;
	snprintf(bpffs, sizeof(bpffs), "/sys/fs/bpf/plugfs-test-prep-%d", getpid());
	snprintf(state, sizeof(state), "/tmp/plugfs-test-prep-%d", getpid());
	eo.bpffs_dir = bpffs;
	eo.state_dir = state;
	plog_set_sink(sink, NULL);
	plog_set_level(PLOG_DEBUG);
	plog_route_libbpf();
	e = engine__new(&eo);
	if (!e)
		return 1;
	prepared_load(e, obj, len);
	dropped(e, obj, len);
	failures_said(e, obj, len);
	engine__free(e);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", bpffs, state);
	if (system(cmd))
		failures++;
	free(obj);
	printf("%d failed\n", failures);
	return failures ? 1 : 0;
}

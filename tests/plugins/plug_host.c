/* SPDX-License-Identifier: MIT */
/*
 * A pluginized test host with configurable insertion points, for the
 * plugins/ integration tests: each iteration calls every point and prints
 * "<point>=<result>" (7 with the original body). --helper registers the
 * host-only helper `host_only` (returns 42), so a pluglet using it loads in
 * this host and nowhere else.
 *
 *   plug_host --run-dir D [--name N] [--points a,b] [--helper]
 *             [--interval-ms N] [--count N] [--burst N]
 *
 * --burst N: no calls on a timer; each SIGUSR1 calls every point N times
 * and prints "burst <k> done" (known numbers of calls for the counts of
 * metrics/ and plugfs-top).
 */
#include <pluglet/host.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop, bursts;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		bursts++;
	else
		stop = 1;
}

static uint64_t host_only(struct pluglet_exec *ex, uint64_t a1, uint64_t a2, uint64_t a3,
			  uint64_t a4, uint64_t a5)
{
	return 42;
}

static int calc(uint32_t id, int base)
{
	bpf_args_t args[] = {
		{ .arg = &base, .len = sizeof(base), .kind = kind_primitive, .type = 0 },
	};

	VM_CALL(id, args, 1, {
		RETURN_VM_VAL(base);
	});
}

/* --burst: N calls of every point per SIGUSR1, until SIGTERM. */
static void run_bursts(const struct pluglet_point_def *points, size_t n, unsigned long burst)
{
	unsigned long done = 0;

	while (!stop) {
		struct timespec ts = { .tv_nsec = 10 * 1000000L };

		while (done < (unsigned long)bursts) {
			for (unsigned long i = 0; i < burst; i++)
				for (size_t p = 0; p < n; p++)
					calc(points[p].id, 7);
			printf("burst %lu done\n", ++done);
			fflush(stdout);
		}
		nanosleep(&ts, NULL);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "run-dir", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "points", required_argument, NULL, 'p' },
		{ "helper", no_argument, NULL, 'H' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "burst", required_argument, NULL, 'b' },
		{ 0 },
	};
	static const struct pluglet_helper_def helpers[] = { { "host_only", host_only } };
	struct pluglet_point_def points[16];
	struct pluglet_host_opts o = { .sz = sizeof(o), .name = "plug_host" };
	char *list = strdup("find_idx"), *tok, *save = NULL;
	unsigned long interval_ms = 50, count = 0, burst = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	size_t n = 0;
	int c;

	while ((c = getopt_long(argc, argv, "r:n:p:Hi:c:b:", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o.run_dir = optarg; break;
		case 'n': o.name = optarg; break;
		case 'p': free(list); list = strdup(optarg); break;
		case 'H': o.helpers = helpers; o.nr_helpers = 1; break;
		case 'i': interval_ms = strtoul(optarg, NULL, 0); break;
		case 'c': count = strtoul(optarg, NULL, 0); break;
		case 'b': burst = strtoul(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	for (tok = strtok_r(list, ",", &save); tok && n < 16; tok = strtok_r(NULL, ",", &save)) {
		points[n].name = tok;
		points[n].id = n + 1;
		n++;
	}
	o.points = points;
	o.nr_points = n;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	if (pluglet_init(&o)) {
		perror("plug_host: pluglet_init");
		return 1;
	}
	if (burst) {
		run_bursts(points, n, burst);
		pluglet_shutdown();
		free(list);
		return 0;
	}
	for (unsigned long i = 0; !stop && (!count || i < count); i++) {
		struct timespec ts = { .tv_sec = interval_ms / 1000,
				       .tv_nsec = (long)(interval_ms % 1000) * 1000000L };

		for (size_t p = 0; p < n; p++)
			printf("%s=%d\n", points[p].name, calc(points[p].id, 7));
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
	pluglet_shutdown();
	free(list);
	return 0;
}

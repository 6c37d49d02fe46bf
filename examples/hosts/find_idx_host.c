/*
 * find_idx_host: libubpf's find_idx() example behind VM_CALL, in a loop.
 *
 * Shows the host side of a pluginized function: bpf_args_t arguments
 * (a zero-copy array and two primitives), VM_CALL / RETURN_VM_VAL (written
 * as libubpf's documentation writes them: no `;` after VM_CALL), a host
 * created with one insertion point ("find_idx", id 1) whose control thread
 * lets ebpf_injecter or plugfs add, replace and remove pluglets while the
 * loop runs. Each call prints find_idx=<result> (6 with the original body:
 * key 70 is at index 6 of {10, 20, ..., 160}).
 *
 * Run:
 *   find_idx_host [--run-dir D] [--interval-ms N] [--count N] [--manifest F] [--name NAME]
 *     --run-dir      where the control thread publishes hosts/<name>.<pid> (default /run/plugfs)
 *     --interval-ms  pause between calls (default 1000)
 *     --count        number of calls, 0 = until SIGINT/SIGTERM (default 0)
 *     --manifest     ini file of pluglets to load at start
 *   then e.g. ebpf_injecter -a add -i find_idx -m <msqid> -p replace_find_idx.o -h replace -n 1
 *   and the output turns into find_idx=1006.
 */
#include <pluglet/host.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIND_IDX_ID 1

static int find_idx(int *array, int key, size_t len)
{
	bpf_args_t args[] = {
		{ .arg = array, .len = sizeof(*array) * len, .kind = kind_ptr, .type = 0 },
		{ .arg = &key, .len = sizeof(key), .kind = kind_primitive, .type = 0 },
		{ .arg = &len, .len = sizeof(len), .kind = kind_primitive, .type = 0 },
	};

	VM_CALL(FIND_IDX_ID, args, 3, {
		size_t i;

		for (i = 0; i < len; i++) {
			if (key == array[i])
				RETURN_VM_VAL((int)i);
		}
		RETURN_VM_VAL(-1);
	})
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--run-dir D] [--interval-ms N] [--count N] [--manifest F] [--name NAME]\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "run-dir", required_argument, NULL, 'r' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const struct pluglet_point_def points[] = { { "find_idx", FIND_IDX_ID } };
	struct pluglet_host_opts o = {
		.sz = sizeof(o), .name = "find_idx_host", .points = points, .nr_points = 1,
	};
	int array[16];
	unsigned long interval_ms = 1000, count = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	int c;

	while ((c = getopt_long(argc, argv, "r:i:c:m:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o.run_dir = optarg; break;
		case 'i': interval_ms = strtoul(optarg, NULL, 0); break;
		case 'c': count = strtoul(optarg, NULL, 0); break;
		case 'm': o.manifest = optarg; break;
		case 'n': o.name = optarg; break;
		case 'h': usage(argv[0]); return 0;
		default: usage(argv[0]); return 2;
		}
	}
	for (int i = 0; i < 16; i++)
		array[i] = 10 * (i + 1);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (pluglet_init(&o)) {
		fprintf(stderr, "find_idx_host: cannot start the pluglet host: %s\n", strerror(errno));
		return 1;
	}
	for (unsigned long n = 0; !stop && (!count || n < count); n++) {
		struct timespec ts = { .tv_sec = (time_t)(interval_ms / 1000),
				       .tv_nsec = (long)(interval_ms % 1000) * 1000000L };

		printf("find_idx=%d\n", find_idx(array, 70, 16));
		fflush(stdout);
		if ((!count || n + 1 < count) && interval_ms)
			nanosleep(&ts, NULL);
	}
	pluglet_shutdown();
	return 0;
}

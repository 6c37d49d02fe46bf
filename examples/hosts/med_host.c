/*
 * med_host: a BGP-like MED decision made pluginizable with
 * CALL_REPLACE_ONLY, as in libubpf's BGP_MED_DECISION example.
 *
 * Shows: CALL_REPLACE_ONLY with a check function (ret_val_med_decision) and
 * VM_RETURN_VALUE, written as libubpf's documentation writes it (no `;`
 * after the macro); a kind_hidden argument (the RIB) that pluglets cannot
 * see; a host helper int add_route(context_t *ctx, const struct route *r)
 * registered with PLUGLET_HELPER(), which reaches the hidden RIB through
 * the call context and gets only a route pointer the pluglet may read.
 * Each call prints med_decision=new|old rib=<routes recorded by pluglets>.
 * The host's own code prefers the lower MED (prints "new": MED 10 vs 20);
 * examples/pluglets/med_prefer_high.o prefers the higher one ("old").
 *
 * Run:
 *   med_host [--run-dir D] [--interval-ms N] [--count N] [--manifest F]
 *   ebpf_injecter -a add -i bgp_med_decision -m <msqid> -p med_prefer_high.o -h replace -n 1
 */
#include <pluglet/host.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BGP_MED_DECISION 7

enum { BGP_ROUTE = 1, RIB = 2 };
enum { RTE_UNK = 0, RTE_NEW = 1, RTE_OLD = 2 };

struct route {
	uint32_t id;
	uint32_t med;
};

struct rib {
	int nr;
	struct route routes[64];
};

static struct rib rib;

/*
 * Host helper, written as pluginized C functions write them: the call
 * context first, then the pluglet's arguments. The RIB is the call's hidden
 * argument, reached through the context; the route pointer comes from the
 * pluglet, and PLUGLET_HELPER() below lets it through only if the pluglet
 * may read that memory.
 */
static int add_route(context_t *ctx, const struct route *r)
{
	bpf_full_args_t *fargs = ctx->args;
	struct rib *rb = NULL;

	for (int i = 0; i < fargs->nargs; i++)
		if (fargs->args[i].kind == kind_hidden && fargs->args[i].type == RIB)
			rb = fargs->args[i].arg;
	if (!rb || !r)
		return -EINVAL;
	if (rb->nr == 64)
		return -ENOSPC;
	rb->routes[rb->nr++] = *r;
	return 0;
}
PLUGLET_HELPER(add_route, const struct route *)

static int ret_val_med_decision(uint64_t val)
{
	switch (val) {
	case RTE_NEW:
	case RTE_OLD:
		return 1;
	case RTE_UNK:
	default:
		return 0;
	}
}

/* 1 if `n` is better than `o`. */
static int med_decision(struct route *n, struct route *o)
{
	bpf_args_t this[] = {
		{ .arg = n, .len = sizeof(*n), .kind = kind_ptr, .type = BGP_ROUTE },
		{ .arg = o, .len = sizeof(*o), .kind = kind_ptr, .type = BGP_ROUTE },
		{ .arg = &rib, .len = sizeof(rib), .kind = kind_hidden, .type = RIB },
	};

	CALL_REPLACE_ONLY(BGP_MED_DECISION, this, 3, ret_val_med_decision, {
		if (n->med < o->med)
			return 1;
		if (n->med > o->med)
			return 0;
	}, {
		switch (VM_RETURN_VALUE) {
		case RTE_NEW:
			return 1;
		case RTE_OLD:
			return 0;
		default:
			break;
		}
	})
	return n->id < o->id;	/* tie: lower id */
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "run-dir", required_argument, NULL, 'r' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "manifest", required_argument, NULL, 'm' },
		{ 0 },
	};
	static const struct pluglet_point_def points[] = {
		{ "bgp_med_decision", BGP_MED_DECISION, .replace_only = true },
	};
	static const struct pluglet_helper_def helpers[] = { PLUGLET_HELPER_DEF(add_route) };
	struct pluglet_host_opts o = {
		.sz = sizeof(o), .name = "med_host", .points = points, .nr_points = 1,
		.helpers = helpers, .nr_helpers = 1,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned long interval_ms = 1000, count = 0;
	struct route a = { .id = 1, .med = 10 }, b = { .id = 2, .med = 20 };
	int c;

	while ((c = getopt_long(argc, argv, "r:i:c:m:", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o.run_dir = optarg; break;
		case 'i': interval_ms = strtoul(optarg, NULL, 0); break;
		case 'c': count = strtoul(optarg, NULL, 0); break;
		case 'm': o.manifest = optarg; break;
		default:
			fprintf(stderr, "usage: %s [--run-dir D] [--interval-ms N] [--count N] [--manifest F]\n",
				argv[0]);
			return 2;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (pluglet_init(&o)) {
		fprintf(stderr, "med_host: cannot start the pluglet host: %s\n", strerror(errno));
		return 1;
	}
	for (unsigned long k = 0; !stop && (!count || k < count); k++) {
		struct timespec ts = { .tv_sec = (time_t)(interval_ms / 1000),
				       .tv_nsec = (long)(interval_ms % 1000) * 1000000L };
		int r = med_decision(&a, &b);

		printf("med_decision=%s rib=%d\n", r ? "new" : "old", rib.nr);
		fflush(stdout);
		if ((!count || k + 1 < count) && interval_ms)
			nanosleep(&ts, NULL);
	}
	pluglet_shutdown();
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Injection round trip through the control channel: a real libpluglet host
 * (control thread, ELF loader, verifier, hot swap) in this process, and an
 * inj_client (what ebpf_injecter and plugfs use) replacing the REPLACE
 * pluglet again and again with a 4 KiB and a 512 KiB object. Baselines
 * measured in the same run: a bare SysV queue round trip of one 4 KiB
 * message between two threads, and the `status` request (protocol, no
 * object). Prints p50/p99 and ratios to the bare round trip.
 * Run: meson test -C build --benchmark bench-control  (or run the binary:
 *   bench_control OBJDIR [ITERATIONS])
 */
#include "proto.h"

#include <plugfs/clock.h>
#include <plugfs/log.h>
#include <pluglet/host.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct stats {
	double p50_us, p99_us;
};

static struct stats summarize(uint64_t *ns, int n)
{
	struct stats s;

	qsort(ns, (size_t)n, sizeof(*ns), cmp_u64);
	s.p50_us = (double)ns[n / 2] / 1000.0;
	s.p99_us = (double)ns[(n * 99) / 100] / 1000.0;
	return s;
}

/* ---- bare queue round trip ---- */

struct pp {
	int q_in, q_out, n;
};

static void *echo(void *arg)
{
	struct pp *p = arg;
	struct { long mtype; char b[4096]; } m;

	for (int i = 0; i < p->n; i++) {
		ssize_t r = msgrcv(p->q_in, &m, sizeof(m.b), 0, 0);

		if (r < 0 || msgsnd(p->q_out, &m, (size_t)r, 0) < 0)
			break;
	}
	return NULL;
}

static struct stats bare_round_trip(int n, uint64_t *ns)
{
	struct pp p = { msgget(IPC_PRIVATE, IPC_CREAT | 0600), msgget(IPC_PRIVATE, IPC_CREAT | 0600), n };
	struct { long mtype; char b[4096]; } m = { 1, { 0 } };
	pthread_t t;

	pthread_create(&t, NULL, echo, &p);
	for (int i = 0; i < n; i++) {
		uint64_t t0 = plugfs_now_ns();

		msgsnd(p.q_in, &m, sizeof(m.b) - 512, 0);
		msgrcv(p.q_out, &m, sizeof(m.b), 0, 0);
		ns[i] = plugfs_now_ns() - t0;
	}
	pthread_join(t, NULL);
	msgctl(p.q_in, IPC_RMID, NULL);
	msgctl(p.q_out, IPC_RMID, NULL);
	return summarize(ns, n);
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf;
	long sz;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	rewind(f);
	buf = malloc((size_t)sz);
	if (buf && fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)sz;
	return buf;
}

/* The same replace called directly: what the channel adds is the rest. */
static int direct(struct pluglet_host *h, const void *obj, size_t len, int n, uint64_t *ns,
		  struct stats *out)
{
	struct pluglet_inject_opts o = { .sz = sizeof(o) };
	char err[512];

	for (int i = 0; i < n; i++) {
		uint64_t t0 = plugfs_now_ns();
		int rc = pluglet_host__replace(h, "bench", PLUGLET_ANCHOR_REPLACE, 0, obj, len, &o,
					       err, sizeof(err));

		ns[i] = plugfs_now_ns() - t0;
		if (rc) {
			fprintf(stderr, "bench_control: direct replace: %s\n", err);
			return rc;
		}
	}
	*out = summarize(ns, n);
	return 0;
}

static int timed(struct inj_client *c, const struct inj_request *r, const void *obj, size_t len,
		 int n, uint64_t *ns, struct stats *out)
{
	struct inj_reply rep;

	for (int i = 0; i < n; i++) {
		uint64_t t0 = plugfs_now_ns();
		int err = inj_client__request(c, r, obj, len, &rep, 10000);

		ns[i] = plugfs_now_ns() - t0;
		if (err) {
			fprintf(stderr, "bench_control: %s: %s\n", inj_action_str(r->action),
				rep.text ? rep.text : strerror(-err));
			inj_reply__fini(&rep);
			return err;
		}
		inj_reply__fini(&rep);
	}
	*out = summarize(ns, n);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct pluglet_point_def points[] = { { "bench", 1 } };
	char dir[] = "/tmp/plugfs-bench-ctl.XXXXXX", path[512];
	struct pluglet_host_opts o = { .sz = sizeof(o), .name = "bench_control", .points = points,
				       .nr_points = 1, .no_default = true };
	struct inj_request r = { .sz = sizeof(r), .plugin = "bench", .anchor = PLUGLET_ANCHOR_REPLACE };
	const char *objdir = argc > 1 ? argv[1] : getenv("INJ_OBJDIR");
	int n = argc > 2 ? atoi(argv[2]) : 300;
	struct stats base, st, s4, s512, d4, d512;
	struct pluglet_host *h;
	struct inj_client *c;
	void *o4, *o512;
	size_t l4, l512;
	uint64_t *ns;
	int rc = 1;

	if (!objdir || n < 10) {
		fprintf(stderr, "usage: %s OBJDIR [ITERATIONS>=10]\n", argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/obj4k.o", objdir);
	o4 = read_file(path, &l4);
	snprintf(path, sizeof(path), "%s/obj512k.o", objdir);
	o512 = read_file(path, &l512);
	ns = calloc((size_t)n, sizeof(*ns));
	if (!o4 || !o512 || !ns || !mkdtemp(dir)) {
		fprintf(stderr, "bench_control: cannot read the objects in %s\n", objdir);
		return 1;
	}
	o.run_dir = dir;
	plog_set_level(PLOG_WARN);	/* the host logs every replace at info */
	h = pluglet_host__new(&o);
	c = h ? inj_client__open(pluglet_host__msqid(h)) : NULL;
	if (!c) {
		fprintf(stderr, "bench_control: no host or client: %s\n", strerror(errno));
		goto out;
	}

	base = bare_round_trip(n, ns);
	r.action = INJ_ACT_STATUS;
	if (timed(c, &r, NULL, 0, n, ns, &st))
		goto out;
	r.action = INJ_ACT_ADD;
	if (timed(c, &r, o4, l4, 1, ns, &s4))
		goto out;
	r.action = INJ_ACT_REPLACE;
	if (timed(c, &r, o4, l4, n, ns, &s4) || timed(c, &r, o512, l512, n / 4 + 1, ns, &s512))
		goto out;
	if (direct(h, o4, l4, n, ns, &d4) || direct(h, o512, l512, n / 4 + 1, ns, &d512))
		goto out;

	printf("control channel round trip, %d iterations (512 KiB: %d), p50 / p99 in us\n", n, n / 4 + 1);
	printf("  bare SysV round trip, 4 KiB   %8.1f %8.1f   (baseline)\n", base.p50_us, base.p99_us);
	printf("  status request (no object)    %8.1f %8.1f   x%.1f\n", st.p50_us, st.p99_us,
	       st.p50_us / base.p50_us);
	printf("  replace, %6zu B object      %8.1f %8.1f   x%.1f\n", l4, s4.p50_us, s4.p99_us,
	       s4.p50_us / base.p50_us);
	printf("  replace, %6zu B object      %8.1f %8.1f   x%.1f\n", l512, s512.p50_us, s512.p99_us,
	       s512.p50_us / base.p50_us);
	printf("  direct pluglet_host__replace() without the channel:\n");
	printf("    %6zu B object                %8.1f %8.1f   channel adds %.1f us at p50\n", l4,
	       d4.p50_us, d4.p99_us, s4.p50_us - d4.p50_us);
	printf("    %6zu B object                %8.1f %8.1f   channel adds %.1f us at p50\n", l512,
	       d512.p50_us, d512.p99_us, s512.p50_us - d512.p50_us);
	printf("  target: p50 <= 1000 us for 4 KiB: %s\n", s4.p50_us <= 1000 ? "met" : "MISSED");
	rc = 0;
out:
	inj_client__close(c);
	pluglet_host__free(h);
	snprintf(path, sizeof(path), "%s/hosts", dir);
	rmdir(path);
	rmdir(dir);
	free(ns);
	free(o4);
	free(o512);
	return rc;
}

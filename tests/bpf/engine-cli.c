/* SPDX-License-Identifier: MIT */
/*
 * Test driver of the kernel engine (bpf/engine.h) without the FUSE layer.
 * Exits with the errno of a failed verb, 0 on success.
 *
 *   engine-cli [-b BPFFS_DIR] [-s STATE_DIR] [-m MAX_CHAIN] VERB ARGS
 *     load   IF HOOK PRIO OBJ [name=N] [proceed_on=a,b] [global.X=hex]
 *                             [metadata.k=v] [map_owner=ID] [mode=skb]
 *                             [swap=MAP,MAP] [swap_empty=1]
 *     unload IF HOOK PRIO
 *     move   IF HOOK FROM TO
 *     report IF HOOK PRIO
 *     list   IF HOOK
 *     id     IF HOOK PRIO
 *     stats  IF HOOK       the hook's programs with their counts (engine__hook_stats)
 *     stats-all IF HOOK    every hook's (engine__stats; IF and HOOK unused)
 *     swap-read IF HOOK PRIO MAP|id:MAP_ID [N]
 *            N swap reads (default 1); each prints the sum of the u64
 *            values of the quiescent instance (every key, every CPU)
 *     plain-read PIN N
 *            N reads of a pinned map as it is, summed the same way (the
 *            baseline of a swap read)
 */
#include "engine.h"

#include <plugfs/clock.h>
#include <plugfs/hex.h>
#include <plugfs/log.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_hook(const char *s, enum engine_hook *h)
{
	int i;

	for (i = 0; i < ENGINE_HOOK__COUNT; i++) {
		if (!strcmp(s, engine_hook_name((enum engine_hook)i))) {
			*h = (enum engine_hook)i;
			return 0;
		}
	}
	fprintf(stderr, "engine-cli: unknown hook %s\n", s);
	return -ENOENT;
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* global.NAME=HEX: the bytes of the hex, as a manifest's global.NAME. */
static int add_global(struct engine_global *g, uint8_t *buf, size_t size, const char *name,
		      const char *hex)
{
	ssize_t n = plugfs_hex_decode(hex, buf, size);

	if (n <= 0) {
		fprintf(stderr, "engine-cli: global.%s: '%s' is not hex bytes\n", name, hex);
		return -EINVAL;
	}
	*g = (struct engine_global){ name, buf, (size_t)n };
	return 0;
}

static int do_load(struct engine *e, const char *ifn, enum engine_hook h, unsigned int prio,
		   const char *path, int argc, char **argv)
{
	static uint8_t gbuf[16][256];
	struct engine_load_opts o = { .sz = sizeof(o), .object_path = path };
	struct engine_global g[16];
	struct engine_kv m[16];
	size_t len = 0;
	void *obj;
	int i, err;

	for (i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq)
			return -EINVAL;
		*eq = '\0';
		if (!strcmp(argv[i], "name"))
			o.prog_name = eq + 1;
		else if (!strcmp(argv[i], "proceed_on"))
			o.proceed_on = eq + 1;
		else if (!strcmp(argv[i], "mode"))
			o.mode = eq + 1;
		else if (!strcmp(argv[i], "swap"))
			o.swap = eq + 1;
		else if (!strcmp(argv[i], "swap_empty"))
			o.swap_empty = !strcmp(eq + 1, "1") || !strcmp(eq + 1, "true");
		else if (!strcmp(argv[i], "map_owner"))
			o.map_owner_id = (uint32_t)strtoul(eq + 1, NULL, 10);
		else if (!strncmp(argv[i], "global.", 7) && o.n_globals < 16) {
			err = add_global(&g[o.n_globals], gbuf[o.n_globals], sizeof(gbuf[0]),
					 argv[i] + 7, eq + 1);
			if (err)
				return err;
			o.n_globals++;
		}
		else if (!strncmp(argv[i], "metadata.", 9) && o.n_metadata < 16)
			m[o.n_metadata++] = (struct engine_kv){ argv[i] + 9, eq + 1 };
		else
			return -EINVAL;
	}
	o.globals = g;
	o.metadata = m;
	obj = slurp(path, &len);
	if (!obj)
		return -errno;
	err = engine__load(e, ifn, h, prio, obj, len, &o);
	free(obj);
	return err;
}
/* The sum of a map's u64 values, every key and every CPU: a count per
 * interval when the map counts packets. */
static int sum_u64(int fd, void *ctx)
{
	struct bpf_map_info mi = { 0 };
	__u32 len = sizeof(mi);
	unsigned long long *sum = ctx;
	int cpus = libbpf_num_possible_cpus(), n, c, err = 0;
	uint8_t key[256], next[256];
	uint64_t *val;
	bool first = true;

	if (bpf_obj_get_info_by_fd(fd, &mi, &len) || mi.value_size != 8 || mi.key_size > 256)
		return -EINVAL;
	n = mi.type == BPF_MAP_TYPE_PERCPU_ARRAY || mi.type == BPF_MAP_TYPE_PERCPU_HASH ||
	    mi.type == BPF_MAP_TYPE_LRU_PERCPU_HASH ? cpus : 1;
	val = calloc((size_t)n, 8);
	if (!val)
		return -ENOMEM;
	*sum = 0;
	while (!bpf_map_get_next_key(fd, first ? NULL : key, next)) {
		first = false;
		memcpy(key, next, mi.key_size);
		if (bpf_map_lookup_elem(fd, key, val)) {
			err = -errno;
			break;
		}
		for (c = 0; c < n; c++)
			*sum += val[c];
	}
	free(val);
	return err;
}

/* What one read reads: a swap map of an entry, or a map fd as it is. */
struct read_req {
	struct engine *e;
	const char *ifn, *map;
	enum engine_hook h;
	unsigned int prio;
	int plain_fd;		/* >= 0: read this map without a switch */
};

static int read_once(const struct read_req *r, unsigned long long *sum)
{
	if (r->plain_fd >= 0)
		return sum_u64(r->plain_fd, sum);
	if (!strncmp(r->map, "id:", 3))
		return engine__swap_read_id(r->e, (uint32_t)strtoul(r->map + 3, NULL, 10), sum_u64,
					    sum);
	return engine__swap_read(r->e, r->ifn, r->h, r->prio, r->map, sum_u64, sum);
}

/* n reads, each sum printed; with n > 1 the median time of one to stderr. */
static int timed_reads(const struct read_req *r, int n, const char *label)
{
	unsigned long long sum = 0;
	double t, *us = calloc((size_t)(n > 0 ? n : 1), sizeof(*us)), tmp;
	int i, k, err = 0;

	for (i = 0; us && !err && i < n; i++) {
		t = plugfs_now_us();
		err = read_once(r, &sum);
		us[i] = plugfs_now_us() - t;
		if (!err)
			printf("%llu\n", sum);
	}
	for (i = 1; us && i < n; i++)		/* insertion sort: n is small */
		for (k = i, tmp = us[i]; k > 0 && us[k - 1] > tmp; k--) {
			us[k] = us[k - 1];
			us[k - 1] = tmp;
		}
	if (us && !err && n > 1)
		fprintf(stderr, "%s: %d reads, median %.1f us, min %.1f, max %.1f\n", label, n,
			us[n / 2], us[0], us[n - 1]);
	free(us);
	return us ? err : -ENOMEM;
}

/* plain-read PIN N: the baseline of a swap read, the same map read as it is. */
static int plain_reads(const char *pin, int n)
{
	struct read_req r = { .plain_fd = bpf_obj_get(pin) };
	int err;

	if (r.plain_fd < 0)
		return errno;
	err = timed_reads(&r, n, "plain-read");
	close(r.plain_fd);
	return -err;
}

/* One program's counts, one line: IF HOOK PRIO POS ID runs=N time=NS counted=B timed=B VERDICT=N... */
static int print_stats(const struct engine_prog_stats *s, void *arg)
{
	const char *const *names;
	size_t n = 0, i;

	printf("%s %s %u %u %u runs=%llu time=%llu counted=%d timed=%d", s->ifname,
	       engine_hook_name(s->hook), s->prio, s->position, s->prog_id,
	       (unsigned long long)s->runs, (unsigned long long)s->run_time_ns, s->counted,
	       s->timed);
	names = engine_verdict_names(s->hook, &n);
	for (i = 0; i < n && i < s->n_verdicts; i++)
		printf(" %s=%llu", names[i], (unsigned long long)s->verdicts[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct engine_opts eo = { .sz = sizeof(eo) };
	enum engine_hook h = ENGINE_HOOK_XDP;
	struct engine *e;
	unsigned int prio = 0, to = 0;
	int opt, err = -EINVAL;

	while ((opt = getopt(argc, argv, "b:s:m:")) != -1) {
		switch (opt) {
		case 'b': eo.bpffs_dir = optarg; break;
		case 's': eo.state_dir = optarg; break;
		case 'm': eo.max_chain = (unsigned int)atoi(optarg); break;
		default: return EINVAL;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 3 && !strcmp(argv[0], "plain-read"))
		return plain_reads(argv[1], atoi(argv[2]));
	if (argc < 3)
		return EINVAL;
	plog_route_libbpf();
	if (parse_hook(argv[2], &h))
		return ENOENT;
	if (argc >= 4 && engine_parse_prio(argv[3], &prio))
		return EINVAL;
	e = engine__new(&eo);
	if (!e)
		return errno;
	if (!strcmp(argv[0], "load") && argc >= 5) {
		err = do_load(e, argv[1], h, prio, argv[4], argc - 5, argv + 5);
	} else if (!strcmp(argv[0], "unload") && argc == 4) {
		err = engine__unload(e, argv[1], h, prio);
	} else if (!strcmp(argv[0], "move") && argc == 5) {
		err = engine_parse_prio(argv[4], &to);
		if (!err)
			err = engine__move(e, argv[1], h, prio, to);
	} else if (!strcmp(argv[0], "report") && argc == 4) {
		char *buf = NULL;
		size_t len = 0;

		err = engine__report(e, argv[1], h, prio, &buf, &len);
		if (!err)
			fwrite(buf, 1, len, stdout);
		free(buf);
	} else if (!strcmp(argv[0], "list") && argc == 3) {
		unsigned int p[ENGINE_CHAIN_HARD_MAX];
		int n = engine__list(e, argv[1], h, p, ENGINE_CHAIN_HARD_MAX), i;

		for (i = 0; i < n; i++)
			printf("%u\n", p[i]);
		err = n < 0 ? n : 0;
	} else if (!strcmp(argv[0], "stats") && argc == 3) {
		err = engine__hook_stats(e, argv[1], h, print_stats, NULL);
	} else if (!strcmp(argv[0], "stats-all") && argc == 3) {
		err = engine__stats(e, print_stats, NULL);
	} else if (!strcmp(argv[0], "swap-read") && (argc == 5 || argc == 6)) {
		struct read_req r = { .e = e, .ifn = argv[1], .h = h, .prio = prio,
				      .map = argv[4], .plain_fd = -1 };

		err = timed_reads(&r, argc == 6 ? atoi(argv[5]) : 1, "swap-read");
	} else if (!strcmp(argv[0], "id") && argc == 4) {
		uint32_t id = engine__prog_id(e, argv[1], h, prio);

		printf("%u\n", id);
		err = id ? 0 : -ENOENT;
	}
	/* a root attached indirect, here or by a daemon that died, is made
	 * direct before we go */
	engine__settle(e, 5000);
	engine__free(e);
	if (err)
		fprintf(stderr, "engine-cli: %s: %s\n", argv[0], strerror(-err));
	return -err;
}

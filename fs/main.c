/* SPDX-License-Identifier: MIT */
/*
 * plugfs: the FUSE daemon. Reads the configuration (embedded defaults, then
 * --config, then the command line), sets up logging and the backends, and
 * serves the tree until unmounted or signalled (SIGINT/SIGTERM/SIGHUP: clean
 * unmount, exit 0). Kernel programs stay attached when the daemon exits:
 * they are pinned, and a new daemon adopts them.
 */
#include "cache.h"
#include "config.h"
#include "engine.h"
#include "fuse_ops.h"
#include "host_registry.h"
#include "hosts.h"
#include "maps.h"
#include "progs.h"
#include "instance.h"
#include "logring.h"
#include "netwatch.h"
#include "plugins.h"
#include "reply_queues.h"
#include "tracing.h"
#include "tree.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: plugfs [options] MOUNTPOINT\n"
		"       plugfs [options] --instance NAME|DIR\n"
		"Manage eBPF code with cp, rm, cat and mv.\n"
		"\n"
		"  -f, --foreground      stay in the foreground (log to stderr too)\n"
		"  -d, --debug           FUSE debug output (implies -f and -vv)\n"
		"  -v, --verbose         more messages (repeat for debug)\n"
		"  -c, --config FILE     ini configuration file (see plugfs(8))\n"
		"  -i, --instance NAME|DIR  a private instance: mount point, state, run and bpffs\n"
		"                        directories under one name (also PLUGFS_DIR; see plugfs(8))\n"
		"      --state-dir DIR   objects and options kept for restore (default %s)\n"
		"      --run-dir DIR     pluginized hosts publish themselves here (default %s)\n"
		"      --bpffs-dir DIR   where kernel objects are pinned (default %s)\n"
		"  -o OPT[,OPT...]       FUSE mount options, passed through\n"
		"  -h, --help            this help\n"
		"  -V, --version         print the version\n",
		PLUGFS_DEFAULT_STATE_DIR, PLUGFS_DEFAULT_RUN_DIR, PLUGFS_DEFAULT_BPFFS_DIR);
}

enum { OPT_STATE_DIR = 256, OPT_RUN_DIR, OPT_BPFFS_DIR };

static const struct option long_opts[] = {
	{ "foreground", no_argument, NULL, 'f' },
	{ "debug", no_argument, NULL, 'd' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "config", required_argument, NULL, 'c' },
	{ "instance", required_argument, NULL, 'i' },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
	{ "bpffs-dir", required_argument, NULL, OPT_BPFFS_DIR },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 }
};

struct cmdline {
	const char *config;
	const char *instance;		/* --instance, else PLUGFS_DIR */
	const char *state_dir, *run_dir, *bpffs_dir;
	char fuse_opts[4096];
	int verbose;
	bool foreground, debug;
	const char *mountpoint;
};

static int set_path(char *dst, size_t size, const char *src, const char *what)
{
	char abs[PATH_MAX];

	if (src[0] != '/') {
		char cwd[PATH_MAX];

		if (!realpath(src, abs)) {
			if (!getcwd(cwd, sizeof(cwd)) ||
			    snprintf(abs, sizeof(abs), "%s/%s", cwd, src) >= (int)sizeof(abs))
				return -ENAMETOOLONG;
		}
		src = abs;
	}
	if (strlen(src) >= size) {
		fprintf(stderr, "plugfs: %s path too long\n", what);
		return -ENAMETOOLONG;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int parse_cmdline(int argc, char **argv, struct cmdline *cl)
{
	int c;

	memset(cl, 0, sizeof(*cl));
	while ((c = getopt_long(argc, argv, "fdvc:i:o:hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'f': cl->foreground = true; break;
		case 'd': cl->debug = cl->foreground = true; cl->verbose = 2; break;
		case 'v': cl->verbose++; break;
		case 'c': cl->config = optarg; break;
		case 'i': cl->instance = optarg; break;
		case OPT_STATE_DIR: cl->state_dir = optarg; break;
		case OPT_RUN_DIR: cl->run_dir = optarg; break;
		case OPT_BPFFS_DIR: cl->bpffs_dir = optarg; break;
		case 'o':
			if (strlen(cl->fuse_opts) + strlen(optarg) + 2 > sizeof(cl->fuse_opts))
				return -E2BIG;
			if (cl->fuse_opts[0])
				strcat(cl->fuse_opts, ",");
			strcat(cl->fuse_opts, optarg);
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("plugfs %s\n", PLUGFS_VERSION); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (!cl->instance && getenv("PLUGFS_DIR") && *getenv("PLUGFS_DIR"))
		cl->instance = getenv("PLUGFS_DIR");
	if (optind < argc)
		cl->mountpoint = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "plugfs: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* Everything main() starts, in one place so that one function stops it. */
struct daemon {
	struct plugfs_config cfg;
	struct plugfs_fs fs;
	struct host_registry *reg;
	bool ifaces_up, plugins_up;
	struct fuse_args args;
	struct fuse_session *se;
	bool mounted;
	struct netwatch *nw;		/* interfaces coming and going, for fs.cache */
};

/* Configuration from the embedded defaults, --config and the command line;
 * 0, or the exit code (2) after saying what is wrong. */
static int configure(struct plugfs_config *cfg, const struct cmdline *cl)
{
	char err[PATH_MAX + 256] = "";

	plugfs_config_defaults(cfg);
	if (cl->instance && instance_apply(cfg, cl->instance, err, sizeof(err))) {
		fprintf(stderr, "plugfs: %s\n", err);
		return 2;
	}
	if (cl->config && plugfs_config_load(cfg, cl->config))
		return 2;
	if ((cl->state_dir && set_path(cfg->state_dir, sizeof(cfg->state_dir), cl->state_dir, "state")) ||
	    (cl->run_dir && set_path(cfg->run_dir, sizeof(cfg->run_dir), cl->run_dir, "run")) ||
	    (cl->bpffs_dir && set_path(cfg->bpffs_dir, sizeof(cfg->bpffs_dir), cl->bpffs_dir, "bpffs")))
		return 2;
	if (cl->mountpoint &&
	    set_path(cfg->mountpoint, sizeof(cfg->mountpoint), cl->mountpoint, "mount"))
		return 2;
	if (!cfg->mountpoint[0]) {
		fprintf(stderr, "plugfs: no mount point (give MOUNTPOINT, --instance or [paths] mountpoint)\n");
		usage(stderr);
		return 2;
	}
	/* an instance's mount point is ours to create */
	if (mount_point_prepare(cfg->mountpoint, cl->instance && !cl->mountpoint, err, sizeof(err))) {
		fprintf(stderr, "plugfs: %s\n", err);
		return 2;
	}
	if (cl->verbose > cfg->verbosity)
		cfg->verbosity = cl->verbose;
	cfg->foreground = cl->foreground;
	cfg->debug = cl->debug;
	return 0;
}

/* The backends and the inode table; 0 or -errno (logged). */
static int start_backends(struct daemon *d)
{
	struct host_registry_opts ro = {
		.sz = sizeof(ro),
		.run_dir = d->cfg.run_dir,
		.timeout_ms = d->cfg.host_timeout_ms,
	};
	int err;

	err = plugfs_mkdir_p(d->cfg.state_dir, 0700);
	if (!err)
		err = plugfs_mkdir_p(d->cfg.run_dir, 0755);
	if (err) {
		pr_warn("cannot create state/run directories: %s", strerror(-err));
		return err;
	}
	err = reply_queues__open(d->cfg.run_dir);
	if (err < 0)
		pr_warn("cannot keep the record of reply queues in %s/daemon: %s", d->cfg.run_dir,
			strerror(-err));
	d->fs.cfg = &d->cfg;
	clock_gettime(CLOCK_REALTIME, &d->fs.start_time);
	err = ifaces_domain_init(&d->fs.domains[DOMAIN_IFACES], &d->cfg);
	if (err) {
		pr_warn("ifaces: cannot start: %s", strerror(-err));
		return err;
	}
	d->ifaces_up = true;
	err = tracing_domain_init(&d->fs.domains[DOMAIN_TRACING], &d->cfg,
				  ifaces_domain_engine(&d->fs.domains[DOMAIN_IFACES]));
	if (err)
		return err;
	d->reg = host_registry__new(&ro);
	err = d->reg ? 0 : -errno;
	if (!err)
		err = plugins_domain_init(&d->fs.domains[DOMAIN_PLUGINS], &d->cfg, d->reg);
	d->plugins_up = !err;
	if (!err)
		host_registry__on_change(d->reg, fs_cache__host_changed, &d->fs);
	/* Hosts already running get their pluglets before the tree is served. */
	if (!err)
		err = host_registry__start(d->reg);
	if (err) {
		pr_warn("plugins: cannot start: %s", strerror(-err));
		return err;
	}
	hosts_domain_init(&d->fs.domains[DOMAIN_HOSTS], d->reg);
	if (progs_domain_init(&d->fs.domains[DOMAIN_PROGS], &d->fs.domains[DOMAIN_IFACES],
			      &d->fs.domains[DOMAIN_TRACING]) ||
	    maps_domain_init(&d->fs.domains[DOMAIN_MAPS], &d->cfg, &d->fs.domains[DOMAIN_IFACES]))
		return -ENOMEM;
	err = metrics_domain_init(&d->fs.domains[DOMAIN_METRICS], &(struct metrics_opts){
		.daemon = &d->fs.metrics, .reg = d->reg, .kernel = metrics_kernel_series,
		.kernel_arg = ifaces_domain_engine(&d->fs.domains[DOMAIN_IFACES]) });
	if (err)
		pr_warn("metrics: cannot start: %s", strerror(-err));
	/* every tree that takes writes has load counters from the start */
	for (unsigned int i = 0; i < NR_DOMAINS; i++)
		if (d->fs.domains[i].ops && d->fs.domains[i].ops->commit)
			metrics_daemon__add_tree(&d->fs.metrics, d->fs.domains[i].name);
	d->fs.nr_domains = NR_DOMAINS;
	d->fs.tree = tree__new();
	return d->fs.tree ? 0 : -ENOMEM;
}

static void stop_backends(struct daemon *d)
{
	/* The registry first: its threads call into plugins/. */
	host_registry__free(d->reg);
	reply_queues__close();
	metrics_domain_fini(&d->fs.domains[DOMAIN_METRICS]);
	if (d->plugins_up)
		plugins_domain_fini(&d->fs.domains[DOMAIN_PLUGINS]);
	maps_domain_fini(&d->fs.domains[DOMAIN_MAPS]);
	progs_domain_fini(&d->fs.domains[DOMAIN_PROGS]);
	tracing_domain_fini(&d->fs.domains[DOMAIN_TRACING]);
	if (d->ifaces_up)
		ifaces_domain_fini(&d->fs.domains[DOMAIN_IFACES]);
	tree__free(d->fs.tree);
}

/* The FUSE session on the mount point; 0 or -1 (logged). */
static int mount_tree(struct daemon *d, const struct cmdline *cl, const char *argv0)
{
	char opts[4200];

	/* Others may read the tree. No default_permissions: the daemon checks
	 * the modes it reports itself (fuse_ops.c, may()), which spares a
	 * round trip per create or unlink. */
	snprintf(opts, sizeof(opts), "-ofsname=plugfs,subtype=plugfs%s%s%s",
		 geteuid() == 0 ? ",allow_other" : "", cl->fuse_opts[0] ? "," : "", cl->fuse_opts);
	if (fuse_opt_add_arg(&d->args, argv0) || fuse_opt_add_arg(&d->args, opts) ||
	    (cl->debug && fuse_opt_add_arg(&d->args, "-d"))) {
		pr_warn("out of memory");
		return -1;
	}
	d->se = fuse_session_new(&d->args, &plugfs_ll_ops, sizeof(plugfs_ll_ops), &d->fs);
	if (!d->se) {
		pr_warn("cannot create the FUSE session (bad -o option?)");
		return -1;
	}
	if (fuse_session_mount(d->se, d->cfg.mountpoint)) {
		pr_warn("cannot mount on %s", d->cfg.mountpoint);
		return -1;
	}
	d->mounted = true;
	pr_info("plugfs %s started: mounted on %s (state %s, run %s, bpffs %s)", PLUGFS_VERSION,
		d->cfg.mountpoint, d->cfg.state_dir, d->cfg.run_dir, d->cfg.bpffs_dir);
	return 0;
}

/* The notices to the kernel's caches of the mount (cache.h); without them
 * a change shows within the cache timeout only. */
static void start_caches(struct daemon *d)
{
	struct fs_cache *c = fs_cache__start(&d->fs, d->se);

	if (!c)
		pr_warn("cache: no notice thread (%s): interfaces and hosts that go away show for up to %.0f s",
			strerror(errno), CACHE_TIMEOUT_S);
	__atomic_store_n(&d->fs.cache, c, __ATOMIC_RELEASE);
	d->nw = netwatch__start(fs_cache__iface_changed, &d->fs);
}

static void stop_caches(struct daemon *d)
{
	struct fs_cache *c = d->fs.cache;

	netwatch__stop(d->nw);
	d->nw = NULL;
	__atomic_store_n(&d->fs.cache, NULL, __ATOMIC_RELEASE);
	fs_cache__stop(c);
}

struct loop_ctx {
	struct fuse_session *se;
	struct fuse_loop_config *cfg;
	pthread_t main_thread;
	int rc;
};

static void *loop_main(void *arg)
{
	struct loop_ctx *l = arg;

	l->rc = fuse_session_loop_mt(l->se, l->cfg);
	/* Unmounted from outside (fusermount -u): wake main. */
	pthread_kill(l->main_thread, SIGUSR1);
	return NULL;
}

/* Serves the tree until a stop signal or an outside unmount; the exit code. */
static int serve(struct daemon *d, const sigset_t *stop_sigs)
{
	struct loop_ctx loop = { .se = d->se, .main_thread = pthread_self() };
	pthread_t loop_thread;
	int err, sig = 0;

	loop.cfg = fuse_loop_cfg_create();
	if (!loop.cfg)
		return 1;
	fuse_loop_cfg_set_clone_fd(loop.cfg, 0);
	fuse_loop_cfg_set_max_threads(loop.cfg, 16);
	err = pthread_create(&loop_thread, NULL, loop_main, &loop);
	if (err) {
		pr_warn("cannot start the FUSE loop: %s", strerror(err));
		fuse_loop_cfg_destroy(loop.cfg);
		return 1;
	}
	/* No handler: this thread waits for the signals every other thread
	 * blocks, then unmounts, which ends the loop's reads. */
	while (sigwait(stop_sigs, &sig) || (sig != SIGUSR1 && sig != SIGINT && sig != SIGTERM &&
					      sig != SIGHUP))
		;
	if (sig == SIGUSR1) {
		pr_info("plugfs stopping (%s)", loop.rc < 0 ? strerror(-loop.rc) : "unmounted");
	} else {
		pr_info("plugfs stopping (signal %d), unmounting %s", sig, d->cfg.mountpoint);
		fuse_session_exit(d->se);
		fuse_session_unmount(d->se);
		d->mounted = false;
	}
	pthread_join(loop_thread, NULL);
	fuse_loop_cfg_destroy(loop.cfg);
	return sig == SIGUSR1 && loop.rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct daemon d = { .args = FUSE_ARGS_INIT(0, NULL) };
	sigset_t stop_sigs;
	struct cmdline cl;
	int rc = 1;

	if (parse_cmdline(argc, argv, &cl))
		return 2;
	plog_set_prefix("plugfs");
	rc = configure(&d.cfg, &cl);
	if (rc)
		return rc;
	plog_set_level(d.cfg.verbosity >= 2 ? PLOG_DEBUG : PLOG_INFO);
	if (logring_init(d.cfg.log_lines)) {
		fprintf(stderr, "plugfs: out of memory\n");
		return 1;
	}
	plog_set_stderr(d.cfg.foreground);
	plog_route_libbpf();

	/* Before any thread exists: every thread inherits the blocked set,
	 * and the fork of daemonizing must not lose threads. */
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGINT);
	sigaddset(&stop_sigs, SIGTERM);
	sigaddset(&stop_sigs, SIGHUP);
	sigaddset(&stop_sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = 1;
	/* a second daemon on the same directories fails here, on the terminal
	 * it was started from (the engine takes the locks for good later) */
	plog_set_stderr(1);
	if (engine_dirs_check(d.cfg.bpffs_dir, d.cfg.state_dir))
		goto out;
	plog_set_stderr(d.cfg.foreground);
	if (fuse_daemonize(d.cfg.foreground))
		pr_warn("cannot daemonize");
	else if (!start_backends(&d) && !mount_tree(&d, &cl, argv[0])) {
		start_caches(&d);
		rc = serve(&d, &stop_sigs);
		stop_caches(&d);
	}
	if (d.se) {
		if (d.mounted)
			fuse_session_unmount(d.se);
		fuse_session_destroy(d.se);
	}
	fuse_opt_free_args(&d.args);
	stop_backends(&d);
out:
	logring_fini();
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * plugfs: the FUSE daemon. Reads the configuration (embedded defaults, then
 * --config, then the command line), sets up logging and the backends, and
 * serves the tree until unmounted or signalled (SIGINT/SIGTERM/SIGHUP: clean
 * unmount, exit 0). Kernel programs stay attached when the daemon exits:
 * they are pinned, and a new daemon adopts them.
 */
#include "fuse_ops.h"
#include "logring.h"
#include "tree.h"
#include "config.h"

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
		"Manage eBPF code with cp, rm, cat and mv.\n"
		"\n"
		"  -f, --foreground      stay in the foreground (log to stderr too)\n"
		"  -d, --debug           FUSE debug output (implies -f and -vv)\n"
		"  -v, --verbose         more messages (repeat for debug)\n"
		"  -c, --config FILE     ini configuration file (see plugfs(8))\n"
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
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
	{ "bpffs-dir", required_argument, NULL, OPT_BPFFS_DIR },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 }
};

struct cmdline {
	const char *config;
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
	while ((c = getopt_long(argc, argv, "fdvc:o:hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'f': cl->foreground = true; break;
		case 'd': cl->debug = cl->foreground = true; cl->verbose = 2; break;
		case 'v': cl->verbose++; break;
		case 'c': cl->config = optarg; break;
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
	if (optind < argc)
		cl->mountpoint = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "plugfs: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
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

int main(int argc, char **argv)
{
	static struct plugfs_config cfg;
	static struct plugfs_fs fsd;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *loop_cfg = NULL;
	struct fuse_session *se = NULL;
	struct loop_ctx loop = { 0 };
	pthread_t loop_thread;
	sigset_t stop_sigs;
	struct cmdline cl;
	int sig = 0;
	bool ifaces_up = false, plugins_up = false, mounted = false;
	char opts[4200];
	int err, rc = 1;

	if (parse_cmdline(argc, argv, &cl))
		return 2;

	plugfs_config_defaults(&cfg);
	plog_set_prefix("plugfs");
	if (cl.config && plugfs_config_load(&cfg, cl.config))
		return 2;
	if ((cl.state_dir && set_path(cfg.state_dir, sizeof(cfg.state_dir), cl.state_dir, "state")) ||
	    (cl.run_dir && set_path(cfg.run_dir, sizeof(cfg.run_dir), cl.run_dir, "run")) ||
	    (cl.bpffs_dir && set_path(cfg.bpffs_dir, sizeof(cfg.bpffs_dir), cl.bpffs_dir, "bpffs")))
		return 2;
	if (cl.mountpoint && set_path(cfg.mountpoint, sizeof(cfg.mountpoint), cl.mountpoint, "mount"))
		return 2;
	if (!cfg.mountpoint[0]) {
		fprintf(stderr, "plugfs: no mount point (give MOUNTPOINT or [paths] mountpoint)\n");
		usage(stderr);
		return 2;
	}
	{
		struct stat st;

		if (stat(cfg.mountpoint, &st) || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "plugfs: mount point %s is not a directory\n", cfg.mountpoint);
			return 2;
		}
	}
	if (cl.verbose > cfg.verbosity)
		cfg.verbosity = cl.verbose;
	cfg.foreground = cl.foreground;
	cfg.debug = cl.debug;
	plog_set_level(cfg.verbosity >= 2 ? PLOG_DEBUG : cfg.verbosity == 1 ? PLOG_INFO : PLOG_INFO);
	if (logring_init(cfg.log_lines)) {
		fprintf(stderr, "plugfs: out of memory\n");
		return 1;
	}
	plog_set_stderr(cfg.foreground);
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
	if (fuse_daemonize(cfg.foreground)) {
		pr_warn("cannot daemonize");
		goto out;
	}

	err = plugfs_mkdir_p(cfg.state_dir, 0700);
	if (!err)
		err = plugfs_mkdir_p(cfg.run_dir, 0755);
	if (err) {
		pr_warn("cannot create state/run directories: %s", strerror(-err));
		goto out;
	}

	fsd.cfg = &cfg;
	clock_gettime(CLOCK_REALTIME, &fsd.start_time);
	err = ifaces_domain_init(&fsd.domains[DOMAIN_IFACES], &cfg);
	if (err) {
		pr_warn("ifaces: cannot start: %s", strerror(-err));
		goto out;
	}
	ifaces_up = true;
	err = plugins_domain_init(&fsd.domains[DOMAIN_PLUGINS], &cfg);
	if (err) {
		pr_warn("plugins: cannot start: %s", strerror(-err));
		goto out;
	}
	plugins_up = true;
	fsd.nr_domains = NR_DOMAINS;
	if (hosts_flatdir_get(&fsd.domains[DOMAIN_PLUGINS], &fsd.hosts_ops, &fsd.hosts_priv))
		fsd.hosts_ops = NULL;
	plugfs_fs_set(&fsd);
	if (tree_init())
		goto out;

	/* Others may read the tree; the kernel enforces the modes we report. */
	snprintf(opts, sizeof(opts), "-ofsname=plugfs,subtype=plugfs,default_permissions%s%s%s",
		 geteuid() == 0 ? ",allow_other" : "", cl.fuse_opts[0] ? "," : "", cl.fuse_opts);
	if (fuse_opt_add_arg(&args, argv[0]) || fuse_opt_add_arg(&args, opts) ||
	    (cl.debug && fuse_opt_add_arg(&args, "-d"))) {
		pr_warn("out of memory");
		goto out;
	}
	se = fuse_session_new(&args, &plugfs_ll_ops, sizeof(plugfs_ll_ops), &fsd);
	if (!se) {
		pr_warn("cannot create the FUSE session (bad -o option?)");
		goto out;
	}
	if (fuse_session_mount(se, cfg.mountpoint)) {
		pr_warn("cannot mount on %s", cfg.mountpoint);
		goto out;
	}
	mounted = true;
	pr_info("plugfs %s started: mounted on %s (state %s, run %s, bpffs %s)", PLUGFS_VERSION,
		cfg.mountpoint, cfg.state_dir, cfg.run_dir, cfg.bpffs_dir);
	loop_cfg = fuse_loop_cfg_create();
	if (!loop_cfg)
		goto out;
	fuse_loop_cfg_set_clone_fd(loop_cfg, 0);
	fuse_loop_cfg_set_max_threads(loop_cfg, 16);
	loop.se = se;
	loop.cfg = loop_cfg;
	loop.main_thread = pthread_self();
	err = pthread_create(&loop_thread, NULL, loop_main, &loop);
	if (err) {
		pr_warn("cannot start the FUSE loop: %s", strerror(err));
		goto out;
	}
	/* No handler: this thread waits for the signals every other thread
	 * blocks, then unmounts, which ends the loop's reads. */
	while (sigwait(&stop_sigs, &sig) || (sig != SIGUSR1 && sig != SIGINT && sig != SIGTERM &&
					       sig != SIGHUP))
		;
	if (sig == SIGUSR1) {
		pr_info("plugfs stopping (%s)", loop.rc < 0 ? strerror(-loop.rc) : "unmounted");
	} else {
		pr_info("plugfs stopping (signal %d), unmounting %s", sig, cfg.mountpoint);
		fuse_session_exit(se);
		fuse_session_unmount(se);
		mounted = false;
	}
	pthread_join(loop_thread, NULL);
	rc = sig == SIGUSR1 && loop.rc < 0 ? 1 : 0;
out:
	if (loop_cfg)
		fuse_loop_cfg_destroy(loop_cfg);
	if (se) {
		if (mounted)
			fuse_session_unmount(se);
		fuse_session_destroy(se);
	}
	fuse_opt_free_args(&args);
	if (plugins_up)
		plugins_domain_fini(&fsd.domains[DOMAIN_PLUGINS]);
	if (ifaces_up)
		ifaces_domain_fini(&fsd.domains[DOMAIN_IFACES]);
	tree_fini();
	logring_fini();
	return rc;
}

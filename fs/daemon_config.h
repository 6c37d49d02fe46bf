/* SPDX-License-Identifier: MIT */
/*
 * Daemon configuration: embedded defaults, then the ini file (--config),
 * then the command line. Every key is documented in docs/plugfs.8.
 */
#ifndef PLUGFS_FS_DAEMON_CONFIG_H
#define PLUGFS_FS_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct plugfs_config {
	char mountpoint[4096];
	char state_dir[4096];		/* [paths] state_dir    default /var/lib/plugfs */
	char run_dir[4096];		/* [paths] run_dir      default /run/plugfs */
	char bpffs_dir[4096];		/* [paths] bpffs_dir    default /sys/fs/bpf/plugfs */
	size_t max_object_size;		/* [limits] max_object_size  default 1 MiB; bigger -> EFBIG */
	unsigned int max_chain;		/* [limits] max_chain    default 10 (<= 32) */
	unsigned int host_timeout_ms;	/* [limits] host_timeout_ms  default 2000 */
	unsigned int log_lines;		/* [limits] log_lines    default 1000 (ring of `log`) */
	gid_t write_gid;		/* [access] write_group  default none: root only */
	bool have_write_gid;
	/* [defaults] */
	char xdp_mode[16];		/* native | skb; default native */
	char xdp_proceed_on[256];	/* default "pass, dispatcher_return" */
	char tc_proceed_on[256];	/* default "ok, pipe, dispatcher_return" */
	bool pluglet_jit;		/* default false */
	uint32_t pluglet_extra_memory;	/* default 0 */
	uint32_t pluglet_shared_memory;	/* default 0 */
	/* [images] where bytes come from besides a file (docs/plugfs.8, IMAGES) */
	char insecure_registries[1024];	/* host[:port] list spoken to over plain HTTP */
	char ca_files[2048];		/* extra CA files (PEM) for registries' TLS */
	char auth_file[4096];		/* default docker-style auth file; "" none */
	char clang[4096];		/* the C compiler; default "clang" from PATH */
	unsigned int pull_timeout_ms;	/* per registry request; default 30000 */
	unsigned int compile_timeout_ms;	/* default 60000 */
	int verbosity;			/* -v count */
	bool foreground;
	bool debug;
};

void plugfs_config_defaults(struct plugfs_config *c);
/* Parses an ini file into c; 0 or -errno. The first bad key stops the
 * parse; the message (logged) names it and its line. */
int plugfs_config_load(struct plugfs_config *c, const char *path);

#endif

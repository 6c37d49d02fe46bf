/* SPDX-License-Identifier: MIT */
/* The record of the daemon's reply queues, and the sweep of a dead daemon's. */
#include "reply_queues.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>
#include <plugfs/proc.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <unistd.h>

static int record_fd = -1;

/* Removes the queue of one record line if its writer is gone; 1 if removed. */
static int sweep_line(const char *line)
{
	struct msqid_ds ds;
	long pid, ctime_rec;
	int qid;

	if (sscanf(line, "%ld %d %ld", &pid, &qid, &ctime_rec) != 3)
		return 0;
	if (pid == getpid() || plugfs_pid_alive((pid_t)pid))
		return 0;
	if (msgctl(qid, IPC_STAT, &ds) || (long)ds.msg_ctime != ctime_rec)
		return 0;
	return msgctl(qid, IPC_RMID, NULL) == 0;
}

static int sweep(const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	int removed = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (getline(&line, &cap, f) > 0)
		removed += sweep_line(line);
	free(line);
	fclose(f);
	return removed;
}

int reply_queues__open(const char *run_dir)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int removed, err;

	if (snprintf(dir, sizeof(dir), "%s/daemon", run_dir) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), "%s/reply-queues", dir);
	err = plugfs_mkdir_p(dir, 0700);
	if (err)
		return err;
	removed = sweep(path);
	if (removed > 0)
		pr_info("removed %d reply queue(s) left by a daemon that did not stop cleanly",
			removed);
	record_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (record_fd < 0)
		return -errno;
	return removed < 0 ? 0 : removed;
}

void reply_queues__add(int qid)
{
	struct msqid_ds ds;
	char line[64];
	int n;

	if (record_fd < 0 || qid < 0 || msgctl(qid, IPC_STAT, &ds))
		return;
	/* one write of a whole line: O_APPEND keeps lines whole */
	n = snprintf(line, sizeof(line), "%ld %d %ld\n", (long)getpid(), qid, (long)ds.msg_ctime);
	if (write(record_fd, line, (size_t)n) != n)
		pr_warn("cannot record reply queue %d: %s", qid, strerror(errno));
}

void reply_queues__close(void)
{
	if (record_fd >= 0)
		close(record_fd);
	record_fd = -1;
}

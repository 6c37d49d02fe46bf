/* SPDX-License-Identifier: MIT */
/*
 * A record of the daemon's private reply queues (one or two per connected
 * host, injector/client.c), kept in <run>/daemon/reply-queues, so that the
 * queues a killed daemon left behind are removed by the next one. SysV
 * queues outlive their process; without the record nothing tells a dead
 * daemon's IPC_PRIVATE queue from anyone else's.
 *
 * One record per process (the daemon serves one run directory).
 */
#ifndef PLUGFS_FS_REPLY_QUEUES_H
#define PLUGFS_FS_REPLY_QUEUES_H

/*
 * Removes the queues recorded by daemons that are no longer running (a
 * queue counts only if its id and change time still match the record, so
 * an id the kernel gave to someone else is left alone), then starts a new
 * record. Returns how many queues were removed, or -errno.
 */
int reply_queues__open(const char *run_dir);
/* Records a reply queue this process created; a failure is logged only. */
void reply_queues__add(int qid);
void reply_queues__close(void);

#endif

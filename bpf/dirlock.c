// SPDX-License-Identifier: MIT
/*
 * One engine per bpffs and state directory: each is locked with flock(2)
 * on the directory itself (as libxdp locks its bpffs directory: bpffs holds
 * no regular files to lock), for the engine's life. The kernel drops the
 * lock with the process, so a daemon restarted after kill -9 starts.
 */
#include "dirlock.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The pid that holds a flock on that inode, from /proc/locks; 0: unknown. */
static int lock_holder(int fd)
{
	unsigned int maj, mnr;
	unsigned long ino;
	char kind[16], line[256];
	struct stat st;
	int pid, found = 0;
	FILE *f;

	if (fstat(fd, &st))
		return 0;
	f = fopen("/proc/locks", "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 00:2a:5678 0 EOF" (waiters have "->") */
		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%lu", kind, &pid, &maj, &mnr, &ino) == 5 &&
		    !strcmp(kind, "FLOCK") && ino == st.st_ino && maj == major(st.st_dev) &&
		    mnr == minor(st.st_dev))
			found = pid;
	}
	fclose(f);
	return found;
}

/* "plugfs" from /proc/<pid>/comm, "" when it cannot be read. */
static void holder_name(int pid, char *buf, size_t size)
{
	char path[64];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* Locks one directory; a directory that cannot be made or opened is not
 * locked (the engine reports its real use of it), only -EBUSY fails. */
static int lock_dir(const char *dir, const char *what, int *fdp)
{
	char name[32];
	int fd, pid, err = plugfs_mkdir_p(dir, 0700);

	fd = err ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		pr_warn("bpf: cannot open the %s directory %s to lock it: %s", what, dir,
			strerror(err ? -err : errno));
		return 0;
	}
	if (!flock(fd, LOCK_EX | LOCK_NB)) {
		*fdp = fd;
		return 0;
	}
	err = errno;
	pid = err == EWOULDBLOCK ? lock_holder(fd) : 0;
	close(fd);
	if (err != EWOULDBLOCK) {
		pr_warn("bpf: cannot lock the %s directory %s: %s", what, dir, strerror(err));
		return 0;
	}
	holder_name(pid, name, sizeof(name));
	if (pid)
		pr_warn("the %s directory %s is in use by process %d%s%s%s: one plugfs per state "
			"and bpffs directory", what, dir, pid, name[0] ? " (" : "", name,
			name[0] ? ")" : "");
	else
		pr_warn("the %s directory %s is in use by another process: one plugfs per state "
			"and bpffs directory", what, dir);
	return -EBUSY;
}

/* Locks both directories (state_dir "" or NULL: none) into fds[]. */
static int lock_dirs(const char *bpffs_dir, const char *state_dir, int fds[2])
{
	int err = lock_dir(bpffs_dir, "bpffs", &fds[0]);

	if (!err && state_dir && *state_dir)
		err = lock_dir(state_dir, "state", &fds[1]);
	return err;
}

/* bpffs_dir: removed when empty, unless another holds it (a refused start
 * leaves nothing behind, a stopped engine nothing it did not load). */
static void close_locks(int fds[2], const char *bpffs_dir)
{
	int i;

	if (bpffs_dir && fds[0] >= 0)
		rmdir(bpffs_dir);

	for (i = 0; i < 2; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int dirlock_take(struct engine *e)
{
	int err = lock_dirs(e->bpffs_dir, e->state_dir, e->lock_fd);

	if (err)
		close_locks(e->lock_fd, e->bpffs_dir);
	return err;
}

void dirlock_release(struct engine *e)
{
	close_locks(e->lock_fd, e->bpffs_dir);
}

int engine_dirs_check(const char *bpffs_dir, const char *state_dir)
{
	const char *b = bpffs_dir && *bpffs_dir ? bpffs_dir : ENGINE_BPFFS_DEFAULT;
	int fds[2] = { -1, -1 };
	int err = lock_dirs(b, state_dir, fds);

	close_locks(fds, b);
	return err;
}

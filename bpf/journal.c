/* SPDX-License-Identifier: MIT */
/*
 * The state journal: <state>/journal, kept open for appending. A verb's
 * changes to the state dir (an entry's file, an object, a removal or a
 * rename) are appended as records in one writev, and the background thread
 * folds them into the files once the engine is idle. On ext4 a new file
 * costs 40-60 us of journalling on the path of a load, an append ~5 us.
 *
 * A record is a text line, then for `put` the bytes:
 *   put <len> <path>\n<len bytes>    write the file whole (temporary + rename)
 *   del <path>\n                     remove it
 *   mv <from> <to>\n                 rename it
 * Paths are relative to the state dir and have no spaces (interface names
 * cannot). Once write(2) returns the record is in the page cache, which is
 * what the state has to survive (a daemon crash: see docs/kernel-engine.md);
 * the next engine folds what is left before it reads the state. A record
 * cut short (power loss) ends the fold there.
 */
#include "journal.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JOURNAL_FOLD_SIZE (4u << 20)

static void journal_path(const struct engine *e, char *buf, size_t size)
{
	plugfs_snprintf(buf, size, "%s/journal", e->state_dir);
}

/*
 * The directories are there on every write but the first (they are kept
 * when a hook empties), so trying first spares a mkdir per file on the path
 * of a load.
 */
int journal_write_file(const char *path, const void *data, size_t len)
{
	char dir[PATH_MAX], *slash;
	int err = plugfs_write_file(path, data, len);

	if (err != -ENOENT)
		return err;
	plugfs_snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	err = plugfs_mkdir_p(dir, 0700);
	return err ? err : plugfs_write_file(path, data, len);
}

int journal_open(struct engine *e)
{
	char path[PATH_MAX + 16];

	e->journal_fd = -1;
	if (!e->state_dir[0])
		return 0;
	journal_path(e, path, sizeof(path));
	e->journal_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (e->journal_fd < 0 && errno == ENOENT && !plugfs_mkdir_p(e->state_dir, 0700))
		e->journal_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (e->journal_fd < 0) {
		pr_info("bpf: no state journal in %s (%s): state files are written directly",
			e->state_dir, strerror(errno));
		return -errno;
	}
	return 0;
}

void journal_close(struct engine *e)
{
	if (e->journal_fd >= 0)
		close(e->journal_fd);
	e->journal_fd = -1;
}

int journal_append(struct engine *e, const struct iovec *iov, int n)
{
	size_t want = 0;
	ssize_t got;
	int i;

	if (e->journal_fd < 0)
		return -EBADF;
	for (i = 0; i < n; i++)
		want += iov[i].iov_len;
	got = writev(e->journal_fd, iov, n);
	if (got == (ssize_t)want) {
		e->journal_dirty = true;
		e->journal_size += want;
		/* verbs that never leave the engine idle: fold on the path
		 * now and then rather than let the journal grow */
		if (e->journal_size > JOURNAL_FOLD_SIZE)
			journal_fold(e);
		return 0;
	}
	/* a short append (disk full) would cut the records after it: give
	 * the journal up; what it holds is folded now, the rest written
	 * directly by the caller */
	pr_warn("bpf: state journal append failed (%s): writing state files directly",
		got < 0 ? strerror(errno) : "short write");
	if (got > 0 && ftruncate(e->journal_fd, lseek(e->journal_fd, 0, SEEK_END) - got))
		pr_warn("bpf: cannot cut the journal's last record: %s", strerror(errno));
	journal_fold(e);
	journal_close(e);
	return -EIO;
}

/* Applies one record at *p; advances it. 0, or -EINVAL when cut short. */
static int apply(const struct engine *e, const char **p, const char *end)
{
	char op[8], a[PATH_MAX], b[PATH_MAX], pa[PATH_MAX * 2 + 2], pb[PATH_MAX * 2 + 2];
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	char line[2 * PATH_MAX + 32];
	size_t len = 0;
	int err = 0;

	if (!nl || (size_t)(nl - *p) >= sizeof(line))
		return -EINVAL;
	memcpy(line, *p, (size_t)(nl - *p));
	line[nl - *p] = '\0';
	if (sscanf(line, "%7s", op) != 1)
		return -EINVAL;
	if (!strcmp(op, "put")) {
		if (sscanf(line, "put %zu %4095s", &len, a) != 2 || (size_t)(end - nl - 1) < len)
			return -EINVAL;
		plugfs_snprintf(pa, sizeof(pa), "%s/%s", e->state_dir, a);
		err = journal_write_file(pa, nl + 1, len);
	} else if (!strcmp(op, "del")) {
		if (sscanf(line, "del %4095s", a) != 1)
			return -EINVAL;
		plugfs_snprintf(pa, sizeof(pa), "%s/%s", e->state_dir, a);
		if (unlink(pa) && errno != ENOENT)
			err = -errno;
	} else if (!strcmp(op, "mv")) {
		if (sscanf(line, "mv %4095s %4095s", a, b) != 2)
			return -EINVAL;
		plugfs_snprintf(pa, sizeof(pa), "%s/%s", e->state_dir, a);
		plugfs_snprintf(pb, sizeof(pb), "%s/%s", e->state_dir, b);
		if (rename(pa, pb))
			err = -errno;
	} else {
		return -EINVAL;
	}
	if (err)
		pr_warn("bpf: state journal: %s %s: %s", op, a, strerror(-err));
	*p = nl + 1 + len;
	return 0;
}

int journal_fold(struct engine *e)
{
	char path[PATH_MAX + 16];
	const char *p, *end;
	void *buf = NULL;
	size_t len = 0;
	int err;

	if (!e->state_dir[0] || (e->journal_fd >= 0 && !e->journal_dirty))
		return 0;
	journal_path(e, path, sizeof(path));
	err = plugfs_read_file(path, &buf, &len);
	if (err)
		return err == -ENOENT ? 0 : err;
	p = buf;
	end = p + len;
	while (p < end) {
		if (apply(e, &p, end)) {
			pr_warn("bpf: state journal %s: record cut short at byte %zu: the rest is "
				"dropped", path, (size_t)(p - (const char *)buf));
			break;
		}
	}
	free(buf);
	if (len && truncate(path, 0))
		pr_warn("bpf: cannot empty the state journal %s: %s", path, strerror(errno));
	e->journal_dirty = false;
	e->journal_size = 0;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The FUSE low-level operations. This file maps the kernel's requests onto
 * the inode table (tree.c) and the backends (backend.h), and is the only
 * place where an errno becomes a FUSE reply.
 */
#include "fuse_ops.h"

#include "backend.h"
#include "cache.h"
#include "logring.h"
#include "manifest.h"
#include "stream.h"
#include "tree.h"

#include <plugfs/clock.h>
#include <plugfs/log.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/*
 * Open files and listings are referenced by their open handle and, for the
 * time of a reply, by the read that sends from them: the kernel may take
 * the reply, let the process close the file and have another thread free
 * it while fuse_reply_buf() has not returned yet. The last one frees.
 */
static void ref_get(int *refs)
{
	__atomic_add_fetch(refs, 1, __ATOMIC_RELAXED);
}

static bool ref_put(int *refs)
{
	return __atomic_sub_fetch(refs, 1, __ATOMIC_ACQ_REL) == 0;
}

/* Open file state: a report snapshot for readers, a buffer for writers. */
struct handle {
	int refs;
	uint64_t ino;
	bool writing;
	bool dirty;		/* written since the last commit (or just created) */
	int error;		/* sticky write error (-EFBIG), returned at flush */
	bool prepared;		/* the backend's prepare() saw its bytes */
	bool preparing;		/* ...and is at it (under the tree's lock) */
	fuse_req_t flush_req;	/* a close that came meanwhile (the same) */
	fuse_ino_t flush_ino;
	char *buf;
	size_t len, cap;
	struct fs_report rep;
	struct fs_stream *stream;	/* a stream entry's reader (stream.h); NULL: none */
};

/* A directory listing built at opendir. */
struct dirlist {
	int refs;
	char *buf;
	size_t len, cap;
	uint64_t next_fake_ino;
};

/* ---- replies: the one errno -> FUSE conversion ---- */

static void reply_err(fuse_req_t req, int err)
{
	/* Backends return -errno; FUSE wants a positive errno (0 = success). */
	fuse_reply_err(req, err < 0 ? -err : err);
}

/* ---- helpers ---- */

/* After the reply to a change: work its caller need not wait for. */
static void answered(const struct fs_domain *d)
{
	if (d->ops->answered)
		d->ops->answered(d->priv);
}

static const struct fs_domain *dom(const struct plugfs_fs *fs, int idx)
{
	return idx >= 0 && idx < (int)fs->nr_domains ? &fs->domains[idx] : NULL;
}

static int find_domain(const struct plugfs_fs *fs, const char *name)
{
	unsigned int i;

	for (i = 0; i < fs->nr_domains; i++)
		if (fs->domains[i].ops && !strcmp(fs->domains[i].name, name))
			return i;
	return -1;
}

static int find_sub(const struct fs_domain *d, const char *name)
{
	unsigned int i;

	for (i = 0; d->subdirs && d->subdirs[i]; i++)
		if (!strcmp(d->subdirs[i], name))
			return i;
	return -1;
}

/* Is n the directory that holds d's entries (the last level of its shape)? */
static bool holds_entries(const struct fs_domain *d, const struct node *n)
{
	switch (d->shape) {
	case FS_SHAPE_GROUP_SUB:
		return n->kind == NODE_SUB;
	case FS_SHAPE_GROUP:
		return n->kind == NODE_GROUP;
	case FS_SHAPE_FLAT:
		return n->kind == NODE_DOMAIN;
	}
	return false;
}

/* "ifaces/eth0/xdp/10", "hosts/app.42": how messages name an entry. */
static const char *entry_path(const struct fs_domain *d, const char *group, unsigned int sub,
			      const char *name, char *buf, size_t size)
{
	switch (d->shape) {
	case FS_SHAPE_GROUP_SUB:
		snprintf(buf, size, "%s/%s/%s/%s", d->name, group, d->subdirs[sub], name);
		break;
	case FS_SHAPE_GROUP:
		snprintf(buf, size, "%s/%s/%s", d->name, group, name);
		break;
	case FS_SHAPE_FLAT:
		snprintf(buf, size, "%s/%s", d->name, name);
		break;
	}
	return buf;
}

#define ENTRY_PATH_MAX 1024

static bool domain_writable(const struct fs_domain *d, const struct node *n)
{
	if (holds_entries(d, n))
		return (d->ops->commit && !d->read_only) || d->ops->unlink;
	if (n->kind == NODE_DOMAIN)
		return d->ops->mkdir_group != NULL;
	if (n->kind == NODE_GROUP)
		return d->ops->rmdir_group != NULL;
	return false;
}

/*
 * `<name>.json` names the JSON form of entry <name> in a domain that has
 * one, unless an entry is itself called that: the caller has found no
 * entry of that name. Returns the entry's name (malloc'ed) or NULL.
 */
static bool json_name(const struct fs_domain *d, const char *name)
{
	size_t len = strlen(name);

	return d->json && len > 5 && !strcmp(name + len - 5, ".json");
}

static char *json_view_of(const struct fs_domain *d, const char *group, unsigned int sub,
			  const char *name)
{
	char *base;

	if (!json_name(d, name))
		return NULL;
	base = strndup(name, strlen(name) - 5);
	if (base && d->ops->entry_exists(d->priv, group, sub, base)) {
		free(base);
		base = NULL;
	}
	return base;
}

static int build_report(struct plugfs_fs *fs, const struct node *n, struct fs_report *rep)
{
	const struct fs_domain *d = dom(fs, n->domain);

	switch (n->kind) {
	case NODE_LOG:
		return logring_snapshot(&rep->buf, &rep->len);
	case NODE_ENTRY:
	case NODE_JSON:
		rep->format = n->kind == NODE_JSON ? FS_REPORT_JSON : FS_REPORT_TEXT;
		return d->ops->report(d->priv, n->group, n->sub, n->name, rep);
	default:
		return -EISDIR;
	}
}

/* The log's length: the one file whose size is what a read gives. */
static int log_size(off_t *size)
{
	struct fs_report rep = { 0 };
	int err;

	err = logring_snapshot(&rep.buf, &rep.len);
	if (!err)
		*size = rep.len;
	free(rep.buf);
	return err;
}

/* A node's permission bits: root owns everything, [access] write_group
 * (when set) is the group that may change what root may. */
static mode_t node_perm(const struct plugfs_fs *fs, const struct node *n)
{
	const struct fs_domain *d = dom(fs, n->domain);
	bool wg = fs->cfg->have_write_gid;

	switch (n->kind) {
	case NODE_DOMAIN:
	case NODE_GROUP:
	case NODE_SUB:
		return domain_writable(d, n) && wg ? 0775 : 0755;
	case NODE_ENTRY:
		return d->ops->commit && !d->read_only ? (wg ? 0664 : 0644) : 0444;
	case NODE_ROOT:
		return 0755;
	default:
		return 0444;
	}
}

/* Is the caller of req (fsgid or a supplementary group) in write_group? */
static bool in_write_group(fuse_req_t req, const struct plugfs_fs *fs, gid_t gid)
{
	gid_t some[32], *all = some;
	int n, i;
	bool in = gid == fs->cfg->write_gid;

	n = in ? 0 : fuse_req_getgroups(req, 32, some);
	if (n > 32) {
		all = malloc(n * sizeof(*all));
		n = all ? fuse_req_getgroups(req, n, all) : -ENOMEM;
	}
	for (i = 0; i < n && !in; i++)
		in = all[i] == fs->cfg->write_gid;
	if (all != some)
		free(all);
	return in;
}

/*
 * Permissions. The mount has no default_permissions (with it the kernel
 * asks for a directory's attributes again after each create and unlink in
 * it, a round trip more per cp): the daemon checks, here, by the kernel's
 * rules for the modes it reports. mask: R_OK, W_OK, X_OK. Root may read
 * and write anything, as CAP_DAC_OVERRIDE lets it (what is read-only is
 * refused by the operation itself, as before); anyone else gets the group's
 * bits when in write_group, the others' otherwise. Capabilities are not
 * asked: a process other than root gets what its uid and groups allow.
 */
static int may(fuse_req_t req, const struct plugfs_fs *fs, const struct node *n, int mask)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	mode_t m = node_perm(fs, n);
	unsigned int want = (unsigned int)mask, group = (m >> 3) & 7, others = m & 7;

	if (c->uid == 0)
		return !(want & X_OK) || (m & 0111) ? 0 : -EACCES;
	/* The group's bits hold the others' in every mode here: the groups
	 * (a read of /proc) are asked only for what the others may not. */
	if (!(want & ~others))
		return 0;
	if (!(want & ~group) && fs->cfg->have_write_gid && in_write_group(req, fs, c->gid))
		return 0;
	return -EACCES;
}

/* Replies EACCES and says true when req may not do mask on n. */
static bool denied(fuse_req_t req, const struct plugfs_fs *fs, const struct node *n, int mask)
{
	int err = may(req, fs, n, mask);

	if (err)
		reply_err(req, err);
	return err != 0;
}

/* setattr's own rules: only the owner changes modes, owners or explicit
 * times; the times "now" and a truncation by name need write access. */
static int may_setattr(fuse_req_t req, const struct plugfs_fs *fs, const struct node *n,
		       int to_set, bool by_fd)
{
	const int owner_only = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID;
	bool explicit_time = ((to_set & FUSE_SET_ATTR_ATIME) && !(to_set & FUSE_SET_ATTR_ATIME_NOW)) ||
			     ((to_set & FUSE_SET_ATTR_MTIME) && !(to_set & FUSE_SET_ATTR_MTIME_NOW));

	if (fuse_req_ctx(req)->uid == 0)
		return 0;
	if ((to_set & owner_only) || explicit_time)
		return -EPERM;
	if ((to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) ||
	    ((to_set & FUSE_SET_ATTR_SIZE) && !by_fd))
		return may(req, fs, n, W_OK);
	return 0;
}

/* Fills st for a node; entries and their JSON views have size 0 (see
 * plugfs(8), FILES), the log its length. */
static int node_stat(struct plugfs_fs *fs, const struct node *n, struct stat *st)
{
	const struct fs_domain *d = dom(fs, n->domain);
	int err = 0;

	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_uid = 0;
	st->st_gid = fs->cfg->have_write_gid ? fs->cfg->write_gid : 0;
	st->st_atim = st->st_mtim = st->st_ctim = fs->start_time;

	switch (n->kind) {
	case NODE_ROOT:
	case NODE_DOMAIN:
	case NODE_GROUP:
	case NODE_SUB:
		st->st_mode = S_IFDIR | node_perm(fs, n);
		st->st_nlink = 2;
		break;
	case NODE_ENTRY:
		st->st_mode = S_IFREG | node_perm(fs, n);
		st->st_nlink = 1;
		/* Size 0, as /proc's files have: a report is built when it is
		 * read (direct I/O, read to the end), not for every stat. */
		if (n->orphan)
			err = -ENOENT;
		else if (!n->writers && d->ops->entry_exists(d->priv, n->group, n->sub, n->name))
			err = -ENOENT;	/* (one being written exists: no need to ask) */
		break;
	case NODE_JSON:
		st->st_mode = S_IFREG | node_perm(fs, n);
		st->st_nlink = 1;
		err = d->ops->entry_exists(d->priv, n->group, n->sub, n->name);
		break;
	case NODE_LOG:
		st->st_mode = S_IFREG | node_perm(fs, n);
		st->st_nlink = 1;
		err = log_size(&st->st_size);
		break;
	}
	st->st_blksize = 4096;
	st->st_blocks = (st->st_size + 511) / 512;
	return err;
}

/* Where a lookup under `parent` lands: the node's position and whether
 * the backend says something is there (0 or -errno). */
struct position {
	enum node_kind kind;
	int domain;
	const char *group;
	unsigned int sub;
	const char *name;
	char *json_base;	/* owned: the entry a NODE_JSON shows */
	int err;
};

/* The position of `name` in the directory that holds d's entries. */
static void entry_position(const struct fs_domain *d, struct position *pos, const char *name)
{
	pos->kind = NODE_ENTRY;
	pos->name = name;
	pos->err = d->ops->entry_exists(d->priv, pos->group, pos->sub, name);
	if (pos->err == -ENOENT) {
		pos->json_base = json_view_of(d, pos->group, pos->sub, name);
		if (pos->json_base) {
			pos->kind = NODE_JSON;
			pos->name = pos->json_base;
			pos->err = 0;
		}
	}
}

static int position_of(struct plugfs_fs *fs, const struct node *parent, const char *name,
		       struct position *pos)
{
	const struct fs_domain *d = dom(fs, parent->domain);

	*pos = (struct position){ .domain = parent->domain, .group = parent->group,
				  .sub = parent->sub };
	if (parent->kind == NODE_ROOT) {
		if (!strcmp(name, "log")) {
			pos->kind = NODE_LOG;
			return 0;
		}
		pos->domain = find_domain(fs, name);
		pos->kind = NODE_DOMAIN;
		return pos->domain < 0 ? -ENOENT : 0;
	}
	if (!d || (parent->kind != NODE_DOMAIN && parent->kind != NODE_GROUP &&
		   parent->kind != NODE_SUB))
		return -ENOTDIR;
	if (holds_entries(d, parent)) {
		entry_position(d, pos, name);
	} else if (parent->kind == NODE_DOMAIN) {
		pos->kind = NODE_GROUP;
		pos->group = name;
		pos->err = d->ops->group_exists(d->priv, name);
	} else {
		int sub = find_sub(d, name);

		if (sub < 0)
			return -ENOENT;
		pos->kind = NODE_SUB;
		pos->sub = sub;
		pos->err = d->ops->group_exists(d->priv, pos->group);
	}
	return 0;
}

/* Resolves `name` under `parent` to a node position, asking the backends
 * whether it exists. Returns the interned node (not yet referenced). */
static int resolve(struct plugfs_fs *fs, struct node *parent, const char *name, struct node **out)
{
	struct position pos;
	struct node *n;
	int err;

	err = position_of(fs, parent, name, &pos);
	if (err)
		return err;
	tree__lock(fs->tree);
	n = tree__intern(fs->tree, pos.kind, pos.domain, pos.group, pos.sub, pos.name);
	if (n && pos.err && pos.kind == NODE_ENTRY && n->writers)
		pos.err = 0;	/* being written by cp: visible until its close */
	tree__unlock(fs->tree);
	free(pos.json_base);
	if (!n)
		return -ENOMEM;
	if (pos.err)
		return pos.err;
	*out = n;
	return 0;
}

/*
 * How long the kernel may keep a node's name and attributes. The top level
 * never changes. Below it the kernel keeps them for CACHE_TIMEOUT_S: what
 * the daemon changes itself goes through the kernel, which updates its
 * cache; interfaces and hosts that go away are dropped at once by notices
 * (cache.c). A JSON view is asked anew at each path walk: it goes with its
 * entry, which the kernel does not tie to it. The log's size changes.
 */
static void timeouts(const struct node *n, double *entry, double *attr)
{
	*entry = *attr = CACHE_TIMEOUT_S;
	if (n->kind == NODE_DOMAIN) {
		*entry = *attr = 86400;
	} else if (n->kind == NODE_LOG) {
		*entry = 86400;
		*attr = 0;
	} else if (n->kind == NODE_JSON) {
		*entry = *attr = 0;
	}
}

static double attr_timeout(const struct node *n)
{
	double entry, attr;

	timeouts(n, &entry, &attr);
	return attr;
}

static void fill_entry(struct fuse_entry_param *e, const struct node *n, const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->ino = n->ino;
	e->generation = 1;
	e->attr = *st;
	timeouts(n, &e->entry_timeout, &e->attr_timeout);
}

/* Takes a lookup reference and replies with the entry. */
static void reply_node(fuse_req_t req, struct node *n)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct fuse_entry_param e;
	struct stat st;
	int err;

	err = node_stat(fs, n, &st);
	if (err) {
		reply_err(req, err);
		return;
	}
	tree__lock(fs->tree);
	n->nlookup++;
	tree__unlock(fs->tree);
	fill_entry(&e, n, &st);
	if (fuse_reply_entry(req, &e)) {
		tree__lock(fs->tree);
		tree__forget(fs->tree, n, 1);
		tree__unlock(fs->tree);
	}
}

static struct node *get_node(struct plugfs_fs *fs, fuse_ino_t ino)
{
	struct node *n;

	tree__lock(fs->tree);
	n = tree__get(fs->tree, ino);
	tree__unlock(fs->tree);
	return n;
}

/* ---- operations ---- */

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	/* O_TRUNC arrives with open() instead of a separate setattr. */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

/*
 * A name missing from a directory of entries the mount alone changes is
 * kept missing by the kernel for CACHE_TIMEOUT_S: the create, rename or
 * unlink that changes it goes through the kernel, which updates its cache.
 * Not `<entry>.json`: its entry's create does not touch that name.
 */
static bool absence_kept(const struct plugfs_fs *fs, const struct node *p, const char *name)
{
	const struct fs_domain *d = dom(fs, p->domain);
	size_t len = strlen(name);

	return d && d->mount_only && holds_entries(d, p) &&
	       !(d->json && len > 5 && !strcmp(name + len - 5, ".json"));
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *p = get_node(fs, parent), *n;
	int err;

	if (!p) {
		reply_err(req, -ESTALE);
		return;
	}
	if (denied(req, fs, p, X_OK))
		return;
	err = resolve(fs, p, name, &n);
	if (err == -ENOENT && absence_kept(fs, p, name)) {
		struct fuse_entry_param e = { .ino = 0, .entry_timeout = CACHE_TIMEOUT_S };

		fuse_reply_entry(req, &e);
		return;
	}
	if (err) {
		reply_err(req, err);
		return;
	}
	reply_node(req, n);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *n;

	tree__lock(fs->tree);
	n = tree__get(fs->tree, ino);
	if (n)
		tree__forget(fs->tree, n, nlookup);
	tree__unlock(fs->tree);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	size_t i;

	tree__lock(fs->tree);
	for (i = 0; i < count; i++) {
		struct node *n = tree__get(fs->tree, forgets[i].ino);

		if (n)
			tree__forget(fs->tree, n, forgets[i].nlookup);
	}
	tree__unlock(fs->tree);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *n = get_node(fs, ino);
	struct stat st;
	int err;

	if (!n) {
		reply_err(req, -ESTALE);
		return;
	}
	err = node_stat(fs, n, &st);
	if (err)
		reply_err(req, err);
	else
		fuse_reply_attr(req, &st, attr_timeout(n));
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *n = get_node(fs, ino);
	struct stat st;
	int err;

	if (!n) {
		reply_err(req, -ESTALE);
		return;
	}
	err = may_setattr(req, fs, n, to_set, fi != NULL);
	if (err) {
		reply_err(req, err);
		return;
	}
	if (n->kind != NODE_ENTRY || dom(fs, n->domain)->read_only) {
		reply_err(req, n->kind == NODE_ENTRY || n->kind == NODE_LOG || n->kind == NODE_JSON ?
				       -EACCES : -EPERM);
		return;
	}
	/* Truncation of an open write handle restarts its buffer; the loaded
	 * program only changes at close. Times and modes are not kept. */
	if ((to_set & FUSE_SET_ATTR_SIZE) && fi && fi->fh) {
		struct handle *h = (struct handle *)(uintptr_t)fi->fh;

		if (h->writing && (size_t)attr->st_size < h->len) {
			h->len = attr->st_size;
			h->dirty = true;
		}
	}
	err = node_stat(fs, n, &st);
	if (err && n->writers)
		err = 0;
	if (err)
		reply_err(req, err);
	else
		fuse_reply_attr(req, &st, attr_timeout(n));
}

static int dir_add(fuse_req_t req, struct dirlist *dl, const char *name, mode_t type)
{
	struct stat st = { .st_mode = type, .st_ino = dl->next_fake_ino++ };
	size_t need = fuse_add_direntry(req, NULL, 0, name, NULL, 0);

	if (dl->len + need > dl->cap) {
		size_t cap = dl->cap ? dl->cap * 2 : 4096;
		char *nb;

		while (cap < dl->len + need)
			cap *= 2;
		nb = realloc(dl->buf, cap);
		if (!nb)
			return -ENOMEM;
		dl->buf = nb;
		dl->cap = cap;
	}
	/* The offset of an entry is where the next one starts. */
	fuse_add_direntry(req, dl->buf + dl->len, need, name, &st, dl->len + need);
	dl->len += need;
	return 0;
}

struct list_ctx {
	fuse_req_t req;
	struct dirlist *dl;
	mode_t type;
	int err;
};

static int list_cb(const char *name, void *arg)
{
	struct list_ctx *c = arg;

	c->err = dir_add(c->req, c->dl, name, c->type);
	return c->err;
}

/* Stops at the first entry: used to tell whether a directory is empty. */
static int list_cb_count(const char *name, void *arg)
{
	struct list_ctx *c = arg;

	c->err = 1;
	return 1;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *n = get_node(fs, ino);
	struct dirlist *dl;
	const struct fs_domain *d;
	struct list_ctx c;
	unsigned int i;
	int err = 0;

	if (!n) {
		reply_err(req, -ESTALE);
		return;
	}
	if (denied(req, fs, n, R_OK))
		return;
	dl = calloc(1, sizeof(*dl));
	if (dl)
		dl->refs = 1;
	if (!dl) {
		reply_err(req, -ENOMEM);
		return;
	}
	dl->next_fake_ino = 0x100000000ull;
	c = (struct list_ctx){ .req = req, .dl = dl, .type = S_IFDIR };
	d = dom(fs, n->domain);
	err = dir_add(req, dl, ".", S_IFDIR);
	if (!err)
		err = dir_add(req, dl, "..", S_IFDIR);
	if (n->kind == NODE_ROOT) {
		for (i = 0; !err && i < fs->nr_domains; i++)
			if (fs->domains[i].ops)
				err = dir_add(req, dl, fs->domains[i].name, S_IFDIR);
		if (!err)
			err = dir_add(req, dl, "log", S_IFREG);
	} else if (!d || (n->kind != NODE_DOMAIN && n->kind != NODE_GROUP && n->kind != NODE_SUB)) {
		err = -ENOTDIR;
	} else if (holds_entries(d, n)) {
		/* The .json views are not listed: a listing shows each entry once. */
		c.type = S_IFREG;
		if (!err && n->kind == NODE_GROUP)
			err = d->ops->group_exists(d->priv, n->group);
		if (!err)
			err = d->ops->list_entries(d->priv, n->group, n->sub, list_cb, &c);
	} else if (n->kind == NODE_DOMAIN) {
		if (!err)
			err = d->ops->list_groups(d->priv, list_cb, &c);
	} else {
		if (!err)
			err = d->ops->group_exists(d->priv, n->group);
		for (i = 0; !err && d->subdirs[i]; i++)
			err = dir_add(req, dl, d->subdirs[i], S_IFDIR);
	}
	if (!err && c.err)
		err = c.err;
	if (err > 0)
		err = 0;	/* a callback asked to stop early */
	if (err) {
		free(dl->buf);
		free(dl);
		reply_err(req, err);
		return;
	}
	fi->fh = (uintptr_t)dl;
	fuse_reply_open(req, fi);
}

static void dirlist_put(struct dirlist *dl)
{
	if (ref_put(&dl->refs)) {
		free(dl->buf);
		free(dl);
	}
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dirlist *dl = (struct dirlist *)(uintptr_t)fi->fh;
	size_t end;

	if ((size_t)off >= dl->len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	/* Only whole entries: walk the packed records until `size` is used. */
	end = off;
	while (end < dl->len) {
		/* struct fuse_dirent: ino, off, namelen, type, name (8-aligned) */
		const uint64_t *rec = (const uint64_t *)(dl->buf + end);
		size_t next = rec[1];

		if (next - off > size)
			break;
		end = next;
	}
	ref_get(&dl->refs);
	fuse_reply_buf(req, dl->buf + off, end - off);
	dirlist_put(dl);
}

/* One name of a listing with what a lookup would answer, for
 * readdirplus: the node referenced (nlookup) or, when it is gone since
 * the listing was made, no inode (the kernel then takes the name only). */
static void plus_entry(struct plugfs_fs *fs, struct node *dir, const char *name, mode_t type,
		       struct fuse_entry_param *e, struct node **ref)
{
	struct node *n = NULL;
	struct stat st;

	*ref = NULL;
	memset(e, 0, sizeof(*e));
	e->attr.st_mode = type;
	if (!strcmp(name, ".") || !strcmp(name, "..") || resolve(fs, dir, name, &n) ||
	    node_stat(fs, n, &st))
		return;
	fill_entry(e, n, &st);
	tree__lock(fs->tree);
	n->nlookup++;
	tree__unlock(fs->tree);
	*ref = n;
}

static void forget_refs(struct plugfs_fs *fs, struct node **refs, unsigned int nr)
{
	tree__lock(fs->tree);
	for (unsigned int i = 0; i < nr; i++)
		if (refs[i])
			tree__forget(fs->tree, refs[i], 1);
	tree__unlock(fs->tree);
}

/*
 * ls -l of a directory in one request per buffer: each name comes with its
 * attributes, which the kernel caches as a lookup's (so the listing's
 * lstat() calls ask nothing). Walks the records opendir packed.
 */
static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct dirlist *dl = (struct dirlist *)(uintptr_t)fi->fh;
	struct node *dir = get_node(fs, ino), **refs;
	size_t pos = off, used = 0, cap = size / 32 + 1;
	unsigned int nr = 0;
	char *buf, name[NAME_MAX + 1];

	buf = malloc(size);
	refs = calloc(cap, sizeof(*refs));
	if (!dir || !buf || !refs) {
		free(buf);
		free(refs);
		reply_err(req, dir ? -ENOMEM : -ESTALE);
		return;
	}
	while (pos < dl->len && nr < cap) {
		/* struct fuse_dirent: ino, off, namelen, type, name (8-aligned) */
		const uint64_t *rec = (const uint64_t *)(dl->buf + pos);
		uint32_t namelen = (uint32_t)rec[2];
		struct fuse_entry_param e;
		size_t need;

		snprintf(name, sizeof(name), "%.*s", (int)namelen, (const char *)(rec + 3));
		need = fuse_add_direntry_plus(req, NULL, 0, name, NULL, 0);
		if (used + need > size)
			break;
		plus_entry(fs, dir, name, (mode_t)(rec[2] >> 32) << 12, &e, &refs[nr]);
		fuse_add_direntry_plus(req, buf + used, size - used, name, &e, (off_t)rec[1]);
		used += need;
		nr++;
		pos = rec[1];
	}
	if (fuse_reply_buf(req, buf, used))
		forget_refs(fs, refs, nr);
	free(buf);
	free(refs);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	dirlist_put((struct dirlist *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void handle_free(struct handle *h)
{
	fs_stream__close(h->stream);
	free(h->buf);
	free(h->rep.buf);
	free(h);
}

static void handle_put(struct handle *h)
{
	if (ref_put(&h->refs))
		handle_free(h);
}

static int open_handle(struct plugfs_fs *fs, struct node *n, int flags, bool created,
		       struct handle **out)
{
	int acc = flags & O_ACCMODE;
	struct handle *h;
	int err = 0;

	if (n->kind != NODE_ENTRY && n->kind != NODE_LOG && n->kind != NODE_JSON)
		return -EISDIR;
	if (acc != O_RDONLY && (n->kind != NODE_ENTRY || dom(fs, n->domain)->read_only))
		return -EACCES;
	if (acc != O_RDONLY && !dom(fs, n->domain)->ops->commit)
		return -EROFS;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->refs = 1;
	h->ino = n->ino;
	if (acc == O_RDONLY && n->kind == NODE_ENTRY)
		err = fs_stream__open(dom(fs, n->domain), n->group, n->sub, n->name, &h->stream);
	if (err == FS_NOT_A_STREAM)
		err = 0;
	if (acc != O_WRONLY && !created && !err && !h->stream)
		err = build_report(fs, n, &h->rep);
	if (!err && acc != O_RDONLY) {
		h->writing = true;
		/* A created file commits at close even when nothing was written,
		 * so an empty `cp` fails loudly instead of leaving a ghost. */
		h->dirty = created || (flags & O_TRUNC);
		tree__lock(fs->tree);
		n->writers++;
		tree__unlock(fs->tree);
	}
	if (err) {
		handle_free(h);
		return err;
	}
	*out = h;
	return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *n = get_node(fs, ino);
	struct handle *h;
	int err;

	if (!n) {
		reply_err(req, -ESTALE);
		return;
	}
	if (denied(req, fs, n, ((fi->flags & O_ACCMODE) != O_WRONLY ? R_OK : 0) |
				       ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC) ?
						W_OK : 0)))
		return;
	err = open_handle(fs, n, fi->flags, false, &h);
	if (err) {
		reply_err(req, err);
		return;
	}
	fi->fh = (uintptr_t)h;
	/* Reports change under us: no page cache, read() sees what open saw. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->nonseekable = h->stream != NULL;
	if (fuse_reply_open(req, fi)) {
		if (h->writing) {
			tree__lock(fs->tree);
			n->writers--;
			tree__unlock(fs->tree);
		}
		handle_free(h);
	}
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *p = get_node(fs, parent), *n;
	const struct fs_domain *d;
	struct fuse_entry_param e;
	char where[ENTRY_PATH_MAX];
	struct handle *h;
	struct stat st;
	int err;

	if (!p) {
		reply_err(req, -ESTALE);
		return;
	}
	if (denied(req, fs, p, W_OK | X_OK))
		return;
	d = dom(fs, p->domain);
	if (!d || !holds_entries(d, p)) {
		reply_err(req, -EPERM);
		return;
	}
	if (d->read_only || !d->ops->commit || !d->ops->may_create) {
		reply_err(req, d->read_only ? -EACCES : -EROFS);
		return;
	}
	err = d->ops->may_create(d->priv, p->group, p->sub, name);
	if (err) {
		pr_warn("create %s: %s", entry_path(d, p->group, p->sub, name, where, sizeof(where)),
			strerror(-err));
		reply_err(req, err);
		return;
	}
	tree__lock(fs->tree);
	n = tree__intern(fs->tree, NODE_ENTRY, p->domain, p->group, p->sub, name);
	tree__unlock(fs->tree);
	if (!n) {
		reply_err(req, -ENOMEM);
		return;
	}
	err = open_handle(fs, n, fi->flags, true, &h);
	if (err) {
		reply_err(req, err);
		return;
	}
	memset(&st, 0, sizeof(st));
	node_stat(fs, n, &st);
	st.st_mode = S_IFREG | 0644;
	st.st_ino = n->ino;
	st.st_nlink = 1;
	tree__lock(fs->tree);
	n->nlookup++;
	tree__unlock(fs->tree);
	fill_entry(&e, n, &st);
	/* The name exists once the close that commits it succeeds: until
	 * then each path walk asks (a failed cp leaves no name behind). The
	 * attributes are kept: cp's fstat() of the new file needs no request. */
	e.entry_timeout = 0;
	fi->fh = (uintptr_t)h;
	fi->direct_io = 1;
	if (fuse_reply_create(req, &e, fi)) {
		tree__lock(fs->tree);
		n->writers--;
		tree__forget(fs->tree, n, 1);
		tree__unlock(fs->tree);
		handle_free(h);
	}
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	if (h->stream) {
		fs_stream__read(h->stream, req, size, fi->flags & O_NONBLOCK);
		return;
	}
	if ((size_t)off >= h->rep.len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > h->rep.len - off)
		size = h->rep.len - off;
	ref_get(&h->refs);
	fuse_reply_buf(req, h->rep.buf + off, size);
	handle_put(h);
}

/* A whole 64-bit ELF object: the section header table, which compilers
 * write last, ends where the bytes end. */
static bool elf_whole(const unsigned char *b, size_t len)
{
	uint64_t shoff;
	uint16_t shentsize, shnum;

	if (len < 64 || !manifest_is_elf(b, len) || b[4] != 2)
		return false;
	memcpy(&shoff, b + 0x28, sizeof(shoff));
	memcpy(&shentsize, b + 0x3a, sizeof(shentsize));
	memcpy(&shnum, b + 0x3c, sizeof(shnum));
	return shnum && shoff < len && (uint64_t)shentsize * shnum == len - shoff;
}

/* A close that comes during its write's prepare() leaves its request in
 * the handle; the thread that prepared commits it (the tree's lock guards
 * the hand-over). */
static void flush_commit(fuse_req_t req, fuse_ino_t ino, struct handle *h);

/* What a prepare() is told: the entry's place and a copy of its bytes (once
 * answered, another write may move h->buf). */
struct write_prep {
	const struct fs_domain *d;
	char group[NAME_MAX + 1], name[NAME_MAX + 1];
	unsigned int sub;
	char *copy;
	size_t len;
};

/* Whether the write that made h's bytes a whole object starts a prepare();
 * if so h is marked preparing before the answer (the close can only come
 * after it). */
static bool write_prepare_begin(struct plugfs_fs *fs, struct handle *h, struct write_prep *wp)
{
	struct node *n;
	bool ok;

	if (h->error || !elf_whole((const unsigned char *)h->buf, h->len))
		return false;
	tree__lock(fs->tree);
	n = tree__get(fs->tree, h->ino);
	wp->d = n ? dom(fs, n->domain) : NULL;
	ok = wp->d && wp->d->ops->prepare && n->kind == NODE_ENTRY && !n->orphan;
	if (ok) {
		wp->sub = n->sub;
		plugfs_snprintf(wp->group, sizeof(wp->group), "%s", n->group ? n->group : "");
		plugfs_snprintf(wp->name, sizeof(wp->name), "%s", n->name);
		h->preparing = h->prepared = true;
	}
	tree__unlock(fs->tree);
	wp->len = h->len;
	wp->copy = ok ? malloc(wp->len) : NULL;
	if (wp->copy)
		memcpy(wp->copy, h->buf, wp->len);
	return ok;
}

/* After the answer: the backend begins the commit's work while the writer
 * goes on to close. */
static void write_prepare(struct plugfs_fs *fs, struct handle *h, struct write_prep *wp)
{
	fuse_req_t req;
	fuse_ino_t ino;

	if (wp->copy)
		wp->d->ops->prepare(wp->d->priv, wp->group[0] ? wp->group : NULL, wp->sub, wp->name,
				    wp->copy, wp->len, h);
	free(wp->copy);
	tree__lock(fs->tree);
	h->preparing = false;
	req = h->flush_req;
	ino = h->flush_ino;
	h->flush_req = NULL;
	tree__unlock(fs->tree);
	/* the close came while this thread prepared: it commits here, where the
	 * object was just opened, and no other thread is woken for it */
	if (req)
		flush_commit(req, ino, h);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	struct write_prep wp;
	size_t end;

	if (!h->writing) {
		reply_err(req, -EBADF);
		return;
	}
	if (off < 0 || __builtin_add_overflow((size_t)off, size, &end) ||
	    end > fs->cfg->max_object_size) {
		struct node *n = get_node(fs, h->ino);
		const struct fs_domain *d = n ? dom(fs, n->domain) : NULL;

		h->error = -EFBIG;
		char where[ENTRY_PATH_MAX];

		if (d && n->kind == NODE_ENTRY)
			pr_warn("%s: over the size limit of %zu bytes (a write went past it)",
				entry_path(d, n->group, n->sub, n->name, where, sizeof(where)),
				fs->cfg->max_object_size);
		else
			pr_warn("a write over the size limit of %zu bytes",
				fs->cfg->max_object_size);
		reply_err(req, -EFBIG);
		return;
	}
	if (end > h->cap) {
		size_t cap = h->cap ? h->cap : 64 * 1024;
		char *nb;

		while (cap < end)
			cap *= 2;
		nb = realloc(h->buf, cap);
		if (!nb) {
			reply_err(req, -ENOMEM);
			return;
		}
		h->buf = nb;
		h->cap = cap;
	}
	if ((size_t)off > h->len)
		memset(h->buf + h->len, 0, off - h->len);
	memcpy(h->buf + off, buf, size);
	if (end > h->len)
		h->len = end;
	h->dirty = true;
	if (write_prepare_begin(fs, h, &wp)) {
		fuse_reply_write(req, size);
		write_prepare(fs, h, &wp);
		return;
	}
	fuse_reply_write(req, size);
}

/* close(): the one moment a write takes effect. */
static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	bool handed = false;

	tree__lock(fs->tree);
	if (h->preparing && !h->flush_req) {
		/* answered by the thread at the write's prepare() when it is done */
		h->flush_req = req;
		h->flush_ino = ino;
		handed = true;
	}
	tree__unlock(fs->tree);
	if (!handed)
		flush_commit(req, ino, h);
}

static void flush_commit(fuse_req_t req, fuse_ino_t ino, struct handle *h)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *n = get_node(fs, ino);
	char where[ENTRY_PATH_MAX];
	const struct fs_domain *d;
	int err;

	if (!h->writing || (!h->dirty && !h->error) || !n) {
		fuse_reply_err(req, 0);
		return;
	}
	if (n->orphan) {
		/* Removed or renamed over while open for writing. */
		reply_err(req, -ENOENT);
		return;
	}
	d = dom(fs, n->domain);
	err = h->error;
	h->error = 0;
	h->dirty = false;
	if (!err) {
		uint64_t t0 = plugfs_now_ns();

		err = d->ops->commit(d->priv, n->group, n->sub, n->name, h->buf ? h->buf : "", h->len);
		metrics_note_load(&fs->metrics, d->name, err, plugfs_now_ns() - t0);
		if (err)
			pr_warn("load %s failed: %s",
				entry_path(d, n->group, n->sub, n->name, where, sizeof(where)),
				strerror(-err));
	}
	reply_err(req, err);
	answered(d);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	struct node *n;

	if (h->writing) {
		const struct fs_domain *d = NULL;

		tree__lock(fs->tree);
		n = tree__get(fs->tree, h->ino);
		if (n && h->prepared)
			d = dom(fs, n->domain);
		if (n && n->writers) {
			n->writers--;
			tree__forget(fs->tree, n, 0);
		}
		tree__unlock(fs->tree);
		if (d && d->ops->unprepare)
			d->ops->unprepare(d->priv, h);
	}
	handle_put(h);
	fuse_reply_err(req, 0);
}

/* Reports are always readable; streams say when they have data. */
static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	if (h->stream) {
		fs_stream__poll(h->stream, req, ph);
		return;
	}
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *p = get_node(fs, parent);
	char where[ENTRY_PATH_MAX], *json_base;
	bool is_view;
	const struct fs_domain *d;
	int err;

	if (!p) {
		reply_err(req, -ESTALE);
		return;
	}
	if (denied(req, fs, p, W_OK | X_OK))
		return;
	d = dom(fs, p->domain);
	if (!d || !holds_entries(d, p)) {
		reply_err(req, p->kind == NODE_ROOT && !strcmp(name, "log") ? -EACCES : -EPERM);
		return;
	}
	json_base = json_name(d, name) && d->ops->entry_exists(d->priv, p->group, p->sub, name) ?
			    json_view_of(d, p->group, p->sub, name) : NULL;
	is_view = json_base != NULL;
	free(json_base);
	if (is_view || !d->ops->unlink) {
		reply_err(req, is_view || d->read_only ? -EACCES : -EROFS);
		return;
	}
	err = d->ops->unlink(d->priv, p->group, p->sub, name);
	if (!err) {
		/* A later entry of the same name is a new file with a new inode. */
		tree__lock(fs->tree);
		tree__orphan_entry(fs->tree, p->domain, p->group, p->sub, name);
		tree__unlock(fs->tree);
	}
	if (err && err != -ENOENT)
		pr_warn("rm %s: %s", entry_path(d, p->group, p->sub, name, where, sizeof(where)),
			strerror(-err));
	reply_err(req, err);
	answered(d);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *p = get_node(fs, parent), *n;
	const struct fs_domain *d;
	int err;

	if (!p) {
		reply_err(req, -ESTALE);
		return;
	}
	if (denied(req, fs, p, W_OK | X_OK))
		return;
	d = dom(fs, p->domain);
	if (p->kind != NODE_DOMAIN || !d->ops->mkdir_group) {
		reply_err(req, -EPERM);
		return;
	}
	err = d->ops->mkdir_group(d->priv, name);
	if (err) {
		reply_err(req, err);
		return;
	}
	err = resolve(fs, p, name, &n);
	if (err)
		reply_err(req, err);
	else
		reply_node(req, n);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *p = get_node(fs, parent);
	const struct fs_domain *d;
	int err = -EPERM;

	if (!p) {
		reply_err(req, -ESTALE);
		return;
	}
	if (denied(req, fs, p, W_OK | X_OK))
		return;
	d = dom(fs, p->domain);
	if (p->kind == NODE_DOMAIN && d->ops->rmdir_group) {
		err = d->ops->rmdir_group(d->priv, name);
	} else if (p->kind == NODE_GROUP && d->ops->rmdir_group && find_sub(d, name) >= 0) {
		/* Anchor directories are fixed; removing an empty one succeeds
		 * without effect so that `rm -r plugins/<plugin>` can proceed. */
		struct list_ctx c = { 0 };
		int sub = find_sub(d, name);

		err = d->ops->list_entries(d->priv, p->group, sub, list_cb_count, &c);
		if (!err)
			err = c.err ? -ENOTEMPTY : 0;
	}
	reply_err(req, err);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *p = get_node(fs, parent), *np = get_node(fs, newparent);
	char where[ENTRY_PATH_MAX];
	const struct fs_domain *d;
	int err;

	if (!p || !np) {
		reply_err(req, -ESTALE);
		return;
	}
	if (denied(req, fs, p, W_OK | X_OK) || denied(req, fs, np, W_OK | X_OK))
		return;
	d = dom(fs, p->domain);
	if (!d || !holds_entries(d, p) || !dom(fs, np->domain) || !holds_entries(dom(fs, np->domain), np)) {
		reply_err(req, -EPERM);
		return;
	}
	/* Moves only re-order within one chain / anchor; anything else would
	 * make mv fall back to copying a report into a program slot. */
	if (p != np || (flags & RENAME_EXCHANGE)) {
		reply_err(req, -EINVAL);
		return;
	}
	if (!d->ops->rename) {
		reply_err(req, d->read_only ? -EACCES : -EROFS);
		return;
	}
	if (!strcmp(name, newname)) {
		reply_err(req, 0);
		return;
	}
	err = d->ops->rename(d->priv, p->group, p->sub, name, newname);
	if (!err) {
		/* The kernel keeps the inode under its new name: so do we. */
		tree__lock(fs->tree);
		tree__rename_entry(fs->tree, p->domain, p->group, p->sub, name, newname);
		tree__unlock(fs->tree);
	}
	if (err)
		pr_warn("mv %s -> %s: %s", entry_path(d, p->group, p->sub, name, where, sizeof(where)),
			newname, strerror(-err));
	reply_err(req, err);
	answered(d);
}

/* No devices, symlinks or hard links: EPERM, after the check of the
 * directory that a mount with default_permissions made first. */
static void refuse_in(fuse_req_t req, fuse_ino_t parent)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *p = get_node(fs, parent);

	if (!p)
		reply_err(req, -ESTALE);
	else if (!denied(req, fs, p, W_OK | X_OK))
		reply_err(req, -EPERM);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	refuse_in(req, parent);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	refuse_in(req, parent);
}

/* (the kernel refuses a link to a file one may not write first: EPERM) */
static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	reply_err(req, -EPERM);
}

/* access(2), `test -w`: the same rules as every other request. */
static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct plugfs_fs *fs = fuse_req_userdata(req);
	struct node *n = get_node(fs, ino);

	if (!n)
		reply_err(req, -ESTALE);
	else if (!denied(req, fs, n, mask & (R_OK | W_OK | X_OK)))
		reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st = { .f_bsize = 4096, .f_frsize = 4096, .f_namemax = 255 };

	fuse_reply_statfs(req, &st);
}

const struct fuse_lowlevel_ops plugfs_ll_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_releasedir,
	.open = op_open,
	.create = op_create,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.release = op_release,
	.poll = op_poll,
	.unlink = op_unlink,
	.mkdir = op_mkdir,
	.rmdir = op_rmdir,
	.rename = op_rename,
	.mknod = op_mknod,
	.symlink = op_symlink,
	.link = op_link,
	.access = op_access,
	.statfs = op_statfs,
};

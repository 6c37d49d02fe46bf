/* SPDX-License-Identifier: MIT */
/*
 * The host's control thread: owns the SysV request queue of a pluginized
 * program, publishes it in <run-dir>/hosts/<name>.<pid>, and serves the
 * control-channel protocol (injector/proto.h) by calling the
 * pluglet_host__* functions. Queue and run file are removed by
 * pluglet_ctl__stop(), at exit() and on fatal signals whose disposition was
 * the default one when the first control thread started.
 */
#include "control.h"

#include "config.h"
#include "proto.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>
#include <plugfs/opts.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

struct pluglet_ctl {
	struct pluglet_host *host;
	struct inj_server *srv;
	pthread_t thread;
	bool running;
	int qid;
	int slot;			/* in the exit registry, -1 if none */
	pid_t owner;			/* process that started it */
	char name[64];
	char path[PATH_MAX];		/* run file, "" if not published */
};

/*
 * What must go at exit, readable from a signal handler: plain data, claimed
 * with an atomic exchange so the queue id is removed exactly once (a
 * removed id can be reused by someone else's queue).
 */
#define CTL_SLOTS 16
static struct {
	int used;
	int qid;
	pid_t owner;			/* a forked child must not remove them */
	char path[PATH_MAX];
} exit_reg[CTL_SLOTS];
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void reg_release(int i)
{
	if (i < 0 || exit_reg[i].owner != getpid() ||
	    !__atomic_exchange_n(&exit_reg[i].used, 0, __ATOMIC_ACQ_REL))
		return;
	msgctl(exit_reg[i].qid, IPC_RMID, NULL);
	if (exit_reg[i].path[0])
		unlink(exit_reg[i].path);
}

static void reg_release_all(void)
{
	for (int i = 0; i < CTL_SLOTS; i++)
		reg_release(i);
}

static void on_fatal_signal(int sig)
{
	int saved = errno;

	reg_release_all();
	errno = saved;
	/* SA_RESETHAND restored the default action: re-raise so the process
	 * ends (or dumps core) the way it would have without us. */
	raise(sig);
}

static void install_hooks(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGABRT,
				    SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	struct sigaction sa, old;

	atexit(reg_release_all);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* Never take over a signal the program handles (or ignores). */
		if (sigaction(sigs[i], NULL, &old) || old.sa_handler != SIG_DFL ||
		    (old.sa_flags & SA_SIGINFO))
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

static int reg_add(int qid, const char *path)
{
	int slot = -1;

	pthread_once(&hooks_once, install_hooks);
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < CTL_SLOTS; i++) {
		if (__atomic_load_n(&exit_reg[i].used, __ATOMIC_ACQUIRE))
			continue;
		exit_reg[i].qid = qid;
		exit_reg[i].owner = getpid();
		snprintf(exit_reg[i].path, sizeof(exit_reg[i].path), "%s", path);
		__atomic_store_n(&exit_reg[i].used, 1, __ATOMIC_RELEASE);
		slot = i;
		break;
	}
	pthread_mutex_unlock(&reg_lock);
	return slot;
}

/* ---- requests ---- */

static int do_report(struct pluglet_host *h, struct strbuf *out)
{
	size_t size = 16384;
	int n = -ENOMEM;

	for (int tries = 0; tries < 4; tries++) {
		char *buf = malloc(size);

		if (!buf)
			return -ENOMEM;
		n = pluglet_host__report(h, buf, size);
		if (n >= 0 && (size_t)n < size) {
			n = strbuf__put(out, buf, (size_t)n);
			free(buf);
			return n;
		}
		free(buf);
		if (n < 0)
			return n;
		/* The report grew past the buffer: retry with its size. */
		size = (size_t)n + 1024;
		if (size > INJ_TEXT_MAX)
			return -EFBIG;
	}
	return -EAGAIN;
}

/* The status as fields, encoded (INJ_ACT_HOST_STATUS). */
static int do_host_status(struct pluglet_ctl *c, struct strbuf *out)
{
	struct inj_host_status st;
	struct strbuf sb = STRBUF_INIT;
	int rc;

	rc = host_status_fill(c->host, &st);
	if (rc)
		return rc;
	/* the host may not have stored its control thread yet: we know our queue */
	st.msqid = c->qid;
	/* more than a reply can carry */
	if (st.nr_points > INJ_STATUS_MAX_POINTS || st.nr_pluglets > INJ_STATUS_MAX_PLUGLETS)
		rc = -EFBIG;
	else
		rc = inj_host_status__encode(&st, &sb);
	if (!rc)
		rc = strbuf__put(out, sb.buf, sb.len);
	strbuf__fini(&sb);
	inj_host_status__fini(&st);
	return rc;
}

static int ctl_handle(void *arg, const struct inj_server_req *r, struct strbuf *out)
{
	struct pluglet_ctl *c = arg;
	const struct inj_hdr *h = r->h;
	struct pluglet_inject_opts o = {
		.sz = sizeof(o),
		.jit = h->flags & INJ_F_JIT,
		.extra_mem = h->extra_mem,
		.shared_mem = h->shared_mem,
		.entry = h->entry[0] ? h->entry : NULL,
		.origin = h->origin,
		.generation = h->gen,
		.sender_pid = h->pid,
	};
	enum pluglet_anchor anchor = (enum pluglet_anchor)h->anchor;
	char err[1024] = "";
	int rc;

	switch (h->action) {
	case INJ_ACT_ADD:
		rc = pluglet_host__add(c->host, h->plugin, anchor, h->seq, r->obj, r->len, &o,
				       err, sizeof(err));
		break;
	case INJ_ACT_REPLACE:
		rc = pluglet_host__replace(c->host, h->plugin, anchor, h->seq, r->obj, r->len, &o,
					   err, sizeof(err));
		break;
	case INJ_ACT_REMOVE:
		rc = pluglet_host__remove(c->host, h->plugin, anchor, h->seq, err, sizeof(err));
		break;
	case INJ_ACT_REMOVE_PLUGIN:
		rc = pluglet_host__remove_plugin(c->host, h->plugin, err, sizeof(err));
		break;
	case INJ_ACT_STATUS:
	case INJ_ACT_HOST_STATUS:
		/* the text for older clients, or the fields */
		if (h->action == INJ_ACT_STATUS)
			rc = do_report(c->host, out);
		else
			rc = do_host_status(c, out);
		if (rc)
			snprintf(err, sizeof(err), "%s: %s",
				 h->action == INJ_ACT_STATUS ? "report" : "status", strerror(-rc));
		pr_debug("control %s: %s for pid %d: %d", c->name, inj_action_str(h->action), h->pid, rc);
		goto out;
	default:
		rc = -EINVAL;
		snprintf(err, sizeof(err), "unknown action %u", h->action);
		break;
	}
	if (rc > 0)
		rc = -EIO;
	if (rc && !err[0])
		snprintf(err, sizeof(err), "%s", strerror(-rc));
	if (h->action == INJ_ACT_REMOVE_PLUGIN)
		pr_info("control %s: rm %s from pid %d: %s", c->name, h->plugin, h->pid,
			rc ? err : "done");
	else
		pr_info("control %s: %s %s %s/%u (%zu bytes) from pid %d: %s", c->name,
			inj_action_str(h->action), h->plugin, pluglet_anchor_str(anchor), h->seq,
			r->len, h->pid, rc ? err : "done");
out:
	if (rc && err[0])
		strbuf__puts(out, err);
	return rc;
}

static void *ctl_thread(void *arg)
{
	struct pluglet_ctl *c = arg;
	int err = inj_server__run(c->srv);

	if (err)
		pr_warn("control %s: queue %d: %s; no more injections", c->name, c->qid,
			strerror(-err));
	return NULL;
}

/* ---- run file ---- */

/* A value that would break the ini syntax is left out of the file. */
static bool ini_safe(const char *s)
{
	return *s && !strpbrk(s, "\n\r=;#[]") && s[0] != ' ' && s[strlen(s) - 1] != ' ';
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int publish(struct pluglet_ctl *c, const struct pluglet_ctl_opts *o, size_t max_object)
{
	const char *run_dir = o->run_dir;
	struct strbuf t = STRBUF_INIT;
	char dir[PATH_MAX], tmp[PATH_MAX + 96];
	int fd = -1, err;

	if (!run_dir)
		run_dir = getenv("PLUGLET_RUN_DIR");
	if (!run_dir || !*run_dir)
		run_dir = PLUGFS_DEFAULT_RUN_DIR;
	if (snprintf(dir, sizeof(dir), "%s/hosts", run_dir) >= (int)sizeof(dir) ||
	    snprintf(c->path, sizeof(c->path), "%s/%s.%d", dir, c->name, (int)getpid()) >=
		    (int)sizeof(c->path)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	/* hidden: the daemon only looks at <name>.<pid> */
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.%d.tmp", dir, c->name, (int)getpid()) >= (int)sizeof(tmp)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	err = plugfs_mkdir_p(dir, 0755);
	if (err)
		goto out;

	strbuf__printf(&t, "[host]\nname = %s\npid = %d\nmsqid = %d\nprotocol = %d\nmax_object = %zu\n[points]\n",
		       c->name, (int)getpid(), c->qid, INJ_VERSION, max_object);
	for (size_t i = 0; i < o->nr_points; i++) {
		const char *p = o->points[i];

		if (!p || !ini_safe(p)) {
			pr_warn("control %s: insertion point %zu has a name that cannot be published",
				c->name, i);
			continue;
		}
		strbuf__printf(&t, "%s = %u\n", p, o->point_ids ? o->point_ids[i] : (unsigned int)i);
	}
	/* a section of its own: readers that predate it skip it */
	strbuf__puts(&t, "[point_kinds]\n");
	for (size_t i = 0; i < o->nr_points; i++)
		if (o->points[i] && ini_safe(o->points[i]))
			strbuf__printf(&t, "%s = %s\n", o->points[i],
				       o->point_replace_only && o->point_replace_only[i] ?
				       "replace_only" : "vm_call");
	err = t.err;
	if (err)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = write_all(fd, t.buf, t.len);
	if (!err && fchmod(fd, 0640) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	/* rename: readers (the daemon's inotify) never see a half-written file. */
	if (!err && rename(tmp, c->path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
out:
	if (err)
		c->path[0] = '\0';
	strbuf__fini(&t);
	return err;
}

/* ---- public ---- */

static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n >= sizeof(((struct pluglet_ctl *)0)->name) || !ini_safe(s) || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

struct pluglet_ctl *pluglet_ctl__start(struct pluglet_host *h, const struct pluglet_ctl_opts *opts)
{
	struct inj_server_opts so = { .sz = sizeof(so) };
	struct pluglet_ctl_opts o = { .sz = sizeof(o) };
	struct pluglet_ctl *c = NULL;
	sigset_t all, old;
	size_t max_object;
	int err;

	/* opts are required (the name), then the options-size rule */
	if (!h || !opts || PLUGFS_OPTS_COPY(&o, opts) || !name_ok(o.name) ||
	    (o.nr_points && !o.points)) {
		err = EINVAL;
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		err = ENOMEM;
		goto fail;
	}
	c->host = h;
	c->owner = getpid();
	c->slot = -1;
	c->qid = -1;
	snprintf(c->name, sizeof(c->name), "%s", o.name);
	max_object = o.max_object ? o.max_object : INJ_OBJ_DEFAULT_MAX;
	if (max_object > INJ_OBJ_HARD_MAX)
		max_object = INJ_OBJ_HARD_MAX;

	c->qid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (c->qid < 0) {
		err = errno;
		pr_warn("control %s: cannot create the message queue: %s", c->name, strerror(err));
		goto fail;
	}
	/* One empty message read back here sets the queue's last-reader pid
	 * to ours: clients use it to tell a dead host from a slow one, even
	 * before the first request. */
	{
		struct { long mtype; char b[1]; } hello = { INJ_MTYPE, { 0 } };

		if (!msgsnd(c->qid, &hello, 0, IPC_NOWAIT))
			msgrcv(c->qid, &hello, sizeof(hello.b), 0, IPC_NOWAIT | MSG_NOERROR);
	}
	so.max_object = max_object;
	so.name = c->name;
	c->srv = inj_server__new(c->qid, ctl_handle, c, &so);
	if (!c->srv) {
		err = errno;
		goto fail;
	}

	err = -publish(c, &o, max_object);
	if (err)
		/* The queue still works: the id can be given to -m by hand. */
		pr_warn("control %s: cannot publish queue %d in the run directory: %s",
			c->name, c->qid, strerror(err));
	c->slot = reg_add(c->qid, c->path);

	/* The thread takes no signals: they stay with the program's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&c->thread, NULL, ctl_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto fail;
	c->running = true;
	pthread_setname_np(c->thread, "pluglet-ctl");
	pr_info("control %s: listening on message queue %d%s%s", c->name, c->qid,
		c->path[0] ? ", published in " : "", c->path);
	return c;
fail:
	pluglet_ctl__stop(c);
	errno = err;
	return NULL;
}

void pluglet_ctl__stop(struct pluglet_ctl *c)
{
	if (!c)
		return;
	if (c->owner != getpid()) {
		/* A forked child: queue, file and thread are the parent's. */
		inj_server__free(c->srv);
		free(c);
		return;
	}
	/* Removing the queue is what wakes the thread (EIDRM). */
	if (c->slot >= 0) {
		reg_release(c->slot);
	} else {
		if (c->qid >= 0)
			msgctl(c->qid, IPC_RMID, NULL);
		if (c->path[0])
			unlink(c->path);
	}
	if (c->running)
		pthread_join(c->thread, NULL);
	inj_server__free(c->srv);
	free(c);
}

int pluglet_ctl__msqid(const struct pluglet_ctl *c)
{
	return c ? c->qid : -1;
}

/* SPDX-License-Identifier: MIT */
/*
 * C sources compiled on load (DeChainy's compile_hook): clang -O2 -g
 * -target bpf run under bubblewrap as nobody, with no network (its own
 * network namespace), a read-only /usr (the compiler and the system
 * headers), the source's directory read-only, an empty /tmp and nothing else
 * of the host; killed past a time limit. Running as nobody means that the
 * tree's writers cannot make the compiler read files only root may read (its
 * messages go to the log). clang's messages come back for the log.
 */
#include <image/image.h>

#include <plugfs/clock.h>
#include <plugfs/fileutil.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 96
#define MAX_LOG (64u << 10)
#define NOBODY 65534			/* Debian's nobody and nogroup */
#define NOBODY_S "65534"

extern char **environ;

/* out: the real path of an executable, so that it is found in the sandbox */
static int real_exe(const char *path, char *out)
{
	return access(path, X_OK) || !realpath(path, out) ? -ENOEXEC : 0;
}

/* The executable: as given if it has a '/', else from PATH; out is PATH_MAX. */
static int find_exe(const char *name, char *out)
{
	const char *path = getenv("PATH");
	char cand[PATH_MAX];

	if (strchr(name, '/'))
		return real_exe(name, out);
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, p, name);
		if (n && !real_exe(cand, out))
			return 0;
		p += n + (p[n] == ':');
	}
	return -ENOEXEC;
}

struct argv {
	char *v[MAX_ARGS + 1];
	unsigned int n;
	char *flags;			/* the split copy of cflags */
	char src[PATH_MAX];		/* the source, as the sandbox names it */
	char map[PATH_MAX + 40];	/* -fdebug-prefix-map: BTF names the real directory */
};

static int add(struct argv *a, const char *s)
{
	if (a->n >= MAX_ARGS)
		return -E2BIG;
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
	return 0;
}

/*
 * bwrap runs as root (it binds what root may reach), without a user
 * namespace (not every system allows one); inside, setpriv drops to nobody
 * before clang starts, with no way back (no_new_privs). The source's
 * directory is /src in the sandbox, the output /out, a compiler outside
 * /usr /cc: nobody need not reach the paths they have outside.
 */
static int build_argv(struct argv *a, const char *const exe[3], const char *srcdir,
		      const char *src, const char *outdir, const char *cflags)
{
	static const char *const sandbox[] = {
		"--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid", "--unshare-ipc",
		"--unshare-uts", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
		"--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64",
		"/lib64", "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev",
		"--tmpfs", "/tmp", NULL,
	};
	static const char *const drop[] = {
		"--reuid=" NOBODY_S, "--regid=" NOBODY_S, "--clear-groups", "--no-new-privs",
		"--inh-caps=-all", "--", NULL,
	};
	const char *bwrap = exe[0], *setpriv = exe[1], *clang = exe[2];
	char *tok, *save = NULL;
	int rc = add(a, bwrap);

	for (unsigned int i = 0; sandbox[i] && !rc; i++)
		rc = add(a, sandbox[i]);
	plugfs_snprintf(a->src, sizeof(a->src), "/src/%s", strrchr(src, '/') ? strrchr(src, '/') + 1 : src);
	snprintf(a->map, sizeof(a->map), "-fdebug-prefix-map=/src=%s", srcdir);
	rc = rc ?: add(a, "--ro-bind") ?: add(a, srcdir) ?: add(a, "/src");
	rc = rc ?: add(a, "--bind") ?: add(a, outdir) ?: add(a, "/out");
	/* a compiler outside /usr (a config's choice) is shown too, read-only */
	if (!rc && strncmp(clang, "/usr/", 5)) {
		rc = add(a, "--ro-bind") ?: add(a, clang) ?: add(a, "/cc");
		clang = "/cc";
	}
	rc = rc ?: add(a, "--chdir") ?: add(a, "/src") ?: add(a, setpriv);
	for (unsigned int i = 0; drop[i] && !rc; i++)
		rc = add(a, drop[i]);
	rc = rc ?: add(a, clang) ?: add(a, "-O2") ?: add(a, "-g") ?: add(a, "-target") ?: add(a, "bpf");
	rc = rc ?: add(a, "-I/usr/include/" MULTIARCH_TRIPLET) ?: add(a, "-fno-color-diagnostics");
	rc = rc ?: add(a, a->map);
	if (cflags && !rc) {
		a->flags = strdup(cflags);
		if (!a->flags)
			return -ENOMEM;
		for (tok = strtok_r(a->flags, " \t", &save); tok && !rc; tok = strtok_r(NULL, " \t", &save))
			rc = add(a, tok);
	}
	return rc ?: add(a, "-c") ?: add(a, a->src) ?: add(a, "-o") ?: add(a, "/out/prog.o");
}

/* Reads the child's messages until it exits or the time is up. */
static int wait_child(pid_t pid, int fd, unsigned int timeout_ms, struct strbuf *log)
{
	uint64_t end = (plugfs_now_ns() / 1000000) + timeout_ms;
	char buf[4096];
	int status = 0;

	for (;;) {
		uint64_t now = (plugfs_now_ns() / 1000000);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (now >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			strbuf__printf(log, "\n(compiler killed after %u ms)\n", timeout_ms);
			return -ETIMEDOUT;
		}
		if (poll(&pfd, 1, (int)(end - now)) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n > 0 && log->len < MAX_LOG)
			strbuf__put(log, buf, (size_t)n);
		if (n > 0)
			continue;
		waitpid(pid, &status, 0);
		return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EINVAL;
	}
}

static int run(char *const argv[], unsigned int timeout_ms, struct strbuf *log)
{
	posix_spawn_file_actions_t fa;
	int p[2], rc;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc) {
		close(p[0]);
		strbuf__printf(log, "cannot run %s: %s\n", argv[0], strerror(rc));
		return -ENOEXEC;
	}
	rc = wait_child(pid, p[0], timeout_ms, log);
	close(p[0]);
	return rc;
}

static void dir_of(const char *path, char *out, size_t size)
{
	const char *s = strrchr(path, '/');

	snprintf(out, size, "%.*s", s && s != path ? (int)(s - path) : 1, s ? path : ".");
}

/* Compiles src into outdir/prog.o and reads it back. */
static int compile_in(const char *src, const char *outdir, const struct image_compile_opts *o,
		      void **obj, size_t *len, struct strbuf *log)
{
	static const char *const tools[2][2] = {
		{ "bwrap", "bubblewrap" }, { "setpriv", "util-linux" },
	};
	char exe[3][PATH_MAX], srcdir[PATH_MAX], out[PATH_MAX];
	const char *name = o && o->compiler ? o->compiler : "clang";
	const char *const argv_exe[3] = { exe[0], exe[1], exe[2] };
	struct argv a = { .n = 0 };
	struct stat st;
	int rc;

	if (find_exe(name, exe[2])) {
		strbuf__printf(log, "no C compiler: '%s' is not installed (apt-get install clang)\n",
			       name);
		return -ENOEXEC;
	}
	for (unsigned int i = 0; i < 2; i++) {
		if (find_exe(tools[i][0], exe[i])) {
			strbuf__printf(log, "no sandbox for the compiler: '%s' is not installed "
				       "(apt-get install %s)\n", tools[i][0], tools[i][1]);
			return -ENOEXEC;
		}
	}
	dir_of(src, srcdir, sizeof(srcdir));
	snprintf(out, sizeof(out), "%s/prog.o", outdir);
	rc = build_argv(&a, argv_exe, srcdir, src, outdir, o ? o->cflags : NULL);
	strbuf__printf(log, "(%s runs as nobody with %s as /src)\n", name, srcdir);
	if (!rc)
		rc = run(a.v, o && o->timeout_ms ? o->timeout_ms : 60000, log);
	free(a.flags);
	if (rc)
		return rc;
	if (stat(out, &st) || (size_t)st.st_size > (o && o->max_object ? o->max_object : 64u << 20)) {
		strbuf__puts(log, "the compiler wrote no object, or one over the size limit\n");
		return -EFBIG;
	}
	return plugfs_read_file(out, obj, len);
}

static void remove_dir(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/prog.o", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/prog.bpf.c", dir);
	unlink(path);
	rmdir(dir);
}

static int compile_common(const char *src, const void *text, size_t text_len,
			  const struct image_compile_opts *o, void **obj, size_t *len, char **log)
{
	char dir[] = "/tmp/plugfs-cc.XXXXXX", path[PATH_MAX];
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;

	*log = NULL;
	if (!mkdtemp(dir))
		return -errno;
	/* the compiler runs as nobody: the directory is its, the text its to read */
	if (chown(dir, NOBODY, NOBODY))
		rc = -errno;
	if (!src && !rc) {
		snprintf(path, sizeof(path), "%s/prog.bpf.c", dir);
		rc = plugfs_write_file(path, text, text_len);
		if (!rc && chmod(path, 0644))
			rc = -errno;
		src = path;
	}
	if (!rc)
		rc = compile_in(src, dir, o, obj, len, &sb);
	remove_dir(dir);
	*log = strbuf__detach(&sb, NULL);
	return rc;
}

int image_compile(const char *src_path, const struct image_compile_opts *o, void **obj,
		  size_t *len, char **log)
{
	if (src_path[0] != '/' || access(src_path, R_OK)) {
		int rc = src_path[0] != '/' ? -EINVAL : -errno;

		*log = strdup(src_path[0] != '/' ? "the source path must be absolute\n" :
			      "the source cannot be read\n");
		return rc;
	}
	return compile_common(src_path, NULL, 0, o, obj, len, log);
}

int image_compile_text(const void *text, size_t text_len, const struct image_compile_opts *o,
		       void **obj, size_t *len, char **log)
{
	return compile_common(NULL, text, text_len, o, obj, len, log);
}

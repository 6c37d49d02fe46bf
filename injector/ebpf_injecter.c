/* SPDX-License-Identifier: MIT */
/*
 * ebpf_injecter: adds, replaces and removes pluglets in a running
 * pluginized program through its control queue, with the command line of
 * libubpf's ebpf_injecter. It waits for the host's answer and exits
 * non-zero when the request failed; exit codes are documented in
 * ebpf_injecter(8).
 */
#include "proto.h"

#include <plugfs/fileutil.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef EM_BPF
#define EM_BPF 247
#endif

enum {
	EXIT_REFUSED = 1,	/* the host answered with an error */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_OBJECT = 3,	/* the object file cannot be used */
	EXIT_UNREACHABLE = 4,	/* no such queue, not allowed, host gone */
	EXIT_TIMEOUT = 5,	/* no answer in time */
};

static const char *prog = "ebpf_injecter";
static volatile sig_atomic_t reply_qid = -1;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s -a action -i plugin_name -m msqid\n"
		"                     [-p plugin_path] [-h anchor_type] [-e extra_memory]\n"
		"                     [-s shared_memory] [-n sequence_number] [-j] [-t seconds]\n"
		"\n"
		"  -a action     add | rm | replace | rm_pluglet (also: status)\n"
		"                  add, replace: need -p and -h, and -n for pre/post\n"
		"                  rm_pluglet:   needs -h, and -n for pre/post\n"
		"                  rm:           removes the whole plugin\n"
		"  -i plugin     plugin name\n"
		"  -m msqid      control queue of the pluginized program\n"
		"                (see <run-dir>/hosts/<name>.<pid>, default /run/plugfs)\n"
		"  -p path       eBPF ELF object to inject\n"
		"  -h anchor     pre | replace | post\n"
		"  -e bytes      extra (private) memory of the pluglet\n"
		"  -s bytes      shared memory of the plugin\n"
		"  -n seq        sequence number in the pre/post anchor (>= 0)\n"
		"  -j            compile the pluglet to x86-64 machine code (JIT)\n"
		"  -t seconds    how long to wait for the answer (default 5)\n"
		"      --help    this text\n"
		"\n"
		"Exit status: 0 done, 1 refused by the program, 2 usage error,\n"
		"3 object file problem, 4 queue or program unreachable, 5 timeout.\n",
		prog);
}

static void __attribute__((format(printf, 1, 2), noreturn)) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
	exit(EXIT_USAGE);
}

/* Strict decimal: the whole argument, no sign, within max. */
static unsigned long long parse_num(char opt, const char *s, unsigned long long max)
{
	unsigned long long v;
	char *end;

	if (!*s || *s < '0' || *s > '9')
		usage_error("-%c: '%s' is not a non-negative decimal number", opt, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		usage_error("-%c: '%s' is not a non-negative decimal number", opt, s);
	if (errno == ERANGE || v > max)
		usage_error("-%c: %s is too large (at most %llu)", opt, s, max);
	return v;
}

static double parse_timeout(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !(v > 0) || v > 86400)
		usage_error("-t: '%s' is not a number of seconds between 0 and 86400", s);
	return v;
}

/*
 * Cheap checks here give a clear message before anything is sent; the host
 * runs the full ELF loader and verifier. 0, or prints why and returns
 * EXIT_OBJECT.
 */
static int check_elf(const char *path, const unsigned char *buf, size_t len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;

	if (len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG)) {
		fprintf(stderr, "%s: %s: not an ELF object (no \\177ELF magic)\n", prog, path);
		return EXIT_OBJECT;
	}
	if (len < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64) {
		fprintf(stderr, "%s: %s: not a 64-bit ELF object\n", prog, path);
		return EXIT_OBJECT;
	}
	if (eh->e_machine != EM_BPF) {
		fprintf(stderr, "%s: %s: ELF object for machine %u, not eBPF (%u); compile with clang -target bpf\n",
			prog, path, eh->e_machine, EM_BPF);
		return EXIT_OBJECT;
	}
	return 0;
}

/* Reads the whole object into *out; 0, or prints why and returns EXIT_OBJECT. */
static int read_object(const char *path, unsigned char **out, size_t *len)
{
	struct stat st;
	void *buf;
	int err;

	/* The size first: a file over the limit is not read at all. */
	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(errno));
		return EXIT_OBJECT;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: %s: not a regular file\n", prog, path);
		return EXIT_OBJECT;
	}
	if ((unsigned long long)st.st_size > INJ_OBJ_HARD_MAX) {
		fprintf(stderr, "%s: %s: %lld bytes, over the limit of %u bytes\n", prog, path,
			(long long)st.st_size, INJ_OBJ_HARD_MAX);
		return EXIT_OBJECT;
	}
	err = plugfs_read_file(path, &buf, len);
	if (err) {
		if (err == -ENOMEM)
			fprintf(stderr, "%s: %s: out of memory\n", prog, path);
		else
			fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(-err));
		return EXIT_OBJECT;
	}
	if (!*len) {
		fprintf(stderr, "%s: %s: empty file, not an ELF object\n", prog, path);
		err = EXIT_OBJECT;
	} else {
		err = check_elf(path, buf, *len);
	}
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	return 0;
}

/* Interrupted while waiting: do not leave the private reply queue behind. */
static void on_signal(int sig)
{
	if (reply_qid >= 0)
		msgctl(reply_qid, IPC_RMID, NULL);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int exit_code_for(const struct inj_reply *r, int err)
{
	if (r->from_host)
		return EXIT_REFUSED;
	switch (err) {
	case -ETIMEDOUT:
		return EXIT_TIMEOUT;
	case -EFBIG:
		return EXIT_OBJECT;
	case -EINVAL:
		return EXIT_USAGE;
	default:
		return EXIT_UNREACHABLE;
	}
}

/* The command line, as given and as a request. */
struct cmdline {
	const char *action_s, *plugin, *path, *anchor_s, *msqid_s;
	bool have_seq, have_e, have_s;
	double timeout;
	int msqid;
	struct inj_request req;
};

static void parse_options(int argc, char **argv, struct cmdline *cl)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":a:i:m:p:h:e:s:n:jt:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a': cl->action_s = optarg; break;
		case 'i': cl->plugin = optarg; break;
		case 'm': cl->msqid_s = optarg; break;
		case 'p': cl->path = optarg; break;
		case 'h': cl->anchor_s = optarg; break;
		case 'e':
			cl->req.extra_mem = (uint32_t)parse_num('e', optarg, INJ_MEM_MAX);
			cl->have_e = true;
			break;
		case 's':
			cl->req.shared_mem = (uint32_t)parse_num('s', optarg, INJ_MEM_MAX);
			cl->have_s = true;
			break;
		case 'n':
			cl->req.seq = (uint32_t)parse_num('n', optarg, UINT32_MAX);
			cl->have_seq = true;
			break;
		case 'j': cl->req.jit = true; break;
		case 't': cl->timeout = parse_timeout(optarg); break;
		case 'H':
			usage(stdout);
			exit(0);
		case ':':
			usage_error("option -%c needs a value", optopt);
		default:
			if (optopt)
				usage_error("unknown option -%c", optopt);
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}

/* What each action needs; options it does not use are a warning, and
 * ignored as libubpf's ebpf_injecter ignored them. */
static void check_options(struct cmdline *cl)
{
	const char *act = cl->action_s;
	int action, anchor = -1;

	if (!act)
		usage_error("missing mandatory option -a (add, rm, replace or rm_pluglet)");
	action = inj_action_parse(act);
	if (action < 0)
		usage_error("unknown action '%s' (add, rm, replace or rm_pluglet)", act);
	if (!cl->plugin && action != INJ_ACT_STATUS)
		usage_error("missing mandatory option -i (plugin name)");
	if (!cl->msqid_s)
		usage_error("missing mandatory option -m (msqid of the program's control queue)");
	cl->msqid = (int)parse_num('m', cl->msqid_s, INT_MAX);

	if (action == INJ_ACT_ADD || action == INJ_ACT_REPLACE || action == INJ_ACT_REMOVE) {
		if (!cl->anchor_s)
			usage_error("action %s needs -h (pre, replace or post)", act);
		anchor = pluglet_anchor_parse(cl->anchor_s);
		if (anchor < 0)
			usage_error("unknown anchor '%s' (pre, replace or post)", cl->anchor_s);
		if (anchor != PLUGLET_ANCHOR_REPLACE && !cl->have_seq)
			usage_error("action %s on the %s anchor needs -n (sequence number)",
				    act, cl->anchor_s);
		if (inj_action_has_object(action) && !cl->path)
			usage_error("action %s needs -p (path of the ELF object)", act);
	}
	if (!inj_action_has_object(action)) {
		if (cl->path)
			fprintf(stderr, "%s: warning: -p is not used by action %s\n", prog, act);
		if (cl->have_e || cl->have_s || cl->req.jit)
			fprintf(stderr, "%s: warning: -e/-s/-j are not used by action %s\n", prog, act);
	}
	if ((action == INJ_ACT_REMOVE_PLUGIN || action == INJ_ACT_STATUS) &&
	    (cl->anchor_s || cl->have_seq))
		fprintf(stderr, "%s: warning: -h/-n are not used by action %s\n", prog, act);
	cl->req.action = action;
	cl->req.plugin = cl->plugin;
	cl->req.anchor = anchor < 0 ? PLUGLET_ANCHOR_PRE : anchor;
}

static struct inj_client *open_client(int msqid)
{
	struct inj_client *c = inj_client__open(msqid);
	struct sigaction sa;
	int err;

	if (!c) {
		err = errno;
		if (err == EINVAL || err == ENOENT || err == EIDRM)
			fprintf(stderr, "%s: no message queue with id %d (is the program running? "
				"its id is in <run-dir>/hosts/<name>.<pid>)\n", prog, msqid);
		else if (err == EACCES || err == EPERM)
			fprintf(stderr, "%s: message queue %d: permission denied (run as the "
				"program's user or as root)\n", prog, msqid);
		else
			fprintf(stderr, "%s: message queue %d: %s\n", prog, msqid, strerror(err));
		return NULL;
	}
	reply_qid = inj_client__reply_qid(c);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return c;
}

/* Prints the outcome; returns the exit code. */
static int report(const struct cmdline *cl, const struct inj_reply *reply, int err)
{
	const struct inj_request *req = &cl->req;

	if (err) {
		if (req->action == INJ_ACT_ADD || req->action == INJ_ACT_REPLACE ||
		    req->action == INJ_ACT_REMOVE)
			fprintf(stderr, "%s: %s %s %s/%u: %s\n", prog, cl->action_s, cl->plugin,
				pluglet_anchor_str(req->anchor), req->seq,
				reply->text ? reply->text : strerror(-err));
		else
			fprintf(stderr, "%s: %s %s: %s\n", prog, cl->action_s,
				cl->plugin ? cl->plugin : "", reply->text ? reply->text : strerror(-err));
		return exit_code_for(reply, err);
	}
	if (req->action == INJ_ACT_STATUS && reply->text) {
		fputs(reply->text, stdout);
		if (reply->text_len && reply->text[reply->text_len - 1] != '\n')
			fputc('\n', stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cmdline cl = { .timeout = 5, .req = { .sz = sizeof(cl.req) } };
	struct inj_reply reply = { 0 };
	struct inj_client *c;
	unsigned char *obj = NULL;
	size_t len = 0;
	int err, code;

	if (argv[0] && strrchr(argv[0], '/'))
		prog = strrchr(argv[0], '/') + 1;
	else if (argv[0] && *argv[0])
		prog = argv[0];
	parse_options(argc, argv, &cl);
	check_options(&cl);
	if (inj_action_has_object(cl.req.action)) {
		code = read_object(cl.path, &obj, &len);
		if (code)
			return code;
	}
	c = open_client(cl.msqid);
	if (!c) {
		free(obj);
		return EXIT_UNREACHABLE;
	}
	err = inj_client__request(c, &cl.req, obj, len, &reply, (int)(cl.timeout * 1000 + 0.5));
	code = report(&cl, &reply, err);
	inj_client__close(c);
	reply_qid = -1;
	inj_reply__fini(&reply);
	free(obj);
	return code;
}

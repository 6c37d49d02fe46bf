/* SPDX-License-Identifier: MIT */
/*
 * plugfs-top: a refreshing table of the programs and pluglets of a plugfs
 * mount, busiest first, read from <mount>/metrics/plugfs.prom (one read
 * gives every program and pluglet at one moment). `q` quits.
 *
 *   plugfs-top [-m MOUNT] [-d SECONDS] [-n FRAMES] [-b]
 */
#include "top.h"

#include <plugfs/clock.h>
#include <plugfs/fileutil.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct top_opts {
	const char *mount;
	double delay_s;
	long frames;		/* 0: until q */
	bool batch;		/* frames one after the other, no screen control */
};

static struct termios saved_tio;
static bool tio_saved;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void restore_tty(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		fputs("\033[?25h\n", stdout);	/* the cursor back */
		fflush(stdout);
	}
}

/* Keys without Enter and without echo, while the table shows. */
static void raw_tty(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio))
		return;
	t = saved_tio;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (!tcsetattr(STDIN_FILENO, TCSANOW, &t)) {
		tio_saved = true;
		atexit(restore_tty);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: plugfs-top [-m MOUNT] [-d SECONDS] [-n FRAMES] [-b]\n"
		"  -m MOUNT    the plugfs mount point (default /run/plugfs/mnt or $PLUGFS_MOUNT)\n"
		"  -d SECONDS  refresh interval (default 1)\n"
		"  -n FRAMES   stop after this many frames\n"
		"  -b          batch: print frames one after the other (no screen control)\n"
		"Keys: q quits.\n");
}

static int parse_args(int argc, char **argv, struct top_opts *o)
{
	int c;

	o->mount = getenv("PLUGFS_MOUNT") ? getenv("PLUGFS_MOUNT") : "/run/plugfs/mnt";
	o->delay_s = 1;
	while ((c = getopt(argc, argv, "m:d:n:bh")) != -1) {
		switch (c) {
		case 'm': o->mount = optarg; break;
		case 'd': o->delay_s = strtod(optarg, NULL); break;
		case 'n': o->frames = strtol(optarg, NULL, 10); break;
		case 'b': o->batch = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (o->delay_s < 0.05 || o->delay_s > 3600 || o->frames < 0) {
		fprintf(stderr, "plugfs-top: bad interval or frame count\n");
		return -EINVAL;
	}
	return 0;
}

/* One read of plugfs.prom into t. */
static int read_table(const char *path, struct top_table *t)
{
	void *buf = NULL;
	size_t len = 0;
	int rc = plugfs_read_file(path, &buf, &len);

	if (!rc)
		rc = top_table__parse(t, buf, len);
	free(buf);
	return rc;
}

static void draw(const struct top_opts *o, const struct top_table *t, double interval_s)
{
	struct strbuf sb = STRBUF_INIT;
	struct winsize ws = { .ws_col = 160, .ws_row = 50 };
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	if (!o->batch && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws))
		ws = (struct winsize){ .ws_col = 160, .ws_row = 50 };
	strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&now, &tm));
	if (!o->batch)
		strbuf__puts(&sb, "\033[?25l\033[H\033[2J");	/* cursor off, home, clear */
	strbuf__printf(&sb, "plugfs-top  %s  %s  every %.1fs  %zu rows  (q quits)\n\n", o->mount,
		       when, o->delay_s, t->nr);
	top_table__format(t, interval_s, ws.ws_col ? ws.ws_col : 160,
			  ws.ws_row > 4 ? ws.ws_row - 4u : 1u, &sb);
	if (o->batch)
		strbuf__puts(&sb, "\n");
	if (sb.buf)
		fwrite(sb.buf, 1, sb.len, stdout);
	fflush(stdout);
	strbuf__fini(&sb);
}

/* Waits for the next frame; true when q was pressed. */
static bool wait_key(double seconds)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	uint64_t end = plugfs_now_ns() + (uint64_t)(seconds * 1e9);

	while (!stop) {
		uint64_t now = plugfs_now_ns();
		char c;

		if (now >= end)
			return false;
		if (poll(&p, 1, (int)((end - now) / 1000000) + 1) > 0) {
			if (read(STDIN_FILENO, &c, 1) != 1) {
				p.fd = -1;	/* stdin closed: only the timer */
				continue;
			}
			if (c == 'q' || c == 'Q')
				return true;
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	struct top_table tables[2] = { { 0 }, { 0 } };
	struct sigaction sa = { .sa_handler = on_signal };
	struct top_opts o = { 0 };
	char path[4096];
	uint64_t last = 0;
	int cur = 0, rc = 0;

	if (parse_args(argc, argv, &o))
		return 2;
	snprintf(path, sizeof(path), "%s/metrics/plugfs.prom", o.mount);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!o.batch)
		raw_tty();
	for (long frame = 0; !stop && (!o.frames || frame < o.frames); frame++) {
		uint64_t now = plugfs_now_ns();

		rc = read_table(path, &tables[cur]);
		if (rc) {
			fprintf(stderr, "plugfs-top: %s: %s\n", path, strerror(-rc));
			break;
		}
		top_table__diff(&tables[cur], frame ? &tables[!cur] : NULL);
		top_table__sort(&tables[cur]);
		draw(&o, &tables[cur], frame ? (double)(now - last) / 1e9 : 0);
		last = now;
		cur = !cur;
		if ((!o.frames || frame + 1 < o.frames) && wait_key(o.delay_s))
			break;
	}
	top_table__fini(&tables[0]);
	top_table__fini(&tables[1]);
	return rc ? 1 : 0;
}

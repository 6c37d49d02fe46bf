/* SPDX-License-Identifier: MIT */
/*
 * Interfaces coming and going, from rtnetlink (netwatch.h): a thread reads
 * RTM_NEWLINK/RTM_DELLINK from the daemon's network namespace and tells
 * its caller the interface's name.
 */
#include "netwatch.h"

#include <plugfs/log.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The names interfaces had in the events seen so far: a rename arrives as
 * RTM_NEWLINK with the new name only. */
struct link {
	int index;
	char name[IF_NAMESIZE];
};

struct netwatch {
	netwatch_fn fn;
	void *arg;
	struct link *links;		/* the thread's own */
	unsigned int nr_links, cap_links;
	int sock;
	int wake[2];			/* pipe: stops the thread */
	pthread_t thread;
};

/* The name in a link message, or NULL. */
static const char *link_name(const struct nlmsghdr *nh)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	const struct rtattr *a = IFLA_RTA(ifi);
	int len = (int)IFLA_PAYLOAD(nh);

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		const char *name = RTA_DATA(a);

		if (a->rta_type == IFLA_IFNAME && RTA_PAYLOAD(a) > 0 &&
		    memchr(name, '\0', RTA_PAYLOAD(a)))
			return name;
	}
	return NULL;
}

/* Notes the name of an interface; an old name it had is reported gone. */
static void note_name(struct netwatch *w, int index, const char *name, bool gone)
{
	struct link *l = NULL, *nl;
	unsigned int i;

	for (i = 0; i < w->nr_links && !l; i++)
		if (w->links[i].index == index)
			l = &w->links[i];
	if (gone) {
		if (l)
			*l = w->links[--w->nr_links];
		return;
	}
	if (l && strcmp(l->name, name))
		w->fn(w->arg, l->name, true);
	if (!l && w->nr_links == w->cap_links) {
		nl = realloc(w->links, (w->cap_links * 2 + 16) * sizeof(*nl));
		if (!nl)
			return;
		w->links = nl;
		w->cap_links = w->cap_links * 2 + 16;
	}
	if (!l)
		l = &w->links[w->nr_links++];
	l->index = index;
	snprintf(l->name, sizeof(l->name), "%s", name);
}

static void handle(struct netwatch *w, const char *buf, size_t n)
{
	const struct nlmsghdr *nh;

	for (nh = (const struct nlmsghdr *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
		const struct ifinfomsg *ifi = NLMSG_DATA(nh);
		bool gone = nh->nlmsg_type == RTM_DELLINK;
		const char *name;

		if (nh->nlmsg_type != RTM_NEWLINK && !gone)
			continue;
		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
			continue;
		name = link_name(nh);
		if (!name)
			continue;
		note_name(w, ifi->ifi_index, name, gone);
		w->fn(w->arg, name, gone);
	}
}

static void *netwatch_main(void *arg)
{
	struct netwatch *w = arg;
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = w->wake[0], .events = POLLIN },
			{ .fd = w->sock, .events = POLLIN },
		};
		ssize_t n;

		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		if (!fds[1].revents)
			continue;
		n = recv(w->sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS) {
			/* Events were lost: every interface may have changed. */
			w->fn(w->arg, NULL, true);
			continue;
		}
		if (n > 0)
			handle(w, buf, (size_t)n);
	}
	return NULL;
}

struct netwatch *netwatch__start(netwatch_fn fn, void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct netwatch *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return NULL;
	w->fn = fn;
	w->arg = arg;
	w->wake[0] = w->wake[1] = -1;
	w->sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (w->sock < 0 || bind(w->sock, (struct sockaddr *)&sa, sizeof(sa)) ||
	    pipe2(w->wake, O_CLOEXEC)) {
		err = errno;
		goto fail;
	}
	err = pthread_create(&w->thread, NULL, netwatch_main, w);
	if (!err)
		return w;
fail:
	pr_warn("rtnetlink: cannot follow interfaces: %s", strerror(err));
	if (w->sock >= 0)
		close(w->sock);
	if (w->wake[0] >= 0) {
		close(w->wake[0]);
		close(w->wake[1]);
	}
	free(w);
	errno = err;
	return NULL;
}

void netwatch__stop(struct netwatch *w)
{
	if (!w)
		return;
	if (write(w->wake[1], "x", 1) < 0)
		pr_debug("rtnetlink: wake: %s", strerror(errno));
	pthread_join(w->thread, NULL);
	close(w->sock);
	close(w->wake[0]);
	close(w->wake[1]);
	free(w->links);
	free(w);
}

/* SPDX-License-Identifier: MIT */
/* In-memory pluglet_host__* for control-channel tests; see fake_host.h. */
#include "fake_host.h"

#include "control.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ENT 256

struct ent {
	char plugin[128];
	enum pluglet_anchor anchor;
	uint32_t seq;
	size_t len;
	uint64_t sum;
	struct pluglet_inject_opts opts;
};

struct pluglet_host {
	pthread_mutex_t lock;
	const char *const *plugins;
	unsigned int delay_ms;
	int calls;
	int n;
	struct ent e[MAX_ENT];
};

uint64_t fake_host__fnv(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

struct pluglet_host *fake_host__new(const char *const *plugins, unsigned int delay_ms)
{
	struct pluglet_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	h->plugins = plugins;
	h->delay_ms = delay_ms;
	return h;
}

void fake_host__free(struct pluglet_host *h)
{
	if (!h)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static int known(struct pluglet_host *h, const char *plugin, char *err, size_t n)
{
	for (const char *const *p = h->plugins; *p; p++)
		if (!strcmp(*p, plugin))
			return 0;
	snprintf(err, n, "plugin '%s' is not registered by this host", plugin);
	return -ENOENT;
}

static struct ent *find(struct pluglet_host *h, const char *plugin, enum pluglet_anchor a, uint32_t seq)
{
	for (int i = 0; i < h->n; i++)
		if (!strcmp(h->e[i].plugin, plugin) && h->e[i].anchor == a &&
		    (a == PLUGLET_ANCHOR_REPLACE || h->e[i].seq == seq))
			return &h->e[i];
	return NULL;
}

static int check_obj(const void *obj, size_t len, char *err, size_t n)
{
	if (len < 4 || memcmp(obj, "\177ELF", 4)) {
		snprintf(err, n, "not an ELF object");
		return -EINVAL;
	}
	if (memmem(obj, len, "REJECT", 6)) {
		snprintf(err, n, "verifier: instruction 3: unknown opcode 0xff");
		return -EINVAL;
	}
	return 0;
}

static void enter(struct pluglet_host *h)
{
	struct timespec ts = { h->delay_ms / 1000, (long)(h->delay_ms % 1000) * 1000000 };

	if (h->delay_ms)
		nanosleep(&ts, NULL);
	pthread_mutex_lock(&h->lock);
	h->calls++;
}

static void fill(struct ent *e, const char *plugin, enum pluglet_anchor a, uint32_t seq,
		 const void *obj, size_t len, const struct pluglet_inject_opts *opts)
{
	snprintf(e->plugin, sizeof(e->plugin), "%s", plugin);
	e->anchor = a;
	e->seq = seq;
	e->len = len;
	e->sum = fake_host__fnv(obj, len);
	e->opts = *opts;
	e->opts.entry = NULL;
}

int pluglet_host__add(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
		      uint32_t seq, const void *obj, size_t len,
		      const struct pluglet_inject_opts *opts, char *err, size_t err_size)
{
	int rc;

	enter(h);
	rc = known(h, plugin, err, err_size);
	if (!rc)
		rc = check_obj(obj, len, err, err_size);
	if (!rc && find(h, plugin, anchor, seq)) {
		snprintf(err, err_size, "%s %s/%u already exists", plugin, pluglet_anchor_str(anchor), seq);
		rc = -EEXIST;
	}
	if (!rc && h->n == MAX_ENT)
		rc = -ENOSPC;
	if (!rc)
		fill(&h->e[h->n++], plugin, anchor, seq, obj, len, opts);
	pthread_mutex_unlock(&h->lock);
	return rc;
}

int pluglet_host__replace(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
			  uint32_t seq, const void *obj, size_t len,
			  const struct pluglet_inject_opts *opts, char *err, size_t err_size)
{
	struct ent *e = NULL;
	int rc;

	enter(h);
	rc = known(h, plugin, err, err_size);
	if (!rc)
		rc = check_obj(obj, len, err, err_size);
	if (!rc && !(e = find(h, plugin, anchor, seq))) {
		snprintf(err, err_size, "no pluglet %s %s/%u", plugin, pluglet_anchor_str(anchor), seq);
		rc = -ENOENT;
	}
	if (!rc)
		fill(e, plugin, anchor, seq, obj, len, opts);
	pthread_mutex_unlock(&h->lock);
	return rc;
}

int pluglet_host__remove(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
			 uint32_t seq, char *err, size_t err_size)
{
	struct ent *e = NULL;
	int rc;

	enter(h);
	rc = known(h, plugin, err, err_size);
	if (!rc && !(e = find(h, plugin, anchor, seq))) {
		snprintf(err, err_size, "no pluglet %s %s/%u", plugin, pluglet_anchor_str(anchor), seq);
		rc = -ENOENT;
	}
	if (!rc)
		*e = h->e[--h->n];
	pthread_mutex_unlock(&h->lock);
	return rc;
}

int pluglet_host__remove_plugin(struct pluglet_host *h, const char *plugin, char *err, size_t err_size)
{
	int rc;

	enter(h);
	rc = known(h, plugin, err, err_size);
	for (int i = 0; !rc && i < h->n;) {
		if (!strcmp(h->e[i].plugin, plugin))
			h->e[i] = h->e[--h->n];
		else
			i++;
	}
	pthread_mutex_unlock(&h->lock);
	return rc;
}

int pluglet_host__report(struct pluglet_host *h, char *buf, size_t size)
{
	size_t off = 0;
	int n;

	enter(h);
	n = snprintf(buf, size, "Name: fake\nEntries: %d\n", h->n);
	off = (size_t)n;
	for (int i = 0; i < h->n; i++) {
		const struct ent *e = &h->e[i];

		n = snprintf(off < size ? buf + off : NULL, off < size ? size - off : 0,
			     "pluglet: %s %s %u size=%zu sum=%016llx mode=%s\n", e->plugin,
			     pluglet_anchor_str(e->anchor), e->seq, e->len,
			     (unsigned long long)e->sum, e->opts.jit ? "jit" : "interpreter");
		off += (size_t)n;
	}
	pthread_mutex_unlock(&h->lock);
	return (int)off;
}

int host_status_fill(struct pluglet_host *h, struct inj_host_status *s)
{
	int np = 0;

	memset(s, 0, sizeof(*s));
	enter(h);
	while (h->plugins[np])
		np++;
	s->points = calloc((size_t)np + 1, sizeof(*s->points));
	s->pluglets = calloc((size_t)h->n + 1, sizeof(*s->pluglets));
	if (!s->points || !s->pluglets) {
		pthread_mutex_unlock(&h->lock);
		inj_host_status__fini(s);
		return -ENOMEM;
	}
	snprintf(s->name, sizeof(s->name), "fake");
	s->pid = (int32_t)getpid();
	s->msqid = -1;
	s->nr_points = (uint32_t)np;
	for (int i = 0; i < np; i++) {
		snprintf(s->points[i].name, sizeof(s->points[i].name), "%s", h->plugins[i]);
		s->points[i].id = (uint32_t)i + 1;
	}
	s->nr_pluglets = (uint32_t)h->n;
	for (int i = 0; i < h->n; i++) {
		const struct ent *e = &h->e[i];
		struct inj_pluglet_status *p = &s->pluglets[i];

		snprintf(p->plugin, sizeof(p->plugin), "%s", e->plugin);
		p->anchor = e->anchor;
		p->seq = e->seq;
		p->jit = e->opts.jit;
		p->obj_size = e->len;
		p->extra_mem = e->opts.extra_mem;
		p->shared_mem = e->opts.shared_mem;
		p->runs = e->sum;	/* lets a test check the object through the status */
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}

int fake_host__count(struct pluglet_host *h)
{
	int n;

	pthread_mutex_lock(&h->lock);
	n = h->n;
	pthread_mutex_unlock(&h->lock);
	return n;
}

int fake_host__calls(struct pluglet_host *h)
{
	int n;

	pthread_mutex_lock(&h->lock);
	n = h->calls;
	pthread_mutex_unlock(&h->lock);
	return n;
}

uint64_t fake_host__sum(struct pluglet_host *h, const char *plugin, enum pluglet_anchor a,
			uint32_t seq, size_t *len, struct pluglet_inject_opts *opts)
{
	struct ent *e;
	uint64_t sum = 0;

	pthread_mutex_lock(&h->lock);
	e = find(h, plugin, a, seq);
	if (e) {
		sum = e->sum;
		if (len)
			*len = e->len;
		if (opts)
			*opts = e->opts;
	}
	pthread_mutex_unlock(&h->lock);
	return sum;
}

/* SPDX-License-Identifier: MIT */
/*
 * maps/<id>/: every map the kernel holds. `info` (bpftool map show's
 * fields, pins, users), `dump` (the whole map in one read, BTF-formatted),
 * one file per key (bpf/mapio.h names keys by their bytes in hex: `cat`
 * looks up, a write updates, a new file inserts with BPF_NOEXIST, `rm`
 * deletes) and, for ring buffers and perf event arrays, `events`: a stream
 * every reader gets every record of, from the moment it opened it.
 */
#include "maps.h"

#include "daemon_config.h"
#include "engine.h"
#include "introspect.h"
#include "mapio.h"

#include <plugfs/json.h>
#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READER_QUEUE_MAX (1u << 20)	/* bytes a slow reader may fall behind */
#define PENDING_MAX 64

/* The readers of one map's events, and the thread reading the map. */
struct map_source {
	pthread_mutex_t lock;		/* the readers list */
	struct maps *owner;
	uint32_t id;
	struct map_events *ev;
	struct map_reader *readers;
	struct map_source *next;
};

struct map_reader {
	pthread_mutex_t lock;		/* the queue */
	struct fs_stream *stream;
	struct map_source *src;
	char *q;
	size_t len, cap;
	unsigned long long lost;	/* records dropped: the queue was full */
	struct map_reader *next;
};

struct maps {
	const struct fs_domain *ifaces;	/* its engine: swap-state maps */
	char bpffs_dir[4096];
	pthread_mutex_t lock;		/* sources, pending */
	struct map_source *sources;
	char pending[PENDING_MAX][48];	/* "<id>/<key>" created, not committed yet */
	unsigned int pending_next;
};

static bool is_file(const char *name)
{
	return !strcmp(name, "info") || !strcmp(name, "dump") || !strcmp(name, "events");
}

static int open_map(const char *group, struct mapio *m)
{
	uint32_t id;

	if (introspect_parse_id(group, &id))
		return -ENOENT;
	return mapio_open(id, m);
}

static int maps_list_groups(void *priv, fs_name_cb cb, void *arg)
{
	return introspect_list(true, cb, arg);
}

static int maps_group_exists(void *priv, const char *group)
{
	uint32_t id;

	return introspect_parse_id(group, &id) ? -ENOENT : introspect_map_exists(id);
}

static int maps_list(void *priv, const char *group, unsigned int sub, fs_name_cb cb, void *arg)
{
	struct mapio m;
	int err = open_map(group, &m);

	if (err)
		return err;
	if (cb("info", arg) || cb("dump", arg) || (mapio_has_events(&m) && cb("events", arg))) {
		mapio_close(&m);
		return 0;
	}
	err = mapio_keys(&m, cb, arg);
	mapio_close(&m);
	return err;
}

static int maps_exists(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct mapio m;
	int err = open_map(group, &m);

	if (err)
		return err;
	if (!strcmp(name, "events"))
		err = mapio_has_events(&m) ? 0 : -ENOENT;
	else if (!is_file(name))
		err = mapio_exists(&m, name);
	mapio_close(&m);
	return err;
}

/* ---- creates: a new key file is an insert (BPF_NOEXIST) ---- */

static bool pending_take(struct maps *s, const char *group, const char *name, bool add)
{
	char key[48];
	bool found = false;
	int i, free_slot = -1;

	snprintf(key, sizeof(key), "%s/%s", group, name);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < PENDING_MAX && !found; i++) {
		if (!strcmp(s->pending[i], key)) {
			found = true;
			if (!add)
				s->pending[i][0] = '\0';
		} else if (!s->pending[i][0] && free_slot < 0) {
			free_slot = i;
		}
	}
	/* full (creates that never committed): take a slot round the ring */
	if (add && !found && free_slot < 0)
		free_slot = (int)(s->pending_next++ % PENDING_MAX);
	if (add && !found)
		snprintf(s->pending[free_slot], sizeof(s->pending[0]), "%s", key);
	pthread_mutex_unlock(&s->lock);
	return found;
}

static int maps_may_create(void *priv, const char *group, unsigned int sub, const char *name)
{
	unsigned char key[512];
	struct mapio m;
	int err = open_map(group, &m);

	if (err)
		return err;
	if (is_file(name))
		err = -EEXIST;
	else if (!mapio_has_keys(&m) || m.key_size > sizeof(key) ||
		 mapio_key_parse(name, key, m.key_size))
		err = -EINVAL;
	else if (m.read_only)
		err = -EPERM;
	else if (!mapio_exists(&m, name))
		err = -EEXIST;
	if (err == -EINVAL)
		pr_warn("maps/%s/%s: not a key of map %s (%s): %u bytes as %u hex digits", group,
			name, group, m.name, m.key_size, 2 * m.key_size);
	mapio_close(&m);
	if (!err && strlen(group) + strlen(name) + 2 > sizeof(((struct maps *)0)->pending[0]))
		err = -ENAMETOOLONG;
	if (!err)
		pending_take(priv, group, name, true);
	return err;
}

static int maps_commit(void *priv, const char *group, unsigned int sub, const char *name,
		       const void *buf, size_t len)
{
	struct mapio m;
	bool create;
	int err;

	if (is_file(name))
		return -EACCES;
	/*
	 * Nothing written: no value, nothing to do. A shell's `>` closes a
	 * duplicate of the file before it writes, which flushes an empty
	 * buffer first; the value comes with the last close.
	 */
	if (!len)
		return 0;
	create = pending_take(priv, group, name, false);
	err = open_map(group, &m);
	if (err)
		return err;
	err = mapio_update(&m, name, buf, len, create);
	mapio_close(&m);
	return err;
}

static int maps_unlink(void *priv, const char *group, unsigned int sub, const char *name)
{
	struct mapio m;
	int err;

	if (is_file(name))
		return -EACCES;
	err = open_map(group, &m);
	if (err)
		return err;
	err = mapio_delete(&m, name);
	mapio_close(&m);
	return err;
}

/* ---- reports ---- */

/* A value text (mapio_lookup) as JSON: a string, or per CPU an array. */
static void value_json(struct jsonw *w, const struct mapio *m, const char *text)
{
	const char *p = text, *nl, *colon;

	if (!m->ncpus) {
		jsonw__string_n(w, "value", text, strcspn(text, "\n"));
		return;
	}
	jsonw__begin_array(w, "values");
	for (; *p; p = *nl ? nl + 1 : nl) {
		nl = p + strcspn(p, "\n");
		colon = memchr(p, ':', nl - p);
		colon = colon ? colon + 2 : p;
		jsonw__string_n(w, NULL, colon, nl > colon ? (size_t)(nl - colon) : 0);
	}
	jsonw__end(w);
}

static int key_json(const struct mapio *m, const char *name, struct jsonw *w)
{
	struct strbuf val = STRBUF_INIT;
	int err = mapio_lookup(m, name, &val);

	if (!err) {
		jsonw__begin_object(w, NULL);
		jsonw__string(w, "key", name);
		value_json(w, m, val.buf ? val.buf : "");
		jsonw__end(w);
	}
	strbuf__fini(&val);
	return err;
}

struct dump_json_ctx {
	const struct mapio *m;
	struct jsonw *w;
};

static int dump_json_cb(const char *name, void *arg)
{
	struct dump_json_ctx *c = arg;
	int err = key_json(c->m, name, c->w);

	return err == -ENOENT ? 0 : err;	/* deleted since listed */
}

/* What a swap read hands back: the quiescent instance dumped as the map. */
struct swap_dump_ctx {
	const struct mapio *m;
	struct strbuf *out;
};

static int swap_dump_cb(int fd, void *arg)
{
	struct swap_dump_ctx *c = arg;

	return mapio_dump_fd(c->m, fd, c->out);
}

/*
 * The swap-state hook: a map whose dump the kernel engine answers itself
 * (a chain entry loaded with `swap = MAP`: the read switches the chain to
 * the program's other copy, waits until no packet runs the old one, and
 * dumps the old copy's instance, then empties it with swap_empty; see
 * engine__swap_read_id). -ENOENT when the map is not one of those; the
 * dump is then read here. Only a read gets here: a stat builds no report
 * (entries have size 0), so it never switches.
 */
static int swap_dump(struct maps *s, const struct mapio *m, struct strbuf *out)
{
	struct engine *e = s->ifaces ? ifaces_domain_engine(s->ifaces) : NULL;
	struct swap_dump_ctx c = { .m = m, .out = out };

	if (!e)
		return -ENOENT;
	return engine__swap_read_id(e, m->id, swap_dump_cb, &c);
}

/* The one place a read of maps/<id>/dump is answered. */
static int dump_read(struct maps *s, const struct mapio *m, const struct fs_report *rep,
		     struct strbuf *out)
{
	struct dump_json_ctx c;
	struct jsonw w;
	int err;

	if (rep->format == FS_REPORT_TEXT) {
		err = swap_dump(s, m, out);
		return err == -ENOENT ? mapio_dump(m, out) : err;
	}
	jsonw__init(&w, out);
	jsonw__begin_array(&w, NULL);
	c.m = m;
	c.w = &w;
	err = mapio_keys(m, dump_json_cb, &c);
	jsonw__end(&w);
	return err ? err : jsonw__finish(&w);
}

static int info_read(struct maps *s, const struct mapio *m, enum fs_report_format fmt,
		     struct fs_report *out, struct strbuf *sb)
{
	struct ifields fs = { 0 };
	int err = introspect_map_fields(m->id, s->bpffs_dir[0] ? s->bpffs_dir : NULL, &fs);

	if (!err && fmt == FS_REPORT_JSON)
		err = ifields_json(&fs, sb);
	else if (!err)
		err = ifields_text(&fs, &out->buf, &out->len);
	ifields_fini(&fs);
	return err;
}

static int maps_report(void *priv, const char *group, unsigned int sub, const char *name,
		       struct fs_report *out)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	struct mapio m;
	int err = open_map(group, &m);

	if (err)
		return err;
	if (!strcmp(name, "info")) {
		err = info_read(priv, &m, out->format, out, &sb);
		if (!err && out->buf) {
			mapio_close(&m);
			return 0;
		}
	} else if (!strcmp(name, "dump")) {
		err = dump_read(priv, &m, out, &sb);
	} else if (!strcmp(name, "events")) {
		/* a stream (maps_stream_open); its report form has no content */
		err = mapio_has_events(&m) ? (out->format == FS_REPORT_JSON ? -ENOENT : 0)
					   : -ENOENT;
	} else if (out->format == FS_REPORT_JSON) {
		jsonw__init(&w, &sb);
		err = key_json(&m, name, &w);
		if (!err)
			err = jsonw__finish(&w);
	} else {
		err = mapio_lookup(&m, name, &sb);
	}
	mapio_close(&m);
	if (err) {
		strbuf__fini(&sb);
		return err;
	}
	return fs_report_take(out, &sb);
}

/* ---- events: one thread per map, every reader gets every record ---- */

/* The map's thread: a record for every reader; called under no lock. */
static void source_record(void *arg, const char *line, size_t len)
{
	struct map_source *src = arg;
	struct map_reader *r;

	pthread_mutex_lock(&src->lock);
	for (r = src->readers; r; r = r->next) {
		pthread_mutex_lock(&r->lock);
		if (r->len + len > READER_QUEUE_MAX) {
			r->lost++;
		} else {
			if (r->len + len > r->cap) {
				size_t cap = r->cap ? r->cap : 4096;
				char *q;

				while (cap < r->len + len)
					cap *= 2;
				q = realloc(r->q, cap);
				if (q) {
					r->q = q;
					r->cap = cap;
				}
			}
			if (r->len + len <= r->cap) {
				memcpy(r->q + r->len, line, len);
				r->len += len;
			} else {
				r->lost++;
			}
		}
		pthread_mutex_unlock(&r->lock);
		fs_stream_wake(r->stream);
	}
	pthread_mutex_unlock(&src->lock);
}

/* Under s->lock: the source of map id, started when missing. */
static struct map_source *source_get(struct maps *s, const struct mapio *m)
{
	struct map_source *src;

	for (src = s->sources; src; src = src->next)
		if (src->id == m->id)
			return src;
	src = calloc(1, sizeof(*src));
	if (!src)
		return NULL;
	pthread_mutex_init(&src->lock, NULL);
	src->id = m->id;
	src->owner = s;
	src->ev = map_events__start(m, source_record, src);
	if (!src->ev) {
		int err = errno;

		pthread_mutex_destroy(&src->lock);
		free(src);
		errno = err;
		return NULL;
	}
	src->next = s->sources;
	s->sources = src;
	return src;
}

static int maps_stream_open(void *priv, const char *group, unsigned int sub, const char *name,
			    struct fs_stream *stream, void **reader)
{
	struct maps *s = priv;
	struct map_source *src;
	struct map_reader *r;
	struct mapio m;
	int err;

	if (strcmp(name, "events"))
		return FS_NOT_A_STREAM;
	err = open_map(group, &m);
	if (err)
		return err;
	if (!mapio_has_events(&m)) {
		mapio_close(&m);
		return -ENOENT;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		mapio_close(&m);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->stream = stream;
	pthread_mutex_lock(&s->lock);
	src = source_get(s, &m);
	err = src ? 0 : -errno;
	if (src) {
		r->src = src;
		pthread_mutex_lock(&src->lock);
		r->next = src->readers;
		src->readers = r;
		pthread_mutex_unlock(&src->lock);
	}
	pthread_mutex_unlock(&s->lock);
	mapio_close(&m);
	if (err) {
		pthread_mutex_destroy(&r->lock);
		free(r);
		return err;
	}
	*reader = r;
	return 0;
}

static ssize_t maps_stream_read(void *reader, char *buf, size_t size)
{
	struct map_reader *r = reader;
	size_t n = 0;

	pthread_mutex_lock(&r->lock);
	if (r->lost && !r->len) {
		n = (size_t)snprintf(buf, size, "lost %llu records (the reader was slow)\n",
				     r->lost);
		n = n < size ? n : size;
		r->lost = 0;
	} else if (r->len) {
		n = r->len < size ? r->len : size;
		memcpy(buf, r->q, n);
		memmove(r->q, r->q + n, r->len - n);
		r->len -= n;
	}
	pthread_mutex_unlock(&r->lock);
	return (ssize_t)n;
}

static bool maps_stream_ready(void *reader)
{
	struct map_reader *r = reader;
	bool ready;

	pthread_mutex_lock(&r->lock);
	ready = r->len || r->lost;
	pthread_mutex_unlock(&r->lock);
	return ready;
}

static void reader_free(struct map_reader *r)
{
	pthread_mutex_destroy(&r->lock);
	free(r->q);
	free(r);
}

static void source_stop(struct map_source *src)
{
	map_events__stop(src->ev);
	pthread_mutex_destroy(&src->lock);
	free(src);
}

/* The last reader of a map stops its thread. */
static void maps_stream_release(void *reader)
{
	struct map_reader *r = reader, **pp;
	struct map_source *src = r->src, **sp;
	struct maps *s = NULL;
	bool last;

	pthread_mutex_lock(&src->lock);
	for (pp = &src->readers; *pp && *pp != r; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = r->next;
	last = !src->readers;
	s = src->owner;
	pthread_mutex_unlock(&src->lock);
	reader_free(r);
	if (!last)
		return;
	pthread_mutex_lock(&s->lock);
	/* a reader may have come in between: only an idle source goes */
	pthread_mutex_lock(&src->lock);
	last = !src->readers;
	pthread_mutex_unlock(&src->lock);
	if (last)
		for (sp = &s->sources; *sp; sp = &(*sp)->next)
			if (*sp == src) {
				*sp = src->next;
				break;
			}
	pthread_mutex_unlock(&s->lock);
	if (last)
		source_stop(src);
}

static const struct fs_backend_ops maps_ops = {
	.list_groups = maps_list_groups,
	.group_exists = maps_group_exists,
	.list_entries = maps_list,
	.entry_exists = maps_exists,
	.may_create = maps_may_create,
	.commit = maps_commit,
	.unlink = maps_unlink,
	.report = maps_report,
	.stream_open = maps_stream_open,
	.stream_read = maps_stream_read,
	.stream_ready = maps_stream_ready,
	.stream_release = maps_stream_release,
};

int maps_domain_init(struct fs_domain *d, const struct plugfs_config *cfg,
		     const struct fs_domain *ifaces)
{
	struct maps *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->ifaces = ifaces;
	/* pins are looked for in the whole bpffs, as bpftool does */
	snprintf(s->bpffs_dir, sizeof(s->bpffs_dir), "/sys/fs/bpf");
	(void)cfg;
	*d = (struct fs_domain){
		.name = "maps",
		.shape = FS_SHAPE_GROUP,
		.ops = &maps_ops,
		.priv = s,
		.json = true,
	};
	return 0;
}

void maps_domain_fini(struct fs_domain *d)
{
	struct maps *s = d->priv;
	struct map_source *src;

	if (!s)
		return;
	/* open readers lose their records; the threads stop here */
	while ((src = s->sources)) {
		s->sources = src->next;
		map_events__stop(src->ev);
		src->ev = NULL;
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
	d->priv = NULL;
}

/* SPDX-License-Identifier: MIT */
/*
 * A host's status on the wire (encode, decode with every field checked)
 * and as the "key: value" text every report shows. See status.h.
 */
#include "status.h"

#include <plugfs/json.h>
#include <plugfs/log.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Record sizes of this version (what encode writes, what decode needs). */
#define HDR_SIZE	(4 + 2 + 2 + 4 + 4 + INJ_NAME_MAX + 4 + 4 + 4 + 4)
#define POINT_SIZE	(INJ_NAME_MAX + 4)
#define PLUGLET_V1_SIZE	(INJ_NAME_MAX + 4 + 4 + 4 + 8 + 4 + 4 + 8 + 8 + 8 + 4 + 160)
#define PLUGLET_V2_SIZE	(PLUGLET_V1_SIZE + 8 + 8 + 4 + 16)
#define PLUGLET_SIZE	(PLUGLET_V2_SIZE + 8 + 4 + 8 + 8 * INJ_STATUS_FAULT_KINDS)
/* Larger records than this are not a later version, they are garbage. */
#define MAX_RECORD	4096u

/* pluglet record flags */
#define PF_JIT		0x1u
#define PF_RUN_NS	0x2u
#define PF__ALL		(PF_JIT | PF_RUN_NS)

/* ---- encoding ---- */

static void put_le(struct strbuf *out, uint64_t v, unsigned int bytes)
{
	unsigned char b[8];

	for (unsigned int i = 0; i < bytes; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	strbuf__put(out, b, bytes);
}

/* A string field: its text, then zeros up to size (always NUL-terminated). */
static void put_str(struct strbuf *out, const char *s, size_t size)
{
	static const char zeros[256];
	size_t n = strnlen(s, size - 1);

	strbuf__put(out, s, n);
	for (size_t left = size - n; left; ) {
		size_t k = left < sizeof(zeros) ? left : sizeof(zeros);

		strbuf__put(out, zeros, k);
		left -= k;
	}
}

static void put_pluglet(struct strbuf *out, const struct inj_pluglet_status *p)
{
	put_str(out, p->plugin, sizeof(p->plugin));
	put_le(out, p->anchor, 4);
	put_le(out, p->seq, 4);
	put_le(out, (p->jit ? PF_JIT : 0) | (p->has_run_ns ? PF_RUN_NS : 0), 4);
	put_le(out, p->obj_size, 8);
	put_le(out, p->extra_mem, 4);
	put_le(out, p->shared_mem, 4);
	put_le(out, p->runs, 8);
	put_le(out, p->faults, 8);
	put_le(out, p->run_ns, 8);
	put_le(out, p->last_fault_kind, 4);
	put_str(out, p->last_fault, sizeof(p->last_fault));
	put_le(out, p->origin, 8);
	put_le(out, p->gen, 8);
	put_le(out, (uint32_t)p->sender_pid, 4);
	put_str(out, p->sender, sizeof(p->sender));
	put_le(out, p->timed_runs, 8);
	put_le(out, p->last_fault_insn, 4);
	put_le(out, p->last_fault_time_ns, 8);
	for (unsigned int k = 0; k < INJ_STATUS_FAULT_KINDS; k++)
		put_le(out, p->fault_kinds[k], 8);
}

int inj_host_status__encode(const struct inj_host_status *s, struct strbuf *out)
{
	if (s->nr_points > INJ_STATUS_MAX_POINTS || s->nr_pluglets > INJ_STATUS_MAX_PLUGLETS ||
	    (s->nr_points && !s->points) || (s->nr_pluglets && !s->pluglets))
		return -EINVAL;
	for (uint32_t i = 0; i < s->nr_pluglets; i++)
		if (s->pluglets[i].anchor >= PLUGLET_ANCHOR__MAX ||
		    s->pluglets[i].last_fault_kind > INJ_STATUS_MAX_FAULT_KIND)
			return -EINVAL;
	put_le(out, INJ_STATUS_MAGIC, 4);
	put_le(out, INJ_STATUS_VERSION, 2);
	put_le(out, HDR_SIZE, 2);
	put_le(out, POINT_SIZE, 4);
	put_le(out, PLUGLET_SIZE, 4);
	put_str(out, s->name, sizeof(s->name));
	put_le(out, (uint32_t)s->pid, 4);
	put_le(out, (uint32_t)s->msqid, 4);
	put_le(out, s->nr_points, 4);
	put_le(out, s->nr_pluglets, 4);
	for (uint32_t i = 0; i < s->nr_points; i++) {
		put_str(out, s->points[i].name, sizeof(s->points[i].name));
		put_le(out, s->points[i].id, 4);
	}
	for (uint32_t i = 0; i < s->nr_pluglets; i++)
		put_pluglet(out, &s->pluglets[i]);
	return out->err;
}

/* ---- decoding ---- */

/*
 * A cursor over one record. Callers checked that the record holds every
 * field they read (sizes against the length first); the cursor still
 * never reads past its end.
 */
struct rd {
	const unsigned char *p;
	size_t left;
};

static uint64_t get_le(struct rd *r, unsigned int bytes)
{
	uint64_t v = 0;

	if (bytes > r->left)
		bytes = (unsigned int)r->left;
	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += bytes;
	r->left -= bytes;
	return v;
}

/* A name field: NUL-terminated, non-empty when required, no control characters. */
static int get_str(struct rd *r, char *dst, size_t size, bool name)
{
	size_t n;

	if (size > r->left)
		return -1;
	n = strnlen((const char *)r->p, size);
	if (n == size || (name && !n))
		return -1;
	for (size_t i = 0; name && i < n; i++)
		if (r->p[i] < ' ' || r->p[i] == 0x7f)
			return -1;
	memcpy(dst, r->p, n + 1);
	r->p += size;
	r->left -= size;
	return 0;
}

#define BAD(...) do { snprintf(err, err_size, __VA_ARGS__); return -EPROTO; } while (0)

static int get_pluglet(struct rd *r, struct inj_pluglet_status *p, uint32_t i, char *err,
		       size_t err_size)
{
	uint32_t flags;

	if (get_str(r, p->plugin, sizeof(p->plugin), true))
		BAD("pluglet %u: bad plugin name", i);
	p->anchor = (uint32_t)get_le(r, 4);
	p->seq = (uint32_t)get_le(r, 4);
	flags = (uint32_t)get_le(r, 4);
	p->obj_size = get_le(r, 8);
	p->extra_mem = (uint32_t)get_le(r, 4);
	p->shared_mem = (uint32_t)get_le(r, 4);
	p->runs = get_le(r, 8);
	p->faults = get_le(r, 8);
	p->run_ns = get_le(r, 8);
	p->last_fault_kind = (uint32_t)get_le(r, 4);
	if (get_str(r, p->last_fault, sizeof(p->last_fault), false))
		BAD("pluglet %u: unterminated fault text", i);
	if (r->left >= PLUGLET_V2_SIZE - PLUGLET_V1_SIZE) {
		p->origin = get_le(r, 8);
		p->gen = get_le(r, 8);
		p->sender_pid = (int32_t)get_le(r, 4);
		if (get_str(r, p->sender, sizeof(p->sender), false))
			BAD("pluglet %u: unterminated sender name", i);
	}
	if (r->left >= PLUGLET_SIZE - PLUGLET_V2_SIZE) {
		p->timed_runs = get_le(r, 8);
		p->last_fault_insn = (uint32_t)get_le(r, 4);
		p->last_fault_time_ns = get_le(r, 8);
		for (unsigned int k = 0; k < INJ_STATUS_FAULT_KINDS; k++)
			p->fault_kinds[k] = get_le(r, 8);
	}
	if (p->anchor >= PLUGLET_ANCHOR__MAX)
		BAD("pluglet %u: unknown anchor %u", i, p->anchor);
	if (flags & ~PF__ALL)
		BAD("pluglet %u: unknown flags 0x%x", i, flags & ~PF__ALL);
	if (p->last_fault_kind > INJ_STATUS_MAX_FAULT_KIND)
		BAD("pluglet %u: bad fault kind %u", i, p->last_fault_kind);
	p->jit = flags & PF_JIT;
	p->has_run_ns = flags & PF_RUN_NS;
	return 0;
}

struct layout {
	size_t hdr, point, pluglet;
};

/* The fixed part: magic, version, record sizes, counts against the length. */
static int get_header(struct rd *r, size_t len, struct inj_host_status *s, struct layout *l,
		      char *err, size_t err_size)
{
	uint32_t magic, version;

	if (len < HDR_SIZE)
		BAD("short status (%zu bytes, the header is %u)", len, (unsigned int)HDR_SIZE);
	magic = (uint32_t)get_le(r, 4);
	version = (uint32_t)get_le(r, 2);
	l->hdr = (size_t)get_le(r, 2);
	l->point = (size_t)get_le(r, 4);
	l->pluglet = (size_t)get_le(r, 4);
	if (magic != INJ_STATUS_MAGIC)
		BAD("bad status magic 0x%08x", magic);
	if (version != INJ_STATUS_VERSION)
		BAD("unsupported status version %u (this side reads %u)", version, INJ_STATUS_VERSION);
	if (l->hdr < HDR_SIZE || l->point < POINT_SIZE || l->point > MAX_RECORD ||
	    l->pluglet < PLUGLET_V1_SIZE || l->pluglet > MAX_RECORD)
		BAD("bad record sizes %zu/%zu/%zu", l->hdr, l->point, l->pluglet);
	if (get_str(r, s->name, sizeof(s->name), true))
		BAD("bad host name");
	s->pid = (int32_t)get_le(r, 4);
	s->msqid = (int32_t)get_le(r, 4);
	s->nr_points = (uint32_t)get_le(r, 4);
	s->nr_pluglets = (uint32_t)get_le(r, 4);
	if (s->pid <= 0 || s->msqid < -1)
		BAD("bad pid %d or queue id %d", s->pid, s->msqid);
	if (s->nr_points > INJ_STATUS_MAX_POINTS || s->nr_pluglets > INJ_STATUS_MAX_PLUGLETS)
		BAD("too many records (%u points, %u pluglets)", s->nr_points, s->nr_pluglets);
	if ((uint64_t)l->hdr + (uint64_t)s->nr_points * l->point +
		    (uint64_t)s->nr_pluglets * l->pluglet != len)
		BAD("status of %zu bytes does not hold %u points and %u pluglets", len,
		    s->nr_points, s->nr_pluglets);
	return 0;
}

static int decode(const unsigned char *buf, size_t len, struct inj_host_status *s, char *err,
		  size_t err_size)
{
	struct rd r = { buf, len };
	struct layout l;
	size_t off;
	int rc;

	rc = get_header(&r, len, s, &l, err, err_size);
	if (rc)
		return rc;
	s->points = s->nr_points ? calloc(s->nr_points, sizeof(*s->points)) : NULL;
	s->pluglets = s->nr_pluglets ? calloc(s->nr_pluglets, sizeof(*s->pluglets)) : NULL;
	if ((s->nr_points && !s->points) || (s->nr_pluglets && !s->pluglets)) {
		snprintf(err, err_size, "no memory for the status");
		return -ENOMEM;
	}
	off = l.hdr;
	for (uint32_t i = 0; i < s->nr_points; i++, off += l.point) {
		r = (struct rd){ buf + off, l.point };
		if (get_str(&r, s->points[i].name, sizeof(s->points[i].name), true))
			BAD("point %u: bad name", i);
		s->points[i].id = (uint32_t)get_le(&r, 4);
	}
	for (uint32_t i = 0; i < s->nr_pluglets; i++, off += l.pluglet) {
		r = (struct rd){ buf + off, l.pluglet };
		rc = get_pluglet(&r, &s->pluglets[i], i, err, err_size);
		if (rc)
			return rc;
	}
	return 0;
}

#undef BAD

int inj_host_status__decode(const void *buf, size_t len, struct inj_host_status *s, char *err,
			    size_t err_size)
{
	char dummy[1];
	int rc;

	if (!err || !err_size) {
		err = dummy;
		err_size = sizeof(dummy);
	}
	memset(s, 0, sizeof(*s));
	if (!buf && len)
		len = 0;
	rc = decode(buf, len, s, err, err_size);
	if (rc)
		inj_host_status__fini(s);
	return rc;
}

void inj_host_status__fini(struct inj_host_status *s)
{
	if (!s)
		return;
	free(s->points);
	free(s->pluglets);
	memset(s, 0, sizeof(*s));
}

/* ---- text ---- */

/* One line of a pluglet's block, after the indent. */
static void line(struct strbuf *out, const char *indent, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void line(struct strbuf *out, const char *indent, const char *fmt, ...)
{
	va_list ap;

	strbuf__puts(out, indent);
	va_start(ap, fmt);
	strbuf__vprintf(out, fmt, ap);
	va_end(ap);
}

/* Where and when the last fault happened, and the faults of each kind. */
static void format_faults(const struct inj_pluglet_status *p, const char *in, struct strbuf *out)
{
	char when[64] = "";
	unsigned int any = 0;

	if (p->last_fault_time_ns) {
		time_t t = (time_t)(p->last_fault_time_ns / 1000000000ull);
		struct tm tm;

		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		line(out, in, "Last Fault Insn: %u\n", p->last_fault_insn);
		line(out, in, "Last Fault Time: %s\n", when[0] ? when : "?");
	}
	for (unsigned int k = 0; k < INJ_STATUS_FAULT_KINDS; k++) {
		if (!p->fault_kinds[k])
			continue;
		/* the line once, at the first kind (a host older than the
		 * counts per kind sends none: no line) */
		if (!any++)
			line(out, in, "Faults By Kind:");
		strbuf__printf(out, " %s=%llu", pluglet_fault_kind_name(k),
			       (unsigned long long)p->fault_kinds[k]);
	}
	if (any)
		strbuf__puts(out, "\n");
}

int inj_pluglet_origin__format(const struct inj_pluglet_status *p, const char *indent,
			       struct strbuf *out)
{
	const char *in = indent ? indent : "";

	if (p->origin)
		line(out, in, "Origin: plugfs %016llx generation %llu\n",
		     (unsigned long long)p->origin, (unsigned long long)p->gen);
	else if (p->sender_pid > 0)	/* nothing when the host does not say */
		line(out, in, "Origin: %s (pid %d)\n", p->sender[0] ? p->sender : "?",
		     (int)p->sender_pid);
	return out->err;
}

int inj_pluglet_status__format(const struct inj_pluglet_status *p, const char *indent,
			       struct strbuf *out)
{
	const char *in = indent ? indent : "";

	line(out, in, "Mode: %s\n", p->jit ? "jit" : "interpreter");
	line(out, in, "Object Size (bytes): %llu\n", (unsigned long long)p->obj_size);
	line(out, in, "Extra Memory (bytes): %u\n", p->extra_mem);
	line(out, in, "Shared Memory (bytes): %u\n", p->shared_mem);
	line(out, in, "Runs: %llu\n", (unsigned long long)p->runs);
	line(out, in, "Faults: %llu\n", (unsigned long long)p->faults);
	line(out, in, "Last Fault: %s\n", p->last_fault[0] ? p->last_fault : "None");
	if (p->faults)
		format_faults(p, in, out);
	if (p->has_run_ns) {
		line(out, in, "Run Time (ns): %llu\n", (unsigned long long)p->run_ns);
		line(out, in, "Timed Runs: %llu\n", (unsigned long long)p->timed_runs);
		line(out, in, "Mean Run Time (ns): %llu\n", (unsigned long long)
		     (p->timed_runs ? p->run_ns / p->timed_runs : 0));
	}
	inj_pluglet_origin__format(p, in, out);
	return out->err;
}

int inj_host_status__format(const struct inj_host_status *s, struct strbuf *out)
{
	strbuf__printf(out, "Name: %s\nPID: %d\nMsqid: %d\nPoints:", s->name, (int)s->pid,
		       (int)s->msqid);
	for (uint32_t i = 0; i < s->nr_points; i++)
		strbuf__printf(out, " %s=%u", s->points[i].name, s->points[i].id);
	strbuf__puts(out, "\n");
	for (uint32_t i = 0; i < s->nr_pluglets; i++) {
		const struct inj_pluglet_status *p = &s->pluglets[i];

		strbuf__printf(out, "\nPlugin: %s\nAnchor: %s\nSeq: %u\n", p->plugin,
			       pluglet_anchor_str((enum pluglet_anchor)p->anchor), p->seq);
		inj_pluglet_status__format(p, "", out);
	}
	return out->err;
}

/* ---- JSON ---- */

static void json_last_fault(const struct inj_pluglet_status *p, struct jsonw *w)
{
	if (!p->faults) {
		jsonw__null(w, "last_fault");
		return;
	}
	jsonw__begin_object(w, "last_fault");
	jsonw__string(w, "kind", pluglet_fault_kind_name(p->last_fault_kind));
	jsonw__string(w, "message", p->last_fault);
	if (p->last_fault_time_ns) {
		jsonw__u64(w, "insn", p->last_fault_insn);
		jsonw__u64(w, "time_ns", p->last_fault_time_ns);
	} else {
		jsonw__null(w, "insn");
		jsonw__null(w, "time_ns");
	}
	jsonw__end(w);
}

static void json_origin(const struct inj_pluglet_status *p, struct jsonw *w)
{
	char hex[17];

	jsonw__begin_object(w, "origin");
	if (p->origin) {
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)p->origin);
		jsonw__string(w, "plugfs", hex);
		jsonw__u64(w, "generation", p->gen);
	} else {
		jsonw__null(w, "plugfs");
		jsonw__null(w, "generation");
	}
	if (p->sender_pid > 0) {
		jsonw__string(w, "sender", p->sender[0] ? p->sender : NULL);
		jsonw__i64(w, "sender_pid", p->sender_pid);
	} else {
		jsonw__null(w, "sender");
		jsonw__null(w, "sender_pid");
	}
	jsonw__end(w);
}

void inj_pluglet_status__json(const struct inj_pluglet_status *p, struct jsonw *w)
{
	jsonw__string(w, "mode", p->jit ? "jit" : "interpreter");
	jsonw__u64(w, "object_size", p->obj_size);
	jsonw__u64(w, "extra_memory", p->extra_mem);
	jsonw__u64(w, "shared_memory", p->shared_mem);
	jsonw__u64(w, "runs", p->runs);
	jsonw__u64(w, "faults", p->faults);
	jsonw__begin_object(w, "faults_by_kind");
	for (unsigned int k = 1; k < PLUGLET_FAULT_ABORTED; k++)
		jsonw__u64(w, pluglet_fault_kind_name(k), p->fault_kinds[k]);
	jsonw__end(w);
	json_last_fault(p, w);
	if (p->has_run_ns) {
		jsonw__u64(w, "run_time_ns", p->run_ns);
		jsonw__u64(w, "timed_runs", p->timed_runs);
		jsonw__u64(w, "mean_run_time_ns", p->timed_runs ? p->run_ns / p->timed_runs : 0);
	} else {
		jsonw__null(w, "run_time_ns");
		jsonw__null(w, "timed_runs");
		jsonw__null(w, "mean_run_time_ns");
	}
	json_origin(p, w);
}

/* ---- client ---- */

int inj_client__status(struct inj_client *c, struct inj_host_status *out, int timeout_ms)
{
	struct inj_request req = { .sz = sizeof(req), .action = INJ_ACT_HOST_STATUS };
	struct inj_reply rep;
	char why[160];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = inj_client__request(c, &req, NULL, 0, &rep, timeout_ms);
	if (!rc) {
		rc = inj_host_status__decode(rep.text, rep.text_len, out, why, sizeof(why));
		if (rc)
			pr_debug("injector: bad status answer: %s", why);
	}
	inj_reply__fini(&rep);
	return rc;
}

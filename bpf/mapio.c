/* SPDX-License-Identifier: MIT */
/*
 * Map entries as text and map event streams (mapio.h): the codec of key
 * names and values, the syscalls on one entry, the BTF-formatted dump, and
 * the reader thread of a ring buffer or perf event array.
 */
#include "mapio.h"

#include <plugfs/hex.h>
#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAP_TYPE_USER_RINGBUF 31
#define MAX_KEY_SIZE 512
#define KERNEL_ENOTSUPP 524	/* the kernel's "operation not supported" */

static bool is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static bool is_fd_array(uint32_t type)
{
	return type == BPF_MAP_TYPE_PROG_ARRAY || type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	       type == BPF_MAP_TYPE_CGROUP_ARRAY;
}

int mapio_open(uint32_t id, struct mapio *m)
{
	LIBBPF_OPTS(bpf_get_fd_by_id_opts, ro, .open_flags = BPF_F_RDONLY);
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int ncpus;

	memset(m, 0, sizeof(*m));
	m->fd = bpf_map_get_fd_by_id(id);
	if (m->fd < 0 && errno == EPERM) {
		/* created read-only for syscalls: reads are still allowed */
		m->fd = bpf_map_get_fd_by_id_opts(id, &ro);
		m->read_only = true;
	}
	if (m->fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(m->fd, &info, &len)) {
		int err = -errno;

		mapio_close(m);
		return err;
	}
	m->id = id;
	m->type = info.type;
	m->key_size = info.key_size;
	m->value_size = info.value_size;
	m->max_entries = info.max_entries;
	m->flags = info.map_flags;
	m->btf_id = info.btf_id;
	m->btf_key_type_id = info.btf_key_type_id;
	m->btf_value_type_id = info.btf_value_type_id;
	memcpy(m->name, info.name, sizeof(m->name) - 1);
	if (is_percpu(m->type)) {
		ncpus = libbpf_num_possible_cpus();
		if (ncpus <= 0) {
			mapio_close(m);
			return ncpus ? ncpus : -EINVAL;
		}
		m->ncpus = ncpus;
	}
	return 0;
}

void mapio_close(struct mapio *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

bool mapio_has_events(const struct mapio *m)
{
	return m->type == BPF_MAP_TYPE_RINGBUF || m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
}

bool mapio_has_keys(const struct mapio *m)
{
	switch (m->type) {
	case BPF_MAP_TYPE_RINGBUF:
	case MAP_TYPE_USER_RINGBUF:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
	case BPF_MAP_TYPE_BLOOM_FILTER:
		return false;
	default:
		return m->key_size > 0 && m->key_size <= MAX_KEY_SIZE;
	}
}

/* ---- codec ---- */

int mapio_key_parse(const char *name, void *key, size_t key_size)
{
	unsigned char *k = key;
	size_t i;

	if (strlen(name) != 2 * key_size)
		return -EINVAL;
	for (i = 0; i < key_size; i++) {
		char pair[3] = { name[2 * i], name[2 * i + 1], 0 };

		if (!isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1]))
			return -EINVAL;
		k[i] = (unsigned char)strtoul(pair, NULL, 16);
	}
	return 0;
}

void mapio_key_name(const void *key, size_t key_size, char *name)
{
	plugfs_hex_encode(key, key_size, name);
}

size_t mapio_value_buf_size(size_t value_size, unsigned int ncpus)
{
	return ncpus ? ((value_size + 7) & ~(size_t)7) * ncpus : value_size;
}

int mapio_value_format(const void *val, size_t value_size, unsigned int ncpus, struct strbuf *out)
{
	size_t stride = (value_size + 7) & ~(size_t)7;
	char *hex = malloc(2 * value_size + 1);
	unsigned int c;

	if (!hex)
		return -ENOMEM;
	if (!ncpus) {
		plugfs_hex_encode(val, value_size, hex);
		strbuf__printf(out, "%s\n", hex);
	}
	for (c = 0; c < ncpus; c++) {
		plugfs_hex_encode((const char *)val + c * stride, value_size, hex);
		strbuf__printf(out, "cpu%u: %s\n", c, hex);
	}
	free(hex);
	return 0;
}

/* One hex value of exactly `size` bytes from [p, p + n). */
static int parse_one(const char *p, size_t n, size_t size, void *out)
{
	char *s, *e;
	ssize_t got;

	while (n && isspace((unsigned char)*p))
		p++, n--;
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	if (!n || memchr(p, '\0', n))
		return -EINVAL;
	s = strndup(p, n);
	if (!s)
		return -ENOMEM;
	e = s;
	got = plugfs_hex_decode(e, out, size);
	free(s);
	return got == (ssize_t)size ? 0 : -EINVAL;
}

/* "cpuN: <hex>" lines, one for each CPU, in any order. */
static int parse_percpu_lines(const char *text, size_t len, size_t value_size, unsigned int ncpus,
			      void *out)
{
	size_t stride = (value_size + 7) & ~(size_t)7;
	const char *p = text, *end = text + len, *nl, *colon;
	unsigned char seen[1024] = { 0 };
	unsigned int c, n = 0;
	char *num_end;
	int err;

	if (ncpus > sizeof(seen))
		return -EINVAL;
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		while (p < nl && isspace((unsigned char)*p))
			p++;
		if (p == nl) {
			p = nl + 1;
			continue;
		}
		colon = memchr(p, ':', nl - p);
		if (!colon || nl - p < 4 || strncmp(p, "cpu", 3) || !isdigit((unsigned char)p[3]))
			return -EINVAL;
		c = (unsigned int)strtoul(p + 3, &num_end, 10);
		if (num_end != colon || c >= ncpus || seen[c])
			return -EINVAL;
		err = parse_one(colon + 1, nl - colon - 1, value_size, (char *)out + c * stride);
		if (err)
			return err;
		seen[c] = 1;
		n++;
		p = nl + 1;
	}
	return n == ncpus ? 0 : -EINVAL;
}

int mapio_value_parse(const char *text, size_t len, size_t value_size, unsigned int ncpus,
		      void *out)
{
	size_t stride = (value_size + 7) & ~(size_t)7;
	unsigned int c;
	int err;

	if (!ncpus)
		return parse_one(text, len, value_size, out);
	if (memmem(text, len, "cpu", 3))
		return parse_percpu_lines(text, len, value_size, ncpus, out);
	memset(out, 0, stride * ncpus);
	err = parse_one(text, len, value_size, out);
	for (c = 1; !err && c < ncpus; c++)
		memcpy((char *)out + c * stride, out, value_size);
	return err;
}

/* ---- entries ---- */

int mapio_keys(const struct mapio *m, mapio_key_cb cb, void *arg)
{
	unsigned char key[MAX_KEY_SIZE], next[MAX_KEY_SIZE];
	char name[2 * MAX_KEY_SIZE + 1];
	uint64_t val[2];		/* an fd array's value: an id */
	bool first = true;
	int ret;

	if (!mapio_has_keys(m))
		return 0;
	for (;;) {
		if (bpf_map_get_next_key(m->fd, first ? NULL : key, next))
			return errno == ENOENT ? 0 : -errno;
		first = false;
		memcpy(key, next, m->key_size);
		/* arrays of fds name every index: only the filled ones are entries */
		if (is_fd_array(m->type) && bpf_map_lookup_elem(m->fd, key, val))
			continue;
		mapio_key_name(key, m->key_size, name);
		ret = cb(name, arg);
		if (ret)
			return ret < 0 ? ret : 0;
	}
}

static int lookup_raw(const struct mapio *m, const char *name, void **val)
{
	unsigned char key[MAX_KEY_SIZE];
	int err;

	if (!mapio_has_keys(m) || mapio_key_parse(name, key, m->key_size))
		return -ENOENT;
	*val = calloc(1, mapio_value_buf_size(m->value_size, m->ncpus));
	if (!*val)
		return -ENOMEM;
	if (!bpf_map_lookup_elem(m->fd, key, *val))
		return 0;
	err = -errno;
	free(*val);
	*val = NULL;
	return err;
}

int mapio_exists(const struct mapio *m, const char *name)
{
	void *val = NULL;
	int err = lookup_raw(m, name, &val);

	free(val);
	/* a map whose values cannot be read (prog arrays): a key that
	 * iteration names still exists */
	return err == -EOPNOTSUPP || err == -KERNEL_ENOTSUPP ? 0 : err;
}

int mapio_lookup(const struct mapio *m, const char *name, struct strbuf *out)
{
	void *val = NULL;
	int err = lookup_raw(m, name, &val);

	if (!err)
		err = mapio_value_format(val, m->value_size, m->ncpus, out);
	free(val);
	return err;
}

int mapio_update(const struct mapio *m, const char *name, const char *text, size_t len,
		 bool create)
{
	unsigned char key[MAX_KEY_SIZE];
	void *val;
	int err;

	if (!mapio_has_keys(m)) {
		pr_warn("map %u (%s): entries cannot be written, it has no keys", m->id, m->name);
		return -EINVAL;
	}
	if (mapio_key_parse(name, key, m->key_size)) {
		pr_warn("map %u (%s): '%s' is not a key name: %u bytes as %u hex digits", m->id,
			m->name, name, m->key_size, 2 * m->key_size);
		return -EINVAL;
	}
	val = calloc(1, mapio_value_buf_size(m->value_size, m->ncpus));
	if (!val)
		return -ENOMEM;
	err = mapio_value_parse(text, len, m->value_size, m->ncpus, val);
	if (err) {
		pr_warn("map %u (%s) key %s: the value is not %u bytes of hex%s", m->id, m->name,
			name, m->value_size, m->ncpus ? " (or one 'cpuN: <hex>' line per CPU)" : "");
	} else if (m->read_only) {
		pr_warn("map %u (%s): read-only for programs outside the kernel", m->id, m->name);
		err = -EPERM;
	} else if (bpf_map_update_elem(m->fd, key, val, create ? BPF_NOEXIST : BPF_ANY)) {
		err = -errno;
		pr_warn("map %u (%s) key %s: update failed: %s", m->id, m->name, name,
			strerror(-err));
	}
	free(val);
	return err;
}

int mapio_delete(const struct mapio *m, const char *name)
{
	unsigned char key[MAX_KEY_SIZE];

	if (!mapio_has_keys(m) || mapio_key_parse(name, key, m->key_size))
		return -ENOENT;
	if (m->read_only)
		return -EPERM;
	if (bpf_map_delete_elem(m->fd, key)) {
		int err = -errno;

		pr_warn("map %u (%s) key %s: delete failed: %s", m->id, m->name, name,
			strerror(-err));
		return err;
	}
	return 0;
}

/* ---- dump ---- */

static void btf_printf(void *ctx, const char *fmt, va_list ap)
{
	strbuf__vprintf(ctx, fmt, ap);
}

/* One key or value: in its BTF type when there is one, else hex. */
static void put_datum(struct btf_dump *d, uint32_t type_id, const void *data, size_t size,
		      struct strbuf *out)
{
	LIBBPF_OPTS(btf_dump_type_data_opts, o, .compact = true, .emit_zeroes = true);
	char *hex;

	if (d && type_id && btf_dump__dump_type_data(d, type_id, data, size, &o) >= 0)
		return;
	hex = malloc(2 * size + 1);
	if (!hex)
		return;
	plugfs_hex_encode(data, size, hex);
	strbuf__puts(out, hex);
	free(hex);
}

static void dump_entry(const struct mapio *m, struct btf_dump *d, const void *key,
		       const void *val, struct strbuf *out)
{
	size_t stride = (m->value_size + 7) & ~(size_t)7;
	char name[2 * MAX_KEY_SIZE + 1];
	unsigned int c;

	mapio_key_name(key, m->key_size, name);
	strbuf__printf(out, "%s: key = ", name);
	put_datum(d, m->btf_key_type_id, key, m->key_size, out);
	if (!m->ncpus) {
		strbuf__puts(out, ", value = ");
		put_datum(d, m->btf_value_type_id, val, m->value_size, out);
		strbuf__puts(out, "\n");
		return;
	}
	strbuf__puts(out, "\n");
	for (c = 0; c < m->ncpus; c++) {
		strbuf__printf(out, "  cpu%u: ", c);
		put_datum(d, m->btf_value_type_id, (const char *)val + c * stride, m->value_size,
			  out);
		strbuf__puts(out, "\n");
	}
}

int mapio_dump_fd(const struct mapio *m, int fd, struct strbuf *out)
{
	unsigned char key[MAX_KEY_SIZE], next[MAX_KEY_SIZE];
	struct btf *btf = NULL;
	struct btf_dump *d = NULL;
	bool first = true;
	void *val;
	int err = 0;

	if (!mapio_has_keys(m))
		return 0;
	val = calloc(1, mapio_value_buf_size(m->value_size, m->ncpus));
	if (!val)
		return -ENOMEM;
	if (m->btf_id && (m->btf_key_type_id || m->btf_value_type_id)) {
		btf = btf__load_from_kernel_by_id(m->btf_id);
		d = btf ? btf_dump__new(btf, btf_printf, out, NULL) : NULL;
	}
	while (!bpf_map_get_next_key(fd, first ? NULL : key, next)) {
		first = false;
		memcpy(key, next, m->key_size);
		if (bpf_map_lookup_elem(fd, key, val)) {
			if (errno == ENOENT)
				continue;	/* deleted since the key was read */
			err = -errno;
			break;
		}
		dump_entry(m, d, key, val, out);
	}
	if (!err && errno != ENOENT && !first)
		err = -errno;
	btf_dump__free(d);
	btf__free(btf);
	free(val);
	return err;
}

int mapio_dump(const struct mapio *m, struct strbuf *out)
{
	return mapio_dump_fd(m, m->fd, out);
}

/* ---- events ---- */

struct map_events {
	pthread_t tid;
	bool stop;			/* atomic */
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	map_event_cb cb;
	void *arg;
	uint32_t id;
	/* held while reading: a perf event array drops the perf buffers put
	 * in it through a map file when that file is closed */
	int map_fd;
};

static void emit_record(struct map_events *ev, int cpu, const void *data, size_t size)
{
	struct strbuf sb = STRBUF_INIT;
	char *hex = malloc(2 * size + 1), *line;
	size_t len;

	if (!hex)
		return;
	plugfs_hex_encode(data, size, hex);
	if (cpu >= 0)
		strbuf__printf(&sb, "cpu%d: %s\n", cpu, hex);
	else
		strbuf__printf(&sb, "%s\n", hex);
	free(hex);
	line = strbuf__detach(&sb, &len);
	if (line)
		ev->cb(ev->arg, line, len);
	free(line);
}

static int ring_sample(void *ctx, void *data, size_t size)
{
	emit_record(ctx, -1, data, size);
	return 0;
}

static void perf_sample(void *ctx, int cpu, void *data, __u32 size)
{
	emit_record(ctx, cpu, data, size);
}

static void perf_lost(void *ctx, int cpu, __u64 cnt)
{
	struct map_events *ev = ctx;
	char line[64];
	int n = plugfs_snprintf(line, sizeof(line), "lost %llu records on cpu%d\n",
				(unsigned long long)cnt, cpu);

	if (n > 0)
		ev->cb(ev->arg, line, (size_t)n);
}

static void *events_main(void *arg)
{
	struct map_events *ev = arg;
	int n;

	while (!__atomic_load_n(&ev->stop, __ATOMIC_ACQUIRE)) {
		n = ev->rb ? ring_buffer__poll(ev->rb, 200) : perf_buffer__poll(ev->pb, 200);
		if (n < 0 && n != -EINTR) {
			pr_warn("map %u: reading events failed: %s", ev->id, strerror(-n));
			break;
		}
	}
	return NULL;
}

struct map_events *map_events__start(const struct mapio *m, map_event_cb cb, void *arg)
{
	struct map_events *ev = calloc(1, sizeof(*ev));
	int err;

	if (!ev)
		return NULL;
	ev->cb = cb;
	ev->arg = arg;
	ev->id = m->id;
	ev->map_fd = fcntl(m->fd, F_DUPFD_CLOEXEC, 0);
	if (ev->map_fd < 0)
		;
	else if (m->type == BPF_MAP_TYPE_RINGBUF)
		ev->rb = ring_buffer__new(ev->map_fd, ring_sample, ev, NULL);
	else if (m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		ev->pb = perf_buffer__new(ev->map_fd, 8, perf_sample, perf_lost, ev, NULL);
	else
		errno = EINVAL;
	err = ev->rb || ev->pb ? 0 : -errno;
	if (!err)
		err = -pthread_create(&ev->tid, NULL, events_main, ev);
	if (err) {
		pr_warn("map %u (%s): cannot read its events: %s", m->id, m->name, strerror(-err));
		ring_buffer__free(ev->rb);
		perf_buffer__free(ev->pb);
		if (ev->map_fd >= 0)
			close(ev->map_fd);
		free(ev);
		errno = -err;
		return NULL;
	}
	return ev;
}

void map_events__stop(struct map_events *ev)
{
	if (!ev)
		return;
	__atomic_store_n(&ev->stop, true, __ATOMIC_RELEASE);
	pthread_join(ev->tid, NULL);
	ring_buffer__free(ev->rb);
	perf_buffer__free(ev->pb);
	close(ev->map_fd);
	free(ev);
}

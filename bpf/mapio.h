/* SPDX-License-Identifier: MIT */
/*
 * Entries of any kernel map by id, as text (bpf/mapio.c): lookup, update,
 * insert, delete and key iteration with keys named by their bytes in hex,
 * values read and written in hex (per-CPU maps: one "cpuN: <hex>" line per
 * possible CPU), a whole-map dump formatted with the map's BTF where it has
 * one, and the records of ring buffers and perf event arrays as they come.
 *
 * Key names: the key's bytes in memory order as lower-case hex, two digits
 * a byte, nothing else ("01000000" is the __u32 key 1 on a little-endian
 * machine). A name is exactly 2 * key_size hex digits; upper case is read
 * too. Values: plugfs_hex_decode's forms ("0x" first, spaces or ':'
 * between bytes allowed), exactly value_size bytes.
 */
#ifndef PLUGFS_BPF_MAPIO_H
#define PLUGFS_BPF_MAPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

/* A map opened by id: its fd and shape. */
struct mapio {
	int fd;
	uint32_t id;
	uint32_t type;			/* enum bpf_map_type */
	uint32_t key_size, value_size, max_entries, flags;
	uint32_t btf_id, btf_key_type_id, btf_value_type_id;
	unsigned int ncpus;		/* per-CPU maps: possible CPUs; else 0 */
	bool read_only;			/* opened read-only (BPF_F_RDONLY maps) */
	char name[16];
};

/* Opens a map by id, read-write, or read-only when the map allows no more.
 * 0, -ENOENT, -errno. */
int mapio_open(uint32_t id, struct mapio *m);
void mapio_close(struct mapio *m);
/* Does the map have keys one can name (not a ring buffer, not a perf event
 * array, not a stack or queue)? */
bool mapio_has_keys(const struct mapio *m);
/* Is it a ring buffer or perf event array (an `events` stream)? */
bool mapio_has_events(const struct mapio *m);

/* Key names: 0 or -EINVAL (wrong length, a non-hex digit). */
int mapio_key_parse(const char *name, void *key, size_t key_size);
void mapio_key_name(const void *key, size_t key_size, char *name);	/* 2 * size + 1 */

/* Calls cb for each key name in the kernel's order; stops at non-zero. */
typedef int (*mapio_key_cb)(const char *name, void *arg);
int mapio_keys(const struct mapio *m, mapio_key_cb cb, void *arg);
/* 0 when the key exists, -ENOENT (or -EINVAL: not a key name). */
int mapio_exists(const struct mapio *m, const char *name);
/* The value text of a key (ends with '\n'). */
int mapio_lookup(const struct mapio *m, const char *name, struct strbuf *out);
/* Writes a value text: -EINVAL (bad name or value: nothing written),
 * -EEXIST (create and the key exists), -EPERM (read-only map), -errno. */
int mapio_update(const struct mapio *m, const char *name, const char *text, size_t len,
		 bool create);
int mapio_delete(const struct mapio *m, const char *name);

/*
 * The whole map in one text: an entry per key, "<key name>: " then the key
 * and value in the map's BTF types where it has them (as bpftool map dump
 * prints them), hex otherwise; per-CPU values a line per CPU. A caller
 * that holds another fd of the same shape (a swap copy) dumps it with
 * mapio_dump_fd.
 */
int mapio_dump(const struct mapio *m, struct strbuf *out);
int mapio_dump_fd(const struct mapio *shape, int fd, struct strbuf *out);

/* ---- pure helpers (unit tested) ---- */
/* The value text of raw bytes: hex and '\n', per CPU "cpuN: <hex>\n". The
 * per-CPU layout is the syscall's: each CPU's value at a multiple of 8. */
int mapio_value_format(const void *val, size_t value_size, unsigned int ncpus, struct strbuf *out);
/* Parses a value text into out (value_size bytes, per CPU the syscall's
 * layout). Per-CPU text: one hex value for every CPU, or exactly one
 * "cpuN: <hex>" line per CPU. 0 or -EINVAL. */
int mapio_value_parse(const char *text, size_t len, size_t value_size, unsigned int ncpus,
		      void *out);
/* Bytes of a per-CPU value buffer for the syscalls (or value_size). */
size_t mapio_value_buf_size(size_t value_size, unsigned int ncpus);

/*
 * Records of a ring buffer or perf event array, one line each: the record
 * in hex (a perf event array: "cpuN: <hex>", and "lost N records on cpuM"
 * lines). The map is read by a thread of its own until map_events__stop.
 * Reading a ring buffer consumes its records: another reader of the same
 * ring (the program's own tool) sees only what plugfs leaves. A perf event
 * array gets plugfs's perf buffers on every CPU (as bpftool map event_pipe
 * does), replacing those another tool had put there.
 */
typedef void (*map_event_cb)(void *arg, const char *line, size_t len);
struct map_events;
struct map_events *map_events__start(const struct mapio *m, map_event_cb cb, void *arg);
void map_events__stop(struct map_events *ev);

#endif

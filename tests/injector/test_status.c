/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the structured host status (injector/status.c): encode and
 * decode round trip, records from a later version, truncated and hostile
 * buffers refused, and the text formatter against the report text hosts
 * printed before the status had fields.
 * Run: meson test -C build --suite unit test_status
 */
#include "status.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct inj_point_status points[] = { { "find_idx", 1 }, { "other", 7 } };
static struct inj_pluglet_status pluglets[] = {
	{ .plugin = "find_idx", .anchor = PLUGLET_ANCHOR_PRE, .seq = 10, .jit = true,
	  .obj_size = 1234, .extra_mem = 4096, .shared_mem = 1024, .runs = 99,
	  .faults = 0, .has_run_ns = true, .run_ns = 123456789012ull },
	{ .plugin = "find_idx", .anchor = PLUGLET_ANCHOR_REPLACE, .seq = 0,
	  .obj_size = 800, .runs = 1ull << 40, .faults = 3, .last_fault_kind = 1,
	  .last_fault = "insn 2: out-of-bounds load of 4 bytes at 0x10" },
	{ .plugin = "other", .anchor = PLUGLET_ANCHOR_POST, .seq = 4000000000u },
};

static struct inj_host_status sample(uint32_t np, uint32_t nl)
{
	struct inj_host_status s = {
		.name = "find_idx_host", .pid = 4321, .msqid = 98304,
		.nr_points = np, .nr_pluglets = nl, .points = points, .pluglets = pluglets,
	};

	return s;
}

/* The report as pluglet_host__report() writes it, in one printf per block
 * (the reference the formatter is compared with). */
static char *reference_report(const struct inj_host_status *s)
{
	static const char *const anchors[] = { "pre", "replace", "post" };
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	fprintf(f, "Name: %s\nPID: %d\nMsqid: %d\nPoints:", s->name, s->pid, s->msqid);
	for (uint32_t i = 0; i < s->nr_points; i++)
		fprintf(f, " %s=%u", s->points[i].name, s->points[i].id);
	fprintf(f, "\n");
	for (uint32_t i = 0; i < s->nr_pluglets; i++) {
		const struct inj_pluglet_status *p = &s->pluglets[i];

		fprintf(f, "\nPlugin: %s\nAnchor: %s\nSeq: %u\nMode: %s\nObject Size (bytes): %zu\n"
			"Extra Memory (bytes): %u\nShared Memory (bytes): %u\nRuns: %llu\n"
			"Faults: %llu\nLast Fault: %s\n",
			p->plugin, anchors[p->anchor], p->seq, p->jit ? "jit" : "interpreter",
			(size_t)p->obj_size, p->extra_mem, p->shared_mem,
			(unsigned long long)p->runs, (unsigned long long)p->faults,
			p->last_fault[0] ? p->last_fault : "None");
		if (p->has_run_ns)
			fprintf(f, "Run Time (ns): %llu\nTimed Runs: 0\nMean Run Time (ns): 0\n",
				(unsigned long long)p->run_ns);
	}
	fclose(f);
	return buf;
}

static char *format(const struct inj_host_status *s)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(inj_host_status__format(s, &sb), 0);
	return strbuf__detach(&sb, NULL);
}

static void test_format_is_the_report(void **state)
{
	for (uint32_t np = 0; np <= 2; np++) {
		for (uint32_t nl = 0; nl <= 3; nl++) {
			struct inj_host_status s = sample(np, nl);
			char *want = reference_report(&s), *got = format(&s);

			assert_string_equal(got, want);
			free(want);
			free(got);
		}
	}
}

static void test_pluglet_lines(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(inj_pluglet_status__format(&pluglets[0], "    ", &sb), 0);
	assert_string_equal(sb.buf,
			    "    Mode: jit\n"
			    "    Object Size (bytes): 1234\n"
			    "    Extra Memory (bytes): 4096\n"
			    "    Shared Memory (bytes): 1024\n"
			    "    Runs: 99\n"
			    "    Faults: 0\n"
			    "    Last Fault: None\n"
			    "    Run Time (ns): 123456789012\n"
			    "    Timed Runs: 0\n"
			    "    Mean Run Time (ns): 0\n");
	strbuf__fini(&sb);
	assert_int_equal(inj_pluglet_status__format(&pluglets[1], "", &sb), 0);
	assert_non_null(strstr(sb.buf, "Mode: interpreter\n"));
	assert_non_null(strstr(sb.buf, "\nLast Fault: insn 2: out-of-bounds load of 4 bytes at 0x10\n"));
	assert_null(strstr(sb.buf, "Run Time"));
	strbuf__fini(&sb);
}

static void encode(const struct inj_host_status *s, struct strbuf *sb)
{
	*sb = (struct strbuf)STRBUF_INIT;
	assert_int_equal(inj_host_status__encode(s, sb), 0);
}

/* A status of these pluglets (no points) encoded into *sb and decoded into *out. */
static void round_trip_pluglets(struct inj_pluglet_status *pl, uint32_t n, struct strbuf *sb,
				struct inj_host_status *out)
{
	struct inj_host_status in = sample(0, n);
	char err[160] = "";

	in.pluglets = pl;
	encode(&in, sb);
	assert_int_equal(inj_host_status__decode(sb->buf, sb->len, out, err, sizeof(err)), 0);
}

static void test_round_trip(void **state)
{
	struct inj_host_status in = sample(2, 3), out;
	struct strbuf sb;
	char err[160] = "";

	encode(&in, &sb);
	assert_int_equal(inj_host_status__decode(sb.buf, sb.len, &out, err, sizeof(err)), 0);
	assert_string_equal(out.name, in.name);
	assert_int_equal(out.pid, in.pid);
	assert_int_equal(out.msqid, in.msqid);
	assert_int_equal(out.nr_points, 2);
	assert_int_equal(out.nr_pluglets, 3);
	for (uint32_t i = 0; i < 2; i++) {
		assert_string_equal(out.points[i].name, points[i].name);
		assert_int_equal(out.points[i].id, points[i].id);
	}
	/* every field, padding aside */
	for (uint32_t i = 0; i < 3; i++) {
		const struct inj_pluglet_status *a = &pluglets[i], *b = &out.pluglets[i];

		assert_string_equal(b->plugin, a->plugin);
		assert_int_equal(b->anchor, a->anchor);
		assert_int_equal(b->seq, a->seq);
		assert_int_equal(b->jit, a->jit);
		assert_int_equal(b->obj_size, a->obj_size);
		assert_int_equal(b->extra_mem, a->extra_mem);
		assert_int_equal(b->shared_mem, a->shared_mem);
		assert_int_equal(b->runs, a->runs);
		assert_int_equal(b->faults, a->faults);
		assert_int_equal(b->has_run_ns, a->has_run_ns);
		assert_int_equal(b->run_ns, a->run_ns);
		assert_int_equal(b->last_fault_kind, a->last_fault_kind);
		assert_string_equal(b->last_fault, a->last_fault);
	}
	inj_host_status__fini(&out);
	assert_null(out.points);
	assert_int_equal(out.nr_pluglets, 0);

	/* an empty host: no arrays */
	strbuf__fini(&sb);
	in = sample(0, 0);
	encode(&in, &sb);
	assert_int_equal(inj_host_status__decode(sb.buf, sb.len, &out, err, sizeof(err)), 0);
	assert_null(out.points);
	assert_null(out.pluglets);
	strbuf__fini(&sb);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Offsets in the header and records of version 1. */
#define O_VERSION	4
#define O_HDR_SIZE	6
#define O_POINT_SIZE	8
#define O_PLUGLET_SIZE	12
#define O_NAME		16
#define O_PID		(O_NAME + INJ_NAME_MAX)
#define O_MSQID		(O_PID + 4)
#define O_NR_POINTS	(O_MSQID + 4)
#define O_NR_PLUGLETS	(O_NR_POINTS + 4)
#define HDR		(O_NR_PLUGLETS + 4)
#define POINT		(INJ_NAME_MAX + 4)
#define PL_ANCHOR	INJ_NAME_MAX
#define PL_FLAGS	(INJ_NAME_MAX + 8)
#define PL_KIND		(INJ_NAME_MAX + 12 + 8 + 8 + 24)
#define PL_FAULT	(PL_KIND + 4)
#define PL_ORIGIN	(PL_FAULT + 160)
#define PLUGLET_V1	PL_ORIGIN
#define PLUGLET_V2	(PL_ORIGIN + 8 + 8 + 4 + 16)
#define PLUGLET		(PLUGLET_V2 + 8 + 4 + 8 + 8 * INJ_STATUS_FAULT_KINDS)

static int decode_modified(const struct strbuf *good, void (*mod)(unsigned char *b, size_t *len))
{
	unsigned char *b = malloc(good->len + 64);
	struct inj_host_status s;
	char err[160] = "";
	size_t len = good->len;
	int rc;

	assert_non_null(b);
	memcpy(b, good->buf, good->len);
	mod(b, &len);
	rc = inj_host_status__decode(b, len, &s, err, sizeof(err));
	if (rc) {
		assert_int_equal(rc, -EPROTO);
		assert_true(err[0] != '\0');
		assert_null(s.points);
		assert_null(s.pluglets);
	}
	inj_host_status__fini(&s);
	free(b);
	return rc;
}

#define PL0 (HDR + 2 * POINT)

static void m_magic(unsigned char *b, size_t *len) { b[0] ^= 1; }
static void m_version(unsigned char *b, size_t *len) { b[O_VERSION] = 2; }
static void m_small_hdr(unsigned char *b, size_t *len) { b[O_HDR_SIZE] = HDR - 4; }
static void m_small_point(unsigned char *b, size_t *len) { put32(b + O_POINT_SIZE, POINT - 1); }
static void m_huge_pluglet(unsigned char *b, size_t *len) { put32(b + O_PLUGLET_SIZE, 1u << 31); }
static void m_name_unterminated(unsigned char *b, size_t *len) { memset(b + O_NAME, 'a', INJ_NAME_MAX); }
static void m_name_empty(unsigned char *b, size_t *len) { b[O_NAME] = 0; }
static void m_name_newline(unsigned char *b, size_t *len) { b[O_NAME + 1] = '\n'; }
static void m_pid(unsigned char *b, size_t *len) { put32(b + O_PID, 0); }
static void m_msqid(unsigned char *b, size_t *len) { put32(b + O_MSQID, (uint32_t)-2); }
static void m_more_points(unsigned char *b, size_t *len) { put32(b + O_NR_POINTS, 3); }
static void m_fewer_pluglets(unsigned char *b, size_t *len) { put32(b + O_NR_PLUGLETS, 2); }
static void m_many_pluglets(unsigned char *b, size_t *len) { put32(b + O_NR_PLUGLETS, 0xffffffffu); }
static void m_overflow(unsigned char *b, size_t *len)
{
	/* counts whose product wraps a 32-bit size */
	put32(b + O_NR_POINTS, 65536);
	put32(b + O_POINT_SIZE, 65536);
}
static void m_point_name(unsigned char *b, size_t *len) { memset(b + HDR + POINT, 'x', INJ_NAME_MAX); }
static void m_plugin_empty(unsigned char *b, size_t *len) { b[PL0] = 0; }
static void m_anchor(unsigned char *b, size_t *len) { put32(b + PL0 + PL_ANCHOR, 3); }
static void m_flags(unsigned char *b, size_t *len) { put32(b + PL0 + PL_FLAGS, 4); }
static void m_kind(unsigned char *b, size_t *len) { put32(b + PL0 + PL_KIND, 256); }
static void m_fault_unterminated(unsigned char *b, size_t *len) { memset(b + PL0 + PL_FAULT, 'f', 160); }
static void m_sender_unterminated(unsigned char *b, size_t *len) { memset(b + PL0 + PL_ORIGIN + 20, 's', 16); }
static void m_extra_byte(unsigned char *b, size_t *len) { b[(*len)++] = 0; }
static void m_same(unsigned char *b, size_t *len) { }

static void test_hostile(void **state)
{
	struct inj_host_status in = sample(2, 3), s;
	void (*const bad[])(unsigned char *, size_t *) = {
		m_magic, m_version, m_small_hdr, m_small_point, m_huge_pluglet,
		m_name_unterminated, m_name_empty, m_name_newline, m_pid, m_msqid,
		m_more_points, m_fewer_pluglets, m_many_pluglets, m_overflow, m_point_name,
		m_plugin_empty, m_anchor, m_flags, m_kind, m_fault_unterminated, m_extra_byte,
		m_sender_unterminated,
	};
	struct strbuf sb;
	char err[160];

	encode(&in, &sb);
	assert_int_equal(sb.len, HDR + 2 * POINT + 3 * PLUGLET);
	assert_int_equal(decode_modified(&sb, m_same), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("case %zu\n", i);
		assert_int_equal(decode_modified(&sb, bad[i]), -EPROTO);
	}
	/* every truncation */
	for (size_t n = 0; n < sb.len; n++)
		assert_int_equal(inj_host_status__decode(sb.buf, n, &s, err, sizeof(err)), -EPROTO);
	assert_int_equal(inj_host_status__decode(NULL, 0, &s, NULL, 0), -EPROTO);
	/* any single byte changed: refused or decoded, never out of bounds (ASan) */
	for (size_t n = 0; n < sb.len; n++) {
		unsigned char *b = malloc(sb.len);

		memcpy(b, sb.buf, sb.len);
		b[n] ^= 0xa5;
		if (!inj_host_status__decode(b, sb.len, &s, err, sizeof(err)))
			inj_host_status__fini(&s);
		free(b);
	}
	strbuf__fini(&sb);

	/* what encode refuses */
	in.pluglets = (struct inj_pluglet_status[]){ { .plugin = "p", .anchor = 3 } };
	in.nr_pluglets = 1;
	sb = (struct strbuf)STRBUF_INIT;
	assert_int_equal(inj_host_status__encode(&in, &sb), -EINVAL);
	in = sample(2, 0);
	in.nr_points = INJ_STATUS_MAX_POINTS + 1;
	assert_int_equal(inj_host_status__encode(&in, &sb), -EINVAL);
	strbuf__fini(&sb);
}

/* A later version may grow each record: a reader skips what it does not know. */
static void test_longer_records(void **state)
{
	struct inj_host_status in = sample(2, 3), s;
	struct strbuf sb, big = STRBUF_INIT;
	static const char pad[16];
	char err[160] = "";
	const char *p;

	encode(&in, &sb);
	p = sb.buf;
	strbuf__put(&big, p, HDR);
	strbuf__put(&big, pad, 8);
	for (int i = 0; i < 2; i++) {
		strbuf__put(&big, p + HDR + i * POINT, POINT);
		strbuf__put(&big, pad, 16);
	}
	for (int i = 0; i < 3; i++) {
		strbuf__put(&big, p + PL0 + i * PLUGLET, PLUGLET);
		strbuf__put(&big, pad, 4);
	}
	((unsigned char *)big.buf)[O_HDR_SIZE] = HDR + 8;
	put32((unsigned char *)big.buf + O_POINT_SIZE, POINT + 16);
	put32((unsigned char *)big.buf + O_PLUGLET_SIZE, PLUGLET + 4);
	assert_int_equal(inj_host_status__decode(big.buf, big.len, &s, err, sizeof(err)), 0);
	assert_string_equal(s.points[1].name, "other");
	assert_int_equal(s.pluglets[2].seq, 4000000000u);
	assert_string_equal(s.pluglets[1].last_fault, pluglets[1].last_fault);
	inj_host_status__fini(&s);
	strbuf__fini(&sb);
	strbuf__fini(&big);
}

/* Who installed a pluglet travels with it; a record of the first version
 * (without those fields) reads as an unknown sender. */
static void test_origin(void **state)
{
	struct inj_pluglet_status pl[2] = {
		{ .plugin = "p", .origin = 0x0123456789abcdefull, .gen = 42 },
		{ .plugin = "p", .anchor = PLUGLET_ANCHOR_POST, .seq = 3, .sender_pid = 77,
		  .sender = "ebpf_injecter" },
	};
	struct strbuf sb, text = STRBUF_INIT, v1 = STRBUF_INIT;
	struct inj_host_status s;
	char err[160] = "";

	round_trip_pluglets(pl, 2, &sb, &s);
	assert_true(s.pluglets[0].origin == 0x0123456789abcdefull && s.pluglets[0].gen == 42);
	assert_int_equal(s.pluglets[1].sender_pid, 77);
	assert_string_equal(s.pluglets[1].sender, "ebpf_injecter");
	inj_pluglet_origin__format(&s.pluglets[0], "", &text);
	inj_pluglet_origin__format(&s.pluglets[1], "  ", &text);
	assert_string_equal(text.buf, "Origin: plugfs 0123456789abcdef generation 42\n"
			    "  Origin: ebpf_injecter (pid 77)\n");
	inj_host_status__fini(&s);

	/* the same status with records of the first size */
	strbuf__put(&v1, sb.buf, HDR);
	for (int i = 0; i < 2; i++)
		strbuf__put(&v1, sb.buf + HDR + i * PLUGLET, PLUGLET_V1);
	put32((unsigned char *)v1.buf + O_PLUGLET_SIZE, PLUGLET_V1);
	assert_int_equal(inj_host_status__decode(v1.buf, v1.len, &s, err, sizeof(err)), 0);
	assert_true(s.pluglets[0].origin == 0 && s.pluglets[1].sender_pid == 0);
	assert_int_equal(s.pluglets[1].seq, 3);
	inj_host_status__fini(&s);
	strbuf__fini(&sb);
	strbuf__fini(&text);
	strbuf__fini(&v1);
}

/* Faults per kind, where the last one happened, timed runs: they travel,
 * show in the text, and a record without them reads as zeros. */
static void test_fault_counts(void **state)
{
	struct inj_pluglet_status pl[1] = { {
		.plugin = "p", .runs = 10, .faults = 3, .has_run_ns = true, .run_ns = 700,
		.timed_runs = 7, .last_fault_kind = PLUGLET_FAULT_BUDGET, .last_fault_insn = 12,
		.last_fault_time_ns = 86400ull * 1000000000ull + 5,
		.last_fault = "budget: instruction budget exhausted at insn 12",
		.fault_kinds = { [PLUGLET_FAULT_BUDGET] = 2, [PLUGLET_FAULT_OOB_LOAD] = 1 },
	} };
	struct strbuf sb, text = STRBUF_INIT, v2 = STRBUF_INIT;
	struct inj_host_status s;
	char err[160] = "";

	round_trip_pluglets(pl, 1, &sb, &s);
	assert_int_equal(s.pluglets[0].timed_runs, 7);
	assert_int_equal(s.pluglets[0].last_fault_insn, 12);
	assert_true(s.pluglets[0].last_fault_time_ns == pl[0].last_fault_time_ns);
	assert_int_equal(s.pluglets[0].fault_kinds[PLUGLET_FAULT_BUDGET], 2);
	assert_int_equal(s.pluglets[0].fault_kinds[PLUGLET_FAULT_OOB_LOAD], 1);
	inj_pluglet_status__format(&s.pluglets[0], "", &text);
	assert_non_null(strstr(text.buf, "Last Fault Insn: 12\n"
			       "Last Fault Time: 1970-01-02T00:00:00Z\n"
			       "Faults By Kind: oob-load=1 budget=2\n"
			       "Run Time (ns): 700\nTimed Runs: 7\nMean Run Time (ns): 100\n"));
	inj_host_status__fini(&s);

	/* the record of the previous size */
	strbuf__put(&v2, sb.buf, HDR);
	strbuf__put(&v2, sb.buf + HDR, PLUGLET_V2);
	put32((unsigned char *)v2.buf + O_PLUGLET_SIZE, PLUGLET_V2);
	assert_int_equal(inj_host_status__decode(v2.buf, v2.len, &s, err, sizeof(err)), 0);
	assert_int_equal(s.pluglets[0].runs, 10);
	assert_true(s.pluglets[0].timed_runs == 0 && s.pluglets[0].last_fault_time_ns == 0);
	assert_int_equal(s.pluglets[0].fault_kinds[PLUGLET_FAULT_BUDGET], 0);
	inj_host_status__fini(&s);
	strbuf__fini(&sb);
	strbuf__fini(&text);
	strbuf__fini(&v2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_is_the_report),
		cmocka_unit_test(test_pluglet_lines),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_longer_records),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_fault_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

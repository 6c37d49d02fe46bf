/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the Prometheus text (fs/prom.c) and of plugfs-top's model
 * (fs/top.c): escaping, families, values; the text read back into rows,
 * rates between two reads, order and the table.
 * Run: meson test -C build --suite unit fs-prom
 */
#include "prom.h"
#include "top.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_escape(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct prom_label l[2] = { { "host", "a\"b\\c\nd" }, { "seq", "0" } };

	prom_family(&sb, "x_total", "counter", "Help with \\ and\nnewline.");
	prom_sample_u64(&sb, "x_total", l, 2, 18446744073709551615ull);
	prom_sample_double(&sb, "y", NULL, 0, 0.5);
	prom_sample_double(&sb, "y", NULL, 0, INFINITY);
	assert_string_equal(sb.buf,
			    "# HELP x_total Help with \\\\ and\\nnewline.\n"
			    "# TYPE x_total counter\n"
			    "x_total{host=\"a\\\"b\\\\c\\nd\",seq=\"0\"} 18446744073709551615\n"
			    "y 0.5\n"
			    "y +Inf\n");
	strbuf__fini(&sb);
}

/* Two reads of a program and two pluglets, written with prom.c. */
static void write_read(struct strbuf *sb, double runs, double secs, double pass, double faults)
{
	struct prom_label pl[5] = { { "iface", "veth0" }, { "hook", "xdp" }, { "priority", "10" },
				    { "prog_id", "42" }, { "name", "xdp_pass" } };
	struct prom_label v[6] = { pl[0], pl[1], pl[2], pl[3], pl[4], { "verdict", "pass" } };
	struct prom_label q[5] = { { "host", "h\"1.7" }, { "plugin", "calc" },
				   { "anchor", "pre" }, { "seq", "1" }, { "kind", "oob-load" } };

	prom_family(sb, "plugfs_program_runs_total", "counter", "runs");
	prom_sample_u64(sb, "plugfs_program_runs_total", pl, 5, (uint64_t)runs);
	prom_sample_double(sb, "plugfs_program_run_seconds_total", pl, 5, secs);
	prom_sample_u64(sb, "plugfs_program_verdicts_total", v, 6, (uint64_t)pass);
	v[5].value = "drop";
	prom_sample_u64(sb, "plugfs_program_verdicts_total", v, 6, (uint64_t)(runs - pass));
	prom_sample_u64(sb, "plugfs_pluglet_runs_total", q, 4, 10);
	prom_sample_u64(sb, "plugfs_pluglet_faults_total", q, 5, (uint64_t)faults);
	prom_sample_u64(sb, "plugfs_loads_total", NULL, 0, 3);
}

static void test_top_rows(void **state)
{
	struct top_table a = { 0 }, b = { 0 };
	struct strbuf sa = STRBUF_INIT, sb = STRBUF_INIT, out = STRBUF_INIT;

	write_read(&sa, 1000, 0.001, 1000, 0);
	write_read(&sb, 3000, 0.003, 2500, 5);
	assert_int_equal(top_table__parse(&a, sa.buf, sa.len), 0);
	assert_int_equal(top_table__parse(&b, sb.buf, sb.len), 0);
	assert_int_equal(b.nr, 2);
	top_table__diff(&a, NULL);
	top_table__diff(&b, &a);
	top_table__sort(&b);
	/* the program: CPU time in the interval, first */
	assert_int_equal(b.rows[0].kind, TOP_PROGRAM);
	assert_string_equal(b.rows[0].where, "veth0/xdp/10");
	assert_string_equal(b.rows[0].name, "xdp_pass (42)");
	assert_true(b.rows[0].d_runs == 2000 && fabs(b.rows[0].d_seconds - 0.002) < 1e-12);
	assert_string_equal(b.rows[1].name, "h\"1.7");
	assert_true(b.rows[1].run_seconds < 0 && b.rows[1].faults == 5 && b.rows[1].d_faults == 5);
	top_table__format(&b, 2.0, 200, 10, &out);
	/* 2000 runs in 2 s, 1000 ns per run, 0.1% of a CPU, shares of the interval */
	assert_non_null(strstr(out.buf, "prog     veth0/xdp/10"));
	assert_non_null(strstr(out.buf, "1000.0    1000.0   0.10         3000  pass 75% drop 25%\n"));
	/* the pluglet: no run in the interval, shares of the totals, no time */
	assert_non_null(strstr(out.buf, "pluglet  calc/pre/1"));
	assert_non_null(strstr(out.buf, "0.0         -   0.00           10  ok 50% fault 50%\n"));
	/* the first read has no interval: no rates */
	assert_true(a.rows[0].d_runs == 0 && a.rows[0].d_seconds == 0);
	top_table__fini(&a);
	top_table__fini(&b);
	strbuf__fini(&sa);
	strbuf__fini(&sb);
	strbuf__fini(&out);
}

/* Lines that do not parse are skipped, not fatal. */
static void test_top_garbage(void **state)
{
	static const char text[] = "# HELP\nplugfs_pluglet_runs_total{host=\"x\n"
				   "plugfs_pluglet_runs_total{host=\"h\",plugin=\"p\"} 4\n"
				   "{}\n\n plugfs_program_runs_total 7\n"
				   "plugfs_program_timing_enabled 1\n"
				   "plugfs_pluglet_last_fault_timestamp_seconds{host=\"h\"} 5\n";
	struct top_table t = { 0 };

	assert_int_equal(top_table__parse(&t, text, sizeof(text) - 1), 0);
	assert_int_equal(t.nr, 1);
	assert_true(t.rows[0].runs == 4);
	top_table__fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_top_rows),
		cmocka_unit_test(test_top_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Unit tests of tracing/'s attach points (bpf/trace_point.c), names and manifest keys. */
#include "engine_tracing.h"
#include "manifest.h"
#include "tp_open.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void round_trip(const char *sec, const char *want)
{
	struct engine_trace_point tp, again;
	char buf[PATH_MAX + 512];

	assert_int_equal(engine_trace_point_from_sec(sec, &tp), 0);
	assert_true(engine_trace_point_complete(&tp));
	engine_trace_point_format(&tp, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(engine_trace_point_parse(buf, &again), 0);
	assert_memory_equal(&tp, &again, sizeof(tp));
}

static void test_sections(void **state)
{
	(void)state;
	round_trip("tracepoint/syscalls/sys_enter_getpid", "tracepoint:syscalls:sys_enter_getpid");
	round_trip("tp/sched/sched_switch", "tracepoint:sched:sched_switch");
	round_trip("raw_tracepoint/sys_enter", "raw_tracepoint:sys_enter");
	round_trip("raw_tp/sys_exit", "raw_tracepoint:sys_exit");
	round_trip("uprobe//usr/bin/bash:readline", "uprobe:/usr/bin/bash:readline");
	round_trip("uretprobe//lib/libc.so.6:malloc+0x10", "uretprobe:/lib/libc.so.6:malloc+0x10");
	round_trip("uprobe//bin/x:0x1234", "uprobe:/bin/x:0x1234");
	round_trip("usdt//bin/x:prov:name", "usdt:/bin/x:prov:name");
	round_trip("kprobe/do_unlinkat+16", "kprobe:do_unlinkat+0x10");
	round_trip("kretprobe/do_unlinkat", "kretprobe:do_unlinkat");
	round_trip("fentry/do_unlinkat", "fentry:do_unlinkat");
	round_trip("fexit/do_unlinkat", "fexit:do_unlinkat");
	round_trip("lsm/file_open", "lsm:file_open");
}

static void test_incomplete_and_bad(void **state)
{
	struct engine_trace_point tp;

	(void)state;
	/* a bare "uprobe" section names no point: the manifest must */
	assert_int_equal(engine_trace_point_from_sec("uprobe", &tp), 0);
	assert_int_equal(tp.kind, ENGINE_TRACE_UPROBE);
	assert_false(engine_trace_point_complete(&tp));
	assert_int_equal(engine_trace_point_from_sec("uretprobe", &tp), 0);
	assert_true(tp.retprobe);
	assert_int_equal(engine_trace_point_from_sec("xdp", &tp), -EINVAL);
	assert_int_equal(engine_trace_point_from_sec("tc", &tp), -EINVAL);
	assert_int_equal(engine_trace_point_from_sec("tracepoint/nocategory", &tp), -EINVAL);
	assert_int_equal(engine_trace_point_parse("tracepoint:syscalls", &tp), -EINVAL);
	assert_int_equal(engine_trace_point_parse("uprobe:readline", &tp), -EINVAL);
	assert_int_equal(engine_trace_point_parse("usdt:/bin/x:prov", &tp), -EINVAL);
	assert_int_equal(engine_trace_point_parse("kprobe:f+zz", &tp), -EINVAL);
	assert_int_equal(engine_trace_point_parse("socket:x", &tp), -EINVAL);
	assert_int_equal(engine_trace_point_parse("fentry", &tp), -EINVAL);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(engine_trace_check_name("opensnoop"), 0);
	assert_int_equal(engine_trace_check_name("open.snoop-2_x"), 0);
	assert_int_equal(engine_trace_check_name(".hidden"), -EINVAL);
	assert_int_equal(engine_trace_check_name("a:b"), -EINVAL);
	assert_int_equal(engine_trace_check_name("a b"), -EINVAL);
	assert_int_equal(engine_trace_check_name(""), -EINVAL);
}

/* Names that would leave tracefs' events/CAT/EVENT: no file is opened. */
static void test_tracepoint_names(void **state)
{
	(void)state;
	assert_int_equal(tp_open_perf_event("..", "id"), -ENOENT);
	assert_int_equal(tp_open_perf_event("syscalls/..", "x"), -ENOENT);
	assert_int_equal(tp_open_perf_event("syscalls", "../../../../etc"), -ENOENT);
	assert_int_equal(tp_open_perf_event("syscalls", ""), -ENOENT);
	assert_int_equal(tp_open_perf_event("", "x"), -ENOENT);
	assert_int_equal(tp_open_perf_event(NULL, "x"), -ENOENT);
	assert_int_equal(tp_open_perf_event(".", "x"), -ENOENT);
}

static void test_manifest_keys(void **state)
{
	static const char text[] = "object = /x.o\nattach = uprobe:/bin/x:f\ntarget = /bin/y\n"
				   "fn_name = g\noffset = 0x10\nretprobe = yes\npid = 42\n";
	struct plugfs_manifest m;
	char err[256];

	(void)state;
	assert_int_equal(manifest_parse(text, strlen(text), &m, err, sizeof(err)), 0);
	assert_string_equal(m.attach, "uprobe:/bin/x:f");
	assert_string_equal(m.target, "/bin/y");
	assert_string_equal(m.fn_name, "g");
	assert_int_equal(m.offset, 16);
	assert_int_equal(m.retprobe, 1);
	assert_int_equal(m.pid, 42);
	assert_int_equal(manifest_parse("object = /x.o\n", 14, &m, err, sizeof(err)), 0);
	assert_int_equal(m.offset, -1);
	assert_int_equal(m.retprobe, -1);
	assert_int_equal(m.pid, 0);
	assert_int_equal(manifest_parse("object = /x.o\nretprobe = maybe\n", 31, &m, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(manifest_parse("object = /x.o\npid = 1\npid = 2\n", 29, &m, err, sizeof(err)),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_incomplete_and_bad),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_manifest_keys),
		cmocka_unit_test(test_tracepoint_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

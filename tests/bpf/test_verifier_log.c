/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the verifier log in the object's own terms: instruction
 * labels (the rewrite's prologue, the program's section, subprograms in
 * .text, subprograms without BTF), the rewrite of a log's lines and the
 * line naming where the verifier stopped; and the object name libbpf
 * derives from a file path, as plugfs passes it.
 */
#include "obj_info.h"
#include "verifier_log.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* xdp_main: 10 own instructions at 4 in section xdp, then mix (.text at 0)
 * and peek (.text at 4), appended in that order; 18 inserted before. */
static const struct vlog_func funcs[] = {
	{ .start = 0, .name = "xdp_main", .section = "xdp", .sec_insn = 4 },
	{ .start = 10, .name = "mix", .section = ".text", .sec_insn = 0 },
	{ .start = 14, .name = "peek", .section = ".text", .sec_insn = 4 },
};
static const struct vlog_line lines[] = {
	{ .insn = 0, .file = "/src/prog.bpf.c", .src = "int xdp_main(struct xdp_md *ctx)", .line = 20 },
	{ .insn = 3, .file = "/src/prog.bpf.c", .src = "\treturn peek(ctx, q);", .line = 24 },
	{ .insn = 14, .file = "/src/prog.bpf.c", .src = "\treturn data[off];", .line = 12 },
};
static const struct vlog_map map = {
	.shift = 18, .section = "xdp", .funcs = funcs, .n_funcs = 3, .main_len = 10,
	.lines = lines, .n_lines = 3,
};

static void label_is(const struct vlog_map *m, size_t idx, const char *want)
{
	char buf[64];

	vlog_label(m, idx, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void labels(void **state)
{
	const struct vlog_map no_btf = {
		.shift = 17, .section = "xdp", .funcs = funcs, .n_funcs = 1, .main_len = 10,
	};

	(void)state;
	label_is(&map, 0, "plugfs:0");
	label_is(&map, 17, "plugfs:17");
	label_is(&map, 18, "4");		/* the program's first, at 4 in xdp */
	label_is(&map, 27, "13");
	label_is(&map, 28, ".text:0");		/* mix */
	label_is(&map, 32, ".text:4");		/* peek */
	label_is(&map, 35, ".text:7");
	label_is(&no_btf, 17, "4");
	label_is(&no_btf, 27, "sub+0");		/* past main, no func info */
	label_is(&no_btf, 30, "sub+3");
}

static char *rewrite(const char *log)
{
	struct strbuf sb = STRBUF_INIT;

	vlog_rewrite(log, &map, &sb);
	assert_int_equal(sb.err, 0);
	return strbuf__detach(&sb, NULL);
}

static void log_lines(void **state)
{
	char *out;

	(void)state;
	out = rewrite("func#0 @0\n"
		      "0: R1=ctx() R10=fp0\n"
		      "0: (7b) *(u64 *)(r10 -8) = r1\n"
		      "; return peek(ctx, q); @ prog.bpf.c:24\n"
		      "21: (85) call pc+10\n"
		      "from 23 to 25: R0=scalar()\n"
		      "to caller at 22:\n"
		      "35: (71) r0 = *(u8 *)(r1 +0)\n"
		      "R1 offset is outside of the packet\n"
		      "12345 is not an index here: no colon\n"
		      "processed 16 insns (limit 1000000)\n");
	assert_string_equal(out,
		"func#0 @plugfs:0\n"
		"plugfs:0: R1=ctx() R10=fp0\n"
		"plugfs:0: (7b) *(u64 *)(r10 -8) = r1\n"
		"; return peek(ctx, q); @ prog.bpf.c:24\n"
		"7: (85) call pc+10\n"
		"from 9 to 11: R0=scalar()\n"
		"to caller at 8:\n"
		".text:7: (71) r0 = *(u8 *)(r1 +0)\n"
		"R1 offset is outside of the packet\n"
		"12345 is not an index here: no colon\n"
		"processed 16 insns (limit 1000000)\n"
		"the verifier stopped at instruction .text:7 (peek+3), prog.bpf.c:12: "
		"return data[off];\n");
	free(out);
}

static void stop_line(void **state)
{
	char *out;

	(void)state;
	/* the last instruction line counts, not a later state line */
	out = rewrite("21: (85) call pc+10\n22: R0=scalar()\nsomething\n");
	assert_non_null(strstr(out, "stopped at instruction 7 (xdp_main+3), prog.bpf.c:24: "
				    "return peek(ctx, q);\n"));
	free(out);
	out = rewrite("1: (05) goto pc+16\nR1 invalid mem access\n");
	assert_non_null(strstr(out, "stopped at instruction plugfs:1 (inserted by plugfs"));
	free(out);
	out = rewrite("BPF program is too large. Processed 1000001 insn\n");
	assert_null(strstr(out, "stopped at"));
	free(out);
}

static void name_is(const char *path, const char *want)
{
	char buf[16];

	obj_name_from_path(path, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void object_names(void **state)
{
	struct obj_info oi = { .file = "count.bpf.c", .first_global = "xdp_count" };
	struct obj_info bare = { .first_global = "xdp_count" };
	struct obj_info none = { 0 };
	char buf[16];

	(void)state;
	name_is("/srv/count_sh.o", "count_sh");
	name_is("edge-fw.bpf.o", "edge-fw");	/* libbpf makes the map edge_fw.bss */
	name_is("/a/b/a_very_long_object_name.o", "a_very_long_obj");
	name_is("noext", "noext");
	obj_info_object_name(&oi, "/srv/firewall.o", buf, sizeof(buf));
	assert_string_equal(buf, "firewall");
	obj_info_object_name(&oi, "-", buf, sizeof(buf));
	assert_string_equal(buf, "count");
	obj_info_object_name(&bare, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "xdp_count");
	obj_info_object_name(&none, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "plugfs");
}

static void not_elf(void **state)
{
	struct obj_info oi;

	(void)state;
	assert_int_equal(obj_info_read("not an object", 13, &oi), -EINVAL);
	assert_int_equal(oi.n_funcs, 0);
	assert_null(obj_info_func(&oi, "x"));
}

/* A spare's first load is retried without it only when the verifier had
 * accepted the program: a rejection also ends with the statistics line. */
static void verified_or_rejected(void **state)
{
	(void)state;
	assert_true(vlog_verified("processed 2 insns (limit 1000000) max_states_per_insn 0\n"));
	assert_true(vlog_verified("\nprocessed 2 insns (limit 1000000)\n\n"));
	assert_true(vlog_verified("processed 2 insns"));
	assert_false(vlog_verified("0: R1=ctx() R10=fp0\n0: (79) r0 = *(u64 *)(r1 +3000)\n"
				   "invalid bpf_context access off=3000 size=8\n"
				   "processed 1 insns (limit 1000000) max_states_per_insn 0\n"));
	assert_false(vlog_verified("processed 1 insns\nR0 !read_ok\n"));
	assert_false(vlog_verified(""));
	assert_false(vlog_verified("unknown func bpf_foo#1234\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(labels),
		cmocka_unit_test(log_lines),
		cmocka_unit_test(stop_line),
		cmocka_unit_test(object_names),
		cmocka_unit_test(not_elf),
		cmocka_unit_test(verified_or_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Host runtime semantics: PRE/REPLACE/POST order and permissions, faults and
 * fallbacks, CALL_REPLACE_ONLY, hidden arguments, shared and private memory,
 * next(), management errors, bad ELF input, reports. Every test runs with
 * the interpreter and again with the JIT (which falls back to the
 * interpreter in builds without one).
 */
#include <pluglet/host.h>

#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#ifndef HOST_TEST_OBJDIR
#error HOST_TEST_OBJDIR must name the directory of the compiled test pluglets
#endif

enum { P_TARGET = 1, P_VOID = 2, P_RONLY = 3, P_LATE = 4, P_BIG = 5000 };

static const struct pluglet_point_def points[] = {
	{ "target", P_TARGET },
	{ "vtarget", P_VOID },
	{ "ronly", P_RONLY },
	{ "late", P_LATE },
	{ "big", P_BIG },
};

static bool g_jit;
static uint64_t marks[64];
static int nr_marks;
static int body_runs;
static int secret = 4242;

static uint64_t test_mark(struct pluglet_exec *ex, uint64_t v, uint64_t a2, uint64_t a3,
			  uint64_t a4, uint64_t a5)
{
	if (nr_marks < 64)
		marks[nr_marks++] = v;
	return v;
}

/* The add_route pattern of pluginized C programs: the hidden argument is
 * found through the context. */
static uint64_t test_hidden(struct pluglet_exec *ex, uint64_t a1, uint64_t a2, uint64_t a3,
			    uint64_t a4, uint64_t a5)
{
	context_t *ctx = pluglet_context(ex);
	bpf_full_args_t *fargs = ctx->args;

	if (fargs->nargs > 1 && fargs->args[1].type == 2 && fargs->args[1].kind == kind_hidden)
		return (uint64_t)*(int *)fargs->args[1].arg;
	return 0;
}

static struct pluglet_host *g_host;

/* Management from inside a run would wait for itself: must fail. */
static uint64_t test_manage(struct pluglet_exec *ex, uint64_t a1, uint64_t a2, uint64_t a3,
			    uint64_t a4, uint64_t a5)
{
	char err[128];

	return (uint64_t)(int64_t)pluglet_host__remove_plugin(g_host, "target", err, sizeof(err));
}

static const struct pluglet_helper_def helpers[] = {
	{ "test_mark", test_mark },
	{ "test_hidden", test_hidden },
	{ "test_manage", test_manage },
};

/* ---- pluginized functions ---- */

static int __attribute__((noinline)) target(int *val, int key)
{
	bpf_args_t args[] = {
		{ .arg = val, .len = sizeof(*val), .kind = kind_ptr, .type = 1 },
		{ .arg = &secret, .len = sizeof(secret), .kind = kind_hidden, .type = 2 },
		{ .arg = &key, .len = sizeof(key), .kind = kind_primitive, .type = 3 },
	};

	VM_CALL(P_TARGET, args, 3, {
		body_runs++;
		if (key < 0)
			RETURN_VM_VAL(-1);	/* an early return also runs POST */
		RETURN_VM_VAL(*val + key);
	});
}

static int void_value;

static void __attribute__((noinline)) vtarget(int v)
{
	bpf_args_t args[] = {
		{ .arg = &v, .len = sizeof(v), .kind = kind_primitive, .type = 0 },
	};

	VM_CALL_VOID(P_VOID, args, 1, {
		body_runs++;
		if (v < 0)
			RETURN_VM_VOID();
		void_value = v;
	});
}

static int check_small(uint64_t v)
{
	return v == 1 || v == 2;
}

static int __attribute__((noinline)) ronly(int x)
{
	bpf_args_t args[] = {
		{ .arg = &x, .len = sizeof(x), .kind = kind_primitive, .type = 0 },
	};

	CALL_REPLACE_ONLY(P_RONLY, args, 1, check_small, {
		body_runs++;
		return -x;	/* the host's own code */
	}, {
		return (int)VM_RETURN_VALUE * 10;
	});
	return 0;
}

static int __attribute__((noinline)) big(void)
{
	VM_CALL(P_BIG, NULL, 0, { RETURN_VM_VAL(-5); });
}

/* ---- fixtures ---- */

static void *read_obj(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	void *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s.o", HOST_TEST_OBJDIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int add_opts(const char *plugin, enum pluglet_anchor a, uint32_t seq, const char *obj,
		    uint32_t extra, uint32_t shared, char *err, size_t err_size)
{
	struct pluglet_inject_opts o = { .sz = sizeof(o), .jit = g_jit, .extra_mem = extra,
					 .shared_mem = shared };
	size_t len;
	void *buf = read_obj(obj, &len);
	int rc = pluglet_host__add(g_host, plugin, a, seq, buf, len, &o, err, err_size);

	free(buf);
	return rc;
}

static void add(const char *plugin, enum pluglet_anchor a, uint32_t seq, const char *obj)
{
	char err[512] = "";
	int rc = add_opts(plugin, a, seq, obj, 0, 0, err, sizeof(err));

	if (rc)
		fail_msg("add %s/%s/%u (%s): %d %s", plugin, pluglet_anchor_str(a), seq, obj, rc, err);
}

/* Its body attaches a POST pluglet to its own insertion point when x != 0. */
static int __attribute__((noinline)) late(int x)
{
	bpf_args_t args[] = {
		{ .arg = &x, .len = sizeof(x), .kind = kind_primitive, .type = 0 },
	};

	VM_CALL(P_LATE, args, 1, {
		body_runs++;
		if (x)
			add("late", PLUGLET_ANCHOR_POST, 1, "mark1");
		RETURN_VM_VAL(x);
	});
}

static struct pluglet_stats stats(const char *plugin, enum pluglet_anchor a, uint32_t seq)
{
	struct pluglet_stats st = { .sz = sizeof(st) };

	assert_int_equal(pluglet_host__stats(g_host, plugin, a, seq, &st), 0);
	return st;
}

static int setup(void **state)
{
	struct pluglet_host_opts o = {
		.sz = sizeof(o),
		.name = "test_host",
		.points = points,
		.nr_points = sizeof(points) / sizeof(points[0]),
		.helpers = helpers,
		.nr_helpers = sizeof(helpers) / sizeof(helpers[0]),
		.no_control = true,
		.budget = 100000,
		.stats_time = true,
	};

	g_host = pluglet_host__new(&o);
	if (!g_host)
		return -1;
	nr_marks = 0;
	body_runs = 0;
	return 0;
}

static int teardown(void **state)
{
	pluglet_host__free(g_host);
	g_host = NULL;
	return 0;
}

/* ---- tests ---- */

static void test_empty(void **state)
{
	int v = 5;

	assert_ptr_equal(pluglet_host__default(), g_host);
	assert_int_equal(target(&v, 3), 8);
	assert_int_equal(body_runs, 1);
	assert_int_equal(big(), -5);
}

static void test_order(void **state)
{
	int v = 1;

	add("target", PLUGLET_ANCHOR_PRE, 20, "mark3");
	add("target", PLUGLET_ANCHOR_PRE, 5, "mark1");
	add("target", PLUGLET_ANCHOR_PRE, 10, "mark2");
	add("target", PLUGLET_ANCHOR_POST, 7, "mark5");
	add("target", PLUGLET_ANCHOR_POST, 1, "mark4");
	assert_int_equal(target(&v, 1), 2);
	assert_int_equal(body_runs, 1);
	assert_int_equal(nr_marks, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(marks[i], (uint64_t)i + 1);
	/* an early return runs POST too */
	nr_marks = 0;
	assert_int_equal(target(&v, -1), -1);
	assert_int_equal(nr_marks, 5);
	assert_int_equal(marks[3], 4);
	assert_int_equal(marks[4], 5);
}

/*
 * A call decides at its start whether POST runs: a POST pluglet attached
 * while the body runs (here by the body itself) starts with the next call.
 */
static void test_post_attached_in_body(void **state)
{
	add("late", PLUGLET_ANCHOR_PRE, 1, "mark2");
	assert_int_equal(late(1), 1);
	assert_int_equal(body_runs, 1);
	assert_int_equal(nr_marks, 1);
	assert_int_equal(marks[0], 2);
	assert_int_equal(late(0), 0);
	assert_int_equal(nr_marks, 3);
	assert_int_equal(marks[1], 2);
	assert_int_equal(marks[2], 1);
	assert_int_equal(stats("late", PLUGLET_ANCHOR_POST, 1).runs, 1);
}

static void test_readonly_pre_post(void **state)
{
	struct pluglet_stats st;
	int v = 1;

	add("target", PLUGLET_ANCHOR_PRE, 1, "write_arg");
	add("target", PLUGLET_ANCHOR_POST, 1, "write_arg");
	assert_int_equal(target(&v, 2), 3);
	assert_int_equal(v, 1);
	assert_int_equal(body_runs, 1);
	st = stats("target", PLUGLET_ANCHOR_PRE, 1);
	assert_int_equal(st.runs, 1);
	assert_int_equal(st.faults, 1);
	assert_int_equal(st.last_fault_kind, PLUGLET_FAULT_READONLY);
	assert_non_null(strstr(st.last_fault, pluglet_fault_kind_str(PLUGLET_FAULT_READONLY)));
	st = stats("target", PLUGLET_ANCHOR_POST, 1);
	assert_int_equal(st.faults, 1);
}

static void test_replace_result(void **state)
{
	struct pluglet_stats st;
	int v = 1;

	add("target", PLUGLET_ANCHOR_REPLACE, 1, "write_arg");
	assert_int_equal(target(&v, 2), 7);
	assert_int_equal(v, 42);
	assert_int_equal(body_runs, 0);
	st = stats("target", PLUGLET_ANCHOR_REPLACE, 1);
	assert_int_equal(st.runs, 1);
	assert_int_equal(st.faults, 0);
	assert_true(st.run_ns > 0);	/* stats_time is on in these tests */
	if (!g_jit)
		assert_false(st.jit);
}

static void test_replace_fallback(void **state)
{
	struct pluglet_stats st;
	char err[256];
	int v = 1;

	add("target", PLUGLET_ANCHOR_REPLACE, 1, "oob");
	assert_int_equal(target(&v, 2), 3);
	assert_int_equal(body_runs, 1);
	st = stats("target", PLUGLET_ANCHOR_REPLACE, 1);
	assert_int_equal(st.faults, 1);
	assert_int_equal(st.last_fault_kind, PLUGLET_FAULT_OOB_LOAD);

	assert_int_equal(pluglet_host__remove(g_host, "target", PLUGLET_ANCHOR_REPLACE, 1, err, sizeof(err)), 0);
	add("target", PLUGLET_ANCHOR_REPLACE, 2, "loop");
	assert_int_equal(target(&v, 4), 5);
	assert_int_equal(body_runs, 2);
	st = stats("target", PLUGLET_ANCHOR_REPLACE, 2);
	assert_int_equal(st.faults, 1);
	assert_int_equal(st.last_fault_kind, PLUGLET_FAULT_BUDGET);

	assert_int_equal(pluglet_host__remove(g_host, "target", PLUGLET_ANCHOR_REPLACE, 2, err, sizeof(err)), 0);
	add("target", PLUGLET_ANCHOR_REPLACE, 3, "bad_ptr");
	assert_int_equal(target(&v, 4), 5);
	st = stats("target", PLUGLET_ANCHOR_REPLACE, 3);
	assert_int_equal(st.faults, 1);
	assert_int_equal(st.last_fault_kind, PLUGLET_FAULT_HELPER);
	assert_non_null(strstr(st.last_fault, "ebpf_memcpy"));
}

static void test_replace_only(void **state)
{
	char err[256];

	/* nothing attached: the host's code */
	assert_int_equal(ronly(3), -3);
	assert_int_equal(body_runs, 1);
	add("ronly", PLUGLET_ANCHOR_REPLACE, 1, "mark2");
	assert_int_equal(ronly(3), 20);
	assert_int_equal(body_runs, 1);
	/* check() refuses 3 */
	assert_int_equal(pluglet_host__remove(g_host, "ronly", PLUGLET_ANCHOR_REPLACE, 1, err, sizeof(err)), 0);
	add("ronly", PLUGLET_ANCHOR_REPLACE, 1, "mark3");
	assert_int_equal(ronly(4), -4);
	assert_int_equal(body_runs, 2);
	/* a fault takes on_err */
	assert_int_equal(pluglet_host__remove(g_host, "ronly", PLUGLET_ANCHOR_REPLACE, 1, err, sizeof(err)), 0);
	add("ronly", PLUGLET_ANCHOR_REPLACE, 1, "loop");
	assert_int_equal(ronly(5), -5);
	assert_int_equal(body_runs, 3);
	/* next() too */
	assert_int_equal(pluglet_host__remove(g_host, "ronly", PLUGLET_ANCHOR_REPLACE, 1, err, sizeof(err)), 0);
	add("ronly", PLUGLET_ANCHOR_REPLACE, 1, "give_up");
	assert_int_equal(ronly(6), -6);
	assert_int_equal(body_runs, 4);
}

static void test_hidden_args(void **state)
{
	int v = 1;

	add("target", PLUGLET_ANCHOR_REPLACE, 1, "hidden");
	assert_int_equal(target(&v, 0), 4242);
	assert_int_equal(stats("target", PLUGLET_ANCHOR_REPLACE, 1).faults, 0);
}

static void test_shared_memory(void **state)
{
	char err[256] = "";
	int v = 1;

	assert_int_equal(add_opts("target", PLUGLET_ANCHOR_PRE, 1, "shm_inc", 0, 64, err, sizeof(err)), 0);
	assert_int_equal(add_opts("target", PLUGLET_ANCHOR_REPLACE, 1, "shm_inc", 0, 64, err, sizeof(err)), 0);
	assert_int_equal(target(&v, 0), 2);
	assert_int_equal(target(&v, 0), 4);
	/* kept across a replace */
	{
		struct pluglet_inject_opts o = { .sz = sizeof(o), .jit = g_jit, .shared_mem = 64 };
		size_t len;
		void *buf = read_obj("shm_inc", &len);

		assert_int_equal(pluglet_host__replace(g_host, "target", PLUGLET_ANCHOR_REPLACE, 1, buf, len,
						       &o, err, sizeof(err)), 0);
		free(buf);
	}
	assert_int_equal(target(&v, 0), 6);
	/* gone with the plugin */
	assert_int_equal(pluglet_host__remove_plugin(g_host, "target", err, sizeof(err)), 0);
	assert_int_equal(target(&v, 0), 1);
	assert_int_equal(add_opts("target", PLUGLET_ANCHOR_REPLACE, 1, "shm_inc", 0, 64, err, sizeof(err)), 0);
	assert_int_equal(target(&v, 0), 1);
	/* no shared memory asked: the helpers give nothing */
	assert_int_equal(add_opts("vtarget", PLUGLET_ANCHOR_PRE, 1, "shm_inc", 0, 0, err, sizeof(err)), 0);
	vtarget(1);
	assert_int_equal(stats("vtarget", PLUGLET_ANCHOR_PRE, 1).faults, 0);
}

static void test_private_memory(void **state)
{
	char err[256] = "";
	int v = 1;

	assert_int_equal(add_opts("target", PLUGLET_ANCHOR_REPLACE, 1, "heap", 256, 0, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(target(&v, 0), 1);
	/* without private memory ctx_malloc fails cleanly */
	assert_int_equal(pluglet_host__remove(g_host, "target", PLUGLET_ANCHOR_REPLACE, 1, err, sizeof(err)), 0);
	assert_int_equal(add_opts("target", PLUGLET_ANCHOR_REPLACE, 1, "heap", 0, 0, err, sizeof(err)), 0);
	assert_int_equal(target(&v, 0), 2);
}

static void test_next(void **state)
{
	int v = 2;

	add("target", PLUGLET_ANCHOR_REPLACE, 1, "give_up");
	assert_int_equal(target(&v, 3), 5);
	assert_int_equal(body_runs, 1);
	assert_int_equal(nr_marks, 1);
	assert_int_equal(marks[0], 77);
	assert_int_equal(stats("target", PLUGLET_ANCHOR_REPLACE, 1).faults, 0);
}

static void test_void_and_retval(void **state)
{
	int v = 2;

	add("vtarget", PLUGLET_ANCHOR_PRE, 1, "mark1");
	add("vtarget", PLUGLET_ANCHOR_POST, 1, "mark2");
	vtarget(9);
	assert_int_equal(void_value, 9);
	vtarget(-1);
	assert_int_equal(nr_marks, 4);
	assert_int_equal(marks[0], 1);
	assert_int_equal(marks[1], 2);
	assert_int_equal(marks[3], 2);
	/* REPLACE on a void function skips the body */
	add("vtarget", PLUGLET_ANCHOR_REPLACE, 1, "mark3");
	vtarget(11);
	assert_int_equal(void_value, 9);
	assert_int_equal(body_runs, 2);

	nr_marks = 0;
	add("target", PLUGLET_ANCHOR_POST, 1, "post_ret");
	assert_int_equal(target(&v, 3), 5);
	assert_int_equal(nr_marks, 1);
	assert_int_equal(marks[0], 5);
}

static void test_misc_helpers(void **state)
{
	int v = 2;

	add("target", PLUGLET_ANCHOR_REPLACE, 1, "misc");
	assert_int_equal(target(&v, 3), 0);
	assert_int_equal(stats("target", PLUGLET_ANCHOR_REPLACE, 1).faults, 0);
}

static void test_manage_from_helper(void **state)
{
	int v = 1;

	add("target", PLUGLET_ANCHOR_REPLACE, 1, "manage");
	assert_int_equal(target(&v, 1), -EDEADLK);
	/* still attached, and the host still works */
	assert_int_equal(stats("target", PLUGLET_ANCHOR_REPLACE, 1).runs, 1);
	assert_int_equal(target(&v, 1), -EDEADLK);
}

/* Raw bytecode calls the built-in helpers by their fixed ids. */
static void test_raw_bytecode(void **state)
{
	const struct pluglet_insn prog[] = {
		{ .code = 0xb7, .dst_reg = 1, .imm = 0 },	/* r1 = 0 */
		{ .code = 0x85, .imm = 1 },			/* call get_arg */
		{ .code = 0x61, .dst_reg = 0, .src_reg = 0 },	/* r0 = *(u32 *)(r0 + 0) */
		{ .code = 0x95 },				/* exit */
	};
	struct pluglet_inject_opts o = { .sz = sizeof(o), .jit = g_jit };
	char err[256] = "";
	int v = 33;

	assert_int_equal(pluglet_host__add(g_host, "target", PLUGLET_ANCHOR_REPLACE, 1, prog, sizeof(prog),
					   &o, err, sizeof(err)), 0);
	assert_int_equal(target(&v, 1), 33);
	assert_int_equal(stats("target", PLUGLET_ANCHOR_REPLACE, 1).faults, 0);
}

static void test_big_id(void **state)
{
	add("big", PLUGLET_ANCHOR_REPLACE, 1, "mark2");
	assert_int_equal(big(), 2);
}

static void test_management(void **state)
{
	char err[256] = "";
	size_t len;
	void *buf;
	int v = 1;

	assert_int_equal(add_opts("nope", PLUGLET_ANCHOR_PRE, 1, "mark1", 0, 0, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "nope"));
	add("target", PLUGLET_ANCHOR_PRE, 1, "mark1");
	assert_int_equal(add_opts("target", PLUGLET_ANCHOR_PRE, 1, "mark1", 0, 0, err, sizeof(err)), -EEXIST);
	add("target", PLUGLET_ANCHOR_REPLACE, 1, "mark2");
	assert_int_equal(add_opts("target", PLUGLET_ANCHOR_REPLACE, 2, "mark3", 0, 0, err, sizeof(err)), -EEXIST);
	assert_int_equal(pluglet_host__remove(g_host, "target", PLUGLET_ANCHOR_POST, 1, err, sizeof(err)), -ENOENT);
	assert_int_equal(pluglet_host__replace(g_host, "target", PLUGLET_ANCHOR_POST, 1, "x", 1, NULL,
					       err, sizeof(err)), -ENOENT);
	assert_int_equal(pluglet_host__remove_plugin(g_host, "nope", err, sizeof(err)), -ENOENT);
	/* a failed replace keeps the old pluglet */
	buf = read_obj("mark1", &len);
	assert_int_not_equal(pluglet_host__replace(g_host, "target", PLUGLET_ANCHOR_REPLACE, 1, buf, len / 2,
						   NULL, err, sizeof(err)), 0);
	assert_int_equal(target(&v, 1), 2);
	assert_int_equal(pluglet_host__replace(g_host, "target", PLUGLET_ANCHOR_REPLACE, 1, buf, len,
					       NULL, err, sizeof(err)), 0);
	assert_int_equal(target(&v, 1), 1);
	free(buf);
	assert_int_equal(pluglet_anchor_parse("post"), PLUGLET_ANCHOR_POST);
	assert_int_equal(pluglet_anchor_parse("middle"), -EINVAL);
	assert_string_equal(pluglet_anchor_str(PLUGLET_ANCHOR_REPLACE), "replace");
}

/* Tries to add obj as REPLACE; expects a failure whose message contains `want`. */
static void expect_bad(const void *obj, size_t len, const char *entry, const char *want)
{
	struct pluglet_inject_opts o = { .sz = sizeof(o), .jit = g_jit, .entry = entry };
	char err[512] = "";
	int rc, v = 1;

	rc = pluglet_host__add(g_host, "target", PLUGLET_ANCHOR_REPLACE, 1, obj, len, &o, err, sizeof(err));
	if (rc == 0)
		fail_msg("bad object accepted (expected '%s')", want);
	assert_true(rc < 0);
	assert_true(err[0] != '\0');
	if (want && !strcasestr(err, want))
		fail_msg("error '%s' does not mention '%s'", err, want);
	/* the host keeps running */
	assert_int_equal(target(&v, 1), 2);
}

static Elf64_Shdr *find_section(uint8_t *buf, size_t len, const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Shdr *sh = (Elf64_Shdr *)(buf + eh->e_shoff);
	const char *strs = (const char *)buf + sh[eh->e_shstrndx].sh_offset;

	for (int i = 0; i < eh->e_shnum; i++)
		if (!strcmp(strs + sh[i].sh_name, name))
			return &sh[i];
	return NULL;
}

static void test_bad_elf(void **state)
{
	size_t len;
	uint8_t *good = read_obj("mark1", &len), *bad = malloc(len);
	Elf64_Shdr *rel;

	assert_non_null(bad);
	/* truncated */
	expect_bad(good, 64, NULL, NULL);
	expect_bad(good, len - 100, NULL, NULL);
	/* wrong machine */
	memcpy(bad, good, len);
	((Elf64_Ehdr *)bad)->e_machine = EM_X86_64;
	expect_bad(bad, len, NULL, "machine");
	/* relocation against a symbol that does not exist */
	memcpy(bad, good, len);
	rel = find_section(bad, len, ".rel.text");
	if (!rel)
		rel = find_section(bad, len, ".relmark");
	assert_non_null(rel);
	((Elf64_Rel *)(bad + rel->sh_offset))->r_info = ELF64_R_INFO(0xffffu, 10);
	expect_bad(bad, len, NULL, NULL);
	/* missing entry */
	expect_bad(good, len, "no_such_entry", "no_such_entry");
	free(good);
	/* unknown helper */
	good = read_obj("unknown_helper", &len);
	expect_bad(good, len, NULL, "no_such_helper");
	/* not an object at all */
	expect_bad("hello", 5, NULL, NULL);
	free(good);
	free(bad);
	/* and a good one still loads */
	add("target", PLUGLET_ANCHOR_REPLACE, 1, "mark3");
	{
		int v = 1;

		assert_int_equal(target(&v, 1), 3);
	}
}

static void test_report(void **state)
{
	char buf[4096];
	int v = 1, n;

	add("target", PLUGLET_ANCHOR_REPLACE, 9, "oob");
	target(&v, 1);
	target(&v, 1);
	n = pluglet_host__report(g_host, buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	assert_non_null(strstr(buf, "Name: test_host\n"));
	assert_non_null(strstr(buf, "target=1"));
	assert_non_null(strstr(buf, "Plugin: target\nAnchor: replace\nSeq: 9\n"));
	assert_non_null(strstr(buf, "Runs: 2\nFaults: 2\nLast Fault: oob-load"));
	/* the whole text, line by line */
	{
		struct pluglet_stats st = { .sz = sizeof(st) };
		char want[1024];
		size_t len;

		free(read_obj("oob", &len));
		snprintf(want, sizeof(want), "Name: test_host\nPID: %d\nMsqid: -1\n"
			 "Points: target=1 vtarget=2 ronly=3 late=4 big=5000\n", (int)getpid());
		assert_int_equal(strncmp(buf, want, strlen(want)), 0);
		assert_int_equal(pluglet_host__stats(g_host, "target", PLUGLET_ANCHOR_REPLACE, 9, &st), 0);
		snprintf(want, sizeof(want), "\nPlugin: target\nAnchor: replace\nSeq: 9\nMode: %s\n"
			 "Object Size (bytes): %zu\nExtra Memory (bytes): 0\nShared Memory (bytes): 0\n"
			 "Runs: 2\nFaults: 2\nLast Fault: %s\nLast Fault Insn: %u\n",
			 st.jit ? "jit" : "interpreter", len, st.last_fault, st.last_fault_insn);
		assert_non_null(strstr(buf, want));
		snprintf(want, sizeof(want), "Faults By Kind: oob-load=2\nRun Time (ns): %llu\n"
			 "Timed Runs: 2\nMean Run Time (ns): %llu\n", (unsigned long long)st.run_ns,
			 (unsigned long long)st.run_ns / 2);
		assert_non_null(strstr(buf, want));
		assert_int_equal(st.fault_kinds[PLUGLET_FAULT_OOB_LOAD], 2);
		assert_int_equal(st.timed_runs, 2);
		assert_true(st.last_fault_time_ns > 1700000000ull * 1000000000ull);
	}
	/* like snprintf: the length it would need */
	assert_int_equal(pluglet_host__report(g_host, buf, 10), n);
	assert_int_equal(strlen(buf), 9);
	assert_int_equal(pluglet_host__report(g_host, NULL, 0), n);
}

static void test_manifest(void **state)
{
	struct pluglet_host_opts o = {
		.sz = sizeof(o), .name = "manifest_host", .points = points, .nr_points = 4,
		.helpers = helpers, .nr_helpers = 3, .no_control = true,
	};
	char path[] = "/tmp/pluglet-manifest-XXXXXX";
	int fd, v = 1;
	FILE *f;

	pluglet_host__free(g_host);
	g_host = NULL;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "[first]\nplugin = target\nanchor = replace\nseq = 3\nobject = %s/mark2.o\njit = %s\n\n"
		"[second]\nplugin = target\nanchor = pre\nseq = 1\nobject = %s/mark1.o\n",
		HOST_TEST_OBJDIR, g_jit ? "true" : "false", HOST_TEST_OBJDIR);
	fclose(f);
	o.manifest = path;
	g_host = pluglet_host__new(&o);
	assert_non_null(g_host);
	assert_int_equal(target(&v, 1), 2);
	assert_int_equal(nr_marks, 2);
	assert_int_equal(marks[0], 1);
	pluglet_host__free(g_host);
	/* a broken manifest is an error */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[x]\nplugin = target\nbogus = 1\n");
	fclose(f);
	g_host = pluglet_host__new(&o);
	assert_null(g_host);
	/* entries that do not load are reported, the others stay */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[ok]\nplugin = target\nanchor = replace\nseq = 1\nobject = %s/mark3.o\n"
		"[missing]\nplugin = target\nanchor = pre\nseq = 1\nobject = %s/nope.o\n",
		HOST_TEST_OBJDIR, HOST_TEST_OBJDIR);
	fclose(f);
	o.manifest = NULL;
	g_host = pluglet_host__new(&o);
	assert_non_null(g_host);
	{
		char err[256] = "";

		assert_int_equal(pluglet_host__load_manifest(g_host, path, err, sizeof(err)), -EIO);
		assert_non_null(strstr(err, "nope.o"));
	}
	assert_int_equal(target(&v, 1), 3);
	/* bad values fail the whole manifest and name their line */
	{
		static const char *const bad[] = {
			"seq = x", "seq = -1", "seq = 4294967296", "seq = 1.5",
			"extra_memory = 12abc", "extra_memory = 4294967296",
			"shared_memory = -1", "jit = maybe", "anchor = middle",
			"object = relative.o", "color = red",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char err[512] = "";

			f = fopen(path, "w");
			assert_non_null(f);
			fprintf(f, "[b]\nplugin = target\nanchor = pre\nseq = 7\nobject = %s/mark1.o\n%s\n",
				HOST_TEST_OBJDIR, bad[i]);
			fclose(f);
			print_message("%s\n", bad[i]);
			assert_int_equal(pluglet_host__load_manifest(g_host, path, err, sizeof(err)), -EINVAL);
			assert_non_null(strstr(err, "on line 6"));
		}
	}
	/* seq is decimal: "010" is 10 */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[d]\nplugin = target\nanchor = pre\nseq = 010\nobject = %s/mark1.o\n"
		"extra_memory = 0x1000\n", HOST_TEST_OBJDIR);
	fclose(f);
	assert_int_equal(pluglet_host__load_manifest(g_host, path, NULL, 0), 0);
	{
		struct pluglet_stats st = { .sz = sizeof(st) };

		assert_int_equal(pluglet_host__stats(g_host, "target", PLUGLET_ANCHOR_PRE, 10, &st), 0);
	}
	pluglet_host__free(g_host);
	unlink(path);
	/* and only one host serves VM_CALL */
	o.manifest = NULL;
	g_host = pluglet_host__new(&o);
	assert_non_null(g_host);
	assert_null(pluglet_host__new(&o));
	assert_int_equal(errno, EBUSY);
}

/* The options-size rule on every options struct of the host API. */
static void test_opts_size(void **state)
{
	struct {
		struct pluglet_host_opts o;
		uint64_t tail;
	} bigh = { .o = { .name = "big", .points = points, .nr_points = 1, .no_control = true,
			  .no_default = true } };
	struct {
		struct pluglet_inject_opts o;
		uint32_t tail;
	} bigi = { .o = { .jit = false } };
	struct pluglet_stats st = { .sz = sizeof(st) };
	struct pluglet_host *h;
	size_t len;
	void *obj = read_obj("mark1", &len);
	char err[256] = "";
	int v = 1;

	/* a newer struct: accepted when its unknown tail is zero */
	bigh.o.sz = sizeof(bigh);
	bigh.tail = 1;
	assert_null(pluglet_host__new(&bigh.o));
	assert_int_equal(errno, EINVAL);
	bigh.tail = 0;
	h = pluglet_host__new(&bigh.o);
	assert_non_null(h);
	pluglet_host__free(h);
	/* an older one (up to nr_points): the rest reads as zero */
	bigh.o.sz = offsetof(struct pluglet_host_opts, helpers);
	h = pluglet_host__new(&bigh.o);
	assert_null(h);		/* no no_default: the test host already serves VM_CALL */
	assert_int_equal(errno, EBUSY);
	bigh.o.sz = 0;
	assert_null(pluglet_host__new(&bigh.o));
	assert_int_equal(errno, EINVAL);

	bigi.o.sz = sizeof(bigi);
	bigi.tail = 5;
	assert_int_equal(pluglet_host__add(g_host, "target", PLUGLET_ANCHOR_PRE, 1, obj, len, &bigi.o,
					   err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad injection options"));
	bigi.tail = 0;
	bigi.o.sz = offsetof(struct pluglet_inject_opts, extra_mem);	/* no memory sizes */
	assert_int_equal(pluglet_host__add(g_host, "target", PLUGLET_ANCHOR_PRE, 1, obj, len, &bigi.o,
					   err, sizeof(err)), 0);
	assert_int_equal(target(&v, 1), 2);
	free(obj);

	/* an output struct: an older caller gets what fits, the rest untouched */
	memset(&st, 0xee, sizeof(st));
	st.sz = offsetof(struct pluglet_stats, run_ns);
	assert_int_equal(pluglet_host__stats(g_host, "target", PLUGLET_ANCHOR_PRE, 1, &st), 0);
	assert_int_equal(st.runs, 1);
	assert_int_equal(st.sz, offsetof(struct pluglet_stats, run_ns));
	assert_int_equal(st.run_ns, 0xeeeeeeeeeeeeeeeeull);
	st.sz = 0;
	assert_int_equal(pluglet_host__stats(g_host, "target", PLUGLET_ANCHOR_PRE, 1, &st), -EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_empty), T(test_order), T(test_post_attached_in_body), T(test_readonly_pre_post), T(test_replace_result),
		T(test_replace_fallback), T(test_replace_only), T(test_hidden_args),
		T(test_shared_memory), T(test_private_memory), T(test_next),
		T(test_void_and_retval), T(test_misc_helpers), T(test_big_id), T(test_raw_bytecode), T(test_management), T(test_manage_from_helper),
		T(test_bad_elf), T(test_report), T(test_manifest), T(test_opts_size),
	};
	int rc;

	g_jit = false;
	rc = cmocka_run_group_tests_name("host (interpreter)", tests, NULL, NULL);
	g_jit = true;
	rc |= cmocka_run_group_tests_name("host (jit)", tests, NULL, NULL);
	return rc;
}

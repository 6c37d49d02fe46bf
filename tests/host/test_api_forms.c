/* SPDX-License-Identifier: MIT */
/*
 * The VM_CALL API of pluginized C functions written the way its own
 * documentation writes it: VM_CALL, VM_CALL_VOID and CALL_REPLACE_ONLY with
 * and without a `;` after them, as the body of an if or else without
 * braces, CALL_REPLACE_ONLY without its last branch; helpers taking the
 * call context and typed arguments, registered with PLUGLET_HELPER(). That
 * this file compiles (with -Werror) is half of the test; the other half
 * runs each form with and without a REPLACE pluglet, in the interpreter and
 * in the JIT.
 */
#include <pluglet/host.h>

#include <plugfs/fileutil.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#ifndef HOST_TEST_OBJDIR
#error HOST_TEST_OBJDIR must name the directory of the compiled test pluglets
#endif

enum { P_FORMS = 1, P_VOIDF = 2, P_RONLY = 3, P_TYPED = 11 };

static bool g_jit;
static struct pluglet_host *g_host;

/* ---- helpers in the form of pluginized C: context first, typed arguments ---- */

struct pair {
	int64_t a, b;
};

static long t_sum5(context_t *ctx, int a, long b, unsigned char c, short d, uint64_t e)
{
	(void)ctx;
	return -(a + b + c + d + (long)e);
}
PLUGLET_HELPER(t_sum5, int, long, unsigned char, short, uint64_t)

static int t_double(context_t *ctx, struct pair *p)
{
	(void)ctx;
	if (!p)
		return -EINVAL;
	p->b = p->a * 2;
	return 0;
}
PLUGLET_HELPER(t_double, struct pair *)

static int64_t t_read(context_t *ctx, const struct pair *p)
{
	(void)ctx;
	return p->a + p->b;
}
PLUGLET_HELPER(t_read, const struct pair *)

static uint32_t t_point(context_t *ctx)
{
	return ctx->exec ? ctx->point_id : 0;
}
PLUGLET_HELPER(t_point)

static void *t_same(context_t *ctx, void *p)
{
	(void)ctx;
	return p;
}
PLUGLET_HELPER(t_same, void *)

static const struct pluglet_helper_def helpers[] = {
	PLUGLET_HELPER_DEF(t_sum5),
	PLUGLET_HELPER_DEF(t_double),
	PLUGLET_HELPER_DEF(t_read),
	PLUGLET_HELPER_DEF(t_point),
};

/* ---- pluginized functions, in each form ---- */

#define ONE_ARG(v) { { .arg = &(v), .len = sizeof(v), .kind = kind_primitive, .type = 0 } }

static int no_semicolon(int v)
{
	bpf_args_t args[] = ONE_ARG(v);

	VM_CALL(P_FORMS, args, 1, {
		RETURN_VM_VAL(v + 1);
	})
}

static int with_semicolon(int v)
{
	bpf_args_t args[] = ONE_ARG(v);

	VM_CALL(P_FORMS, args, 1, {
		RETURN_VM_VAL(v + 2);
	});
}

static int vm_call_in_if(int on, int v)
{
	bpf_args_t args[] = ONE_ARG(v);

	if (on)
		VM_CALL(P_FORMS, args, 1, { RETURN_VM_VAL(v + 3); })
	else
		return -v;
}

static int void_seen;

static void void_no_semicolon(int v)
{
	bpf_args_t args[] = ONE_ARG(v);

	VM_CALL_VOID(P_VOIDF, args, 1, {
		void_seen = v;
	})
}

static int any(uint64_t v)
{
	return v != 0;
}

static int replace_only_forms(int form, int v)
{
	bpf_args_t args[] = ONE_ARG(v);
	int r = 0;

	switch (form) {
	case 0:
		CALL_REPLACE_ONLY(P_RONLY, args, 1, any, {
			return -v;
		}, {
			return (int)VM_RETURN_VALUE;
		})
	case 1:
		CALL_REPLACE_ONLY(P_RONLY, args, 1, any, { return -v; }, { return (int)VM_RETURN_VALUE; });
		break;
	case 2:
		if (v > 0)
			CALL_REPLACE_ONLY(P_RONLY, args, 1, any, { r = -v; }, { r = (int)VM_RETURN_VALUE; })
		else
			r = 7;
		return r;
	case 3:
		/* no last branch: a pluglet that ran leaves r as it was */
		r = 5;
		CALL_REPLACE_ONLY(P_RONLY, args, 1, any, {
			r = -v;
		})
		return r;
	}
	return 0;
}

/* The typed helpers' pluglet: its first argument picks what it calls. */
static int typed_call(int mode, struct pair *ro)
{
	bpf_args_t args[] = {
		{ .arg = &mode, .len = sizeof(mode), .kind = kind_primitive, .type = 0 },
		{ .arg = ro, .len = sizeof(*ro), .kind = kind_primitive, .type = 0 },
	};

	VM_CALL(P_TYPED, args, 2, {
		RETURN_VM_VAL(-1000);
	})
}

/* ---- fixtures ---- */

static void add(const char *plugin, const char *obj)
{
	struct pluglet_inject_opts o = { .sz = sizeof(o), .jit = g_jit };
	char path[512], err[512] = "";
	size_t len;
	void *buf;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.o", HOST_TEST_OBJDIR, obj);
	assert_int_equal(plugfs_read_file(path, &buf, &len), 0);
	rc = pluglet_host__add(g_host, plugin, PLUGLET_ANCHOR_REPLACE, 1, buf, len, &o, err, sizeof(err));
	free(buf);
	if (rc)
		fail_msg("add %s (%s): %d %s", plugin, obj, rc, err);
}

static int setup(void **state)
{
	static const struct pluglet_point_def points[] = {
		{ "forms", P_FORMS }, { "voidf", P_VOIDF }, { "ronly", P_RONLY, .replace_only = true },
		{ "typed", P_TYPED },
	};
	struct pluglet_host_opts o = {
		.sz = sizeof(o), .name = "test_api_forms", .points = points,
		.nr_points = sizeof(points) / sizeof(points[0]), .helpers = helpers,
		.nr_helpers = sizeof(helpers) / sizeof(helpers[0]), .no_control = true,
	};

	(void)state;
	g_host = pluglet_host__new(&o);
	if (!g_host)
		return -1;
	/* the other way to register one */
	return pluglet_host__add_helper(g_host, "t_same", PLUGLET_HELPER_FN(t_same)) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	pluglet_host__free(g_host);
	g_host = NULL;
	return 0;
}

/* ---- tests ---- */

static void test_vm_call_forms(void **state)
{
	(void)state;
	assert_int_equal(no_semicolon(10), 11);
	assert_int_equal(with_semicolon(10), 12);
	assert_int_equal(vm_call_in_if(1, 10), 13);
	assert_int_equal(vm_call_in_if(0, 10), -10);
	void_no_semicolon(4);
	assert_int_equal(void_seen, 4);

	add("forms", "v1001");
	add("voidf", "v1001");
	assert_int_equal(no_semicolon(10), 1001);
	assert_int_equal(with_semicolon(10), 1001);
	assert_int_equal(vm_call_in_if(1, 10), 1001);
	assert_int_equal(vm_call_in_if(0, 10), -10);
	void_no_semicolon(5);
	assert_int_equal(void_seen, 4);		/* the REPLACE pluglet ran instead */
}

static void test_replace_only_forms(void **state)
{
	(void)state;
	assert_int_equal(replace_only_forms(0, 3), -3);
	assert_int_equal(replace_only_forms(1, 3), -3);
	assert_int_equal(replace_only_forms(2, 3), -3);
	assert_int_equal(replace_only_forms(2, -3), 7);
	assert_int_equal(replace_only_forms(3, 3), -3);

	add("ronly", "v1002");
	assert_int_equal(replace_only_forms(0, 3), 1002);
	assert_int_equal(replace_only_forms(1, 3), 1002);
	assert_int_equal(replace_only_forms(2, 3), 1002);
	assert_int_equal(replace_only_forms(2, -3), 7);
	assert_int_equal(replace_only_forms(3, 3), 5);
}

/* A CALL_REPLACE_ONLY point declared so takes no PRE or POST pluglet. */
static void test_replace_only_point(void **state)
{
	struct pluglet_inject_opts o = { .sz = sizeof(o), .jit = g_jit };
	char path[512], err[512] = "";
	size_t len;
	void *buf;

	(void)state;
	snprintf(path, sizeof(path), "%s/v1001.o", HOST_TEST_OBJDIR);
	assert_int_equal(plugfs_read_file(path, &buf, &len), 0);
	for (int a = PLUGLET_ANCHOR_PRE; a <= PLUGLET_ANCHOR_POST; a += 2) {
		assert_int_equal(pluglet_host__add(g_host, "ronly", a, 1, buf, len, &o, err,
						   sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "ronly is a replace-only point (CALL_REPLACE_ONLY)"));
		assert_int_equal(pluglet_host__replace(g_host, "ronly", a, 1, buf, len, &o, err,
						       sizeof(err)), -EINVAL);
	}
	/* the same pluglet is welcome at a VM_CALL point */
	assert_int_equal(pluglet_host__add(g_host, "forms", PLUGLET_ANCHOR_PRE, 1, buf, len, &o, err,
					   sizeof(err)), 0);
	free(buf);
	add("ronly", "v1002");
	assert_int_equal(pluglet_host__remove_plugin(g_host, "ronly", err, sizeof(err)), 0);
}

static void assert_fault(const char *want)
{
	struct pluglet_stats st = { .sz = sizeof(st) };

	assert_int_equal(pluglet_host__stats(g_host, "typed", PLUGLET_ANCHOR_REPLACE, 1, &st), 0);
	assert_int_equal(st.last_fault_kind, PLUGLET_FAULT_HELPER);
	if (!strstr(st.last_fault, want))
		fail_msg("last fault '%s' does not say '%s'", st.last_fault, want);
}

static void test_typed_helpers(void **state)
{
	struct pair ro = { 3, 4 };

	(void)state;
	add("typed", "typed");
	assert_int_equal(typed_call(0, &ro), -52);	/* 1 - 2 + (uint8_t)300 + 4 + 5, negated */
	assert_int_equal(typed_call(1, &ro), 40);	/* written into the pluglet's stack */
	assert_int_equal(typed_call(2, &ro), 7);	/* read from a read-only argument */
	assert_int_equal(typed_call(5, &ro), -EINVAL);	/* NULL reaches the helper */
	assert_int_equal(typed_call(6, &ro), P_TYPED);
	assert_int_equal(typed_call(7, &ro), 1);	/* a pointer back */
	/* a read-only argument handed to a helper that writes: the run ends
	 * before the helper runs, and the host's body answers */
	assert_int_equal(typed_call(3, &ro), -1000);
	assert_fault("t_double: argument 1");
	assert_fault("is not memory the pluglet may write");
	assert_int_equal(ro.b, 4);
	assert_int_equal(typed_call(4, &ro), -1000);
	assert_fault("t_double: argument 1 (0x1000, 16 bytes)");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_vm_call_forms), T(test_replace_only_forms), T(test_typed_helpers),
		T(test_replace_only_point),
	};
	int rc = 0;

	/* each form in the interpreter, then in the JIT */
	for (int jit = 0; jit <= 1; jit++) {
		g_jit = jit;
		rc |= cmocka_run_group_tests_name(jit ? "api forms (jit)" : "api forms (interpreter)",
						  tests, NULL, NULL);
	}
	return rc;
}

/* SPDX-License-Identifier: MIT */
/* Unit tests of the map entry codec (bpf/mapio.c) and of the report fields
 * and attach point texts of bpf/introspect.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "introspect.h"
#include "mapio.h"

#include <plugfs/strbuf.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void test_key_names(void **state)
{
	uint32_t k = 0x01020304, back = 0;
	unsigned char k3[3];
	char name[9];

	(void)state;
	mapio_key_name(&k, sizeof(k), name);
	assert_string_equal(name, "04030201");
	assert_int_equal(mapio_key_parse(name, &back, sizeof(back)), 0);
	assert_int_equal(back, k);
	assert_int_equal(mapio_key_parse("0A0b0C", k3, 3), 0);
	assert_int_equal(k3[0], 0x0a);
	assert_int_equal(k3[2], 0x0c);
	assert_int_equal(mapio_key_parse("040302", &back, 4), -EINVAL);	/* too short */
	assert_int_equal(mapio_key_parse("0403020100", &back, 4), -EINVAL);	/* too long */
	assert_int_equal(mapio_key_parse("0403020g", &back, 4), -EINVAL);	/* not hex */
	assert_int_equal(mapio_key_parse("0x030201", &back, 4), -EINVAL);	/* names have no 0x */
}

static void test_value_plain(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	uint64_t v = 42, back = 0;
	char *s;
	size_t len;

	(void)state;
	assert_int_equal(mapio_value_format(&v, sizeof(v), 0, &sb), 0);
	s = strbuf__detach(&sb, &len);
	assert_string_equal(s, "2a00000000000000\n");
	/* what is read is written back */
	assert_int_equal(mapio_value_parse(s, len, sizeof(back), 0, &back), 0);
	assert_int_equal(back, 42);
	free(s);
	assert_int_equal(mapio_value_parse("0x2a 00:00 00 00000000", 22, 8, 0, &back), 0);
	assert_int_equal(mapio_value_parse("2a", 2, 8, 0, &back), -EINVAL);	/* too short */
	assert_int_equal(mapio_value_parse("2a000000000000000000", 20, 8, 0, &back), -EINVAL);
	assert_int_equal(mapio_value_parse("zz00000000000000", 16, 8, 0, &back), -EINVAL);
	assert_int_equal(mapio_value_parse("", 0, 8, 0, &back), -EINVAL);
}

static void test_value_percpu(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	uint32_t buf[6] = { 1, 0xffffffff, 2, 0xffffffff, 3, 0xffffffff };	/* stride 8 */
	uint32_t back[6];
	char *s;
	size_t len;

	(void)state;
	assert_int_equal(mapio_value_buf_size(4, 3), 24);
	assert_int_equal(mapio_value_format(buf, 4, 3, &sb), 0);
	s = strbuf__detach(&sb, &len);
	assert_string_equal(s, "cpu0: 01000000\ncpu1: 02000000\ncpu2: 03000000\n");
	memset(back, 0, sizeof(back));
	assert_int_equal(mapio_value_parse(s, len, 4, 3, back), 0);
	assert_int_equal(back[0], 1);
	assert_int_equal(back[2], 2);
	assert_int_equal(back[4], 3);
	free(s);
	/* one value for every CPU */
	assert_int_equal(mapio_value_parse("07000000\n", 9, 4, 3, back), 0);
	assert_int_equal(back[0], 7);
	assert_int_equal(back[4], 7);
	/* a CPU missing, twice, or out of range */
	s = "cpu0: 01000000\ncpu1: 02000000\n";
	assert_int_equal(mapio_value_parse(s, strlen(s), 4, 3, back), -EINVAL);
	s = "cpu0: 01000000\ncpu0: 01000000\ncpu1: 02000000\n";
	assert_int_equal(mapio_value_parse(s, strlen(s), 4, 3, back), -EINVAL);
	s = "cpu0: 01000000\ncpu1: 02000000\ncpu3: 02000000\n";
	assert_int_equal(mapio_value_parse(s, strlen(s), 4, 3, back), -EINVAL);
}

static void test_fields_text(void **state)
{
	struct ifields fs = { 0 };
	char *buf;
	size_t len;

	(void)state;
	ifields_add(&fs, IFIELD_HEADING, "Kernel State", "%s", "");
	ifields_add(&fs, IFIELD_NUM, "ID", "%u", 7u);
	ifields_add(&fs, IFIELD_NUM_LIST, "Map IDs", "%s", "");
	ifields_add_item(&fs, IFIELD_NUM_LIST, "Map IDs", "%u", 3u);
	ifields_add_item(&fs, IFIELD_NUM_LIST, "Map IDs", "%u", 4u);
	ifields_add(&fs, IFIELD_LIST, "Attached", "%s", "");
	ifields_add(&fs, IFIELD_HEADING, "Plugfs State", "%s", "");
	assert_int_equal(ifields_text(&fs, &buf, &len), 0);
	assert_string_equal(buf, "Kernel State\nID: 7\nMap IDs: 3, 4\nAttached: None\n\nPlugfs State\n");
	free(buf);
	ifields_fini(&fs);
}

static void test_attach_text(void **state)
{
	struct attach_point a;

	(void)state;
	attach_point_xdp(&a, "veth0", "skb");
	assert_string_equal(a.text, "xdp on veth0 (skb)");
	attach_point_tc(&a, "veth1", false, "cls_bpf, pref 1, handle 0x1");
	assert_string_equal(a.text, "tc-egress on veth1 (cls_bpf, pref 1, handle 0x1)");
}

static void test_ids(void **state)
{
	uint32_t id = 0;

	(void)state;
	assert_int_equal(introspect_parse_id("42", &id), 0);
	assert_int_equal(id, 42);
	assert_int_equal(introspect_parse_id("4294967295", &id), 0);
	assert_int_equal(id, UINT32_MAX);
	assert_int_equal(introspect_parse_id("4294967296", &id), -ENOENT);
	assert_int_equal(introspect_parse_id("042", &id), -ENOENT);	/* one name per id */
	assert_int_equal(introspect_parse_id("0", &id), -ENOENT);
	assert_int_equal(introspect_parse_id("+4", &id), -ENOENT);
	assert_int_equal(introspect_parse_id("4.json", &id), -ENOENT);
	assert_int_equal(introspect_parse_id("", &id), -ENOENT);
}

static void test_fields_json(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct ifields fs = { 0 };

	(void)state;
	ifields_add(&fs, IFIELD_NUM, "ID", "%u", 9u);
	ifields_add(&fs, IFIELD_HEADING, "Kernel State", "%s", "");
	ifields_add(&fs, IFIELD_BOOL, "GPL Compatible", "%s", "true");
	ifields_add(&fs, IFIELD_NUM_LIST, "Map IDs", "%s", "");
	ifields_add_item(&fs, IFIELD_NUM_LIST, "Map IDs", "%u", 3u);
	ifields_add(&fs, IFIELD_LIST, "Attached", "%s", "");
	ifields_add_item(&fs, IFIELD_LIST, "Attached", "%s", "xdp on \"v\" (skb)");
	ifields_add(&fs, IFIELD_STR, "Size JITed (bytes)", "%s", "x");
	assert_int_equal(ifields_json(&fs, &sb), 0);
	assert_string_equal(sb.buf, "{\"id\":9,\"kernel_state\":{\"gpl_compatible\":true,"
			    "\"map_ids\":[3],\"attached\":[\"xdp on \\\"v\\\" (skb)\"],"
			    "\"size_jited_bytes\":\"x\"}}\n");
	strbuf__fini(&sb);
	ifields_fini(&fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_names),
		cmocka_unit_test(test_value_plain),
		cmocka_unit_test(test_value_percpu),
		cmocka_unit_test(test_fields_text),
		cmocka_unit_test(test_attach_text),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_fields_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

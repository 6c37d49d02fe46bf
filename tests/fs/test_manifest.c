/* SPDX-License-Identifier: MIT */
/* Load manifests: every key, and each way a manifest is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest.h"

static int parse(const char *text, struct plugfs_manifest *m, char *err)
{
	return manifest_parse(text, strlen(text), m, err, 256);
}

static void test_full_manifest(void **state)
{
	const char *text =
		"object = /abs/path/prog.o        ; required\n"
		"name = pass\n"
		"proceed_on = pass, dispatcher_return\n"
		"global.GLOBAL_1 = 01020304\n"
		"global.GLOBAL_2 = 0A0B0C0D\n"
		"metadata.owner = acme\n"
		"map_owner = ../50\n"
		"mode = skb\n"
		"jit = true\n"
		"extra_memory = 4096\n"
		"shared_memory = 1024\n";
	struct plugfs_manifest m;
	char err[256] = "";

	assert_int_equal(parse(text, &m, err), 0);
	assert_string_equal(m.object, "/abs/path/prog.o");
	assert_string_equal(m.name, "pass");
	assert_string_equal(m.proceed_on, "pass, dispatcher_return");
	assert_int_equal(m.nr_globals, 2);
	assert_string_equal(m.globals[0].key, "GLOBAL_1");
	assert_string_equal(m.globals[1].value, "0A0B0C0D");
	assert_int_equal(m.nr_metadata, 1);
	assert_string_equal(m.metadata[0].key, "owner");
	assert_string_equal(m.metadata[0].value, "acme");
	assert_string_equal(m.map_owner, "../50");
	assert_string_equal(m.mode, "skb");
	assert_int_equal(m.jit, 1);
	assert_int_equal(m.extra_memory, 4096);
	assert_int_equal(m.shared_memory, 1024);
}

static void test_defaults_unset(void **state)
{
	struct plugfs_manifest m;
	char err[256];

	assert_int_equal(parse("object=/x.o\n", &m, err), 0);
	assert_int_equal(m.jit, -1);
	assert_int_equal(m.extra_memory, -1);
	assert_int_equal(m.shared_memory, -1);
	assert_string_equal(m.name, "");
	assert_int_equal(m.nr_globals, 0);
}

static void test_rejections(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "name = x\n", "'object' is required" },
		{ "object = rel/prog.o\n", "must be absolute" },
		{ "object = /x.o\nbogus = 1\n", "unknown key 'bogus'" },
		{ "object = /x.o\nmode = turbo\n", "bad value for 'mode'" },
		{ "object = /x.o\njit = maybe\n", "bad value for 'jit'" },
		{ "object = /x.o\nextra_memory = -5\n", "bad value for 'extra_memory'" },
		{ "object = /x.o\nglobal.G = zz\n", "bad value for 'global.G'" },
		{ "object = /x.o\nglobal.G = 01\nglobal.G = 02\n", "given twice" },
		{ "[sec]\nobject = /x.o\n", "sections are not used" },
		{ "object = /x.o\nobject = /y.o\n", "key 'object' given twice on line 2" },
		{ "object = /x.o\nname = a\n\nname = b\n", "key 'name' (or 'entry') given twice on line 4" },
		{ "object = /x.o\nentry = a\nname = b\n", "key 'name' (or 'entry') given twice on line 3" },
		{ "object = /x.o\nmode = skb\nmode = native\n", "key 'mode' given twice on line 3" },
		{ "object = /x.o\nmap_owner = ../1\nmap_owner = ../2\n", "key 'map_owner' given twice" },
		{ "object = /x.o\njit = true\njit = true\n", "key 'jit' given twice on line 3" },
		{ "object = /x.o\nextra_memory = 1\nextra_memory = 2\n", "key 'extra_memory' given twice" },
		{ "object = /x.o\nshared_memory = 1\nshared_memory = 2\n", "key 'shared_memory' given twice" },
		{ "object = /x.o\nmetadata.a = 1\nmetadata.a = 2\n", "given twice on line 3" },
		{ "object /x.o\n", "syntax error on line 1" },
		{ "object = /x.o\nimage = h/r:v1\n", "only one of 'object', 'image', 'source'" },
		{ "image = h/r:v1\nsource = /s.c\n", "only one of" },
		{ "image = h/r:v1\nimage_pull_policy = Sometimes\n", "not Always, IfNotPresent or Never" },
		{ "object = /x.o\nimage_pull_policy = Always\n", "go with 'image'" },
		{ "object = /x.o\ncflags = -DX\n", "go with 'source'" },
		{ "source = rel.c\n", "source path must be absolute" },
		{ "image = h/r:v1\nregistry_auth = rel.json\n", "registry_auth must be an absolute path" },
		{ "image = h/r:v1\nimage = h/r:v2\n", "key 'image' given twice" },
	};
	struct plugfs_manifest m;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(bad[i].text, &m, err), -EINVAL);
		if (!strstr(err, bad[i].why))
			fail_msg("case %zu: '%s' does not mention '%s'", i, err, bad[i].why);
	}
	assert_int_equal(manifest_parse("object=/x\0", 10, &m, err, sizeof(err)), -EINVAL);
}

/* Where the bytes come from: an image or a source instead of an object. */
static void test_image_and_source(void **state)
{
	struct plugfs_manifest m;
	char err[256];

	assert_int_equal(parse("image = quay.io/a/b:v1\nimage_pull_policy = always\n"
			       "registry_auth = /root/.docker/config.json\n", &m, err), 0);
	assert_string_equal(m.image, "quay.io/a/b:v1");
	assert_string_equal(m.image_pull_policy, "Always");
	assert_string_equal(m.registry_auth, "/root/.docker/config.json");
	assert_string_equal(m.object, "");
	assert_int_equal(parse("source = /src/p.bpf.c\ncflags = -DA=1 -O1\nname = f\n", &m, err), 0);
	assert_string_equal(m.source, "/src/p.bpf.c");
	assert_string_equal(m.cflags, "-DA=1 -O1");
	assert_string_equal(m.image_pull_policy, "");
}

/* Repeated proceed_on lines add up, as bpfctl's repeated --proceed-on does. */
static void test_proceed_on_adds_up(void **state)
{
	struct plugfs_manifest m;
	char err[256] = "", text[600];

	assert_int_equal(parse("object = /x.o\nproceed_on = pass\nproceed_on = drop, tx\n"
			       "proceed_on = dispatcher_return\n", &m, err), 0);
	assert_string_equal(m.proceed_on, "pass, drop, tx, dispatcher_return");
	/* the joined list still has to fit */
	snprintf(text, sizeof(text), "object = /x.o\nproceed_on = %0200d\nproceed_on = %0100d\n", 0, 0);
	assert_int_equal(parse(text, &m, err), -EINVAL);
	assert_non_null(strstr(err, "proceed_on: more than 255 bytes of verdicts on line 3"));
}

static void test_is_elf(void **state)
{
	assert_true(manifest_is_elf("\177ELF\2\1", 6));
	assert_false(manifest_is_elf("object=/x", 9));
	assert_false(manifest_is_elf("\177EL", 3));
}

/* keys_read tells a manifest with a mistake from text that is none. */
static void test_keys_read(void **state)
{
	struct plugfs_manifest m;
	char err[256];

	assert_int_equal(parse("not an object\n", &m, err), -EINVAL);
	assert_int_equal(m.keys_read, 0);
	assert_int_equal(parse("object = /x.o\nproced_on = pass\n", &m, err), -EINVAL);
	assert_int_equal(m.keys_read, 2);
}

/* Globals are decoded once, here; the engine gets bytes. */
static void test_global_bytes(void **state)
{
	struct plugfs_manifest m;
	char err[256] = "";

	assert_int_equal(parse("object = /x.o\nglobal.G = 0xAB cd\n", &m, err), 0);
	assert_int_equal(m.nr_globals, 1);
	assert_int_equal(m.globals[0].len, 2);
	assert_int_equal(m.globals[0].data[0], 0xab);
	assert_int_equal(m.globals[0].data[1], 0xcd);
	assert_string_equal(m.globals[0].value, "0xAB cd");
	assert_int_equal(parse("object = /x.o\nglobal.G = abc\n", &m, err), -EINVAL);
	assert_non_null(strstr(err, "bad value for 'global.G'"));
	assert_non_null(strstr(err, "on line 2"));
}

static void test_read_object(void **state)
{
	char path[] = "/tmp/plugfs-manifest-XXXXXX";
	struct plugfs_manifest m;
	char err[256];
	void *obj = NULL;
	size_t len = 0;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\177ELFdata", 8), 8);
	close(fd);
	memset(&m, 0, sizeof(m));
	snprintf(m.object, sizeof(m.object), "%s", path);
	assert_int_equal(manifest_read_object(&m, 1024, &obj, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(obj, "\177ELFdata", 8);
	free(obj);
	assert_int_equal(manifest_read_object(&m, 4, &obj, &len, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "over the limit"));
	unlink(path);
	assert_int_equal(manifest_read_object(&m, 1024, &obj, &len, err, sizeof(err)), -ENOENT);
	snprintf(m.object, sizeof(m.object), "/tmp");
	assert_int_equal(manifest_read_object(&m, 1024, &obj, &len, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_manifest),
		cmocka_unit_test(test_defaults_unset),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_proceed_on_adds_up),
		cmocka_unit_test(test_is_elf),
		cmocka_unit_test(test_global_bytes),
		cmocka_unit_test(test_keys_read),
		cmocka_unit_test(test_read_object),
		cmocka_unit_test(test_image_and_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

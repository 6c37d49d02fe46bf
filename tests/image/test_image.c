// SPDX-License-Identifier: MIT
/* Unit tests of image/'s parsers: references, challenges, auth files, OCI documents, labels, layers. */
#include "../../image/image_internal.h"

#include <plugfs/fileutil.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_ref(void **state)
{
	struct image_ref r;

	assert_int_equal(image_ref_parse("quay.io/bpfman-bytecode/xdp_pass:latest", &r), 0);
	assert_string_equal(r.registry, "quay.io");
	assert_string_equal(r.repo, "bpfman-bytecode/xdp_pass");
	assert_string_equal(r.tag, "latest");
	assert_string_equal(r.digest, "");
	assert_int_equal(image_ref_parse("127.0.0.1:5000/a/b", &r), 0);
	assert_string_equal(r.registry, "127.0.0.1:5000");
	assert_string_equal(r.repo, "a/b");
	assert_string_equal(r.tag, "latest");
	assert_int_equal(image_ref_parse("localhost:5000/x:v1@sha256:" HEX64, &r), 0);
	assert_string_equal(r.tag, "v1");
	assert_string_equal(r.digest, "sha256:" HEX64);
	assert_int_equal(image_ref_parse("h/x@sha256:" HEX64, &r), 0);
	assert_string_equal(r.tag, "");
	assert_int_equal(image_ref_parse("oci:/var/img/layout:v2", &r), 0);
	assert_true(r.is_layout);
	assert_string_equal(r.layout, "/var/img/layout");
	assert_string_equal(r.tag, "v2");
	assert_int_equal(image_ref_parse("oci:/var/img/layout", &r), 0);
	assert_string_equal(r.tag, "");
	/* refused */
	assert_int_equal(image_ref_parse("xdp_pass", &r), -EINVAL);
	assert_int_equal(image_ref_parse("oci:relative/dir", &r), -EINVAL);
	assert_int_equal(image_ref_parse("h/Upper:v1", &r), -EINVAL);
	assert_int_equal(image_ref_parse("h/x:", &r), -EINVAL);
	assert_int_equal(image_ref_parse("h/x@sha256:abc", &r), -EINVAL);
	assert_int_equal(image_ref_parse("h//x", &r), -EINVAL);
}

static void test_policy(void **state)
{
	enum image_pull_policy p;

	assert_int_equal(image_pull_policy_parse("Always", &p), 0);
	assert_int_equal(p, IMAGE_PULL_ALWAYS);
	assert_int_equal(image_pull_policy_parse("ifnotpresent", &p), 0);
	assert_string_equal(image_pull_policy_name(p), "IfNotPresent");
	assert_int_equal(image_pull_policy_parse("Never", &p), 0);
	assert_int_equal(image_pull_policy_parse("Sometimes", &p), -EINVAL);
}

static void test_www_auth(void **state)
{
	struct www_auth a;

	assert_int_equal(www_auth_parse("Bearer realm=\"https://auth.example/token\","
					"service=\"registry.example\",scope=\"repository:a/b:pull\"", &a), 0);
	assert_true(a.bearer);
	assert_string_equal(a.realm, "https://auth.example/token");
	assert_string_equal(a.service, "registry.example");
	assert_string_equal(a.scope, "repository:a/b:pull");
	assert_int_equal(www_auth_parse("Basic realm=\"plugfs test\"", &a), 0);
	assert_false(a.bearer);
	assert_string_equal(a.realm, "plugfs test");
	/* token values, spaces, escapes, case of the scheme and keys */
	assert_int_equal(www_auth_parse("bearer  Realm=https://t/x , service=\"s\\\"q\"", &a), 0);
	assert_string_equal(a.realm, "https://t/x");
	assert_string_equal(a.service, "s\"q");
	assert_int_equal(www_auth_parse("Bearer service=\"s\"", &a), -EINVAL);	/* no realm */
	assert_int_equal(www_auth_parse("Digest realm=\"x\"", &a), -EINVAL);
	assert_int_equal(www_auth_parse("Bearer realm=\"unterminated", &a), -EINVAL);
	assert_int_equal(www_auth_parse("", &a), -EINVAL);
}

static char *write_tmp(const char *text)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/plugfs-test-image.%d", (int)getpid());
	assert_int_equal(plugfs_write_file(path, text, strlen(text)), 0);
	return path;
}

static void test_auth_file(void **state)
{
	char up[256], err[256];
	char *p = write_tmp("{\"auths\": {\"https://reg.example:5000/v1/\": {\"auth\": \"dXNlcjpwYXNz\"},"
			    " \"https://index.docker.io/v1/\": {\"auth\": \"aHViOmh1Yg==\"},"
			    " \"other.example\": {\"username\": \"u\", \"password\": \"p:w\"}}}");

	assert_int_equal(auth_file_lookup(p, "reg.example:5000", up, sizeof(up), err, sizeof(err)), 0);
	assert_string_equal(up, "user:pass");
	assert_int_equal(auth_file_lookup(p, "other.example", up, sizeof(up), err, sizeof(err)), 0);
	assert_string_equal(up, "u:p:w");
	assert_int_equal(auth_file_lookup(p, "reg.example", up, sizeof(up), err, sizeof(err)), -ENOENT);
	assert_int_equal(auth_file_lookup(p, "docker.io", up, sizeof(up), err, sizeof(err)), 0);
	assert_string_equal(up, "hub:hub");
	p = write_tmp("{\"auths\": {\"h\": {\"auth\": \"!!!\"}}}");
	assert_int_equal(auth_file_lookup(p, "h", up, sizeof(up), err, sizeof(err)), -EINVAL);
	p = write_tmp("not json");
	assert_int_equal(auth_file_lookup(p, "h", up, sizeof(up), err, sizeof(err)), -EINVAL);
	unlink(p);
	assert_int_equal(auth_file_lookup("/nonexistent/config.json", "h", up, sizeof(up), err,
					  sizeof(err)), -EINVAL);
}

static void test_token(void **state)
{
	char tok[64];
	const char *a = "{\"token\": \"abc\", \"expires_in\": 300}";
	const char *b = "{\"access_token\": \"def\"}";

	assert_int_equal(auth_token_from_json(a, strlen(a), tok, sizeof(tok)), 0);
	assert_string_equal(tok, "abc");
	assert_int_equal(auth_token_from_json(b, strlen(b), tok, sizeof(tok)), 0);
	assert_string_equal(tok, "def");
	assert_int_equal(auth_token_from_json("{}", 2, tok, sizeof(tok)), -EINVAL);
}

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static void test_manifest_index(void **state)
{
	const char *man = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			  "\"config\":{\"digest\":\"" D1 "\"},\"layers\":[{\"mediaType\":"
			  "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D2 "\"}]}";
	const char *idx = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
			  "\"manifests\":[{\"digest\":\"" D1 "\",\"platform\":{\"os\":\"linux\","
			  "\"architecture\":\"arm64\"}},{\"digest\":\"" D2 "\",\"platform\":{\"os\":"
			  "\"linux\",\"architecture\":\"amd64\"}}]}";
	const char *one = "{\"manifests\":[{\"digest\":\"" D3 "\"}]}";
	const char *arm = "{\"manifests\":[{\"digest\":\"" D1 "\",\"platform\":{\"os\":\"linux\","
			  "\"architecture\":\"arm64\"}},{\"digest\":\"" D2 "\"}]}";
	const char *layout = "{\"manifests\":[{\"digest\":\"" D1 "\",\"annotations\":"
			     "{\"org.opencontainers.image.ref.name\":\"v1\"}}]}";
	struct oci_manifest m;
	enum oci_doc_kind k;
	char d[80], err[256];

	assert_int_equal(oci_doc_kind(man, strlen(man), &k, err, sizeof(err)), 0);
	assert_int_equal(k, OCI_DOC_MANIFEST);
	assert_int_equal(oci_doc_kind(idx, strlen(idx), &k, err, sizeof(err)), 0);
	assert_int_equal(k, OCI_DOC_INDEX);
	assert_int_equal(oci_doc_kind(one, strlen(one), &k, err, sizeof(err)), 0);
	assert_int_equal(k, OCI_DOC_INDEX);
	assert_int_equal(oci_manifest_parse(man, strlen(man), &m, err, sizeof(err)), 0);
	assert_string_equal(m.config, D1);
	assert_int_equal(m.nr_layers, 1);
	assert_string_equal(m.layers[0], D2);
	assert_int_equal(oci_index_pick(idx, strlen(idx), d, err, sizeof(err)), 0);
	assert_string_equal(d, D2);
	assert_int_equal(oci_index_pick(one, strlen(one), d, err, sizeof(err)), 0);
	assert_string_equal(d, D3);
	assert_int_equal(oci_index_pick(arm, strlen(arm), d, err, sizeof(err)), -ENOENT);
	assert_int_equal(oci_layout_pick(layout, strlen(layout), "v1", d, err, sizeof(err)), 0);
	assert_string_equal(d, D1);
	assert_int_equal(oci_layout_pick(layout, strlen(layout), "", d, err, sizeof(err)), 0);
	assert_int_equal(oci_layout_pick(layout, strlen(layout), "v2", d, err, sizeof(err)), -ENOENT);
	assert_int_equal(oci_manifest_parse("{\"layers\":[]}", 13, &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(oci_manifest_parse("[1]", 3, &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(oci_manifest_parse("{\"config\":{\"digest\":\"md5:x\"},\"layers\":[]}", 40, &m,
					    err, sizeof(err)), -EINVAL);
}

static void test_labels(void **state)
{
	const char *v2 = "{\"config\":{\"Labels\":{\"io.ebpf.programs\":\"{\\\"pass\\\":\\\"xdp\\\","
			 "\\\"counter\\\":\\\"tc\\\"}\",\"io.ebpf.maps\":\"{\\\"stats\\\":\\\"per_cpu_array\\\"}\"}}}";
	const char *v1 = "{\"config\":{\"Labels\":{\"io.ebpf.program_type\":\"xdp\","
			 "\"io.ebpf.filename\":\"bpf_bpfel.o\",\"io.ebpf.program_name\":\"xdp_stats\","
			 "\"io.ebpf.bpf_function_name\":\"xdp_stats_fn\"}}}";
	const char *none = "{\"config\":{\"Labels\":{\"a\":\"b\"}}}";
	const char *bad = "{\"config\":{\"Labels\":{\"io.ebpf.programs\":\"not-json\"}}}";
	struct image_labels l;
	char err[256];

	assert_int_equal(image_labels_parse(v2, strlen(v2), &l, err, sizeof(err)), 0);
	assert_int_equal(l.nr_programs, 2);
	assert_int_equal(l.nr_maps, 1);
	assert_string_equal(l.maps[0].name, "stats");
	assert_string_equal(l.maps[0].type, "per_cpu_array");
	assert_string_equal(image_labels_program(&l, "xdp"), "pass");
	assert_string_equal(image_labels_program(&l, "tc"), "counter");
	assert_null(image_labels_program(&l, NULL));	/* two: ambiguous */
	assert_null(image_labels_program(&l, "kprobe"));
	assert_int_equal(image_labels_parse(v1, strlen(v1), &l, err, sizeof(err)), 0);
	assert_int_equal(l.nr_programs, 1);
	assert_string_equal(l.programs[0].name, "xdp_stats_fn");
	assert_string_equal(l.filename, "bpf_bpfel.o");
	assert_string_equal(image_labels_program(&l, NULL), "xdp_stats_fn");
	assert_int_equal(image_labels_parse(none, strlen(none), &l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a bytecode image"));
	assert_int_equal(image_labels_parse(bad, strlen(bad), &l, err, sizeof(err)), -EINVAL);
	assert_int_equal(image_labels_parse("nope", 4, &l, err, sizeof(err)), -EINVAL);
}

/* A one-file ustar archive. */
static size_t make_tar(unsigned char *out, const char *name, const void *data, size_t len)
{
	unsigned int sum = 0, i;

	memset(out, 0, 512 * 4);
	snprintf((char *)out, 100, "%s", name);
	snprintf((char *)out + 100, 8, "0000644");
	snprintf((char *)out + 124, 12, "%011o", (unsigned int)len);
	out[156] = '0';
	memcpy(out + 257, "ustar", 5);
	memset(out + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += out[i];
	snprintf((char *)out + 148, 8, "%06o", sum);
	memcpy(out + 512, data, len);
	return 512 + (len + 511) / 512 * 512 + 1024;
}

static void test_layer(void **state)
{
	static const char elf[] = "\177ELF-pretend-object";
	unsigned char tar[512 * 4], gz[4096];
	size_t tl = make_tar(tar, "./prog.o", elf, sizeof(elf)), olen;
	uLongf gl = sizeof(gz);
	z_stream z = { 0 };
	void *obj;
	char err[256];

	assert_int_equal(bytecode_extract(tar, tl, "", 1024, &obj, &olen, err, sizeof(err)), 0);
	assert_int_equal(olen, sizeof(elf));
	assert_memory_equal(obj, elf, sizeof(elf));
	free(obj);
	assert_int_equal(bytecode_extract(tar, tl, "prog.o", 1024, &obj, &olen, err, sizeof(err)), 0);
	free(obj);
	assert_int_equal(bytecode_extract(tar, tl, "other.o", 1024, &obj, &olen, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(bytecode_extract(tar, tl, "", 8, &obj, &olen, err, sizeof(err)), -EFBIG);
	/* gzip'ed */
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = tar;
	z.avail_in = (uInt)tl;
	z.next_out = gz;
	z.avail_out = (uInt)gl;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	gl = z.total_out;
	deflateEnd(&z);
	assert_int_equal(bytecode_extract(gz, gl, "", 1024, &obj, &olen, err, sizeof(err)), 0);
	assert_memory_equal(obj, elf, sizeof(elf));
	free(obj);
	gz[gl / 2] ^= 0xff;
	assert_int_equal(bytecode_extract(gz, gl, "", 1024, &obj, &olen, err, sizeof(err)), -EINVAL);
}

static void test_digest_and_c(void **state)
{
	char d[80], err[256];

	image_digest_of("abc", 3, d);
	assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(image_digest_check(d, "abc", 3, err, sizeof(err)), 0);
	assert_int_equal(image_digest_check(d, "abd", 3, err, sizeof(err)), -EBADMSG);
	assert_true(image_digest_valid(d));
	assert_false(image_digest_valid("sha256:ABC"));
	assert_true(image_is_c_source("#include <linux/bpf.h>\nint f(void) { return 0; }\n", 48));
	assert_false(image_is_c_source("object = /x.o\nname = f\n", 23));
	assert_false(image_is_c_source("\177ELF{}#include", 15));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_www_auth),
		cmocka_unit_test(test_auth_file),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_manifest_index),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_layer),
		cmocka_unit_test(test_digest_and_c),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

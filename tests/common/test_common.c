/* SPDX-License-Identifier: MIT */
/*
 * The shared helpers of common/ against what their headers in
 * include/plugfs/ promise: clock, string builder, hex codec, ini reader and
 * value parsers, options-size rule, file helpers, JSON writer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <plugfs/clock.h>
#include <plugfs/fileutil.h>
#include <plugfs/hex.h>
#include <plugfs/ini.h>
#include <plugfs/json.h>
#include <plugfs/opts.h>
#include <plugfs/proc.h>

#include <sys/wait.h>
#include <plugfs/strbuf.h>

/* ---- clock ---- */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_clock_monotonic(void **state)
{
	struct timespec nap = { .tv_nsec = 2 * 1000 * 1000 };
	uint64_t first = plugfs_now_ns(), prev = first, t;
	double us0, us1;

	for (int i = 0; i < 10000; i++) {
		t = plugfs_now_ns();
		assert_true(t >= prev);
		prev = t;
	}
	nanosleep(&nap, NULL);
	t = plugfs_now_ns();
	assert_true(t - first >= 2 * 1000 * 1000);
	assert_true(t - first < 60ull * 1000 * 1000 * 1000);

	/* CLOCK_MONOTONIC itself, in nanoseconds */
	assert_true(mono_ns() <= plugfs_now_ns());
	t = plugfs_now_ns();
	assert_true(t <= mono_ns());

	us0 = plugfs_now_us();
	nanosleep(&nap, NULL);
	us1 = plugfs_now_us();
	assert_true(us1 - us0 >= 2000.0);
	/* the same clock as plugfs_now_ns(), in microseconds */
	assert_true(us1 <= (double)plugfs_now_ns() / 1e3);
	assert_true(us1 >= (double)t / 1e3);
}

/* ---- strbuf ---- */

static void test_strbuf_grows(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; i < 1000; i++)
		assert_int_equal(strbuf__puts(&sb, "0123456789"), 0);
	assert_int_equal(sb.len, 10000);
	assert_true(sb.cap >= sb.len + 1);
	assert_int_equal(strlen(sb.buf), 10000);
	for (size_t i = 0; i < sb.len; i++)
		assert_int_equal(sb.buf[i], '0' + (char)(i % 10));
	assert_int_equal(sb.err, 0);
	strbuf__fini(&sb);
}

static void test_strbuf_put_bytes(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(strbuf__put(&sb, "a\0b", 3), 0);
	assert_int_equal(sb.len, 3);
	assert_memory_equal(sb.buf, "a\0b", 4);	/* and NUL-terminated */
	strbuf__fini(&sb);
}

/* strbuf__vprintf() itself, as a caller's own printf-like function uses it */
static void vprintf_ok(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	assert_int_equal(strbuf__vprintf(sb, fmt, ap), 0);
	va_end(ap);
}

static void test_strbuf_printf(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char big[1001];

	memset(big, 'x', 1000);
	big[1000] = '\0';
	assert_int_equal(strbuf__printf(&sb, "%d-%s", 42, "ab"), 0);
	assert_string_equal(sb.buf, "42-ab");
	assert_int_equal(sb.len, 5);
	/* past the first allocation: the text must still come out whole */
	assert_int_equal(strbuf__printf(&sb, "[%s]", big), 0);
	assert_int_equal(sb.len, 1007);
	assert_int_equal(strlen(sb.buf), 1007);
	assert_memory_equal(sb.buf, "42-ab[x", 7);
	assert_int_equal(sb.buf[1006], ']');
	vprintf_ok(&sb, "%s=%u", "k", 7u);
	assert_string_equal(sb.buf + 1007, "k=7");
	assert_int_equal(sb.len, 1010);
	assert_int_equal(strbuf__printf(&sb, "%s", ""), 0);
	assert_int_equal(sb.len, 1010);
	strbuf__fini(&sb);
}

static void test_strbuf_detach(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = 99;
	char *s;

	strbuf__puts(&sb, "hello ");
	strbuf__printf(&sb, "%s", "world");
	s = strbuf__detach(&sb, &len);
	assert_non_null(s);
	assert_string_equal(s, "hello world");
	assert_int_equal(len, 11);
	/* the buffer is empty after and can be used again */
	assert_null(sb.buf);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.cap, 0);
	assert_int_equal(strbuf__puts(&sb, "again"), 0);
	assert_string_equal(sb.buf, "again");
	free(s);
	strbuf__fini(&sb);

	/* never NULL on success, even with nothing appended; len is optional */
	s = strbuf__detach(&sb, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	strbuf__puts(&sb, "x");
	s = strbuf__detach(&sb, NULL);
	assert_string_equal(s, "x");
	free(s);
}

static void test_strbuf_fini(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf__puts(&sb, "some text");
	strbuf__fini(&sb);
	assert_null(sb.buf);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.cap, 0);
	assert_int_equal(sb.err, 0);
	strbuf__fini(&sb);		/* twice is harmless */
	assert_int_equal(strbuf__puts(&sb, "new"), 0);
	assert_string_equal(sb.buf, "new");
	strbuf__fini(&sb);
}

/* The failure itself cannot be forced here; what follows it can: once err is
 * set, appends do nothing and detach reports ENOMEM. */
static void test_strbuf_err_sticks(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf__puts(&sb, "kept");
	sb.err = -ENOMEM;
	assert_int_equal(strbuf__puts(&sb, "more"), -ENOMEM);
	assert_int_equal(strbuf__printf(&sb, "%d", 1), -ENOMEM);
	assert_int_equal(strbuf__put(&sb, "x", 1), -ENOMEM);
	assert_int_equal(sb.len, 4);
	errno = 0;
	assert_null(strbuf__detach(&sb, NULL));
	assert_int_equal(errno, ENOMEM);
	assert_null(sb.buf);
	assert_int_equal(sb.err, 0);
}

static void test_strbuf_fixed(void **state)
{
	char area[12];
	struct strbuf sb;

	memset(area, 'X', sizeof(area));
	strbuf__init_fixed(&sb, area, 8);
	assert_string_equal(area, "");		/* empty text from the start */
	assert_int_equal(strbuf__puts(&sb, "abc"), 0);
	assert_string_equal(area, "abc");
	assert_int_equal(sb.len, 3);
	/* cut to 7 characters and a NUL; len counts all that was asked */
	assert_int_equal(strbuf__puts(&sb, "defghij"), 0);
	assert_string_equal(area, "abcdefg");
	assert_int_equal(sb.len, 10);
	assert_int_equal(strbuf__printf(&sb, "%d", 12345), 0);
	assert_int_equal(sb.len, 15);
	assert_string_equal(area, "abcdefg");
	/* nothing written past the caller's 8 bytes */
	for (size_t i = 8; i < sizeof(area); i++)
		assert_int_equal(area[i], 'X');
	assert_int_equal(sb.err, 0);
}

static void test_strbuf_fixed_printf(void **state)
{
	char area[10];
	struct strbuf sb;

	memset(area, 'X', sizeof(area));
	strbuf__init_fixed(&sb, area, 6);
	assert_int_equal(strbuf__printf(&sb, "%s %d", "hello", 1234), 0);
	assert_string_equal(area, "hello");
	assert_int_equal(sb.len, 10);
	for (size_t i = 6; i < sizeof(area); i++)
		assert_int_equal(area[i], 'X');

	/* exactly full: all of it, NUL in the last byte */
	memset(area, 'X', sizeof(area));
	strbuf__init_fixed(&sb, area, 4);
	strbuf__puts(&sb, "ab");
	strbuf__printf(&sb, "%c", 'c');
	assert_string_equal(area, "abc");
	assert_int_equal(sb.len, 3);
	assert_int_equal(area[4], 'X');
}

static void test_strbuf_fixed_zero_size(void **state)
{
	char area[4] = "zzz";
	struct strbuf sb;

	strbuf__init_fixed(&sb, area, 0);
	assert_int_equal(strbuf__puts(&sb, "abc"), 0);
	assert_int_equal(strbuf__printf(&sb, "%d", 7), 0);
	assert_int_equal(sb.len, 4);
	assert_string_equal(area, "zzz");	/* never touched */
}

static void test_plugfs_snprintf(void **state)
{
	char buf[8];

	assert_int_equal(plugfs_snprintf(buf, sizeof(buf), "%s/%d", "ab", 12), 0);
	assert_string_equal(buf, "ab/12");
	assert_int_equal(plugfs_snprintf(buf, sizeof(buf), "%s", "1234567"), 0);
	assert_string_equal(buf, "1234567");
	assert_int_equal(plugfs_snprintf(buf, sizeof(buf), "%s", "12345678"), -ENAMETOOLONG);
	assert_int_equal(buf[7], '\0');
	assert_int_equal(plugfs_snprintf(buf, sizeof(buf), "/very/long/%s", "path"), -ENAMETOOLONG);
}

/* ---- hex ---- */

static void test_hex_decode_forms(void **state)
{
	unsigned char out[8];

	assert_int_equal(plugfs_hex_decode("01020304", out, sizeof(out)), 4);
	assert_memory_equal(out, "\x01\x02\x03\x04", 4);
	assert_int_equal(plugfs_hex_decode("0xAB cd", out, sizeof(out)), 2);
	assert_memory_equal(out, "\xab\xcd", 2);
	assert_int_equal(plugfs_hex_decode("0X0a", out, sizeof(out)), 1);
	assert_int_equal(out[0], 0x0a);
	assert_int_equal(plugfs_hex_decode("de:ad", out, sizeof(out)), 2);
	assert_memory_equal(out, "\xde\xad", 2);
	assert_int_equal(plugfs_hex_decode("de:ad:be:ef", out, sizeof(out)), 4);
	assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
	assert_int_equal(plugfs_hex_decode("0x01 02\t03\n", out, sizeof(out)), 3);
	assert_memory_equal(out, "\x01\x02\x03", 3);
	assert_int_equal(plugfs_hex_decode("", out, sizeof(out)), 0);
}

static void test_hex_decode_errors(void **state)
{
	static const char odd[8] = "abc";	/* NULs after: no luck past the end */
	unsigned char out[4];

	assert_int_equal(plugfs_hex_decode(odd, out, sizeof(out)), -EINVAL);
	assert_int_equal(plugfs_hex_decode("1", out, sizeof(out)), -EINVAL);
	assert_int_equal(plugfs_hex_decode("a b", out, sizeof(out)), -EINVAL);
	assert_int_equal(plugfs_hex_decode("0g", out, sizeof(out)), -EINVAL);
	assert_int_equal(plugfs_hex_decode("01-02", out, sizeof(out)), -EINVAL);
	assert_int_equal(plugfs_hex_decode("01 0x02", out, sizeof(out)), -EINVAL);
	/* too small */
	assert_int_equal(plugfs_hex_decode("0102030405", out, sizeof(out)), -E2BIG);
	assert_int_equal(plugfs_hex_decode("01", out, 0), -E2BIG);
	assert_int_equal(plugfs_hex_decode("01020304", out, sizeof(out)), 4);
}

static void test_hex_encode(void **state)
{
	unsigned char data[256], back[256];
	char text[2 * 256 + 1];

	memset(text, 'X', sizeof(text));
	plugfs_hex_encode("\x00\x7f\xab\xff", 4, text);
	assert_string_equal(text, "007fabff");
	plugfs_hex_encode("", 0, text);
	assert_string_equal(text, "");
	for (int i = 0; i < 256; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	plugfs_hex_encode(data, sizeof(data), text);
	assert_int_equal(strlen(text), 512);
	assert_int_equal(plugfs_hex_decode(text, back, sizeof(back)), 256);
	assert_memory_equal(data, back, sizeof(data));
}

/* ---- ini ---- */

#define MAX_CALLS 16

struct ini_calls {
	int n;
	char seen[MAX_CALLS][3][64];
	const char *fail_key;		/* the handler refuses this key */
	int fail_rc;
	const char *fail_reason;	/* NULL: no reason */
};

static int record_key(void *cookie, const char *section, const char *key, const char *value,
		      char *err, size_t err_size)
{
	struct ini_calls *c = cookie;

	if (c->n < MAX_CALLS) {
		snprintf(c->seen[c->n][0], 64, "%s", section);
		snprintf(c->seen[c->n][1], 64, "%s", key);
		snprintf(c->seen[c->n][2], 64, "%s", value);
	}
	c->n++;
	if (c->fail_key && !strcmp(key, c->fail_key)) {
		if (c->fail_reason)
			snprintf(err, err_size, "%s", c->fail_reason);
		return c->fail_rc;
	}
	return 0;
}

static void assert_call(const struct ini_calls *c, int i, const char *section, const char *key,
			const char *value)
{
	assert_string_equal(c->seen[i][0], section);
	assert_string_equal(c->seen[i][1], key);
	assert_string_equal(c->seen[i][2], value);
}

static const char ini_text[] =
	"; a comment\n"
	"top = 1\n"
	"[one]\n"
	"a = x\n"
	"b=  y z  \n"
	"\n"
	"[two]\n"
	"a = 3\n";

static void test_ini_keys_reach_handler(void **state)
{
	struct ini_calls c = { 0 };
	char err[128] = "untouched";

	assert_int_equal(plugfs_ini_parse_string(ini_text, record_key, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 4);
	assert_call(&c, 0, "", "top", "1");
	assert_call(&c, 1, "one", "a", "x");
	assert_call(&c, 2, "one", "b", "y z");
	assert_call(&c, 3, "two", "a", "3");
}

static void test_ini_handler_error_stops(void **state)
{
	const char *text = "[s]\nk = 1\n\nstop = 2\nafter = 3\n[t]\nz = 4\n";
	struct ini_calls c = { .fail_key = "stop", .fail_rc = -ERANGE,
			       .fail_reason = "stop is out of range" };
	char err[128] = "";

	assert_int_equal(plugfs_ini_parse_string(text, record_key, &c, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "stop is out of range on line 4");
	assert_int_equal(c.n, 2);		/* nothing after the failure */
	assert_call(&c, 1, "s", "stop", "2");
}

static void test_ini_handler_error_default_reason(void **state)
{
	struct ini_calls c = { .fail_key = "seq", .fail_rc = -EINVAL };
	char err[128] = "";

	assert_int_equal(plugfs_ini_parse_string("a = 1\nb = 2\nseq = x\n", record_key, &c, err,
						 sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad value for 'seq': 'x' on line 3");

	/* a positive return is a failure too, reported as -EINVAL */
	c = (struct ini_calls){ .fail_key = "a", .fail_rc = 1, .fail_reason = "no" };
	assert_int_equal(plugfs_ini_parse_string("a = 1\n", record_key, &c, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "no on line 1");
}

static void test_ini_syntax_error(void **state)
{
	struct ini_calls c = { 0 };
	char err[128] = "";

	assert_int_equal(plugfs_ini_parse_string("[s]\nk = 1\nnot a pair\nz = 2\n", record_key, &c,
						 err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "syntax error on line 3");
	assert_call(&c, 0, "s", "k", "1");

	c = (struct ini_calls){ 0 };
	assert_int_equal(plugfs_ini_parse_string("[unterminated\n", record_key, &c, err,
						 sizeof(err)), -EINVAL);
	assert_string_equal(err, "syntax error on line 1");

	/* the reason is optional */
	assert_int_equal(plugfs_ini_parse_string("oops\n", record_key, &c, NULL, 0), -EINVAL);
}

/* Tests of files get a fresh directory under $TMPDIR (or /tmp) as their
 * state; the teardown removes it, even after a failed assertion. */
static int tmpdir_setup(void **state)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&dir, "%s/plugfs-common.XXXXXX", base) < 0)
		return -1;
	if (!mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int tmpdir_teardown(void **state)
{
	nftw(*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*state);
	return 0;
}

static int keep_k_value(void *cookie, const char *section, const char *key, const char *value,
			char *err, size_t err_size)
{
	char **out = cookie;

	if (!strcmp(key, "k"))
		*out = strdup(value);
	return 0;
}

/* Whichever failure comes first is the one named, with its own line. */
static void test_ini_first_failure_wins(void **state)
{
	struct ini_calls bad = { .fail_key = "bad", .fail_rc = -EINVAL };
	char err[256] = "";

	assert_int_equal(plugfs_ini_parse_string("[s]\ngarbage\nbad = 1\n", record_key, &bad, err,
						 sizeof(err)), -EINVAL);
	assert_string_equal(err, "syntax error on line 2");
	assert_int_equal(plugfs_ini_parse_string("bad = 1\ngarbage\n", record_key, &bad, err,
						 sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "on line 1"));
	assert_null(strstr(err, "syntax"));
}

/* A key = value line longer than inih's buffer arrives whole, inline
 * comment cut; another line that long is refused, never cut in two. */
static void test_ini_long_line(void **state)
{
	struct ini_calls c = { 0 };
	char text[800], err[256] = "";
	char *value = NULL;
	size_t len;

	memset(text, 'a', sizeof(text));
	memcpy(text, "ok = 1\nk =  ", 12);
	strcpy(text + 600, "  ; a comment\nz = 1\n");
	assert_int_equal(plugfs_ini_parse_string(text, keep_k_value, &value, err, sizeof(err)), 0);
	assert_non_null(value);
	len = strlen(value);
	assert_int_equal(len, 600 - 12);
	assert_int_equal(strspn(value, "a"), len);
	free(value);

	memset(text, 'a', sizeof(text));
	memcpy(text, "ok = 1\n[", 8);
	strcpy(text + 600, "]\nz = 1\n");
	assert_int_equal(plugfs_ini_parse_string(text, record_key, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 2 is longer than"));
	assert_int_equal(c.n, 1);		/* z was not taken from a cut line */
}

static void test_ini_file(void **state)
{
	const char *dir = *state;
	char path[512], err[256] = "";
	struct ini_calls c = { 0 };

	snprintf(path, sizeof(path), "%s/x.ini", dir);
	assert_int_equal(plugfs_write_file(path, ini_text, strlen(ini_text)), 0);
	assert_int_equal(plugfs_ini_parse_file(path, record_key, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 4);
	assert_call(&c, 2, "one", "b", "y z");

	c = (struct ini_calls){ .fail_key = "a", .fail_rc = -EPERM, .fail_reason = "why" };
	assert_int_equal(plugfs_ini_parse_file(path, record_key, &c, err, sizeof(err)), -EPERM);
	assert_string_equal(err, "why on line 4");

	snprintf(path, sizeof(path), "%s/missing.ini", dir);
	c = (struct ini_calls){ 0 };
	assert_int_equal(plugfs_ini_parse_file(path, record_key, &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "missing.ini"));
	assert_int_equal(c.n, 0);
}

/* ourselves: running; a child we reaped: gone; no pid: gone */
static void test_pid_alive(void **state)
{
	pid_t child = fork();

	if (!child)
		_exit(0);
	assert_true(child > 0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_true(plugfs_pid_alive(getpid()));
	assert_false(plugfs_pid_alive(child));
	assert_false(plugfs_pid_alive(0));
	assert_false(plugfs_pid_alive(-1));
}

static void test_parse_u64(void **state)
{
	uint64_t v = 0;

	assert_int_equal(plugfs_parse_u64("0", UINT64_MAX, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(plugfs_parse_u64("42", UINT64_MAX, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(plugfs_parse_u64("0x1F", UINT64_MAX, &v), 0);
	assert_int_equal(v, 31);
	assert_int_equal(plugfs_parse_u64("0Xff", UINT64_MAX, &v), 0);
	assert_int_equal(v, 255);
	assert_int_equal(plugfs_parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(plugfs_parse_u64("99", 99, &v), 0);
	assert_int_equal(v, 99);
	assert_int_equal(plugfs_parse_u64("100", 99, &v), -ERANGE);
	assert_int_equal(plugfs_parse_u64("0x64", 99, &v), -ERANGE);
	assert_int_equal(plugfs_parse_u64("18446744073709551616", UINT64_MAX, &v), -ERANGE);
	assert_int_equal(plugfs_parse_u64("-1", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(plugfs_parse_u64("+1", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(plugfs_parse_u64("", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(plugfs_parse_u64(NULL, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(plugfs_parse_u64("12x", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(plugfs_parse_u64(" 12", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(plugfs_parse_u64("12 ", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(plugfs_parse_u64("0x", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(plugfs_parse_u64("x", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(plugfs_parse_u64("\t12", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(plugfs_parse_u64("0x-1", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(v, 99);		/* untouched by the failures */
	/* decimal is decimal: no octal */
	assert_int_equal(plugfs_parse_u64("010", UINT64_MAX, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(plugfs_parse_u64("09", UINT64_MAX, &v), 0);
	assert_int_equal(v, 9);
}

static void test_parse_u32(void **state)
{
	uint32_t v = 0;

	assert_int_equal(plugfs_parse_u32("4294967295", &v), 0);
	assert_true(v == UINT32_MAX);
	assert_int_equal(plugfs_parse_u32("0x10", &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(plugfs_parse_u32("4294967296", &v), -ERANGE);
	assert_int_equal(plugfs_parse_u32("0x100000000", &v), -ERANGE);
	assert_int_equal(plugfs_parse_u32("-1", &v), -EINVAL);
	assert_int_equal(plugfs_parse_u32("1.5", &v), -EINVAL);
	assert_int_equal(v, 16);
}

static void test_parse_bool(void **state)
{
	static const char *const yes[] = { "true", "yes", "on", "1", "TRUE", "Yes", "oN" };
	static const char *const no[] = { "false", "no", "off", "0", "FALSE", "No", "OFF" };
	static const char *const bad[] = { "", "2", "y", "n", "truee", "ja", " true", "0x1" };
	bool b;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		assert_int_equal(plugfs_parse_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = true;
		assert_int_equal(plugfs_parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(plugfs_parse_bool(bad[i], &b), -EINVAL);
}

static void test_set_str(void **state)
{
	char dst[4] = "zzz";

	assert_int_equal(plugfs_set_str(dst, sizeof(dst), "abc"), 0);
	assert_string_equal(dst, "abc");
	assert_int_equal(plugfs_set_str(dst, sizeof(dst), ""), 0);
	assert_string_equal(dst, "");
	assert_int_equal(plugfs_set_str(dst, sizeof(dst), "abcd"), -ENAMETOOLONG);
	assert_int_equal(plugfs_set_str(dst, 1, "a"), -ENAMETOOLONG);
}

/* ---- options-size rule ---- */

/* Ours; an older caller knows only `a`, a newer one also `d`. No padding in
 * any of them, so sizeof() is where the last field ends. */
struct t_opts {
	size_t sz;
	long a;
	long b;
	long c;
};

struct t_opts_old {
	size_t sz;
	long a;
};

struct t_opts_new {
	size_t sz;
	long a;
	long b;
	long c;
	long d;
};

#define T_DEFAULTS { .sz = sizeof(struct t_opts), .a = 7, .b = 8, .c = 9 }

/* The copy keeps our own sz, whatever the caller's. */
static void assert_opts(const struct t_opts *o, long a, long b, long c)
{
	assert_int_equal(o->sz, sizeof(*o));
	assert_int_equal(o->a, a);
	assert_int_equal(o->b, b);
	assert_int_equal(o->c, c);
}

static void test_opts_null(void **state)
{
	struct t_opts ours = T_DEFAULTS;

	assert_int_equal(PLUGFS_OPTS_COPY(&ours, (const struct t_opts *)NULL), 0);
	assert_opts(&ours, 7, 8, 9);
	assert_true(plugfs_opts_valid(NULL, 0, sizeof(ours)));
}

static void test_opts_same_size(void **state)
{
	struct t_opts ours = T_DEFAULTS;
	struct t_opts user = { .sz = sizeof(user), .a = 1, .b = 2, .c = 3 };

	assert_int_equal(PLUGFS_OPTS_COPY(&ours, &user), 0);
	assert_opts(&ours, 1, 2, 3);
}

/* An older caller: its fields are taken, the ones it does not know keep what
 * the caller of plugfs_opts_copy() set (the defaults). */
static void test_opts_smaller(void **state)
{
	struct t_opts ours = T_DEFAULTS;
	struct t_opts_old user = { .sz = sizeof(user), .a = 5 };

	assert_true(plugfs_opts_valid(&user, user.sz, sizeof(ours)));
	assert_int_equal(plugfs_opts_copy(&ours, sizeof(ours), &user), 0);
	assert_opts(&ours, 5, 8, 9);
}

static void test_opts_bigger(void **state)
{
	struct t_opts ours = T_DEFAULTS;
	struct t_opts_new user = { .sz = sizeof(user), .a = 1, .b = 2, .c = 3, .d = 0 };

	/* a newer struct whose unknown tail is zero asks nothing new */
	assert_true(plugfs_opts_valid(&user, user.sz, sizeof(ours)));
	assert_int_equal(PLUGFS_OPTS_COPY(&ours, &user), 0);
	assert_opts(&ours, 1, 2, 3);

	/* non-zero past what we know: refused, and nothing is copied */
	ours = (struct t_opts)T_DEFAULTS;
	user.d = 1;
	assert_false(plugfs_opts_valid(&user, user.sz, sizeof(ours)));
	assert_int_equal(PLUGFS_OPTS_COPY(&ours, &user), -EINVAL);
	assert_opts(&ours, 7, 8, 9);
	/* the same struct announcing only what we know is fine again */
	user.sz = sizeof(ours);
	assert_int_equal(PLUGFS_OPTS_COPY(&ours, &user), 0);
	assert_int_equal(ours.a, 1);
}

static void test_opts_too_small_sz(void **state)
{
	struct t_opts ours = T_DEFAULTS;
	struct t_opts user = { .sz = sizeof(size_t) - 1, .a = 1 };

	assert_false(plugfs_opts_valid(&user, user.sz, sizeof(ours)));
	assert_int_equal(PLUGFS_OPTS_COPY(&ours, &user), -EINVAL);
	user.sz = 0;
	assert_int_equal(PLUGFS_OPTS_COPY(&ours, &user), -EINVAL);
	assert_int_equal(ours.a, 7);
	/* just the size field: valid, changes nothing */
	user.sz = sizeof(size_t);
	assert_int_equal(PLUGFS_OPTS_COPY(&ours, &user), 0);
	assert_opts(&ours, 7, 8, 9);
}

/* ---- file helpers ---- */

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static void test_mkdir_p(void **state)
{
	const char *dir = *state;
	char path[512];

	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(plugfs_mkdir_p(path, 0700), 0);
	assert_true(is_dir(path));
	snprintf(path, sizeof(path), "%s/a/b", dir);
	assert_true(is_dir(path));
	/* existing: fine */
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(plugfs_mkdir_p(path, 0700), 0);
	assert_int_equal(plugfs_mkdir_p(dir, 0700), 0);
	/* only the last part missing */
	snprintf(path, sizeof(path), "%s/a/b/d", dir);
	assert_int_equal(plugfs_mkdir_p(path, 0700), 0);
	assert_true(is_dir(path));
	/* trailing slash */
	snprintf(path, sizeof(path), "%s/e/f/", dir);
	assert_int_equal(plugfs_mkdir_p(path, 0700), 0);
	assert_true(is_dir(path));
}

static void test_mkdir_p_file_in_the_way(void **state)
{
	const char *dir = *state;
	char file[512], path[600];

	snprintf(file, sizeof(file), "%s/f", dir);
	assert_int_equal(plugfs_write_file(file, "x", 1), 0);
	snprintf(path, sizeof(path), "%s/x/y", file);
	assert_int_equal(plugfs_mkdir_p(path, 0700), -ENOTDIR);
	snprintf(path, sizeof(path), "%s/x", file);
	assert_int_equal(plugfs_mkdir_p(path, 0700), -ENOTDIR);
}

/* mkdir -p fails when the path itself is a file, as mkdir -p does. */
static void test_mkdir_p_is_a_file(void **state)
{
	const char *dir = *state;
	char file[512];

	snprintf(file, sizeof(file), "%s/f", dir);
	assert_int_equal(plugfs_write_file(file, "x", 1), 0);
	assert_int_equal(plugfs_mkdir_p(file, 0700), -EEXIST);
}

static void test_write_read_file(void **state)
{
	static const char data[] = "line one\n\0binary\xff tail";
	const char *dir = *state;
	char path[512], tmp[600];
	struct stat st;
	void *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(plugfs_write_file(path, data, sizeof(data)), 0);
	assert_int_equal(plugfs_read_file(path, &buf, &len), 0);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));
	assert_int_equal(((char *)buf)[len], '\0');
	free(buf);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1);	/* no temporary left */

	/* replaced as a whole, shorter */
	assert_int_equal(plugfs_write_file(path, "new", 3), 0);
	assert_int_equal(plugfs_read_file(path, &buf, &len), 0);
	assert_int_equal(len, 3);
	assert_string_equal(buf, "new");
	free(buf);

	/* empty */
	assert_int_equal(plugfs_write_file(path, "", 0), 0);
	assert_int_equal(plugfs_read_file(path, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
}

/* A file whose size says 0 (as /proc's and the mount's) is read to its
 * end; one over the first buffer too. */
static void test_read_file_past_size(void **state)
{
	const char *dir = *state;
	char path[512], *big = malloc(10000);
	void *buf = NULL;
	size_t len = 0;

	assert_non_null(big);
	assert_int_equal(plugfs_read_file("/proc/self/status", &buf, &len), 0);
	assert_true(len > 0);
	assert_non_null(strstr(buf, "Name:"));
	free(buf);
	memset(big, 'x', 10000);
	snprintf(path, sizeof(path), "%s/big", dir);
	assert_int_equal(plugfs_write_file(path, big, 10000), 0);
	assert_int_equal(plugfs_read_file(path, &buf, &len), 0);
	assert_int_equal(len, 10000);
	assert_memory_equal(buf, big, 10000);
	free(buf);
	free(big);
}

static void test_read_write_errors(void **state)
{
	const char *dir = *state;
	char path[512];
	void *buf = NULL;
	size_t len = 0;

	assert_int_equal(plugfs_read_file(dir, &buf, &len), -EINVAL);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(plugfs_read_file(path, &buf, &len), -ENOENT);
	snprintf(path, sizeof(path), "%s/no/such/dir", dir);
	assert_int_equal(plugfs_write_file(path, "x", 1), -ENOENT);
	assert_null(buf);
}

static void test_json_nested(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;

	jsonw__init(&w, &sb);
	jsonw__begin_object(&w, NULL);
	jsonw__string(&w, "name", "xdp_pass");
	jsonw__u64(&w, "id", UINT64_MAX);
	jsonw__i64(&w, "delta", -3);
	jsonw__bool(&w, "ok", true);
	jsonw__null(&w, "none");
	jsonw__string(&w, "missing", NULL);
	jsonw__begin_array(&w, "maps");
	jsonw__u64(&w, NULL, 7);
	jsonw__begin_object(&w, NULL);
	jsonw__end(&w);
	jsonw__begin_array(&w, NULL);
	jsonw__end(&w);
	jsonw__end(&w);
	jsonw__double(&w, "ratio", 0.5);
	jsonw__double(&w, "nan", 0.0 / 0.0);
	jsonw__end(&w);
	assert_int_equal(jsonw__finish(&w), 0);
	assert_string_equal(sb.buf, "{\"name\":\"xdp_pass\",\"id\":18446744073709551615,"
			    "\"delta\":-3,\"ok\":true,\"none\":null,\"missing\":null,"
			    "\"maps\":[7,{},[]],\"ratio\":0.5,\"nan\":null}\n");
	strbuf__fini(&sb);
}

static void test_json_escapes(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;

	jsonw__init(&w, &sb);
	jsonw__begin_array(&w, NULL);
	jsonw__string(&w, NULL, "q\"b\\n\nt\tc\001");
	jsonw__string(&w, NULL, "caf\xc3\xa9");		/* valid UTF-8 kept */
	jsonw__string(&w, NULL, "\xff\xc3");		/* stray bytes escaped */
	jsonw__string(&w, NULL, "\xed\xa0\x80");		/* a surrogate is not UTF-8 */
	jsonw__string_n(&w, NULL, "a\0b", 3);
	jsonw__end(&w);
	assert_int_equal(jsonw__finish(&w), 0);
	assert_string_equal(sb.buf, "[\"q\\\"b\\\\n\\nt\\tc\\u0001\",\"caf\xc3\xa9\","
			    "\"\\u00ff\\u00c3\",\"\\u00ed\\u00a0\\u0080\",\"a\\u0000b\"]\n");
	strbuf__fini(&sb);
}

static void test_json_misuse(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;

	/* A value without a key inside an object. */
	jsonw__init(&w, &sb);
	jsonw__begin_object(&w, NULL);
	jsonw__u64(&w, NULL, 1);
	jsonw__end(&w);
	assert_int_equal(jsonw__finish(&w), -EINVAL);
	strbuf__fini(&sb);

	/* A key inside an array. */
	jsonw__init(&w, &sb);
	jsonw__begin_array(&w, NULL);
	jsonw__u64(&w, "k", 1);
	assert_int_equal(jsonw__finish(&w), -EINVAL);
	strbuf__fini(&sb);

	/* Unbalanced, then too many ends, then two top-level values. */
	jsonw__init(&w, &sb);
	jsonw__begin_object(&w, NULL);
	assert_int_equal(jsonw__finish(&w), -EINVAL);
	strbuf__fini(&sb);
	jsonw__init(&w, &sb);
	jsonw__end(&w);
	assert_int_equal(jsonw__finish(&w), -EINVAL);
	strbuf__fini(&sb);
	jsonw__init(&w, &sb);
	jsonw__u64(&w, NULL, 1);
	jsonw__u64(&w, NULL, 2);
	assert_int_equal(jsonw__finish(&w), -EINVAL);
	strbuf__fini(&sb);
}

static void test_json_depth_limit(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	int i;

	jsonw__init(&w, &sb);
	for (i = 0; i <= JSONW_MAX_DEPTH; i++)
		jsonw__begin_array(&w, NULL);
	assert_int_equal(jsonw__finish(&w), -EINVAL);
	strbuf__fini(&sb);
}

/* A test that gets its own temporary directory. */
#define FILE_TEST(test) cmocka_unit_test_setup_teardown(test, tmpdir_setup, tmpdir_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_monotonic),
		cmocka_unit_test(test_strbuf_grows),
		cmocka_unit_test(test_strbuf_put_bytes),
		cmocka_unit_test(test_strbuf_printf),
		cmocka_unit_test(test_strbuf_detach),
		cmocka_unit_test(test_strbuf_fini),
		cmocka_unit_test(test_strbuf_err_sticks),
		cmocka_unit_test(test_strbuf_fixed),
		cmocka_unit_test(test_strbuf_fixed_printf),
		cmocka_unit_test(test_strbuf_fixed_zero_size),
		cmocka_unit_test(test_plugfs_snprintf),
		cmocka_unit_test(test_hex_decode_forms),
		cmocka_unit_test(test_hex_decode_errors),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_ini_keys_reach_handler),
		cmocka_unit_test(test_ini_handler_error_stops),
		cmocka_unit_test(test_ini_handler_error_default_reason),
		cmocka_unit_test(test_ini_syntax_error),
		cmocka_unit_test(test_ini_first_failure_wins),
		cmocka_unit_test(test_ini_long_line),
		FILE_TEST(test_ini_file),
		cmocka_unit_test(test_pid_alive),
		cmocka_unit_test(test_json_nested),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_json_misuse),
		cmocka_unit_test(test_json_depth_limit),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_u32),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_set_str),
		cmocka_unit_test(test_opts_null),
		cmocka_unit_test(test_opts_same_size),
		cmocka_unit_test(test_opts_smaller),
		cmocka_unit_test(test_opts_bigger),
		cmocka_unit_test(test_opts_too_small_sz),
		FILE_TEST(test_mkdir_p),
		FILE_TEST(test_mkdir_p_file_in_the_way),
		FILE_TEST(test_mkdir_p_is_a_file),
		FILE_TEST(test_write_read_file),
		FILE_TEST(test_read_file_past_size),
		FILE_TEST(test_read_write_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

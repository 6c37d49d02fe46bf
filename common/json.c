/* SPDX-License-Identifier: MIT */
/* The JSON writer of the reports (include/plugfs/json.h). */
#include <plugfs/json.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void jsonw__init(struct jsonw *w, struct strbuf *sb)
{
	memset(w, 0, sizeof(*w));
	w->sb = sb;
}

static void put_escaped(struct strbuf *sb, const char *s, size_t n);

/* The separator and key before a value; false if the value may not go here. */
static bool value_start(struct jsonw *w, const char *key)
{
	if (w->err)
		return false;
	if (w->done || (w->depth == 0 && key) ||
	    (w->depth > 0 && w->in_array[w->depth - 1] == (key != NULL))) {
		w->err = -EINVAL;
		return false;
	}
	if (w->depth > 0) {
		if (w->has_items[w->depth - 1])
			strbuf__put(w->sb, ",", 1);
		w->has_items[w->depth - 1] = true;
	}
	if (key) {
		put_escaped(w->sb, key, strlen(key));
		strbuf__put(w->sb, ":", 1);
	}
	return true;
}

static void value_end(struct jsonw *w)
{
	if (w->depth == 0)
		w->done = true;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static void put_escaped(struct strbuf *sb, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run;

	strbuf__put(sb, "\"", 1);
	while (i < n) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			strbuf__put(sb, c == '"' ? "\\\"" : "\\\\", 2);
			i++;
		} else if (c == '\n' || c == '\t') {
			strbuf__put(sb, c == '\n' ? "\\n" : "\\t", 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			strbuf__printf(sb, "\\u%04x", c);
			i++;
		} else if ((run = utf8_len(s + i, n - i)) == 0) {
			strbuf__printf(sb, "\\u%04x", c);	/* a stray byte, kept visible */
			i++;
		} else {
			strbuf__put(sb, s + i, run);
			i += run;
		}
	}
	strbuf__put(sb, "\"", 1);
}

static void begin(struct jsonw *w, const char *key, bool array)
{
	if (!value_start(w, key))
		return;
	if (w->depth == JSONW_MAX_DEPTH) {
		w->err = -EINVAL;
		return;
	}
	strbuf__put(w->sb, array ? "[" : "{", 1);
	w->in_array[w->depth] = array;
	w->has_items[w->depth] = false;
	w->depth++;
}

void jsonw__begin_object(struct jsonw *w, const char *key)
{
	begin(w, key, false);
}

void jsonw__begin_array(struct jsonw *w, const char *key)
{
	begin(w, key, true);
}

void jsonw__end(struct jsonw *w)
{
	if (w->err)
		return;
	if (w->depth == 0) {
		w->err = -EINVAL;
		return;
	}
	w->depth--;
	strbuf__put(w->sb, w->in_array[w->depth] ? "]" : "}", 1);
	value_end(w);
}

void jsonw__string_n(struct jsonw *w, const char *key, const char *s, size_t n)
{
	if (!value_start(w, key))
		return;
	put_escaped(w->sb, s, n);
	value_end(w);
}

void jsonw__string(struct jsonw *w, const char *key, const char *s)
{
	if (!s) {
		jsonw__null(w, key);
		return;
	}
	jsonw__string_n(w, key, s, strlen(s));
}

void jsonw__u64(struct jsonw *w, const char *key, uint64_t v)
{
	if (!value_start(w, key))
		return;
	strbuf__printf(w->sb, "%llu", (unsigned long long)v);
	value_end(w);
}

void jsonw__i64(struct jsonw *w, const char *key, int64_t v)
{
	if (!value_start(w, key))
		return;
	strbuf__printf(w->sb, "%lld", (long long)v);
	value_end(w);
}

void jsonw__double(struct jsonw *w, const char *key, double v)
{
	if (!isfinite(v)) {
		jsonw__null(w, key);
		return;
	}
	if (!value_start(w, key))
		return;
	/* %.17g round-trips a double; JSON has no "inf" or "nan", handled above. */
	strbuf__printf(w->sb, "%.17g", v);
	value_end(w);
}

void jsonw__bool(struct jsonw *w, const char *key, bool v)
{
	if (!value_start(w, key))
		return;
	strbuf__puts(w->sb, v ? "true" : "false");
	value_end(w);
}

void jsonw__null(struct jsonw *w, const char *key)
{
	if (!value_start(w, key))
		return;
	strbuf__puts(w->sb, "null");
	value_end(w);
}

int jsonw__finish(struct jsonw *w)
{
	if (!w->err && (w->depth || !w->done))
		w->err = -EINVAL;
	if (!w->err)
		strbuf__put(w->sb, "\n", 1);
	if (!w->err && w->sb->err)
		w->err = w->sb->err;
	return w->err;
}

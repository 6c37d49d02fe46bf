/* SPDX-License-Identifier: MIT */
/*
 * Registry credentials: the WWW-Authenticate challenge of a 401 answer, the
 * docker-style auth file (config.json "auths"), a token endpoint's answer.
 */
#include "image_internal.h"

#include <plugfs/fileutil.h>
#include <plugfs/strbuf.h>

#include <json-c/json.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One auth-param value, quoted (with \ escapes) or a token; p after it. */
static int param_value(const char **pp, char *out, size_t size)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 >= size)
				return -EINVAL;
			out[n++] = *p;
		}
		if (*p != '"')
			return -EINVAL;
		p++;
	} else {
		for (; *p && *p != ',' && !isspace((unsigned char)*p); p++) {
			if (n + 1 >= size)
				return -EINVAL;
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	*pp = p;
	return 0;
}

int www_auth_parse(const char *header, struct www_auth *a)
{
	const char *p = header;
	char key[32], value[1024];

	memset(a, 0, sizeof(*a));
	while (isspace((unsigned char)*p))
		p++;
	if (!strncasecmp(p, "Bearer", 6) && (!p[6] || isspace((unsigned char)p[6])))
		a->bearer = true;
	else if (strncasecmp(p, "Basic", 5) || (p[5] && !isspace((unsigned char)p[5])))
		return -EINVAL;
	p += a->bearer ? 6 : 5;
	for (;;) {
		size_t n = 0;

		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (!*p)
			break;
		while (*p && *p != '=' && !isspace((unsigned char)*p) && n + 1 < sizeof(key))
			key[n++] = (char)tolower((unsigned char)*p++);
		key[n] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (*p++ != '=')
			return -EINVAL;
		while (isspace((unsigned char)*p))
			p++;
		if (param_value(&p, value, sizeof(value)))
			return -EINVAL;
		if (!strcmp(key, "realm"))
			plugfs_snprintf(a->realm, sizeof(a->realm), "%s", value);
		else if (!strcmp(key, "service"))
			plugfs_snprintf(a->service, sizeof(a->service), "%s", value);
		else if (!strcmp(key, "scope"))
			plugfs_snprintf(a->scope, sizeof(a->scope), "%s", value);
	}
	return a->bearer && !a->realm[0] ? -EINVAL : 0;
}

static int b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 (padding optional) into a NUL-terminated string. */
static int b64_decode(const char *in, char *out, size_t size)
{
	unsigned int acc = 0, bits = 0;
	size_t n = 0;

	for (; *in && *in != '='; in++) {
		int v = b64_val((unsigned char)*in);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= size)
				return -EINVAL;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return memchr(out, '\0', n) ? -EINVAL : 0;
}

/* "https://host/v1/" and "host" both name host; docker login writes
 * Docker Hub's entry as https://index.docker.io/v1/. */
static bool key_names(const char *key, const char *registry)
{
	size_t rl = strlen(registry);

	if (!strcmp(registry, "docker.io") && strstr(key, "index.docker.io"))
		return true;
	if (!strncmp(key, "https://", 8))
		key += 8;
	else if (!strncmp(key, "http://", 7))
		key += 7;
	return !strncmp(key, registry, rl) && (!key[rl] || key[rl] == '/');
}

static int entry_userpass(struct json_object *e, char *userpass, size_t size)
{
	struct json_object *v, *u, *p;

	if (json_object_object_get_ex(e, "auth", &v) && json_object_is_type(v, json_type_string))
		return b64_decode(json_object_get_string(v), userpass, size);
	if (json_object_object_get_ex(e, "username", &u) && json_object_object_get_ex(e, "password", &p)) {
		int n = snprintf(userpass, size, "%s:%s", json_object_get_string(u),
				 json_object_get_string(p));

		return n < 0 || (size_t)n >= size ? -EINVAL : 0;
	}
	return -ENOENT;
}

int auth_file_lookup(const char *path, const char *registry, char *userpass, size_t size,
		     char *err, size_t err_size)
{
	struct json_object *o, *auths;
	void *text = NULL;
	size_t len = 0;
	int rc;

	rc = plugfs_read_file(path, &text, &len);
	if (rc) {
		snprintf(err, err_size, "auth file %s: %s", path, strerror(-rc));
		return -EINVAL;
	}
	o = json_tokener_parse((const char *)text);
	free(text);
	if (!o || !json_object_object_get_ex(o, "auths", &auths) ||
	    !json_object_is_type(auths, json_type_object)) {
		snprintf(err, err_size, "auth file %s: not a JSON object with \"auths\"", path);
		json_object_put(o);
		return -EINVAL;
	}
	rc = -ENOENT;
	json_object_object_foreach(auths, key, val) {
		if (rc == -ENOENT && key_names(key, registry))
			rc = entry_userpass(val, userpass, size);
	}
	if (rc == -EINVAL)
		snprintf(err, err_size, "auth file %s: the entry of %s is not base64 user:password",
			 path, registry);
	if (!rc && !strchr(userpass, ':')) {
		snprintf(err, err_size, "auth file %s: the entry of %s has no ':'", path, registry);
		rc = -EINVAL;
	}
	json_object_put(o);
	return rc;
}

int auth_token_from_json(const char *json, size_t len, char *token, size_t size)
{
	struct json_tokener *t = json_tokener_new();
	struct json_object *o, *v;
	int rc = -EINVAL;

	if (!t)
		return -ENOMEM;
	o = json_tokener_parse_ex(t, json, (int)len);
	json_tokener_free(t);
	if (o && ((json_object_object_get_ex(o, "token", &v) && json_object_is_type(v, json_type_string)) ||
		  (json_object_object_get_ex(o, "access_token", &v) &&
		   json_object_is_type(v, json_type_string)))) {
		int n = snprintf(token, size, "%s", json_object_get_string(v));

		rc = n > 0 && (size_t)n < size ? 0 : -EINVAL;
	}
	json_object_put(o);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/* Image references, pull policies and content digests. */
#include "image_internal.h"

#include <plugfs/sha256.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const policy_names[] = {
	[IMAGE_PULL_IF_NOT_PRESENT] = "IfNotPresent",
	[IMAGE_PULL_ALWAYS] = "Always",
	[IMAGE_PULL_NEVER] = "Never",
};

int image_pull_policy_parse(const char *s, enum image_pull_policy *out)
{
	for (unsigned int i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (!strcasecmp(s, policy_names[i])) {
			*out = (enum image_pull_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *image_pull_policy_name(enum image_pull_policy p)
{
	return (unsigned int)p < sizeof(policy_names) / sizeof(policy_names[0]) ? policy_names[p] : "?";
}

bool image_digest_valid(const char *d)
{
	if (strncmp(d, "sha256:", 7) || strlen(d) != 7 + 64)
		return false;
	return strspn(d + 7, "0123456789abcdef") == 64;
}

void image_digest_of(const void *buf, size_t len, char out[80])
{
	char hex[65];

	plugfs_sha256_hex(buf, len, hex);
	snprintf(out, 80, "sha256:%s", hex);
}

int image_digest_check(const char *digest, const void *buf, size_t len, char *err, size_t err_size)
{
	char got[80];

	image_digest_of(buf, len, got);
	if (!strcmp(got, digest))
		return 0;
	snprintf(err, err_size, "digest mismatch: expected %s, the %zu bytes received hash to %s",
		 digest, len, got);
	return -EBADMSG;
}

static int set(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		return -EINVAL;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* oci:/abs/dir[:TAG]: the tag is after the last ':' of the last path component. */
static int parse_layout(const char *s, struct image_ref *r)
{
	const char *slash = strrchr(s, '/'), *colon = strrchr(s, ':');

	if (s[0] != '/')
		return -EINVAL;
	r->is_layout = true;
	if (colon && colon > slash) {
		if (!colon[1] || set(r->tag, sizeof(r->tag), colon + 1, strlen(colon + 1)))
			return -EINVAL;
		return set(r->layout, sizeof(r->layout), s, (size_t)(colon - s));
	}
	return set(r->layout, sizeof(r->layout), s, strlen(s));
}

static bool repo_ok(const char *repo)
{
	if (!*repo || repo[0] == '/' || repo[strlen(repo) - 1] == '/' || strstr(repo, "//"))
		return false;
	return strspn(repo, "abcdefghijklmnopqrstuvwxyz0123456789._-/") == strlen(repo);
}

int image_ref_parse(const char *s, struct image_ref *r)
{
	const char *slash, *at, *colon, *name;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (!strncmp(s, "oci:", 4))
		return parse_layout(s + 4, r);
	slash = strchr(s, '/');
	/* a registry is required: plugfs does not guess docker.io */
	if (!slash || slash == s || set(r->registry, sizeof(r->registry), s, (size_t)(slash - s)))
		return -EINVAL;
	if (strspn(r->registry, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
	    strlen(r->registry))
		return -EINVAL;
	name = slash + 1;
	at = strchr(name, '@');
	if (at) {
		if (!image_digest_valid(at + 1))
			return -EINVAL;
		snprintf(r->digest, sizeof(r->digest), "%s", at + 1);
		n = (size_t)(at - name);
	} else {
		n = strlen(name);
	}
	colon = memchr(name, ':', n);
	if (colon) {
		size_t tl = n - (size_t)(colon - name) - 1;

		if (!tl || set(r->tag, sizeof(r->tag), colon + 1, tl) ||
		    strspn(r->tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != tl)
			return -EINVAL;
		n = (size_t)(colon - name);
	} else if (!at) {
		snprintf(r->tag, sizeof(r->tag), "latest");
	}
	if (set(r->repo, sizeof(r->repo), name, n) || !repo_ok(r->repo))
		return -EINVAL;
	return 0;
}

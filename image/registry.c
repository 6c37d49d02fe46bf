/* SPDX-License-Identifier: MIT */
/*
 * The OCI distribution protocol over HTTP(S) with libcurl: manifests (an
 * image index resolved to linux/amd64 or its only manifest) and blobs, each
 * checked against its digest; a 401 answered with the challenge's scheme
 * (a bearer token from the realm, or basic credentials) and asked again.
 */
#include "image_internal.h"

#include <plugfs/fileutil.h>
#include <plugfs/strbuf.h>

#include <curl/curl.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ACCEPT_MANIFESTS \
	"Accept: application/vnd.oci.image.manifest.v1+json, " \
	"application/vnd.oci.image.index.v1+json, " \
	"application/vnd.docker.distribution.manifest.v2+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json"
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct registry {
	CURL *curl;
	struct image_ref ref;
	char base[512];			/* scheme://host[:port] */
	char userpass[512];		/* "" when the auth file has none for the host */
	char cred_err[256];		/* why there are none, when it matters */
	char *bearer;			/* "Authorization: Bearer ..." once a token was given */
	bool basic;			/* the registry asked for basic credentials */
	char *ca_pem;			/* system bundle + extra CA files */
	size_t ca_len;
	unsigned int timeout_ms;
};

struct answer {
	struct strbuf body;
	size_t max;
	bool too_big;
	long status;
	char challenge[2048];		/* WWW-Authenticate */
	char digest[80];		/* Docker-Content-Digest */
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;

	if (a->body.len + size * n > a->max) {
		a->too_big = true;
		return 0;
	}
	return strbuf__put(&a->body, p, size * n) ? 0 : size * n;
}

/* The value of header `name` in a header line, trimmed, into out. */
static void header_value(const char *line, size_t n, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name), vl;
	const char *v;

	if (n <= nl || strncasecmp(line, name, nl) || line[nl] != ':')
		return;
	v = line + nl + 1;
	vl = n - nl - 1;
	while (vl && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
		vl--;
	if (vl < size) {
		memcpy(out, v, vl);
		out[vl] = '\0';
	}
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;

	header_value(p, size * n, "WWW-Authenticate", a->challenge, sizeof(a->challenge));
	header_value(p, size * n, "Docker-Content-Digest", a->digest, sizeof(a->digest));
	return size * n;
}

static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return -EACCES;
	default:
		return -EIO;
	}
}

/* The first bytes of an answer's body, for the log. */
static const char *body_text(struct answer *a)
{
	if (!a->body.buf)
		return "";
	if (a->body.len > 300)
		a->body.buf[300] = '\0';
	return a->body.buf;
}

static int status_errno(struct answer *a, const char *url, char *err, size_t err_size)
{
	if (a->status == 200)
		return 0;
	snprintf(err, err_size, "%s: the registry answered %ld%s: %s", url, a->status,
		 a->status == 401 || a->status == 403 ? " (credentials refused)" : "", body_text(a));
	if (a->status == 401 || a->status == 403)
		return -EACCES;
	if (a->status == 404)
		return -ENOENT;
	return -EIO;
}

/* One GET; the answer's status, headers and body (at most a->max bytes). */
static int fetch(struct registry *g, const char *url, const char *accept, bool with_basic,
		 struct answer *a, char *err, size_t err_size)
{
	struct curl_slist *h = NULL;
	CURLcode rc;

	curl_easy_reset(g->curl);
	curl_easy_setopt(g->curl, CURLOPT_URL, url);
	curl_easy_setopt(g->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(g->curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(g->curl, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(g->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(g->curl, CURLOPT_TIMEOUT_MS, (long)g->timeout_ms);
	curl_easy_setopt(g->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)g->timeout_ms);
	curl_easy_setopt(g->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(g->curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(g->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(g->curl, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(g->curl, CURLOPT_USERAGENT, "plugfs");
	if (g->ca_pem) {
		struct curl_blob b = { .data = g->ca_pem, .len = g->ca_len, .flags = CURL_BLOB_NOCOPY };

		curl_easy_setopt(g->curl, CURLOPT_CAINFO_BLOB, &b);
	}
	if (accept)
		h = curl_slist_append(h, accept);
	if (g->bearer && !with_basic)
		h = curl_slist_append(h, g->bearer);
	if (with_basic && g->userpass[0]) {
		curl_easy_setopt(g->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(g->curl, CURLOPT_USERPWD, g->userpass);
	}
	curl_easy_setopt(g->curl, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(g->curl);
	curl_slist_free_all(h);
	curl_easy_getinfo(g->curl, CURLINFO_RESPONSE_CODE, &a->status);
	if (a->too_big) {
		snprintf(err, err_size, "%s: more than %zu bytes", url, a->max);
		return -EFBIG;
	}
	if (rc != CURLE_OK) {
		snprintf(err, err_size, "%s: %s", url, curl_easy_strerror(rc));
		return curl_errno(rc);
	}
	return a->body.err;
}

static void answer_reset(struct answer *a, size_t max)
{
	strbuf__fini(&a->body);
	memset(a, 0, sizeof(*a));
	a->max = max;
}

/* A bearer token from the challenge's realm, with credentials if we have them. */
static int get_token(struct registry *g, const struct www_auth *w, char *err, size_t err_size)
{
	struct answer a = { .max = 1u << 20 };
	struct strbuf url = STRBUF_INIT;
	char scope[600], token[8192];
	char *s, *q;
	int rc;

	if (!w->scope[0])
		snprintf(scope, sizeof(scope), "repository:%s:pull", g->ref.repo);
	else
		snprintf(scope, sizeof(scope), "%s", w->scope);
	s = curl_easy_escape(g->curl, w->service, 0);
	q = curl_easy_escape(g->curl, scope, 0);
	strbuf__printf(&url, "%s%sservice=%s&scope=%s", w->realm, strchr(w->realm, '?') ? "&" : "?",
		       s ? s : "", q ? q : "");
	curl_free(s);
	curl_free(q);
	rc = url.err ? url.err : fetch(g, url.buf, NULL, true, &a, err, err_size);
	if (!rc)
		rc = status_errno(&a, url.buf, err, err_size);
	if (!rc && auth_token_from_json(a.body.buf, a.body.len, token, sizeof(token))) {
		snprintf(err, err_size, "%s: no token in the answer", url.buf);
		rc = -EACCES;
	}
	if (!rc) {
		free(g->bearer);
		g->bearer = NULL;
		if (asprintf(&g->bearer, "Authorization: Bearer %s", token) < 0)
			rc = -ENOMEM;
	}
	strbuf__fini(&url);
	strbuf__fini(&a.body);
	return rc;
}

/* Answers a 401's challenge; 0 when the request is worth sending again. */
static int authenticate(struct registry *g, const struct answer *a, char *err, size_t err_size)
{
	struct www_auth w;

	if (g->bearer || g->basic || www_auth_parse(a->challenge, &w)) {
		snprintf(err, err_size, "%s: credentials refused (401, challenge '%s')%s%s", g->base,
			 a->challenge, g->cred_err[0] ? ": " : "", g->cred_err);
		return -EACCES;
	}
	if (w.bearer)
		return get_token(g, &w, err, err_size);
	if (!g->userpass[0]) {
		snprintf(err, err_size, "%s asks for basic credentials: %s", g->base,
			 g->cred_err[0] ? g->cred_err : "no auth file names it");
		return -EACCES;
	}
	g->basic = true;
	return 0;
}

/* GET base + path, authenticating once if asked to. */
static int get(struct registry *g, const char *path, const char *accept, struct answer *a,
	       char *err, size_t err_size)
{
	char url[1024];
	size_t max = a->max;
	int rc;

	snprintf(url, sizeof(url), "%s%s", g->base, path);
	rc = fetch(g, url, accept, g->basic, a, err, err_size);
	if (!rc && a->status == 401) {
		rc = authenticate(g, a, err, err_size);
		if (rc)
			return rc;
		answer_reset(a, max);
		rc = fetch(g, url, accept, g->basic, a, err, err_size);
	}
	return rc ? rc : status_errno(a, url, err, err_size);
}

/* One manifest by tag or digest, checked against the digest it is known by. */
static int get_manifest(struct registry *g, const char *tag_or_digest, struct answer *a,
			char digest[80], char *err, size_t err_size)
{
	char path[700];
	int rc;

	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", g->ref.repo, tag_or_digest);
	rc = get(g, path, ACCEPT_MANIFESTS, a, err, err_size);
	if (rc)
		return rc;
	image_digest_of(a->body.buf, a->body.len, digest);
	if (image_digest_valid(tag_or_digest))
		return image_digest_check(tag_or_digest, a->body.buf, a->body.len, err, err_size);
	if (a->digest[0] && strcmp(a->digest, digest)) {
		snprintf(err, err_size, "manifest %s: the registry says %s, the bytes hash to %s",
			 tag_or_digest, a->digest, digest);
		return -EBADMSG;
	}
	return 0;
}

int registry__manifest(struct registry *g, void **buf, size_t *len, char digest[80], char *err,
		       size_t err_size)
{
	struct answer a = { .max = IMAGE_MAX_JSON };
	enum oci_doc_kind kind;
	char pick[80];
	int rc;

	rc = get_manifest(g, g->ref.digest[0] ? g->ref.digest : g->ref.tag, &a, digest, err, err_size);
	if (!rc)
		rc = oci_doc_kind(a.body.buf, a.body.len, &kind, err, err_size);
	if (!rc && kind == OCI_DOC_INDEX) {
		rc = oci_index_pick(a.body.buf, a.body.len, pick, err, err_size);
		answer_reset(&a, IMAGE_MAX_JSON);
		if (!rc)
			rc = get_manifest(g, pick, &a, digest, err, err_size);
	}
	if (rc) {
		strbuf__fini(&a.body);
		return rc;
	}
	*buf = strbuf__detach(&a.body, len);
	return *buf ? 0 : -ENOMEM;
}

int registry__blob(struct registry *g, const char *digest, size_t max, void **buf, size_t *len,
		   char *err, size_t err_size)
{
	struct answer a = { .max = max };
	char path[700];
	int rc;

	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", g->ref.repo, digest);
	rc = get(g, path, NULL, &a, err, err_size);
	if (!rc)
		rc = image_digest_check(digest, a.body.buf ? a.body.buf : "", a.body.len, err, err_size);
	if (rc) {
		strbuf__fini(&a.body);
		return rc;
	}
	*buf = strbuf__detach(&a.body, len);
	return *buf ? 0 : -ENOMEM;
}

/* Is host[:port] in the comma-separated list? */
static bool listed(const char *list, const char *registry)
{
	size_t rl = strlen(registry);

	for (const char *p = list; p && *p;) {
		size_t n;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == rl && !strncmp(p, registry, n))
			return true;
		p += n;
	}
	return false;
}

/* The system's CA bundle followed by each extra file of the comma-separated list. */
static int load_cas(struct registry *g, const char *files, char *err, size_t err_size)
{
	struct strbuf sb = STRBUF_INIT;
	char path[4096];
	void *text;
	size_t len;

	if (!plugfs_read_file(SYSTEM_CA_BUNDLE, &text, &len)) {
		strbuf__put(&sb, text, len);
		free(text);
	}
	for (const char *p = files; *p;) {
		size_t n;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (!n)
			break;
		snprintf(path, sizeof(path), "%.*s", (int)n, p);
		p += n;
		if (plugfs_read_file(path, &text, &len)) {
			snprintf(err, err_size, "CA file %s cannot be read", path);
			strbuf__fini(&sb);
			return -EACCES;
		}
		strbuf__put(&sb, "\n", 1);
		strbuf__put(&sb, text, len);
		free(text);
	}
	g->ca_pem = strbuf__detach(&sb, &g->ca_len);
	return g->ca_pem ? 0 : -ENOMEM;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct registry *registry__new(const struct image_ref *r, const struct image_pull_opts *o,
			       char *err, size_t err_size)
{
	struct registry *g;
	int rc = 0;

	pthread_once(&curl_once, curl_init);
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->ref = *r;
	g->timeout_ms = o->timeout_ms ? o->timeout_ms : 30000;
	/* Docker Hub's name in references is not the host that serves it */
	snprintf(g->base, sizeof(g->base), "%s://%s", listed(o->insecure, r->registry) ? "http" : "https",
		 strcmp(r->registry, "docker.io") ? r->registry : "registry-1.docker.io");
	if (o->auth_file && *o->auth_file &&
	    auth_file_lookup(o->auth_file, r->registry, g->userpass, sizeof(g->userpass),
			     g->cred_err, sizeof(g->cred_err)) == -ENOENT)
		snprintf(g->cred_err, sizeof(g->cred_err), "auth file %s has no entry for %s",
			 o->auth_file, r->registry);
	if (o->ca_files && *o->ca_files)
		rc = load_cas(g, o->ca_files, err, err_size);
	g->curl = rc ? NULL : curl_easy_init();
	if (!g->curl) {
		registry__free(g);
		errno = rc ? -rc : ENOMEM;
		return NULL;
	}
	return g;
}

void registry__free(struct registry *g)
{
	if (!g)
		return;
	if (g->curl)
		curl_easy_cleanup(g->curl);
	free(g->bearer);
	free(g->ca_pem);
	free(g);
}

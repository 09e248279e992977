/*
 * http.c - see http.h.
 *
 * One curl easy handle per call, torn down before returning. The body is
 * collected into a buffer that is wiped when it grows or is freed, since
 * credential responses pass through it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "http.h"

#define QUERY_ERROR_HEADER "x-amzn-query-error:"
#define QUERY_ERROR_MAX 512
#define USER_AGENT PACKAGE_NAME "/" PACKAGE_VERSION

/* What the callbacks of one transfer fill. */
struct _xfer {
	char *body;
	size_t len;
	size_t cap;
	bool too_large;
	bool nomem;
	char *query_error;
};

static pthread_once_t _init_once = PTHREAD_ONCE_INIT;
static int _init_rc = -1;

static void _global_init(void)
{
	_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int http_global_init(void)
{
	pthread_once(&_init_once, _global_init);
	return _init_rc;
}

/* ------------------------------------------------------------ URLs -- */

/*
 * The parts of 'url' (curl_free each; host, port and path may be NULL
 * when absent, as in file:///x). Returns 0, or -1 when it does not parse.
 */
static int _url_parts(const char *url, char **scheme, char **host, char **port, char **path)
{
	CURLU *u = curl_url();
	int rc = -1;

	*scheme = *host = NULL;
	if (port)
		*port = NULL;
	if (path)
		*path = NULL;
	if (!u)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK)
		*host = NULL;
	if (port && curl_url_get(u, CURLUPART_PORT, port, 0) != CURLUE_OK)
		*port = NULL;
	if (path && curl_url_get(u, CURLUPART_PATH, path, 0) != CURLUE_OK)
		*path = NULL;
	rc = 0;
out:
	curl_url_cleanup(u);
	return rc;
}

void http_url_redact(const char *url, char *out, size_t outlen)
{
	char *scheme, *host, *port, *path;

	if (!outlen)
		return;
	if (!url || _url_parts(url, &scheme, &host, &port, &path) < 0) {
		snprintf(out, outlen, "(unparsable URL)");
		return;
	}
	snprintf(out, outlen, "%s://%s%s%s%s", scheme, host ? host : "", port ? ":" : "",
		 port ? port : "", path ? path : "/");
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
}

/*
 * Loopback, link-local (IMDS 169.254.169.254, ECS 169.254.170.2) or the
 * AWS IPv6 metadata prefix fd00:ec2::/32: hosts a proxy must never see.
 */
static bool _host_is_local(const char *host)
{
	char buf[INET6_ADDRSTRLEN + 2];
	unsigned char a[16];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0 ||
	    (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
		return true;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127 || (a[0] == 169 && a[1] == 254);
	if (n < 2 || host[0] != '[' || host[n - 1] != ']' || n - 2 >= sizeof(buf))
		return false;
	memcpy(buf, host + 1, n - 2);
	buf[n - 2] = '\0';
	if (inet_pton(AF_INET6, buf, a) != 1)
		return false;
	if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0)
		return true;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return true;
	return a[0] == 0xfd && a[1] == 0x00 && a[2] == 0x0e && a[3] == 0xc2;
}

/* -------------------------------------------------------- callbacks -- */

static size_t _on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct _xfer *x = arg;
	size_t len = size * nmemb;

	if (len > HTTP_BODY_MAX - x->len) {
		x->too_large = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (x->len + len + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;
		char *nb;

		while (cap < x->len + len + 1)
			cap *= 2;
		if (cap > HTTP_BODY_MAX + 1)
			cap = HTTP_BODY_MAX + 1;
		/* Not realloc: the old block may hold secrets and is wiped. */
		nb = malloc(cap);
		if (!nb) {
			x->nomem = true;
			return 0;
		}
		if (x->body) {
			memcpy(nb, x->body, x->len);
			OPENSSL_cleanse(x->body, x->cap);
			free(x->body);
		}
		x->body = nb;
		x->cap = cap;
	}
	memcpy(x->body + x->len, data, len);
	x->len += len;
	x->body[x->len] = '\0';
	return len;
}

static size_t _on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct _xfer *x = arg;
	size_t len = size * nmemb;
	size_t hl = strlen(QUERY_ERROR_HEADER);

	/* A new status line (after a 100 Continue): forget earlier headers. */
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		free(x->query_error);
		x->query_error = NULL;
		return len;
	}
	if (len > hl && strncasecmp(data, QUERY_ERROR_HEADER, hl) == 0) {
		const char *v = data + hl, *end = data + len;

		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v &&
		       (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - v) > QUERY_ERROR_MAX)
			end = v + QUERY_ERROR_MAX;
		free(x->query_error);
		x->query_error = strndup(v, (size_t)(end - v));
		if (!x->query_error) {
			x->nomem = true;
			return 0;
		}
	}
	return len;
}

/* ------------------------------------------------------------ errors -- */

static bool _is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

/* Why no response came, in words (written into 'why'). */
static void _describe(CURL *h, CURLcode rc, const struct _xfer *x, const struct http_request *req,
		      const char *curl_err, char *why, size_t len)
{
	long oserr = 0;
	double connect_time = 0;
	const char *detail = curl_err[0] ? curl_err : curl_easy_strerror(rc);

	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME, &connect_time);
	if (x->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(why, len, "response body over %d bytes: transfer aborted", HTTP_BODY_MAX);
	} else if (x->nomem || rc == CURLE_OUT_OF_MEMORY) {
		snprintf(why, len, "out of memory");
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(why, len, "timed out after %.1f s %s",
			 connect_time > 0
			     ? req->timeout
			     : (req->connect_timeout > 0 ? req->connect_timeout : req->timeout),
			 connect_time > 0 ? "waiting for the response" : "connecting");
	} else if (rc == CURLE_COULDNT_CONNECT && oserr == ECONNREFUSED) {
		snprintf(why, len, "connection refused");
	} else if (rc == CURLE_COULDNT_CONNECT && oserr) {
		snprintf(why, len, "could not connect: %s", strerror((int)oserr));
	} else if (rc == CURLE_COULDNT_RESOLVE_HOST) {
		snprintf(why, len, "DNS: could not resolve the host");
	} else if (rc == CURLE_COULDNT_RESOLVE_PROXY) {
		snprintf(why, len, "DNS: could not resolve the proxy");
	} else if (_is_tls_error(rc)) {
		snprintf(why, len, "TLS: %s", detail);
	} else if (rc == CURLE_GOT_NOTHING) {
		snprintf(why, len, "connection closed without a response");
	} else if (rc == CURLE_UNSUPPORTED_PROTOCOL) {
		snprintf(why, len, "unsupported protocol (only http and https)");
	} else if ((rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR) && oserr) {
		snprintf(why, len, "connection error: %s", strerror((int)oserr));
	} else {
		snprintf(why, len, "%s", detail);
	}
}

static void _fail(char *err, size_t errlen, const struct http_request *req, const char *why)
{
	char url[HTTP_ERR_MAX];

	http_url_redact(req->url, url, sizeof(url));
	if (err && errlen)
		snprintf(err, errlen, "%s %s: %s", req->method ? req->method : "?", url, why);
}

/* ----------------------------------------------------------- request -- */

static void _slist_free_wiped(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/* The caller's headers plus "Expect:" (no 100-continue round trip). */
static int _headers(const struct http_request *req, struct curl_slist **out, char *why, size_t len)
{
	struct curl_slist *l = NULL, *n;

	for (size_t i = 0; req->headers && req->headers[i]; i++) {
		if (strpbrk(req->headers[i], "\r\n")) {
			snprintf(why, len, "header %zu holds a line break", i);
			errno = EINVAL;
			goto fail;
		}
		n = curl_slist_append(l, req->headers[i]);
		if (!n)
			goto nomem;
		l = n;
	}
	n = curl_slist_append(l, "Expect:");
	if (!n)
		goto nomem;
	*out = n;
	return 0;
nomem:
	snprintf(why, len, "out of memory");
	errno = ENOMEM;
fail:
	_slist_free_wiped(l);
	return -1;
}

static int _setup(CURL *h, const struct http_request *req, struct curl_slist *hdrs, struct _xfer *x,
		  char *curl_err, bool local)
{
	double ct = req->connect_timeout > 0 ? req->connect_timeout : req->timeout;
	long timeout_ms = (long)(req->timeout * 1000.0 + 0.5);
	long connect_ms = (long)(ct * 1000.0 + 0.5);
	CURLcode rc = CURLE_OK;

	if (timeout_ms < 1)
		timeout_ms = 1;
	if (connect_ms < 1)
		connect_ms = 1;
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(h, opt, val);                                        \
	} while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_ERRORBUFFER, curl_err);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_MAXREDIRS, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* A known Content-Length over the cap fails before any byte is read. */
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_BODY_MAX);
	if (local)
		SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_USERAGENT, USER_AGENT);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_WRITEFUNCTION, _on_body);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, _on_header);
	SET(CURLOPT_HEADERDATA, x);
	if (strcmp(req->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(req->method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else {
		/* POSTFIELDS does not copy: req->body outlives the transfer. */
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		SET(CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
		if (strcmp(req->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, req->method);
	}
#undef SET
	return rc == CURLE_OK ? 0 : -1;
}

static void _xfer_free(struct _xfer *x)
{
	if (x->body) {
		OPENSSL_cleanse(x->body, x->cap);
		free(x->body);
	}
	free(x->query_error);
	memset(x, 0, sizeof(*x));
}

/* Reject what must never reach curl; fills 'why'. */
static int _check(const struct http_request *req, char *why, size_t len, bool *local)
{
	char *scheme = NULL, *host = NULL;
	int rc = -1;

	if (!req->method || !*req->method || strpbrk(req->method, " \r\n")) {
		snprintf(why, len, "bad method");
		goto out;
	}
	if (!(req->timeout > 0) || req->connect_timeout < 0) {
		snprintf(why, len, "bad timeout");
		goto out;
	}
	if (!req->url || _url_parts(req->url, &scheme, &host, NULL, NULL) < 0) {
		snprintf(why, len, "malformed URL");
		goto out;
	}
	if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
		snprintf(why, len, "unsupported protocol (only http and https)");
		goto out;
	}
	if (!host || !*host) {
		snprintf(why, len, "malformed URL");
		goto out;
	}
	*local = _host_is_local(host);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	if (rc < 0)
		errno = EINVAL;
	return rc;
}

int http_perform(const struct http_request *req, struct http_response *resp, char *err,
		 size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	char why[HTTP_ERR_MAX] = "";
	struct curl_slist *hdrs = NULL;
	struct _xfer x = {0};
	bool local = false;
	CURL *h = NULL;
	CURLcode rc;
	int saved;

	memset(resp, 0, sizeof(*resp));
	if (_check(req, why, sizeof(why), &local) < 0 || _headers(req, &hdrs, why, sizeof(why)) < 0)
		goto fail;
	if (http_global_init() < 0 || !(h = curl_easy_init())) {
		snprintf(why, sizeof(why), "cannot initialise libcurl");
		errno = ENOMEM;
		goto fail;
	}
	if (_setup(h, req, hdrs, &x, curl_err, local) < 0) {
		snprintf(why, sizeof(why), "libcurl refused an option");
		errno = EINVAL;
		goto fail;
	}
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	if (rc != CURLE_OK || x.too_large || x.nomem) {
		_describe(h, rc, &x, req, curl_err, why, sizeof(why));
		errno = x.too_large || rc == CURLE_FILESIZE_EXCEEDED ? EFBIG
			: rc == CURLE_OPERATION_TIMEDOUT	     ? ETIMEDOUT
								     : EIO;
		goto fail;
	}
	if (!x.body && !(x.body = calloc(1, 1))) {
		snprintf(why, sizeof(why), "out of memory");
		errno = ENOMEM;
		goto fail;
	}
	resp->body = x.body;
	resp->body_len = x.len;
	resp->query_error = x.query_error;
	_slist_free_wiped(hdrs);
	curl_easy_cleanup(h);
	return 0;
fail:
	saved = errno;
	_fail(err, errlen, req, why);
	_xfer_free(&x);
	_slist_free_wiped(hdrs);
	if (h)
		curl_easy_cleanup(h);
	errno = saved;
	return -1;
}

void http_response_free(struct http_response *resp)
{
	if (!resp)
		return;
	if (resp->body) {
		OPENSSL_cleanse(resp->body, resp->body_len);
		free(resp->body);
	}
	free(resp->query_error);
	memset(resp, 0, sizeof(*resp));
}

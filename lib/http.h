/*
 * http.h - one bounded HTTP request over libcurl.
 *
 * Every call has a total deadline and a connect deadline, never follows
 * redirects, speaks only http and https, never uses a proxy for loopback
 * or link-local hosts (IMDS, the container credentials endpoint, a local
 * agent) whatever the environment says, and keeps at most HTTP_BODY_MAX
 * bytes of a response body, so a slow, hanging or hostile endpoint costs
 * bounded time and memory. Error texts name the method and the URL
 * (without user info or query string) and never a header value: headers
 * may hold secrets.
 *
 * Each call uses a fresh curl easy handle, so no connection is reused
 * (fine at one request per interval; a per-thread handle cache could come
 * later behind the same interface). Calls may run in several threads at
 * once after http_global_init().
 */
#ifndef EFA_MONITOR_HTTP_H
#define EFA_MONITOR_HTTP_H

#include <stddef.h>

#define HTTP_BODY_MAX (256 * 1024)
#define HTTP_ERR_MAX 256

struct http_response {
	long status;            /* HTTP status; 0 when no response came */
	char *body;             /* NUL-terminated, at most HTTP_BODY_MAX bytes */
	size_t body_len;
	char *query_error;      /* x-amzn-query-error header value, or NULL */
};

struct http_request {
	const char *method;     /* "GET", "HEAD", "PUT", "POST", "DELETE" */
	const char *url;        /* http:// or https:// */
	const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
	const void *body;
	size_t body_len;
	double timeout;         /* whole request, seconds (> 0) */
	double connect_timeout; /* seconds; 0: same as timeout */
};

/* Once per process, before threads; idempotent. Returns 0 or -1. */
int http_global_init(void);

/*
 * Perform 'req'. Returns 0 when a response arrived (any status), filling
 * *resp (free with http_response_free). Returns -1 with a message in 'err'
 * when none did: refused, unreachable, DNS, TLS, timed out (the message
 * says which), a body over HTTP_BODY_MAX (the transfer is aborted there;
 * resp->status tells what the server had answered), or a bad request
 * (EINVAL: no method or URL, timeout <= 0, a scheme other than http(s), a
 * header holding a line break). After -1, *resp holds nothing to free;
 * http_response_free() on it is harmless either way.
 */
int http_perform(const struct http_request *req, struct http_response *resp,
		 char *err, size_t errlen);

/* Free (and wipe: a body may hold credentials) what http_perform filled. */
void http_response_free(struct http_response *resp);

/*
 * Write 'url' as "scheme://host[:port]/path" into 'out', without user
 * info, query or fragment (they may hold secrets): the form to put in a
 * message. "(unparsable URL)" if it cannot be parsed.
 */
void http_url_redact(const char *url, char *out, size_t outlen);

#endif

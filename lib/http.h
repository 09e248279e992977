/*
 * http.h - one bounded HTTP request over libcurl.
 *
 * Every call has a total deadline and a connect deadline, never follows
 * redirects, never reads a proxy from the environment for link-local
 * addresses, and keeps at most HTTP_BODY_MAX bytes of a response body, so
 * a slow, hanging or hostile endpoint costs bounded time and memory.
 * Error texts name the URL (never a header value: headers may hold
 * secrets).
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
	const char *method;     /* "GET", "PUT", "POST" */
	const char *url;
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
 * when none did: refused, unreachable, timed out (the message says which).
 */
int http_perform(const struct http_request *req, struct http_response *resp,
		 char *err, size_t errlen);

void http_response_free(struct http_response *resp);

#endif

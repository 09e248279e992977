/*
 * cwclient.c - see cwclient.h.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awscred.h"
#include "cwclient.h"
#include "log.h"
#include "sigv4.h"

#define CW_TARGET_PREFIX "GraniteServiceVersion20100801."

struct cw_client {
	struct aws_env *env;
	char *cfg_endpoint;
	char *endpoint, *host, *path;
	const char *region;
};

static const char *_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

struct cw_client *cw_client_create(const struct cw_client_config *cfg)
{
	struct cw_client *c = calloc(1, sizeof(*c));
	struct aws_env_config ac = {cfg->region, cfg->profile, cfg->instance_id};

	if (!c || http_global_init() < 0 || !(c->env = aws_env_create(&ac)) ||
	    (cfg->endpoint && !(c->cfg_endpoint = strdup(cfg->endpoint)))) {
		log_error("cloudwatch: cannot set up the AWS client");
		cw_client_destroy(c);
		return NULL;
	}
	return c;
}

void cw_client_destroy(struct cw_client *c)
{
	if (!c)
		return;
	aws_env_destroy(c->env);
	free(c->cfg_endpoint);
	free(c->endpoint);
	free(c->host);
	free(c->path);
	free(c);
}

/* Split the endpoint URL into the Host header and the path to sign. */
static int _parse_endpoint(struct cw_client *c, const char *url)
{
	const char *p = strstr(url, "://");
	if (!p || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
		log_error("cloudwatch: endpoint '%s' is not an http:// or https:// URL", url);
		return -1;
	}
	p += 3;
	size_t hl = strcspn(p, "/?#");
	if (hl == 0) {
		log_error("cloudwatch: endpoint '%s' has no host", url);
		return -1;
	}
	c->endpoint = strdup(url);
	c->host = strndup(p, hl);
	c->path = strdup(p[hl] == '/' ? p + hl : "/");
	if (!c->endpoint || !c->host || !c->path) {
		log_error("cloudwatch: out of memory");
		return -1;
	}
	/* The path must not carry a query or fragment: the API posts to it. */
	c->path[strcspn(c->path, "?#")] = '\0';
	return 0;
}

int cw_client_resolve(struct cw_client *c)
{
	if (c->endpoint)
		return 0;
	if (!c->region) {
		c->region = aws_env_region(c->env);
		if (!c->region)
			return -1;
	}
	const char *url = _env("AWS_ENDPOINT_URL_CLOUDWATCH");
	if (!url)
		url = _env("AWS_ENDPOINT_URL");
	if (!url)
		url = c->cfg_endpoint;
	char def[256];
	if (!url) {
		snprintf(def, sizeof(def), "https://monitoring.%s.amazonaws.com", c->region);
		url = def;
	}
	if (_parse_endpoint(c, url) < 0) {
		free(c->endpoint);
		c->endpoint = NULL;
		return -1;
	}
	return 0;
}

const char *cw_client_endpoint(const struct cw_client *c)
{
	return c->endpoint;
}

const char *cw_client_region(const struct cw_client *c)
{
	return c->region;
}

const char *cw_client_instance_id(struct cw_client *c)
{
	return aws_env_instance_id(c->env);
}

static bool _retryable_code(const char *code)
{
	static const char *const codes[] = {
		"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
		"TooManyRequestsException", "RequestLimitExceeded", "LimitExceededException",
		"RequestThrottled", "SlowDown", "BandwidthLimitExceeded", "PriorRequestNotComplete",
		"EC2ThrottledException", "ProvisionedThroughputExceededException",
		"TransactionInProgressException", "ServiceUnavailable", "InternalFailure",
		"InternalServiceError", "InternalServiceFault", "RequestTimeout",
		"RequestTimeoutException", "ExpiredToken", "ExpiredTokenException", "RequestExpired",
		NULL};
	for (size_t i = 0; code && codes[i]; i++)
		if (strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

/* The error code and message of an error reply (JSON, or XML from Query). */
static void _error_of(const struct http_response *r, char *code, size_t clen, char *msg,
		      size_t mlen)
{
	snprintf(code, clen, "HTTP %ld", r->status);
	snprintf(msg, mlen, "(no message)");
	if (r->query_error) {
		size_t n = strcspn(r->query_error, ";");
		snprintf(code, clen, "%.*s", (int)n, r->query_error);
	}
	cJSON *j = r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
	if (j) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "__type");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
		if (!cJSON_IsString(m))
			m = cJSON_GetObjectItemCaseSensitive(j, "Message");
		if (cJSON_IsString(t) && !r->query_error) {
			const char *h = strrchr(t->valuestring, '#');
			snprintf(code, clen, "%s", h ? h + 1 : t->valuestring);
		}
		if (cJSON_IsString(m))
			snprintf(msg, mlen, "%s", m->valuestring);
		cJSON_Delete(j);
		return;
	}
	const char *m = r->body ? strstr(r->body, "<Message>") : NULL;
	if (m) {
		m += 9;
		snprintf(msg, mlen, "%.*s", (int)strcspn(m, "<"), m);
	}
	const char *k = r->body ? strstr(r->body, "<Code>") : NULL;
	if (k && !r->query_error) {
		k += 6;
		snprintf(code, clen, "%.*s", (int)strcspn(k, "<"), k);
	}
}

/* Wipe and free header lines: the token and signature are credentials. */
static void _free_lines(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (lines[i])
			explicit_bzero(lines[i], strlen(lines[i]));
		free(lines[i]);
	}
}

enum cw_outcome cw_client_call(struct cw_client *c, const char *action, const void *body,
			       size_t len, bool gzipped, double timeout,
			       struct http_response *resp, char *why, size_t wlen)
{
	char amz_date[SIGV4_AMZ_DATE_LEN], target[128];
	char *auth = NULL;
	enum cw_outcome out = CW_RETRY;

	if (cw_client_resolve(c) < 0) {
		snprintf(why, wlen, "no region or endpoint");
		return CW_REJECTED;
	}
	const struct aws_creds *cr = aws_env_creds(c->env, time(NULL));
	if (!cr) {
		snprintf(why, wlen, "no AWS credentials");
		return CW_RETRY;
	}
	snprintf(target, sizeof(target), CW_TARGET_PREFIX "%s", action);
	sigv4_amz_date((long long)time(NULL), amz_date);
	struct sigv4_header sh[8];
	size_t n = 0;
	sh[n++] = (struct sigv4_header){"content-type", "application/x-amz-json-1.0"};
	if (gzipped)
		sh[n++] = (struct sigv4_header){"content-encoding", "gzip"};
	sh[n++] = (struct sigv4_header){"host", c->host};
	sh[n++] = (struct sigv4_header){"x-amz-date", amz_date};
	if (cr->session_token)
		sh[n++] = (struct sigv4_header){"x-amz-security-token", cr->session_token};
	sh[n++] = (struct sigv4_header){"x-amz-target", target};
	/* Asks for the classic error code in x-amzn-query-error too. */
	sh[n++] = (struct sigv4_header){"x-amzn-query-mode", "true"};
	struct sigv4_request req = {"POST", c->path, NULL, sh, n, body, len};
	struct sigv4_key key = {cr->access_key, cr->secret_key, c->region, "monitoring"};
	if (sigv4_sign(&req, &key, amz_date, &auth, NULL, NULL) < 0) {
		snprintf(why, wlen, "cannot sign: %s", strerror(errno));
		return CW_RETRY;
	}

	/* Header lines for curl: the signed ones, Authorization, and no Expect. */
	char *lines[12] = {0};
	size_t nl = 0;
	bool oom = false;
	for (size_t i = 0; i < n; i++)
		if (asprintf(&lines[nl++], "%s: %s", sh[i].name, sh[i].value) < 0)
			lines[--nl] = NULL, oom = true;
	if (asprintf(&lines[nl++], "Authorization: %s", auth) < 0)
		lines[--nl] = NULL, oom = true;
	if (!(lines[nl++] = strdup("Expect:")))
		oom = true;
	explicit_bzero(auth, strlen(auth));
	free(auth);

	struct http_request hr = {
		.method = "POST",
		.url = c->endpoint,
		.headers = (const char *const *)lines,
		.body = body,
		.body_len = len,
		.timeout = timeout,
		.connect_timeout = timeout < 3.0 ? timeout : 3.0,
	};
	struct http_response r = {0};
	char err[HTTP_ERR_MAX];
	if (oom) {
		snprintf(why, wlen, "out of memory");
	} else if (http_perform(&hr, &r, err, sizeof(err)) < 0) {
		snprintf(why, wlen, "%s", err);
	} else if (r.status == 200) {
		out = CW_OK;
		if (resp) {
			*resp = r;
			memset(&r, 0, sizeof(r));
		}
	} else {
		char code[128], msg[512];
		_error_of(&r, code, sizeof(code), msg, sizeof(msg));
		snprintf(why, wlen, "HTTP %ld %s: %s", r.status, code, msg);
		bool retry = r.status >= 500 || r.status == 429 || _retryable_code(code);
		out = retry ? CW_RETRY : CW_REJECTED;
	}
	http_response_free(&r);
	_free_lines(lines, nl);
	return out;
}

/*
 * awscred.c - see awscred.h.
 *
 * Each credential source is a function that returns 1 (credentials
 * filled), 0 (not configured here: try the next) or -1 (configured but
 * failed: stop), and writes a short reason with no secret in it. The
 * reasons of every source tried make up the message when none gave
 * credentials.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "awscred.h"
#include "http.h"
#include "log.h"

#define IMDS_ENDPOINT "http://169.254.169.254"
#define IMDS_ENDPOINT_IPV6 "http://[fd00:ec2::254]"
#define IMDS_TOKEN_TTL 21600
#define IMDS_CONNECT_TIMEOUT 1.0
#define IMDS_ROLE_PATH "/latest/meta-data/iam/security-credentials/"
#define CONTAINER_ENDPOINT "http://169.254.170.2"
#define FILE_MAX (1024 * 1024)
#define TOKEN_FILE_MAX (16 * 1024)
#define WHY_MAX 1024
#define URL_MAX 2048
#define REGION_MAX 64
#define INSTANCE_ID_MAX 256

struct aws_env {
	char *cfg_region;
	char *cfg_profile;
	char *cfg_instance_id;

	struct aws_creds creds; /* access_key NULL: none held */
	bool attempted;
	bool last_ok;        /* the last attempt gave credentials */
	time_t last_attempt; /* in the callers' 'now' */

	char region[REGION_MAX]; /* "" until known */
	bool region_logged;
	char instance_id[INSTANCE_ID_MAX];

	char *imds_token;
	double imds_token_until; /* monotonic seconds */
	double imds_dead_until;	 /* monotonic: no response came */
	char imds_dead_why[HTTP_ERR_MAX];
};

/* ------------------------------------------------------------ helpers -- */

static double _mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool _set(const char *s)
{
	return s && *s;
}

static const char *_getenv(const char *name)
{
	const char *v = getenv(name);

	return _set(v) ? v : NULL;
}

static void _free_secret(char **s)
{
	if (*s) {
		OPENSSL_cleanse(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

/* The last 4 characters of an access key id: all a log line may show. */
static const char *_key_tail(const char *key)
{
	size_t n = key ? strlen(key) : 0;

	return n >= 8 ? key + n - 4 : "?";
}

static void _fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "never");
}

/* Append "; text" (or "text" first) to 'why'. */
static void _append(char *why, size_t len, const char *text)
{
	size_t n = strlen(why);

	if (n + 3 < len)
		snprintf(why + n, len - n, "%s%s", n ? "; " : "", text);
}

/* A string of characters from 'ok' only, 1..max-1 long. */
static bool _valid_chars(const char *s, const char *ok, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n < max && strspn(s, ok) == n;
}

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* "2026-11-21T06:00:00Z", fractions and numeric offsets allowed. */
static int _parse_time(const char *s, time_t *out)
{
	struct tm tm;
	const char *p;
	long off = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if ((p[0] == 'Z' || p[0] == 'z') && !p[1]) {
		off = 0;
	} else if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6 && p[3] == ':') {
		int h, m;

		if (sscanf(p + 1, "%2d:%2d", &h, &m) != 2 || h > 23 || m > 59)
			return -1;
		off = (p[0] == '-' ? -1 : 1) * (h * 3600L + m * 60L);
	} else {
		return -1;
	}
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - off;
	return 0;
}

/* Wipe every string of a parsed JSON document before cJSON frees it. */
static void _json_free_wiped(cJSON *j)
{
	for (cJSON *c = j ? j->child : NULL; c; c = c->next)
		if (cJSON_IsString(c) && c->valuestring)
			OPENSSL_cleanse(c->valuestring, strlen(c->valuestring));
	cJSON_Delete(j);
}

/* A file read whole (at most 'max' bytes), NUL-terminated; wipe it. */
static char *_read_small_file(const char *path, size_t max, size_t *len_out, char *why, size_t len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int saved;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		saved = errno;
		snprintf(why, len, "%s: %s", path, saved == ENOENT ? "absent" : strerror(saved));
		errno = saved;
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		snprintf(why, len, "%s: not a regular file under %zu bytes", path, max);
		errno = EINVAL;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(why, len, "%s: out of memory", path);
		errno = ENOMEM;
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	*len_out = got;
	return buf;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return NULL;
}

static void _wipe_free(char *buf, size_t len)
{
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
}

/* ------------------------------------------------- credentials (JSON) -- */

/*
 * Fill 'out' from a container or IMDS credentials document:
 * AccessKeyId, SecretAccessKey, Token, Expiration (and Code, if present,
 * "Success"). 'what' names the document in 'why'.
 */
static int _creds_from_json(const char *body, const char *what, struct aws_creds *out, char *why,
			    size_t len)
{
	cJSON *j = cJSON_Parse(body);
	const cJSON *code, *ak, *sk, *tok, *exp;
	int rc = -1;

	if (!cJSON_IsObject(j)) {
		snprintf(why, len, "%s: not a JSON object", what);
		goto out;
	}
	code = cJSON_GetObjectItemCaseSensitive(j, "Code");
	if (code && (!cJSON_IsString(code) || strcmp(code->valuestring, "Success") != 0)) {
		snprintf(why, len, "%s: Code is %.64s, not Success", what,
			 cJSON_IsString(code) ? code->valuestring : "not a string");
		goto out;
	}
	ak = cJSON_GetObjectItemCaseSensitive(j, "AccessKeyId");
	sk = cJSON_GetObjectItemCaseSensitive(j, "SecretAccessKey");
	tok = cJSON_GetObjectItemCaseSensitive(j, "Token");
	exp = cJSON_GetObjectItemCaseSensitive(j, "Expiration");
	if (!cJSON_IsString(ak) || !_set(ak->valuestring) || !cJSON_IsString(sk) ||
	    !_set(sk->valuestring) || !cJSON_IsString(tok) || !_set(tok->valuestring)) {
		snprintf(why, len, "%s: AccessKeyId, SecretAccessKey or Token missing", what);
		goto out;
	}
	if (!cJSON_IsString(exp) || _parse_time(exp->valuestring, &out->expiration) < 0) {
		snprintf(why, len, "%s: Expiration missing or not an ISO 8601 UTC time", what);
		goto out;
	}
	out->access_key = strdup(ak->valuestring);
	out->secret_key = strdup(sk->valuestring);
	out->session_token = strdup(tok->valuestring);
	if (!out->access_key || !out->secret_key || !out->session_token) {
		aws_creds_clear(out);
		snprintf(why, len, "%s: out of memory", what);
		goto out;
	}
	rc = 0;
out:
	_json_free_wiped(j);
	return rc;
}

/* ------------------------------------------------------- environment -- */

static int _src_env(struct aws_env *env, struct aws_creds *out, char *why, size_t len)
{
	const char *ak = _getenv("AWS_ACCESS_KEY_ID");
	const char *sk = _getenv("AWS_SECRET_ACCESS_KEY");
	const char *tok = _getenv("AWS_SESSION_TOKEN");

	(void)env;
	if (!ak && !sk) {
		snprintf(why, len, "environment: not set");
		return 0;
	}
	if (!ak || !sk) {
		snprintf(why, len, "environment: %s is set but %s is not",
			 ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			 ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return -1;
	}
	out->access_key = strdup(ak);
	out->secret_key = strdup(sk);
	out->session_token = tok ? strdup(tok) : NULL;
	if (!out->access_key || !out->secret_key || (tok && !out->session_token)) {
		aws_creds_clear(out);
		snprintf(why, len, "environment: out of memory");
		return -1;
	}
	out->source = "environment";
	return 1;
}

/* ------------------------------------------------------- shared file -- */

/* The effective user's home: $HOME, else the passwd entry. */
static int _home(char *buf, size_t len)
{
	const char *h = _getenv("HOME");
	struct passwd pw, *res = NULL;
	char pwbuf[4096];

	if (!h && getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res &&
	    _set(res->pw_dir))
		h = res->pw_dir;
	if (!h || (size_t)snprintf(buf, len, "%s", h) >= len)
		return -1;
	return 0;
}

static int _creds_file_path(char *buf, size_t len)
{
	const char *p = _getenv("AWS_SHARED_CREDENTIALS_FILE");
	char home[PATH_MAX];

	if (p && strncmp(p, "~/", 2) != 0)
		return (size_t)snprintf(buf, len, "%s", p) < len ? 0 : -1;
	if (_home(home, sizeof(home)) < 0)
		return -1;
	if (p)
		return (size_t)snprintf(buf, len, "%s%s", home, p + 1) < len ? 0 : -1;
	return (size_t)snprintf(buf, len, "%s/.aws/credentials", home) < len ? 0 : -1;
}

static char *_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* The keys of one profile, pointing into the parsed buffer. */
struct _profile {
	bool found;
	const char *ak, *sk, *tok;
};

/*
 * INI as botocore reads it: "[name]" sections, "key = value" (or ':'),
 * '#' and ';' comment lines; indented lines continue a value and are
 * ignored here. Edits 'buf' in place.
 */
static void _parse_ini(char *buf, const char *profile, struct _profile *p)
{
	bool in = false;
	char *save = NULL;

	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *k, *v, *sep;

		if (*line == ' ' || *line == '\t')
			continue;
		line = _trim(line);
		if (!*line || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *end = strchr(line, ']');

			if (end) {
				*end = '\0';
				in = strcmp(_trim(line + 1), profile) == 0;
				p->found |= in;
			}
			continue;
		}
		sep = strpbrk(line, "=:");
		if (!in || !sep)
			continue;
		*sep = '\0';
		k = _trim(line);
		v = _trim(sep + 1);
		if (strcasecmp(k, "aws_access_key_id") == 0)
			p->ak = v;
		else if (strcasecmp(k, "aws_secret_access_key") == 0)
			p->sk = v;
		else if (strcasecmp(k, "aws_session_token") == 0)
			p->tok = v;
		else if (strcasecmp(k, "aws_security_token") == 0 && !p->tok)
			p->tok = v;
	}
}

static int _src_file(struct aws_env *env, struct aws_creds *out, char *why, size_t len)
{
	const char *profile = env->cfg_profile ? env->cfg_profile : _getenv("AWS_PROFILE");
	struct _profile p = {0};
	char path[PATH_MAX], sub[WHY_MAX];
	size_t blen = 0;
	char *buf;
	int rc = -1;

	if (!profile)
		profile = "default";
	if (_creds_file_path(path, sizeof(path)) < 0) {
		snprintf(why, len, "shared credentials file: no home directory");
		return 0;
	}
	buf = _read_small_file(path, FILE_MAX, &blen, sub, sizeof(sub));
	if (!buf) {
		snprintf(why, len, "shared credentials file %s", sub);
		return errno == ENOENT ? 0 : -1;
	}
	_parse_ini(buf, profile, &p);
	if (!p.found || (!_set(p.ak) && !_set(p.sk))) {
		snprintf(why, len, "shared credentials file %s: %s [%s]", path,
			 p.found ? "no static keys in profile" : "no profile", profile);
		rc = 0;
		goto out;
	}
	if (!_set(p.ak) || !_set(p.sk)) {
		snprintf(why, len, "shared credentials file %s: profile [%s] lacks %s", path,
			 profile, _set(p.ak) ? "aws_secret_access_key" : "aws_access_key_id");
		goto out;
	}
	out->access_key = strdup(p.ak);
	out->secret_key = strdup(p.sk);
	out->session_token = _set(p.tok) ? strdup(p.tok) : NULL;
	if (!out->access_key || !out->secret_key || (_set(p.tok) && !out->session_token)) {
		aws_creds_clear(out);
		snprintf(why, len, "shared credentials file %s: out of memory", path);
		goto out;
	}
	out->source = "shared-file";
	rc = 1;
out:
	_wipe_free(buf, blen);
	return rc;
}

/* ---------------------------------------------------------- container -- */

/* A host (as libcurl gives it: IPv6 in brackets) that is a local agent. */
static bool _container_host_local(const char *host)
{
	static const char *const v4[] = {"169.254.170.2", "169.254.170.23"};
	struct in_addr a4;
	struct in6_addr a6, want6;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return true;
	/* Numeric IPv4 only (inet_pton takes exactly four decimal parts): a
	 * name such as "127.attacker.example" is DNS's to answer. */
	if (inet_pton(AF_INET, host, &a4) == 1) {
		if ((ntohl(a4.s_addr) >> 24) == 127)
			return true;
		for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
			if (strcmp(host, v4[i]) == 0)
				return true;
		return false;
	}
	if (n < 3 || n - 2 >= sizeof(buf) || host[0] != '[' || host[n - 1] != ']')
		return false;
	memcpy(buf, host + 1, n - 2);
	buf[n - 2] = '\0';
	if (inet_pton(AF_INET6, buf, &a6) != 1)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return true;
	return inet_pton(AF_INET6, "fd00:ec2::23", &want6) == 1 &&
	       memcmp(&a6, &want6, sizeof(a6)) == 0;
}

/* FULL_URI must not send the token anywhere but a local agent, or TLS. */
bool aws_container_url_allowed(const char *url)
{
	CURLU *u = url ? curl_url() : NULL;
	char *scheme = NULL, *host = NULL;
	bool ok = false;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (strcasecmp(scheme, "https") == 0)
			ok = true;
		else if (strcasecmp(scheme, "http") == 0)
			ok = _container_host_local(host);
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/* "Authorization: <token>" (malloc'ed, wipe it), NULL without a token;
 * -1 when the token is unusable. */
static int _container_auth(char **hdr, char *why, size_t len)
{
	const char *file = _getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok = _getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char *buf = NULL, sub[WHY_MAX];
	size_t blen = 0, n;
	int rc = -1;

	*hdr = NULL;
	if (file) {
		buf = _read_small_file(file, TOKEN_FILE_MAX, &blen, sub, sizeof(sub));
		if (!buf) {
			snprintf(why, len, "container: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s",
				 sub);
			return -1;
		}
		n = strlen(buf);
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
			buf[--n] = '\0';
		tok = buf;
	}
	if (!tok) {
		rc = 0;
		goto out;
	}
	if (strpbrk(tok, "\r\n")) {
		snprintf(why, len, "container: the authorization token holds a line break");
		goto out;
	}
	n = strlen("Authorization: ") + strlen(tok) + 1;
	*hdr = malloc(n);
	if (!*hdr) {
		snprintf(why, len, "container: out of memory");
		goto out;
	}
	snprintf(*hdr, n, "Authorization: %s", tok);
	rc = 0;
out:
	_wipe_free(buf, blen);
	return rc;
}

static int _src_container(struct aws_env *env, struct aws_creds *out, char *why, size_t len)
{
	const char *rel = _getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = _getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *hdrs[2] = {NULL, NULL};
	struct http_request req = {.method = "GET", .timeout = AWSCRED_TIMEOUT};
	struct http_response resp;
	char url[URL_MAX], shown[URL_MAX], err[HTTP_ERR_MAX], what[URL_MAX + 32];
	char *auth = NULL;
	int rc = -1;

	(void)env;
	if (!rel && !full) {
		snprintf(why, len, "container: not configured");
		return 0;
	}
	if ((size_t)snprintf(url, sizeof(url), "%s%s", rel ? CONTAINER_ENDPOINT : "",
			     rel ? rel : full) >= sizeof(url)) {
		snprintf(why, len, "container: URI too long");
		return -1;
	}
	http_url_redact(url, shown, sizeof(shown));
	if (!rel && !aws_container_url_allowed(url)) {
		snprintf(why, len,
			 "container: AWS_CONTAINER_CREDENTIALS_FULL_URI %s is neither https nor "
			 "a loopback or ECS/EKS agent address",
			 shown);
		return -1;
	}
	if (_container_auth(&auth, why, len) < 0)
		return -1;
	hdrs[0] = auth;
	req.url = url;
	req.headers = hdrs;
	if (http_perform(&req, &resp, err, sizeof(err)) < 0) {
		snprintf(why, len, "container: %s", err);
		goto out;
	}
	if (resp.status != 200) {
		snprintf(why, len, "container: GET %s: HTTP %ld%s", shown, resp.status,
			 resp.status == 401 || resp.status == 403
			     ? (auth ? " (authorization token refused)"
				     : " (no AWS_CONTAINER_AUTHORIZATION_TOKEN)")
			     : "");
		goto out_resp;
	}
	snprintf(what, sizeof(what), "container: %s", shown);
	if (_creds_from_json(resp.body, what, out, why, len) == 0) {
		out->source = "container";
		rc = 1;
	}
out_resp:
	http_response_free(&resp);
out:
	_free_secret(&auth);
	return rc;
}

/* --------------------------------------------------------------- IMDS -- */

static bool _imds_disabled(void)
{
	const char *d = _getenv("AWS_EC2_METADATA_DISABLED");

	return d && strcasecmp(d, "true") == 0;
}

static void _imds_base(char *buf, size_t len)
{
	const char *e = _getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = _getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	size_t n;

	if (!e)
		e = mode && strcasecmp(mode, "IPv6") == 0 ? IMDS_ENDPOINT_IPV6 : IMDS_ENDPOINT;
	snprintf(buf, len, "%s", e);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
}

/* Whether IMDS may be asked now; fills 'why' when not. */
static bool _imds_usable(struct aws_env *env, char *why, size_t len)
{
	if (_imds_disabled()) {
		snprintf(why, len, "IMDS: disabled (AWS_EC2_METADATA_DISABLED=true)");
		return false;
	}
	if (_mono() < env->imds_dead_until) {
		snprintf(why, len, "IMDS: %s (not retried for %d s)", env->imds_dead_why,
			 AWSCRED_RETRY_INTERVAL);
		return false;
	}
	return true;
}

/* One IMDS request; a missing response marks IMDS dead for a while. */
static int _imds_request(struct aws_env *env, const char *method, const char *path, const char *hdr,
			 struct http_response *resp, char *why, size_t len)
{
	const char *hdrs[2] = {hdr, NULL};
	struct http_request req = {
	    .method = method,
	    .headers = hdrs,
	    .timeout = AWSCRED_TIMEOUT,
	    .connect_timeout = IMDS_CONNECT_TIMEOUT,
	};
	char base[URL_MAX], url[URL_MAX * 2], err[HTTP_ERR_MAX];

	_imds_base(base, sizeof(base));
	snprintf(url, sizeof(url), "%s%s", base, path);
	req.url = url;
	if (http_perform(&req, resp, err, sizeof(err)) < 0) {
		if (resp->status == 0) {
			env->imds_dead_until = _mono() + AWSCRED_RETRY_INTERVAL;
			snprintf(env->imds_dead_why, sizeof(env->imds_dead_why), "%s", err);
		}
		snprintf(why, len, "IMDS: %s", err);
		return -1;
	}
	return 0;
}

static void _imds_drop_token(struct aws_env *env)
{
	_free_secret(&env->imds_token);
	env->imds_token_until = 0;
}

static int _imds_token(struct aws_env *env, char *why, size_t len)
{
	static const char *const ttl_hdr = "X-aws-ec2-metadata-token-ttl-seconds: 21600";
	struct http_response resp;
	size_t n;

	if (env->imds_token && _mono() < env->imds_token_until)
		return 0;
	_imds_drop_token(env);
	if (_imds_request(env, "PUT", "/latest/api/token", ttl_hdr, &resp, why, len) < 0)
		return -1;
	n = resp.body_len;
	while (n && (resp.body[n - 1] == '\n' || resp.body[n - 1] == '\r'))
		n--;
	if (resp.status != 200 || n == 0 || memchr(resp.body, '\n', n) ||
	    memchr(resp.body, '\r', n) || strlen(resp.body) < n) {
		/* A host that refuses tokens will not change its mind in a second. */
		snprintf(env->imds_dead_why, sizeof(env->imds_dead_why),
			 "the IMDSv2 token request got HTTP %ld%s (IMDSv1 is not used)",
			 resp.status, resp.status == 200 ? " with an unusable token" : "");
		env->imds_dead_until = _mono() + AWSCRED_RETRY_INTERVAL;
		snprintf(why, len, "IMDS: %s", env->imds_dead_why);
		http_response_free(&resp);
		return -1;
	}
	env->imds_token = strndup(resp.body, n);
	http_response_free(&resp);
	if (!env->imds_token) {
		snprintf(why, len, "IMDS: out of memory");
		return -1;
	}
	/* Renew a minute early rather than race the expiry. */
	env->imds_token_until = _mono() + IMDS_TOKEN_TTL - 60;
	return 0;
}

/*
 * GET 'path' with the session token; a 401 (token expired or revoked)
 * gets one new token and one retry. Returns 0 with a 200 response, or -1.
 */
static int _imds_get(struct aws_env *env, const char *path, struct http_response *resp, char *why,
		     size_t len)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		char *hdr;
		size_t n;
		int rc;

		if (!_imds_usable(env, why, len) || _imds_token(env, why, len) < 0)
			return -1;
		n = strlen("X-aws-ec2-metadata-token: ") + strlen(env->imds_token) + 1;
		hdr = malloc(n);
		if (!hdr) {
			snprintf(why, len, "IMDS: out of memory");
			return -1;
		}
		snprintf(hdr, n, "X-aws-ec2-metadata-token: %s", env->imds_token);
		rc = _imds_request(env, "GET", path, hdr, resp, why, len);
		_free_secret(&hdr);
		if (rc < 0)
			return -1;
		if (resp->status == 200)
			return 0;
		if (resp->status == 401 && attempt == 0) {
			http_response_free(resp);
			_imds_drop_token(env);
			continue;
		}
		snprintf(why, len, "IMDS: GET %s: HTTP %ld", path, resp->status);
		http_response_free(resp);
		return -1;
	}
	return -1;
}

/* A one-line metadata value made of 'ok' characters, into 'out'. */
static int _imds_value(struct aws_env *env, const char *path, const char *ok, char *out,
		       size_t outlen, char *why, size_t len)
{
	struct http_response resp;
	size_t n;

	if (_imds_get(env, path, &resp, why, len) < 0)
		return -1;
	n = strcspn(resp.body, "\r\n");
	resp.body[n] = '\0';
	if (!_valid_chars(resp.body, ok, outlen)) {
		snprintf(why, len, "IMDS: GET %s: not a valid value", path);
		http_response_free(&resp);
		return -1;
	}
	snprintf(out, outlen, "%s", resp.body);
	http_response_free(&resp);
	return 0;
}

static int _src_imds(struct aws_env *env, struct aws_creds *out, char *why, size_t len)
{
	char role[129], path[sizeof(IMDS_ROLE_PATH) + sizeof(role)], what[sizeof(role) + 32];
	struct http_response resp;

	if (_imds_disabled()) {
		snprintf(why, len, "IMDS: disabled (AWS_EC2_METADATA_DISABLED=true)");
		return 0;
	}
	if (_imds_value(env, IMDS_ROLE_PATH, ALNUM "+=,.@_-", role, sizeof(role), why, len) < 0) {
		if (strstr(why, "HTTP 404"))
			_append(why, len, "no IAM role attached to the instance");
		return -1;
	}
	snprintf(path, sizeof(path), "%s%s", IMDS_ROLE_PATH, role);
	if (_imds_get(env, path, &resp, why, len) < 0)
		return -1;
	snprintf(what, sizeof(what), "IMDS: role %s", role);
	if (_creds_from_json(resp.body, what, out, why, len) < 0) {
		http_response_free(&resp);
		return -1;
	}
	http_response_free(&resp);
	out->source = "imds";
	return 1;
}

/* -------------------------------------------------------------- chain -- */

typedef int (*_source_fn)(struct aws_env *env, struct aws_creds *out, char *why, size_t len);

static const _source_fn _chain[] = {_src_env, _src_file, _src_container, _src_imds};

/* Run the chain into 'out'. Returns 0, or -1 with every reason in 'why'. */
static int _resolve(struct aws_env *env, struct aws_creds *out, char *why, size_t len)
{
	why[0] = '\0';
	for (size_t i = 0; i < sizeof(_chain) / sizeof(_chain[0]); i++) {
		char one[WHY_MAX] = "";
		int rc;

		memset(out, 0, sizeof(*out));
		rc = _chain[i](env, out, one, sizeof(one));
		if (rc > 0)
			return 0;
		_append(why, len, one);
		if (rc < 0)
			return -1;
	}
	return -1;
}

static bool _usable(const struct aws_creds *c, time_t now)
{
	return c->access_key && (!c->expiration || now < c->expiration);
}

static bool _fresh(const struct aws_creds *c, time_t now)
{
	return c->access_key && (!c->expiration || now < c->expiration - AWSCRED_REFRESH_AHEAD);
}

const struct aws_creds *aws_env_creds(struct aws_env *env, time_t now)
{
	struct aws_creds fresh;
	char why[WHY_MAX], exp[32];
	bool had;

	if (!env) {
		errno = EINVAL;
		return NULL;
	}
	if (_fresh(&env->creds, now))
		return &env->creds;
	time_t wait = env->last_ok ? AWSCRED_REFRESH_MIN : AWSCRED_RETRY_INTERVAL;
	if (env->attempted && now >= env->last_attempt && now - env->last_attempt < wait) {
		if (_usable(&env->creds, now))
			return &env->creds;
		log_debug("no AWS credentials: last attempt %ld s ago, next in %ld s",
			  (long)(now - env->last_attempt),
			  (long)(env->last_attempt + wait - now));
		errno = EAGAIN;
		return NULL;
	}
	env->attempted = true;
	env->last_ok = false;
	env->last_attempt = now;
	had = env->creds.access_key != NULL;
	if (_resolve(env, &fresh, why, sizeof(why)) == 0) {
		_fmt_time(fresh.expiration, exp, sizeof(exp));
		if (!had || strcmp(env->creds.source, fresh.source) != 0)
			log_info("AWS credentials from %s (key ...%s, expire %s)", fresh.source,
				 _key_tail(fresh.access_key), exp);
		else
			log_debug("AWS credentials refreshed from %s (key ...%s, expire %s)",
				  fresh.source, _key_tail(fresh.access_key), exp);
		aws_creds_clear(&env->creds);
		env->creds = fresh;
		env->last_ok = true;
		return &env->creds;
	}
	_fmt_time(env->creds.expiration, exp, sizeof(exp));
	if (_usable(&env->creds, now)) {
		log_warn("refreshing AWS credentials failed, keeping those from %s (key ...%s) "
			 "until they expire at %s: %s",
			 env->creds.source, _key_tail(env->creds.access_key), exp, why);
		return &env->creds;
	}
	if (had)
		log_error("AWS credentials from %s (key ...%s) expired at %s and could not be "
			  "refreshed: %s",
			  env->creds.source, _key_tail(env->creds.access_key), exp, why);
	else
		log_error("no AWS credentials: %s", why);
	aws_creds_clear(&env->creds);
	errno = ENOENT;
	return NULL;
}

/* ---------------------------------------------------- region, instance -- */

const char *aws_env_region(struct aws_env *env)
{
	static const char *const vars[] = {"AWS_REGION", "AWS_DEFAULT_REGION"};
	const char *ok = "abcdefghijklmnopqrstuvwxyz0123456789-";
	char why[WHY_MAX];
	const char *r = NULL;

	if (!env)
		return NULL;
	if (env->region[0])
		return env->region;
	for (size_t i = 0; !r && i < sizeof(vars) / sizeof(vars[0]); i++)
		r = _getenv(vars[i]);
	if (!r)
		r = env->cfg_region;
	if (r) {
		if (!_valid_chars(r, ok, sizeof(env->region))) {
			log_error("AWS region '%.64s' is not a region name", r);
			return NULL;
		}
		snprintf(env->region, sizeof(env->region), "%s", r);
		return env->region;
	}
	if (_imds_usable(env, why, sizeof(why)) &&
	    _imds_value(env, "/latest/meta-data/placement/region", ok, env->region,
			sizeof(env->region), why, sizeof(why)) == 0)
		return env->region;
	env->region[0] = '\0';
	if (!env->region_logged)
		log_error("no AWS region (set AWS_REGION or the region option): %s", why);
	else
		log_debug("no AWS region: %s", why);
	env->region_logged = true;
	return NULL;
}

const char *aws_env_instance_id(struct aws_env *env)
{
	char why[WHY_MAX];

	if (!env)
		return "unknown";
	if (env->instance_id[0])
		return env->instance_id;
	if (env->cfg_instance_id) {
		snprintf(env->instance_id, sizeof(env->instance_id), "%s", env->cfg_instance_id);
		return env->instance_id;
	}
	if (_imds_usable(env, why, sizeof(why)) &&
	    _imds_value(env, "/latest/meta-data/instance-id", ALNUM "-", env->instance_id,
			sizeof(env->instance_id), why, sizeof(why)) == 0)
		return env->instance_id;
	if (gethostname(env->instance_id, sizeof(env->instance_id) - 1) < 0 || !env->instance_id[0])
		snprintf(env->instance_id, sizeof(env->instance_id), "unknown");
	env->instance_id[sizeof(env->instance_id) - 1] = '\0';
	log_warn("InstanceId from the host name '%s': %s", env->instance_id, why);
	return env->instance_id;
}

/* ------------------------------------------------------ create/destroy -- */

void aws_creds_clear(struct aws_creds *c)
{
	if (!c)
		return;
	_free_secret(&c->access_key);
	_free_secret(&c->secret_key);
	_free_secret(&c->session_token);
	c->expiration = 0;
	c->source = NULL;
}

static int _dup(const char *s, char **out)
{
	*out = NULL;
	if (!_set(s))
		return 0;
	*out = strdup(s);
	return *out ? 0 : -1;
}

struct aws_env *aws_env_create(const struct aws_env_config *cfg)
{
	struct aws_env *env = calloc(1, sizeof(*env));

	if (!env)
		return NULL;
	if (cfg &&
	    (_dup(cfg->region, &env->cfg_region) < 0 || _dup(cfg->profile, &env->cfg_profile) < 0 ||
	     _dup(cfg->instance_id, &env->cfg_instance_id) < 0)) {
		aws_env_destroy(env);
		errno = ENOMEM;
		return NULL;
	}
	if (http_global_init() < 0) {
		aws_env_destroy(env);
		errno = ENOMEM;
		return NULL;
	}
	return env;
}

void aws_env_destroy(struct aws_env *env)
{
	if (!env)
		return;
	aws_creds_clear(&env->creds);
	_imds_drop_token(env);
	free(env->cfg_region);
	free(env->cfg_profile);
	free(env->cfg_instance_id);
	free(env);
}

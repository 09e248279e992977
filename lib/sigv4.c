/*
 * sigv4.c - see sigv4.h.
 *
 * Decisions the header leaves open (each matches botocore and the AWS test
 * suite where those say anything):
 *
 * - Path: split on '/'; empty and "." segments are dropped, ".." drops the
 *   segment before it (never climbing above the root), and each remaining
 *   segment is percent-encoded once. A trailing '/' is kept when the path
 *   ends with one and something is left ("//a//" -> "/a/", "/a/.." -> "/").
 *   NULL or "" is "/"; a path that does not start with '/' is EINVAL.
 * - Query: split on '&' (empty pieces ignored); a piece without '=' is a
 *   key with an empty value. Keys and values are decoded and re-encoded so
 *   that "%7e" and "~" sign alike. Only "%XX" (two hex digits) decodes: '+'
 *   is a literal plus (SigV4 is not form encoding) and a stray '%' a
 *   literal percent, so they sign as "%2B" and "%25". Pairs sort bytewise
 *   by encoded key, then encoded value.
 * - Headers: a name must be an RFC 7230 token (else EINVAL). Whitespace
 *   (space, tab, CR, LF, VT, FF) around a value is dropped and every inner
 *   run of it becomes one space, so a folded multi-line value signs as
 *   "value1 value2". Names equal but for case are one header whose values
 *   are joined by ',' in the order given. A host header is required.
 * - The method is signed as given (it must be a token); the payload hash
 *   is always the body's (no UNSIGNED-PAYLOAD).
 * - Access key, region and service must be non-empty [A-Za-z0-9._-]: they
 *   go into the Authorization header verbatim.
 * - Encoding: RFC 3986 unreserved characters (ALPHA DIGIT - . _ ~) are
 *   kept, every other byte is "%XX" with upper-case hex.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "hex.h"
#include "sigv4.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"
#define SHA256_BYTES 32
/* "YYYYMMDD", the date part of an X-Amz-Date. */
#define DATE8_LEN 8

static const char _hexdigits_upper[] = "0123456789ABCDEF";

/* ------------------------------------------------------ string buffer -- */

/*
 * A growing NUL-terminated string. An allocation failure sets 'failed' and
 * turns every later append into a no-op, so builders append freely and the
 * caller checks once at the end.
 */
struct sbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void _sb_addn(struct sbuf *b, const char *p, size_t n)
{
	size_t cap;
	char *s;

	if (b->failed)
		return;
	if (n >= SIZE_MAX / 2 - b->len) {
		b->failed = true;
		return;
	}
	if (b->cap - b->len < n + 1) {
		cap = b->cap ? b->cap : 256;
		while (cap - b->len < n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s) {
			b->failed = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void _sb_adds(struct sbuf *b, const char *s)
{
	_sb_addn(b, s, strlen(s));
}

static void _sb_addc(struct sbuf *b, char c)
{
	_sb_addn(b, &c, 1);
}

/* Hand the string over (NULL if an allocation failed). */
static char *_sb_take(struct sbuf *b)
{
	char *s = b->failed ? NULL : b->s;

	if (b->failed)
		free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

static void _sb_free(struct sbuf *b)
{
	free(_sb_take(b));
}

/* ---------------------------------------------------------- characters -- */

static bool _is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool _is_alnum(char c)
{
	return _is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 3986 unreserved. */
static bool _is_unreserved(char c)
{
	return _is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 7230 tchar: what a method or header name is made of. */
static bool _is_tchar(char c)
{
	return _is_alnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool _is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static char _lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool _is_token(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!_is_tchar(*s))
			return false;
	return true;
}

/* Non-empty [A-Za-z0-9._-]: safe to put in the Credential= field. */
static bool _is_scope_part(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!_is_alnum(*s) && *s != '.' && *s != '_' && *s != '-')
			return false;
	return true;
}

/* ------------------------------------------------------------- hashing -- */

static int _sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_LEN])
{
	unsigned char md[SHA256_BYTES];
	unsigned int mdlen = 0;

	if (!data && len)
		return -1;
	if (!EVP_Digest(data ? data : "", len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != SHA256_BYTES)
		return -1;
	hex_encode(md, sizeof(md), out);
	return 0;
}

void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_LEN])
{
	if (_sha256_hex(data, len, out) < 0)
		out[0] = '\0';
}

static int _hmac(const void *key, size_t keylen, const void *data, size_t len,
		 unsigned char out[SHA256_BYTES])
{
	unsigned int outlen = 0;

	if (keylen > INT32_MAX || !HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &outlen) ||
	    outlen != SHA256_BYTES)
		return -1;
	return 0;
}

/*
 * The signing key: HMAC chain from "AWS4" + secret through the date, region,
 * service and "aws4_request". Every intermediate key, and the copy of the
 * secret, is wiped before returning. Returns 0, or -1 (ENOMEM, EIO).
 */
static int _signing_key(const struct sigv4_key *key, const char *amz_date,
			unsigned char out[SHA256_BYTES])
{
	size_t slen = strlen(key->secret_key);
	unsigned char ka[SHA256_BYTES], kb[SHA256_BYTES];
	unsigned char *ksecret;
	int rc = -1;

	if (slen > SIZE_MAX - 4) {
		errno = ENOMEM;
		return -1;
	}
	ksecret = malloc(4 + slen);
	if (!ksecret)
		return -1;
	memcpy(ksecret, "AWS4", 4);
	memcpy(ksecret + 4, key->secret_key, slen);
	if (_hmac(ksecret, 4 + slen, amz_date, DATE8_LEN, ka) == 0 &&
	    _hmac(ka, sizeof(ka), key->region, strlen(key->region), kb) == 0 &&
	    _hmac(kb, sizeof(kb), key->service, strlen(key->service), ka) == 0 &&
	    _hmac(ka, sizeof(ka), SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR), out) == 0)
		rc = 0;
	else
		errno = EIO;
	OPENSSL_cleanse(ksecret, 4 + slen);
	free(ksecret);
	OPENSSL_cleanse(ka, sizeof(ka));
	OPENSSL_cleanse(kb, sizeof(kb));
	return rc;
}

/* --------------------------------------------------------------- dates -- */

static void _put_digits(char *out, long long v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

void sigv4_amz_date(long long epoch, char out[SIGV4_AMZ_DATE_LEN])
{
	time_t t = (time_t)epoch;
	struct tm tm;

	out[0] = '\0';
	if ((long long)t != epoch || !gmtime_r(&t, &tm))
		return;
	/* Four digits of year or nothing: sigv4_sign() then says EINVAL. */
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return;
	_put_digits(out, tm.tm_year + 1900LL, 4);
	_put_digits(out + 4, tm.tm_mon + 1, 2);
	_put_digits(out + 6, tm.tm_mday, 2);
	out[8] = 'T';
	_put_digits(out + 9, tm.tm_hour, 2);
	_put_digits(out + 11, tm.tm_min, 2);
	_put_digits(out + 13, tm.tm_sec, 2);
	out[15] = 'Z';
	out[16] = '\0';
}

static int _num2(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* "YYYYMMDDTHHMMSSZ" with a plausible month, day and time. */
static bool _amz_date_ok(const char *d)
{
	if (!d || strnlen(d, SIGV4_AMZ_DATE_LEN) != SIGV4_AMZ_DATE_LEN - 1)
		return false;
	for (int i = 0; i < SIGV4_AMZ_DATE_LEN - 1; i++) {
		if (i == 8 ? d[i] != 'T' : i == 15 ? d[i] != 'Z' : !_is_digit(d[i]))
			return false;
	}
	return _num2(d + 4) >= 1 && _num2(d + 4) <= 12 && _num2(d + 6) >= 1 && _num2(d + 6) <= 31 &&
	       _num2(d + 9) <= 23 && _num2(d + 11) <= 59 && _num2(d + 13) <= 60;
}

/* ----------------------------------------------------- canonical parts -- */

/* Append 'n' bytes percent-encoded; with 'decode', "%XX" is first decoded. */
static void _sb_add_encoded(struct sbuf *b, const char *p, size_t n, bool decode)
{
	char esc[3] = {'%', 0, 0};

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (decode && c == '%' && n - i > 2 && hex_digit(p[i + 1]) >= 0 &&
		    hex_digit(p[i + 2]) >= 0) {
			c = (unsigned char)(hex_digit(p[i + 1]) * 16 + hex_digit(p[i + 2]));
			i += 2;
		}
		if (_is_unreserved((char)c)) {
			_sb_addc(b, (char)c);
		} else {
			esc[1] = _hexdigits_upper[c >> 4];
			esc[2] = _hexdigits_upper[c & 0xf];
			_sb_addn(b, esc, 3);
		}
	}
}

/* Drop the last "/segment" written at or after 'base' (".."). */
static void _sb_pop_segment(struct sbuf *b, size_t base)
{
	if (b->failed || !b->s)
		return;
	while (b->len > base && b->s[b->len - 1] != '/')
		b->len--;
	if (b->len > base)
		b->len--;
	b->s[b->len] = '\0';
}

static void _canonical_uri(struct sbuf *b, const char *path)
{
	const char *p = path ? path : "", *end = p + strlen(p), *seg;
	size_t base = b->len, n;

	while (p < end) {
		seg = p;
		while (p < end && *p != '/')
			p++;
		n = (size_t)(p - seg);
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			_sb_pop_segment(b, base);
		} else if (n > 0 && !(n == 1 && seg[0] == '.')) {
			_sb_addc(b, '/');
			_sb_add_encoded(b, seg, n, false);
		}
		if (p < end)
			p++;
	}
	if (b->len == base || (!b->failed && end[-1] == '/'))
		_sb_addc(b, '/');
}

struct qpair {
	size_t koff, voff; /* in the encoding buffer, while it may still move */
	const char *k, *v;
};

static int _qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c ? c : strcmp(x->v, y->v);
}

/* Returns 0, or -1 (ENOMEM). */
static int _canonical_query(struct sbuf *b, const char *query)
{
	struct sbuf enc = {0};
	struct qpair *pairs;
	const char *p = query ? query : "", *end = p + strlen(p), *amp, *eq;
	size_t max = 1, n = 0;

	for (const char *q = p; *q; q++)
		max += *q == '&';
	if (max > SIZE_MAX / sizeof(*pairs)) {
		errno = ENOMEM;
		return -1;
	}
	pairs = malloc(max * sizeof(*pairs));
	if (!pairs)
		return -1;
	for (; p < end; p = amp + 1) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (!amp)
			amp = end;
		if (amp == p)
			continue;
		eq = memchr(p, '=', (size_t)(amp - p));
		pairs[n].koff = enc.len;
		_sb_add_encoded(&enc, p, (size_t)((eq ? eq : amp) - p), true);
		_sb_addn(&enc, "", 1);
		pairs[n].voff = enc.len;
		if (eq)
			_sb_add_encoded(&enc, eq + 1, (size_t)(amp - eq - 1), true);
		_sb_addn(&enc, "", 1);
		n++;
	}
	if (enc.failed) {
		_sb_free(&enc);
		free(pairs);
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		pairs[i].k = enc.s + pairs[i].koff;
		pairs[i].v = enc.s + pairs[i].voff;
	}
	qsort(pairs, n, sizeof(*pairs), _qpair_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i)
			_sb_addc(b, '&');
		_sb_adds(b, pairs[i].k);
		_sb_addc(b, '=');
		_sb_adds(b, pairs[i].v);
	}
	_sb_free(&enc);
	free(pairs);
	return 0;
}

struct hdr {
	const char *name;
	size_t len;
	size_t index; /* keeps the given order among equal names */
};

/* Lower-cased names bytewise, then the order given (qsort is not stable). */
static int _hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;

	for (size_t i = 0; i < n; i++) {
		unsigned char cx = (unsigned char)_lower(x->name[i]);
		unsigned char cy = (unsigned char)_lower(y->name[i]);

		if (cx != cy)
			return cx < cy ? -1 : 1;
	}
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static bool _hdr_same_name(const struct hdr *x, const struct hdr *y)
{
	if (x->len != y->len)
		return false;
	for (size_t i = 0; i < x->len; i++)
		if (_lower(x->name[i]) != _lower(y->name[i]))
			return false;
	return true;
}

static void _sb_add_lower(struct sbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		_sb_addc(b, _lower(s[i]));
}

/* The value with outer whitespace dropped and inner runs made one space. */
static void _sb_add_trimmed(struct sbuf *b, const char *v)
{
	bool gap = false, any = false;

	for (; *v; v++) {
		if (_is_space(*v)) {
			gap = true;
			continue;
		}
		if (gap && any)
			_sb_addc(b, ' ');
		_sb_addc(b, *v);
		gap = false;
		any = true;
	}
}

/*
 * Canonical header lines (each ending '\n') to 'b' and the signed header
 * names joined by ';' to 'names'. Returns 0, or -1 (ENOMEM).
 */
static int _canonical_headers(struct sbuf *b, struct sbuf *names, const struct sigv4_header *h,
			      size_t nh)
{
	struct hdr *sorted;

	if (nh > SIZE_MAX / sizeof(*sorted)) {
		errno = ENOMEM;
		return -1;
	}
	sorted = malloc(nh * sizeof(*sorted));
	if (!sorted)
		return -1;
	for (size_t i = 0; i < nh; i++)
		sorted[i] = (struct hdr){.name = h[i].name, .len = strlen(h[i].name), .index = i};
	qsort(sorted, nh, sizeof(*sorted), _hdr_cmp);
	for (size_t i = 0; i < nh; i++) {
		if (i && _hdr_same_name(&sorted[i - 1], &sorted[i])) {
			_sb_addc(b, ',');
		} else {
			if (i) {
				_sb_addc(b, '\n');
				_sb_addc(names, ';');
			}
			_sb_add_lower(b, sorted[i].name, sorted[i].len);
			_sb_add_lower(names, sorted[i].name, sorted[i].len);
			_sb_addc(b, ':');
		}
		_sb_add_trimmed(b, h[sorted[i].index].value);
	}
	if (nh)
		_sb_addc(b, '\n');
	free(sorted);
	return 0;
}

/* ------------------------------------------------------------- signing -- */

static bool _request_ok(const struct sigv4_request *req)
{
	bool host = false;

	if (!_is_token(req->method))
		return false;
	if (req->path && req->path[0] && req->path[0] != '/')
		return false;
	if ((!req->headers && req->nheaders) || (!req->body && req->body_len))
		return false;
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct sigv4_header *h = &req->headers[i];

		if (!_is_token(h->name) || !h->value)
			return false;
		if (strlen(h->name) == 4 && _lower(h->name[0]) == 'h' &&
		    _lower(h->name[1]) == 'o' && _lower(h->name[2]) == 's' &&
		    _lower(h->name[3]) == 't')
			host = true;
	}
	return host;
}

static bool _key_ok(const struct sigv4_key *key)
{
	return key->secret_key && _is_scope_part(key->access_key) && _is_scope_part(key->region) &&
	       _is_scope_part(key->service);
}

/* Canonical request to 'creq', signed header names to 'names'. 0 or -1. */
static int _canonical_request(const struct sigv4_request *req, struct sbuf *creq,
			      struct sbuf *names)
{
	char hash[SIGV4_HEX_LEN];

	_sb_adds(creq, req->method);
	_sb_addc(creq, '\n');
	_canonical_uri(creq, req->path);
	_sb_addc(creq, '\n');
	if (_canonical_query(creq, req->query) < 0)
		return -1;
	_sb_addc(creq, '\n');
	if (_canonical_headers(creq, names, req->headers, req->nheaders) < 0)
		return -1;
	_sb_addc(creq, '\n');
	_sb_addn(creq, names->s ? names->s : "", names->len);
	_sb_addc(creq, '\n');
	if (_sha256_hex(req->body, req->body_len, hash) < 0) {
		errno = EIO;
		return -1;
	}
	_sb_adds(creq, hash);
	if (creq->failed || names->failed) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* "<date8>/<region>/<service>/aws4_request" */
static void _sb_add_scope(struct sbuf *b, const struct sigv4_key *key, const char *amz_date)
{
	_sb_addn(b, amz_date, DATE8_LEN);
	_sb_addc(b, '/');
	_sb_adds(b, key->region);
	_sb_addc(b, '/');
	_sb_adds(b, key->service);
	_sb_addc(b, '/');
	_sb_adds(b, SIGV4_TERMINATOR);
}

int sigv4_sign(const struct sigv4_request *req, const struct sigv4_key *key, const char *amz_date,
	       char **authorization, char **canonical_request, char **string_to_sign)
{
	struct sbuf creq = {0}, names = {0}, sts = {0}, auth = {0};
	unsigned char ksigning[SHA256_BYTES], mac[SHA256_BYTES];
	char hash[SIGV4_HEX_LEN], sig[SIGV4_HEX_LEN];
	int rc = -1, saved;

	if (!req || !key || !authorization || !_amz_date_ok(amz_date) || !_request_ok(req) ||
	    !_key_ok(key)) {
		errno = EINVAL;
		return -1;
	}
	if (_canonical_request(req, &creq, &names) < 0)
		goto out;
	if (_sha256_hex(creq.s, creq.len, hash) < 0) {
		errno = EIO;
		goto out;
	}
	_sb_adds(&sts, SIGV4_ALGORITHM "\n");
	_sb_adds(&sts, amz_date);
	_sb_addc(&sts, '\n');
	_sb_add_scope(&sts, key, amz_date);
	_sb_addc(&sts, '\n');
	_sb_adds(&sts, hash);
	if (sts.failed) {
		errno = ENOMEM;
		goto out;
	}
	if (_signing_key(key, amz_date, ksigning) < 0)
		goto out;
	if (_hmac(ksigning, sizeof(ksigning), sts.s, sts.len, mac) < 0) {
		OPENSSL_cleanse(ksigning, sizeof(ksigning));
		errno = EIO;
		goto out;
	}
	OPENSSL_cleanse(ksigning, sizeof(ksigning));
	hex_encode(mac, sizeof(mac), sig);

	_sb_adds(&auth, SIGV4_ALGORITHM " Credential=");
	_sb_adds(&auth, key->access_key);
	_sb_addc(&auth, '/');
	_sb_add_scope(&auth, key, amz_date);
	_sb_adds(&auth, ", SignedHeaders=");
	_sb_adds(&auth, names.s ? names.s : "");
	_sb_adds(&auth, ", Signature=");
	_sb_adds(&auth, sig);
	if (auth.failed) {
		errno = ENOMEM;
		goto out;
	}
	*authorization = _sb_take(&auth);
	if (canonical_request)
		*canonical_request = _sb_take(&creq);
	if (string_to_sign)
		*string_to_sign = _sb_take(&sts);
	rc = 0;
out:
	saved = errno;
	_sb_free(&creq);
	_sb_free(&names);
	_sb_free(&sts);
	_sb_free(&auth);
	errno = saved;
	return rc;
}

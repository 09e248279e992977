/*
 * sigv4.h - AWS Signature Version 4 for one HTTP request.
 *
 * Built on OpenSSL (SHA-256, HMAC). The caller gives the request exactly as
 * it will be sent (method, path, raw query string, the headers to sign and
 * the body bytes, after any compression) and the signing time; the signer
 * returns the Authorization header value. The intermediate texts
 * (canonical request, string to sign) are exposed so tests can compare them
 * with the official test suite and with botocore.
 *
 * Secrets: the secret key is only read and never logged; its "AWS4"-prefixed
 * copy and every key derived from it (derived afresh on each call) are
 * wiped with OPENSSL_cleanse() before sigv4_sign() returns.
 *
 * Canonical forms (the details are at the top of sigv4.c): the path is
 * normalised ("." and ".." resolved, repeated '/' collapsed) and each
 * segment percent-encoded; query keys and values are decoded, re-encoded
 * and sorted; header names are lower-cased, values trimmed with inner
 * whitespace runs collapsed to one space, and repeated names joined with
 * ',' in the order given. Thread-safe: no state is kept between calls.
 */
#ifndef EFA_MONITOR_SIGV4_H
#define EFA_MONITOR_SIGV4_H

#include <stddef.h>

struct sigv4_header {
	const char *name;   /* any case; lower-cased when signed */
	const char *value;  /* trimmed, inner runs of spaces collapsed when signed */
};

struct sigv4_request {
	const char *method;  /* "POST" */
	const char *path;    /* "/" or "/a/b" as sent (not yet URI-encoded) */
	const char *query;   /* raw query string without '?', or NULL/"" */
	const struct sigv4_header *headers; /* the headers to sign; must include host
					      * (and x-amz-date, x-amz-security-token
					      * when used) */
	size_t nheaders;
	const void *body;
	size_t body_len;
};

struct sigv4_key {
	const char *access_key;
	const char *secret_key;
	const char *region;  /* "us-east-1" */
	const char *service; /* "monitoring" */
};

/* Lengths of the fixed-size outputs, with the NUL. */
#define SIGV4_AMZ_DATE_LEN 17 /* "20150830T123600Z" */
#define SIGV4_HEX_LEN 65      /* a hex SHA-256 */

/* Format epoch seconds (UTC) as an X-Amz-Date value. An epoch outside
 * years 0000..9999 gives "" (which sigv4_sign() refuses with EINVAL). */
void sigv4_amz_date(long long epoch, char out[SIGV4_AMZ_DATE_LEN]);

/* Hex SHA-256 of 'len' bytes (the x-amz-content-sha256 / payload hash);
 * "" if 'data' is NULL with a length, or if OpenSSL fails. */
void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_LEN]);

/*
 * Sign 'req' at 'amz_date' ("YYYYMMDDTHHMMSSZ"). On success returns 0 and
 * sets *authorization (malloc'ed) to
 *   "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
 *    SignedHeaders=a;b;c, Signature=HEX"
 * and, when not NULL, *canonical_request and *string_to_sign (malloc'ed).
 * Returns -1 with errno: EINVAL for a malformed date, request (method not
 * a token, path not starting with '/', a header name not a token or a NULL
 * value, no host header) or key (access key, region or service empty or
 * not [A-Za-z0-9._-], NULL secret), or NULL 'req', 'key' or
 * 'authorization'; ENOMEM; EIO if OpenSSL fails. On failure nothing is
 * allocated and no output is written.
 */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_key *key,
	       const char *amz_date, char **authorization,
	       char **canonical_request, char **string_to_sign);

#endif

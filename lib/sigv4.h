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
 * Secrets: the secret key is only read; the derived signing key lives on
 * the stack and is wiped before returning.
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

/* Format epoch seconds as an X-Amz-Date value. */
void sigv4_amz_date(long long epoch, char out[SIGV4_AMZ_DATE_LEN]);

/* Hex SHA-256 of 'len' bytes (the x-amz-content-sha256 / payload hash). */
void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_LEN]);

/*
 * Sign 'req' at 'amz_date' ("YYYYMMDDTHHMMSSZ"). On success returns 0 and
 * sets *authorization (malloc'ed) to
 *   "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
 *    SignedHeaders=a;b;c, Signature=HEX"
 * and, when not NULL, *canonical_request and *string_to_sign (malloc'ed).
 * Returns -1 with errno (EINVAL for a malformed date or request, ENOMEM).
 */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_key *key,
	       const char *amz_date, char **authorization,
	       char **canonical_request, char **string_to_sign);

#endif

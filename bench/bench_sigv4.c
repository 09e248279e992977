/*
 * bench_sigv4.c - what one SigV4 signature of a CloudWatch request costs.
 *
 *   bench_sigv4 [-n N] [-b BATCHES] [SIZE...]
 *
 * For each body SIZE in bytes (default: 1048576, the PutMetricData limit,
 * and 102400, a typical gzipped batch), signs a CloudWatch-shaped POST
 * (the headers the CloudWatch sink sends, temporary credentials) BATCHES
 * times N times, and prints the median and minimum over batches of the
 * microseconds per sigv4_sign(), next to the floor: sigv4_sha256_hex() of
 * the same body, which every signature must pay. A size of 0 shows the
 * fixed cost (canonical request, string to sign, five HMACs).
 *
 * The body is pseudo-random bytes (gzip output looks like that); signing
 * reads it once, whatever it holds.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sigv4.h"

#define MAX_BATCHES 101

static const struct sigv4_key _key = {
	.access_key = "ASIAEXAMPLEKEY123456",
	.secret_key = "SeCrEt/Key+With/Slashes0123456789EXAMPLE",
	.region = "eu-west-1",
	.service = "monitoring",
};

static const struct sigv4_header _headers[] = {
	{"Content-Type", "application/x-amz-json-1.0"},
	{"Content-Encoding", "gzip"},
	{"Host", "monitoring.eu-west-1.amazonaws.com"},
	{"X-Amz-Date", "20260101T000000Z"},
	{"X-Amz-Target", "GraniteServiceVersion20100801.PutMetricData"},
	{"X-Amz-Security-Token",
	 "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexampleexampleexample"
	 "exampleexampleexampleexampleexampleexampleexampleexampleexampleexampleexample=="},
};

static double _now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int _dblcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One batch of 'n' signatures (or hashes only); microseconds per call. */
static double _batch(const struct sigv4_request *req, long n, int hash_only)
{
	char hex[SIGV4_HEX_LEN];
	double t0 = _now_us();

	for (long i = 0; i < n; i++) {
		char *authz = NULL;

		if (hash_only) {
			sigv4_sha256_hex(req->body, req->body_len, hex);
			continue;
		}
		if (sigv4_sign(req, &_key, "20260101T000000Z", &authz, NULL, NULL) < 0) {
			fprintf(stderr, "bench_sigv4: sigv4_sign: %s\n", strerror(errno));
			exit(1);
		}
		free(authz);
	}
	return (_now_us() - t0) / (double)n;
}

static void _run(size_t size, long n, int batches)
{
	unsigned char *body = malloc(size ? size : 1);
	struct sigv4_request req = {.method = "POST",
				    .path = "/",
				    .headers = _headers,
				    .nheaders = sizeof(_headers) / sizeof(_headers[0]),
				    .body = body,
				    .body_len = size};
	double sign[MAX_BATCHES], hash[MAX_BATCHES];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	if (!body) {
		perror("bench_sigv4");
		exit(1);
	}
	for (size_t i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		body[i] = (unsigned char)x;
	}
	_batch(&req, n, 0); /* warm up caches and OpenSSL's fetches */
	for (int b = 0; b < batches; b++) {
		/* Interleaved, so that a noisy neighbour hurts both alike. */
		sign[b] = _batch(&req, n, 0);
		hash[b] = _batch(&req, n, 1);
	}
	qsort(sign, (size_t)batches, sizeof(double), _dblcmp);
	qsort(hash, (size_t)batches, sizeof(double), _dblcmp);
	printf("body %8zu bytes: sigv4_sign %9.1f us/signature (min %9.1f); sha256 of body alone "
	       "%9.1f us (min %9.1f); %d batches x %ld\n",
	       size, sign[batches / 2], sign[0], hash[batches / 2], hash[0], batches, n);
	free(body);
}

static long _arg_long(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "bench_sigv4: bad %s '%s' (%ld..%ld)\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const size_t defaults[] = {1048576, 102400, 0};
	long n = 0;
	int batches = 11, opt;

	while ((opt = getopt(argc, argv, "n:b:")) != -1) {
		switch (opt) {
		case 'n':
			n = _arg_long(optarg, 1, 1000000000L, "N");
			break;
		case 'b':
			batches = (int)_arg_long(optarg, 1, MAX_BATCHES, "BATCHES");
			break;
		default:
			fprintf(stderr, "usage: bench_sigv4 [-n N] [-b BATCHES] [SIZE...]\n");
			return 2;
		}
	}
	if (optind < argc) {
		for (int i = optind; i < argc; i++) {
			size_t size = (size_t)_arg_long(argv[i], 0, 1L << 30, "SIZE");

			/* About 50 MB hashed per batch unless -n says otherwise. */
			_run(size, n ? n : 50000000L / (long)(size + 1000) + 1, batches);
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		_run(defaults[i], n ? n : 50000000L / (long)(defaults[i] + 1000) + 1, batches);
	return 0;
}

/*
 * bench_cloudwatch.c - what a full PutMetricData request costs to build,
 * and how many a p5 node sends per hour.
 *
 *   bench/bench_cloudwatch SYSFS_ROOT [REPEATS]
 *
 * On the tree (a simulated p5: efasim create --shape p5), it counts the
 * datums of one interval under the default dimension set, and from the
 * default batching (60 s interval, 300 s batches) the requests per hour.
 * Then it times, REPEATS times each, the three steps of one 1000-datum
 * request: encoding the JSON body, gzip, and SigV4 signing of the
 * compressed body, and prints the median CPU microseconds of each.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cwbatch.h"
#include "cwmetric.h"
#include "fabric.h"
#include "gzip.h"
#include "sigv4.h"
#include "tracker.h"

static double _cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int _cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void _count(const struct cw_datum *d, void *arg)
{
	(void)d;
	(*(size_t *)arg)++;
}

struct body {
	char *text;
	size_t len, datums;
};

static int _keep(char *body, size_t len, size_t datums, void *arg)
{
	struct body *b = arg;
	if (b->text) {
		free(body);
		return 0;
	}
	b->text = body;
	b->len = len;
	b->datums = datums;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s SYSFS_ROOT [REPEATS]\n", argv[0]);
		return 2;
	}
	int repeats = argc > 2 ? atoi(argv[2]) : 200;
	struct fabric *f = fabric_create(argv[1]);
	struct snapshot *s = snapshot_create();
	struct tracker *t = tracker_create();
	struct cw_dimsets dims;
	char err[256];
	size_t per_interval = 0;

	if (!f || !s || !t || cw_dimsets_parse(CW_DIMSETS_DEFAULT, &dims, err, sizeof(err)) < 0) {
		fprintf(stderr, "cannot read %s\n", argv[1]);
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		fabric_sample(f, s);
		s->mono_ns = (uint64_t)(i + 1) * 60000000000ull;
		tracker_update(t, s);
	}
	cw_datums_each(t, &dims, _count, &per_interval);
	/* Defaults: a sample every 60 s, a batch every 300 s, 1000 datums a request. */
	size_t per_batch = per_interval * 5;
	size_t requests_per_batch = (per_batch + CW_DATUMS_MAX - 1) / CW_DATUMS_MAX;
	printf("interfaces %zu, datums per interval %zu, per 300 s batch %zu -> %zu requests per "
	       "batch, %zu requests per node per hour\n",
	       tracker_iface_count(t), per_interval, per_batch, requests_per_batch,
	       requests_per_batch * 12);

	/* A full request: 1000 distinct series, realistic values and names. */
	struct cw_batch *b = cw_batch_create(60);
	char iface[32];
	for (int i = 0; i < CW_DATUMS_MAX; i++) {
		snprintf(iface, sizeof(iface), "rdmap%ds0", 80 + i);
		struct cw_datum d = {cw_metric((size_t)i % cw_metric_count()), dims.set[0], iface,
				     12345678.9 * (i + 1)};
		cw_batch_add(b, &d, 1767225600);
	}
	struct cw_identity id = {"i-0123456789abcdef0", "1234567", NULL};
	double *enc = calloc((size_t)repeats, sizeof(double));
	double *gz = calloc((size_t)repeats, sizeof(double));
	double *sig = calloc((size_t)repeats, sizeof(double));
	size_t raw_len = 0, gz_len = 0;
	for (int r = 0; r < repeats; r++) {
		struct body body = {0};
		size_t skipped;
		double t0 = _cpu_us();
		cw_batch_encode(b, CW_NAMESPACE_DEFAULT, &id, CW_DATUMS_MAX, CW_BODY_MAX, _keep, &body,
				&skipped);
		double t1 = _cpu_us();
		void *z = NULL;
		gzip_compress(body.text, body.len, 6, &z, &gz_len);
		double t2 = _cpu_us();
		char date[SIGV4_AMZ_DATE_LEN], *auth = NULL;
		sigv4_amz_date(1767225600, date);
		struct sigv4_header h[] = {
			{"content-encoding", "gzip"},
			{"content-type", "application/x-amz-json-1.0"},
			{"host", "monitoring.us-east-1.amazonaws.com"},
			{"x-amz-date", date},
			{"x-amz-security-token", "IQoJb3JpZ2luX2VjEXAMPLETOKEN"},
			{"x-amz-target", "GraniteServiceVersion20100801.PutMetricData"},
		};
		struct sigv4_request req = {"POST", "/", NULL, h, 6, z, gz_len};
		struct sigv4_key key = {"ASIAEXAMPLE", "secret", "us-east-1", "monitoring"};
		sigv4_sign(&req, &key, date, &auth, NULL, NULL);
		double t3 = _cpu_us();
		enc[r] = t1 - t0;
		gz[r] = t2 - t1;
		sig[r] = t3 - t2;
		raw_len = body.len;
		free(auth);
		free(z);
		free(body.text);
	}
	qsort(enc, (size_t)repeats, sizeof(double), _cmp);
	qsort(gz, (size_t)repeats, sizeof(double), _cmp);
	qsort(sig, (size_t)repeats, sizeof(double), _cmp);
	int m = repeats / 2;
	printf("1000-datum request: body %zu bytes, gzip %zu bytes (%.1f%%)\n", raw_len, gz_len,
	       100.0 * (double)gz_len / (double)raw_len);
	printf("median CPU per request: encode %.0f us, gzip %.0f us, sign %.0f us, total %.0f us "
	       "(%d runs)\n",
	       enc[m], gz[m], sig[m], enc[m] + gz[m] + sig[m], repeats);
	cw_batch_destroy(b);
	free(enc);
	free(gz);
	free(sig);
	tracker_destroy(t);
	snapshot_destroy(s);
	fabric_destroy(f);
	return 0;
}

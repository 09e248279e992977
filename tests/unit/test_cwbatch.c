/*
 * test_cwbatch.c - datums gathered into a batch and encoded as
 * PutMetricData bodies: Values/Counts within a period, a new datum per
 * period, the 150-value cap, non-finite values refused, the request limits
 * (datums and bytes), JSON escaping, and exact numbers.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwbatch.h"
#include "testutil.h"

static const struct cw_metric_def *_m(const char *name)
{
	for (size_t i = 0; i < cw_metric_count(); i++)
		if (!strcmp(cw_metric(i)->name, name))
			return cw_metric(i);
	ck_abort_msg("no metric %s", name);
	return NULL;
}

struct bodies {
	size_t n;
	char *text[64];
	size_t len[64], datums[64];
};

static int _keep(char *body, size_t len, size_t datums, void *arg)
{
	struct bodies *b = arg;
	ck_assert_uint_lt(b->n, 64);
	ck_assert_uint_eq(strlen(body), len);
	b->text[b->n] = body;
	b->len[b->n] = len;
	b->datums[b->n] = datums;
	b->n++;
	return 0;
}

static void _free_bodies(struct bodies *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->text[i]);
	memset(b, 0, sizeof(*b));
}

static const struct cw_identity _id = {"i-0abc", "42", "0"};

static cJSON *_datums_of(const char *body)
{
	cJSON *j = cJSON_Parse(body);
	ck_assert_msg(j != NULL, "not JSON: %s", body);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "Namespace")->valuestring, "ParallelCluster/Network");
	return j;
}

START_TEST(test_one_value_per_period_is_a_plain_value)
{
	struct cw_batch *b = cw_batch_create(60);
	struct bodies out = {0};
	size_t skipped;
	struct cw_datum d = {_m("rx_bytes_rate"), CW_DIM_INSTANCE | CW_DIM_INTERFACE | CW_DIM_JOB,
			     "rdmap0s6", 1.5e9};

	ck_assert_int_eq(cw_batch_add(b, &d, 1767225601.5), 0);
	d.value = 2.5e9;
	ck_assert_int_eq(cw_batch_add(b, &d, 1767225661.0), 0); /* the next minute */
	ck_assert_uint_eq(cw_batch_datums(b), 2);
	ck_assert_uint_eq(cw_batch_values(b), 2);
	ck_assert_int_eq(cw_batch_encode(b, "ParallelCluster/Network", &_id, 1000, CW_BODY_MAX, _keep,
					 &out, &skipped), 0);
	ck_assert_uint_eq(skipped, 0);
	ck_assert_uint_eq(out.n, 1);
	ck_assert_uint_eq(out.datums[0], 2);
	ck_assert_str_eq(out.text[0],
			 "{\"Namespace\":\"ParallelCluster/Network\",\"MetricData\":["
			 "{\"MetricName\":\"rx_bytes_rate\",\"Dimensions\":["
			 "{\"Name\":\"InstanceId\",\"Value\":\"i-0abc\"},"
			 "{\"Name\":\"Interface\",\"Value\":\"rdmap0s6\"},"
			 "{\"Name\":\"JobId\",\"Value\":\"42\"}],"
			 "\"Timestamp\":1767225600,\"Value\":1500000000,\"Unit\":\"Bytes/Second\","
			 "\"StorageResolution\":60},"
			 "{\"MetricName\":\"rx_bytes_rate\",\"Dimensions\":["
			 "{\"Name\":\"InstanceId\",\"Value\":\"i-0abc\"},"
			 "{\"Name\":\"Interface\",\"Value\":\"rdmap0s6\"},"
			 "{\"Name\":\"JobId\",\"Value\":\"42\"}],"
			 "\"Timestamp\":1767225660,\"Value\":2500000000,\"Unit\":\"Bytes/Second\","
			 "\"StorageResolution\":60}]}");
	_free_bodies(&out);
	cw_batch_destroy(b);
}
END_TEST

START_TEST(test_values_and_counts_within_a_period)
{
	struct cw_batch *b = cw_batch_create(60);
	struct bodies out = {0};
	size_t skipped;
	struct cw_datum d = {_m("tx_bytes_rate"), CW_DIM_JOB, NULL, 0};
	struct cw_datum e = {_m("rx_drops"), CW_DIM_JOB, NULL, 0};

	/* One sample a second for a minute: 0,1,2,0,1,2,... -> 3 values x 20. */
	for (int s = 0; s < 60; s++) {
		d.value = s % 3;
		e.value = 0.1 * (s % 2);
		ck_assert_int_eq(cw_batch_add(b, &d, 1767225600 + s), 0);
		ck_assert_int_eq(cw_batch_add(b, &e, 1767225600 + s), 0);
	}
	ck_assert_uint_eq(cw_batch_datums(b), 2);
	ck_assert_uint_eq(cw_batch_values(b), 120);
	ck_assert_int_eq(cw_batch_encode(b, "ParallelCluster/Network", &_id, 1000, CW_BODY_MAX, _keep,
					 &out, &skipped), 0);
	ck_assert_uint_eq(out.n, 1);
	cJSON *j = _datums_of(out.text[0]);
	cJSON *md = cJSON_GetObjectItem(j, "MetricData");
	ck_assert_int_eq(cJSON_GetArraySize(md), 2);
	cJSON *x = cJSON_GetArrayItem(md, 0);
	ck_assert_ptr_null(cJSON_GetObjectItem(x, "Value"));
	cJSON *v = cJSON_GetObjectItem(x, "Values"), *c = cJSON_GetObjectItem(x, "Counts");
	ck_assert_int_eq(cJSON_GetArraySize(v), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_double_eq(cJSON_GetArrayItem(v, i)->valuedouble, i);
		ck_assert_double_eq(cJSON_GetArrayItem(c, i)->valuedouble, 20);
	}
	/* Roll-up datums carry only JobId. */
	cJSON *dims = cJSON_GetObjectItem(x, "Dimensions");
	ck_assert_int_eq(cJSON_GetArraySize(dims), 1);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(dims, 0), "Name")->valuestring, "JobId");
	/* 0.1 survives the text round trip exactly. */
	x = cJSON_GetArrayItem(md, 1);
	v = cJSON_GetObjectItem(x, "Values");
	ck_assert_double_eq(cJSON_GetArrayItem(v, 1)->valuedouble, 0.1);
	ck_assert_str_eq(cJSON_GetObjectItem(x, "Unit")->valuestring, "Count");
	cJSON_Delete(j);
	_free_bodies(&out);
	cw_batch_destroy(b);
}
END_TEST

START_TEST(test_values_cap_starts_a_new_datum)
{
	struct cw_batch *b = cw_batch_create(60);
	struct cw_datum d = {_m("tx_bytes_rate"), CW_DIM_JOB, NULL, 0};

	for (int i = 0; i < CW_VALUES_MAX + 1; i++) {
		d.value = i;
		ck_assert_int_eq(cw_batch_add(b, &d, 1767225600.0 + i * 0.25), 0);
	}
	ck_assert_uint_eq(cw_batch_datums(b), 2);
	ck_assert_uint_eq(cw_batch_values(b), CW_VALUES_MAX + 1);
	cw_batch_destroy(b);
}
END_TEST

START_TEST(test_non_finite_refused)
{
	struct cw_batch *b = cw_batch_create(1);
	struct cw_datum d = {_m("tx_bytes_rate"), CW_DIM_JOB, NULL, NAN};

	errno = 0;
	ck_assert_int_eq(cw_batch_add(b, &d, 1767225600), -1);
	ck_assert_int_eq(errno, EINVAL);
	d.value = INFINITY;
	ck_assert_int_eq(cw_batch_add(b, &d, 1767225600), -1);
	ck_assert_uint_eq(cw_batch_datums(b), 0);
	cw_batch_destroy(b);
}
END_TEST

START_TEST(test_high_resolution_periods)
{
	struct cw_batch *b = cw_batch_create(1);
	struct cw_datum d = {_m("tx_bytes_rate"), CW_DIM_JOB, NULL, 7};

	/* Two samples in one second share a datum; the next second is new. */
	ck_assert_int_eq(cw_batch_add(b, &d, 1767225600.2), 0);
	ck_assert_int_eq(cw_batch_add(b, &d, 1767225600.7), 0);
	ck_assert_int_eq(cw_batch_add(b, &d, 1767225601.1), 0);
	ck_assert_uint_eq(cw_batch_datums(b), 2);
	cw_batch_destroy(b);
}
END_TEST

START_TEST(test_request_limits)
{
	struct cw_batch *b = cw_batch_create(60);
	struct bodies out = {0};
	size_t skipped, total = 0;
	char iface[32];
	struct cw_datum d = {_m("tx_bytes_rate"), CW_DIM_INSTANCE | CW_DIM_INTERFACE, iface, 1};

	for (int i = 0; i < 2500; i++) {
		snprintf(iface, sizeof(iface), "rdmap%ds0", i);
		ck_assert_int_eq(cw_batch_add(b, &d, 1767225600), 0);
	}
	ck_assert_uint_eq(cw_batch_datums(b), 2500);
	ck_assert_int_eq(cw_batch_encode(b, "ParallelCluster/Network", &_id, 1000, CW_BODY_MAX, _keep,
					 &out, &skipped), 0);
	ck_assert_uint_eq(out.n, 3);
	ck_assert_uint_eq(out.datums[0], 1000);
	ck_assert_uint_eq(out.datums[1], 1000);
	ck_assert_uint_eq(out.datums[2], 500);
	for (size_t i = 0; i < out.n; i++) {
		cJSON *j = _datums_of(out.text[i]);
		ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "MetricData")),
				 (int)out.datums[i]);
		cJSON_Delete(j);
	}
	_free_bodies(&out);

	/* A byte cap cuts earlier, every body whole and under it. */
	ck_assert_int_eq(cw_batch_encode(b, "ParallelCluster/Network", &_id, 1000, 20000, _keep, &out,
					 &skipped), 0);
	ck_assert_uint_gt(out.n, 3);
	for (size_t i = 0; i < out.n; i++) {
		ck_assert_uint_le(out.len[i], 20000);
		cJSON *j = _datums_of(out.text[i]);
		total += (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(j, "MetricData"));
		cJSON_Delete(j);
	}
	ck_assert_uint_eq(total, 2500);
	_free_bodies(&out);

	/* A datum bigger than the cap alone is skipped and counted. */
	ck_assert_int_eq(cw_batch_encode(b, "ParallelCluster/Network", &_id, 1000, 100, _keep, &out,
					 &skipped), 0);
	ck_assert_uint_eq(out.n, 0);
	ck_assert_uint_eq(skipped, 2500);
	cw_batch_destroy(b);
}
END_TEST

START_TEST(test_strings_escaped)
{
	struct cw_batch *b = cw_batch_create(60);
	struct bodies out = {0};
	size_t skipped;
	struct cw_identity id = {"host\"1\\\n", "7", NULL};
	struct cw_datum d = {_m("rx_drops"), CW_DIM_INSTANCE | CW_DIM_JOB | CW_DIM_STEP, NULL, 3};

	ck_assert_int_eq(cw_batch_add(b, &d, 1767225600), 0);
	ck_assert_int_eq(cw_batch_encode(b, "Ns", &id, 1000, CW_BODY_MAX, _keep, &out, &skipped), 0);
	cJSON *j = cJSON_Parse(out.text[0]);
	ck_assert_ptr_nonnull(j);
	cJSON *dims = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "MetricData"), 0),
					  "Dimensions");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(dims, 0), "Value")->valuestring,
			 "host\"1\\\n");
	/* No StepId when the identity has none. */
	ck_assert_int_eq(cJSON_GetArraySize(dims), 2);
	cJSON_Delete(j);
	_free_bodies(&out);
	cw_batch_destroy(b);
}
END_TEST

static int _stop_at_second(char *body, size_t len, size_t datums, void *arg)
{
	int *calls = arg;
	(void)len;
	(void)datums;
	free(body);
	return ++*calls == 2 ? 7 : 0;
}

START_TEST(test_callback_can_stop)
{
	struct cw_batch *b = cw_batch_create(60);
	struct cw_datum d = {_m("tx_bytes_rate"), CW_DIM_INTERFACE, NULL, 1};
	char iface[16];
	int calls = 0;
	size_t skipped;

	d.interface = iface;
	for (int i = 0; i < 30; i++) {
		snprintf(iface, sizeof(iface), "d%d", i);
		cw_batch_add(b, &d, 0);
	}
	ck_assert_int_eq(cw_batch_encode(b, "N", &_id, 10, CW_BODY_MAX, _stop_at_second, &calls,
					 &skipped), 7);
	ck_assert_int_eq(calls, 2);
	cw_batch_destroy(b);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("cwbatch");
	TCase *tc = tcase_create("batch");
	tcase_add_test(tc, test_one_value_per_period_is_a_plain_value);
	tcase_add_test(tc, test_values_and_counts_within_a_period);
	tcase_add_test(tc, test_values_cap_starts_a_new_datum);
	tcase_add_test(tc, test_non_finite_refused);
	tcase_add_test(tc, test_high_resolution_periods);
	tcase_add_test(tc, test_request_limits);
	tcase_add_test(tc, test_strings_escaped);
	tcase_add_test(tc, test_callback_can_stop);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}

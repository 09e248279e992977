/*
 * test_report.c - node reports (from snapshots of efasim trees, peaks from
 * a tracker, JSON both ways and every way parsing refuses) and step
 * summaries (the exact text, stragglers, missing and device-less nodes,
 * duplicates, job-level merging by time window, the JSON form).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fabric.h"
#include "report.h"
#include "tracker.h"
#include "testutil.h"

#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)
#define BIT(m) (1u << (m))

static const uint32_t _traffic =
    BIT(METRIC_TX_BYTES) | BIT(METRIC_RX_BYTES) | BIT(METRIC_TX_PKTS) | BIT(METRIC_RX_PKTS);

static char *_root;
static struct fabric *_f;
static struct snapshot *_s0, *_s1;
static struct node_report *_r;

static void _setup(void)
{
	_root = tu_mkdtemp("report");
	tu_log_capture();
	_s0 = snapshot_create();
	_s1 = snapshot_create();
	_r = node_report_create();
	ck_assert_ptr_nonnull(_s0);
	ck_assert_ptr_nonnull(_s1);
	ck_assert_ptr_nonnull(_r);
	_f = NULL;
}

static void _teardown(void)
{
	fabric_destroy(_f);
	snapshot_destroy(_s0);
	snapshot_destroy(_s1);
	node_report_destroy(_r);
	_r = NULL;
	tu_log_restore();
	tu_rm_rf(_root);
	free(_root);
	_root = NULL;
}

static void _create(const char *opts)
{
	tu_efasim("create %s %s", _root, opts);
	_f = fabric_create(_root);
	ck_assert_msg(_f != NULL, "fabric_create: %s", strerror(errno));
}

static void _sample(struct snapshot *s)
{
	ck_assert_int_eq(fabric_sample(_f, s), 0);
}

static void _from_snapshots(void)
{
	ck_assert_msg(node_report_from_snapshots(_r, _s0, _s1) == 0, "from_snapshots: %s",
		      strerror(errno));
}

static const struct iface_report *_iface(const struct node_report *r, const char *name)
{
	for (size_t i = 0; i < r->nifaces; i++)
		if (strcmp(r->ifaces[i].name, name) == 0)
			return &r->ifaces[i];
	ck_abort_msg("no interface %s", name);
	return NULL;
}

/* ---------------------------------------------------- from snapshots -- */

START_TEST(test_from_snapshots_bad_args)
{
	errno = 0;
	ck_assert_int_eq(node_report_from_snapshots(NULL, _s0, _s1), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(node_report_from_snapshots(_r, NULL, _s1), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(node_report_from_snapshots(_r, _s0, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Unbound snapshots: no device, not an error. */
	_s0->real_ns = 5;
	_s1->real_ns = 9;
	ck_assert_int_eq(node_report_from_snapshots(_r, _s0, _s1), 0);
	ck_assert_uint_eq(_r->nifaces, 0);
	ck_assert_uint_eq(_r->start_ns, 5);
	ck_assert_uint_eq(_r->end_ns, 9);
}
END_TEST

START_TEST(test_from_snapshots_exact)
{
	static const char *names[] = {"rdmap16s27", "rdmap16s28", "rdmap32s27", "rdmap32s28"};
	const uint32_t efa66 = _traffic | BIT(METRIC_RX_DROPS) | BIT(METRIC_RDMA_ERRORS);

	_create("--shape p4d --seed 7");
	_sample(_s0);
	tu_efasim("traffic %s --tx-bytes 1000 --rx-bytes 3000 --tx-pkts 2 --rx-pkts 4", _root);
	tu_efasim("advance %s --device rdmap32s27 rx_drops=3 rdma_read_wr_err=1 "
		  "rdma_write_wr_err=2 submitted_cmds=50",
		  _root);
	_sample(_s1);
	_from_snapshots();
	ck_assert_uint_eq(_r->nifaces, 4);
	ck_assert_uint_eq(_r->start_ns, _s0->real_ns);
	ck_assert_uint_eq(_r->end_ns, _s1->real_ns);
	for (size_t i = 0; i < 4; i++) {
		const struct iface_report *f = &_r->ifaces[i];
		bool busy = strcmp(f->name, "rdmap32s27") == 0;
		ck_assert_str_eq(f->name, names[i]);
		ck_assert_int_eq(f->type, DEVICE_EFA);
		ck_assert_uint_eq(f->link_bps, 100000000000ull);
		ck_assert_msg(f->has == efa66, "%s: has 0x%x", f->name, f->has);
		ck_assert_uint_eq(f->start[METRIC_TX_BYTES], 7);
		ck_assert_uint_eq(f->end[METRIC_TX_BYTES], 1007);
		ck_assert_uint_eq(f->total[METRIC_TX_BYTES], 1000);
		ck_assert_uint_eq(f->total[METRIC_RX_BYTES], 3000);
		ck_assert_uint_eq(f->total[METRIC_TX_PKTS], 2);
		ck_assert_uint_eq(f->total[METRIC_RX_PKTS], 4);
		ck_assert_uint_eq(f->total[METRIC_RX_DROPS], busy ? 3 : 0);
		/* rdma_read_wr_err + rdma_write_wr_err, each seeded at 7. */
		ck_assert_uint_eq(f->start[METRIC_RDMA_ERRORS], 14);
		ck_assert_uint_eq(f->total[METRIC_RDMA_ERRORS], busy ? 3 : 0);
		ck_assert_uint_eq(f->end[METRIC_RDMA_ERRORS], busy ? 17 : 14);
		/* Metrics the device lacks stay zero. */
		ck_assert_uint_eq(f->total[METRIC_RX_ERRORS], 0);
		ck_assert_uint_eq(f->start[METRIC_LINK_ERRORS], 0);
		ck_assert_uint_eq(f->resets, 0);
		for (int m = 0; m < METRIC_COUNT; m++)
			ck_assert_double_eq(f->peak_rate[m], 0.0);
	}
}
END_TEST

/* IB counts 4-byte words: start, end and total are in bytes. */
START_TEST(test_from_snapshots_ib_words)
{
	const struct iface_report *f;

	_create("--shape mlx5 --seed 5");
	_sample(_s0);
	tu_efasim("traffic %s --tx-bytes 4000 --rx-bytes 8000 --tx-pkts 3", _root);
	tu_efasim("advance %s symbol_error=1 link_downed=2", _root);
	_sample(_s1);
	_from_snapshots();
	ck_assert_uint_eq(_r->nifaces, 1);
	f = _iface(_r, "mlx5_0");
	ck_assert_int_eq(f->type, DEVICE_IB);
	ck_assert_uint_eq(f->start[METRIC_TX_BYTES], 20);
	ck_assert_uint_eq(f->end[METRIC_TX_BYTES], 4020);
	ck_assert_uint_eq(f->total[METRIC_TX_BYTES], 4000);
	ck_assert_uint_eq(f->total[METRIC_RX_BYTES], 8000);
	ck_assert_uint_eq(f->total[METRIC_TX_PKTS], 3);
	/* symbol_error + link_downed + link_error_recovery, seeded at 5. */
	ck_assert_uint_eq(f->start[METRIC_LINK_ERRORS], 15);
	ck_assert_uint_eq(f->total[METRIC_LINK_ERRORS], 3);
	ck_assert(f->has & BIT(METRIC_RX_ERRORS));
	ck_assert(!(f->has & BIT(METRIC_RX_DROPS)));
}
END_TEST

/* A reset between the snapshots: the delta is the new value, counted. */
START_TEST(test_from_snapshots_reset)
{
	const struct iface_report *f;
	const struct layout *l;
	uint32_t both_ok = 0;

	_create("--shape p4d --devices 1 --seed 5000");
	_sample(_s0);
	tu_efasim("reset %s", _root);
	tu_efasim("traffic %s --tx-bytes 500 --rx-pkts 6000", _root);
	_sample(_s1);
	_from_snapshots();
	f = _iface(_r, "rdmap16s27");
	ck_assert_uint_eq(f->start[METRIC_TX_BYTES], 5000);
	ck_assert_uint_eq(f->end[METRIC_TX_BYTES], 500);
	ck_assert_uint_eq(f->total[METRIC_TX_BYTES], 500);
	ck_assert_uint_eq(f->total[METRIC_RX_BYTES], 0);
	/* 5000 -> 6000: no reset seen, an increase of 1000. */
	ck_assert_uint_eq(f->total[METRIC_RX_PKTS], 1000);
	/* Every counter read in both went from 5000 to 0 (or 500), except
	 * rx_pkts. */
	l = _s1->layout;
	for (size_t i = 0; i < l->ncounters; i++) {
		long j = snapshot_match(_s1, i, _s0);
		if (_s1->states[i] == COUNTER_OK && j >= 0 && _s0->states[j] == COUNTER_OK)
			both_ok++;
	}
	ck_assert_uint_gt(both_ok, 10);
	ck_assert_uint_eq(f->resets, both_ok - 1);
}
END_TEST

/* A counter unreadable at one end feeds nothing; the others do. */
START_TEST(test_from_snapshots_broken_counter)
{
	const struct iface_report *f;

	_create("--shape p4d --devices 1");
	_sample(_s0);
	tu_efasim("traffic %s --tx-bytes 100 --rx-bytes 200", _root);
	tu_efasim("break %s rdmap16s27 tx_bytes na", _root);
	_sample(_s1);
	_from_snapshots();
	f = _iface(_r, "rdmap16s27");
	ck_assert(!(f->has & BIT(METRIC_TX_BYTES)));
	ck_assert(f->has & BIT(METRIC_RX_BYTES));
	ck_assert_uint_eq(f->total[METRIC_TX_BYTES], 0);
	ck_assert_uint_eq(f->end[METRIC_TX_BYTES], 0);
	ck_assert_uint_eq(f->total[METRIC_RX_BYTES], 200);
}
END_TEST

/* Devices added and removed between the snapshots are kept, with nothing
 * to compare. */
START_TEST(test_from_snapshots_hotplug)
{
	char *out = tu_strf("%s.added", _root);
	const struct iface_report *f;
	char *name;

	_create("--shape p4d --devices 2");
	_sample(_s0);
	tu_efasim("add %s --shape mlx5 -v > %s", _root, out);
	name = tu_read_file(out);
	ck_assert_ptr_nonnull(name);
	name[strcspn(name, "\n")] = '\0';
	tu_efasim("remove %s rdmap16s28", _root);
	tu_efasim("traffic %s --tx-bytes 100", _root);
	_sample(_s1);
	_from_snapshots();
	ck_assert_uint_eq(_r->nifaces, 3);
	ck_assert_str_eq(_r->ifaces[0].name, name); /* "mlx5_0" sorts first */
	ck_assert_str_eq(_r->ifaces[1].name, "rdmap16s27");
	ck_assert_str_eq(_r->ifaces[2].name, "rdmap16s28");
	f = _iface(_r, "rdmap16s27");
	ck_assert_uint_eq(f->total[METRIC_TX_BYTES], 100);
	/* Gone: type and line rate from the start. */
	f = _iface(_r, "rdmap16s28");
	ck_assert_uint_eq(f->has, 0);
	ck_assert_int_eq(f->type, DEVICE_EFA);
	ck_assert_uint_eq(f->link_bps, 100000000000ull);
	for (int m = 0; m < METRIC_COUNT; m++)
		ck_assert_uint_eq(f->total[m], 0);
	/* New: from the end, no baseline. */
	f = _iface(_r, name);
	ck_assert_uint_eq(f->has, 0);
	ck_assert_int_eq(f->type, DEVICE_IB);
	ck_assert_uint_eq(f->link_bps, 200000000000ull);
	ck_assert_uint_eq(f->total[METRIC_TX_BYTES], 0);
	tu_rm_rf(out);
	free(out);
	free(name);
}
END_TEST

/* Peaks from a tracker; a second from_snapshots keeps them. */
START_TEST(test_set_peaks)
{
	struct tracker *t = tracker_create();

	ck_assert_ptr_nonnull(t);
	_create("--shape p4d --devices 2");
	_sample(_s0);
	_s0->mono_ns = 1 * SEC;
	ck_assert_int_eq(tracker_update(t, _s0), 0);
	tu_efasim("traffic %s --device rdmap16s27 --tx-bytes 2000", _root);
	tu_efasim("traffic %s --device rdmap16s28 --tx-bytes 1000 --rx-bytes 500", _root);
	_sample(_s1);
	_s1->mono_ns = 2 * SEC;
	ck_assert_int_eq(tracker_update(t, _s1), 0);
	_from_snapshots();
	node_report_set_peaks(_r, t);
	ck_assert_double_eq(_iface(_r, "rdmap16s27")->peak_rate[METRIC_TX_BYTES], 2000.0);
	ck_assert_double_eq(_iface(_r, "rdmap16s28")->peak_rate[METRIC_TX_BYTES], 1000.0);
	ck_assert_double_eq(_iface(_r, "rdmap16s28")->peak_rate[METRIC_RX_BYTES], 500.0);
	ck_assert_double_eq(_r->peak_rate[METRIC_TX_BYTES], 3000.0);
	ck_assert_double_eq(_r->peak_rate[METRIC_RX_BYTES], 500.0);
	ck_assert_uint_eq(_r->samples, 2);
	_from_snapshots();
	ck_assert_double_eq(_iface(_r, "rdmap16s27")->peak_rate[METRIC_TX_BYTES], 2000.0);
	ck_assert_double_eq(_r->peak_rate[METRIC_TX_BYTES], 3000.0);
	node_report_set_peaks(_r, NULL); /* no-op */
	tracker_destroy(t);
}
END_TEST

/* -------------------------------------------------------------- JSON -- */

/* A hand-made report: two interfaces, 64-bit extremes, exact doubles. */
static struct node_report *_sample_report(void)
{
	struct node_report *r = node_report_create();
	struct iface_report *f;

	ck_assert_ptr_nonnull(r);
	strcpy(r->node, "compute-dy-p4d-1");
	strcpy(r->job_id, "4242");
	strcpy(r->step_id, "batch");
	r->status = NODE_OK;
	r->start_ns = T0;
	r->end_ns = 18446744073709551615ull;
	r->samples = 9007199254740993ull; /* 2^53 + 1 */
	r->stream_interrupted = true;
	strcpy(r->stream_msg, "reporter exited with status 1 \"quoted\"");
	r->peak_rate[METRIC_TX_BYTES] = 12345678.125;
	r->peak_rate[METRIC_RX_BYTES] = 0.1;
	r->peak_rate[METRIC_LINK_ERRORS] = 3.0;
	r->nifaces = 2;
	r->ifaces = calloc(2, sizeof(*r->ifaces));
	ck_assert_ptr_nonnull(r->ifaces);
	f = &r->ifaces[0];
	strcpy(f->name, "rdmap16s27");
	f->type = DEVICE_EFA;
	f->link_bps = 100000000000ull;
	f->has = _traffic | BIT(METRIC_RX_DROPS);
	f->start[METRIC_TX_BYTES] = 18446744073709551000ull;
	f->end[METRIC_TX_BYTES] = 18446744073709551615ull;
	f->total[METRIC_TX_BYTES] = 615;
	f->start[METRIC_RX_BYTES] = 9007199254740993ull;
	f->end[METRIC_RX_BYTES] = 9007199254740995ull;
	f->total[METRIC_RX_BYTES] = 2;
	f->end[METRIC_RX_DROPS] = 1;
	f->total[METRIC_RX_DROPS] = 1;
	f->peak_rate[METRIC_TX_BYTES] = 1e11 / 3;
	f->resets = 4000000000u;
	f = &r->ifaces[1];
	strcpy(f->name, "mlx5_0");
	f->type = DEVICE_IB;
	f->link_bps = 0;
	f->has = BIT(METRIC_LINK_ERRORS);
	f->start[METRIC_LINK_ERRORS] = 7;
	f->end[METRIC_LINK_ERRORS] = 9;
	f->total[METRIC_LINK_ERRORS] = 2;
	f->peak_rate[METRIC_LINK_ERRORS] = 3.0;
	return r;
}

static void _assert_same(const struct node_report *a, const struct node_report *b)
{
	ck_assert_str_eq(a->node, b->node);
	ck_assert_str_eq(a->job_id, b->job_id);
	ck_assert_str_eq(a->step_id, b->step_id);
	ck_assert_int_eq(a->status, b->status);
	ck_assert_str_eq(a->status_msg, b->status_msg);
	ck_assert_uint_eq(a->start_ns, b->start_ns);
	ck_assert_uint_eq(a->end_ns, b->end_ns);
	ck_assert_uint_eq(a->samples, b->samples);
	ck_assert_int_eq(a->stream_interrupted, b->stream_interrupted);
	ck_assert_str_eq(a->stream_msg, b->stream_msg);
	for (int m = 0; m < METRIC_COUNT; m++)
		ck_assert_double_eq(a->peak_rate[m], b->peak_rate[m]);
	ck_assert_uint_eq(a->nifaces, b->nifaces);
	for (size_t i = 0; i < a->nifaces; i++)
		ck_assert_msg(memcmp(&a->ifaces[i], &b->ifaces[i], sizeof(a->ifaces[i])) == 0,
			      "interface %zu differs", i);
}

START_TEST(test_json_round_trip)
{
	struct node_report *a = _sample_report(), *b;
	char err[256] = "x";
	char *text = node_report_to_json(a);

	ck_assert_ptr_nonnull(text);
	/* 64-bit figures are strings, exact. */
	ck_assert_ptr_nonnull(strstr(text, "\"tx_bytes\":\"18446744073709551000\""));
	ck_assert_ptr_nonnull(strstr(text, "\"end_ns\":\"18446744073709551615\""));
	ck_assert_ptr_nonnull(strstr(text, "\"samples\":\"9007199254740993\""));
	ck_assert_ptr_nonnull(strstr(text, "\"resets\":4000000000"));
	ck_assert_ptr_nonnull(strstr(text, "\"status\":\"ok\""));
	ck_assert_ptr_nonnull(strstr(text, "\"type\":\"ib\""));
	/* Only the metrics an interface has. */
	ck_assert_ptr_null(strstr(text, "rx_errors"));
	ck_assert_ptr_null(strstr(text, "rdma_errors"));
	b = node_report_from_json(text, strlen(text), err, sizeof(err));
	ck_assert_msg(b != NULL, "from_json: %s", err);
	ck_assert_str_eq(err, "");
	_assert_same(a, b);
	node_report_destroy(b);

	/* Not NUL-terminated: the length rules; trailing white space is fine. */
	char *padded = tu_strf("%s \n\tGARBAGE", text);
	b = node_report_from_json(padded, strlen(text) + 3, err, sizeof(err));
	ck_assert_msg(b != NULL, "from_json: %s", err);
	_assert_same(a, b);
	node_report_destroy(b);
	free(padded);
	free(text);

	/* Every status. */
	for (int s = 0; s < NODE_STATUS_COUNT; s++) {
		a->status = s;
		snprintf(a->status_msg, sizeof(a->status_msg), "status %d", s);
		text = node_report_to_json(a);
		ck_assert_ptr_nonnull(text);
		b = node_report_from_json(text, strlen(text), err, sizeof(err));
		ck_assert_msg(b != NULL, "from_json: %s", err);
		_assert_same(a, b);
		node_report_destroy(b);
		free(text);
	}
	node_report_destroy(a);
}
END_TEST

/* A report made from real snapshots survives the trip too. */
START_TEST(test_json_round_trip_real)
{
	struct node_report *b;
	char err[256];
	char *text;

	_create("--shape p4d --seed 18446744073709000000");
	tu_efasim("add %s --shape mlx5 --seed 18446744073709000000", _root);
	_sample(_s0);
	tu_efasim("traffic %s --tx-bytes 1000 --rx-bytes 3000 --tx-pkts 2 --rx-pkts 4", _root);
	_sample(_s1);
	_from_snapshots();
	strcpy(_r->node, "n1");
	strcpy(_r->job_id, "1");
	strcpy(_r->step_id, "0");
	text = node_report_to_json(_r);
	ck_assert_ptr_nonnull(text);
	b = node_report_from_json(text, strlen(text), err, sizeof(err));
	ck_assert_msg(b != NULL, "from_json: %s", err);
	_assert_same(_r, b);
	ck_assert_uint_eq(_iface(b, "rdmap16s27")->end[METRIC_TX_BYTES],
			  18446744073709000000ull + 1000);
	/* IB words x4, saturated rather than wrapped. */
	ck_assert_uint_eq(_iface(b, "mlx5_0")->end[METRIC_TX_BYTES], UINT64_MAX);
	node_report_destroy(b);
	free(text);
}
END_TEST

static char _err[256];

/* Parse cJSON 'root' as a report; expect a refusal mentioning 'want'. */
static void _expect_reject(cJSON *root, const char *want)
{
	char *text = cJSON_PrintUnformatted(root);
	struct node_report *r;

	ck_assert_ptr_nonnull(text);
	memset(_err, 0, sizeof(_err));
	errno = 0;
	r = node_report_from_json(text, strlen(text), _err, sizeof(_err));
	ck_assert_msg(r == NULL, "accepted: %s", text);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(strstr(_err, want) != NULL, "error '%s' lacks '%s'", _err, want);
	free(text);
	cJSON_Delete(root);
}

/* A valid report as a cJSON tree (three interfaces). */
static cJSON *_base(void)
{
	struct node_report *r = _sample_report();
	struct iface_report *v = realloc(r->ifaces, 3 * sizeof(*v));
	cJSON *root;
	char *text;

	ck_assert_ptr_nonnull(v);
	r->ifaces = v;
	v[2] = v[0];
	strcpy(v[2].name, "rdmap16s28");
	r->nifaces = 3;
	text = node_report_to_json(r);
	ck_assert_ptr_nonnull(text);
	root = cJSON_Parse(text);
	ck_assert_ptr_nonnull(root);
	free(text);
	node_report_destroy(r);
	return root;
}

static cJSON *_iface_obj(cJSON *root, int i)
{
	cJSON *o = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "ifaces"), i);
	ck_assert_ptr_nonnull(o);
	return o;
}

static void _set(cJSON *obj, const char *key, cJSON *value)
{
	ck_assert_ptr_nonnull(value);
	if (cJSON_GetObjectItem(obj, key))
		ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value));
	else
		ck_assert(cJSON_AddItemToObject(obj, key, value));
}

static void _reject_text(const char *text, size_t len, const char *want)
{
	struct node_report *r;

	memset(_err, 0, sizeof(_err));
	errno = 0;
	r = node_report_from_json(text, len, _err, sizeof(_err));
	ck_assert_msg(r == NULL, "accepted: %s", text);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(strstr(_err, want) != NULL, "error '%s' lacks '%s'", _err, want);
}

START_TEST(test_json_rejects_text)
{
	char *good;
	cJSON *root;

	_reject_text("this is not JSON", 16, "not JSON");
	_reject_text("", 0, "not JSON");
	_reject_text("{\"node\":", 8, "not JSON");
	_reject_text("[1,2]", 5, "not a JSON object");
	_reject_text("\"x\"", 3, "not a JSON object");
	_reject_text(NULL, 0, "no text");
	root = _base();
	good = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	/* Cut short, and followed by more than white space. */
	_reject_text(good, strlen(good) - 1, "not JSON");
	char *more = tu_strf("%s{}", good);
	_reject_text(more, strlen(more), "trailing data");
	free(more);
	/* A NULL err buffer is allowed. */
	ck_assert_ptr_null(node_report_from_json("nope", 4, NULL, 0));
	free(good);
}
END_TEST

START_TEST(test_json_rejects_fields)
{
	cJSON *root;
	char *text;
	char name[80];

	/* Missing fields, top level and nested. */
	static const char *required[] = {"node",       "job_id",     "step_id",
					 "status",     "status_msg", "start_ns",
					 "end_ns",     "samples",    "stream_interrupted",
					 "stream_msg", "peak_rate",  "ifaces"};
	for (size_t i = 0; i < sizeof(required) / sizeof(*required); i++) {
		root = _base();
		cJSON_DeleteItemFromObjectCaseSensitive(root, required[i]);
		snprintf(name, sizeof(name), "field '%s': missing", required[i]);
		_expect_reject(root, name);
	}
	static const char *iface_required[] = {"name", "type",	"link_bps",  "start",
					       "end",  "total", "peak_rate", "resets"};
	for (size_t i = 0; i < sizeof(iface_required) / sizeof(*iface_required); i++) {
		root = _base();
		cJSON_DeleteItemFromObjectCaseSensitive(_iface_obj(root, 1), iface_required[i]);
		snprintf(name, sizeof(name), "field 'ifaces[1].%s': missing", iface_required[i]);
		_expect_reject(root, name);
	}

	/* Wrong types. */
	root = _base();
	_set(root, "node", cJSON_CreateNumber(5));
	_expect_reject(root, "field 'node': expected a string");
	root = _base();
	_set(root, "start_ns", cJSON_CreateNumber(5));
	_expect_reject(root, "field 'start_ns': expected a decimal string");
	root = _base();
	_set(cJSON_GetObjectItem(_iface_obj(root, 2), "total"), "tx_bytes",
	     cJSON_CreateNumber(615));
	_expect_reject(root, "field 'ifaces[2].total.tx_bytes': expected a decimal string");
	root = _base();
	_set(cJSON_GetObjectItem(_iface_obj(root, 0), "end"), "rx_bytes", cJSON_CreateNull());
	_expect_reject(root, "field 'ifaces[0].end.rx_bytes': expected a decimal string");
	root = _base();
	_set(root, "samples", cJSON_CreateString("-1"));
	_expect_reject(root, "field 'samples': expected a decimal string from 0");
	root = _base();
	_set(root, "samples", cJSON_CreateString("18446744073709551616"));
	_expect_reject(root, "field 'samples': expected a decimal string from 0");
	root = _base();
	_set(root, "samples", cJSON_CreateString(""));
	_expect_reject(root, "field 'samples'");
	root = _base();
	_set(root, "samples", cJSON_CreateString(" 12"));
	_expect_reject(root, "field 'samples'");
	root = _base();
	_set(root, "stream_interrupted", cJSON_CreateString("yes"));
	_expect_reject(root, "field 'stream_interrupted': expected true or false");
	root = _base();
	_set(cJSON_GetObjectItem(root, "peak_rate"), "tx_bytes", cJSON_CreateString("12"));
	_expect_reject(root, "field 'peak_rate.tx_bytes': expected a number");
	root = _base();
	_set(cJSON_GetObjectItem(_iface_obj(root, 0), "peak_rate"), "tx_bytes",
	     cJSON_CreateNumber(-1));
	_expect_reject(root, "field 'ifaces[0].peak_rate.tx_bytes': expected a finite number");
	root = _base();
	_set(root, "peak_rate", cJSON_CreateArray());
	_expect_reject(root, "field 'peak_rate': expected an object");
	root = _base();
	_set(root, "ifaces", cJSON_CreateObject());
	_expect_reject(root, "field 'ifaces': expected an array");
	root = _base();
	ck_assert(cJSON_ReplaceItemInArray(cJSON_GetObjectItem(root, "ifaces"), 1,
					   cJSON_CreateString("mlx5_0")));
	_expect_reject(root, "field 'ifaces[1]': expected an object");
	root = _base();
	_set(_iface_obj(root, 1), "resets", cJSON_CreateNumber(1.5));
	_expect_reject(root, "field 'ifaces[1].resets': expected an integer");
	root = _base();
	_set(_iface_obj(root, 1), "resets", cJSON_CreateNumber(4294967296.0));
	_expect_reject(root, "field 'ifaces[1].resets': expected an integer");
	root = _base();
	_set(_iface_obj(root, 1), "resets", cJSON_CreateString("3"));
	_expect_reject(root, "field 'ifaces[1].resets': expected an integer");

	/* Values. */
	root = _base();
	_set(root, "status", cJSON_CreateString("bogus"));
	_expect_reject(root, "field 'status': unknown status 'bogus'");
	root = _base();
	_set(_iface_obj(root, 0), "type", cJSON_CreateString("roce"));
	_expect_reject(root, "field 'ifaces[0].type': unknown device type 'roce'");
	root = _base();
	_set(root, "node", cJSON_CreateString(""));
	_expect_reject(root, "field 'node': empty");
	root = _base();
	_set(root, "node", cJSON_CreateString("n1\nfake line"));
	_expect_reject(root, "field 'node': control character at byte 2");
	root = _base();
	_set(_iface_obj(root, 2), "name", cJSON_CreateString("rdmap16s27"));
	_expect_reject(root, "field 'ifaces[2].name': duplicate interface 'rdmap16s27'");
	root = _base();
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(_iface_obj(root, 0), "start"),
						"rx_drops");
	_expect_reject(root, "field 'ifaces[0].start': no 'rx_drops', which 'total' has");
	root = _base();
	_set(cJSON_GetObjectItem(_iface_obj(root, 1), "end"), "tx_bytes", cJSON_CreateString("1"));
	_expect_reject(root, "field 'ifaces[1].end.tx_bytes': not in 'total'");

	/* Lengths: 63 bytes fit, 64 do not. */
	memset(name, 'a', 64);
	name[64] = '\0';
	root = _base();
	_set(root, "node", cJSON_CreateString(name));
	_expect_reject(root, "field 'node': longer than 63 bytes");
	root = _base();
	_set(_iface_obj(root, 1), "name", cJSON_CreateString(name));
	_expect_reject(root, "field 'ifaces[1].name': longer than 63 bytes");
	root = _base();
	_set(root, "job_id", cJSON_CreateString("123456789012345678901234567890123"));
	_expect_reject(root, "field 'job_id': longer than 31 bytes");
	char *msg = calloc(1, 300);
	ck_assert_ptr_nonnull(msg);
	memset(msg, 'm', 256);
	root = _base();
	_set(root, "status_msg", cJSON_CreateString(msg));
	_expect_reject(root, "field 'status_msg': longer than 255 bytes");
	free(msg);

	name[63] = '\0';
	root = _base();
	_set(root, "node", cJSON_CreateString(name));
	text = cJSON_PrintUnformatted(root);
	struct node_report *r = node_report_from_json(text, strlen(text), _err, sizeof(_err));
	ck_assert_msg(r != NULL, "%s", _err);
	ck_assert_str_eq(r->node, name);
	node_report_destroy(r);
	free(text);
	cJSON_Delete(root);
}
END_TEST

/* Lenient where it is harmless: unknown keys and metrics, empty ids,
 * control characters in messages. */
START_TEST(test_json_lenient)
{
	cJSON *root = _base();
	struct node_report *r;
	char *text;

	_set(root, "future_field", cJSON_CreateString("x"));
	_set(cJSON_GetObjectItem(_iface_obj(root, 0), "total"), "warp_drive",
	     cJSON_CreateNumber(1));
	_set(root, "job_id", cJSON_CreateString(""));
	_set(root, "step_id", cJSON_CreateString(""));
	_set(root, "status_msg", cJSON_CreateString("a\nb\tc"));
	text = cJSON_PrintUnformatted(root);
	r = node_report_from_json(text, strlen(text), _err, sizeof(_err));
	ck_assert_msg(r != NULL, "%s", _err);
	ck_assert_str_eq(r->job_id, "");
	ck_assert_str_eq(r->status_msg, "a?b?c");
	ck_assert_uint_eq(r->ifaces[0].total[METRIC_TX_BYTES], 615);
	node_report_destroy(r);
	free(text);
	cJSON_Delete(root);
}
END_TEST

/* What reaches a terminal: C1 controls (C2 80..C2 9F), invalid UTF-8 and
 * characters that reorder or hide text become '?' in messages, and make
 * a name or id refuse the report; printable UTF-8 is kept. */
START_TEST(test_json_text_scrubbed)
{
	static const struct {
		const char *in, *out;
	} msgs[] = {
	    {"\302\23331mred", "?31mred"},		 /* C1 CSI */
	    {"a\302\205b\302\237", "a?b?"},		 /* NEL, APC */
	    {"bad \xff\xfe utf8", "bad ?? utf8"},	 /* not UTF-8 */
	    {"\xc0\xaf overlong", "?? overlong"},	 /* overlong '/' */
	    {"\xed\xa0\x80 surrogate", "??? surrogate"}, /* U+D800 */
	    {"cut \xe2\x82", "cut ??"},			 /* truncated */
	    {"evil\342\200\256cod.exe", "evil?cod.exe"}, /* RLO */
	    {"x\342\201\246y\342\201\251", "x?y?"},	 /* LRI, PDI */
	    {"line\342\200\250sep\342\200\251", "line?sep?"},
	    {"zero\xe2\x80\x8bwidth\xef\xbb\xbf", "zero?width?"},
	    {"tag\xf3\xa0\x80\x81", "tag?"}, /* U+E0001 */
	    {"caf\xc3\xa9 5 \xc2\xb5s \xe2\x86\x92 ok \xf0\x9f\x99\x82",
	     "caf\xc3\xa9 5 \xc2\xb5s \xe2\x86\x92 ok \xf0\x9f\x99\x82"},
	};
	struct node_report *r;
	char *text;
	cJSON *root;

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		root = _base();
		_set(root, "status_msg", cJSON_CreateString(msgs[i].in));
		_set(root, "stream_msg", cJSON_CreateString(msgs[i].in));
		text = cJSON_PrintUnformatted(root);
		r = node_report_from_json(text, strlen(text), _err, sizeof(_err));
		ck_assert_msg(r != NULL, "%s", _err);
		ck_assert_str_eq(r->status_msg, msgs[i].out);
		ck_assert_str_eq(r->stream_msg, msgs[i].out);
		node_report_destroy(r);
		free(text);
		cJSON_Delete(root);
	}
	/* A JSON escape decodes to the same bytes and is caught the same. */
	root = _base();
	_set(root, "status_msg", cJSON_CreateString("PLACEHOLDER"));
	text = cJSON_PrintUnformatted(root);
	char *at = strstr(text, "PLACEHOLDER");
	ck_assert_ptr_nonnull(at);
	char *esc = tu_strf("%.*s\\u009b2J\\u202e%s", (int)(at - text), text, at + 11);
	r = node_report_from_json(esc, strlen(esc), _err, sizeof(_err));
	ck_assert_msg(r != NULL, "%s", _err);
	ck_assert_str_eq(r->status_msg, "?2J?");
	node_report_destroy(r);
	free(esc);
	free(text);
	cJSON_Delete(root);

	/* Names and ids: refused, with where. */
	root = _base();
	_set(root, "node", cJSON_CreateString("n1\302\2332J"));
	_expect_reject(root, "field 'node': non-printing character U+009B at byte 2");
	root = _base();
	_set(root, "node", cJSON_CreateString("n\342\200\2561"));
	_expect_reject(root, "field 'node': non-printing character U+202E at byte 1");
	root = _base();
	_set(_iface_obj(root, 1), "name", cJSON_CreateString("rdmap\xff"));
	_expect_reject(root, "field 'ifaces[1].name': not UTF-8 at byte 5");
	root = _base();
	_set(root, "step_id", cJSON_CreateString("0\xe2\x80\xa8"));
	_expect_reject(root, "field 'step_id': non-printing character U+2028 at byte 1");
	root = _base();
	_set(root, "job_id", cJSON_CreateString("4\xc2"));
	_expect_reject(root, "field 'job_id': not UTF-8 at byte 1");
	/* Printable UTF-8 in a name is fine. */
	root = _base();
	_set(root, "node", cJSON_CreateString("n\303\2511"));
	text = cJSON_PrintUnformatted(root);
	r = node_report_from_json(text, strlen(text), _err, sizeof(_err));
	ck_assert_msg(r != NULL, "%s", _err);
	ck_assert_str_eq(r->node, "n\303\2511");
	node_report_destroy(r);
	free(text);
	cJSON_Delete(root);
}
END_TEST

/* 4096 interfaces are accepted, 4097 are not. */
START_TEST(test_json_iface_cap)
{
	struct node_report *r = node_report_create(), *b;
	char *text;

	ck_assert_ptr_nonnull(r);
	strcpy(r->node, "big");
	r->ifaces = calloc(4097, sizeof(*r->ifaces));
	ck_assert_ptr_nonnull(r->ifaces);
	for (size_t i = 0; i < 4097; i++)
		snprintf(r->ifaces[i].name, sizeof(r->ifaces[i].name), "dev%zu", i);
	r->nifaces = 4096;
	text = node_report_to_json(r);
	ck_assert_ptr_nonnull(text);
	b = node_report_from_json(text, strlen(text), _err, sizeof(_err));
	ck_assert_msg(b != NULL, "%s", _err);
	ck_assert_uint_eq(b->nifaces, 4096);
	ck_assert_str_eq(b->ifaces[4095].name, "dev4095");
	node_report_destroy(b);
	free(text);
	r->nifaces = 4097;
	text = node_report_to_json(r);
	ck_assert_ptr_nonnull(text);
	_reject_text(text, strlen(text), "field 'ifaces': more than 4096 interfaces");
	free(text);
	node_report_destroy(r);
}
END_TEST

START_TEST(test_status_names)
{
	ck_assert_str_eq(node_status_name(NODE_OK), "ok");
	ck_assert_str_eq(node_status_name(NODE_NO_DEVICES), "no-devices");
	ck_assert_str_eq(node_status_name(NODE_UNREADABLE), "unreadable");
	ck_assert_str_eq(node_status_name(NODE_MISSING), "missing");
	ck_assert_str_eq(node_status_name(NODE_STATUS_COUNT), "unknown");
	ck_assert_ptr_null(node_report_to_json(NULL));
	node_report_destroy(NULL);
}
END_TEST

/* ----------------------------------------------------------- summary -- */

/*
 * A report of 'n' EFA interfaces (100 Gb/s each) sharing the node's
 * totals evenly, over [start_s, end_s] after T0. 'has' on every
 * interface: traffic, rx_drops, rdma_errors.
 */
static struct node_report *_mk(const char *node, const char *step, double start_s, double end_s,
			       uint64_t tx, uint64_t rx, uint64_t pkts, size_t n, double peak_tx,
			       double peak_rx)
{
	struct node_report *r = node_report_create();

	ck_assert_ptr_nonnull(r);
	snprintf(r->node, sizeof(r->node), "%s", node);
	snprintf(r->job_id, sizeof(r->job_id), "42");
	snprintf(r->step_id, sizeof(r->step_id), "%s", step);
	r->status = NODE_OK;
	r->start_ns = T0 + (uint64_t)llround(start_s * 1e9);
	r->end_ns = T0 + (uint64_t)llround(end_s * 1e9);
	r->samples = 10;
	r->peak_rate[METRIC_TX_BYTES] = peak_tx;
	r->peak_rate[METRIC_RX_BYTES] = peak_rx;
	r->nifaces = n;
	r->ifaces = calloc(n ? n : 1, sizeof(*r->ifaces));
	ck_assert_ptr_nonnull(r->ifaces);
	for (size_t i = 0; i < n; i++) {
		struct iface_report *f = &r->ifaces[i];
		snprintf(f->name, sizeof(f->name), "rdmap%zus0", i);
		f->type = DEVICE_EFA;
		f->link_bps = 100000000000ull;
		f->has = _traffic | BIT(METRIC_RX_DROPS) | BIT(METRIC_RDMA_ERRORS);
		f->total[METRIC_TX_BYTES] = tx / n;
		f->total[METRIC_RX_BYTES] = rx / n;
		f->total[METRIC_TX_PKTS] = pkts / n;
		f->total[METRIC_RX_PKTS] = pkts / n;
		for (int m = 0; m < METRIC_COUNT; m++)
			f->end[m] = f->start[m] + f->total[m];
	}
	return r;
}

static struct node_report *_mk_status(const char *node, enum node_status st, const char *msg)
{
	struct node_report *r = node_report_create();

	ck_assert_ptr_nonnull(r);
	snprintf(r->node, sizeof(r->node), "%s", node);
	snprintf(r->job_id, sizeof(r->job_id), "42");
	snprintf(r->step_id, sizeof(r->step_id), "0");
	r->status = st;
	snprintf(r->status_msg, sizeof(r->status_msg), "%s", msg);
	return r;
}

static void _add(struct step_summary *s, struct node_report *r)
{
	ck_assert_msg(step_summary_add(s, r) == 0, "add %s: %s", r->node, strerror(errno));
}

/* The whole printed summary. */
static char *_print(const struct step_summary *s, const char *prefix)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	step_summary_print(s, f, prefix);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* Three OK nodes, one missing, one without devices, one unreadable. */
static struct step_summary *_three_nodes(void)
{
	struct step_summary *s = step_summary_create("42", "0", false);
	struct node_report *r;

	ck_assert_ptr_nonnull(s);
	_add(s, _mk_status("n6", NODE_UNREADABLE, "cannot open /sys: Permission denied"));
	r = _mk("n2", "0", 0.5, 10.0, 1800000000, 1800000000, 1800, 4, 2e8, 2e8);
	r->ifaces[3].total[METRIC_RDMA_ERRORS] = 2;
	r->ifaces[3].end[METRIC_RDMA_ERRORS] = 2;
	r->stream_interrupted = true;
	strcpy(r->stream_msg, "reporter exited with status 1");
	_add(s, r);
	_add(s, _mk_status("n5", NODE_NO_DEVICES, "no RDMA device under /sys/class/infiniband"));
	r = _mk("n1", "0", 0.0, 10.52, 1000000000, 1000000000, 1000, 4, 1.5e8, 1.4e8);
	r->ifaces[1].total[METRIC_RX_DROPS] = 5;
	r->ifaces[1].end[METRIC_RX_DROPS] = 5;
	_add(s, r);
	_add(s, _mk("n3", "0", 0.0, 8.0, 200000000, 200000000, 200, 4, 0.375e8, 0.3125e8));
	ck_assert_int_eq(step_summary_expect(s, "n1"), 0);
	ck_assert_int_eq(step_summary_expect(s, "n4"), 0);
	ck_assert_int_eq(step_summary_expect(s, "n4"), 0); /* twice: once */
	return s;
}

START_TEST(test_summary_bad_args)
{
	struct step_summary *s;

	errno = 0;
	ck_assert_ptr_null(step_summary_create(NULL, "0", false));
	ck_assert_int_eq(errno, EINVAL);
	s = step_summary_create("42", "0", false);
	ck_assert_ptr_nonnull(s);
	errno = 0;
	ck_assert_int_eq(step_summary_add(s, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(step_summary_expect(s, ""), -1);
	ck_assert_int_eq(errno, EINVAL);
	struct node_report *r = node_report_create(); /* no node name */
	ck_assert_int_eq(step_summary_add(s, r), -1);
	ck_assert_int_eq(errno, EINVAL);
	node_report_destroy(r);
	step_summary_print(NULL, stdout, "x");
	ck_assert_ptr_null(step_summary_to_json(NULL));
	step_summary_destroy(s);
	step_summary_destroy(NULL);
}
END_TEST

START_TEST(test_summary_text)
{
	struct step_summary *s = _three_nodes();
	char *text = _print(s, "efa-monitor: ");

	ck_assert_str_eq(
	    text,
	    "efa-monitor: job 42 step 0: 3 nodes, 12 interfaces, 10.52 s\n"
	    "efa-monitor:   TX 3000000000 bytes (3.00 GB), 3000 packets; "
	    "RX 3000000000 bytes (3.00 GB), 3000 packets\n"
	    "efa-monitor:   average TX 2.28 Gbps, RX 2.28 Gbps; peak TX 3.10 Gbps, "
	    "RX 2.97 Gbps (sum of node peaks); 0.2 % of 1200 Gb/s line rate\n"
	    "efa-monitor:   health: rx_drops 5, rdma_errors 2; counter resets 0\n"
	    "efa-monitor:   node n1: TX 1000000000 bytes, RX 1000000000 bytes, "
	    "4 interfaces, avg 1.52 Gbps TX+RX, peak 2.32 Gbps TX+RX\n"
	    "efa-monitor:   node n2: TX 1800000000 bytes, RX 1800000000 bytes, "
	    "4 interfaces, avg 3.03 Gbps TX+RX, peak 3.20 Gbps TX+RX\n"
	    "efa-monitor:   node n3: TX 200000000 bytes, RX 200000000 bytes, "
	    "4 interfaces, avg 0.40 Gbps TX+RX, peak 0.55 Gbps TX+RX, straggler (20 % of the "
	    "median)\n"
	    "efa-monitor:   slowest node: n3 (400000000 bytes, 20 % of the median "
	    "2000000000)\n"
	    "efa-monitor:   node n4: missing (no report)\n"
	    "efa-monitor:   node n5: no EFA or InfiniBand device "
	    "(no RDMA device under /sys/class/infiniband)\n"
	    "efa-monitor:   node n6: counters unreadable (cannot open /sys: Permission denied)\n"
	    "efa-monitor:   stream interrupted on n2: reporter exited with status 1; "
	    "totals are exact, peaks may be low\n");
	free(text);
	/* No prefix: lines start with the text. */
	text = _print(s, NULL);
	ck_assert(strncmp(text, "job 42 step 0: 3 nodes", 22) == 0);
	ck_assert_uint_eq(tu_count_substr(text, "\n"), 12);
	free(text);
	step_summary_destroy(s);
}
END_TEST

START_TEST(test_summary_json)
{
	struct step_summary *s = _three_nodes();
	char *text = step_summary_to_json(s);
	cJSON *root, *it, *arr;

	ck_assert_ptr_nonnull(text);
	root = cJSON_Parse(text);
	ck_assert_msg(root != NULL, "not JSON: %s", text);
	ck_assert_str_eq(cJSON_GetObjectItem(root, "job_id")->valuestring, "42");
	ck_assert_str_eq(cJSON_GetObjectItem(root, "step_id")->valuestring, "0");
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(root, "job_level")));
	ck_assert_double_eq(cJSON_GetObjectItem(root, "nodes")->valuedouble, 3);
	ck_assert_double_eq(cJSON_GetObjectItem(root, "interfaces")->valuedouble, 12);
	ck_assert_double_eq_tol(cJSON_GetObjectItem(root, "duration_s")->valuedouble, 10.52, 1e-9);
	it = cJSON_GetObjectItem(root, "totals");
	ck_assert_double_eq(cJSON_GetObjectItem(it, "tx_bytes")->valuedouble, 3e9);
	ck_assert_double_eq(cJSON_GetObjectItem(it, "rx_packets")->valuedouble, 3000);
	ck_assert_double_eq(cJSON_GetObjectItem(it, "rx_drops")->valuedouble, 5);
	ck_assert_ptr_null(cJSON_GetObjectItem(it, "rx_errors")); /* no device has it */
	it = cJSON_GetObjectItem(root, "avg_rate");
	ck_assert_double_eq_tol(cJSON_GetObjectItem(it, "tx_bytes")->valuedouble, 3e9 / 10.52,
				1e-3);
	it = cJSON_GetObjectItem(root, "peak_rate_sum");
	ck_assert_double_eq(cJSON_GetObjectItem(it, "tx_bytes")->valuedouble, 3.875e8);
	ck_assert_double_eq(cJSON_GetObjectItem(it, "rx_bytes")->valuedouble, 3.7125e8);
	ck_assert_double_eq(cJSON_GetObjectItem(root, "line_rate_bps")->valuedouble, 1.2e12);
	ck_assert_double_eq_tol(cJSON_GetObjectItem(root, "line_pct")->valuedouble,
				3e9 * 8 / 10.52 / 1.2e12 * 100, 1e-9);
	it = cJSON_GetObjectItem(root, "health");
	ck_assert_int_eq(cJSON_GetArraySize(it), 2);
	ck_assert_double_eq(cJSON_GetObjectItem(it, "rx_drops")->valuedouble, 5);
	ck_assert_double_eq(cJSON_GetObjectItem(it, "rdma_errors")->valuedouble, 2);
	ck_assert_double_eq(cJSON_GetObjectItem(root, "resets")->valuedouble, 0);
	it = cJSON_GetObjectItem(root, "slowest");
	ck_assert_str_eq(cJSON_GetObjectItem(it, "node")->valuestring, "n3");
	ck_assert_double_eq(cJSON_GetObjectItem(it, "bytes")->valuedouble, 4e8);
	ck_assert_double_eq(cJSON_GetObjectItem(it, "fraction_of_median")->valuedouble, 0.2);
	arr = cJSON_GetObjectItem(root, "stragglers");
	ck_assert_int_eq(cJSON_GetArraySize(arr), 1);
	ck_assert_str_eq(cJSON_GetArrayItem(arr, 0)->valuestring, "n3");
	arr = cJSON_GetObjectItem(root, "missing");
	ck_assert_int_eq(cJSON_GetArraySize(arr), 1);
	ck_assert_str_eq(cJSON_GetArrayItem(arr, 0)->valuestring, "n4");
	arr = cJSON_GetObjectItem(root, "nodes_detail");
	ck_assert_int_eq(cJSON_GetArraySize(arr), 6);
	static const char *names[] = {"n1", "n2", "n3", "n4", "n5", "n6"};
	static const char *status[] = {"ok", "ok", "ok", "missing", "no-devices", "unreadable"};
	for (int i = 0; i < 6; i++) {
		it = cJSON_GetArrayItem(arr, i);
		ck_assert_str_eq(cJSON_GetObjectItem(it, "node")->valuestring, names[i]);
		ck_assert_str_eq(cJSON_GetObjectItem(it, "status")->valuestring, status[i]);
		ck_assert_ptr_nonnull(cJSON_GetObjectItem(it, "totals"));
		ck_assert_ptr_nonnull(cJSON_GetObjectItem(it, "status_msg"));
	}
	it = cJSON_GetArrayItem(arr, 1);
	ck_assert_double_eq(cJSON_GetObjectItem(it, "tx_bytes")->valuedouble, 1.8e9);
	ck_assert_double_eq(cJSON_GetObjectItem(it, "rx_packets")->valuedouble, 1800);
	ck_assert_double_eq(cJSON_GetObjectItem(it, "interfaces")->valuedouble, 4);
	ck_assert_double_eq_tol(cJSON_GetObjectItem(it, "avg_gbps")->valuedouble,
				3.6e9 * 8 / 9.5 / 1e9, 1e-9);
	ck_assert_double_eq_tol(cJSON_GetObjectItem(it, "peak_gbps")->valuedouble, 3.2, 1e-9);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(it, "stream_interrupted")));
	ck_assert_str_eq(cJSON_GetObjectItem(it, "stream_msg")->valuestring,
			 "reporter exited with status 1");
	ck_assert_double_eq(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(it, "totals"), "rdma_errors")->valuedouble, 2);
	it = cJSON_GetArrayItem(arr, 4);
	ck_assert_str_eq(cJSON_GetObjectItem(it, "status_msg")->valuestring,
			 "no RDMA device under /sys/class/infiniband");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(it, "totals")), 0);
	cJSON_Delete(root);
	free(text);
	step_summary_destroy(s);
}
END_TEST

/* Even count: the median is the mean of the middle two; ties by name. */
START_TEST(test_summary_stragglers)
{
	struct step_summary *s = step_summary_create("42", "0", false);
	char *text, *json;
	cJSON *root, *arr;

	ck_assert_ptr_nonnull(s);
	_add(s, _mk("d", "0", 0, 1, 500, 0, 0, 1, 0, 0));
	_add(s, _mk("c", "0", 0, 1, 1000, 0, 0, 1, 0, 0));
	_add(s, _mk("b", "0", 0, 1, 100, 0, 0, 1, 0, 0));
	_add(s, _mk("a", "0", 0, 1, 300, 0, 0, 1, 0, 0));
	_add(s, _mk("e", "0", 0, 1, 100, 0, 0, 1, 0, 0));
	/* Traffic 300 1000 100 500 100: median 300, threshold 150. */
	text = _print(s, "");
	ck_assert_ptr_nonnull(strstr(text,
				     "  node b: TX 100 bytes, RX 0 bytes, 1 interface, "
				     "avg 0.00 Gbps TX+RX, peak 0.00 Gbps TX+RX, straggler (33 % "
				     "of the "
				     "median)\n"));
	ck_assert_ptr_nonnull(strstr(text,
				     "  node e: TX 100 bytes, RX 0 bytes, 1 interface, "
				     "avg 0.00 Gbps TX+RX, peak 0.00 Gbps TX+RX, straggler (33 % "
				     "of the "
				     "median)\n"));
	ck_assert_uint_eq(tu_count_substr(text, "straggler"), 2);
	ck_assert_ptr_nonnull(
	    strstr(text, "  slowest node: b (100 bytes, 33 % of the median 300)\n"));
	ck_assert_ptr_nonnull(strstr(text, "  health: none; counter resets 0\n"));
	free(text);
	json = step_summary_to_json(s);
	root = cJSON_Parse(json);
	ck_assert_ptr_nonnull(root);
	arr = cJSON_GetObjectItem(root, "stragglers");
	ck_assert_int_eq(cJSON_GetArraySize(arr), 2);
	ck_assert_str_eq(cJSON_GetArrayItem(arr, 0)->valuestring, "b");
	ck_assert_str_eq(cJSON_GetArrayItem(arr, 1)->valuestring, "e");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(root, "health")), 0);
	cJSON_Delete(root);
	free(json);

	/* A sixth node: 100 100 300 500 1000 1000, median (300+500)/2 = 400. */
	_add(s, _mk("f", "0", 0, 1, 1000, 0, 0, 1, 0, 0));
	text = _print(s, "");
	ck_assert_ptr_nonnull(
	    strstr(text, "  slowest node: b (100 bytes, 25 % of the median 400)\n"));
	ck_assert_uint_eq(tu_count_substr(text, "straggler (25 % of the median)"), 2);
	ck_assert_ptr_null(strstr(text, "node a: TX 300 bytes, RX 0 bytes, 1 interface, avg 0.00 "
					"Gbps TX+RX, peak 0.00 Gbps TX+RX, straggler"));
	free(text);
	step_summary_destroy(s);
}
END_TEST

/* One OK node: no median, no straggler, no slowest line. */
START_TEST(test_summary_single_node)
{
	struct step_summary *s = step_summary_create("7", "3", false);
	char *text, *json;
	cJSON *root;

	ck_assert_ptr_nonnull(s);
	_add(s, _mk("solo", "3", 0, 2, 1000000000, 0, 10, 2, 0, 0));
	text = _print(s, "> ");
	ck_assert_ptr_nonnull(strstr(text, "> job 7 step 3: 1 node, 2 interfaces, 2.00 s\n"));
	ck_assert_ptr_null(strstr(text, "slowest"));
	ck_assert_ptr_null(strstr(text, "straggler"));
	ck_assert_ptr_nonnull(strstr(text, "average TX 4.00 Gbps, RX 0.00 Gbps;"));
	ck_assert_ptr_nonnull(strstr(text, "; 2.0 % of 200 Gb/s line rate\n"));
	free(text);
	json = step_summary_to_json(s);
	root = cJSON_Parse(json);
	ck_assert_ptr_nonnull(root);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(root, "slowest")));
	cJSON_Delete(root);
	free(json);
	step_summary_destroy(s);
}
END_TEST

START_TEST(test_summary_no_ok_node)
{
	struct step_summary *s = step_summary_create("7", "3", false);
	char *text;

	ck_assert_ptr_nonnull(s);
	_add(s, _mk_status("b", NODE_NO_DEVICES, "no device"));
	ck_assert_int_eq(step_summary_expect(s, "a"), 0);
	_add(s, _mk_status("c", NODE_MISSING, ""));
	text = _print(s, "p: ");
	ck_assert_str_eq(text, "p: job 7 step 3: no node reported counters\n"
			       "p:   node a: missing (no report)\n"
			       "p:   node b: no EFA or InfiniBand device (no device)\n"
			       "p:   node c: missing (no report)\n");
	free(text);
	step_summary_destroy(s);

	s = step_summary_create("7", "3", false);
	ck_assert_ptr_nonnull(s);
	text = _print(s, "");
	ck_assert_str_eq(text, "job 7 step 3: no node reported counters\n");
	free(text);
	step_summary_destroy(s);
}
END_TEST

/* srun inside an allocation: it knows how many nodes the step has, and
 * learns their names only from the reports. */
START_TEST(test_summary_expected_count)
{
	struct step_summary *s = step_summary_create("7", "3", false);
	char *text, *json;

	ck_assert_ptr_nonnull(s);
	step_summary_set_missing_reason(s, "no report within 3 s");
	step_summary_expect_count(s, 2);
	text = _print(s, "p: ");
	ck_assert_str_eq(text, "p: job 7 step 3: no node reported counters (2 nodes expected)\n"
			       "p:   2 nodes missing (no report within 3 s; names unknown: no node "
			       "of the step reported them)\n");
	free(text);
	json = step_summary_to_json(s);
	ck_assert_ptr_nonnull(strstr(json, "\"missing_unnamed\":2"));
	free(json);
	/* One node reported and named the other: it is missing by name. */
	_add(s, _mk("n2", "3", 0.0, 1.0, 4000, 4000, 4, 4, 0, 0));
	ck_assert_int_eq(step_summary_expect(s, "n2"), 0);
	ck_assert_int_eq(step_summary_expect(s, "n3"), 0);
	text = _print(s, "");
	ck_assert_ptr_nonnull(strstr(text, "\n  node n3: missing (no report within 3 s)\n"));
	ck_assert_ptr_null(strstr(text, "names unknown"));
	free(text);
	step_summary_destroy(s);
}
END_TEST

/* The step's node list travels with the report; an old report without it
 * still parses. */
START_TEST(test_json_step_nodes)
{
	struct node_report *r = _mk("n2", "0", 0.0, 1.0, 4000, 4000, 4, 1, 0, 0), *back;
	char err[256], *text;

	snprintf(r->step_nodes, sizeof(r->step_nodes), "gpu-[001-064],n2");
	text = node_report_to_json(r);
	ck_assert_ptr_nonnull(text);
	back = node_report_from_json(text, strlen(text), err, sizeof(err));
	ck_assert_msg(back != NULL, "%s", err);
	ck_assert_str_eq(back->step_nodes, "gpu-[001-064],n2");
	node_report_destroy(back);
	free(text);
	r->step_nodes[0] = '\0';
	text = node_report_to_json(r);
	ck_assert_ptr_null(strstr(text, "step_nodes"));
	back = node_report_from_json(text, strlen(text), err, sizeof(err));
	ck_assert_msg(back != NULL, "%s", err);
	ck_assert_str_eq(back->step_nodes, "");
	node_report_destroy(back);
	free(text);
	node_report_destroy(r);
}
END_TEST

/* A re-send of the same report is one report; another step of the node
 * or another node is not a duplicate. */
START_TEST(test_summary_duplicate)
{
	struct step_summary *s = step_summary_create("42", NULL, true);
	char *text;

	ck_assert_ptr_nonnull(s);
	_add(s, _mk("n1", "0", 0, 1, 1000, 1000, 1, 1, 0, 0));
	_add(s, _mk("n1", "0", 0, 1, 1000, 1000, 1, 1, 0, 0)); /* byte for byte */
	_add(s, _mk("n1", "1", 2, 3, 1, 1, 1, 1, 0, 0));       /* another step */
	_add(s, _mk("n2", "0", 0, 1, 1, 1, 1, 1, 0, 0));       /* another node */
	text = _print(s, "");
	ck_assert_ptr_nonnull(strstr(text, "  node n1: TX 1001 bytes, RX 1001 bytes,"));
	ck_assert_ptr_null(strstr(text, "conflicting"));
	free(text);
	step_summary_destroy(s);
}
END_TEST

/* A forged report for a node (signed with the job's key) beside the
 * genuine one: the node is named, its figures left out, whichever came
 * first; an exact re-send of either adds nothing. */
START_TEST(test_summary_conflict)
{
	for (int order = 0; order < 2; order++) {
		struct step_summary *s = step_summary_create("42", "0", false);
		struct node_report *genuine = _mk("n3", "0", 0, 1, 1000, 1000, 1, 1, 0, 0);
		struct node_report *forged = _mk("n3", "0", 0, 1, 9000, 9000, 1, 1, 0, 0);
		char *text, *json;
		cJSON *root, *arr, *it;

		ck_assert_ptr_nonnull(s);
		_add(s, _mk("n1", "0", 0, 1, 500, 500, 1, 1, 0, 0));
		_add(s, _mk("n2", "0", 0, 1, 700, 700, 1, 1, 0, 0));
		_add(s, order ? forged : genuine);
		_add(s, order ? genuine : forged);
		_add(s, _mk("n3", "0", 0, 1, 9000, 9000, 1, 1, 0, 0)); /* the forged one again */
		text = _print(s, "p: ");
		ck_assert_msg(strstr(text,
				     "p:   node n3: 2 conflicting reports; its figures are left "
				     "out\n"),
			      "%s", text);
		ck_assert_ptr_nonnull(
		    strstr(text, "p: job 42 step 0: 2 nodes, 2 interfaces, 1.00 s\n"));
		ck_assert_ptr_nonnull(strstr(text, "p:   TX 1200 bytes (0.00 GB)"));
		ck_assert_ptr_null(strstr(text, "node n3: TX"));
		free(text);
		json = step_summary_to_json(s);
		root = cJSON_Parse(json);
		ck_assert_ptr_nonnull(root);
		ck_assert_double_eq(cJSON_GetObjectItem(root, "nodes")->valuedouble, 2);
		arr = cJSON_GetObjectItem(root, "conflicts");
		ck_assert_int_eq(cJSON_GetArraySize(arr), 1);
		ck_assert_str_eq(cJSON_GetArrayItem(arr, 0)->valuestring, "n3");
		it = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "nodes_detail"), 2);
		ck_assert_str_eq(cJSON_GetObjectItem(it, "node")->valuestring, "n3");
		ck_assert_str_eq(cJSON_GetObjectItem(it, "status")->valuestring, "conflict");
		ck_assert_double_eq(cJSON_GetObjectItem(it, "conflicting_reports")->valuedouble, 2);
		ck_assert_double_eq(cJSON_GetObjectItem(it, "tx_bytes")->valuedouble, 0);
		ck_assert_ptr_null(cJSON_GetObjectItem(root, "refused_reports"));
		cJSON_Delete(root);
		free(json);
		/* A third, different one. */
		_add(s, _mk("n3", "0", 0, 1, 1, 1, 1, 1, 0, 0));
		text = _print(s, "");
		ck_assert_ptr_nonnull(
		    strstr(text, "  node n3: 3 conflicting reports; its figures are left out\n"));
		free(text);
		step_summary_destroy(s);
	}
}
END_TEST

/* Without conflicts, the JSON has no conflict keys (existing documents
 * are unchanged). */
START_TEST(test_summary_no_conflict_keys)
{
	struct step_summary *s = _three_nodes();
	char *json = step_summary_to_json(s);

	ck_assert_ptr_nonnull(json);
	ck_assert_ptr_null(strstr(json, "conflict"));
	ck_assert_ptr_null(strstr(json, "refused"));
	free(json);
	step_summary_destroy(s);
}
END_TEST

/* Past the caps, reports are refused and counted: by reports (conflicting
 * ones count too) and by interface records. */
START_TEST(test_summary_cap)
{
	struct step_summary *s = step_summary_create("42", "0", false);
	char node[32], *text, *json;
	cJSON *root;

	ck_assert_ptr_nonnull(s);
	step_summary_limit(s, 100, 0);
	step_summary_limit(s, 1000000, 0); /* never raised */
	for (int i = 0; i < 103; i++) {
		struct node_report *r = _mk_status("x", NODE_NO_DEVICES, "none");
		snprintf(node, sizeof(node), "n%03d", i);
		snprintf(r->node, sizeof(r->node), "%s", node);
		_add(s, r);
	}
	/* A conflicting one past the cap is refused too; an exact copy is
	 * still the same report. */
	_add(s, _mk_status("n000", NODE_UNREADABLE, "other"));
	struct node_report *copy = _mk_status("n000", NODE_NO_DEVICES, "none");
	_add(s, copy);
	text = _print(s, "");
	ck_assert_ptr_nonnull(strstr(text, "  node n099: no EFA or InfiniBand device (none)\n"));
	ck_assert_ptr_null(strstr(text, "node n100"));
	ck_assert_ptr_null(strstr(text, "conflicting"));
	ck_assert_msg(strstr(text, "  4 reports refused: a summary holds at most 100 reports "
				   "and 1048576 interfaces\n"),
		      "%s", text);
	free(text);
	json = step_summary_to_json(s);
	root = cJSON_Parse(json);
	ck_assert_ptr_nonnull(root);
	ck_assert_double_eq(cJSON_GetObjectItem(root, "refused_reports")->valuedouble, 4);
	cJSON_Delete(root);
	free(json);
	step_summary_destroy(s);

	/* Interfaces, at most 10: n3's 4 do not fit after 8; n4's 2 do. */
	s = step_summary_create("42", NULL, true);
	ck_assert_ptr_nonnull(s);
	step_summary_limit(s, 0, 10);
	_add(s, _mk("n1", "0", 0, 1, 100, 100, 1, 4, 0, 0));
	_add(s, _mk("n2", "0", 0, 1, 100, 100, 1, 4, 0, 0));
	_add(s, _mk("n3", "0", 0, 1, 100, 100, 1, 4, 0, 0));
	_add(s, _mk("n4", "0", 0, 1, 100, 100, 1, 2, 0, 0));
	text = _print(s, "");
	ck_assert_ptr_nonnull(strstr(text, "job 42: 3 nodes, 10 interfaces"));
	ck_assert_ptr_nonnull(strstr(text, "  1 report refused: a summary holds at most 65536 "
					   "reports and 10 interfaces\n"));
	free(text);
	step_summary_destroy(s);
}
END_TEST

/* No node moved data: no slowest node (0 % of a median of 0 means
 * nothing). */
START_TEST(test_summary_zero_traffic)
{
	struct step_summary *s = step_summary_create("42", "0", false);
	char *text, *json;
	cJSON *root;

	ck_assert_ptr_nonnull(s);
	_add(s, _mk("n1", "0", 0, 1, 0, 0, 0, 1, 0, 0));
	_add(s, _mk("n2", "0", 0, 1, 0, 0, 0, 1, 0, 0));
	_add(s, _mk("n3", "0", 0, 1, 0, 0, 0, 1, 0, 0));
	text = _print(s, "");
	ck_assert_ptr_nonnull(strstr(text, "job 42 step 0: 3 nodes"));
	ck_assert_ptr_null(strstr(text, "slowest"));
	ck_assert_ptr_null(strstr(text, "straggler"));
	ck_assert_uint_eq(tu_count_substr(text, "avg 0.00 Gbps TX+RX, peak 0.00 Gbps TX+RX\n"), 3);
	free(text);
	json = step_summary_to_json(s);
	root = cJSON_Parse(json);
	ck_assert_ptr_nonnull(root);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(root, "slowest")));
	cJSON_Delete(root);
	free(json);
	/* One node moving data, two not: the median is still 0. */
	_add(s, _mk("n4", "0", 0, 1, 0, 0, 0, 1, 0, 0));
	_add(s, _mk("n5", "0", 0, 1, 100, 0, 0, 1, 0, 0));
	text = _print(s, "");
	ck_assert_ptr_null(strstr(text, "slowest"));
	free(text);
	step_summary_destroy(s);
}
END_TEST

/* Job level: overlapping windows of one node are not counted twice. */
START_TEST(test_job_level_merge)
{
	struct step_summary *s = step_summary_create("42", NULL, true);
	struct node_report *a, *b, *c;
	char *text, *json;
	cJSON *root, *node;

	ck_assert_ptr_nonnull(s);
	/* Step 0 over [0, 10] s: 1000 -> 6000. Step 1 over [5, 15] s: 3500 ->
	 * 9000. Together 1000 -> 9000: 8000, not 5000 + 5500. */
	a = _mk("n1", "0", 0, 10, 0, 0, 0, 1, 100, 0);
	a->ifaces[0].start[METRIC_TX_BYTES] = 1000;
	a->ifaces[0].end[METRIC_TX_BYTES] = 6000;
	a->ifaces[0].total[METRIC_TX_BYTES] = 5000;
	b = _mk("n1", "1", 5, 15, 0, 0, 0, 1, 300, 0);
	b->ifaces[0].start[METRIC_TX_BYTES] = 3500;
	b->ifaces[0].end[METRIC_TX_BYTES] = 9000;
	b->ifaces[0].total[METRIC_TX_BYTES] = 5500;
	/* Step 2 over [20, 30] s, apart: 10000 -> 10400, added. */
	c = _mk("n1", "2", 20, 30, 0, 0, 0, 1, 200, 0);
	c->ifaces[0].start[METRIC_TX_BYTES] = 10000;
	c->ifaces[0].end[METRIC_TX_BYTES] = 10400;
	c->ifaces[0].total[METRIC_TX_BYTES] = 400;
	_add(s, c);
	_add(s, b);
	_add(s, a);
	text = _print(s, "");
	ck_assert_str_eq(
	    text,
	    "job 42: 1 node, 1 interface, 30.00 s (all monitored steps)\n"
	    "  TX 8400 bytes (0.00 GB), 0 packets; RX 0 bytes (0.00 GB), 0 packets\n"
	    "  average TX 0.00 Gbps, RX 0.00 Gbps; peak TX 0.00 Gbps, RX 0.00 Gbps "
	    "(sum of node peaks); 0.0 % of 100 Gb/s line rate\n"
	    "  health: none; counter resets 0\n"
	    "  node n1: TX 8400 bytes, RX 0 bytes, 1 interface, avg 0.00 Gbps TX+RX, peak 0.00 "
	    "Gbps TX+RX\n");
	free(text);
	json = step_summary_to_json(s);
	root = cJSON_Parse(json);
	ck_assert_ptr_nonnull(root);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(root, "step_id")));
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(root, "job_level")));
	ck_assert_double_eq(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(root, "totals"), "tx_bytes")->valuedouble,
	    8400);
	/* Peak: the largest; average over the 25 s the node was watched. */
	ck_assert_double_eq(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(root, "peak_rate_sum"), "tx_bytes")
		->valuedouble,
	    300);
	node = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "nodes_detail"), 0);
	ck_assert_double_eq_tol(cJSON_GetObjectItem(node, "avg_gbps")->valuedouble,
				8400.0 * 8 / 25 / 1e9, 1e-15);
	cJSON_Delete(root);
	free(json);
	step_summary_destroy(s);
}
END_TEST

/* Job level, a reset inside an overlapping group: the largest single
 * total, never a difference across the reset. Non-overlapping groups on
 * several nodes still sum per node. */
START_TEST(test_job_level_reset)
{
	struct step_summary *s = step_summary_create("42", NULL, true);
	struct node_report *a, *b;
	char *json;
	cJSON *root, *arr;

	ck_assert_ptr_nonnull(s);
	a = _mk("n1", "0", 0, 10, 0, 0, 0, 1, 0, 0);
	a->ifaces[0].start[METRIC_TX_BYTES] = 1000;
	a->ifaces[0].end[METRIC_TX_BYTES] = 6000;
	a->ifaces[0].total[METRIC_TX_BYTES] = 5000;
	b = _mk("n1", "1", 10, 20, 0, 0, 0, 1, 0, 0); /* touches: same group */
	b->ifaces[0].start[METRIC_TX_BYTES] = 6000;
	b->ifaces[0].end[METRIC_TX_BYTES] = 700;
	b->ifaces[0].total[METRIC_TX_BYTES] = 700;
	b->ifaces[0].resets = 1;
	_add(s, a);
	_add(s, b);
	_add(s, _mk("n2", "0", 0, 10, 100, 10, 0, 1, 0, 0));
	_add(s, _mk("n2", "1", 11, 20, 100, 10, 0, 1, 0, 0));
	json = step_summary_to_json(s);
	root = cJSON_Parse(json);
	ck_assert_ptr_nonnull(root);
	arr = cJSON_GetObjectItem(root, "nodes_detail");
	ck_assert_double_eq(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "tx_bytes")->valuedouble, 5000);
	ck_assert_double_eq(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "tx_bytes")->valuedouble, 200);
	ck_assert_double_eq(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "rx_bytes")->valuedouble, 20);
	ck_assert_double_eq(cJSON_GetObjectItem(root, "resets")->valuedouble, 1);
	ck_assert_double_eq(cJSON_GetObjectItem(root, "nodes")->valuedouble, 2);
	ck_assert_double_eq(cJSON_GetObjectItem(root, "interfaces")->valuedouble, 2);
	cJSON_Delete(root);
	free(json);
	step_summary_destroy(s);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc;

	tc = tcase_create("snapshots");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_from_snapshots_bad_args);
	tcase_add_test(tc, test_from_snapshots_exact);
	tcase_add_test(tc, test_from_snapshots_ib_words);
	tcase_add_test(tc, test_from_snapshots_reset);
	tcase_add_test(tc, test_from_snapshots_broken_counter);
	tcase_add_test(tc, test_from_snapshots_hotplug);
	tcase_add_test(tc, test_set_peaks);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_json_rejects_text);
	tcase_add_test(tc, test_json_rejects_fields);
	tcase_add_test(tc, test_json_iface_cap);
	tcase_add_test(tc, test_json_round_trip);
	tcase_add_test(tc, test_json_round_trip_real);
	tcase_add_test(tc, test_json_lenient);
	tcase_add_test(tc, test_json_text_scrubbed);
	tcase_add_test(tc, test_status_names);
	tcase_add_test(tc, test_json_step_nodes);
	suite_add_tcase(s, tc);

	tc = tcase_create("summary");
	tcase_add_test(tc, test_summary_bad_args);
	tcase_add_test(tc, test_summary_duplicate);
	tcase_add_test(tc, test_summary_conflict);
	tcase_add_test(tc, test_summary_no_conflict_keys);
	tcase_add_test(tc, test_summary_cap);
	tcase_add_test(tc, test_summary_zero_traffic);
	tcase_add_test(tc, test_summary_text);
	tcase_add_test(tc, test_summary_json);
	tcase_add_test(tc, test_summary_stragglers);
	tcase_add_test(tc, test_summary_single_node);
	tcase_add_test(tc, test_summary_no_ok_node);
	tcase_add_test(tc, test_summary_expected_count);
	tcase_add_test(tc, test_job_level_merge);
	tcase_add_test(tc, test_job_level_reset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}

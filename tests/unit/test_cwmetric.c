/*
 * test_cwmetric.c - the CloudWatch metric table, dimension sets, and the
 * datums of an interval: exact values per interface and node roll-ups, and
 * no value for a metric whose counter a device lacks.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwmetric.h"
#include "fabric.h"
#include "testutil.h"

#define SEC 1000000000ull

/* ------------------------------------------------------------- table -- */

START_TEST(test_table_keeps_the_seed_names)
{
	static const char *const seed[][2] = {
		{"rx_bytes_rate", "Bytes/Second"}, {"tx_bytes_rate", "Bytes/Second"},
		{"rx_packets_rate", "Count/Second"}, {"tx_packets_rate", "Count/Second"},
		{"rx_errors", "Count"}, {"tx_discards", "Count"},
	};
	ck_assert_uint_eq(cw_metric_count(), 13);
	for (size_t i = 0; i < 6; i++) {
		ck_assert_str_eq(cw_metric(i)->name, seed[i][0]);
		ck_assert_str_eq(cw_metric(i)->unit, seed[i][1]);
	}
	ck_assert_int_eq(cw_metric(0)->source, METRIC_RX_BYTES);
	ck_assert(cw_metric(0)->rate);
	ck_assert(!cw_metric(4)->rate);
	ck_assert_str_eq(cw_metric(6)->name, "rx_drops");
	ck_assert_str_eq(cw_metric(12)->name, "link_errors");
	ck_assert_ptr_null(cw_metric(13));
}
END_TEST

/* ---------------------------------------------------- dimension sets -- */

START_TEST(test_dimsets_parse)
{
	struct cw_dimsets d;
	char err[256];

	ck_assert_int_eq(cw_dimsets_parse("InstanceId,Interface,JobId", &d, err, sizeof(err)), 0);
	ck_assert_uint_eq(d.count, 1);
	ck_assert_uint_eq(d.set[0], CW_DIM_INSTANCE | CW_DIM_INTERFACE | CW_DIM_JOB);

	ck_assert_int_eq(cw_dimsets_parse("JobId; JobId , InstanceId ;StepId,JobId", &d, err,
					  sizeof(err)), 0);
	ck_assert_uint_eq(d.count, 3);
	ck_assert_uint_eq(d.set[0], CW_DIM_JOB);
	ck_assert_uint_eq(d.set[1], CW_DIM_JOB | CW_DIM_INSTANCE);
	ck_assert_uint_eq(d.set[2], CW_DIM_JOB | CW_DIM_STEP);
}
END_TEST

START_TEST(test_dimsets_errors_name_the_problem)
{
	struct cw_dimsets d;
	char err[256];

	ck_assert_int_eq(cw_dimsets_parse("InstanceId,Host", &d, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "unknown dimension 'Host'") && strstr(err, "InstanceId, Interface"),
		      "%s", err);
	ck_assert_int_eq(cw_dimsets_parse("JobId;;InstanceId", &d, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "empty dimension set"), "%s", err);
	ck_assert_int_eq(cw_dimsets_parse("JobId,JobId", &d, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "'JobId' twice"), "%s", err);
	ck_assert_int_eq(cw_dimsets_parse("", &d, err, sizeof(err)), -1);
	ck_assert_int_eq(cw_dimsets_parse("jobid", &d, err, sizeof(err)), -1);
	ck_assert_int_eq(cw_dimsets_parse("J;J;J;J;J;J;J;J;J", &d, err, sizeof(err)), -1);
	ck_assert_int_eq(cw_dimsets_parse("JobId;JobId;JobId;JobId;JobId;JobId;JobId;JobId;JobId",
					  &d, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "more than 8"), "%s", err);
}
END_TEST

START_TEST(test_dimsets_resolve_without_a_job)
{
	struct cw_dimsets d;
	char err[256];

	/* The node daemon: JobId goes; {JobId} alone becomes empty and goes;
	 * {InstanceId,Interface} twice stays once. */
	ck_assert_int_eq(cw_dimsets_parse("InstanceId,Interface,JobId;JobId;InstanceId,Interface",
					  &d, err, sizeof(err)), 0);
	cw_dimsets_resolve(&d, false, false);
	ck_assert_uint_eq(d.count, 1);
	ck_assert_uint_eq(d.set[0], CW_DIM_INSTANCE | CW_DIM_INTERFACE);

	ck_assert_int_eq(cw_dimsets_parse("JobId,StepId;JobId", &d, err, sizeof(err)), 0);
	cw_dimsets_resolve(&d, true, false);
	ck_assert_uint_eq(d.count, 1);
	ck_assert_uint_eq(d.set[0], CW_DIM_JOB);

	ck_assert_int_eq(cw_dimsets_parse("JobId,StepId;JobId", &d, err, sizeof(err)), 0);
	cw_dimsets_resolve(&d, true, true);
	ck_assert_uint_eq(d.count, 2);
}
END_TEST

/* ------------------------------------------------------------ datums -- */

static char *_root;
static struct fabric *_f;
static struct tracker *_t;
static struct snapshot *_s;

struct seen {
	size_t n;
	struct {
		char name[64], iface[64];
		unsigned dims;
		double value;
	} d[2048];
};

static void _collect(const struct cw_datum *d, void *arg)
{
	struct seen *s = arg;
	ck_assert_uint_lt(s->n, 2048);
	snprintf(s->d[s->n].name, sizeof(s->d[s->n].name), "%s", d->def->name);
	snprintf(s->d[s->n].iface, sizeof(s->d[s->n].iface), "%s",
		 d->interface ? d->interface : "");
	s->d[s->n].dims = d->dims;
	s->d[s->n].value = d->value;
	s->n++;
}

/* The value of datum (name, iface, dims); ck_aborts unless exactly one. */
static double _value(const struct seen *s, const char *name, const char *iface, unsigned dims)
{
	size_t found = 0;
	double v = 0;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->d[i].name, name) && !strcmp(s->d[i].iface, iface) &&
		    s->d[i].dims == dims) {
			found++;
			v = s->d[i].value;
		}
	ck_assert_msg(found == 1, "%s/%s/%u found %zu times", name, iface, dims, found);
	return v;
}

static size_t _count(const struct seen *s, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += !strcmp(s->d[i].name, name);
	return n;
}

static void _setup(void)
{
	_root = tu_mkdtemp("cwmetric");
	tu_log_capture();
	_t = tracker_create();
	_s = snapshot_create();
	ck_assert(_t && _s);
}

static void _teardown(void)
{
	fabric_destroy(_f);
	_f = NULL;
	tracker_destroy(_t);
	snapshot_destroy(_s);
	tu_log_restore();
	tu_rm_rf(_root);
	free(_root);
}

static void _update_at(uint64_t ns)
{
	ck_assert_int_eq(fabric_sample(_f, _s), 0);
	_s->mono_ns = ns;
	ck_assert_int_eq(tracker_update(_t, _s), 0);
}

START_TEST(test_efa_datums_exact)
{
	struct cw_dimsets d;
	char err[256];
	static struct seen s;
	const unsigned full = CW_DIM_INSTANCE | CW_DIM_INTERFACE | CW_DIM_JOB;

	tu_efasim("create %s --shape p4d", _root);
	_f = fabric_create(_root);
	ck_assert_ptr_nonnull(_f);
	ck_assert_int_eq(cw_dimsets_parse("InstanceId,Interface,JobId;JobId", &d, err, sizeof(err)),
			 0);
	_update_at(1 * SEC);
	/* No interval yet: nothing to publish. */
	memset(&s, 0, sizeof(s));
	ck_assert_uint_eq(cw_datums_each(_t, &d, _collect, &s), 0);

	tu_efasim("traffic %s --device rdmap16s27 --tx-bytes 4000000 --rx-bytes 2000 --tx-pkts 8",
		  _root);
	tu_efasim("traffic %s --device rdmap32s28 --tx-bytes 1000000", _root);
	tu_efasim("advance %s rx_drops=3 rdma_read_wr_err=4 rdma_write_wr_err=1 --device rdmap16s27", _root);
	_update_at(3 * SEC);
	memset(&s, 0, sizeof(s));
	size_t n = cw_datums_each(_t, &d, _collect, &s);
	ck_assert_uint_eq(n, s.n);

	ck_assert_double_eq(_value(&s, "tx_bytes_rate", "rdmap16s27", full), 2e6);
	ck_assert_double_eq(_value(&s, "rx_bytes_rate", "rdmap16s27", full), 1000.0);
	ck_assert_double_eq(_value(&s, "tx_packets_rate", "rdmap16s27", full), 4.0);
	ck_assert_double_eq(_value(&s, "tx_bytes_rate", "rdmap32s28", full), 5e5);
	ck_assert_double_eq(_value(&s, "rx_drops", "rdmap16s27", full), 3.0);
	ck_assert_double_eq(_value(&s, "rdma_errors", "rdmap16s27", full), 5.0);
	ck_assert_double_eq(_value(&s, "rx_drops", "rdmap32s28", full), 0.0);
	/* The roll-up: the node's sum. */
	ck_assert_double_eq(_value(&s, "tx_bytes_rate", "", CW_DIM_JOB), 2.5e6);
	ck_assert_double_eq(_value(&s, "rx_drops", "", CW_DIM_JOB), 3.0);
	/* EFA has no rx_errors/tx_discards/link_errors source, and this
	 * kernel's p4d no retransmit counters: none invented. */
	ck_assert_uint_eq(_count(&s, "retrans_packets"), 0);
	ck_assert_uint_eq(_count(&s, "rx_errors"), 0);
	ck_assert_uint_eq(_count(&s, "tx_discards"), 0);
	ck_assert_uint_eq(_count(&s, "link_errors"), 0);
	/* 4 interfaces + 1 roll-up for each of the 6 metrics this p4d has. */
	ck_assert_uint_eq(_count(&s, "tx_bytes_rate"), 5);
	ck_assert_uint_eq(n, 6 * 5);
}
END_TEST

START_TEST(test_ib_has_errors_not_efa_health)
{
	struct cw_dimsets d;
	char err[256];
	static struct seen s;
	const unsigned dims = CW_DIM_INSTANCE | CW_DIM_INTERFACE;

	tu_efasim("create %s --shape mlx5", _root);
	_f = fabric_create(_root);
	ck_assert_ptr_nonnull(_f);
	ck_assert_int_eq(cw_dimsets_parse("InstanceId,Interface", &d, err, sizeof(err)), 0);
	_update_at(1 * SEC);
	/* port_xmit_data counts 4-byte words: 1000 words are 4000 bytes. */
	tu_efasim("advance %s port_xmit_data=1000 port_rcv_errors=2 --device mlx5_0", _root);
	_update_at(2 * SEC);
	memset(&s, 0, sizeof(s));
	cw_datums_each(_t, &d, _collect, &s);
	ck_assert_double_eq(_value(&s, "tx_bytes_rate", "mlx5_0", dims), 4000.0);
	ck_assert_double_eq(_value(&s, "rx_errors", "mlx5_0", dims), 2.0);
	ck_assert_double_eq(_value(&s, "tx_discards", "mlx5_0", dims), 0.0);
	ck_assert_uint_eq(_count(&s, "rx_drops"), 0);
	ck_assert_uint_eq(_count(&s, "retrans_packets"), 0);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("cwmetric");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, test_table_keeps_the_seed_names);
	tcase_add_test(tc, test_dimsets_parse);
	tcase_add_test(tc, test_dimsets_errors_name_the_problem);
	tcase_add_test(tc, test_dimsets_resolve_without_a_job);
	suite_add_tcase(s, tc);
	tc = tcase_create("datums");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_add_test(tc, test_efa_datums_exact);
	tcase_add_test(tc, test_ib_has_errors_not_efa_health);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}

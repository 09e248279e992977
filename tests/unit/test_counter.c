/*
 * test_counter.c - the counter table: classes, metrics, multipliers, the
 * health-word fallback, ignored files and expected counters.
 */
#include "config.h"

#include <string.h>

#include "counter.h"
#include "testutil.h"

struct desc_case {
	const char *name;
	enum counter_class klass;
	enum metric_id metric;
	uint32_t multiplier;
	bool device_scope;
};

static const struct desc_case _efa_cases[] = {
	{"tx_bytes", CLASS_TRAFFIC, METRIC_TX_BYTES, 1, false},
	{"rx_bytes", CLASS_TRAFFIC, METRIC_RX_BYTES, 1, false},
	{"tx_pkts", CLASS_TRAFFIC, METRIC_TX_PKTS, 1, false},
	{"rx_pkts", CLASS_TRAFFIC, METRIC_RX_PKTS, 1, false},
	{"rx_drops", CLASS_HEALTH, METRIC_RX_DROPS, 1, false},
	{"send_bytes", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"recv_wrs", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"rdma_read_bytes", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"rdma_write_recv_bytes", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"rdma_read_wr_err", CLASS_HEALTH, METRIC_RDMA_ERRORS, 1, false},
	{"rdma_write_wr_err", CLASS_HEALTH, METRIC_RDMA_ERRORS, 1, false},
	{"retrans_bytes", CLASS_HEALTH, METRIC_NONE, 1, false},
	{"retrans_pkts", CLASS_HEALTH, METRIC_RETRANS_PKTS, 1, false},
	{"retrans_timeout_events", CLASS_HEALTH, METRIC_RETRANS_TIMEOUTS, 1, false},
	{"unresponsive_remote_events", CLASS_HEALTH, METRIC_UNRESPONSIVE_REMOTE, 1, false},
	{"impaired_remote_conn_events", CLASS_HEALTH, METRIC_IMPAIRED_REMOTE, 1, false},
	{"submitted_cmds", CLASS_DRIVER, METRIC_NONE, 1, true},
	{"completed_cmds", CLASS_DRIVER, METRIC_NONE, 1, true},
	{"keep_alive_rcvd", CLASS_DRIVER, METRIC_NONE, 1, true},
	{"cmds_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"no_completion_cmds", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"alloc_pd_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"mmap_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"alloc_mr_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"get_dma_mr_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	/* Unknown names: still described, by the health words. */
	{"foo_err", CLASS_HEALTH, METRIC_NONE, 1, false},
	{"foo_drops", CLASS_HEALTH, METRIC_NONE, 1, false},
	{"foo", CLASS_OTHER, METRIC_NONE, 1, false},
	/* IB names mean nothing special on EFA: no x4 there. */
	{"port_xmit_data", CLASS_OTHER, METRIC_NONE, 1, false},
};

static const struct desc_case _ib_cases[] = {
	{"port_xmit_data", CLASS_TRAFFIC, METRIC_TX_BYTES, 4, false},
	{"port_rcv_data", CLASS_TRAFFIC, METRIC_RX_BYTES, 4, false},
	{"port_xmit_packets", CLASS_TRAFFIC, METRIC_TX_PKTS, 1, false},
	{"port_rcv_packets", CLASS_TRAFFIC, METRIC_RX_PKTS, 1, false},
	{"port_rcv_errors", CLASS_HEALTH, METRIC_RX_ERRORS, 1, false},
	{"port_xmit_discards", CLASS_HEALTH, METRIC_TX_DISCARDS, 1, false},
	{"symbol_error", CLASS_HEALTH, METRIC_LINK_ERRORS, 1, false},
	{"link_downed", CLASS_HEALTH, METRIC_LINK_ERRORS, 1, false},
	{"link_error_recovery", CLASS_HEALTH, METRIC_LINK_ERRORS, 1, false},
	{"port_unicast_xmit_packets", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"port_multicast_rcv_packets", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"port_xmit_wait", CLASS_OTHER, METRIC_NONE, 1, false},
	{"VL15_dropped", CLASS_HEALTH, METRIC_NONE, 1, false},
	{"out_of_buffer", CLASS_HEALTH, METRIC_NONE, 1, false},
	{"rx_write_requests", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"port_rcv_remote_physical_errors", CLASS_HEALTH, METRIC_NONE, 1, false},
	{"local_ack_timeout_err", CLASS_HEALTH, METRIC_NONE, 1, false},
	{"rnr_nak_retry_err", CLASS_HEALTH, METRIC_NONE, 1, false},
	{"duplicate_request", CLASS_OTHER, METRIC_NONE, 1, false},
	{"foo_err", CLASS_HEALTH, METRIC_NONE, 1, false},
	{"foo", CLASS_OTHER, METRIC_NONE, 1, false},
	/* EFA names mean nothing special on IB. */
	{"tx_bytes", CLASS_OTHER, METRIC_NONE, 1, false},
	{"submitted_cmds", CLASS_OTHER, METRIC_NONE, 1, false},
};

static void _check_desc(enum device_type type, const struct desc_case *c)
{
	struct counter_desc d;

	memset(&d, 0xa5, sizeof(d));
	counter_describe(type, c->name, &d);
	ck_assert_msg(d.klass == c->klass, "%s %s: class %d, expected %d",
		      device_type_name(type), c->name, d.klass, c->klass);
	ck_assert_msg(d.metric == c->metric, "%s %s: metric %s, expected %s",
		      device_type_name(type), c->name, metric_name(d.metric),
		      metric_name(c->metric));
	ck_assert_msg(d.multiplier == c->multiplier, "%s %s: multiplier %u, expected %u",
		      device_type_name(type), c->name, d.multiplier, c->multiplier);
	ck_assert_msg(d.device_scope == c->device_scope, "%s %s: device_scope %d",
		      device_type_name(type), c->name, d.device_scope);
}

START_TEST(test_efa_table)
{
	_check_desc(DEVICE_EFA, &_efa_cases[_i]);
}
END_TEST

START_TEST(test_ib_table)
{
	_check_desc(DEVICE_IB, &_ib_cases[_i]);
}
END_TEST

START_TEST(test_describe_bad_type)
{
	struct counter_desc d;

	counter_describe(DEVICE_TYPE_COUNT, "tx_bytes", &d);
	ck_assert_int_eq(d.klass, CLASS_OTHER);
	ck_assert_int_eq(d.metric, METRIC_NONE);
	ck_assert_uint_eq(d.multiplier, 1);
}
END_TEST

START_TEST(test_ignored)
{
	ck_assert(counter_is_ignored("lifespan"));
	ck_assert(counter_is_ignored(".efasim.json"));
	ck_assert(counter_is_ignored("."));
	ck_assert(!counter_is_ignored("tx_bytes"));
	ck_assert(!counter_is_ignored("lifespan_ms"));
	ck_assert(!counter_is_ignored("port_xmit_data"));
}
END_TEST

static const char *const _metric_names[METRIC_COUNT] = {
	"tx_bytes", "rx_bytes", "tx_packets", "rx_packets", "rx_errors",
	"tx_discards", "rx_drops", "rdma_errors", "retrans_packets",
	"retrans_timeouts", "unresponsive_remote", "impaired_remote",
	"link_errors"};

START_TEST(test_metric_round_trip)
{
	enum metric_id m = (enum metric_id)_i;

	ck_assert_str_eq(metric_name(m), _metric_names[_i]);
	ck_assert_int_eq(metric_parse(metric_name(m)), m);
	/* Traffic is not health; everything after the four traffic metrics is. */
	ck_assert_int_eq(metric_is_health(m), _i >= METRIC_RX_ERRORS);
}
END_TEST

START_TEST(test_metric_edges)
{
	ck_assert_str_eq(metric_name(METRIC_NONE), "none");
	ck_assert_str_eq(metric_name(METRIC_COUNT), "none");
	ck_assert_int_eq(metric_parse("bogus"), METRIC_NONE);
	ck_assert_int_eq(metric_parse(""), METRIC_NONE);
	ck_assert_int_eq(metric_parse("TX_BYTES"), METRIC_NONE);
	ck_assert_int_eq(metric_parse("tx_pkts"), METRIC_NONE);
	ck_assert_int_eq(metric_parse(NULL), METRIC_NONE);
	ck_assert(!metric_is_health(METRIC_NONE));
	ck_assert(!metric_is_health(METRIC_COUNT));
	ck_assert_str_eq(device_type_name(DEVICE_EFA), "efa");
	ck_assert_str_eq(device_type_name(DEVICE_IB), "ib");
	ck_assert_str_eq(device_type_name(DEVICE_TYPE_COUNT), "unknown");
}
END_TEST

static size_t _len(const char *const *list)
{
	size_t n = 0;
	while (list[n])
		n++;
	return n;
}

START_TEST(test_expected)
{
	static const char *const efa[] = {"tx_bytes", "rx_bytes", "tx_pkts", "rx_pkts",
					  "rx_drops"};
	static const char *const ib[] = {"port_xmit_data", "port_rcv_data",
					 "port_xmit_packets", "port_rcv_packets"};
	const char *dir = NULL;
	const char *const *l;

	l = counter_expected(DEVICE_EFA, &dir);
	ck_assert_str_eq(dir, "hw_counters");
	ck_assert_uint_eq(_len(l), 5);
	for (size_t i = 0; i < 5; i++)
		ck_assert_str_eq(l[i], efa[i]);

	dir = NULL;
	l = counter_expected(DEVICE_IB, &dir);
	ck_assert_str_eq(dir, "counters");
	ck_assert_uint_eq(_len(l), 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_str_eq(l[i], ib[i]);
}
END_TEST

/* Every expected counter is a known port counter feeding a metric. */
START_TEST(test_expected_are_known)
{
	for (int t = 0; t < DEVICE_TYPE_COUNT; t++) {
		const char *dir;
		const char *const *l = counter_expected((enum device_type)t, &dir);
		for (size_t i = 0; l[i]; i++) {
			struct counter_desc d;
			counter_describe((enum device_type)t, l[i], &d);
			ck_assert_msg(d.metric != METRIC_NONE, "%s expected %s feeds no metric",
				      device_type_name((enum device_type)t), l[i]);
			ck_assert(!d.device_scope);
			ck_assert(!counter_is_ignored(l[i]));
		}
	}
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("counter");
	TCase *tc;

	tc = tcase_create("efa");
	tcase_add_loop_test(tc, test_efa_table, 0,
			    (int)(sizeof(_efa_cases) / sizeof(_efa_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("ib");
	tcase_add_loop_test(tc, test_ib_table, 0,
			    (int)(sizeof(_ib_cases) / sizeof(_ib_cases[0])));
	tcase_add_test(tc, test_describe_bad_type);
	suite_add_tcase(s, tc);

	tc = tcase_create("ignored");
	tcase_add_test(tc, test_ignored);
	suite_add_tcase(s, tc);

	tc = tcase_create("metrics");
	tcase_add_loop_test(tc, test_metric_round_trip, 0, METRIC_COUNT);
	tcase_add_test(tc, test_metric_edges);
	suite_add_tcase(s, tc);

	tc = tcase_create("expected");
	tcase_add_test(tc, test_expected);
	tcase_add_test(tc, test_expected_are_known);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}

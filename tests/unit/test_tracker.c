/*
 * test_tracker.c - from snapshots to per-interface figures: exact deltas,
 * totals and rates, resets, bridged gaps, the IB x4 rule, the node
 * aggregate, peaks, metric presence and devices that come and go.
 *
 * Snapshots come from a fabric on an efasim tree; their mono_ns is then
 * set by hand (k seconds) so that every rate is exact.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fabric.h"
#include "rate.h"
#include "tracker.h"
#include "testutil.h"

#define SEC 1000000000ull

static char *_root;
static struct fabric *_f;
static struct tracker *_t;
static struct snapshot *_s;

static void _setup(void)
{
	_root = tu_mkdtemp("tracker");
	tu_log_capture();
	_t = tracker_create();
	ck_assert_ptr_nonnull(_t);
	_s = snapshot_create();
	ck_assert_ptr_nonnull(_s);
	_f = NULL;
}

static void _teardown(void)
{
	fabric_destroy(_f);
	tracker_destroy(_t);
	snapshot_destroy(_s);
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

/* Sample the fabric, stamp it at 'ns', feed the tracker. */
static void _update_at(uint64_t ns)
{
	ck_assert_int_eq(fabric_sample(_f, _s), 0);
	_s->mono_ns = ns;
	ck_assert_msg(tracker_update(_t, _s) == 0, "tracker_update: %s", strerror(errno));
}

static const struct iface_stats *_iface(const char *name)
{
	for (size_t i = 0; i < tracker_iface_count(_t); i++)
		if (strcmp(tracker_iface(_t, i)->name, name) == 0)
			return tracker_iface(_t, i);
	ck_abort_msg("no interface %s", name);
	return NULL;
}

/* ------------------------------------------------------------ totals -- */

START_TEST(test_exact_totals)
{
	const struct iface_stats *a, *b;
	struct node_stats n;

	_create("--shape p4d");
	_update_at(1 * SEC);
	a = _iface("rdmap16s27");
	ck_assert(a->present);
	ck_assert_uint_eq(a->interval_ns, 0);
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 0);
	ck_assert_double_eq(a->rate[METRIC_TX_BYTES], 0.0);
	ck_assert_uint_eq(a->first_ns, 1 * SEC);

	tu_efasim("traffic %s --device rdmap16s27 --tx-bytes 1000000 --rx-bytes 10 --tx-pkts 7",
		  _root);
	_update_at(2 * SEC);
	a = _iface("rdmap16s27");
	ck_assert_uint_eq(a->interval_ns, 1 * SEC);
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 1000000);
	ck_assert_uint_eq(a->delta[METRIC_RX_BYTES], 10);
	ck_assert_uint_eq(a->delta[METRIC_TX_PKTS], 7);
	ck_assert_uint_eq(a->delta[METRIC_RX_PKTS], 0);
	ck_assert_double_eq(a->rate[METRIC_TX_BYTES], 1e6);
	ck_assert_uint_eq(a->total[METRIC_TX_BYTES], 1000000);

	tu_efasim("traffic %s --device rdmap16s27 --tx-bytes 3000000", _root);
	_update_at(4 * SEC);
	a = _iface("rdmap16s27");
	ck_assert_uint_eq(a->interval_ns, 2 * SEC);
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 3000000);
	ck_assert_uint_eq(a->delta[METRIC_TX_PKTS], 0);
	ck_assert_uint_eq(a->total[METRIC_TX_BYTES], 4000000);
	ck_assert_uint_eq(a->total[METRIC_RX_BYTES], 10);
	ck_assert_uint_eq(a->total[METRIC_TX_PKTS], 7);
	ck_assert_double_eq(a->rate[METRIC_TX_BYTES], rate_per_sec(3000000, 2 * SEC));
	ck_assert_double_eq(a->rate[METRIC_TX_BYTES], 1.5e6);
	ck_assert_double_eq(a->peak_rate[METRIC_TX_BYTES], 1.5e6);
	ck_assert_uint_eq(a->first_ns, 1 * SEC);
	ck_assert_uint_eq(a->last_ns, 4 * SEC);
	ck_assert_uint_eq(a->resets, 0);
	ck_assert_uint_eq(a->odd, 0);
	ck_assert_uint_eq(a->link_bps, 100000000000ull);
	ck_assert_int_eq(a->type, DEVICE_EFA);

	/* The others saw nothing. */
	b = _iface("rdmap32s28");
	ck_assert(b->present);
	ck_assert_uint_eq(b->interval_ns, 2 * SEC);
	for (int m = 0; m < METRIC_COUNT; m++) {
		ck_assert_uint_eq(b->delta[m], 0);
		ck_assert_uint_eq(b->total[m], 0);
	}

	tracker_node(_t, &n);
	ck_assert_uint_eq(n.samples, 3);
	ck_assert_uint_eq(n.interfaces, 4);
	ck_assert_uint_eq(n.link_bps, 400000000000ull);
	ck_assert_uint_eq(n.interval_ns, 2 * SEC);
	ck_assert_uint_eq(n.elapsed_ns, 3 * SEC);
	ck_assert_uint_eq(n.delta[METRIC_TX_BYTES], 3000000);
	ck_assert_uint_eq(n.total[METRIC_TX_BYTES], 4000000);
	ck_assert_double_eq(n.rate[METRIC_TX_BYTES], 1.5e6);
	ck_assert_double_eq(n.peak_rate[METRIC_TX_BYTES], 1.5e6);
}
END_TEST

START_TEST(test_ifaces_sorted)
{
	static const char *names[] = {"rdmap16s27", "rdmap16s28", "rdmap32s27", "rdmap32s28"};

	_create("--shape p4d");
	ck_assert_uint_eq(tracker_iface_count(_t), 0);
	ck_assert_ptr_null(tracker_iface(_t, 0));
	ck_assert_ptr_null(tracker_last(_t));
	_update_at(1 * SEC);
	ck_assert_uint_eq(tracker_iface_count(_t), 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_str_eq(tracker_iface(_t, i)->name, names[i]);
	ck_assert_ptr_null(tracker_iface(_t, 4));
	ck_assert_ptr_nonnull(tracker_last(_t));
	ck_assert_uint_eq(tracker_last(_t)->mono_ns, 1 * SEC);
}
END_TEST

/* Peak is the largest interval rate, per interface and for the node. */
START_TEST(test_peaks)
{
	struct node_stats n;

	_create("--shape p4d");
	_update_at(1 * SEC);
	tu_efasim("traffic %s --device rdmap16s27 --tx-bytes 2000", _root);
	tu_efasim("traffic %s --device rdmap16s28 --tx-bytes 500", _root);
	_update_at(2 * SEC); /* 2000 + 500 B/s */
	tu_efasim("traffic %s --device rdmap16s27 --tx-bytes 1000", _root);
	tu_efasim("traffic %s --device rdmap16s28 --tx-bytes 2000", _root);
	_update_at(3 * SEC); /* 1000 + 2000 B/s */
	tu_efasim("traffic %s --device rdmap16s27 --tx-bytes 100", _root);
	_update_at(4 * SEC);
	ck_assert_double_eq(_iface("rdmap16s27")->peak_rate[METRIC_TX_BYTES], 2000.0);
	ck_assert_double_eq(_iface("rdmap16s27")->rate[METRIC_TX_BYTES], 100.0);
	ck_assert_double_eq(_iface("rdmap16s28")->peak_rate[METRIC_TX_BYTES], 2000.0);
	ck_assert_double_eq(_iface("rdmap32s27")->peak_rate[METRIC_TX_BYTES], 0.0);
	tracker_node(_t, &n);
	/* The node's peak is of its aggregate: 3000, not 2000 + 2000. */
	ck_assert_double_eq(n.peak_rate[METRIC_TX_BYTES], 3000.0);
	ck_assert_double_eq(n.rate[METRIC_TX_BYTES], 100.0);
	ck_assert_uint_eq(n.total[METRIC_TX_BYTES], 5600);
}
END_TEST

/* The node aggregate is the sum of the interfaces. */
START_TEST(test_node_is_sum)
{
	struct node_stats n;
	static const char *names[] = {"rdmap16s27", "rdmap16s28", "rdmap32s27", "rdmap32s28"};

	_create("--shape p4d");
	_update_at(10 * SEC);
	for (int k = 0; k < 4; k++)
		tu_efasim("traffic %s --device %s --tx-bytes %d --rx-bytes %d --rx-pkts %d", _root,
			  names[k], (k + 1) * 1000, (k + 1) * 7, k);
	_update_at(14 * SEC);
	tracker_node(_t, &n);
	for (int m = 0; m < METRIC_COUNT; m++) {
		uint64_t d = 0, tot = 0;
		double r = 0;
		for (size_t i = 0; i < tracker_iface_count(_t); i++) {
			d += tracker_iface(_t, i)->delta[m];
			tot += tracker_iface(_t, i)->total[m];
			r += tracker_iface(_t, i)->rate[m];
		}
		ck_assert_uint_eq(n.delta[m], d);
		ck_assert_uint_eq(n.total[m], tot);
		ck_assert_double_eq(n.rate[m], r);
	}
	ck_assert_uint_eq(n.delta[METRIC_TX_BYTES], 10000);
	ck_assert_uint_eq(n.delta[METRIC_RX_BYTES], 70);
	ck_assert_uint_eq(n.delta[METRIC_RX_PKTS], 6);
	ck_assert_double_eq(n.rate[METRIC_TX_BYTES], 2500.0);
	ck_assert_uint_eq(n.samples, 2);
	ck_assert_uint_eq(n.elapsed_ns, 4 * SEC);
}
END_TEST

/* Sums of several source counters into one metric. */
START_TEST(test_metric_sums)
{
	const struct iface_stats *a;

	_create("--shape p5en --devices 1");
	_update_at(1 * SEC);
	tu_efasim("advance %s rdma_read_wr_err=2 rdma_write_wr_err=3 rx_drops=4 "
		  "retrans_pkts=5 retrans_timeout_events=6 unresponsive_remote_events=7 "
		  "impaired_remote_conn_events=8 submitted_cmds=1000 send_bytes=99",
		  _root);
	_update_at(2 * SEC);
	a = _iface("rdmap113s0");
	ck_assert_uint_eq(a->delta[METRIC_RDMA_ERRORS], 5);
	ck_assert_uint_eq(a->delta[METRIC_RX_DROPS], 4);
	ck_assert_uint_eq(a->delta[METRIC_RETRANS_PKTS], 5);
	ck_assert_uint_eq(a->delta[METRIC_RETRANS_TIMEOUTS], 6);
	ck_assert_uint_eq(a->delta[METRIC_UNRESPONSIVE_REMOTE], 7);
	ck_assert_uint_eq(a->delta[METRIC_IMPAIRED_REMOTE], 8);
	/* Driver and unmapped counters feed no metric. */
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 0);
	ck_assert_uint_eq(a->delta[METRIC_RX_BYTES], 0);
	/* But their own deltas are there, per counter. */
	const struct snapshot *last = tracker_last(_t);
	long c = layout_find_counter(last->layout, "rdmap113s0", 0, "submitted_cmds");
	ck_assert_int_ge(c, 0);
	ck_assert_uint_eq(tracker_counter_delta(_t, (size_t)c), 1000);
	c = layout_find_counter(last->layout, "rdmap113s0", 1, "send_bytes");
	ck_assert_uint_eq(tracker_counter_delta(_t, (size_t)c), 99);
	ck_assert_uint_eq(tracker_counter_delta(_t, last->layout->ncounters), 0);
}
END_TEST

/* ------------------------------------------------------------ resets -- */

START_TEST(test_reset)
{
	const struct iface_stats *a;
	struct node_stats n;

	_create("--shape p4d");
	tu_efasim("traffic %s --tx-bytes 1000", _root);
	_update_at(1 * SEC);
	tu_efasim("traffic %s --tx-bytes 1000", _root);
	_update_at(2 * SEC);
	ck_assert_uint_eq(_iface("rdmap16s27")->total[METRIC_TX_BYTES], 1000);
	tu_efasim("reset %s", _root);
	tu_efasim("traffic %s --tx-bytes 500", _root);
	_update_at(3 * SEC);
	for (size_t i = 0; i < 4; i++) {
		a = tracker_iface(_t, i);
		/* 2000 -> 500: a reset, the counter restarted from zero. */
		ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 500);
		ck_assert_uint_eq(a->total[METRIC_TX_BYTES], 1500);
		ck_assert_uint_eq(a->resets, 1); /* only tx_bytes went backwards */
		ck_assert_double_eq(a->rate[METRIC_TX_BYTES], 500.0);
	}
	tracker_node(_t, &n);
	ck_assert_uint_eq(n.resets, 4);
	ck_assert_uint_eq(n.total[METRIC_TX_BYTES], 6000);
}
END_TEST

/* Near 2^64: an increase up to the top, then a wrap read as a reset. */
START_TEST(test_near_u64_max)
{
	const struct iface_stats *a;

	_create("--shape p4d --devices 1");
	tu_efasim("set %s rdmap16s27 tx_bytes 18446744073709551610", _root);
	_update_at(1 * SEC);
	tu_efasim("advance %s tx_bytes=5", _root);
	_update_at(2 * SEC);
	a = _iface("rdmap16s27");
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 5);
	ck_assert_uint_eq(a->resets, 0);
	tu_efasim("advance %s tx_bytes=4", _root); /* wraps to 3 */
	_update_at(3 * SEC);
	a = _iface("rdmap16s27");
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 3);
	ck_assert_uint_eq(a->total[METRIC_TX_BYTES], 8);
	ck_assert_uint_eq(a->resets, 1);
}
END_TEST

/* ------------------------------------------------------------- gaps -- */

/* A counter reads "N/A" for a sample, then comes back: nothing lost. */
START_TEST(test_na_gap_bridged)
{
	const struct iface_stats *a;

	_create("--shape p4d");
	_update_at(1 * SEC);
	tu_efasim("traffic %s --device rdmap16s28 --tx-bytes 1000", _root);
	_update_at(2 * SEC);
	tu_efasim("break %s rdmap16s28 tx_bytes na", _root);
	_update_at(3 * SEC);
	a = _iface("rdmap16s28");
	ck_assert_uint_eq(a->odd, 1);
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 0);
	ck_assert_uint_eq(a->has & (1u << METRIC_TX_BYTES), 0);
	ck_assert(a->has & (1u << METRIC_RX_BYTES));
	/* Meanwhile 2500 more bytes went out. */
	tu_efasim("set %s rdmap16s28 tx_bytes 3500", _root);
	_update_at(4 * SEC);
	a = _iface("rdmap16s28");
	ck_assert_uint_eq(a->odd, 0);
	ck_assert(a->has & (1u << METRIC_TX_BYTES));
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 2500);
	ck_assert_uint_eq(a->total[METRIC_TX_BYTES], 3500);
	ck_assert_uint_eq(a->resets, 0);
}
END_TEST

/* A counter missing at the first sample has nothing to bridge from: its
 * first good value is a baseline, not traffic. */
START_TEST(test_first_value_is_baseline)
{
	_create("--shape p4d --seed 5000");
	tu_efasim("break %s rdmap16s27 tx_bytes garbage", _root);
	_update_at(1 * SEC);
	_update_at(2 * SEC);
	tu_efasim("set %s rdmap16s27 tx_bytes 7000", _root);
	_update_at(3 * SEC);
	ck_assert_uint_eq(_iface("rdmap16s27")->delta[METRIC_TX_BYTES], 0);
	tu_efasim("advance %s --device rdmap16s27 tx_bytes=10", _root);
	_update_at(4 * SEC);
	ck_assert_uint_eq(_iface("rdmap16s27")->delta[METRIC_TX_BYTES], 10);
	ck_assert_uint_eq(_iface("rdmap16s27")->total[METRIC_TX_BYTES], 10);
}
END_TEST

/* ---------------------------------------------------------------- IB -- */

START_TEST(test_ib_words)
{
	const struct iface_stats *a;

	_create("--shape mlx5");
	_update_at(1 * SEC);
	tu_efasim("traffic %s --tx-bytes 4000 --rx-bytes 8000 --tx-pkts 3", _root);
	tu_efasim("advance %s port_rcv_errors=2 symbol_error=1 link_downed=2 "
		  "link_error_recovery=4 port_xmit_discards=9",
		  _root);
	_update_at(3 * SEC);
	a = _iface("mlx5_0");
	ck_assert_int_eq(a->type, DEVICE_IB);
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 4000);
	ck_assert_uint_eq(a->delta[METRIC_RX_BYTES], 8000);
	ck_assert_uint_eq(a->delta[METRIC_TX_PKTS], 3);
	ck_assert_uint_eq(a->delta[METRIC_RX_ERRORS], 2);
	ck_assert_uint_eq(a->delta[METRIC_TX_DISCARDS], 9);
	ck_assert_uint_eq(a->delta[METRIC_LINK_ERRORS], 7);
	ck_assert_double_eq(a->rate[METRIC_TX_BYTES], 2000.0);
	/* The raw counter moved by words. */
	const struct snapshot *last = tracker_last(_t);
	long c = layout_find_counter(last->layout, "mlx5_0", 1, "port_xmit_data");
	ck_assert_int_ge(c, 0);
	ck_assert_uint_eq(tracker_counter_delta(_t, (size_t)c), 1000);
}
END_TEST

/* `has`: a metric is there only if a source counter reads. */
START_TEST(test_has_bits)
{
	const uint32_t traffic = 1u << METRIC_TX_BYTES | 1u << METRIC_RX_BYTES |
				 1u << METRIC_TX_PKTS | 1u << METRIC_RX_PKTS;
	const uint32_t efa66 = traffic | 1u << METRIC_RX_DROPS | 1u << METRIC_RDMA_ERRORS;
	const uint32_t efa617 = efa66 | 1u << METRIC_RETRANS_PKTS | 1u << METRIC_RETRANS_TIMEOUTS |
				1u << METRIC_UNRESPONSIVE_REMOTE | 1u << METRIC_IMPAIRED_REMOTE;
	const uint32_t ib = traffic | 1u << METRIC_RX_ERRORS | 1u << METRIC_TX_DISCARDS |
			    1u << METRIC_LINK_ERRORS;
	const uint32_t efa54 = traffic | 1u << METRIC_RX_DROPS;
	struct node_stats n;

	_create("--shape p4d --devices 1");
	tu_efasim("add %s --shape mlx5", _root);
	tu_efasim("add %s --shape p5en", _root);
	tu_efasim("add %s --shape p4d --kernel 5.4", _root);
	_update_at(1 * SEC);
	ck_assert_uint_eq(tracker_iface_count(_t), 4);
	for (size_t i = 0; i < 4; i++) {
		const struct iface_stats *a = tracker_iface(_t, i);
		uint32_t want = strcmp(a->name, "rdmap16s27") == 0   ? efa66
				: strcmp(a->name, "mlx5_0") == 0     ? ib
				: strcmp(a->name, "rdmap113s0") == 0 ? efa617
								     : efa54;
		ck_assert_msg(a->has == want, "%s: has 0x%x, expected 0x%x", a->name, a->has, want);
	}
	ck_assert_uint_eq(_iface("rdmap16s27")->has & (1u << METRIC_RX_ERRORS), 0);
	ck_assert_uint_ne(_iface("mlx5_0")->has & (1u << METRIC_RX_ERRORS), 0);
	tracker_node(_t, &n);
	ck_assert_uint_eq(n.has, efa617 | ib);
}
END_TEST

/* ----------------------------------------------------------- hotplug -- */

START_TEST(test_device_removed)
{
	const struct iface_stats *a;
	struct node_stats n;

	_create("--shape p4d");
	_update_at(1 * SEC);
	tu_efasim("traffic %s --device rdmap32s28 --tx-bytes 1000", _root);
	tu_efasim("traffic %s --device rdmap16s27 --tx-bytes 10", _root);
	_update_at(2 * SEC);
	tu_efasim("remove %s rdmap32s28", _root);
	tu_efasim("traffic %s --device rdmap16s27 --tx-bytes 20", _root);
	_update_at(3 * SEC);
	ck_assert_uint_eq(tracker_iface_count(_t), 4);
	a = _iface("rdmap32s28");
	ck_assert(!a->present);
	ck_assert_uint_eq(a->total[METRIC_TX_BYTES], 1000);
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 0);
	ck_assert_double_eq(a->rate[METRIC_TX_BYTES], 0.0);
	ck_assert_uint_eq(a->last_ns, 2 * SEC);
	a = _iface("rdmap16s27");
	ck_assert(a->present);
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 20);
	ck_assert_uint_eq(a->total[METRIC_TX_BYTES], 30);
	tracker_node(_t, &n);
	ck_assert_uint_eq(n.interfaces, 3);
	ck_assert_uint_eq(n.link_bps, 300000000000ull);
	ck_assert_uint_eq(n.delta[METRIC_TX_BYTES], 20);
	ck_assert_uint_eq(n.total[METRIC_TX_BYTES], 1030);
}
END_TEST

START_TEST(test_device_added)
{
	const struct iface_stats *a;
	char *out = tu_strf("%s.added", _root);

	_create("--shape p4d --devices 2");
	_update_at(1 * SEC);
	tu_efasim("traffic %s --tx-bytes 100", _root);
	tu_efasim("add %s --shape p4d -v > %s", _root, out);
	char *name = tu_read_file(out);
	ck_assert_ptr_nonnull(name);
	name[strcspn(name, "\n")] = '\0';
	tu_efasim("traffic %s --tx-bytes 100", _root);
	_update_at(2 * SEC);
	/* Counters matched across the rescan: old devices see 200. */
	ck_assert_uint_eq(_iface("rdmap16s27")->delta[METRIC_TX_BYTES], 200);
	ck_assert_uint_eq(_iface("rdmap16s28")->delta[METRIC_TX_BYTES], 200);
	/* The new one has no interval yet: its counters are a baseline. */
	a = _iface(name);
	ck_assert(a->present);
	ck_assert_uint_eq(a->interval_ns, 0);
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 0);
	ck_assert_uint_eq(a->first_ns, 2 * SEC);
	tu_efasim("traffic %s --device %s --tx-bytes 50", _root, name);
	_update_at(4 * SEC);
	a = _iface(name);
	ck_assert_uint_eq(a->interval_ns, 2 * SEC);
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 50);
	ck_assert_double_eq(a->rate[METRIC_TX_BYTES], 25.0);
	tu_rm_rf(out);
	free(out);
	free(name);
}
END_TEST

/* --------------------------------------------------------- misuse -- */

START_TEST(test_older_snapshot_rejected)
{
	struct node_stats n;

	_create("--shape p4d");
	_update_at(5 * SEC);
	tu_efasim("traffic %s --tx-bytes 100", _root);
	ck_assert_int_eq(fabric_sample(_f, _s), 0);
	_s->mono_ns = 4 * SEC;
	errno = 0;
	ck_assert_int_eq(tracker_update(_t, _s), -1);
	ck_assert_int_eq(errno, EINVAL);
	tracker_node(_t, &n);
	ck_assert_uint_eq(n.samples, 1);
	ck_assert_uint_eq(tracker_last(_t)->mono_ns, 5 * SEC);
	/* The rejected sample changed nothing: the next one sees all 100. */
	_s->mono_ns = 6 * SEC;
	ck_assert_int_eq(tracker_update(_t, _s), 0);
	ck_assert_uint_eq(_iface("rdmap16s27")->delta[METRIC_TX_BYTES], 100);

	/* An unbound snapshot is rejected too. */
	struct snapshot *empty = snapshot_create();
	errno = 0;
	ck_assert_int_eq(tracker_update(_t, empty), -1);
	ck_assert_int_eq(errno, EINVAL);
	snapshot_destroy(empty);
}
END_TEST

/* The same instant twice: an interval of 0, rate 0, no crash. */
START_TEST(test_zero_interval)
{
	_create("--shape p4d --devices 1");
	_update_at(1 * SEC);
	tu_efasim("traffic %s --tx-bytes 100", _root);
	_update_at(1 * SEC);
	ck_assert_uint_eq(_iface("rdmap16s27")->delta[METRIC_TX_BYTES], 100);
	ck_assert_double_eq(_iface("rdmap16s27")->rate[METRIC_TX_BYTES], 0.0);
	ck_assert_uint_eq(_iface("rdmap16s27")->total[METRIC_TX_BYTES], 100);
}
END_TEST

/* A first sample at monotonic time 0 is a sample like any other. */
START_TEST(test_first_sample_at_zero)
{
	const struct iface_stats *a;

	_create("--shape p4d --devices 1");
	_update_at(0);
	tu_efasim("traffic %s --tx-bytes 1000", _root);
	_update_at(1 * SEC);
	a = _iface("rdmap16s27");
	ck_assert_uint_eq(a->first_ns, 0);
	ck_assert_uint_eq(a->interval_ns, 1 * SEC);
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 1000);
	ck_assert_double_eq(a->rate[METRIC_TX_BYTES], 1000.0);
}
END_TEST

/* Real clocks: consecutive samples without hand-set times. */
START_TEST(test_real_clock)
{
	_create("--shape p4d --devices 1");
	ck_assert_int_eq(fabric_sample(_f, _s), 0);
	ck_assert_int_eq(tracker_update(_t, _s), 0);
	tu_efasim("traffic %s --tx-bytes 4096", _root);
	ck_assert_int_eq(fabric_sample(_f, _s), 0);
	ck_assert_int_eq(tracker_update(_t, _s), 0);
	const struct iface_stats *a = _iface("rdmap16s27");
	ck_assert_uint_eq(a->delta[METRIC_TX_BYTES], 4096);
	ck_assert_uint_gt(a->interval_ns, 0);
	ck_assert_double_eq(a->rate[METRIC_TX_BYTES], rate_per_sec(4096, a->interval_ns));
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("tracker");
	TCase *tc;

	tc = tcase_create("totals");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_exact_totals);
	tcase_add_test(tc, test_ifaces_sorted);
	tcase_add_test(tc, test_peaks);
	tcase_add_test(tc, test_node_is_sum);
	tcase_add_test(tc, test_metric_sums);
	suite_add_tcase(s, tc);

	tc = tcase_create("resets");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_near_u64_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("gaps");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_na_gap_bridged);
	tcase_add_test(tc, test_first_value_is_baseline);
	suite_add_tcase(s, tc);

	tc = tcase_create("ib");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ib_words);
	tcase_add_test(tc, test_has_bits);
	suite_add_tcase(s, tc);

	tc = tcase_create("hotplug");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_device_removed);
	tcase_add_test(tc, test_device_added);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_older_snapshot_rejected);
	tcase_add_test(tc, test_zero_interval);
	tcase_add_test(tc, test_first_sample_at_zero);
	tcase_add_test(tc, test_real_clock);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}

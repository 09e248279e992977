/*
 * counter.c - see counter.h.
 */
#include "config.h"

#include <string.h>

#include "counter.h"

static const char *_type_names[DEVICE_TYPE_COUNT] = {"efa", "ib"};

const char *device_type_name(enum device_type type)
{
	return (unsigned)type < DEVICE_TYPE_COUNT ? _type_names[type] : "unknown";
}

static const char *_metric_names[METRIC_COUNT] = {
	[METRIC_TX_BYTES] = "tx_bytes",
	[METRIC_RX_BYTES] = "rx_bytes",
	[METRIC_TX_PKTS] = "tx_packets",
	[METRIC_RX_PKTS] = "rx_packets",
	[METRIC_RX_ERRORS] = "rx_errors",
	[METRIC_TX_DISCARDS] = "tx_discards",
	[METRIC_RX_DROPS] = "rx_drops",
	[METRIC_RDMA_ERRORS] = "rdma_errors",
	[METRIC_RETRANS_PKTS] = "retrans_packets",
	[METRIC_RETRANS_TIMEOUTS] = "retrans_timeouts",
	[METRIC_UNRESPONSIVE_REMOTE] = "unresponsive_remote",
	[METRIC_IMPAIRED_REMOTE] = "impaired_remote",
	[METRIC_LINK_ERRORS] = "link_errors",
};

const char *metric_name(enum metric_id m)
{
	return (unsigned)m < METRIC_COUNT ? _metric_names[m] : "none";
}

bool metric_is_health(enum metric_id m)
{
	return m >= METRIC_RX_ERRORS && m < METRIC_COUNT;
}

enum metric_id metric_parse(const char *name)
{
	for (int m = 0; m < METRIC_COUNT; m++)
		if (name && strcmp(name, _metric_names[m]) == 0)
			return (enum metric_id)m;
	return METRIC_NONE;
}

struct known_counter {
	const char *name;
	enum counter_class klass;
	enum metric_id metric;
	uint32_t multiplier;
	bool device_scope;
};

/* EFA: hw_counters (port and device). efa-counters.md has the kernels. */
static const struct known_counter _efa[] = {
	{"tx_bytes", CLASS_TRAFFIC, METRIC_TX_BYTES, 1, false},
	{"rx_bytes", CLASS_TRAFFIC, METRIC_RX_BYTES, 1, false},
	{"tx_pkts", CLASS_TRAFFIC, METRIC_TX_PKTS, 1, false},
	{"rx_pkts", CLASS_TRAFFIC, METRIC_RX_PKTS, 1, false},
	{"rx_drops", CLASS_HEALTH, METRIC_RX_DROPS, 1, false},
	{"send_bytes", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"send_wrs", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"recv_bytes", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"recv_wrs", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"rdma_read_wrs", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"rdma_read_bytes", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"rdma_read_wr_err", CLASS_HEALTH, METRIC_RDMA_ERRORS, 1, false},
	{"rdma_read_resp_bytes", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"rdma_write_wrs", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"rdma_write_bytes", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"rdma_write_wr_err", CLASS_HEALTH, METRIC_RDMA_ERRORS, 1, false},
	{"rdma_write_recv_bytes", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"retrans_bytes", CLASS_HEALTH, METRIC_NONE, 1, false},
	{"retrans_pkts", CLASS_HEALTH, METRIC_RETRANS_PKTS, 1, false},
	{"retrans_timeout_events", CLASS_HEALTH, METRIC_RETRANS_TIMEOUTS, 1, false},
	{"unresponsive_remote_events", CLASS_HEALTH, METRIC_UNRESPONSIVE_REMOTE, 1, false},
	{"impaired_remote_conn_events", CLASS_HEALTH, METRIC_IMPAIRED_REMOTE, 1, false},
	/* Device-level driver counters. submitted/completed_cmds move with
	 * every cache refresh of our own reads: never traffic. */
	{"submitted_cmds", CLASS_DRIVER, METRIC_NONE, 1, true},
	{"completed_cmds", CLASS_DRIVER, METRIC_NONE, 1, true},
	{"keep_alive_rcvd", CLASS_DRIVER, METRIC_NONE, 1, true},
	{"cmds_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"no_completion_cmds", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"alloc_pd_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"create_qp_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"create_cq_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"reg_mr_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"alloc_ucontext_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"create_ah_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"mmap_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"alloc_mr_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{"get_dma_mr_err", CLASS_HEALTH, METRIC_NONE, 1, true},
	{NULL, CLASS_OTHER, METRIC_NONE, 1, false},
};

/* Standard IB PMA counters (ports/N/counters) and common mlx5 hw_counters. */
static const struct known_counter _ib[] = {
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
	{"port_unicast_rcv_packets", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"port_multicast_xmit_packets", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"port_multicast_rcv_packets", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"port_xmit_wait", CLASS_OTHER, METRIC_NONE, 1, false},
	{"unicast_xmit_packets", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"unicast_rcv_packets", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"multicast_xmit_packets", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"multicast_rcv_packets", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"VL15_dropped", CLASS_HEALTH, METRIC_NONE, 1, false},
	{"out_of_buffer", CLASS_HEALTH, METRIC_NONE, 1, false},
	{"out_of_sequence", CLASS_HEALTH, METRIC_NONE, 1, false},
	{"rx_write_requests", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"rx_read_requests", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{"rx_atomic_requests", CLASS_TRAFFIC, METRIC_NONE, 1, false},
	{NULL, CLASS_OTHER, METRIC_NONE, 1, false},
};

static const struct known_counter *_tables[DEVICE_TYPE_COUNT] = {_efa, _ib};

static bool _looks_like_health(const char *name)
{
	static const char *words[] = {"err", "drop", "discard", "retrans",
				      "timeout", "nak", "downed", NULL};
	for (int i = 0; words[i]; i++)
		if (strstr(name, words[i]))
			return true;
	return false;
}

void counter_describe(enum device_type type, const char *name,
		      struct counter_desc *desc)
{
	const struct known_counter *k =
		(unsigned)type < DEVICE_TYPE_COUNT ? _tables[type] : NULL;

	for (; k && k->name; k++) {
		if (strcmp(k->name, name) == 0) {
			desc->klass = k->klass;
			desc->metric = k->metric;
			desc->multiplier = k->multiplier;
			desc->device_scope = k->device_scope;
			return;
		}
	}
	desc->klass = _looks_like_health(name) ? CLASS_HEALTH : CLASS_OTHER;
	desc->metric = METRIC_NONE;
	desc->multiplier = 1;
	desc->device_scope = false;
}

bool counter_is_ignored(const char *name)
{
	/* lifespan is the driver's cache time in ms, and writable. */
	return name[0] == '.' || strcmp(name, "lifespan") == 0;
}

static const char *const _efa_expected[] = {"tx_bytes", "rx_bytes", "tx_pkts",
					    "rx_pkts", "rx_drops", NULL};
static const char *const _ib_expected[] = {
	"port_xmit_data", "port_rcv_data", "port_xmit_packets",
	"port_rcv_packets", NULL};

const char *const *counter_expected(enum device_type type, const char **port_dir)
{
	if (type == DEVICE_EFA) {
		*port_dir = "hw_counters";
		return _efa_expected;
	}
	*port_dir = "counters";
	return _ib_expected;
}

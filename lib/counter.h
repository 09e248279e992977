/*
 * counter.h - what each sysfs counter means.
 *
 * One table maps a counter file's name, for a device type, to its class
 * (traffic, health, driver), the interface metric it feeds, and the factor
 * that turns it into bytes (IB's port_xmit_data/port_rcv_data count 4-byte
 * words). Counters the table does not know are still read and reported
 * under their own names; a name containing "err", "drop", "discard" or
 * "retrans" is taken as a health counter.
 */
#ifndef EFA_MONITOR_COUNTER_H
#define EFA_MONITOR_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

enum device_type {
	DEVICE_EFA = 0, /* driver efa, or PCI vendor 0x1d0f */
	DEVICE_IB,      /* any other RDMA device with standard IB counters */
	DEVICE_TYPE_COUNT
};

/* "efa", "ib". */
const char *device_type_name(enum device_type type);

enum counter_class {
	CLASS_TRAFFIC = 0, /* bytes, packets, work requests moved */
	CLASS_HEALTH,      /* errors, drops, discards, retransmits */
	CLASS_DRIVER,      /* driver command counters: never traffic */
	CLASS_OTHER,
};

/*
 * The per-interface metrics every sink speaks of. A device that has no
 * source counter for a metric does not have the metric: sinks must not
 * invent a zero for it.
 */
enum metric_id {
	METRIC_TX_BYTES = 0,
	METRIC_RX_BYTES,
	METRIC_TX_PKTS,
	METRIC_RX_PKTS,
	METRIC_RX_ERRORS,      /* IB port_rcv_errors */
	METRIC_TX_DISCARDS,    /* IB port_xmit_discards */
	METRIC_RX_DROPS,       /* EFA rx_drops */
	METRIC_RDMA_ERRORS,    /* EFA rdma_read_wr_err + rdma_write_wr_err */
	METRIC_RETRANS_PKTS,   /* EFA retrans_pkts */
	METRIC_RETRANS_TIMEOUTS, /* EFA retrans_timeout_events */
	METRIC_UNRESPONSIVE_REMOTE, /* EFA unresponsive_remote_events */
	METRIC_IMPAIRED_REMOTE, /* EFA impaired_remote_conn_events */
	METRIC_LINK_ERRORS,    /* IB symbol_error + link_downed + link_error_recovery */
	METRIC_COUNT,
	METRIC_NONE = -1
};

/* Metric names: "tx_bytes", "rx_bytes", "tx_packets", "rx_packets",
 * "rx_errors", "tx_discards", "rx_drops", "rdma_errors", "retrans_packets",
 * "retrans_timeouts", "unresponsive_remote", "impaired_remote",
 * "link_errors". */
const char *metric_name(enum metric_id m);
/* True for the error/drop/retransmit metrics (everything but traffic). */
bool metric_is_health(enum metric_id m);
/* Parse a metric name. Returns METRIC_NONE if unknown. */
enum metric_id metric_parse(const char *name);

struct counter_desc {
	enum counter_class klass;
	enum metric_id metric; /* METRIC_NONE if it feeds none */
	uint32_t multiplier;   /* raw value × multiplier = the metric's unit */
	bool device_scope;     /* EFA device-level (hw_counters/) counter */
};

/* Describe counter 'name' of a device of 'type'. Never fails. */
void counter_describe(enum device_type type, const char *name,
		      struct counter_desc *desc);

/* True for files in counter directories that are not counters. */
bool counter_is_ignored(const char *name);

/*
 * The counters a device of 'type' is expected to have in any kernel: when
 * one is absent, it is reported as COUNTER_MISSING rather than ignored.
 * Returns a NULL-terminated list; '*port_dir' names the port directory
 * ("hw_counters" or "counters") they live in.
 */
const char *const *counter_expected(enum device_type type, const char **port_dir);

#endif

/*
 * tracker.h - from a stream of snapshots to per-interface figures.
 *
 * Feed it each sample of a fabric; it keeps, per interface (an RDMA
 * device), the deltas and rates of the last interval and the totals, peak
 * rates and resets since it started. Counters are matched across layouts
 * by name, so devices may come and go. A counter that reads oddly for a
 * while is bridged: its next good value is compared with its last good
 * one, so no traffic is lost across the gap (only attributed to the
 * interval in which the counter reads again).
 */
#ifndef EFA_MONITOR_TRACKER_H
#define EFA_MONITOR_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counter.h"
#include "layout.h"
#include "snapshot.h"

struct iface_stats {
	char name[LAYOUT_NAME_MAX];
	enum device_type type;
	uint64_t link_bps;          /* line rate, 0 if unknown */
	bool present;               /* in the latest snapshot */
	uint32_t has;               /* bit (1u << metric): a source counter reads */
	uint32_t odd;               /* counters not reading ok in the latest snapshot */
	/* The last interval (between the two latest samples with this device). */
	uint64_t interval_ns;       /* 0 until the device's second sample */
	uint64_t delta[METRIC_COUNT];
	double rate[METRIC_COUNT];  /* per second */
	/* Since the tracker first saw the device. */
	uint64_t total[METRIC_COUNT];
	double peak_rate[METRIC_COUNT];
	uint64_t resets;            /* counters seen going backwards */
	uint64_t samples;           /* samples with this device */
	uint64_t first_ns, last_ns; /* monotonic times of first and last sample */
};

struct node_stats {
	size_t interfaces;          /* present in the latest snapshot */
	uint64_t link_bps;          /* sum over present interfaces */
	uint64_t interval_ns;
	uint64_t elapsed_ns;        /* first to latest sample */
	uint64_t samples;
	uint32_t has;
	uint64_t delta[METRIC_COUNT];
	double rate[METRIC_COUNT];
	uint64_t total[METRIC_COUNT];
	double peak_rate[METRIC_COUNT]; /* of the node's aggregate rate */
	uint64_t resets;
};

struct tracker;

struct tracker *tracker_create(void);
void tracker_destroy(struct tracker *t);

/* Take the next sample. Returns 0, or -1 with errno (ENOMEM, EINVAL for a
 * snapshot older than the last). */
int tracker_update(struct tracker *t, const struct snapshot *snap);

/* Interfaces ever seen, sorted by name (stable indexes until the next
 * update that adds one). */
size_t tracker_iface_count(const struct tracker *t);
const struct iface_stats *tracker_iface(const struct tracker *t, size_t i);

/* The node aggregate over present interfaces. */
void tracker_node(const struct tracker *t, struct node_stats *out);

/* The latest snapshot (NULL before the first update), and each of its
 * counters' increase over the last interval (aligned with its layout). */
const struct snapshot *tracker_last(const struct tracker *t);
uint64_t tracker_counter_delta(const struct tracker *t, size_t counter);

#endif

/*
 * cwmetric.h - the CloudWatch metrics of efa-monitor: names, units,
 * dimension sets, and the datums of one interval.
 *
 * Shared by the PutMetricData sink and the EMF sink, so both publish the
 * same names, units and dimensions. The seed's six metrics keep their
 * names and units (rx_bytes_rate, tx_bytes_rate in Bytes/Second;
 * rx_packets_rate, tx_packets_rate in Count/Second; rx_errors,
 * tx_discards in Count), and the EFA health counters follow (rx_drops,
 * rdma_errors, retrans_packets, retrans_timeouts, unresponsive_remote,
 * impaired_remote, link_errors, in Count). Count metrics are the
 * increase over the interval. A metric whose source counter a device
 * lacks is not published for it: no value is invented.
 *
 * Dimension sets: a list such as "InstanceId,Interface,JobId;JobId" says
 * which combinations to publish. A set with Interface gets one datum per
 * interface; a set without it gets the node's aggregate (sum over
 * interfaces), so a site can keep per-job roll-ups without paying for
 * every node x interface x job metric. JobId and StepId are dropped from
 * the sets of the node daemon (no job); a set left empty or repeated is
 * skipped.
 */
#ifndef EFA_MONITOR_CWMETRIC_H
#define EFA_MONITOR_CWMETRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counter.h"
#include "tracker.h"

#define CW_NAMESPACE_DEFAULT "ParallelCluster/Network"

struct cw_metric_def {
	const char *name;       /* "rx_bytes_rate" */
	const char *unit;       /* "Bytes/Second" */
	enum metric_id source;
	bool rate;              /* per second; else the interval's increase */
};

/* The metric table, in publishing order. */
size_t cw_metric_count(void);
const struct cw_metric_def *cw_metric(size_t i);

enum cw_dim {
	CW_DIM_INSTANCE = 1u << 0,  /* InstanceId */
	CW_DIM_INTERFACE = 1u << 1, /* Interface */
	CW_DIM_JOB = 1u << 2,       /* JobId */
	CW_DIM_STEP = 1u << 3,      /* StepId */
};
#define CW_DIMSETS_MAX 8
#define CW_DIMSETS_DEFAULT "InstanceId,Interface,JobId"

struct cw_dimsets {
	unsigned count;
	unsigned set[CW_DIMSETS_MAX];  /* OR of enum cw_dim */
};

/* A value as JSON text: the shorter of %.15g and %.17g that reads back as
 * the same double (CloudWatch and EMF bodies). */
#define CW_NUMBER_MAX 40
void cw_format_number(double v, char out[CW_NUMBER_MAX]);

/* Parse "A,B;C" (names as above, case-sensitive). Returns 0, or -1 with a
 * message naming the bad part and the allowed names. */
int cw_dimsets_parse(const char *text, struct cw_dimsets *out, char *err, size_t errlen);

/* Drop JobId/StepId when 'have_job' is false, then empty and repeated sets. */
void cw_dimsets_resolve(struct cw_dimsets *d, bool have_job, bool have_step);

/* The fixed identity of every datum of a reporter. */
struct cw_identity {
	const char *instance_id;
	const char *job_id;      /* NULL for the node daemon */
	const char *step_id;     /* NULL when not published */
};

/* One value to publish. Strings point into the tracker/identity: copy
 * before they change. */
struct cw_datum {
	const struct cw_metric_def *def;
	unsigned dims;           /* OR of enum cw_dim */
	const char *interface;   /* set when dims has CW_DIM_INTERFACE */
	double value;
};

/*
 * Call 'fn' for each datum of the tracker's last interval under 'sets':
 * per interface (present, with a completed interval, having the source
 * counter) for sets with Interface; the node sum over such interfaces
 * otherwise (skipped when no interface has the source). Returns the
 * number of datums.
 */
size_t cw_datums_each(const struct tracker *t, const struct cw_dimsets *sets,
		      void (*fn)(const struct cw_datum *d, void *arg), void *arg);

#endif

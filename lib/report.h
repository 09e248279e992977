/*
 * report.h - what one node says about one monitored step, and what the
 * launching srun (or the batch step) makes of all nodes' reports.
 *
 * A node report holds, per interface, the cumulative metric values at the
 * step's start and end (exact totals come from those two snapshots) and
 * the peak rates the reporter saw in between. Reports travel as JSON with
 * every 64-bit figure written as a decimal string (JSON numbers lose
 * precision past 2^53, which a long-lived device's byte counter passes).
 */
#ifndef EFA_MONITOR_REPORT_H
#define EFA_MONITOR_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "counter.h"
#include "tracker.h"

#define REPORT_NAME_MAX 64
#define REPORT_MSG_MAX 256
#define REPORT_NODELIST_MAX 1024
/* What one summary holds at most: 65536 reports (a 1024-node job of 64
 * steps) and 2^20 interface records (about 512 MiB): a generous bound on
 * what a holder of the job's key can make srun or slurmstepd keep. */
#define REPORT_SUMMARY_MAX_REPORTS 65536
#define REPORT_SUMMARY_MAX_IFACES (1 << 20)

enum node_status {
	NODE_OK = 0,          /* counters read at start and end */
	NODE_NO_DEVICES,      /* no EFA or InfiniBand device on the node */
	NODE_UNREADABLE,      /* the sysfs root or the counters could not be read */
	NODE_MISSING,         /* no report arrived in time (set by the collector) */
	NODE_STATUS_COUNT
};

/* "ok", "no-devices", "unreadable", "missing". */
const char *node_status_name(enum node_status s);

struct iface_report {
	char name[REPORT_NAME_MAX];
	enum device_type type;
	uint64_t link_bps;
	uint32_t has;                     /* bit (1u << metric): the device has it */
	uint64_t start[METRIC_COUNT];     /* cumulative, at step start */
	uint64_t end[METRIC_COUNT];       /* cumulative, at step end */
	uint64_t total[METRIC_COUNT];     /* exact increase start -> end */
	double peak_rate[METRIC_COUNT];   /* per second, from the reporter's samples */
	uint32_t resets;                  /* counters that went backwards */
};

struct node_report {
	char node[REPORT_NAME_MAX];       /* Slurm node name */
	char job_id[32];
	char step_id[32];
	/* The step's nodes as a Slurm node list ("n[1-3]"), as the node saw
	 * them; "" if unknown or longer than REPORT_NODELIST_MAX - 1. srun
	 * cannot know a step's nodes inside an allocation (its environment
	 * has the job's), so it learns them from the reports. Optional on the
	 * wire. */
	char step_nodes[REPORT_NODELIST_MAX];
	enum node_status status;
	char status_msg[REPORT_MSG_MAX];  /* why, when not NODE_OK */
	uint64_t start_ns, end_ns;        /* CLOCK_REALTIME of the two snapshots */
	uint64_t samples;                 /* reporter samples behind the peaks */
	bool stream_interrupted;          /* the reporter died or could not start */
	char stream_msg[REPORT_MSG_MAX];
	double peak_rate[METRIC_COUNT];   /* the node's aggregate peak, per second */
	size_t nifaces;
	struct iface_report *ifaces;
};

/* Allocate a zeroed report; NULL on ENOMEM. */
struct node_report *node_report_create(void);
void node_report_destroy(struct node_report *r);

/*
 * Fill the per-interface start/end/total figures of 'r' from two
 * snapshots of one node (start and end of a step; their layouts may
 * differ: interfaces are matched by name, and a device only in one of them
 * is kept with what it has). Peaks are left as they are. Returns 0 or -1
 * (ENOMEM).
 */
int node_report_from_snapshots(struct node_report *r, const struct snapshot *start,
			       const struct snapshot *end);

/* Copy peak rates (per interface and node aggregate) and the sample count
 * from a tracker that followed the step. */
void node_report_set_peaks(struct node_report *r, const struct tracker *t);

/* JSON text (malloc'ed; NULL on ENOMEM), and back. Parsing checks every
 * field's type and range; names and ids must be printable UTF-8 (see
 * text.h), and in the messages anything else becomes '?'. On error
 * returns NULL with a message in 'err'. */
char *node_report_to_json(const struct node_report *r);
struct node_report *node_report_from_json(const char *text, size_t len, char *err,
					  size_t errlen);

/* --------------------------------------------------------- aggregation -- */

struct step_summary;

/*
 * Collect the reports of one step (or, with job_level, of a whole job:
 * several reports of the same node from different steps are merged by
 * their time windows, so overlapping steps are not counted twice).
 * Nodes marked with step_summary_expect() that never reported are listed
 * as missing. Building a summary is n log n in reports and interface
 * records (1024 nodes x 32 interfaces x 4 steps: make bench-summary).
 */
struct step_summary *step_summary_create(const char *job_id, const char *step_id,
					 bool job_level);
void step_summary_destroy(struct step_summary *s);
/*
 * Take ownership of 'r' (returns 0), or return -1 with errno (EINVAL,
 * ENOMEM) and leave 'r' to the caller.
 *
 * One node and step should send one report. A byte-for-byte copy of a
 * report already added (a re-send) is taken as that report. A different
 * one is a conflict: whoever holds the job's key can forge a report for
 * any node, so which one is genuine cannot be told, and neither is
 * chosen. The node is then left out of every figure, and the summary
 * names it on one line:
 *   "node n3: 2 conflicting reports; its figures are left out"
 * (JSON: its "status" is "conflict", with "conflicting_reports", the
 * number of distinct reports for its conflicting steps, and the top-level
 * "conflicts" lists such nodes).
 *
 * A summary holds at most REPORT_SUMMARY_MAX_REPORTS reports (conflicting
 * ones count) and REPORT_SUMMARY_MAX_IFACES interface records; beyond
 * them reports are refused (destroyed), counted, and the summary ends
 * with "N reports refused: a summary holds at most ..." (JSON:
 * "refused_reports"). Neither key appears in JSON when there is nothing
 * to say.
 */
int step_summary_add(struct step_summary *s, struct node_report *r);
/* How many distinct (node, step) reports it holds: what a collector
 * counts toward the nodes it expects (a re-send or a conflict adds none). */
size_t step_summary_report_count(const struct step_summary *s);
/* Lower the caps above (0 keeps one as it is; never raised), so tests
 * reach them without building half a gigabyte of reports. */
void step_summary_limit(struct step_summary *s, size_t max_reports, size_t max_ifaces);
/* Mark 'node' as expected (again is harmless); missing ones show in the
 * summary. */
int step_summary_expect(struct step_summary *s, const char *node);
/* The number of nodes expected, when their names are not all known: the
 * summary says how many more than the named ones never reported. */
void step_summary_expect_count(struct step_summary *s, size_t n);
/* Why a missing node is missing, for the summary ("no report within
 * 10 s"); default "no report". */
void step_summary_set_missing_reason(struct step_summary *s, const char *why);

/*
 * Write the human summary (several lines, each starting with 'prefix').
 * Per node: "node n1: TX <bytes> bytes, RX <bytes> bytes, <n> interfaces,
 * avg <x> Gbps TX+RX, peak <y> Gbps TX+RX[, straggler (<p> % of the
 * median)]": the node's figures add both directions, where the headline
 * gives them apart. "slowest node: ..." only when the median traffic is
 * above 0 (nobody is slow when no node moved data).
 */
void step_summary_print(const struct step_summary *s, FILE *out, const char *prefix);
/* The summary as JSON (malloc'ed). */
char *step_summary_to_json(const struct step_summary *s);

/* Straggler rule: a node whose traffic (TX+RX bytes) is below this
 * fraction of the median of the nodes is named a straggler. */
#define STRAGGLER_FRACTION 0.5

#endif

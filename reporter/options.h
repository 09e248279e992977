/*
 * options.h - the reporter's configuration: one struct, its defaults in
 * options_init(), its keys in one table shared by the config file
 * (/etc/efa-monitor.conf) and the command line (--key value).
 */
#ifndef EFA_MONITOR_OPTIONS_H
#define EFA_MONITOR_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "conf.h"
#include "log.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define OPTIONS_DEFAULT_CONFIG SYSCONFDIR "/efa-monitor.conf"

struct options {
	char *config;            /* the file read, NULL for none */
	char *sysfs_root;        /* "/sys" */
	double interval;         /* seconds between samples: 60 */
	double full_read_interval; /* seconds between reads of every counter: 10 */
	double window;           /* show: measuring window, seconds: 1 */
	unsigned long samples;   /* stop after this many intervals; 0: never */
	char *sinks;             /* comma list: "log" */
	char *log_file;          /* NULL: no log file */
	bool log_stdout;         /* rate lines on stdout: yes */
	bool health_lines;       /* a line when error/drop counters move: yes */
	enum log_level log_level;
	char *job_id;            /* per-job streams; NULL for the node daemon */
	char *step_id;
	char *instance_id;       /* NULL: from instance metadata (AWS sinks), else the node name */
	char *node_name;         /* Slurm node name (per-job reporters); NULL: the host name */
	bool imds;               /* ask EC2 instance metadata (IMDSv2): yes */
	char *imds_endpoint;     /* NULL: AWS_EC2_METADATA_SERVICE_ENDPOINT, else 169.254.169.254 */
	bool json;               /* show: JSON instead of a table */
	bool metrics_only;       /* read only the counters that feed a metric */
	unsigned long report_fd; /* write the final report (peaks) here; 0: none */

	/* CloudWatch PutMetricData sink ("cloudwatch"). */
	char *cw_namespace;      /* "ParallelCluster/Network" */
	char *cw_region;         /* NULL: AWS_REGION, AWS_DEFAULT_REGION, IMDS */
	char *cw_endpoint;       /* NULL: AWS_ENDPOINT_URL_CLOUDWATCH, AWS_ENDPOINT_URL, AWS's */
	char *cw_dimensions;     /* dimension sets: "InstanceId,Interface,JobId" */
	char *aws_profile;       /* NULL: AWS_PROFILE, else "default" */
	double cw_batch_interval; /* seconds of data per request: 300 */
	unsigned long cw_storage_resolution; /* 1 or 60 */
	unsigned long cw_queue_max; /* queued requests before the oldest is dropped: 50 */
	double cw_timeout;       /* one request, seconds: 10 */
	unsigned long cw_retries; /* attempts after the first: 4 */
	double cw_flush_timeout; /* at stop, seconds to deliver what is left: 5 */
	unsigned long cw_gzip_min; /* compress bodies of at least this many bytes: 10240 */

	/* The dashboard command. */
	char *dashboard_name;    /* "efa-monitor-jobs" */
	char *dashboard_scope;   /* "job" (a JobId variable) or "node" (InstanceId) */
	bool dashboard_put;      /* PutDashboard instead of printing the body */
	unsigned long line_rate_gbps; /* per node; 0: this node's devices */

	/* CloudWatch Embedded Metric Format sink ("emf"). */
	char *emf_address;       /* "udp://127.0.0.1:25888" or "tcp://..." */

	/* Prometheus textfile sink ("prometheus"). */
	char *prom_dir;          /* node_exporter textfile directory */
};

extern const struct conf_key options_keys[];

/* Defaults. Returns 0, or -1 (ENOMEM). */
int options_init(struct options *o);
void options_free(struct options *o);

/*
 * Parse a subcommand's arguments: first the config file (-c/--config
 * FILE, else the default one if it exists), then each --key VALUE,
 * --key=VALUE, --key / --no-key (booleans). Returns the index of the first
 * non-option argument, or -1 after printing what is wrong to stderr.
 */
int options_parse(struct options *o, int argc, char **argv);

/* Print the keys, their defaults and help, for --help. */
void options_usage(FILE *out);

#endif

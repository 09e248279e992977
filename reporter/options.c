/*
 * options.c - see options.h.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define KEY(n, t, f, lo, hi, h) {n, t, offsetof(struct options, f), lo, hi, h}

const struct conf_key options_keys[] = {
	KEY("sysfs_root", CONF_STRING, sysfs_root, 0, 0,
	    "sysfs mount to read (a simulated tree in tests)"),
	KEY("interval", CONF_SECONDS, interval, 0.001, 86400,
	    "seconds between samples"),
	KEY("full_read_interval", CONF_SECONDS, full_read_interval, 0, 86400,
	    "seconds between reads of counters that feed no metric (0: every sample)"),
	KEY("window", CONF_SECONDS, window, 0.001, 3600,
	    "show: seconds over which rates are measured"),
	KEY("samples", CONF_UINT, samples, 0, 1e12,
	    "stop after this many intervals (0: run until stopped)"),
	KEY("sinks", CONF_STRING, sinks, 0, 0,
	    "where rates go, a comma list: log, cloudwatch, emf, prometheus"),
	KEY("log_file", CONF_STRING, log_file, 0, 0,
	    "also write rate lines and diagnostics to this file"),
	KEY("log_stdout", CONF_BOOL, log_stdout, 0, 0, "write rate lines to stdout"),
	KEY("health_lines", CONF_BOOL, health_lines, 0, 0,
	    "log a line when error, drop or retransmit counters move"),
	KEY("log_level", CONF_LOGLEVEL, log_level, 0, 0, "error, warn, info or debug"),
	KEY("job_id", CONF_STRING, job_id, 0, 0, "tag streams with this Slurm job id"),
	KEY("step_id", CONF_STRING, step_id, 0, 0, "tag streams with this Slurm step id"),
	KEY("instance_id", CONF_STRING, instance_id, 0, 0,
	    "InstanceId of the streams (default: from instance metadata for the AWS sinks, "
	    "else the node name)"),
	KEY("node_name", CONF_STRING, node_name, 0, 0,
	    "Slurm node name, in log lines and reports (default: the host name)"),
	KEY("imds", CONF_BOOL, imds, 0, 0,
	    "ask EC2 instance metadata (IMDSv2) for credentials, region and InstanceId"),
	KEY("imds_endpoint", CONF_STRING, imds_endpoint, 0, 0,
	    "instance metadata URL (default: AWS_EC2_METADATA_SERVICE_ENDPOINT, then http://169.254.169.254)"),
	KEY("json", CONF_BOOL, json, 0, 0, "show: print JSON"),
	KEY("metrics_only", CONF_BOOL, metrics_only, 0, 0,
	    "read only the counters that feed a metric (per-job reporters)"),
	KEY("report_fd", CONF_UINT, report_fd, 0, 1024,
	    "on exit, write the run's peaks as a node report to this descriptor (SPANK plugin)"),
	KEY("cw_namespace", CONF_STRING, cw_namespace, 0, 0, "CloudWatch namespace"),
	KEY("cw_region", CONF_STRING, cw_region, 0, 0,
	    "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then instance metadata)"),
	KEY("cw_endpoint", CONF_STRING, cw_endpoint, 0, 0,
	    "CloudWatch endpoint URL (default: AWS_ENDPOINT_URL_CLOUDWATCH, AWS_ENDPOINT_URL, then AWS's)"),
	KEY("cw_dimensions", CONF_STRING, cw_dimensions, 0, 0,
	    "dimension sets, ';' between sets, ',' within: InstanceId, Interface, JobId, StepId"),
	KEY("aws_profile", CONF_STRING, aws_profile, 0, 0,
	    "profile of the shared credentials file (default: AWS_PROFILE, then default)"),
	KEY("cw_batch_interval", CONF_SECONDS, cw_batch_interval, 0, 3600,
	    "seconds of data gathered into one PutMetricData request (0: every interval)"),
	KEY("cw_storage_resolution", CONF_UINT, cw_storage_resolution, 1, 60,
	    "CloudWatch storage resolution: 1 (high resolution) or 60"),
	KEY("cw_queue_max", CONF_UINT, cw_queue_max, 1, 10000,
	    "requests queued while CloudWatch is unreachable; the oldest is dropped beyond"),
	KEY("cw_timeout", CONF_SECONDS, cw_timeout, 0.1, 300, "seconds for one request"),
	KEY("cw_retries", CONF_UINT, cw_retries, 0, 20,
	    "retries of a request after throttling, 5xx or timeouts"),
	KEY("cw_flush_timeout", CONF_SECONDS, cw_flush_timeout, 0, 600,
	    "at stop, seconds to deliver what is queued before dropping it"),
	KEY("cw_gzip_min", CONF_UINT, cw_gzip_min, 0, 1e9,
	    "gzip request bodies of at least this many bytes (0: never)"),
	KEY("dashboard_name", CONF_STRING, dashboard_name, 0, 0,
	    "dashboard: the CloudWatch dashboard's name"),
	KEY("dashboard_scope", CONF_STRING, dashboard_scope, 0, 0,
	    "dashboard: job (pick a JobId) or node (pick an InstanceId)"),
	KEY("dashboard_put", CONF_BOOL, dashboard_put, 0, 0,
	    "dashboard: create it with PutDashboard instead of printing its body"),
	KEY("line_rate_gbps", CONF_UINT, line_rate_gbps, 0, 1e6,
	    "dashboard: a node's line rate in Gb/s (0: the sum of this node's links)"),
	KEY("emf_address", CONF_STRING, emf_address, 0, 0,
	    "CloudWatch agent EMF listener: udp://HOST:PORT or tcp://HOST:PORT"),
	KEY("prom_dir", CONF_STRING, prom_dir, 0, 0,
	    "node_exporter textfile collector directory for the prometheus sink"),
	{NULL, CONF_STRING, 0, 0, 0, NULL},
};

int options_init(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->interval = 60.0;
	o->full_read_interval = 10.0;
	o->window = 1.0;
	o->log_stdout = true;
	o->health_lines = true;
	o->imds = true;
	o->log_level = LOG_LEVEL_INFO;
	o->sysfs_root = strdup("/sys");
	o->sinks = strdup("log");
	o->cw_namespace = strdup("ParallelCluster/Network");
	o->cw_dimensions = strdup("InstanceId,Interface,JobId");
	o->cw_batch_interval = 300.0;
	o->cw_storage_resolution = 60;
	o->cw_queue_max = 50;
	o->cw_timeout = 10.0;
	o->cw_retries = 4;
	o->cw_flush_timeout = 5.0;
	o->cw_gzip_min = 10240;
	o->emf_address = strdup("udp://127.0.0.1:25888");
	o->dashboard_name = strdup("efa-monitor-jobs");
	o->dashboard_scope = strdup("job");
	o->prom_dir = strdup("/var/lib/prometheus/node-exporter");
	if (!o->sysfs_root || !o->sinks || !o->cw_namespace || !o->cw_dimensions ||
	    !o->emf_address || !o->prom_dir || !o->dashboard_name || !o->dashboard_scope) {
		options_free(o);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void options_free(struct options *o)
{
	conf_free(options_keys, o);
	free(o->config);
	o->config = NULL;
}

/* "--log-file" -> "log_file" in 'buf'. */
static void _key_of(const char *arg, char *buf, size_t len)
{
	size_t i = 0;
	for (; arg[i] && arg[i] != '=' && i + 1 < len; i++)
		buf[i] = arg[i] == '-' ? '_' : arg[i];
	buf[i] = '\0';
}

static int _find_config(struct options *o, int argc, char **argv)
{
	const char *path = NULL;
	bool explicit = false;
	char err[CONF_ERR_MAX];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "efa-monitor: %s needs a file name\n", argv[i]);
				return -1;
			}
			path = argv[++i];
			explicit = true;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			path = argv[i] + 9;
			explicit = true;
		}
	}
	if (!path)
		path = OPTIONS_DEFAULT_CONFIG;
	if (conf_parse_file(options_keys, o, path, !explicit, err, sizeof(err)) < 0) {
		fprintf(stderr, "efa-monitor: %s\n", err);
		return -1;
	}
	free(o->config);
	o->config = strdup(path);
	return 0;
}

int options_parse(struct options *o, int argc, char **argv)
{
	char err[CONF_ERR_MAX], key[64];
	int i;

	if (_find_config(o, argc, argv) < 0)
		return -1;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *value = NULL;
		const struct conf_key *k;

		if (strcmp(arg, "--") == 0)
			return i + 1;
		if (strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0) {
			i++;
			continue;
		}
		if (strncmp(arg, "--config=", 9) == 0)
			continue;
		if (strncmp(arg, "--", 2) != 0)
			return i;
		_key_of(arg + 2, key, sizeof(key));
		value = strchr(arg, '=');
		if (value)
			value++;
		k = conf_find(options_keys, key);
		if (!k && !value && strncmp(key, "no_", 3) == 0 &&
		    (k = conf_find(options_keys, key + 3)) && k->type == CONF_BOOL) {
			value = "no";
			memmove(key, key + 3, strlen(key + 3) + 1);
		} else if (k && !value && k->type == CONF_BOOL) {
			value = "yes";
		} else if (!k) {
			k = NULL;
		} else if (!value) {
			if (i + 1 >= argc) {
				fprintf(stderr, "efa-monitor: %s needs a value\n", arg);
				return -1;
			}
			value = argv[++i];
		}
		if (!k || !value) {
			fprintf(stderr, "efa-monitor: unknown option '%s' (see --help)\n", arg);
			return -1;
		}
		char origin[80];
		snprintf(origin, sizeof(origin), "--%s", arg + 2);
		if (strchr(origin, '='))
			*strchr(origin, '=') = '\0';
		if (conf_set(options_keys, o, key, value, origin, err, sizeof(err)) < 0) {
			fprintf(stderr, "efa-monitor: %s\n", err);
			return -1;
		}
	}
	return i;
}

void options_usage(FILE *out)
{
	fprintf(out, "Options (each is also a key of the config file, %s):\n",
		OPTIONS_DEFAULT_CONFIG);
	fprintf(out, "  -c, --config FILE       read FILE instead of the default config\n");
	for (const struct conf_key *k = options_keys; k->name; k++) {
		char flag[64];
		size_t n = (size_t)snprintf(flag, sizeof(flag), "--%s", k->name);
		for (size_t j = 2; j < n; j++)
			if (flag[j] == '_')
				flag[j] = '-';
		const char *arg = k->type == CONF_BOOL ? "" :
				  k->type == CONF_SECONDS ? " S" :
				  k->type == CONF_UINT ? " N" : " VALUE";
		char both[96];
		snprintf(both, sizeof(both), "%s%s", flag, arg);
		fprintf(out, "  %-23s %s%s\n", both, k->help,
			k->type == CONF_BOOL ? " (--no-... to turn off)" : "");
	}
}

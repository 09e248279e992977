/*
 * sink.h - where the reporter's figures go.
 *
 * A sink is a small vtable: open once with the options, write each
 * interval's report, flush and close at the end. The log sink is the
 * first; CloudWatch, EMF and Prometheus plug in here. A sink's failure is
 * logged and counted by the sink itself; it never stops the reporter.
 */
#ifndef EFA_MONITOR_SINK_H
#define EFA_MONITOR_SINK_H

#include <stdint.h>

#include "cwclient.h"
#include "options.h"
#include "tracker.h"

/* One interval's figures, as every sink sees them. */
struct report {
	const struct tracker *tracker;
	const struct snapshot *snapshot;  /* the latest sample */
	const struct options *options;
	const char *node_name;            /* Slurm node name, else the host name */
	uint64_t real_ns;                 /* wall-clock time of the sample */
};

struct sink;

struct sink_ops {
	const char *name;
	/* Set up; returns 0, or -1 after logging why. */
	int (*open)(struct sink *s, const struct options *o);
	/* Take one interval's report; returns 0, or -1 after logging. */
	int (*write)(struct sink *s, const struct report *r);
	/* Push out anything buffered (end of run, SIGTERM). */
	int (*flush)(struct sink *s);
	/* SIGHUP: reopen files (logrotate). May be NULL. */
	int (*reopen)(struct sink *s);
	void (*close)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	void *priv;
	uint64_t errors;                  /* failed writes, for the log */
};

struct sink_set;

/*
 * Open the sinks named in the comma list 'names' ("log"). An unknown name
 * is an error naming it and the known ones. Returns NULL after logging.
 */
struct sink_set *sink_set_open(const char *names, const struct options *o);
void sink_set_write(struct sink_set *set, const struct report *r);
void sink_set_flush(struct sink_set *set);
void sink_set_reopen(struct sink_set *set);
void sink_set_close(struct sink_set *set);

/*
 * The AWS client settings of the options, shared by the cloudwatch and emf
 * sinks so both name the instance alike: InstanceId is the configured
 * one, else instance metadata's, or the Slurm node name when metadata is
 * off (imds = no). The instance-metadata settings are exported to the
 * credential chain, which reads the environment: a per-job reporter has
 * none of its own, so the config speaks for it.
 */
void sink_aws_config(const struct options *o, struct cw_client_config *cc);

extern const struct sink_ops sink_log_ops;
extern const struct sink_ops sink_cloudwatch_ops;
extern const struct sink_ops sink_emf_ops;
extern const struct sink_ops sink_prom_ops;

#endif

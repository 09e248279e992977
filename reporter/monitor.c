/*
 * monitor.c - see monitor.h.
 *
 * Signals are blocked and taken synchronously through a signalfd, so the
 * loop has one place where it waits and no async handler can interrupt a
 * sample or a sink half-way.
 *
 * A per-job reporter (--report-fd) also watches its report pipe while it
 * waits: slurmstepd holds the read end, so the pipe breaks (POLLERR) the
 * moment slurmstepd dies, however it dies. The reporter then stops at
 * once: nothing of ours outlives its step. (PR_SET_PDEATHSIG would fire
 * when the forking *thread* of slurmstepd ends, not the process.)
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "fabric.h"
#include "log.h"
#include "monitor.h"
#include "report.h"
#include "sink.h"
#include "tracker.h"

static uint64_t _mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* What ended a wait. */
#define WAIT_DEADLINE 0
#define WAIT_PARENT_GONE (-1)

/*
 * Wait until 'deadline' (monotonic ns), a signal on 'sigfd', or, when
 * 'report_fd' >= 0, the report pipe breaking. Returns the signal number,
 * WAIT_DEADLINE or WAIT_PARENT_GONE.
 */
static int _wait(int sigfd, int report_fd, uint64_t deadline)
{
	for (;;) {
		uint64_t now = _mono_ns();
		if (now >= deadline)
			return WAIT_DEADLINE;
		uint64_t left_ms = (deadline - now + 999999) / 1000000;
		struct pollfd pfd[2] = {
		    {.fd = sigfd, .events = POLLIN},
		    {.fd = report_fd, .events = 0}, /* only POLLERR/POLLHUP */
		};
		int rc = poll(pfd, report_fd >= 0 ? 2 : 1, left_ms > 60000 ? 60000 : (int)left_ms);
		if (rc < 0 && errno != EINTR)
			return WAIT_DEADLINE;
		if (rc <= 0)
			continue;
		if (report_fd >= 0 && (pfd[1].revents & (POLLERR | POLLHUP | POLLNVAL)))
			return WAIT_PARENT_GONE;
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				return (int)si.ssi_signo;
		}
	}
}

/* The node's name in logs and reports: the Slurm node name, else the host's. */
static void _node_name(const struct options *o, char *buf, size_t len)
{
	if (o->node_name) {
		snprintf(buf, len, "%s", o->node_name);
		return;
	}
	if (gethostname(buf, len) < 0 || !buf[0])
		snprintf(buf, len, "unknown");
	buf[len - 1] = '\0';
}

/*
 * Write the run's peak rates, per interface and for the node, as a node
 * report to 'fd' (the SPANK plugin reads it when it stops the reporter;
 * its exact totals come from its own snapshots).
 */
static void _write_final_report(int fd, const struct tracker *t, const struct options *o,
				const char *node)
{
	struct node_report *r = node_report_create();
	size_t n = tracker_iface_count(t);
	char *text = NULL;

	if (!r)
		goto out;
	r->ifaces = calloc(n ? n : 1, sizeof(*r->ifaces));
	if (!r->ifaces)
		goto out;
	r->nifaces = n;
	for (size_t i = 0; i < n; i++) {
		const struct iface_stats *s = tracker_iface(t, i);
		memcpy(r->ifaces[i].name, s->name, sizeof(r->ifaces[i].name));
		r->ifaces[i].type = s->type;
		r->ifaces[i].link_bps = s->link_bps;
		r->ifaces[i].has = s->has;
	}
	node_report_set_peaks(r, t);
	/* Node names are short; an over-long one is cut. */
	memcpy(r->node, node, strnlen(node, sizeof(r->node) - 1));
	snprintf(r->job_id, sizeof(r->job_id), "%s", o->job_id ? o->job_id : "");
	snprintf(r->step_id, sizeof(r->step_id), "%s", o->step_id ? o->step_id : "");
	text = node_report_to_json(r);
	if (!text)
		goto out;
	for (size_t off = 0, len = strlen(text); off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_error("cannot write the final report to fd %d: %s", fd, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
out:
	free(text);
	node_report_destroy(r);
}

/* Hand one interval's figures to every sink. */
static void _publish(struct sink_set *sinks, const struct tracker *t, const struct snapshot *snap,
		     const struct options *o, const char *node)
{
	struct report r = {
		.tracker = t,
		.snapshot = snap,
		.options = o,
		.node_name = node,
		.real_ns = snap->real_ns,
	};
	struct node_stats ns;

	/* The window every rate of this interval is over, to the nanosecond:
	 * what a reader (or a test) needs to turn a rate back into bytes. */
	tracker_node(t, &ns);
	log_debug("rates over %" PRIu64 " ns (measured)", ns.interval_ns);
	sink_set_write(sinks, &r);
}

int monitor_run(const struct options *o)
{
	struct fabric *fabric = NULL;
	struct snapshot *snap = NULL;
	struct tracker *tracker = NULL;
	struct sink_set *sinks = NULL;
	sigset_t set, old;
	char node[256];
	uint64_t interval_ns = (uint64_t)(o->interval * 1e9), next;
	unsigned long done = 0;
	/* Every counter at least every full_read_interval; the metric
	 * counters at every sample. */
	unsigned long full_every = o->full_read_interval > o->interval ?
					   (unsigned long)(o->full_read_interval / o->interval + 0.5) : 1;
	uint64_t overruns = 0;
	int status = 1, sigfd = -1;
	int report_fd = o->report_fd ? (int)o->report_fd : -1;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sigfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		goto out;
	}

	_node_name(o, node, sizeof(node));
	fabric = fabric_create_flags(o->sysfs_root, o->metrics_only ? FABRIC_METRICS_ONLY : 0);
	if (!fabric) {
		log_error("cannot watch %s: %s", o->sysfs_root, strerror(errno));
		goto out;
	}
	snap = snapshot_create();
	tracker = tracker_create();
	if (!snap || !tracker) {
		log_error("out of memory");
		goto out;
	}
	sinks = sink_set_open(o->sinks, o);
	if (!sinks)
		goto out;
	log_info("watching %zu devices under %s every %g s (%zu of %zu counters; all every %lu samples)",
		 fabric_layout(fabric)->ndevices, fabric_root(fabric), o->interval,
		 fabric_metric_counter_count(fabric), fabric_layout(fabric)->ncounters, full_every);

	next = _mono_ns();
	for (;;) {
		enum fabric_read what = done % full_every == 0 ? FABRIC_READ_ALL : FABRIC_READ_METRICS;
		if (fabric_sample_some(fabric, snap, what) < 0 || tracker_update(tracker, snap) < 0) {
			log_error("sample failed: %s", strerror(errno));
		} else if (tracker_last(tracker) && done > 0) {
			_publish(sinks, tracker, snap, o, node);
		} else if (done == 0) {
			/* What a test waits for before it moves counters. */
			log_debug("baseline sample taken");
		}
		if (o->samples && done >= o->samples)
			break;
		done++;
		/* The next tick on the fixed schedule; ticks missed because a
		 * sample overran are skipped, and counted. */
		next += interval_ns;
		uint64_t now = _mono_ns();
		if (now > next) {
			uint64_t missed = (now - next) / interval_ns + 1;
			overruns += missed;
			next += missed * interval_ns;
			log_warn("sampling overran the interval: %llu ticks skipped",
				 (unsigned long long)missed);
		}
		int sig;
		while ((sig = _wait(sigfd, report_fd, next)) == SIGHUP) {
			if (o->log_file && log_open_file(o->log_file) < 0)
				log_error("cannot reopen %s: %s", o->log_file, strerror(errno));
			sink_set_reopen(sinks);
			log_info("log reopened");
		}
		if (sig == SIGTERM || sig == SIGINT) {
			/* The partial interval up to now counts too: a job shorter
			 * than one interval still gets its rates and peaks. */
			if (fabric_sample(fabric, snap) == 0 && tracker_update(tracker, snap) == 0) {
				_publish(sinks, tracker, snap, o, node);
			}
			log_info("stopping on signal %d after %lu intervals", sig, done);
			break;
		}
		if (sig == WAIT_PARENT_GONE) {
			log_error("slurmstepd is gone (the report pipe broke): stopping after %lu "
				  "intervals",
				  done);
			report_fd = -1; /* nobody reads it */
			break;
		}
	}
	status = 0;
	if (report_fd >= 0)
		_write_final_report(report_fd, tracker, o, node);
out:
	if (sinks) {
		sink_set_flush(sinks);
		sink_set_close(sinks);
	}
	if (overruns)
		log_warn("%llu ticks skipped in all", (unsigned long long)overruns);
	tracker_destroy(tracker);
	snapshot_destroy(snap);
	fabric_destroy(fabric);
	if (sigfd >= 0)
		close(sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return status;
}

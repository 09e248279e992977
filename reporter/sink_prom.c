/*
 * sink_prom.c - the node's counters for Prometheus, as a file for
 * node_exporter's textfile collector (--collector.textfile.directory =
 * prom_dir), rewritten every interval.
 *
 * What is exported, and why:
 *   - Each metric (counter.h) is one counter family, efa_monitor_<what>_total
 *     in base units (bytes, packets, events), one series per device and
 *     port. Its value is the device's own raw counter in the metric's unit
 *     (IB port_*_data x 4; a metric with several sources, such as
 *     rdma_errors, is their sum), not the tracker's totals since start.
 *     That is what mature exporters do (node_exporter's node_network_* and
 *     infiniband collectors export the kernel's counters): the series is a
 *     true counter that survives reporter restarts, the node daemon and a
 *     job's reporter agree, and a driver reset shows as a reset, which
 *     rate() and increase() handle. A job's traffic is increase() over its
 *     window (on a node shared by jobs, the device's traffic of them all).
 *   - Only series whose source counters the device has: no zero is
 *     invented. A series whose source reads oddly (missing, N/A, garbage)
 *     is left out of that file, so Prometheus sees it go stale rather than
 *     a false value that would look like a reset; the device's
 *     efa_monitor_read_errors gauge says why.
 *   - Labels: device, port, type (efa|ib); a per-job reporter adds job_id
 *     and step_id to every series, including the self-metrics, so several
 *     files never hold the same series and node_exporter merges them.
 *   - efa_monitor_device_info (1, with driver and PCI address),
 *     efa_monitor_link_speed_bytes (line rate in bytes per second, as
 *     node_network_speed_bytes), and self-metrics: the sample's wall-clock
 *     time (stale-file detection), counters not reading per device, and
 *     failed writes of this file.
 *
 * Files: the node daemon writes efa-monitor.prom and leaves it at exit
 * (its timestamp tells a stale file); a per-job reporter writes
 * efa-monitor-job-<job>[.<step>].prom and removes it at exit, so the
 * job's series end with it. Job and step ids are checked to be plain file
 * name parts at open. Each write goes to <file>.tmp (which the collector's
 * *.prom glob skips), created afresh with O_EXCL and mode 0644 whatever
 * the umask (node_exporter runs as another user), then renamed over the
 * file, so a scrape never sees half a file. Per-job reporters run as the
 * job user: the directory must be writable by them (a sticky directory
 * keeps users from replacing each other's files).
 *
 * Failures: a missing directory fails the open; after that nothing is
 * fatal: each kind of failure (errno) is logged once, every one is
 * counted (efa_monitor_textfile_write_errors_total, and the sink's error
 * count), and the next interval tries again.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "promtext.h"
#include "rate.h"
#include "sink.h"

#define ERRNO_KINDS 16
#define ID_MAX 64
#define PORTS_MAX 8 /* per device; ports beyond are not exported */

struct prom_family {
	const char *name;
	const char *help;
};

/* One counter family per metric. HELP texts are constants: node_exporter
 * refuses a family whose HELP differs between files. */
static const struct prom_family _families[METRIC_COUNT] = {
	[METRIC_TX_BYTES] = {"efa_monitor_transmit_bytes_total",
			     "Bytes transmitted (EFA tx_bytes; IB port_xmit_data x 4)."},
	[METRIC_RX_BYTES] = {"efa_monitor_receive_bytes_total",
			     "Bytes received (EFA rx_bytes; IB port_rcv_data x 4)."},
	[METRIC_TX_PKTS] = {"efa_monitor_transmit_packets_total",
			    "Packets transmitted (EFA tx_pkts; IB port_xmit_packets)."},
	[METRIC_RX_PKTS] = {"efa_monitor_receive_packets_total",
			    "Packets received (EFA rx_pkts; IB port_rcv_packets)."},
	[METRIC_RX_ERRORS] = {"efa_monitor_receive_errors_total",
			      "Received packets with errors (IB port_rcv_errors)."},
	[METRIC_TX_DISCARDS] = {"efa_monitor_transmit_discards_total",
				"Outbound packets discarded (IB port_xmit_discards)."},
	[METRIC_RX_DROPS] = {"efa_monitor_receive_drops_total",
			     "Received packets dropped (EFA rx_drops)."},
	[METRIC_RDMA_ERRORS] = {"efa_monitor_rdma_errors_total",
				"RDMA work requests completed in error "
				"(EFA rdma_read_wr_err + rdma_write_wr_err)."},
	[METRIC_RETRANS_PKTS] = {"efa_monitor_retransmitted_packets_total",
				 "Packets retransmitted (EFA retrans_pkts)."},
	[METRIC_RETRANS_TIMEOUTS] = {"efa_monitor_retransmit_timeouts_total",
				     "Retransmission timeouts (EFA retrans_timeout_events)."},
	[METRIC_UNRESPONSIVE_REMOTE] = {"efa_monitor_unresponsive_remote_events_total",
					"Remote peers found unresponsive "
					"(EFA unresponsive_remote_events)."},
	[METRIC_IMPAIRED_REMOTE] = {"efa_monitor_impaired_remote_events_total",
				    "Connections to remote peers found impaired "
				    "(EFA impaired_remote_conn_events)."},
	[METRIC_LINK_ERRORS] = {"efa_monitor_link_errors_total",
				"Link errors (IB symbol_error + link_downed + link_error_recovery)."},
};

/* A metric of a device's port in one sample. */
struct cell {
	uint64_t value;             /* in the metric's unit, summed over sources */
	int8_t state;               /* 0: no source; 1: value; -1: a source is odd */
};

struct prom_sink {
	char *path;                 /* <dir>/<name>.prom */
	char *tmp;                  /* <path>.tmp */
	const char *job_id;         /* NULL for the node daemon */
	const char *step_id;
	char *ids;                  /* storage of job_id and step_id */
	struct promtext text;       /* reused every interval */
	/* The sample's metrics, by port slot: a device's slots start at
	 * first[dev]; slot s is port slot_port[s], its metric m is
	 * cells[s * METRIC_COUNT + m]. Reused every interval. */
	size_t *first;
	unsigned *slot_port;
	struct cell *cells;
	size_t cap_devices, cap_slots; /* of first; of slot_port and cells (in slots) */
	uint64_t write_errors;
	int logged[ERRNO_KINDS];    /* errno values already logged */
	size_t nlogged;
	bool logged_since_ok;       /* a failure was logged since the last good write */
};

/* Labels of a series: device ones, then the job's. */
enum { L_DEVICE, L_PORT, L_TYPE, L_JOB, L_STEP, L_COUNT };

static void _labels(const struct prom_sink *ps, struct prom_label *l, const char *device,
		    const char *port, const char *type)
{
	l[L_DEVICE] = (struct prom_label){"device", device};
	l[L_PORT] = (struct prom_label){"port", port};
	l[L_TYPE] = (struct prom_label){"type", type};
	l[L_JOB] = (struct prom_label){"job_id", ps->job_id};
	l[L_STEP] = (struct prom_label){"step_id", ps->step_id};
}

/* A port number for a counter: device-level counters of a one-port
 * device (EFA's pre-5.15 single list) belong to that port. */
static unsigned _port_of(const struct layout_device *d, const struct layout_counter *c)
{
	if (c->port || d->nports != 1)
		return c->port;
	return d->ports[0].num;
}

/* The ports whose series a device may have, into 'out' (if not NULL):
 * each port, and port 0 for device-level counters unless they belong to
 * the only port. Returns how many. */
static size_t _ports(const struct layout_device *d, unsigned *out, size_t max)
{
	size_t n = 0;
	for (size_t p = 0; p < d->nports && n < max; p++, n++)
		if (out)
			out[n] = d->ports[p].num;
	if (d->nports != 1 && n < max) {
		if (out)
			out[n] = 0;
		n++;
	}
	return n;
}

/*
 * Sum each metric's sources per device and port, in one pass over the
 * counters. Returns 0, or -1 (ENOMEM).
 */
static int _tabulate(struct prom_sink *ps, const struct snapshot *snap)
{
	const struct layout *l = snap->layout;
	size_t slots = 0;

	for (size_t dev = 0; dev < l->ndevices; dev++)
		slots += _ports(&l->devices[dev], NULL, PORTS_MAX);
	if (l->ndevices + 1 > ps->cap_devices) {
		size_t *f = realloc(ps->first, (l->ndevices + 1) * sizeof(*f));
		if (!f)
			return -1;
		ps->first = f;
		ps->cap_devices = l->ndevices + 1;
	}
	if (slots + 1 > ps->cap_slots) {
		unsigned *sp = realloc(ps->slot_port, (slots + 1) * sizeof(*sp));
		if (!sp)
			return -1;
		ps->slot_port = sp;
		struct cell *c = realloc(ps->cells, (slots + 1) * METRIC_COUNT * sizeof(*c));
		if (!c)
			return -1;
		ps->cells = c;
		ps->cap_slots = slots + 1;
	}
	memset(ps->cells, 0, slots * METRIC_COUNT * sizeof(*ps->cells));

	slots = 0;
	for (size_t dev = 0; dev < l->ndevices; dev++) {
		const struct layout_device *d = &l->devices[dev];
		size_t np = _ports(d, &ps->slot_port[slots], PORTS_MAX);
		ps->first[dev] = slots;
		for (size_t i = d->first_counter; i < d->first_counter + d->ncounters; i++) {
			const struct layout_counter *c = &l->counters[i];
			unsigned port = _port_of(d, c);
			size_t p = 0;
			if (c->desc.metric == METRIC_NONE)
				continue;
			while (p < np && ps->slot_port[slots + p] != port)
				p++;
			if (p == np)
				continue;
			struct cell *cell = &ps->cells[(slots + p) * METRIC_COUNT + c->desc.metric];
			if (snap->states[i] != COUNTER_OK) {
				cell->state = -1;
			} else if (cell->state >= 0) {
				cell->value = rate_add_sat(
					cell->value, rate_mul_sat(snap->values[i], c->desc.multiplier));
				cell->state = 1;
			}
		}
		slots += np;
	}
	ps->first[l->ndevices] = slots;
	return 0;
}

static void _render_metric(struct prom_sink *ps, const struct snapshot *snap, enum metric_id m)
{
	const struct layout *l = snap->layout;
	bool header = false;

	for (size_t dev = 0; dev < l->ndevices; dev++) {
		const struct layout_device *d = &l->devices[dev];
		for (size_t s = ps->first[dev]; s < ps->first[dev + 1]; s++) {
			const struct cell *cell = &ps->cells[s * METRIC_COUNT + m];
			struct prom_label lab[L_COUNT];
			char port[16];
			if (cell->state != 1)
				continue;
			if (!header) {
				promtext_family(&ps->text, _families[m].name, "counter",
						_families[m].help);
				header = true;
			}
			snprintf(port, sizeof(port), "%u", ps->slot_port[s]);
			_labels(ps, lab, d->name, port, device_type_name(d->type));
			promtext_sample_u64(&ps->text, _families[m].name, lab, L_COUNT, cell->value);
		}
	}
}

static void _render_devices(struct prom_sink *ps, const struct layout *l)
{
	static const char info[] = "efa_monitor_device_info";
	static const char speed[] = "efa_monitor_link_speed_bytes";
	bool header = false;

	if (l->ndevices)
		promtext_family(&ps->text, info, "gauge",
				"An RDMA device efa-monitor reads, with its driver and PCI address.");
	for (size_t dev = 0; dev < l->ndevices; dev++) {
		const struct layout_device *d = &l->devices[dev];
		const struct prom_label lab[] = {
			{"device", d->name},
			{"type", device_type_name(d->type)},
			{"driver", d->driver[0] ? d->driver : NULL},
			{"pci", d->pci[0] ? d->pci : NULL},
			{"job_id", ps->job_id},
			{"step_id", ps->step_id},
		};
		promtext_sample(&ps->text, info, lab, sizeof(lab) / sizeof(lab[0]), "1");
	}
	for (size_t dev = 0; dev < l->ndevices; dev++) {
		const struct layout_device *d = &l->devices[dev];
		for (size_t p = 0; p < d->nports; p++) {
			struct prom_label lab[L_COUNT];
			char port[16], value[32];
			uint64_t bps = d->ports[p].rate_bps;
			if (!bps)
				continue;
			if (!header) {
				promtext_family(&ps->text, speed, "gauge",
						"Line rate of the port in bytes per second.");
				header = true;
			}
			/* bits / 8, exactly: at most three decimals. */
			if (bps % 8)
				snprintf(value, sizeof(value), "%" PRIu64 ".%03u", bps / 8,
					 (unsigned)(bps % 8) * 125);
			else
				snprintf(value, sizeof(value), "%" PRIu64, bps / 8);
			snprintf(port, sizeof(port), "%u", d->ports[p].num);
			_labels(ps, lab, d->name, port, device_type_name(d->type));
			promtext_sample(&ps->text, speed, lab, L_COUNT, value);
		}
	}
}

static void _render_self(struct prom_sink *ps, const struct report *r)
{
	static const char odd[] = "efa_monitor_read_errors";
	static const char stamp[] = "efa_monitor_last_sample_timestamp_seconds";
	static const char werr[] = "efa_monitor_textfile_write_errors_total";
	const struct snapshot *snap = r->snapshot;
	const struct layout *l = snap->layout;
	struct prom_label lab[L_COUNT];
	char value[40];

	if (l->ndevices)
		promtext_family(&ps->text, odd, "gauge",
				"Counter files of the device that did not read as a number in the "
				"latest sample (missing, unreadable, empty, N/A, garbage, overflow).");
	for (size_t dev = 0; dev < l->ndevices; dev++) {
		const struct layout_device *d = &l->devices[dev];
		uint64_t n = 0;
		for (size_t i = d->first_counter; i < d->first_counter + d->ncounters; i++)
			n += snap->states[i] != COUNTER_OK;
		_labels(ps, lab, d->name, NULL, device_type_name(d->type));
		promtext_sample_u64(&ps->text, odd, lab, L_COUNT, n);
	}
	_labels(ps, lab, NULL, NULL, NULL);
	promtext_family(&ps->text, stamp, "gauge",
			"Wall-clock time of the sample this file holds, in seconds since the epoch.");
	snprintf(value, sizeof(value), "%" PRIu64 ".%03u", r->real_ns / 1000000000u,
		 (unsigned)(r->real_ns % 1000000000u / 1000000u));
	promtext_sample(&ps->text, stamp, lab, L_COUNT, value);
	promtext_family(&ps->text, werr, "counter",
			"Failed writes of this file since the reporter started.");
	promtext_sample_u64(&ps->text, werr, lab, L_COUNT, ps->write_errors);
}

/* Returns 0, or -1 (ENOMEM). */
static int _render(struct prom_sink *ps, const struct report *r)
{
	promtext_clear(&ps->text);
	if (_tabulate(ps, r->snapshot) < 0)
		return -1;
	for (int m = 0; m < METRIC_COUNT; m++)
		_render_metric(ps, r->snapshot, (enum metric_id)m);
	_render_devices(ps, r->snapshot->layout);
	_render_self(ps, r);
	return ps->text.failed ? -1 : 0;
}

/* Count a failure of 'what' on 'path' (errno); log each errno once.
 * Returns -1. */
static int _fail(struct prom_sink *ps, const char *what, const char *path)
{
	int err = errno;
	size_t i = 0;

	ps->write_errors++;
	while (i < ps->nlogged && ps->logged[i] != err)
		i++;
	if (i == ps->nlogged) {
		log_error("prometheus sink: cannot %s %s: %s (each kind of failure is logged "
			  "once, then only counted)",
			  what, path, strerror(err));
		if (ps->nlogged < ERRNO_KINDS)
			ps->logged[ps->nlogged++] = err;
		ps->logged_since_ok = true;
	}
	errno = err;
	return -1;
}

/* Remove our temp file after a failure, keeping the failure's errno. */
static void _drop_tmp(struct prom_sink *ps)
{
	int err = errno;
	unlink(ps->tmp);
	errno = err;
}

/* Write the rendered text to the temp file and rename it over the file. */
static int _store(struct prom_sink *ps)
{
	const char *p = ps->text.buf;
	size_t left = ps->text.len;
	int fd;

	/* A temp file left by a killed predecessor (or a squatter's, which
	 * this fails to remove and O_EXCL then refuses). */
	if (unlink(ps->tmp) < 0 && errno != ENOENT)
		return _fail(ps, "remove", ps->tmp);
	fd = open(ps->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return _fail(ps, "create", ps->tmp);
	if (fchmod(fd, 0644) < 0) {
		close(fd);
		_drop_tmp(ps);
		return _fail(ps, "set the mode of", ps->tmp);
	}
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			close(fd);
			_drop_tmp(ps);
			return _fail(ps, "write", ps->tmp);
		}
		p += w;
		left -= (size_t)w;
	}
	if (close(fd) < 0) {
		_drop_tmp(ps);
		return _fail(ps, "write", ps->tmp);
	}
	if (rename(ps->tmp, ps->path) < 0) {
		_drop_tmp(ps);
		return _fail(ps, "rename into", ps->path);
	}
	return 0;
}

static int _write(struct sink *s, const struct report *r)
{
	struct prom_sink *ps = s->priv;

	if (_render(ps, r) < 0) {
		errno = ENOMEM;
		return _fail(ps, "render", ps->path);
	}
	if (_store(ps) < 0)
		return -1;
	if (ps->logged_since_ok) {
		log_info("prometheus sink: %s written again (%" PRIu64 " failed writes so far)",
			 ps->path, ps->write_errors);
		ps->logged_since_ok = false;
	}
	return 0;
}

/* True if 's' is a non-empty file name part made of digits, the
 * characters of 'extra', and letters if 'letters'. */
static bool _id_ok(const char *s, const char *extra, bool letters)
{
	size_t n = strlen(s);
	if (n == 0 || n > ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= '0' && c <= '9') || strchr(extra, c) ||
			  (letters && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')));
		if (!ok)
			return false;
	}
	return true;
}

static int _check_dir(const char *dir)
{
	struct stat st;

	if (!dir || !dir[0]) {
		log_error("prometheus sink: prom_dir is empty (set it to node_exporter's "
			  "--collector.textfile.directory)");
		return -1;
	}
	if (stat(dir, &st) < 0) {
		if (errno == ENOENT)
			log_error("prometheus sink: prom_dir %s does not exist (it must be "
				  "node_exporter's --collector.textfile.directory)",
				  dir);
		else
			log_error("prometheus sink: prom_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error("prometheus sink: prom_dir %s is not a directory", dir);
		return -1;
	}
	return 0;
}

static void _close(struct sink *s)
{
	struct prom_sink *ps = s->priv;

	if (!ps)
		return;
	/* A job's series end with the job; the node daemon's file stays,
	 * its timestamp telling how old it is. */
	if (ps->job_id && ps->path && unlink(ps->path) < 0 && errno != ENOENT)
		log_warn("prometheus sink: cannot remove %s: %s", ps->path, strerror(errno));
	if (ps->tmp)
		unlink(ps->tmp);
	promtext_free(&ps->text);
	free(ps->first);
	free(ps->slot_port);
	free(ps->cells);
	free(ps->path);
	free(ps->tmp);
	free(ps->ids);
	free(ps);
	s->priv = NULL;
}

static int _open(struct sink *s, const struct options *o)
{
	struct prom_sink *ps = NULL;
	const char *job = o->job_id, *step = o->job_id ? o->step_id : NULL;
	char name[2 * ID_MAX + 32];

	if (_check_dir(o->prom_dir) < 0)
		return -1;
	if (job && !_id_ok(job, "._", false)) {
		log_error("prometheus sink: job id '%s' cannot name a file in %s (only digits, "
			  "'.' and '_', at most %d)",
			  job, o->prom_dir, ID_MAX);
		return -1;
	}
	if (step && !_id_ok(step, "_", true)) {
		log_error("prometheus sink: step id '%s' cannot name a file in %s (only letters, "
			  "digits and '_', at most %d)",
			  step, o->prom_dir, ID_MAX);
		return -1;
	}
	if (!job)
		snprintf(name, sizeof(name), "efa-monitor.prom");
	else
		snprintf(name, sizeof(name), "efa-monitor-job-%s%s%s.prom", job, step ? "." : "",
			 step ? step : "");

	ps = calloc(1, sizeof(*ps));
	if (!ps)
		goto nomem;
	s->priv = ps;
	promtext_init(&ps->text);
	size_t plen = strlen(o->prom_dir) + strlen(name) + 2;
	ps->path = malloc(plen);
	ps->tmp = malloc(plen + 4);
	if (!ps->path || !ps->tmp)
		goto nomem;
	snprintf(ps->path, plen, "%s/%s", o->prom_dir, name);
	snprintf(ps->tmp, plen + 4, "%s.tmp", ps->path);
	if (job) {
		size_t jl = strlen(job) + 1, sl = step ? strlen(step) + 1 : 0;
		ps->ids = malloc(jl + sl);
		if (!ps->ids)
			goto nomem;
		memcpy(ps->ids, job, jl);
		ps->job_id = ps->ids;
		if (step) {
			memcpy(ps->ids + jl, step, sl);
			ps->step_id = ps->ids + jl;
		}
	}
	log_info("prometheus sink: writing %s every interval%s", ps->path,
		 job ? " (removed when the job's reporter stops)" : "");
	return 0;
nomem:
	log_error("prometheus sink: out of memory");
	_close(s);
	return -1;
}

const struct sink_ops sink_prom_ops = {
	.name = "prometheus",
	.open = _open,
	.write = _write,
	.flush = NULL, /* every write is complete when it returns */
	.reopen = NULL,
	.close = _close,
};

/*
 * sink_log.c - the human log, in the seed daemon's format:
 *
 *   rdmap0s6: RX=125.34 Mbps, TX=98.21 Mbps
 *
 * one line per interface per interval, plus a line naming every error,
 * drop or retransmit counter that moved. Lines go to stdout and/or, with
 * timestamps, to the log file through the log facility.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rate.h"
#include "sink.h"

struct log_sink {
	bool to_stdout;
	bool to_file;
	bool health;
	char prefix[96];         /* "job 42.0 " for per-job streams */
};

static void _emit(struct log_sink *ls, const char *line)
{
	if (ls->to_stdout)
		printf("%s%s\n", ls->prefix, line);
	if (ls->to_file)
		log_info("%s%s", ls->prefix, line);
}

static int _open(struct sink *s, const struct options *o)
{
	struct log_sink *ls = calloc(1, sizeof(*ls));
	if (!ls) {
		log_error("log sink: out of memory");
		return -1;
	}
	ls->to_stdout = o->log_stdout;
	ls->to_file = o->log_file != NULL;
	ls->health = o->health_lines;
	if (o->job_id)
		snprintf(ls->prefix, sizeof(ls->prefix), "job %s%s%s ", o->job_id,
			 o->step_id ? "." : "", o->step_id ? o->step_id : "");
	s->priv = ls;
	return 0;
}

/* "rdmap0s6: rx_drops +5, rdma_read_wr_err +1" for counters that moved. */
static void _health_line(struct log_sink *ls, const struct report *r, size_t dev)
{
	const struct snapshot *snap = r->snapshot;
	const struct layout_device *d = &snap->layout->devices[dev];
	char line[1024];
	size_t used = (size_t)snprintf(line, sizeof(line), "%s:", d->name);
	bool any = false;

	for (size_t i = d->first_counter; i < d->first_counter + d->ncounters; i++) {
		const struct layout_counter *c = &snap->layout->counters[i];
		uint64_t delta = tracker_counter_delta(r->tracker, i);
		if (c->desc.klass != CLASS_HEALTH || delta == 0 || used >= sizeof(line))
			continue;
		used += (size_t)snprintf(line + used, sizeof(line) - used, "%s %s +%llu",
					 any ? "," : "", c->name, (unsigned long long)delta);
		any = true;
	}
	if (any)
		_emit(ls, line);
}

static int _write(struct sink *s, const struct report *r)
{
	struct log_sink *ls = s->priv;
	const struct layout *l = r->snapshot->layout;

	if (!ls->to_stdout && !ls->to_file)
		return 0;

	for (size_t k = 0; k < tracker_iface_count(r->tracker); k++) {
		const struct iface_stats *st = tracker_iface(r->tracker, k);
		char line[256];
		if (!st->present || !st->interval_ns)
			continue;
		if (!(st->has & (1u << METRIC_RX_BYTES | 1u << METRIC_TX_BYTES))) {
			snprintf(line, sizeof(line), "%s: no byte counters readable", st->name);
		} else {
			snprintf(line, sizeof(line), "%s: RX=%.2f Mbps, TX=%.2f Mbps", st->name,
				 rate_mbps(st->rate[METRIC_RX_BYTES]),
				 rate_mbps(st->rate[METRIC_TX_BYTES]));
		}
		_emit(ls, line);
	}
	if (ls->health)
		for (size_t d = 0; d < l->ndevices; d++)
			_health_line(ls, r, d);
	if (ls->to_stdout)
		fflush(stdout);
	return 0;
}

static int _flush(struct sink *s)
{
	struct log_sink *ls = s->priv;
	if (ls->to_stdout)
		fflush(stdout);
	return 0;
}

static void _close(struct sink *s)
{
	free(s->priv);
	s->priv = NULL;
}

const struct sink_ops sink_log_ops = {
	.name = "log",
	.open = _open,
	.write = _write,
	.flush = _flush,
	.reopen = NULL, /* the log facility reopens the file on SIGHUP */
	.close = _close,
};

/*
 * cwmetric.c - see cwmetric.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwmetric.h"

static const struct cw_metric_def _metrics[] = {
	/* The seed's six, names and units unchanged. */
	{"rx_bytes_rate", "Bytes/Second", METRIC_RX_BYTES, true},
	{"tx_bytes_rate", "Bytes/Second", METRIC_TX_BYTES, true},
	{"rx_packets_rate", "Count/Second", METRIC_RX_PKTS, true},
	{"tx_packets_rate", "Count/Second", METRIC_TX_PKTS, true},
	{"rx_errors", "Count", METRIC_RX_ERRORS, false},
	{"tx_discards", "Count", METRIC_TX_DISCARDS, false},
	/* The health counters the seed never read. */
	{"rx_drops", "Count", METRIC_RX_DROPS, false},
	{"rdma_errors", "Count", METRIC_RDMA_ERRORS, false},
	{"retrans_packets", "Count", METRIC_RETRANS_PKTS, false},
	{"retrans_timeouts", "Count", METRIC_RETRANS_TIMEOUTS, false},
	{"unresponsive_remote", "Count", METRIC_UNRESPONSIVE_REMOTE, false},
	{"impaired_remote", "Count", METRIC_IMPAIRED_REMOTE, false},
	{"link_errors", "Count", METRIC_LINK_ERRORS, false},
};

#define NMETRICS (sizeof(_metrics) / sizeof(_metrics[0]))

size_t cw_metric_count(void)
{
	return NMETRICS;
}

const struct cw_metric_def *cw_metric(size_t i)
{
	return i < NMETRICS ? &_metrics[i] : NULL;
}

void cw_format_number(double v, char out[CW_NUMBER_MAX])
{
	snprintf(out, CW_NUMBER_MAX, "%.15g", v);
	if (strtod(out, NULL) != v)
		snprintf(out, CW_NUMBER_MAX, "%.17g", v);
}

static const struct {
	const char *name;
	unsigned bit;
} _dims[] = {
	{"InstanceId", CW_DIM_INSTANCE},
	{"Interface", CW_DIM_INTERFACE},
	{"JobId", CW_DIM_JOB},
	{"StepId", CW_DIM_STEP},
};

#define NDIMS (sizeof(_dims) / sizeof(_dims[0]))

static unsigned _dim_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < NDIMS; i++)
		if (strlen(_dims[i].name) == len && strncmp(_dims[i].name, name, len) == 0)
			return _dims[i].bit;
	return 0;
}

/* Parse one set "A,B" (the text between ';'), spaces allowed around names. */
static int _parse_set(const char *p, const char *end, unsigned *out, char *err, size_t errlen)
{
	unsigned set = 0;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *q = p;
		while (q < end && *q != ',')
			q++;
		const char *e = q;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		unsigned bit = _dim_lookup(p, (size_t)(e - p));
		if (!bit) {
			snprintf(err, errlen,
				 "unknown dimension '%.*s' (allowed: InstanceId, Interface, JobId, StepId; "
				 "',' within a set, ';' between sets)",
				 (int)(e - p), p);
			return -1;
		}
		if (set & bit) {
			snprintf(err, errlen, "dimension '%.*s' twice in one set", (int)(e - p), p);
			return -1;
		}
		set |= bit;
		p = q < end ? q + 1 : q;
	}
	*out = set;
	return 0;
}

int cw_dimsets_parse(const char *text, struct cw_dimsets *out, char *err, size_t errlen)
{
	const char *p = text ? text : "";

	memset(out, 0, sizeof(*out));
	for (;;) {
		const char *end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		unsigned set = 0;
		if (_parse_set(p, end, &set, err, errlen) < 0)
			return -1;
		if (!set) {
			snprintf(err, errlen, "empty dimension set in '%s'", text ? text : "");
			return -1;
		}
		if (out->count == CW_DIMSETS_MAX) {
			snprintf(err, errlen, "more than %d dimension sets in '%s'", CW_DIMSETS_MAX, text);
			return -1;
		}
		out->set[out->count++] = set;
		if (!*end)
			break;
		p = end + 1;
	}
	return 0;
}

void cw_dimsets_resolve(struct cw_dimsets *d, bool have_job, bool have_step)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->count; i++) {
		unsigned set = d->set[i];
		if (!have_job)
			set &= ~(unsigned)(CW_DIM_JOB | CW_DIM_STEP);
		if (!have_step)
			set &= ~(unsigned)CW_DIM_STEP;
		bool seen = set == 0;
		for (unsigned j = 0; j < n && !seen; j++)
			seen = d->set[j] == set;
		if (!seen)
			d->set[n++] = set;
	}
	d->count = n;
}

static double _value(const struct cw_metric_def *def, const struct iface_stats *s)
{
	return def->rate ? s->rate[def->source] : (double)s->delta[def->source];
}

/* An interface contributes to an interval's datums. */
static bool _counts(const struct iface_stats *s, const struct cw_metric_def *def)
{
	return s->present && s->interval_ns > 0 && (s->has & (1u << def->source));
}

size_t cw_datums_each(const struct tracker *t, const struct cw_dimsets *sets,
		      void (*fn)(const struct cw_datum *d, void *arg), void *arg)
{
	size_t n = 0, nif = tracker_iface_count(t);

	for (unsigned k = 0; k < sets->count; k++) {
		unsigned dims = sets->set[k];
		for (size_t m = 0; m < NMETRICS; m++) {
			const struct cw_metric_def *def = &_metrics[m];
			struct cw_datum d = {.def = def, .dims = dims};
			if (dims & CW_DIM_INTERFACE) {
				for (size_t i = 0; i < nif; i++) {
					const struct iface_stats *s = tracker_iface(t, i);
					if (!_counts(s, def))
						continue;
					d.interface = s->name;
					d.value = _value(def, s);
					fn(&d, arg);
					n++;
				}
				continue;
			}
			/* A roll-up: the node's sum over the interfaces that have it. */
			bool any = false;
			double sum = 0;
			for (size_t i = 0; i < nif; i++) {
				const struct iface_stats *s = tracker_iface(t, i);
				if (_counts(s, def)) {
					any = true;
					sum += _value(def, s);
				}
			}
			if (any) {
				d.value = sum;
				fn(&d, arg);
				n++;
			}
		}
	}
	return n;
}

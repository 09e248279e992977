/*
 * tracker.c - see tracker.h.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rate.h"
#include "tracker.h"

struct tracker {
	struct snapshot *last;   /* latest sample */
	uint64_t *good;          /* per counter of 'last': last good raw value */
	uint8_t *has_good;
	uint64_t *cdelta;        /* per counter of 'last': increase this interval */
	size_t cap;              /* of cdelta */
	struct iface_stats *ifaces;
	size_t nifaces, cap_ifaces;
	long *dev_iface;         /* per device of last->layout: iface index */
	size_t cap_dev;
	uint64_t first_ns;
	uint64_t interval_ns;
	uint64_t samples;
	double node_peak[METRIC_COUNT];
};

struct tracker *tracker_create(void)
{
	struct tracker *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->last = snapshot_create();
	if (!t->last) {
		free(t);
		return NULL;
	}
	return t;
}

void tracker_destroy(struct tracker *t)
{
	if (!t)
		return;
	snapshot_destroy(t->last);
	free(t->good);
	free(t->has_good);
	free(t->cdelta);
	free(t->ifaces);
	free(t->dev_iface);
	free(t);
}

static int _cmp_iface(const void *a, const void *b)
{
	return strcmp(((const struct iface_stats *)a)->name,
		      ((const struct iface_stats *)b)->name);
}

/* The interface for device 'name', added if new; -1 on ENOMEM. */
static long _iface(struct tracker *t, const struct layout_device *d)
{
	for (size_t i = 0; i < t->nifaces; i++)
		if (strcmp(t->ifaces[i].name, d->name) == 0)
			return (long)i;
	if (t->nifaces == t->cap_ifaces) {
		size_t n = t->cap_ifaces ? t->cap_ifaces * 2 : 8;
		struct iface_stats *v = realloc(t->ifaces, n * sizeof(*v));
		if (!v)
			return -1;
		t->ifaces = v;
		t->cap_ifaces = n;
	}
	struct iface_stats *s = &t->ifaces[t->nifaces];
	memset(s, 0, sizeof(*s));
	memcpy(s->name, d->name, sizeof(s->name));
	return (long)t->nifaces++;
}

static int _reserve(struct tracker *t, size_t ncounters, size_t ndevices)
{
	if (ncounters > t->cap) {
		uint64_t *c = realloc(t->cdelta, ncounters * sizeof(*c));
		if (!c)
			return -1;
		t->cdelta = c;
		t->cap = ncounters;
	}
	if (ndevices > t->cap_dev) {
		long *m = realloc(t->dev_iface, ndevices * sizeof(*m));
		if (!m)
			return -1;
		t->dev_iface = m;
		t->cap_dev = ndevices;
	}
	return 0;
}

/* Map each device of 'l' to an interface; keep the list sorted. */
static int _map_devices(struct tracker *t, const struct layout *l)
{
	size_t before = t->nifaces;
	for (size_t d = 0; d < l->ndevices; d++)
		if (_iface(t, &l->devices[d]) < 0)
			return -1;
	if (t->nifaces != before)
		qsort(t->ifaces, t->nifaces, sizeof(*t->ifaces), _cmp_iface);
	for (size_t d = 0; d < l->ndevices; d++)
		t->dev_iface[d] = _iface(t, &l->devices[d]);
	return 0;
}

int tracker_update(struct tracker *t, const struct snapshot *snap)
{
	const struct layout *l = snap->layout;
	const struct snapshot *prev = t->samples ? t->last : NULL;
	uint64_t *good = NULL;
	uint8_t *has_good = NULL;

	if (!l) {
		errno = EINVAL;
		return -1;
	}
	if (prev && snap->mono_ns < prev->mono_ns) {
		errno = EINVAL;
		return -1;
	}
	if (_reserve(t, l->ncounters, l->ndevices) < 0 || _map_devices(t, l) < 0)
		return -1;
	/* Same layout as the last sample (the usual case): update the good
	 * values in place. Otherwise carry them over into the new order. */
	bool in_place = prev && prev->layout == l;
	if (in_place) {
		good = t->good;
		has_good = t->has_good;
	} else {
		good = malloc((l->ncounters ? l->ncounters : 1) * sizeof(*good));
		has_good = calloc(l->ncounters ? l->ncounters : 1, 1);
		if (!good || !has_good) {
			free(good);
			free(has_good);
			errno = ENOMEM;
			return -1;
		}
		for (size_t i = 0; prev && i < l->ncounters; i++) {
			long j = snapshot_match(snap, i, prev);
			if (j >= 0 && t->has_good[j]) {
				good[i] = t->good[j];
				has_good[i] = 1;
			}
		}
	}

	for (size_t k = 0; k < t->nifaces; k++) {
		struct iface_stats *s = &t->ifaces[k];
		s->present = false;
		s->has = 0;
		s->odd = 0;
		s->interval_ns = 0;
		memset(s->delta, 0, sizeof(s->delta));
		memset(s->rate, 0, sizeof(s->rate));
	}

	for (size_t i = 0; i < l->ncounters; i++) {
		const struct layout_counter *c = &l->counters[i];
		struct iface_stats *s = &t->ifaces[t->dev_iface[c->device]];
		bool reset = false;
		uint64_t d = 0;

		t->cdelta[i] = 0;
		if (snap->states[i] != COUNTER_OK) {
			s->odd++;
			continue;
		}
		if (c->desc.metric != METRIC_NONE)
			s->has |= 1u << c->desc.metric;
		if (has_good[i]) {
			d = counter_delta(good[i], snap->values[i], &reset);
			if (reset)
				s->resets++;
		}
		good[i] = snap->values[i];
		has_good[i] = 1;
		t->cdelta[i] = d;
		if (c->desc.metric != METRIC_NONE)
			s->delta[c->desc.metric] =
				rate_add_sat(s->delta[c->desc.metric],
					     rate_mul_sat(d, c->desc.multiplier));
	}

	double node_rate[METRIC_COUNT] = {0};
	uint64_t interval = prev ? snap->mono_ns - prev->mono_ns : 0;
	for (size_t dv = 0; dv < l->ndevices; dv++) {
		struct iface_stats *s = &t->ifaces[t->dev_iface[dv]];
		const struct layout_device *dev = &l->devices[dv];
		bool seen_before = s->samples != 0;
		s->present = true;
		s->type = dev->type;
		s->link_bps = dev->link_bps;
		if (!seen_before)
			s->first_ns = snap->mono_ns;
		/* A device new in this sample has no interval yet. */
		s->interval_ns = seen_before ? snap->mono_ns - s->last_ns : 0;
		s->last_ns = snap->mono_ns;
		s->samples++;
		for (int m = 0; m < METRIC_COUNT; m++) {
			s->total[m] = rate_add_sat(s->total[m], s->delta[m]);
			s->rate[m] = rate_per_sec(s->delta[m], s->interval_ns);
			if (s->rate[m] > s->peak_rate[m])
				s->peak_rate[m] = s->rate[m];
			node_rate[m] += s->rate[m];
		}
	}
	if (prev)
		for (int m = 0; m < METRIC_COUNT; m++)
			if (node_rate[m] > t->node_peak[m])
				t->node_peak[m] = node_rate[m];

	if (!in_place) {
		free(t->good);
		free(t->has_good);
		t->good = good;
		t->has_good = has_good;
	}
	if (snapshot_copy(t->last, snap) < 0)
		return -1;
	if (!t->samples)
		t->first_ns = snap->mono_ns;
	t->interval_ns = interval;
	t->samples++;
	return 0;
}

size_t tracker_iface_count(const struct tracker *t)
{
	return t->nifaces;
}

const struct iface_stats *tracker_iface(const struct tracker *t, size_t i)
{
	return i < t->nifaces ? &t->ifaces[i] : NULL;
}

void tracker_node(const struct tracker *t, struct node_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->samples = t->samples;
	out->interval_ns = t->interval_ns;
	if (t->samples)
		out->elapsed_ns = t->last->mono_ns - t->first_ns;
	for (size_t k = 0; k < t->nifaces; k++) {
		const struct iface_stats *s = &t->ifaces[k];
		for (int m = 0; m < METRIC_COUNT; m++)
			out->total[m] = rate_add_sat(out->total[m], s->total[m]);
		out->resets += s->resets;
		if (!s->present)
			continue;
		out->interfaces++;
		out->link_bps += s->link_bps;
		out->has |= s->has;
		for (int m = 0; m < METRIC_COUNT; m++) {
			out->delta[m] = rate_add_sat(out->delta[m], s->delta[m]);
			out->rate[m] += s->rate[m];
		}
	}
	for (int m = 0; m < METRIC_COUNT; m++)
		out->peak_rate[m] = t->node_peak[m];
}

const struct snapshot *tracker_last(const struct tracker *t)
{
	return t->samples ? t->last : NULL;
}

uint64_t tracker_counter_delta(const struct tracker *t, size_t counter)
{
	if (!t->samples || counter >= t->last->layout->ncounters)
		return 0;
	return t->cdelta[counter];
}

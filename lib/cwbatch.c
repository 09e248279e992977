/*
 * cwbatch.c - see cwbatch.h.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwbatch.h"
#include "layout.h"

struct datum {
	const struct cw_metric_def *def;
	unsigned dims;
	char interface[LAYOUT_NAME_MAX];
	long long timestamp;     /* start of the period, epoch seconds */
	size_t nvalues, cap;
	double *values;          /* grown up to CW_VALUES_MAX */
	double *counts;
};

/* Open addressing from a series (metric, dims, interface) to its newest datum. */
struct slot {
	uint64_t hash;
	size_t datum;            /* index + 1; 0: empty */
};

struct cw_batch {
	unsigned resolution;
	struct datum *datums;
	size_t n, cap;
	size_t values;
	struct slot *slots;
	size_t nslots;           /* a power of two, kept under half full */
};

struct cw_batch *cw_batch_create(unsigned storage_resolution)
{
	struct cw_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->resolution = storage_resolution ? storage_resolution : 60;
	return b;
}

void cw_batch_destroy(struct cw_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->datums[i].values);
		free(b->datums[i].counts);
	}
	free(b->datums);
	free(b->slots);
	free(b);
}

static uint64_t _fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < len; i++) {
		h ^= c[i];
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t _series_hash(const struct cw_datum *d)
{
	uint64_t h = 14695981039346656037ull;
	h = _fnv(h, &d->def, sizeof(d->def));
	h = _fnv(h, &d->dims, sizeof(d->dims));
	if (d->interface)
		h = _fnv(h, d->interface, strlen(d->interface));
	return h ? h : 1;
}

static bool _same_series(const struct datum *x, const struct cw_datum *d)
{
	return x->def == d->def && x->dims == d->dims &&
	       strcmp(x->interface, d->interface ? d->interface : "") == 0;
}

/* The slot of the series of 'd': its datum, or the empty slot to fill. */
static struct slot *_find(struct cw_batch *b, const struct cw_datum *d, uint64_t h)
{
	size_t mask = b->nslots - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct slot *s = &b->slots[i];
		if (!s->datum || (s->hash == h && _same_series(&b->datums[s->datum - 1], d)))
			return s;
	}
}

static int _grow_slots(struct cw_batch *b)
{
	size_t n = b->nslots ? b->nslots * 2 : 64;
	struct slot *old = b->slots;
	size_t nold = b->nslots;

	b->slots = calloc(n, sizeof(*b->slots));
	if (!b->slots) {
		b->slots = old;
		return -1;
	}
	b->nslots = n;
	for (size_t i = 0; i < nold; i++) {
		if (!old[i].datum)
			continue;
		size_t j = old[i].hash & (n - 1);
		while (b->slots[j].datum)
			j = (j + 1) & (n - 1);
		b->slots[j] = old[i];
	}
	free(old);
	return 0;
}

static struct datum *_new_datum(struct cw_batch *b, const struct cw_datum *d, long long ts)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct datum *p = realloc(b->datums, cap * sizeof(*p));
		if (!p)
			return NULL;
		b->datums = p;
		b->cap = cap;
	}
	struct datum *x = &b->datums[b->n];
	memset(x, 0, sizeof(*x));
	x->def = d->def;
	x->dims = d->dims;
	snprintf(x->interface, sizeof(x->interface), "%s", d->interface ? d->interface : "");
	x->timestamp = ts;
	b->n++;
	return x;
}

/* Returns 1 when added, 0 when the datum is full, -1 without memory. */
static int _append(struct datum *x, double v)
{
	for (size_t i = 0; i < x->nvalues; i++)
		if (x->values[i] == v) {
			x->counts[i] += 1;
			return 1;
		}
	if (x->nvalues == CW_VALUES_MAX)
		return 0;
	if (x->nvalues == x->cap) {
		/* Most datums hold one value (interval >= resolution): start small. */
		size_t cap = x->cap ? x->cap * 4 : 1;
		if (cap > CW_VALUES_MAX)
			cap = CW_VALUES_MAX;
		double *v2 = realloc(x->values, cap * sizeof(double));
		if (!v2)
			return -1;
		x->values = v2;
		double *c2 = realloc(x->counts, cap * sizeof(double));
		if (!c2)
			return -1;
		x->counts = c2;
		x->cap = cap;
	}
	x->values[x->nvalues] = v;
	x->counts[x->nvalues] = 1;
	x->nvalues++;
	return 1;
}

int cw_batch_add(struct cw_batch *b, const struct cw_datum *d, double ts)
{
	if (!isfinite(d->value) || !isfinite(ts)) {
		errno = EINVAL;
		return -1;
	}
	long long period = (long long)floor(ts / b->resolution) * b->resolution;

	if ((b->n + 1) * 2 > b->nslots && _grow_slots(b) < 0)
		goto nomem;
	uint64_t h = _series_hash(d);
	struct slot *s = _find(b, d, h);
	if (s->datum) {
		struct datum *x = &b->datums[s->datum - 1];
		if (x->timestamp == period) {
			int added = _append(x, d->value);
			if (added < 0)
				goto nomem;
			if (added) {
				b->values++;
				return 0;
			}
		}
	}
	/* A new period, or a full datum: a new datum becomes the series' newest. */
	struct datum *x = _new_datum(b, d, period);
	if (!x)
		goto nomem;
	if (_append(x, d->value) < 0) {
		free(x->values);
		free(x->counts);
		b->n--;
		goto nomem;
	}
	s->hash = h;
	s->datum = b->n;
	b->values++;
	return 0;
nomem:
	errno = ENOMEM;
	return -1;
}

size_t cw_batch_datums(const struct cw_batch *b)
{
	return b->n;
}

size_t cw_batch_values(const struct cw_batch *b)
{
	return b->values;
}

size_t cw_batch_memory(const struct cw_batch *b)
{
	size_t bytes = sizeof(*b) + b->cap * sizeof(struct datum) + b->nslots * sizeof(struct slot);
	for (size_t i = 0; i < b->n; i++)
		bytes += 2 * b->datums[i].cap * sizeof(double);
	return bytes;
}

/* ----------------------------------------------------------- encoding -- */

struct buf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void _reserve(struct buf *b, size_t more)
{
	if (b->failed || b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void _put(struct buf *b, const char *s, size_t n)
{
	_reserve(b, n);
	if (b->failed)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void _puts(struct buf *b, const char *s)
{
	_put(b, s, strlen(s));
}

/* A JSON string, escaped. */
static void _putq(struct buf *b, const char *s)
{
	_put(b, "\"", 1);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		char esc[8];
		if (*c == '"' || *c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*c;
			_put(b, esc, 2);
		} else if (*c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *c);
			_put(b, esc, 6);
		} else {
			_put(b, (const char *)c, 1);
		}
	}
	_put(b, "\"", 1);
}

static void _putnum(struct buf *b, double v)
{
	char s[CW_NUMBER_MAX];
	cw_format_number(v, s);
	_puts(b, s);
}

static void _dim(struct buf *b, bool *first, const char *name, const char *value)
{
	_puts(b, *first ? "{\"Name\":" : ",{\"Name\":");
	_putq(b, name);
	_puts(b, ",\"Value\":");
	_putq(b, value);
	_puts(b, "}");
	*first = false;
}

static void _datum(struct buf *b, const struct datum *x, const struct cw_identity *id,
		   unsigned resolution)
{
	bool first = true;
	char ts[32];

	_puts(b, "{\"MetricName\":");
	_putq(b, x->def->name);
	_puts(b, ",\"Dimensions\":[");
	if (x->dims & CW_DIM_INSTANCE)
		_dim(b, &first, "InstanceId", id->instance_id ? id->instance_id : "unknown");
	if (x->dims & CW_DIM_INTERFACE)
		_dim(b, &first, "Interface", x->interface);
	if ((x->dims & CW_DIM_JOB) && id->job_id)
		_dim(b, &first, "JobId", id->job_id);
	if ((x->dims & CW_DIM_STEP) && id->step_id)
		_dim(b, &first, "StepId", id->step_id);
	snprintf(ts, sizeof(ts), "],\"Timestamp\":%lld", x->timestamp);
	_puts(b, ts);
	if (x->nvalues == 1 && x->counts[0] == 1) {
		_puts(b, ",\"Value\":");
		_putnum(b, x->values[0]);
	} else {
		_puts(b, ",\"Values\":[");
		for (size_t i = 0; i < x->nvalues; i++) {
			if (i)
				_puts(b, ",");
			_putnum(b, x->values[i]);
		}
		_puts(b, "],\"Counts\":[");
		for (size_t i = 0; i < x->nvalues; i++) {
			if (i)
				_puts(b, ",");
			_putnum(b, x->counts[i]);
		}
		_puts(b, "]");
	}
	_puts(b, ",\"Unit\":");
	_putq(b, x->def->unit);
	snprintf(ts, sizeof(ts), ",\"StorageResolution\":%u}", resolution);
	_puts(b, ts);
}

static void _head(struct buf *b, const char *ns)
{
	b->len = 0;
	_puts(b, "{\"Namespace\":");
	_putq(b, ns);
	_puts(b, ",\"MetricData\":[");
}

static const char _tail[] = "]}";

int cw_batch_encode(const struct cw_batch *b, const char *ns, const struct cw_identity *id,
		    size_t max_datums, size_t max_bytes, cw_body_fn fn, void *arg,
		    size_t *skipped)
{
	struct buf body = {0}, one = {0};
	size_t in_body = 0, head_len;
	int rc = 0;

	*skipped = 0;
	if (max_datums == 0 || max_datums > CW_DATUMS_MAX)
		max_datums = CW_DATUMS_MAX;
	_head(&body, ns);
	head_len = body.len;
	for (size_t i = 0; i < b->n && !rc; i++) {
		one.len = 0;
		_datum(&one, &b->datums[i], id, b->resolution);
		if (one.failed || body.failed)
			break;
		if (head_len + one.len + sizeof(_tail) - 1 > max_bytes) {
			(*skipped)++;
			continue;
		}
		/* Full: send what we have, start the next body. */
		if (in_body == max_datums ||
		    body.len + 1 + one.len + sizeof(_tail) - 1 > max_bytes) {
			_puts(&body, _tail);
			if (body.failed)
				break;
			rc = fn(body.p, body.len, in_body, arg);
			body = (struct buf){0};
			_head(&body, ns);
			in_body = 0;
			if (rc)
				break;
		}
		if (in_body)
			_put(&body, ",", 1);
		_put(&body, one.p, one.len);
		in_body++;
	}
	if (!rc && (body.failed || one.failed)) {
		errno = ENOMEM;
		rc = -1;
	}
	if (!rc && in_body) {
		_puts(&body, _tail);
		if (body.failed) {
			errno = ENOMEM;
			rc = -1;
		} else {
			rc = fn(body.p, body.len, in_body, arg);
			body.p = NULL;
		}
	}
	free(body.p);
	free(one.p);
	return rc;
}

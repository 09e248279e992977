/*
 * report.c - see report.h.
 *
 * Decisions the header leaves open:
 *
 * - node_report_from_snapshots() also sets start_ns/end_ns from the two
 *   snapshots' real_ns. Per-interface peaks already in 'r' are carried
 *   over to the interface of the same name. A counter feeds a metric only
 *   if it reads COUNTER_OK in both snapshots; a device found in only one
 *   snapshot is kept (type and line rate from whichever has it) with no
 *   metric (has == 0), since nothing can be compared. 'resets' counts
 *   every counter of the device, metric or not, read in both and lower at
 *   the end (as the tracker does).
 *
 * - JSON: every 64-bit figure is a decimal string; rates are numbers;
 *   'resets' (32 bits) is a number. The per-interface metric maps hold
 *   the metrics in 'has' ("total" defines 'has' when parsing; "start" and
 *   "end" must hold the same metrics). The node's "peak_rate" holds every
 *   metric some interface has, plus any nonzero one. Parsing ignores
 *   unknown keys and unknown metric names (a newer reporter may add some)
 *   but checks the type and range of every field it knows; identifiers
 *   (node, job_id, step_id, interface names) must be printable UTF-8
 *   (text_check: no C0 or C1 control, no invalid sequence, no bidi
 *   control, separator or zero-width character; node and interface names
 *   must not be empty; the ids may, as the reporter writes them when run
 *   outside a job), and in the free-text messages each such byte or code
 *   point is replaced by '?' (text_scrub). Every string of a report that
 *   reaches a job's output or a terminal is one of these.
 *
 * - step_summary_add(): (node, step) pairs are found through a hash
 *   table; a second report of a pair is compared with the first (and any
 *   others) by the SHA-256 of its JSON, so only distinct reports count
 *   as conflicting. The first report of a pair is kept (its interfaces
 *   count against the cap); later ones are destroyed once counted.
 *
 * - A node with a conflict shows no other status and none of its reports
 *   counts: not in totals, peaks, interfaces, line rate, the median or
 *   the duration.
 *
 * - Merging the reports of one node (job level, or several steps of one
 *   node in a step summary): the node's OK reports are sorted by start
 *   time; reports whose windows [start_ns, end_ns] overlap (or touch) form
 *   a group. Within a group, per interface and metric, the total is the
 *   end value of the member with the latest end minus the start value of
 *   the member with the earliest start, when no member saw a counter reset
 *   on that interface and that difference is not negative; otherwise (or
 *   when the difference is below the largest single total, which happens
 *   only if the members read different counter sets) it is the largest
 *   single report's total. Groups that do not overlap are summed. Peaks
 *   are the maximum; the node's duration (for its average) is the length
 *   of the union of its windows.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/sha.h>

#include "layout.h"
#include "log.h"
#include "rate.h"
#include "report.h"
#include "snapshot.h"
#include "sysfs.h"
#include "text.h"

#define REPORT_MAX_IFACES 4096

static const char *const _status_names[NODE_STATUS_COUNT] = {
    [NODE_OK] = "ok",
    [NODE_NO_DEVICES] = "no-devices",
    [NODE_UNREADABLE] = "unreadable",
    [NODE_MISSING] = "missing",
};

const char *node_status_name(enum node_status s)
{
	return (unsigned)s < NODE_STATUS_COUNT ? _status_names[s] : "unknown";
}

struct node_report *node_report_create(void)
{
	return calloc(1, sizeof(struct node_report));
}

void node_report_destroy(struct node_report *r)
{
	if (!r)
		return;
	free(r->ifaces);
	r->ifaces = NULL;
	free(r);
}

/* ----------------------------------------------------- from snapshots -- */

static int _cmp_iface_report(const void *a, const void *b)
{
	return strcmp(((const struct iface_report *)a)->name,
		      ((const struct iface_report *)b)->name);
}

static long _find_iface(const struct iface_report *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Add device 'd' to 'v' unless there; returns its index. */
static size_t _add_device(struct iface_report *v, size_t *n, const struct layout *l, size_t d)
{
	const struct layout_device *dev = &l->devices[d];
	long k = _find_iface(v, *n, dev->name);

	if (k >= 0)
		return (size_t)k;
	struct iface_report *f = &v[*n];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", dev->name);
	f->type = dev->type;
	f->link_bps = layout_device_link_bps(l, d);
	return (*n)++;
}

int node_report_from_snapshots(struct node_report *r, const struct snapshot *start,
			       const struct snapshot *end)
{
	const struct layout *ls, *le;
	struct iface_report *v = NULL;
	size_t *map = NULL;
	size_t n = 0, nstart, nend;

	if (!r || !start || !end) {
		errno = EINVAL;
		return -1;
	}
	ls = start->layout;
	le = end->layout;
	nstart = ls ? ls->ndevices : 0;
	nend = le ? le->ndevices : 0;
	v = calloc(nstart + nend ? nstart + nend : 1, sizeof(*v));
	map = calloc(nend ? nend : 1, sizeof(*map));
	if (!v || !map)
		goto fail;

	/* The end layout first: its type and line rate win. */
	for (size_t d = 0; d < nend; d++)
		_add_device(v, &n, le, d);
	for (size_t d = 0; d < nstart; d++)
		_add_device(v, &n, ls, d);
	qsort(v, n, sizeof(*v), _cmp_iface_report);
	for (size_t d = 0; d < nend; d++)
		map[d] = (size_t)_find_iface(v, n, le->devices[d].name);

	for (size_t i = 0; le && i < le->ncounters; i++) {
		const struct layout_counter *c = &le->counters[i];
		struct iface_report *f = &v[map[c->device]];
		bool reset = false;
		long j;

		if (end->states[i] != COUNTER_OK)
			continue;
		j = snapshot_match(end, i, start);
		if (j < 0 || start->states[j] != COUNTER_OK)
			continue;
		uint64_t a = start->values[j], b = end->values[i];
		uint64_t d = counter_delta(a, b, &reset);
		if (reset)
			f->resets++;
		int m = c->desc.metric;
		if (m < 0 || m >= METRIC_COUNT)
			continue;
		f->has |= 1u << m;
		f->start[m] = rate_add_sat(f->start[m], rate_mul_sat(a, c->desc.multiplier));
		f->end[m] = rate_add_sat(f->end[m], rate_mul_sat(b, c->desc.multiplier));
		f->total[m] = rate_add_sat(f->total[m], rate_mul_sat(d, c->desc.multiplier));
	}

	/* Peaks are left as they are. */
	for (size_t k = 0; k < n; k++) {
		long old = r->ifaces ? _find_iface(r->ifaces, r->nifaces, v[k].name) : -1;
		if (old >= 0)
			memcpy(v[k].peak_rate, r->ifaces[old].peak_rate, sizeof(v[k].peak_rate));
	}
	free(r->ifaces);
	r->ifaces = v;
	r->nifaces = n;
	r->start_ns = start->real_ns;
	r->end_ns = end->real_ns;
	free(map);
	return 0;

fail:
	free(v);
	free(map);
	errno = ENOMEM;
	return -1;
}

void node_report_set_peaks(struct node_report *r, const struct tracker *t)
{
	struct node_stats ns;

	if (!r || !t)
		return;
	for (size_t i = 0; i < r->nifaces; i++) {
		for (size_t k = 0; k < tracker_iface_count(t); k++) {
			const struct iface_stats *s = tracker_iface(t, k);
			if (strcmp(s->name, r->ifaces[i].name) == 0) {
				memcpy(r->ifaces[i].peak_rate, s->peak_rate,
				       sizeof(r->ifaces[i].peak_rate));
				break;
			}
		}
	}
	tracker_node(t, &ns);
	memcpy(r->peak_rate, ns.peak_rate, sizeof(r->peak_rate));
	r->samples = ns.samples;
}

/* ---------------------------------------------------------- to JSON -- */

static bool _add_u64(cJSON *obj, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cJSON_AddStringToObject(obj, key, buf) != NULL;
}

static bool _add_u64_map(cJSON *obj, const char *key, const uint64_t *v, uint32_t has)
{
	cJSON *map = cJSON_AddObjectToObject(obj, key);

	if (!map)
		return false;
	for (int m = 0; m < METRIC_COUNT; m++)
		if ((has & (1u << m)) && !_add_u64(map, metric_name(m), v[m]))
			return false;
	return true;
}

static bool _add_rate_map(cJSON *obj, const char *key, const double *v, uint32_t has)
{
	cJSON *map = cJSON_AddObjectToObject(obj, key);

	if (!map)
		return false;
	for (int m = 0; m < METRIC_COUNT; m++)
		if ((has & (1u << m)) && !cJSON_AddNumberToObject(map, metric_name(m), v[m]))
			return false;
	return true;
}

static bool _iface_to_json(cJSON *arr, const struct iface_report *f)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return false;
	if (!cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return false;
	}
	return cJSON_AddStringToObject(o, "name", f->name) &&
	       cJSON_AddStringToObject(o, "type", device_type_name(f->type)) &&
	       _add_u64(o, "link_bps", f->link_bps) && _add_u64_map(o, "start", f->start, f->has) &&
	       _add_u64_map(o, "end", f->end, f->has) &&
	       _add_u64_map(o, "total", f->total, f->has) &&
	       _add_rate_map(o, "peak_rate", f->peak_rate, f->has) &&
	       cJSON_AddNumberToObject(o, "resets", f->resets);
}

char *node_report_to_json(const struct node_report *r)
{
	cJSON *root = NULL, *arr;
	char *text = NULL;
	uint32_t has = 0;
	bool ok;

	if (!r) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < r->nifaces; i++)
		has |= r->ifaces[i].has;
	for (int m = 0; m < METRIC_COUNT; m++)
		if (r->peak_rate[m] != 0.0)
			has |= 1u << m;
	root = cJSON_CreateObject();
	if (!root)
		goto fail;
	ok = cJSON_AddStringToObject(root, "node", r->node) &&
	     cJSON_AddStringToObject(root, "job_id", r->job_id) &&
	     cJSON_AddStringToObject(root, "step_id", r->step_id) &&
	     (!r->step_nodes[0] || cJSON_AddStringToObject(root, "step_nodes", r->step_nodes)) &&
	     cJSON_AddStringToObject(root, "status", node_status_name(r->status)) &&
	     cJSON_AddStringToObject(root, "status_msg", r->status_msg) &&
	     _add_u64(root, "start_ns", r->start_ns) && _add_u64(root, "end_ns", r->end_ns) &&
	     _add_u64(root, "samples", r->samples) &&
	     cJSON_AddBoolToObject(root, "stream_interrupted", r->stream_interrupted) &&
	     cJSON_AddStringToObject(root, "stream_msg", r->stream_msg) &&
	     _add_rate_map(root, "peak_rate", r->peak_rate, has);
	if (!ok || !(arr = cJSON_AddArrayToObject(root, "ifaces")))
		goto fail;
	for (size_t i = 0; i < r->nifaces; i++)
		if (!_iface_to_json(arr, &r->ifaces[i]))
			goto fail;
	text = cJSON_PrintUnformatted(root);
	if (!text)
		goto fail;
	cJSON_Delete(root);
	return text;

fail:
	cJSON_Delete(root);
	errno = ENOMEM;
	return NULL;
}

/* -------------------------------------------------------- from JSON -- */

/* Where a parse is: the message buffer and the path of the field. */
struct _jparse {
	char *err;
	size_t errlen;
};

static int _jfail(struct _jparse *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int _jfail(struct _jparse *p, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "field '%s': %s", path, msg);
	return -1;
}

/* "parent.key" into 'buf'. */
static const char *_path(char *buf, size_t size, const char *parent, const char *key)
{
	if (parent && *parent)
		snprintf(buf, size, "%s.%s", parent, key);
	else
		snprintf(buf, size, "%s", key);
	return buf;
}

/* The member 'key' of 'obj'; NULL (with a message) if absent. */
static const cJSON *_member(struct _jparse *p, const cJSON *obj, const char *parent,
			    const char *key, char *path, size_t pathlen)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	_path(path, pathlen, parent, key);
	if (!it)
		_jfail(p, path, "missing");
	return it;
}

static int _parse_dec(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int _get_u64_item(struct _jparse *p, const cJSON *it, const char *path, uint64_t *out)
{
	if (!cJSON_IsString(it) || !it->valuestring)
		return _jfail(p, path, "expected a decimal string");
	if (_parse_dec(it->valuestring, out) < 0)
		return _jfail(p, path, "expected a decimal string from 0 to 18446744073709551615");
	return 0;
}

static int _get_u64(struct _jparse *p, const cJSON *obj, const char *parent, const char *key,
		    uint64_t *out)
{
	char path[128];
	const cJSON *it = _member(p, obj, parent, key, path, sizeof(path));

	return it ? _get_u64_item(p, it, path, out) : -1;
}

static int _get_rate_item(struct _jparse *p, const cJSON *it, const char *path, double *out)
{
	if (!cJSON_IsNumber(it))
		return _jfail(p, path, "expected a number");
	if (!isfinite(it->valuedouble) || it->valuedouble < 0)
		return _jfail(p, path, "expected a finite number >= 0");
	*out = it->valuedouble;
	return 0;
}

/* How strictly _get_str() checks a string. */
enum _str_kind {
	_STR_TEXT, /* free text: control characters become '?' */
	_STR_ID,   /* identifier: no control characters */
	_STR_NAME, /* identifier, not empty */
};

/* A string into 'dst' of 'size'. */
static int _get_str(struct _jparse *p, const cJSON *obj, const char *parent, const char *key,
		    char *dst, size_t size, enum _str_kind kind)
{
	char path[128];
	const cJSON *it = _member(p, obj, parent, key, path, sizeof(path));
	size_t len;

	if (!it)
		return -1;
	if (!cJSON_IsString(it) || !it->valuestring)
		return _jfail(p, path, "expected a string");
	len = strlen(it->valuestring);
	if (len >= size)
		return _jfail(p, path, "longer than %zu bytes", size - 1);
	if (kind == _STR_NAME && len == 0)
		return _jfail(p, path, "empty");
	memcpy(dst, it->valuestring, len + 1);
	if (kind == _STR_TEXT) {
		text_scrub(dst);
		return 0;
	}
	size_t at = 0;
	uint32_t cp = 0;
	switch (text_check(dst, &at, &cp)) {
	case TEXT_OK:
		return 0;
	case TEXT_CONTROL:
		return _jfail(p, path, "control character at byte %zu", at);
	case TEXT_INVALID:
		return _jfail(p, path, "not UTF-8 at byte %zu", at);
	default:
		return _jfail(p, path, "non-printing character U+%04" PRIX32 " at byte %zu", cp,
			      at);
	}
}

static int _get_object(struct _jparse *p, const cJSON *obj, const char *parent, const char *key,
		       const cJSON **out)
{
	char path[128];
	const cJSON *it = _member(p, obj, parent, key, path, sizeof(path));

	if (!it)
		return -1;
	if (!cJSON_IsObject(it))
		return _jfail(p, path, "expected an object");
	*out = it;
	return 0;
}

/* A metric map of decimal strings; '*seen' gets the metrics found. */
static int _get_u64_map(struct _jparse *p, const cJSON *obj, const char *parent, const char *key,
			uint64_t *v, uint32_t *seen)
{
	char mpath[128], path[160];
	const cJSON *map, *it;

	if (_get_object(p, obj, parent, key, &map) < 0)
		return -1;
	_path(mpath, sizeof(mpath), parent, key);
	*seen = 0;
	cJSON_ArrayForEach(it, map)
	{
		enum metric_id m = metric_parse(it->string);
		if (m == METRIC_NONE)
			continue;
		_path(path, sizeof(path), mpath, it->string);
		if (_get_u64_item(p, it, path, &v[m]) < 0)
			return -1;
		*seen |= 1u << m;
	}
	return 0;
}

static int _get_rate_map(struct _jparse *p, const cJSON *obj, const char *parent, const char *key,
			 double *v)
{
	char mpath[128], path[160];
	const cJSON *map, *it;

	if (_get_object(p, obj, parent, key, &map) < 0)
		return -1;
	_path(mpath, sizeof(mpath), parent, key);
	cJSON_ArrayForEach(it, map)
	{
		enum metric_id m = metric_parse(it->string);
		if (m == METRIC_NONE)
			continue;
		_path(path, sizeof(path), mpath, it->string);
		if (_get_rate_item(p, it, path, &v[m]) < 0)
			return -1;
	}
	return 0;
}

static int _parse_iface(struct _jparse *p, const cJSON *o, size_t idx, struct iface_report *f)
{
	char at[32], path[128], type[16];
	uint32_t seen_start, seen_end;
	const cJSON *it;

	snprintf(at, sizeof(at), "ifaces[%zu]", idx);
	if (!cJSON_IsObject(o))
		return _jfail(p, at, "expected an object");
	if (_get_str(p, o, at, "name", f->name, sizeof(f->name), _STR_NAME) < 0 ||
	    _get_str(p, o, at, "type", type, sizeof(type), _STR_NAME) < 0)
		return -1;
	f->type = DEVICE_TYPE_COUNT;
	for (int t = 0; t < DEVICE_TYPE_COUNT; t++)
		if (strcmp(type, device_type_name(t)) == 0)
			f->type = t;
	if (f->type == DEVICE_TYPE_COUNT)
		return _jfail(p, _path(path, sizeof(path), at, "type"), "unknown device type '%s'",
			      type);
	if (_get_u64(p, o, at, "link_bps", &f->link_bps) < 0 ||
	    _get_u64_map(p, o, at, "total", f->total, &f->has) < 0 ||
	    _get_u64_map(p, o, at, "start", f->start, &seen_start) < 0 ||
	    _get_u64_map(p, o, at, "end", f->end, &seen_end) < 0 ||
	    _get_rate_map(p, o, at, "peak_rate", f->peak_rate) < 0)
		return -1;
	for (int m = 0; m < METRIC_COUNT; m++) {
		uint32_t bit = 1u << m;
		char mp[64];
		if ((f->has & bit) && !(seen_start & bit))
			return _jfail(p, _path(path, sizeof(path), at, "start"),
				      "no '%s', which 'total' has", metric_name(m));
		if ((f->has & bit) && !(seen_end & bit))
			return _jfail(p, _path(path, sizeof(path), at, "end"),
				      "no '%s', which 'total' has", metric_name(m));
		snprintf(mp, sizeof(mp), "%s.%s", "start", metric_name(m));
		if (!(f->has & bit) && (seen_start & bit))
			return _jfail(p, _path(path, sizeof(path), at, mp), "not in 'total'");
		snprintf(mp, sizeof(mp), "%s.%s", "end", metric_name(m));
		if (!(f->has & bit) && (seen_end & bit))
			return _jfail(p, _path(path, sizeof(path), at, mp), "not in 'total'");
	}
	it = _member(p, o, at, "resets", path, sizeof(path));
	if (!it)
		return -1;
	if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0 ||
	    it->valuedouble > UINT32_MAX || it->valuedouble != floor(it->valuedouble))
		return _jfail(p, path, "expected an integer from 0 to %" PRIu32, UINT32_MAX);
	f->resets = (uint32_t)it->valuedouble;
	return 0;
}

static int _cmp_iface_index(const void *a, const void *b, void *arg)
{
	const struct iface_report *v = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(v[x].name, v[y].name);

	return c ? c : (x > y) - (x < y);
}

/* No two interfaces of 'r' share a name: sorted, so a report of 4096
 * interfaces costs n log n comparisons, not n^2. Names the first
 * interface (in the report's order) whose name an earlier one has. */
static int _check_unique_ifaces(struct _jparse *p, const struct node_report *r)
{
	size_t *idx, dup = SIZE_MAX;
	char path[64];

	if (r->nifaces < 2)
		return 0;
	idx = malloc(r->nifaces * sizeof(*idx));
	if (!idx) {
		if (p->err && p->errlen)
			snprintf(p->err, p->errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < r->nifaces; i++)
		idx[i] = i;
	qsort_r(idx, r->nifaces, sizeof(*idx), _cmp_iface_index, r->ifaces);
	for (size_t i = 1; i < r->nifaces; i++)
		if (strcmp(r->ifaces[idx[i]].name, r->ifaces[idx[i - 1]].name) == 0 && idx[i] < dup)
			dup = idx[i];
	free(idx);
	if (dup == SIZE_MAX)
		return 0;
	snprintf(path, sizeof(path), "ifaces[%zu].name", dup);
	errno = EINVAL;
	return _jfail(p, path, "duplicate interface '%s'", r->ifaces[dup].name);
}

struct node_report *node_report_from_json(const char *text, size_t len, char *err, size_t errlen)
{
	struct _jparse p = {.err = err, .errlen = errlen};
	struct node_report *r = NULL;
	cJSON *root = NULL;
	const cJSON *it, *ifaces;
	const char *end = NULL;
	char status[32], path[128];
	size_t n = 0;
	int saved = EINVAL;

	if (err && errlen)
		err[0] = '\0';
	if (!text) {
		if (err && errlen)
			snprintf(err, errlen, "no text");
		goto fail;
	}
	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!root) {
		size_t at = end && end >= text ? (size_t)(end - text) : 0;
		if (err && errlen)
			snprintf(err, errlen, "not JSON (error at byte %zu)", at);
		goto fail;
	}
	for (const char *q = end; q && q < text + len; q++)
		if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r' && *q != '\0') {
			if (err && errlen)
				snprintf(err, errlen, "not JSON (trailing data at byte %zu)",
					 (size_t)(q - text));
			goto fail;
		}
	if (!cJSON_IsObject(root)) {
		if (err && errlen)
			snprintf(err, errlen, "not a JSON object");
		goto fail;
	}
	r = node_report_create();
	if (!r) {
		saved = ENOMEM;
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (_get_str(&p, root, "", "node", r->node, sizeof(r->node), _STR_NAME) < 0 ||
	    _get_str(&p, root, "", "job_id", r->job_id, sizeof(r->job_id), _STR_ID) < 0 ||
	    _get_str(&p, root, "", "step_id", r->step_id, sizeof(r->step_id), _STR_ID) < 0 ||
	    _get_str(&p, root, "", "status", status, sizeof(status), _STR_NAME) < 0)
		goto fail;
	if (cJSON_HasObjectItem(root, "step_nodes") &&
	    _get_str(&p, root, "", "step_nodes", r->step_nodes, sizeof(r->step_nodes), _STR_ID) < 0)
		goto fail;
	r->status = NODE_STATUS_COUNT;
	for (int s = 0; s < NODE_STATUS_COUNT; s++)
		if (strcmp(status, _status_names[s]) == 0)
			r->status = s;
	if (r->status == NODE_STATUS_COUNT) {
		_jfail(&p, "status", "unknown status '%s'", status);
		goto fail;
	}
	if (_get_str(&p, root, "", "status_msg", r->status_msg, sizeof(r->status_msg), _STR_TEXT) <
		0 ||
	    _get_u64(&p, root, "", "start_ns", &r->start_ns) < 0 ||
	    _get_u64(&p, root, "", "end_ns", &r->end_ns) < 0 ||
	    _get_u64(&p, root, "", "samples", &r->samples) < 0)
		goto fail;
	it = _member(&p, root, "", "stream_interrupted", path, sizeof(path));
	if (!it)
		goto fail;
	if (!cJSON_IsBool(it)) {
		_jfail(&p, path, "expected true or false");
		goto fail;
	}
	r->stream_interrupted = cJSON_IsTrue(it);
	if (_get_str(&p, root, "", "stream_msg", r->stream_msg, sizeof(r->stream_msg), _STR_TEXT) <
		0 ||
	    _get_rate_map(&p, root, "", "peak_rate", r->peak_rate) < 0)
		goto fail;
	ifaces = _member(&p, root, "", "ifaces", path, sizeof(path));
	if (!ifaces)
		goto fail;
	if (!cJSON_IsArray(ifaces)) {
		_jfail(&p, path, "expected an array");
		goto fail;
	}
	cJSON_ArrayForEach(it, ifaces)
	{
		if (++n > REPORT_MAX_IFACES) {
			_jfail(&p, path, "more than %d interfaces", REPORT_MAX_IFACES);
			goto fail;
		}
	}
	if (n) {
		r->ifaces = calloc(n, sizeof(*r->ifaces));
		if (!r->ifaces) {
			saved = ENOMEM;
			if (err && errlen)
				snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	cJSON_ArrayForEach(it, ifaces)
	{
		if (_parse_iface(&p, it, r->nifaces, &r->ifaces[r->nifaces]) < 0)
			goto fail;
		r->nifaces++;
	}
	if (_check_unique_ifaces(&p, r) < 0) {
		if (errno == ENOMEM)
			saved = ENOMEM;
		goto fail;
	}
	cJSON_Delete(root);
	return r;

fail:
	cJSON_Delete(root);
	node_report_destroy(r);
	errno = saved;
	return NULL;
}

/* --------------------------------------------------------- summary -- */

/* What step_summary_add() knows of the reports of one (node, step) pair
 * beyond the first, which is the one kept. */
struct _pair {
	uint32_t distinct; /* distinct reports: 2 or more is a conflict */
	unsigned char (*digest)[SHA256_DIGEST_LENGTH]; /* theirs, from the second on */
};

struct step_summary {
	char *job_id;
	char *step_id; /* NULL at job level */
	bool job_level;
	struct node_report **reports; /* the first report of each (node, step) */
	struct _pair *pairs;	      /* parallel to 'reports' */
	size_t nreports, cap_reports;
	size_t *table; /* open addressing on (node, step): index + 1, 0 empty */
	size_t table_size;
	size_t ifaces;	    /* interface records held */
	size_t conflicting; /* reports beyond the first of a pair, not exact copies */
	size_t refused;	    /* reports refused beyond the caps */
	size_t max_reports, max_ifaces;
	char **expected; /* as given, duplicates and all: sorted when used */
	size_t nexpected, cap_expected;
	size_t expected_count;   /* nodes expected in all, named or not */
	char missing_why[96];
};

struct step_summary *step_summary_create(const char *job_id, const char *step_id, bool job_level)
{
	struct step_summary *s;

	if (!job_id) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->job_level = job_level;
	s->max_reports = REPORT_SUMMARY_MAX_REPORTS;
	s->max_ifaces = REPORT_SUMMARY_MAX_IFACES;
	s->job_id = strdup(job_id);
	if (!s->job_id || (step_id && !(s->step_id = strdup(step_id)))) {
		step_summary_destroy(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void step_summary_destroy(struct step_summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nreports; i++) {
		node_report_destroy(s->reports[i]);
		free(s->pairs[i].digest);
	}
	free(s->reports);
	free(s->pairs);
	free(s->table);
	for (size_t i = 0; i < s->nexpected; i++)
		free(s->expected[i]);
	free(s->expected);
	free(s->job_id);
	free(s->step_id);
	free(s);
}

/* 'v' (of '*cap' elements of 'size') with room for element 'n': 'v'
 * itself, or a larger copy; NULL (ENOMEM, 'v' untouched) on failure. */
static void *_grow(void *v, size_t n, size_t *cap, size_t size)
{
	size_t c;
	void *nv;

	if (n < *cap && v)
		return v;
	c = *cap ? *cap * 2 : 8;
	nv = realloc(v, c * size);
	if (!nv) {
		errno = ENOMEM;
		return NULL;
	}
	*cap = c;
	return nv;
}

/* FNV-1a of node and step: spreads the table; equality is checked. */
static size_t _pair_hash(const char *node, const char *step)
{
	uint64_t h = 1469598103934665603ull;

	for (const unsigned char *p = (const unsigned char *)node; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull; /* a byte no name holds */
	for (const unsigned char *p = (const unsigned char *)step; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

/* The slot of (node, step) in the table: its entry, or the empty slot
 * where it would go. */
static size_t *_pair_slot(const struct step_summary *s, const char *node, const char *step)
{
	size_t mask = s->table_size - 1, i = _pair_hash(node, step) & mask;

	for (;; i = (i + 1) & mask) {
		size_t e = s->table[i];
		if (!e)
			return &s->table[i];
		const struct node_report *r = s->reports[e - 1];
		if (strcmp(r->node, node) == 0 && strcmp(r->step_id, step) == 0)
			return &s->table[i];
	}
}

/* Room in the table for one more pair (load at most one half). */
static int _table_reserve(struct step_summary *s)
{
	size_t size, *old = s->table, oldsize = s->table_size;

	if ((s->nreports + 1) * 2 <= s->table_size)
		return 0;
	size = s->table_size ? s->table_size * 2 : 64;
	s->table = calloc(size, sizeof(*s->table));
	if (!s->table) {
		s->table = old;
		errno = ENOMEM;
		return -1;
	}
	s->table_size = size;
	for (size_t i = 0; i < oldsize; i++)
		if (old[i]) {
			const struct node_report *r = s->reports[old[i] - 1];
			*_pair_slot(s, r->node, r->step_id) = old[i];
		}
	free(old);
	return 0;
}

/* SHA-256 of the report's JSON: two reports with the same digest say the
 * same thing (an exact re-send). */
static int _report_digest(const struct node_report *r, unsigned char out[SHA256_DIGEST_LENGTH])
{
	char *text = node_report_to_json(r);

	if (!text)
		return -1;
	SHA256((const unsigned char *)text, strlen(text), out);
	free(text);
	return 0;
}

/* 'r' for a pair that already has a report (index 'k'). */
static int _add_again(struct step_summary *s, size_t k, struct node_report *r)
{
	struct _pair *pr = &s->pairs[k];
	unsigned char d[SHA256_DIGEST_LENGTH];

	if (!pr->digest) {
		pr->digest = malloc(sizeof(*pr->digest));
		if (!pr->digest || _report_digest(s->reports[k], pr->digest[0]) < 0) {
			free(pr->digest);
			pr->digest = NULL;
			errno = ENOMEM;
			return -1;
		}
	}
	if (_report_digest(r, d) < 0)
		return -1;
	for (uint32_t i = 0; i < pr->distinct; i++)
		if (memcmp(pr->digest[i], d, sizeof(d)) == 0) {
			node_report_destroy(r); /* an exact copy: one report */
			return 0;
		}
	if (s->nreports + s->conflicting >= s->max_reports) {
		s->refused++;
		node_report_destroy(r);
		return 0;
	}
	void *nd = realloc(pr->digest, (pr->distinct + 1) * sizeof(*pr->digest));
	if (!nd) {
		errno = ENOMEM;
		return -1;
	}
	pr->digest = nd;
	memcpy(pr->digest[pr->distinct++], d, sizeof(d));
	s->conflicting++;
	node_report_destroy(r);
	return 0;
}

size_t step_summary_report_count(const struct step_summary *s)
{
	return s ? s->nreports : 0;
}

int step_summary_add(struct step_summary *s, struct node_report *r)
{
	struct node_report **v;
	struct _pair *pv;
	size_t *slot;

	if (!s || !r || !r->node[0]) {
		errno = EINVAL;
		return -1;
	}
	if (s->table_size) {
		slot = _pair_slot(s, r->node, r->step_id);
		if (*slot)
			return _add_again(s, *slot - 1, r);
	}
	if (s->nreports + s->conflicting >= s->max_reports ||
	    r->nifaces > s->max_ifaces - s->ifaces) {
		s->refused++;
		node_report_destroy(r);
		return 0;
	}
	if (_table_reserve(s) < 0)
		return -1;
	v = _grow(s->reports, s->nreports, &s->cap_reports, sizeof(*s->reports));
	if (!v)
		return -1;
	s->reports = v;
	size_t cap = s->cap_reports;
	pv = realloc(s->pairs, cap * sizeof(*s->pairs));
	if (!pv) {
		errno = ENOMEM;
		return -1;
	}
	s->pairs = pv;
	s->pairs[s->nreports] = (struct _pair){.distinct = 1};
	s->reports[s->nreports++] = r;
	*_pair_slot(s, r->node, r->step_id) = s->nreports;
	s->ifaces += r->nifaces;
	return 0;
}

void step_summary_expect_count(struct step_summary *s, size_t n)
{
	if (s)
		s->expected_count = n;
}

void step_summary_set_missing_reason(struct step_summary *s, const char *why)
{
	if (s)
		snprintf(s->missing_why, sizeof(s->missing_why), "%s", why ? why : "");
}

/* Expected nodes never named: neither reported nor expected by name. */
static size_t _unnamed_missing(const struct step_summary *s, size_t known)
{
	return s->expected_count > known ? s->expected_count - known : 0;
}

void step_summary_limit(struct step_summary *s, size_t max_reports, size_t max_ifaces)
{
	if (!s)
		return;
	if (max_reports && max_reports < s->max_reports)
		s->max_reports = max_reports;
	if (max_ifaces && max_ifaces < s->max_ifaces)
		s->max_ifaces = max_ifaces;
}

int step_summary_expect(struct step_summary *s, const char *node)
{
	char **v, *copy;

	if (!s || !node || !*node) {
		errno = EINVAL;
		return -1;
	}
	v = _grow(s->expected, s->nexpected, &s->cap_expected, sizeof(*s->expected));
	if (!v)
		return -1;
	s->expected = v;
	if (!(copy = strdup(node)))
		return -1;
	s->expected[s->nexpected++] = copy;
	return 0;
}

/* A node's status in the view: a node_status, or this one, which no
 * report can claim (it exists only where step_summary_add saw it). */
#define _NODE_CONFLICT NODE_STATUS_COUNT

/* What the summary says about one node: its reports merged. */
struct _node_view {
	const char *name;
	unsigned status; /* enum node_status or _NODE_CONFLICT */
	const char *status_msg;
	size_t conflicting; /* with _NODE_CONFLICT: distinct reports in conflict */
	bool stream_interrupted;
	const char *stream_msg;
	uint64_t start_ns, end_ns; /* earliest start, latest end */
	uint64_t active_ns;	   /* length of the union of its windows */
	uint32_t has;
	uint64_t total[METRIC_COUNT];
	double peak_rate[METRIC_COUNT];
	size_t interfaces;
	uint64_t link_bps;
	uint64_t resets;
	uint64_t traffic; /* TX + RX bytes */
	bool straggler;
	unsigned pct_of_median;
};

struct _view {
	size_t nnodes;
	struct _node_view *nodes; /* sorted by name */
	size_t ok;		  /* nodes with counters */
	size_t interfaces;
	uint64_t start_ns, end_ns;
	double duration_s;
	uint32_t has;
	uint64_t total[METRIC_COUNT];
	double peak_sum[METRIC_COUNT];
	uint64_t link_bps;
	uint64_t resets;
	double avg_tx, avg_rx; /* bytes per second */
	double line_pct;
	bool have_median;
	uint64_t median; /* floor of the median traffic */
	double median_d; /* the median, exactly as far as a double can */
	const struct _node_view *slowest;
};

static int _cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int _cmp_report_time(const struct node_report *x, const struct node_report *y)
{
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if (x->end_ns != y->end_ns)
		return x->end_ns < y->end_ns ? -1 : 1;
	return strcmp(x->step_id, y->step_id);
}

/* Report indices by node, then time (then step: a total order, since a
 * node has one report per step). */
static int _cmp_report_index(const void *a, const void *b, void *arg)
{
	struct node_report *const *rs = arg;
	const struct node_report *x = rs[*(const size_t *)a], *y = rs[*(const size_t *)b];
	int c = strcmp(x->node, y->node);

	return c ? c : _cmp_report_time(x, y);
}

/* One interface of one report of a node, for merging by name. */
struct _ientry {
	const char *name;
	uint32_t k; /* the report's place in the node's time order */
	uint32_t i; /* the interface's place in its report */
};

static int _cmp_ientry(const void *a, const void *b)
{
	const struct _ientry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* Scratch space reused from node to node. */
struct _scratch {
	struct _ientry *e;
	size_t cap;
	size_t *group; /* per report of the node: its group of overlapping windows */
	size_t gcap;
};

/* Interface e[0..n) (one name, one group of overlapping windows; sorted
 * by time) of the reports ok[]: add its merged totals to 'v'. */
static void _merge_iface(struct _node_view *v, struct node_report *const *ok,
			 const struct _ientry *e, size_t n)
{
	for (int m = 0; m < METRIC_COUNT; m++) {
		const struct iface_report *first = NULL, *last = NULL;
		uint64_t last_end = 0, best = 0;
		bool reset = false;
		uint32_t bit = 1u << m;

		for (size_t j = 0; j < n; j++) {
			const struct node_report *r = ok[e[j].k];
			const struct iface_report *f = &r->ifaces[e[j].i];
			if (!(f->has & bit))
				continue;
			if (!first)
				first = f;
			if (!last || r->end_ns >= last_end) {
				last = f;
				last_end = r->end_ns;
			}
			if (f->resets)
				reset = true;
			if (f->total[m] > best)
				best = f->total[m];
		}
		if (!first)
			continue;
		v->has |= bit;
		uint64_t t = best;
		if (!reset && last->end[m] >= first->start[m] &&
		    last->end[m] - first->start[m] > best)
			t = last->end[m] - first->start[m];
		v->total[m] = rate_add_sat(v->total[m], t);
	}
}

/* Merge the OK reports ok[0..n) of one node (sorted by time) into 'v':
 * its interfaces sorted by name once, so the work is n log n in the
 * interface records, whatever the number of steps. */
static int _merge_node(struct _node_view *v, struct node_report **ok, size_t n, struct _scratch *sc)
{
	size_t ne = 0, total = 0;

	for (size_t k = 0; k < n; k++) {
		const struct node_report *r = ok[k];
		if (k == 0 || r->start_ns < v->start_ns)
			v->start_ns = r->start_ns;
		if (k == 0 || r->end_ns > v->end_ns)
			v->end_ns = r->end_ns;
		for (int m = 0; m < METRIC_COUNT; m++)
			if (r->peak_rate[m] > v->peak_rate[m])
				v->peak_rate[m] = r->peak_rate[m];
		if (r->stream_interrupted && !v->stream_interrupted) {
			v->stream_interrupted = true;
			v->stream_msg = r->stream_msg;
		}
		total += r->nifaces;
	}
	if (total > sc->cap) {
		struct _ientry *ne2 = realloc(sc->e, total * sizeof(*sc->e));
		if (!ne2)
			return -1;
		sc->e = ne2;
		sc->cap = total;
	}
	if (n > sc->gcap) {
		size_t *g = realloc(sc->group, n * sizeof(*sc->group));
		if (!g)
			return -1;
		sc->group = g;
		sc->gcap = n;
	}
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < ok[k]->nifaces; i++) {
			v->resets += ok[k]->ifaces[i].resets;
			sc->e[ne++] = (struct _ientry){
			    .name = ok[k]->ifaces[i].name, .k = (uint32_t)k, .i = (uint32_t)i};
		}
	if (ne > 1)
		qsort(sc->e, ne, sizeof(*sc->e), _cmp_ientry);
	/* A report naming an interface twice (only a caller of the API can
	 * build one): its first one counts, as a lookup by name finds it. */
	size_t w = 0;
	for (size_t j = 0; j < ne; j++)
		if (!w || sc->e[j].k != sc->e[w - 1].k ||
		    strcmp(sc->e[j].name, sc->e[w - 1].name) != 0)
			sc->e[w++] = sc->e[j];
	ne = w;

	/* Groups of overlapping windows (the reports are sorted by start). */
	for (size_t a = 0, g = 0; a < n; g++) {
		uint64_t gstart = ok[a]->start_ns, gend = ok[a]->end_ns;
		size_t b = a + 1;
		while (b < n && ok[b]->start_ns <= gend) {
			if (ok[b]->end_ns > gend)
				gend = ok[b]->end_ns;
			b++;
		}
		v->active_ns += gend > gstart ? gend - gstart : 0;
		for (size_t k = a; k < b; k++)
			sc->group[k] = g;
		a = b;
	}

	/* Per name: the line rate its latest report gives, and the totals
	 * of each group (a name's entries of one group are adjacent). */
	for (size_t j = 0; j < ne;) {
		size_t end = j + 1;
		while (end < ne && strcmp(sc->e[end].name, sc->e[j].name) == 0)
			end++;
		v->interfaces++;
		const struct _ientry *latest = &sc->e[end - 1];
		v->link_bps += ok[latest->k]->ifaces[latest->i].link_bps;
		for (size_t a = j; a < end;) {
			size_t b = a + 1;
			while (b < end && sc->group[sc->e[b].k] == sc->group[sc->e[a].k])
				b++;
			_merge_iface(v, ok, sc->e + a, b - a);
			a = b;
		}
		j = end;
	}
	v->traffic = rate_add_sat(v->total[METRIC_TX_BYTES], v->total[METRIC_RX_BYTES]);
	return 0;
}

static int _cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Median, stragglers and the slowest node over the OK nodes. No slowest
 * node when the median is 0: nobody is slower than nothing. */
static int _stragglers(struct _view *w)
{
	uint64_t *t = NULL, twice;
	size_t n = 0;

	if (w->ok < 2)
		return 0;
	t = malloc(w->ok * sizeof(*t));
	if (!t)
		return -1;
	for (size_t i = 0; i < w->nnodes; i++)
		if (w->nodes[i].status == NODE_OK)
			t[n++] = w->nodes[i].traffic;
	qsort(t, n, sizeof(*t), _cmp_u64);
	/* Twice the median, exact unless it passes 2^64 (then saturated). */
	twice = n % 2 ? rate_add_sat(t[n / 2], t[n / 2]) : rate_add_sat(t[n / 2 - 1], t[n / 2]);
	free(t);
	w->have_median = true;
	w->median = twice / 2;
	w->median_d = (double)twice / 2.0;
	for (size_t i = 0; i < w->nnodes; i++) {
		struct _node_view *v = &w->nodes[i];
		if (v->status != NODE_OK)
			continue;
		/* floor(traffic * 100 / median), in 128 bits. */
		v->pct_of_median =
		    twice ? (unsigned)(((unsigned __int128)v->traffic * 200) / twice) : 100;
		v->straggler = (double)v->traffic < STRAGGLER_FRACTION * ((double)twice / 2.0);
		if (twice && (!w->slowest || v->traffic < w->slowest->traffic))
			w->slowest = v;
	}
	return 0;
}

static void _view_free(struct _view *w)
{
	free(w->nodes);
	w->nodes = NULL;
}

/* The view of one node from its reports rs[idx[0..n)] (sorted by time). */
static int _view_node(const struct step_summary *s, struct _node_view *v, const size_t *idx,
		      size_t n, struct node_report **ok, struct _scratch *sc)
{
	size_t nok = 0, other = SIZE_MAX, missing = SIZE_MAX;

	v->status = NODE_MISSING;
	v->status_msg = "";
	for (size_t j = 0; j < n; j++) {
		size_t k = idx[j];
		const struct node_report *r = s->reports[k];
		if (s->pairs[k].distinct > 1)
			v->conflicting += s->pairs[k].distinct;
		if (r->status == NODE_OK)
			ok[nok++] = s->reports[k];
		else if (r->status == NODE_MISSING)
			missing = missing == SIZE_MAX || k > missing ? k : missing;
		else if (k < other)
			other = k;
	}
	if (v->conflicting) {
		/* Two reports say different things about one node and step:
		 * which one is genuine cannot be told, so neither counts. */
		v->status = _NODE_CONFLICT;
		return 0;
	}
	if (nok) {
		v->status = NODE_OK;
		return _merge_node(v, ok, nok, sc);
	}
	/* As when reports were read in arrival order: the first that says
	 * why (no devices, unreadable), else the last that says "missing". */
	if (other == SIZE_MAX)
		other = missing;
	if (other != SIZE_MAX) {
		const struct node_report *r = s->reports[other];
		v->status = (unsigned)r->status < NODE_STATUS_COUNT ? r->status : NODE_UNREADABLE;
		v->status_msg = r->status_msg;
	}
	return 0;
}

/* Build the per-node view of 's': reports sorted by node and time and
 * expected names sorted, then walked together, so the work is n log n in
 * reports and interface records. Returns 0 or -1 (ENOMEM). */
static int _view_build(const struct step_summary *s, struct _view *w)
{
	const char **names = NULL;
	struct node_report **ok = NULL;
	size_t *idx = NULL, nnames = 0;
	struct _scratch sc = {0};
	int ret = -1;

	memset(w, 0, sizeof(*w));
	idx = malloc((s->nreports + 1) * sizeof(*idx));
	names = malloc((s->nexpected + 1) * sizeof(*names));
	ok = malloc((s->nreports + 1) * sizeof(*ok));
	w->nodes = calloc(s->nreports + s->nexpected + 1, sizeof(*w->nodes));
	if (!idx || !names || !ok || !w->nodes)
		goto out;
	for (size_t i = 0; i < s->nreports; i++)
		idx[i] = i;
	qsort_r(idx, s->nreports, sizeof(*idx), _cmp_report_index, s->reports);
	for (size_t i = 0; i < s->nexpected; i++)
		names[i] = s->expected[i];
	qsort(names, s->nexpected, sizeof(*names), _cmp_str);
	for (size_t i = 0; i < s->nexpected; i++)
		if (!nnames || strcmp(names[i], names[nnames - 1]) != 0)
			names[nnames++] = names[i];

	for (size_t a = 0, e = 0; a < s->nreports || e < nnames;) {
		const char *name;
		struct _node_view *v = &w->nodes[w->nnodes++];
		size_t b = a;

		if (a == s->nreports)
			name = names[e];
		else if (e == nnames || strcmp(s->reports[idx[a]]->node, names[e]) <= 0)
			name = s->reports[idx[a]]->node;
		else
			name = names[e];
		while (b < s->nreports && strcmp(s->reports[idx[b]]->node, name) == 0)
			b++;
		if (e < nnames && strcmp(names[e], name) == 0)
			e++;
		v->name = name;
		if (_view_node(s, v, idx + a, b - a, ok, &sc) < 0)
			goto out;
		a = b;
	}

	for (size_t i = 0; i < w->nnodes; i++) {
		const struct _node_view *v = &w->nodes[i];
		if (v->status != NODE_OK)
			continue;
		if (w->ok == 0 || v->start_ns < w->start_ns)
			w->start_ns = v->start_ns;
		if (w->ok == 0 || v->end_ns > w->end_ns)
			w->end_ns = v->end_ns;
		w->ok++;
		w->interfaces += v->interfaces;
		w->has |= v->has;
		w->link_bps = rate_add_sat(w->link_bps, v->link_bps);
		w->resets += v->resets;
		for (int m = 0; m < METRIC_COUNT; m++) {
			w->total[m] = rate_add_sat(w->total[m], v->total[m]);
			w->peak_sum[m] += v->peak_rate[m];
		}
	}
	if (w->end_ns > w->start_ns)
		w->duration_s = (double)(w->end_ns - w->start_ns) / 1e9;
	if (w->duration_s > 0) {
		w->avg_tx = (double)w->total[METRIC_TX_BYTES] / w->duration_s;
		w->avg_rx = (double)w->total[METRIC_RX_BYTES] / w->duration_s;
	}
	w->line_pct = rate_line_pct(w->avg_tx > w->avg_rx ? w->avg_tx : w->avg_rx, w->link_bps);
	if (_stragglers(w) < 0)
		goto out;
	ret = 0;
out:
	free(idx);
	free(names);
	free(ok);
	free(sc.e);
	free(sc.group);
	if (ret < 0) {
		_view_free(w);
		errno = ENOMEM;
	}
	return ret;
}

static double _node_avg_gbps(const struct _node_view *v)
{
	return v->active_ns ? rate_gbps(rate_per_sec(v->traffic, v->active_ns)) : 0.0;
}

static double _node_peak_gbps(const struct _node_view *v)
{
	return rate_gbps(v->peak_rate[METRIC_TX_BYTES] + v->peak_rate[METRIC_RX_BYTES]);
}

void step_summary_print(const struct step_summary *s, FILE *out, const char *prefix)
{
	struct _view w;
	char head[160];
	const char *p = prefix ? prefix : "";

	if (!s || !out)
		return;
	if (_view_build(s, &w) < 0) {
		log_error("step summary: out of memory");
		return;
	}
	if (s->job_level || !s->step_id)
		snprintf(head, sizeof(head), "job %s", s->job_id);
	else
		snprintf(head, sizeof(head), "job %s step %s", s->job_id, s->step_id);

	size_t unnamed = _unnamed_missing(s, w.nnodes);
	const char *why = s->missing_why[0] ? s->missing_why : "no report";
	if (!w.ok && s->expected_count) {
		fprintf(out, "%s%s: no node reported counters (%zu node%s expected)\n", p, head,
			s->expected_count, s->expected_count == 1 ? "" : "s");
	} else if (!w.ok) {
		fprintf(out, "%s%s: no node reported counters\n", p, head);
	} else {
		fprintf(out, "%s%s: %zu node%s, %zu interface%s, %.2f s%s\n", p, head, w.ok,
			w.ok == 1 ? "" : "s", w.interfaces, w.interfaces == 1 ? "" : "s",
			w.duration_s, s->job_level ? " (all monitored steps)" : "");
		fprintf(out,
			"%s  TX %" PRIu64 " bytes (%.2f GB), %" PRIu64 " packets; RX %" PRIu64
			" bytes (%.2f GB), %" PRIu64 " packets\n",
			p, w.total[METRIC_TX_BYTES], (double)w.total[METRIC_TX_BYTES] / 1e9,
			w.total[METRIC_TX_PKTS], w.total[METRIC_RX_BYTES],
			(double)w.total[METRIC_RX_BYTES] / 1e9, w.total[METRIC_RX_PKTS]);
		fprintf(out,
			"%s  average TX %.2f Gbps, RX %.2f Gbps; peak TX %.2f Gbps, RX %.2f Gbps"
			" (sum of node peaks); ",
			p, rate_gbps(w.avg_tx), rate_gbps(w.avg_rx),
			rate_gbps(w.peak_sum[METRIC_TX_BYTES]),
			rate_gbps(w.peak_sum[METRIC_RX_BYTES]));
		if (w.link_bps)
			fprintf(out, "%.1f %% of %.0f Gb/s line rate\n", w.line_pct,
				(double)w.link_bps / 1e9);
		else
			fprintf(out, "line rate unknown\n");
		fprintf(out, "%s  health: ", p);
		bool any = false;
		for (int m = 0; m < METRIC_COUNT; m++) {
			if (!metric_is_health(m) || !(w.has & (1u << m)) || !w.total[m])
				continue;
			fprintf(out, "%s%s %" PRIu64, any ? ", " : "", metric_name(m), w.total[m]);
			any = true;
		}
		fprintf(out, "%s; counter resets %" PRIu64 "\n", any ? "" : "none", w.resets);
		for (size_t i = 0; i < w.nnodes; i++) {
			const struct _node_view *v = &w.nodes[i];
			if (v->status != NODE_OK)
				continue;
			fprintf(
			    out,
			    "%s  node %s: TX %" PRIu64 " bytes, RX %" PRIu64
			    " bytes, %zu interface%s, avg %.2f Gbps TX+RX, peak %.2f Gbps TX+RX",
			    p, v->name, v->total[METRIC_TX_BYTES], v->total[METRIC_RX_BYTES],
			    v->interfaces, v->interfaces == 1 ? "" : "s", _node_avg_gbps(v),
			    _node_peak_gbps(v));
			if (v->straggler)
				fprintf(out, ", straggler (%u %% of the median)", v->pct_of_median);
			fprintf(out, "\n");
		}
		if (w.slowest)
			fprintf(out,
				"%s  slowest node: %s (%" PRIu64
				" bytes, %u %% of the median %" PRIu64 ")\n",
				p, w.slowest->name, w.slowest->traffic, w.slowest->pct_of_median,
				w.median);
	}
	for (size_t i = 0; i < w.nnodes; i++) {
		const struct _node_view *v = &w.nodes[i];
		switch (v->status) {
		case NODE_OK:
			break;
		case _NODE_CONFLICT:
			fprintf(out,
				"%s  node %s: %zu conflicting reports; its figures are left out\n",
				p, v->name, v->conflicting);
			break;
		case NODE_MISSING:
			fprintf(out, "%s  node %s: missing (%s)\n", p, v->name, why);
			break;
		case NODE_NO_DEVICES:
			fprintf(out, "%s  node %s: no EFA or InfiniBand device (%s)\n", p, v->name,
				v->status_msg);
			break;
		default:
			fprintf(out, "%s  node %s: counters unreadable (%s)\n", p, v->name,
				v->status_msg);
			break;
		}
	}
	if (unnamed)
		fprintf(out, "%s  %zu %snode%s missing (%s; names unknown: no node of the step "
			     "reported them)\n",
			p, unnamed, w.nnodes ? "more " : "", unnamed == 1 ? "" : "s", why);
	for (size_t i = 0; i < w.nnodes; i++) {
		const struct _node_view *v = &w.nodes[i];
		if (v->status == NODE_OK && v->stream_interrupted)
			fprintf(out,
				"%s  stream interrupted on %s: %s; totals are exact, peaks may be "
				"low\n",
				p, v->name, v->stream_msg);
	}
	if (s->refused)
		fprintf(out,
			"%s  %zu report%s refused: a summary holds at most %zu reports and %zu "
			"interfaces\n",
			p, s->refused, s->refused == 1 ? "" : "s", s->max_reports, s->max_ifaces);
	_view_free(&w);
}

/* {metric: number} for the metrics in 'has'. */
static bool _add_total_map(cJSON *obj, const char *key, const uint64_t *v, uint32_t has)
{
	cJSON *map = cJSON_AddObjectToObject(obj, key);

	if (!map)
		return false;
	for (int m = 0; m < METRIC_COUNT; m++)
		if ((has & (1u << m)) &&
		    !cJSON_AddNumberToObject(map, metric_name(m), (double)v[m]))
			return false;
	return true;
}

static bool _add_pair(cJSON *obj, const char *key, double tx, double rx)
{
	cJSON *map = cJSON_AddObjectToObject(obj, key);

	return map && cJSON_AddNumberToObject(map, "tx_bytes", tx) &&
	       cJSON_AddNumberToObject(map, "rx_bytes", rx);
}

static bool _node_to_json(cJSON *arr, const struct _node_view *v)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = v->status == NODE_OK;

	if (!o)
		return false;
	if (!cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return false;
	}
	if (v->status == _NODE_CONFLICT &&
	    !cJSON_AddNumberToObject(o, "conflicting_reports", (double)v->conflicting))
		return false;
	return cJSON_AddStringToObject(o, "node", v->name) &&
	       cJSON_AddStringToObject(o, "status",
				       v->status == _NODE_CONFLICT ? "conflict"
								   : node_status_name(v->status)) &&
	       cJSON_AddStringToObject(o, "status_msg", v->status_msg) &&
	       cJSON_AddNumberToObject(o, "tx_bytes", (double)v->total[METRIC_TX_BYTES]) &&
	       cJSON_AddNumberToObject(o, "rx_bytes", (double)v->total[METRIC_RX_BYTES]) &&
	       cJSON_AddNumberToObject(o, "tx_packets", (double)v->total[METRIC_TX_PKTS]) &&
	       cJSON_AddNumberToObject(o, "rx_packets", (double)v->total[METRIC_RX_PKTS]) &&
	       cJSON_AddNumberToObject(o, "interfaces", (double)v->interfaces) &&
	       cJSON_AddNumberToObject(o, "avg_gbps", ok ? _node_avg_gbps(v) : 0.0) &&
	       cJSON_AddNumberToObject(o, "peak_gbps", ok ? _node_peak_gbps(v) : 0.0) &&
	       cJSON_AddBoolToObject(o, "stream_interrupted", ok && v->stream_interrupted) &&
	       cJSON_AddStringToObject(o, "stream_msg",
				       ok && v->stream_interrupted ? v->stream_msg : "") &&
	       _add_total_map(o, "totals", v->total, v->has);
}

char *step_summary_to_json(const struct step_summary *s)
{
	struct _view w;
	cJSON *root = NULL, *health, *arr, *slow;
	char *text = NULL;
	bool ok;

	if (!s) {
		errno = EINVAL;
		return NULL;
	}
	if (_view_build(s, &w) < 0)
		return NULL;
	root = cJSON_CreateObject();
	if (!root)
		goto fail;
	ok = cJSON_AddStringToObject(root, "job_id", s->job_id) &&
	     (s->job_level || !s->step_id ? cJSON_AddNullToObject(root, "step_id")
					  : cJSON_AddStringToObject(root, "step_id", s->step_id)) &&
	     cJSON_AddBoolToObject(root, "job_level", s->job_level) &&
	     cJSON_AddNumberToObject(root, "nodes", (double)w.ok) &&
	     cJSON_AddNumberToObject(root, "interfaces", (double)w.interfaces) &&
	     cJSON_AddNumberToObject(root, "duration_s", w.duration_s) &&
	     _add_total_map(root, "totals", w.total, w.has) &&
	     _add_pair(root, "avg_rate", w.avg_tx, w.avg_rx) &&
	     _add_pair(root, "peak_rate_sum", w.peak_sum[METRIC_TX_BYTES],
		       w.peak_sum[METRIC_RX_BYTES]) &&
	     cJSON_AddNumberToObject(root, "line_rate_bps", (double)w.link_bps) &&
	     cJSON_AddNumberToObject(root, "line_pct", w.line_pct);
	if (!ok || !(health = cJSON_AddObjectToObject(root, "health")))
		goto fail;
	for (int m = 0; m < METRIC_COUNT; m++)
		if (metric_is_health(m) && (w.has & (1u << m)) && w.total[m] &&
		    !cJSON_AddNumberToObject(health, metric_name(m), (double)w.total[m]))
			goto fail;
	if (!cJSON_AddNumberToObject(root, "resets", (double)w.resets))
		goto fail;
	if (w.slowest) {
		if (!(slow = cJSON_AddObjectToObject(root, "slowest")) ||
		    !cJSON_AddStringToObject(slow, "node", w.slowest->name) ||
		    !cJSON_AddNumberToObject(slow, "bytes", (double)w.slowest->traffic) ||
		    !cJSON_AddNumberToObject(
			slow, "fraction_of_median",
			w.median_d > 0 ? (double)w.slowest->traffic / w.median_d : 1.0))
			goto fail;
	} else if (!cJSON_AddNullToObject(root, "slowest")) {
		goto fail;
	}
	if (!(arr = cJSON_AddArrayToObject(root, "stragglers")))
		goto fail;
	for (size_t i = 0; i < w.nnodes; i++) {
		cJSON *str;
		if (w.nodes[i].status != NODE_OK || !w.nodes[i].straggler)
			continue;
		if (!(str = cJSON_CreateString(w.nodes[i].name)) ||
		    !cJSON_AddItemToArray(arr, str)) {
			cJSON_Delete(str);
			goto fail;
		}
	}
	if (!(arr = cJSON_AddArrayToObject(root, "missing")))
		goto fail;
	for (size_t i = 0; i < w.nnodes; i++) {
		cJSON *str;
		if (w.nodes[i].status != NODE_MISSING)
			continue;
		if (!(str = cJSON_CreateString(w.nodes[i].name)) ||
		    !cJSON_AddItemToArray(arr, str)) {
			cJSON_Delete(str);
			goto fail;
		}
	}
	if (!cJSON_AddNumberToObject(root, "missing_unnamed",
				     (double)_unnamed_missing(s, w.nnodes)))
		goto fail;
	if (!(arr = cJSON_CreateArray()))
		goto fail;
	for (size_t i = 0; i < w.nnodes; i++) {
		cJSON *str;
		if (w.nodes[i].status != _NODE_CONFLICT)
			continue;
		if (!(str = cJSON_CreateString(w.nodes[i].name)) ||
		    !cJSON_AddItemToArray(arr, str)) {
			cJSON_Delete(str);
			cJSON_Delete(arr);
			goto fail;
		}
	}
	/* Only when there is something to say: existing documents keep
	 * their exact keys. */
	if (cJSON_GetArraySize(arr) == 0)
		cJSON_Delete(arr);
	else if (!cJSON_AddItemToObject(root, "conflicts", arr)) {
		cJSON_Delete(arr);
		goto fail;
	}
	if (s->refused && !cJSON_AddNumberToObject(root, "refused_reports", (double)s->refused))
		goto fail;
	if (!(arr = cJSON_AddArrayToObject(root, "nodes_detail")))
		goto fail;
	for (size_t i = 0; i < w.nnodes; i++)
		if (!_node_to_json(arr, &w.nodes[i]))
			goto fail;
	text = cJSON_PrintUnformatted(root);
	if (!text)
		goto fail;
	cJSON_Delete(root);
	_view_free(&w);
	return text;

fail:
	cJSON_Delete(root);
	_view_free(&w);
	errno = ENOMEM;
	return NULL;
}

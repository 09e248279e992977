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
 *   (node, job_id, step_id, interface names) must not hold control
 *   characters (node and interface names must not be empty; the ids may,
 *   as the reporter writes them when run outside a job), and control
 *   characters in the free-text messages are replaced by '?'.
 *
 * - step_summary_add(): on failure the caller keeps 'r'.
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

#include "layout.h"
#include "log.h"
#include "rate.h"
#include "report.h"
#include "snapshot.h"
#include "sysfs.h"

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
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)dst[i];
		if (c >= 0x20 && c != 0x7f)
			continue;
		if (kind != _STR_TEXT)
			return _jfail(p, path, "control character at byte %zu", i);
		dst[i] = '?';
	}
	return 0;
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
		for (size_t k = 0; k < r->nifaces; k++)
			if (strcmp(r->ifaces[k].name, r->ifaces[r->nifaces].name) == 0) {
				snprintf(path, sizeof(path), "ifaces[%zu].name", r->nifaces);
				_jfail(&p, path, "duplicate interface '%s'", r->ifaces[k].name);
				goto fail;
			}
		r->nifaces++;
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

struct step_summary {
	char *job_id;
	char *step_id; /* NULL at job level */
	bool job_level;
	struct node_report **reports;
	size_t nreports, cap_reports;
	char **expected;
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
	for (size_t i = 0; i < s->nreports; i++)
		node_report_destroy(s->reports[i]);
	free(s->reports);
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

int step_summary_add(struct step_summary *s, struct node_report *r)
{
	struct node_report **v;

	if (!s || !r || !r->node[0]) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < s->nreports; i++)
		if (strcmp(s->reports[i]->node, r->node) == 0 &&
		    strcmp(s->reports[i]->step_id, r->step_id) == 0) {
			errno = EEXIST;
			return -1;
		}
	v = _grow(s->reports, s->nreports, &s->cap_reports, sizeof(*s->reports));
	if (!v)
		return -1;
	s->reports = v;
	s->reports[s->nreports++] = r;
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

int step_summary_expect(struct step_summary *s, const char *node)
{
	char **v, *copy;

	if (!s || !node || !*node) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < s->nexpected; i++)
		if (strcmp(s->expected[i], node) == 0)
			return 0;
	v = _grow(s->expected, s->nexpected, &s->cap_expected, sizeof(*s->expected));
	if (!v)
		return -1;
	s->expected = v;
	if (!(copy = strdup(node)))
		return -1;
	s->expected[s->nexpected++] = copy;
	return 0;
}

/* What the summary says about one node: its reports merged. */
struct _node_view {
	const char *name;
	enum node_status status;
	const char *status_msg;
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

static int _cmp_report_time(const void *a, const void *b)
{
	const struct node_report *x = *(const struct node_report *const *)a;
	const struct node_report *y = *(const struct node_report *const *)b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if (x->end_ns != y->end_ns)
		return x->end_ns < y->end_ns ? -1 : 1;
	return strcmp(x->step_id, y->step_id);
}

static const struct iface_report *_report_iface(const struct node_report *r, const char *name)
{
	long k = _find_iface(r->ifaces, r->nifaces, name);
	return k >= 0 ? &r->ifaces[k] : NULL;
}

/* Interface 'name' over the group g[0..n) (sorted by start): add its
 * merged totals to 'v'. */
static void _merge_iface(struct _node_view *v, struct node_report *const *g, size_t n,
			 const char *name)
{
	for (int m = 0; m < METRIC_COUNT; m++) {
		const struct iface_report *first = NULL, *last = NULL;
		uint64_t last_end = 0, best = 0;
		bool reset = false;
		uint32_t bit = 1u << m;

		for (size_t k = 0; k < n; k++) {
			const struct iface_report *f = _report_iface(g[k], name);
			if (!f || !(f->has & bit))
				continue;
			if (!first)
				first = f;
			if (!last || g[k]->end_ns >= last_end) {
				last = f;
				last_end = g[k]->end_ns;
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

/* Merge the OK reports ok[0..n) of one node (sorted by time) into 'v'. */
static int _merge_node(struct _node_view *v, struct node_report **ok, size_t n)
{
	const char **names = NULL;
	size_t nnames = 0, cap = 0;
	int ret = -1;

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
		for (size_t i = 0; i < r->nifaces; i++) {
			v->resets += r->ifaces[i].resets;
			bool seen = false;
			for (size_t j = 0; j < nnames && !seen; j++)
				seen = strcmp(names[j], r->ifaces[i].name) == 0;
			if (seen)
				continue;
			const char **nv = _grow(names, nnames, &cap, sizeof(*names));
			if (!nv)
				goto out;
			names = nv;
			names[nnames++] = r->ifaces[i].name;
		}
	}
	v->interfaces = nnames;
	/* Line rate: each interface as its latest report says. */
	for (size_t j = 0; j < nnames; j++)
		for (size_t k = n; k-- > 0;) {
			const struct iface_report *f = _report_iface(ok[k], names[j]);
			if (f) {
				v->link_bps += f->link_bps;
				break;
			}
		}

	/* Groups of overlapping windows. */
	for (size_t a = 0; a < n;) {
		uint64_t gstart = ok[a]->start_ns, gend = ok[a]->end_ns;
		size_t b = a + 1;
		while (b < n && ok[b]->start_ns <= gend) {
			if (ok[b]->end_ns > gend)
				gend = ok[b]->end_ns;
			b++;
		}
		v->active_ns += gend > gstart ? gend - gstart : 0;
		for (size_t j = 0; j < nnames; j++)
			_merge_iface(v, ok + a, b - a, names[j]);
		a = b;
	}
	v->traffic = rate_add_sat(v->total[METRIC_TX_BYTES], v->total[METRIC_RX_BYTES]);
	ret = 0;
out:
	free(names);
	return ret;
}

static int _cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Median, stragglers and the slowest node over the OK nodes. */
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
		if (!w->slowest || v->traffic < w->slowest->traffic)
			w->slowest = v;
	}
	return 0;
}

static void _view_free(struct _view *w)
{
	free(w->nodes);
	w->nodes = NULL;
}

/* Build the per-node view of 's'. Returns 0 or -1 (ENOMEM). */
static int _view_build(const struct step_summary *s, struct _view *w)
{
	const char **names = NULL;
	struct node_report **mine = NULL;
	size_t nnames = 0;
	int ret = -1;

	memset(w, 0, sizeof(*w));
	names = malloc((s->nreports + s->nexpected + 1) * sizeof(*names));
	mine = malloc((s->nreports + 1) * sizeof(*mine));
	if (!names || !mine)
		goto out;
	for (size_t i = 0; i < s->nreports; i++)
		names[nnames++] = s->reports[i]->node;
	for (size_t i = 0; i < s->nexpected; i++)
		names[nnames++] = s->expected[i];
	qsort(names, nnames, sizeof(*names), _cmp_str);
	w->nodes = calloc(nnames + 1, sizeof(*w->nodes));
	if (!w->nodes)
		goto out;
	for (size_t i = 0; i < nnames; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		struct _node_view *v = &w->nodes[w->nnodes++];
		const struct node_report *other = NULL;
		size_t n = 0;

		v->name = names[i];
		v->status = NODE_MISSING;
		v->status_msg = "";
		for (size_t k = 0; k < s->nreports; k++) {
			struct node_report *r = s->reports[k];
			if (strcmp(r->node, v->name) != 0)
				continue;
			if (r->status == NODE_OK)
				mine[n++] = r;
			else if (!other || other->status == NODE_MISSING)
				other = r;
		}
		if (n) {
			v->status = NODE_OK;
			qsort(mine, n, sizeof(*mine), _cmp_report_time);
			if (_merge_node(v, mine, n) < 0)
				goto out;
		} else if (other) {
			v->status = (unsigned)other->status < NODE_STATUS_COUNT ? other->status
										: NODE_UNREADABLE;
			v->status_msg = other->status_msg;
		}
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
	free(names);
	free(mine);
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
			fprintf(out,
				"%s  node %s: TX %" PRIu64 " bytes, RX %" PRIu64
				" bytes, %zu interface%s, avg %.2f Gbps, peak %.2f Gbps",
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
	return cJSON_AddStringToObject(o, "node", v->name) &&
	       cJSON_AddStringToObject(o, "status", node_status_name(v->status)) &&
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

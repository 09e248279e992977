/*
 * dashboard.c - the CloudWatch dashboard for efa-monitor's metrics.
 *
 * The seed's five widgets, over every interface of the chosen job (scope
 * "job": a JobId variable) or node (scope "node": an InstanceId
 * variable): network throughput, bandwidth in Gbps against the line rate,
 * packet rate, errors and discards (with the EFA health counters), and the
 * current rates as single values. SEARCH expressions find every interface
 * and node that published, so the dashboard needs no editing as jobs come
 * and go.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwclient.h"
#include "cwmetric.h"
#include "dashboard.h"
#include "fabric.h"
#include "log.h"

struct scope {
	const char *schema;     /* the SEARCH schema's dimension list */
	const char *variable;   /* the dimension the variable sets */
	const char *label;
	const char *example;    /* the variable's default value */
};

static const struct scope _job = {"InstanceId,Interface,JobId", "JobId", "Job", "1"};
static const struct scope _node = {"InstanceId,Interface", "InstanceId", "Instance",
				   "i-0123456789abcdef0"};

/* SEARCH('{ns,dims} MetricName="m" JobId="x"', 'stat', period) */
static char *_search(const char *ns, const struct scope *sc, const char *metric, const char *stat)
{
	char *s = NULL;
	if (asprintf(&s, "SEARCH('{%s,%s} MetricName=\"%s\" %s=\"%s\"', '%s', 60)", ns, sc->schema,
		     metric, sc->variable, sc->example, stat) < 0)
		return NULL;
	return s;
}

static cJSON *_expr(const char *expr, const char *id, const char *label, bool visible)
{
	cJSON *row = cJSON_CreateArray(), *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "expression", expr);
	cJSON_AddStringToObject(o, "id", id);
	if (label)
		cJSON_AddStringToObject(o, "label", label);
	if (!visible)
		cJSON_AddFalseToObject(o, "visible");
	cJSON_AddItemToArray(row, o);
	return row;
}

static cJSON *_search_row(const char *ns, const struct scope *sc, const char *metric,
			  const char *stat, const char *id, bool visible)
{
	char *e = _search(ns, sc, metric, stat);
	cJSON *row = _expr(e ? e : "", id, NULL, visible);
	free(e);
	return row;
}

static cJSON *_widget(int x, int y, int w, int h, const char *title, const char *view,
		      const char *region, const char *stat, cJSON *metrics)
{
	cJSON *wd = cJSON_CreateObject(), *p = cJSON_CreateObject();
	cJSON_AddStringToObject(wd, "type", "metric");
	cJSON_AddNumberToObject(wd, "x", x);
	cJSON_AddNumberToObject(wd, "y", y);
	cJSON_AddNumberToObject(wd, "width", w);
	cJSON_AddNumberToObject(wd, "height", h);
	cJSON_AddItemToObject(p, "metrics", metrics);
	cJSON_AddStringToObject(p, "view", view);
	cJSON_AddStringToObject(p, "stat", stat);
	cJSON_AddNumberToObject(p, "period", 60);
	cJSON_AddStringToObject(p, "region", region);
	cJSON_AddStringToObject(p, "title", title);
	cJSON_AddItemToObject(wd, "properties", p);
	return wd;
}

/* Bytes/s of every interface, then the Gbps sums. */
static cJSON *_gbps_rows(const char *ns, const struct scope *sc, bool show_sources)
{
	cJSON *m = cJSON_CreateArray();
	cJSON_AddItemToArray(m, _search_row(ns, sc, "rx_bytes_rate", "Average", "rx", show_sources));
	cJSON_AddItemToArray(m, _search_row(ns, sc, "tx_bytes_rate", "Average", "tx", show_sources));
	cJSON_AddItemToArray(m, _expr("SUM(rx)*8/1e9", "rxg", "RX Gb/s", true));
	cJSON_AddItemToArray(m, _expr("SUM(tx)*8/1e9", "txg", "TX Gb/s", true));
	return m;
}

cJSON *dashboard_body(const char *ns, const char *scope, const char *region,
		      double line_rate_gbps)
{
	const struct scope *sc = strcmp(scope, "node") == 0 ? &_node : &_job;
	cJSON *body = cJSON_CreateObject(), *widgets = cJSON_CreateArray(), *m;

	cJSON_AddStringToObject(body, "start", "-PT3H");

	/* 1. Network throughput, per interface. */
	m = cJSON_CreateArray();
	cJSON_AddItemToArray(m, _search_row(ns, sc, "rx_bytes_rate", "Average", "rx", true));
	cJSON_AddItemToArray(m, _search_row(ns, sc, "tx_bytes_rate", "Average", "tx", true));
	cJSON_AddItemToArray(widgets, _widget(0, 0, 12, 6, "Network throughput (bytes/s per interface)",
					      "timeSeries", region, "Average", m));

	/* 2. Bandwidth utilisation against the line rate. */
	cJSON *w = _widget(12, 0, 12, 6, "Bandwidth utilisation (Gb/s)", "timeSeries", region,
			   "Average", _gbps_rows(ns, sc, false));
	if (line_rate_gbps > 0) {
		cJSON *p = cJSON_GetObjectItem(w, "properties");
		cJSON *ann = cJSON_CreateObject(), *hz = cJSON_CreateArray(), *line = cJSON_CreateObject();
		char label[96];
		snprintf(label, sizeof(label), "line rate of one node (%g Gb/s)", line_rate_gbps);
		cJSON_AddStringToObject(line, "label", label);
		cJSON_AddNumberToObject(line, "value", line_rate_gbps);
		cJSON_AddItemToArray(hz, line);
		cJSON_AddItemToObject(ann, "horizontal", hz);
		cJSON_AddItemToObject(p, "annotations", ann);
	}
	cJSON_AddItemToArray(widgets, w);

	/* 3. Packet rate. */
	m = cJSON_CreateArray();
	cJSON_AddItemToArray(m, _search_row(ns, sc, "rx_packets_rate", "Average", "rxp", true));
	cJSON_AddItemToArray(m, _search_row(ns, sc, "tx_packets_rate", "Average", "txp", true));
	cJSON_AddItemToArray(widgets, _widget(0, 6, 12, 6, "Packet rate (packets/s per interface)",
					      "timeSeries", region, "Average", m));

	/* 4. Errors, discards, drops and retransmits: every Count metric. */
	m = cJSON_CreateArray();
	for (size_t i = 0; i < cw_metric_count(); i++) {
		const struct cw_metric_def *d = cw_metric(i);
		char id[32];
		if (d->rate)
			continue;
		snprintf(id, sizeof(id), "h%zu", i);
		cJSON_AddItemToArray(m, _search_row(ns, sc, d->name, "Sum", id, true));
	}
	cJSON_AddItemToArray(widgets, _widget(12, 6, 12, 6, "Errors, discards and retransmits (per minute)",
					      "timeSeries", region, "Sum", m));

	/* 5. Current rates as single values. */
	m = _gbps_rows(ns, sc, false);
	cJSON_AddItemToArray(m, _search_row(ns, sc, "rx_packets_rate", "Average", "rxp", false));
	cJSON_AddItemToArray(m, _search_row(ns, sc, "tx_packets_rate", "Average", "txp", false));
	cJSON_AddItemToArray(m, _expr("SUM(rxp)", "rxps", "RX packets/s", true));
	cJSON_AddItemToArray(m, _expr("SUM(txp)", "txps", "TX packets/s", true));
	cJSON_AddItemToArray(widgets, _widget(0, 12, 24, 4, "Current rates", "singleValue", region,
					      "Average", m));
	cJSON_AddItemToObject(body, "widgets", widgets);

	/* The variable: pick one job (or node) among those that published. */
	cJSON *vars = cJSON_CreateArray(), *v = cJSON_CreateObject();
	char search[256];
	snprintf(search, sizeof(search), "{%s,%s} MetricName=\"rx_bytes_rate\"", ns, sc->schema);
	cJSON_AddStringToObject(v, "type", "property");
	cJSON_AddStringToObject(v, "property", sc->variable);
	cJSON_AddStringToObject(v, "inputType", "select");
	cJSON_AddStringToObject(v, "id", sc->variable);
	cJSON_AddStringToObject(v, "label", sc->label);
	cJSON_AddStringToObject(v, "defaultValue", sc->example);
	cJSON_AddBoolToObject(v, "visible", true);
	cJSON_AddStringToObject(v, "search", search);
	cJSON_AddStringToObject(v, "populateFrom", sc->variable);
	cJSON_AddItemToArray(vars, v);
	cJSON_AddItemToObject(body, "variables", vars);
	return body;
}

/* The sum of this node's link rates, in Gb/s (0 if none is known). */
static double _node_line_rate(const char *sysfs_root)
{
	struct fabric *f = fabric_create(sysfs_root);
	double gbps = 0;
	if (!f)
		return 0;
	const struct layout *l = fabric_layout(f);
	for (size_t i = 0; i < l->ndevices; i++)
		gbps += (double)layout_device_link_bps(l, i) / 1e9;
	fabric_destroy(f);
	return gbps;
}

static bool _valid_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 255)
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
			return false;
	return true;
}

static int _put(const struct options *o, const char *body_text)
{
	struct cw_client_config cc = {o->cw_endpoint, o->cw_region, o->aws_profile, NULL};
	struct cw_client *c = cw_client_create(&cc);
	struct http_response resp = {0};
	char why[768];
	int status = 1;

	if (!c)
		return 1;
	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "DashboardName", o->dashboard_name);
	cJSON_AddStringToObject(req, "DashboardBody", body_text);
	char *text = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	if (!text) {
		log_error("out of memory");
		goto out;
	}
	enum cw_outcome r = cw_client_call(c, "PutDashboard", text, strlen(text), false,
					   o->cw_timeout, &resp, why, sizeof(why));
	free(text);
	if (r != CW_OK) {
		log_error("PutDashboard %s failed: %s", o->dashboard_name, why);
		goto out;
	}
	/* CloudWatch accepts a dashboard with problems and says which. */
	cJSON *j = cJSON_ParseWithLength(resp.body ? resp.body : "", resp.body_len);
	const cJSON *msgs = j ? cJSON_GetObjectItem(j, "DashboardValidationMessages") : NULL;
	int nmsgs = cJSON_IsArray(msgs) ? cJSON_GetArraySize(msgs) : 0;
	for (int i = 0; i < nmsgs; i++) {
		const cJSON *m = cJSON_GetArrayItem(msgs, i);
		const cJSON *path = cJSON_GetObjectItem(m, "DataPath");
		const cJSON *msg = cJSON_GetObjectItem(m, "Message");
		log_warn("dashboard %s: %s: %s", o->dashboard_name,
			 cJSON_IsString(path) ? path->valuestring : "?",
			 cJSON_IsString(msg) ? msg->valuestring : "?");
	}
	cJSON_Delete(j);
	printf("dashboard %s created in %s (%d validation messages)\n", o->dashboard_name,
	       cw_client_region(c), nmsgs);
	status = 0;
out:
	http_response_free(&resp);
	cw_client_destroy(c);
	return status;
}

int dashboard_run(const struct options *o)
{
	int status = 1;

	if (strcmp(o->dashboard_scope, "job") != 0 && strcmp(o->dashboard_scope, "node") != 0) {
		log_error("dashboard_scope = %s: expected job or node", o->dashboard_scope);
		return 2;
	}
	if (!_valid_name(o->dashboard_name)) {
		log_error("dashboard_name = %s: 1 to 255 of A-Z, a-z, 0-9, - and _", o->dashboard_name);
		return 2;
	}
	/* Widgets name their region; without one configured, the client's chain
	 * (environment, then instance metadata) decides. */
	const char *region = o->cw_region ? o->cw_region : getenv("AWS_REGION");
	if (!region || !*region)
		region = getenv("AWS_DEFAULT_REGION");
	struct cw_client *probe = NULL;
	if (!region || !*region) {
		struct cw_client_config cc = {o->cw_endpoint, NULL, o->aws_profile, NULL};
		probe = cw_client_create(&cc);
		if (!probe || cw_client_resolve(probe) < 0) {
			log_error("no region: set cw_region, AWS_REGION or AWS_DEFAULT_REGION");
			cw_client_destroy(probe);
			return 1;
		}
		region = cw_client_region(probe);
	}
	double line = o->line_rate_gbps ? (double)o->line_rate_gbps : _node_line_rate(o->sysfs_root);
	cJSON *body = dashboard_body(o->cw_namespace, o->dashboard_scope, region, line);
	char *text = body ? (o->dashboard_put ? cJSON_PrintUnformatted(body) : cJSON_Print(body))
			  : NULL;
	cJSON_Delete(body);
	if (!text) {
		log_error("out of memory");
		goto out;
	}
	if (o->dashboard_put) {
		status = _put(o, text);
	} else {
		printf("%s\n", text);
		status = 0;
	}
out:
	free(text);
	cw_client_destroy(probe);
	return status;
}

/*
 * dashboard.h - write, or create with PutDashboard, the CloudWatch
 * dashboard for efa-monitor's metrics.
 */
#ifndef EFA_MONITOR_DASHBOARD_H
#define EFA_MONITOR_DASHBOARD_H

#include <cjson/cJSON.h>

#include "options.h"

/* The dashboard body for namespace 'ns', scope "job" or "node", widgets in
 * 'region', with a line-rate annotation when 'line_rate_gbps' > 0. */
cJSON *dashboard_body(const char *ns, const char *scope, const char *region,
		      double line_rate_gbps);

/* The dashboard command: print the body, or PutDashboard it
 * (dashboard_put). Returns the exit status. */
int dashboard_run(const struct options *o);

#endif

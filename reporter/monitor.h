/*
 * monitor.h - the sampling loop of the node daemon and per-job reporter.
 */
#ifndef EFA_MONITOR_MONITOR_H
#define EFA_MONITOR_MONITOR_H

#include "options.h"

/*
 * Sample every 'interval' seconds on a fixed schedule (no drift), feed
 * the sinks, until SIGTERM/SIGINT or 'samples' intervals. SIGHUP reopens
 * the log file. Returns the process exit status (0 on a clean stop).
 */
int monitor_run(const struct options *o);

#endif

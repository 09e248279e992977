/*
 * show.h - the one-shot view: every device, its type, link and current
 * rates measured over a short window, as a table or as JSON.
 */
#ifndef EFA_MONITOR_SHOW_H
#define EFA_MONITOR_SHOW_H

#include "options.h"

/* Print to stdout. Returns the exit status (0, or 1 when the sysfs root
 * cannot be read at all). */
int show_run(const struct options *o);

#endif

/*
 * main.c - efa-monitor: EFA and InfiniBand fabric counters, per node and
 * per job.
 *
 *   efa-monitor run   [options]   the node daemon / per-job reporter
 *   efa-monitor show  [options]   one look at every device and its rates
 *   efa-monitor dashboard [options]  the CloudWatch dashboard (print or create)
 *   efa-monitor version
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "log.h"
#include "monitor.h"
#include "options.h"
#include "dashboard.h"
#include "show.h"

static void _usage(FILE *out)
{
	fprintf(out,
		"Usage: efa-monitor COMMAND [options]\n"
		"\n"
		"Commands:\n"
		"  run       sample every interval and write rates to the sinks (the node daemon)\n"
		"  show      print every device, its link and its rates over a short window\n"
		"  dashboard print the CloudWatch dashboard body, or create it (--dashboard-put)\n"
		"  version   print the version\n"
		"\n");
	options_usage(out);
}

/* A p5 node has ~1300 counter files, each held open: lift the soft limit
 * to the hard one so that they fit. */
static void _raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct options o;
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int rest, status;

	if (!cmd || strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "help") == 0) {
		_usage(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "run") != 0 && strcmp(cmd, "show") != 0 && strcmp(cmd, "dashboard") != 0) {
		fprintf(stderr, "efa-monitor: unknown command '%s' (run, show, dashboard, version, help)\n",
			cmd);
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			_usage(stdout);
			return 0;
		}
	if (options_init(&o) < 0) {
		fprintf(stderr, "efa-monitor: out of memory\n");
		return 1;
	}
	rest = options_parse(&o, argc - 1, argv + 1);
	if (rest < 0) {
		options_free(&o);
		return 2;
	}
	if (rest < argc - 1) {
		fprintf(stderr, "efa-monitor: unexpected argument '%s'\n", argv[1 + rest]);
		options_free(&o);
		return 2;
	}
	log_set_level(o.log_level);
	if (o.log_file && log_open_file(o.log_file) < 0) {
		fprintf(stderr, "efa-monitor: cannot open log file %s: %m\n", o.log_file);
		options_free(&o);
		return 1;
	}
	_raise_nofile();
	if (strcmp(cmd, "run") == 0)
		status = monitor_run(&o);
	else if (strcmp(cmd, "show") == 0)
		status = show_run(&o);
	else
		status = dashboard_run(&o);
	log_close_file();
	options_free(&o);
	return status;
}

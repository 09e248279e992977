/*
 * settings.h - the plugin's two inputs: plugstack.conf arguments (the
 * administrator's) and --efa-monitor[=OPTS] (the user's).
 */
#ifndef EFA_MONITOR_SPANK_SETTINGS_H
#define EFA_MONITOR_SPANK_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

/* plugstack.conf: "optional spank_efa_monitor.so key=value ..." */
struct spank_config {
	char *reporter;          /* the efa-monitor program */
	char *reporter_config;   /* its config file (NULL: its default) */
	bool default_on;         /* monitor every job unless it says off */
	char *sysfs;             /* sysfs root; "%n" is the node name */
	double interval;         /* the reporter's interval unless the user sets one */
	double collect_timeout;  /* seconds srun / the batch step waits for nodes */
	double send_timeout;     /* seconds a node may spend sending its report */
	double stop_timeout;     /* seconds the reporter gets to exit on SIGTERM */
	char *channel_host;      /* address nodes use to reach srun (NULL: host name) */
	char *sinks;             /* the per-job reporter's sinks */
	char *log_dir;           /* per-job reporter logs (NULL: none); %j %s %n */
};

/* Defaults. Returns 0 or -1 (ENOMEM). */
int spank_config_init(struct spank_config *c);
void spank_config_free(struct spank_config *c);

/*
 * Parse plugstack.conf arguments. Returns 0, or -1 with a message naming
 * the argument in 'err' (unknown key, bad value, not key=value).
 */
int spank_config_parse(struct spank_config *c, int ac, char **av, char *err, size_t errlen);

/* The user's --efa-monitor[=OPTS]. */
struct user_opts {
	bool given;              /* the option appeared */
	bool off;                /* "off": opt out of default=on */
	bool from_env;           /* inherited from the job (sbatch/salloc), not given to srun */
	double interval;         /* 0: the administrator's */
	char json[4096];         /* also write the summary here ("" for none) */
};

#define USER_OPTS_HELP "interval=SECONDS, json=PATH, off"

/*
 * Parse OPTS ("interval=5,json=out.json", "off", or NULL/"" for plain
 * --efa-monitor) into 'o'. "(null)" is a plain --efa-monitor too: that is
 * how Slurm exports a bare sbatch/salloc flag to the job's sruns. Idempotent: the same OPTS may come twice
 * (environment, then command line). Returns 0, or -1 with a message in
 * 'err' saying what is wrong and what is allowed.
 */
int user_opts_parse(struct user_opts *o, const char *optarg, char *err, size_t errlen);

/* Replace "%n" with 'node', "%j" with 'job', "%s" with 'step' in 'pattern'
 * ("%%" is a "%"). Returns 0, or -1 if the result does not fit. */
int spank_config_expand(const char *pattern, const char *node, const char *job,
			const char *step, char *out, size_t outlen);

/*
 * The file a summary's JSON goes to, from json=PATTERN: %j is the job id,
 * %s the step id ("job" for the job-level summary). A step that inherited
 * the option from its job (sbatch/salloc --efa-monitor=json=...) and whose
 * pattern has no %s writes PATTERN with ".STEP" before the extension
 * ("net.json" -> "net.0.json"), so that steps do not overwrite each other
 * or the job's file. Returns 0, or -1 if the result does not fit.
 */
int user_opts_json_path(const struct user_opts *o, const char *job, const char *step,
			bool per_step, char *out, size_t outlen);

#endif

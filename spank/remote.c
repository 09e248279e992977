/*
 * remote.c - slurmstepd: one node's part in a monitored step.
 *
 * user_init (once per node per step, before the tasks start): snapshot
 * every counter and start the reporter as the job user. The last local
 * task_exit: stop and reap the reporter, snapshot again, and send the
 * node's signed report to srun and, inside a batch job, to the batch step.
 * exit: the same as a fallback, so no reporter outlives its step whatever
 * the proctrack plugin does.
 *
 * The batch step (on the job's first node) also listens for every step's
 * node reports; when the batch script ends it prints the job-level
 * summary into the job's output.
 */
#include "config.h"

#include <errno.h>
#include <slurm/spank.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "efam.h"
#include "fabric.h"
#include "hostlist.h"
#include "log.h"
#include "report.h"
#include "spawn.h"

/* Slurm's special step ids (slurm.h, stable across releases). */
#define STEP_BATCH 0xfffffffbu
#define STEP_EXTERN 0xfffffffcu

static struct {
	bool active;             /* user_init ran for a monitored step */
	bool finalized;
	bool batch;
	char job_id[32];
	char step_id[32];
	char node[REPORT_NAME_MAX];
	uint32_t local_tasks;
	uint32_t exited;
	uid_t uid;
	gid_t gid;
	gid_t *gids;             /* Slurm's: valid for the step */
	int ngids;
	bool user_known;         /* uid and gid came from Slurm: else run nothing */
	char sysfs[4096];
	struct fabric *fabric;
	struct snapshot *start;
	enum node_status status;
	char status_msg[REPORT_MSG_MAX];
	struct reporter_proc reporter;
	bool reporter_started;
	char stream_msg[REPORT_MSG_MAX];
	char channel[512];
	char key[CHANNEL_KEY_HEX];
	char job_channel[512];
	char job_key[CHANNEL_KEY_HEX];
	struct channel_listener *job_listener; /* batch step only */
	char submit_dir[4096];
	char step_nodes[REPORT_NODELIST_MAX];
} _r = {.reporter = REPORTER_PROC_INIT};

/* Format a message into a fixed field, cut short if it must be: these
 * fields are for people, and a long path should not lose the reason. */
__attribute__((format(printf, 3, 4))) static void _say(char *dst, size_t len,
							const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, len, fmt, ap);
	va_end(ap);
}

static double _now_ms_f(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double _cpu_ms_f(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void _getenv(spank_t sp, const char *name, char *buf, size_t len)
{
	if (spank_getenv(sp, name, buf, (int)len) != ESPANK_SUCCESS)
		buf[0] = '\0';
}

/*
 * The Slurm node name. Not from the job's environment: inside a batch job
 * it carries the batch node's SLURMD_NODENAME into every step. slurmstepd's
 * own environment has it (from slurmd); else the step's node list at this
 * node's index; the host name only as a last resort (all slurmd of a test
 * cluster share one).
 */
static void _node_name(spank_t sp, char *buf, size_t len)
{
	const char *env = getenv("SLURMD_NODENAME");
	char list[8192];
	uint32_t nodeid = 0;
	char **names = NULL;
	size_t n = 0;

	if (env && *env) {
		_say(buf, len, "%s", env);
		return;
	}
	if (spank_get_item(sp, S_JOB_NODEID, &nodeid) == ESPANK_SUCCESS) {
		_getenv(sp, "SLURM_STEP_NODELIST", list, sizeof(list));
		if (!list[0])
			_getenv(sp, "SLURM_JOB_NODELIST", list, sizeof(list));
		if (list[0] && hostlist_expand(list, &names, &n) == 0 && nodeid < n) {
			_say(buf, len, "%s", names[nodeid]);
			hostlist_free(names, n);
			return;
		}
		hostlist_free(names, n);
	}
	if (gethostname(buf, len) < 0)
		_say(buf, len, "unknown");
	buf[len - 1] = '\0';
}

/*
 * Who the job runs as. Anything run for the job (the reporter, the JSON
 * writer) runs as this user; if Slurm cannot say who that is, nothing
 * runs: never fall back to root.
 */
static void _job_user(spank_t sp)
{
	_r.user_known = false;
	if (spank_get_item(sp, S_JOB_UID, &_r.uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &_r.gid) != ESPANK_SUCCESS) {
		slurm_error(EFAM_PREFIX "node %s: cannot read the job's uid and gid from Slurm: "
				       "no reporter and no JSON for this step",
			    _r.node);
		return;
	}
	if (spank_get_item(sp, S_JOB_SUPPLEMENTARY_GIDS, &_r.gids, &_r.ngids) != ESPANK_SUCCESS ||
	    _r.ngids < 0) {
		_r.gids = NULL;
		_r.ngids = 0;
	}
	_r.user_known = true;
}

/* ------------------------------------------------------------ reporter -- */

static void _start_reporter(void)
{
	char interval[32], flush[32], config[4096], log_path[4096], err[512];
	const char *argv[32];
	size_t n = 0;

	snprintf(interval, sizeof(interval), "%g",
		 efam.opts.interval > 0 ? efam.opts.interval : efam.cfg.interval);
	argv[n++] = efam.cfg.reporter;
	argv[n++] = "run";
	/* %n in the path: one config per node (its InstanceId, say). */
	if (efam.cfg.reporter_config &&
	    spank_config_expand(efam.cfg.reporter_config, _r.node, _r.job_id, _r.step_id, config,
				sizeof(config)) == 0) {
		argv[n++] = "--config";
		argv[n++] = config;
	}
	argv[n++] = "--sysfs-root";
	argv[n++] = _r.sysfs;
	argv[n++] = "--interval";
	argv[n++] = interval;
	argv[n++] = "--job-id";
	argv[n++] = _r.job_id;
	argv[n++] = "--step-id";
	argv[n++] = _r.step_id;
	argv[n++] = "--node-name";
	argv[n++] = _r.node;
	/* What a sink still holds at the end (CloudWatch's last batch) must be
	 * out before the plugin stops waiting for the reporter. */
	double stop = efam.cfg.stop_timeout;
	snprintf(flush, sizeof(flush), "%g", stop > 2 ? stop - 1 : stop / 2);
	argv[n++] = "--cw-flush-timeout";
	argv[n++] = flush;
	argv[n++] = "--sinks";
	argv[n++] = efam.cfg.sinks;
	argv[n++] = "--metrics-only";
	argv[n++] = "--report-fd";
	argv[n++] = "3";
	argv[n] = NULL;

	/* The reporter gets a minimal environment: nothing of the job's. */
	static char path_env[] = "PATH=/usr/local/bin:/usr/bin:/bin";
	char *envp[] = {path_env, NULL};

	const char *log = NULL;
	if (efam.cfg.log_dir) {
		char dir[4096];
		if (spank_config_expand(efam.cfg.log_dir, _r.node, _r.job_id, _r.step_id, dir,
					sizeof(dir)) == 0 &&
		    snprintf(log_path, sizeof(log_path), "%s/efa-monitor-%s.%s.%s.log", dir,
			     _r.job_id, _r.step_id, _r.node) < (int)sizeof(log_path))
			log = log_path;
	}
	struct spawn_user user = {.uid = _r.uid, .gid = _r.gid, .gids = _r.gids, .ngids = _r.ngids};
	if (reporter_start(&_r.reporter, (char *const *)argv, envp, &user, log, err,
			   sizeof(err)) < 0) {
		_say(_r.stream_msg, sizeof(_r.stream_msg), "the reporter could not start: %s",
			 err);
		slurm_error(EFAM_PREFIX "node %s: %s", _r.node, _r.stream_msg);
		return;
	}
	_r.reporter_started = true;
}

/* Stop the reporter; fill the report's peaks or say why there are none. */
static void _stop_reporter(struct node_report *r)
{
	char status[512], err[256];
	char *text = NULL;

	if (!_r.reporter_started) {
		r->stream_interrupted = true;
		snprintf(r->stream_msg, sizeof(r->stream_msg), "%s",
			 _r.stream_msg[0] ? _r.stream_msg : "no reporter ran");
		return;
	}
	int clean = reporter_stop(&_r.reporter, (int)(efam.cfg.stop_timeout * 1000), &text,
				  status, sizeof(status));
	_r.reporter_started = false;
	struct node_report *peaks = clean ? node_report_from_json(text, strlen(text), err,
								 sizeof(err)) : NULL;
	if (peaks) {
		r->samples = peaks->samples;
		memcpy(r->peak_rate, peaks->peak_rate, sizeof(r->peak_rate));
		for (size_t i = 0; i < r->nifaces; i++)
			for (size_t j = 0; j < peaks->nifaces; j++)
				if (strcmp(r->ifaces[i].name, peaks->ifaces[j].name) == 0)
					memcpy(r->ifaces[i].peak_rate, peaks->ifaces[j].peak_rate,
					       sizeof(r->ifaces[i].peak_rate));
		node_report_destroy(peaks);
	} else {
		r->stream_interrupted = true;
		if (clean)
			_say(r->stream_msg, sizeof(r->stream_msg),
				 "the reporter's final report was unreadable: %s", err);
		else
			_say(r->stream_msg, sizeof(r->stream_msg), "the reporter %s", status);
	}
	free(text);
}

/* ------------------------------------------------------------ user_init -- */

static void _open_job_channel(spank_t sp)
{
	uint16_t port = 0;
	char addr[300];

	_r.job_listener = channel_listen(NULL, &port);
	if (!_r.job_listener || channel_key_generate(_r.job_key) < 0) {
		slurm_error(EFAM_PREFIX "cannot open the job channel (%s): no job-level summary",
			    strerror(errno));
		channel_listener_close(_r.job_listener);
		_r.job_listener = NULL;
		return;
	}
	if (efam_channel_address(port, addr, sizeof(addr)) < 0) {
		slurm_error(EFAM_PREFIX "cannot find a numeric address for this node (set "
				       "channel_host in plugstack.conf): no job-level summary");
		channel_listener_close(_r.job_listener);
		_r.job_listener = NULL;
		return;
	}
	if (spank_setenv(sp, EFAM_ENV_JOB_CHANNEL, addr, 1) != ESPANK_SUCCESS ||
	    spank_setenv(sp, EFAM_ENV_JOB_KEY, _r.job_key, 1) != ESPANK_SUCCESS) {
		slurm_error(EFAM_PREFIX "cannot pass the job channel to the batch script: "
				       "no job-level summary");
		channel_listener_close(_r.job_listener);
		_r.job_listener = NULL;
	}
}

int efam_remote_user_init(spank_t sp)
{
	uint32_t job = 0, step = 0, tasks = 0;

	if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS)
		return 0;
	if (step == STEP_EXTERN)
		return 0; /* no tasks, no task_exit: nothing to close with */
	memset(&_r, 0, sizeof(_r));
	_r.reporter = (struct reporter_proc)REPORTER_PROC_INIT;
	_r.active = true;
	_r.batch = step == STEP_BATCH;
	snprintf(_r.job_id, sizeof(_r.job_id), "%u", job);
	if (_r.batch)
		snprintf(_r.step_id, sizeof(_r.step_id), "batch");
	else
		snprintf(_r.step_id, sizeof(_r.step_id), "%u", step);
	spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &tasks);
	_r.local_tasks = tasks ? tasks : 1;
	_node_name(sp, _r.node, sizeof(_r.node));
	_job_user(sp);
	_getenv(sp, _r.batch ? "SLURM_JOB_NODELIST" : "SLURM_STEP_NODELIST", _r.step_nodes,
		sizeof(_r.step_nodes));
	_getenv(sp, EFAM_ENV_CHANNEL, _r.channel, sizeof(_r.channel));
	_getenv(sp, EFAM_ENV_KEY, _r.key, sizeof(_r.key));
	_getenv(sp, EFAM_ENV_JOB_CHANNEL, _r.job_channel, sizeof(_r.job_channel));
	_getenv(sp, EFAM_ENV_JOB_KEY, _r.job_key, sizeof(_r.job_key));
	_getenv(sp, "SLURM_SUBMIT_DIR", _r.submit_dir, sizeof(_r.submit_dir));
	if (_r.batch)
		_open_job_channel(sp);

	if (spank_config_expand(efam.cfg.sysfs, _r.node, _r.job_id, _r.step_id, _r.sysfs,
				sizeof(_r.sysfs)) < 0) {
		_r.status = NODE_UNREADABLE;
		snprintf(_r.status_msg, sizeof(_r.status_msg), "sysfs path too long");
		return 0;
	}
	double t0 = _now_ms_f(), c0 = _cpu_ms_f();
	/* Two snapshots of the metric counters are all a node report needs. */
	_r.fabric = fabric_create_flags(_r.sysfs, FABRIC_OPEN_PER_READ | FABRIC_METRICS_ONLY);
	double tc = _now_ms_f();
	_r.start = snapshot_create();
	if (!_r.fabric) {
		_r.status = NODE_UNREADABLE;
		_say(_r.status_msg, sizeof(_r.status_msg), "cannot read %s: %s", _r.sysfs,
			 strerror(errno));
		slurm_error(EFAM_PREFIX "node %s: %s", _r.node, _r.status_msg);
		return 0;
	}
	if (!_r.start || fabric_sample(_r.fabric, _r.start) < 0) {
		_r.status = NODE_UNREADABLE;
		_say(_r.status_msg, sizeof(_r.status_msg), "cannot sample %s: %s", _r.sysfs,
			 strerror(errno));
		return 0;
	}
	if (_r.start->layout->ndevices == 0) {
		_r.status = NODE_NO_DEVICES;
		_say(_r.status_msg, sizeof(_r.status_msg), "nothing under %s/class/infiniband",
			 _r.sysfs);
		return 0;
	}
	double t1 = _now_ms_f();
	if (_r.user_known)
		_start_reporter();
	else
		_say(_r.stream_msg, sizeof(_r.stream_msg),
		     "no reporter: the job's uid and gid could not be read from Slurm");
	slurm_debug(EFAM_PREFIX "node %s: scan %.2f ms, start snapshot %.2f ms (%zu counters; %.2f ms CPU), "
			       "reporter spawn %.2f ms",
		    _r.node, tc - t0, t1 - tc, _r.start->layout->ncounters, _cpu_ms_f() - c0,
		    _now_ms_f() - t1);
	return 0;
}

/* ------------------------------------------------------------- finalize -- */

static struct node_report *_node_report(void)
{
	struct node_report *r = node_report_create();
	struct snapshot *end = NULL;

	if (!r)
		return NULL;
	snprintf(r->node, sizeof(r->node), "%s", _r.node);
	snprintf(r->job_id, sizeof(r->job_id), "%s", _r.job_id);
	snprintf(r->step_id, sizeof(r->step_id), "%s", _r.step_id);
	snprintf(r->step_nodes, sizeof(r->step_nodes), "%s", _r.step_nodes);
	r->status = _r.status;
	snprintf(r->status_msg, sizeof(r->status_msg), "%s", _r.status_msg);
	if (_r.status == NODE_OK) {
		double t0 = _now_ms_f();
		/* The reporter winds down (its last sample, its sinks' flush)
		 * while the end snapshot is taken, not after it. */
		if (_r.reporter_started)
			reporter_request_stop(&_r.reporter);
		end = snapshot_create();
		if (!end || fabric_sample(_r.fabric, end) < 0 ||
		    node_report_from_snapshots(r, _r.start, end) < 0) {
			r->status = NODE_UNREADABLE;
			snprintf(r->status_msg, sizeof(r->status_msg),
				 "cannot take the final snapshot: %s", strerror(errno));
		}
		r->start_ns = _r.start->real_ns;
		r->end_ns = end ? end->real_ns : r->start_ns;
		double t1 = _now_ms_f();
		_stop_reporter(r);
		slurm_debug(EFAM_PREFIX "node %s: end snapshot %.2f ms, reporter stop %.2f ms", _r.node,
			    t1 - t0, _now_ms_f() - t1);
	}
	snapshot_destroy(end);
	return r;
}

static void _send(const char *channel, const char *key, const struct node_report *r,
		  const char *what)
{
	char err[512];
	if (!channel[0])
		return;
	if (!efam_channel_is_numeric(channel)) {
		slurm_error(EFAM_PREFIX "node %s: not sending the report to %s: '%s' is not a numeric "
				       "address (slurmstepd resolves no names)",
			    _r.node, what, channel);
		return;
	}
	if (channel_send(channel, key, r, (int)(efam.cfg.send_timeout * 1000), err, sizeof(err)) < 0)
		slurm_error(EFAM_PREFIX "node %s: cannot send the report to %s: %s", _r.node, what, err);
}

static bool _job_deliver(struct node_report *r, void *arg)
{
	struct step_summary *s = arg;
	size_t before = step_summary_report_count(s);

	if (step_summary_add(s, r) < 0) {
		node_report_destroy(r);
		return false;
	}
	return step_summary_report_count(s) > before;
}

static void _job_reject(const char *why, void *arg)
{
	(void)arg;
	slurm_error(EFAM_PREFIX "rejected a node report %s", why);
}

/* Write the job-level JSON as the job user, in a child bounded in time:
 * root never writes where a user points, and a FIFO cannot hold the step. */
static void _write_job_json(const struct step_summary *s)
{
	char path[4096], full[8192], err[512];
	char *text, *line = NULL;

	if (!_r.user_known) {
		slurm_spank_log(EFAM_PREFIX "no JSON written: the job's user is unknown");
		return;
	}
	if (user_opts_json_path(&efam.opts, _r.job_id, "job", false, path, sizeof(path)) < 0) {
		slurm_spank_log(EFAM_PREFIX "no JSON written: the json= path is too long");
		return;
	}
	if (path[0] != '/' && _r.submit_dir[0])
		snprintf(full, sizeof(full), "%s/%s", _r.submit_dir, path);
	else
		snprintf(full, sizeof(full), "%s", path);
	text = step_summary_to_json(s);
	if (!text || asprintf(&line, "%s\n", text) < 0) {
		slurm_spank_log(EFAM_PREFIX "cannot write the job summary to %s: out of memory", full);
		free(text);
		return;
	}
	struct spawn_user user = {.uid = _r.uid, .gid = _r.gid, .gids = _r.gids, .ngids = _r.ngids};
	if (spawn_write_file(&user, full, line, (int)(efam.cfg.send_timeout * 1000), err,
			     sizeof(err)) < 0)
		slurm_spank_log(EFAM_PREFIX "cannot write the job summary to %s: %s", full, err);
	free(line);
	free(text);
}

/* Print each line through slurm_spank_log: it reaches the job's output. */
static void _print_to_job(const struct step_summary *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	step_summary_print(s, f, EFAM_PREFIX);
	fclose(f);
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		slurm_spank_log("%s", line);
	free(buf);
}

static void _job_summary(struct node_report *own)
{
	struct step_summary *s = step_summary_create(_r.job_id, NULL, true);
	if (!s) {
		node_report_destroy(own);
		return;
	}
	if (step_summary_add(s, own) < 0)
		node_report_destroy(own);
	/* The inner steps have ended (the batch script waited for them), so
	 * their reports are queued: drain until quiet, bounded. */
	uint64_t deadline = channel_now_ms() + (uint64_t)(efam.cfg.collect_timeout * 1000);
	for (;;) {
		uint64_t quiet = channel_now_ms() + 300;
		if (quiet > deadline)
			quiet = deadline;
		size_t got = channel_collect(_r.job_listener, _r.job_key, _r.job_id, NULL, SIZE_MAX,
					     quiet, _job_deliver, _job_reject, s);
		if (got == 0 || channel_now_ms() >= deadline)
			break;
	}
	_print_to_job(s);
	if (efam.opts.json[0])
		_write_job_json(s);
	step_summary_destroy(s);
}

static void _finalize(void)
{
	struct node_report *r;

	if (!_r.active || _r.finalized)
		return;
	_r.finalized = true;
	r = _node_report();
	if (!r) {
		slurm_error(EFAM_PREFIX "node %s: out of memory; no report", _r.node);
		return;
	}
	double t0 = _now_ms_f();
	_send(_r.channel, _r.key, r, "srun");
	slurm_debug(EFAM_PREFIX "node %s: report sent in %.2f ms", _r.node, _now_ms_f() - t0);
	if (!_r.batch)
		_send(_r.job_channel, _r.job_key, r, "the batch step");
	if (_r.batch && _r.job_listener)
		_job_summary(r); /* takes r */
	else
		node_report_destroy(r);
}

int efam_remote_task_exit(spank_t sp)
{
	(void)sp;
	if (!_r.active || _r.finalized)
		return 0;
	/* Send from the last local task's exit: srun may be gone by the time
	 * the remote exit callback runs. */
	if (++_r.exited >= _r.local_tasks)
		_finalize();
	return 0;
}

int efam_remote_exit(spank_t sp)
{
	(void)sp;
	if (!_r.active)
		return 0;
	_finalize();
	if (_r.reporter_started) {
		char *text = NULL, status[256];
		reporter_stop(&_r.reporter, (int)(efam.cfg.stop_timeout * 1000), &text, status,
			      sizeof(status));
		free(text);
		_r.reporter_started = false;
	}
	channel_listener_close(_r.job_listener);
	snapshot_destroy(_r.start);
	fabric_destroy(_r.fabric);
	explicit_bzero(_r.key, sizeof(_r.key));
	explicit_bzero(_r.job_key, sizeof(_r.job_key));
	_r.active = false;
	return 0;
}

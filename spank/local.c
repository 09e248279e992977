/*
 * local.c - srun: open the channel before the step launches, and print the
 * step's summary when it ends.
 *
 * local_user_init listens on an ephemeral TCP port and puts its address
 * and a fresh key into the step's environment; the nodes send their
 * signed reports from their last task_exit, which slurmstepd runs before
 * it tells srun the tasks are done. So by srun's exit the reports are
 * normally queued in the listen backlog already; srun drains them, waiting
 * at most collect_timeout for late nodes, and names the ones that never
 * reported.
 *
 * Which nodes to expect: srun knows how many (S_JOB_NNODES) but, inside
 * an allocation, not which (its SLURM_NODELIST is the job's). Every
 * node's report carries the step's node list as that node saw it, so one
 * report is enough to name the others; with none, srun's own list is used
 * when its size matches, else the summary gives the count alone.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <slurm/spank.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "efam.h"
#include "hostlist.h"
#include "log.h"
#include "report.h"
#include "spawn.h"

static struct {
	struct channel_listener *listener;
	char key[CHANNEL_KEY_HEX];
	char job_id[32];
	char step_id[32];
	uint32_t nnodes;
	char *nodelist;          /* srun's SLURM_NODELIST: the step's, or the job's */
	char step_nodes[REPORT_NODELIST_MAX]; /* from the first report that has them */
	bool het;                /* a heterogeneous job: several component jobs */
	struct step_summary *summary;
} _local;

static void _clear(void)
{
	channel_listener_close(_local.listener);
	step_summary_destroy(_local.summary);
	free(_local.nodelist);
	memset(&_local, 0, sizeof(_local));
}

/* A number from srun's environment, 0 if absent or malformed. */
static unsigned long _env_ulong(const char *name)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	return errno || *end ? 0 : n;
}

/*
 * srun A : B (a heterogeneous job) runs one step in each component job,
 * and local_user_init sees only one of them (whichever launch thread
 * came first): its job id and node count. The nodes of every component
 * share this srun's channel and key, so take reports of any job id (the
 * key still proves them ours), expect the nodes of all components, and
 * name the summary after the job's first component.
 */
static void _heterogeneous(void)
{
	unsigned long total = _env_ulong("SLURM_NNODES");
	const char *lead = getenv("SLURM_JOB_ID_HET_GROUP_0");

	if (_env_ulong("SLURM_HET_SIZE") < 2)
		return;
	_local.het = true;
	if (!lead)
		lead = getenv("SLURM_JOB_ID_PACK_GROUP_0");
	if (lead && *lead && strspn(lead, "0123456789") == strlen(lead) &&
	    strlen(lead) < sizeof(_local.job_id))
		snprintf(_local.job_id, sizeof(_local.job_id), "%s", lead);
	if (total > _local.nnodes && total <= UINT32_MAX)
		_local.nnodes = (uint32_t)total;
}

/*
 * Open the channel as soon as the options are known, before srun builds
 * the environment of each step component: srun A : B copies its own
 * environment into every component then, but local_user_init runs for
 * one of them only, after that copy.
 */
int efam_local_init_post_opt(spank_t sp)
{
	uint16_t port = 0;
	char addr[300];

	(void)sp;
	_local.listener = channel_listen(NULL, &port);
	if (!_local.listener) {
		slurm_error(EFAM_PREFIX "cannot listen for node reports: %s; no summary for this step",
			    strerror(errno));
		_clear();
		return 0;
	}
	if (channel_key_generate(_local.key) < 0) {
		slurm_error(EFAM_PREFIX "cannot make a key: %s; no summary for this step",
			    strerror(errno));
		_clear();
		return 0;
	}
	if (efam_channel_address(port, addr, sizeof(addr)) < 0) {
		slurm_error(EFAM_PREFIX "cannot find a numeric address for this host (set "
				       "channel_host in plugstack.conf); no summary for this step");
		_clear();
		return 0;
	}
	/* spank_setenv() is refused in srun; srun passes its own environment
	 * to the step, so a plain setenv() reaches the nodes. */
	if (setenv(EFAM_ENV_CHANNEL, addr, 1) < 0 || setenv(EFAM_ENV_KEY, _local.key, 1) < 0) {
		slurm_error(EFAM_PREFIX "cannot pass the report channel to the step; no summary");
		_clear();
	}
	return 0;
}

int efam_local_user_init(spank_t sp)
{
	uint32_t job = 0, step = 0, nnodes = 0;

	if (!_local.listener)
		return 0;
	if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS) {
		slurm_error(EFAM_PREFIX "cannot get the job and step ids; this step is not monitored");
		_clear();
		return 0;
	}
	spank_get_item(sp, S_JOB_NNODES, &nnodes);
	snprintf(_local.job_id, sizeof(_local.job_id), "%u", job);
	snprintf(_local.step_id, sizeof(_local.step_id), "%u", step);
	_local.nnodes = nnodes;
	_heterogeneous();
	/* spank_getenv() is refused in srun: read srun's own environment. */
	const char *nodes = getenv("SLURM_NODELIST");
	if (nodes && *nodes && !_local.het) /* a het job's is one component's */
		_local.nodelist = strdup(nodes);
	_local.summary = step_summary_create(_local.job_id, _local.step_id, false);
	if (!_local.summary) {
		slurm_error(EFAM_PREFIX "out of memory; no summary for this step");
		_clear();
	}
	return 0;
}

/* Only a node not heard from before counts toward the step's nodes: a
 * forged report for a node (the job's own key signs it) must not end the
 * collection before that node's genuine report is in. */
static bool _deliver(struct node_report *r, void *arg)
{
	size_t before = step_summary_report_count(_local.summary);

	(void)arg;
	if (!_local.step_nodes[0] && r->step_nodes[0])
		snprintf(_local.step_nodes, sizeof(_local.step_nodes), "%s", r->step_nodes);
	if (step_summary_add(_local.summary, r) < 0) {
		slurm_error(EFAM_PREFIX "cannot add the report of node %s: %s", r->node,
			    strerror(errno));
		node_report_destroy(r);
		return false;
	}
	return step_summary_report_count(_local.summary) > before;
}

static void _reject(const char *why, void *arg)
{
	(void)arg;
	slurm_error(EFAM_PREFIX "rejected a node report %s", why);
}

/* Expect the nodes of 'list' if it names exactly the step's node count.
 * Returns true if it did. */
static bool _expect_list(const char *list)
{
	char **names = NULL;
	size_t n = 0;
	bool used = false;

	if (!list || !*list || hostlist_expand(list, &names, &n) < 0)
		return false;
	if (!_local.nnodes || n == _local.nnodes) {
		for (size_t i = 0; i < n; i++)
			step_summary_expect(_local.summary, names[i]);
		used = true;
	}
	hostlist_free(names, n);
	return used;
}

static void _expect_nodes(void)
{
	char why[64];

	snprintf(why, sizeof(why), "no report within %g s", efam.cfg.collect_timeout);
	step_summary_set_missing_reason(_local.summary, why);
	step_summary_expect_count(_local.summary, _local.nnodes);
	if (!_expect_list(_local.step_nodes))
		_expect_list(_local.nodelist);
}

static void _write_json(void)
{
	char path[8192], err[512];
	char *text = step_summary_to_json(_local.summary);
	char *line = NULL;

	if (user_opts_json_path(&efam.opts, _local.job_id, _local.step_id, efam.opts.from_env,
				path, sizeof(path)) < 0) {
		slurm_error(EFAM_PREFIX "cannot write the summary: the json= path is too long");
		free(text);
		return;
	}
	if (!text || asprintf(&line, "%s\n", text) < 0) {
		slurm_error(EFAM_PREFIX "cannot write %s: out of memory", path);
		free(text);
		return;
	}
	/* srun runs as the job user: the file is the user's own. The write
	 * happens in a child bounded in time, so a FIFO or a hung file system
	 * cannot hold srun. */
	if (spawn_write_file(NULL, path, line, (int)(efam.cfg.send_timeout * 1000), err,
			     sizeof(err)) < 0)
		slurm_error(EFAM_PREFIX "cannot write the summary to %s: %s", path, err);
	free(line);
	free(text);
}

int efam_local_exit(spank_t sp)
{
	(void)sp;
	if (!_local.listener || !_local.summary)
		return 0;
	size_t expected = _local.nnodes ? _local.nnodes : 1;
	uint64_t deadline = channel_now_ms() + (uint64_t)(efam.cfg.collect_timeout * 1000);
	channel_collect(_local.listener, _local.key, _local.het ? NULL : _local.job_id,
			_local.step_id, expected,
			deadline, _deliver, _reject, NULL);
	_expect_nodes();
	step_summary_print(_local.summary, stderr, EFAM_PREFIX);
	fflush(stderr);
	if (efam.opts.json[0])
		_write_json();
	_clear();
	return 0;
}

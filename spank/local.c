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
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

static struct {
	struct channel_listener *listener;
	char key[CHANNEL_KEY_HEX];
	char job_id[32];
	char step_id[32];
	uint32_t nnodes;
	char *nodelist;          /* the step's nodes, if srun knows them */
	struct step_summary *summary;
	unsigned rejected;
} _local;

static void _clear(void)
{
	channel_listener_close(_local.listener);
	step_summary_destroy(_local.summary);
	free(_local.nodelist);
	memset(&_local, 0, sizeof(_local));
}

int efam_local_user_init(spank_t sp)
{
	uint32_t job = 0, step = 0, nnodes = 0;
	uint16_t port = 0;
	char addr[300], nodes[8192];

	if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS) {
		slurm_error(EFAM_PREFIX "cannot get the job and step ids; this step is not monitored");
		return 0;
	}
	spank_get_item(sp, S_JOB_NNODES, &nnodes);
	snprintf(_local.job_id, sizeof(_local.job_id), "%u", job);
	snprintf(_local.step_id, sizeof(_local.step_id), "%u", step);
	_local.nnodes = nnodes;

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
	efam_channel_address(port, addr, sizeof(addr));
	/* spank_setenv() is refused in srun; srun passes its own environment
	 * to the step, so a plain setenv() reaches the nodes. */
	if (setenv(EFAM_ENV_CHANNEL, addr, 1) < 0 || setenv(EFAM_ENV_KEY, _local.key, 1) < 0) {
		slurm_error(EFAM_PREFIX "cannot pass the report channel to the step; no summary");
		_clear();
		return 0;
	}
	if (spank_getenv(sp, "SLURM_STEP_NODELIST", nodes, sizeof(nodes)) == ESPANK_SUCCESS ||
	    spank_getenv(sp, "SLURM_JOB_NODELIST", nodes, sizeof(nodes)) == ESPANK_SUCCESS)
		_local.nodelist = strdup(nodes);
	_local.summary = step_summary_create(_local.job_id, _local.step_id, false);
	if (!_local.summary) {
		slurm_error(EFAM_PREFIX "out of memory; no summary for this step");
		_clear();
	}
	return 0;
}

static void _deliver(struct node_report *r, void *arg)
{
	(void)arg;
	if (step_summary_add(_local.summary, r) < 0) {
		slurm_info(EFAM_PREFIX "ignored a second report from node %s", r->node);
		node_report_destroy(r);
	}
}

static void _reject(const char *why, void *arg)
{
	(void)arg;
	_local.rejected++;
	slurm_error(EFAM_PREFIX "rejected a node report %s", why);
}

static void _expect_nodes(void)
{
	char **names = NULL;
	size_t n = 0;

	if (!_local.nodelist || hostlist_expand(_local.nodelist, &names, &n) < 0)
		return;
	/* The step may use fewer nodes than the job: only expect them all
	 * when the counts agree. */
	if (!_local.nnodes || n == _local.nnodes)
		for (size_t i = 0; i < n; i++)
			step_summary_expect(_local.summary, names[i]);
	hostlist_free(names, n);
}

static void _write_json(void)
{
	char *text = step_summary_to_json(_local.summary);
	int fd;

	if (!text) {
		slurm_error(EFAM_PREFIX "cannot write %s: out of memory", efam.opts.json);
		return;
	}
	/* srun runs as the job user: the file is the user's own. */
	fd = open(efam.opts.json, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    write(fd, "\n", 1) != 1)
		slurm_error(EFAM_PREFIX "cannot write the summary to %s: %s", efam.opts.json,
			    strerror(errno));
	if (fd >= 0)
		close(fd);
	free(text);
}

int efam_local_exit(spank_t sp)
{
	(void)sp;
	if (!_local.listener || !_local.summary)
		return 0;
	size_t expected = _local.nnodes ? _local.nnodes : 1;
	uint64_t deadline = channel_now_ms() + (uint64_t)(efam.cfg.collect_timeout * 1000);
	channel_collect(_local.listener, _local.key, _local.job_id, _local.step_id, expected,
			deadline, _deliver, _reject, NULL);
	_expect_nodes();
	step_summary_print(_local.summary, stderr, EFAM_PREFIX);
	fflush(stderr);
	if (efam.opts.json[0])
		_write_json();
	_clear();
	return 0;
}

/*
 * plugin.c - the SPANK entry points of efa-monitor, and nothing else.
 *
 * Each callback finds out which process it is in (spank_context()) and
 * hands over to that context's file: local.c for srun, remote.c for
 * slurmstepd. sbatch and salloc (allocator context) only register and
 * check the option. Every callback returns 0 after a runtime fault, having
 * said what went wrong: monitoring never fails a job. The only non-zero
 * return is the option callback refusing a malformed --efa-monitor in
 * srun/sbatch/salloc, before the job exists.
 */
#include "config.h"

#include <slurm/spank.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "efam.h"
#include "log.h"

SPANK_PLUGIN(efa_monitor, 1);

struct efam_state efam;

bool efam_enabled(void)
{
	if (efam.disabled)
		return false;
	return efam.opts.given ? !efam.opts.off : efam.cfg.default_on;
}

void efam_channel_address(uint16_t port, char *buf, size_t len)
{
	char host[256];

	if (efam.cfg.channel_host)
		snprintf(host, sizeof(host), "%s", efam.cfg.channel_host);
	else if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, len, "%s:%u", host, port);
}

/* lib/ messages go through Slurm: errors reach the user (srun's stderr,
 * or the task's stderr in slurmstepd), the rest the Slurm logs. */
static void _slurm_log(enum log_level level, const char *msg, void *arg)
{
	(void)arg;
	switch (level) {
	case LOG_LEVEL_ERROR:
		slurm_error(EFAM_PREFIX "%s", msg);
		break;
	case LOG_LEVEL_WARN:
	case LOG_LEVEL_INFO:
		slurm_info(EFAM_PREFIX "%s", msg);
		break;
	default:
		slurm_debug(EFAM_PREFIX "%s", msg);
	}
}

static int _option_cb(int val, const char *optarg, int remote)
{
	char err[512];
	(void)val;
	if (user_opts_parse(&efam.opts, efam_compat_optarg(optarg), err, sizeof(err)) < 0) {
		slurm_error(EFAM_PREFIX "%s", err);
		/* Refuse the job where the user can fix it; never fail a step. */
		return remote ? 0 : -1;
	}
	return 0;
}

static struct spank_option _option = {
	.name = "efa-monitor",
	.arginfo = "[OPTS]",
	.usage = "Monitor this job's EFA/InfiniBand traffic on every node and print a "
		 "summary at the end. OPTS (comma list): interval=SECONDS, json=PATH (also "
		 "write the summary as JSON), off (opt out of site-wide monitoring).",
	.has_arg = 2,
	.val = 0,
	.cb = _option_cb,
};

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	char err[512];
	spank_context_t ctx = spank_context();

	log_set_handler(_slurm_log, NULL);
	if (spank_config_init(&efam.cfg) < 0) {
		slurm_error(EFAM_PREFIX "out of memory; monitoring disabled");
		efam.disabled = true;
		return 0;
	}
	if (spank_config_parse(&efam.cfg, ac, av, err, sizeof(err)) < 0) {
		/* Said once where the administrator looks; jobs run unmonitored. */
		if (ctx == S_CTX_REMOTE || ctx == S_CTX_SLURMD)
			slurm_error(EFAM_PREFIX "%s; monitoring disabled", err);
		else
			slurm_info(EFAM_PREFIX "%s; monitoring disabled", err);
		efam.disabled = true;
	}
	/* Registered even when disabled, so --efa-monitor stays a valid
	 * option and a job script that uses it still runs. */
	if (ctx != S_CTX_SLURMD && spank_option_register(sp, &_option) != ESPANK_SUCCESS)
		slurm_error(EFAM_PREFIX "cannot register --efa-monitor");
	return 0;
}

int slurm_spank_local_user_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (spank_context() != S_CTX_LOCAL || !efam_enabled())
		return 0;
	efam_local_user_init(sp);
	return 0;
}

/* The node's part of a step starts in init_post_opt or user_init,
 * depending on the Slurm release: see compat.h. */
int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (!EFAM_START_IN_POST_OPT || spank_context() != S_CTX_REMOTE || !efam_enabled())
		return 0;
	efam_remote_user_init(sp);
	return 0;
}

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (EFAM_START_IN_POST_OPT || spank_context() != S_CTX_REMOTE || !efam_enabled())
		return 0;
	efam_remote_user_init(sp);
	return 0;
}

int slurm_spank_task_exit(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (spank_context() != S_CTX_REMOTE || !efam_enabled())
		return 0;
	efam_remote_task_exit(sp);
	return 0;
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	switch (spank_context()) {
	case S_CTX_LOCAL:
		if (efam_enabled())
			efam_local_exit(sp);
		break;
	case S_CTX_REMOTE:
		efam_remote_exit(sp);
		break;
	default:
		break;
	}
	spank_config_free(&efam.cfg);
	log_set_handler(NULL, NULL);
	return 0;
}

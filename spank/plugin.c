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

#include <arpa/inet.h>
#include <netdb.h>
#include <slurm/spank.h>
#include <stdio.h>
#include <stdlib.h>
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

int efam_channel_address(uint16_t port, char *buf, size_t len)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char host[256], numeric[INET_ADDRSTRLEN];
	struct in_addr a;

	if (efam.cfg.channel_host)
		snprintf(host, sizeof(host), "%s", efam.cfg.channel_host);
	else if (gethostname(host, sizeof(host)) < 0)
		return -1;
	host[sizeof(host) - 1] = '\0';
	if (inet_pton(AF_INET, host, &a) == 1) {
		snprintf(buf, len, "%s:%u", host, port);
		return 0;
	}
	/* The listener is IPv4; the nodes get a numeric address, so no
	 * slurmstepd ever resolves a name the job handed it. */
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
		return -1;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)res->ai_addr;
	inet_ntop(AF_INET, &sin->sin_addr, numeric, sizeof(numeric));
	freeaddrinfo(res);
	snprintf(buf, len, "%s:%u", numeric, port);
	return 0;
}

bool efam_channel_is_numeric(const char *address)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = address ? strrchr(address, ':') : NULL;
	struct in_addr a;
	size_t n;

	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return false;
	n = (size_t)(colon - address);
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, address, n);
	host[n] = '\0';
	return inet_pton(AF_INET, host, &a) == 1;
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
	/* Slurm hands an option inherited from the job to srun straight
	 * from getenv() (spank_process_env_options, 22.05 to 26.05), a
	 * command-line one from argv. */
	const char *env = remote ? NULL : getenv(EFAM_ENV_OPTION);
	bool from_env = env && optarg == env;

	(void)val;
	if (user_opts_parse(&efam.opts, optarg, err, sizeof(err)) < 0) {
		slurm_error(EFAM_PREFIX "%s", err);
		/* Refuse the job where the user can fix it; never fail a step. */
		return remote ? 0 : -1;
	}
	efam.opts.from_env = from_env;
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

/*
 * sbatch --export=NONE on Slurm 22.05 drops the variable that hands the
 * option to the batch step (_SLURM_SPANK_OPTION_..., kept from 24.11 on by
 * env_array_merge_slurm_spank), yet keeps the one meant for the job's
 * sruns (SLURM_SPANK__...). Read that one when the option did not arrive.
 */
static void _option_from_job_env(spank_t sp)
{
	char val[4096 + 64], err[512];

	if (efam.opts.given || spank_getenv(sp, EFAM_ENV_OPTION, val, sizeof(val)) != ESPANK_SUCCESS)
		return;
	if (user_opts_parse(&efam.opts, val, err, sizeof(err)) < 0)
		slurm_error(EFAM_PREFIX "%s", err);
	else
		efam.opts.from_env = true;
}

/* The node's part of a step: from init_post_opt or user_init, depending
 * on the Slurm release (see compat.h). */
static void _remote_start(spank_t sp)
{
	_option_from_job_env(sp);
	if (efam_enabled())
		efam_remote_user_init(sp);
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	switch (spank_context()) {
	case S_CTX_LOCAL:
		if (efam_enabled())
			efam_local_init_post_opt(sp);
		break;
	case S_CTX_REMOTE:
		if (EFAM_START_IN_POST_OPT)
			_remote_start(sp);
		break;
	default:
		break;
	}
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

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (!EFAM_START_IN_POST_OPT && spank_context() == S_CTX_REMOTE)
		_remote_start(sp);
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

/*
 * efam.h - what the plugin's per-context files share: the plugstack
 * configuration, the user's options, and one entry point per callback.
 *
 * Internal names start with efam_: the version script exports only
 * slurm_spank_* and plugin_* (and spank_plugin_version, which Slurm's
 * loader requires), so nothing here can clash with slurmstepd's symbols.
 */
#ifndef EFA_MONITOR_EFAM_H
#define EFA_MONITOR_EFAM_H

#include <slurm/spank.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "settings.h"

#define EFAM_PREFIX "efa-monitor: "

/* Environment that carries the channel from srun (and from the batch
 * step) to the nodes of a step. The names start with SLURM because srun
 * and sbatch pass only SLURM* variables with --export=NONE (Slurm's
 * env_array_merge_slurm[_spank], 22.05 to 26.05): the channel must not
 * depend on the user's environment surviving. */
#define EFAM_ENV_CHANNEL "SLURM_EFA_MONITOR_CHANNEL"
#define EFAM_ENV_KEY "SLURM_EFA_MONITOR_KEY"
#define EFAM_ENV_JOB_CHANNEL "SLURM_EFA_MONITOR_JOB_CHANNEL"
#define EFAM_ENV_JOB_KEY "SLURM_EFA_MONITOR_JOB_KEY"

/* How Slurm hands --efa-monitor of sbatch/salloc to the job's sruns. */
#define EFAM_ENV_OPTION "SLURM_SPANK__SLURM_SPANK_OPTION_efa_monitor_efa_monitor"

struct efam_state {
	struct spank_config cfg;
	bool disabled;           /* plugstack.conf was bad: do nothing */
	struct user_opts opts;
};

extern struct efam_state efam;

/* "a.b.c.d:port" that nodes use to reach a listener on 'port' here:
 * channel_host from plugstack.conf, else this host's name, resolved here
 * to a numeric IPv4 address. Returns 0, or -1 if it cannot be resolved. */
int efam_channel_address(uint16_t port, char *buf, size_t len);

/* Is 'address' a numeric "a.b.c.d:port"? slurmstepd sends only there. */
bool efam_channel_is_numeric(const char *address);

/* Is this job (step) monitored? */
bool efam_enabled(void);

/* srun (local context): see local.c. */
int efam_local_init_post_opt(spank_t sp);
int efam_local_user_init(spank_t sp);
int efam_local_exit(spank_t sp);

/* slurmstepd (remote context): see remote.c. */
int efam_remote_user_init(spank_t sp);
int efam_remote_task_exit(spank_t sp);
int efam_remote_exit(spank_t sp);

#endif

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
 * step) to the nodes of a step. */
#define EFAM_ENV_CHANNEL "EFA_MONITOR_CHANNEL"
#define EFAM_ENV_KEY "EFA_MONITOR_KEY"
#define EFAM_ENV_JOB_CHANNEL "EFA_MONITOR_JOB_CHANNEL"
#define EFAM_ENV_JOB_KEY "EFA_MONITOR_JOB_KEY"

struct efam_state {
	struct spank_config cfg;
	bool disabled;           /* plugstack.conf was bad: do nothing */
	struct user_opts opts;
};

extern struct efam_state efam;

/* "host:port" that nodes use to reach a listener on 'port' here:
 * channel_host from plugstack.conf, else this host's name. */
void efam_channel_address(uint16_t port, char *buf, size_t len);

/* Is this job (step) monitored? */
bool efam_enabled(void);

/* srun (local context): see local.c. */
int efam_local_user_init(spank_t sp);
int efam_local_exit(spank_t sp);

/* slurmstepd (remote context): see remote.c. */
int efam_remote_user_init(spank_t sp);
int efam_remote_task_exit(spank_t sp);
int efam_remote_exit(spank_t sp);

#endif

/*
 * compat.h - every difference between the Slurm releases the plugin runs
 * on (22.05 to 26.05), in one place. The plugin is built per Slurm
 * major.minor (Slurm loads no plugin built for another), so these are
 * compile-time choices against that release's headers. tools/check-slurm.sh
 * runs tests/slurm/ on 22.05, 24.11 and 26.05.
 *
 * What is the same on all three (checked there): the SPANK calls the plugin
 * uses, the items it reads, the special step ids (batch 0xfffffffb, extern
 * 0xfffffffc), that spank_getenv/spank_setenv work only in remote context,
 * how --efa-monitor reaches inner steps through the job's environment.
 * What the headers add: spank_prepend_task_argv (23.11) and
 * slurm_spank_init_failure_mode (25.05); the plugin needs neither: its
 * init never fails.
 */
#ifndef EFA_MONITOR_COMPAT_H
#define EFA_MONITOR_COMPAT_H

#include <slurm/spank.h>
#include <stdbool.h>

#ifndef SLURM_VERSION_NUM
#define SLURM_VERSION_NUM(a, b, c) (((a) << 16) + ((b) << 8) + (c))
#endif

/*
 * Where a step's part on a node starts (counters snapshotted, reporter
 * started, the batch step's job channel opened).
 *
 * Slurm 24.05 added SlurmdParameters=contain_spank: slurmstepd then runs
 * user_init, task_post_fork and task_exit each in a short-lived
 * clone(CLONE_VM) child (src/slurmd/slurmstepd/mgr.c, _run_spank_func).
 * Memory is shared with slurmstepd, file descriptors are not: whatever
 * user_init opens (the sysfs directory, the reporter's report pipe and
 * pidfd, the job channel's socket) is gone by task_exit, and the reporter
 * is the child of a process that no longer exists. The remote
 * init_post_opt always runs in slurmstepd itself, after the options are
 * known and before any task or user_init: descriptors opened there are
 * inherited by every later child. So from 24.05 on the node's part starts
 * there, with or without contain_spank; before, where no release clones,
 * in user_init as it always did.
 */
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(24, 5, 0)
#define EFAM_START_IN_POST_OPT 1
#else
#define EFAM_START_IN_POST_OPT 0
#endif

/*
 * Also the same on 22.05, 24.11 and 26.05, handled where it is met: a bare
 * sbatch/salloc --efa-monitor reaches the job's sruns as the literal
 * "(null)" (user_opts_parse, settings.c); only SLURM* variables survive
 * --export=NONE (efam.h), and on 22.05 sbatch --export=NONE loses the
 * batch step's own copy of the option (plugin.c, _option_from_job_env).
 */

#endif

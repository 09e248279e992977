/*
 * spawn.h - the per-node reporter process of a step: started as the job
 * user with nothing of slurmstepd's left (privileges, signal mask and
 * dispositions, file descriptors, oom score), stopped and reaped within a
 * bounded time, and its final report read back over a pipe.
 */
#ifndef EFA_MONITOR_SPAWN_H
#define EFA_MONITOR_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The fd number the reporter writes its final report to. */
#define SPAWN_REPORT_FD 3

struct spawn_user {
	uid_t uid;
	gid_t gid;
	const gid_t *gids;        /* supplementary groups */
	int ngids;
};

struct reporter_proc {
	pid_t pid;                /* 0: not running */
	int pidfd;                /* -1 where pidfd_open is unsupported */
	int report_fd;            /* read end of the report pipe, -1 when closed */
	bool reaped;
	bool stop_requested;      /* reporter_request_stop() sent SIGTERM */
	int wstatus;              /* valid when reaped */
};

#define REPORTER_PROC_INIT {.pid = 0, .pidfd = -1, .report_fd = -1}

/*
 * Start argv[0] (an absolute path) with 'argv' and 'envp' as 'user'.
 * stdin is /dev/null; stdout and stderr go to 'log_path' (opened as the
 * user, appended, never following a symlink) or /dev/null when NULL. The
 * child verifies it cannot regain root before exec. Returns 0, or -1 with
 * a message in 'err'.
 */
int reporter_start(struct reporter_proc *p, char *const argv[], char *const envp[],
		   const struct spawn_user *user, const char *log_path, char *err,
		   size_t errlen);

/*
 * Stop the reporter: SIGTERM, then SIGKILL after 'timeout_ms', reaping it
 * (unless slurmstepd already did). '*report' gets what it wrote on the
 * report pipe (malloc'ed, NUL-terminated; NULL if nothing), 'status' says
 * how it ended ("exited with status 0", "killed by signal 9", "could not
 * start: execve …: No such file or directory"). Returns 1 if it ran to a
 * clean end (wrote a report, exit status 0 or unknown because someone
 * else reaped it), 0 otherwise. Works from a process other than its
 * parent (through its pidfd), as under contain_spank. Never blocks
 * longer than about twice 'timeout_ms'.
 */
int reporter_stop(struct reporter_proc *p, int timeout_ms, char **report, char *status,
		  size_t statuslen);

/*
 * Write 'text' to 'path' in a child process that first becomes 'user' (NULL:
 * stay who we are), so root never writes where a user points. Only a
 * regular file is written: it is opened without blocking and without
 * following a final symbolic link, checked with fstat, then truncated and
 * written. The child is killed and reaped if it has not finished within
 * 'timeout_ms'. Returns 0, or -1 with a message in 'err' that names the
 * cause ("not a regular file (a FIFO)...", "gave up after 5000 ms ...").
 */
int spawn_write_file(const struct spawn_user *user, const char *path, const char *text,
		     int timeout_ms, char *err, size_t errlen);

/*
 * Ask a running reporter to stop (SIGTERM) without waiting, so that its
 * last sample and flush overlap other work; reporter_stop() then waits
 * for it as usual and counts it as stopped by us.
 */
void reporter_request_stop(struct reporter_proc *p);

/* Has the reporter exited on its own already (without being stopped)? */
bool reporter_exited(struct reporter_proc *p);

#endif

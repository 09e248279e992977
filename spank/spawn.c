/*
 * spawn.c - see spawn.h.
 *
 * Between fork() and execve() the child of a multi-threaded slurmstepd may
 * only make async-signal-safe calls: everything is prepared before the
 * fork, privileges are dropped with raw system calls (which affect only
 * the calling thread, the child's only one), and a failure is written to
 * the report pipe as "EFAM-SPAWN-ERROR <stage> <errno>" for the parent to
 * put into words.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"

#define SPAWN_ERROR_TAG "EFAM-SPAWN-ERROR "
#define REPORT_MAX (1 << 20)

enum spawn_stage {
	STAGE_SIGNALS = 1,
	STAGE_STDIO,
	STAGE_OOM,
	STAGE_GROUPS,
	STAGE_GID,
	STAGE_UID,
	STAGE_VERIFY,
	STAGE_FDS,
	STAGE_EXEC,
	STAGE_OPEN,
	STAGE_NOT_REGULAR,
	STAGE_WRITE,
};

static const char *_stage_names[] = {
	[STAGE_SIGNALS] = "resetting signals",
	[STAGE_STDIO] = "opening stdin/stdout",
	[STAGE_OOM] = "resetting oom_score_adj",
	[STAGE_GROUPS] = "setgroups",
	[STAGE_GID] = "setresgid",
	[STAGE_UID] = "setresuid",
	[STAGE_VERIFY] = "verifying dropped privileges",
	[STAGE_FDS] = "closing inherited descriptors",
	[STAGE_EXEC] = "execve",
	[STAGE_OPEN] = "open",
	[STAGE_NOT_REGULAR] = "not a regular file",
	[STAGE_WRITE] = "write",
};

/* ------------------------------------------------ child (async-signal-safe) */

static void _put_uint(int fd, unsigned long v)
{
	char buf[24];
	int i = (int)sizeof(buf);
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	(void)!write(fd, buf + i, sizeof(buf) - (size_t)i);
}

static void _child_fail(int fd, enum spawn_stage stage)
{
	int e = errno;
	(void)!write(fd, SPAWN_ERROR_TAG, sizeof(SPAWN_ERROR_TAG) - 1);
	_put_uint(fd, (unsigned long)stage);
	(void)!write(fd, " ", 1);
	_put_uint(fd, (unsigned long)e);
	(void)!write(fd, "\n", 1);
	_exit(127);
}

/*
 * Become 'u' for good: in user_init slurmstepd runs with real uid 0 and
 * effective uid the user's, so it has no effective capabilities: take
 * root back first (the real uid allows it), then drop everything, in
 * order: groups, gid, uid; and verify root cannot be regained. Returns 0,
 * or the failing stage with errno set. Async-signal-safe.
 */
static enum spawn_stage _drop_privileges(const struct spawn_user *u)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	if (syscall(SYS_getuid) == 0)
		(void)syscall(SYS_setresuid, (uid_t)-1, (uid_t)0, (uid_t)-1);
	if (syscall(SYS_setgroups, (size_t)u->ngids, u->gids) < 0)
		return STAGE_GROUPS;
	if (syscall(SYS_setresgid, u->gid, u->gid, u->gid) < 0)
		return STAGE_GID;
	if (syscall(SYS_setresuid, u->uid, u->uid, u->uid) < 0)
		return STAGE_UID;
	if (syscall(SYS_getresuid, &r, &e, &s) < 0 || r != u->uid || e != u->uid ||
	    s != u->uid || syscall(SYS_getresgid, &rg, &eg, &sg) < 0 || rg != u->gid ||
	    eg != u->gid || sg != u->gid) {
		errno = EPERM;
		return STAGE_VERIFY;
	}
	if (u->uid != 0 && syscall(SYS_setresuid, 0, 0, 0) == 0) {
		errno = EPERM;
		return STAGE_VERIFY;
	}
	return 0;
}

static void _child(int report_fd, char *const argv[], char *const envp[],
		   const struct spawn_user *u, const char *log_path)
{
	sigset_t none;
	struct sigaction dfl;
	int fd;

	/* slurmstepd blocks HUP, INT, TERM … and its handlers are not ours.
	 * The reporter takes exactly TERM, INT and HUP synchronously
	 * (sigtimedwait): it starts with those three blocked, so a step that
	 * ends before the reporter is ready still gets its final report
	 * rather than a reporter killed outright. Nothing else stays blocked. */
	sigemptyset(&none);
	sigaddset(&none, SIGTERM);
	sigaddset(&none, SIGINT);
	sigaddset(&none, SIGHUP);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		_child_fail(report_fd, STAGE_SIGNALS);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);

	/* The report pipe becomes fd 3, above stdio. */
	if (report_fd != SPAWN_REPORT_FD) {
		if (dup2(report_fd, SPAWN_REPORT_FD) < 0)
			_child_fail(report_fd, STAGE_STDIO);
		close(report_fd);
		report_fd = SPAWN_REPORT_FD;
	}
	fcntl(report_fd, F_SETFD, 0);

	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
	    dup2(fd, STDERR_FILENO) < 0)
		_child_fail(report_fd, STAGE_STDIO);
	if (fd > STDERR_FILENO)
		close(fd);

	/* slurmstepd runs at -1000: the reporter must be killable first. */
	fd = open("/proc/self/oom_score_adj", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "0", 1) < 0)
			_child_fail(report_fd, STAGE_OOM);
		close(fd);
	}

	enum spawn_stage failed = _drop_privileges(u);
	if (failed)
		_child_fail(report_fd, failed);

	/* The log is opened as the user: root never writes where a user says. */
	if (log_path) {
		fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NOCTTY, 0600);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
	}

	/* Nothing else of slurmstepd's: close every descriptor above 3. */
#ifdef SYS_close_range
	if (syscall(SYS_close_range, SPAWN_REPORT_FD + 1, ~0U, 0) < 0)
#endif
	{
		for (int i = SPAWN_REPORT_FD + 1; i < 65536; i++)
			close(i);
	}

	execve(argv[0], argv, envp);
	_child_fail(report_fd, STAGE_EXEC);
}

/* ------------------------------------------------------------- parent -- */

static int _pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static int _signal(struct reporter_proc *p, int sig)
{
#ifdef SYS_pidfd_send_signal
	if (p->pidfd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0);
#endif
	/* Without a pidfd, never signal a pid that may have been reaped by
	 * slurmstepd and reused. */
	if (p->reaped)
		return 0;
	return kill(p->pid, sig);
}

int reporter_start(struct reporter_proc *p, char *const argv[], char *const envp[],
		   const struct spawn_user *user, const char *log_path, char *err,
		   size_t errlen)
{
	int pfd[2];
	pid_t pid;

	if (!argv[0] || argv[0][0] != '/') {
		snprintf(err, errlen, "reporter path '%s' is not absolute", argv[0] ? argv[0] : "");
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		_child(pfd[1], argv, envp, user, log_path);
	}
	close(pfd[1]);
	p->pid = pid;
	p->pidfd = _pidfd_open(pid);
	p->report_fd = pfd[0];
	p->reaped = false;
	p->wstatus = 0;
	return 0;
}

static uint64_t _now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reap if possible; true once it is known to be gone. */
static bool _reap(struct reporter_proc *p)
{
	if (p->reaped)
		return true;
	pid_t r = waitpid(p->pid, &p->wstatus, WNOHANG);
	if (r == p->pid) {
		p->reaped = true;
		return true;
	}
	if (r < 0 && errno == ECHILD) {
		/* Not our child (any more): slurmstepd's wait3(-1) got it
		 * first, or this is one of the clone(CLONE_VM) children that
		 * run SPANK callbacks under contain_spank (see compat.h) and
		 * slurmstepd is its parent. Its pidfd says whether it still
		 * runs; once it has ended, its status is unknown. */
		if (p->pidfd >= 0) {
			struct pollfd pf = {.fd = p->pidfd, .events = POLLIN};
			if (poll(&pf, 1, 0) == 0)
				return false;
		}
		p->reaped = true;
		p->wstatus = -1;
		return true;
	}
	return false;
}

/* Wait until the reporter is reaped or 'deadline': on its pidfd, which
 * becomes readable the moment it exits, else in 1 ms steps. */
static void _wait_exit(struct reporter_proc *p, uint64_t deadline)
{
	while (!_reap(p)) {
		uint64_t now = _now_ms();
		if (now >= deadline)
			return;
		if (p->pidfd >= 0) {
			struct pollfd pf = {.fd = p->pidfd, .events = POLLIN};
			if (poll(&pf, 1, (int)(deadline - now)) < 0 && errno != EINTR)
				nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
		} else {
			nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
		}
	}
}

void reporter_request_stop(struct reporter_proc *p)
{
	if (!p->pid || p->stop_requested || reporter_exited(p))
		return;
	if (_signal(p, SIGTERM) == 0)
		p->stop_requested = true;
}

bool reporter_exited(struct reporter_proc *p)
{
	if (!p->pid)
		return true;
	if (p->pidfd >= 0) {
		struct pollfd pf = {.fd = p->pidfd, .events = POLLIN};
		if (poll(&pf, 1, 0) == 1)
			return true;
	}
	return _reap(p);
}

/* Read the pipe until EOF or the deadline. */
static char *_read_report(int fd, uint64_t deadline)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	for (;;) {
		uint64_t now = _now_ms();
		if (now >= deadline)
			break;
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int r = poll(&pf, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (len + 1 >= cap) {
			if (cap >= REPORT_MAX)
				break;
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (len == 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void _describe(const struct reporter_proc *p, const char *report, char *status,
		      size_t len)
{
	unsigned stage;
	int e;

	if (report && sscanf(report, SPAWN_ERROR_TAG "%u %d", &stage, &e) == 2 &&
	    stage < sizeof(_stage_names) / sizeof(_stage_names[0]) && _stage_names[stage]) {
		snprintf(status, len, "could not start: %s: %s", _stage_names[stage], strerror(e));
		return;
	}
	if (!p->reaped)
		snprintf(status, len, "did not exit (pid %d)", (int)p->pid);
	else if (p->wstatus == -1)
		snprintf(status, len, "exited (status unknown: reaped by slurmstepd)");
	else if (WIFEXITED(p->wstatus))
		snprintf(status, len, "exited with status %d", WEXITSTATUS(p->wstatus));
	else if (WIFSIGNALED(p->wstatus))
		snprintf(status, len, "killed by signal %d", WTERMSIG(p->wstatus));
	else
		snprintf(status, len, "ended (wait status %d)", p->wstatus);
}

int reporter_stop(struct reporter_proc *p, int timeout_ms, char **report, char *status,
		  size_t statuslen)
{
	uint64_t deadline;
	bool was_running;
	int clean;

	*report = NULL;
	if (!p->pid) {
		snprintf(status, statuslen, "not started");
		return 0;
	}
	was_running = p->stop_requested || !reporter_exited(p);
	if (was_running && !p->stop_requested)
		_signal(p, SIGTERM);
	p->stop_requested = false;
	deadline = _now_ms() + (uint64_t)timeout_ms;
	if (p->report_fd >= 0) {
		*report = _read_report(p->report_fd, deadline);
		close(p->report_fd);
		p->report_fd = -1;
	}
	/* The pipe closed (or time ran out): wait for the exit itself. */
	_wait_exit(p, deadline);
	if (!p->reaped) {
		_signal(p, SIGKILL);
		_wait_exit(p, _now_ms() + (uint64_t)timeout_ms);
	}
	_describe(p, *report, status, statuslen);
	/* An unknown exit status (reaped by someone else) with a final
	 * report: the report speaks for itself (the caller parses it). */
	clean = was_running && *report && strncmp(*report, SPAWN_ERROR_TAG,
						  sizeof(SPAWN_ERROR_TAG) - 1) != 0 &&
		p->reaped && (p->wstatus == -1 || (WIFEXITED(p->wstatus) &&
						    WEXITSTATUS(p->wstatus) == 0));
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
	if (p->reaped)
		p->pid = 0;
	return clean;
}

/* ------------------------------------------------------ writing a file -- */

/* The child of spawn_write_file(): async-signal-safe calls only. A file
 * that is not regular is reported with its type bits in place of errno. */
static void _write_child(int result_fd, const struct spawn_user *u, const char *path,
			 const char *text, size_t len)
{
	sigset_t none;
	struct stat st;
	int fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (u) {
		enum spawn_stage failed = _drop_privileges(u);
		if (failed)
			_child_fail(result_fd, failed);
	}
	/* O_NONBLOCK: opening a FIFO with no reader fails (ENXIO) instead of
	 * waiting for one; on a regular file it changes nothing. */
	fd = open(path, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		_child_fail(result_fd, STAGE_OPEN);
	if (fstat(fd, &st) < 0)
		_child_fail(result_fd, STAGE_OPEN);
	if (!S_ISREG(st.st_mode)) {
		errno = (int)(st.st_mode & S_IFMT);
		_child_fail(result_fd, STAGE_NOT_REGULAR);
	}
	if (ftruncate(fd, 0) < 0)
		_child_fail(result_fd, STAGE_WRITE);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_child_fail(result_fd, STAGE_WRITE);
		off += (size_t)n;
	}
	if (close(fd) < 0)
		_child_fail(result_fd, STAGE_WRITE);
	(void)!write(result_fd, "OK\n", 3);
	_exit(0);
}

static const char *_file_type(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	case S_IFDIR:
		return "a directory";
	default:
		return "not a regular file";
	}
}

/* Put a failed write's cause into words. */
static void _write_error(const char *result, int timeout_ms, char *err, size_t errlen)
{
	unsigned stage;
	int e;

	if (!result || sscanf(result, SPAWN_ERROR_TAG "%u %d", &stage, &e) != 2) {
		snprintf(err, errlen, "gave up after %d ms (a slow or hung file system?)",
			 timeout_ms);
		return;
	}
	if (stage == STAGE_NOT_REGULAR)
		snprintf(err, errlen, "not a regular file (%s); only regular files are written",
			 _file_type((unsigned)e));
	else if (stage == STAGE_OPEN && e == ENXIO)
		snprintf(err, errlen, "not a regular file (a FIFO or socket with no reader); only "
				      "regular files are written");
	else if (stage == STAGE_OPEN && e == ELOOP)
		snprintf(err, errlen, "is a symbolic link, which is not followed");
	else if (stage < sizeof(_stage_names) / sizeof(_stage_names[0]) && _stage_names[stage])
		snprintf(err, errlen, "%s: %s", _stage_names[stage], strerror(e));
	else
		snprintf(err, errlen, "failed (stage %u): %s", stage, strerror(e));
}

int spawn_write_file(const struct spawn_user *user, const char *path, const char *text,
		     int timeout_ms, char *err, size_t errlen)
{
	struct reporter_proc p = REPORTER_PROC_INIT;
	size_t len = strlen(text);
	char *result = NULL;
	int pfd[2], ret = -1;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	p.pid = fork();
	if (p.pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (p.pid == 0) {
		close(pfd[0]);
		_write_child(pfd[1], user, path, text, len);
	}
	close(pfd[1]);
	p.pidfd = _pidfd_open(p.pid);
	uint64_t deadline = _now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	result = _read_report(pfd[0], deadline);
	close(pfd[0]);
	if (result && strcmp(result, "OK\n") == 0)
		ret = 0;
	else
		_write_error(result, timeout_ms, err, errlen);
	/* Never leave it behind: a writer stuck on a hung file system is
	 * killed and reaped (or found reaped by slurmstepd). */
	_wait_exit(&p, ret == 0 ? deadline + 1000 : _now_ms());
	if (!p.reaped) {
		_signal(&p, SIGKILL);
		_wait_exit(&p, _now_ms() + 1000);
	}
	if (p.pidfd >= 0)
		close(p.pidfd);
	free(result);
	return ret;
}

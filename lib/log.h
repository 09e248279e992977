/*
 * log.h - the one logging facility of efa-monitor.
 *
 * Every message carries the fixed prefix "efa-monitor: " and goes to a
 * handler: stderr by default, a file for the node daemon, or Slurm's own
 * logging calls inside the SPANK plugin (which installs its handler with
 * log_set_handler(), so lib/ code never prints behind Slurm's back).
 */
#ifndef EFA_MONITOR_LOG_H
#define EFA_MONITOR_LOG_H

#include <stdarg.h>

#define LOG_PREFIX "efa-monitor: "

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

/* A handler receives the formatted message without prefix or newline. */
typedef void (*log_handler_fn)(enum log_level level, const char *msg, void *arg);

/* Messages above 'level' are discarded (default LOG_LEVEL_INFO). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Route messages to 'fn' (NULL restores the stderr handler). */
void log_set_handler(log_handler_fn fn, void *arg);

/*
 * Write to the file 'path' (appending) instead of stderr, with an ISO 8601
 * timestamp on each line. Returns 0, or -1 with errno set. Calling it
 * again with the same path reopens the file (SIGHUP after logrotate).
 */
int log_open_file(const char *path);
void log_close_file(void);

/* Parse "error", "warn", "info", "debug". Returns 0, or -1 (EINVAL). */
int log_level_parse(const char *s, enum log_level *level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif

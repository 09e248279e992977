/*
 * log.c - see log.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static enum log_level _level = LOG_LEVEL_INFO;
static log_handler_fn _handler;
static void *_handler_arg;
static FILE *_file;
static char *_file_path;

static const char *_level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
	_level = level;
}

enum log_level log_get_level(void)
{
	return _level;
}

void log_set_handler(log_handler_fn fn, void *arg)
{
	_handler = fn;
	_handler_arg = arg;
}

int log_level_parse(const char *s, enum log_level *level)
{
	for (size_t i = 0; i < sizeof(_level_names) / sizeof(_level_names[0]); i++) {
		if (s && strcasecmp(s, _level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

int log_open_file(const char *path)
{
	FILE *f = fopen(path, "ae");
	if (!f)
		return -1;
	setvbuf(f, NULL, _IOLBF, 0);
	if (_file)
		fclose(_file);
	_file = f;
	if (_file_path != path) {
		char *copy = strdup(path);
		if (!copy)
			return -1;
		free(_file_path);
		_file_path = copy;
	}
	return 0;
}

void log_close_file(void)
{
	if (_file)
		fclose(_file);
	_file = NULL;
	free(_file_path);
	_file_path = NULL;
}

static void _write_default(enum log_level level, const char *msg)
{
	if (_file) {
		char stamp[32];
		struct tm tm;
		time_t now = time(NULL);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z",
			 localtime_r(&now, &tm));
		fprintf(_file, "%s %s%s: %s\n", stamp, LOG_PREFIX,
			_level_names[level], msg);
		return;
	}
	if (level <= LOG_LEVEL_WARN)
		fprintf(stderr, "%s%s: %s\n", LOG_PREFIX, _level_names[level], msg);
	else
		fprintf(stderr, "%s%s\n", LOG_PREFIX, msg);
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char buf[1024];
	int saved_errno = errno;

	if (level > _level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (_handler)
		_handler(level, buf, _handler_arg);
	else
		_write_default(level, buf);
	errno = saved_errno;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

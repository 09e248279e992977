/*
 * testutil.c - see testutil.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static char *_vstrf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *_vstrf(const char *fmt, va_list ap)
{
	va_list ap2;
	char *s;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	ck_assert_int_ge(n, 0);
	s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *tu_strf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = _vstrf(fmt, ap);
	va_end(ap);
	return s;
}

static void _mkdir_p(const char *path)
{
	char *p = strdup(path);

	ck_assert_ptr_nonnull(p);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(p, 0755) < 0)
			ck_assert_msg(errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
		*c = '/';
	}
	if (mkdir(p, 0755) < 0)
		ck_assert_msg(errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
	free(p);
}

char *tu_mkdtemp(const char *tag)
{
	const char *base = getenv("TEST_TMPDIR");
	char *tmpl;

	if (!base || !*base)
		base = "/tmp";
	_mkdir_p(base);
	tmpl = tu_strf("%s/%s.XXXXXX", base, tag ? tag : "unit");
	ck_assert_msg(mkdtemp(tmpl) != NULL, "mkdtemp %s: %s", tmpl, strerror(errno));
	return tmpl;
}

static const char *_efasim(void)
{
	const char *e = getenv("EFASIM");
	static char fallback[4200];

	if (e && *e)
		return e;
	/* Outside `make check`: the source tree's copy, from srcdir or '.'. */
	e = getenv("srcdir");
	snprintf(fallback, sizeof(fallback), "python3 %s/tests/efasim", e && *e ? e : ".");
	return fallback;
}

static int _run_efasim(const char *fmt, va_list ap, char **cmd_out)
	__attribute__((format(printf, 1, 0)));

static int _run_efasim(const char *fmt, va_list ap, char **cmd_out)
{
	char *args = _vstrf(fmt, ap);
	char *cmd = tu_strf("%s %s", _efasim(), args);
	int st;

	free(args);
	fflush(stdout);
	fflush(stderr);
	st = system(cmd);
	*cmd_out = cmd;
	if (st == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void tu_efasim(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int st;

	va_start(ap, fmt);
	st = _run_efasim(fmt, ap, &cmd);
	va_end(ap);
	ck_assert_msg(st == 0, "'%s' exited with %d", cmd, st);
	free(cmd);
}

int tu_efasim_status(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int st;

	va_start(ap, fmt);
	st = _run_efasim(fmt, ap, &cmd);
	va_end(ap);
	free(cmd);
	return st;
}

void tu_write_mem(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_msg(write(fd, data, len) == (ssize_t)len, "write %s: %s", path,
		      strerror(errno));
	ck_assert_int_eq(close(fd), 0);
}

void tu_write_file(const char *path, const char *text)
{
	tu_write_mem(path, text, strlen(text));
}

void tu_rewrite_inplace(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_msg(pwrite(fd, text, len, 0) == (ssize_t)len, "pwrite %s: %s", path,
		      strerror(errno));
	ck_assert_int_eq(ftruncate(fd, (off_t)len), 0);
	ck_assert_int_eq(close(fd), 0);
}

char *tu_read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	size_t n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	if (!buf) {
		buf = malloc(1);
		ck_assert_ptr_nonnull(buf);
	}
	buf[len] = '\0';
	return buf;
}

void tu_rm_rf(const char *path)
{
	char *cmd;
	int st;

	if (!path || access(path, F_OK) < 0)
		return;
	cmd = tu_strf("rm -rf '%s'", path);
	st = system(cmd);
	ck_assert_msg(st == 0, "'%s' failed (%d)", cmd, st);
	free(cmd);
}

size_t tu_count_substr(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);

	if (!len)
		return 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += len)
		n++;
	return n;
}

/* ---------------------------------------------------------- log capture -- */

static struct tu_log_entry _log[TU_LOG_MAX];
static size_t _nlog;

static void _capture(enum log_level level, const char *msg, void *arg)
{
	(void)arg;
	if (_nlog < TU_LOG_MAX) {
		_log[_nlog].level = level;
		snprintf(_log[_nlog].msg, sizeof(_log[_nlog].msg), "%s", msg);
	}
	_nlog++;
}

void tu_log_capture(void)
{
	_nlog = 0;
	log_set_handler(_capture, NULL);
}

void tu_log_restore(void)
{
	log_set_handler(NULL, NULL);
	log_set_level(LOG_LEVEL_INFO);
	log_close_file();
	_nlog = 0;
}

void tu_log_clear(void)
{
	_nlog = 0;
}

size_t tu_log_count(void)
{
	return _nlog;
}

const struct tu_log_entry *tu_log_get(size_t i)
{
	return i < _nlog && i < TU_LOG_MAX ? &_log[i] : NULL;
}

size_t tu_log_find(int level, ...)
{
	size_t hits = 0;

	for (size_t i = 0; i < _nlog && i < TU_LOG_MAX; i++) {
		va_list ap;
		const char *s;
		bool all = level < 0 || (int)_log[i].level == level;

		va_start(ap, level);
		while (all && (s = va_arg(ap, const char *)))
			all = strstr(_log[i].msg, s) != NULL;
		va_end(ap);
		hits += all;
	}
	return hits;
}

void tu_log_dump(void)
{
	for (size_t i = 0; i < _nlog && i < TU_LOG_MAX; i++)
		fprintf(stderr, "  log[%zu] level %d: %s\n", i, (int)_log[i].level,
			_log[i].msg);
}

/* ---------------------------------------------------------------- main -- */

int tu_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * test_log.c - the logging facility: handlers, levels, the log file with
 * its prefix and timestamps, reopening after logrotate, stderr, errno.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "testutil.h"

static char *_dir;

static void _setup(void)
{
	_dir = tu_mkdtemp("log");
	tu_log_restore();
}

static void _teardown(void)
{
	tu_log_restore();
	tu_rm_rf(_dir);
	free(_dir);
	_dir = NULL;
}

/* ----------------------------------------------------------- handler -- */

START_TEST(test_handler_gets_bare_message)
{
	tu_log_capture();
	log_warn("device %s: %d counters", "rdmap16s27", 29);
	ck_assert_uint_eq(tu_log_count(), 1);
	ck_assert_int_eq(tu_log_get(0)->level, LOG_LEVEL_WARN);
	/* No prefix, no level word, no newline. */
	ck_assert_str_eq(tu_log_get(0)->msg, "device rdmap16s27: 29 counters");

	log_error("e");
	log_info("i");
	ck_assert_uint_eq(tu_log_count(), 3);
	ck_assert_int_eq(tu_log_get(1)->level, LOG_LEVEL_ERROR);
	ck_assert_str_eq(tu_log_get(1)->msg, "e");
	ck_assert_int_eq(tu_log_get(2)->level, LOG_LEVEL_INFO);
}
END_TEST

static void *_seen_arg;
static void _arg_handler(enum log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	_seen_arg = arg;
}

START_TEST(test_handler_arg)
{
	int cookie;

	log_set_handler(_arg_handler, &cookie);
	log_error("x");
	ck_assert_ptr_eq(_seen_arg, &cookie);
}
END_TEST

START_TEST(test_default_level)
{
	ck_assert_int_eq(log_get_level(), LOG_LEVEL_INFO);
	tu_log_capture();
	log_debug("hidden");
	log_info("shown");
	ck_assert_uint_eq(tu_log_count(), 1);
	ck_assert_str_eq(tu_log_get(0)->msg, "shown");
}
END_TEST

/* At level L, exactly the messages at L and below get through. */
START_TEST(test_level_filter)
{
	enum log_level level = (enum log_level)_i;

	log_set_level(level);
	ck_assert_int_eq(log_get_level(), level);
	tu_log_capture();
	log_error("0");
	log_warn("1");
	log_info("2");
	log_debug("3");
	ck_assert_uint_eq(tu_log_count(), (size_t)_i + 1);
	for (int i = 0; i <= _i; i++) {
		char want[2] = {(char)('0' + i), '\0'};
		ck_assert_int_eq(tu_log_get((size_t)i)->level, i);
		ck_assert_str_eq(tu_log_get((size_t)i)->msg, want);
	}
}
END_TEST

START_TEST(test_long_message_truncated)
{
	char big[3000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tu_log_capture();
	log_info("%s", big);
	ck_assert_uint_eq(tu_log_count(), 1);
	ck_assert_uint_eq(strlen(tu_log_get(0)->msg), 1023);
}
END_TEST

static void _clobber_errno(enum log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
	errno = EIO;
}

START_TEST(test_errno_preserved)
{
	log_set_handler(_clobber_errno, NULL);
	errno = EAGAIN;
	log_warn("x");
	ck_assert_int_eq(errno, EAGAIN);
	errno = ENODEV;
	log_debug("filtered out");
	ck_assert_int_eq(errno, ENODEV);

	/* Also through the file sink (stdio may touch errno). */
	char *p = tu_strf("%s/errno.log", _dir);
	log_set_handler(NULL, NULL);
	ck_assert_int_eq(log_open_file(p), 0);
	errno = ESTALE;
	log_error("to file");
	ck_assert_int_eq(errno, ESTALE);
	free(p);
}
END_TEST

/* ------------------------------------------------------------- parse -- */

static const struct {
	const char *text;
	int rc;
	enum log_level level;
} _parse_cases[] = {
	{"error", 0, LOG_LEVEL_ERROR}, {"warn", 0, LOG_LEVEL_WARN},
	{"info", 0, LOG_LEVEL_INFO},   {"debug", 0, LOG_LEVEL_DEBUG},
	{"DEBUG", 0, LOG_LEVEL_DEBUG}, {"Warn", 0, LOG_LEVEL_WARN},
	{"", -1, 0},                   {"verbose", -1, 0},
	{"3", -1, 0},                  {"info ", -1, 0},
	{"err", -1, 0},
};

START_TEST(test_level_parse_table)
{
	enum log_level level = (enum log_level)99;

	errno = 0;
	ck_assert_int_eq(log_level_parse(_parse_cases[_i].text, &level), _parse_cases[_i].rc);
	if (_parse_cases[_i].rc == 0)
		ck_assert_int_eq(level, _parse_cases[_i].level);
	else {
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_int_eq(level, 99);
	}
}
END_TEST

START_TEST(test_level_parse_null)
{
	enum log_level level = LOG_LEVEL_WARN;

	ck_assert_int_eq(log_level_parse(NULL, &level), -1);
	ck_assert_int_eq(level, LOG_LEVEL_WARN);
}
END_TEST

/* -------------------------------------------------------------- file -- */

/* "<ISO 8601 local time with offset> efa-monitor: <level>: <msg>" */
static void _assert_line(const char *line, const char *level, const char *msg)
{
	regex_t re;
	char *pat = tu_strf("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4} "
			    "efa-monitor: %s: %s$", level, msg);

	ck_assert_int_eq(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0, "line '%s' does not match '%s'", line,
		      pat);
	regfree(&re);
	free(pat);
}

/* The lines of a file, newline-terminated each; returns their count. */
static size_t _lines(const char *path, char lines[][256], size_t max)
{
	char *text = tu_read_file(path);
	size_t n = 0;
	char *save = NULL;

	ck_assert_msg(text != NULL, "%s: cannot read", path);
	if (*text)
		ck_assert_msg(text[strlen(text) - 1] == '\n', "%s: last line unterminated", path);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		ck_assert_uint_lt(n, max);
		snprintf(lines[n++], 256, "%s", l);
	}
	free(text);
	return n;
}

START_TEST(test_file_lines)
{
	char *p = tu_strf("%s/efa-monitor.log", _dir);
	char lines[8][256];

	ck_assert_int_eq(log_open_file(p), 0);
	log_error("first %d", 1);
	log_warn("second");
	log_info("third");
	log_debug("not at info level");
	/* Line-buffered: on disk before the file is closed. */
	ck_assert_uint_eq(_lines(p, lines, 8), 3);
	_assert_line(lines[0], "error", "first 1");
	_assert_line(lines[1], "warn", "second");
	_assert_line(lines[2], "info", "third");
	log_close_file();
	free(p);
}
END_TEST

START_TEST(test_file_appends)
{
	char *p = tu_strf("%s/append.log", _dir);
	char lines[8][256];

	tu_write_file(p, "from before\n");
	ck_assert_int_eq(log_open_file(p), 0);
	log_warn("after");
	log_close_file();
	ck_assert_uint_eq(_lines(p, lines, 8), 2);
	ck_assert_str_eq(lines[0], "from before");
	_assert_line(lines[1], "warn", "after");
	free(p);
}
END_TEST

/* logrotate: the file is renamed, then the daemon reopens the same path. */
START_TEST(test_file_reopen)
{
	char *p = tu_strf("%s/rotate.log", _dir);
	char *old = tu_strf("%s/rotate.log.1", _dir);
	char lines[8][256];

	ck_assert_int_eq(log_open_file(p), 0);
	log_info("one");
	ck_assert_int_eq(rename(p, old), 0);
	log_info("two"); /* still the open file, now rotate.log.1 */
	ck_assert_int_eq(log_open_file(p), 0);
	log_info("three");
	/* Reopening with the very same path string again works too. */
	ck_assert_int_eq(log_open_file(p), 0);
	log_info("four");
	log_close_file();

	ck_assert_uint_eq(_lines(old, lines, 8), 2);
	_assert_line(lines[0], "info", "one");
	_assert_line(lines[1], "info", "two");
	ck_assert_uint_eq(_lines(p, lines, 8), 2);
	_assert_line(lines[0], "info", "three");
	_assert_line(lines[1], "info", "four");
	free(p);
	free(old);
}
END_TEST

/* A failed open keeps the previous sink. */
START_TEST(test_file_open_fails)
{
	char *p = tu_strf("%s/keep.log", _dir);
	char *bad = tu_strf("%s/no/such/dir/x.log", _dir);
	char lines[8][256];

	ck_assert_int_eq(log_open_file(p), 0);
	errno = 0;
	ck_assert_int_eq(log_open_file(bad), -1);
	ck_assert_int_eq(errno, ENOENT);
	log_warn("still here");
	log_close_file();
	ck_assert_uint_eq(_lines(p, lines, 8), 1);
	_assert_line(lines[0], "warn", "still here");
	free(p);
	free(bad);
}
END_TEST

/* An installed handler takes precedence over the file. */
START_TEST(test_handler_over_file)
{
	char *p = tu_strf("%s/h.log", _dir);
	char lines[8][256];

	ck_assert_int_eq(log_open_file(p), 0);
	tu_log_capture();
	log_warn("to handler");
	ck_assert_uint_eq(tu_log_count(), 1);
	log_set_handler(NULL, NULL);
	log_warn("to file");
	log_close_file();
	ck_assert_uint_eq(_lines(p, lines, 8), 1);
	_assert_line(lines[0], "warn", "to file");
	free(p);
}
END_TEST

/* ------------------------------------------------------------ stderr -- */

START_TEST(test_stderr_default)
{
	char *p = tu_strf("%s/stderr", _dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int saved = dup(STDERR_FILENO);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	fflush(stderr);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	log_error("bad %s", "thing");
	log_warn("careful");
	log_info("note");
	log_debug("hidden");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);

	char *text = tu_read_file(p);
	ck_assert_str_eq(text, "efa-monitor: error: bad thing\n"
			       "efa-monitor: warn: careful\n"
			       "efa-monitor: note\n");
	free(text);
	free(p);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc;

	tc = tcase_create("handler");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_add_test(tc, test_handler_gets_bare_message);
	tcase_add_test(tc, test_handler_arg);
	tcase_add_test(tc, test_default_level);
	tcase_add_loop_test(tc, test_level_filter, LOG_LEVEL_ERROR, LOG_LEVEL_DEBUG + 1);
	tcase_add_test(tc, test_long_message_truncated);
	tcase_add_test(tc, test_errno_preserved);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_level_parse_table, 0,
			    (int)(sizeof(_parse_cases) / sizeof(_parse_cases[0])));
	tcase_add_test(tc, test_level_parse_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_add_test(tc, test_file_lines);
	tcase_add_test(tc, test_file_appends);
	tcase_add_test(tc, test_file_reopen);
	tcase_add_test(tc, test_file_open_fails);
	tcase_add_test(tc, test_handler_over_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("stderr");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_add_test(tc, test_stderr_default);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}

/*
 * test_conf.c - "key = value" configuration from a table of keys: each
 * type, file syntax, and messages that name the key, file and line.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "log.h"
#include "testutil.h"

struct tcfg {
	char *name;
	char *path;
	bool enabled;
	unsigned long count;
	double interval;
	enum log_level level;
};

static const struct conf_key _keys[] = {
	{"name", CONF_STRING, offsetof(struct tcfg, name), 0, 0, "a name"},
	{"path", CONF_STRING, offsetof(struct tcfg, path), 0, 0, "a path"},
	{"enabled", CONF_BOOL, offsetof(struct tcfg, enabled), 0, 0, "on or off"},
	{"count", CONF_UINT, offsetof(struct tcfg, count), 1, 100, "how many"},
	{"interval", CONF_SECONDS, offsetof(struct tcfg, interval), 0.5, 3600, "how often"},
	{"log_level", CONF_LOGLEVEL, offsetof(struct tcfg, level), 0, 0, "verbosity"},
	{NULL, CONF_STRING, 0, 0, 0, NULL},
};

static struct tcfg _cfg;
static char _err[CONF_ERR_MAX];
static char *_dir;

static void _defaults(void)
{
	memset(&_cfg, 0, sizeof(_cfg));
	_cfg.enabled = false;
	_cfg.count = 10;
	_cfg.interval = 1.0;
	_cfg.level = LOG_LEVEL_INFO;
	memset(_err, 0, sizeof(_err));
}

static void _setup(void)
{
	_defaults();
	_dir = tu_mkdtemp("conf");
}

static void _teardown(void)
{
	conf_free(_keys, &_cfg);
	tu_rm_rf(_dir);
	free(_dir);
	_dir = NULL;
}

static char *_conf_file(const char *text)
{
	char *p = tu_strf("%s/efa-monitor.conf", _dir);
	tu_write_file(p, text);
	return p;
}

#define ASSERT_ERR_HAS(s) ck_assert_msg(strstr(_err, (s)) != NULL, "'%s' not in '%s'", (s), _err)

/* --------------------------------------------------------------- set -- */

START_TEST(test_set_each_type)
{
	ck_assert_int_eq(conf_set(_keys, &_cfg, "name", "node-1", "--name", _err, sizeof(_err)), 0);
	ck_assert_str_eq(_cfg.name, "node-1");
	ck_assert_int_eq(conf_set(_keys, &_cfg, "enabled", "yes", "t", _err, sizeof(_err)), 0);
	ck_assert(_cfg.enabled);
	ck_assert_int_eq(conf_set(_keys, &_cfg, "count", "42", "t", _err, sizeof(_err)), 0);
	ck_assert_uint_eq(_cfg.count, 42);
	ck_assert_int_eq(conf_set(_keys, &_cfg, "interval", "2.5", "t", _err, sizeof(_err)), 0);
	ck_assert_double_eq(_cfg.interval, 2.5);
	ck_assert_int_eq(conf_set(_keys, &_cfg, "log_level", "debug", "t", _err, sizeof(_err)), 0);
	ck_assert_int_eq(_cfg.level, LOG_LEVEL_DEBUG);
	ck_assert_ptr_null(_cfg.path);
}
END_TEST

static const struct {
	const char *word;
	bool value;
} _bools[] = {
	{"yes", true}, {"true", true}, {"on", true}, {"1", true}, {"YES", true}, {"True", true},
	{"no", false}, {"false", false}, {"off", false}, {"0", false}, {"OFF", false},
};

START_TEST(test_bool_words)
{
	bool b = !_bools[_i].value;

	ck_assert_int_eq(conf_parse_bool(_bools[_i].word, &b), 0);
	ck_assert_int_eq(b, _bools[_i].value);
	_cfg.enabled = !_bools[_i].value;
	ck_assert_int_eq(conf_set(_keys, &_cfg, "enabled", _bools[_i].word, "t", _err,
				  sizeof(_err)), 0);
	ck_assert_int_eq(_cfg.enabled, _bools[_i].value);
}
END_TEST

START_TEST(test_bool_bad)
{
	static const char *bad[] = {"", "y", "maybe", "2", "yess", "enable"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool b = true;
		errno = 0;
		ck_assert_int_eq(conf_parse_bool(bad[i], &b), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert(b);
	}
}
END_TEST

/* A bad value for each type: -1, the setting unchanged, and a message
 * naming the origin, the key, the value and what is allowed. */
static const struct {
	const char *key, *value, *allowed;
} _bad_values[] = {
	{"enabled", "maybe", "yes or no"},
	{"enabled", "", "yes or no"},
	{"count", "0", "from 1 to 100"},
	{"count", "101", "from 1 to 100"},
	{"count", "-1", "from 1 to 100"},
	{"count", "5x", "from 1 to 100"},
	{"count", "", "from 1 to 100"},
	{"count", "2.5", "from 1 to 100"},
	{"count", "99999999999999999999999", "from 1 to 100"},
	{"interval", "0.4", "from 0.5 to 3600"},
	{"interval", "3600.5", "from 0.5 to 3600"},
	{"interval", "nan", "from 0.5 to 3600"},
	{"interval", "inf", "from 0.5 to 3600"},
	{"interval", "1s", "from 0.5 to 3600"},
	{"interval", "", "from 0.5 to 3600"},
	{"log_level", "loud", "error, warn, info or debug"},
	{"log_level", "", "error, warn, info or debug"},
};

START_TEST(test_bad_value_table)
{
	struct tcfg before = _cfg;

	ck_assert_int_eq(conf_set(_keys, &_cfg, _bad_values[_i].key, _bad_values[_i].value,
				  "/etc/x.conf:7", _err, sizeof(_err)), -1);
	ASSERT_ERR_HAS("/etc/x.conf:7");
	char *quoted = tu_strf("'%s'", _bad_values[_i].key);
	ASSERT_ERR_HAS(quoted);
	free(quoted);
	ASSERT_ERR_HAS(_bad_values[_i].allowed);
	ck_assert_int_eq(_cfg.enabled, before.enabled);
	ck_assert_uint_eq(_cfg.count, before.count);
	ck_assert_double_eq(_cfg.interval, before.interval);
	ck_assert_int_eq(_cfg.level, before.level);
}
END_TEST

START_TEST(test_bounds_inclusive)
{
	ck_assert_int_eq(conf_set(_keys, &_cfg, "count", "1", "t", _err, sizeof(_err)), 0);
	ck_assert_uint_eq(_cfg.count, 1);
	ck_assert_int_eq(conf_set(_keys, &_cfg, "count", "100", "t", _err, sizeof(_err)), 0);
	ck_assert_uint_eq(_cfg.count, 100);
	ck_assert_int_eq(conf_set(_keys, &_cfg, "interval", "0.5", "t", _err, sizeof(_err)), 0);
	ck_assert_double_eq(_cfg.interval, 0.5);
	ck_assert_int_eq(conf_set(_keys, &_cfg, "interval", "3600", "t", _err, sizeof(_err)), 0);
	ck_assert_double_eq(_cfg.interval, 3600.0);
	ck_assert_int_eq(conf_set(_keys, &_cfg, "interval", "1e1", "t", _err, sizeof(_err)), 0);
	ck_assert_double_eq(_cfg.interval, 10.0);
}
END_TEST

START_TEST(test_loglevels)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	for (int l = 0; l < 4; l++) {
		ck_assert_int_eq(conf_set(_keys, &_cfg, "log_level", names[l], "t", _err,
					  sizeof(_err)), 0);
		ck_assert_int_eq(_cfg.level, l);
	}
}
END_TEST

START_TEST(test_unknown_key)
{
	ck_assert_int_eq(conf_set(_keys, &_cfg, "bogus", "1", "--bogus", _err, sizeof(_err)), -1);
	ASSERT_ERR_HAS("--bogus");
	ASSERT_ERR_HAS("'bogus'");
	ASSERT_ERR_HAS("unknown key");
	/* It lists what is known. */
	ASSERT_ERR_HAS("interval");
	ASSERT_ERR_HAS("log_level");
	/* Keys are case-sensitive. */
	ck_assert_int_eq(conf_set(_keys, &_cfg, "Count", "5", "t", _err, sizeof(_err)), -1);
	ck_assert_uint_eq(_cfg.count, 10);
}
END_TEST

START_TEST(test_small_err_buffer)
{
	char small[16];

	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(conf_set(_keys, &_cfg, "bogus", "1", "/a/long/origin:1", small,
				  sizeof(small)), -1);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

START_TEST(test_find)
{
	const struct conf_key *k = conf_find(_keys, "interval");

	ck_assert_ptr_nonnull(k);
	ck_assert_str_eq(k->name, "interval");
	ck_assert_int_eq(k->type, CONF_SECONDS);
	ck_assert_ptr_eq(conf_find(_keys, "name"), &_keys[0]);
	ck_assert_ptr_null(conf_find(_keys, "nope"));
	ck_assert_ptr_null(conf_find(_keys, ""));
}
END_TEST

/* Overriding a string frees the old copy (valgrind/ASan see the leak
 * otherwise), and the stored string is a copy, not the caller's. */
START_TEST(test_string_override_and_free)
{
	char value[16] = "first";

	ck_assert_int_eq(conf_set(_keys, &_cfg, "name", value, "t", _err, sizeof(_err)), 0);
	ck_assert_ptr_ne(_cfg.name, value);
	strcpy(value, "changed");
	ck_assert_str_eq(_cfg.name, "first");
	for (int i = 0; i < 10; i++) {
		char *v = tu_strf("value-%d", i);
		ck_assert_int_eq(conf_set(_keys, &_cfg, "name", v, "t", _err, sizeof(_err)), 0);
		free(v);
	}
	ck_assert_str_eq(_cfg.name, "value-9");
	ck_assert_int_eq(conf_set(_keys, &_cfg, "path", "", "t", _err, sizeof(_err)), 0);
	ck_assert_str_eq(_cfg.path, "");
	conf_free(_keys, &_cfg);
	ck_assert_ptr_null(_cfg.name);
	ck_assert_ptr_null(_cfg.path);
	/* Freeing twice is harmless. */
	conf_free(_keys, &_cfg);
	ck_assert_uint_eq(_cfg.count, 10);
}
END_TEST

/* -------------------------------------------------------------- file -- */

START_TEST(test_file_syntax)
{
	char *p = _conf_file("# efa-monitor configuration\n"
			     "   # an indented comment\n"
			     "\n"
			     "\t\n"
			     "name = node one\n"
			     "path = \"/var/log/efa monitor.log\"   # quoted, then a comment\n"
			     "enabled = yes # trailing comment\n"
			     "count=42\n"
			     "  interval\t=\t2.5  \n"
			     "log_level = debug\r\n");

	ck_assert_msg(conf_parse_file(_keys, &_cfg, p, false, _err, sizeof(_err)) == 0, "%s",
		      _err);
	ck_assert_str_eq(_cfg.name, "node one");
	ck_assert_str_eq(_cfg.path, "/var/log/efa monitor.log");
	ck_assert(_cfg.enabled);
	ck_assert_uint_eq(_cfg.count, 42);
	ck_assert_double_eq(_cfg.interval, 2.5);
	ck_assert_int_eq(_cfg.level, LOG_LEVEL_DEBUG);
	free(p);
}
END_TEST

START_TEST(test_file_hash_and_quotes)
{
	char *p = _conf_file("name = \"a # not a comment\"\n"
			     "path = dir#1\n"
			     "count = 7");

	ck_assert_msg(conf_parse_file(_keys, &_cfg, p, false, _err, sizeof(_err)) == 0, "%s",
		      _err);
	ck_assert_str_eq(_cfg.name, "a # not a comment");
	/* '#' not after white space belongs to the value. */
	ck_assert_str_eq(_cfg.path, "dir#1");
	/* The last line needs no newline. */
	ck_assert_uint_eq(_cfg.count, 7);
	free(p);
}
END_TEST

START_TEST(test_file_later_wins)
{
	char *p = _conf_file("name = a\ncount = 3\nname = b\ncount = 4\n");

	ck_assert_int_eq(conf_parse_file(_keys, &_cfg, p, false, _err, sizeof(_err)), 0);
	ck_assert_str_eq(_cfg.name, "b");
	ck_assert_uint_eq(_cfg.count, 4);
	free(p);
}
END_TEST

START_TEST(test_file_empty)
{
	char *p = _conf_file("");

	ck_assert_int_eq(conf_parse_file(_keys, &_cfg, p, false, _err, sizeof(_err)), 0);
	ck_assert_uint_eq(_cfg.count, 10);
	free(p);
}
END_TEST

/* Each malformed file fails at a known line with a known complaint. */
static const struct {
	const char *text;
	unsigned line;
	const char *why; /* substring of the message */
	const char *key; /* must be named too, or NULL */
} _bad_files[] = {
	{"count = 5\nbogus = 1\n", 2, "unknown key", "'bogus'"},
	{"# c\n\ncount = 500\n", 3, "from 1 to 100", "'count'"},
	{"enabled = maybe\n", 1, "yes or no", "'enabled'"},
	{"interval = 0.1\n", 1, "from 0.5 to 3600", "'interval'"},
	{"log_level = loud\n", 1, "error, warn, info or debug", "'log_level'"},
	{"\n\ncount 5\n", 3, "expected 'key = value'", NULL},
	{"name = \"abc\n", 1, "unterminated quote", NULL},
	{"count = 1\nname = \"abc\" trailing\n", 2, "text after the closing quote", NULL},
	{"= 5\n", 1, "missing key", NULL},
	{"count = \n", 1, "from 1 to 100", "'count'"},
};

START_TEST(test_file_errors_table)
{
	char *p = _conf_file(_bad_files[_i].text);
	char *where = tu_strf("%s:%u:", p, _bad_files[_i].line);

	ck_assert_int_eq(conf_parse_file(_keys, &_cfg, p, false, _err, sizeof(_err)), -1);
	ASSERT_ERR_HAS(where);
	ASSERT_ERR_HAS(_bad_files[_i].why);
	if (_bad_files[_i].key)
		ASSERT_ERR_HAS(_bad_files[_i].key);
	free(where);
	free(p);
}
END_TEST

START_TEST(test_file_missing)
{
	char *p = tu_strf("%s/absent.conf", _dir);

	ck_assert_int_eq(conf_parse_file(_keys, &_cfg, p, false, _err, sizeof(_err)), -1);
	ASSERT_ERR_HAS(p);
	ASSERT_ERR_HAS(strerror(ENOENT));

	_err[0] = '\0';
	ck_assert_int_eq(conf_parse_file(_keys, &_cfg, p, true, _err, sizeof(_err)), 0);
	ck_assert_uint_eq(_cfg.count, 10);
	ck_assert_ptr_null(_cfg.name);
	free(p);
}
END_TEST

/* 'optional' forgives a missing file, not an unreadable one. */
START_TEST(test_file_is_directory)
{
	char *p = tu_strf("%s/conf.d", _dir);

	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(conf_parse_file(_keys, &_cfg, p, true, _err, sizeof(_err)), -1);
	ASSERT_ERR_HAS(p);
	free(p);
}
END_TEST

START_TEST(test_file_line_too_long)
{
	char *text = malloc(5000);

	ck_assert_ptr_nonnull(text);
	memset(text, 'x', 4999);
	text[4999] = '\0';
	char *big = tu_strf("name = %s\ncount = 5\n", text);
	char *p = _conf_file(big);
	ck_assert_int_eq(conf_parse_file(_keys, &_cfg, p, false, _err, sizeof(_err)), -1);
	char *where = tu_strf("%s:1", p);
	ASSERT_ERR_HAS(where);
	ASSERT_ERR_HAS("too long");
	ck_assert_uint_eq(_cfg.count, 10);
	free(where);
	free(text);
	free(big);
	free(p);
}
END_TEST

/* The error stops the parse: later lines are not applied. */
START_TEST(test_file_stops_at_error)
{
	char *p = _conf_file("count = 5\nbogus = 1\ncount = 6\n");

	ck_assert_int_eq(conf_parse_file(_keys, &_cfg, p, false, _err, sizeof(_err)), -1);
	ck_assert_uint_eq(_cfg.count, 5);
	free(p);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("set");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_add_test(tc, test_set_each_type);
	tcase_add_loop_test(tc, test_bool_words, 0, (int)(sizeof(_bools) / sizeof(_bools[0])));
	tcase_add_test(tc, test_bool_bad);
	tcase_add_loop_test(tc, test_bad_value_table, 0,
			    (int)(sizeof(_bad_values) / sizeof(_bad_values[0])));
	tcase_add_test(tc, test_bounds_inclusive);
	tcase_add_test(tc, test_loglevels);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_small_err_buffer);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_string_override_and_free);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_add_test(tc, test_file_syntax);
	tcase_add_test(tc, test_file_hash_and_quotes);
	tcase_add_test(tc, test_file_later_wins);
	tcase_add_test(tc, test_file_empty);
	tcase_add_loop_test(tc, test_file_errors_table, 0,
			    (int)(sizeof(_bad_files) / sizeof(_bad_files[0])));
	tcase_add_test(tc, test_file_missing);
	tcase_add_test(tc, test_file_is_directory);
	tcase_add_test(tc, test_file_line_too_long);
	tcase_add_test(tc, test_file_stops_at_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}

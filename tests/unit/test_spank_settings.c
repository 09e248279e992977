/*
 * test_spank_settings.c - the user's --efa-monitor[=OPTS] as Slurm hands
 * it over (including the "(null)" of a bare flag inherited from sbatch or
 * salloc), the json= file of each step and of the job, and the plugin's
 * bounded, regular-files-only JSON writer.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings.h"
#include "spawn.h"
#include "testutil.h"

START_TEST(test_bare_flag_forms)
{
	const char *bare[] = {NULL, "", "(null)"};
	char err[256];

	for (size_t i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
		struct user_opts o = {0};
		ck_assert_int_eq(user_opts_parse(&o, bare[i], err, sizeof(err)), 0);
		ck_assert(o.given);
		ck_assert(!o.off);
		ck_assert(o.interval == 0);
		ck_assert_str_eq(o.json, "");
	}
}
END_TEST

START_TEST(test_options_and_errors)
{
	struct user_opts o = {0};
	char err[256];

	ck_assert_int_eq(user_opts_parse(&o, "interval=5,json=net.json", err, sizeof(err)), 0);
	ck_assert(o.interval == 5);
	ck_assert_str_eq(o.json, "net.json");
	ck_assert_int_eq(user_opts_parse(&o, "off", err, sizeof(err)), 0);
	ck_assert(o.off);
	ck_assert_str_eq(o.json, ""); /* each call starts afresh */
	ck_assert_int_eq(user_opts_parse(&o, "intervl=5", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad --efa-monitor option 'intervl=5': unknown option (allowed: "
			      "interval=SECONDS, json=PATH, off)");
	ck_assert_int_eq(user_opts_parse(&o, "(null),off", err, sizeof(err)), -1);
}
END_TEST

static const char *_path(const char *json, const char *step, bool per_step)
{
	static char out[256];
	struct user_opts o = {.given = true};

	snprintf(o.json, sizeof(o.json), "%s", json);
	ck_assert_int_eq(user_opts_json_path(&o, "42", step, per_step, out, sizeof(out)), 0);
	return out;
}

START_TEST(test_json_paths)
{
	/* Given to this srun (or the job's own summary): as written. */
	ck_assert_str_eq(_path("net.json", "0", false), "net.json");
	ck_assert_str_eq(_path("out/net-%j.json", "job", false), "out/net-42.json");
	/* Inherited by a step: the step's own file beside the job's. */
	ck_assert_str_eq(_path("net.json", "3", true), "net.3.json");
	ck_assert_str_eq(_path("runs.d/net", "3", true), "runs.d/net.3");
	ck_assert_str_eq(_path("/abs/.hidden", "3", true), "/abs/.hidden.3");
	ck_assert_str_eq(_path("a.b.json", "0", true), "a.b.0.json");
	/* A pattern that names the step is used as it is. */
	ck_assert_str_eq(_path("n-%j-%s.json", "7", true), "n-42-7.json");
	ck_assert_str_eq(_path("n-%j-%s.json", "job", false), "n-42-job.json");
	ck_assert_str_eq(_path("100%%-%s", "1", true), "100%-1");
}
END_TEST

START_TEST(test_expand_too_long)
{
	char out[8];
	ck_assert_int_eq(spank_config_expand("%n/%j/%s", "node", "12", "3", out, sizeof(out)), -1);
	ck_assert_int_eq(spank_config_expand("%n%j", "n1", "12", "3", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "n112");
}
END_TEST

static char _dir[] = "/tmp/test_spank_settings.XXXXXX";

static void _setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(_dir));
}

static void _teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", _dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(_dir, "/tmp/test_spank_settings.XXXXXX");
}

static char *_in(const char *name)
{
	static char p[256];
	snprintf(p, sizeof(p), "%s/%s", _dir, name);
	return p;
}

START_TEST(test_write_regular_file)
{
	char err[256], buf[64] = "";
	FILE *f;

	/* An existing longer file is truncated first. */
	f = fopen(_in("s.json"), "w");
	fputs("a much longer earlier content\n", f);
	fclose(f);
	ck_assert_int_eq(spawn_write_file(NULL, _in("s.json"), "{}\n", 5000, err, sizeof(err)), 0);
	f = fopen(_in("s.json"), "r");
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	ck_assert(fgetc(f) == EOF);
	fclose(f);
	ck_assert_str_eq(buf, "{}\n");
}
END_TEST

START_TEST(test_write_refuses_what_is_not_a_file)
{
	char err[256];
	int fd;

	/* A FIFO without a reader: refused at once, never waited on. */
	ck_assert_int_eq(mkfifo(_in("fifo"), 0600), 0);
	ck_assert_int_eq(spawn_write_file(NULL, _in("fifo"), "{}\n", 5000, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "not a regular file (a FIFO or socket with no reader); only regular "
			      "files are written");
	/* With a reader, the open succeeds and fstat refuses it. */
	fd = open(_in("fifo"), O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(spawn_write_file(NULL, _in("fifo"), "{}\n", 5000, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "not a regular file (a FIFO); only regular files are written");
	close(fd);
	/* A symbolic link is not followed. */
	ck_assert_int_eq(symlink("target", _in("link")), 0);
	ck_assert_int_eq(spawn_write_file(NULL, _in("link"), "{}\n", 5000, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "is a symbolic link, which is not followed");
	ck_assert_int_eq(access(_in("target"), F_OK), -1);
	/* A directory, a missing directory. */
	ck_assert_int_eq(spawn_write_file(NULL, _dir, "{}\n", 5000, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "open: Is a directory");
	ck_assert_int_eq(spawn_write_file(NULL, _in("no/such"), "{}\n", 5000, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "open: No such file or directory");
	/* A character device. */
	ck_assert_int_eq(spawn_write_file(NULL, "/dev/null", "{}\n", 5000, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "not a regular file (a character device); only regular files are "
			      "written");
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("spank_settings");
	TCase *opts = tcase_create("options");
	TCase *write = tcase_create("json writer");

	tcase_add_test(opts, test_bare_flag_forms);
	tcase_add_test(opts, test_options_and_errors);
	tcase_add_test(opts, test_json_paths);
	tcase_add_test(opts, test_expand_too_long);
	tcase_add_checked_fixture(write, _setup, _teardown);
	tcase_add_test(write, test_write_regular_file);
	tcase_add_test(write, test_write_refuses_what_is_not_a_file);
	suite_add_tcase(s, opts);
	suite_add_tcase(s, write);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}

/*
 * test_awscred.c - the credential chain, region and InstanceId against
 * environment variables, temporary credentials files and
 * tests/fakes/fake_imds.py (IMDSv2 and container modes) on 127.0.0.1:
 * exact keys from each source, precedence, refresh ahead of expiry
 * (driven by the 'now' argument, no sleeping), failed refreshes keeping
 * the old keys, rate-limited retries, disabled and unreachable IMDS, and,
 * after every case, that no secret reached any log message.
 *
 * Each case runs in its own process (CK_FORK) and starts from a cleared
 * AWS environment, HOME in a temporary directory and IMDS disabled, so
 * nothing of the machine's own configuration is read and 169.254.169.254
 * is never contacted.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "awscred.h"
#include "http.h"
#include "testutil.h"

/* The fakes run on Debian's interpreter, stdlib only. */
#define PYTHON3 "/usr/bin/python3"

/* time() reads the coarse clock, which can trail the fake's clock by a
 * tick across a second boundary. */
#define COARSE_SLACK 1

#define ROLE_FETCH "\"path\":\"/latest/meta-data/iam/security-credentials/efa-monitor-role\""
#define TOKEN_PUT "\"method\":\"PUT\",\"path\":\"/latest/api/token\""

static const char *const _vars[] = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "http_proxy",
    "HTTP_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
};

struct fake {
	pid_t pid;
	int port;
	char *log;
	char *endpoint; /* http://127.0.0.1:PORT */
};

static char *_dir;
static struct fake _fk;

static void _setup(void)
{
	for (size_t i = 0; i < sizeof(_vars) / sizeof(_vars[0]); i++)
		unsetenv(_vars[i]);
	_dir = tu_mkdtemp("awscred");
	setenv("HOME", _dir, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	memset(&_fk, 0, sizeof(_fk));
	tu_log_capture();
	log_set_level(LOG_LEVEL_DEBUG);
}

static void _fake_stop(struct fake *f)
{
	int st;

	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		ck_assert_int_eq(waitpid(f->pid, &st, 0), f->pid);
	}
	f->pid = 0;
}

/* No secret, and no whole access key id, in anything logged. */
static void _assert_no_secret_logged(void)
{
	static const char *const marks[] = {"s3cr3t", "t0k3n", "ASIAFAKE0", "AKIAENV", "AKIAFILE"};

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		if (tu_log_find(-1, marks[i], NULL) != 0)
			tu_log_dump();
		ck_assert_msg(tu_log_find(-1, marks[i], NULL) == 0, "'%s' was logged", marks[i]);
	}
}

static void _teardown(void)
{
	_assert_no_secret_logged();
	_fake_stop(&_fk);
	free(_fk.log);
	free(_fk.endpoint);
	tu_log_restore();
	tu_rm_rf(_dir);
	free(_dir);
	_dir = NULL;
}

/* ------------------------------------------------------------- the fake -- */

static const char *_fakes_dir(void)
{
	static char buf[4096];
	const char *s = getenv("srcdir");

	if (s && *s) {
		snprintf(buf, sizeof(buf), "%s/tests/fakes", s);
		return buf;
	}
	return FAKES_DIR;
}

/* Start fake_imds.py with the extra arguments (NULL-terminated) and wait
 * for its port. */
static void _fake_start(struct fake *f, ...)
{
	char *script = tu_strf("%s/fake_imds.py", _fakes_dir());
	char *pfile = tu_strf("%s/port.%d", _dir, (int)getpid());
	const char *argv[32];
	size_t argc = 0;
	va_list ap;
	char *port = NULL;

	f->log = tu_strf("%s/imds.log", _dir);
	argv[argc++] = PYTHON3;
	argv[argc++] = script;
	argv[argc++] = "--port-file";
	argv[argc++] = pfile;
	argv[argc++] = "--log";
	argv[argc++] = f->log;
	va_start(ap, f);
	for (const char *a; (a = va_arg(ap, const char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	f->pid = fork();
	ck_assert_int_ge(f->pid, 0);
	if (f->pid == 0) {
		execv(PYTHON3, (char *const *)argv);
		_exit(127);
	}
	/* Python starts in well under a second; allow 20 s on a loaded host. */
	for (int i = 0; i < 2000 && !(port = tu_read_file(pfile)); i++) {
		int st;

		ck_assert_msg(waitpid(f->pid, &st, WNOHANG) == 0, "fake_imds.py exited");
		usleep(10000);
	}
	ck_assert_msg(port != NULL, "fake_imds.py wrote no port file");
	f->port = atoi(port);
	ck_assert_int_gt(f->port, 0);
	unlink(pfile);
	f->endpoint = tu_strf("http://127.0.0.1:%d", f->port);
	free(port);
	free(pfile);
	free(script);
}

/* Serve IMDS from the fake (and enable IMDS). */
static void _use_imds(struct fake *f)
{
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f->endpoint, 1);
}

static size_t _fake_count(const struct fake *f, const char *needle)
{
	char *log = tu_read_file(f->log);
	size_t n = log ? tu_count_substr(log, needle) : 0;

	free(log);
	return n;
}

static int _closed_port(void)
{
	struct fake f = {0};
	int port;

	/* A port the fake had and gave back: nothing listens there now. */
	_fake_start(&f, NULL);
	port = f.port;
	_fake_stop(&f);
	free(f.log);
	free(f.endpoint);
	return port;
}

static struct aws_env *_env(const char *region, const char *profile, const char *instance_id)
{
	struct aws_env_config cfg = {
	    .region = region,
	    .profile = profile,
	    .instance_id = instance_id,
	};
	struct aws_env *env = aws_env_create(&cfg);

	ck_assert_ptr_nonnull(env);
	return env;
}

static void _assert_creds(const struct aws_creds *c, const char *source, const char *ak,
			  const char *sk, const char *tok)
{
	if (!c)
		tu_log_dump();
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->source, source);
	ck_assert_str_eq(c->access_key, ak);
	ck_assert_str_eq(c->secret_key, sk);
	if (tok)
		ck_assert_str_eq(c->session_token, tok);
	else
		ck_assert_ptr_null(c->session_token);
}

static size_t _level_count(enum log_level level)
{
	return tu_log_find((int)level, NULL);
}

/* ---------------------------------------------------------- environment -- */

START_TEST(test_env)
{
	struct aws_env *env = _env(NULL, NULL, NULL);
	const struct aws_creds *c;

	setenv("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE1234", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-s3cr3t-key", 1);
	c = aws_env_creds(env, 1000);
	_assert_creds(c, "environment", "AKIAENVEXAMPLE1234", "env-s3cr3t-key", NULL);
	ck_assert_int_eq(c->expiration, 0);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_INFO, "AWS credentials from environment",
				      "key ...1234", "expire never", NULL),
			  1);
	/* Long-term keys are never refreshed, whatever the time. */
	ck_assert_ptr_eq(aws_env_creds(env, 1000 + 10 * 365 * 86400), c);
	ck_assert_uint_eq(tu_log_count(), 1);
	aws_env_destroy(env);

	setenv("AWS_SESSION_TOKEN", "env-t0k3n-1", 1);
	env = _env(NULL, NULL, NULL);
	_assert_creds(aws_env_creds(env, 1000), "environment", "AKIAENVEXAMPLE1234",
		      "env-s3cr3t-key", "env-t0k3n-1");
	aws_env_destroy(env);
}
END_TEST

/* One key of two stops the chain: no silent switch to the file's keys. */
START_TEST(test_env_partial)
{
	char *file = tu_strf("%s/creds", _dir);
	struct aws_env *env;

	tu_write_file(file, "[default]\naws_access_key_id = AKIAFILEDEFAULT0001\n"
			    "aws_secret_access_key = file-s3cr3t-default\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", file, 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE1234", 1);
	env = _env(NULL, NULL, NULL);
	errno = 0;
	ck_assert_ptr_null(aws_env_creds(env, 1000));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(
	    tu_log_find(LOG_LEVEL_ERROR,
			"no AWS credentials: environment: AWS_ACCESS_KEY_ID is set but "
			"AWS_SECRET_ACCESS_KEY is not",
			NULL),
	    1);
	ck_assert_uint_eq(tu_log_count(), 1);
	aws_env_destroy(env);
	free(file);
}
END_TEST

/* ---------------------------------------------------------- shared file -- */

static const char _two_profiles[] = "# comment\n"
				    "; another\n"
				    "[default]\n"
				    "aws_access_key_id = AKIAFILEDEFAULT0001\n"
				    "aws_secret_access_key=file-s3cr3t-default\n"
				    "\n"
				    "[prod]\r\n"
				    "  region = us-east-1\r\n"
				    "AWS_ACCESS_KEY_ID = AKIAFILEPROD0002\r\n"
				    "aws_secret_access_key = file-s3cr3t/prod+x=\r\n"
				    "aws_session_token = file-t0k3n-prod\r\n"
				    "[nokeys]\n"
				    "role_arn = arn:aws:iam::123456789012:role/x\n"
				    "[half]\n"
				    "aws_access_key_id = AKIAFILEHALF0003\n";

START_TEST(test_file_profiles)
{
	char *file = tu_strf("%s/creds", _dir);
	struct aws_env *env;

	tu_write_file(file, _two_profiles);
	setenv("AWS_SHARED_CREDENTIALS_FILE", file, 1);
	env = _env(NULL, NULL, NULL);
	_assert_creds(aws_env_creds(env, 1000), "shared-file", "AKIAFILEDEFAULT0001",
		      "file-s3cr3t-default", NULL);
	ck_assert_int_eq(aws_env_creds(env, 1000)->expiration, 0);
	aws_env_destroy(env);

	setenv("AWS_PROFILE", "prod", 1);
	env = _env(NULL, NULL, NULL);
	_assert_creds(aws_env_creds(env, 1000), "shared-file", "AKIAFILEPROD0002",
		      "file-s3cr3t/prod+x=", "file-t0k3n-prod");
	aws_env_destroy(env);

	/* The configured profile beats AWS_PROFILE. */
	env = _env(NULL, "default", NULL);
	_assert_creds(aws_env_creds(env, 1000), "shared-file", "AKIAFILEDEFAULT0001",
		      "file-s3cr3t-default", NULL);
	aws_env_destroy(env);
	free(file);
}
END_TEST

/* ~/.aws/credentials under $HOME when no file is named. */
START_TEST(test_file_home)
{
	char *aws = tu_strf("%s/.aws", _dir), *file = tu_strf("%s/credentials", aws);
	struct aws_env *env;

	ck_assert_int_eq(mkdir(aws, 0700), 0);
	tu_write_file(file, _two_profiles);
	env = _env(NULL, NULL, NULL);
	_assert_creds(aws_env_creds(env, 1000), "shared-file", "AKIAFILEDEFAULT0001",
		      "file-s3cr3t-default", NULL);
	aws_env_destroy(env);
	/* "~/" in AWS_SHARED_CREDENTIALS_FILE is $HOME too. */
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", 1);
	setenv("AWS_PROFILE", "prod", 1);
	env = _env(NULL, NULL, NULL);
	_assert_creds(aws_env_creds(env, 1000), "shared-file", "AKIAFILEPROD0002",
		      "file-s3cr3t/prod+x=", "file-t0k3n-prod");
	aws_env_destroy(env);
	free(file);
	free(aws);
}
END_TEST

/* Absent file, absent profile, a profile without keys: next source (and
 * the message says why each was passed); a half profile: stop. */
START_TEST(test_file_skipped_or_broken)
{
	char *file = tu_strf("%s/creds", _dir), *msg;
	struct aws_env *env = _env(NULL, NULL, NULL);

	ck_assert_ptr_null(aws_env_creds(env, 1000));
	msg = tu_strf("no AWS credentials: environment: not set; shared credentials file "
		      "%s/.aws/credentials: absent; container: not configured; IMDS: disabled "
		      "(AWS_EC2_METADATA_DISABLED=true)",
		      _dir);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR, msg, NULL), 1);
	free(msg);
	/* Rate-limited: asked again at once, no new attempt or error. */
	errno = 0;
	ck_assert_ptr_null(aws_env_creds(env, 1000 + AWSCRED_RETRY_INTERVAL - 1));
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_eq(_level_count(LOG_LEVEL_ERROR), 1);
	aws_env_destroy(env);

	tu_write_file(file, _two_profiles);
	setenv("AWS_SHARED_CREDENTIALS_FILE", file, 1);
	setenv("AWS_PROFILE", "nope", 1);
	tu_log_clear();
	env = _env(NULL, NULL, NULL);
	ck_assert_ptr_null(aws_env_creds(env, 1000));
	msg = tu_strf("shared credentials file %s: no profile [nope]; container", file);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR, msg, NULL), 1);
	free(msg);
	aws_env_destroy(env);

	setenv("AWS_PROFILE", "nokeys", 1);
	tu_log_clear();
	env = _env(NULL, NULL, NULL);
	ck_assert_ptr_null(aws_env_creds(env, 1000));
	msg = tu_strf("shared credentials file %s: no static keys in profile [nokeys]; "
		      "container",
		      file);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR, msg, NULL), 1);
	free(msg);
	aws_env_destroy(env);

	setenv("AWS_PROFILE", "half", 1);
	tu_log_clear();
	env = _env(NULL, NULL, NULL);
	ck_assert_ptr_null(aws_env_creds(env, 1000));
	msg = tu_strf("no AWS credentials: environment: not set; shared credentials file %s: "
		      "profile [half] lacks aws_secret_access_key",
		      file);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR, msg, NULL), 1);
	ck_assert_uint_eq(tu_log_find(-1, "container", NULL), 0);
	free(msg);
	aws_env_destroy(env);
	free(file);
}
END_TEST

/* ----------------------------------------------------------- precedence -- */

START_TEST(test_precedence)
{
	char *file = tu_strf("%s/creds", _dir);
	struct aws_env *env;

	_fake_start(&_fk, NULL);
	_use_imds(&_fk);
	tu_write_file(file, _two_profiles);
	setenv("AWS_SHARED_CREDENTIALS_FILE", file, 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE1234", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-s3cr3t-key", 1);

	env = _env(NULL, NULL, NULL);
	_assert_creds(aws_env_creds(env, 1000), "environment", "AKIAENVEXAMPLE1234",
		      "env-s3cr3t-key", NULL);
	aws_env_destroy(env);

	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	env = _env(NULL, NULL, NULL);
	_assert_creds(aws_env_creds(env, 1000), "shared-file", "AKIAFILEDEFAULT0001",
		      "file-s3cr3t-default", NULL);
	aws_env_destroy(env);
	ck_assert_uint_eq(_fake_count(&_fk, "\"method\""), 0); /* IMDS never asked */

	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	env = _env(NULL, NULL, NULL);
	_assert_creds(aws_env_creds(env, time(NULL)), "imds", "ASIAFAKE0001", "fake-s3cr3t-0001",
		      "fake-t0k3n-0001");
	aws_env_destroy(env);
	ck_assert_uint_eq(_fake_count(&_fk, ROLE_FETCH), 1);
	free(file);
}
END_TEST

/* ------------------------------------------------------------ container -- */

START_TEST(test_container)
{
	struct aws_env *env;
	const struct aws_creds *c;
	char *uri;
	time_t before, after;

	_fake_start(&_fk, "--container", "--ttl", "3600", NULL);
	uri = tu_strf("%s/v2/credentials/fake", _fk.endpoint);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-t0k3n-abc", 1);
	env = _env(NULL, NULL, NULL);
	before = time(NULL);
	c = aws_env_creds(env, before);
	after = time(NULL);
	_assert_creds(c, "container", "ASIAFAKE0001", "fake-s3cr3t-0001", "fake-t0k3n-0001");
	ck_assert_int_ge(c->expiration, before + 3600);
	ck_assert_int_le(c->expiration, after + 3600 + COARSE_SLACK);
	ck_assert_uint_eq(
	    tu_log_find(LOG_LEVEL_INFO, "AWS credentials from container", "key ...0001", NULL), 1);
	ck_assert_uint_eq(_fake_count(&_fk, "\"had_auth\":true,\"status\":200"), 1);
	aws_env_destroy(env);
	free(uri);
}
END_TEST

/* The token from a file (trailing newline dropped). */
START_TEST(test_container_token_file)
{
	char *tfile = tu_strf("%s/token", _dir), *uri;
	struct aws_env *env;

	_fake_start(&_fk, "--container", NULL);
	tu_write_file(tfile, "auth-t0k3n-abc\n");
	uri = tu_strf("%s/v2/credentials/fake", _fk.endpoint);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tfile, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-t0k3n-wrong", 1);
	env = _env(NULL, NULL, NULL);
	_assert_creds(aws_env_creds(env, time(NULL)), "container", "ASIAFAKE0001",
		      "fake-s3cr3t-0001", "fake-t0k3n-0001");
	aws_env_destroy(env);
	free(uri);
	free(tfile);
}
END_TEST

/* Without the token, or with a wrong one: refused, and the chain stops
 * there (IMDS, served by nobody, is not tried). */
START_TEST(test_container_refused)
{
	struct aws_env *env;
	char *uri, *msg;

	_fake_start(&_fk, "--container", NULL);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	uri = tu_strf("%s/v2/credentials/fake", _fk.endpoint);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
	env = _env(NULL, NULL, NULL);
	ck_assert_ptr_null(aws_env_creds(env, 1000));
	msg = tu_strf("; container: GET %s: HTTP 401 (no AWS_CONTAINER_AUTHORIZATION_TOKEN)", uri);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR, "no AWS credentials: ", msg, NULL), 1);
	ck_assert_uint_eq(tu_log_find(-1, "IMDS", NULL), 0);
	free(msg);
	aws_env_destroy(env);

	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-t0k3n-wrong", 1);
	tu_log_clear();
	env = _env(NULL, NULL, NULL);
	ck_assert_ptr_null(aws_env_creds(env, 1000));
	msg = tu_strf("; container: GET %s: HTTP 403 (authorization token refused)", uri);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR, msg, NULL), 1);
	free(msg);
	aws_env_destroy(env);
	ck_assert_uint_eq(_fake_count(&_fk, "\"status\":200"), 0);
	free(uri);
}
END_TEST

/* FULL_URI may not send the token to an arbitrary plain-http host. */
START_TEST(test_container_full_uri_host)
{
	struct aws_env *env;

	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://user:pw@192.0.2.1/creds?x=1", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-t0k3n-abc", 1);
	env = _env(NULL, NULL, NULL);
	ck_assert_ptr_null(aws_env_creds(env, 1000));
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR,
				      "container: AWS_CONTAINER_CREDENTIALS_FULL_URI "
				      "http://192.0.2.1/creds is neither https nor a loopback or "
				      "ECS/EKS agent address",
				      NULL),
			  1);
	aws_env_destroy(env);
}
END_TEST

/* Which FULL_URI hosts get the token over plain http: the SDKs' list,
 * and names that only look like it. */
START_TEST(test_container_url_table)
{
	static const struct {
		const char *url;
		bool ok;
	} t[] = {
	    {"http://127.0.0.1/creds", true},
	    {"http://127.0.0.1:8080/creds", true},
	    {"http://127.1.2.3:51679/creds", true},
	    {"http://127.255.255.254/", true},
	    {"http://localhost/creds", true},
	    {"http://LOCALHOST:9/x", true},
	    {"http://[::1]:8080/creds", true},
	    {"http://[0:0:0:0:0:0:0:1]/creds", true},
	    {"http://169.254.170.2/v2/credentials/x", true},
	    {"http://169.254.170.23/v1/credentials", true},
	    {"http://[fd00:ec2::23]/v1/credentials", true},
	    {"http://[FD00:EC2:0::23]/v1/credentials", true},
	    {"https://creds.example.com/x", true},
	    {"http://127.attacker.example/", false},
	    {"http://127.0.0.1.nip.io/creds", false},
	    {"http://localhost.evil/creds", false},
	    {"http://localhost.evil.example:80/", false},
	    {"http://evil-localhost/", false},
	    {"http://126.0.0.1/", false},
	    {"http://128.0.0.1/", false},
	    {"http://169.254.170.3/", false},
	    {"http://169.254.169.254/latest/", false},
	    {"http://[::2]/", false},
	    {"http://[::ffff:192.0.2.1]/", false},
	    {"http://[fd00:ec2::24]/", false},
	    {"http://192.0.2.1/creds", false},
	    {"ftp://127.0.0.1/creds", false},
	    {"file:///etc/passwd", false},
	    {"127.0.0.1/creds", false},
	    {"", false},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(aws_container_url_allowed(t[i].url) == t[i].ok, "%s: expected %s",
			      t[i].url, t[i].ok ? "allowed" : "refused");
	ck_assert(!aws_container_url_allowed(NULL));
}
END_TEST

/* The refusal reaches the log, and nothing is fetched. */
START_TEST(test_container_full_uri_lookalike)
{
	struct aws_env *env;

	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.attacker.example/creds", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-t0k3n-abc", 1);
	env = _env(NULL, NULL, NULL);
	ck_assert_ptr_null(aws_env_creds(env, 1000));
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR,
				      "http://127.attacker.example/creds is neither https nor a "
				      "loopback or ECS/EKS agent address",
				      NULL),
			  1);
	aws_env_destroy(env);
}
END_TEST

/* ----------------------------------------------------------------- IMDS -- */

START_TEST(test_imds_role)
{
	struct aws_env *env;
	const struct aws_creds *c;
	time_t before, after;

	_fake_start(&_fk, "--ttl", "3600", NULL);
	_use_imds(&_fk);
	env = _env(NULL, NULL, NULL);
	before = time(NULL);
	c = aws_env_creds(env, before);
	after = time(NULL);
	_assert_creds(c, "imds", "ASIAFAKE0001", "fake-s3cr3t-0001", "fake-t0k3n-0001");
	ck_assert_int_ge(c->expiration, before + 3600);
	ck_assert_int_le(c->expiration, after + 3600 + COARSE_SLACK);
	ck_assert_uint_eq(
	    tu_log_find(LOG_LEVEL_INFO, "AWS credentials from imds (key ...0001", NULL), 1);
	/* One token, then the role list and the role's keys, both with it. */
	ck_assert_uint_eq(_fake_count(&_fk, TOKEN_PUT), 1);
	ck_assert_uint_eq(_fake_count(&_fk, "\"had_token\":true"), 2);
	ck_assert_uint_eq(_fake_count(&_fk, "\"had_token\":false"), 1);
	ck_assert_uint_eq(_fake_count(&_fk, ROLE_FETCH), 1);
	/* Fresh keys are served from memory. */
	ck_assert_ptr_eq(aws_env_creds(env, before + 60), c);
	ck_assert_uint_eq(_fake_count(&_fk, "\"method\""), 3);
	aws_env_destroy(env);
}
END_TEST

/* New keys exactly from AWSCRED_REFRESH_AHEAD before expiry; the token is
 * reused. */
START_TEST(test_imds_refresh_ahead)
{
	struct aws_env *env;
	const struct aws_creds *c;
	time_t exp;

	_fake_start(&_fk, "--ttl", "3600", NULL);
	_use_imds(&_fk);
	env = _env(NULL, NULL, NULL);
	c = aws_env_creds(env, time(NULL));
	_assert_creds(c, "imds", "ASIAFAKE0001", "fake-s3cr3t-0001", "fake-t0k3n-0001");
	exp = c->expiration;
	c = aws_env_creds(env, exp - AWSCRED_REFRESH_AHEAD - 1);
	_assert_creds(c, "imds", "ASIAFAKE0001", "fake-s3cr3t-0001", "fake-t0k3n-0001");
	ck_assert_uint_eq(_fake_count(&_fk, ROLE_FETCH), 1);
	c = aws_env_creds(env, exp - AWSCRED_REFRESH_AHEAD);
	_assert_creds(c, "imds", "ASIAFAKE0002", "fake-s3cr3t-0002", "fake-t0k3n-0002");
	ck_assert_int_ge(c->expiration, exp);
	ck_assert_uint_eq(_fake_count(&_fk, ROLE_FETCH), 2);
	ck_assert_uint_eq(_fake_count(&_fk, TOKEN_PUT), 1);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_DEBUG, "AWS credentials refreshed from imds",
				      "key ...0002", NULL),
			  1);
	aws_env_destroy(env);
}
END_TEST

/* Keys that live 20 s are always inside the refresh window: after a
 * success the next fetch waits AWSCRED_REFRESH_MIN, not every call. */
START_TEST(test_imds_short_ttl)
{
	struct aws_env *env;
	time_t t0 = time(NULL);

	_fake_start(&_fk, "--ttl", "20", NULL);
	_use_imds(&_fk);
	env = _env(NULL, NULL, NULL);
	_assert_creds(aws_env_creds(env, t0), "imds", "ASIAFAKE0001", "fake-s3cr3t-0001",
		      "fake-t0k3n-0001");
	_assert_creds(aws_env_creds(env, t0 + AWSCRED_REFRESH_MIN - 1), "imds", "ASIAFAKE0001",
		      "fake-s3cr3t-0001", "fake-t0k3n-0001");
	ck_assert_uint_eq(_fake_count(&_fk, ROLE_FETCH), 1);
	_assert_creds(aws_env_creds(env, t0 + AWSCRED_REFRESH_MIN), "imds", "ASIAFAKE0002",
		      "fake-s3cr3t-0002", "fake-t0k3n-0002");
	_assert_creds(aws_env_creds(env, t0 + AWSCRED_REFRESH_MIN + 1), "imds", "ASIAFAKE0002",
		      "fake-s3cr3t-0002", "fake-t0k3n-0002");
	ck_assert_uint_eq(_fake_count(&_fk, ROLE_FETCH), 2);
	aws_env_destroy(env);
}
END_TEST

/* IMDS dies: the old keys stay until they expire, a warning per attempt,
 * attempts rate-limited; then NULL and an error. */
START_TEST(test_imds_refresh_failure)
{
	struct aws_env *env;
	const struct aws_creds *c;
	time_t exp, t;
	char *refused;

	_fake_start(&_fk, "--ttl", "3600", NULL);
	_use_imds(&_fk);
	env = _env(NULL, NULL, NULL);
	c = aws_env_creds(env, time(NULL));
	_assert_creds(c, "imds", "ASIAFAKE0001", "fake-s3cr3t-0001", "fake-t0k3n-0001");
	exp = c->expiration;
	_fake_stop(&_fk);
	/* The cached token is used first: the GET is refused. */
	refused = tu_strf("GET %s/latest/meta-data/iam/security-credentials/: connection "
			  "refused",
			  _fk.endpoint);

	t = exp - AWSCRED_REFRESH_AHEAD + 1;
	_assert_creds(aws_env_creds(env, t), "imds", "ASIAFAKE0001", "fake-s3cr3t-0001",
		      "fake-t0k3n-0001");
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_WARN,
				      "refreshing AWS credentials failed, keeping those from imds "
				      "(key ...0001) until they expire at ",
				      refused, NULL),
			  1);
	_assert_creds(aws_env_creds(env, t + AWSCRED_RETRY_INTERVAL - 1), "imds", "ASIAFAKE0001",
		      "fake-s3cr3t-0001", "fake-t0k3n-0001");
	ck_assert_uint_eq(_level_count(LOG_LEVEL_WARN), 1);
	_assert_creds(aws_env_creds(env, t + AWSCRED_RETRY_INTERVAL), "imds", "ASIAFAKE0001",
		      "fake-s3cr3t-0001", "fake-t0k3n-0001");
	ck_assert_uint_eq(
	    tu_log_find(LOG_LEVEL_WARN, "refreshing AWS credentials failed", "IMDS: ", NULL), 2);
	ck_assert_uint_eq(_level_count(LOG_LEVEL_ERROR), 0);

	errno = 0;
	ck_assert_ptr_null(aws_env_creds(env, exp));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR,
				      "AWS credentials from imds (key ...0001) expired at ", NULL),
			  1);
	aws_env_destroy(env);
	free(refused);
}
END_TEST

/* A revoked token gets a 401: one new token and the request again. */
START_TEST(test_imds_token_401)
{
	struct aws_env *env;
	struct http_response resp;
	struct http_request req = {.method = "POST", .timeout = 5};
	char err[HTTP_ERR_MAX], *url;
	time_t exp;

	_fake_start(&_fk, "--ttl", "3600", NULL);
	_use_imds(&_fk);
	env = _env(NULL, NULL, NULL);
	_assert_creds(aws_env_creds(env, time(NULL)), "imds", "ASIAFAKE0001", "fake-s3cr3t-0001",
		      "fake-t0k3n-0001");
	exp = aws_env_creds(env, time(NULL))->expiration;
	url = tu_strf("%s/fake/revoke-tokens", _fk.endpoint);
	req.url = url;
	ck_assert_msg(http_perform(&req, &resp, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(resp.status, 200);
	http_response_free(&resp);
	_assert_creds(aws_env_creds(env, exp - AWSCRED_REFRESH_AHEAD), "imds", "ASIAFAKE0002",
		      "fake-s3cr3t-0002", "fake-t0k3n-0002");
	ck_assert_uint_eq(_fake_count(&_fk, TOKEN_PUT), 2);
	ck_assert_uint_eq(_fake_count(&_fk, "\"status\":401"), 1);
	ck_assert_uint_eq(_fake_count(&_fk, ROLE_FETCH), 2);
	aws_env_destroy(env);
	free(url);
}
END_TEST

START_TEST(test_imds_disabled)
{
	struct aws_env *env;

	_fake_start(&_fk, NULL);
	_use_imds(&_fk);
	setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
	env = _env(NULL, NULL, NULL);
	ck_assert_ptr_null(aws_env_creds(env, 1000));
	ck_assert_uint_eq(
	    tu_log_find(LOG_LEVEL_ERROR, "; IMDS: disabled (AWS_EC2_METADATA_DISABLED=true)", NULL),
	    1);
	ck_assert_ptr_null(aws_env_region(env));
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR,
				      "no AWS region (set AWS_REGION or the region option): IMDS: "
				      "disabled",
				      NULL),
			  1);
	aws_env_destroy(env);
	/* Not a single request reached the fake. */
	ck_assert_uint_eq(_fake_count(&_fk, "\"method\""), 0);
}
END_TEST

/* Nothing listens: one refused connection, one message naming it and the
 * URL; region and InstanceId do not knock again. */
START_TEST(test_imds_unreachable)
{
	int port = _closed_port();
	char *ep = tu_strf("http://127.0.0.1:%d", port), *msg;
	struct aws_env *env;
	char host[256] = "";

	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", ep, 1);
	env = _env(NULL, NULL, NULL);
	ck_assert_ptr_null(aws_env_creds(env, 1000));
	msg = tu_strf("; IMDS: PUT %s/latest/api/token: connection refused", ep);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR, "no AWS credentials: ", msg, NULL), 1);
	ck_assert_uint_eq(tu_log_count(), 1);
	free(msg);

	ck_assert_ptr_null(aws_env_region(env));
	msg = tu_strf("no AWS region (set AWS_REGION or the region option): IMDS: PUT "
		      "%s/latest/api/token: connection refused (not retried for %d s)",
		      ep, AWSCRED_RETRY_INTERVAL);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR, msg, NULL), 1);
	free(msg);
	ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
	ck_assert_str_eq(aws_env_instance_id(env), host);
	ck_assert_uint_eq(
	    tu_log_find(LOG_LEVEL_WARN, "InstanceId from the host name", "(not retried for", NULL),
	    1);
	ck_assert_uint_eq(tu_log_count(), 3);
	aws_env_destroy(env);
	free(ep);
}
END_TEST

/* A host that refuses the IMDSv2 token: no fallback to IMDSv1. */
START_TEST(test_imds_token_refused)
{
	struct aws_env *env;

	_fake_start(&_fk, "--fail-token", NULL);
	_use_imds(&_fk);
	env = _env(NULL, NULL, NULL);
	ck_assert_ptr_null(aws_env_creds(env, 1000));
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR,
				      "; IMDS: the IMDSv2 token request got HTTP 403 (IMDSv1 is "
				      "not used)",
				      NULL),
			  1);
	/* Nor is the token asked for again by the region lookup. */
	ck_assert_ptr_null(aws_env_region(env));
	ck_assert_uint_eq(
	    tu_log_find(LOG_LEVEL_ERROR,
			"no AWS region (set AWS_REGION or the region option): IMDS: the "
			"IMDSv2 token request got HTTP 403 (IMDSv1 is not used) (not "
			"retried for 60 s)",
			NULL),
	    1);
	ck_assert_uint_eq(_fake_count(&_fk, TOKEN_PUT), 1);
	ck_assert_uint_eq(_fake_count(&_fk, "\"method\":\"GET\""), 0);
	aws_env_destroy(env);
}
END_TEST

START_TEST(test_imds_no_role)
{
	struct aws_env *env;

	_fake_start(&_fk, "--no-role", NULL);
	_use_imds(&_fk);
	env = _env(NULL, NULL, NULL);
	ck_assert_ptr_null(aws_env_creds(env, 1000));
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR,
				      "; IMDS: GET /latest/meta-data/iam/security-credentials/: "
				      "HTTP 404; no IAM role attached to the instance",
				      NULL),
			  1);
	aws_env_destroy(env);
}
END_TEST

/* ------------------------------------------------- region, InstanceId -- */

START_TEST(test_region_order)
{
	struct aws_env *env;

	setenv("AWS_REGION", "us-east-1", 1);
	setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
	env = _env("us-east-2", NULL, NULL);
	ck_assert_str_eq(aws_env_region(env), "us-east-1");
	aws_env_destroy(env);

	unsetenv("AWS_REGION");
	env = _env("us-east-2", NULL, NULL);
	ck_assert_str_eq(aws_env_region(env), "us-west-1");
	aws_env_destroy(env);

	unsetenv("AWS_DEFAULT_REGION");
	env = _env("us-east-2", NULL, NULL);
	ck_assert_str_eq(aws_env_region(env), "us-east-2");
	aws_env_destroy(env);

	_fake_start(&_fk, "--region", "ap-southeast-2", NULL);
	_use_imds(&_fk);
	env = _env(NULL, NULL, NULL);
	ck_assert_str_eq(aws_env_region(env), "ap-southeast-2");
	ck_assert_str_eq(aws_env_region(env), "ap-southeast-2");
	ck_assert_uint_eq(_fake_count(&_fk, "\"path\":\"/latest/meta-data/placement/region\""), 1);
	aws_env_destroy(env);
	ck_assert_uint_eq(tu_log_count(), 0);
}
END_TEST

START_TEST(test_region_none_or_bad)
{
	struct aws_env *env = _env(NULL, NULL, NULL);

	ck_assert_ptr_null(aws_env_region(env));
	ck_assert_ptr_null(aws_env_region(env));
	ck_assert_uint_eq(_level_count(LOG_LEVEL_ERROR), 1);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_DEBUG, "no AWS region: IMDS: disabled", NULL), 1);
	aws_env_destroy(env);

	tu_log_clear();
	setenv("AWS_REGION", "us-east-1.evil.example/", 1);
	env = _env(NULL, NULL, NULL);
	ck_assert_ptr_null(aws_env_region(env));
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_ERROR,
				      "AWS region 'us-east-1.evil.example/' is not a region name",
				      NULL),
			  1);
	aws_env_destroy(env);
}
END_TEST

START_TEST(test_instance_id)
{
	struct aws_env *env;
	char host[256] = "";

	env = _env(NULL, NULL, "i-configured");
	ck_assert_str_eq(aws_env_instance_id(env), "i-configured");
	aws_env_destroy(env);

	/* IMDS disabled: the host name, with one warning for any number of calls. */
	ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
	env = _env(NULL, NULL, NULL);
	ck_assert_str_eq(aws_env_instance_id(env), host);
	ck_assert_str_eq(aws_env_instance_id(env), host);
	ck_assert_uint_eq(tu_log_count(), 1);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_WARN, "InstanceId from the host name '", host,
				      "': IMDS: disabled (AWS_EC2_METADATA_DISABLED=true)", NULL),
			  1);
	aws_env_destroy(env);

	tu_log_clear();
	_fake_start(&_fk, "--instance-id", "i-0fa4e0000000000ab", NULL);
	_use_imds(&_fk);
	env = _env(NULL, NULL, NULL);
	ck_assert_str_eq(aws_env_instance_id(env), "i-0fa4e0000000000ab");
	ck_assert_str_eq(aws_env_instance_id(env), "i-0fa4e0000000000ab");
	ck_assert_uint_eq(_fake_count(&_fk, "\"path\":\"/latest/meta-data/instance-id\""), 1);
	/* The same token serves every metadata request of this env. */
	ck_assert_str_eq(aws_env_region(env), "eu-north-1");
	ck_assert_uint_eq(_fake_count(&_fk, TOKEN_PUT), 1);
	ck_assert_uint_eq(tu_log_count(), 0);
	aws_env_destroy(env);
}
END_TEST

/* ---------------------------------------------------------------- misc -- */

START_TEST(test_clear_and_null)
{
	struct aws_creds c = {0};

	aws_creds_clear(NULL);
	aws_creds_clear(&c);
	c.access_key = strdup("AKIAENVX");
	c.secret_key = strdup("x-s3cr3t");
	c.expiration = 5;
	c.source = "environment";
	aws_creds_clear(&c);
	ck_assert_ptr_null(c.access_key);
	ck_assert_ptr_null(c.secret_key);
	ck_assert_int_eq(c.expiration, 0);
	ck_assert_ptr_null(c.source);
	aws_env_destroy(NULL);
	errno = 0;
	ck_assert_ptr_null(aws_env_creds(NULL, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(aws_env_region(NULL));
	ck_assert_str_eq(aws_env_instance_id(NULL), "unknown");
	/* A NULL config is no config. */
	aws_env_destroy(aws_env_create(NULL));
}
END_TEST

static TCase *_tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *_suite(void)
{
	Suite *s = suite_create("awscred");
	TCase *tc;

	tc = _tcase(s, "environment");
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_env_partial);

	tc = _tcase(s, "shared_file");
	tcase_add_test(tc, test_file_profiles);
	tcase_add_test(tc, test_file_home);
	tcase_add_test(tc, test_file_skipped_or_broken);

	tc = _tcase(s, "precedence");
	tcase_add_test(tc, test_precedence);

	tc = _tcase(s, "container");
	tcase_add_test(tc, test_container);
	tcase_add_test(tc, test_container_token_file);
	tcase_add_test(tc, test_container_refused);
	tcase_add_test(tc, test_container_full_uri_host);
	tcase_add_test(tc, test_container_url_table);
	tcase_add_test(tc, test_container_full_uri_lookalike);

	tc = _tcase(s, "imds");
	tcase_add_test(tc, test_imds_role);
	tcase_add_test(tc, test_imds_refresh_ahead);
	tcase_add_test(tc, test_imds_short_ttl);
	tcase_add_test(tc, test_imds_refresh_failure);
	tcase_add_test(tc, test_imds_token_401);
	tcase_add_test(tc, test_imds_disabled);
	tcase_add_test(tc, test_imds_unreachable);
	tcase_add_test(tc, test_imds_token_refused);
	tcase_add_test(tc, test_imds_no_role);

	tc = _tcase(s, "region_instance");
	tcase_add_test(tc, test_region_order);
	tcase_add_test(tc, test_region_none_or_bad);
	tcase_add_test(tc, test_instance_id);

	tc = _tcase(s, "misc");
	tcase_add_test(tc, test_clear_and_null);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}

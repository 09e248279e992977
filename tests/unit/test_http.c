/*
 * test_http.c - one bounded request against servers on 127.0.0.1 run by
 * the test itself (a forked child answering canned bytes): status, body
 * and the x-amzn-query-error header; what is sent; bodies at and over
 * HTTP_BODY_MAX; a server that never answers, a refused port, redirects
 * not followed, proxies bypassed for loopback only, bad requests, and
 * error texts that name the URL without user info, query or headers.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "testutil.h"

static char *_dir;

static void _setup(void)
{
	_dir = tu_mkdtemp("http");
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	ck_assert_int_eq(http_global_init(), 0);
	ck_assert_int_eq(http_global_init(), 0);
}

static void _teardown(void)
{
	tu_rm_rf(_dir);
	free(_dir);
	_dir = NULL;
}

/* ------------------------------------------------------------ servers -- */

/* A listening socket on 127.0.0.1:0; its port in *port. */
static int _listen(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A port nothing listens on (bound, then closed). */
static int _closed_port(void)
{
	int port, fd = _listen(&port);

	close(fd);
	return port;
}

/* Read one request (headers and a Content-Length body) from 'c'. */
static void _read_request(int c, FILE *log)
{
	char buf[65536];
	size_t len = 0;
	char *end = NULL;
	long clen = 0;
	const char *cl;

	while (len < sizeof(buf) - 1) {
		ssize_t n = read(c, buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		cl = strcasestr(buf, "\r\nContent-Length:");
		clen = cl && cl < end ? strtol(cl + 17, NULL, 10) : 0;
		if (len >= (size_t)(end + 4 - buf) + (size_t)clen)
			break;
	}
	buf[len] = '\0';
	if (log) {
		fprintf(log, "%s\n--END--\n", buf);
		fflush(log);
	}
}

/*
 * Fork a server that answers 'n' connections on 'lfd', each with
 * 'resp' (len bytes) after reading the request, and appends each request
 * to 'reqlog' (may be NULL). Returns its pid.
 */
static pid_t _serve(int lfd, const char *resp, size_t len, int n, const char *reqlog)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		FILE *log = reqlog ? fopen(reqlog, "a") : NULL;

		signal(SIGPIPE, SIG_IGN);
		for (int i = 0; i < n; i++) {
			int c = accept(lfd, NULL, NULL);
			size_t off = 0;

			if (c < 0)
				_exit(1);
			_read_request(c, log);
			while (off < len) {
				ssize_t w = write(c, resp + off, len - off);

				if (w <= 0)
					break;
				off += (size_t)w;
			}
			shutdown(c, SHUT_WR);
			close(c);
		}
		_exit(0);
	}
	return pid;
}

static void _reap(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static struct http_request _get(const char *url)
{
	struct http_request r = {.method = "GET", .url = url, .timeout = 5.0};

	return r;
}

/* -------------------------------------------------------------- basics -- */

START_TEST(test_status_body_query_error)
{
	static const char resp_text[] = "HTTP/1.1 400 Bad Request\r\n"
					"Content-Length: 5\r\n"
					"X-Amzn-Query-Error:  Throttling;Sender \r\n"
					"\r\n"
					"hello";
	const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded", "X-Test: one",
			      NULL};
	struct http_response resp;
	char err[HTTP_ERR_MAX] = "", *url, *reqlog = tu_strf("%s/req", _dir), *got;
	int port, lfd = _listen(&port);
	pid_t pid = _serve(lfd, resp_text, sizeof(resp_text) - 1, 1, reqlog);
	struct http_request req;

	url = tu_strf("http://127.0.0.1:%d/p/q?Action=PutMetricData", port);
	req = _get(url);
	req.method = "POST";
	req.headers = hdrs;
	req.body = "a=b&c=d";
	req.body_len = 7;
	ck_assert_msg(http_perform(&req, &resp, err, sizeof(err)) == 0, "%s", err);
	_reap(pid);
	ck_assert_int_eq(resp.status, 400);
	ck_assert_uint_eq(resp.body_len, 5);
	ck_assert_str_eq(resp.body, "hello");
	ck_assert_ptr_nonnull(resp.query_error);
	ck_assert_str_eq(resp.query_error, "Throttling;Sender");
	http_response_free(&resp);
	ck_assert_ptr_null(resp.body);
	ck_assert_ptr_null(resp.query_error);
	http_response_free(&resp); /* twice is harmless */

	got = tu_read_file(reqlog);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strncmp(got, "POST /p/q?Action=PutMetricData HTTP/1.1\r\n", 41) == 0, "%s",
		      got);
	ck_assert_uint_eq(tu_count_substr(got, "\r\nX-Test: one\r\n"), 1);
	ck_assert_uint_eq(tu_count_substr(got, "\r\nContent-Length: 7\r\n"), 1);
	ck_assert_uint_eq(tu_count_substr(got, "\r\n\r\na=b&c=d\n--END--"), 1);
	ck_assert_uint_eq(tu_count_substr(got, "Expect:"), 0);
	ck_assert_uint_eq(tu_count_substr(got, "User-Agent: efa-monitor/"), 1);
	free(got);
	free(url);
	free(reqlog);
	close(lfd);
}
END_TEST

START_TEST(test_put_empty_and_no_query_error)
{
	static const char resp_text[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	const char *hdrs[] = {"X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL};
	struct http_response resp;
	char err[HTTP_ERR_MAX], *url, *reqlog = tu_strf("%s/req", _dir), *got;
	int port, lfd = _listen(&port);
	pid_t pid = _serve(lfd, resp_text, sizeof(resp_text) - 1, 1, reqlog);
	struct http_request req;

	url = tu_strf("http://127.0.0.1:%d/latest/api/token", port);
	req = _get(url);
	req.method = "PUT";
	req.headers = hdrs;
	ck_assert_msg(http_perform(&req, &resp, err, sizeof(err)) == 0, "%s", err);
	_reap(pid);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_uint_eq(resp.body_len, 0);
	ck_assert_str_eq(resp.body, "");
	ck_assert_ptr_null(resp.query_error);
	http_response_free(&resp);
	got = tu_read_file(reqlog);
	ck_assert_msg(strncmp(got, "PUT /latest/api/token HTTP/1.1\r\n", 32) == 0, "%s", got);
	ck_assert_uint_eq(
	    tu_count_substr(got, "\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600\r\n"), 1);
	ck_assert_uint_eq(tu_count_substr(got, "\r\nContent-Length: 0\r\n"), 1);
	free(got);
	free(url);
	free(reqlog);
	close(lfd);
}
END_TEST

START_TEST(test_redirect_not_followed)
{
	struct http_response resp;
	char err[HTTP_ERR_MAX], *url, *resp_text, *reqlog = tu_strf("%s/req", _dir), *got;
	int port, lfd = _listen(&port);
	pid_t pid;
	struct http_request req;

	/* It redirects to itself: a follower would come back for more. */
	resp_text = tu_strf("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/next\r\n"
			    "Content-Length: 0\r\n\r\n",
			    port);
	pid = _serve(lfd, resp_text, strlen(resp_text), 1, reqlog);
	url = tu_strf("http://127.0.0.1:%d/first", port);
	req = _get(url);
	ck_assert_msg(http_perform(&req, &resp, err, sizeof(err)) == 0, "%s", err);
	_reap(pid);
	ck_assert_int_eq(resp.status, 302);
	http_response_free(&resp);
	got = tu_read_file(reqlog);
	ck_assert_uint_eq(tu_count_substr(got, "--END--"), 1);
	ck_assert_uint_eq(tu_count_substr(got, "GET /first "), 1);
	free(got);
	free(resp_text);
	free(url);
	free(reqlog);
	close(lfd);
}
END_TEST

/* ---------------------------------------------------------- body size -- */

/* A 200 response with 'n' body bytes of 'x'; with or without a length. */
static char *_big_response(size_t n, bool with_length, size_t *len)
{
	char head[128];
	int hl =
	    with_length
		? snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n)
		: snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
	char *r = malloc((size_t)hl + n);

	ck_assert_ptr_nonnull(r);
	memcpy(r, head, (size_t)hl);
	memset(r + hl, 'x', n);
	*len = (size_t)hl + n;
	return r;
}

START_TEST(test_body_at_max)
{
	struct http_response resp;
	char err[HTTP_ERR_MAX], *url;
	size_t len;
	char *big = _big_response(HTTP_BODY_MAX, _i == 0, &len);
	int port, lfd = _listen(&port);
	pid_t pid = _serve(lfd, big, len, 1, NULL);
	struct http_request req;

	url = tu_strf("http://127.0.0.1:%d/big", port);
	req = _get(url);
	ck_assert_msg(http_perform(&req, &resp, err, sizeof(err)) == 0, "%s", err);
	_reap(pid);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_uint_eq(resp.body_len, HTTP_BODY_MAX);
	ck_assert_uint_eq(strlen(resp.body), HTTP_BODY_MAX);
	ck_assert_uint_eq(strspn(resp.body, "x"), HTTP_BODY_MAX);
	http_response_free(&resp);
	free(big);
	free(url);
	close(lfd);
}
END_TEST

/* _i == 0: Content-Length announces it; 1: the body just keeps coming. */
START_TEST(test_body_over_max)
{
	struct http_response resp;
	char err[HTTP_ERR_MAX] = "", *url, *want;
	size_t len;
	char *big = _big_response(HTTP_BODY_MAX + 1 + (_i ? 100000 : 0), _i == 0, &len);
	int port, lfd = _listen(&port);
	pid_t pid = _serve(lfd, big, len, 1, NULL);
	struct http_request req;

	url = tu_strf("http://127.0.0.1:%d/big", port);
	req = _get(url);
	errno = 0;
	ck_assert_int_eq(http_perform(&req, &resp, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EFBIG);
	_reap(pid);
	want = tu_strf("GET %s: response body over 262144 bytes: transfer aborted", url);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_ptr_null(resp.body);
	ck_assert_uint_eq(resp.body_len, 0);
	http_response_free(&resp);
	free(want);
	free(big);
	free(url);
	close(lfd);
}
END_TEST

/* ------------------------------------------------------------- failures -- */

/* A listener that never accepts: the kernel completes the handshake, and
 * then nothing ever answers. */
START_TEST(test_timeout)
{
	struct http_response resp;
	char err[HTTP_ERR_MAX] = "", *url, *want;
	int port, lfd = _listen(&port);
	struct http_request req;

	url = tu_strf("http://127.0.0.1:%d/slow", port);
	req = _get(url);
	req.timeout = 0.5;
	errno = 0;
	ck_assert_int_eq(http_perform(&req, &resp, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	want = tu_strf("GET %s: timed out after 0.5 s waiting for the response", url);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(resp.status, 0);
	ck_assert_ptr_null(resp.body);
	free(want);
	free(url);
	close(lfd);
}
END_TEST

START_TEST(test_refused)
{
	const char *hdrs[] = {"Authorization: Bearer hdr-s3cr3t", NULL};
	struct http_response resp;
	char err[HTTP_ERR_MAX] = "", *url, *want;
	int port = _closed_port();
	struct http_request req;

	url = tu_strf("http://127.0.0.1:%d/x", port);
	req = _get(url);
	req.headers = hdrs;
	ck_assert_int_eq(http_perform(&req, &resp, err, sizeof(err)), -1);
	want = tu_strf("GET %s: connection refused", url);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(strstr(err, "s3cr3t"));
	ck_assert_int_eq(resp.status, 0);
	free(want);
	free(url);
}
END_TEST

/* User info, query and fragment never reach a message. */
START_TEST(test_redaction)
{
	struct http_response resp;
	char out[HTTP_ERR_MAX], err[HTTP_ERR_MAX] = "", *url, *want;
	int port = _closed_port();
	struct http_request req;

	http_url_redact("https://user:pw@example.com:8443/a/b?X-Amz-Signature=abc#frag", out,
			sizeof(out));
	ck_assert_str_eq(out, "https://example.com:8443/a/b");
	http_url_redact("http://169.254.169.254", out, sizeof(out));
	ck_assert_str_eq(out, "http://169.254.169.254/");
	http_url_redact("not a url", out, sizeof(out));
	ck_assert_str_eq(out, "(unparsable URL)");
	http_url_redact(NULL, out, sizeof(out));
	ck_assert_str_eq(out, "(unparsable URL)");

	url = tu_strf("http://user:pw-s3cr3t@127.0.0.1:%d/path?sig=q-s3cr3t", port);
	req = _get(url);
	ck_assert_int_eq(http_perform(&req, &resp, err, sizeof(err)), -1);
	want = tu_strf("GET http://127.0.0.1:%d/path: connection refused", port);
	ck_assert_str_eq(err, want);
	free(want);
	free(url);
}
END_TEST

/* A proxy from the environment serves remote hosts, never loopback. */
START_TEST(test_proxy_bypassed_for_local)
{
	static const char resp_text[] = "HTTP/1.1 204 No Content\r\n\r\n";
	struct http_response resp;
	char err[HTTP_ERR_MAX] = "", *url, *proxy;
	int port, lfd = _listen(&port);
	int pport = _closed_port();
	pid_t pid = _serve(lfd, resp_text, sizeof(resp_text) - 1, 1, NULL);
	struct http_request req;

	proxy = tu_strf("http://127.0.0.1:%d", pport);
	setenv("http_proxy", proxy, 1);
	url = tu_strf("http://127.0.0.1:%d/", port);
	req = _get(url);
	ck_assert_msg(http_perform(&req, &resp, err, sizeof(err)) == 0, "%s", err);
	_reap(pid);
	ck_assert_int_eq(resp.status, 204);
	http_response_free(&resp);
	free(url);
	/* A remote name goes to the (dead) proxy: refused, not a DNS error. */
	req = _get("http://cloudwatch.example.invalid/");
	ck_assert_int_eq(http_perform(&req, &resp, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "GET http://cloudwatch.example.invalid/: connection refused");
	free(proxy);
	close(lfd);
}
END_TEST

START_TEST(test_bad_requests)
{
	const char *bad_hdrs[] = {"X-Ok: 1", "X-Inject: hdr-s3cr3t\r\nHost: evil", NULL};
	struct http_response resp;
	char err[HTTP_ERR_MAX];
	struct http_request req = _get("file:///etc/passwd");

	errno = 0;
	ck_assert_int_eq(http_perform(&req, &resp, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(err, "GET file:///etc/passwd: unsupported protocol (only http and https)");

	req = _get(NULL);
	ck_assert_int_eq(http_perform(&req, &resp, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "GET (unparsable URL): malformed URL");

	req = _get("http://127.0.0.1:9/");
	req.timeout = 0;
	errno = 0;
	ck_assert_int_eq(http_perform(&req, &resp, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(err, "GET http://127.0.0.1:9/: bad timeout");

	req = _get("http://127.0.0.1:9/");
	req.method = NULL;
	ck_assert_int_eq(http_perform(&req, &resp, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "? http://127.0.0.1:9/: bad method");

	req = _get("http://127.0.0.1:9/");
	req.headers = bad_hdrs;
	errno = 0;
	ck_assert_int_eq(http_perform(&req, &resp, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(err, "GET http://127.0.0.1:9/: header 1 holds a line break");
	ck_assert_int_eq(resp.status, 0);
	ck_assert_ptr_null(resp.body);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc;

	tc = tcase_create("response");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_status_body_query_error);
	tcase_add_test(tc, test_put_empty_and_no_query_error);
	tcase_add_test(tc, test_redirect_not_followed);
	suite_add_tcase(s, tc);

	tc = tcase_create("body_size");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_body_at_max, 0, 2);
	tcase_add_loop_test(tc, test_body_over_max, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_redaction);
	tcase_add_test(tc, test_proxy_bypassed_for_local);
	tcase_add_test(tc, test_bad_requests);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}

/*
 * test_channel.c - keys, the signed framing (a known HMAC, and every way a
 * message can be wrong) and the TCP channel on 127.0.0.1: send and
 * collect, several senders, wrong job or key, garbage and silent peers,
 * deadlines, refused connections and a listener that never reads.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"
#include "channel.h"
#include "testutil.h"

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
/* HMAC-SHA256(KEY_A, "abc"), from Python's hmac module. */
#define MAC_ABC "f0133729c4163dede81e21cd47839256da58171238c8a0d874397c73b14e1e47"

/* ---------------------------------------------------------- keys -- */

START_TEST(test_key_generate)
{
	char a[CHANNEL_KEY_HEX], b[CHANNEL_KEY_HEX];

	errno = 0;
	ck_assert_int_eq(channel_key_generate(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(channel_key_generate(a), 0);
	ck_assert_int_eq(channel_key_generate(b), 0);
	ck_assert_uint_eq(strlen(a), 64);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 64);
	ck_assert_uint_eq(strspn(b, "0123456789abcdef"), 64);
	ck_assert_str_ne(a, b);
}
END_TEST

/* ------------------------------------------------------- framing -- */

START_TEST(test_frame_known_answer)
{
	size_t len = 0, off = 0, plen = 0;
	char err[256] = "x";
	char *msg = channel_frame(KEY_A, "abc", 3, &len);

	ck_assert_ptr_nonnull(msg);
	ck_assert_str_eq(msg, "EFAM1 " MAC_ABC " 3\nabc");
	ck_assert_uint_eq(len, strlen(msg));
	ck_assert_int_eq(channel_verify(KEY_A, msg, len, &off, &plen, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, len - 3);
	ck_assert_uint_eq(plen, 3);
	free(msg);
	/* Upper-case hex in the key is the same key. */
	msg = channel_frame("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
			    "abc", 3, &len);
	ck_assert_ptr_nonnull(msg);
	ck_assert_str_eq(msg, "EFAM1 " MAC_ABC " 3\nabc");
	free(msg);
}
END_TEST

START_TEST(test_frame_bad_input)
{
	size_t len;
	char *big;

	errno = 0;
	ck_assert_ptr_null(channel_frame(NULL, "abc", 3, &len));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(channel_frame("0011", "abc", 3, &len));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(channel_frame(KEY_A "00", "abc", 3, &len));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(channel_frame(
	    "g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "abc", 3, &len));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(channel_frame(KEY_A, NULL, 3, &len));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(channel_frame(KEY_A, "abc", 3, NULL));
	ck_assert_int_eq(errno, EINVAL);
	big = calloc(1, CHANNEL_MAX_PAYLOAD + 1);
	ck_assert_ptr_nonnull(big);
	errno = 0;
	ck_assert_ptr_null(channel_frame(KEY_A, big, CHANNEL_MAX_PAYLOAD + 1, &len));
	ck_assert_int_eq(errno, EMSGSIZE);
	/* The largest payload is fine. */
	char *msg = channel_frame(KEY_A, big, CHANNEL_MAX_PAYLOAD, &len);
	ck_assert_ptr_nonnull(msg);
	ck_assert_int_eq(channel_verify(KEY_A, msg, len, NULL, NULL, NULL, 0), 0);
	free(msg);
	free(big);
	/* An empty payload frames and verifies. */
	msg = channel_frame(KEY_A, NULL, 0, &len);
	ck_assert_ptr_nonnull(msg);
	ck_assert_int_eq(channel_verify(KEY_A, msg, len, NULL, NULL, NULL, 0), 0);
	free(msg);
}
END_TEST

/* 'msg' (NUL-terminated, of 'len') must fail verification with 'want'. */
static void _verify_fails(const char *key, const char *msg, size_t len, const char *want)
{
	char err[256] = "";
	size_t off = 12345, plen = 6789;

	ck_assert_msg(channel_verify(key, msg, len, &off, &plen, err, sizeof(err)) == -1,
		      "accepted: %.100s", msg);
	ck_assert_msg(strstr(err, want) != NULL, "error '%s' lacks '%s'", err, want);
	ck_assert_uint_eq(off, 12345);
	ck_assert_uint_eq(plen, 6789);
}

START_TEST(test_verify_rejects)
{
	const char *payload = "{\"node\":\"n1\"}";
	size_t len;
	char *msg = channel_frame(KEY_A, payload, strlen(payload), &len);
	char *copy, *text;

	ck_assert_ptr_nonnull(msg);
	_verify_fails(KEY_B, msg, len, "bad signature");
	_verify_fails("0011", msg, len, "malformed key");
	_verify_fails(NULL, msg, len, "malformed key");

	copy = strdup(msg);
	ck_assert_ptr_nonnull(copy);
	copy[len - 3] ^= 0x01; /* a payload byte */
	_verify_fails(KEY_A, copy, len, "bad signature");
	strcpy(copy, msg);
	copy[10] = copy[10] == '0' ? '1' : '0'; /* a signature digit */
	_verify_fails(KEY_A, copy, len, "bad signature");
	strcpy(copy, msg);
	copy[10] = 'g';
	_verify_fails(KEY_A, copy, len, "not 64 hex digits");
	strcpy(copy, msg);
	copy[4] = '2';
	_verify_fails(KEY_A, copy, len, "bad magic");
	free(copy);

	_verify_fails(KEY_A, msg, len - 1,
		      "length mismatch: the header says 13 bytes, the "
		      "payload has 12");
	_verify_fails(KEY_A, msg, 40, "truncated header");
	_verify_fails(KEY_A, msg, 3, "bad magic");
	_verify_fails(KEY_A, msg, 0, "bad magic");
	_verify_fails(KEY_A, NULL, 0, "bad magic");
	text = tu_strf("%s!", msg);
	_verify_fails(KEY_A, text, len + 1, "length mismatch");
	free(text);

	/* Header forms. */
	text = tu_strf("EFAM1 %s 1048577\n", MAC_ABC);
	_verify_fails(KEY_A, text, strlen(text), "payload length 1048577 above the limit");
	free(text);
	text = tu_strf("EFAM1 %s 99999999999999999999\nabc", MAC_ABC);
	_verify_fails(KEY_A, text, strlen(text), "above the limit");
	free(text);
	text = tu_strf("EFAM1 %s 03\nabc", MAC_ABC);
	_verify_fails(KEY_A, text, strlen(text), "leading zero");
	free(text);
	text = tu_strf("EFAM1 %s +3\nabc", MAC_ABC);
	_verify_fails(KEY_A, text, strlen(text), "no payload length");
	free(text);
	text = tu_strf("EFAM1 %s 3 \nabc", MAC_ABC);
	_verify_fails(KEY_A, text, strlen(text), "no newline after the payload length");
	free(text);
	text = tu_strf("EFAM1 %s  3\nabc", MAC_ABC);
	_verify_fails(KEY_A, text, strlen(text), "no payload length");
	free(text);
	text = tu_strf("EFAM1 %sx3\nabc", MAC_ABC);
	_verify_fails(KEY_A, text, strlen(text), "no space after the signature");
	free(text);
	text = tu_strf("EFAM1 %s 3", MAC_ABC);
	_verify_fails(KEY_A, text, strlen(text), "truncated header");
	free(text);
	text = tu_strf("efam1 %s 3\nabc", MAC_ABC);
	_verify_fails(KEY_A, text, strlen(text), "bad magic");
	free(text);
	/* The original still verifies, and with a NULL err buffer too. */
	ck_assert_int_eq(channel_verify(KEY_A, msg, len, NULL, NULL, NULL, 0), 0);
	ck_assert_int_eq(channel_verify(KEY_B, msg, len, NULL, NULL, NULL, 0), -1);
	free(msg);
}
END_TEST

/* ------------------------------------------------------- network -- */

#define MAX_GOT 16

struct got {
	struct node_report *reports[MAX_GOT];
	size_t n;
	char why[MAX_GOT][512];
	size_t nwhy;
	size_t calls;	/* every rejection, kept or not */
	char last[512]; /* the last rejection */
};

static bool _deliver(struct node_report *r, void *arg)
{
	struct got *g = arg;

	if (g->n < MAX_GOT)
		g->reports[g->n++] = r;
	else
		node_report_destroy(r);
	return true;
}

static void _reject(const char *why, void *arg)
{
	struct got *g = arg;

	g->calls++;
	snprintf(g->last, sizeof(g->last), "%s", why);
	if (g->nwhy < MAX_GOT)
		snprintf(g->why[g->nwhy++], sizeof(g->why[0]), "%s", why);
}

static void _got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		node_report_destroy(g->reports[i]);
	g->n = 0;
}

static struct channel_listener *_l;
static uint16_t _port;
static char _addr[64];
static struct got _got;

static void _net_setup(void)
{
	tu_log_capture();
	memset(&_got, 0, sizeof(_got));
	_l = channel_listen("127.0.0.1", &_port);
	ck_assert_msg(_l != NULL, "channel_listen: %s", strerror(errno));
	ck_assert_uint_gt(_port, 0);
	snprintf(_addr, sizeof(_addr), "127.0.0.1:%u", (unsigned)_port);
}

static void _net_teardown(void)
{
	channel_listener_close(_l);
	_l = NULL;
	_got_free(&_got);
	tu_log_restore();
}

/* A small OK report of node 'node', job 42 step 'step'. */
static struct node_report *_report(const char *node, const char *job, const char *step)
{
	struct node_report *r = node_report_create();

	ck_assert_ptr_nonnull(r);
	snprintf(r->node, sizeof(r->node), "%s", node);
	snprintf(r->job_id, sizeof(r->job_id), "%s", job);
	snprintf(r->step_id, sizeof(r->step_id), "%s", step);
	r->start_ns = 1000;
	r->end_ns = 2000;
	r->nifaces = 1;
	r->ifaces = calloc(1, sizeof(*r->ifaces));
	ck_assert_ptr_nonnull(r->ifaces);
	strcpy(r->ifaces[0].name, "rdmap16s27");
	r->ifaces[0].has = 1u << METRIC_TX_BYTES;
	r->ifaces[0].start[METRIC_TX_BYTES] = 18446744073709551000ull;
	r->ifaces[0].end[METRIC_TX_BYTES] = 18446744073709551615ull;
	r->ifaces[0].total[METRIC_TX_BYTES] = 615;
	return r;
}

static void _send(const char *key, const struct node_report *r)
{
	char err[256] = "";

	ck_assert_msg(channel_send(_addr, key, r, 2000, err, sizeof(err)) == 0, "send: %s", err);
	ck_assert_str_eq(err, "");
}

static size_t _collect(const char *key, const char *step, size_t expected, int ms)
{
	return channel_collect(_l, key, "42", step, expected, channel_now_ms() + (uint64_t)ms,
			       _deliver, _reject, &_got);
}

/* A plain blocking connection to the listener. */
static int _raw_connect(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(_port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void _raw_send(const char *data, size_t len)
{
	int fd = _raw_connect();

	ck_assert_int_eq(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

START_TEST(test_listen_bad_args)
{
	uint16_t port = 0;
	struct channel_listener *l;

	errno = 0;
	ck_assert_ptr_null(channel_listen("not-an-address", &port));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(channel_listen("::1", &port));
	ck_assert_int_eq(errno, EINVAL);
	/* All addresses. */
	l = channel_listen(NULL, &port);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_gt(port, 0);
	channel_listener_close(l);
	channel_listener_close(NULL);
	ck_assert_uint_eq(channel_collect(NULL, KEY_A, "42", "0", 1, 0, _deliver, _reject, &_got),
			  0);
}
END_TEST

START_TEST(test_send_collect)
{
	struct node_report *r = _report("n1", "42", "0");
	char *a, *b;

	_send(KEY_A, r);
	ck_assert_uint_eq(_collect(KEY_A, "0", 1, 5000), 1);
	ck_assert_uint_eq(_got.n, 1);
	ck_assert_uint_eq(_got.nwhy, 0);
	ck_assert_str_eq(_got.reports[0]->node, "n1");
	ck_assert_uint_eq(_got.reports[0]->ifaces[0].start[METRIC_TX_BYTES],
			  18446744073709551000ull);
	a = node_report_to_json(r);
	b = node_report_to_json(_got.reports[0]);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	node_report_destroy(r);
}
END_TEST

START_TEST(test_collect_expected_zero)
{
	struct node_report *r = _report("n1", "42", "0");

	_send(KEY_A, r);
	ck_assert_uint_eq(_collect(KEY_A, "0", 0, 5000), 0);
	ck_assert_uint_eq(_got.n, 0);
	/* Still queued for the next collect. */
	ck_assert_uint_eq(_collect(KEY_A, "0", 1, 5000), 1);
	node_report_destroy(r);
}
END_TEST

START_TEST(test_wrong_job_rejected)
{
	struct node_report *r = _report("n1", "43", "0");
	char want[64];

	_send(KEY_A, r);
	ck_assert_uint_eq(_collect(KEY_A, "0", 1, 500), 0);
	ck_assert_uint_eq(_got.n, 0);
	ck_assert_uint_eq(_got.nwhy, 1);
	snprintf(want, sizeof(want), "from 127.0.0.1:");
	ck_assert_msg(strncmp(_got.why[0], want, strlen(want)) == 0, "%s", _got.why[0]);
	ck_assert_msg(strstr(_got.why[0], "(node n1): job 43, expected 42"), "%s", _got.why[0]);
	node_report_destroy(r);
}
END_TEST

START_TEST(test_step_checked)
{
	struct node_report *r1 = _report("n1", "42", "1"), *r2 = _report("n2", "42", "0");

	_send(KEY_A, r1);
	_send(KEY_A, r2);
	ck_assert_uint_eq(_collect(KEY_A, "0", 1, 5000), 1);
	ck_assert_uint_eq(_got.nwhy, 1);
	ck_assert_msg(strstr(_got.why[0], "(node n1): step 1, expected 0"), "%s", _got.why[0]);
	ck_assert_str_eq(_got.reports[0]->node, "n2");
	/* A NULL step takes any step of the job. */
	_send(KEY_A, r1);
	ck_assert_uint_eq(_collect(KEY_A, NULL, 1, 5000), 1);
	ck_assert_str_eq(_got.reports[1]->step_id, "1");
	node_report_destroy(r1);
	node_report_destroy(r2);
}
END_TEST

START_TEST(test_wrong_key_rejected)
{
	struct node_report *r = _report("n1", "42", "0");

	_send(KEY_B, r);
	_send(KEY_A, r);
	/* The bad one first, then the good one. */
	ck_assert_uint_eq(_collect(KEY_A, "0", 1, 5000), 1);
	ck_assert_uint_eq(_got.nwhy, 1);
	ck_assert_msg(strstr(_got.why[0], ": bad signature"), "%s", _got.why[0]);
	ck_assert_msg(strncmp(_got.why[0], "from 127.0.0.1:", 15) == 0, "%s", _got.why[0]);
	/* A malformed collect key rejects once and delivers nothing. */
	_send(KEY_A, r);
	ck_assert_uint_eq(_collect("nope", "0", 1, 5000), 0);
	ck_assert_uint_eq(_got.nwhy, 2);
	ck_assert_str_eq(_got.why[1], "malformed key");
	node_report_destroy(r);
}
END_TEST

/* Three processes send at once; all three arrive. */
START_TEST(test_three_senders)
{
	pid_t pids[3];
	int found = 0;

	for (int i = 0; i < 3; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			char node[8], err[256];
			snprintf(node, sizeof(node), "n%d", i + 1);
			struct node_report *r = _report(node, "42", "0");
			int rc = channel_send(_addr, KEY_A, r, 5000, err, sizeof(err));
			node_report_destroy(r);
			_exit(rc == 0 ? 0 : 1);
		}
	}
	ck_assert_uint_eq(_collect(KEY_A, "0", 3, 20000), 3);
	for (int i = 0; i < 3; i++) {
		int st;
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_uint_eq(_got.n, 3);
	ck_assert_uint_eq(_got.nwhy, 0);
	for (size_t i = 0; i < 3; i++)
		found |= 1 << (_got.reports[i]->node[1] - '1');
	ck_assert_int_eq(found, 7);
}
END_TEST

START_TEST(test_collect_deadline)
{
	uint64_t deadline = channel_now_ms() + 200;

	ck_assert_uint_eq(
	    channel_collect(_l, KEY_A, "42", "0", 1, deadline, _deliver, _reject, &_got), 0);
	ck_assert_uint_ge(channel_now_ms(), deadline);
	ck_assert_uint_eq(_got.n, 0);
	ck_assert_uint_eq(_got.nwhy, 0);
	/* A deadline already past returns at once. */
	ck_assert_uint_eq(channel_collect(_l, KEY_A, "42", "0", 1, 0, _deliver, _reject, &_got), 0);
}
END_TEST

/* Not our protocol, or not a report: rejected with the reason. */
START_TEST(test_garbage_rejected)
{
	const char *http = "GET / HTTP/1.0\r\n\r\n";
	char *hdr;
	size_t len;
	char *msg;

	_raw_send(http, strlen(http));
	hdr = tu_strf("EFAM1 %s 1048577\n", MAC_ABC);
	_raw_send(hdr, strlen(hdr));
	free(hdr);
	msg = channel_frame(KEY_A, "{}", 2, &len);
	ck_assert_ptr_nonnull(msg);
	_raw_send(msg, len);
	free(msg);
	msg = channel_frame(KEY_A, "[1", 2, &len);
	ck_assert_ptr_nonnull(msg);
	_raw_send(msg, len);
	free(msg);
	_raw_send("", 0);
	ck_assert_uint_eq(_collect(KEY_A, "0", 1, 1500), 0);
	ck_assert_uint_eq(_got.nwhy, 5);
	ck_assert_msg(strstr(_got.why[0], "bad magic"), "%s", _got.why[0]);
	ck_assert_msg(strstr(_got.why[1], "above the limit"), "%s", _got.why[1]);
	ck_assert_msg(strstr(_got.why[2], "not a node report: field 'node': missing"), "%s",
		      _got.why[2]);
	ck_assert_msg(strstr(_got.why[3], "not a node report: not JSON"), "%s", _got.why[3]);
	ck_assert_msg(strstr(_got.why[4], "bad magic"), "%s", _got.why[4]);
}
END_TEST

/* A peer that connects and says nothing holds up nobody: the report
 * behind it is delivered, and the idle one is counted when the call
 * ends. */
START_TEST(test_silent_peer)
{
	struct node_report *r = _report("n1", "42", "0");
	int fd = _raw_connect();

	_send(KEY_A, r);
	ck_assert_uint_eq(_collect(KEY_A, "0", 1, 30000), 1);
	ck_assert_str_eq(_got.reports[0]->node, "n1");
	ck_assert_uint_eq(_got.nwhy, 1);
	ck_assert_str_eq(_got.why[0], "from 1 connection: nothing received (idle until timed out, "
				      "evicted for newer connections or collection ended)");
	close(fd);
	node_report_destroy(r);
}
END_TEST

/* A peer that stops inside its header is dropped with what it sent,
 * whether its header time or the call's deadline comes first. */
START_TEST(test_partial_header_peer)
{
	int fd = _raw_connect();

	ck_assert_int_eq(send(fd, "EFAM1 ", 6, MSG_NOSIGNAL), 6);
	ck_assert_uint_eq(_collect(KEY_A, "0", 1, 1500), 0);
	ck_assert_uint_eq(_got.nwhy, 1);
	ck_assert_msg(strstr(_got.why[0], "(no complete header in 6 bytes)"), "%s", _got.why[0]);
	ck_assert_msg(strncmp(_got.why[0], "from 127.0.0.1:", 15) == 0, "%s", _got.why[0]);
	close(fd);
}
END_TEST

/* Far more idle connections than slots, opened before the genuine
 * reports: every report is delivered, and the idle ones cost one line. */
START_TEST(test_idle_flood)
{
	enum { IDLE = 200 };
	int fds[IDLE];
	int found = 0;

	for (int i = 0; i < IDLE; i++)
		fds[i] = _raw_connect();
	for (int i = 0; i < 3; i++) {
		char node[8];
		snprintf(node, sizeof(node), "n%d", i + 1);
		struct node_report *r = _report(node, "42", "0");
		_send(KEY_A, r);
		node_report_destroy(r);
	}
	ck_assert_uint_eq(_collect(KEY_A, "0", 3, 60000), 3);
	for (size_t i = 0; i < 3; i++)
		found |= 1 << (_got.reports[i]->node[1] - '1');
	ck_assert_int_eq(found, 7);
	ck_assert_uint_eq(_got.calls, 1);
	ck_assert_str_eq(_got.last, "from 200 connections: nothing received (idle until timed "
				    "out, evicted for newer connections or collection ended)");
	for (int i = 0; i < IDLE; i++)
		close(fds[i]);
}
END_TEST

/* Peers that send a well-formed header and stall (anyone can write one:
 * the signature is only checked on the whole message) fill every slot;
 * new connections evict the oldest, the reports get through, and the
 * rejections past the first few dozen are counted in one line. */
START_TEST(test_stalled_header_flood)
{
	enum { STALLED = 100 };
	int fds[STALLED];
	char *hdr = tu_strf("EFAM1 %s 1000\n", MAC_ABC);

	for (int i = 0; i < STALLED; i++) {
		fds[i] = _raw_connect();
		ck_assert_int_eq(send(fds[i], hdr, strlen(hdr), MSG_NOSIGNAL),
				 (ssize_t)strlen(hdr));
	}
	for (int i = 0; i < 2; i++) {
		char node[8];
		snprintf(node, sizeof(node), "n%d", i + 1);
		struct node_report *r = _report(node, "42", "0");
		_send(KEY_A, r);
		node_report_destroy(r);
	}
	ck_assert_uint_eq(_collect(KEY_A, "0", 2, 60000), 2);
	ck_assert_uint_eq(_got.n, 2);
	/* 36 evicted by the stalled ones behind them, 2 by the reports, 62
	 * open at the end: 32 itemised, 68 counted. */
	ck_assert_uint_eq(_got.calls, 33);
	/* Evicted (or, on a machine slow enough, timed out first): either
	 * way named with what it sent. */
	ck_assert_msg(strstr(_got.why[0], "evicted for a newer connection before its message "
					  "was whole (76 of 1076 bytes read)") ||
			  strstr(_got.why[0], "timed out after 2000 ms (76 of 1076 bytes read)"),
		      "%s", _got.why[0]);
	ck_assert_str_eq(_got.last, "from 68 more connections (reasons not itemised)");
	for (int i = 0; i < STALLED; i++)
		close(fds[i]);
	free(hdr);
}
END_TEST

/* More bytes than the header declares: dropped as soon as they come. */
START_TEST(test_longer_than_declared)
{
	size_t len;
	char *msg = channel_frame(KEY_A, "{}", 2, &len);
	char *longer = tu_strf("%sxyz", msg);

	_raw_send(longer, strlen(longer));
	ck_assert_uint_eq(_collect(KEY_A, "0", 1, 1500), 0);
	ck_assert_uint_eq(_got.nwhy, 1);
	ck_assert_msg(strstr(_got.why[0], "more bytes than the header declares ("), "%s",
		      _got.why[0]);
	free(msg);
	free(longer);
}
END_TEST

/* A holder of the key sending signed messages that are not this step's
 * reports gets a bounded amount of work: the call stops after 'expected'
 * plus 16 of them and leaves the rest queued. */
/* A report the collector says does not count (a repeat, a conflict) does
 * not end the collection: the one that counts still comes in. */
static bool _deliver_new_only(struct node_report *r, void *arg)
{
	bool counts = strcmp(r->node, "n1") != 0;
	_deliver(r, arg);
	return counts;
}

START_TEST(test_uncounted_reports_do_not_end_collection)
{
	struct node_report *a = _report("n1", "42", "0"), *b = _report("n2", "42", "0");

	_send(KEY_A, a);
	_send(KEY_A, a);
	_send(KEY_A, b);
	ck_assert_uint_eq(channel_collect(_l, KEY_A, "42", "0", 1, channel_now_ms() + 30000,
					  _deliver_new_only, _reject, &_got),
			  1);
	ck_assert_uint_eq(_got.n, 3);
	size_t n2 = 0;
	for (size_t i = 0; i < _got.n; i++)
		n2 += strcmp(_got.reports[i]->node, "n2") == 0;
	ck_assert_uint_eq(n2, 1);
	node_report_destroy(a);
	node_report_destroy(b);
}
END_TEST

START_TEST(test_signed_flood_bounded)
{
	struct node_report *wrong = _report("n9", "42", "7");

	for (int i = 0; i < 40; i++)
		_send(KEY_A, wrong);
	ck_assert_uint_eq(_collect(KEY_A, "0", 1, 30000), 0);
	ck_assert_uint_eq(_got.n, 0);
	ck_assert_uint_eq(_got.calls, 18);
	ck_assert_str_eq(_got.last, "after 17 signed messages that did not count (not reports of this "
			  "job or step, or more reports from nodes already heard from): "
			  "collection stopped there");
	node_report_destroy(wrong);
}
END_TEST

START_TEST(test_send_refused)
{
	struct node_report *r = _report("n1", "42", "0");
	char err[256] = "", want[96];

	channel_listener_close(_l);
	_l = NULL;
	ck_assert_int_eq(channel_send(_addr, KEY_A, r, 2000, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "connect %s: ", _addr);
	ck_assert_msg(strstr(err, want) && strstr(err, "refused"), "%s", err);
	node_report_destroy(r);
}
END_TEST

/* Nobody accepts or reads: a small message still fits the buffers. */
START_TEST(test_send_never_read)
{
	struct node_report *r = _report("n1", "42", "0");

	_send(KEY_A, r);
	_send(KEY_A, r);
	node_report_destroy(r);
}
END_TEST

START_TEST(test_send_bad_args)
{
	static const char *bad[] = {"nocolon",	       "host:",		":4000",
				    "127.0.0.1:99999", "127.0.0.1:12a", "::1:80",
				    "127.0.0.1:0",     "[::1:80",	""};
	struct node_report *r = _report("n1", "42", "0");
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		ck_assert_int_eq(channel_send(bad[i], KEY_A, r, 100, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, "bad address") && strstr(err, "expected host:port"),
			      "%s: %s", bad[i], err);
	}
	ck_assert_int_eq(channel_send(NULL, KEY_A, r, 100, err, sizeof(err)), -1);
	ck_assert_int_eq(channel_send(_addr, "0011", r, 100, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "malformed key"), "%s", err);
	ck_assert_int_eq(channel_send(_addr, KEY_A, NULL, 100, err, sizeof(err)), -1);
	/* Nothing arrived from any of these. */
	ck_assert_uint_eq(_collect(KEY_A, "0", 1, 100), 0);
	ck_assert_uint_eq(_got.nwhy, 0);
	/* A name works. */
	snprintf(_addr, sizeof(_addr), "localhost:%u", (unsigned)_port);
	_send(KEY_A, r);
	ck_assert_uint_eq(_collect(KEY_A, "0", 1, 5000), 1);
	node_report_destroy(r);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("channel");
	TCase *tc;

	tc = tcase_create("framing");
	tcase_add_test(tc, test_key_generate);
	tcase_add_test(tc, test_frame_bad_input);
	tcase_add_test(tc, test_verify_rejects);
	tcase_add_test(tc, test_frame_known_answer);
	suite_add_tcase(s, tc);

	tc = tcase_create("network");
	tcase_add_checked_fixture(tc, _net_setup, _net_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_listen_bad_args);
	tcase_add_test(tc, test_send_bad_args);
	tcase_add_test(tc, test_send_refused);
	tcase_add_test(tc, test_wrong_job_rejected);
	tcase_add_test(tc, test_wrong_key_rejected);
	tcase_add_test(tc, test_step_checked);
	tcase_add_test(tc, test_garbage_rejected);
	tcase_add_test(tc, test_collect_deadline);
	tcase_add_test(tc, test_send_collect);
	tcase_add_test(tc, test_collect_expected_zero);
	tcase_add_test(tc, test_three_senders);
	tcase_add_test(tc, test_silent_peer);
	tcase_add_test(tc, test_partial_header_peer);
	tcase_add_test(tc, test_idle_flood);
	tcase_add_test(tc, test_stalled_header_flood);
	tcase_add_test(tc, test_longer_than_declared);
	tcase_add_test(tc, test_signed_flood_bounded);
	tcase_add_test(tc, test_uncounted_reports_do_not_end_collection);
	tcase_add_test(tc, test_send_never_read);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}

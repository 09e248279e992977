/*
 * channel.c - see channel.h.
 *
 * Decisions the header leaves open:
 *
 * - channel_key_generate() uses getrandom(GRND_NONBLOCK): before the
 *   kernel's pool is initialised (early boot) it fails with EAGAIN rather
 *   than block.
 * - channel_listen() takes a numeric IPv4 address only (no name lookup);
 *   anything else is EINVAL.
 * - channel_collect() serves up to CHANNEL_MAX_CONNS connections at once
 *   with poll(). A connection gets CHANNEL_HEADER_MS from its accept for
 *   a well-formed header and CHANNEL_CONN_MS for the whole message; its
 *   bytes are checked as they come (magic, header, no more than the
 *   header declares), so a wrong one is dropped at its first wrong byte.
 *   Each new connection is read at once: a node sends its report in one
 *   write right after connecting, so it is usually whole by then and
 *   never holds a slot. When every slot is taken, a new connection
 *   evicts the oldest one still without a header, else the oldest one:
 *   a flood of idle peers only ever evicts idle peers, whatever their
 *   number. A message must end with the peer closing (or shutting down)
 *   its side. The work a call does is bounded: at most 'expected' (and
 *   CHANNEL_MAX_REPORTS) deliveries, then it returns; signed messages
 *   that are not reports of the job or step count against 'expected'
 *   plus CHANNEL_MAX_REFUSED, after which the call stops (they come from
 *   a holder of the key: nothing genuine is lost by not reading more);
 *   at most CHANNEL_MAX_CONNS buffers of at most a header and
 *   CHANNEL_MAX_PAYLOAD bytes are held. Connections that never sent a
 *   byte are not rejected one by one but counted in one rejection at the
 *   end of the call; past CHANNEL_REJECT_LINES rejections, the others are
 *   counted in one last line, so a flood costs the job's output two
 *   lines. A malformed 'key_hex' rejects once ("malformed key") and
 *   returns 0. A NULL 'job_id' accepts any job; a NULL 'deliver' destroys
 *   valid reports (they are still counted).
 * - channel_send() resolves a numeric host without any lookup; a name goes
 *   through getaddrinfo(), whose time is bounded by the resolver's own
 *   settings (resolv.conf timeout and attempts), not by 'timeout_ms'.
 *   Connect and write share 'timeout_ms'. "[v6addr]:port" is accepted.
 * - channel_frame() refuses a payload above CHANNEL_MAX_PAYLOAD
 *   (EMSGSIZE) and a malformed key (EINVAL); the message it returns is
 *   NUL-terminated (not counted in '*outlen').
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* report.h first: channel.h's deliver typedef names struct node_report
 * before its own forward declaration of it. */
#include "hex.h"
#include "report.h"
#include "channel.h"

#define CHANNEL_MAGIC "EFAM1 "
#define CHANNEL_MAGIC_LEN 6
#define CHANNEL_MAC_BYTES 32
#define CHANNEL_MAC_HEX (CHANNEL_MAC_BYTES * 2)
/* Digits of CHANNEL_MAX_PAYLOAD (1048576). */
#define CHANNEL_LEN_DIGITS 7
/* "EFAM1 " + 64 hex + " " + length + "\n" */
#define CHANNEL_HEADER_MAX (CHANNEL_MAGIC_LEN + CHANNEL_MAC_HEX + 1 + CHANNEL_LEN_DIGITS + 1)
/* The most time one connection gets in channel_collect(): for its
 * header, and for the whole message. */
#define CHANNEL_HEADER_MS 1000
#define CHANNEL_CONN_MS 2000
/* Rejections passed to the callback one by one per call; the rest are
 * counted in one last line. */
#define CHANNEL_REJECT_LINES 32
/* Signed messages that are not reports of this job or step, beyond the
 * reports expected, after which a call stops. */
#define CHANNEL_MAX_REFUSED 16

struct channel_listener {
	int fd;
};

uint64_t channel_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Milliseconds from 'now' to 'deadline' for poll(), 0 if past. */
static int _ms_left(uint64_t deadline, uint64_t now)
{
	if (now >= deadline)
		return 0;
	return deadline - now > INT32_MAX ? INT32_MAX : (int)(deadline - now);
}

static void _msg(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void _msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ----------------------------------------------------------- keys -- */

/* Exactly CHANNEL_KEY_BYTES * 2 hex digits. Wipe 'raw' after use. */
static int _key_decode(const char *key_hex, unsigned char raw[CHANNEL_KEY_BYTES])
{
	if (!key_hex || strnlen(key_hex, CHANNEL_KEY_HEX) != CHANNEL_KEY_HEX - 1 ||
	    hex_decode(key_hex, raw, CHANNEL_KEY_BYTES) < 0) {
		OPENSSL_cleanse(raw, CHANNEL_KEY_BYTES);
		return -1;
	}
	return 0;
}

int channel_key_generate(char hex[CHANNEL_KEY_HEX])
{
	unsigned char raw[CHANNEL_KEY_BYTES];
	size_t got = 0;

	if (!hex) {
		errno = EINVAL;
		return -1;
	}
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, GRND_NONBLOCK);
		if (n < 0) {
			int saved = errno;
			if (saved == EINTR)
				continue;
			OPENSSL_cleanse(raw, sizeof(raw));
			errno = saved;
			return -1;
		}
		got += (size_t)n;
	}
	hex_encode(raw, sizeof(raw), hex);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

/* HMAC-SHA256 of 'data' under the raw key. Returns 0 or -1. */
static int _mac(const unsigned char key[CHANNEL_KEY_BYTES], const char *data, size_t len,
		unsigned char out[CHANNEL_MAC_BYTES])
{
	unsigned int outlen = 0;

	if (!HMAC(EVP_sha256(), key, CHANNEL_KEY_BYTES, (const unsigned char *)(data ? data : ""),
		  len, out, &outlen) ||
	    outlen != CHANNEL_MAC_BYTES)
		return -1;
	return 0;
}

/* -------------------------------------------------------- framing -- */

char *channel_frame(const char *key_hex, const char *payload, size_t len, size_t *outlen)
{
	unsigned char key[CHANNEL_KEY_BYTES], mac[CHANNEL_MAC_BYTES];
	char machex[CHANNEL_MAC_HEX + 1], header[CHANNEL_HEADER_MAX + 1];
	char *msg;
	int hlen;

	if ((!payload && len) || !outlen) {
		errno = EINVAL;
		return NULL;
	}
	if (len > CHANNEL_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return NULL;
	}
	if (_key_decode(key_hex, key) < 0) {
		errno = EINVAL;
		return NULL;
	}
	if (_mac(key, payload, len, mac) < 0) {
		OPENSSL_cleanse(key, sizeof(key));
		errno = EIO;
		return NULL;
	}
	OPENSSL_cleanse(key, sizeof(key));
	hex_encode(mac, sizeof(mac), machex);
	hlen = snprintf(header, sizeof(header), CHANNEL_MAGIC "%s %zu\n", machex, len);
	msg = malloc((size_t)hlen + len + 1);
	if (!msg)
		return NULL;
	memcpy(msg, header, (size_t)hlen);
	if (len)
		memcpy(msg + hlen, payload, len);
	msg[(size_t)hlen + len] = '\0';
	*outlen = (size_t)hlen + len;
	return msg;
}

/*
 * Parse the header at the start of msg[0..len): magic, signature (into
 * 'mac'), payload length. Returns 1 with '*hlen' (bytes up to and with the
 * newline) and '*declared'; 0 when the bytes so far begin a header but do
 * not finish it and 'more' says more may come; -1 with a reason. Used on
 * a whole message and, as bytes arrive, to judge a connection early.
 */
static int _parse_header(const char *msg, size_t len, bool more,
			 unsigned char mac[CHANNEL_MAC_BYTES], size_t *hlen, size_t *declared,
			 char *err, size_t errlen)
{
	size_t p, n = 0, digits = 0;

	if (!msg || len < CHANNEL_MAGIC_LEN) {
		if (more && (len == 0 || memcmp(msg, CHANNEL_MAGIC, len) == 0))
			return 0;
		_msg(err, errlen, "bad magic (not an efa-monitor message)");
		return -1;
	}
	if (memcmp(msg, CHANNEL_MAGIC, CHANNEL_MAGIC_LEN) != 0) {
		_msg(err, errlen, "bad magic (not an efa-monitor message)");
		return -1;
	}
	p = CHANNEL_MAGIC_LEN;
	if (len < p + CHANNEL_MAC_HEX)
		goto truncated;
	if (hex_decode(msg + p, mac, CHANNEL_MAC_BYTES) < 0) {
		_msg(err, errlen, "malformed header: the signature is not %d hex digits",
		     CHANNEL_MAC_HEX);
		return -1;
	}
	p += CHANNEL_MAC_HEX;
	if (p >= len)
		goto truncated;
	if (msg[p] != ' ') {
		_msg(err, errlen, "malformed header: no space after the signature");
		return -1;
	}
	p++;
	while (p < len && msg[p] >= '0' && msg[p] <= '9') {
		if (digits == 0 && msg[p] == '0' && p + 1 < len && msg[p + 1] >= '0' &&
		    msg[p + 1] <= '9') {
			_msg(err, errlen, "malformed header: payload length with a leading zero");
			return -1;
		}
		if (++digits > CHANNEL_LEN_DIGITS) {
			_msg(err, errlen, "payload length above the limit of %d bytes",
			     CHANNEL_MAX_PAYLOAD);
			return -1;
		}
		n = n * 10 + (size_t)(msg[p] - '0');
		p++;
	}
	if (p >= len)
		goto truncated;
	if (digits == 0) {
		_msg(err, errlen, "malformed header: no payload length");
		return -1;
	}
	if (msg[p] != '\n') {
		_msg(err, errlen, "malformed header: no newline after the payload length");
		return -1;
	}
	if (n > CHANNEL_MAX_PAYLOAD) {
		_msg(err, errlen, "payload length %zu above the limit of %d bytes", n,
		     CHANNEL_MAX_PAYLOAD);
		return -1;
	}
	*hlen = p + 1;
	*declared = n;
	return 1;

truncated:
	if (more)
		return 0;
	_msg(err, errlen, "truncated header");
	return -1;
}

int channel_verify(const char *key_hex, const char *msg, size_t len, size_t *payload_off,
		   size_t *payload_len, char *err, size_t errlen)
{
	unsigned char key[CHANNEL_KEY_BYTES], want[CHANNEL_MAC_BYTES], got[CHANNEL_MAC_BYTES];
	size_t declared = 0, off = 0;

	if (_key_decode(key_hex, key) < 0) {
		_msg(err, errlen, "malformed key");
		return -1;
	}
	if (_parse_header(msg, len, false, got, &off, &declared, err, errlen) < 0)
		goto fail;
	if (len - off != declared) {
		_msg(err, errlen, "length mismatch: the header says %zu bytes, the payload has %zu",
		     declared, len - off);
		goto fail;
	}
	if (_mac(key, msg + off, declared, want) < 0) {
		_msg(err, errlen, "cannot compute HMAC-SHA256");
		goto fail;
	}
	if (CRYPTO_memcmp(want, got, sizeof(got)) != 0) {
		_msg(err, errlen, "bad signature");
		goto fail;
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (payload_off)
		*payload_off = off;
	if (payload_len)
		*payload_len = declared;
	return 0;

fail:
	OPENSSL_cleanse(key, sizeof(key));
	return -1;
}

/* ------------------------------------------------------- listening -- */

struct channel_listener *channel_listen(const char *bind_addr, uint16_t *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t salen = sizeof(sa);
	struct channel_listener *l = NULL;
	int one = 1, saved;

	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind_addr && inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0)
		goto fail;
	if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l->fd, SOMAXCONN) < 0 ||
	    getsockname(l->fd, (struct sockaddr *)&sa, &salen) < 0)
		goto fail;
	if (port)
		*port = ntohs(sa.sin_port);
	return l;

fail:
	saved = errno;
	channel_listener_close(l);
	errno = saved;
	return NULL;
}

void channel_listener_close(struct channel_listener *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l);
}

/* "a.b.c.d:port" or "[v6]:port" of a socket address. */
static void _addr_text(const struct sockaddr *sa, socklen_t len, char *out, size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, size, "unknown peer");
		return;
	}
	if (sa->sa_family == AF_INET6)
		snprintf(out, size, "[%s]:%s", host, serv);
	else
		snprintf(out, size, "%s:%s", host, serv);
}

static void _reject(channel_reject_fn reject, void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void _reject(channel_reject_fn reject, void *arg, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	if (!reject)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	reject(why, arg);
}

/* ------------------------------------------------------ collecting -- */

/* One accepted connection in channel_collect(). */
struct _conn {
	int fd;		    /* -1: the slot is free */
	char peer[64];	    /* "a.b.c.d:port" */
	uint64_t seq;	    /* accept order: lower is older */
	uint64_t header_by; /* CLOCK_MONOTONIC ms: the header must be in by then */
	uint64_t done_by;   /* ... and the whole message */
	char *buf;
	size_t n, cap;
	bool header; /* a well-formed header has arrived */
	size_t need; /* with 'header': header plus declared payload */
};

/* What one call of channel_collect() holds. */
struct _collect {
	const char *key_hex, *job_id, *step_id;
	channel_deliver_fn deliver;
	channel_reject_fn reject;
	void *arg;
	size_t cap; /* reports to deliver at most */
	size_t delivered;
	size_t refused; /* signed messages refused (wrong job or step, not a report) */
	size_t reasons; /* rejections passed to 'reject' one by one */
	size_t unshown; /* rejections past CHANNEL_REJECT_LINES, counted only */
	size_t idle;	/* connections closed before their first byte */
	bool stop;
	uint64_t seq;
	struct _conn conns[CHANNEL_MAX_CONNS];
	size_t nconns;
};

/* One rejection: passed on while few, counted once they are many, so a
 * flood of connections costs the job's output one line. */
static void _creject(struct _collect *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void _creject(struct _collect *c, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	if (c->reasons >= CHANNEL_REJECT_LINES) {
		c->unshown++;
		return;
	}
	c->reasons++;
	if (!c->reject)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	c->reject(why, c->arg);
}

static void _conn_close(struct _collect *c, struct _conn *k)
{
	if (k->fd < 0)
		return;
	close(k->fd);
	k->fd = -1;
	free(k->buf);
	k->buf = NULL;
	k->n = k->cap = 0;
	c->nconns--;
}

/* Close 'k' before its message is whole: rejected with 'what', or only
 * counted when it never sent a byte (an idle connection has nothing to
 * show, and there may be thousands). */
static void _conn_drop(struct _collect *c, struct _conn *k, const char *what)
{
	if (k->n == 0)
		c->idle++;
	else if (k->header)
		_creject(c, "from %s: %s (%zu of %zu bytes read)", k->peer, what, k->n, k->need);
	else
		_creject(c, "from %s: %s (no complete header in %zu bytes)", k->peer, what, k->n);
	_conn_close(c, k);
}

/* Check and deliver a whole message. */
static void _conn_finish(struct _collect *c, struct _conn *k)
{
	char err[384];
	size_t off = 0, plen = 0;
	struct node_report *r;

	if (channel_verify(c->key_hex, k->buf, k->n, &off, &plen, err, sizeof(err)) < 0) {
		_creject(c, "from %s: %s", k->peer, err);
		goto out;
	}
	/* Signed with the key from here on: whoever sent it holds the job's
	 * key, and what they can make this process do is bounded too. */
	r = node_report_from_json(k->buf + off, plen, err, sizeof(err));
	if (!r) {
		_creject(c, "from %s: not a node report: %s", k->peer, err);
		c->refused++;
		goto out;
	}
	if (c->job_id && strcmp(r->job_id, c->job_id) != 0) {
		_creject(c, "from %s (node %s): job %s, expected %s", k->peer, r->node, r->job_id,
			 c->job_id);
		c->refused++;
		node_report_destroy(r);
		goto out;
	}
	if (c->step_id && strcmp(r->step_id, c->step_id) != 0) {
		_creject(c, "from %s (node %s): step %s, expected %s", k->peer, r->node, r->step_id,
			 c->step_id);
		c->refused++;
		node_report_destroy(r);
		goto out;
	}
	/* A report that does not count (a repeat or a conflict for a node
	 * already heard from) is refused-like work: bounded the same way. */
	if (!c->deliver)
		node_report_destroy(r), c->delivered++;
	else if (c->deliver(r, c->arg))
		c->delivered++;
	else
		c->refused++;
out:
	_conn_close(c, k);
	if (c->refused >= c->cap + CHANNEL_MAX_REFUSED && !c->stop) {
		c->stop = true;
		_creject(c,
			 "after %zu signed messages that did not count (not reports of this "
			 "job or step, or more reports from nodes already heard from): "
			 "collection stopped there",
			 c->refused);
	}
}

/* Read what 'k' has for us now. Finishes, drops or keeps it. */
static void _conn_read(struct _collect *c, struct _conn *k)
{
	char err[256];

	for (;;) {
		/* Before the header: room for a header. After: exactly the
		 * message and one byte more, to notice a longer one. */
		size_t want = k->header ? k->need + 1 : CHANNEL_HEADER_MAX + 1;
		if (k->n == k->cap) {
			size_t ncap = k->cap ? k->cap * 2 : 4096;
			if (ncap > want)
				ncap = want;
			if (ncap <= k->n) {
				/* Only when the header is there and the peer sends
				 * more than it declared. */
				_creject(c, "from %s: more bytes than the header declares (%zu)",
					 k->peer, k->need);
				_conn_close(c, k);
				return;
			}
			char *nb = realloc(k->buf, ncap);
			if (!nb) {
				_creject(c, "from %s: out of memory", k->peer);
				_conn_close(c, k);
				return;
			}
			k->buf = nb;
			k->cap = ncap;
		}
		ssize_t got = recv(k->fd, k->buf + k->n, k->cap - k->n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (got < 0) {
			_creject(c, "from %s: read: %s", k->peer, strerror(errno));
			_conn_close(c, k);
			return;
		}
		if (got == 0) {
			/* The peer closed its side: the message is whole. */
			_conn_finish(c, k);
			return;
		}
		k->n += (size_t)got;
		if (k->header) {
			if (k->n > k->need) {
				_creject(c, "from %s: more bytes than the header declares (%zu)",
					 k->peer, k->need);
				_conn_close(c, k);
				return;
			}
			continue;
		}
		unsigned char mac[CHANNEL_MAC_BYTES];
		size_t hlen = 0, declared = 0;
		int rc = _parse_header(k->buf, k->n, k->n <= CHANNEL_HEADER_MAX, mac, &hlen,
				       &declared, err, sizeof(err));
		if (rc < 0) {
			_creject(c, "from %s: %s", k->peer, err);
			_conn_close(c, k);
			return;
		}
		if (rc == 1) {
			k->header = true;
			k->need = hlen + declared;
			if (k->n > k->need) {
				_creject(c, "from %s: more bytes than the header declares (%zu)",
					 k->peer, k->need);
				_conn_close(c, k);
				return;
			}
		}
	}
}

/* The slot to give a new connection when all are taken: the oldest one
 * still without a header (an idle or slow peer), else the oldest. */
static struct _conn *_conn_victim(struct _collect *c)
{
	struct _conn *old = NULL, *oldhdr = NULL;

	for (size_t i = 0; i < CHANNEL_MAX_CONNS; i++) {
		struct _conn *k = &c->conns[i];
		if (k->fd < 0)
			continue;
		if (!k->header && (!old || k->seq < old->seq))
			old = k;
		if (k->header && (!oldhdr || k->seq < oldhdr->seq))
			oldhdr = k;
	}
	return old ? old : oldhdr;
}

/* Accept what the listener has queued, each read at once (a node's
 * report is usually whole in the socket by then). Returns -1 when accept
 * fails for want of descriptors or memory. */
static int _accept_some(struct _collect *c, int lfd)
{
	for (size_t round = 0; round < CHANNEL_MAX_CONNS && !c->stop && c->delivered < c->cap;
	     round++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		struct _conn *k = NULL;
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			int e = errno;
			if (e == EAGAIN || e == EWOULDBLOCK)
				return 0;
			if (e == EINTR || e == ECONNABORTED || e == EPROTO)
				continue;
			_creject(c, "accept: %s", strerror(e));
			return -1;
		}
		if (c->nconns == CHANNEL_MAX_CONNS) {
			k = _conn_victim(c);
			_conn_drop(c, k,
				   k->header ? "evicted for a newer connection before its message "
					       "was whole"
					     : "evicted for a newer connection before its header");
		} else {
			for (size_t i = 0; i < CHANNEL_MAX_CONNS && !k; i++)
				if (c->conns[i].fd < 0)
					k = &c->conns[i];
		}
		if (!k) { /* cannot happen: nconns counts the slots in use */
			close(fd);
			return 0;
		}
		uint64_t now = channel_now_ms();
		memset(k, 0, sizeof(*k));
		k->fd = fd;
		k->seq = c->seq++;
		k->header_by = now + CHANNEL_HEADER_MS;
		k->done_by = now + CHANNEL_CONN_MS;
		_addr_text((struct sockaddr *)&ss, sslen, k->peer, sizeof(k->peer));
		c->nconns++;
		_conn_read(c, k);
	}
	return 0;
}

/* Drop connections past their deadlines; returns the earliest deadline
 * still ahead (or 'until'). */
static uint64_t _conn_expire(struct _collect *c, uint64_t now, uint64_t until)
{
	char what[96];

	for (size_t i = 0; i < CHANNEL_MAX_CONNS; i++) {
		struct _conn *k = &c->conns[i];
		if (k->fd < 0)
			continue;
		if (!k->header && now >= k->header_by) {
			snprintf(what, sizeof(what), "no complete header within %d ms",
				 CHANNEL_HEADER_MS);
			_conn_drop(c, k, what);
			continue;
		}
		if (now >= k->done_by) {
			snprintf(what, sizeof(what), "timed out after %d ms", CHANNEL_CONN_MS);
			_conn_drop(c, k, what);
			continue;
		}
		uint64_t by = k->header ? k->done_by : k->header_by;
		if (by < until)
			until = by;
	}
	return until;
}

size_t channel_collect(struct channel_listener *l, const char *key_hex, const char *job_id,
		       const char *step_id, size_t expected, uint64_t deadline_ms,
		       channel_deliver_fn deliver, channel_reject_fn reject, void *arg)
{
	unsigned char key[CHANNEL_KEY_BYTES];
	struct pollfd pfd[CHANNEL_MAX_CONNS + 1];
	struct _conn *which[CHANNEL_MAX_CONNS + 1];
	uint64_t accept_after = 0;
	struct _collect *c;
	size_t delivered;

	if (!l || l->fd < 0)
		return 0;
	if (_key_decode(key_hex, key) < 0) {
		_reject(reject, arg, "malformed key");
		return 0;
	}
	OPENSSL_cleanse(key, sizeof(key));
	c = calloc(1, sizeof(*c));
	if (!c) {
		_reject(reject, arg, "out of memory");
		return 0;
	}
	*c = (struct _collect){.key_hex = key_hex,
			       .job_id = job_id,
			       .step_id = step_id,
			       .deliver = deliver,
			       .reject = reject,
			       .arg = arg,
			       .cap =
				   expected < CHANNEL_MAX_REPORTS ? expected : CHANNEL_MAX_REPORTS};
	for (size_t i = 0; i < CHANNEL_MAX_CONNS; i++)
		c->conns[i].fd = -1;

	while (c->delivered < c->cap && !c->stop) {
		uint64_t now = channel_now_ms();
		size_t np = 0;
		int rc;

		if (now >= deadline_ms)
			break;
		uint64_t until = _conn_expire(c, now, deadline_ms);
		if (now >= accept_after) {
			pfd[np] = (struct pollfd){.fd = l->fd, .events = POLLIN};
			which[np++] = NULL;
		} else if (accept_after < until) {
			until = accept_after;
		}
		for (size_t i = 0; i < CHANNEL_MAX_CONNS; i++)
			if (c->conns[i].fd >= 0) {
				pfd[np] = (struct pollfd){.fd = c->conns[i].fd, .events = POLLIN};
				which[np++] = &c->conns[i];
			}
		rc = poll(pfd, np, _ms_left(until, now));
		if (rc < 0 && errno != EINTR) {
			_creject(c, "poll: %s", strerror(errno));
			break;
		}
		if (rc <= 0)
			continue;
		/* Connections first, then new ones: a slot freed now is free
		 * for them. */
		for (size_t i = 0; i < np && !c->stop && c->delivered < c->cap; i++)
			if (which[i] && pfd[i].revents && which[i]->fd == pfd[i].fd)
				_conn_read(c, which[i]);
		if (np && !which[0] && (pfd[0].revents & POLLIN) && _accept_some(c, l->fd) < 0)
			/* Out of descriptors or memory: the listener stays
			 * readable, so wait a little rather than spin. */
			accept_after = channel_now_ms() + 100;
	}

	/* What is still open when collection ends. */
	for (size_t i = 0; i < CHANNEL_MAX_CONNS; i++)
		if (c->conns[i].fd >= 0)
			_conn_drop(c, &c->conns[i],
				   "collection ended before its message was whole");
	if (c->idle)
		_reject(reject, arg,
			"from %zu connection%s: nothing received (idle until timed out, evicted "
			"for newer connections or collection ended)",
			c->idle, c->idle == 1 ? "" : "s");
	if (c->unshown)
		_reject(reject, arg, "from %zu more connection%s (reasons not itemised)",
			c->unshown, c->unshown == 1 ? "" : "s");
	delivered = c->delivered;
	free(c);
	return delivered;
}

/* --------------------------------------------------------- sending -- */

/* Split "host:port" or "[host]:port". Returns 0 or -1. */
static int _split_address(const char *address, char *host, size_t hostlen, char *port,
			  size_t portlen)
{
	const char *colon, *h = address;
	size_t n;

	if (!address)
		return -1;
	colon = strrchr(address, ':');
	if (!colon || colon == address || !colon[1])
		return -1;
	n = (size_t)(colon - address);
	if (address[0] == '[') {
		if (n < 3 || address[n - 1] != ']')
			return -1;
		h = address + 1;
		n -= 2;
	} else if (memchr(address, ':', n)) {
		return -1; /* a bare IPv6 address needs brackets */
	}
	if (n >= hostlen || strlen(colon + 1) >= portlen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	strcpy(port, colon + 1);
	unsigned long v = 0;
	for (const char *q = port; *q; q++) {
		if (*q < '0' || *q > '9')
			return -1;
		v = v * 10 + (unsigned long)(*q - '0');
		if (v > 65535)
			return -1;
	}
	return v ? 0 : -1;
}

/* Connect to one address before 'deadline'. Returns the fd or -1 with a
 * message. */
static int _connect(const struct addrinfo *ai, uint64_t deadline, int timeout_ms, char *err,
		    size_t errlen)
{
	char where[NI_MAXHOST + NI_MAXSERV + 4];
	int fd, soerr = 0;
	socklen_t sl = sizeof(soerr);

	_addr_text(ai->ai_addr, ai->ai_addrlen, where, sizeof(where));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		_msg(err, errlen, "socket for %s: %s", where, strerror(errno));
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR) {
		_msg(err, errlen, "connect %s: %s", where, strerror(errno));
		goto fail;
	}
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int left = _ms_left(deadline, channel_now_ms());
		int rc = left ? poll(&pfd, 1, left) : 0;
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			_msg(err, errlen, "connect %s: poll: %s", where, strerror(errno));
			goto fail;
		}
		if (rc == 0) {
			_msg(err, errlen, "connect %s: timed out after %d ms", where, timeout_ms);
			goto fail;
		}
		break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		soerr = errno;
	if (soerr) {
		_msg(err, errlen, "connect %s: %s", where, strerror(soerr));
		goto fail;
	}
	return fd;

fail:
	close(fd);
	return -1;
}

static int _write_all(int fd, const char *buf, size_t len, uint64_t deadline, int timeout_ms,
		      const char *address, char *err, size_t errlen)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			_msg(err, errlen, "send to %s: %s", address, strerror(errno));
			return -1;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int left = _ms_left(deadline, channel_now_ms());
		if (left == 0) {
			_msg(err, errlen, "send to %s: timed out after %d ms", address, timeout_ms);
			return -1;
		}
		if (poll(&pfd, 1, left) < 0 && errno != EINTR) {
			_msg(err, errlen, "send to %s: poll: %s", address, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int channel_send(const char *address, const char *key_hex, const struct node_report *r,
		 int timeout_ms, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char host[256], port[8];
	char *json = NULL, *msg = NULL;
	size_t msglen = 0;
	uint64_t deadline;
	int fd = -1, rc, ret = -1;

	if (err && errlen)
		err[0] = '\0';
	if (timeout_ms < 0)
		timeout_ms = 0;
	deadline = channel_now_ms() + (uint64_t)timeout_ms;
	if (!r) {
		_msg(err, errlen, "no report");
		return -1;
	}
	if (_split_address(address, host, sizeof(host), port, sizeof(port)) < 0) {
		_msg(err, errlen, "bad address '%s': expected host:port", address ? address : "");
		return -1;
	}
	json = node_report_to_json(r);
	if (!json) {
		_msg(err, errlen, "cannot build the report: %s", strerror(errno));
		goto out;
	}
	msg = channel_frame(key_hex, json, strlen(json), &msglen);
	if (!msg) {
		_msg(err, errlen, "cannot sign the report: %s",
		     errno == EINVAL ? "malformed key" : strerror(errno));
		goto out;
	}

	hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc != 0) {
		_msg(err, errlen, "resolve %s: %s", host,
		     rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		goto out;
	}
	for (const struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = _connect(ai, deadline, timeout_ms, err, errlen);
		if (fd < 0 && channel_now_ms() >= deadline)
			break;
	}
	if (fd < 0)
		goto out;
	if (_write_all(fd, msg, msglen, deadline, timeout_ms, address, err, errlen) < 0)
		goto out;
	shutdown(fd, SHUT_WR);
	if (err && errlen)
		err[0] = '\0'; /* an earlier address may have failed */
	ret = 0;

out:
	if (fd >= 0)
		close(fd);
	if (res)
		freeaddrinfo(res);
	free(json);
	free(msg);
	return ret;
}

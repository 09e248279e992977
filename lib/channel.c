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
 * - channel_collect() reads connections one after the other; each gets at
 *   most min(time left, CHANNEL_CONN_MS) so that one slow or silent peer
 *   cannot starve the others. A message must end with the peer closing
 *   (or shutting down) its side. A malformed 'key_hex' rejects once
 *   ("malformed key") and returns 0. A NULL 'job_id' accepts any job; a
 *   NULL 'deliver' destroys valid reports (they are still counted).
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
/* The most time one connection gets in channel_collect(). */
#define CHANNEL_CONN_MS 2000

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

int channel_verify(const char *key_hex, const char *msg, size_t len, size_t *payload_off,
		   size_t *payload_len, char *err, size_t errlen)
{
	unsigned char key[CHANNEL_KEY_BYTES], want[CHANNEL_MAC_BYTES], got[CHANNEL_MAC_BYTES];
	size_t p, declared = 0, digits = 0, off;

	if (_key_decode(key_hex, key) < 0) {
		_msg(err, errlen, "malformed key");
		return -1;
	}
	if (!msg || len < CHANNEL_MAGIC_LEN || memcmp(msg, CHANNEL_MAGIC, CHANNEL_MAGIC_LEN) != 0) {
		_msg(err, errlen, "bad magic (not an efa-monitor message)");
		goto fail;
	}
	p = CHANNEL_MAGIC_LEN;
	if (len < p + CHANNEL_MAC_HEX) {
		_msg(err, errlen, "truncated header");
		goto fail;
	}
	if (hex_decode(msg + p, got, sizeof(got)) < 0) {
		_msg(err, errlen, "malformed header: the signature is not %d hex digits",
		     CHANNEL_MAC_HEX);
		goto fail;
	}
	p += CHANNEL_MAC_HEX;
	if (p >= len) {
		_msg(err, errlen, "truncated header");
		goto fail;
	}
	if (msg[p] != ' ') {
		_msg(err, errlen, "malformed header: no space after the signature");
		goto fail;
	}
	p++;
	while (p < len && msg[p] >= '0' && msg[p] <= '9') {
		if (digits == 0 && msg[p] == '0' && p + 1 < len && msg[p + 1] >= '0' &&
		    msg[p + 1] <= '9') {
			_msg(err, errlen, "malformed header: payload length with a leading zero");
			goto fail;
		}
		if (++digits > CHANNEL_LEN_DIGITS) {
			_msg(err, errlen, "payload length above the limit of %d bytes",
			     CHANNEL_MAX_PAYLOAD);
			goto fail;
		}
		declared = declared * 10 + (size_t)(msg[p] - '0');
		p++;
	}
	if (p >= len) {
		_msg(err, errlen, "truncated header");
		goto fail;
	}
	if (digits == 0) {
		_msg(err, errlen, "malformed header: no payload length");
		goto fail;
	}
	if (msg[p] != '\n') {
		_msg(err, errlen, "malformed header: no newline after the payload length");
		goto fail;
	}
	if (declared > CHANNEL_MAX_PAYLOAD) {
		_msg(err, errlen, "payload length %zu above the limit of %d bytes", declared,
		     CHANNEL_MAX_PAYLOAD);
		goto fail;
	}
	off = p + 1;
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

/*
 * Read one message from 'fd' until EOF, 'deadline' or the size limit.
 * Returns the malloc'ed bytes (length in '*len'), or NULL with a reason.
 */
static char *_read_message(int fd, uint64_t deadline, int budget_ms, size_t *len, char *err,
			   size_t errlen)
{
	const size_t limit = CHANNEL_HEADER_MAX + CHANNEL_MAX_PAYLOAD;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (!buf) {
		_msg(err, errlen, "out of memory");
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			size_t ncap = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				_msg(err, errlen, "out of memory");
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t got = recv(fd, buf + n, cap - n, 0);
		if (got > 0) {
			n += (size_t)got;
			if (n > limit) {
				_msg(err, errlen, "message larger than %zu bytes", limit);
				goto fail;
			}
			/* Not ours: no need to wait for the rest. */
			if (n >= CHANNEL_MAGIC_LEN &&
			    memcmp(buf, CHANNEL_MAGIC, CHANNEL_MAGIC_LEN)) {
				_msg(err, errlen, "bad magic (not an efa-monitor message)");
				goto fail;
			}
			continue;
		}
		if (got == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			_msg(err, errlen, "read: %s", strerror(errno));
			goto fail;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int left = _ms_left(deadline, channel_now_ms());
		if (left == 0) {
			_msg(err, errlen, "timed out after %d ms (%zu bytes read)", budget_ms, n);
			goto fail;
		}
		if (poll(&pfd, 1, left) < 0 && errno != EINTR) {
			_msg(err, errlen, "poll: %s", strerror(errno));
			goto fail;
		}
	}
	*len = n;
	return buf;

fail:
	free(buf);
	return NULL;
}

/* Read, check and deliver one connection's message. Returns 1 if delivered. */
static int _handle(int fd, const char *peer, uint64_t deadline, const char *key_hex,
		   const char *job_id, const char *step_id, channel_deliver_fn deliver,
		   channel_reject_fn reject, void *arg)
{
	uint64_t now = channel_now_ms();
	int budget = _ms_left(deadline, now);
	char err[384];
	size_t len = 0, off = 0, plen = 0;
	struct node_report *r = NULL;
	char *msg;

	if (budget > CHANNEL_CONN_MS)
		budget = CHANNEL_CONN_MS;
	msg = _read_message(fd, now + (uint64_t)budget, budget, &len, err, sizeof(err));
	if (!msg) {
		_reject(reject, arg, "from %s: %s", peer, err);
		return 0;
	}
	if (channel_verify(key_hex, msg, len, &off, &plen, err, sizeof(err)) < 0) {
		_reject(reject, arg, "from %s: %s", peer, err);
		free(msg);
		return 0;
	}
	r = node_report_from_json(msg + off, plen, err, sizeof(err));
	free(msg);
	if (!r) {
		_reject(reject, arg, "from %s: not a node report: %s", peer, err);
		return 0;
	}
	if (job_id && strcmp(r->job_id, job_id) != 0) {
		_reject(reject, arg, "from %s (node %s): job %s, expected %s", peer, r->node,
			r->job_id, job_id);
		node_report_destroy(r);
		return 0;
	}
	if (step_id && strcmp(r->step_id, step_id) != 0) {
		_reject(reject, arg, "from %s (node %s): step %s, expected %s", peer, r->node,
			r->step_id, step_id);
		node_report_destroy(r);
		return 0;
	}
	if (deliver)
		deliver(r, arg);
	else
		node_report_destroy(r);
	return 1;
}

size_t channel_collect(struct channel_listener *l, const char *key_hex, const char *job_id,
		       const char *step_id, size_t expected, uint64_t deadline_ms,
		       channel_deliver_fn deliver, channel_reject_fn reject, void *arg)
{
	unsigned char key[CHANNEL_KEY_BYTES];
	size_t delivered = 0;

	if (!l || l->fd < 0)
		return 0;
	if (_key_decode(key_hex, key) < 0) {
		_reject(reject, arg, "malformed key");
		return 0;
	}
	OPENSSL_cleanse(key, sizeof(key));
	while (delivered < expected) {
		struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		char peer[NI_MAXHOST + NI_MAXSERV + 4];
		int left = _ms_left(deadline_ms, channel_now_ms());
		int fd, rc;

		if (left == 0)
			break;
		rc = poll(&pfd, 1, left);
		if (rc < 0 && errno != EINTR) {
			_reject(reject, arg, "poll: %s", strerror(errno));
			break;
		}
		if (rc <= 0)
			continue;
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNABORTED ||
			    e == EPROTO)
				continue;
			/* Out of descriptors or memory: say so, wait a little (the
			 * listener stays readable, so do not spin), try again. */
			_reject(reject, arg, "accept: %s", strerror(e));
			left = _ms_left(deadline_ms, channel_now_ms());
			poll(NULL, 0, left < 100 ? left : 100);
			continue;
		}
		_addr_text((struct sockaddr *)&ss, sslen, peer, sizeof(peer));
		delivered += (size_t)_handle(fd, peer, deadline_ms, key_hex, job_id, step_id,
					     deliver, reject, arg);
		close(fd);
	}
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

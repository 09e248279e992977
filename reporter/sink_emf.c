/*
 * sink_emf.c - CloudWatch Embedded Metric Format documents to the
 * CloudWatch agent's EMF listener (udp:// or tcp://, 127.0.0.1:25888 by
 * default), so a site can publish without giving the reporter
 * credentials: the agent signs and batches.
 *
 * Same names, units and dimension sets as the PutMetricData sink
 * (cwmetric.h). One document per dimension set and interface (or per set
 * for a roll-up), each holding every metric of that group (at most
 * EMF_METRICS_MAX per document, split beyond). UDP: one datagram per
 * document. TCP: newline-delimited documents on one connection,
 * reconnected on failure; connect and send are bounded (EMF_IO_TIMEOUT) so
 * a stuck agent costs an interval at most that long, never a hang. A
 * document that cannot be sent is dropped and counted; the log says so
 * once per outage, and again when the agent is back.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cwclient.h"
#include "cwmetric.h"
#include "log.h"
#include "sink.h"

#define EMF_METRICS_MAX 100
#define EMF_IO_TIMEOUT_MS 1000
#define EMF_DOC_MAX 65000

struct emf_sink {
	bool tcp;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char *address;
	int fd;
	char *namespace_;
	char *instance, *job_id, *step_id;
	unsigned resolution;
	struct cw_dimsets dims;
	bool down;                 /* the agent is unreachable (said once) */
	unsigned long long docs_sent, docs_dropped, bytes_sent;
	/* One interval's datums, grouped as they arrive. */
	struct group {
		unsigned dims;
		char interface[64];
		size_t n;
		const struct cw_metric_def *def[EMF_METRICS_MAX];
		double value[EMF_METRICS_MAX];
	} *groups;
	size_t ngroups, cap;
};

static int _parse_address(struct emf_sink *e, const char *text)
{
	char host[256], port[16];
	const char *p;

	if (strncmp(text, "udp://", 6) == 0)
		e->tcp = false;
	else if (strncmp(text, "tcp://", 6) == 0)
		e->tcp = true;
	else
		goto bad;
	p = text + 6;
	const char *colon = strrchr(p, ':');
	if (!colon || colon == p || !colon[1] || (size_t)(colon - p) >= sizeof(host) ||
	    strlen(colon + 1) >= sizeof(port))
		goto bad;
	/* [v6]:port */
	if (*p == '[' && colon[-1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(colon - p - 2), p + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)(colon - p), p);
	snprintf(port, sizeof(port), "%s", colon + 1);
	struct addrinfo hints = {.ai_socktype = e->tcp ? SOCK_STREAM : SOCK_DGRAM,
				 .ai_flags = AI_NUMERICSERV}, *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		log_error("emf_address = %s: %s", text, gai_strerror(rc));
		return -1;
	}
	memcpy(&e->addr, ai->ai_addr, ai->ai_addrlen);
	e->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
bad:
	log_error("emf_address = %s: expected udp://HOST:PORT or tcp://HOST:PORT", text);
	return -1;
}

/* Wait until 'fd' is writable, at most EMF_IO_TIMEOUT_MS. */
static int _wait_writable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int rc;
	do
		rc = poll(&p, 1, EMF_IO_TIMEOUT_MS);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	return rc > 0 ? 0 : -1;
}

static int _connect(struct emf_sink *e)
{
	int fd = socket(e->addr.ss_family, (e->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC |
						   SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&e->addr, e->addrlen) < 0) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (errno != EINPROGRESS || _wait_writable(fd) < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			if (err)
				errno = err;
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
	}
	e->fd = fd;
	return 0;
}

static int _send_all(struct emf_sink *e, const char *buf, size_t len)
{
	if (e->fd < 0 && _connect(e) < 0)
		return -1;
	for (size_t off = 0; off < len;) {
		ssize_t w = send(e->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (_wait_writable(e->fd) < 0)
				goto fail;
			continue;
		}
		if (w < 0)
			goto fail;
		if (!e->tcp && (size_t)w != len) {
			errno = EMSGSIZE;
			goto fail;
		}
		off += (size_t)w;
	}
	return 0;
fail:;
	int saved = errno;
	/* A broken or half-written stream is reconnected for the next document. */
	if (e->tcp) {
		close(e->fd);
		e->fd = -1;
	}
	errno = saved;
	return -1;
}

/* ------------------------------------------------------------- JSON -- */

struct text {
	char buf[EMF_DOC_MAX];
	size_t len;
	bool full;
};

static void _add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void _add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	if (t->full)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(t->buf) - t->len)
		t->full = true;
	else
		t->len += (size_t)n;
}

static void _addq(struct text *t, const char *s)
{
	_add(t, "\"");
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			_add(t, "\\%c", *c);
		else if (*c < 0x20)
			_add(t, "\\u%04x", *c);
		else
			_add(t, "%c", *c);
	}
	_add(t, "\"");
}

static void _addnum(struct text *t, double v)
{
	char s[CW_NUMBER_MAX];
	cw_format_number(v, s);
	_add(t, "%s", s);
}

/* The dimension names of a set, in the PutMetricData sink's order. */
static void _dim_names(struct text *t, const struct emf_sink *e, unsigned dims)
{
	bool first = true;
	static const struct {
		unsigned bit;
		const char *name;
	} all[] = {{CW_DIM_INSTANCE, "InstanceId"}, {CW_DIM_INTERFACE, "Interface"},
		   {CW_DIM_JOB, "JobId"}, {CW_DIM_STEP, "StepId"}};
	for (size_t i = 0; i < 4; i++) {
		if (!(dims & all[i].bit))
			continue;
		if ((all[i].bit == CW_DIM_JOB && !e->job_id) || (all[i].bit == CW_DIM_STEP && !e->step_id))
			continue;
		_add(t, first ? "\"%s\"" : ",\"%s\"", all[i].name);
		first = false;
	}
}

static void _document(struct text *t, const struct emf_sink *e, const struct group *g,
		      long long ts_ms)
{
	t->len = 0;
	t->full = false;
	_add(t, "{\"_aws\":{\"Timestamp\":%lld,\"CloudWatchMetrics\":[{\"Namespace\":", ts_ms);
	_addq(t, e->namespace_);
	_add(t, ",\"Dimensions\":[[");
	_dim_names(t, e, g->dims);
	_add(t, "]],\"Metrics\":[");
	for (size_t i = 0; i < g->n; i++) {
		_add(t, "%s{\"Name\":\"%s\",\"Unit\":\"%s\"", i ? "," : "", g->def[i]->name,
		     g->def[i]->unit);
		if (e->resolution == 1)
			_add(t, ",\"StorageResolution\":1");
		_add(t, "}");
	}
	_add(t, "]}]}");
	if (g->dims & CW_DIM_INSTANCE) {
		_add(t, ",\"InstanceId\":");
		_addq(t, e->instance);
	}
	if (g->dims & CW_DIM_INTERFACE) {
		_add(t, ",\"Interface\":");
		_addq(t, g->interface);
	}
	if ((g->dims & CW_DIM_JOB) && e->job_id) {
		_add(t, ",\"JobId\":");
		_addq(t, e->job_id);
	}
	if ((g->dims & CW_DIM_STEP) && e->step_id) {
		_add(t, ",\"StepId\":");
		_addq(t, e->step_id);
	}
	for (size_t i = 0; i < g->n; i++) {
		_add(t, ",\"%s\":", g->def[i]->name);
		_addnum(t, g->value[i]);
	}
	_add(t, "}\n");
}

/* -------------------------------------------------------------- sink -- */

static void _group_datum(const struct cw_datum *d, void *arg)
{
	struct emf_sink *e = arg;
	const char *iface = d->interface ? d->interface : "";
	struct group *g = NULL;

	if (!isfinite(d->value))
		return;
	/* Datums of one group arrive metric by metric: search from the end. */
	for (size_t i = e->ngroups; i-- > 0;)
		if (e->groups[i].dims == d->dims && strcmp(e->groups[i].interface, iface) == 0 &&
		    e->groups[i].n < EMF_METRICS_MAX) {
			g = &e->groups[i];
			break;
		}
	if (!g) {
		if (e->ngroups == e->cap) {
			size_t cap = e->cap ? e->cap * 2 : 64;
			struct group *p = realloc(e->groups, cap * sizeof(*p));
			if (!p)
				return;
			e->groups = p;
			e->cap = cap;
		}
		g = &e->groups[e->ngroups++];
		memset(g, 0, sizeof(*g));
		g->dims = d->dims;
		snprintf(g->interface, sizeof(g->interface), "%s", iface);
	}
	g->def[g->n] = d->def;
	g->value[g->n] = d->value;
	g->n++;
}

static int _write(struct sink *s, const struct report *r)
{
	struct emf_sink *e = s->priv;
	static struct text t;
	long long ts_ms = (long long)(r->real_ns / 1000000ull);
	unsigned long long dropped = 0;
	int saved = 0;

	e->ngroups = 0;
	cw_datums_each(r->tracker, &e->dims, _group_datum, e);
	for (size_t i = 0; i < e->ngroups; i++) {
		/* This runs on the sampling thread: after a failed send, the rest
		 * of the interval is dropped rather than each document waiting
		 * out its own timeout on a stuck agent. */
		if (dropped && saved != EMSGSIZE) {
			dropped++;
			continue;
		}
		_document(&t, e, &e->groups[i], ts_ms);
		if (t.full || _send_all(e, t.buf, t.len) < 0) {
			saved = t.full ? EMSGSIZE : errno;
			dropped++;
			continue;
		}
		e->docs_sent++;
		e->bytes_sent += t.len;
	}
	e->docs_dropped += dropped;
	if (dropped && !e->down) {
		log_error("emf: cannot send to the CloudWatch agent at %s: %s; documents are "
			  "dropped (and counted) until it answers",
			  e->address, strerror(saved));
		e->down = true;
	} else if (!dropped && e->down && e->ngroups) {
		log_info("emf: the CloudWatch agent at %s answers again (%llu documents dropped so far)",
			 e->address, e->docs_dropped);
		e->down = false;
	}
	return dropped ? -1 : 0;
}

static void _close(struct sink *s)
{
	struct emf_sink *e = s->priv;
	if (!e)
		return;
	if (e->address)
		log_msg(e->docs_dropped ? LOG_LEVEL_WARN : LOG_LEVEL_INFO,
		"emf: %llu documents sent (%llu bytes), %llu dropped", e->docs_sent, e->bytes_sent,
		e->docs_dropped);
	if (e->fd >= 0)
		close(e->fd);
	free(e->groups);
	free(e->address);
	free(e->namespace_);
	free(e->instance);
	free(e->job_id);
	free(e->step_id);
	free(e);
	s->priv = NULL;
}

static char *_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* InstanceId as the PutMetricData sink resolves it (sink_aws_config). */
static char *_instance(const struct options *o)
{
	struct cw_client_config cc;
	sink_aws_config(o, &cc);
	struct cw_client *c = cw_client_create(&cc);
	char *id = c ? _dup(cw_client_instance_id(c)) : NULL;
	cw_client_destroy(c);
	return id;
}

static int _open(struct sink *s, const struct options *o)
{
	struct emf_sink *e = calloc(1, sizeof(*e));
	char err[256];

	if (!e) {
		log_error("emf: out of memory");
		return -1;
	}
	e->fd = -1;
	s->priv = e;
	if (cw_dimsets_parse(o->cw_dimensions, &e->dims, err, sizeof(err)) < 0) {
		log_error("cw_dimensions = %s: %s", o->cw_dimensions, err);
		goto fail;
	}
	cw_dimsets_resolve(&e->dims, o->job_id != NULL, o->step_id != NULL);
	if (e->dims.count == 0) {
		log_error("cw_dimensions = %s: no dimension set is left for a node without a job",
			  o->cw_dimensions);
		goto fail;
	}
	if (_parse_address(e, o->emf_address) < 0)
		goto fail;
	e->address = _dup(o->emf_address);
	e->namespace_ = _dup(o->cw_namespace);
	e->job_id = _dup(o->job_id);
	e->step_id = _dup(o->step_id);
	e->resolution = (unsigned)o->cw_storage_resolution;
	e->instance = _instance(o);
	if (!e->address || !e->namespace_ || !e->instance) {
		log_error("emf: out of memory");
		goto fail;
	}
	log_info("emf: documents to %s (namespace %s, InstanceId %s)", e->address, e->namespace_,
		 e->instance);
	return 0;
fail:
	_close(s);
	return -1;
}

const struct sink_ops sink_emf_ops = {
	.name = "emf",
	.open = _open,
	.write = _write,
	.close = _close,
};

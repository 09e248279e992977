/*
 * sink_cloudwatch.c - PutMetricData to CloudWatch, signed with SigV4, no
 * SDK.
 *
 * The sampling thread only gathers: each interval's datums go into the
 * current batch (cwbatch.h), which is queued when it spans
 * cw_batch_interval seconds or holds a full request's worth of datums.
 * A sender thread owns everything that can block: credentials and
 * InstanceId (IMDS), encoding, gzip, signing and the HTTP requests with
 * their retries. So a slow, hanging or refusing endpoint never delays a
 * sample, and the memory it can cost is capped by the queue (at most
 * cw_queue_max batches and CW_QUEUE_MEMORY bytes; beyond either, the
 * oldest batch is dropped, counted and logged).
 *
 * Retries: throttling, 5xx, 429 and transport failures (refused, timed
 * out, cut) are retried cw_retries times with exponential backoff and
 * jitter (200 ms x 2^n, capped at 20 s, the CloudWatch agent's schedule);
 * a validation error is not retried: CloudWatch's message is logged and the
 * request's datums are counted as rejected.
 *
 * At stop (flush), what is left gets cw_flush_timeout seconds in all,
 * backoff included; what is still undelivered then is dropped, counted
 * and logged. The whole stop holds that deadline: a request still in
 * flight then (one that began before the stop, with cw_timeout) is
 * abandoned with its sender thread (the process is exiting), and the
 * datums of its batch not yet counted, and of every batch queued behind
 * it, are counted as dropped there and then ("in flight at stop", "at
 * stop"). The sender counts nothing after that, so every datum ends in
 * exactly one of sent or dropped-for-a-reason, and the last line adds
 * up whatever the endpoint does.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cwbatch.h"
#include "cwclient.h"
#include "cwmetric.h"
#include "gzip.h"
#include "log.h"
#include "sink.h"

#define CW_QUEUE_MEMORY (64u << 20)
#define CW_BACKOFF_BASE 0.2
#define CW_BACKOFF_CAP 20.0

struct queued {
	struct queued *next;
	struct cw_batch *batch;
};

struct cw_stats {
	unsigned long long requests, failed_requests, retries;
	unsigned long long datums_sent, values_sent, bytes_sent, bytes_raw;
	unsigned long long dropped_queue, dropped_rejected, dropped_failed, dropped_stop;
	unsigned long long dropped_inflight, dropped_invalid;
};

struct cw_sink {
	/* Set at open, read-only after. */
	struct cw_dimsets dims;
	char *namespace_;
	char *job_id, *step_id;
	unsigned resolution;
	double batch_interval, timeout, flush_timeout;
	unsigned long retries, queue_max, gzip_min;

	/* The sampling thread's. */
	struct cw_batch *current;
	double current_start;     /* wall time of its first value */

	/* Shared, under 'lock'. */
	pthread_mutex_t lock;
	pthread_cond_t wake;      /* to the sender: work, stop, deadline */
	pthread_cond_t idle;      /* to the flusher: queue empty and nothing in flight */
	struct queued *head, *tail;
	size_t queued, queued_memory;
	bool inflight, stop;
	size_t inflight_datums;   /* of the batch being sent, not yet counted */
	bool closed;              /* stats are final: the sender counts no more */
	double deadline;          /* monotonic; 0: none */
	struct cw_stats st;

	/* The sender thread's. */
	pthread_t thread;
	bool thread_started;
	struct cw_client *client;
	bool resolved;
	const char *instance;
	unsigned int seed;
};

/* ------------------------------------------------------------- helpers -- */

static double _mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct timespec _abs_realtime(double seconds_from_now)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double whole = floor(seconds_from_now);
	ts.tv_sec += (time_t)whole;
	ts.tv_nsec += (long)((seconds_from_now - whole) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static char *_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* --------------------------------------------------------------- queue -- */

static void _drop_batch(struct cw_batch *b, unsigned long long *counter, const char *why)
{
	size_t n = cw_batch_datums(b);
	*counter += n;
	log_warn("cloudwatch: dropped a batch of %zu datums: %s", n, why);
	cw_batch_destroy(b);
}

/* Queue 'b' (locked); drop the oldest beyond the caps. */
static void _enqueue_locked(struct cw_sink *c, struct cw_batch *b)
{
	struct queued *q = calloc(1, sizeof(*q));
	if (!q) {
		_drop_batch(b, &c->st.dropped_queue, "out of memory");
		return;
	}
	q->batch = b;
	if (c->tail)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
	c->queued++;
	c->queued_memory += cw_batch_memory(b);
	while (c->head != q && (c->queued > c->queue_max || c->queued_memory > CW_QUEUE_MEMORY)) {
		struct queued *old = c->head;
		char why[128];
		c->head = old->next;
		c->queued--;
		c->queued_memory -= cw_batch_memory(old->batch);
		snprintf(why, sizeof(why), "the queue is full (%lu batches, %u MiB at most)",
			 c->queue_max, CW_QUEUE_MEMORY >> 20);
		_drop_batch(old->batch, &c->st.dropped_queue, why);
		free(old);
	}
	pthread_cond_signal(&c->wake);
}

static struct cw_batch *_dequeue_locked(struct cw_sink *c)
{
	struct queued *q = c->head;
	if (!q)
		return NULL;
	c->head = q->next;
	if (!c->head)
		c->tail = NULL;
	c->queued--;
	struct cw_batch *b = q->batch;
	c->queued_memory -= cw_batch_memory(b);
	free(q);
	return b;
}

/* Hand the current batch to the sender (sampling thread). */
static void _close_current(struct cw_sink *c)
{
	if (!c->current || cw_batch_datums(c->current) == 0)
		return;
	pthread_mutex_lock(&c->lock);
	_enqueue_locked(c, c->current);
	pthread_mutex_unlock(&c->lock);
	c->current = NULL;
}

/* ------------------------------------------------------------ sending -- */

/* Seconds left before the flush deadline (HUGE_VAL without one). */
static double _left(struct cw_sink *c)
{
	pthread_mutex_lock(&c->lock);
	double d = c->deadline;
	pthread_mutex_unlock(&c->lock);
	return d > 0 ? d - _mono() : HUGE_VAL;
}

/* Sleep 'seconds', or less if a stop or deadline comes. */
static void _backoff(struct cw_sink *c, double seconds)
{
	struct timespec until = _abs_realtime(seconds);
	pthread_mutex_lock(&c->lock);
	while (!c->stop && c->deadline == 0) {
		if (pthread_cond_timedwait(&c->wake, &c->lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&c->lock);
}

struct send_ctx {
	struct cw_sink *c;
	size_t sent_datums, dropped;
};

/* Deliver one request body with retries (cw_body_fn). */
static int _deliver_body(char *body, size_t len, size_t datums, void *arg)
{
	struct send_ctx *sx = arg;
	struct cw_sink *c = sx->c;
	void *gz = NULL;
	size_t gzlen = 0;
	const void *payload = body;
	size_t plen = len;
	char why[768] = "";
	enum cw_outcome out = CW_RETRY;
	unsigned long attempt;

	if (c->gzip_min && len >= c->gzip_min && gzip_compress(body, len, 6, &gz, &gzlen) == 0) {
		payload = gz;
		plen = gzlen;
	}
	for (attempt = 0; attempt <= c->retries; attempt++) {
		double left = _left(c);
		if (left <= 0) {
			snprintf(why + strlen(why), sizeof(why) - strlen(why), "%sthe stop deadline passed",
				 why[0] ? "; then " : "");
			break;
		}
		if (attempt) {
			double b = CW_BACKOFF_BASE * pow(2, (double)(attempt - 1));
			b = b > CW_BACKOFF_CAP ? CW_BACKOFF_CAP : b;
			b = b / 2 + b / 2 * ((double)rand_r(&c->seed) / RAND_MAX);
			if (b >= left)
				b = left;
			pthread_mutex_lock(&c->lock);
			c->st.retries++;
			pthread_mutex_unlock(&c->lock);
			_backoff(c, b);
			left = _left(c);
			if (left <= 0)
				continue;
		}
		double t = c->timeout < left ? c->timeout : left;
		out = cw_client_call(c->client, "PutMetricData", payload, plen, payload == gz, t, NULL,
				     why, sizeof(why));
		if (out != CW_RETRY)
			break;
		log_debug("cloudwatch: attempt %lu failed: %s", attempt + 1, why);
	}
	pthread_mutex_lock(&c->lock);
	/* After close gave up on this request, its datums are counted
	 * already (dropped in flight). */
	if (!c->closed) {
		c->st.requests++;
		if (out == CW_OK) {
			c->st.datums_sent += datums;
			c->st.bytes_sent += plen;
			c->st.bytes_raw += len;
		} else {
			c->st.failed_requests++;
			if (out == CW_REJECTED)
				c->st.dropped_rejected += datums;
			else
				c->st.dropped_failed += datums;
		}
		c->inflight_datums -= datums < c->inflight_datums ? datums : c->inflight_datums;
	}
	pthread_mutex_unlock(&c->lock);
	if (out == CW_REJECTED)
		log_error("cloudwatch: PutMetricData rejected, %zu datums dropped: %s", datums, why);
	else if (out == CW_RETRY)
		log_error("cloudwatch: PutMetricData failed after %lu attempts, %zu datums dropped: %s",
			  attempt, datums, why);
	else
		log_debug("cloudwatch: sent %zu datums in %zu bytes%s", datums, plen,
			  payload == gz ? " (gzip)" : "");
	if (out == CW_OK)
		sx->sent_datums += datums;
	else
		sx->dropped += datums;
	free(gz);
	free(body);
	return 0;
}

static void _deliver(struct cw_sink *c, struct cw_batch *b)
{
	if (!c->resolved) {
		if (cw_client_resolve(c->client) < 0) {
			pthread_mutex_lock(&c->lock);
			if (c->closed) {
				cw_batch_destroy(b);
			} else {
				_drop_batch(b, &c->st.dropped_failed, "no region or endpoint");
				c->inflight_datums = 0;
			}
			pthread_mutex_unlock(&c->lock);
			return;
		}
		c->resolved = true;
		c->instance = cw_client_instance_id(c->client);
		log_info("cloudwatch: publishing to %s (region %s, namespace %s, InstanceId %s)",
			 cw_client_endpoint(c->client), cw_client_region(c->client), c->namespace_,
			 c->instance);
	}
	struct cw_identity id = {c->instance, c->job_id, c->step_id};
	struct send_ctx sx = {.c = c};
	size_t skipped = 0;
	if (cw_batch_encode(b, c->namespace_, &id, CW_DATUMS_MAX, CW_BODY_MAX, _deliver_body, &sx,
			    &skipped) < 0)
		log_error("cloudwatch: cannot encode a batch: %s", strerror(errno));
	if (skipped)
		log_error("cloudwatch: %zu datums too large for a request were dropped", skipped);
	pthread_mutex_lock(&c->lock);
	if (!c->closed) {
		c->st.dropped_invalid += skipped;
		c->inflight_datums -= skipped < c->inflight_datums ? skipped : c->inflight_datums;
		/* What the encoder never handed over (out of memory). */
		if (c->inflight_datums) {
			log_error("cloudwatch: %zu datums dropped: the batch could not be encoded",
				  c->inflight_datums);
			c->st.dropped_failed += c->inflight_datums;
			c->inflight_datums = 0;
		}
	}
	pthread_mutex_unlock(&c->lock);
	cw_batch_destroy(b);
}

static void *_sender(void *arg)
{
	struct cw_sink *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->head && !c->stop)
			pthread_cond_wait(&c->wake, &c->lock);
		if (!c->head)
			break;
		if (c->deadline > 0 && _mono() >= c->deadline)
			break;
		struct cw_batch *b = _dequeue_locked(c);
		c->inflight = true;
		c->inflight_datums = cw_batch_datums(b);
		pthread_mutex_unlock(&c->lock);
		_deliver(c, b);
		pthread_mutex_lock(&c->lock);
		c->inflight = false;
		if (!c->head)
			pthread_cond_broadcast(&c->idle);
	}
	/* Whatever is left when stopping is dropped, said and counted. */
	struct cw_batch *b;
	while ((b = _dequeue_locked(c)))
		_drop_batch(b, &c->st.dropped_stop, "not delivered before the stop deadline");
	pthread_cond_broadcast(&c->idle);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* ---------------------------------------------------------- sink ops -- */

static void _free(struct cw_sink *c)
{
	if (!c)
		return;
	cw_batch_destroy(c->current);
	cw_client_destroy(c->client);
	free(c->namespace_);
	free(c->job_id);
	free(c->step_id);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->wake);
	pthread_cond_destroy(&c->idle);
	free(c);
}

static int _open(struct sink *s, const struct options *o)
{
	struct cw_sink *c = calloc(1, sizeof(*c));
	char err[256];

	if (!c) {
		log_error("cloudwatch: out of memory");
		return -1;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	pthread_cond_init(&c->idle, NULL);
	if (cw_dimsets_parse(o->cw_dimensions, &c->dims, err, sizeof(err)) < 0) {
		log_error("cw_dimensions = %s: %s", o->cw_dimensions, err);
		goto fail;
	}
	cw_dimsets_resolve(&c->dims, o->job_id != NULL, o->step_id != NULL);
	if (c->dims.count == 0) {
		log_error("cw_dimensions = %s: no dimension set is left for a node without a job "
			  "(add one without JobId/StepId, e.g. InstanceId,Interface)",
			  o->cw_dimensions);
		goto fail;
	}
	if (o->cw_storage_resolution != 1 && o->cw_storage_resolution != 60) {
		log_error("cw_storage_resolution = %lu: CloudWatch allows 1 or 60",
			  o->cw_storage_resolution);
		goto fail;
	}
	if (!o->cw_namespace || !*o->cw_namespace || strncmp(o->cw_namespace, "AWS/", 4) == 0) {
		log_error("cw_namespace = '%s': must be non-empty and not start with AWS/",
			  o->cw_namespace ? o->cw_namespace : "");
		goto fail;
	}
	c->namespace_ = _dup(o->cw_namespace);
	c->job_id = _dup(o->job_id);
	c->step_id = _dup(o->step_id);
	c->resolution = (unsigned)o->cw_storage_resolution;
	c->batch_interval = o->cw_batch_interval;
	c->timeout = o->cw_timeout;
	c->flush_timeout = o->cw_flush_timeout;
	c->retries = o->cw_retries;
	c->queue_max = o->cw_queue_max;
	c->gzip_min = o->cw_gzip_min;
	if (getrandom(&c->seed, sizeof(c->seed), GRND_NONBLOCK) != sizeof(c->seed))
		c->seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	if (!c->namespace_) {
		log_error("cloudwatch: out of memory");
		goto fail;
	}
	struct cw_client_config cc;
	sink_aws_config(o, &cc);
	if (!(c->client = cw_client_create(&cc)))
		goto fail;
	if (pthread_create(&c->thread, NULL, _sender, c) != 0) {
		log_error("cloudwatch: cannot start the sender thread");
		goto fail;
	}
	c->thread_started = true;
	s->priv = c;
	return 0;
fail:
	_free(c);
	return -1;
}

static void _add_datum(const struct cw_datum *d, void *arg)
{
	void **a = arg;
	struct cw_sink *c = a[0];
	const double *ts = a[1];
	if (cw_batch_add(c->current, d, *ts) < 0) {
		/* Counted under the lock: the sender reads the stats too. */
		pthread_mutex_lock(&c->lock);
		c->st.dropped_invalid++;
		pthread_mutex_unlock(&c->lock);
		if (errno == EINVAL)
			log_debug("cloudwatch: %s is not a finite number: not sent", d->def->name);
	}
}

static int _write(struct sink *s, const struct report *r)
{
	struct cw_sink *c = s->priv;
	double ts = (double)r->real_ns / 1e9;

	if (!c->current) {
		c->current = cw_batch_create(c->resolution);
		if (!c->current) {
			log_error("cloudwatch: out of memory: an interval is lost");
			return -1;
		}
		c->current_start = ts;
	}
	void *arg[2] = {c, &ts};
	cw_datums_each(r->tracker, &c->dims, _add_datum, arg);
	/* Queue when the batch spans the batch interval or fills a request. */
	if (ts - c->current_start >= c->batch_interval ||
	    cw_batch_datums(c->current) >= CW_DATUMS_MAX)
		_close_current(c);
	return 0;
}

static int _flush(struct sink *s)
{
	struct cw_sink *c = s->priv;

	_close_current(c);
	pthread_mutex_lock(&c->lock);
	double deadline = _mono() + c->flush_timeout;
	c->deadline = deadline;
	pthread_cond_broadcast(&c->wake);
	struct timespec until = _abs_realtime(c->flush_timeout);
	while ((c->head || c->inflight) && _mono() < deadline)
		if (pthread_cond_timedwait(&c->idle, &c->lock, &until) == ETIMEDOUT)
			break;
	bool done = !c->head && !c->inflight;
	pthread_mutex_unlock(&c->lock);
	return done ? 0 : -1;
}

static void _close(struct sink *s)
{
	struct cw_sink *c = s->priv;
	if (!c)
		return;
	_close_current(c);
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	if (c->deadline == 0)
		c->deadline = _mono() + c->flush_timeout;
	pthread_cond_broadcast(&c->wake);
	pthread_mutex_unlock(&c->lock);

	/* No grace past the deadline: cw_flush_timeout is the promise. */
	bool joined = true;
	if (c->thread_started) {
		double left = _left(c);
		struct timespec until = _abs_realtime(left > 0 ? left : 0);
		joined = pthread_timedjoin_np(c->thread, NULL, &until) == 0;
	}
	pthread_mutex_lock(&c->lock);
	c->closed = true;
	if (c->inflight_datums) {
		log_warn("cloudwatch: a request of %zu datums is still in flight at the stop "
			 "deadline: abandoned, its datums counted as dropped",
			 c->inflight_datums);
		c->st.dropped_inflight += c->inflight_datums;
		c->inflight_datums = 0;
	}
	struct cw_batch *b;
	while ((b = _dequeue_locked(c)))
		_drop_batch(b, &c->st.dropped_stop, "not delivered before the stop deadline");
	struct cw_stats st = c->st;
	pthread_mutex_unlock(&c->lock);
	unsigned long long dropped = st.dropped_queue + st.dropped_rejected + st.dropped_failed +
				     st.dropped_stop + st.dropped_inflight + st.dropped_invalid;
	log_msg(dropped ? LOG_LEVEL_WARN : LOG_LEVEL_INFO,
		"cloudwatch: %llu requests (%llu failed, %llu retries), %llu datums sent in %llu "
		"bytes (%llu before gzip); %llu datums dropped (queue full %llu, rejected %llu, "
		"failed %llu, at stop %llu, in flight at stop %llu, invalid %llu)",
		st.requests, st.failed_requests, st.retries, st.datums_sent, st.bytes_sent,
		st.bytes_raw, dropped, st.dropped_queue, st.dropped_rejected, st.dropped_failed,
		st.dropped_stop, st.dropped_inflight, st.dropped_invalid);
	if (!joined) {
		/* A request still hangs past the deadline: leave it (and 'c',
		 * which it uses) to die with the process rather than hold up
		 * the job. Its datums are counted above. */
		s->priv = NULL;
		return;
	}
	_free(c);
	s->priv = NULL;
}

const struct sink_ops sink_cloudwatch_ops = {
	.name = "cloudwatch",
	.open = _open,
	.write = _write,
	.flush = _flush,
	.close = _close,
};

/*
 * channel.h - node reports from slurmstepd back to srun (or to the batch
 * step), over TCP, authenticated with a per-step secret.
 *
 * srun listens before the step launches and puts "host:port" and a random
 * key in the step's environment; each node connects once, sends one
 * signed message and closes. No thread is needed on the srun side: the
 * kernel queues the connections in the listen backlog until srun drains
 * them at the end of the step, serving many at once so that idle or slow
 * connections (anyone on the cluster can connect) cannot delay or push
 * out a genuine report. Every call is bounded in time and in work.
 *
 * Wire: "EFAM1 <hex hmac-sha256 of payload> <payload length>\n<payload>",
 * payload a node report in JSON. A message with a bad signature, a wrong
 * job or step, a malformed header or an oversized payload is rejected
 * with a reason and counted; it never reaches the summary.
 */
#ifndef EFA_MONITOR_CHANNEL_H
#define EFA_MONITOR_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHANNEL_KEY_BYTES 32
#define CHANNEL_KEY_HEX (CHANNEL_KEY_BYTES * 2 + 1)
#define CHANNEL_MAX_PAYLOAD (1 << 20)
/* Connections channel_collect() serves at once. */
#define CHANNEL_MAX_CONNS 64
/* Reports one channel_collect() call delivers at most, whatever 'expected'. */
#define CHANNEL_MAX_REPORTS 4096

/* A fresh random key as hex (getrandom). Returns 0 or -1 with errno. */
int channel_key_generate(char hex[CHANNEL_KEY_HEX]);

struct channel_listener;

/*
 * Listen on 'bind_addr' (NULL: all IPv4 addresses) at an ephemeral port.
 * '*port' gets the port. Returns NULL with errno on failure.
 */
struct channel_listener *channel_listen(const char *bind_addr, uint16_t *port);
void channel_listener_close(struct channel_listener *l);

struct node_report;

/* A message accepted by channel_collect(); the callback takes ownership
 * of 'r' and says whether it counts toward 'expected' (true for a node
 * not heard from before; false for a repeat or a conflicting report,
 * which then counts as a refused message). */
typedef bool (*channel_deliver_fn)(struct node_report *r, void *arg);
typedef void (*channel_reject_fn)(const char *why, void *arg);

/*
 * Accept and read messages until 'expected' valid ones (at most
 * CHANNEL_MAX_REPORTS) have arrived or 'deadline_ms' (CLOCK_MONOTONIC,
 * milliseconds) passes. Each valid report (signature checked with
 * 'key_hex', job and step ids equal to 'job_id' and 'step_id'; NULL
 * step_id accepts any step of the job) goes to 'deliver', which takes
 * ownership; each invalid one to 'reject', with a reason.
 *
 * Up to CHANNEL_MAX_CONNS connections are read at once. Each must send a
 * well-formed header within 1 s of being accepted and its whole message
 * (at most CHANNEL_MAX_PAYLOAD bytes of payload) within 2 s; when all
 * slots are taken, a new connection evicts the oldest one without a
 * header (else the oldest one), so no number of idle or slow connections
 * keeps a genuine report out. Signed messages that are not reports of
 * this job or step stop the call once they pass 'expected' plus a small
 * allowance. Connections that sent nothing are reported in one rejection
 * at the end, and past a few dozen rejections the rest are counted in
 * one line. Returns the number delivered.
 */
size_t channel_collect(struct channel_listener *l, const char *key_hex, const char *job_id,
		       const char *step_id, size_t expected, uint64_t deadline_ms,
		       channel_deliver_fn deliver, channel_reject_fn reject, void *arg);

/*
 * Sign 'r' with 'key_hex' and send it to "host:port" ('address'), with
 * connect and write bounded by 'timeout_ms' in all. Returns 0, or -1 with
 * a message in 'err'.
 */
int channel_send(const char *address, const char *key_hex, const struct node_report *r,
		 int timeout_ms, char *err, size_t errlen);

/* The framing, exposed for tests: build a signed message (malloc'ed) and
 * check one. channel_verify returns the payload's offset and length, or
 * -1 with a reason in 'err'. */
char *channel_frame(const char *key_hex, const char *payload, size_t len, size_t *outlen);
int channel_verify(const char *key_hex, const char *msg, size_t len, size_t *payload_off,
		   size_t *payload_len, char *err, size_t errlen);

/* Milliseconds of CLOCK_MONOTONIC, for deadlines. */
uint64_t channel_now_ms(void);

#endif

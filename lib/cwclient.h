/*
 * cwclient.h - one signed CloudWatch API call (AWS JSON 1.0 protocol).
 *
 * Owns the AWS side of a CloudWatch client: credentials, region and
 * InstanceId (awscred.h), the endpoint (AWS_ENDPOINT_URL_CLOUDWATCH, then
 * AWS_ENDPOINT_URL, then the configured one, then AWS's for the region),
 * SigV4 signing and the bounded HTTP request. Used by the PutMetricData
 * sink (from its sender thread) and by the dashboard command.
 *
 * Not thread-safe: one owner thread at a time.
 */
#ifndef EFA_MONITOR_CWCLIENT_H
#define EFA_MONITOR_CWCLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

struct cw_client_config {
	const char *endpoint;    /* configured endpoint URL, or NULL */
	const char *region;      /* configured region, or NULL */
	const char *profile;     /* shared-credentials profile, or NULL */
	const char *instance_id; /* configured InstanceId, or NULL */
};

struct cw_client;

/* Nothing is fetched yet. NULL: ENOMEM (logged). */
struct cw_client *cw_client_create(const struct cw_client_config *cfg);
void cw_client_destroy(struct cw_client *c);

/* Resolve the region and endpoint (once). Returns 0, or -1 after logging. */
int cw_client_resolve(struct cw_client *c);
const char *cw_client_endpoint(const struct cw_client *c); /* after resolve */
const char *cw_client_region(const struct cw_client *c);   /* after resolve */

/* The InstanceId: configured, IMDS, else the host name. Never NULL. */
const char *cw_client_instance_id(struct cw_client *c);

enum cw_outcome {
	CW_OK = 0,     /* HTTP 200 */
	CW_RETRY,      /* throttled, 5xx, 429, no response, no credentials */
	CW_REJECTED,   /* any other error: retrying cannot help */
};

/*
 * POST 'body' as action 'action' ("PutMetricData", "PutDashboard"),
 * gzip-encoded if 'gzipped', within 'timeout' seconds. On CW_OK and when
 * 'resp' is not NULL, *resp gets the reply (http_response_free it). Else
 * 'why' says what went wrong: CloudWatch's code and message, or the
 * transport error (never a secret).
 */
enum cw_outcome cw_client_call(struct cw_client *c, const char *action, const void *body,
			       size_t len, bool gzipped, double timeout,
			       struct http_response *resp, char *why, size_t wlen);

#endif

/*
 * awscred.h - where an AWS client gets its credentials, region, instance
 * id and endpoint, with no SDK.
 *
 * Credentials in the standard order:
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
 *   2. shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default
 *      ~/.aws/credentials), profile AWS_PROFILE or "default";
 *   3. container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI or
 *      _RELATIVE_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN);
 *   4. the instance role over IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT
 *      overrides http://169.254.169.254; AWS_EC2_METADATA_DISABLED=true
 *      turns it off).
 * Temporary credentials are refreshed AWSCRED_REFRESH_AHEAD seconds before
 * they expire; if the refresh fails, the old ones are kept until they
 * actually expire (and the failure is logged once per attempt).
 *
 * Region: AWS_REGION, AWS_DEFAULT_REGION, the configured one, then IMDS.
 * InstanceId: IMDS, else the host name (with one warning).
 *
 * Secrets never appear in a log line or error message, and are wiped
 * (OPENSSL_cleanse) when replaced or freed. Every IMDS/container call is
 * bounded in time (AWSCRED_TIMEOUT seconds).
 *
 * Not thread-safe: one owner thread per aws_env.
 */
#ifndef EFA_MONITOR_AWSCRED_H
#define EFA_MONITOR_AWSCRED_H

#include <stdbool.h>
#include <time.h>

#define AWSCRED_REFRESH_AHEAD (15 * 60)
#define AWSCRED_TIMEOUT 2.0

struct aws_creds {
	char *access_key;
	char *secret_key;
	char *session_token;   /* NULL for long-term keys */
	time_t expiration;     /* 0: does not expire */
	const char *source;    /* "environment", "shared-file", "container", "imds" */
};

struct aws_env_config {
	const char *region;    /* configured region, or NULL */
	const char *profile;   /* overrides AWS_PROFILE, or NULL */
	const char *instance_id; /* configured InstanceId, or NULL */
};

struct aws_env;

/* Nothing is fetched yet. Returns NULL (ENOMEM). */
struct aws_env *aws_env_create(const struct aws_env_config *cfg);
void aws_env_destroy(struct aws_env *env);

/*
 * Current credentials (resolved on first use, refreshed when close to
 * expiry). The pointed-to strings stay valid until the next call.
 * Returns NULL after logging why no source gave credentials.
 */
const struct aws_creds *aws_env_creds(struct aws_env *env, time_t now);

/* The region, or NULL after logging that none is known. */
const char *aws_env_region(struct aws_env *env);

/* The InstanceId from IMDS, else the host name (warned once). Never NULL. */
const char *aws_env_instance_id(struct aws_env *env);

/* Wipe and free the strings of 'c'. */
void aws_creds_clear(struct aws_creds *c);

#endif

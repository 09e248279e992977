/*
 * awscred.h - where an AWS client gets its credentials, region, instance
 * id and endpoint, with no SDK.
 *
 * Credentials in the standard order:
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
 *   2. shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default
 *      ~/.aws/credentials of the effective user: $HOME, else the passwd
 *      entry), profile cfg->profile, AWS_PROFILE or "default", keys
 *      aws_access_key_id, aws_secret_access_key, aws_session_token;
 *   3. container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI under
 *      http://169.254.170.2, or AWS_CONTAINER_CREDENTIALS_FULL_URI, which
 *      must be https or a loopback/ECS/EKS address; Authorization from
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN);
 *   4. the instance role over IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT
 *      overrides http://169.254.169.254; AWS_EC2_METADATA_DISABLED=true
 *      turns it off). IMDSv1 is never used: a host that refuses the token
 *      request gives no instance credentials (and the log says so).
 * A source that is absent (variables unset, no file, no such profile, a
 * profile without static keys) passes to the next; a source that is
 * configured but broken (one env key of two, the container endpoint
 * refusing) stops the chain, so another identity is never picked up
 * silently.
 *
 * Temporary credentials are refreshed AWSCRED_REFRESH_AHEAD seconds before
 * they expire; if the refresh fails, the old ones are kept until they
 * actually expire (a warning per failed attempt). After a failed attempt
 * the next comes AWSCRED_RETRY_INTERVAL seconds of 'now' later, so a dead
 * endpoint does not stall every call; after a successful one,
 * AWSCRED_REFRESH_MIN seconds later at the soonest (credentials that live
 * less than AWSCRED_REFRESH_AHEAD are never "fresh": this keeps them from
 * being fetched on every call, without leaving them expired for a minute). An IMDS that gave no response
 * at all is not asked again for AWSCRED_RETRY_INTERVAL seconds (real
 * time) by any of the calls below: one timeout, one message.
 *
 * Region: AWS_REGION, AWS_DEFAULT_REGION, the configured one, then IMDS.
 * InstanceId: the configured one, IMDS, else the host name (one warning).
 *
 * Secrets (secret key, session token, IMDS token, container authorization
 * token) never appear in a log line or error message; an access key id is
 * named by its last 4 characters at most. They are wiped (OPENSSL_cleanse)
 * when replaced or freed. Every IMDS/container call is bounded in time
 * (AWSCRED_TIMEOUT seconds).
 *
 * Not thread-safe: one owner thread per aws_env.
 */
#ifndef EFA_MONITOR_AWSCRED_H
#define EFA_MONITOR_AWSCRED_H

#include <stdbool.h>
#include <time.h>

#define AWSCRED_REFRESH_AHEAD (15 * 60)
#define AWSCRED_TIMEOUT 2.0
#define AWSCRED_RETRY_INTERVAL 60
#define AWSCRED_REFRESH_MIN 5

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

/* Nothing is fetched yet ('cfg' may be NULL; its strings are copied).
 * Returns NULL (ENOMEM). */
struct aws_env *aws_env_create(const struct aws_env_config *cfg);
void aws_env_destroy(struct aws_env *env);

/*
 * Current credentials (resolved on first use, refreshed when close to
 * expiry). 'now' is the wall clock (time(NULL)); tests pass other times.
 * The pointed-to strings stay valid until the next call or destroy.
 * Returns NULL after logging why no source gave credentials (errno
 * EAGAIN, logged at debug only, while the last failed attempt is under
 * AWSCRED_RETRY_INTERVAL seconds old).
 */
const struct aws_creds *aws_env_creds(struct aws_env *env, time_t now);

/* The region, or NULL after logging that none is known (an error the
 * first time, debug after). A region found is kept for the env's life. */
const char *aws_env_region(struct aws_env *env);

/* The configured InstanceId, else IMDS's, else the host name (warned
 * once). Resolved once and kept. Never NULL. */
const char *aws_env_instance_id(struct aws_env *env);

/* Wipe and free the strings of 'c'. */
void aws_creds_clear(struct aws_creds *c);

/*
 * Whether AWS_CONTAINER_CREDENTIALS_FULL_URI 'url' may receive the
 * container authorization token (exposed for tests). As the AWS SDKs
 * (botocore, the JavaScript v3 and Java v2 SDKs) decide: any https URL;
 * over http only a local agent: a loopback address (127.0.0.0/8 written
 * as a numeric IPv4 address, or ::1 in brackets), "localhost", and the
 * ECS and EKS agents 169.254.170.2, 169.254.170.23 and [fd00:ec2::23].
 * A name that merely starts like one ("127.0.0.1.nip.io", "localhost.evil")
 * is refused.
 */
bool aws_container_url_allowed(const char *url);

#endif

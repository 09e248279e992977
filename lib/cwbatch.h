/*
 * cwbatch.h - CloudWatch datums gathered over a batch, and their encoding
 * as PutMetricData request bodies (AWS JSON 1.0 protocol).
 *
 * Values of one series (metric + dimension set + interface) that fall in
 * the same storage-resolution period share one datum with Values/Counts
 * arrays (at most CW_VALUES_MAX distinct values; equal values are counted,
 * not repeated); that is where arrays save datums without losing time
 * resolution. A datum's Timestamp is the start of its period.
 *
 * Encoding cuts the batch into bodies of at most CW_DATUMS_MAX datums and
 * at most a given number of bytes, each a complete JSON document. Values
 * that are not finite (CloudWatch rejects NaN and infinities) are refused
 * when added, so an encoded body is always valid.
 */
#ifndef EFA_MONITOR_CWBATCH_H
#define EFA_MONITOR_CWBATCH_H

#include <stddef.h>

#include "cwmetric.h"

#define CW_DATUMS_MAX 1000        /* per PutMetricData request */
#define CW_BODY_MAX 1000000       /* bytes per request body */
#define CW_VALUES_MAX 150         /* Values/Counts per datum */

struct cw_batch;

/* An empty batch for 'storage_resolution' (1 or 60 seconds). NULL: ENOMEM. */
struct cw_batch *cw_batch_create(unsigned storage_resolution);
void cw_batch_destroy(struct cw_batch *b);

/*
 * Add the value of datum 'd' sampled at wall-clock time 'ts' (epoch
 * seconds). Returns 0; -1 with errno EINVAL for a value that is not finite
 * (not added), ENOMEM.
 */
int cw_batch_add(struct cw_batch *b, const struct cw_datum *d, double ts);

size_t cw_batch_datums(const struct cw_batch *b);  /* datums so far */
size_t cw_batch_values(const struct cw_batch *b);  /* values added so far */
size_t cw_batch_memory(const struct cw_batch *b);  /* bytes held, roughly */

/*
 * Encode the batch for namespace 'ns' and identity 'id' into bodies of at
 * most 'max_datums' datums and 'max_bytes' bytes, calling 'fn' with each
 * (the body is NUL-terminated and owned by the callee: free() it). A datum
 * that alone exceeds 'max_bytes' is skipped and counted in *skipped.
 * Returns 0, or the first non-zero return of 'fn', or -1 (ENOMEM).
 */
typedef int (*cw_body_fn)(char *body, size_t len, size_t datums, void *arg);
int cw_batch_encode(const struct cw_batch *b, const char *ns, const struct cw_identity *id,
		    size_t max_datums, size_t max_bytes, cw_body_fn fn, void *arg,
		    size_t *skipped);

#endif

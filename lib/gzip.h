/*
 * gzip.h - compress a request body (Content-Encoding: gzip) with zlib.
 */
#ifndef EFA_MONITOR_GZIP_H
#define EFA_MONITOR_GZIP_H

#include <stddef.h>

/*
 * Compress 'len' bytes into a new gzip member (*out, malloc'ed, *out_len).
 * Returns 0, or -1 with errno (ENOMEM, EIO for a zlib failure).
 */
int gzip_compress(const void *data, size_t len, int level, void **out, size_t *out_len);

#endif

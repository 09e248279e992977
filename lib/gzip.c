/*
 * gzip.c - see gzip.h.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "gzip.h"

int gzip_compress(const void *data, size_t len, int level, void **out, size_t *out_len)
{
	z_stream z = {0};
	unsigned char *buf = NULL;
	int rc;

	*out = NULL;
	*out_len = 0;
	/* windowBits 15 + 16: a gzip header and trailer, not a zlib one. */
	rc = deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	if (rc != Z_OK) {
		errno = rc == Z_MEM_ERROR ? ENOMEM : EIO;
		return -1;
	}
	uLong cap = deflateBound(&z, (uLong)len);
	buf = malloc(cap);
	if (!buf) {
		deflateEnd(&z);
		errno = ENOMEM;
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	if (rc != Z_STREAM_END) {
		deflateEnd(&z);
		free(buf);
		errno = EIO;
		return -1;
	}
	*out_len = z.total_out;
	*out = buf;
	deflateEnd(&z);
	return 0;
}

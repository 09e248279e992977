/*
 * hex.h - lower-case hex encoding of bytes, and its decoding, shared by
 * the SigV4 signer (hashes, signatures, %XX escapes) and the job channel
 * (keys and MACs).
 */
#ifndef EFA_MONITOR_HEX_H
#define EFA_MONITOR_HEX_H

#include <stddef.h>

/* 'n' bytes as 2n lower-case hex digits and a NUL: 'out' holds 2n + 1. */
void hex_encode(const unsigned char *raw, size_t n, char *out);

/* The value of one hex digit, either case; -1 if 'c' is not one. */
int hex_digit(char c);

/* The 2n hex digits at 'hex' into 'n' bytes of 'raw'. Returns 0, or -1 at
 * the first character that is not a hex digit ('raw' then partly written). */
int hex_decode(const char *hex, unsigned char *raw, size_t n);

#endif

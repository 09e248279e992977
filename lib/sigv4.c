/*
 * sigv4.c - see sigv4.h.
 */
#include "config.h"

#include "sigv4.h"

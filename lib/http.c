/*
 * http.c - see http.h.
 */
#include "config.h"

#include "http.h"

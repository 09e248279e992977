/*
 * cwmetric.c - see cwmetric.h.
 */
#include "config.h"

#include "cwmetric.h"

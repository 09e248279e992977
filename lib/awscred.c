/*
 * awscred.c - see awscred.h.
 */
#include "config.h"

#include "awscred.h"

/*
 * hostlist.h - expand Slurm node lists ("n[1-3,7],gpu-a[01-02]") without
 * linking libslurm, which a SPANK plugin must not do.
 */
#ifndef EFA_MONITOR_HOSTLIST_H
#define EFA_MONITOR_HOSTLIST_H

#include <stddef.h>

/*
 * Expand 'list' into '*names' (count '*n'; free with hostlist_free).
 * Supports comma-separated names, each with at most one bracket group of
 * numbers and ranges (zero-padding kept). At most 65536 names. Returns 0,
 * or -1 with errno (EINVAL for a malformed list, ENOMEM, E2BIG).
 */
int hostlist_expand(const char *list, char ***names, size_t *n);
void hostlist_free(char **names, size_t n);

#endif

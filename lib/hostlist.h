/*
 * hostlist.h - expand Slurm node lists ("n[1-3,7],gpu-a[01-02]") without
 * linking libslurm, which a SPANK plugin must not do.
 */
#ifndef EFA_MONITOR_HOSTLIST_H
#define EFA_MONITOR_HOSTLIST_H

#include <stddef.h>

#define HOSTLIST_MAX 65536
#define HOSTLIST_MAX_BYTES (16u << 20)

/*
 * Expand 'list' into '*names' (count '*n'; free with hostlist_free).
 * Supports comma-separated names, each with at most one bracket group of
 * numbers and ranges (zero-padding kept). At most HOSTLIST_MAX names and
 * HOSTLIST_MAX_BYTES bytes in all (names, their NULs and the pointer
 * array), so a hostile list cannot make the caller (srun) allocate more.
 * Returns 0, or -1 with errno (EINVAL for a malformed list or a NULL
 * argument, ENOMEM, E2BIG past either bound).
 */
int hostlist_expand(const char *list, char ***names, size_t *n);
void hostlist_free(char **names, size_t n);

#endif

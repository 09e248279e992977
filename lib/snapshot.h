/*
 * snapshot.h - every counter of a node at one instant.
 *
 * values[i] and states[i] belong to layout->counters[i]; values[i] means
 * something only where states[i] == COUNTER_OK. The raw value is stored:
 * multiply by the counter's desc.multiplier for the metric's unit.
 */
#ifndef EFA_MONITOR_SNAPSHOT_H
#define EFA_MONITOR_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "sysfs.h"

struct snapshot {
	struct layout *layout;  /* referenced; NULL until first use */
	uint64_t mono_ns;       /* CLOCK_MONOTONIC, middle of the read burst */
	uint64_t real_ns;       /* CLOCK_REALTIME, same instant */
	size_t capacity;
	uint64_t *values;
	uint8_t *states;        /* enum counter_state */
};

/* An empty snapshot (no layout). Returns NULL with errno on ENOMEM. */
struct snapshot *snapshot_create(void);
void snapshot_destroy(struct snapshot *s);

/*
 * Point 's' at layout 'l' (taking a reference, dropping the old one) and
 * make room for its counters. Returns 0, or -1 with errno (ENOMEM).
 */
int snapshot_bind(struct snapshot *s, struct layout *l);

/* Copy 'src' into 'dst' (same layout reference). Returns 0 or -1. */
int snapshot_copy(struct snapshot *dst, const struct snapshot *src);

/*
 * The value of counter index 'i' of 'from' in 'to': same layout, same
 * index; otherwise matched by (device, port, name). Returns the index in
 * 'to', or -1 if 'to' has no such counter.
 */
long snapshot_match(const struct snapshot *from, size_t i, const struct snapshot *to);

#endif

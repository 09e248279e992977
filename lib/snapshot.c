/*
 * snapshot.c - see snapshot.h.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

struct snapshot *snapshot_create(void)
{
	return calloc(1, sizeof(struct snapshot));
}

void snapshot_destroy(struct snapshot *s)
{
	if (!s)
		return;
	layout_put(s->layout);
	free(s->values);
	free(s->states);
	free(s);
}

int snapshot_bind(struct snapshot *s, struct layout *l)
{
	if (l->ncounters > s->capacity) {
		size_t n = l->ncounters;
		uint64_t *v = realloc(s->values, n * sizeof(*v));
		if (!v)
			return -1;
		s->values = v;
		uint8_t *st = realloc(s->states, n);
		if (!st)
			return -1;
		s->states = st;
		s->capacity = n;
	}
	if (s->layout != l) {
		layout_get(l);
		layout_put(s->layout);
		s->layout = l;
	}
	return 0;
}

int snapshot_copy(struct snapshot *dst, const struct snapshot *src)
{
	if (!src->layout) {
		errno = EINVAL;
		return -1;
	}
	if (snapshot_bind(dst, src->layout) < 0)
		return -1;
	dst->mono_ns = src->mono_ns;
	dst->real_ns = src->real_ns;
	if (src->layout->ncounters) {
		memcpy(dst->values, src->values, src->layout->ncounters * sizeof(uint64_t));
		memcpy(dst->states, src->states, src->layout->ncounters);
	}
	return 0;
}

long snapshot_match(const struct snapshot *from, size_t i, const struct snapshot *to)
{
	const struct layout *lf = from->layout, *lt = to->layout;

	if (!lf || !lt || i >= lf->ncounters)
		return -1;
	if (lf == lt)
		return (long)i;
	const struct layout_counter *c = &lf->counters[i];
	return layout_find_counter(lt, lf->devices[c->device].name, c->port, c->name);
}

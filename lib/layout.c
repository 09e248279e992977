/*
 * layout.c - see layout.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "layout.h"

struct layout *layout_get(struct layout *l)
{
	if (l)
		l->refs++;
	return l;
}

void layout_put(struct layout *l)
{
	if (!l || --l->refs > 0)
		return;
	for (size_t i = 0; i < l->ndevices; i++)
		free(l->devices[i].ports);
	free(l->devices);
	free(l->counters);
	free(l);
}

long layout_find_device(const struct layout *l, const char *name)
{
	for (size_t i = 0; i < l->ndevices; i++)
		if (strcmp(l->devices[i].name, name) == 0)
			return (long)i;
	return -1;
}

long layout_find_counter(const struct layout *l, const char *device,
			 unsigned port, const char *name)
{
	long d = layout_find_device(l, device);
	if (d < 0)
		return -1;
	const struct layout_device *dev = &l->devices[d];
	for (size_t i = dev->first_counter; i < dev->first_counter + dev->ncounters; i++)
		if (l->counters[i].port == port && strcmp(l->counters[i].name, name) == 0)
			return (long)i;
	return -1;
}

uint64_t layout_device_link_bps(const struct layout *l, size_t dev)
{
	return dev < l->ndevices ? l->devices[dev].link_bps : 0;
}

/*
 * layout.h - what a scan of /sys/class/infiniband found: devices, their
 * ports and link rates, and every counter slot.
 *
 * A layout is immutable once built and reference-counted: snapshots hold
 * the layout they were taken with, so a device that appears or vanishes
 * never makes an older snapshot unreadable. A new scan builds a new layout
 * with a higher generation.
 */
#ifndef EFA_MONITOR_LAYOUT_H
#define EFA_MONITOR_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "counter.h"

#define LAYOUT_NAME_MAX 64

struct layout_port {
	unsigned num;               /* port number (1 for EFA) */
	char state[32];             /* "4: ACTIVE" */
	char phys_state[32];        /* "5: LinkUp" */
	char link_layer[32];        /* "InfiniBand", "Ethernet", "Unspecified" */
	char rate_text[64];         /* "100 Gb/sec (4X EDR)", "" if unreadable */
	uint64_t rate_bps;          /* 0 if unknown */
};

struct layout_device {
	char name[LAYOUT_NAME_MAX]; /* "rdmap113s0", "mlx5_0" */
	enum device_type type;
	char driver[32];            /* "efa", "mlx5_core", "" if unknown */
	char vendor[16];            /* "0x1d0f", "" if unknown */
	char pci[32];               /* "0000:71:00.0", "" if not PCI */
	size_t nports;
	struct layout_port *ports;
	uint64_t link_bps;          /* sum of the ports' rates */
	size_t first_counter;       /* its counters are contiguous */
	size_t ncounters;
};

struct layout_counter {
	size_t device;              /* index into devices */
	unsigned port;              /* 0: device-level counter */
	char name[LAYOUT_NAME_MAX];
	struct counter_desc desc;
	uint8_t initial_state;      /* a counter expected but absent at scan
	                               time is COUNTER_MISSING for good */
};

struct layout {
	unsigned refs;
	uint64_t generation;        /* unique in the process */
	size_t ndevices;
	struct layout_device *devices;
	size_t ncounters;
	struct layout_counter *counters;
};

/* Take and drop references. layout_put(NULL) is a no-op. */
struct layout *layout_get(struct layout *l);
void layout_put(struct layout *l);

/* Index of device 'name', or -1. */
long layout_find_device(const struct layout *l, const char *name);

/* Index of counter (device name, port, counter name), or -1. */
long layout_find_counter(const struct layout *l, const char *device,
			 unsigned port, const char *name);

/* The device's line rate; 0 if unknown. */
uint64_t layout_device_link_bps(const struct layout *l, size_t dev);

#endif

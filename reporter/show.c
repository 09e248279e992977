/*
 * show.c - see show.h.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fabric.h"
#include "log.h"
#include "rate.h"
#include "show.h"
#include "tracker.h"

static void _sleep(double seconds)
{
	struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The short state word: "4: ACTIVE" -> "ACTIVE". */
static const char *_word(const char *state)
{
	const char *p = strchr(state, ' ');
	return p ? p + 1 : (*state ? state : "?");
}

/* The tracker's figures for device 'name', or NULL. */
static const struct iface_stats *_iface_of(const struct tracker *t, const char *name)
{
	for (size_t k = 0; k < tracker_iface_count(t); k++)
		if (strcmp(tracker_iface(t, k)->name, name) == 0)
			return tracker_iface(t, k);
	return NULL;
}

/* The busier direction's byte rate: what % of line rate refers to. */
static double _busier_rate(const struct iface_stats *s)
{
	return s->rate[METRIC_RX_BYTES] > s->rate[METRIC_TX_BYTES] ? s->rate[METRIC_RX_BYTES]
								    : s->rate[METRIC_TX_BYTES];
}

static void _print_table(const struct tracker *t, const struct snapshot *snap, double window)
{
	const struct layout *l = snap->layout;
	struct node_stats n;

	printf("%-12s %-4s %-13s %-8s %8s %9s %9s %11s %11s %6s %6s\n", "DEVICE", "TYPE", "PCI",
	       "STATE", "LINK", "RX Gbps", "TX Gbps", "RX pkt/s", "TX pkt/s", "%LINE", "ODD");
	for (size_t d = 0; d < l->ndevices; d++) {
		const struct layout_device *dev = &l->devices[d];
		const struct iface_stats *s = _iface_of(t, dev->name);
		if (!s)
			continue;
		char link[16];
		if (dev->link_bps)
			snprintf(link, sizeof(link), "%.0fG", dev->link_bps / 1e9);
		else
			snprintf(link, sizeof(link), "?");
		printf("%-12s %-4s %-13s %-8s %8s %9.3f %9.3f %11.0f %11.0f %6.1f %6u\n",
		       dev->name, device_type_name(dev->type), dev->pci[0] ? dev->pci : "-",
		       dev->nports ? _word(dev->ports[0].state) : "-", link,
		       rate_gbps(s->rate[METRIC_RX_BYTES]), rate_gbps(s->rate[METRIC_TX_BYTES]),
		       s->rate[METRIC_RX_PKTS], s->rate[METRIC_TX_PKTS],
		       rate_line_pct(_busier_rate(s), dev->link_bps), s->odd);
	}
	tracker_node(t, &n);
	printf("%zu devices, %.0f Gb/s line rate; node RX %.3f Gbps, TX %.3f Gbps over %.2f s\n",
	       l->ndevices, n.link_bps / 1e9, rate_gbps(n.rate[METRIC_RX_BYTES]),
	       rate_gbps(n.rate[METRIC_TX_BYTES]), window);
}

static cJSON *_device_json(const struct tracker *t, const struct snapshot *snap, size_t d)
{
	const struct layout *l = snap->layout;
	const struct layout_device *dev = &l->devices[d];
	const struct iface_stats *s = _iface_of(t, dev->name);
	cJSON *o = cJSON_CreateObject(), *ports, *rates, *counters, *odd;

	cJSON_AddStringToObject(o, "name", dev->name);
	cJSON_AddStringToObject(o, "type", device_type_name(dev->type));
	cJSON_AddStringToObject(o, "driver", dev->driver);
	cJSON_AddStringToObject(o, "pci", dev->pci);
	cJSON_AddNumberToObject(o, "link_bps", (double)dev->link_bps);
	ports = cJSON_AddArrayToObject(o, "ports");
	for (size_t p = 0; p < dev->nports; p++) {
		cJSON *po = cJSON_CreateObject();
		cJSON_AddNumberToObject(po, "port", dev->ports[p].num);
		cJSON_AddStringToObject(po, "state", dev->ports[p].state);
		cJSON_AddStringToObject(po, "phys_state", dev->ports[p].phys_state);
		cJSON_AddStringToObject(po, "link_layer", dev->ports[p].link_layer);
		cJSON_AddStringToObject(po, "rate", dev->ports[p].rate_text);
		cJSON_AddNumberToObject(po, "rate_bps", (double)dev->ports[p].rate_bps);
		cJSON_AddItemToArray(ports, po);
	}
	/* Rates per second over the window: only metrics the device has. */
	rates = cJSON_AddObjectToObject(o, "rates");
	for (int m = 0; s && m < METRIC_COUNT; m++)
		if (s->has & (1u << m))
			cJSON_AddNumberToObject(rates, metric_name(m), s->rate[m]);
	if (s) {
		cJSON_AddNumberToObject(o, "rx_gbps", rate_gbps(s->rate[METRIC_RX_BYTES]));
		cJSON_AddNumberToObject(o, "tx_gbps", rate_gbps(s->rate[METRIC_TX_BYTES]));
		cJSON_AddNumberToObject(o, "line_pct", rate_line_pct(_busier_rate(s), dev->link_bps));
	}
	counters = cJSON_AddObjectToObject(o, "counters");
	odd = cJSON_AddObjectToObject(o, "odd");
	for (size_t i = dev->first_counter; i < dev->first_counter + dev->ncounters; i++) {
		const struct layout_counter *c = &l->counters[i];
		char key[LAYOUT_NAME_MAX + 16];
		if (c->port)
			snprintf(key, sizeof(key), "%s", c->name);
		else
			snprintf(key, sizeof(key), "device.%s", c->name);
		if (snap->states[i] == COUNTER_OK)
			cJSON_AddNumberToObject(counters, key, (double)snap->values[i]);
		else
			cJSON_AddStringToObject(odd, key, counter_state_name(snap->states[i]));
	}
	return o;
}

static void _print_json(const struct tracker *t, const struct snapshot *snap,
			const struct options *o)
{
	cJSON *root = cJSON_CreateObject(), *devs;
	struct node_stats n;
	char *text;

	tracker_node(t, &n);
	cJSON_AddStringToObject(root, "sysfs_root", o->sysfs_root);
	cJSON_AddNumberToObject(root, "window_s", n.elapsed_ns / 1e9);
	cJSON_AddNumberToObject(root, "link_bps", (double)n.link_bps);
	cJSON_AddNumberToObject(root, "rx_gbps", rate_gbps(n.rate[METRIC_RX_BYTES]));
	cJSON_AddNumberToObject(root, "tx_gbps", rate_gbps(n.rate[METRIC_TX_BYTES]));
	devs = cJSON_AddArrayToObject(root, "devices");
	for (size_t d = 0; d < snap->layout->ndevices; d++)
		cJSON_AddItemToArray(devs, _device_json(t, snap, d));
	text = cJSON_Print(root);
	if (text)
		printf("%s\n", text);
	free(text);
	cJSON_Delete(root);
}

int show_run(const struct options *o)
{
	struct fabric *f = fabric_create(o->sysfs_root);
	struct snapshot *snap = snapshot_create();
	struct tracker *t = tracker_create();
	int status = 1;

	if (!f) {
		log_error("cannot read %s: %s", o->sysfs_root, strerror(errno));
		goto out;
	}
	if (!snap || !t || fabric_sample(f, snap) < 0 || tracker_update(t, snap) < 0)
		goto oom;
	_sleep(o->window);
	if (fabric_sample(f, snap) < 0 || tracker_update(t, snap) < 0)
		goto oom;
	if (o->json)
		_print_json(t, snap, o);
	else
		_print_table(t, snap, o->window);
	status = 0;
	goto out;
oom:
	log_error("out of memory");
out:
	tracker_destroy(t);
	snapshot_destroy(snap);
	fabric_destroy(f);
	return status;
}

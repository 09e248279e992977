/*
 * fabric.h - discover a node's RDMA devices and read all their counters.
 *
 * A fabric watches one sysfs root (/sys, or a simulated tree). It finds
 * every device under <root>/class/infiniband, tells EFA from InfiniBand
 * and RoCE by driver or PCI vendor (never by name), and keeps every
 * counter file open so that a sample costs one pread() per counter.
 *
 * Devices that appear or vanish between samples are noticed at the next
 * sample (the class directory is re-listed each time, and a read that
 * fails with ENODEV forces a rescan); each sample's snapshot carries the
 * layout it was read with. Odd counter files never fail a sample: their
 * state is in the snapshot, and each change of state is logged once.
 */
#ifndef EFA_MONITOR_FABRIC_H
#define EFA_MONITOR_FABRIC_H

#include "layout.h"
#include "snapshot.h"

struct fabric;

/*
 * Watch 'sysfs_root' (NULL means "/sys") and scan it once. A root with no
 * RDMA device is not an error: the layout is empty and a warning is
 * logged. Returns NULL with errno set on ENOMEM or an unusable root path.
 */
struct fabric *fabric_create(const char *sysfs_root);
void fabric_destroy(struct fabric *f);

/*
 * FABRIC_OPEN_PER_READ: hold no file or directory open between samples;
 * each read opens its counter by path. Slower per sample, but it leaves a
 * host process's descriptor table alone: inside a multi-threaded process
 * such as slurmstepd every growth of that table waits for an RCU grace
 * period (~8 ms each), which a plugin taking two snapshots must not pay.
 */
#define FABRIC_OPEN_PER_READ 1u
/*
 * FABRIC_METRICS_ONLY: the layout holds only the counters that feed an
 * interface metric (a third of an EFA device's files), for callers such as
 * the plugin's start and end snapshots that use nothing else.
 */
#define FABRIC_METRICS_ONLY 2u
struct fabric *fabric_create_flags(const char *sysfs_root, unsigned flags);

/*
 * Read every counter into 'snap' (rebinding it to the current layout,
 * after a rescan if the devices changed). Returns 0, or -1 with errno set
 * (ENOMEM only): an odd device or file is never a failure.
 */
int fabric_sample(struct fabric *f, struct snapshot *snap);

/*
 * The read schedule. Counters that feed an interface metric (bytes,
 * packets, drops, RDMA errors, retransmits: desc.metric != METRIC_NONE)
 * are about a third of an EFA device's files. FABRIC_READ_METRICS reads
 * only those and gives every other counter its value from the fabric's
 * last read, so a caller can read everything at a slower pace and lose
 * nothing: a slow counter's increase shows at the next full read. The
 * first sample after a (re)scan always reads everything.
 */
enum fabric_read {
	FABRIC_READ_ALL = 0,
	FABRIC_READ_METRICS,
};
int fabric_sample_some(struct fabric *f, struct snapshot *snap, enum fabric_read what);

/* How many counters a FABRIC_READ_METRICS sample reads. */
size_t fabric_metric_counter_count(const struct fabric *f);

/* Scan again now: new devices, link rates and states. Returns 0 or -1. */
int fabric_rescan(struct fabric *f);

/* The current layout (borrowed: layout_get() it to keep it). */
struct layout *fabric_layout(const struct fabric *f);

/* The sysfs root being watched. */
const char *fabric_root(const struct fabric *f);

/* How many counters are read one open() at a time because the process
 * ran out of file descriptors (0 normally). */
size_t fabric_unheld_count(const struct fabric *f);

#endif

/*
 * test_fabric.c - discovery and sampling against efasim trees: shapes,
 * device types, exact raw values, the EFA counter layouts of each kernel,
 * odd files, hot-plug, empty roots and log-once reporting.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fabric.h"
#include "testutil.h"

static char *_root;

static void _setup(void)
{
	_root = tu_mkdtemp("fabric");
	tu_log_capture();
}

static void _teardown(void)
{
	tu_log_restore();
	tu_rm_rf(_root);
	free(_root);
	_root = NULL;
}

/* Create a tree at _root with extra efasim create options. */
static void _create(const char *opts)
{
	tu_efasim("create %s %s", _root, opts);
}

static struct fabric *_fabric(void)
{
	struct fabric *f = fabric_create(_root);
	ck_assert_msg(f != NULL, "fabric_create(%s): %s", _root, strerror(errno));
	return f;
}

static void _sample(struct fabric *f, struct snapshot *s)
{
	ck_assert_msg(fabric_sample(f, s) == 0, "fabric_sample: %s", strerror(errno));
	ck_assert_ptr_nonnull(s->layout);
}

/* The index of (dev, port, name) in 's', asserting it exists. */
static size_t _idx(const struct snapshot *s, const char *dev, unsigned port, const char *name)
{
	long i = layout_find_counter(s->layout, dev, port, name);
	ck_assert_msg(i >= 0, "no counter %s port %u %s", dev, port, name);
	return (size_t)i;
}

static uint64_t _value(const struct snapshot *s, const char *dev, unsigned port,
		       const char *name)
{
	size_t i = _idx(s, dev, port, name);
	ck_assert_msg(s->states[i] == COUNTER_OK, "%s %u %s: state %s", dev, port, name,
		      counter_state_name((enum counter_state)s->states[i]));
	return s->values[i];
}

/* How many counters of device 'dev' are named 'name' (any port). */
static size_t _count_named(const struct layout *l, const char *dev, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < l->ncounters; i++)
		if (strcmp(l->devices[l->counters[i].device].name, dev) == 0 &&
		    strcmp(l->counters[i].name, name) == 0)
			n++;
	return n;
}

/* Structural invariants every layout must hold. */
static void _check_layout(const struct layout *l)
{
	size_t next = 0;
	for (size_t d = 0; d < l->ndevices; d++) {
		const struct layout_device *dev = &l->devices[d];
		ck_assert_uint_eq(dev->first_counter, next);
		for (size_t i = dev->first_counter; i < dev->first_counter + dev->ncounters; i++) {
			ck_assert_uint_eq(l->counters[i].device, d);
			ck_assert_str_ne(l->counters[i].name, "lifespan");
			/* No counter twice at the same (port, name). */
			for (size_t j = dev->first_counter; j < i; j++)
				ck_assert_msg(l->counters[j].port != l->counters[i].port ||
						      strcmp(l->counters[j].name, l->counters[i].name),
					      "%s: %s at port %u twice", dev->name, l->counters[i].name,
					      l->counters[i].port);
		}
		next += dev->ncounters;
		if (d > 0)
			ck_assert_str_lt(l->devices[d - 1].name, dev->name);
	}
	ck_assert_uint_eq(next, l->ncounters);
}

/* --------------------------------------------------------- discovery -- */

static const struct {
	const char *opts;
	size_t ndevices;
	enum device_type type;
	uint64_t link_bps;
	const char *rate_text;
	size_t counters_per_device;
	const char *first; /* first device by name */
	const char *first_pci;
} _shapes[] = {
	{"--shape p5", 32, DEVICE_EFA, 100000000000ull, "100 Gb/sec (4X EDR)", 34, "rdmap113s0",
	 "0000:71:00.0"},
	{"--shape p5en", 16, DEVICE_EFA, 200000000000ull, "200 Gb/sec (4X HDR)", 34, "rdmap113s0",
	 "0000:71:00.0"},
	{"--shape p4d", 4, DEVICE_EFA, 100000000000ull, "100 Gb/sec (4X EDR)", 29, "rdmap16s27",
	 "0000:10:1b.0"},
	{"--shape efa-old", 4, DEVICE_EFA, 100000000000ull, "100 Gb/sec (4X EDR)", 25, "rdmap0s6",
	 "0000:00:06.0"},
	{"--shape p4d --kernel 5.4", 4, DEVICE_EFA, 100000000000ull, "100 Gb/sec (4X EDR)", 17,
	 "rdmap16s27", "0000:10:1b.0"},
	{"--shape p4d --kernel 5.15", 4, DEVICE_EFA, 100000000000ull, "100 Gb/sec (4X EDR)", 25,
	 "rdmap16s27", "0000:10:1b.0"},
	{"--shape mlx5", 1, DEVICE_IB, 200000000000ull, "200 Gb/sec (4X HDR)", 32, "mlx5_0",
	 "0000:0c:00.0"},
	{"--shape mlx5 --devices 3", 3, DEVICE_IB, 200000000000ull, "200 Gb/sec (4X HDR)", 32,
	 "mlx5_0", "0000:0c:00.0"},
	{"--shape p4d --rate 2.5", 4, DEVICE_EFA, 2500000000ull, "2.5 Gb/sec (1X SDR)", 29,
	 "rdmap16s27", "0000:10:1b.0"},
};

START_TEST(test_shapes)
{
	struct fabric *f;
	struct layout *l;
	bool efa = _shapes[_i].type == DEVICE_EFA;

	_create(_shapes[_i].opts);
	f = _fabric();
	l = fabric_layout(f);
	ck_assert_str_eq(fabric_root(f), _root);
	ck_assert_uint_eq(fabric_unheld_count(f), 0);
	ck_assert_uint_eq(l->ndevices, _shapes[_i].ndevices);
	_check_layout(l);
	ck_assert_str_eq(l->devices[0].name, _shapes[_i].first);
	ck_assert_str_eq(l->devices[0].pci, _shapes[_i].first_pci);
	for (size_t d = 0; d < l->ndevices; d++) {
		const struct layout_device *dev = &l->devices[d];
		ck_assert_msg(dev->type == _shapes[_i].type, "%s: type %s", dev->name,
			      device_type_name(dev->type));
		ck_assert_uint_eq(dev->link_bps, _shapes[_i].link_bps);
		ck_assert_uint_eq(layout_device_link_bps(l, d), _shapes[_i].link_bps);
		ck_assert_str_eq(dev->driver, efa ? "efa" : "mlx5_core");
		ck_assert_str_eq(dev->vendor, efa ? "0x1d0f" : "0x15b3");
		ck_assert_uint_eq(strlen(dev->pci), 12);
		ck_assert_uint_eq(dev->nports, 1);
		ck_assert_uint_eq(dev->ports[0].num, 1);
		ck_assert_str_eq(dev->ports[0].state, "4: ACTIVE");
		ck_assert_str_eq(dev->ports[0].phys_state, "5: LinkUp");
		ck_assert_str_eq(dev->ports[0].link_layer, efa ? "Unspecified" : "InfiniBand");
		ck_assert_str_eq(dev->ports[0].rate_text, _shapes[_i].rate_text);
		ck_assert_uint_eq(dev->ports[0].rate_bps, _shapes[_i].link_bps);
		ck_assert_msg(dev->ncounters == _shapes[_i].counters_per_device,
			      "%s: %zu counters, expected %zu", dev->name, dev->ncounters,
			      _shapes[_i].counters_per_device);
	}
	ck_assert_uint_eq(l->ncounters, _shapes[_i].ndevices * _shapes[_i].counters_per_device);
	fabric_destroy(f);
}
END_TEST

START_TEST(test_p4d_names)
{
	static const char *names[] = {"rdmap16s27", "rdmap16s28", "rdmap32s27", "rdmap32s28"};
	static const char *pcis[] = {"0000:10:1b.0", "0000:10:1c.0", "0000:20:1b.0",
				     "0000:20:1c.0"};
	struct fabric *f;

	_create("--shape p4d");
	f = _fabric();
	for (size_t d = 0; d < 4; d++) {
		ck_assert_str_eq(fabric_layout(f)->devices[d].name, names[d]);
		ck_assert_str_eq(fabric_layout(f)->devices[d].pci, pcis[d]);
	}
	fabric_destroy(f);
}
END_TEST

/* A device's name never decides its type: rename the class entries. */
START_TEST(test_type_not_by_name)
{
	char *from = tu_strf("%s/class/infiniband/rdmap16s27", _root);
	char *to = tu_strf("%s/class/infiniband/mlx5_7", _root);
	char *from2 = tu_strf("%s/class/infiniband/mlx5_0", _root);
	char *to2 = tu_strf("%s/class/infiniband/rdmap0s6", _root);
	struct fabric *f;
	struct layout *l;

	_create("--shape p4d");
	tu_efasim("add %s --shape mlx5", _root);
	ck_assert_int_eq(rename(from, to), 0);
	ck_assert_int_eq(rename(from2, to2), 0);
	f = _fabric();
	l = fabric_layout(f);
	ck_assert_uint_eq(l->ndevices, 5);
	long efa = layout_find_device(l, "mlx5_7");
	long ib = layout_find_device(l, "rdmap0s6");
	ck_assert_int_ge(efa, 0);
	ck_assert_int_ge(ib, 0);
	ck_assert_int_eq(l->devices[efa].type, DEVICE_EFA);
	ck_assert_int_eq(l->devices[ib].type, DEVICE_IB);
	/* And their counters are read by type: hw_counters vs counters, x4 on IB only. */
	ck_assert_int_ge(layout_find_counter(l, "mlx5_7", 1, "tx_bytes"), 0);
	long x = layout_find_counter(l, "rdmap0s6", 1, "port_xmit_data");
	ck_assert_int_ge(x, 0);
	ck_assert_uint_eq(l->counters[x].desc.multiplier, 4);
	fabric_destroy(f);
	free(from);
	free(to);
	free(from2);
	free(to2);
}
END_TEST

/* Without a driver link, the PCI vendor decides. */
START_TEST(test_type_by_vendor)
{
	char *l1 = tu_strf("%s/devices/pci0000:00/0000:10:1b.0/driver", _root);
	char *l2 = tu_strf("%s/devices/pci0000:00/0000:0c:00.0/driver", _root);
	struct fabric *f;
	struct layout *l;

	_create("--shape p4d");
	tu_efasim("add %s --shape mlx5", _root);
	ck_assert_int_eq(unlink(l1), 0);
	ck_assert_int_eq(unlink(l2), 0);
	f = _fabric();
	l = fabric_layout(f);
	long efa = layout_find_device(l, "rdmap16s27");
	long ib = layout_find_device(l, "mlx5_0");
	ck_assert_int_ge(efa, 0);
	ck_assert_int_ge(ib, 0);
	ck_assert_str_eq(l->devices[efa].driver, "");
	ck_assert_str_eq(l->devices[efa].vendor, "0x1d0f");
	ck_assert_int_eq(l->devices[efa].type, DEVICE_EFA);
	ck_assert_str_eq(l->devices[ib].driver, "");
	ck_assert_str_eq(l->devices[ib].vendor, "0x15b3");
	ck_assert_int_eq(l->devices[ib].type, DEVICE_IB);
	fabric_destroy(f);
	free(l1);
	free(l2);
}
END_TEST

/* The driver decides over the vendor when both are there. */
START_TEST(test_type_driver_wins)
{
	char *l1 = tu_strf("%s/devices/pci0000:00/0000:10:1b.0/driver", _root);
	char *l2 = tu_strf("%s/devices/pci0000:00/0000:0c:00.0/driver", _root);
	struct fabric *f;
	struct layout *l;

	_create("--shape p4d");
	tu_efasim("add %s --shape mlx5", _root);
	/* EFA vendor, some other driver; mlx5 vendor, driver efa. */
	ck_assert_int_eq(unlink(l1), 0);
	ck_assert_int_eq(symlink("../../../bus/pci/drivers/mlx5_core", l1), 0);
	ck_assert_int_eq(unlink(l2), 0);
	ck_assert_int_eq(symlink("../../../bus/pci/drivers/efa", l2), 0);
	f = _fabric();
	l = fabric_layout(f);
	ck_assert_int_eq(l->devices[layout_find_device(l, "rdmap16s27")].type, DEVICE_IB);
	ck_assert_int_eq(l->devices[layout_find_device(l, "rdmap16s28")].type, DEVICE_EFA);
	ck_assert_int_eq(l->devices[layout_find_device(l, "mlx5_0")].type, DEVICE_EFA);
	fabric_destroy(f);
	free(l1);
	free(l2);
}
END_TEST

START_TEST(test_empty_root)
{
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	f = _fabric(); /* _root is an empty directory */
	ck_assert_uint_eq(fabric_layout(f)->ndevices, 0);
	ck_assert_uint_eq(fabric_layout(f)->ncounters, 0);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_WARN, "no RDMA device", NULL), 1);
	for (int i = 0; i < 3; i++)
		_sample(f, s);
	ck_assert_uint_eq(s->layout->ncounters, 0);
	ck_assert_uint_gt(s->mono_ns, 0);
	/* Said once, not at each sample or rescan. */
	ck_assert_int_eq(fabric_rescan(f), 0);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_WARN, "no RDMA device", NULL), 1);
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

/* A class directory that appears later is picked up at the next sample. */
START_TEST(test_class_dir_appears)
{
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	f = _fabric();
	_sample(f, s);
	ck_assert_uint_eq(s->layout->ndevices, 0);
	_create("--shape p4d"); /* into the same, still empty, directory */
	_sample(f, s);
	ck_assert_uint_eq(s->layout->ndevices, 4);
	ck_assert_uint_eq(_value(s, "rdmap32s28", 1, "tx_bytes"), 0);
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

START_TEST(test_bad_roots)
{
	char *absent = tu_strf("%s/absent", _root);
	char *file = tu_strf("%s/file", _root);

	errno = 0;
	ck_assert_ptr_null(fabric_create(absent));
	ck_assert_int_eq(errno, ENOENT);
	tu_write_file(file, "x\n");
	errno = 0;
	ck_assert_ptr_null(fabric_create(file));
	ck_assert_int_eq(errno, ENOTDIR);
	fabric_destroy(NULL);
	free(absent);
	free(file);
}
END_TEST

START_TEST(test_default_root)
{
	struct fabric *f = fabric_create(NULL);

	/* /sys exists on any Linux test host; it may or may not have devices. */
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(fabric_root(f), "/sys");
	fabric_destroy(f);
}
END_TEST

/* ---------------------------------------------------------- counters -- */

START_TEST(test_traffic_exact)
{
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape p4d --seed 1000");
	f = _fabric();
	_sample(f, s);
	for (size_t i = 0; i < s->layout->ncounters; i++) {
		ck_assert_int_eq(s->states[i], COUNTER_OK);
		ck_assert_uint_eq(s->values[i], 1000);
	}
	tu_efasim("traffic %s --tx-bytes 4096 --rx-bytes 8192 --tx-pkts 3 --rx-pkts 5", _root);
	tu_efasim("traffic %s --device rdmap32s27 --tx-bytes 1", _root);
	_sample(f, s);
	for (size_t d = 0; d < 4; d++) {
		const char *dev = s->layout->devices[d].name;
		uint64_t extra = strcmp(dev, "rdmap32s27") == 0;
		ck_assert_uint_eq(_value(s, dev, 1, "tx_bytes"), 1000 + 4096 + extra);
		ck_assert_uint_eq(_value(s, dev, 1, "rx_bytes"), 1000 + 8192);
		ck_assert_uint_eq(_value(s, dev, 1, "tx_pkts"), 1000 + 3);
		ck_assert_uint_eq(_value(s, dev, 1, "rx_pkts"), 1000 + 5);
		ck_assert_uint_eq(_value(s, dev, 1, "rx_drops"), 1000);
		ck_assert_uint_eq(_value(s, dev, 0, "submitted_cmds"), 1000);
	}
	for (size_t i = 0; i < s->layout->ncounters; i++)
		ck_assert_int_eq(s->states[i], COUNTER_OK);
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

START_TEST(test_descriptions_in_layout)
{
	struct fabric *f;
	struct layout *l;

	_create("--shape p4d");
	f = _fabric();
	l = fabric_layout(f);
	const struct layout_counter *c = &l->counters[layout_find_counter(l, "rdmap16s27", 1,
									 "tx_bytes")];
	ck_assert_int_eq(c->desc.metric, METRIC_TX_BYTES);
	ck_assert_uint_eq(c->desc.multiplier, 1);
	ck_assert_int_eq(c->initial_state, COUNTER_OK);
	c = &l->counters[layout_find_counter(l, "rdmap16s27", 0, "submitted_cmds")];
	ck_assert_int_eq(c->desc.klass, CLASS_DRIVER);
	ck_assert(c->desc.device_scope);
	fabric_destroy(f);
}
END_TEST

START_TEST(test_mlx5_words)
{
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape mlx5");
	f = _fabric();
	tu_efasim("traffic %s --tx-bytes 4096 --rx-bytes 8192 --tx-pkts 3 --rx-pkts 5", _root);
	_sample(f, s);
	size_t x = _idx(s, "mlx5_0", 1, "port_xmit_data");
	ck_assert_uint_eq(s->values[x], 1024); /* raw: 4-byte words */
	ck_assert_uint_eq(s->layout->counters[x].desc.multiplier, 4);
	ck_assert_int_eq(s->layout->counters[x].desc.metric, METRIC_TX_BYTES);
	size_t r = _idx(s, "mlx5_0", 1, "port_rcv_data");
	ck_assert_uint_eq(s->values[r], 2048);
	ck_assert_uint_eq(s->layout->counters[r].desc.multiplier, 4);
	ck_assert_uint_eq(_value(s, "mlx5_0", 1, "port_xmit_packets"), 3);
	ck_assert_uint_eq(_value(s, "mlx5_0", 1, "port_unicast_xmit_packets"), 3);
	ck_assert_uint_eq(_value(s, "mlx5_0", 1, "port_rcv_packets"), 5);
	/* hw_counters of the port are read too. */
	ck_assert_uint_eq(_value(s, "mlx5_0", 1, "out_of_buffer"), 0);
	ck_assert_int_eq(layout_find_counter(s->layout, "mlx5_0", 0, "port_xmit_data"), -1);
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

/* Legacy IB: port_xmit_data only as counters_ext/port_xmit_data_64. */
START_TEST(test_ib_counters_ext)
{
	char *dir = tu_strf("%s/class/infiniband/mlx5_0/ports/1", _root);
	char *old = tu_strf("%s/counters/port_xmit_data", dir);
	char *ext = tu_strf("%s/counters_ext", dir);
	char *ext64 = tu_strf("%s/counters_ext/port_xmit_data_64", dir);
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape mlx5");
	ck_assert_int_eq(unlink(old), 0);
	ck_assert_int_eq(mkdir(ext, 0755), 0);
	tu_write_file(ext64, "12345\n");
	f = _fabric();
	_sample(f, s);
	ck_assert_uint_eq(_count_named(s->layout, "mlx5_0", "port_xmit_data"), 1);
	ck_assert_uint_eq(_value(s, "mlx5_0", 1, "port_xmit_data"), 12345);
	tu_rewrite_inplace(ext64, "12346\n");
	_sample(f, s);
	ck_assert_uint_eq(_value(s, "mlx5_0", 1, "port_xmit_data"), 12346);
	fabric_destroy(f);
	snapshot_destroy(s);
	free(dir);
	free(old);
	free(ext);
	free(ext64);
}
END_TEST

/* ----------------------------------------------------------- layouts -- */

/* Before 5.15 both directories hold every counter: each is reported once,
 * port counters at port 1, device counters at device scope (port 0). */
START_TEST(test_efa_old_single_list)
{
	static const char *port_counters[] = {"tx_bytes", "rx_bytes", "tx_pkts", "rx_pkts",
					      "rx_drops", "send_bytes", "rdma_read_wr_err"};
	static const char *dev_counters[] = {"submitted_cmds", "completed_cmds", "cmds_err",
					     "keep_alive_rcvd", "mmap_err"};
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape efa-old");
	tu_efasim("advance %s tx_bytes=100 rx_bytes=200 submitted_cmds=7 cmds_err=2", _root);
	f = _fabric();
	_sample(f, s);
	_check_layout(s->layout);
	for (size_t d = 0; d < s->layout->ndevices; d++) {
		const char *dev = s->layout->devices[d].name;
		for (size_t i = 0; i < sizeof(port_counters) / sizeof(port_counters[0]); i++) {
			ck_assert_uint_eq(_count_named(s->layout, dev, port_counters[i]), 1);
			ck_assert_int_ge(layout_find_counter(s->layout, dev, 1, port_counters[i]), 0);
		}
		for (size_t i = 0; i < sizeof(dev_counters) / sizeof(dev_counters[0]); i++) {
			ck_assert_msg(_count_named(s->layout, dev, dev_counters[i]) == 1,
				      "%s: %s appears %zu times, expected once", dev,
				      dev_counters[i], _count_named(s->layout, dev, dev_counters[i]));
			ck_assert_int_ge(layout_find_counter(s->layout, dev, 0, dev_counters[i]), 0);
		}
		ck_assert_uint_eq(_value(s, dev, 1, "tx_bytes"), 100);
		ck_assert_uint_eq(_value(s, dev, 1, "rx_bytes"), 200);
		ck_assert_uint_eq(_value(s, dev, 0, "submitted_cmds"), 7);
		ck_assert_uint_eq(_value(s, dev, 0, "cmds_err"), 2);
		ck_assert_uint_eq(s->layout->devices[d].ncounters, 25);
	}
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

/* Kernel 5.4: only the basic five port counters, plus the device ones. */
START_TEST(test_kernel_5_4)
{
	static const char *basic[] = {"rx_bytes", "rx_drops", "rx_pkts", "tx_bytes", "tx_pkts"};
	struct fabric *f;
	struct layout *l;

	_create("--shape p4d --kernel 5.4");
	f = _fabric();
	l = fabric_layout(f);
	for (size_t d = 0; d < l->ndevices; d++) {
		const struct layout_device *dev = &l->devices[d];
		size_t port1 = 0, port0 = 0;
		for (size_t i = dev->first_counter; i < dev->first_counter + dev->ncounters; i++) {
			if (l->counters[i].port == 1) {
				ck_assert_msg(port1 < 5, "%s: extra port counter %s", dev->name,
					      l->counters[i].name);
				ck_assert_str_eq(l->counters[i].name, basic[port1]);
				port1++;
			} else {
				ck_assert_uint_eq(l->counters[i].port, 0);
				ck_assert(l->counters[i].desc.device_scope);
				port0++;
			}
		}
		ck_assert_uint_eq(port1, 5);
		ck_assert_msg(port0 == 12, "%s: %zu device counters, expected 12", dev->name, port0);
		ck_assert_int_eq(layout_find_counter(l, dev->name, 1, "send_bytes"), -1);
	}
	fabric_destroy(f);
}
END_TEST

/* 6.17: the split layout with the network group. */
START_TEST(test_split_layout)
{
	struct fabric *f;
	struct layout *l;
	struct snapshot *s = snapshot_create();

	_create("--shape p5en");
	tu_efasim("advance %s --device rdmap199s0 retrans_pkts=9 submitted_cmds=4", _root);
	f = _fabric();
	_sample(f, s);
	l = s->layout;
	static const char *net[] = {"retrans_bytes", "retrans_pkts", "retrans_timeout_events",
				    "unresponsive_remote_events", "impaired_remote_conn_events"};
	for (size_t i = 0; i < 5; i++) {
		long c = layout_find_counter(l, "rdmap199s0", 1, net[i]);
		ck_assert_msg(c >= 0, "no %s", net[i]);
		ck_assert_uint_eq(_count_named(l, "rdmap199s0", net[i]), 1);
	}
	ck_assert_int_eq(l->counters[_idx(s, "rdmap199s0", 1, "retrans_pkts")].desc.metric,
			 METRIC_RETRANS_PKTS);
	ck_assert_uint_eq(_value(s, "rdmap199s0", 1, "retrans_pkts"), 9);
	ck_assert_uint_eq(_value(s, "rdmap199s0", 0, "submitted_cmds"), 4);
	ck_assert_uint_eq(_value(s, "rdmap113s0", 0, "submitted_cmds"), 0);
	ck_assert_uint_eq(_count_named(l, "rdmap199s0", "submitted_cmds"), 1);
	ck_assert_int_eq(layout_find_counter(l, "rdmap199s0", 1, "submitted_cmds"), -1);
	ck_assert_int_eq(layout_find_counter(l, "rdmap199s0", 0, "tx_bytes"), -1);
	fabric_destroy(f);
	snapshot_destroy(s);

	/* 6.6 has RDMA write and no network group. */
	tu_efasim("create %s --shape p4d --force", _root);
	f = _fabric();
	l = fabric_layout(f);
	ck_assert_int_ge(layout_find_counter(l, "rdmap16s27", 1, "rdma_write_bytes"), 0);
	ck_assert_int_eq(layout_find_counter(l, "rdmap16s27", 1, "retrans_pkts"), -1);
	fabric_destroy(f);
}
END_TEST

/* An unknown file is still read, under its own name. */
START_TEST(test_unknown_counter)
{
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape p4d");
	tu_efasim("set %s rdmap16s27 alloc_mr_err 3 --create --copy device", _root);
	tu_efasim("set %s rdmap16s27 new_thing_err 11 --create", _root);
	f = _fabric();
	_sample(f, s);
	ck_assert_uint_eq(_value(s, "rdmap16s27", 0, "alloc_mr_err"), 3);
	ck_assert_uint_eq(_value(s, "rdmap16s27", 1, "new_thing_err"), 11);
	size_t i = _idx(s, "rdmap16s27", 1, "new_thing_err");
	ck_assert_int_eq(s->layout->counters[i].desc.klass, CLASS_HEALTH);
	ck_assert_int_eq(s->layout->counters[i].desc.metric, METRIC_NONE);
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

/* --------------------------------------------------------- odd files -- */

static const struct {
	const char *mode;
	enum counter_state state;
} _breaks[] = {
	{"missing", COUNTER_MISSING}, {"unreadable", COUNTER_UNREADABLE},
	{"empty", COUNTER_EMPTY},     {"na", COUNTER_NA},
	{"garbage", COUNTER_INVALID}, {"overflow", COUNTER_OVERFLOW},
};

/*
 * _i: mode index * 2 + when (0: broken before fabric_create; 1: after
 * the first sample, with fabric_rescan() for the modes that replace the
 * file). The sample succeeds, tx_bytes of rdmap16s28 has the expected
 * state, and every other counter is fine.
 */
START_TEST(test_break_modes)
{
	int m = _i / 2;
	bool after = _i % 2;
	bool replaces = _breaks[m].state == COUNTER_MISSING ||
			_breaks[m].state == COUNTER_UNREADABLE;
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape p4d");
	tu_efasim("traffic %s --tx-bytes 400 --rx-bytes 800", _root);
	if (!after)
		tu_efasim("break %s rdmap16s28 tx_bytes %s", _root, _breaks[m].mode);
	f = _fabric();
	if (after) {
		_sample(f, s);
		ck_assert_uint_eq(_value(s, "rdmap16s28", 1, "tx_bytes"), 400);
		tu_efasim("break %s rdmap16s28 tx_bytes %s", _root, _breaks[m].mode);
		if (replaces)
			ck_assert_int_eq(fabric_rescan(f), 0);
	}
	_sample(f, s);
	_check_layout(s->layout);
	size_t bad = _idx(s, "rdmap16s28", 1, "tx_bytes");
	ck_assert_uint_eq(_count_named(s->layout, "rdmap16s28", "tx_bytes"), 1);
	ck_assert_msg(s->states[bad] == _breaks[m].state, "%s: state %s, expected %s",
		      _breaks[m].mode, counter_state_name((enum counter_state)s->states[bad]),
		      counter_state_name(_breaks[m].state));
	for (size_t i = 0; i < s->layout->ncounters; i++)
		if (i != bad)
			ck_assert_msg(s->states[i] == COUNTER_OK, "counter %zu (%s) is %s", i,
				      s->layout->counters[i].name,
				      counter_state_name((enum counter_state)s->states[i]));
	ck_assert_uint_eq(_value(s, "rdmap16s28", 1, "rx_bytes"), 800);
	ck_assert_uint_eq(_value(s, "rdmap16s27", 1, "tx_bytes"), 400);
	ck_assert_uint_eq(s->layout->ndevices, 4);
	/* A warning names the device and the counter. */
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_WARN, "rdmap16s28", "tx_bytes",
				      counter_state_name(_breaks[m].state), NULL), 1);
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

/* An expected counter absent at scan time is in the layout as missing,
 * and read by name once it exists. */
START_TEST(test_missing_then_created)
{
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape p4d");
	tu_efasim("break %s rdmap16s27 rx_drops missing", _root);
	f = _fabric();
	_sample(f, s);
	size_t i = _idx(s, "rdmap16s27", 1, "rx_drops");
	ck_assert_int_eq(s->layout->counters[i].initial_state, COUNTER_MISSING);
	ck_assert_int_eq(s->states[i], COUNTER_MISSING);
	tu_efasim("set %s rdmap16s27 rx_drops 5", _root);
	_sample(f, s);
	ck_assert_uint_eq(_value(s, "rdmap16s27", 1, "rx_drops"), 5);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_INFO, "rdmap16s27", "rx_drops", "readable again",
				      NULL), 1);
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

/* Only expected counters are kept when missing: an unknown absent file is
 * not invented, and an IB expected counter is reported missing too. */
START_TEST(test_ib_missing)
{
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape mlx5");
	tu_efasim("break %s mlx5_0 port_rcv_data missing", _root);
	tu_efasim("break %s mlx5_0 port_xmit_wait missing", _root);
	f = _fabric();
	_sample(f, s);
	size_t i = _idx(s, "mlx5_0", 1, "port_rcv_data");
	ck_assert_int_eq(s->states[i], COUNTER_MISSING);
	ck_assert_int_eq(layout_find_counter(s->layout, "mlx5_0", 1, "port_xmit_wait"), -1);
	ck_assert_uint_eq(s->layout->ncounters, 31);
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

/* A whole counter directory missing: the expected counters are missing. */
START_TEST(test_counter_dir_missing)
{
	char *dir = tu_strf("%s/class/infiniband/rdmap16s27/ports/1/hw_counters", _root);
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape p4d");
	tu_rm_rf(dir);
	f = _fabric();
	_sample(f, s);
	static const char *exp[] = {"tx_bytes", "rx_bytes", "tx_pkts", "rx_pkts", "rx_drops"};
	for (size_t k = 0; k < 5; k++) {
		size_t i = _idx(s, "rdmap16s27", 1, exp[k]);
		ck_assert_int_eq(s->states[i], COUNTER_MISSING);
	}
	/* The device counters are still there. */
	ck_assert_uint_eq(_value(s, "rdmap16s27", 0, "submitted_cmds"), 0);
	ck_assert_uint_eq(s->layout->devices[0].ncounters, 5 + 12);
	fabric_destroy(f);
	snapshot_destroy(s);
	free(dir);
}
END_TEST

/* A pre-5.15 tree whose port list lacks a counter that the device list
 * still has: read from there, once. */
START_TEST(test_efa_old_port_copy_missing)
{
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape efa-old");
	tu_efasim("traffic %s --tx-bytes 64", _root);
	tu_efasim("break %s rdmap0s6 tx_bytes missing --copy port", _root);
	f = _fabric();
	_sample(f, s);
	ck_assert_msg(_count_named(s->layout, "rdmap0s6", "tx_bytes") == 1,
		      "tx_bytes appears %zu times", _count_named(s->layout, "rdmap0s6", "tx_bytes"));
	for (size_t i = 0; i < s->layout->ncounters; i++)
		if (strcmp(s->layout->counters[i].name, "tx_bytes") == 0 &&
		    s->layout->counters[i].device == 0) {
			ck_assert_int_eq(s->states[i], COUNTER_OK);
			ck_assert_uint_eq(s->values[i], 64);
		}
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

/* ----------------------------------------------------------- hotplug -- */

START_TEST(test_hotplug)
{
	struct fabric *f;
	struct snapshot *s1 = snapshot_create(), *s2 = snapshot_create(), *s3 = snapshot_create();

	_create("--shape p4d");
	tu_efasim("traffic %s --tx-bytes 1000", _root);
	f = _fabric();
	_sample(f, s1);
	ck_assert_uint_eq(s1->layout->ndevices, 4);

	tu_efasim("remove %s rdmap32s28", _root);
	/* Removing it again is a user error of efasim's (exit 2). */
	ck_assert_int_eq(tu_efasim_status("remove %s rdmap32s28 2>/dev/null", _root), 2);
	_sample(f, s2);
	ck_assert_uint_eq(s2->layout->ndevices, 3);
	ck_assert_int_eq(layout_find_device(s2->layout, "rdmap32s28"), -1);
	ck_assert_uint_gt(s2->layout->generation, s1->layout->generation);
	_check_layout(s2->layout);
	for (size_t i = 0; i < s2->layout->ncounters; i++)
		ck_assert_int_eq(s2->states[i], COUNTER_OK);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_WARN, "rdmap32s28", "disappeared", NULL), 1);

	/* The older snapshot still reads with its own layout. */
	ck_assert_uint_eq(s1->layout->ndevices, 4);
	ck_assert_uint_eq(_value(s1, "rdmap32s28", 1, "tx_bytes"), 1000);

	char *added = tu_strf("%s/added", _root);
	tu_efasim("add %s --shape p4d -v > %s", _root, added);
	char *name = tu_read_file(added);
	ck_assert_ptr_nonnull(name);
	name[strcspn(name, "\n")] = '\0';
	ck_assert_uint_gt(strlen(name), 0);
	tu_efasim("traffic %s --device %s --tx-bytes 8", _root, name);
	_sample(f, s3);
	ck_assert_uint_eq(s3->layout->ndevices, 4);
	ck_assert_int_ge(layout_find_device(s3->layout, name), 0);
	ck_assert_uint_eq(_value(s3, name, 1, "tx_bytes"), 8);
	ck_assert_uint_eq(_value(s3, "rdmap16s27", 1, "tx_bytes"), 1000);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_INFO, name, "appeared", NULL), 1);

	/* Snapshots outlive the fabric. */
	fabric_destroy(f);
	ck_assert_uint_eq(_value(s1, "rdmap32s28", 1, "tx_bytes"), 1000);
	ck_assert_uint_eq(_value(s2, "rdmap32s27", 1, "tx_bytes"), 1000);
	snapshot_destroy(s1);
	snapshot_destroy(s2);
	snapshot_destroy(s3);
	free(added);
	free(name);
}
END_TEST

START_TEST(test_remove_all)
{
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape mlx5 --devices 2");
	f = _fabric();
	_sample(f, s);
	tu_efasim("remove %s mlx5_0", _root);
	tu_efasim("remove %s mlx5_1", _root);
	_sample(f, s);
	ck_assert_uint_eq(s->layout->ndevices, 0);
	ck_assert_uint_eq(s->layout->ncounters, 0);
	tu_efasim("add %s --shape mlx5", _root);
	_sample(f, s);
	ck_assert_uint_eq(s->layout->ndevices, 1);
	ck_assert_str_eq(s->layout->devices[0].name, "mlx5_2");
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

/* The class directory itself goes and comes back (ib_core reloaded): the
 * devices under the new directory are found. */
START_TEST(test_class_dir_recreated)
{
	char *cls = tu_strf("%s/class/infiniband", _root);
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape p4d --devices 2");
	f = _fabric();
	_sample(f, s);
	ck_assert_uint_eq(s->layout->ndevices, 2);
	tu_rm_rf(cls);
	_sample(f, s);
	ck_assert_uint_eq(s->layout->ndevices, 0);
	/* A new class directory with one new device in it. */
	tu_efasim("add %s --shape mlx5", _root);
	_sample(f, s);
	ck_assert_msg(s->layout->ndevices == 1, "%zu devices after the class directory came back",
		      s->layout->ndevices);
	ck_assert_str_eq(s->layout->devices[0].name, "mlx5_0");
	fabric_destroy(f);
	snapshot_destroy(s);
	free(cls);
}
END_TEST

/* Without a change in the class directory, no rescan: the same layout. */
START_TEST(test_stable_layout)
{
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape p5");
	f = _fabric();
	struct layout *l = fabric_layout(f);
	uint64_t gen = l->generation;
	for (int i = 0; i < 20; i++) {
		tu_log_clear();
		_sample(f, s);
		ck_assert_msg(s->layout->generation == gen,
			      "sample %d rescanned (generation %llu, was %llu)", i,
			      (unsigned long long)s->layout->generation, (unsigned long long)gen);
	}
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

START_TEST(test_sample_clock)
{
	struct fabric *f;
	struct snapshot *s = snapshot_create();
	struct timespec ts;

	_create("--shape p4d");
	f = _fabric();
	_sample(f, s);
	uint64_t m1 = s->mono_ns;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	ck_assert_uint_gt(m1, 0);
	ck_assert_uint_le(s->real_ns, now);
	ck_assert_uint_gt(s->real_ns, now - 10000000000ull);
	_sample(f, s);
	ck_assert_uint_ge(s->mono_ns, m1);
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

/* ---------------------------------------------------------- log once -- */

START_TEST(test_log_once)
{
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape p4d");
	f = _fabric();
	_sample(f, s);
	tu_log_clear();
	tu_efasim("break %s rdmap16s27 tx_bytes na", _root);
	for (int i = 0; i < 3; i++)
		_sample(f, s);
	if (tu_log_find(LOG_LEVEL_WARN, NULL) != 1)
		tu_log_dump();
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_WARN, NULL), 1);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_WARN, "rdmap16s27", "tx_bytes", "n/a", NULL), 1);

	/* A rescan (another device appears) does not repeat it. */
	tu_efasim("add %s --shape p4d", _root);
	_sample(f, s);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_WARN, NULL), 1);

	/* A different odd state is a new message. */
	tu_efasim("break %s rdmap16s27 tx_bytes garbage", _root);
	_sample(f, s);
	_sample(f, s);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_WARN, "rdmap16s27", "tx_bytes", "invalid", NULL),
			  1);

	tu_efasim("set %s rdmap16s27 tx_bytes 10", _root);
	_sample(f, s);
	_sample(f, s);
	ck_assert_uint_eq(_value(s, "rdmap16s27", 1, "tx_bytes"), 10);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_INFO, "rdmap16s27", "tx_bytes", "readable again",
				      NULL), 1);
	ck_assert_uint_eq(tu_log_find(LOG_LEVEL_WARN, NULL), 2);
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

/* --------------------------------------------------------------- fds -- */

/* Out of file descriptors: counters are read one open() at a time, and
 * every device and value is still there. p5 under the common default of
 * 1024 open files: 32 devices x 34 counters, plus directories, do not
 * fit. */
static const struct {
	const char *shape;
	rlim_t limit;
	size_t ndevices, per_device;
} _fd_cases[] = {
	{"p4d", 64, 4, 29},
	{"p5", 1024, 32, 34},
};

START_TEST(test_fd_limit)
{
	struct rlimit old, lim;
	struct fabric *f;
	struct snapshot *s = snapshot_create();
	size_t ndev = _fd_cases[_i].ndevices;

	_create(_fd_cases[_i].shape[1] == '5' ? "--shape p5" : "--shape p4d");
	tu_efasim("traffic %s --tx-bytes 4096", _root);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < _fd_cases[_i].limit) {
		fprintf(stderr, "test_fd_limit: hard limit %llu too low, skipped\n",
			(unsigned long long)old.rlim_max);
		snapshot_destroy(s);
		return;
	}
	lim = old;
	lim.rlim_cur = _fd_cases[_i].limit;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
	f = fabric_create(_root);
	int saved = errno;
	size_t scanned = f ? fabric_layout(f)->ndevices : 0;
	int rc = f ? fabric_sample(f, s) : -1;
	setrlimit(RLIMIT_NOFILE, &old);
	ck_assert_msg(f != NULL, "fabric_create under %llu fds: %s",
		      (unsigned long long)_fd_cases[_i].limit, strerror(saved));
	if (scanned != ndev || s->layout->ndevices != ndev)
		tu_log_dump();
	ck_assert_msg(scanned == ndev, "%zu devices scanned, expected %zu", scanned, ndev);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(s->layout->ndevices == ndev, "%zu devices sampled, expected %zu",
		      s->layout->ndevices, ndev);
	ck_assert_uint_eq(s->layout->ncounters, ndev * _fd_cases[_i].per_device);
	ck_assert_uint_gt(fabric_unheld_count(f), 0);
	for (size_t d = 0; d < ndev; d++)
		ck_assert_uint_eq(_value(s, s->layout->devices[d].name, 1, "tx_bytes"), 4096);
	for (size_t i = 0; i < s->layout->ncounters; i++)
		ck_assert_int_eq(s->states[i], COUNTER_OK);
	fabric_destroy(f);
	snapshot_destroy(s);
}
END_TEST

/* Destroying a fabric closes every descriptor it opened. */
START_TEST(test_no_fd_leak)
{
	struct snapshot *s = snapshot_create();

	_create("--shape p4d");
	int before = dup(0);
	close(before);
	for (int k = 0; k < 3; k++) {
		struct fabric *f = _fabric();
		_sample(f, s);
		ck_assert_int_eq(fabric_rescan(f), 0);
		_sample(f, s);
		fabric_destroy(f);
	}
	int after = dup(0);
	close(after);
	ck_assert_int_eq(before, after);
	snapshot_destroy(s);
}
END_TEST

/* The read schedule: a metrics-only sample reads the 11 metric counters of
 * each p5 device and carries every other counter's last value; the next
 * full read picks up what the others moved. */
START_TEST(test_read_schedule)
{
	struct fabric *f;
	struct snapshot *s = snapshot_create();

	_create("--shape p5");
	f = _fabric();
	ck_assert_uint_eq(fabric_metric_counter_count(f), 32 * 11);
	/* The first sample after a scan reads everything, whatever is asked. */
	tu_efasim("advance %s --device rdmap113s0 send_bytes=7 tx_bytes=11", _root);
	ck_assert_int_eq(fabric_sample_some(f, s, FABRIC_READ_METRICS), 0);
	ck_assert_uint_eq(_value(s, "rdmap113s0", 1, "send_bytes"), 7);
	ck_assert_uint_eq(_value(s, "rdmap113s0", 1, "tx_bytes"), 11);

	tu_efasim("advance %s --device rdmap113s0 send_bytes=100 tx_bytes=1000 create_qp_err=2", _root);
	ck_assert_int_eq(fabric_sample_some(f, s, FABRIC_READ_METRICS), 0);
	ck_assert_uint_eq(_value(s, "rdmap113s0", 1, "tx_bytes"), 1011);
	ck_assert_uint_eq(_value(s, "rdmap113s0", 1, "send_bytes"), 7);
	ck_assert_uint_eq(_value(s, "rdmap113s0", 0, "create_qp_err"), 0);

	ck_assert_int_eq(fabric_sample_some(f, s, FABRIC_READ_ALL), 0);
	ck_assert_uint_eq(_value(s, "rdmap113s0", 1, "send_bytes"), 107);
	ck_assert_uint_eq(_value(s, "rdmap113s0", 0, "create_qp_err"), 2);

	/* A carried value keeps its state too: an odd cold counter stays odd
	 * in metrics-only samples until a full read says otherwise. */
	tu_efasim("set %s rdmap113s0 recv_bytes N/A", _root);
	ck_assert_int_eq(fabric_sample_some(f, s, FABRIC_READ_ALL), 0);
	size_t i = _idx(s, "rdmap113s0", 1, "recv_bytes");
	ck_assert_int_eq(s->states[i], COUNTER_NA);
	tu_efasim("set %s rdmap113s0 recv_bytes 5", _root);
	ck_assert_int_eq(fabric_sample_some(f, s, FABRIC_READ_METRICS), 0);
	ck_assert_int_eq(s->states[i], COUNTER_NA);
	ck_assert_int_eq(fabric_sample_some(f, s, FABRIC_READ_ALL), 0);
	ck_assert_int_eq(s->states[i], COUNTER_OK);
	ck_assert_uint_eq(s->values[i], 5);

	/* After a rescan (a device removed) the first sample is full again. */
	tu_efasim("advance %s --device rdmap116s0 send_bytes=9", _root);
	tu_efasim("remove %s rdmap199s0", _root);
	ck_assert_int_eq(fabric_sample_some(f, s, FABRIC_READ_METRICS), 0);
	ck_assert_uint_eq(s->layout->ndevices, 31);
	ck_assert_uint_eq(_value(s, "rdmap116s0", 1, "send_bytes"), 9);
	snapshot_destroy(s);
	fabric_destroy(f);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("fabric");
	TCase *tc;

	tc = tcase_create("discovery");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_shapes, 0, (int)(sizeof(_shapes) / sizeof(_shapes[0])));
	tcase_add_test(tc, test_p4d_names);
	tcase_add_test(tc, test_type_not_by_name);
	tcase_add_test(tc, test_type_by_vendor);
	tcase_add_test(tc, test_type_driver_wins);
	tcase_add_test(tc, test_empty_root);
	tcase_add_test(tc, test_class_dir_appears);
	tcase_add_test(tc, test_bad_roots);
	tcase_add_test(tc, test_default_root);
	suite_add_tcase(s, tc);

	tc = tcase_create("counters");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_traffic_exact);
	tcase_add_test(tc, test_descriptions_in_layout);
	tcase_add_test(tc, test_mlx5_words);
	tcase_add_test(tc, test_ib_counters_ext);
	tcase_add_test(tc, test_unknown_counter);
	suite_add_tcase(s, tc);

	tc = tcase_create("layouts");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_efa_old_single_list);
	tcase_add_test(tc, test_kernel_5_4);
	tcase_add_test(tc, test_split_layout);
	suite_add_tcase(s, tc);

	tc = tcase_create("odd_files");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_break_modes, 0, (int)(2 * sizeof(_breaks) / sizeof(_breaks[0])));
	tcase_add_test(tc, test_missing_then_created);
	tcase_add_test(tc, test_ib_missing);
	tcase_add_test(tc, test_counter_dir_missing);
	tcase_add_test(tc, test_efa_old_port_copy_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("hotplug");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hotplug);
	tcase_add_test(tc, test_remove_all);
	tcase_add_test(tc, test_class_dir_recreated);
	tcase_add_test(tc, test_stable_layout);
	tcase_add_test(tc, test_sample_clock);
	tcase_add_test(tc, test_read_schedule);
	suite_add_tcase(s, tc);

	tc = tcase_create("log_once");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_log_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("descriptors");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_fd_limit, 0, (int)(sizeof(_fd_cases) / sizeof(_fd_cases[0])));
	tcase_add_test(tc, test_no_fd_leak);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}

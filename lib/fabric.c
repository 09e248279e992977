/*
 * fabric.c - see fabric.h.
 *
 * Scanning builds a new layout plus, beside it, one held file descriptor
 * per counter file (or, with FABRIC_OPEN_PER_READ or past the descriptor
 * budget, its path from the sysfs root). Sampling is then a single pass of
 * pread() calls, device by device, so that each EFA device's counters are
 * read in one burst of the driver's cache lifespan.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fabric.h"
#include "log.h"

#define CLASS_DIR "class/infiniband"
#define EFA_PCI_VENDOR "0x1d0f"

struct class_entry {
	char name[LAYOUT_NAME_MAX];
	ino_t ino;
};

struct fabric {
	char *root;
	int root_fd;
	DIR *class_dir;              /* NULL while <root>/class/infiniband is absent */
	struct layout *layout;
	int *fds;                    /* per counter: held file, or -1 */
	uint8_t *reported;           /* per counter: the state last logged */
	size_t unheld;
	struct class_entry *entries; /* what the class directory held at scan */
	size_t nentries;
	bool rescan_needed;
	bool warned_empty;
	/* The read schedule: counters that feed a metric are read at every
	 * sample; a FABRIC_READ_METRICS sample takes the others' last values. */
	size_t *hot;                 /* indexes of counters that feed a metric */
	size_t nhot;
	uint64_t *last_values;       /* every counter's last read */
	uint8_t *last_states;
	bool have_all;               /* last_* hold a full read of this layout */
	unsigned flags;
	char **paths;                /* per counter: path from the root */
};

static uint64_t _next_generation = 1;

/* ---------------------------------------------------------------- scan -- */

/* What one scan builds before it replaces the fabric's current state. */
struct scan {
	struct layout *layout;
	size_t cap_devices, cap_counters, cap_fds;
	int *fds;
	size_t unheld;
	int fd_budget;   /* hold counter files only below this descriptor */
	bool per_read;   /* FABRIC_OPEN_PER_READ: hold nothing open */
	bool metrics_only; /* FABRIC_METRICS_ONLY: skip counters that feed no metric */
	char **paths;    /* per counter: its path from the sysfs root */
	size_t cap_paths;
};

/*
 * Counter files are held open only up to half the open-files limit (less
 * a reserve): the other half lets the next rescan build its set before the
 * old one is closed, and the reserve keeps directories, sockets and the
 * host process (slurmstepd) working. Past it, counters are opened at each
 * read: slower, never wrong.
 */
static int _fd_budget(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 1 << 20;
	if (rl.rlim_cur <= 128)
		return 0;
	rlim_t b = (rl.rlim_cur - 64) / 2;
	return b > (1 << 20) ? 1 << 20 : (int)b;
}

static void _scan_free(struct scan *s)
{
	if (s->fds)
		for (size_t i = 0; i < s->layout->ncounters; i++)
			if (s->fds[i] >= 0)
				close(s->fds[i]);
	if (s->paths)
		for (size_t i = 0; i < s->layout->ncounters; i++)
			free(s->paths[i]);
	free(s->paths);
	free(s->fds);
	layout_put(s->layout);
	memset(s, 0, sizeof(*s));
}

static int _grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * size);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/*
 * List the names in directory 'fd' (regular files, and directories only
 * when 'want_dirs'), sorted. Sets '*names' (free each and the array) and
 * '*is_dir' (a directory where a file was expected is kept: it may be an
 * expected counter that cannot be read). Returns the count, or -1.
 */
struct dir_entry {
	char *name;
	bool dir;
};

static int _cmp_entry_name(const void *a, const void *b)
{
	return strcmp(((const struct dir_entry *)a)->name, ((const struct dir_entry *)b)->name);
}

static long _list_dir(int fd, char ***names, bool **is_dir)
{
	int dfd = dup(fd);
	DIR *d;
	struct dirent *e;
	struct dir_entry *v = NULL;
	size_t n = 0, cap = 0;
	char **out_names = NULL;
	bool *out_dirs = NULL;

	*names = NULL;
	*is_dir = NULL;
	if (dfd < 0)
		return -1;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		bool dir = e->d_type == DT_DIR;
		if (e->d_type == DT_UNKNOWN) {
			struct stat st;
			dir = fstatat(fd, e->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
		}
		if (_grow((void **)&v, &cap, n + 1, sizeof(*v)) < 0)
			goto fail;
		if (!(v[n].name = strdup(e->d_name)))
			goto fail;
		v[n++].dir = dir;
	}
	closedir(d);
	d = NULL;
	if (n > 1)
		qsort(v, n, sizeof(*v), _cmp_entry_name);
	out_names = malloc((n ? n : 1) * sizeof(char *));
	out_dirs = malloc((n ? n : 1) * sizeof(bool));
	if (!out_names || !out_dirs)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		out_names[i] = v[i].name;
		out_dirs[i] = v[i].dir;
	}
	free(v);
	*names = out_names;
	*is_dir = out_dirs;
	return (long)n;
fail:
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	free(out_names);
	free(out_dirs);
	errno = ENOMEM;
	return -1;
}

static void _free_names(char **names, long n)
{
	for (long i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Add a counter slot for 'name' under 'dirfd', opening its file. */
static int _add_counter(struct scan *s, size_t dev, unsigned port, int dirfd,
			const char *dirpath, const char *name, const char *file,
			enum counter_state initial)
{
	struct layout *l = s->layout;
	size_t i = l->ncounters;

	if (_grow((void **)&l->counters, &s->cap_counters, i + 1, sizeof(*l->counters)) < 0 ||
	    _grow((void **)&s->fds, &s->cap_fds, i + 1, sizeof(int)) < 0 ||
	    _grow((void **)&s->paths, &s->cap_paths, i + 1, sizeof(char *)) < 0)
		return -1;
	/* The file's path from the sysfs root, for reads that open by path. */
	size_t plen = strlen(CLASS_DIR) + strlen(l->devices[dev].name) + strlen(dirpath) +
		      strlen(file) + 4;
	s->paths[i] = malloc(plen);
	if (!s->paths[i])
		return -1;
	snprintf(s->paths[i], plen, "%s/%s/%s%s%s", CLASS_DIR, l->devices[dev].name, dirpath,
		 dirpath[0] ? "/" : "", file);

	struct layout_counter *c = &l->counters[i];
	memset(c, 0, sizeof(*c));
	c->device = dev;
	c->port = port;
	snprintf(c->name, sizeof(c->name), "%s", name);
	counter_describe(l->devices[dev].type, name, &c->desc);
	c->initial_state = (uint8_t)initial;
	s->fds[i] = -1;
	if (initial == COUNTER_OK && !s->per_read) {
		int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0 && fd < s->fd_budget)
			s->fds[i] = fd;
		else if (fd >= 0 || errno == EMFILE || errno == ENFILE)
			s->unheld++;
		if (fd >= s->fd_budget)
			close(fd);
	}
	/* A counter read under another file name (counters_ext) cannot be
	 * reopened by name at sample time; those always get a held fd or
	 * read as unreadable. */
	l->ncounters++;
	return 0;
}

/* Has device 'dev' a counter 'name' at 'port' (at any port if 'any')? */
static bool _has_counter(const struct layout *l, size_t first, unsigned port,
			 const char *name, bool any)
{
	for (size_t i = first; i < l->ncounters; i++)
		if ((any || l->counters[i].port == port) && strcmp(l->counters[i].name, name) == 0)
			return true;
	return false;
}

static bool _is_expected(const char *const *expected, const char *name)
{
	for (size_t k = 0; expected && expected[k]; k++)
		if (strcmp(expected[k], name) == 0)
			return true;
	return false;
}

/*
 * Add the counters of directory 'path' under 'parent'. Each counter is
 * taken once per device and port; on EFA once per device, from wherever
 * it is (the pre-5.15 single list holds every counter in both the port's
 * and the device's directory). 'port_pass' leaves EFA device counters to
 * the device directory. A directory where an expected counter should be
 * is kept, as unreadable.
 */
static int _add_counter_dir(struct scan *s, size_t dev, unsigned port, int parent,
			    const char *path, const char *const *expected, bool port_pass)
{
	struct layout *l = s->layout;
	enum device_type type = l->devices[dev].type;
	size_t first = l->devices[dev].first_counter;
	char **names = NULL;
	bool *is_dir = NULL;
	long n = 0;
	int fd = openat(parent, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = _list_dir(fd, &names, &is_dir);
	if (n < 0) {
		close(fd);
		return -1;
	}
	for (long i = 0; i < n; i++) {
		struct counter_desc desc;
		if (counter_is_ignored(names[i]))
			continue;
		counter_describe(type, names[i], &desc);
		if (s->metrics_only && desc.metric == METRIC_NONE)
			continue;
		if (port_pass && type == DEVICE_EFA && desc.device_scope)
			continue;
		if (_has_counter(l, first, port, names[i], type == DEVICE_EFA))
			continue;
		if (is_dir[i] && !_is_expected(expected, names[i]))
			continue;
		if (_add_counter(s, dev, port, fd, path, names[i], names[i],
				 is_dir[i] ? COUNTER_UNREADABLE : COUNTER_OK) < 0)
			goto fail;
	}
	/* Closed at once: a scan never holds more than a few directories, so
	 * it never grows the descriptor table of a host process. */
	close(fd);
	free(is_dir);
	_free_names(names, n);
	return 0;
fail:
	close(fd);
	free(is_dir);
	_free_names(names, n);
	return -1;
}

/*
 * Expected counters found nowhere get a slot of their own, so their
 * absence is seen (COUNTER_MISSING) rather than silent. Legacy IB devices
 * may have them as counters_ext/<name>_64.
 */
static int _add_missing(struct scan *s, size_t dev, unsigned port, int devfd,
			const char *port_dir, const char *const *expected)
{
	struct layout *l = s->layout;
	enum device_type type = l->devices[dev].type;
	size_t first = l->devices[dev].first_counter;
	char dir[96];

	snprintf(dir, sizeof(dir), "ports/%u/%s", port, port_dir);
	int fd = openat(devfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int dirfd = fd >= 0 ? fd : devfd;
	int rc = 0;
	for (size_t k = 0; rc == 0 && expected[k]; k++) {
		if (_has_counter(l, first, port, expected[k], type == DEVICE_EFA))
			continue;
		char ext[LAYOUT_NAME_MAX + 24];
		snprintf(ext, sizeof(ext), "../counters_ext/%s_64", expected[k]);
		if (fd >= 0 && type == DEVICE_IB && faccessat(fd, ext, R_OK, 0) == 0) {
			rc = _add_counter(s, dev, port, fd, dir, expected[k], ext, COUNTER_OK);
			continue;
		}
		rc = _add_counter(s, dev, port, dirfd, fd >= 0 ? dir : "", expected[k], expected[k],
				  COUNTER_MISSING);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

static void _read_port(int ports_fd, const char *num, struct layout_port *p)
{
	int fd = openat(ports_fd, num, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	memset(p, 0, sizeof(*p));
	p->num = (unsigned)strtoul(num, NULL, 10);
	if (fd < 0)
		return;
	sysfs_read_str_at(fd, "state", p->state, sizeof(p->state));
	sysfs_read_str_at(fd, "phys_state", p->phys_state, sizeof(p->phys_state));
	sysfs_read_str_at(fd, "link_layer", p->link_layer, sizeof(p->link_layer));
	if (sysfs_read_str_at(fd, "rate", p->rate_text, sizeof(p->rate_text)) >= 0 &&
	    sysfs_parse_rate(p->rate_text, &p->rate_bps) < 0)
		p->rate_bps = 0;
	close(fd);
}

static bool _is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int _cmp_port(const void *a, const void *b)
{
	const struct layout_port *x = a, *y = b;
	return (x->num > y->num) - (x->num < y->num);
}

static int _scan_ports(struct layout_device *d, int devfd)
{
	char **names = NULL;
	bool *is_dir = NULL;
	long n;
	int fd = openat(devfd, "ports", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = _list_dir(fd, &names, &is_dir);
	if (n < 0) {
		close(fd);
		return -1;
	}
	d->ports = calloc(n ? (size_t)n : 1, sizeof(*d->ports));
	if (!d->ports) {
		close(fd);
		_free_names(names, n);
		free(is_dir);
		return -1;
	}
	for (long i = 0; i < n; i++) {
		if (!is_dir[i] || !_is_number(names[i]))
			continue;
		_read_port(fd, names[i], &d->ports[d->nports]);
		d->link_bps += d->ports[d->nports].rate_bps;
		d->nports++;
	}
	qsort(d->ports, d->nports, sizeof(*d->ports), _cmp_port);
	close(fd);
	_free_names(names, n);
	free(is_dir);
	return 0;
}

static void _identify(struct layout_device *d, int devfd)
{
	int pcifd;

	sysfs_link_base_at(devfd, "device/driver", d->driver, sizeof(d->driver));
	if (sysfs_link_base_at(devfd, "device", d->pci, sizeof(d->pci)) < 0)
		d->pci[0] = '\0';
	pcifd = openat(devfd, "device", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pcifd >= 0) {
		sysfs_read_str_at(pcifd, "vendor", d->vendor, sizeof(d->vendor));
		close(pcifd);
	}
	/* The driver decides; the PCI vendor is the fallback when the driver
	 * link is unreadable. A device's name never does. */
	if (strcmp(d->driver, "efa") == 0 ||
	    (d->driver[0] == '\0' && strcmp(d->vendor, EFA_PCI_VENDOR) == 0))
		d->type = DEVICE_EFA;
	else
		d->type = DEVICE_IB;
}

static int _scan_device(struct scan *s, int class_fd, const char *name)
{
	struct layout *l = s->layout;
	int devfd = openat(class_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	const char *port_dir;
	const char *const *expected;

	if (devfd < 0) {
		log_warn("%s/%s: cannot open (%s); device skipped", CLASS_DIR, name,
			 strerror(errno));
		return 0;
	}
	if (_grow((void **)&l->devices, &s->cap_devices, l->ndevices + 1, sizeof(*l->devices)) < 0)
		goto fail;
	size_t dev = l->ndevices;
	struct layout_device *d = &l->devices[dev];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	l->ndevices++;
	_identify(d, devfd);
	if (_scan_ports(d, devfd) < 0)
		goto fail;
	d->first_counter = l->ncounters;
	expected = counter_expected(d->type, &port_dir);

	for (size_t p = 0; p < d->nports; p++) {
		char path[96];
		unsigned num = d->ports[p].num;
		snprintf(path, sizeof(path), "ports/%u/%s", num, port_dir);
		if (_add_counter_dir(s, dev, num, devfd, path, expected, true) < 0)
			goto fail;
		if (d->type == DEVICE_IB) {
			/* mlx5 and others keep extra per-port counters here. */
			snprintf(path, sizeof(path), "ports/%u/hw_counters", num);
			if (_add_counter_dir(s, dev, num, devfd, path, NULL, true) < 0)
				goto fail;
		}
	}
	/* Device-level hw_counters, minus what a port already gave us. */
	if (_add_counter_dir(s, dev, 0, devfd, "hw_counters", NULL, false) < 0)
		goto fail;
	for (size_t p = 0; p < d->nports; p++)
		if (_add_missing(s, dev, d->ports[p].num, devfd, port_dir, expected) < 0)
			goto fail;
	d = &l->devices[dev];
	d->ncounters = l->ncounters - d->first_counter;
	close(devfd);
	return 0;
fail:
	close(devfd);
	return -1;
}

static int _cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct class_entry *)a)->name,
		      ((const struct class_entry *)b)->name);
}

/* Read the class directory: sorted (name, inode) entries. */
static long _read_class(DIR *d, struct class_entry **out)
{
	struct class_entry *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	rewinddir(d);
	errno = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (_grow((void **)&v, &cap, n + 1, sizeof(*v)) < 0) {
			free(v);
			return -1;
		}
		/* The kernel caps device names at 63 (IB_DEVICE_NAME_MAX). */
		if (strlen(e->d_name) >= sizeof(v[n].name))
			continue;
		/* Zeroed: entries are compared whole with memcmp(). */
		memset(&v[n], 0, sizeof(v[n]));
		memcpy(v[n].name, e->d_name, strlen(e->d_name) + 1);
		v[n].ino = e->d_ino;
		n++;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), _cmp_entry);
	*out = v;
	return (long)n;
}

static void _log_changes(const struct layout *old, const struct layout *new)
{
	if (!old) {
		size_t n[DEVICE_TYPE_COUNT] = {0};
		for (size_t i = 0; i < new->ndevices; i++)
			n[new->devices[i].type]++;
		if (new->ndevices)
			log_debug("found %zu devices (%zu efa, %zu ib), %zu counters",
				  new->ndevices, n[DEVICE_EFA], n[DEVICE_IB], new->ncounters);
		return;
	}
	for (size_t i = 0; new && i < new->ndevices; i++)
		if (!old || layout_find_device(old, new->devices[i].name) < 0)
			log_info("device %s appeared (%s, %s, %.0f Gb/s)", new->devices[i].name,
				 device_type_name(new->devices[i].type),
				 new->devices[i].pci[0] ? new->devices[i].pci : "no PCI address",
				 new->devices[i].link_bps / 1e9);
	for (size_t i = 0; old && i < old->ndevices; i++)
		if (!new || layout_find_device(new, old->devices[i].name) < 0)
			log_warn("device %s disappeared", old->devices[i].name);
}

static void _release(struct fabric *f)
{
	if (f->fds)
		for (size_t i = 0; i < f->layout->ncounters; i++)
			if (f->fds[i] >= 0)
				close(f->fds[i]);
	if (f->paths)
		for (size_t i = 0; i < f->layout->ncounters; i++)
			free(f->paths[i]);
	free(f->paths);
	f->paths = NULL;
	free(f->fds);
	free(f->reported);
	free(f->hot);
	free(f->last_values);
	free(f->last_states);
	f->fds = NULL;
	f->reported = NULL;
	f->hot = NULL;
	f->last_values = NULL;
	f->last_states = NULL;
	f->nhot = 0;
	f->have_all = false;
}

int fabric_rescan(struct fabric *f)
{
	struct scan s = {0};
	struct class_entry *entries = NULL;
	long n = 0;

	s.layout = calloc(1, sizeof(*s.layout));
	if (!s.layout)
		return -1;
	s.layout->refs = 1;
	s.fd_budget = _fd_budget();
	s.per_read = f->flags & FABRIC_OPEN_PER_READ;
	s.metrics_only = f->flags & FABRIC_METRICS_ONLY;
	s.layout->generation = __atomic_fetch_add(&_next_generation, 1, __ATOMIC_RELAXED);

	if (!f->class_dir) {
		int fd = openat(f->root_fd, CLASS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && !(f->class_dir = fdopendir(fd)))
			close(fd);
	}
	if (f->class_dir) {
		n = _read_class(f->class_dir, &entries);
		if (n < 0)
			goto fail;
		for (long i = 0; i < n; i++)
			if (_scan_device(&s, dirfd(f->class_dir), entries[i].name) < 0)
				goto fail;
	}
	if (s.layout->ncounters == 0 && !f->warned_empty) {
		log_warn("no RDMA device counters under %s/%s", f->root, CLASS_DIR);
		f->warned_empty = true;
	} else if (s.layout->ncounters)
		f->warned_empty = false;

	size_t nc = s.layout->ncounters ? s.layout->ncounters : 1;
	uint8_t *reported = malloc(nc);
	size_t *hot = malloc(nc * sizeof(*hot));
	uint64_t *last_values = calloc(nc, sizeof(*last_values));
	uint8_t *last_states = calloc(nc, 1);
	if (!reported || !hot || !last_values || !last_states) {
		free(reported);
		free(hot);
		free(last_values);
		free(last_states);
		goto fail;
	}
	size_t nhot = 0;
	for (size_t i = 0; i < s.layout->ncounters; i++)
		if (s.layout->counters[i].desc.metric != METRIC_NONE)
			hot[nhot++] = i;
	/* Keep what was already logged for counters that carry over, so a
	 * rescan does not repeat every warning. */
	for (size_t i = 0; i < s.layout->ncounters; i++) {
		const struct layout_counter *c = &s.layout->counters[i];
		long old = f->layout ? layout_find_counter(f->layout, s.layout->devices[c->device].name,
							  c->port, c->name) : -1;
		reported[i] = old >= 0 ? f->reported[old] : COUNTER_OK;
	}
	_log_changes(f->layout, s.layout);
	_release(f);
	layout_put(f->layout);
	f->layout = s.layout;
	f->fds = s.fds;
	f->paths = s.paths;

	f->unheld = s.unheld;
	f->reported = reported;
	f->hot = hot;
	f->nhot = nhot;
	f->last_values = last_values;
	f->last_states = last_states;
	f->have_all = false;
	free(f->entries);
	f->entries = entries;
	f->nentries = (size_t)n;
	f->rescan_needed = false;
	if (s.unheld)
		log_warn("out of file descriptors: %zu counters are opened at each read "
			 "(raise the open-files limit)", s.unheld);
	return 0;
fail:
	free(entries);
	_scan_free(&s);
	errno = ENOMEM;
	return -1;
}

/* Has the class directory changed since the last scan? */
static bool _topology_changed(struct fabric *f)
{
	struct class_entry *now = NULL;
	long n;
	bool changed;

	if (!f->class_dir) {
		/* Appeared since? One failing openat per sample is cheap. */
		return faccessat(f->root_fd, CLASS_DIR, F_OK, 0) == 0;
	}
	/* The class directory itself replaced (ib_core reloaded, or a test
	 * tree rebuilt): start over from the new one. */
	struct stat held, current;
	if (fstat(dirfd(f->class_dir), &held) < 0 ||
	    fstatat(f->root_fd, CLASS_DIR, &current, 0) < 0 ||
	    held.st_ino != current.st_ino || held.st_dev != current.st_dev) {
		closedir(f->class_dir);
		f->class_dir = NULL;
		return true;
	}
	n = _read_class(f->class_dir, &now);
	if (n < 0)
		return false;
	changed = (size_t)n != f->nentries ||
		  (n > 0 && memcmp(now, f->entries, (size_t)n * sizeof(*now)) != 0);
	free(now);
	return changed;
}

struct fabric *fabric_create(const char *sysfs_root)
{
	return fabric_create_flags(sysfs_root, 0);
}

struct fabric *fabric_create_flags(const char *sysfs_root, unsigned flags)
{
	struct fabric *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->root_fd = -1;
	f->flags = flags;
	f->root = strdup(sysfs_root ? sysfs_root : "/sys");
	if (!f->root)
		goto fail;
	f->root_fd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->root_fd < 0)
		goto fail;
	if (fabric_rescan(f) < 0)
		goto fail;
	return f;
fail:;
	int saved = errno;
	fabric_destroy(f);
	errno = saved;
	return NULL;
}

void fabric_destroy(struct fabric *f)
{
	if (!f)
		return;
	_release(f);
	layout_put(f->layout);
	if (f->class_dir)
		closedir(f->class_dir);
	if (f->root_fd >= 0)
		close(f->root_fd);
	free(f->entries);
	free(f->root);
	free(f);
}

static uint64_t _now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void _report_state(struct fabric *f, size_t i, enum counter_state st, int err)
{
	const struct layout_counter *c = &f->layout->counters[i];
	const char *dev = f->layout->devices[c->device].name;
	char where[32] = "";

	if (f->reported[i] == st)
		return;
	if (c->port)
		snprintf(where, sizeof(where), " port %u", c->port);
	if (st == COUNTER_OK)
		log_info("%s%s %s: readable again", dev, where, c->name);
	else if (err)
		log_warn("%s%s %s: %s (%s); left out until it reads again", dev, where,
			 c->name, counter_state_name(st), strerror(err));
	else
		log_warn("%s%s %s: %s; left out until it reads again", dev, where, c->name,
			 counter_state_name(st));
	f->reported[i] = (uint8_t)st;
}

static void _read_counter(struct fabric *f, size_t i, struct snapshot *snap)
{
	enum counter_state st;
	int err = 0;

	if (f->fds[i] >= 0)
		st = sysfs_pread_u64(f->fds[i], &snap->values[i], &err);
	else
		st = sysfs_read_u64_at(f->root_fd, f->paths[i], &snap->values[i], &err);
	if (st == COUNTER_MISSING && err && f->fds[i] >= 0)
		f->rescan_needed = true; /* the device went away under us */
	if (st == COUNTER_UNREADABLE && err == EISDIR)
		err = 0;
	snap->states[i] = (uint8_t)st;
	if (st != f->reported[i])
		_report_state(f, i, st, err);
}

int fabric_sample_some(struct fabric *f, struct snapshot *snap, enum fabric_read what)
{
	struct layout *l;
	uint64_t t0, t1;
	size_t n;

	if (f->rescan_needed || _topology_changed(f)) {
		if (fabric_rescan(f) < 0)
			return -1;
	}
	l = f->layout;
	n = l->ncounters;
	if (snapshot_bind(snap, l) < 0)
		return -1;
	if (!f->have_all)
		what = FABRIC_READ_ALL;
	t0 = _now_ns(CLOCK_MONOTONIC);
	if (what == FABRIC_READ_ALL) {
		for (size_t i = 0; i < n; i++)
			_read_counter(f, i, snap);
	} else if (n) {
		memcpy(snap->values, f->last_values, n * sizeof(*snap->values));
		memcpy(snap->states, f->last_states, n);
		for (size_t k = 0; k < f->nhot; k++)
			_read_counter(f, f->hot[k], snap);
	}
	t1 = _now_ns(CLOCK_MONOTONIC);
	if (n) { /* an empty layout has no buffers at all */
		memcpy(f->last_values, snap->values, n * sizeof(*snap->values));
		memcpy(f->last_states, snap->states, n);
	}
	f->have_all = true;
	snap->mono_ns = t0 + (t1 - t0) / 2;
	snap->real_ns = _now_ns(CLOCK_REALTIME);
	return 0;
}

int fabric_sample(struct fabric *f, struct snapshot *snap)
{
	return fabric_sample_some(f, snap, FABRIC_READ_ALL);
}

size_t fabric_metric_counter_count(const struct fabric *f)
{
	return f->nhot;
}

struct layout *fabric_layout(const struct fabric *f)
{
	return f->layout;
}

const char *fabric_root(const struct fabric *f)
{
	return f->root;
}

size_t fabric_unheld_count(const struct fabric *f)
{
	return f->unheld;
}
